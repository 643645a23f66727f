"""``tsfm forecast``: the zero-shot model on a wide or long CSV, to a CSV and a plot."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import tsfm

from .conftest import make_long, make_wide


def run_forecast(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "forecast", *args], capture_output=True, text=True,
        cwd=cwd, timeout=300,
    )  # fmt: skip


def test_forecast_of_a_long_csv_with_quantiles_and_plot(tmp_path):
    data = make_long((120, 100))
    data.to_csv(tmp_path / "data.csv", index=False)
    run = run_forecast(
        "data.csv", "--horizon", "12", "--quantiles", "0.1", "0.9", "--output", "out.csv",
        "--plot", "out.png", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(tmp_path / "out.csv", parse_dates=["ds"])
    expected = tsfm.forecast(data, 12, quantiles=[0.1, 0.9])
    assert list(written.columns) == ["unique_id", "ds", "mean", "q0.1", "q0.9"]
    assert (written["ds"] == expected["ds"]).all()
    assert np.allclose(written[["mean", "q0.1", "q0.9"]], expected[["mean", "q0.1", "q0.9"]])
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"


def test_forecast_of_a_wide_csv_with_other_model(tmp_path):
    wide = make_wide(150, channels=2)
    wide.rename_axis("time").to_csv(tmp_path / "wide.csv")
    run = run_forecast(
        "wide.csv", "--horizon", "6", "--model", "tsfm-small-v2", "--quantiles", "0.2", "0.8",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(tmp_path / "forecast.csv", index_col=0, parse_dates=True)
    assert list(written.columns) == [
        f"ch{i}_{o}" for i in range(2) for o in ("mean", "q0.2", "q0.8")
    ]
    assert len(written) == 6 and written.index[0] == wide.index[-1] + pd.Timedelta(hours=1)


def test_forecast_of_a_long_csv_with_other_column_names(tmp_path):
    data = make_long((80, 90)).rename(columns={"unique_id": "store", "ds": "when", "y": "sales"})
    data.to_csv(tmp_path / "sales.csv", index=False)
    run = run_forecast(
        "sales.csv", "--horizon", "4", "--id-col", "store", "--time-col", "when",
        "--target-col", "sales", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(tmp_path / "forecast.csv")
    assert list(written.columns) == ["store", "when", "mean"] and len(written) == 8


def test_csv_ids_and_years_are_read_as_written(tmp_path, capsys):
    from tsfm.cli import main, read_table

    (tmp_path / "ids.csv").write_text(
        "unique_id,ds,y\n" + "".join(f"{sid},2024-01-0{d},{d}\n" for sid in ("007", "7", "7.0")
                                     for d in range(1, 8))
    )  # fmt: skip
    assert read_table(tmp_path / "ids.csv")["unique_id"].unique().tolist() == ["007", "7", "7.0"]
    (tmp_path / "years.csv").write_text("year,sales\n" + "".join(f"{y},{y - 1980}\n" for y in
                                                                range(1990, 2010)))  # fmt: skip
    assert read_table(tmp_path / "years.csv").index[0] == pd.Timestamp("1990-01-01")
    assert main(["forecast", str(tmp_path / "years.csv"), "--horizon", "2",
                 "--output", str(tmp_path / "out.csv")]) == 0  # fmt: skip
    written = pd.read_csv(tmp_path / "out.csv", index_col=0)
    assert written.index.tolist() == ["2010-01-01", "2011-01-01"]
    (tmp_path / "steps.csv").write_text("step,y\n" + "".join(f"{i},{i}\n" for i in range(9)))
    with pytest.raises(ValueError, match="the time column 'step' holds '0', not a date"):
        read_table(tmp_path / "steps.csv")


def test_semicolon_csv_is_read_as_columns(tmp_path):
    from tsfm.cli import read_table

    wide = make_wide(48, 2).rename_axis("time")
    wide.to_csv(tmp_path / "semi.csv", sep=";")  # was one column 'time;ch0;ch1'
    read = read_table(tmp_path / "semi.csv")
    assert list(read.columns) == ["ch0", "ch1"]
    np.testing.assert_allclose(read.to_numpy(), wide.to_numpy())
    quoted = wide.rename(columns={"ch0": "sales; net; eur"})  # a quoted name holding semicolons
    quoted.to_csv(tmp_path / "quoted.csv")
    assert list(read_table(tmp_path / "quoted.csv").columns) == ["sales; net; eur", "ch1"]
    wide.to_csv(tmp_path / "packed.csv.gz")  # compressed: pandas reads it, no sniffing
    assert list(read_table(tmp_path / "packed.csv.gz").columns) == ["ch0", "ch1"]
