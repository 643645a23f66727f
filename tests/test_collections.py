"""The low-frequency collections: loading, regularity, the evaluation split, the pretraining set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsfm.collections import (
    COLLECTIONS,
    FILES,
    MIN_LENGTH,
    evaluation_split,
    load_collection,
    pretraining_series,
)

from .conftest import data_or_skip, dataset_or_skip

STRICT = {
    "bis_house_prices", "pbs", "oecd_household_yearly", "oecd_unemp_quarterly",
    "oecd_unemp_monthly", "exchange_rates_yearly", "exchange_rates_monthly", "nn5", "saugeen",
    "classics_yearly", "classics_monthly", "classics_daily", "lynxhare", "m4_hourly", "m4_weekly",
}  # fmt: skip


def collection_or_skip(name: str) -> pd.DataFrame:
    """Load a collection; skip with the reason when a file is absent, but fail under CI=true."""
    return data_or_skip(f"collection {name}", lambda: load_collection(name, download=False))


def test_collections_table_is_consistent():
    groups = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12), "weekly": (13, 1),
              "daily": (14, 7), "hourly": (48, 24)}  # fmt: skip
    for name, c in COLLECTIONS.items():
        assert c.name == name and c.group in groups
        horizon, season = groups[c.group]
        assert c.horizon == horizon
        assert c.season == (5 if c.freq == "B" else season)
        assert c.pretraining == (name not in STRICT), name
    assert not any("cif" in name for name in COLLECTIONS)
    assert all(f.url.startswith("https://raw.githubusercontent.com/") for f in FILES.values())
    assert all(len(f.sha256) == 64 for f in FILES.values())


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_collection_loads_regular_contiguous_series(name):
    df = collection_or_skip(name)
    c = COLLECTIONS[name]
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert df["unique_id"].map(type).eq(str).all() and df["y"].dtype == np.float64
    assert np.isfinite(df["y"]).all()
    assert not df.duplicated(["unique_id", "ds"]).any()
    offset = pd.tseries.frequencies.to_offset(c.freq)
    for uid, series in df.groupby("unique_id"):
        stamps = pd.DatetimeIndex(series["ds"])
        expected = pd.date_range(stamps[0], periods=len(stamps), freq=offset)
        assert stamps.equals(expected), f"{name}/{uid}: not regular at {c.freq}"
        assert len(series) >= MIN_LENGTH and series["y"].nunique() > 1
    history, test = evaluation_split(df, c.horizon)
    assert history["unique_id"].nunique() > 0


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_evaluation_split_never_leaks(name):
    df = collection_or_skip(name)
    horizon = COLLECTIONS[name].horizon
    history, test = evaluation_split(df, horizon)
    kept = df[df["unique_id"].isin(history["unique_id"].unique())]
    joined = pd.concat([history, test]).sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(joined, kept.reset_index(drop=True))
    assert (test.groupby("unique_id").size() == horizon).all()
    last = history.groupby("unique_id")["ds"].max()
    first = test.groupby("unique_id")["ds"].min()
    assert (last < first.loc[last.index]).all()
    short = df.groupby("unique_id").size()
    assert set(history["unique_id"]) == set(short[short - horizon >= max(8, horizon)].index)


def test_evaluation_split_drops_series_with_a_short_history():
    ds = pd.date_range("2000", periods=20, freq="YS")
    df = pd.concat([
        pd.DataFrame({"unique_id": "long", "ds": ds, "y": np.arange(20.0)}),
        pd.DataFrame({"unique_id": "short", "ds": ds[:13], "y": np.arange(13.0)}),
    ])  # fmt: skip
    history, test = evaluation_split(df, 6)
    assert set(history["unique_id"]) == {"long"} and len(history) == 14 and len(test) == 6
    assert test["y"].tolist() == [14.0, 15.0, 16.0, 17.0, 18.0, 19.0]


@pytest.mark.parametrize("name", ["m4_hourly", "m4_weekly"])
def test_m4_collections_split_as_the_official_test_set(name):
    data = dataset_or_skip(name)
    history, test = evaluation_split(load_collection(name), COLLECTIONS[name].horizon)
    for ours, official in ((history, data.data), (test, data.test)):
        official = official.sort_values(["unique_id", "ds"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(ours, official, check_dtype=False)


def test_pretraining_series_hold_no_test_value_and_no_strict_collection():
    for name in COLLECTIONS:
        if COLLECTIONS[name].pretraining:
            collection_or_skip(name)
    series = pretraining_series(download=False)
    names = {sid.split("/", 1)[0] for sid, _, _ in series}
    assert names and not names & STRICT
    assert all(COLLECTIONS[n].pretraining for n in names)
    by_id = {sid: values for sid, values, _ in series}
    assert len(by_id) == len(series)
    for name in names:
        c = COLLECTIONS[name]
        history, test = evaluation_split(load_collection(name), c.horizon)
        histories = dict(list(history.groupby("unique_id")["y"]))
        for uid in test["unique_id"].unique():
            values = by_id.get(f"{name}/{uid}")
            if values is None:
                continue
            # a prefix of the history: never a test value
            assert len(values) <= len(histories[uid])
            np.testing.assert_array_equal(values, histories[uid].to_numpy()[: len(values)])
    groups = {g for _, _, g in series}
    assert groups <= {"yearly", "quarterly", "monthly", "weekly", "daily"}
    assert all(len(v) >= MIN_LENGTH and np.isfinite(v).all() for v in by_id.values())


def test_pretraining_histories_stop_before_a_sibling_collections_test_span():
    for name in ("wdi_yearly", "wb_population"):
        collection_or_skip(name)
    series = {sid: v for sid, v, _ in pretraining_series(download=False)}
    # WDI's population test span is 2012-2017; the population file's history stops before it
    _, wdi_test = evaluation_split(load_collection("wdi_yearly"), 6)
    first = wdi_test[wdi_test["unique_id"] == "USA|SP.POP.TOTL"]["ds"].min()
    population = load_collection("wb_population")
    usa = population[population["unique_id"] == "USA"]
    allowed = (usa["ds"] < first).sum()
    assert len(series["wb_population/USA"]) == allowed
    np.testing.assert_array_equal(series["wb_population/USA"], usa["y"].to_numpy()[:allowed])
