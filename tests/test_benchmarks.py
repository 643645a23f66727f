"""The `tsfm benchmark` runner: a results row, probabilistic columns, the Markdown tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.ltsf import COLUMNS, append, run

from .conftest import STUDY_SCRIPTS, dataset_or_skip, study_script


def test_runner_scores_a_probabilistic_baseline_and_writes_tables(tmp_path):
    dataset_or_skip("etth1")
    rows = [run("seasonal_naive", "etth1", h, command="test", stride=s)
            for h, s in ((96, 1), (192, 24), (336, 24), (720, 24))]  # fmt: skip
    first = rows[0]
    assert first["mse"] == pytest.approx(0.512, abs=1e-3)  # REFERENCE.md
    assert first["paper_mse"] == 0.512 and first["mse_vs_paper"] == "+0.0%"
    assert 0.5 < first["interval_80"] < 1 and first["wql"] > 0 and first["crps"] == ""
    assert rows[1]["test_stride"] == 24 and rows[1]["mse_official_loader"] == ""
    for row in rows:
        append(row, tmp_path)
    with open(tmp_path / "results.csv") as f:
        stored = list(csv.DictReader(f))
    assert len(stored) == 4 and list(stored[0])[: len(COLUMNS)] == COLUMNS
    text = (tmp_path / "RESULTS.md").read_text()
    assert "| etth1 | 96 | 336 | seasonal_naive | 0.5122" in text
    assert "## Averages over horizons" in text and "96/192/336/720" in text


def test_exogenous_configuration_forecasts_the_target_from_covariates(tmp_path):
    dataset_or_skip("epf_np")
    tiny = {"d_model": 16, "n_heads": 2, "d_ff": 32, "n_layers": 1, "max_epochs": 1,
            "batches_per_epoch": 2, "n_threads": 1, "verbose": 0}  # fmt: skip
    row = run("timexer_epf", "epf_np", 24, overrides=tiny, command="test", stride=24)
    assert row["paper_mse"] == 0.236 and row["lookback"] == 168
    assert 0 < row["mse"] < 5 and row["epochs"] == 1
    trained = json.loads(row["settings"])  # what the run trained with, seed left out
    assert trained["calendar_horizon"] is False and trained["d_model"] == 16
    assert trained["calendar"] == ["hour", "dayofweek", "dayofmonth", "dayofyear"]
    assert "random_state" not in trained and "n_threads" not in trained
    # the day-ahead columns as future covariates: read over the target day too
    append(row, tmp_path)
    future = run("timexer_epf_future", "epf_np", 24, overrides=tiny, command="test", stride=24)
    assert future["paper_mse"] == "" and 0 < future["mse"] < 5
    append(future, tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    change = f"{100 * (future['mse'] / row['mse'] - 1):+.1f}%"
    assert "## Exogenous covariates: past against future (EPF)" in text
    line = next(x for x in text.splitlines() if x.startswith("| epf_np | ") and change in x)
    assert f"| {row['mse']} |" in line and f"| {future['mse']} |" in line


def test_per_horizon_settings_follow_the_official_script():
    config = CONFIGS["timexer_ett"]
    assert config.settings("etth1", 96)[1]["d_model"] == 512
    lookback, params = config.settings("etth1", 192)
    assert lookback == 96 and (params["d_model"], params["batch_size"]) == (128, 4)
    assert config.settings("etth1", 720)[1]["d_ff"] == 2048
    assert config.calendar == ("hour", "dayofweek", "dayofmonth", "dayofyear")


def test_epf_markets_take_the_official_scripts_depth_width_and_batch():
    for name in ("timexer_epf", "timexer_epf_future"):
        config = CONFIGS[name]
        depth = {m: config.settings(m, 24)[1]["n_layers"] for m in ("epf_np", "epf_pjm", "epf_de")}
        assert depth == {"epf_np": 3, "epf_pjm": 3, "epf_de": 1}
        _, be = config.settings("epf_be", 24)
        assert (be["n_layers"], be["d_ff"], be["batch_size"]) == (2, 512, 16)
        _, fr = config.settings("epf_fr", 24)
        assert (fr["d_ff"], fr["batch_size"], fr["learning_rate"]) == (2048, 16, 1e-4)
    # the paper's time-feature tokens cover the lookback; the future configuration reads the
    # calendar over the horizon too, like the day-ahead columns
    assert CONFIGS["timexer_epf"].settings("epf_np", 24)[1]["calendar_horizon"] is False
    assert CONFIGS["timexer_ett"].settings("etth1", 96)[1]["calendar_horizon"] is False
    assert CONFIGS["timexer_epf_future"].settings("epf_np", 24)[1]["calendar_horizon"] is True


def test_runs_with_other_seeds_are_summarised_not_shown_as_the_headline(tmp_path):
    def row(seed, mse, mae):
        return {"date": "2026-11-24 10:00", "dataset": "epf_de", "horizon": 24, "lookback": 168,
                "model": "timexer_epf", "mse": mse, "mae": mae, "paper_mse": 0.44,
                "paper_mae": 0.415, "commit": "abc1234", "machine": "m", "command": "c",
                "random_state": seed}  # fmt: skip

    append(row("", 0.45, 0.42), tmp_path)  # a row from before the column: the default seed
    append(row(1, 0.47, 0.43), tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "| epf_de | 24 | 168 | timexer_epf | 0.45 |" in text  # seed 0 stays the headline
    assert "| epf_de | 24 | 168 | timexer_epf | 0.47 |" not in text
    append(row(2, 0.43, 0.41), tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith("| epf_de | timexer_epf | 24 |"))
    assert "| 0, 1, 2 | 0.4500, 0.4700, 0.4300 | 0.4500 | 0.0200 | +2.3% | 0.4200 |" in line


def test_seeds_of_an_older_configuration_are_not_averaged_with_the_new_one(tmp_path):
    def row(seed, mse, settings):
        return {"date": "2026-11-24 10:00", "dataset": "epf_fr", "horizon": 24, "lookback": 168,
                "model": "timexer_epf", "mse": mse, "mae": 0.2, "paper_mse": 0.385,
                "paper_mae": 0.208, "commit": "abc1234", "machine": "m", "command": "c",
                "random_state": seed, "settings": settings}  # fmt: skip

    for seed, mse in enumerate((0.40, 0.39, 0.41)):
        append(row(seed, mse, '{"calendar_horizon":true}'), tmp_path)
    append(row(0, 0.38, '{"calendar_horizon":false}'), tmp_path)
    append(row(1, 0.37, '{"calendar_horizon":false}'), tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith("| epf_fr | timexer_epf | 24 |"))
    assert "| 0, 1 | 0.3800, 0.3700 | 0.3750 |" in line


def test_official_seed_comparison_reads_finished_logs_and_our_current_seeds(tmp_path):
    compare = study_script("official_seeds").compare

    logs = tmp_path / "logs"
    logs.mkdir()
    for seed, mse, vali in ((1, 0.094, "0.2 0.07 0.08"), (2, 0.096, "0.1 0.09 0.05")):
        epochs = "".join(f"Epoch: {k + 1}, Train Loss: 1 Vali Loss: {v} Test Loss: 1\n"
                         for k, v in enumerate(vali.split()))  # fmt: skip
        (logs / f"timexer_PJM_seed{seed}.log").write_text(f"{epochs}mse:{mse}, mae:0.19\n")
    (logs / "timexer_PJM_seed3.log").write_text("Epoch: 1, Train Loss: 1 Vali Loss: 0.1\n")
    rows = [
        ("0.0990", "0", "new"),
        ("0.0950", "1", "new"),
        ("0.0900", "2", "old"),
        ("0.0970", "2", "new"),
    ]  # seed 2's older configuration is left out
    with open(tmp_path / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["dataset", "model", "horizon", "mse", "best_epoch",
                                    "random_state", "settings"])  # fmt: skip
        writer.writeheader()
        for mse, seed, settings in rows:
            writer.writerow({"dataset": "epf_pjm", "model": "timexer_epf", "horizon": 24,
                             "mse": mse, "best_epoch": 9, "random_state": seed,
                             "settings": settings})  # fmt: skip
    text = "\n".join(compare("PJM", logs, tmp_path / "results.csv"))
    assert "| official | 1 | 0.0940 | +1.1% | 2 |" in text  # best epoch: lowest validation loss
    assert "| official | 2 | 0.0960 | +3.2% | 3 |" in text and "| official | 3 |" not in text
    assert "| ours | 2 | 0.0970 |" in text and "0.0900" not in text
    assert "| official | 2 | 0.0950 | 0.0014 | +2.2% |" in text
    assert "| ours | 3 | 0.0970 | 0.0020 | +4.3% |" in text
    tests = "Welch's t = 1.31 (p = 0.285), Mann-Whitney U = 5 (p = 0.400)"
    assert f"Ours against official: mean +2.1%, {tests}." in text


def last_value(history, horizon, quantiles):
    """A stand-in zero-shot model for the low-frequency runner: the last value."""
    import pandas as pd

    parts = []
    for uid, y in history.groupby("unique_id")[["ds", "y"]]:
        freq = pd.infer_freq(y["ds"])
        ds = pd.date_range(y["ds"].iloc[-1], periods=horizon + 1, freq=freq)[1:]
        level = {c: y["y"].iloc[-1] for c in ["mean", *(f"q{q}" for q in quantiles)]}
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, **level}))
    return pd.concat(parts, ignore_index=True)


def test_lowfreq_zero_shot_runner_scores_every_model_and_caches_the_baselines(tmp_path):
    import numpy as np

    from tsfm.benchmarks.zero_shot_lowfreq import per_series, relative_table, run

    from .test_collections import collection_or_skip

    names = ["bis_house_prices", "exchange_rates_yearly"]
    for name in names:
        collection_or_skip(name)
    # Theta (about a second a series here) is left out to keep the test short
    metrics = run("tsfm-small-v2", names, max_series=5, cache=tmp_path, baselines=("Naive", "ETS"))
    models = set(metrics["model"])
    assert {"Naive", "SeasonalNaive", "ETS", "tsfm-small-v2"} <= models and "Theta" not in models
    assert ("fracast" in models) != ("fracast" in metrics.attrs["skipped"])
    assert metrics.groupby("model").size().eq(10).all()
    for metric in ("mase", "wql"):
        table = relative_table(metrics, "collection", metric)
        assert np.isfinite(table[sorted(models)].to_numpy()).all()
        assert (table["SeasonalNaive"] == 1).all() and table["strict"].all()
        group = relative_table(metrics, "group", metric)
        assert list(group.index) == ["quarterly", "yearly"] and (group["series"] == 5).all()
    wide = per_series(metrics)
    assert len(wide) == 10 and np.isfinite(wide["mase_tsfm-small-v2"]).all()
    cached = sorted(p.name for p in (tmp_path / "lowfreq").iterdir())
    assert sum(p.endswith("-ETS.csv") for p in cached) == 2
    # a new model: the deterministic baselines are read back, not recomputed
    again = run(last_value, names, 5, cache=tmp_path, baselines=("Naive", "ETS"), peers=False)
    mine = again[again["model"] == "last_value"].reset_index(drop=True)
    naive = again[again["model"] == "Naive"].reset_index(drop=True)
    np.testing.assert_allclose(mine["mase"], naive["mase"])
    ets = metrics[metrics["model"] == "ETS"].reset_index(drop=True)
    cached_ets = again[again["model"] == "ETS"].reset_index(drop=True)
    np.testing.assert_allclose(cached_ets["mase"], ets["mase"])
    assert np.allclose(cached_ets["seconds"], ets["seconds"])


@pytest.mark.parametrize("path", sorted(STUDY_SCRIPTS.glob("*.py")), ids=lambda p: p.stem)
def test_study_scripts_import_and_take_their_arguments(path):
    """Every study script imports against today's tsfm and its --help parses."""
    module = study_script(path.stem)
    assert module.__doc__ and path.stem in (STUDY_SCRIPTS / "README.md").read_text()
    assert callable(module.main)


def test_the_package_holds_no_study_script():
    """Issue 31: studies users do not run live in benchmarks/scripts, not in tsfm/."""
    package = Path(__file__).parents[1] / "tsfm" / "benchmarks"
    assert not {p.stem for p in STUDY_SCRIPTS.glob("*.py")} & {p.stem for p in package.glob("*.py")}


def test_mixer_speed_writes_its_table(tmp_path, monkeypatch):
    mixer = study_script("mixer_speed")
    figures = {"windows_per_s": 300.0, "epoch_seconds": 25.0, "n_params": 1000}
    monkeypatch.setattr(mixer, "measure", lambda: [
        {**figures, "model": "patchtst42", "peak_rss_mib": 1000.0, "rss_growth_mib": 900.0},
        {**figures, "model": "tsmixer", "peak_rss_mib": 800.0, "rss_growth_mib": 600.0},
    ])  # fmt: skip
    assert mixer.main(mixer.parse(["--output", str(tmp_path)])) == 0
    text = (tmp_path / "MIXER_SPEED.md").read_text()
    assert "benchmarks/scripts/mixer_speed.py" in text and "**1.5x** less memory" in text


def test_pretraining_configurations_pretrain_then_fine_tune_and_record_both(tmp_path):
    """TimeDART's rows: ``pretrain.NAME`` sets the pretraining stage only; the row records both
    stages; the pretrained backbone is reused across horizons; cross-domain pretrains on the
    other datasets' channels."""
    dataset_or_skip("etth1")
    # a pretraining rate that moves the backbone enough in two steps to change the scores
    tiny = {"d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 1, "max_epochs": 1,
            "batches_per_epoch": 2, "n_threads": 1, "verbose": 0,
            "pretrain.max_epochs": 1, "pretrain.learning_rate": 1e-2}  # fmt: skip
    row = run("timedart_etth1", "etth1", 96, overrides=tiny, command="test", stride=96)
    stage = json.loads(row["pretrain"])
    assert stage["max_epochs"] == 1 and stage["learning_rate"] == 1e-2
    assert stage["datasets"] == ["etth1"] and row["pretrain_seconds"] > 0
    trained = json.loads(row["settings"])  # the fine-tuning's own settings are restored
    assert trained["learning_rate"] == 1e-4 and trained["max_epochs"] == 1
    assert trained["lr_schedule"] == "onecycle" and trained["early_stopping_patience"] == 3
    assert 0 < row["mse"] < 5
    append(row, tmp_path)
    with open(tmp_path / "results.csv") as f:
        assert json.loads(next(csv.DictReader(f))["pretrain"]) == stage
    again = run("timedart_etth1", "etth1", 192, overrides=tiny, command="test", stride=96)
    assert again["pretrain_seconds"] < row["pretrain_seconds"]  # the same backbone, reused
    # the same backbone and budget, masked patches or no pretraining (the paper's comparison)
    masked = run("timedart_etth1", "etth1", 96, overrides={**tiny, "pretrain.method": "masked"},
                 command="test", stride=96)  # fmt: skip
    assert json.loads(masked["pretrain"])["method"] == "masked" and masked["mse"] != row["mse"]
    scratch = run("timedart_etth1", "etth1", 96, overrides={**tiny, "pretrain.method": "none"},
                  command="test", stride=96)  # fmt: skip
    assert scratch["pretrain_seconds"] == 0 and scratch["mse"] not in (row["mse"], masked["mse"])
    with pytest.raises(ValueError, match="no pretraining stage"):
        run("patchtst42", "etth1", 96, overrides={"pretrain.max_epochs": 1}, command="test")
    cross = CONFIGS["timedart_cross_ettm2"]
    assert cross.pretrain_datasets == ("etth1", "etth2", "ettm1", "ettm2")


def test_a_checkpointed_run_resumes_per_horizon_and_shares_its_pretraining(tmp_path):
    """``--set checkpoint_dir=D``: the pretraining in D/pretrain, each fine-tuning in D/h<H>; a
    later process at another horizon resumes the pretraining instead of repeating it."""
    dataset_or_skip("etth1")
    from tsfm.benchmarks import pretraining

    folder = tmp_path / "run"
    tiny = {"d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 1, "max_epochs": 1,
            "batches_per_epoch": 2, "n_threads": 1, "verbose": 0, "checkpoint_dir": str(folder),
            "pretrain.max_epochs": 2, "pretrain.batches_per_epoch": 2}  # fmt: skip
    first = run("timedart_etth1", "etth1", 96, overrides=tiny, command="test", stride=96)
    assert {p.name for p in folder.iterdir()} == {"pretrain", "h96"}
    assert (folder / "pretrain" / "checkpoint.pt").exists()
    assert (folder / "h96" / "checkpoint.pt").exists()
    pretraining._BACKBONES.clear()  # a new process
    second = run("timedart_etth1", "etth1", 192, overrides=tiny, command="test", stride=96)
    assert (folder / "h192" / "checkpoint.pt").exists()
    assert second["pretrain_seconds"] < first["pretrain_seconds"] / 2  # resumed, not redone
    written = (folder / "h96" / "checkpoint.pt").stat().st_mtime_ns
    again = run("timedart_etth1", "etth1", 96, overrides=tiny, command="test", stride=96)
    assert again["mse"] == first["mse"]  # h96 resumed finished: no epoch trained again
    assert (folder / "h96" / "checkpoint.pt").stat().st_mtime_ns == written


def test_timedarts_official_test_loader_keeps_every_window(monkeypatch):
    """Its test loader runs at batch 1 (drops no window); others drop the last incomplete batch
    of their training batch size."""
    dataset_or_skip("etth1")
    from tsfm.benchmarks import ltsf

    batches = []
    monkeypatch.setattr(ltsf, "official_loader_mse", lambda f, batch: batches.append(batch) or 0)
    tiny = {"d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 1, "max_epochs": 1,
            "batches_per_epoch": 2, "n_threads": 1, "verbose": 0}  # fmt: skip
    run("timedart_etth1", "etth1", 96, overrides={**tiny, "pretrain.method": "none"}, command="t")
    run("patchtst42", "etth1", 96, overrides=tiny, command="t")
    assert batches == [1, 128]
