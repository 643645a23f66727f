"""MASE is scaled by the data's season, the same for every model, in evaluate, backtest and the
leaderboard alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.evaluation.metrics import data_season, seasonal_scale

from .conftest import make_series
from .test_conformal import TINY_PATCHTST


@pytest.mark.parametrize(
    "freq, season", [("h", 24), ("15min", 96), ("D", 1), ("W-SUN", 1), ("MS", 12), ("QS", 4)]
)
def test_data_season_is_the_frequencys(freq, season):
    assert data_season(pd.tseries.frequencies.to_offset(freq)) == season


def test_mase_means_the_same_for_every_model():
    series = make_series(300)
    train, H = series.iloc[:-12], 12
    models = {
        "PatchTSTForecaster": tsfm.PatchTSTForecaster(**TINY_PATCHTST),
        "SeasonalNaive": tsfm.SeasonalNaive(24, H),
        "Naive": tsfm.Naive(H),
        "Theta": tsfm.Theta(12, H),  # a season of its own that MASE must not take
    }
    scale = seasonal_scale(train.to_numpy(), 24)  # hourly data: the daily season
    evaluated = {}
    for name, model in models.items():
        row = model.fit(train).evaluate(series, test_size=H).iloc[-1]
        assert row["mase"] == pytest.approx(row["mae"] / scale), name
        evaluated[name] = row["mase"]
    result = tsfm.backtest(list(models.values()), series, H, n_windows=1, refit=False)
    overall = result.overall()["mase"]
    board = result.leaderboard().set_index("model")["mase"]
    assert result.season_length == 24
    for name, mase in evaluated.items():
        assert overall[name] == pytest.approx(mase) and board[name] == pytest.approx(mase), name


def test_a_given_season_length_is_used_for_every_model():
    series = make_series(300)
    model = tsfm.SeasonalNaive(24, 12).fit(series.iloc[:-12])
    row = model.evaluate(series, test_size=12, season_length=1).iloc[-1]
    history = series.iloc[:-12].to_numpy()
    assert row["mase"] == pytest.approx(row["mae"] / np.mean(np.abs(np.diff(history))))
    result = tsfm.backtest(tsfm.Naive(12), series, 12, n_windows=1, season_length=1)
    assert result.season_length == 1
    assert result.overall()["mase"].iloc[0] == pytest.approx(
        result.overall()["mae"].iloc[0] / np.mean(np.abs(np.diff(history)))
    )
