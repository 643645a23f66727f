"""Time axes and column names users bring (issue 34, item 6): a PeriodIndex, a Period column,
date strings, and long frames whose id, time and target columns have other names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm
from tests.conftest import make_long
from tsfm.data.timestamps import as_timestamps


def monthly_periods(n: int = 36) -> pd.Series:
    values = 10 + np.sin(2 * np.pi * np.arange(n) / 12) + 0.1 * np.arange(n)
    return pd.Series(values, index=pd.period_range("2001-01", periods=n, freq="M"), name="sales")


def test_period_series_forecast_is_indexed_by_periods():
    series = monthly_periods()
    out = tsfm.SeasonalNaive(12, 6).fit(series).predict()
    assert isinstance(out.index, pd.PeriodIndex)
    assert out.index.freqstr == "M"
    assert list(out.index.astype(str)) == ["2004-01", "2004-02", "2004-03", "2004-04",
                                           "2004-05", "2004-06"]  # fmt: skip
    dated = series.set_axis(series.index.to_timestamp())
    expected = tsfm.SeasonalNaive(12, 6).fit(dated).predict()
    np.testing.assert_array_equal(out["mean"].to_numpy(), expected["mean"].to_numpy())


@pytest.mark.parametrize("freq", ["Q", "Y", "W", "D", "h"])
def test_period_wide_frame_keeps_its_period_frequency(freq):
    index = pd.period_range("2020-01-01", periods=20, freq=freq)
    wide = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) * 2}, index=index)
    out = tsfm.Naive(prediction_length=3).fit(wide).predict()
    assert isinstance(out.index, pd.PeriodIndex) and out.index.freqstr == index.freqstr
    assert out.index[0] == index[-1] + 1
    assert list(out.columns) == ["a", "b"]


def test_macrodata_quarterly_as_the_readme_has_it():
    import statsmodels.api as sm

    macro = sm.datasets.macrodata.load_pandas().data
    index = pd.PeriodIndex.from_fields(year=macro["year"].astype(int), quarter=macro["quarter"])
    gdp = pd.Series(macro["realgdp"].to_numpy(), index=index, name="realgdp")
    out = tsfm.ETS(season_length=4, prediction_length=4).fit(gdp).predict()
    assert list(out.index.astype(str)) == ["2009Q4", "2010Q1", "2010Q2", "2010Q3"]


def test_long_frame_with_period_column_and_other_names():
    long = make_long().rename(columns={"unique_id": "store", "ds": "week", "y": "sales"})
    long["week"] = long["week"].dt.to_period("h")
    model = tsfm.Naive(prediction_length=4)
    out = model.fit(long, id_col="store", time_col="week", target_col="sales").predict()
    assert list(out.columns) == ["store", "week", "mean"]
    assert isinstance(out["week"].dtype, pd.PeriodDtype)
    last = long.groupby("store")["week"].max()
    firsts = out.groupby("store")["week"].min()
    assert all(firsts[s] == last[s] + 1 for s in last.index)
    again = model.predict(long.iloc[:-10])  # new context: the recorded names are read
    assert list(again.columns) == ["store", "week", "mean"]


def test_string_dates_in_the_time_column():
    long = make_long()
    as_strings = long.assign(ds=long["ds"].dt.strftime("%Y-%m-%d %H:%M"))
    out = tsfm.Naive(prediction_length=3).fit(as_strings).predict()
    expected = tsfm.Naive(prediction_length=3).fit(long).predict()
    pd.testing.assert_frame_equal(out, expected)


def test_string_dates_in_a_series_index():
    series = pd.Series(np.arange(10.0), index=[f"2024-01-{d:02d}" for d in range(1, 11)])
    out = tsfm.Naive(prediction_length=2).fit(series).predict()
    assert list(out.index) == [pd.Timestamp("2024-01-11"), pd.Timestamp("2024-01-12")]


def test_unreadable_date_strings_are_named():
    long = make_long().astype({"ds": str})
    long.loc[5, "ds"] = "not a date"
    with pytest.raises(ValueError, match="column 'ds' holds strings that are not dates"):
        tsfm.Naive(prediction_length=3).fit(long)


def test_numbers_read_as_nanoseconds_are_refused_with_the_way_to_dates():
    """Years 1990..2019 through pd.to_datetime are 1970-01-01 00:00:00.000001990 and on: a
    silent nanosecond series before; refused now, and the advice for a number column leads
    to dates."""
    years = np.arange(1990, 2020)
    series = pd.Series(np.arange(30.0), index=pd.to_datetime(years))
    with pytest.raises(ValueError, match="the input: its timestamps run from 1970-01-01 00:00"):
        tsfm.Naive(prediction_length=2).fit(series)
    long = pd.DataFrame({"unique_id": "a", "ds": years, "y": np.arange(30.0)})
    with pytest.raises(ValueError, match=r"got int64; numbers are not dates.*format='%Y'"):
        tsfm.Naive(prediction_length=2).fit(long)
    with pytest.raises(ValueError, match="series 'a': its timestamps run from 1970-01-01"):
        tsfm.Naive(prediction_length=2).fit(long.assign(ds=pd.to_datetime(long["ds"])))
    hourly = 1_700_000_000 + 3600 * np.arange(30)  # Unix seconds: 1.7 s and on, 3600 ns apart
    with pytest.raises(ValueError, match="its timestamps run from 1970-01-01 00:00:01.7"):
        tsfm.Naive(prediction_length=2).fit(pd.Series(np.arange(30.0), pd.to_datetime(hourly)))
    dated = long.assign(ds=pd.to_datetime(long["ds"].astype(str), format="%Y"))
    out = tsfm.Naive(prediction_length=2).fit(dated).predict()
    assert out["ds"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2021-01-01")]


def test_a_long_frame_in_a_multiindex_is_told_to_reset_it():
    stacked = make_long((50, 40)).set_index(["unique_id", "ds"])
    for data in (stacked, stacked["y"]):
        with pytest.raises(ValueError, match=r"MultiIndex \(levels \['unique_id', 'ds'\]\).*"
                           r"df.reset_index\(\)"):  # fmt: skip
            tsfm.Naive(prediction_length=2).fit(data)
    assert len(tsfm.Naive(prediction_length=2).fit(stacked.reset_index()).predict()) == 4


def test_target_col_and_target_are_one_parameter():
    long = make_long().rename(columns={"y": "load"})
    by_col = tsfm.Naive(prediction_length=2).fit(long, target_col="load").predict()
    by_target = tsfm.Naive(prediction_length=2).fit(long, target="load").predict()
    pd.testing.assert_frame_equal(by_col, by_target)
    with pytest.raises(ValueError, match="target='y' and target_col='load' both name"):
        tsfm.to_panel(long, target="y", target_col="load")


def test_missing_id_column_names_the_options():
    long = make_long().rename(columns={"unique_id": "store"})
    with pytest.raises(ValueError, match="'unique_id' is missing.*id_col=, time_col= and"):
        tsfm.Naive(prediction_length=2).fit(long)


def test_backtest_and_forecast_take_the_column_names():
    long = make_long().rename(columns={"unique_id": "store", "ds": "when", "y": "sales"})
    names = {"id_col": "store", "time_col": "when", "target_col": "sales"}
    result = tsfm.backtest([tsfm.Naive(prediction_length=4)], long, 4, n_windows=2, **names)
    assert len(result.forecasts) == 3 * 2 * 4
    out = tsfm.forecast(long, 3, **names)
    assert list(out.columns[:2]) == ["store", "when"] and len(out) == 9


def test_future_covariates_given_with_periods():
    n = 60
    index = pd.period_range("2020-01", periods=n + 6, freq="M")
    frame = pd.DataFrame({"y": np.arange(n + 6.0), "price": np.ones(n + 6)}, index=index)
    model = tsfm.TimeXerForecaster(**tsfm.TimeXerForecaster._test_params())
    model.set_params(context_length=24, prediction_length=6, patch_len=6, max_epochs=1)
    model.fit(frame.iloc[:n], future_covariates=["price"])
    out = model.predict(future=frame.iloc[n:][["price"]])
    assert isinstance(out.index, pd.PeriodIndex) and out.index[0] == index[n]


def test_as_timestamps_leaves_timestamps_alone():
    long = make_long()
    same, periods = as_timestamps(long, "ds")
    assert same is long and periods is None


def test_daily_local_time_keeps_midnight_across_daylight_saving():
    # pandas adds 24 hours per Day: after the March change midnight would become 01:00
    index = pd.date_range("2024-03-01", periods=20, freq="D", tz="US/Eastern")
    series = pd.Series(np.arange(20.0), index=index)
    midnight = pd.date_range("2024-03-21", periods=2, freq="D", tz="US/Eastern")
    out = tsfm.Naive(prediction_length=2).fit(series).predict()
    assert out.index.equals(midnight)
    result = tsfm.backtest(tsfm.Naive(), series, 2, n_windows=2)
    assert (result.forecasts["ds"].dt.hour == 0).all()
    assert (result.forecasts["cutoff"].dt.hour == 0).all()
