"""What a user checks first on the shipped default zero-shot model (``tsfm.forecast``).

Each test feeds a clean, textbook series and asks for the forecast a person would draw: a line
continues, growth keeps growing, a season repeats, a constant stays, a new level holds, short
series work, and the forecast moves with the data's units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm


def point(values, freq: str, horizon: int, **kw) -> np.ndarray:
    index = pd.date_range("2000-01-01", periods=len(values), freq=freq)
    out = tsfm.forecast(pd.Series(np.asarray(values, dtype=float), index=index), horizon, **kw)
    return out["mean"].to_numpy()


def test_linear_trend_continues_linearly():
    values = 100 + 10 * np.arange(20)  # 100, 110, ..., 290
    forecast = point(values, "YS", 6)
    line = 300 + 10 * np.arange(6)
    assert np.all(np.abs(forecast - line) <= 0.02 * np.ptp(values)), forecast


@pytest.mark.parametrize("freq", ["YS", "QS", "MS", "D"])
def test_linear_trend_at_any_frequency(freq):
    values = -50 + 3.5 * np.arange(60)
    forecast = point(values, freq, 8)
    line = values[-1] + 3.5 * np.arange(1, 9)
    assert np.all(np.abs(forecast - line) <= 0.02 * np.ptp(values)), forecast


def test_exponential_growth_keeps_growing():
    values = 100 * 1.08 ** np.arange(20)
    forecast = point(values, "YS", 6)
    assert forecast[0] > values[-1]
    assert np.all(np.diff(forecast) > 0), forecast


@pytest.mark.parametrize("period, freq", [(4, "QS"), (7, "D"), (12, "MS"), (24, "h")])
def test_clean_seasonal_pattern_repeats(period, freq):
    rng = np.random.default_rng(period)
    cycle = rng.normal(0, 1, period) * 10 + 50
    values = np.tile(cycle, 6)
    horizon = 2 * period
    forecast = point(values, freq, horizon)
    expected = np.tile(cycle, 2)
    assert np.all(np.abs(forecast - expected) <= 0.05 * np.ptp(values)), forecast


def test_constant_stays_constant():
    forecast = point(np.full(30, 7.25), "MS", 12)
    np.testing.assert_allclose(forecast, 7.25, rtol=1e-6)


def test_level_shift_keeps_the_new_level():
    values = np.r_[np.full(30, 10.0), np.full(30, 50.0)]
    values += np.random.default_rng(0).normal(0, 0.5, len(values))
    forecast = point(values, "MS", 12)
    assert np.all(np.abs(forecast - 50) <= 0.05 * 40), forecast


def test_eight_yearly_points_give_a_sensible_forecast():
    values = np.array([12.0, 13.1, 12.7, 14.0, 14.6, 14.2, 15.3, 15.9])
    forecast = point(values, "YS", 6)
    assert np.isfinite(forecast).all()
    assert values.min() - np.ptp(values) <= forecast.min()
    assert forecast.max() <= values.max() + 2 * np.ptp(values)


@pytest.mark.parametrize("transform", [lambda x: x * 1e6, lambda x: x + 1e4], ids=["x1e6", "+1e4"])
def test_forecast_moves_with_the_units(transform):
    rng = np.random.default_rng(1)
    values = 20 + np.cumsum(rng.normal(0.3, 1, 48)) + 3 * np.sin(np.arange(48) * np.pi / 6)
    base = point(values, "MS", 12, quantiles=None)
    moved = point(transform(values), "MS", 12)
    np.testing.assert_allclose(moved, transform(base), atol=1e-3 * np.ptp(transform(values)))


@pytest.mark.parametrize("length", [1, 2, 3, 5, 8, 13, 30, 100, 257, 1000, 5000])
def test_no_nan_for_any_length(length):
    rng = np.random.default_rng(length)
    values = 100 + np.cumsum(rng.normal(0, 1, length))
    frame = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2000", periods=length, freq="D"), "y": values}
    )
    out = tsfm.forecast(frame, 14, freq="D", quantiles=[0.1, 0.9])
    assert len(out) == 14
    assert np.isfinite(out[["mean", "q0.1", "q0.9"]].to_numpy()).all()


def test_arrays_lists_and_integer_indexes_are_series_without_dates():
    out = tsfm.forecast(np.arange(10.0), 3)
    assert list(out.index) == [10, 11, 12] and out.index.name == "step"
    several = tsfm.forecast([np.arange(10.0), [1.0, 2.0, 3.0]], 2, quantiles=[0.1, 0.9])
    assert list(several["unique_id"]) == [0, 0, 1, 1] and list(several["step"]) == [10, 11, 3, 4]
    indexed = tsfm.forecast(pd.Series(np.arange(5.0), index=range(100, 105)), 2)
    assert list(indexed.index) == [105, 106]
    with pytest.raises(ValueError, match="1-d"):
        tsfm.forecast(np.ones((2, 3, 4)), 2)


def test_missing_values_are_interpolated_unless_refused():
    values = np.r_[np.nan, np.arange(1.0, 20.0), np.nan]
    values[8] = np.nan
    series = pd.Series(values, index=pd.date_range("2000", periods=len(values), freq="MS"))
    assert np.isfinite(tsfm.forecast(series, 4)["mean"]).all()
    with pytest.raises(ValueError, match="fill_missing"):
        tsfm.forecast(series, 4, fill_missing="raise")


@pytest.mark.parametrize("horizon", [0, -1, 10**7, 2.5, True])
def test_unreasonable_horizons_are_refused(horizon):
    with pytest.raises(ValueError, match="horizon"):
        tsfm.forecast(np.arange(10.0), horizon)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["1", "2", "3"], "the array holds strings; numbers were expected"),
        ([np.array([True, False, True])], "series 0 holds booleans"),
        ({"a": [1.0, 2.0]}, "takes a pandas Series or DataFrame, .* got dict"),
        ([[1.0, 2.0], ["a", "b"]], "series 1 holds strings"),
        (np.ones((2, 3, 4)), "must be 1-d"),
    ],
)
def test_what_is_not_a_series_of_numbers_is_refused(data, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tsfm.forecast(data, 3)


def test_a_2d_array_is_series_by_rows():
    rows = np.vstack([np.arange(30.0), 100 - 2 * np.arange(30.0)])
    by_array = tsfm.forecast(rows, 4)
    by_list = tsfm.forecast(list(rows), 4)
    pd.testing.assert_frame_equal(by_array, by_list)
    assert by_array["unique_id"].tolist() == [0] * 4 + [1] * 4
