"""The tsfm command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest


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


def tsfm_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run ``tsfm ARGS`` in a fresh interpreter, its output captured (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "tsfm.cli", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


def test_backtest_mixes_trained_statistical_and_pretrained_models(tmp_path):
    """Issue 34's "done when": one leaderboard with interval scores for every model, and the
    progress bars in a log (not a terminal) without cursor-movement escape codes."""
    from .conftest import make_long

    make_long((150, 130, 120)).to_csv(tmp_path / "data.csv", index=False)
    tiny = ["context_length=24", "patch_len=8", "stride=8", "d_model=8", "n_layers=1",
            "max_epochs=2"]  # fmt: skip
    run = tsfm_cli(
        "backtest", str(tmp_path / "data.csv"), "--models",
        "seasonal_naive,ets,patchtst,tsfm-small-v2", "--horizon", "12", "--n-windows", "2",
        "--quantiles", "0.1", "0.9", *(f"--set=patchtst.{s}" for s in tiny),
        "--set", "tsfm-small-v2.num_samples=20", "--output", str(tmp_path / "out"),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    board = pd.read_csv(tmp_path / "out" / "leaderboard.csv").set_index("model")
    assert set(board.index) == {"SeasonalNaive", "ETS", "PatchTSTForecaster", "tsfm-small-v2"}
    assert board["interval_80"].notna().all()
    assert board.loc["PatchTSTForecaster", "intervals"] == "conformal"
    assert "epochs" in run.stderr and "\x1b" not in run.stderr


def test_models_lists_every_forecaster_and_pretrained_model():
    from tsfm.catalog import forecaster_classes
    from tsfm.pretrained import registry

    run = tsfm_cli("models")
    assert run.returncode == 0, run.stderr
    listed = {line.split()[0] for line in run.stdout.splitlines()}
    expected = {"naive", "seasonal_naive", "drift", "window_average", "ets", "arima", "theta",
                "patchtst", "xpatch", "tsmixer", "timexer", "sundial", "mtst",
                "entrope"}  # fmt: skip
    assert expected <= listed
    assert set(forecaster_classes()) | set(registry()) == listed


def test_help_is_plain_text_and_version_is_printed():
    import tsfm

    run = tsfm_cli("--help")
    assert run.returncode == 0 and "``" not in run.stdout and "forecast" in run.stdout
    for command in ("forecast", "backtest", "benchmark"):
        helped = tsfm_cli(command, "--help")
        assert helped.returncode == 0 and "``" not in helped.stdout, command
    version = tsfm_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"tsfm {tsfm.__version__}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["benchmark", "--model", "nonsense"], "invalid choice: 'nonsense' (choose from"),
        (["backtest", "data.csv", "--models", "prophet", "--horizon", "3"], "tsfm-small-v2"),
        (["backtest", "data.csv", "--models", "naive", "--horizon", "3", "--set",
          "naive.bogus=1"], "naive (Naive) has no parameter 'bogus'"),
        (["backtest", "data.csv", "--models", "naive", "--horizon", "3", "--set", "naive=1"],
         "expected MODEL.NAME=VALUE"),
        (["backtest", "missing.csv", "--models", "naive", "--horizon", "3"], "missing.csv"),
        (["forecast", "data.csv", "--horizon", "0"], "must be a positive integer"),
        (["forecast", "data.csv", "--horizon", "3", "--model", "nonsense"], "tsfm-combo"),
        (["forecast", "data.csv", "--horizon", "3", "--quantiles", "1.5"], "1.5"),
    ],
)  # fmt: skip
def test_bad_arguments_end_in_a_message_not_a_traceback(tmp_path, args, message):
    from .conftest import make_long

    make_long((60, 50)).to_csv(tmp_path / "data.csv", index=False)
    run = tsfm_cli(*args, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
