"""Sliding windows as views, and the standard LTSF train/validation/test borders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def sliding_windows(array: np.ndarray, length: int, stride: int = 1) -> np.ndarray:
    """Every window of ``length`` consecutive rows, as a view (no copy).

    Parameters
    ----------
    array : ndarray, shape (T, C)
    length : int
        Window length ``W``.
    stride : int
        Step between window starts.

    Returns
    -------
    ndarray, shape (N, W, C)
        ``N = (T - W) // stride + 1`` windows; window ``k`` is ``array[k*stride : k*stride + W]``.
    """
    if length > len(array):
        raise ValueError(f"window length {length} exceeds the {len(array)} rows available")
    view = sliding_window_view(array, length, axis=0)  # (T-W+1, C, W)
    return view[::stride].swapaxes(1, 2)


@dataclass(frozen=True)
class Borders:
    """Row ranges ``[start, end)`` of the train, validation and test parts.

    Validation and test start ``context_length`` rows before their first forecast origin, as the
    LTSF protocol does, so their first window's context is the end of the previous part.
    """

    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]

    @property
    def test_origin(self) -> int:
        """Row of the first forecast origin in the test part."""
        return self.test[0] + self._context

    @property
    def val_origin(self) -> int:
        return self.val[0] + self._context

    _context: int = 0


def ltsf_borders(n_rows: int, context_length: int, scheme: str) -> Borders:
    """The standard LTSF splits (Informer/Autoformer loaders).

    Parameters
    ----------
    n_rows : int
        Rows in the dataset.
    context_length : int
        Lookback ``L``.
    scheme : {"ett_hour", "ett_minute", "ratio"}
        ``ett_hour``: 12/4/4 months of hourly rows (train [0, 8640), val [8640-L, 11520),
        test [11520-L, 14400)); ``ett_minute``: the same times 4; ``ratio``: 70/10/20 with the
        test part taken from the end.
    """
    if scheme in ("ett_hour", "ett_minute"):
        k = 4 if scheme == "ett_minute" else 1
        month = 30 * 24 * k
        a, b, c = 12 * month, 16 * month, 20 * month
        if n_rows < c:
            raise ValueError(f"the {scheme} split needs {c} rows, the data has {n_rows}")
    elif scheme == "ratio":
        n_train, n_test = int(n_rows * 0.7), int(n_rows * 0.2)
        a, c = n_train, n_rows
        b = n_rows - n_test
    else:
        raise ValueError(f"scheme must be 'ett_hour', 'ett_minute' or 'ratio', got {scheme!r}")
    L = context_length
    return Borders(train=(0, a), val=(a - L, b), test=(b - L, c), _context=L)
