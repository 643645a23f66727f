"""Training windows over a panel, as ``unfold`` views of one contiguous tensor.

All series are concatenated into one ``(sum T_i, C)`` float32 tensor; a window of ``L + H``
rows is a start offset into it. Starts never cross a series boundary. A batch is one gather
from the ``unfold`` view, so no window is ever materialised except the batch being used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch


class WindowSet:
    """Every window of ``context_length + horizon`` rows of some series.

    Parameters
    ----------
    arrays : sequence of ndarray
        Series ``(T_i, C)``, already scaled.
    context_length, horizon : int
        ``L`` and ``H``.
    first_origin : sequence of int, optional
        Per series, the smallest forecast origin (row of the first target step) to include;
        default ``L`` (the first complete window).
    """

    def __init__(
        self,
        arrays: Sequence[np.ndarray],
        context_length: int,
        horizon: int,
        first_origin: Sequence[int] | None = None,
    ):
        self.context_length, self.horizon = context_length, horizon
        width = context_length + horizon
        self.series = torch.from_numpy(np.concatenate(arrays).astype(np.float32))
        starts, offset = [], 0
        for i, a in enumerate(arrays):
            first = context_length if first_origin is None else max(first_origin[i], context_length)
            origins = np.arange(first, len(a) - horizon + 1)
            starts.append(offset + origins - context_length)
            offset += len(a)
        self.starts = torch.from_numpy(np.concatenate(starts).astype(np.int64))
        if len(self.series) >= width:
            self._view = self.series.unfold(0, width, 1)  # (T_total - width + 1, C, width)
        else:
            self._view = self.series.new_zeros((0, self.series.shape[1], width))

    def __len__(self) -> int:
        return len(self.starts)

    def digest(self) -> str:
        """sha256 of the windows: the series' values, the window starts, ``L`` and ``H``."""
        h = hashlib.sha256(f"{self.context_length},{self.horizon},{self.series.shape}".encode())
        h.update(np.ascontiguousarray(self.series.numpy()).data)
        h.update(np.ascontiguousarray(self.starts.numpy()).data)
        return h.hexdigest()

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows ``index`` as ``x (B, L, C)`` and ``y (B, H, C)``."""
        windows = self._view[self.starts[index]].transpose(1, 2)  # (B, L+H, C), one gather
        return windows[:, : self.context_length], windows[:, self.context_length :]
