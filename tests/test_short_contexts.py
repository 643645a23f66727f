"""What a model cannot do properly it says: Theta keeps the season of a series with values at or
below zero (additively), and a padded short context is warned about."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tsfm

from .conftest import make_series
from .test_conformal import TINY_PATCHTST


def _daily_cycle(n: int, level: float) -> pd.Series:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    y = level + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.2, n)
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="y")


@pytest.mark.parametrize("level, form", [(0.0, "additive"), (10.0, "multiplicative")])
def test_theta_keeps_the_season_whatever_the_sign(level, form):
    series = _daily_cycle(24 * 12, level)
    train, test = series.iloc[:-24], series.iloc[-24:].to_numpy()
    theta = tsfm.Theta(24, 24).fit(train)
    assert theta.selected_["y"] == f"Theta({form} season 24)"
    error = np.abs(theta.predict()["mean"].to_numpy() - test).mean()
    naive = np.abs(train.iloc[-1] - test).mean()
    assert error < 0.3 * naive  # the cycle is forecast, not a flat line


@pytest.fixture(scope="module")
def patchtst():
    return tsfm.PatchTSTForecaster(**TINY_PATCHTST).fit(make_series(200))


def test_predict_warns_once_naming_short_series(patchtst):
    short = make_series(30)
    with pytest.warns(UserWarning, match=r"'load' \(30 rows\).*context_length=48") as caught:
        patchtst.predict(short)
    assert len([w for w in caught if "context_length" in str(w.message)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patchtst.predict(make_series(48))


def test_evaluate_warns_when_its_first_windows_are_padded(patchtst):
    with pytest.warns(UserWarning, match=r"'load' \(20 rows\).*context_length=48"):
        patchtst.evaluate(make_series(60), test_start=20)


def test_masking_models_do_not_warn():
    params = {**tsfm.SundialForecaster._test_params(), "num_samples": 5}
    model = tsfm.SundialForecaster(**params).fit(make_series(200))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(make_series(30))
