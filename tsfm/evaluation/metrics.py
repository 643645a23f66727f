"""Forecast accuracy metrics, defined as gluonts and the M4 competition define them.

Every function reduces over all elements of its inputs (e.g. windows x steps of one series), so
callers choose the grouping. Percentages (MAPE, sMAPE) are in percent, as the M4 figures are.
"""

from __future__ import annotations

import numpy as np


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean squared error."""
    return float(np.mean((y - y_hat) ** 2))


def mae(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(y - y_hat)))


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(mse(y, y_hat)))


def mape(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute percentage error, in percent: ``100 * mean(|y - y_hat| / |y|)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(100.0 * np.mean(np.abs(y - y_hat) / np.abs(y)))


def smape(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Symmetric MAPE, in percent (M4): ``200 * mean(|y - y_hat| / (|y| + |y_hat|))``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(200.0 * np.mean(np.abs(y - y_hat) / (np.abs(y) + np.abs(y_hat))))


def point_forecast(outputs: dict) -> np.ndarray:
    """The point forecast point metrics score: ``outputs["median"]`` where a model gives one
    (sample- and quantile-based models whose point forecast is the median), else
    ``outputs["mean"]``.

    The ``mean`` output is always a mean (of the samples or the predicted distribution, or
    a point model's forecast), never a median under that name.
    """
    return outputs["median"] if "median" in outputs else outputs["mean"]


def data_season(freq) -> int:
    """MASE's seasonal lag for data of frequency ``freq``: gluonts' seasonality of it, as the
    M4 competition and gluonts' evaluator use (24 hourly, 96 for 15 minutes, 12 monthly,
    4 quarterly; 1 for daily, weekly and yearly data).

    It is a property of the data, never of a model, so that MASE means the same for every
    model scored on the same data.
    """
    from gluonts.time_feature import get_seasonality

    if freq is None:
        return 1
    return int(get_seasonality(getattr(freq, "freqstr", freq)))


def seasonal_scale(history: np.ndarray, season_length: int = 1) -> float:
    """MASE scale: mean absolute seasonal difference of the in-sample history.

    Uses lag 1 when the history is not longer than ``season_length`` (as gluonts does).
    """
    m = season_length if len(history) > season_length else 1
    return float(np.mean(np.abs(history[m:] - history[:-m])))


def mase(y: np.ndarray, y_hat: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: ``mae / scale`` (scale from :func:`seasonal_scale`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(np.abs(y - y_hat)) / scale)


def quantile_loss(y: np.ndarray, y_q: np.ndarray, q: float) -> float:
    """Summed quantile (pinball) loss, times two: ``2 * sum(|(y - y_q) * (1{y <= y_q} - q)|)``."""
    return float(2.0 * np.sum(np.abs((y - y_q) * ((y <= y_q) - q))))


def weighted_quantile_loss(y: np.ndarray, y_q: np.ndarray, q: float) -> float:
    """Quantile loss divided by ``sum(|y|)``."""
    return quantile_loss(y, y_q, q) / float(np.sum(np.abs(y)))


def coverage(y: np.ndarray, y_q: np.ndarray) -> float:
    """Share of observations below the quantile forecast ``y_q`` (ideal: its level)."""
    return float(np.mean(y < y_q))


def interval_coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of observations inside ``[lower, upper]``."""
    return float(np.mean((y >= lower) & (y <= upper)))


def crps_samples(y: np.ndarray, samples: np.ndarray, reduce: bool = True):
    """Continuous ranked probability score from samples, averaged over observations.

    ``CRPS = E|X - y| - 0.5 E|X - X'|``, computed exactly for the empirical distribution of the
    samples in ``O(n log n)`` per observation via sorted samples.

    Parameters
    ----------
    y : ndarray, shape (...,)
    samples : ndarray, shape (n_samples, ...)
    reduce : bool
        Average over observations (a float); ``False`` gives the CRPS of each, shaped like ``y``.
    """
    n = samples.shape[0]
    term1 = np.mean(np.abs(samples - y[None]), axis=0)
    s = np.sort(samples, axis=0)
    weights = (2 * np.arange(1, n + 1) - n - 1).reshape((n,) + (1,) * y.ndim)
    term2 = np.sum(weights * s, axis=0) / (n * n)
    return float(np.mean(term1 - term2)) if reduce else term1 - term2


POINT_METRICS = {"mse": mse, "mae": mae, "rmse": rmse, "mape": mape, "smape": smape}
