"""``tsfm benchmark --zero-shot``: a pretrained model against per-series statistical baselines.

On the official test horizons of M4 Hourly (48) and M4 Weekly (13), every series is forecast once
from its whole training part by: the pretrained model (no training: ``fit`` only records the
data), Naive, SeasonalNaive, ETS, Theta and ARIMA fitted per series. Scores: MASE and sMAPE (M4
definitions), the weighted quantile loss over the levels 0.1..0.9 (a CRPS estimate every model
has), the CRPS of the samples for sample-based models, the geometric-mean ratio to SeasonalNaive
of MASE and of wQL per series, and forecasting speed (series per second, fitting included).
Writes ``benchmarks/ZERO_SHOT.md``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.evaluation.compare import relative_score

QUANTILES = [round(0.1 * k, 1) for k in range(1, 10)]
#: dataset -> (horizon, season length)
SETS = {"m4_hourly": (48, 24), "m4_weekly": (13, 52)}


def baselines(season: int, n_jobs: int | None) -> dict:
    return {
        "Naive": tsfm.Naive(),
        "SeasonalNaive": tsfm.SeasonalNaive(season_length=season),
        "ETS": tsfm.ETS(season_length=season, n_jobs=n_jobs),
        "Theta": tsfm.Theta(season_length=season, n_jobs=n_jobs),
        "ARIMA": tsfm.ARIMA(season_length=season, n_jobs=n_jobs),
    }


def evaluate(
    dataset: str, model, *, include=None, n_series: int | None = None, n_jobs: int | None = None
) -> pd.DataFrame:
    """The table of one dataset: one row per model (``model`` a forecaster or None)."""
    horizon, season = SETS[dataset]
    data = tsfm.load_dataset(dataset)
    full = pd.concat([data.data, data.test]).sort_values(["unique_id", "ds"], kind="stable")
    if n_series is not None:
        full = full[full["unique_id"].isin(full["unique_id"].unique()[:n_series])]
    models = {} if model is None else {"zero-shot": model}
    for name, baseline in baselines(season, n_jobs).items():
        if include is None or name in include:
            models[name] = baseline
    rows, results = [], {}
    for name, forecaster in models.items():
        start = time.perf_counter()
        result = tsfm.backtest({name: forecaster}, full, horizon, n_windows=1, refit=False,
                               season_length=season, quantiles=QUANTILES)  # fmt: skip
        seconds = time.perf_counter() - start
        results[name] = result
        overall = result.overall().iloc[0]
        rows.append({
            "model": name, "series": int(overall["n_windows"]), "mase": overall["mase"],
            "smape": overall["smape"], "wql": overall["wql"],
            "crps": overall.get("crps", float("nan")),
            "series_per_s": overall["n_windows"] / seconds,
        })  # fmt: skip
    table = pd.DataFrame(rows).set_index("model")
    metrics = pd.concat([r.metrics for r in results.values()], ignore_index=True)
    for metric in ("mase", "wql"):
        table[f"relative_{metric}"] = [
            relative_score(metrics, name, "SeasonalNaive", metric) for name in table.index
        ]
    return table.sort_values("mase")


def main(args) -> int:
    model = tsfm.from_pretrained(args.pretrained) if args.pretrained else None
    command = invoked_command()
    lines = [
        "# Zero-shot forecasting against per-series baselines",
        "",
        f"Command: `{command}` (tsfm/benchmarks/zero_shot.py), commit {git_commit()}.",
        f"Machine: {machine()}. Pretrained model: `{args.pretrained}`.",
        "One window per series: the official M4 test horizon. wQL over the levels 0.1..0.9;",
        "`relative_*`: geometric mean over series of the ratio to SeasonalNaive; speed includes",
        "fitting the per-series baselines.",
        "",
    ]
    for dataset in SETS:
        table = evaluate(dataset, model, n_jobs=args.n_jobs)
        print(dataset, "\n", table.round(4).to_string(), flush=True)
        lines += [f"## {dataset}", "", table.round(4).to_markdown(), ""]
    (Path(args.output) / "ZERO_SHOT.md").write_text("\n".join(lines))
    return 0
