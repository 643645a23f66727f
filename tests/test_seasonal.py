"""Seasonal adjustment and the shorter context of zero-shot prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.models.seasonal import add_season, remove_season, resolve_season, seasonal_indices
from tsfm.pretrained import ZERO_SHOT_SETTINGS

from .conftest import make_series


def test_indices_recover_a_known_cycle_at_the_right_phases():
    rng = np.random.default_rng(0)
    season, L = 24, 200
    cycle = rng.normal(0, 3, season)
    cycle -= cycle.mean()
    t = np.arange(L)
    series = 50 + 0.05 * t + cycle[t % season] + rng.normal(0, 0.05, L)
    context = np.full((2, L, 1), np.nan)
    context[0, :, 0] = series
    context[1, 40:, 0] = series[:-40]  # left padding: the same values, ending 40 steps earlier
    mask = ~np.isnan(context[..., 0])
    indices = seasonal_indices(context, mask, season, cycles=7)
    # phase p is p steps after the forecast origin's phase (the step after the last value)
    np.testing.assert_allclose(indices[0, :, 0], cycle[(L + np.arange(season)) % season], atol=0.1)
    np.testing.assert_allclose(indices[1, :, 0], cycle[(L - 40 + np.arange(season)) % season],
                               atol=0.1)  # fmt: skip
    adjusted = remove_season(context, indices)
    assert np.nanstd(np.diff(adjusted[0, -100:, 0])) < 0.2  # the cycle is gone, the trend stays
    samples = np.zeros((2, 5, 30, 1))
    restored = add_season(samples, indices)
    np.testing.assert_allclose(restored[0, 3, :, 0], indices[0, np.arange(30) % season, 0])


def test_short_or_unseasonal_contexts_are_left_alone():
    context = np.random.default_rng(1).normal(size=(3, 100, 2))
    mask = np.ones((3, 100), dtype=bool)
    mask[1, :70] = False  # 30 observed: less than two seasons of 24
    indices = seasonal_indices(np.where(mask[..., None], context, np.nan), mask, 24, cycles=7)
    assert np.all(indices[1] == 0) and np.any(indices[0] != 0)
    assert np.all(seasonal_indices(context, mask, 1, cycles=7) == 0)


def test_season_from_the_frequency():
    assert resolve_season("auto", "h") == 24 and resolve_season("auto", "15min") == 96
    assert resolve_season("auto", "W-SUN") == 1 and resolve_season("auto", "D") == 1
    assert resolve_season(None, "h") == 1 and resolve_season(12, None) == 12
    with pytest.raises(ValueError, match="seasonal_adjustment must be a positive int"):
        resolve_season(0, "h")


def test_max_context_forecasts_from_the_last_values_only():
    params = {**tsfm.SundialForecaster._test_params(), "max_epochs": 1}
    series = make_series(300)
    model = tsfm.SundialForecaster(**params).fit(series)
    last = model.predict(series.iloc[-20:])["mean"].to_numpy()
    masked = model.set_params(max_context=20).predict(series)["mean"].to_numpy()
    np.testing.assert_allclose(masked, last, rtol=1e-5)
    assert not np.allclose(model.set_params(max_context=None).predict(series)["mean"], last)
    with pytest.raises(ValueError, match="max_context=0 is not allowed"):
        model.set_params(max_context=0).predict(series)


SUNDIAL = "tsfm-small-v2"  # the settings are Sundial's: the Combo default has its own pool


def test_zero_shot_settings_apply_to_zero_shot_use_only():
    zero_shot = tsfm.from_pretrained(SUNDIAL)
    assert zero_shot.max_context == ZERO_SHOT_SETTINGS["max_context"] == 256
    assert zero_shot.seasonal_adjustment == "auto"
    overridden = tsfm.from_pretrained(SUNDIAL, seasonal_adjustment=None)
    assert overridden.seasonal_adjustment is None
    tuned = tsfm.from_pretrained(SUNDIAL, max_epochs=3)
    assert tuned.max_context is None and tuned.seasonal_adjustment is None


def test_seasonal_adjustment_copies_an_exact_daily_cycle():
    index = pd.date_range("2024-01-01", periods=24 * 20, freq="h")
    cycle = np.random.default_rng(2).normal(0, 5, 24)
    series = pd.Series(100 + cycle[np.arange(len(index)) % 24], index=index)
    forecast = tsfm.forecast(series.iloc[:-48], horizon=48, model=SUNDIAL)["mean"].to_numpy()
    np.testing.assert_allclose(forecast, series.iloc[-48:].to_numpy(), atol=0.05)
    default = tsfm.forecast(series.iloc[:-48], horizon=48)["mean"].to_numpy()
    np.testing.assert_allclose(default, series.iloc[-48:].to_numpy(), atol=0.25)
