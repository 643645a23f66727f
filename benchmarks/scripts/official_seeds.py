"""Our TimeXer seeds against the official code's, market by market.

``python benchmarks/scripts/official_seeds.py [--markets PJM FR]`` reads the official runs' logs
(``benchmarks/official/logs/timexer_<MARKET>_seed<k>.log``, written by
``benchmarks/official/timexer_epf.sh``) and our ``timexer_epf`` rows of
``benchmarks/results.csv`` that have the headline row's settings (as the "Spread over seeds"
table of RESULTS.md counts them), and prints a Markdown table per market: every run's test MSE,
each side's mean and sample standard deviation, both means against the paper, and two tests of
"the two codes give the same distribution of test MSE over seeds": Welch's t-test (unequal
variances) and the Mann-Whitney U test (exact, two-sided).
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.tables import newest, runs_by_seed

ROOT = Path(__file__).resolve().parents[2] / "benchmarks"
LOGS = ROOT / "official" / "logs"
RESULTS = ROOT / "results.csv"
MODEL = "timexer_epf"


@dataclass
class Run:
    """One training run's outcome."""

    seed: int
    mse: float
    best_epoch: int | None


def official_runs(market: str, logs: Path) -> list[Run]:
    """The finished official runs of ``market``: the test MSE the official code prints
    (``mse:..., mae:...``) and the epoch of the lowest validation loss. Unfinished logs (no
    ``mse:`` line yet) are left out."""
    runs = []
    for path in sorted(logs.glob(f"timexer_{market}_seed*.log")):
        text = path.read_text()
        score = re.search(r"^mse:([0-9.]+), mae:([0-9.]+)", text, flags=re.M)
        if score is None:
            continue
        val = [float(v) for v in re.findall(r"Vali Loss: ([0-9.]+)", text)]
        best = int(np.argmin(val)) + 1 if val else None
        seed = int(re.search(r"seed(\d+)\.log$", path.name).group(1))
        runs.append(Run(seed, float(score.group(1)), best))
    return runs


def our_runs(market: str, results: Path) -> list[Run]:
    """Our ``timexer_epf`` runs of ``market``, the newest row of each seed whose settings are
    the headline row's."""
    with open(results) as f:
        rows = [r for r in csv.DictReader(f) if r["model"] == MODEL]
    seeds = runs_by_seed(rows, newest(rows)).get((f"epf_{market.lower()}", MODEL, 24), {})
    return [Run(s, float(r["mse"]), int(float(r["best_epoch"]))) for s, r in sorted(seeds.items())]


def compare(market: str, logs: Path = LOGS, results: Path = RESULTS) -> list[str]:
    """Markdown lines for one market."""
    paper = CONFIGS[MODEL].paper[(f"epf_{market.lower()}", 24)][0]
    ours, official = our_runs(market, results), official_runs(market, logs)
    lines = [f"### {market} (paper MSE {paper})", "", "| code | seed | test MSE | vs paper | "
             "best epoch |", "|---|---|---|---|---|"]  # fmt: skip
    for name, runs in (("official", official), ("ours", ours)):
        for run in runs:
            lines.append(f"| {name} | {run.seed} | {run.mse:.4f} | "
                         f"{100 * (run.mse / paper - 1):+.1f}% | {run.best_epoch} |")  # fmt: skip
    lines += ["", "| code | runs | mean MSE | std | vs paper |", "|---|---|---|---|---|"]
    values = {}
    for name, runs in (("official", official), ("ours", ours)):
        mse = np.array([r.mse for r in runs])
        values[name] = mse
        if len(mse):
            std = f"{mse.std(ddof=1):.4f}" if len(mse) > 1 else ""
            lines.append(f"| {name} | {len(mse)} | {mse.mean():.4f} | {std} | "
                         f"{100 * (mse.mean() / paper - 1):+.1f}% |")  # fmt: skip
    a, b = values["ours"], values["official"]
    if len(a) > 1 and len(b) > 1:
        welch = stats.ttest_ind(a, b, equal_var=False)
        mann = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
        lines += ["", f"Ours against official: mean {100 * (a.mean() / b.mean() - 1):+.1f}%, "
                  f"Welch's t = {welch.statistic:.2f} (p = {welch.pvalue:.3f}), "
                  f"Mann-Whitney U = {mann.statistic:.0f} (p = {mann.pvalue:.3f})."]  # fmt: skip
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", nargs="+", default=["FR", "PJM"])
    args = parser.parse_args(argv)
    for market in args.markets:
        print("\n".join(compare(market)))


if __name__ == "__main__":
    main()
