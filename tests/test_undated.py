"""Series without dates (issue 31, item 5): arrays, lists and integer-indexed Series through
every estimator's fit and predict, and tsfm.forecast, indexed by position."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm

from .conftest import make_series


def test_an_array_is_one_series_forecast_by_position():
    forecast = tsfm.Drift(prediction_length=3).fit(np.arange(30.0)).predict()
    assert forecast.index.name == "step" and forecast.index.tolist() == [30, 31, 32]
    np.testing.assert_allclose(forecast["mean"], [30.0, 31.0, 32.0])
    same = tsfm.Drift(prediction_length=3).fit(list(np.arange(30.0))).predict()
    pd.testing.assert_frame_equal(forecast, same)


def test_a_list_of_arrays_and_a_2d_array_are_several_series():
    series = [np.arange(10.0), 5 + np.arange(5.0)]
    out = tsfm.Naive(prediction_length=2).fit(series).predict()
    assert list(out.columns) == ["unique_id", "step", "mean"]
    assert out["step"].tolist() == [10, 11, 5, 6] and out["mean"].tolist() == [9, 9, 9, 9]
    rows = np.vstack([np.arange(6.0), np.arange(6.0) * 2])
    out = tsfm.Naive(prediction_length=1).fit(rows).predict()
    assert out["unique_id"].tolist() == [0, 1] and out["mean"].tolist() == [5.0, 10.0]


def test_an_integer_index_continues_and_gaps_follow_the_missing_value_policy():
    series = pd.Series(np.arange(20.0), index=range(100, 120))
    assert tsfm.Naive(prediction_length=2).fit(series).predict().index.tolist() == [120, 121]
    gappy = series.drop(105)
    with pytest.raises(ValueError, match=r"the input: position 105 is missing; pass fill_missing"):
        tsfm.Naive(prediction_length=2).fit(gappy)
    filled = tsfm.Naive(prediction_length=2).fit(gappy, fill_missing="interpolate")
    assert filled.predict().index.tolist() == [120, 121]


def test_an_integer_index_with_a_stride_is_refused_not_filled_in():
    """0, 2, 4, ...: tsfm.forecast fills gaps by default, and would make up every other value
    and forecast positions 199, 200, ... after 198."""
    strided = pd.Series(np.arange(100.0), index=range(0, 200, 2))
    with pytest.raises(ValueError, match=r"steps by 2 .*series.reset_index\(drop=True\)"):
        tsfm.forecast(strided, 3)
    assert tsfm.forecast(strided.reset_index(drop=True), 3).index.tolist() == [100, 101, 102]
    descending = pd.Series(np.arange(3.0), index=np.array([4, 2, 0], dtype=np.uint64))
    with pytest.raises(ValueError) as refused:  # unsigned steps wrapped into a huge stride
        tsfm.forecast(descending, 3)
    assert "18446744073709551614" not in str(refused.value)


def test_predict_and_save_keep_the_stand_in_axis(tmp_path):
    params = {**tsfm.PatchTSTForecaster._test_params(), "max_epochs": 1}
    model = tsfm.PatchTSTForecaster(**params).fit(np.sin(np.arange(200) / 4.0), freq="MS")
    new = model.predict(np.sin(np.arange(60) / 4.0))
    assert new.index.tolist() == list(range(60, 72))
    loaded = tsfm.BaseForecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    with pytest.raises(ValueError, match="fit on series without dates"):
        model.predict(make_series(100))
    dated = tsfm.Naive(prediction_length=2).fit(make_series(50))
    with pytest.raises(ValueError, match="fit on series with dates"):
        dated.predict(np.arange(10.0))


def test_freq_sets_the_season_the_zero_shot_model_assumes():
    season = np.tile([0.0, 5.0, 1.0, 8.0, 3.0, 2.0, 9.0, 4.0, 6.0, 1.0, 7.0, 2.0], 6)
    plain = tsfm.forecast(season, 12)["mean"].to_numpy()
    monthly = tsfm.forecast(season, 12, freq="MS")["mean"].to_numpy()
    assert np.abs(monthly - season[:12]).max() < 0.5 < np.abs(plain - season[:12]).max()


def test_long_arrays_and_their_limits():
    out = tsfm.forecast(np.arange(5000.0), 3)  # past the year 2262 on a yearly stand-in axis
    assert out.index.tolist() == [5000, 5001, 5002]
    with pytest.raises(ValueError, match="600 steps does not fit pandas' time range at freq"):
        tsfm.forecast(np.arange(600.0), 3, freq="YS")
    with pytest.raises(ValueError, match="run past the last date pandas can hold"):
        tsfm.forecast(np.arange(200.0), 10_000, freq="YS")
    with pytest.raises(ValueError, match="counts steps from 0; got -3"):
        tsfm.Naive().fit(pd.Series(np.ones(10), index=range(-3, 7)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], r"holds no values .*shape \(0,\)"),
        (np.zeros((0, 5)), r"holds no values .*shape \(0, 5\)"),
        (np.zeros((2, 0)), "series 0 must be a non-empty 1-d array"),
        ([[1.0, "a"]], "series 0 holds strings"),
        (pd.Series([True, False] * 5), "column 'y' must be numeric"),
        (pd.DataFrame({"unique_id": ["a"] * 3, "y": [1.0, 2, 3]}), "column 'ds'"),
        (pd.Series(np.arange(4.0), index=[0, 0, 1, 2]), "duplicate position 0"),
        (pd.Series(np.arange(50.0), index=range(0, 100, 2)), r"steps by 2 \(0, 2, 4, ...\)"),
        (pd.DataFrame({"a": np.arange(9.0)}, index=range(3, 30, 3)), r"steps by 3 \(3, 6, 9"),
    ],
)
def test_bad_undated_input_is_named(data, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tsfm.Naive(prediction_length=2).fit(data)


def test_a_wide_frame_with_an_integer_index_is_one_multivariate_series():
    frame = pd.DataFrame({"a": np.arange(30.0), "b": 2 * np.arange(30.0)})
    out = tsfm.Drift(prediction_length=2).fit(frame).predict()
    assert out.index.name == "step" and out.index.tolist() == [30, 31]
    assert list(out.columns) == ["a", "b"] and out["b"].tolist() == [60.0, 62.0]
