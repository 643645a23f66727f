"""Time axes tsfm reads besides a DatetimeIndex: periods and date strings.

Inside tsfm every series is indexed by timestamps. :func:`as_timestamps` converts the other
time axes users hold before validation:

* a ``PeriodIndex`` (a Series or a wide frame), or a ``Period`` column (``ds`` of a long frame):
  each period becomes the timestamp of its start, and the period frequency is recorded
  (``DataSpec.periods``) so that forecasts come back as periods of the same frequency
  (:func:`as_periods`);
* date strings (``"2024-01-31"``, ``"2024-01-31 13:00"``), in the index or the time column:
  parsed by ``pd.to_datetime``; forecasts then carry timestamps.
"""

from __future__ import annotations

import warnings

import pandas as pd

from tsfm.data.undated import STEPS, positions


def as_timestamps(data, time_col: str) -> tuple[pd.Series | pd.DataFrame, str | None]:
    """``data`` with its time axis as timestamps, and the period frequency it had (or None).

    Parameters
    ----------
    data : pd.Series or pd.DataFrame
        A Series or wide frame (the time axis is the index) or a long frame (the time axis is
        the column ``time_col``). Other input is returned as it is.
    time_col : str
        The time column of a long frame.

    Returns
    -------
    data : pd.Series or pd.DataFrame
        A shallow copy with converted timestamps, or ``data`` itself when nothing changed.
    periods : str or None
        The frequency of the periods given (e.g. ``"M"``, ``"Q-DEC"``), None for other input.

    Raises
    ------
    ValueError
        For date strings pandas cannot read, naming the column (or the index) and a value.
    """
    if isinstance(data, pd.DataFrame) and time_col in data.columns:
        times, converted, periods = _converted(data[time_col], f"column {time_col!r}")
        if converted is None:
            return data, None
        data = data.copy(deep=False)
        data[time_col] = converted
        return data, periods
    if isinstance(data, (pd.Series, pd.DataFrame)):
        _, converted, periods = _converted(data.index, "the index")
        if converted is not None:
            return data.set_axis(pd.DatetimeIndex(converted)), periods
    return data, None


def as_periods(stamps: pd.DatetimeIndex, periods: str | None, freq=None) -> pd.Index:
    """``stamps`` as periods of frequency ``periods`` (from :func:`as_timestamps`), as
    positions when ``periods`` is :data:`~tsfm.data.undated.STEPS` (stand-in timestamps of
    ``freq``), or as they are when ``periods`` is None."""
    if periods == STEPS:
        return positions(stamps, freq)
    return stamps if periods is None else stamps.to_period(periods)


def _converted(times, where: str):
    """``(times, converted, periods)``: ``converted`` is None when ``times`` needs nothing."""
    if isinstance(times.dtype, pd.PeriodDtype):
        periods = times.array.freqstr  # "M", "Q-DEC": the period alias
        stamps = times.to_timestamp() if isinstance(times, pd.Index) else times.dt.to_timestamp()
        return times, stamps, periods
    if not _strings(times):
        return times, None, None
    try:
        with warnings.catch_warnings():  # pandas falls back to dateutil per element: fine here
            warnings.filterwarnings("ignore", "Could not infer format")
            return times, pd.to_datetime(times), None
    except (ValueError, TypeError) as error:
        example = next(iter(times))
        raise ValueError(
            f"{where} holds strings that are not dates pandas can read (e.g. {example!r}): "
            f"{str(error).splitlines()[0]}; convert it with pd.to_datetime(..., format=...)"
        ) from None


def _strings(times) -> bool:
    """Whether ``times`` (an Index or Series) holds only strings."""
    return len(times) > 0 and pd.api.types.infer_dtype(times, skipna=False) == "string"
