"""Statistical baselines: textbook formulas, fallbacks, parallel fits, real-data sanity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import norm

import tsfm
from tsfm.baselines import ETS, Drift, Naive, SeasonalNaive, Theta, WindowAverage
from tsfm.baselines.statistical import forecast_with_fallback

from .conftest import make_long


def _series(values, freq="D"):
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values), freq=freq))


def test_naive_and_drift_by_hand():
    y = np.array([1.0, 3.0, 2.0, 5.0, 6.0])
    out = Naive(prediction_length=3).fit(_series(y)).predict(quantiles=[0.975])
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    np.testing.assert_allclose(out["mean"], 6.0)
    np.testing.assert_allclose(out["q0.975"], 6.0 + norm.ppf(0.975) * sigma * np.sqrt([1, 2, 3]))
    out = Drift(prediction_length=2).fit(_series(y)).predict(quantiles=[0.9])
    slope = (6.0 - 1.0) / 4
    np.testing.assert_allclose(out["mean"], [6 + slope, 6 + 2 * slope])
    resid = np.diff(y) - slope
    sd = np.sqrt(np.mean(resid**2)) * np.sqrt(np.array([1, 2]) * (1 + np.array([1, 2]) / 4))
    np.testing.assert_allclose(out["q0.9"], out["mean"] + norm.ppf(0.9) * sd)


def test_seasonal_naive_and_window_average_by_hand():
    y = np.arange(10.0) % 4 + np.arange(10.0)
    out = SeasonalNaive(season_length=4, prediction_length=6).fit(_series(y)).predict()
    np.testing.assert_allclose(out["mean"], [y[6], y[7], y[8], y[9], y[6], y[7]])
    out = WindowAverage(window_size=3, prediction_length=2).fit(_series(y)).predict(quantiles=[0.5])
    np.testing.assert_allclose(out["mean"], y[-3:].mean())
    np.testing.assert_allclose(out["q0.5"], y[-3:].mean())


def test_short_histories_in_a_batch_use_only_their_own_rows():
    long = make_long(lengths=(100, 30))
    out = Drift(prediction_length=2).fit(long).predict()
    short = long[long["unique_id"] == "s1"]["y"].to_numpy()
    slope = (short[-1] - short[0]) / (len(short) - 1)
    np.testing.assert_allclose(
        out.loc[out["unique_id"] == "s1", "mean"], short[-1] + slope * np.array([1, 2])
    )


def test_fallback_on_failure_and_explosion_is_reported(monkeypatch):
    y = np.sin(np.arange(60) / 3) + 5

    def boom(y, horizon, m):
        raise np.linalg.LinAlgError("singular matrix")

    def explode(y, horizon, m):
        return np.full(horizon, 1e9), np.ones(horizon), "ETS(A,A,N)"

    failed = forecast_with_fallback(boom, y, 4, 12)
    assert failed.model == "SeasonalNaive(12)" and "LinAlgError" in failed.fallback
    np.testing.assert_allclose(failed.mean, y[-12:-8])
    exploded = forecast_with_fallback(explode, y, 4, 1)
    assert exploded.model == "Naive" and "band" in exploded.fallback
    np.testing.assert_allclose(exploded.mean, y[-1])
    monkeypatch.setattr(ETS, "_fit_forecast", lambda self, y, h, m: explode(y, h, m))
    with pytest.warns(UserWarning, match="fell back"):
        model = ETS(prediction_length=4).fit(_series(y))
    assert list(model.fallbacks_) == ["y"] and model.fallbacks_["y"].startswith("Naive used")
    assert np.abs(model.predict()["mean"]).max() < 10


def test_parallel_fits_equal_serial():
    long = make_long(lengths=(120, 110, 100, 90))
    serial = Theta(season_length=24, prediction_length=6).fit(long).predict(quantiles=[0.1])
    parallel = (
        Theta(season_length=24, prediction_length=6, n_jobs=2).fit(long).predict(quantiles=[0.1])
    )
    pd.testing.assert_frame_equal(serial, parallel)


def test_ets_on_co2_beats_seasonal_naive():
    co2 = sm.datasets.co2.load_pandas().data["co2"].iloc[-520:]
    scores = {}
    for model in (ETS(52, 52), SeasonalNaive(52, 52)):
        model.fit(co2.iloc[:-52], fill_missing="interpolate")
        scores[type(model).__name__] = model.evaluate(co2, test_size=52).iloc[-1]["mase"]
    assert scores["ETS"] < scores["SeasonalNaive"]


def test_baselines_need_no_torch():
    import subprocess
    import sys

    code = "import sys, tsfm.baselines, tsfm.evaluation; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_covariates_refused_by_baselines(wide):
    with pytest.raises(ValueError, match="does not use covariates"):
        tsfm.Naive().fit(wide, target="ch0", past_covariates=["ch1", "ch2"])
