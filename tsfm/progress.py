"""Progress bars that suit where they are written: a terminal, a notebook, or a log file.

tqdm places a bar opened while another is open (a model's epochs inside a backtest) on the next
line and returns to the first with the cursor-up escape ``ESC[A``. A terminal reads that; a
log file or a pipe keeps it as text, ``[A`` on every update. When the stream is not a terminal
every bar is therefore drawn on line 0 (no cursor movement) and redrawn at most every
:data:`LOG_INTERVAL` seconds, so a log holds a few plain lines instead of hundreds.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable

from tqdm import TqdmWarning
from tqdm import tqdm as plain_tqdm

with warnings.catch_warnings():  # Jupyter without ipywidgets: tqdm.auto falls back to text bars
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

#: Seconds between redraws of a bar written to a file or a pipe.
LOG_INTERVAL = 10.0


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(
    iterable: Iterable | None = None,
    *,
    desc: str,
    total: int | None = None,
    initial: int = 0,
    disable: bool = False,
) -> tqdm:
    """A tqdm bar on ``sys.stderr``: nested lines on a terminal or in a notebook, one line
    without cursor movement and few redraws elsewhere."""
    stream = sys.stderr
    notebook = any(c.__module__ == "tqdm.notebook" for c in tqdm.__mro__)  # tqdm.auto's choice
    if notebook or _is_terminal(stream):
        return tqdm(iterable, desc=desc, total=total, initial=initial, disable=disable)
    return plain_tqdm(
        iterable, desc=desc, total=total, initial=initial, disable=disable, file=stream,
        position=0, mininterval=LOG_INTERVAL, ascii=True,
    )  # fmt: skip
