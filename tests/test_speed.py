"""``tsfm benchmark --speed``: the peers run in the same invocation, ratios from its medians."""

from __future__ import annotations

import textwrap

import pytest

from tsfm.benchmarks import speed

FAKE_PEER = textwrap.dedent(
    """
    import json, os, sys
    tag = sys.argv[sys.argv.index("--tag") + 1]
    with open(os.path.join(os.environ["PEERS_RESULTS"], tag + ".json"), "w") as f:
        json.dump({"windows_per_s": 100.0, "inference_s": 2.0, "peak_rss_mib": 1000.0,
                   "version": "9.9"}, f)
    """
)


@pytest.fixture
def fake_peers(tmp_path, monkeypatch):
    """A transformers stand-in script, no neuralforecast script, and tsfm's runs scripted."""
    (tmp_path / "hf_patchtst.py").write_text(FAKE_PEER)
    monkeypatch.setenv("TSFM_PEERS_DIR", str(tmp_path))
    monkeypatch.setattr(speed, "locate", lambda file: tmp_path / "ETTh1.csv")  # not read
    ours = iter([400.0, 200.0])  # two rounds: median 300
    monkeypatch.setattr(
        speed,
        "run_tsfm",
        lambda epochs: {"train_windows_per_s": next(ours), "test_predict_seconds": 0.5,
                        "peak_rss_mib": 500.0, "test_mse_after_epochs": 0.4, "epochs": epochs},
    )  # fmt: skip
    return tmp_path


def test_peers_alternate_with_tsfm_and_missing_ones_are_skipped(fake_peers):
    runs, skipped = speed.same_run(epochs=1, rounds=2)
    assert [len(runs["tsfm"]), len(runs["transformers"])] == [2, 2]
    assert "neuralforecast" not in runs
    assert (
        skipped["neuralforecast"].startswith("no ")
        and "nf_patchtst.py" in skipped["neuralforecast"]
    )


def test_ratios_come_from_the_medians_of_the_same_run(fake_peers):
    runs, skipped = speed.same_run(epochs=1, rounds=2)
    by = speed.ratios(runs)["transformers"]
    assert by == {"train_windows_per_s": 3.0, "test_predict_seconds": 4.0, "peak_rss_mib": 2.0}
    text = speed.report(runs, skipped, "tsfm benchmark --speed")
    assert "training 3.00x the windows/s, prediction 4.00x as fast, 0.50x the peak memory" in text
    assert "| transformers 9.9 | 100, 100; **100**" in text
    assert "neuralforecast: skipped (no " in text


def test_a_failing_peer_is_skipped_with_its_last_line(tmp_path, monkeypatch):
    monkeypatch.setattr(speed, "locate", lambda file: tmp_path / "ETTh1.csv")
    (tmp_path / "hf_patchtst.py").write_text("raise ImportError('No module named transformers')")
    outcome = speed.run_peer("transformers", 1, tmp_path)
    assert outcome == "hf_patchtst.py failed: ImportError: No module named transformers"


def test_every_model_config_is_timed_on_etth1_and_tabled(tmp_path, monkeypatch):
    """``--speed --models``: a real measurement of one configuration, then the table with every
    model's row and the zero-shot row, appended to SPEED_MODELS.md; unknown names refused."""
    import argparse

    from tsfm.benchmarks import model_speed

    from .conftest import dataset_or_skip

    dataset_or_skip("etth1")
    row = model_speed.measure_config("patchtst42", steps=2, threads=1)
    assert row["batch_size"] == 128 and row["lookback"] == 336 and row["parameters"] > 50_000
    assert row["train_windows_per_s"] > 0 and 0 < row["test_predict_seconds"] < 60
    assert "pretrain_windows_per_s" not in row
    calls = []

    def fake(call):
        calls.append(call)
        if call.startswith("measure_forecast"):
            return {"config": "tsfm.forecast (x)", "series": 10, "forecast_seconds": 0.5,
                    "series_per_s": 20.0, "peak_rss_mib": 300.0}  # fmt: skip
        return {**row, "config": call.split("'")[1], "pretrain_windows_per_s": 3.25}

    monkeypatch.setattr(model_speed, "in_fresh_process", fake)
    args = argparse.Namespace(models=[], speed_steps=None, output=str(tmp_path))
    assert model_speed.main(args) == 0
    assert calls[: len(model_speed.MODELS)] == [
        f"measure_config({name!r}, {model_speed.STEPS})" for name in model_speed.MODELS
    ]
    text = (tmp_path / "SPEED_MODELS.md").read_text()
    assert text.startswith("# What each model costs") and "| mtst | PatchTSTForecaster" in text
    assert "| 3.2 |" in text and "**20 series/s**" in text
    with pytest.raises(SystemExit, match="unknown configuration"):
        model_speed.main(argparse.Namespace(models=["nope"], speed_steps=None, output="x"))
