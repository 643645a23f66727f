"""``tsfm benchmark --backtest-scaling``: backtest time against the number of series.

Synthetic daily series (weekly cycle, trend, noise), 120 days each, a cheap baseline
(SeasonalNaive, m = 7), horizon 14, 3 windows. The whole call is timed, from the long frame
(validation included) to the metrics, at 1k, 3k and 10k series; written to
``benchmarks/BACKTEST_SCALING.md``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine

SIZES = (1_000, 3_000, 10_000)


def synthetic_long(n_series: int, length: int = 120, seed: int = 0) -> pd.DataFrame:
    """``n_series`` daily series in a long frame."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(50, 150, (n_series, 1))
    weekly = rng.uniform(2, 10, (n_series, 1)) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 7))
    values = level + weekly + rng.normal(0, 2, (n_series, length)) + 0.05 * t
    ds = pd.date_range("2024-01-01", periods=length, freq="D")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:05d}" for i in range(n_series)], length),
            "ds": np.tile(ds, n_series),
            "y": values.reshape(-1),
        }
    )


def main(args) -> int:
    rows = []
    for n in SIZES:
        data = synthetic_long(n)
        start = time.perf_counter()
        result = tsfm.backtest(
            tsfm.SeasonalNaive(season_length=7), data, 14, n_windows=3, season_length=7
        )
        seconds = time.perf_counter() - start
        assert result.overall().iloc[0]["n_windows"] == 3 * n
        rows.append((n, seconds))
        print(f"{n} series: {seconds:.2f} s ({1e3 * seconds / n:.3f} ms per series)", flush=True)
    command = invoked_command()
    lines = [
        "# Backtest time against the number of series",
        "",
        f"Command: `{command}` (tsfm/benchmarks/scaling.py), commit {git_commit()}.",
        f"Machine: {machine()}; one process (n_jobs=1).",
        "Synthetic daily series of 120 days, SeasonalNaive(7), horizon 14, 3 windows per series;",
        "the time covers validation of the long frame, forecasting and metrics.",
        "",
        "| series | seconds | ms per series | ratio to 1k |",
        "|---|---|---|---|",
    ]
    for n, seconds in rows:
        ratio = seconds / rows[0][1]
        lines.append(f"| {n} | {seconds:.2f} | {1e3 * seconds / n:.3f} | {ratio:.2f} |")
    out = Path(args.output) / "BACKTEST_SCALING.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"written to {out}")
    return 0
