"""The dataset registry: real files, checksums, shapes, the Monash reader."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tsfm import datasets
from tsfm.datasets import REGISTRY, load_dataset, read_tsf

from .conftest import dataset_or_skip

EXPECTED_ROWS = {
    "etth1": (17420, 7), "etth2": (17420, 7), "ettm1": (69680, 7), "ettm2": (69680, 7),
    "weather": (52696, 21), "exchange": (7588, 8), "ili": (966, 7),
    "epf_np": (52416, 3), "epf_pjm": (52416, 3), "epf_be": (52416, 3), "epf_fr": (52416, 3),
    "epf_de": (52416, 3),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_wide_datasets_load_with_metadata(name):
    ds = dataset_or_skip(name)
    assert ds.data.shape == EXPECTED_ROWS[name]
    assert ds.data.columns[-1] == ds.info.target == "OT"
    assert isinstance(ds.data.index, pd.DatetimeIndex) and ds.data.index.is_monotonic_increasing
    assert pd.infer_freq(ds.data.index) is not None
    assert np.isfinite(ds.data.to_numpy()).all()
    b = ds.borders(96)
    assert b.train[0] == 0 and b.test[1] <= len(ds.data)


def test_weather_keeps_rows_and_original_stamps():
    ds = dataset_or_skip("weather")
    assert ds.original_index.has_duplicates
    assert (ds.data.min() == -9999).any()  # sentinels kept, as in the literature


@pytest.mark.parametrize("name,n,h", [("m4_hourly", 414, 48), ("m4_weekly", 359, 13)])
def test_m4_long_train_and_test(name, n, h):
    ds = dataset_or_skip(name)
    assert ds.data["unique_id"].nunique() == n and ds.test["unique_id"].nunique() == n
    assert (ds.test.groupby("unique_id").size() == h).all()
    last_train = ds.data.groupby("unique_id")["ds"].max()
    first_test = ds.test.groupby("unique_id")["ds"].min()
    step = pd.tseries.frequencies.to_offset(ds.info.freq)
    assert (first_test == last_train + step).all()


def test_tsf_reader_matches_m4_train_plus_test():
    ds = dataset_or_skip("m4_hourly")
    path = datasets.locate(REGISTRY["m4_hourly"].files[0], download=False).parent.parent
    tsf_path = path / "monash" / "m4_hourly_dataset.tsf"
    if not tsf_path.exists():
        pytest.skip("monash/m4_hourly_dataset.tsf not staged")
    frame, meta = read_tsf(tsf_path)
    assert meta["frequency"] == "hourly" and meta["horizon"] == 48
    full = pd.concat([ds.data, ds.test]).groupby("unique_id", sort=False)["y"].apply(np.asarray)
    tsf = frame.groupby("unique_id", sort=False)["y"].apply(np.asarray)
    assert len(tsf) == 414
    for i in range(1, 415):  # Monash names the M4 series T1..T414 in M4's order H1..H414
        np.testing.assert_allclose(tsf[f"T{i}"], full[f"H{i}"])
    assert frame["ds"].dtype.kind == "M"


def test_tampered_file_is_refused(tmp_path, monkeypatch):
    ds = dataset_or_skip("ili")
    source = datasets.locate(REGISTRY["ili"].files[0], download=False)
    target = tmp_path / "illness" / "national_illness.csv"
    target.parent.mkdir()
    shutil.copy(source, target)
    with open(target, "ab") as f:
        f.write(b"2020-07-07 00:00:00,1,1,1,1,1,1,1\n")
    monkeypatch.setenv("TSFM_DATA_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="has sha256 .* expected 8594cecb"):
        load_dataset("ili", download=False)
    assert len(ds.data) == 966


def test_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "data_homes", lambda: [tmp_path / "home", tmp_path / "cache"])
    with pytest.raises(FileNotFoundError, match=r"TSFM_DATA_HOME/EPF/NP.csv \(sha256 cbba6af8"):
        load_dataset("epf_np", download=False)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("electricity")


def test_every_registered_file_has_checksum_and_address():
    for name, info in REGISTRY.items():
        for f in info.files:
            assert len(f.sha256) == 64 and f.url.startswith("https://"), name
