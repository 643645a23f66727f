"""``tsfm benchmark``: a paper configuration on a dataset under the LTSF protocol.

Protocol (DESIGN.md): the dataset's standard borders; every channel z-normalised with training
statistics; training windows from the train part, validation windows from the validation part
(early stopping), and every test window at stride 1, none dropped; MSE and MAE on the normalised
scale averaged over windows, steps and channels. Each run appends one row to
``benchmarks/results.csv`` and rewrites ``benchmarks/RESULTS.md`` from it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import fcntl
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import tsfm
from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.pretraining import pretrain
from tsfm.benchmarks.tables import write_markdown
from tsfm.datasets import load_dataset

COLUMNS = [
    "date", "dataset", "horizon", "lookback", "model", "mse", "mae", "paper_mse", "paper_mae",
    "mse_vs_paper", "mse_official_loader", "epochs", "best_epoch", "train_seconds",
    "train_windows_per_s", "test_predict_seconds", "peak_rss_mib", "n_params", "machine",
    "commit", "command", "crps", "wql", "interval_80", "test_stride", "interval_spread",
    "random_state", "settings",
]  # fmt: skip

#: Parameters that change how a run is executed or seeded, not what is trained: left out of a
#: row's ``settings``, so that runs of one configuration with several seeds share them.
EXECUTION_PARAMS = ("n_threads", "verbose", "random_state")

#: Quantiles asked of probabilistic models: the median and the 80% interval.
QUANTILES = [0.1, 0.5, 0.9]


def machine() -> str:
    """CPU model, usable cores and torch version, for the results rows."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import torch

    return f"{cpu}, {cores} cores, torch {torch.__version__}"


def invoked_command() -> str:
    """The command line this process runs, as recorded beside every figure."""
    if sys.argv[0].endswith("tsfm"):
        return "tsfm " + " ".join(sys.argv[1:])
    return " ".join(sys.argv)


@functools.cache
def git_commit() -> str:
    """HEAD (short, ``+dirty`` with uncommitted changes to tracked files) when this process first
    asks; :func:`run` asks at its start, since commits may land during an hour-long run."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, cwd=Path(__file__).parent,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, cwd=Path(__file__).parent,
        ).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fit_roles(config, data, frame) -> dict:
    """The columns' roles ``fit`` takes under ``config``: the target and covariates of an
    exogenous setting, the calendar features; empty for the multivariate setting."""
    roles = {}
    if config.exogenous:  # forecast the target column from the others as covariates
        target = data.info.target
        others = [c for c in frame.columns if c != target]
        roles = {"target": target, f"{config.exogenous}_covariates": others}
    if config.calendar:
        roles["calendar"] = list(config.calendar)
    return roles


def run(
    config_name: str,
    dataset: str,
    horizon: int,
    *,
    overrides: dict | None = None,
    command: str | None = None,
    stride: int = 1,
) -> dict:
    """Fit and score one configuration; return the results row.

    Parameters
    ----------
    config_name : str
        A key of :data:`tsfm.benchmarks.configs.CONFIGS`.
    dataset : str
        A registered LTSF dataset.
    horizon : int
    overrides : dict, optional
        Hyperparameters replacing the paper's (e.g. a smaller epoch budget); recorded in the row
        through the command. A name prefixed ``pretrain.`` sets the pretraining stage's
        setting instead (configurations with ``pretrain`` settings).
    stride : int
        Test origins every ``stride`` rows (1: every window, the protocol; more for slow
        per-series models such as ETS, recorded in ``test_stride``).

    Probabilistic models are also scored on their quantiles (0.1, 0.5, 0.9): ``wql``, the 80%
    ``interval_80`` coverage and, for sample-based models, ``crps``.
    """
    if config_name not in CONFIGS:
        raise ValueError(f"unknown configuration {config_name!r}; choose from {sorted(CONFIGS)}")
    config = CONFIGS[config_name]
    overrides = dict(overrides or {})
    staged = {k: overrides.pop(k) for k in list(overrides) if k.startswith("pretrain.")}
    if staged:  # --set pretrain.max_epochs=2: a setting of the pretraining stage only
        if not config.pretrain:
            raise ValueError(f"{config_name!r} has no pretraining stage to set {sorted(staged)}")
        pretrain_settings = {**config.pretrain, **{k[9:]: v for k, v in staged.items()}}
        config = dataclasses.replace(config, pretrain=pretrain_settings)
    commit = git_commit()  # the code this run starts from
    data = load_dataset(dataset)
    lookback, params = config.settings(data.name, horizon)
    params = {**params, **(overrides or {}), "prediction_length": horizon}
    params.setdefault("context_length", lookback)
    shared_folder = params.get("checkpoint_dir")
    if shared_folder:  # each horizon resumes its own fine-tuning; the pretraining is shared
        params["checkpoint_dir"] = str(Path(shared_folder) / f"h{horizon}")
    frame, borders = data.ltsf(lookback)
    train = frame.iloc[borders.train[0] : borders.train[1]]
    val = frame.iloc[borders.val[0] : borders.val[1]]
    model = getattr(tsfm, config.model)(**params)
    roles = fit_roles(config, data, frame)
    pretrain_seconds = 0.0
    if config.pretrain:
        pretrain_seconds = pretrain(model, config, data.name, lookback, shared_folder)
    start = time.perf_counter()
    model.fit(train, validation_data=val, **roles)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    quantiles = QUANTILES if model.probabilistic else None
    metrics, forecasts = model.evaluate(
        frame, test_start=borders.test_origin, stride=stride, quantiles=quantiles,
        return_forecasts=True,
    )  # fmt: skip
    predict_seconds = time.perf_counter() - start
    overall = metrics.iloc[-1]
    batch = config.test_batch or getattr(model, "batch_size", None)
    official = official_loader_mse(forecasts, batch) if batch and stride == 1 else ""
    history = getattr(model, "history_", [])
    steps = [h["step_seconds_median"] for h in history if "step_seconds_median" in h]
    windows_per_s = round(model.batch_size / min(steps)) if steps else ""
    best_epoch = ""
    if history and "val_loss" in history[0]:
        best_epoch = min(history, key=lambda h: h["val_loss"])["epoch"]
    paper = config.paper.get((data.name, horizon), (None, None))
    row = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "dataset": data.name,
        "horizon": horizon,
        "lookback": lookback,
        "model": config_name,
        "mse": round(float(overall["mse"]), 4),
        "mae": round(float(overall["mae"]), 4),
        "paper_mse": paper[0] if paper[0] is not None else "",
        "paper_mae": paper[1] if paper[1] is not None else "",
        "mse_vs_paper": f"{100 * (overall['mse'] / paper[0] - 1):+.1f}%" if paper[0] else "",
        "mse_official_loader": official,
        "epochs": len(history),
        "best_epoch": best_epoch,
        "train_seconds": round(train_seconds, 1),
        "train_windows_per_s": windows_per_s,
        "test_predict_seconds": round(predict_seconds, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "n_params": getattr(model, "n_params_", ""),
        "machine": machine(),
        "commit": commit,
        "command": command or "",
        "crps": round(float(overall["crps"]), 4) if "crps" in overall else "",
        "wql": round(float(overall["wql"]), 4) if "wql" in overall else "",
        "interval_80": round(float(overall["interval_80"]), 3) if "interval_80" in overall else "",
        "test_stride": stride,
        "interval_spread": round(model.spread_, 3) if params.get("calibrate_intervals") else "",
        "random_state": model.get_params().get("random_state", ""),
        "settings": settings(model, config),
    }
    if config.pretrain:  # the settings above are the fine-tuning's
        row["pretrain_seconds"] = round(pretrain_seconds, 1)
        row["pretrain"] = json.dumps(
            {**config.pretrain, "datasets": list(config.pretrain_datasets) or [data.name]},
            sort_keys=True,
        )
    return row


def official_loader_mse(forecasts, batch: int) -> float:
    """MSE on the windows an official LTSF test loader keeps: it drops the last incomplete
    batch of ``batch`` windows (``forecasts``: ``evaluate``'s, every test window)."""
    cutoffs = forecasts["cutoff"].drop_duplicates().sort_values()
    kept = cutoffs.iloc[: len(cutoffs) // batch * batch]
    rows = forecasts[forecasts["cutoff"].isin(kept)]
    point = rows["median"] if "median" in rows else rows["mean"]  # the point scored
    return round(float(((rows["y"] - point) ** 2).mean()), 4)


def settings(model, config) -> str:
    """Everything a run trained with, as compact JSON: the estimator's parameters (after the
    configuration and any ``--set``; without :data:`EXECUTION_PARAMS`) and the covariate roles.
    Rows with equal settings are the same configuration, whatever commit or command made them."""
    params = model.get_params()
    for name in EXECUTION_PARAMS:
        params.pop(name, None)
    params.update(covariates=config.exogenous or "", calendar=list(config.calendar))
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def append(row: dict, folder: Path) -> None:
    """Append ``row`` to ``folder/results.csv`` and rewrite ``folder/RESULTS.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.csv"
    with open(folder / ".lock", "w") as lock:  # concurrent benchmark runs append safely
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = []
        if path.exists():
            with open(path) as f:
                rows = list(csv.DictReader(f))
        rows.append(row)
        extra = sorted({key for r in rows for key in r} - set(COLUMNS))  # from newer versions
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS + extra, restval="")
            writer.writeheader()
            writer.writerows(rows)
        write_markdown(folder)


def main(args) -> int:
    overrides = {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        overrides[key] = _parse(value)
    if args.max_epochs is not None:
        overrides["max_epochs"] = args.max_epochs
    command = invoked_command()
    for horizon in args.horizon:
        row = run(
            args.model, args.dataset, horizon, overrides=overrides, command=command,
            stride=args.stride,
        )  # fmt: skip
        append(row, Path(args.output))
        print(", ".join(f"{k}={row[k]}" for k in COLUMNS[1:18]), flush=True)
    return 0


def _parse(value: str):
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(value.lower(), value)
