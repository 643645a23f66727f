"""``tsfm benchmark --reasoning``: can a model compose patterns it only saw apart?

The protocol of Potosnak et al. (2025), "Investigating Compositional Reasoning in Time Series
Foundation Models" (arXiv 2502.06037), as its released code runs it (branch ``tsfm_reasoning``
of github.com/PotosnakW/neuralforecast): composites of two sinusoids (or real series) are
forecast over their last ``horizon`` steps from the preceding ones, by every model trained

* on the composites' own histories (``training="composites"``: in-distribution), or
* on the component set only (``training="components"``: unit cosines at the composites'
  strongest DFT frequencies, no composite ever seen: compositional reasoning);

and by the shipped zero-shot model with no training (``training="none"``). The statistical
baselines fit each composite's own history (local models: in-distribution only, as in the
study). Score: MAE on the original scale over every series and step (the study's metric),
mean and sd over seeds. Data: :mod:`tsfm.data.compositions`.

:data:`SETTINGS` holds the configurations: ``ci`` (seconds), ``reduced`` (about half an hour on
one thread of this 2-core machine) and ``full`` (the study's sizes). Rows go to
``reasoning_<setting>.csv`` as they are computed (a rerun skips the rows present, so an
interrupted run resumes); the page ``REASONING.md`` and the plot ``reasoning.png`` are then
written from the CSVs of the output folder.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.data.compositions import (
    component_frame,
    composite_values,
    long_frame,
    real_windows,
    sample_compositions,
)


@dataclass(frozen=True)
class Task:
    """One set of composites: its length, horizon, DFT terms kept and baselines' season.

    ``top_k`` counts one-sided DFT bins; the study keeps ``2 * n_compositions`` (synthetic) or
    100 (real) of the two-sided spectrum, i.e. half as many distinct frequencies.
    """

    name: str
    length: int
    horizon: int
    top_k: int
    season: int
    freq: str
    start: str = "2024-01-01"


#: The study's synthetic set (1200 steps, horizon 192, season 48 for its ARIMA/ETS) and real
#: set (ETTm2 windows of 1056 steps, horizon 48); ``synthetic_small`` is the CI's.
TASKS = {
    "synthetic": Task("synthetic", 1200, 192, 2, 48, "min"),
    "synthetic_small": Task("synthetic_small", 400, 48, 2, 48, "min"),
    "ettm2": Task("ettm2", 1056, 48, 50, 96, "15min"),
}


@dataclass(frozen=True)
class Setting:
    """A configuration of the benchmark.

    Parameters
    ----------
    name : str
    tasks : tuple of str
        Keys of :data:`TASKS`.
    n_series : int
        Composites per task (the study: 100).
    seeds : tuple of int
        One data draw and one training per seed (the study: 1, 5, 10).
    context : int
        Lookback of every model (the study: 256).
    steps : int
        Optimiser steps per training (the study: at most 10,000, early-stopped).
    batch_size : int
        Windows per step (the study: 256).
    size : {"tiny", "small", "paper"}
        Model sizes: tiny and small share one width across models; ``paper`` keeps each
        model's own defaults.
    early_stopping : bool
        Hold out the last ``horizon`` steps of every training series and stop after 20
        checks (of 100 steps each) without improvement, as the study does.
    baselines : tuple of str
        Statistical baselines fitted per composite.
    """

    name: str
    tasks: tuple[str, ...]
    n_series: int
    seeds: tuple[int, ...]
    context: int
    steps: int
    batch_size: int
    size: str
    early_stopping: bool
    baselines: tuple[str, ...]


ALL_BASELINES = ("Naive", "SeasonalNaive", "ETS", "Theta", "ARIMA")
SETTINGS = {
    "ci": Setting("ci", ("synthetic_small",), 6, (1,), 96, 4, 8, "tiny", False,
                  ("Naive", "SeasonalNaive")),
    "reduced": Setting("reduced", ("synthetic",), 100, (1,), 256, 1000, 32, "small", False,
                       ALL_BASELINES),
    "full": Setting("full", ("synthetic", "ettm2"), 100, (1, 5, 10), 256, 10_000, 256, "paper",
                    True, ALL_BASELINES),
}  # fmt: skip

#: Each neural model's family, for the comparison with the study's findings.
FAMILIES = {
    "PatchTST": "patch Transformer",
    "TimeXer": "patch Transformer",
    "Sundial": "patch Transformer",
    "MTST": "patch Transformer",
    "EntroPE": "patch Transformer",
    "TimeDART": "patch Transformer",
    "TSMixer": "MLP",
    "xPatch": "MLP",
}
ZERO_SHOT = "zero-shot"
#: Steps between validation checks with early stopping (the study's ``val_check_steps``).
CHECK_STEPS = 100
PATIENCE = 20


def task_frames(task: Task, n_series: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The composites and the component set of ``task`` (long frames, full length)."""
    if task.name.startswith("synthetic"):
        values = composite_values(sample_compositions(n_series, 2, seed), task.length)
        start = task.start
    else:
        from tsfm.datasets import load_dataset

        values, index = real_windows(load_dataset(task.name).data, n_series, task.length, seed)
        start = str(index[0])
    composites = long_frame(values, "composite", start, task.freq)
    components = component_frame(values, task.top_k, task.length, start, task.freq)
    return composites, components


def neural_models(setting: Setting, task: Task, seed: int, threads: int = 1) -> dict:
    """Every tsfm forecaster, untrained, at ``setting``'s size and budget for ``task`` (with
    early stopping, the last ``horizon`` steps of the training span validate, as in the
    study), training and predicting on ``threads`` torch threads."""
    import tsfm

    horizon = task.horizon
    if setting.early_stopping:
        share = round(horizon / (task.length - horizon), 4)
        budget = {"max_epochs": setting.steps // CHECK_STEPS, "batches_per_epoch": CHECK_STEPS,
                  "early_stopping_patience": PATIENCE, "validation_size": share}  # fmt: skip
    else:
        budget = {"max_epochs": 1, "batches_per_epoch": setting.steps, "validation_size": 0.0}
    common = {"context_length": setting.context, "prediction_length": horizon,
              "batch_size": setting.batch_size, "random_state": seed, "verbose": 0,
              "n_threads": threads, **budget}  # fmt: skip
    if setting.size == "paper":
        arch = {name: {} for name in FAMILIES}
    else:
        width = {"tiny": 16, "small": 64}[setting.size]
        layers = {"tiny": 1, "small": 2}[setting.size]
        block = {"d_model": width, "n_heads": 2 if width < 32 else 4, "d_ff": 2 * width,
                 "n_layers": layers}  # fmt: skip
        sampling = {"num_samples": 10, "sampling_steps": 10} if setting.size == "tiny" else {}
        arch = {
            "PatchTST": {"patch_len": 16, "stride": 8, **block},
            "TimeXer": {"patch_len": 16, **block},
            "Sundial": {"patch_len": 16, **block, **sampling},
            "MTST": block,
            "EntroPE": {"entropy_epochs": 1, **block},
            "TimeDART": {"patch_len": 16, "stride": 16, **block},
            "TSMixer": {"patch_len": 16, "stride": 8, "d_model": width, "n_layers": layers},
            "xPatch": {"patch_len": 16, "stride": 8},
        }
    classes = {
        "PatchTST": tsfm.PatchTSTForecaster, "TimeXer": tsfm.TimeXerForecaster,
        "Sundial": tsfm.SundialForecaster, "MTST": tsfm.MTSTForecaster,
        "EntroPE": tsfm.EntroPEForecaster, "TimeDART": tsfm.TimeDARTForecaster,
        "TSMixer": tsfm.TSMixerForecaster, "xPatch": tsfm.XPatchForecaster,
    }  # fmt: skip
    # the study trains with the MAE loss; Sundial keeps its flow-matching loss, xPatch its
    # arctan-weighted MAE
    mae = {name: {} if name in ("Sundial", "xPatch") else {"loss": "mae"} for name in FAMILIES}
    return {name: classes[name](**common, **arch[name], **mae[name]) for name in FAMILIES}


def baseline_models(names: tuple[str, ...], season: int, horizon: int) -> dict:
    """The statistical baselines ``names`` (of :data:`ALL_BASELINES`), season ``season``."""
    import tsfm

    h = horizon
    build = {
        "Naive": lambda: tsfm.Naive(prediction_length=h),
        "SeasonalNaive": lambda: tsfm.SeasonalNaive(season_length=season, prediction_length=h),
        "ETS": lambda: tsfm.ETS(season_length=season, prediction_length=horizon, n_jobs=1),
        "Theta": lambda: tsfm.Theta(season_length=season, prediction_length=horizon, n_jobs=1),
        "ARIMA": lambda: tsfm.ARIMA(season_length=season, prediction_length=horizon, n_jobs=1),
    }
    return {name: build[name]() for name in names}


def errors(forecast: pd.DataFrame, target: pd.DataFrame) -> dict:
    """MAE and MSE of ``forecast`` (``unique_id, ds, mean``) against ``target`` (``y``)."""
    joined = target.merge(forecast, on=["unique_id", "ds"], how="left")
    if joined["mean"].isna().any():
        raise ValueError("the forecast misses some of the target's steps")
    diff = joined["mean"].to_numpy() - joined["y"].to_numpy()
    return {"mae": float(np.mean(np.abs(diff))), "mse": float(np.mean(diff**2))}


def split(frame: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every series' history (all but the last ``horizon`` steps) and its last ``horizon``."""
    length = frame.groupby("unique_id").size().iloc[0]
    grouped = frame.groupby("unique_id", sort=False)
    return grouped.head(length - horizon), grouped.tail(horizon)


def run_task(setting: Setting, task: Task, seed: int, done: set, write, threads: int = 1) -> None:
    """Score every model on one task and seed on ``threads`` torch threads; ``write(row)``
    records each row, rows whose key is in ``done`` are skipped."""
    import torch

    import tsfm

    composites, components = task_frames(task, setting.n_series, seed)
    history, target = split(composites, task.horizon)
    component_history, _ = split(components, task.horizon)
    base = {"setting": setting.name, "task": task.name, "seed": seed,
            "n_series": setting.n_series,
            "n_components": components["unique_id"].nunique()}  # fmt: skip

    def record(model: str, family: str, training: str, fit_predict) -> None:
        if (task.name, seed, model, training) in done:
            return
        print(f"{task.name} seed {seed}: {model} trained on {training} ...", file=sys.stderr,
              flush=True)  # fmt: skip
        start = time.perf_counter()
        forecast, parameters = fit_predict()
        seconds = time.perf_counter() - start
        write({**base, "model": model, "family": family, "training": training,
               **errors(forecast, target), "seconds": round(seconds, 2),
               "parameters": parameters, "load_1min": os.getloadavg()[0]})  # fmt: skip

    record(ZERO_SHOT, "pretrained", "none",
           lambda: (tsfm.forecast(history, horizon=task.horizon), None))  # fmt: skip
    for name, model in baseline_models(setting.baselines, task.season, task.horizon).items():
        record(name, "statistical", "composites", lambda m=model: (m.fit(history).predict(), None))
    for training, frame in (("composites", history), ("components", component_history)):
        for name in FAMILIES:

            def fit_predict(name=name, frame=frame):
                torch.manual_seed(seed)
                model = neural_models(setting, task, seed, threads)[name].fit(frame)
                size = sum(p.numel() for p in model.module_.parameters())
                return model.predict(history), size

            record(name, FAMILIES[name], training, fit_predict)


def csv_path(folder: Path, setting: str) -> Path:
    return Path(folder) / f"reasoning_{setting}.csv"


def run(setting: Setting, folder: Path, threads: int = 1) -> pd.DataFrame:
    """Run ``setting`` (resuming from its CSV in ``folder``); every row of the CSV."""
    import torch

    torch.set_num_threads(threads)
    path = csv_path(folder, setting.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = pd.read_csv(path) if path.exists() else pd.DataFrame()
    done = set(zip(*(old[k] for k in ("task", "seed", "model", "training")))) if len(old) else set()
    command, commit, box = invoked_command(), git_commit(), machine()

    def write(row: dict) -> None:
        row = {**row, "threads": threads, "commit": commit, "command": command, "machine": box,
               "date": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}"}  # fmt: skip
        pd.DataFrame([row]).to_csv(path, mode="a", header=not path.exists(), index=False)

    for task in setting.tasks:
        for seed in setting.seeds:
            run_task(setting, TASKS[task], seed, done, write, threads)
    return pd.read_csv(path)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per task and model: MAE mean and sd over seeds by training, the ratio of the
    compositional to the in-distribution MAE, the rank by compositional MAE (neural models)."""
    stats = rows.groupby(["task", "model", "family", "training"])["mae"].agg(["mean", "std"])
    wide = stats.unstack("training")
    wide.columns = [f"{training}_{stat}" for stat, training in wide.columns]
    for column in ("composites_mean", "components_mean", "none_mean"):
        if column not in wide:
            wide[column] = np.nan
    wide = wide.reset_index()
    wide["ratio"] = wide["components_mean"] / wide["composites_mean"]
    key = wide["components_mean"].fillna(wide["none_mean"]).fillna(wide["composites_mean"])
    order = wide.assign(key=key, neural=wide["components_mean"].isna())
    return order.sort_values(["task", "neural", "key"]).drop(columns=["key", "neural"])


def _cell(mean: float, sd: float | None) -> str:
    if pd.isna(mean):
        return ""
    return f"{mean:.3f}" if sd is None or pd.isna(sd) else f"{mean:.3f} ± {sd:.3f}"


def findings(table: pd.DataFrame) -> list[str]:
    """Sentences comparing one task's ranking with the study's findings."""
    neural = table[table["components_mean"].notna()].sort_values("components_mean")
    if neural.empty:
        return []
    best = neural.iloc[0]
    patch = neural[neural["family"] == "patch Transformer"].iloc[0]
    mlp = neural[neural["family"] == "MLP"].iloc[0]
    lead = "lead" if best["family"] == "patch Transformer" else "do not lead"
    gap = mlp["components_mean"] / patch["components_mean"] - 1
    out = [
        f"Best compositional MAE: {best['model']} ({best['family']}, "
        f"{best['components_mean']:.3f}). Patch Transformers {lead}: the best one, "
        f"{patch['model']}, has {patch['components_mean']:.3f}; the best MLP model, "
        f"{mlp['model']}, {mlp['components_mean']:.3f} ({gap:+.0%} against it).",
    ]
    shot = table[table["model"] == ZERO_SHOT]
    if len(shot):
        value = shot["none_mean"].iloc[0]
        beaten = int((neural["components_mean"] < value).sum())
        stats = table[table["family"] == "statistical"]
        worse = stats[stats["composites_mean"] > value]["model"].tolist()
        out.append(
            f"The zero-shot model ({value:.3f}, no training) is beaten by {beaten} of "
            f"{len(neural)} models trained on the components; it beats "
            f"{', '.join(worse) if worse else 'none'} of the statistical baselines fitted "
            "to the composites' own histories."
        )
    ratio = neural["ratio"].median()
    out.append(
        f"Median ratio of compositional to in-distribution MAE over the trained models: "
        f"{ratio:.2f}."
    )
    return out


def markdown_table(table: pd.DataFrame) -> list[str]:
    lines = [
        "| model | family | in-distribution MAE (trained on composites) | compositional MAE "
        "(trained on components) | ratio | no training |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        ratio = "" if pd.isna(row.ratio) else f"{row.ratio:.2f}"
        lines.append(
            f"| {row.model} | {row.family} | "
            f"{_cell(row.composites_mean, getattr(row, 'composites_std', None))} | "
            f"{_cell(row.components_mean, getattr(row, 'components_std', None))} | {ratio} | "
            f"{_cell(row.none_mean, None)} |"
        )
    return lines


def plot(rows: pd.DataFrame, path: Path) -> None:
    """Bars of MAE by model, in-distribution beside compositional (one panel per task)."""
    import matplotlib.pyplot as plt

    table = summary(rows)
    tasks = list(dict.fromkeys(table["task"]))
    fig, axes = plt.subplots(len(tasks), 1, figsize=(8, 3.6 * len(tasks)), squeeze=False)
    for ax, task in zip(axes[:, 0], tasks):
        part = table[table["task"] == task]
        y = np.arange(len(part))
        ax.barh(y - 0.2, part["composites_mean"], 0.4, label="in-distribution (composites)")
        ax.barh(y + 0.2, part["components_mean"], 0.4, label="compositional (components)")
        ax.barh(y, part["none_mean"], 0.4, label="zero-shot (no training)", color="grey")
        ax.set_yticks(y, [f"{m} ({f})" for m, f in zip(part["model"], part["family"])],
                      fontsize=7)  # fmt: skip
        ax.invert_yaxis()
        ax.set_xlabel("MAE on the composites' last steps (lower is better)")
        ax.set_title(f"{task}: {rows[rows['task'] == task]['setting'].iloc[0]} setting",
                     fontsize=9)  # fmt: skip
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)


PROTOCOL = """\
The protocol of Potosnak et al. (2025), *Investigating Compositional Reasoning in Time Series
Foundation Models* (arXiv 2502.06037), from its released code (github.com/PotosnakW/neuralforecast,
branch `tsfm_reasoning`, commit 01345d2: `preprocessing/generate_synthetic_datasets.py`,
`training/experiment_datasets.py`, `training/run_train_script.py`, `training/model_config.py`,
`training/train_stats_models.py`, `evaluation/table_results.ipynb`), written anew in
`tsfm/data/compositions.py` and `tsfm/benchmarks/reasoning.py`:

* **Composites** (synthetic): 100 series of 1200 steps, each the sum of two terms
  `A sin(2 pi k t)` or `A cos(2 pi k t)`, the (A, k) pairs drawn without replacement from the
  grid A in linspace(1, 32, 30) by k in 3..32 cycles per window, no phase, no trend, no noise.
* **Components**: the training set of the compositional models, unit-amplitude cosines at the
  strongest DFT frequencies of the composites (the 4 largest two-sided DFT coefficients of a
  synthetic composite, i.e. its 2 frequencies; 100 coefficients, about 50 frequencies, of a real
  series), one series per distinct frequency. No composite is ever in it.
* **Tasks**: every model forecasts each composite's last 192 steps (48 for real data) from the
  256 before. *In-distribution*: trained on the composites' histories (all but the last 192
  steps). *Compositional*: trained on the components' first 1008 steps only.
* **Metric**: MAE on the original scale over every series and step, mean (and sd) over the
  seeds 1, 5 and 10.
* **Study's models**: 16 deep models (PatchTST at six patch lengths, DLinear, NLinear, MLP, NHITS,
  NBEATS, TSMixer, LSTM, TCN, TimesNet, Transformer, TFT, Autoformer, Informer, iTransformer) and
  T5-based ablations (tokenisation, positional encoding, loss, size, ...), 10,000 steps at most
  with early stopping (patience 20 checks of 100 steps), lr 1e-3, MAE loss; ARIMA(0,0,2) and
  AutoETS (season 48) fitted per composite. Real data: 100-series sets from ETTm2, ECL, Solar,
  Subseasonal and LoopSeattle (1056 steps, horizon 48).
* **Study's findings** (abstract): patch-based Transformers reason best, residualised MLPs
  close behind at 97% fewer FLOPs and 86% fewer parameters; in some zero-shot scenarios these
  models beat moving-average and exponential-smoothing baselines trained in-distribution;
  tokenisation is the design choice with a significant (negative) effect.

What differs here, and why: the terms of one composite have distinct frequencies (two terms at
one frequency are a single sinusoid, not a composition); time runs as `arange(n)/n` (periods of
exactly `n/k` steps; the study's `linspace(0, 1, n)` gives `(n-1)/k`); the DFT's mean (bin 0) is
not a component; the models are tsfm's (PatchTST, TimeXer without covariates, Sundial, MTST,
EntroPE, TimeDART without its pretraining stage, TSMixer, xPatch; MAE loss as in the study,
except Sundial's flow-matching loss and xPatch's arctan-weighted MAE) and the baselines tsfm's
(Naive, SeasonalNaive, ETS, Theta, auto-ARIMA at season 48 on synthetic data, 96 on ETTm2);
the real data are ETTm2 only (ECL, Solar, Subseasonal and LoopSeattle are not in tsfm's
registry), 100 windows of 1056 steps at seeded random channels and starts (the study's own
100-series files are not released). Families: patch Transformers are PatchTST, TimeXer,
Sundial, MTST, EntroPE and TimeDART; TSMixer (a gated residual MLP-Mixer) and xPatch (MLP and
CNN streams) stand for the study's residualised MLPs.

Settings (`tsfm benchmark --reasoning --reasoning-config NAME`): `full` is the study's sizes
(synthetic and ETTm2, 100 composites, seeds 1/5/10, each model's own default size, 10,000
steps of 256 windows at most, early stopping on the training span's last horizon; 96 trainings,
days on this 2-core machine, not run here); `reduced` runs on one CPU thread in about half an hour
(synthetic only, 100 composites, seed 1, width 64 and 2 layers for every model, 1,000 steps of
32 windows, no early stopping); `ci` is the seconds-long test run.
"""


def page(folder: Path, plotted: str | None = None) -> str:
    """REASONING.md from every ``reasoning_<setting>.csv`` in ``folder``; ``plotted`` names the
    setting ``reasoning.png`` shows."""
    lines = ["# Compositional reasoning: forecasting compositions of patterns seen apart", "",
             "Written by `tsfm benchmark --reasoning` (tsfm/benchmarks/reasoning.py) from "
             "`benchmarks/reasoning_<setting>.csv`; the plot `reasoning.png` from the same "
             "CSVs.", "", PROTOCOL]  # fmt: skip
    for name in ("full", "reduced", "ci"):
        path = csv_path(folder, name)
        if not path.exists():
            continue
        rows = pd.read_csv(path)
        first = rows.iloc[0]
        seconds = rows["seconds"].sum()
        lines += [
            f"## Setting `{name}`",
            "",
            f"Command: `{first['command']}`; commit {', '.join(dict.fromkeys(rows['commit']))}; "
            f"{rows['date'].iloc[0]} to {rows['date'].iloc[-1]} UTC; "
            f"machine: {first['machine']}; torch threads: {first['threads']}; mean 1-minute load "
            f"average during the run {rows['load_1min'].mean():.1f} (other processes shared "
            f"the machine when it exceeds the threads); {seconds / 60:.0f} minutes of fitting "
            f"and forecasting in all; seeds {sorted(set(rows['seed']))}.",
            "",
        ]
        table = summary(rows)
        for task in dict.fromkeys(table["task"]):
            part = table[table["task"] == task]
            n_components = rows[rows["task"] == task]["n_components"].iloc[0]
            lines += [f"### {task}: {first['n_series']} composites, {n_components} component "
                      "series", "", *markdown_table(part), "", *findings(part), ""]  # fmt: skip
    if plotted:
        lines += ["![MAE by model, in-distribution beside compositional](reasoning.png)", "",
                  f"The plot: setting `{plotted}` (its command above), drawn from its CSV by "
                  "`tsfm.benchmarks.reasoning.plot`.", ""]  # fmt: skip
    return "\n".join(lines)


def main(args) -> int:
    name = args.reasoning_config
    if name not in SETTINGS:
        raise SystemExit(f"--reasoning-config: choose from {', '.join(SETTINGS)}")
    folder = Path(args.output)
    rows = run(SETTINGS[name], folder, threads=args.threads or 1)
    plot(rows, folder / "reasoning.png")
    text = page(folder, plotted=name)
    (folder / "REASONING.md").write_text(text)
    print(text)
    return 0
