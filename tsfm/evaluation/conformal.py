"""Conformal quantiles for point forecasters, so that a backtest scores every model's intervals.

A point forecaster (``probabilistic`` False: the neural models with a point head) gives no
quantiles. Here each series' point forecasts of the :data:`CALIBRATION_WINDOWS` most recent
complete windows before the first cutoff it is scored at are compared with what happened, and
per horizon step and channel the signed errors' order statistics give the quantiles (split
conformal prediction; Vovk, Gammerman and Shafer 2005, Lei et al. 2018, one calibration set
per step as in Stankeviciute et al. 2021)::

    q_level(t + h) = point(t + h) + e_(k),   e = y - point over the calibration windows,

with ``k = ceil((n + 1) level)`` for a level of at least 0.5 and ``floor((n + 1) level)``
below, so that each bound covers at least its level (exchangeable errors). A level needs
enough windows (:func:`min_windows`: 9 for 0.1 and 0.9): with fewer, its quantile is NaN,
a stated blank, never a guess.

The calibration windows lie in the history the model was fitted on (in-sample errors): for a
model that overfits, the intervals come out too narrow, and the backtest's ``coverage_<level>``
columns show by how much.

This is the only interval calibration of point forecasts; sample-based models calibrate
their own spread on validation windows (``calibrate_intervals=True``, a model option:
:mod:`tsfm.models.calibration`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: Calibration windows per series (step 1, the most recent before the first cutoff).
CALIBRATION_WINDOWS = 50


def rank(n: int, level: float) -> int | None:
    """1-based order statistic of ``n`` errors giving the ``level`` quantile, or None when
    ``n`` errors are too few for it."""
    k = math.ceil((n + 1) * level) if level >= 0.5 else math.floor((n + 1) * level)
    return k if 1 <= k <= n else None


def min_windows(levels: Sequence[float]) -> int:
    """Fewest calibration windows giving every level a quantile."""
    n = 1
    while any(rank(n, q) is None for q in levels):
        n += 1
    return n


def error_quantiles(errors: np.ndarray, levels: Sequence[float]) -> dict[float, np.ndarray]:
    """Per level, the conformal quantile of ``errors`` ``(n, H, C)`` over axis 0: ``(H, C)``,
    NaN when ``n`` is too small for the level."""
    ordered = np.sort(errors, axis=0)
    out = {}
    for q in levels:
        k = rank(len(errors), q)
        out[q] = ordered[k - 1] if k else np.full(errors.shape[1:], np.nan)
    return out


def calibration_windows(
    first_origins: np.ndarray, horizon: int, need: int, windows: int = CALIBRATION_WINDOWS
) -> tuple[np.ndarray, np.ndarray]:
    """Series positions and origin rows of the calibration windows: per series the last
    ``windows`` origins (step 1) whose ``horizon`` targets end by its first scored origin, each
    with at least ``need`` rows of history."""
    series, origins = [], []
    for i, first in enumerate(first_origins):
        t = np.arange(max(need, first - horizon - windows + 1), first - horizon + 1)
        series.append(np.full(len(t), i))
        origins.append(t)
    return np.concatenate(series).astype(int), np.concatenate(origins).astype(int)


def conformal_quantiles(
    point: np.ndarray,
    series: np.ndarray,
    calibration_series: np.ndarray,
    calibration_errors: np.ndarray,
    levels: Sequence[float],
) -> dict[str, np.ndarray]:
    """Quantile forecasts ``"q<level>"`` ``(n, H, C)`` from point forecasts ``(n, H, C)`` of
    windows of series ``series`` ``(n,)``, given the calibration windows' series and errors
    ``(m, H, C)``."""
    out = {f"q{q}": np.full_like(point, np.nan) for q in levels}
    for i in np.unique(series):
        rows = series == i
        shifts = error_quantiles(calibration_errors[calibration_series == i], levels)
        for q in levels:
            out[f"q{q}"][rows] = point[rows] + shifts[q]
    return out


def calibrated_outputs(
    forecast: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    point: np.ndarray,
    series: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    need: int,
    levels: Sequence[float],
    chunk: int,
) -> dict[str, np.ndarray]:
    """Conformal ``"q<level>"`` outputs for windows ``(series, origins)`` with point forecasts
    ``point`` ``(n, H, C)``.

    Parameters
    ----------
    forecast : callable
        ``forecast(series, origins)`` to the point forecasts and the targets, each
        ``(m, H, C)``, of those windows.
    need : int
        Fewest rows of history a window needs.
    chunk : int
        Calibration windows forecast at once (bounds memory).
    """
    firsts = np.array([origins[series == i].min() if (series == i).any() else 0
                       for i in range(int(series.max()) + 1)])  # fmt: skip
    cal_series, cal_origins = calibration_windows(firsts, horizon, need)
    errors = np.empty((len(cal_series),) + point.shape[1:])
    for start in range(0, len(cal_series), chunk):
        part = slice(start, start + chunk)
        predicted, target = forecast(cal_series[part], cal_origins[part])
        errors[part] = target - predicted
    return conformal_quantiles(point, series, cal_series, errors, levels)
