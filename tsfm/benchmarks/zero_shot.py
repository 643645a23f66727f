"""``tsfm benchmark --zero-shot``: a pretrained model against per-series statistical baselines.

On the official test horizons of M4 Hourly (48) and M4 Weekly (13), every series is forecast once
from its whole training part by: the pretrained model (no training: ``fit`` only records the
data), Naive, SeasonalNaive, ETS, Theta and ARIMA fitted per series. Scores: MASE and sMAPE (M4
definitions), the weighted quantile loss over the levels 0.1..0.9 (a CRPS estimate every model
has), the CRPS of the samples for sample-based models, the geometric-mean ratio to SeasonalNaive
of MASE and of wQL per series, and forecasting speed (series per second, fitting included).

On the LTSF test parts (z-normalised with the training part's statistics, as the protocol
does), origins every ``H`` rows from the first test origin (non-overlapping windows, so the
per-window baselines stay affordable): the pretrained model against Naive, SeasonalNaive and,
where the season is short enough to fit per window, ETS. Scores: MSE, MAE, MASE, wQL.

Writes ``benchmarks/ZERO_SHOT.md`` (``ZERO_SHOT_<name>.md`` for a model other than the default).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.evaluation.compare import relative_score

QUANTILES = [round(0.1 * k, 1) for k in range(1, 10)]
#: dataset -> (horizon, season length). The M4 season lengths (the competition's frequencies:
#: 24 for hourly, 1 for weekly) scale MASE and set the baselines' seasonality, so the scores are
#: the M4 ones; weekly SeasonalNaive is then Naive, and a 52-week SeasonalNaive is added.
SETS = {"m4_hourly": (48, 24), "m4_weekly": (13, 1)}
#: Further baselines per dataset.
EXTRA = {"m4_weekly": {"SeasonalNaive52": lambda: tsfm.SeasonalNaive(season_length=52)}}
#: LTSF test parts: dataset -> (horizon, season length)
LTSF_SETS = {
    "etth1": (96, 24), "etth2": (96, 24), "ettm1": (96, 96), "weather": (96, 144),
    "exchange": (96, 1), "ili": (24, 52),
}  # fmt: skip
#: Per-window ETS only where the season is this short: statsmodels' seasonal ETS with a 96- or
#: 144-step season takes seconds per fit, thousands of fits on 2 cores.
ETS_MAX_SEASON = 52
#: Longest context the LTSF windows offer (the pretrained model's context).
LTSF_CONTEXT = 512


def baselines(season: int, n_jobs: int | None) -> dict:
    return {
        "Naive": tsfm.Naive(),
        "SeasonalNaive": tsfm.SeasonalNaive(season_length=season),
        "ETS": tsfm.ETS(season_length=season, n_jobs=n_jobs),
        "Theta": tsfm.Theta(season_length=season, n_jobs=n_jobs),
        "ARIMA": tsfm.ARIMA(season_length=season, n_jobs=n_jobs),
    }


def scored(label: str, name: str, forecaster, run, cache: Path | None):
    """Per-series metrics (``run(name, forecaster)`` gives the backtest) and the seconds taken.

    Baselines (every model but the pretrained ones, named ``"zero-shot..."``) are
    deterministic: with a ``cache`` folder their metrics are read from ``<label>-<name>.csv``
    there if present, else computed and written.
    """
    pretrained = name.startswith("zero-shot")
    path = None if cache is None or pretrained else Path(cache) / f"{label}-{name}.csv"
    if path is not None and path.exists():
        metrics = pd.read_csv(path, dtype={"unique_id": str})
        return metrics.drop(columns="seconds"), float(metrics["seconds"].iloc[0])
    start = time.perf_counter()
    metrics = run(name, forecaster).metrics
    seconds = time.perf_counter() - start
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        metrics.assign(seconds=seconds).to_csv(path, index=False)
    return metrics, seconds


def _overall(metrics: pd.DataFrame) -> pd.Series:
    return metrics[metrics["unique_id"] == "overall"].iloc[0]


def evaluate(
    dataset: str,
    model,
    *,
    include=None,
    n_series: int | None = None,
    n_jobs: int | None = None,
    cache: Path | None = None,
) -> pd.DataFrame:
    """The table of one dataset: one row per model (``model`` a forecaster or None)."""
    horizon, season = SETS[dataset]
    data = tsfm.load_dataset(dataset)
    full = pd.concat([data.data, data.test]).sort_values(["unique_id", "ds"], kind="stable")
    if n_series is not None:
        full = full[full["unique_id"].isin(full["unique_id"].unique()[:n_series])]
    models = _pretrained(model)
    candidates = baselines(season, n_jobs)
    candidates.update({name: make() for name, make in EXTRA.get(dataset, {}).items()})
    for name, baseline in candidates.items():
        if include is None or name in include:
            models[name] = baseline

    def run(name, forecaster):
        return tsfm.backtest({name: forecaster}, full, horizon, n_windows=1, refit=False,
                             season_length=season, quantiles=QUANTILES)  # fmt: skip

    label = dataset if n_series is None else f"{dataset}-first{n_series}"
    rows, results = [], {}
    for name, forecaster in models.items():
        results[name], seconds = scored(label, name, forecaster, run, cache)
        overall = _overall(results[name])
        rows.append({
            "model": name, "series": int(overall["n_windows"]), "mase": overall["mase"],
            "smape": overall["smape"], "wql": overall["wql"],
            "crps": overall.get("crps", float("nan")),
            "series_per_s": overall["n_windows"] / seconds,
        })  # fmt: skip
    table = pd.DataFrame(rows).set_index("model")
    metrics = pd.concat(results.values(), ignore_index=True)
    for metric in ("mase", "wql"):
        table[f"relative_{metric}"] = [
            relative_score(metrics, name, "SeasonalNaive", metric) for name in table.index
        ]
    return table.sort_values("mase")


def evaluate_ltsf(dataset: str, model, *, include=None, cache: Path | None = None) -> pd.DataFrame:
    """The LTSF table of one dataset: one row per model (``model`` a forecaster or None;
    ``include`` limits the baselines)."""
    horizon, season = LTSF_SETS[dataset]
    data = tsfm.load_dataset(dataset)
    frame, borders = data.ltsf(LTSF_CONTEXT)
    frame = frame.iloc[borders.test[0] :]  # the test part and the context before it
    first = borders.test_origin - borders.test[0]
    models = _pretrained(model)
    candidates = {"Naive": tsfm.Naive(), "SeasonalNaive": tsfm.SeasonalNaive(season_length=season)}
    if season <= ETS_MAX_SEASON:
        candidates["ETS"] = tsfm.ETS(season_length=season, context_length=LTSF_CONTEXT)
    models.update({k: v for k, v in candidates.items() if include is None or k in include})

    def run(name, forecaster):
        return tsfm.backtest({name: forecaster}, frame, horizon, start=first, step=horizon,
                             refit=False, season_length=season, quantiles=QUANTILES)  # fmt: skip

    rows, results = [], {}
    for name, forecaster in models.items():
        results[name], seconds = scored(f"ltsf-{dataset}", name, forecaster, run, cache)
        overall = _overall(results[name])
        windows = int(overall["n_windows"])
        rows.append({
            "model": name, "windows": windows, "mse": overall["mse"], "mae": overall["mae"],
            "mase": overall["mase"], "wql": overall["wql"], "windows_per_s": windows / seconds,
        })  # fmt: skip
    table = pd.DataFrame(rows).set_index("model")
    metrics = pd.concat(results.values(), ignore_index=True)
    table["relative_mase"] = [
        relative_score(metrics, name, "SeasonalNaive", "mase") for name in table.index
    ]
    return table.sort_values("mse")


def _pretrained(model) -> dict:
    """The pretrained rows: a forecaster (``"zero-shot"``), a dict of them, or None."""
    if model is None:
        return {}
    return dict(model) if isinstance(model, dict) else {"zero-shot": model}


def forecast_speed(name: str, repeats: int = 5) -> list[str]:
    """Markdown lines: seconds per ``tsfm.forecast`` call (load, sha256 check, forecast) on real
    statsmodels series, the first call and the median of ``repeats`` more."""
    import statsmodels.api as sm

    co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate()
    sunspots = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"]
    sunspots.index = pd.date_range("1700", periods=len(sunspots), freq="YS")
    lines = ["| series | length | horizon | first call (s) | median of the next 5 (s) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for label, series, horizon in (("co2 (weekly)", co2, 52), ("sunspots (yearly)", sunspots, 11)):
        times = []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            tsfm.forecast(series, horizon=horizon, model=name, quantiles=[0.1, 0.9], n_threads=1)
            times.append(time.perf_counter() - start)
        first, rest = times[0], sorted(times[1:])[len(times[1:]) // 2]
        lines.append(f"| {label} | {len(series)} | {horizon} | {first:.3f} | {rest:.3f} |")
    return lines


def main(args) -> int:
    baselines_only = getattr(args, "baselines_only", False)
    model = None
    if not baselines_only:  # the zero-shot settings, and the model with its whole context as is
        model = {"zero-shot": tsfm.from_pretrained(args.pretrained, n_threads=1)}
        raw = {"max_context": None, "seasonal_adjustment": None}  # Sundial's prediction settings
        if raw.keys() <= model["zero-shot"].get_params().keys():
            model["zero-shot, raw"] = tsfm.from_pretrained(args.pretrained, n_threads=1, **raw)
    cache = Path(args.output) / "zero_shot_baselines"
    command = invoked_command()
    lines = [
        "# Zero-shot forecasting against per-series baselines",
        "",
        f"Command: `{command}` (tsfm/benchmarks/zero_shot.py), commit {git_commit()}.",
        f"Machine: {machine()}. Pretrained model: `{args.pretrained}`.",
        "One window per series: the official M4 test horizon; MASE scaled with the M4",
        "frequencies (hourly 24, weekly 1), so weekly SeasonalNaive is Naive. wQL over the",
        "levels 0.1..0.9;",
        "`relative_*`: geometric mean over series of the ratio to SeasonalNaive; speed includes",
        "fitting the per-series baselines. The baselines' per-series metrics are kept in",
        "`benchmarks/zero_shot_baselines/` (they are deterministic; delete a file to recompute",
        "it, its `seconds` column times the run that wrote it).",
        "`zero-shot` is the model with its zero-shot settings (`ZERO_SHOT_SETTINGS` in",
        "tsfm/pretrained/__init__.py: the last 256 values, seasonal adjustment at the data's",
        "frequency); `zero-shot, raw` the same weights on the whole 512-value context, unadjusted.",
        "",
    ]
    for dataset in SETS:
        table = evaluate(dataset, model, n_jobs=args.n_jobs, cache=cache)
        print(dataset, "\n", table.round(4).to_string(), flush=True)
        lines += [f"## {dataset}", "", table.round(4).to_markdown(), ""]
    lines += [
        "## LTSF test parts",
        "",
        "z-normalised with the training part's statistics; origins every H rows from the first",
        f"test origin; contexts up to {LTSF_CONTEXT} rows; MASE per channel and window (the",
        "history before each cutoff scales it); `relative_mase` against SeasonalNaive.",
        f"ETS only where the season is at most {ETS_MAX_SEASON} steps.",
        "",
    ]
    for dataset, (horizon, season) in LTSF_SETS.items():
        table = evaluate_ltsf(dataset, model, cache=cache)
        print(dataset, "\n", table.round(4).to_string(), flush=True)
        title = f"### {dataset}, horizon {horizon}, season {season}"
        lines += [title, "", table.round(4).to_markdown(), ""]
    if not baselines_only:
        lines += ["## Speed of `tsfm.forecast`", "",
                  "One series per call, no training; one torch thread.", "",
                  *forecast_speed(args.pretrained), ""]  # fmt: skip
        (Path(args.output) / report_name(args.pretrained)).write_text("\n".join(lines))
    return 0


def report_name(pretrained: str, stem: str = "ZERO_SHOT") -> str:
    """``<stem>.md`` for the default shipped model, ``<stem>_<name>.md`` for another (its
    config's name), so trying a new model keeps the shipped model's report."""
    from tsfm.models.weights import read_config
    from tsfm.pretrained import DEFAULT_MODEL, resolve

    name = read_config(resolve(pretrained)[0]).get("name", Path(pretrained).name)
    return f"{stem}.md" if name == DEFAULT_MODEL else f"{stem}_{name}.md"
