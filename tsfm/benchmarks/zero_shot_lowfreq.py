"""``tsfm benchmark --zero-shot --lowfreq``: a pretrained model on the low-frequency collections.

For each collection of :mod:`tsfm.collections` (yearly to hourly real series), up to
``max_series`` series (a seeded random sample when there are more) are cut by
:func:`tsfm.collections.evaluation_split` (the last horizon values of each series are its test
part; for M4 Hourly and Weekly that is the official test set). Each history is forecast over the
test horizon by

* the pretrained model: one ``tsfm.forecast(histories, horizon, model=NAME, quantiles=...)``
  call per collection (timed; it includes loading the model);
* Naive, SeasonalNaive, ETS and Theta of :mod:`tsfm.baselines` at the collection's season,
  fitted per series on the whole history (statsmodels for ETS and Theta);
* ``fracast`` (an optional peer, ``pip install fracast``; skipped with the reason when it is not
  importable): its bundled weights, the last 2048 values of each history, its 9 quantiles and
  their median as the point forecast.

Scores per series: MASE (the M4 definition: the mean absolute error over the mean absolute
seasonal difference of the history at the collection's season, lag 1 when the history is not
longer than a season) of the point forecast (``mean``), and the weighted quantile loss over the
levels 0.1..0.9 (mean over levels of the pinball loss, times two, over ``sum |y|``). Every model
here gives the nine quantiles (the baselines: normal quantiles around their point forecast with
their own h-step spread); a model without quantiles would score with its point forecast at every
level, i.e. its absolute error over ``sum |y|``. Relative MASE (WQL) of a collection: the
geometric mean over its series of MASE(model) / MASE(SeasonalNaive); series where
SeasonalNaive's score is zero or undefined (a constant seasonal history, a zero test part) are
left out and counted. A series a model forecasts with NaN or inf scores NaN for that model, is
left out of its ratios and listed in the report. Per frequency group: the same geometric mean
over all series of the group's collections.

The deterministic rows (ETS, Theta, fracast) are cached per collection and sample in
``<output>/zero_shot_baselines/lowfreq/`` (the file name holds a hash of the sampled histories
and test values, so a changed collection or sample is recomputed), so a rerun with a new model
computes only the model. Writes ``<output>/ZERO_SHOT_LOWFREQ.md`` (``ZERO_SHOT_LOWFREQ_<name>.md``
for a model other than the default) and the per-series metrics beside it as CSV.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.benchmarks.zero_shot import QUANTILES, report_name, scored
from tsfm.collections import COLLECTIONS, evaluation_split, load_collection
from tsfm.evaluation import metrics as M
from tsfm.evaluation.compare import relative_score

BASELINES = ("Naive", "SeasonalNaive", "ETS", "Theta")
#: Rows cached per collection and sample: deterministic and slow.
CACHED = ("ETS", "Theta", "fracast")
REFERENCE = "SeasonalNaive"
#: Series of the speed figure and their length range.
SPEED_SERIES, SPEED_LENGTHS = 1000, (8, 500)

Forecaster = Callable[[pd.DataFrame, int, list], pd.DataFrame]


def sample(name: str, max_series: int | None, seed: int = 0):
    """``(history, test)`` of up to ``max_series`` series of a collection (seeded sample)."""
    collection = COLLECTIONS[name]
    history, test = evaluation_split(load_collection(name), collection.horizon)
    ids = np.sort(history["unique_id"].unique())
    if max_series is not None and len(ids) > max_series:
        rng = np.random.default_rng(seed)
        ids = np.sort(rng.choice(ids, max_series, replace=False))
        history = history[history["unique_id"].isin(ids)].reset_index(drop=True)
        test = test[test["unique_id"].isin(ids)].reset_index(drop=True)
    return history, test


def pretrained_forecaster(name: str, n_threads: int | None = 1) -> Forecaster:
    """The pretrained model ``name`` as a forecaster: ``tsfm.forecast`` on the long frame."""

    def predict(history: pd.DataFrame, horizon: int, quantiles: list) -> pd.DataFrame:
        return tsfm.forecast(history, horizon, model=name, quantiles=quantiles, n_threads=n_threads)

    return predict


def fracast_forecaster(n_threads: int | None = 1, batch_size: int = 64) -> Forecaster | str:
    """fracast's bundled model as a forecaster, or the reason it is unavailable."""
    try:
        import fracast
    except ImportError as err:
        return f"skipped: fracast not installed ({err})"
    from tsfm.models.neural import torch_threads

    model = fracast.FracastModel.from_pretrained()
    levels = [round(q, 1) for q in model.quantiles]

    def predict(history: pd.DataFrame, horizon: int, quantiles: list) -> pd.DataFrame:
        missing = sorted(set(quantiles) - set(levels))
        if missing:
            raise ValueError(f"fracast forecasts the levels {levels}, not {missing}")
        ids, values = _series(history)
        out = []
        with torch_threads(n_threads):
            for start in range(0, len(values), batch_size):
                chunk = [v[-model.context_length :] for v in values[start : start + batch_size]]
                batch = np.full((len(chunk), max(map(len, chunk))), np.nan, dtype=np.float32)
                for row, v in zip(batch, chunk):
                    row[-len(v) :] = v  # left-padded with NaN: fracast masks them
                out.append(model.forecast_batch(batch, horizon=horizon))
        q = np.concatenate(out)  # (n, H, levels)
        frame = pd.DataFrame({"unique_id": np.repeat(ids, horizon),
                              "step": np.tile(np.arange(1, horizon + 1), len(ids))})  # fmt: skip
        frame["mean"] = q[:, :, levels.index(0.5)].ravel()
        for level in quantiles:
            frame[f"q{level}"] = q[:, :, levels.index(level)].ravel()
        return frame

    predict.version = fracast.__version__
    return predict


def _series(history: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    groups = history.groupby("unique_id", sort=True)["y"]
    return np.array(list(groups.groups)), [g.to_numpy() for _, g in groups]


def baseline_forecasts(name: str, season: int, freq: str, n_jobs: int | None) -> Forecaster:
    """A tsfm baseline fitted per series: every history is one backtest window's context."""
    make = {
        "Naive": lambda: tsfm.Naive(),
        "SeasonalNaive": lambda: tsfm.SeasonalNaive(season_length=season),
        "ETS": lambda: tsfm.ETS(season_length=season, n_jobs=n_jobs),
        "Theta": lambda: tsfm.Theta(season_length=season, n_jobs=n_jobs),
    }[name]

    def predict(history: pd.DataFrame, horizon: int, quantiles: list) -> pd.DataFrame:
        # a placeholder horizon after each history: backtest forecasts from the whole history
        ends = history.groupby("unique_id", sort=True)["ds"].max()
        step = pd.tseries.frequencies.to_offset(freq)
        pad = pd.DataFrame({"unique_id": np.repeat(ends.index, horizon),
                            "ds": [end + k * step for end in ends for k in range(1, horizon + 1)],
                            "y": 0.0})  # fmt: skip
        full = pd.concat([history, pad], ignore_index=True)
        result = tsfm.backtest({name: make()}, full, horizon, n_windows=1, refit=False,
                               quantiles=quantiles, season_length=season, freq=freq)  # fmt: skip
        return result.forecasts.drop(columns=["model", "y"])

    return predict


def score(
    history: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, season: int, label: str
) -> pd.DataFrame:
    """Per-series MASE and WQL of ``forecast`` (``unique_id`` and ``ds`` or ``step``, ``mean``,
    ``q<level>``) against ``test``; ``label`` names the model in errors. A series with a
    non-finite forecast is marked ``failed`` and scores NaN (with a warning)."""
    ids, hist = _series(history)
    horizon = len(test) // len(ids)
    y = test.sort_values(["unique_id", "ds"])["y"].to_numpy().reshape(len(ids), horizon)
    order = "ds" if "ds" in forecast.columns else "step"
    forecast = forecast.sort_values(["unique_id", order], kind="stable")
    if not np.array_equal(forecast["unique_id"].unique(), ids) or len(forecast) != y.size:
        raise ValueError(f"{label}: the forecast does not cover every series' test horizon")
    if order == "ds" and not np.array_equal(
        forecast["ds"].to_numpy(), test.sort_values(["unique_id", "ds"])["ds"].to_numpy()
    ):
        raise ValueError(f"{label}: forecast timestamps differ from the test timestamps")
    columns = ["mean", *(f"q{q}" for q in QUANTILES if f"q{q}" in forecast.columns)]
    values = forecast[columns].to_numpy(dtype=np.float64)
    values = values.reshape(len(ids), horizon, len(columns))
    failed = ~np.isfinite(values).all(axis=(1, 2))
    if failed.any():
        warnings.warn(f"{label}: non-finite forecasts for {failed.sum()} series, e.g. "
                      f"{str(ids[failed][0])!r}; they score NaN", stacklevel=2)  # fmt: skip
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, uid in enumerate(ids):
            point = values[i, :, 0]
            levels = [(q, values[i, :, columns.index(f"q{q}")] if f"q{q}" in columns else point)
                      for q in QUANTILES]  # fmt: skip
            rows.append({
                "unique_id": uid,
                "mase": M.mase(y[i], point, M.seasonal_scale(hist[i], season)),
                # weighted_quantile_loss, with inf/NaN (not an error) for an all-zero test part
                "wql": float(np.mean([M.quantile_loss(y[i], f, q) for q, f in levels])
                             / np.abs(y[i]).sum()),
            })  # fmt: skip
    metrics = pd.DataFrame(rows)
    metrics.loc[failed, ["mase", "wql"]] = np.nan
    return metrics.assign(failed=failed)


def _tag(history: pd.DataFrame, test: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    for frame in (history, test):
        digest.update(frame["unique_id"].to_numpy().astype(str).tobytes())
        digest.update(frame["y"].to_numpy(dtype=np.float64).tobytes())
    return digest.hexdigest()[:12]


def evaluate_collection(
    name: str,
    models: dict[str, Forecaster | str],
    *,
    max_series: int | None = 300,
    n_jobs: int | None = 1,
    cache: Path | None = None,
    seed: int = 0,
    baselines: tuple[str, ...] = BASELINES,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per-series metrics of ``models`` (name to forecaster, or to the reason it is skipped)
    and ``baselines`` on one collection, and the skipped rows' reasons."""
    collection = COLLECTIONS[name]
    history, test = sample(name, max_series, seed)
    horizon, season = collection.horizon, collection.season
    label = f"lowfreq/{name}-{_tag(history, test)}"
    rows = {b: baseline_forecasts(b, season, collection.freq, n_jobs) for b in baselines}
    rows.update(models)
    parts, skipped = [], {}
    for model, forecaster in rows.items():
        if isinstance(forecaster, str):
            skipped[model] = forecaster
            continue

        def run(model, forecaster):
            forecast = forecaster(history, horizon, QUANTILES)
            return SimpleNamespace(metrics=score(history, test, forecast, season, model))

        version = getattr(forecaster, "version", None)
        key = model if version is None else f"{model}-{version}"
        where = cache if model in CACHED else None
        metrics, seconds = scored(label, key, forecaster, run, where)
        parts.append(metrics.assign(model=model, seconds=seconds))
    metrics = pd.concat(parts, ignore_index=True)
    metrics.insert(0, "collection", name)
    metrics.insert(1, "group", collection.group)
    metrics.insert(2, "strict", not collection.pretraining)
    return metrics, skipped


def run(
    model: str | Forecaster | None,
    collections: list[str] | None = None,
    max_series: int = 300,
    n_jobs: int | None = 1,
    cache: Path | None = None,
    seed: int = 0,
    *,
    baselines: tuple[str, ...] = BASELINES,
    peers: bool = True,
    verbose: bool = False,
) -> pd.DataFrame:
    """Score a pretrained model, the baselines and the peers on the low-frequency collections.

    Parameters
    ----------
    model : str, callable or None
        A shipped model's name or a weights folder (forecast by ``tsfm.forecast``), a
        forecaster ``f(history, horizon, quantiles) -> frame`` (``unique_id``, ``ds``, ``mean``,
        ``q<level>``), or None for the baselines and peers only.
    collections : list of str, optional
        Keys of :data:`tsfm.collections.COLLECTIONS` (default: all).
    max_series : int
        Series per collection at most (a random sample, seeded, when there are more).
    n_jobs : int, optional
        joblib workers of ETS and Theta, and torch threads of the neural models.
    cache : path, optional
        Folder of the cached ETS, Theta and fracast metrics.
    seed : int
        Seed of the series sample.
    baselines : tuple of str
        Some of :data:`BASELINES`; SeasonalNaive, the reference, is always scored.
    peers : bool
        Score fracast too (when importable).
    verbose : bool
        Print each collection's relative scores as it finishes.

    Returns
    -------
    pd.DataFrame
        One row per collection, model and series: ``collection``, ``group``, ``strict``,
        ``unique_id``, ``mase``, ``wql``, ``failed`` (non-finite forecast), ``model``,
        ``seconds`` (the model's time on the whole collection). ``attrs["skipped"]``: model to
        reason, for peers that could not run.
    """
    names = list(COLLECTIONS) if collections is None else list(collections)
    baselines = tuple(dict.fromkeys([REFERENCE, *baselines]))
    unknown = [n for n in names if n not in COLLECTIONS]
    if unknown:
        raise ValueError(f"unknown collections {unknown}; choose from {', '.join(COLLECTIONS)}")
    models: dict[str, Forecaster | str] = {}
    if isinstance(model, str):
        models[Path(model).name] = pretrained_forecaster(model, n_jobs)
    elif model is not None:
        models[getattr(model, "__name__", "model")] = model
    if peers:
        models["fracast"] = fracast_forecaster(n_jobs)
    parts, skipped = [], {}
    for name in names:
        metrics, skipped_here = evaluate_collection(
            name, models, max_series=max_series, n_jobs=n_jobs, cache=cache, seed=seed,
            baselines=baselines,
        )  # fmt: skip
        parts.append(metrics)
        skipped.update(skipped_here)
        if verbose:
            table = relative_table(metrics, "collection")
            print(table.round(3).to_string(), flush=True)
    metrics = pd.concat(parts, ignore_index=True)
    metrics.attrs["skipped"] = skipped
    return metrics


def relative_table(metrics: pd.DataFrame, by: str, metric: str = "mase") -> pd.DataFrame:
    """Per ``by`` (``"collection"`` or ``"group"``): series (for a group, how many of them are in
    strict zero-shot collections), series left out (SeasonalNaive's ``metric`` zero or
    undefined) and each model's relative ``metric`` against SeasonalNaive."""
    seen = list(dict.fromkeys(metrics["model"]))
    order = ("ETS", "Theta", "Naive", REFERENCE)
    models = [m for m in seen if m not in order] + [m for m in order if m in seen]
    rows = []
    for key, part in metrics.groupby(by, sort=False):
        part = part.assign(unique_id=part["collection"] + "/" + part["unique_id"])
        reference = part.loc[part["model"] == REFERENCE]
        row = {by: key}
        if by == "collection":
            row.update(group=part["group"].iloc[0], strict=bool(part["strict"].iloc[0]))
        else:
            row["strict_series"] = int(reference["strict"].sum())
        score = reference[metric]
        row["series"] = len(reference)
        row["left_out"] = int((~np.isfinite(score) | (score <= 0)).sum())
        for model in models:
            row[model] = relative_score(part, model, REFERENCE, metric)
        rows.append(row)
    return pd.DataFrame(rows).set_index(by)


def speed(
    model: str,
    collections: list[str] | None = None,
    n_series: int = SPEED_SERIES,
    n_threads: int | None = 1,
    seed: int = 0,
) -> dict:
    """Time ``tsfm.forecast`` on one long frame of ``n_series`` histories of mixed lengths.

    Each series is a history (a collection drawn uniformly, then one of its series), cut to
    its last ``L`` values with ``L`` uniform in :data:`SPEED_LENGTHS` (at most the history's
    length), and stamped on one monthly grid ending in December 2024; horizon 18, nine
    quantiles; seeded. The first call includes loading the model; the second is timed too.
    """
    rng = np.random.default_rng(seed)
    pools = []
    for name in collections or list(COLLECTIONS):
        history, _ = evaluation_split(load_collection(name), COLLECTIONS[name].horizon)
        pools.append(_series(history)[1])
    lo, hi = SPEED_LENGTHS
    parts, lengths = [], []
    for i in range(n_series):
        pool = pools[rng.integers(len(pools))]
        values = pool[rng.integers(len(pool))]
        n = int(rng.integers(lo, min(hi, len(values)) + 1))
        ds = pd.date_range(end="2024-12-01", periods=n, freq="MS")
        parts.append(pd.DataFrame({"unique_id": f"s{i:04d}", "ds": ds, "y": values[-n:]}))
        lengths.append(n)
    frame = pd.concat(parts, ignore_index=True)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        out = tsfm.forecast(frame, 18, model=model, quantiles=QUANTILES, n_threads=n_threads)
        times.append(time.perf_counter() - start)
    if out["unique_id"].nunique() != n_series:
        raise RuntimeError(f"tsfm.forecast returned {out['unique_id'].nunique()} series")
    return {"series": n_series, "values": len(frame), "median_length": float(np.median(lengths)),
            "first_seconds": times[0], "second_seconds": times[1],
            "series_per_s": n_series / times[0], "series_per_s_second": n_series / times[1],
            "n_threads": n_threads}  # fmt: skip


def per_series(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per collection and series, columns ``mase_<model>`` and ``wql_<model>`` (NaN
    where the model's forecast was not finite)."""
    keys = ["collection", "group", "strict", "unique_id"]
    models = list(dict.fromkeys(metrics["model"]))
    wide = metrics.set_index([*keys, "model"])[["mase", "wql"]].unstack("model")
    wide = wide[[(m, model) for m in ("mase", "wql") for model in models]]
    wide.columns = [f"{metric}_{model}" for metric, model in wide.columns]
    order = metrics[keys].drop_duplicates().set_index(keys).index
    return wide.reindex(order).reset_index()


def _markdown(table: pd.DataFrame) -> str:
    return table.astype(object).to_markdown(floatfmt=".3f")  # counts stay integers


def main(args) -> int:
    import torch

    commit, command = git_commit(), invoked_command()
    model = None if getattr(args, "baselines_only", False) else args.pretrained
    out = Path(args.output)
    cache = out / "zero_shot_baselines"
    started = time.perf_counter()
    metrics = run(model, args.collections, args.max_series, args.n_jobs or 1, cache, args.seed,
                  verbose=True)  # fmt: skip
    minutes = (time.perf_counter() - started) / 60
    speed_figures = None
    if model is not None:
        speed_figures = speed(model, args.collections, n_threads=args.n_jobs or 1)
    stem = "ZERO_SHOT_LOWFREQ" if args.collections is None else "ZERO_SHOT_LOWFREQ_SUBSET"
    report = report_name(args.pretrained, stem)
    lines = [
        "# Zero-shot on the low-frequency collections",
        "",
        f"Command: `{command}` (tsfm/benchmarks/zero_shot_lowfreq.py), commit {commit}.",
        f"Machine: {machine()}; torch threads per forecast call and ETS/Theta workers: "
        f"{args.n_jobs or 1} (torch's default here: {torch.get_num_threads()}).",
        f"Pretrained model: `{model}`. Up to {args.max_series} series per collection (seeded "
        f"sample, seed {args.seed}); the whole run took {minutes:.1f} minutes.",
        "",
        "Each series' last `horizon` values are its test part (M4: the official test set); every",
        "model forecasts them once from the history before them. Collections and their split:",
        "`tsfm/collections.py`; metrics: `tsfm/benchmarks/zero_shot_lowfreq.py`. Relative",
        "MASE (WQL): geometric mean over series of MASE (WQL over the levels 0.1..0.9) of the",
        "model over SeasonalNaive's; below 1 beats SeasonalNaive. `left_out`: series where",
        "SeasonalNaive's score is zero or undefined. `strict`: the collection is never in a",
        "pretraining corpus (strict zero-shot); the others' histories may be (never a test value).",
        "Per group: the geometric mean over all series of the group's collections.",
        "Horizon and season (MASE scale, SeasonalNaive, ETS, Theta) per group: yearly 6 and 1,",
        "quarterly 8 and 4, monthly 18 and 12, weekly 13 and 1 (M4), daily 14 and 7 (5 on the",
        "business-day grid of `gafa_stocks` and `energy_daily`), hourly 48 and 24.",
        "Strict zero-shot collections: "
        + ", ".join(f"`{n}`" for n, c in COLLECTIONS.items() if not c.pretraining)
        + ".",
        "",
    ]
    for name, reason in metrics.attrs["skipped"].items():
        lines += [f"{name}: {reason}.", ""]
    for metric in ("mase", "wql"):
        for by in ("group", "collection"):
            table = relative_table(metrics, by, metric)
            lines += [f"## Relative {metric.upper()} per {by}", "", _markdown(table), ""]
        strict = relative_table(metrics[metrics["strict"]], "group", metric)
        lines += [f"### Relative {metric.upper()} per group, strict zero-shot collections only",
                  "", _markdown(strict), ""]  # fmt: skip
    failed = metrics[metrics["failed"].astype(bool)]
    if len(failed):
        counts = failed.groupby(["collection", "model"]).size().rename("series").reset_index()
        lines += ["## Non-finite forecasts", "",
                  "Series a model forecast with NaN or inf: left out of its ratios.", "",
                  counts.to_markdown(index=False), ""]  # fmt: skip
    seconds = metrics.groupby(["model", "collection"])["seconds"].first().groupby("model").sum()
    counts = metrics.groupby("model").size()
    timing = pd.DataFrame({"seconds": seconds, "series_per_s": counts / seconds})
    lines += ["## Time", "",
              "Seconds per model over all collections (a forecast call per collection for the",
              "neural models, model loading included; per-series fits for ETS and Theta; cached",
              "rows keep the time of the run that computed them).", "",
              timing.round(2).to_markdown(), ""]  # fmt: skip
    if speed_figures is not None:
        s = speed_figures
        lines += [
            "## Speed of `tsfm.forecast` on 1,000 series (issue 26, item 4)", "",
            f"One call on a long frame of {s['series']} histories drawn from the collections "
            f"(lengths {SPEED_LENGTHS[0]}..{SPEED_LENGTHS[1]}, median {s['median_length']:.0f}, "
            f"{s['values']} values), monthly stamps, horizon 18, nine quantiles, "
            f"{s['n_threads']} torch thread(s): {s['first_seconds']:.1f} s with model loading "
            f"(**{s['series_per_s']:.0f} series/s**); a second call {s['second_seconds']:.1f} s "
            f"({s['series_per_s_second']:.0f} series/s).", "",
        ]  # fmt: skip
        print(lines[-2], flush=True)
    (out / report).write_text("\n".join(lines))
    csv = out / (Path(report).stem.lower() + ".csv")
    per_series(metrics).to_csv(csv, index=False, float_format="%.6g")
    print(f"written: {out / report}, {csv}", flush=True)
    return 0
