"""Series without dates: numpy arrays, lists and integer-indexed Series.

Users often hold a series as plain numbers. Inside tsfm every series is indexed by timestamps,
so :func:`dated` gives undated input stand-in timestamps, one step of a stand-in frequency per
position (weekly by default: a season length of 1 for every model; ``freq=`` chooses another,
and with it the season the models assume), and :func:`positions` maps forecast timestamps back
to positions: the forecast of a series of ``n`` values is indexed ``n, n + 1, ...`` (an
integer-indexed Series continues its own index).

Accepted shapes:

* a 1-d array or list of numbers, or a Series with an integer index: one series, forecast as a
  Series input is (a frame indexed by ``step``); a wide frame with an integer index: one
  multivariate series, forecast as a wide frame indexed by ``step``;
* a 2-d array (series x time), or a list of 1-d arrays or lists (lengths may differ): several
  series, forecast as a long frame with columns ``unique_id`` (0, 1, ...), ``step``, outputs.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: The name of the position axis of undated input and its forecasts.
STEP = "step"
#: ``DataSpec.periods`` of undated input: forecasts are labelled by positions.
STEPS = "steps"
#: Stand-in frequency when ``freq`` is not given (season length 1 for every model).
UNDATED_FREQ = "W-SUN"
#: The stand-in time axis starts early, so that long series and horizons fit pandas' range.
START = pd.Timestamp("1678-01-01")


def is_undated(data, time_col: str = "ds", id_col: str = "unique_id") -> bool:
    """Whether ``data`` is undated input: an array, a list, an integer-indexed Series, or a
    wide frame with an integer index (a frame with a time or id column is a long frame)."""
    if isinstance(data, pd.DataFrame):
        wide = time_col not in data.columns and id_col not in data.columns
        return wide and len(data) > 0 and pd.api.types.is_integer_dtype(data.index)
    if isinstance(data, pd.Series):
        return len(data) > 0 and pd.api.types.is_integer_dtype(data.index)
    return isinstance(data, (list, tuple, np.ndarray))


def dated(data, freq: str, id_col: str) -> pd.Series | pd.DataFrame:
    """Undated ``data`` on the stand-in time axis of ``freq``.

    Returns
    -------
    pd.Series or pd.DataFrame
        One series: a Series indexed by stand-in timestamps. Several: a long frame with
        columns ``id_col`` (0, 1, ...), :data:`STEP` (stand-in timestamps) and ``y``.

    Raises
    ------
    TypeError, ValueError
        For values that are not numbers, an empty or 3-d array, negative positions, or a series
        too long for the stand-in axis, naming the series.
    """
    if isinstance(data, (pd.Series, pd.DataFrame)):  # an integer index: positions
        steps = data.index.to_numpy()
        if steps.min() < 0:
            raise ValueError(f"an integer index counts steps from 0; got {steps.min()}")
        _check_stride(steps)
        return data.set_axis(_stamps(steps, freq))
    series = _split(data)
    if len(series) == 1 and (np.ndim(data) == 1 and not _nested(data)):
        return pd.Series(series[0], index=_stamps(np.arange(len(series[0])), freq))
    frames = [
        pd.DataFrame({id_col: i, STEP: _stamps(np.arange(len(x)), freq), "y": x})
        for i, x in enumerate(series)
    ]
    return pd.concat(frames, ignore_index=True)


def positions(stamps: pd.DatetimeIndex, freq) -> pd.Index:
    """The positions ``(n,)`` of stand-in timestamps of frequency ``freq``."""
    grid = pd.date_range(START, stamps.max(), freq=freq)
    return pd.Index(grid.get_indexer(stamps), name=STEP)


def in_positions(message: str, freq) -> str:
    """``message`` with every stand-in timestamp of ``freq`` in it replaced by its position
    (a data error about undated input names positions, never the stand-in dates)."""

    def position(match: re.Match) -> str:
        stamp = pd.Timestamp(match.group(1))
        return f"position {positions(pd.DatetimeIndex([stamp]), freq)[0]}"

    message = re.sub(r" from the \S+ grid", "", message)  # the grid is a stand-in too
    return re.sub(r"(?:timestamp )?(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?)", position, message)


def _nested(data) -> bool:
    return isinstance(data, (list, tuple)) and len(data) > 0 and np.ndim(data[0]) >= 1


def _split(data) -> list[np.ndarray]:
    """Each series of a list of array-likes or of a 1-d / 2-d array as a float array."""
    if _nested(data):
        series = [_numbers(x, f"series {i}") for i, x in enumerate(data)]
    else:
        array = _numbers(data, "the array")
        if array.ndim not in (1, 2):
            raise ValueError(
                "an array must be 1-d (one series) or 2-d (series x time), or a list of 1-d "
                f"arrays; got shape {array.shape}"
            )
        series = list(array) if array.ndim == 2 else [array]
    if len(series) == 0 or (len(series) == 1 and np.size(series[0]) == 0):
        raise ValueError(
            f"the input holds no values (an empty array or list, shape {np.shape(data)})"
        )
    for i, values in enumerate(series):
        if values.ndim != 1 or len(values) == 0:
            raise ValueError(f"series {i} must be a non-empty 1-d array, got shape {values.shape}")
    return series


def _numbers(values, name: str) -> np.ndarray:
    """``values`` as a float array, refusing strings, booleans, objects and infinities."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        kind = {"b": "booleans", "U": "strings", "S": "bytes", "O": "objects"}.get(
            array.dtype.kind, f"{array.dtype} values"
        )
        raise TypeError(f"{name} holds {kind}; numbers were expected")
    array = array.astype(float)
    infinite = np.flatnonzero(np.isinf(array.reshape(-1)))
    if len(infinite):
        raise ValueError(
            f"{name} has an infinite value at position {infinite[0]}; finite numbers were "
            "expected (NaN marks a missing value)"
        )
    return array


def _check_stride(steps: np.ndarray) -> None:
    """Refuse an increasing integer index whose every step is a multiple of one stride above 1
    (0, 2, 4, ...): read as positions, every other position would be a gap (made up by a fill
    policy) and the forecast would continue one position at a time."""
    diffs = np.diff(np.asarray(steps).astype(np.int64))  # unsigned steps would wrap around
    if len(diffs) < 2 or (diffs <= 0).any():
        return  # too short to tell, or unsorted or repeated: named by the timestamp checks
    stride = int(np.gcd.reduce(diffs))
    if stride > 1:
        shown = ", ".join(str(v) for v in steps[:3])
        raise ValueError(
            f"an integer index counts positions one step apart, but this one steps by {stride} "
            f"({shown}, ...): the positions between would be gaps. Number the values 0, 1, 2, "
            "... (e.g. series.reset_index(drop=True)), or give them dates"
        )


def _stamps(steps: np.ndarray, freq: str) -> pd.DatetimeIndex:
    """Stand-in timestamps of positions ``steps``."""
    try:
        grid = pd.date_range(START, periods=int(steps.max()) + 1, freq=freq)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise ValueError(
            f"a series without dates of {int(steps.max()) + 1} steps does not fit pandas' "
            f"time range at freq={freq!r}; give it dates (a DatetimeIndex) or a finer freq"
        ) from None
    return grid[steps]
