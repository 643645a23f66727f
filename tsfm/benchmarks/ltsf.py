"""``tsfm benchmark``: a paper configuration on a dataset under the LTSF protocol.

Protocol (DESIGN.md): the dataset's standard borders; every channel z-normalised with training
statistics; training windows from the train part, validation windows from the validation part
(early stopping), and every test window at stride 1, none dropped; MSE and MAE on the normalised
scale averaged over windows, steps and channels. Each run appends one row to
``benchmarks/results.csv`` and rewrites ``benchmarks/RESULTS.md`` from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import tsfm
from tsfm.benchmarks.configs import CONFIGS
from tsfm.datasets import load_dataset

COLUMNS = [
    "date", "dataset", "horizon", "lookback", "model", "mse", "mae", "paper_mse", "paper_mae",
    "mse_vs_paper", "mse_official_loader", "epochs", "best_epoch", "train_seconds",
    "train_windows_per_s", "test_predict_seconds", "peak_rss_mib", "n_params", "machine",
    "commit", "command", "crps", "wql", "interval_80", "test_stride", "interval_spread",
]  # fmt: skip

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


def git_commit() -> str:
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
        through the command.
    stride : int
        Test origins every ``stride`` rows (1: every window, the protocol; more for slow
        per-series models such as ETS, recorded in ``test_stride``).

    Probabilistic models are also scored on their quantiles (0.1, 0.5, 0.9): ``wql``, the 80%
    ``interval_80`` coverage and, for sample-based models, ``crps``.
    """
    if config_name not in CONFIGS:
        raise ValueError(f"unknown configuration {config_name!r}; choose from {sorted(CONFIGS)}")
    config = CONFIGS[config_name]
    data = load_dataset(dataset)
    lookback, params = config.settings(data.name, horizon)
    params = {**params, **(overrides or {}), "prediction_length": horizon}
    params.setdefault("context_length", lookback)
    frame, borders = data.ltsf(lookback)
    train = frame.iloc[borders.train[0] : borders.train[1]]
    val = frame.iloc[borders.val[0] : borders.val[1]]
    model = getattr(tsfm, config.model)(**params)
    roles = {}
    if config.exogenous:  # forecast the target column from the others as covariates
        target = data.info.target
        others = [c for c in frame.columns if c != target]
        roles = {"target": target, f"{config.exogenous}_covariates": others}
    if config.calendar:
        roles["calendar"] = list(config.calendar)
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
    # The official LTSF test loaders drop the last incomplete batch: the score on those windows.
    batch = getattr(model, "batch_size", None)
    official = ""
    if batch and stride == 1:
        cutoffs = forecasts["cutoff"].drop_duplicates().sort_values()
        kept = cutoffs.iloc[: len(cutoffs) // batch * batch]
        rows = forecasts[forecasts["cutoff"].isin(kept)]
        official = round(float(((rows["y"] - rows["mean"]) ** 2).mean()), 4)
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
        "commit": git_commit(),
        "command": command or "",
        "crps": round(float(overall["crps"]), 4) if "crps" in overall else "",
        "wql": round(float(overall["wql"]), 4) if "wql" in overall else "",
        "interval_80": round(float(overall["interval_80"]), 3) if "interval_80" in overall else "",
        "test_stride": stride,
        "interval_spread": round(model.spread_, 3) if params.get("calibrate_intervals") else "",
    }
    return row


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


def write_markdown(folder: Path) -> None:
    """``RESULTS.md``: every row of ``results.csv`` as a table, grouped by dataset."""
    with open(folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    shown = ["dataset", "horizon", "lookback", "model", "mse", "mae", "paper_mse", "paper_mae",
             "mse_vs_paper", "mse_official_loader", "crps", "wql", "interval_80", "test_stride",
             "epochs", "best_epoch", "train_seconds", "train_windows_per_s",
             "test_predict_seconds", "peak_rss_mib", "commit", "command"]  # fmt: skip
    lines = [
        "# Benchmark results",
        "",
        "Written by `tsfm benchmark` (tsfm/benchmarks/ltsf.py) from `results.csv`, which also",
        "records the date and machine of each row. Protocol: the LTSF standard splits, every",
        "channel z-normalised with training statistics, early stopping on the validation part,",
        "every test window at stride 1 (none dropped); MSE/MAE on the normalised scale averaged",
        "over windows, steps and channels. `mse_vs_paper` compares with the paper's own figure;",
        "probabilistic models add `crps` (from samples), `wql` and the 80% interval coverage",
        "`interval_80` from their 0.1/0.5/0.9 quantiles; `test_stride` > 1 marks a run scored",
        "on every k-th test origin only (slow per-series models);",
        "`mse_official_loader` is our MSE on only the test windows the official code scores",
        "(its test loader drops the last incomplete batch of `batch_size` windows). The table",
        "shows the newest run of each dataset/model/horizon; `results.csv` keeps every run.",
        "",
    ]
    extra = folder / "NOTES.md"
    if extra.exists():
        lines += [extra.read_text().strip(), ""]
    lines += ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    latest = {(r["dataset"], r["model"], int(r["horizon"])): r for r in rows}  # the newest run
    for key in sorted(latest):
        row = latest[key]
        cells = [f"`{row[c]}`" if c == "command" else str(row.get(c) or "") for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    lines += averages(latest)
    lines += probabilistic(latest)
    lines += past_against_future(latest)
    machines = sorted({r["machine"] for r in rows})
    lines += ["", "Machines: " + "; ".join(machines), ""]
    extras = {  # written by `tsfm benchmark --speed`, `--mixer-speed`, `--zero-shot`, ...
        "SPEED.md": "Speed and memory",
        "MIXER_SPEED.md": "TSMixer against PatchTST: speed and memory",
        "BACKTEST_SCALING.md": "Backtest time against the number of series",
        "ZERO_SHOT.md": "Zero-shot forecasting",
        "ZERO_SHOT_SETTINGS.md": "Zero-shot prediction settings, chosen on validation windows",
        "FINETUNE.md": "Fine-tuning a pretrained model against training from scratch",
    }
    for name, title in extras.items():
        if (folder / name).exists():
            body = (folder / name).read_text().split("\n", 1)[1].strip()
            lines += [f"## {title}", "", body, ""]
    (folder / "RESULTS.md").write_text("\n".join(lines))


#: Models side by side in the probabilistic table: the sample model, the baselines with their
#: intervals, and a point model for reference.
PROBABILISTIC = ("sundial", "sundial_calibrated", "seasonal_naive", "ets", "patchtst42")


def probabilistic(latest: dict) -> list[str]:
    """Markdown: per dataset and horizon where Sundial ran, the models of :data:`PROBABILISTIC`
    side by side (MSE/MAE of the point forecast, CRPS, wQL, 80% interval coverage)."""
    keys = sorted({(d, h) for (d, m, h) in latest if m.startswith("sundial")})
    header = ["dataset", "horizon", "model", "mse", "mae", "crps", "wql", "interval_80",
              "interval_spread", "test_stride", "epochs"]  # fmt: skip
    out = []
    for dataset, horizon in keys:
        for model in PROBABILISTIC:
            row = latest.get((dataset, model, horizon))
            if row is not None:
                out.append("| " + " | ".join(str(row.get(c) or "") for c in header) + " |")
    intro = [
        "The newest rows above, side by side: Sundial's point forecast is its sample median, its",
        "quantiles come from 100 sample paths; the baselines' from their own intervals; PatchTST",
        "gives points only. The target for `interval_80` is 0.80. `sundial_calibrated` is the same",
        "training run with its samples' spread around the median scaled by `interval_spread`, the",
        "factor minimising the quantile loss on the validation part (`calibrate_intervals=True`).",
    ]
    return _section("Probabilistic forecasts", intro, header, out)


def past_against_future(latest: dict) -> list[str]:
    """Markdown: per EPF market, TimeXer with the day-ahead columns as past covariates (the
    paper's setting) beside the same columns as future covariates, and the change."""
    header = ["dataset", "past: mse", "mae", "paper mse", "mae", "vs paper", "epochs", "commit",
              "future: mse", "mae", "epochs", "commit", "future vs past"]  # fmt: skip
    out = []
    for dataset, _, horizon in sorted(k for k in latest if k[1] == "timexer_epf"):
        past = latest[(dataset, "timexer_epf", horizon)]
        future = latest.get((dataset, "timexer_epf_future", horizon))
        cells = [dataset, past["mse"], past["mae"], past["paper_mse"], past["paper_mae"],
                 past["mse_vs_paper"], past["epochs"], past["commit"]]  # fmt: skip
        if future is None:
            cells += ["", "", "", "", ""]
        else:
            change = 100 * (float(future["mse"]) / float(past["mse"]) - 1)
            cells += [future["mse"], future["mae"], future["epochs"], future["commit"],
                      f"{change:+.1f}%"]  # fmt: skip
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    intro = [
        "TimeXer on the EPF markets (lookback 168, horizon 24): the day-ahead grid load and",
        "generation forecasts as past covariates, as the paper uses them (`timexer_epf`), and as",
        "future covariates, their values over the forecast day read too (`timexer_epf_future`):",
        "they are published before the day they forecast. From commit fe407f6 on, both read the",
        "hourly calendar features (the official loader's time features, which the paper's model",
        "reads as variate tokens). From commit 866308f on, each market takes the official",
        "script's depth, feed-forward width and batch size (Nord Pool's were used for all",
        "before). Rows before commit 14bed9e halved the learning rate one epoch early (the",
        "official `type1` keeps the base rate for two epochs). The newest row of each; `epochs`",
        "ran of the configuration's 10 (patience 3); the command of each row is above.",
    ]
    return _section("Exogenous covariates: past against future (EPF)", intro, header, out)


def _section(title: str, intro: list[str], header: list[str], rows: list[str]) -> list[str]:
    """Markdown lines of a titled table (none when it has no rows)."""
    if not rows:
        return []
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows]
    return ["", f"## {title}", "", *intro, "", *table]


def averages(latest: dict) -> list[str]:
    """Markdown rows: per dataset and model with four horizons, the mean over them, beside the
    paper's average (``paper[(dataset, "avg")]`` in the configuration) when it gives one."""
    groups: dict = {}
    for (dataset, model, _), row in latest.items():
        groups.setdefault((dataset, model), []).append(row)
    out = []
    for (dataset, model), rows in sorted(groups.items()):
        if len(rows) < 4 or model not in CONFIGS:
            continue
        mse = sum(float(r["mse"]) for r in rows) / len(rows)
        mae = sum(float(r["mae"]) for r in rows) / len(rows)
        official = [float(r["mse_official_loader"]) for r in rows if r["mse_official_loader"]]
        official_mse = f"{sum(official) / len(official):.4f}" if len(official) == len(rows) else ""
        table = CONFIGS[model].paper
        paper = table.get((dataset, "avg"))
        if paper is None and all((dataset, int(r["horizon"])) in table for r in rows):
            figures = [table[(dataset, int(r["horizon"]))] for r in rows]
            paper = tuple(sum(f[k] for f in figures) / len(figures) for k in (0, 1))
        versus = f"{100 * (mse / paper[0] - 1):+.1f}%" if paper else ""
        versus_official = (
            f"{100 * (float(official_mse) / paper[0] - 1):+.1f}%" if paper and official_mse else ""
        )
        horizons = "/".join(sorted((r["horizon"] for r in rows), key=int))
        cells = [dataset, model, horizons, f"{mse:.4f}", f"{mae:.4f}",
                 f"{paper[0]:.3f}" if paper else "", f"{paper[1]:.3f}" if paper else "", versus,
                 official_mse, versus_official]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    header = ["dataset", "model", "horizons", "mse", "mae", "paper_mse", "paper_mae",
              "mse_vs_paper", "mse_official_loader", "official_vs_paper"]  # fmt: skip
    intro = [
        "Mean of the newest rows above over the horizons listed; the paper's average from the",
        "configuration (its own figure, or the mean of its per-horizon figures).",
    ]
    return _section("Averages over horizons", intro, header, out)


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
