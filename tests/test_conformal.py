"""Backtests with quantiles score point forecasters too: conformal quantiles from their errors."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.base import BaseForecaster
from tsfm.evaluation.conformal import CALIBRATION_WINDOWS, min_windows, rank

from .conftest import make_long

TINY_PATCHTST = {
    "prediction_length": 12, "context_length": 48, "patch_len": 8, "stride": 8, "d_model": 16,
    "n_heads": 2, "d_ff": 32, "n_layers": 1, "max_epochs": 1, "verbose": 0, "n_threads": 1,
    "random_state": 0,
}  # fmt: skip


class LastValue(BaseForecaster):
    """A local point forecaster for the tests: the last value, no quantiles of its own."""

    local = True

    def __init__(self, prediction_length: int = 1, context_length: int | None = None):
        self.prediction_length = prediction_length
        self.context_length = context_length

    def _fit(self, panel, validation=None):
        pass

    def _predict_batch(self, context, mask, horizon, quantiles):
        return {"mean": np.repeat(context[:, -1:, :], horizon, axis=1)}


def test_ranks_and_fewest_windows():
    assert min_windows([0.1, 0.9]) == 9 and min_windows([0.05, 0.95]) == 19
    assert rank(9, 0.9) == 9 and rank(9, 0.1) == 1 and rank(8, 0.9) is None
    assert rank(99, 0.5) == 50


def test_one_leaderboard_scores_intervals_of_point_and_probabilistic_models():
    data = make_long((300, 280))
    models = [tsfm.SeasonalNaive(24, 12), tsfm.PatchTSTForecaster(**TINY_PATCHTST)]
    result = tsfm.backtest(models, data, 12, n_windows=2, quantiles=[0.1, 0.9])
    board = result.leaderboard().set_index("model")
    assert board["intervals"].to_dict() == {
        "SeasonalNaive": "model", "PatchTSTForecaster": "conformal"
    }  # fmt: skip
    for column in ("wql", "interval_80"):
        assert board[column].notna().all(), column
    frame = result.forecasts[result.forecasts["model"] == "PatchTSTForecaster"]
    assert (frame["q0.1"] <= frame["mean"]).mean() > 0.9 and (frame["q0.1"] < frame["q0.9"]).all()


def test_conformal_quantiles_are_the_order_statistics_of_the_errors():
    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(size=200))
    data = pd.Series(y, index=pd.date_range("2024-01-01", periods=200, freq="D"), name="y")
    H, levels = 3, [0.1, 0.9]
    result = tsfm.backtest(LastValue(H), data, H, n_windows=1, quantiles=levels)
    origin = 200 - H  # the window's first forecast row
    starts = np.arange(origin - H - CALIBRATION_WINDOWS + 1, origin - H + 1)
    errors = np.array([y[t : t + H] - y[t - 1] for t in starts])  # (50, H)
    ordered = np.sort(errors, axis=0)
    row = result.forecasts
    for q in levels:
        k = rank(CALIBRATION_WINDOWS, q)
        np.testing.assert_allclose(row[f"q{q}"], y[origin - 1] + ordered[k - 1])


def test_conformal_intervals_cover_their_level():
    rng = np.random.default_rng(0)
    frames = [
        pd.DataFrame({"unique_id": f"s{i}", "ds": pd.date_range("2024", periods=160, freq="D"),
                      "y": rng.normal(size=160)})
        for i in range(40)
    ]  # fmt: skip
    data = pd.concat(frames, ignore_index=True)
    result = tsfm.backtest(LastValue(4), data, 4, n_windows=2, quantiles=[0.1, 0.9])
    assert abs(result.overall().loc["LastValue", "interval_80"] - 0.8) < 0.08


def test_too_little_history_is_a_stated_blank_not_a_score():
    data = make_long((40, 300))  # s0: 40 rows, too few for 9 calibration windows of 12
    with pytest.warns(UserWarning, match="LastValue: 2 of 4 windows .* blank"):
        result = tsfm.backtest(LastValue(12), data, 12, n_windows=2, quantiles=[0.1, 0.9])
    windows = result.windows.set_index("unique_id")
    assert windows.loc["s0", ["coverage_0.1", "interval_80"]].isna().all().all()
    assert windows.loc["s1", ["coverage_0.1", "interval_80"]].notna().all().all()
    per_series = result.metrics.set_index("unique_id")
    assert np.isnan(per_series.loc["s0", "wql"]) and np.isfinite(per_series.loc["s1", "wql"])
    assert per_series.loc["overall", "wql"] == pytest.approx(per_series.loc["s1", "wql"])


def test_point_models_alone_need_no_quantile_warning():
    data = make_long((300,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tsfm.backtest(LastValue(12), data, 12, n_windows=2, quantiles=[0.1, 0.9])


def test_cli_backtest_with_quantiles_scores_every_model(tmp_path):
    make_long((300, 280)).to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out"
    settings = [f"--set=patchtst.{k}={v}" for k, v in TINY_PATCHTST.items()
                if k != "prediction_length"]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "backtest", str(tmp_path / "data.csv"),
         "--models", "seasonal_naive,ets,patchtst", "--horizon", "12", "--n-windows", "1",
         "--quantiles", "0.1", "0.9", "--output", str(out), *settings],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    board = pd.read_csv(out / "leaderboard.csv").set_index("model")
    assert set(board.index) == {"SeasonalNaive", "ETS", "PatchTSTForecaster"}
    assert board[["wql", "interval_80"]].notna().all().all()
    assert board.loc["PatchTSTForecaster", "intervals"] == "conformal"
