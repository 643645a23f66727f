"""``tsfm benchmark --speed --models``: what each tsfm model costs on ETTh1, in one table.

Every paper configuration (its lookback, architecture and batch for ETTh1, horizon 96) runs in
its own fresh process, one after the other in the same invocation: ``steps`` optimiser steps
(training windows per second = batch size / median step time, a step being the batch gather,
forward, backward and optimiser step), the prediction of the whole test set (2785 windows, the
seconds of ``evaluate``), the peak resident memory of the process and the parameter count. A
configuration with a pretraining stage (TimeDART) also gives its pretraining windows per second
(its encoder and diffusion decoder on the same batches); EntroPE's entropy model trains for the
same ``steps`` batches before, outside the timed steps (its patches come from that model, so
EntroPE's cost here is of a briefly trained one). Peak RSS is read as Linux reports it (KiB).
The last row times :func:`tsfm.forecast` (the shipped zero-shot model, its loading included)
on univariate slices of ETTh1's target.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import tsfm
from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.ltsf import fit_roles, git_commit, invoked_command, machine
from tsfm.datasets import load_dataset
from tsfm.pretrained import DEFAULT_MODEL

#: The table's configurations, one per model.
MODELS = ("patchtst42", "xpatch_unified", "tsmixer", "timexer_ett", "sundial", "mtst", "entrope",
          "timedart_etth1")  # fmt: skip
#: Optimiser steps timed per configuration.
STEPS = 10
#: Series given to ``tsfm.forecast`` in the zero-shot row.
FORECAST_SERIES = 1000
HORIZON = 96


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_config(name: str, steps: int = STEPS, threads: int = 2) -> dict:
    """Train configuration ``name`` for ``steps`` steps on ETTh1 and predict its test set."""
    config = CONFIGS[name]
    data = load_dataset("etth1")
    lookback, params = config.settings(data.name, HORIZON)
    frame, borders = data.ltsf(lookback)
    train = frame.iloc[borders.train[0] : borders.train[1]]
    timed = {"max_epochs": 1, "batches_per_epoch": steps, "n_threads": threads, "verbose": 0,
             "validation_size": 0.0, "prediction_length": HORIZON}  # fmt: skip
    if "entropy_epochs" in params:
        timed["entropy_epochs"] = 1
    model = getattr(tsfm, config.model)(**{"context_length": lookback, **params, **timed})
    row = {"config": name, "model": config.model, "lookback": lookback,
           "batch_size": params.get("batch_size", model.get_params()["batch_size"])}  # fmt: skip
    if config.pretrain:
        fine_tuning = model.get_params()
        model.set_params(**{**config.pretrain, **timed})
        model.pretrain(train)
        row["pretrain_windows_per_s"] = model.batch_size / _step_seconds(model.pretrain_history_)
        model.set_params(**{k: fine_tuning[k] for k in config.pretrain})
    model.fit(train, **fit_roles(config, data, frame))
    row["train_windows_per_s"] = row["batch_size"] / _step_seconds(model.history_)
    start = time.perf_counter()
    model.evaluate(frame, test_start=borders.test_origin)
    row["test_predict_seconds"] = time.perf_counter() - start
    row["parameters"] = sum(p.numel() for p in model.module_.parameters())
    row["peak_rss_mib"] = _peak_rss_mib()
    return row


def _step_seconds(history: list[dict]) -> float:
    return min(epoch["step_seconds_median"] for epoch in history)


def measure_forecast(n_series: int = FORECAST_SERIES, threads: int = 2) -> dict:
    """``tsfm.forecast`` on ``n_series`` 512-step slices of ETTh1's target, loading included."""
    import torch

    torch.set_num_threads(threads)
    data = load_dataset("etth1")
    target = data.data[data.info.target].to_numpy()
    step = (len(target) - 512) // n_series
    series = [target[i * step : i * step + 512] for i in range(n_series)]
    start = time.perf_counter()
    tsfm.forecast(series, horizon=HORIZON)
    seconds = time.perf_counter() - start
    return {"config": f"tsfm.forecast ({DEFAULT_MODEL})", "series": n_series,
            "forecast_seconds": seconds, "series_per_s": n_series / seconds,
            "peak_rss_mib": _peak_rss_mib()}  # fmt: skip


def in_fresh_process(call: str) -> dict:
    """Run ``call`` (an expression of this module) in a new interpreter; its result."""
    code = f"import json; from tsfm.benchmarks import model_speed as m; print(json.dumps(m.{call}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        raise RuntimeError(f"{call} failed: {lines[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[dict], forecast: dict | None, command: str, steps: int) -> str:
    """Markdown: one row per model, the zero-shot row, PatchTST's cost as the unit."""
    lines = [
        f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {git_commit()}",
        "",
        f"Command: `{command}`; machine: {machine()}; {steps} timed steps per model, each model "
        "in its own process, one after the other.",
        "",
        "| configuration | model | lookback | batch | parameters | train windows/s | "
        "pretrain windows/s | predict test set (s) | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for row in rows:
        pretrain = row.get("pretrain_windows_per_s")
        lines.append(
            f"| {row['config']} | {row['model']} | {row['lookback']} | {row['batch_size']} | "
            f"{row['parameters']:,} | {row['train_windows_per_s']:.0f} | "
            f"{f'{pretrain:.1f}' if pretrain else ''} | {row['test_predict_seconds']:.2f} | "
            f"{row['peak_rss_mib']:.0f} |"
        )
    if forecast:
        lines += ["", f"`{forecast['config']}`: {forecast['series']} series of 512 steps, "
                  f"horizon {HORIZON}, in {forecast['forecast_seconds']:.2f} s with loading = "
                  f"**{forecast['series_per_s']:.0f} series/s**, peak RSS "
                  f"{forecast['peak_rss_mib']:.0f} MiB."]  # fmt: skip
    return "\n".join(lines + [""])


def main(args) -> int:
    names = args.models or list(MODELS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"--models: unknown configuration(s) {unknown}; choose from {MODELS}")
    steps = args.speed_steps or STEPS
    rows = []
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        rows.append(in_fresh_process(f"measure_config({name!r}, {steps})"))
    forecast = in_fresh_process("measure_forecast()")
    text = report(rows, forecast, invoked_command(), steps)
    print(text)
    path = Path(args.output) / "SPEED_MODELS.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "" if path.exists() else (
        "# What each model costs: ETTh1, horizon 96, paper configurations\n\n"
        "Written by `tsfm benchmark --speed --models` (tsfm/benchmarks/model_speed.py). Speed "
        "against the peers, same run: benchmarks/SPEED.md.\n\n"
    )  # fmt: skip
    with open(path, "a") as f:
        f.write(header + text + "\n")
    return 0
