"""Every metric and evaluate() against gluonts' and scikit-learn's own computations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from gluonts.evaluation import Evaluator
from gluonts.evaluation import metrics as G
from gluonts.model.forecast import QuantileForecast
from sklearn import metrics as S

from tsfm.baselines import SeasonalNaive
from tsfm.evaluation import metrics as M

from .conftest import make_long

RNG = np.random.default_rng(42)
Y = RNG.normal(5, 2, 500)
Y_HAT = Y + RNG.normal(0, 1, 500)
HISTORY = RNG.normal(5, 2, 300)


def test_point_metrics_match_sklearn_and_gluonts():
    assert M.mse(Y, Y_HAT) == pytest.approx(S.mean_squared_error(Y, Y_HAT), abs=1e-9)
    assert M.mae(Y, Y_HAT) == pytest.approx(S.mean_absolute_error(Y, Y_HAT), abs=1e-9)
    assert M.rmse(Y, Y_HAT) == pytest.approx(np.sqrt(S.mean_squared_error(Y, Y_HAT)), abs=1e-9)
    assert M.mape(Y, Y_HAT) == pytest.approx(
        100 * S.mean_absolute_percentage_error(Y, Y_HAT), abs=1e-9
    )
    assert M.mse(Y, Y_HAT) == pytest.approx(G.mse(Y, Y_HAT), abs=1e-9)
    assert M.mape(Y, Y_HAT) == pytest.approx(100 * G.mape(Y, Y_HAT), abs=1e-9)
    assert M.smape(Y, Y_HAT) == pytest.approx(100 * G.smape(Y, Y_HAT), abs=1e-9)


@pytest.mark.parametrize("m", [1, 7, 24, 400])
def test_mase_matches_gluonts(m):
    scale = M.seasonal_scale(HISTORY, m)
    assert scale == pytest.approx(G.calculate_seasonal_error(HISTORY, seasonality=m), abs=1e-12)
    assert M.mase(Y, Y_HAT, scale) == pytest.approx(G.mase(Y, Y_HAT, scale), abs=1e-9)


@pytest.mark.parametrize("q", [0.05, 0.1, 0.5, 0.9])
def test_quantile_metrics_match_gluonts(q):
    y_q = Y_HAT + (q - 0.5)
    assert M.quantile_loss(Y, y_q, q) == pytest.approx(G.quantile_loss(Y, y_q, q), abs=1e-9)
    assert M.coverage(Y, y_q) == pytest.approx(G.coverage(Y, y_q), abs=1e-12)
    wql = G.quantile_loss(Y, y_q, q) / G.abs_target_sum(Y)
    assert M.weighted_quantile_loss(Y, y_q, q) == pytest.approx(wql, abs=1e-9)


def test_interval_coverage_direct():
    lower, upper = Y_HAT - 1, Y_HAT + 1
    expected = np.mean([(lo <= y <= hi) for y, lo, hi in zip(Y, lower, upper)])
    assert M.interval_coverage(Y, lower, upper) == pytest.approx(expected, abs=1e-12)


def test_crps_matches_the_pairwise_definition():
    samples = RNG.normal(size=(50, 7))
    y = RNG.normal(size=7)
    direct = [
        np.mean(np.abs(samples[:, j] - y[j]))
        - 0.5 * np.mean(np.abs(samples[:, j][:, None] - samples[:, j][None, :]))
        for j in range(7)
    ]
    assert M.crps_samples(y, samples) == pytest.approx(np.mean(direct), abs=1e-12)
    # A point mass at y scores zero; CRPS of N(0,1) samples at 0 approaches (sqrt(2)-1)/sqrt(pi).
    assert M.crps_samples(y, np.repeat(y[None], 5, axis=0)) == pytest.approx(0, abs=1e-12)
    big = np.random.default_rng(0).normal(size=(20000, 1))
    expected = (np.sqrt(2) - 1) / np.sqrt(np.pi)
    assert M.crps_samples(np.zeros(1), big) == pytest.approx(expected, abs=5e-3)


def _gluonts_aggregate(long_train, long_full, forecasts, quantiles, season):
    """gluonts' Evaluator on the same windows, one QuantileForecast per series."""
    targets, gl_forecasts = [], []
    for sid, part in long_full.groupby("unique_id", sort=False):
        series = part.set_index("ds")["y"]
        series.index = series.index.to_period("h")
        targets.append(series.to_frame())
        rows = forecasts[forecasts["unique_id"] == sid]
        keys = ["mean"] + [str(q) for q in quantiles]
        arrays = np.stack([rows["mean"].to_numpy()] + [rows[f"q{q}"].to_numpy() for q in quantiles])
        start = pd.Period(rows["ds"].iloc[0], freq="h")
        gl_forecasts.append(
            QuantileForecast(arrays, start_date=start, forecast_keys=keys, item_id=sid)
        )
    evaluator = Evaluator(quantiles=quantiles, seasonality=season, num_workers=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agg, _ = evaluator(iter(targets), iter(gl_forecasts), num_series=len(targets))
    return agg


def test_evaluate_matches_gluonts_evaluator():
    long = make_long(lengths=(240, 200, 180))
    horizon, quantiles, season = 12, [0.1, 0.5, 0.9], 24
    train = long.groupby("unique_id").head(-horizon)
    model = SeasonalNaive(season_length=season, prediction_length=horizon).fit(train)
    ours, forecasts = model.evaluate(
        long, test_size=horizon, quantiles=quantiles, return_forecasts=True
    )
    overall = ours.set_index("unique_id").loc["overall"]
    agg = _gluonts_aggregate(train, long, forecasts, quantiles, season)
    assert overall["mse"] == pytest.approx(agg["MSE"], abs=1e-9)
    assert overall["mase"] == pytest.approx(agg["MASE"], abs=1e-9)
    assert overall["smape"] == pytest.approx(100 * agg["sMAPE"], abs=1e-9)
    assert overall["mape"] == pytest.approx(100 * agg["MAPE"], abs=1e-9)
    assert overall["wql"] == pytest.approx(agg["mean_wQuantileLoss"], abs=1e-9)
    for q in quantiles:
        assert overall[f"coverage_{q}"] == pytest.approx(agg[f"Coverage[{q}]"], abs=1e-9)
    assert overall["interval_80"] == pytest.approx(
        np.mean((forecasts["y"] >= forecasts["q0.1"]) & (forecasts["y"] <= forecasts["q0.9"])),
        abs=1e-12,
    )


def test_evaluate_rolling_windows_none_dropped(wide):
    model = SeasonalNaive(season_length=24, prediction_length=5, context_length=48).fit(wide)
    metrics, forecasts = model.evaluate(wide, test_start=200, stride=3, return_forecasts=True)
    n_windows = len(range(200, 240 - 5 + 1, 3))
    assert (metrics["n_windows"].iloc[:-1] == n_windows).all()
    assert len(forecasts) == n_windows * 5 * 3
    # Each forecast equals the value one season before its timestamp.
    for channel in wide.columns:
        rows = forecasts[forecasts["unique_id"] == channel]
        cutoff = rows["cutoff"].to_numpy()
        expected = [
            wide[channel].loc[ds - pd.Timedelta(hours=24 * ((s - 1) // 24 + 1))]
            for ds, s in zip(rows["ds"], np.tile(np.arange(1, 6), n_windows))
        ]
        np.testing.assert_allclose(rows["mean"], expected)
        assert (rows["ds"].to_numpy() > cutoff).all()
    # MSE pooled over windows and steps, per channel, by hand.
    for channel in wide.columns:
        rows = forecasts[forecasts["unique_id"] == channel]
        row = metrics.set_index("unique_id").loc[channel]
        assert row["mse"] == pytest.approx(np.mean((rows["y"] - rows["mean"]) ** 2), abs=1e-12)


def test_evaluate_errors_name_the_problem(wide):
    model = SeasonalNaive(season_length=24, prediction_length=5).fit(wide)
    with pytest.raises(ValueError, match="exactly one of"):
        model.evaluate(wide)
    with pytest.raises(ValueError, match="no complete test window"):
        model.evaluate(wide, test_start=238)
    with pytest.raises(ValueError, match="stride"):
        model.evaluate(wide, test_size=20, stride=0)
