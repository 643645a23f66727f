"""The data layer: shapes in and out, fill policies, covariate roles, windows and splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsfm.data import DataSpec, ltsf_borders, sliding_windows, to_frame, to_panel
from tsfm.data.panel import left_pad_stack, panel_from_arrays, panel_to_arrays

from .conftest import make_long, make_wide


def test_wide_panel_holds_channels(wide):
    panel = to_panel(wide)
    assert panel.n_series == 1 and panel.n_channels == 3
    assert panel.spec == DataSpec(layout="wide", targets=("ch0", "ch1", "ch2"))
    np.testing.assert_array_equal(panel.values[0], wide.to_numpy())
    assert panel.index(0).equals(wide.index) and panel.freq.freqstr == "h"


def test_long_panel_keeps_order_and_lengths(long):
    shuffled = long.sample(frac=1, random_state=0).sort_values("ds", kind="stable")
    panel = to_panel(shuffled)
    assert panel.ids == list(dict.fromkeys(shuffled["unique_id"]))
    by_id = dict(zip(panel.ids, panel.lengths))
    assert by_id == long.groupby("unique_id").size().to_dict()


def test_fill_policies_and_observed_mask():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    s = pd.Series([1.0, np.nan, 3.0, np.nan, 5.0, np.nan], index=index, name="y")
    with pytest.raises(ValueError, match=r"column 'y' has 3 missing values \(first at 2024-01-02"):
        to_panel(s)
    interp = to_panel(s, fill_missing="interpolate")
    np.testing.assert_allclose(interp.values[0][:, 0], [1, 2, 3, 4, 5, 5])
    np.testing.assert_array_equal(interp.observed[0][:, 0], [1, 0, 1, 0, 1, 0])
    np.testing.assert_allclose(
        to_panel(s, fill_missing="ffill").values[0][:, 0], [1, 1, 3, 3, 5, 5]
    )
    np.testing.assert_allclose(to_panel(s, fill_missing="zero").values[0][:, 0], [1, 0, 3, 0, 5, 0])
    with pytest.raises(ValueError, match="fill_missing must be one of"):
        to_panel(s, fill_missing="mean")


def test_gaps_are_reindexed_only_with_a_fill_policy(wide):
    gappy = wide.drop(wide.index[[10, 11, 50]])
    with pytest.raises(ValueError, match="irregular"):
        to_panel(gappy)
    panel = to_panel(gappy, freq="h", fill_missing="interpolate")
    assert panel.lengths[0] == len(wide)
    assert (~panel.observed[0][[10, 11, 50]]).all() and panel.observed[0].sum() == 3 * (
        len(wide) - 3
    )
    with pytest.raises(ValueError, match="missing from the h grid"):
        to_panel(gappy, freq="h")


def test_column_roles_are_explicit(wide):
    panel = to_panel(wide, target="ch2", past_covariates=["ch0"], future_covariates=["ch1"])
    assert panel.spec.targets == ("ch2",)
    np.testing.assert_array_equal(panel.past_covariates[0][:, 0], wide["ch0"])
    with pytest.raises(ValueError, match=r"columns \['ch1'\] have no role"):
        to_panel(wide, target="ch2", past_covariates=["ch0"])
    with pytest.raises(ValueError, match=r"covariate columns \['nope'\] are not in the input"):
        to_panel(wide, past_covariates=["nope"])
    # one name as a string is that column, not its letters ['c', 'h', '0']
    one = to_panel(
        wide, target="ch2", past_covariates="ch0", future_covariates="ch1", calendar="hour"
    )
    assert one.spec.past_covariates == ("ch0",) and one.spec.future_covariates == ("ch1",)
    assert one.spec.calendar == ("hour",)
    numbered = wide.set_axis([0, 1, 2], axis=1)  # one integer label is that column too
    assert to_panel(
        numbered, target=2, past_covariates=0, future_covariates=1
    ).spec.past_covariates == (0,)


def test_timezones_kept_and_checked(wide):
    aware = wide.tz_localize("UTC")
    panel = to_panel(aware)
    out = to_frame(panel, {"mean": np.zeros((1, 4, 3))})
    assert str(out.index.tz) == "UTC"
    long = make_long()
    long["ds"] = long["ds"].dt.tz_localize("Europe/Berlin")
    out = to_frame(to_panel(long), {"mean": np.zeros((3, 2, 1))})
    assert str(out["ds"].dt.tz) == "Europe/Berlin"
    other = make_long(lengths=(50,)).assign(unique_id="x")
    mixed = pd.concat([long, other.assign(ds=other["ds"].dt.tz_localize("UTC"))])
    with pytest.raises(ValueError, match="time zone"):
        to_panel(mixed)


def test_wide_output_with_quantiles_is_multiindex(wide):
    panel = to_panel(wide)
    out = to_frame(panel, {"mean": np.zeros((1, 2, 3)), "q0.9": np.ones((1, 2, 3))})
    assert out.columns.tolist()[:2] == [("ch0", "mean"), ("ch0", "q0.9")]
    assert (out[("ch2", "q0.9")] == 1).all()


def test_non_fixed_frequencies():
    monthly = pd.Series(np.arange(30.0), index=pd.date_range("2020-01-31", periods=30, freq="ME"))
    panel = to_panel(monthly)
    out = to_frame(panel, {"mean": np.zeros((1, 3, 1))})
    assert list(out.index.strftime("%Y-%m-%d")) == ["2022-07-31", "2022-08-31", "2022-09-30"]


def test_too_few_points_to_infer_frequency():
    s = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2, freq="D"))
    with pytest.raises(ValueError, match="too few to infer the frequency"):
        to_panel(s)
    assert to_panel(s, freq="D").freq.freqstr == "D"


def test_gluonts_dataset_is_read_as_a_long_frame():
    from gluonts.dataset.common import ListDataset

    entries = [
        {"start": pd.Period("2024-01-01 00:00", "h"), "target": np.arange(30.0), "item_id": "a"},
        {"start": pd.Period("2024-02-01 05:00", "h"), "target": np.ones(20)},
    ]
    panel = to_panel(ListDataset(entries, freq="h"))
    assert panel.ids == ["a", "1"] and list(panel.lengths) == [30, 20]
    assert panel.starts[1] == pd.Timestamp("2024-02-01 05:00") and panel.freq == pd.offsets.Hour()
    assert to_panel(entries).ids == ["a", "1"]  # a plain list of entries works too
    with pytest.raises(ValueError, match="series '0' has a 2-d target"):
        to_panel([{"start": pd.Period("2024-01-01", "D"), "target": np.ones((2, 5))}])
    with pytest.raises(ValueError, match="item_id 'a' appears twice"):
        to_panel([entries[0], entries[0]])


def test_type_errors():
    with pytest.raises(
        TypeError, match="expected a pandas Series or DataFrame, a gluonts .* got str"
    ):
        to_panel("ch0")
    with pytest.raises(ValueError, match="empty"):
        to_panel(pd.Series([], dtype=float))


@settings(max_examples=25, deadline=None)
@given(
    lengths=st.lists(st.integers(3, 40), min_size=1, max_size=5),
    freq=st.sampled_from(["h", "D", "15min", "W-SUN", "MS"]),
)
def test_panel_round_trips_through_arrays_and_frames(lengths, freq):
    rng = np.random.default_rng(sum(lengths))
    parts = []
    for i, n in enumerate(lengths):
        ds = pd.date_range(
            "2020-01-05", periods=n, freq=freq
        ) + i * pd.tseries.frequencies.to_offset(freq)
        parts.append(pd.DataFrame({"unique_id": f"id{i}", "ds": ds, "y": rng.normal(size=n)}))
    long = pd.concat(parts, ignore_index=True)
    panel = to_panel(long)
    meta, arrays = panel_to_arrays(panel)
    again = panel_from_arrays(meta, arrays)
    assert again.ids == panel.ids and again.freq == panel.freq and again.spec == panel.spec
    for a, b in zip(again.values, panel.values):
        np.testing.assert_array_equal(a, b)
    horizon = 3
    out = to_frame(again, {"mean": np.zeros((len(lengths), horizon, 1))})
    for i, part in enumerate(parts):
        expected = pd.date_range(part["ds"].iloc[-1], periods=horizon + 1, freq=freq)[1:]
        got = out.loc[out["unique_id"] == f"id{i}", "ds"]
        assert list(got) == list(expected)


def test_sliding_windows_are_views():
    array = np.arange(40.0).reshape(20, 2)
    windows = sliding_windows(array, 5, stride=3)
    assert windows.shape == (6, 5, 2) and np.shares_memory(windows, array)
    for k, w in enumerate(windows):
        np.testing.assert_array_equal(w, array[3 * k : 3 * k + 5])


def test_left_pad_stack():
    stacked, mask = left_pad_stack([np.ones((2, 1)), np.arange(5.0)[:, None]], 3)
    assert np.isnan(stacked[0, 0, 0]) and mask.tolist() == [[False, True, True], [True] * 3]
    np.testing.assert_array_equal(stacked[1, :, 0], [2, 3, 4])


def test_ltsf_borders_match_the_literature():
    b = ltsf_borders(17420, 336, "ett_hour")
    assert (b.train, b.val, b.test) == ((0, 8640), (8640 - 336, 11520), (11520 - 336, 14400))
    assert b.test_origin == 11520
    m = ltsf_borders(69680, 96, "ett_minute")
    assert m.test == (4 * 11520 - 96, 4 * 14400)
    r = ltsf_borders(966, 104, "ratio")  # ILI: 676 train, 193 test, val between
    assert r.train == (0, 676) and r.test == (966 - 193 - 104, 966) and r.val == (676 - 104, 773)


def test_wide_multiple_windows_stride(wide):
    big = make_wide(1000, 2)
    assert sliding_windows(big.to_numpy(), 100).shape == (901, 100, 2)


# --------------------------------------------------------------------------- ids and frequencies


def _long_part(sid, n=30, freq="h", offset=0.0):
    ds = pd.date_range("2024-01-01", periods=n, freq=freq)
    return pd.DataFrame({"unique_id": sid, "ds": ds, "y": np.arange(n) + offset})


def test_ids_are_kept_as_given_never_merged(tmp_path):
    import tsfm

    long = pd.concat([_long_part(1), _long_part("1", offset=100.0)], ignore_index=True)
    panel = to_panel(long)
    assert panel.ids == [1, "1"] and [v[-1, 0] for v in panel.values] == [29.0, 129.0]
    model = tsfm.Naive(prediction_length=2).fit(long)
    out = model.predict()
    assert out["unique_id"].tolist() == [1, 1, "1", "1"]
    assert out["mean"].tolist() == [29.0, 29.0, 129.0, 129.0]
    loaded = tsfm.BaseForecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict(), out)
    # an integer id column comes back as integers
    ints = pd.concat([_long_part(7), _long_part(8)], ignore_index=True)
    assert tsfm.Naive(prediction_length=1).fit(ints).predict()["unique_id"].dtype == np.int64


@pytest.mark.parametrize(("column", "role"), [("mean", "id"), ("q0.1", "id"), ("mean", "time")])
def test_an_id_or_time_column_named_like_an_output_is_refused_at_fit(column, role):
    """The forecast would overwrite it (the ids lost): refused before any training."""
    import tsfm

    long = pd.concat([_long_part("a"), _long_part("b", offset=100.0)], ignore_index=True)
    long = long.rename(columns={"unique_id" if role == "id" else "ds": column})
    with pytest.raises(ValueError, match=f"the input's {role} column is named '{column}'"):
        tsfm.PatchTSTForecaster(max_epochs=1).fit(long, **{f"{role}_col": column})


def test_ids_that_python_would_merge_are_refused():
    long = pd.concat([_long_part(1), _long_part(1.0), _long_part("x")], ignore_index=True)
    long["unique_id"] = long["unique_id"].astype(object)
    long.loc[30:59, "unique_id"] = pd.Series([1.0] * 30, index=range(30, 60), dtype=object)
    with pytest.raises(ValueError, match=r"ids 1 \(int\) and 1.0 \(float\) are equal"):
        to_panel(long)


def test_missing_ids_are_refused_naming_their_rows():
    long = pd.concat([_long_part("a"), _long_part("b")], ignore_index=True)
    long.loc[[3, 41], "unique_id"] = np.nan
    with pytest.raises(ValueError, match="'unique_id' has 2 missing ids .*at index 3, 41"):
        to_panel(long)
    long.loc[[3, 41], "unique_id"] = None
    with pytest.raises(ValueError, match="2 missing ids"):
        to_panel(long)


def test_every_series_frequency_is_inferred_and_a_mismatch_named():
    long = pd.concat([_long_part("a"), _long_part("b", freq="D")], ignore_index=True)
    with pytest.raises(ValueError, match="series 'b' has frequency D and series 'a' has h") as e:
        to_panel(long)
    assert "missing from" not in str(e.value) and "resample" in str(e.value)
    with pytest.raises(ValueError, match="has frequency D"):  # fill_missing does not hide it
        to_panel(long, fill_missing="interpolate")
    # a series with gaps takes the frequency the others show, even when it comes first
    gappy = _long_part("g").drop([5, 6])
    panel = to_panel(pd.concat([gappy, _long_part("a")]), fill_missing="interpolate")
    assert panel.freq.freqstr == "h" and list(panel.lengths) == [30, 30]


def test_integer_and_multiindex_column_names_come_back_unchanged(tmp_path):
    import tsfm

    index = pd.date_range("2024-01-01", periods=40, freq="h")
    values = np.random.default_rng(0).normal(size=(40, 3))
    numbered = pd.DataFrame(values, index=index)  # columns 0, 1, 2
    model = tsfm.Naive(prediction_length=3).fit(numbered)
    out = model.predict()
    pd.testing.assert_index_equal(out.columns, pd.Index([0, 1, 2]))
    assert model.predict(numbered, quantiles=[0.1]).columns[0] == (0, "mean")
    pd.testing.assert_frame_equal(
        tsfm.BaseForecaster.load(model.save(tmp_path / "i")).predict(), out
    )
    columns = pd.MultiIndex.from_product(
        [["north"], ["load", "price"], [1]], names=["site", "var", "k"]
    )
    multi = pd.DataFrame(values[:, :2], index=index, columns=columns)
    model = tsfm.Naive(prediction_length=3).fit(multi)
    pd.testing.assert_index_equal(model.predict().columns, columns)
    with_q = model.predict(quantiles=[0.1]).columns
    assert with_q.names == ["site", "var", "k", None] and with_q[1] == ("north", "load", 1, "q0.1")
    loaded = tsfm.BaseForecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    _, forecasts = model.evaluate(multi, test_size=6, return_forecasts=True)
    assert set(forecasts["unique_id"]) == {("north", "load", 1), ("north", "price", 1)}
    result = tsfm.backtest([tsfm.Naive(prediction_length=3)], multi, 3, n_windows=3)
    assert set(result.forecasts["unique_id"]) == {("north", "load", 1), ("north", "price", 1)}
    only = tsfm.Naive(prediction_length=3).fit(multi.iloc[:, [1]], target=("north", "price", 1))
    assert only.predict().columns.tolist() == [("north", "price", 1)]


def test_many_regular_series_with_one_gap_is_still_caught():
    # regular series are checked against one shared grid; a gap in one of them must still
    # be found and named, whatever the others look like
    frames = [
        pd.DataFrame({"unique_id": f"s{i}", "y": np.arange(30.0),
                      "ds": pd.date_range(f"{2000 + i}-01-01", periods=30, freq="MS")})
        for i in range(5)
    ]  # fmt: skip
    frames[3] = frames[3].drop(index=7)
    with pytest.raises(ValueError, match="'s3'.*missing from the MS grid"):
        to_panel(pd.concat(frames))
    panel = to_panel(pd.concat(frames), fill_missing="interpolate")
    assert [len(v) for v in panel.values] == [30] * 5


@pytest.mark.parametrize("freq", ["h", "D", "MS", "QS", "W-SUN"])
def test_a_series_with_gaps_finds_its_frequency_when_gaps_are_filled(freq):
    index = pd.date_range("2001-01-01", periods=40, freq=freq)
    series = pd.Series(np.arange(40.0), index=index).drop(index[[5, 6, 20]])
    panel = to_panel(series, fill_missing="interpolate")
    assert pd.date_range(index[0], periods=40, freq=panel.freq).equals(index)
    np.testing.assert_allclose(panel.values[0][:, 0], np.arange(40.0), atol=0.1)
    assert (~panel.observed[0][:, 0]).sum() == 3
    with pytest.raises(ValueError, match="irregular timestamps"):
        to_panel(series)  # fill_missing="raise": the gaps are named, not filled


def test_a_daily_series_is_not_filled_onto_an_hourly_grid():
    hourly = pd.DataFrame({"unique_id": "a", "y": np.arange(100.0),
                           "ds": pd.date_range("2020", periods=100, freq="h")})  # fmt: skip
    daily = hourly.assign(unique_id="b", ds=pd.date_range("2020", periods=100, freq="D"))
    frame = pd.concat([hourly, daily])
    with pytest.raises(ValueError, match=r"series 'b': its own frequency is D; only 100 of"):
        to_panel(frame, freq="h", fill_missing="ffill")
