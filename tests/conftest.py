"""Shared fixtures: small synthetic frames in the three input shapes, and real-data access."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # figures to files: tsfm itself never picks a backend

import numpy as np
import pandas as pd
import pytest

from tsfm.datasets import load_dataset


def make_wide(n: int = 240, channels: int = 3, seed: int = 0, start="2024-01-01") -> pd.DataFrame:
    """Hourly frame with a daily cycle, a trend and noise, one column per channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    phase = rng.uniform(0, 2 * np.pi, channels)
    values = (
        10 + np.sin(2 * np.pi * t / 24 + phase) * 3 + 0.01 * t + rng.normal(0, 0.3, (n, channels))
    )
    index = pd.date_range(start, periods=n, freq="h")
    return pd.DataFrame(values, index=index, columns=[f"ch{i}" for i in range(channels)])


def make_long(lengths=(240, 200, 180), seed: int = 0) -> pd.DataFrame:
    """Long frame of series with different lengths and starts."""
    parts = []
    for i, n in enumerate(lengths):
        wide = make_wide(
            n, 1, seed + i, start=pd.Timestamp("2024-01-01") + pd.Timedelta(hours=7 * i)
        )
        parts.append(
            pd.DataFrame({"unique_id": f"s{i}", "ds": wide.index, "y": wide["ch0"].to_numpy()})
        )
    return pd.concat(parts, ignore_index=True)


def make_series(n: int = 240, seed: int = 0) -> pd.Series:
    return make_wide(n, 1, seed)["ch0"].rename("load")


@pytest.fixture
def wide() -> pd.DataFrame:
    return make_wide()


@pytest.fixture
def long() -> pd.DataFrame:
    return make_long()


@pytest.fixture
def series() -> pd.Series:
    return make_series()


def dataset_or_skip(name: str):
    """Load a registered dataset; skip with the reason when absent, but fail under CI=true."""
    return data_or_skip(f"dataset {name}", lambda: load_dataset(name, download=False))


def data_or_skip(what: str, load):
    """``load()``; skip with the reason when a file is absent, but fail under CI=true."""
    try:
        return load()
    except FileNotFoundError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what} is required under CI=true: {err}")
        pytest.skip(f"{what} not available: {err}")


#: One-off studies behind figures in benchmarks/*.md: not installed with tsfm, tested by path.
STUDY_SCRIPTS = Path(__file__).parents[1] / "benchmarks" / "scripts"


def study_script(name: str):
    """Import ``benchmarks/scripts/<name>.py`` (not part of the package) as module ``name``."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, STUDY_SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look themselves up there
    sys.path.insert(0, str(STUDY_SCRIPTS))  # a script may import the one beside it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(STUDY_SCRIPTS))
    return module
