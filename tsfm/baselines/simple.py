"""Benchmark methods that need no estimation: Naive, SeasonalNaive, WindowAverage, Drift.

All are vectorised over a batch of left-padded contexts ``(N, L, C)``. Quantiles come from a
normal distribution around the point forecast with the textbook h-step standard deviations
(Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., section 5.5), where
``sigma`` is the root mean square of the method's one-step in-sample residuals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

from tsfm.base import BaseForecaster
from tsfm.params import POSITIVE


def normal_quantiles(
    mean: np.ndarray, sd: np.ndarray, quantiles: Sequence[float] | None
) -> dict[str, np.ndarray]:
    """``{"mean": mean, "q<level>": mean + z_level * sd}``, refusing undefined spreads.

    Parameters
    ----------
    mean, sd : ndarray, shape (N, H, C)
    """
    out = {"mean": mean}
    if quantiles:
        if not np.isfinite(sd).all():
            raise ValueError(
                "a series has too few observations to estimate the forecast spread for quantiles"
            )
        for q in quantiles:
            out[f"q{q}"] = mean + norm.ppf(q) * sd
    return out


def _rms(residuals: np.ndarray) -> np.ndarray:
    """Root mean square over axis 1, ignoring NaN (NaN if none): ``(N, T, C) -> (N, C)``."""
    count = np.sum(~np.isnan(residuals), axis=1)
    total = np.nansum(residuals**2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.sqrt(total / np.maximum(count, 1)), np.nan)


def naive(context: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Last value; ``sd_h = sigma * sqrt(h)``. Returns mean and sd, each ``(N, H, C)``."""
    h = np.arange(1, horizon + 1)[None, :, None]
    sigma = _rms(np.diff(context, axis=1))[:, None, :]
    mean = np.repeat(context[:, -1:, :], horizon, axis=1)
    return mean, sigma * np.sqrt(h)


def seasonal_naive(context: np.ndarray, horizon: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Value one season earlier; ``sd_h = sigma * sqrt(floor((h - 1) / m) + 1)``."""
    steps = np.arange(horizon)
    mean = context[:, context.shape[1] - m + steps % m, :]
    sigma = _rms(context[:, m:] - context[:, :-m])[:, None, :]
    return mean, sigma * np.sqrt(steps // m + 1)[None, :, None]


def drift(context: np.ndarray, mask: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Line through the first and last observation; ``sd_h = sigma * sqrt(h (1 + h / (T - 1)))``."""
    n_obs = mask.sum(axis=1)  # (N,)
    first = context[np.arange(len(context)), context.shape[1] - n_obs, :]  # (N, C)
    last = context[:, -1, :]
    span = np.maximum(n_obs - 1, 1)[:, None]
    slope = (last - first) / span
    h = np.arange(1, horizon + 1)[None, :, None]
    mean = last[:, None, :] + h * slope[:, None, :]
    sigma = _rms(np.diff(context, axis=1) - slope[:, None, :])[:, None, :]
    sd = sigma * np.sqrt(h * (1 + h / span[:, None, :]))
    return mean, sd


def window_average(context: np.ndarray, horizon: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the last ``k`` values; ``sd = s * sqrt(1 + 1/k)``, ``s`` their standard deviation."""
    window = context[:, -k:, :]
    level = window.mean(axis=1, keepdims=True)
    s = window.std(axis=1, ddof=1, keepdims=True) if k > 1 else np.full_like(level, np.nan)
    return np.repeat(level, horizon, axis=1), np.repeat(s * np.sqrt(1 + 1 / k), horizon, axis=1)


class _Benchmark(BaseForecaster):
    """Shared plumbing: nothing to learn, forecasts computed from each context."""

    probabilistic = True
    local = True
    _parameter_constraints = {"prediction_length": POSITIVE, "context_length": POSITIVE | None}

    def __init__(self, prediction_length: int = 1, context_length: int | None = None):
        self.prediction_length = prediction_length
        self.context_length = context_length
        self._check_params()

    def _fit(self, panel, validation=None) -> None:
        self.n_series_ = panel.n_series


class Naive(_Benchmark):
    """Last observed value.

    Parameters
    ----------
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history used (for the residual spread); default all.
    """

    def _predict_batch(self, context, mask, horizon, quantiles):
        return normal_quantiles(*naive(context, horizon), quantiles)


class SeasonalNaive(_Benchmark):
    """Value of the same season in the last observed cycle.

    Parameters
    ----------
    season_length : int
        Period ``m`` (24 for hourly data with a daily cycle).
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history used; default all.
    """

    _parameter_constraints = {**_Benchmark._parameter_constraints, "season_length": POSITIVE}

    def __init__(
        self, season_length: int = 1, prediction_length: int = 1, context_length: int | None = None
    ):
        self.season_length = season_length
        self.prediction_length = prediction_length
        self.context_length = context_length
        self._check_params()

    def _min_length(self) -> int:
        return self.season_length

    @classmethod
    def _test_params(cls) -> dict:
        return {"season_length": 24, "prediction_length": 12}

    def _predict_batch(self, context, mask, horizon, quantiles):
        return normal_quantiles(*seasonal_naive(context, horizon, self.season_length), quantiles)


class WindowAverage(_Benchmark):
    """Mean of the last ``window_size`` values.

    Parameters
    ----------
    window_size : int
        Values averaged.
    prediction_length : int
        Default horizon.
    """

    _parameter_constraints = {"window_size": POSITIVE, "prediction_length": POSITIVE}

    def __init__(self, window_size: int = 1, prediction_length: int = 1):
        self.window_size = window_size
        self.prediction_length = prediction_length
        self._check_params()

    @property
    def context_length(self) -> int:
        return self.window_size

    def _min_length(self) -> int:
        return self.window_size

    @classmethod
    def _test_params(cls) -> dict:
        return {"window_size": 24, "prediction_length": 12}

    def _predict_batch(self, context, mask, horizon, quantiles):
        return normal_quantiles(*window_average(context, horizon, self.window_size), quantiles)


class Drift(_Benchmark):
    """Random walk with drift: the line through the first and last value of the context.

    Parameters
    ----------
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history used; default all.
    """

    def _min_length(self) -> int:
        return 2

    def _predict_batch(self, context, mask, horizon, quantiles):
        return normal_quantiles(*drift(context, mask, horizon), quantiles)
