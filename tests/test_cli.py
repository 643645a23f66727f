"""The tsfm command."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_leaderboard_and_writes_plot(tmp_path):
    out = tmp_path / "demo.png"
    result = subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "demo", "--quick", "--output", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "MASE" in result.stdout and "SeasonalNaive" in result.stdout and "ETS" in result.stdout
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"


def test_backtest_writes_leaderboard_forecasts_and_plots(tmp_path):
    from .conftest import make_long

    data = make_long((120, 100, 30))
    data.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "backtest", str(tmp_path / "data.csv"),
         "--models", "naive,seasonal_naive,window_average", "--horizon", "12",
         "--n-windows", "2", "--season-length", "24", "--quantiles", "0.1", "0.9",
         "--set", "window_average.window_size=6", "--output", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    board = (out / "leaderboard.md").read_text()
    assert "SeasonalNaive" in board and "dm_p_value" in board
    plots = {p.name for p in out.glob("*.png")}
    assert plots == {"forecasts.png", "by_step.png", "leaderboard.png"}
    skipped = (out / "skipped.csv").read_text()
    assert "s2" in skipped  # the 30-row series is too short for SeasonalNaive(24): reported
    assert "windows skipped" in run.stdout


def test_backtest_rejects_unknown_model(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "backtest", "x.csv", "--models", "prophet",
         "--horizon", "3"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0 and "unknown model 'prophet'" in run.stderr
