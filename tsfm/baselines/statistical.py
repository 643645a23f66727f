"""ETS, ARIMA and Theta from statsmodels, fit per series and channel, in parallel with joblib.

Each fit is checked: if statsmodels raises, or the forecast is not finite, or it leaves the band
``[min(y) - 5 R, max(y) + 5 R]`` (``R`` the range of the history), the series falls back to
SeasonalNaive (when ``season_length > 1`` and a full season exists) or Naive, and the fitted
attribute ``fallbacks_`` says which series fell back and why. Quantiles are normal around the
point forecast with the model's own h-step variance.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from tsfm.base import BaseForecaster
from tsfm.baselines.simple import naive, normal_quantiles, seasonal_naive
from tsfm.data.panel import left_pad_stack
from tsfm.params import POSITIVE, Integer

#: Half-width of the plausible band around the history, in multiples of its range.
EXPLOSION_RANGES = 5.0


@dataclass
class SeriesForecast:
    """One univariate forecast: mean and sd ``(H,)``, the model used, and a fallback reason."""

    mean: np.ndarray
    sd: np.ndarray
    model: str
    fallback: str | None = None


def forecast_with_fallback(
    fit_forecast: Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray, str]],
    y: np.ndarray,
    horizon: int,
    season_length: int,
) -> SeriesForecast:
    """Run ``fit_forecast(y, horizon, season_length)``; fall back on failure or explosion."""
    try:
        # record=True swallows statsmodels' warnings even where it resets the filters itself
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("ignore")
            mean, sd, model = fit_forecast(y, horizon, season_length)
        mean, sd = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)
        reason = _implausible(y, mean, sd)
    except Exception as err:  # statsmodels raises many kinds: any failure falls back
        reason = f"fit failed: {type(err).__name__}: {err}"
    if reason is None:
        return SeriesForecast(mean, sd, model)
    context = y[None, :, None]
    if season_length > 1 and len(y) >= season_length:
        mean, sd = seasonal_naive(context, horizon, season_length)
        model = f"SeasonalNaive({season_length})"
    else:
        mean, sd = naive(context, horizon)
        model = "Naive"
    return SeriesForecast(mean[0, :, 0], sd[0, :, 0], model, reason)


def _implausible(y: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> str | None:
    if not (np.isfinite(mean).all() and np.isfinite(sd).all()):
        return "non-finite forecast or variance"
    span = float(y.max() - y.min())
    slack = EXPLOSION_RANGES * span + 1e-8 * (1 + float(np.abs(y).max()))
    if mean.min() < y.min() - slack or mean.max() > y.max() + slack:
        return f"forecast left the band of {EXPLOSION_RANGES:g} history ranges"
    return None


class _PerSeriesModel(BaseForecaster):
    """Fits a statsmodels model to every series and channel of each context.

    Subclasses share these hyperparameters (documented on each class) and write
    ``_fit_forecast``.
    """

    probabilistic = True
    local = True
    _parameter_constraints = {
        "season_length": POSITIVE,
        "prediction_length": POSITIVE,
        "context_length": POSITIVE | None,
        "n_jobs": POSITIVE | Integer(None, -1) | None,  # joblib's: -1 is every core
    }

    def __init__(
        self,
        season_length: int = 1,
        prediction_length: int = 1,
        context_length: int | None = None,
        n_jobs: int | None = None,
    ):
        self.season_length = season_length
        self.prediction_length = prediction_length
        self.context_length = context_length
        self.n_jobs = n_jobs
        self._check_params()

    def _fit_forecast(self, y: np.ndarray, horizon: int, m: int):
        raise NotImplementedError

    def _min_length(self) -> int:
        return 3

    @classmethod
    def _test_params(cls) -> dict:
        return {"season_length": 24, "prediction_length": 12, "context_length": 96}

    def _forecast_all(self, context, mask, horizon) -> list[list[SeriesForecast]]:
        n, _, n_channels = context.shape
        jobs = (
            delayed(forecast_with_fallback)(
                self._fit_forecast, context[i, mask[i], c], horizon, self.season_length
            )
            for i in range(n)
            for c in range(n_channels)
        )
        flat = Parallel(n_jobs=self.n_jobs)(jobs)
        return [flat[i * n_channels : (i + 1) * n_channels] for i in range(n)]

    def _fit(self, panel, validation=None) -> None:
        context, mask = left_pad_stack(panel.values, self._context_rows(panel))
        results = self._forecast_all(context, mask, self.prediction_length)
        self.selected_ = {}
        self.fallbacks_ = {}
        for sid, per_channel in zip(panel.ids, results):
            for channel, r in zip(panel.spec.targets, per_channel):
                key = sid if panel.spec.layout == "long" else channel
                self.selected_[key] = r.model
                if r.fallback:
                    self.fallbacks_[key] = f"{r.model} used: {r.fallback}"
        if self.fallbacks_:
            warnings.warn(
                f"{type(self).__name__}: {len(self.fallbacks_)} series fell back to a simpler "
                "model; see fallbacks_",
                stacklevel=3,
            )

    def _predict_batch(self, context, mask, horizon, quantiles):
        results = self._forecast_all(context, mask, horizon)
        mean = np.array([[r.mean for r in row] for row in results]).transpose(0, 2, 1)
        sd = np.array([[r.sd for r in row] for row in results]).transpose(0, 2, 1)
        return normal_quantiles(mean, sd, quantiles)

    def _fitted_state(self):
        return {"selected_": self.selected_, "fallbacks_": self.fallbacks_}, {}

    def _load_fitted_state(self, meta, arrays):
        self.selected_ = meta["selected_"]
        self.fallbacks_ = meta["fallbacks_"]


class ETS(_PerSeriesModel):
    """Exponential smoothing (statsmodels ``ETSModel``), chosen by AIC per series.

    The grid: additive errors; trend none, additive or additive damped; seasonality none or
    additive (the latter when ``season_length > 1`` and the history holds two full seasons).
    Initial states by statsmodels' heuristic when the history allows it (at least 10 points and
    two seasons), else estimated. Multiplicative forms are left out: they need positive data.

    Parameters
    ----------
    season_length : int
        Seasonal period ``m``; 1 for none.
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history each fit uses; default all.
    n_jobs : int, optional
        joblib workers over series (``-1``: all cores).
    """

    def _fit_forecast(self, y, horizon, m):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        seasonal = m > 1 and len(y) >= 2 * m
        init = "heuristic" if len(y) >= max(10, 2 * m if seasonal else 0) else "estimated"
        endog = pd.Series(y)
        best, best_aic, best_name = None, np.inf, ""
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for season in ("add", None) if seasonal else (None,):
                model = ETSModel(
                    endog,
                    error="add",
                    trend=trend,
                    damped_trend=damped,
                    seasonal=season,
                    seasonal_periods=m if season else None,
                    initialization_method=init,
                )
                result = model.fit(disp=False)
                if np.isfinite(result.aic) and result.aic < best_aic:
                    t = "N" if trend is None else ("Ad" if damped else "A")
                    best, best_aic, best_name = (
                        result,
                        result.aic,
                        f"ETS(A,{t},{'A' if season else 'N'})",
                    )
        if best is None:
            raise ValueError("no ETS candidate gave a finite AIC")
        pred = best.get_prediction(start=len(y), end=len(y) + horizon - 1)
        return np.asarray(pred.predicted_mean), np.sqrt(np.asarray(pred.var_pred_mean)), best_name


class ARIMA(_PerSeriesModel):
    """Non-seasonal ARIMA (statsmodels), order chosen per series.

    ``d`` is the number of differences after which the KPSS test (level, 5%) no longer rejects
    stationarity, at most 2; then ``p, q in {0, 1, 2}`` are searched by AIC, with a constant
    when ``d = 0`` and a drift when ``d = 1``. Seasonality is not modelled: prefer ETS or Theta
    for seasonal data.

    Parameters
    ----------
    season_length : int
        Only used for the fallback (SeasonalNaive) and MASE.
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history each fit uses; default all.
    n_jobs : int, optional
        joblib workers over series.
    """

    def _fit_forecast(self, y, horizon, m):
        from statsmodels.tsa.arima.model import ARIMA as SmARIMA
        from statsmodels.tsa.stattools import kpss

        d, z = 0, y
        while (
            d < 2
            and len(z) > 10
            and np.ptp(z) > 0
            and kpss(z, regression="c", nlags="auto")[1] < 0.05
        ):
            d, z = d + 1, np.diff(z)
        trend = {0: "c", 1: "t", 2: "n"}[d]
        best, best_aic, best_order = None, np.inf, None
        for p in range(3):
            for q in range(3):
                result = SmARIMA(y, order=(p, d, q), trend=trend).fit()
                if np.isfinite(result.aic) and result.aic < best_aic:
                    best, best_aic, best_order = result, result.aic, (p, d, q)
        if best is None:
            raise ValueError("no ARIMA candidate gave a finite AIC")
        forecast = best.get_forecast(horizon)
        name = f"ARIMA{best_order}"
        return (
            np.asarray(forecast.predicted_mean),
            np.sqrt(np.asarray(forecast.var_pred_mean)),
            name,
        )


class Theta(_PerSeriesModel):
    """The Theta method (statsmodels ``ThetaModel``, Assimakopoulos & Nikolopoulos 2000).

    Deseasonalised by classical decomposition when ``season_length > 1``, the history holds two
    seasons and statsmodels' seasonality test says so: multiplicative for a positive history,
    additive where a multiplicative season cannot apply (a value of zero or below). The
    fitted ``selected_`` names the form per series, e.g. ``Theta(additive season 24)``.

    Parameters
    ----------
    season_length : int
        Seasonal period ``m``; 1 for none.
    prediction_length : int
        Default horizon.
    context_length : int, optional
        Rows of history each fit uses; default all.
    n_jobs : int, optional
        joblib workers over series.
    """

    def _fit_forecast(self, y, horizon, m):
        from scipy.stats import norm
        from statsmodels.tsa.forecasting.theta import ThetaModel

        deseasonalize = m > 1 and len(y) >= 2 * m
        method = "multiplicative" if y.min() > 0 else "additive"
        model = ThetaModel(y, period=max(m, 1), deseasonalize=deseasonalize, method=method)
        result = model.fit()
        mean = np.asarray(result.forecast(horizon))
        bands = np.asarray(result.prediction_intervals(horizon, alpha=0.05))
        sd = (bands[:, 1] - bands[:, 0]) / (2 * norm.ppf(0.975))
        if not model._has_seasonality:  # none asked for, or statsmodels' test found none
            return mean, sd, "Theta"
        form = "additive" if model.method == "add" else "multiplicative"
        return mean, sd, f"Theta({form} season {m})"
