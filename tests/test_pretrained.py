"""Synthetic corpus, `tsfm pretrain` (checkpoints, resume, export), loading and zero-shot use."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.data.synthetic import BASES, CorpusRecipe, synthetic_corpus, synthetic_series
from tsfm.pretrained import pretrain

from .conftest import make_long, make_series

TINY = {
    "name": "tsfm-test",
    "model": {
        "class": "SundialForecaster",
        "params": {
            "context_length": 32, "prediction_length": 8, "patch_len": 8, "d_model": 16,
            "n_heads": 2, "d_ff": 32, "n_layers": 1, "flow_width": 16, "flow_blocks": 1,
            "num_samples": 10, "sampling_steps": 4, "batch_size": 16, "batches_per_epoch": 3,
            "max_epochs": 1, "validation_size": 0.0, "learning_rate": 1e-3, "n_threads": 1,
        },
    },
    "corpus": {"synthetic": 40, "seed": 7, "recipe": {"min_length": 30, "max_length": 120}},
}  # fmt: skip


def test_synthetic_corpus_is_seeded_finite_and_varied():
    a, b = synthetic_corpus(25, seed=3), synthetic_corpus(25, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], synthetic_corpus(1, seed=4)[0])
    assert all(np.isfinite(x).all() and 128 <= len(x) <= 1024 for x in a)
    rng = np.random.default_rng(0)
    for name, generator in BASES.items():  # every generator works alone
        assert np.isfinite(generator(rng, 300)).all(), name
    only_intermittent = CorpusRecipe(base_weights={"intermittent": 1.0})
    x = synthetic_series(np.random.default_rng(1), only_intermittent)
    assert (x == 0).mean() > 0.3 and (x >= 0).all()


def test_repeated_templates_repeat_at_their_period():
    from tsfm.data.synthetic import TEMPLATE_PERIODS, repeated_template

    for seed in range(30):
        x = repeated_template(np.random.default_rng(seed), 700)
        best = max(np.corrcoef(x[:-p], x[p:])[0, 1] for p in set(TEMPLATE_PERIODS))
        assert best > 0.9, seed  # one cycle (or a week of them) repeats, up to the drift
    assert CorpusRecipe().base_weights.get("template", 0) == 0  # tsfm-small's recipe unchanged


def _run(tmp_path, config, register=False):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    args = argparse.Namespace(config=str(path), output=str(tmp_path / "out"), register=register)
    assert pretrain.main(args) == 0
    return tmp_path / "out"


def test_pretrain_exports_resumes_and_forecasts_zero_shot(tmp_path):
    out = _run(tmp_path, TINY)
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["train_loss"] > 0
    meta = json.loads((out / "model" / "config.json").read_text())
    assert meta["corpus"]["seed"] == 7 and meta["corpus"]["series_used"] > 0
    assert meta["params"]["context_length"] == 32 and "checkpoint_dir" not in meta["params"]
    # the same command with more epochs resumes from the checkpoint
    longer = json.loads(json.dumps(TINY))
    longer["model"]["params"]["max_epochs"] = 2
    _run(tmp_path, longer)
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    # zero-shot: any shape, any frequency, shorter than the context, any horizon
    weekly = pd.Series(np.sin(np.arange(20) / 3) + 5,
                       index=pd.date_range("2020-01-05", periods=20, freq="W"))  # fmt: skip
    forecast = tsfm.forecast(weekly, horizon=13, model=out / "model", quantiles=[0.1, 0.9])
    assert forecast.shape == (13, 3) and forecast.index.freqstr.startswith("W")
    assert np.isfinite(forecast.to_numpy()).all()
    long = tsfm.forecast(make_long((80, 50)), horizon=5, model=out / "model")
    assert long.groupby("unique_id").size().to_dict() == {"s0": 5, "s1": 5}
    model = tsfm.SundialForecaster.from_pretrained(out / "model")
    assert model.max_epochs == 0 and model.fit(make_series(60)).history_ == []
    # pretraining's training settings do not carry over to fine-tuning
    assert model.batches_per_epoch is None and model.learning_rate != 1e-3


def test_fine_tuning_starts_from_the_pretrained_weights(tmp_path):
    out = _run(tmp_path, TINY)
    series = make_series(200)
    zero_shot = tsfm.SundialForecaster.from_pretrained(out / "model").fit(series)
    tuned = tsfm.SundialForecaster.from_pretrained(out / "model", max_epochs=1).fit(series)
    scratch = tsfm.SundialForecaster(**{**TINY["model"]["params"], "max_epochs": 1}).fit(series)
    assert len(tuned.history_) == 1
    start = zero_shot.module_.state_dict()
    moved = [float((p - start[n]).abs().max()) for n, p in tuned.module_.state_dict().items()]
    assert 0 < max(moved) < 1  # small steps away from the pretrained weights
    far = [float((p - start[n]).abs().max()) for n, p in scratch.module_.state_dict().items()]
    assert max(far) > max(moved)


def test_tampered_weights_are_refused_and_registry_records_them(tmp_path, monkeypatch):
    import tsfm.pretrained as shipped

    out = _run(tmp_path, TINY)
    monkeypatch.setattr(shipped, "HERE", tmp_path / "package")
    monkeypatch.setattr(shipped, "REGISTRY_FILE", tmp_path / "package" / "registry.json")
    (tmp_path / "package").mkdir()
    pretrain.register(out / "model", "tsfm-test")
    entry = shipped.registry()["tsfm-test"]
    assert entry["sha256"] and entry["recipe"]["min_length"] == 30 and "command" in entry
    assert tsfm.from_pretrained("tsfm-test").init_weights.endswith("tsfm-test")
    weights = tmp_path / "package" / "tsfm-test" / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match .*refusing to load"):
        tsfm.from_pretrained("tsfm-test")
    with pytest.raises(ValueError, match="neither a shipped pretrained model"):
        tsfm.from_pretrained("no-such-model")


def test_zero_shot_benchmark_table(tmp_path):
    from tsfm.benchmarks.zero_shot import evaluate

    from .conftest import dataset_or_skip

    dataset_or_skip("m4_hourly")
    config = json.loads(json.dumps(TINY))
    config["model"]["params"].update(context_length=96, prediction_length=48, patch_len=16)
    config["corpus"]["recipe"] = {"min_length": 150, "max_length": 300}
    out = _run(tmp_path, config)
    model = tsfm.from_pretrained(out / "model")
    cache = tmp_path / "cache"
    table = evaluate("m4_hourly", model, include=("Naive", "SeasonalNaive"), n_series=12,
                     cache=cache)  # fmt: skip
    assert sorted(p.name for p in cache.iterdir()) == [
        "m4_hourly-first12-Naive.csv",
        "m4_hourly-first12-SeasonalNaive.csv",
    ]  # the baselines are kept; a rerun reads them and gets the same table
    again = evaluate("m4_hourly", model, include=("Naive", "SeasonalNaive"), n_series=12,
                     cache=cache)  # fmt: skip
    cols = ["mase", "smape", "wql", "relative_mase"]
    pd.testing.assert_frame_equal(again[cols], table[cols], check_exact=False, rtol=1e-9)
    kept = ["Naive", "SeasonalNaive"]  # their timing too comes from the first run
    np.testing.assert_allclose(again.loc[kept, "series_per_s"], table.loc[kept, "series_per_s"])
    assert list(table.index).count("zero-shot") == 1 and set(table.index) == {
        "zero-shot",
        "Naive",
        "SeasonalNaive",
    }
    assert (table["series"] == 12).all()
    assert table.loc["SeasonalNaive", "relative_mase"] == pytest.approx(1.0)
    assert np.isfinite(table.loc["zero-shot", "crps"]) and table["series_per_s"].gt(0).all()


def _tiny_pretrained(tmp_path, **params):
    config = json.loads(json.dumps(TINY))
    config["model"]["params"].update(params)
    config["corpus"]["recipe"] = {"min_length": 150, "max_length": 300}
    return _run(tmp_path, config) / "model"


def test_zero_shot_benchmark_on_an_ltsf_test_part(tmp_path):
    from tsfm.benchmarks.zero_shot import evaluate_ltsf

    from .conftest import dataset_or_skip

    dataset_or_skip("etth1")
    model = tsfm.from_pretrained(_tiny_pretrained(tmp_path, context_length=64,
                                                  prediction_length=96, patch_len=16))  # fmt: skip
    table = evaluate_ltsf("etth1", model, include=("Naive", "SeasonalNaive"))
    assert set(table.index) == {"zero-shot", "Naive", "SeasonalNaive"}
    # the 2880 test rows give origins 0, 96, ..., 2784: 30 windows per channel, 7 channels
    assert (table["windows"] == 30 * 7).all()
    assert table.loc["SeasonalNaive", "relative_mase"] == pytest.approx(1.0)
    # non-overlapping windows of the full protocol's SeasonalNaive (MSE .512 on every window)
    assert 0.4 < table.loc["SeasonalNaive", "mse"] < 0.65
    assert np.isfinite(table.loc["zero-shot", ["mse", "mae", "wql"]].astype(float)).all()


def test_forecast_speed_table(tmp_path):
    from tsfm.benchmarks.zero_shot import forecast_speed

    lines = forecast_speed(str(_tiny_pretrained(tmp_path)), repeats=1)
    assert len(lines) == 4 and lines[2].startswith("| co2 (weekly) | 2284 | 52 |")
    assert all(float(cell) > 0 for cell in lines[3].strip("|").split("|")[3:])


def test_finetune_benchmark_compares_pretrained_and_scratch(tmp_path):
    from tsfm.benchmarks.finetune import LEARNING_RATES, best_per_setting, run

    from .conftest import dataset_or_skip

    dataset_or_skip("ili")
    folder = _tiny_pretrained(tmp_path)
    table = run("ili", str(folder), max_epochs=1, horizon=8)
    assert list(table["setting"]) == ["zero-shot"] + ["fine-tuned", "scratch"] * len(LEARNING_RATES)
    assert table.loc[table["setting"] != "zero-shot", "epochs"].eq(1).all()
    assert table.loc[0, "epochs"] == 0 and np.isfinite(table["mse"]).all()
    best = best_per_setting(table)
    assert list(best.index) == ["zero-shot", "fine-tuned", "scratch"]
    trained = table[table["setting"] == "scratch"]
    assert best.loc["scratch", "best_val"] == trained["best_val"].min()


def test_pretraining_is_reproducible_bit_for_bit(tmp_path):
    from tsfm.models.weights import sha256_of

    first = _run(tmp_path / "a", TINY) / "model"
    second = _run(tmp_path / "b", TINY) / "model"
    assert sha256_of(first / "weights.safetensors") == sha256_of(second / "weights.safetensors")
    a, b = (json.loads((f / "config.json").read_text()) for f in (first, second))
    assert a["params"] == b["params"] and a["corpus"] == b["corpus"]


def test_shipped_model_forecasts_real_series_offline():
    import statsmodels.api as sm

    import tsfm.pretrained as shipped
    from tsfm.models.weights import sha256_of

    entry = shipped.registry()["tsfm-small"]
    weights = shipped.HERE / entry["folder"] / "weights.safetensors"
    assert sha256_of(weights) == entry["sha256"] and weights.stat().st_size < 10 * 2**20
    assert entry["command"].startswith("tsfm pretrain --config data/pretraining/tsfm-small.json")
    co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate()
    forecast = tsfm.forecast(co2, horizon=52, quantiles=[0.1, 0.9])
    assert forecast.shape == (52, 3) and np.isfinite(forecast.to_numpy()).all()
    assert (forecast["q0.1"] <= forecast["mean"]).all() and (
        forecast["mean"] <= forecast["q0.9"]
    ).all()
    recent = co2.iloc[-104:]
    assert recent.min() - 5 < forecast["mean"].min() and forecast["mean"].max() < recent.max() + 5
    # shorter than the context, a horizon beyond the trained 96 (rolled forward), a long frame
    assert tsfm.forecast(co2.iloc[-30:], horizon=120).shape == (120, 1)
    macro = sm.datasets.macrodata.load_pandas().data[["realgdp", "cpi"]]
    macro.index = pd.period_range("1959Q1", periods=len(macro), freq="Q").to_timestamp()
    long = macro.rename_axis("ds").reset_index().melt("ds", var_name="unique_id", value_name="y")
    out = tsfm.forecast(long, horizon=8)
    assert out.groupby("unique_id").size().to_dict() == {"cpi": 8, "realgdp": 8}


def test_reports_of_a_non_default_model_get_their_own_file():
    from tsfm.benchmarks.zero_shot import report_name
    from tsfm.pretrained import DEFAULT_MODEL

    assert report_name(DEFAULT_MODEL) == "ZERO_SHOT.md"
    assert report_name(DEFAULT_MODEL, "FINETUNE") == "FINETUNE.md"
    assert report_name("tsfm-small") == "ZERO_SHOT_tsfm-small.md"  # it ships beside the default


def test_real_repeats_weight_a_dataset_in_the_corpus():
    from .conftest import dataset_or_skip

    dataset_or_skip("ili")
    spec = {"synthetic": 0, "real": ["ili"]}
    once, summary = pretrain.build_corpus(spec, min_length=100)
    thrice, _ = pretrain.build_corpus({**spec, "real_repeats": {"ili": 3}}, min_length=100)
    assert thrice["unique_id"].nunique() == 3 * once["unique_id"].nunique() == 3 * 7
    assert len(thrice) == 3 * len(once) and summary["real_repeats"] == {}
    copy = thrice[thrice["unique_id"] == "ili/OT#2"]["y"].to_numpy()
    np.testing.assert_array_equal(copy, once[once["unique_id"] == "ili/OT"]["y"].to_numpy())
    with pytest.raises(ValueError, match="real_repeats names \\['m4_hourly'\\]"):
        pretrain.build_corpus({**spec, "real_repeats": {"m4_hourly": 2}}, min_length=100)


def test_zero_shot_settings_search_scores_validation_windows(tmp_path, monkeypatch):
    from .conftest import dataset_or_skip, study_script

    search = study_script("zero_shot_settings")

    dataset_or_skip("m4_hourly")
    dataset_or_skip("m4_weekly")
    full = search.validation_frame

    def first_series(dataset):
        frame = full(dataset)
        return frame[frame["unique_id"].isin(frame["unique_id"].unique()[:4])]

    monkeypatch.setattr(search, "validation_frame", first_series)
    monkeypatch.setattr(search, "GRID", [(None, None, 7), (256, "auto", 7)])
    args = argparse.Namespace(pretrained="tsfm-small-v2", output=str(tmp_path))
    assert search.main(args) == 0
    text = (tmp_path / "ZERO_SHOT_SETTINGS.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| all") or "| 256" in line]
    assert len(rows) == 2 and "| auto " in rows[1]
    # the validation window is the training file's last horizon: the test file is never read
    last_train = first_series("m4_hourly").groupby("unique_id")["ds"].max()
    first_test = tsfm.load_dataset("m4_hourly").test.groupby("unique_id")["ds"].min()
    assert (last_train < first_test.loc[last_train.index]).all()
