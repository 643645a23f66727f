"""The ``mean`` column is a mean. A model whose point forecast is the median (the one evaluation
scores) shows it as ``median`` in evaluation's forecast frames; ``predict`` gives it as ``q0.5``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import lognorm, norm

import tsfm
from tsfm.models.combo import LEVELS, distribution_mean

from .conftest import make_series, make_wide


@pytest.fixture(scope="module")
def sundial():
    params = {**tsfm.SundialForecaster._test_params(), "num_samples": 20}
    return tsfm.SundialForecaster(**params).fit(make_wide(300, channels=1))


def test_sundial_mean_is_the_mean_of_its_samples(sundial):
    forecast = sundial.predict(quantiles=[0.5])["ch0"]
    assert list(forecast.columns) == ["mean", "q0.5"]
    samples = sundial.predict_samples()[0, :, :, 0]  # the same seeded draws
    np.testing.assert_allclose(forecast["mean"], samples.mean(axis=0))
    np.testing.assert_allclose(forecast["q0.5"], np.median(samples, axis=0))
    assert not np.allclose(forecast["mean"], forecast["q0.5"])
    assert sundial.predict().shape == (12, 1)  # predict's shape: one column per channel


def test_point_mean_is_scored_and_gives_no_median(sundial):
    wide = make_wide(300, channels=1)
    model = sundial.set_params(point="mean")
    try:
        metrics, frame = model.evaluate(wide, test_size=12, return_forecasts=True)
    finally:
        model.set_params(point="median")
    assert "median" not in frame
    assert metrics.iloc[-1]["mae"] == pytest.approx(np.mean(np.abs(frame["y"] - frame["mean"])))


def test_evaluation_scores_the_median_point_forecast(sundial):
    wide = make_wide(300, channels=1)
    metrics, frame = sundial.evaluate(wide, test_size=24, stride=12, return_forecasts=True)
    assert metrics.iloc[-1]["mae"] == pytest.approx(np.mean(np.abs(frame["y"] - frame["median"])))
    result = tsfm.backtest(tsfm.SundialForecaster(**sundial.get_params()), wide, 12, n_windows=1)
    rows = result.forecasts
    assert result.overall()["mae"].iloc[0] == pytest.approx(
        np.mean(np.abs(rows["y"] - rows["median"]))
    )


def test_quantile_distribution_mean():
    levels = np.array(LEVELS)
    assert distribution_mean(norm.ppf(levels) * 2 + 5) == pytest.approx(5)
    skewed = lognorm(0.5)
    mean = distribution_mean(skewed.ppf(levels))
    assert skewed.median() < mean == pytest.approx(skewed.mean(), rel=0.03)


def test_combo_gives_its_mean_and_scores_its_median():
    series = make_series(200)
    forecast = tsfm.forecast(np.exp(series.to_numpy() / 3), horizon=12, quantiles=[0.1, 0.9])
    assert list(forecast.columns) == ["mean", "q0.1", "q0.9"]
    assert (forecast["q0.1"] < forecast["mean"]).all() and (
        forecast["mean"] < forecast["q0.9"]
    ).all()
    model = tsfm.ComboForecaster.from_pretrained().fit(series.iloc[:-12])
    metrics, frame = model.evaluate(
        series, test_size=12, horizon=12, quantiles=[0.5], return_forecasts=True
    )
    np.testing.assert_allclose(frame["median"], frame["q0.5"])
    assert not np.allclose(frame["mean"], frame["median"])
    assert metrics.iloc[-1]["mae"] == pytest.approx(np.mean(np.abs(frame["y"] - frame["median"])))
