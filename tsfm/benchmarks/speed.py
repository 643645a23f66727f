"""``tsfm benchmark --speed``: training and inference speed of PatchTST/42 on ETTh1.

The configuration of ``../shared/bench`` (lookback 336, horizon 96, batch 128, the paper's
PatchTST/42 model, 7 channels, torch threads = 2): training windows per second as
``batch_size / median step time`` over one epoch (a step is the batch gather, forward, backward
and Adam step; a window is one 336x7 -> 96x7 sample), the wall time to predict and score all
2785 test windows, and the peak resident memory of the whole process.
"""

from __future__ import annotations

import datetime as dt
import resource
import time
from pathlib import Path

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.datasets import load_dataset

#: The peers' figures measured on this machine (../shared/bench/peers/results.md, 2026-11-23).
PEERS = {
    "neuralforecast 3.3.0": (228, 3.25, 1518),
    "transformers 5.23.0": (284, 1.94, 1082),
    "gluonts 0.17.0": (157, 2.07, 1483),
}


def measure(epochs: int = 1, threads: int = 2) -> dict:
    """Train PatchTST/42 on ETTh1 (horizon 96) for ``epochs`` and time it."""
    from tsfm.models.patchtst import PatchTSTForecaster

    data = load_dataset("etth1")
    lookback, params = CONFIGS["patchtst42"].settings("etth1")
    frame, borders = data.ltsf(lookback)
    model = PatchTSTForecaster(
        **{**params, "context_length": lookback, "prediction_length": 96, "max_epochs": epochs,
           "n_threads": threads, "verbose": 0, "validation_size": 0.0},
    )  # fmt: skip
    model.fit(frame.iloc[: borders.train[1]])
    start = time.perf_counter()
    metrics = model.evaluate(frame, test_start=borders.test_origin)
    predict_seconds = time.perf_counter() - start
    step = min(h["step_seconds_median"] for h in model.history_)
    return {
        "train_windows_per_s": params["batch_size"] / step,
        "epoch_train_seconds": model.history_[-1]["train_seconds"],
        "test_predict_seconds": predict_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "test_mse_after_epochs": float(metrics.iloc[-1]["mse"]),
        "epochs": epochs,
    }


def report(result: dict, command: str) -> str:
    lines = [
        f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {git_commit()}",
        "",
        f"Command: `{command}`; machine: {machine()}.",
        "",
        "| implementation | train windows/s | predict test set (s) | peak RSS MiB | "
        "tsfm speed-up (train / predict) |",
        "|---|---|---|---|---|",
        f"| **tsfm** | **{result['train_windows_per_s']:.0f}** | "
        f"**{result['test_predict_seconds']:.2f}** | **{result['peak_rss_mib']:.0f}** | |",
    ]
    ours_train, ours_predict = result["train_windows_per_s"], result["test_predict_seconds"]
    for name, (wps, predict, rss) in PEERS.items():
        lines.append(
            f"| {name} (from ../shared/bench) | {wps} | {predict} | {rss} | "
            f"{ours_train / wps:.1f}x / {predict / ours_predict:.1f}x |"
        )
    lines += [
        "",
        f"tsfm's one training epoch took {result['epoch_train_seconds']:.1f} s (8209 windows, "
        f"65 steps); test MSE after {result['epochs']} epoch(s): "
        f"{result['test_mse_after_epochs']:.3f} (a speed run, not an accuracy run).",
        "",
    ]
    return "\n".join(lines)


def main(args) -> int:
    command = invoked_command()
    text = report(measure(epochs=args.max_epochs or 1), command)
    print(text)
    path = Path(args.output) / "SPEED.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        ""
        if path.exists()
        else (
            "# Speed: PatchTST/42 on ETTh1 (L=336, H=96, batch 128, 2 threads)\n\n"
            "Written by `tsfm benchmark --speed` (tsfm/benchmarks/speed.py). The peers' figures "
            "are those measured on this machine for ../shared/bench (same configuration and "
            "definitions: windows/s = 128 / median step time; predict = all 2785 test "
            "windows).\n\n"
        )
    )
    with open(path, "a") as f:
        f.write(header + text + "\n")
    return 0
