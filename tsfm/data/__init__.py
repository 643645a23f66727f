"""pandas in, one internal representation out: see :mod:`tsfm.data.frames`."""

from tsfm.data.frames import FILL_POLICIES, to_frame, to_panel
from tsfm.data.panel import DataSpec, Panel
from tsfm.data.windows import Borders, ltsf_borders, sliding_windows

__all__ = [
    "FILL_POLICIES",
    "Borders",
    "DataSpec",
    "Panel",
    "ltsf_borders",
    "sliding_windows",
    "to_frame",
    "to_panel",
]
