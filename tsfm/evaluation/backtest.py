"""``tsfm.backtest``: rolling-origin backtests of several forecasters over every series.

Each series gets forecast windows ending at (or starting from) chosen cutoffs. A window whose
series is too short is reported in :attr:`BacktestResult.skipped`, never dropped in silence.

Work is split into jobs run by joblib (any joblib backend, e.g. Dask's):

* a *local* forecaster (``forecaster.local``: statistical baselines) forecasts each window from the
  history before it alone, so its jobs are chunks of series, and refitting does not apply;
* a *global* forecaster (neural models) is fitted on every series up to a cutoff; a job is one
  fit (per the ``refit`` policy) and the windows that use it.

This module never names a model: forecasters are used through ``fit_panel``,
``forecast_contexts``, ``_min_length`` and ``_context_rows`` (:class:`tsfm.base.BaseForecaster`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from sklearn.base import clone

from tsfm.data.frames import to_panel
from tsfm.data.panel import ID_COL, TIME_COL, Panel, object_array, shift
from tsfm.evaluation import metrics as M
from tsfm.evaluation.conformal import calibrated_outputs, min_windows
from tsfm.evaluation.rolling import (
    CHUNK_ELEMENTS,
    Windows,
    gather,
    quantile_levels,
    refuse_overall_id,
    row_of,
    scored_mean,
    symmetric_pairs,
    timestamp_of,
)
from tsfm.params import POSITIVE, Integer, OneOf, check_params
from tsfm.progress import progress_bar

#: Series per job for local forecasters: small enough to spread, large enough to amortise.
SERIES_PER_JOB = 256
#: Constraints of :func:`backtest`'s arguments (:mod:`tsfm.params`).
ARGUMENTS = {
    "horizon": POSITIVE, "n_windows": POSITIVE | None, "step": POSITIVE | None,
    "window": OneOf("expanding", "sliding"), "train_size": POSITIVE | None,
    "season_length": POSITIVE | None, "n_jobs": POSITIVE | Integer(None, -1) | None,
}  # fmt: skip


@dataclass
class BacktestResult:
    """Forecasts, metrics and every skipped window of a backtest.

    Attributes
    ----------
    forecasts : pd.DataFrame
        One row per model, series (wide input: channel), cutoff and step: ``model``,
        ``unique_id``, ``cutoff`` (last timestamp seen), ``step`` (1..H), ``ds``, ``y``,
        ``mean``, ``median`` (models whose point forecast is the median: the one scored) and
        ``q<level>`` columns.
    windows : pd.DataFrame
        Metrics per model, series and cutoff (``mse``, ``mae``, ``rmse``, ``mape``, ``smape``,
        ``mase``, with quantiles ``wql``, ``coverage_<level>`` and ``interval_<p>`` (the share
        inside each symmetric ``p``% interval), and ``crps`` for sample-based models).
    metrics : pd.DataFrame
        Per model and series, the mean over its windows, and a row ``unique_id == "overall"``
        per model: the mean over series.
    skipped : pd.DataFrame
        ``model``, ``unique_id``, ``cutoff`` (or NaT when the window would start before the
        series) and ``reason`` for every window that could not be forecast.
    horizon, step, season_length : int
        ``season_length``: MASE's seasonal lag used (the data's season unless given).
    quantiles : list of float or None
    intervals : dict of str to str, or None
        With quantiles, per model how its quantiles were made: ``"model"`` (its own) or
        ``"conformal"`` (a point model's, from its errors: :mod:`tsfm.evaluation.conformal`).
    """

    forecasts: pd.DataFrame
    windows: pd.DataFrame
    metrics: pd.DataFrame
    skipped: pd.DataFrame
    horizon: int
    step: int
    season_length: int
    quantiles: list[float] | None
    intervals: dict[str, str] | None = None

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(self.metrics["model"]))

    def leaderboard(self, **kwargs) -> pd.DataFrame:
        """:func:`tsfm.evaluation.compare.leaderboard` of this result."""
        from tsfm.evaluation.compare import leaderboard

        return leaderboard(self, **kwargs)

    def overall(self) -> pd.DataFrame:
        """The ``overall`` row of each model, indexed by model."""
        rows = self.metrics[self.metrics["unique_id"] == "overall"]
        return rows.drop(columns="unique_id").set_index("model")


def backtest(
    models,
    data,
    horizon: int,
    *,
    n_windows: int | None = None,
    start: int | str | pd.Timestamp | None = None,
    step: int | None = None,
    refit: bool | int | Mapping[str, bool | int] = True,
    window: str = "expanding",
    train_size: int | None = None,
    quantiles: Sequence[float] | None = None,
    season_length: int | None = None,
    target: str | Sequence[str] | None = None,
    past_covariates: Sequence[str] | None = None,
    future_covariates: Sequence[str] | None = None,
    calendar: Sequence[str] | None = None,
    static_covariates: Sequence[str] | None = None,
    freq: str | None = None,
    fill_missing: str = "raise",
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    progress: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest of ``models`` over every series of ``data``.

    Parameters
    ----------
    models : forecaster, list of forecasters or dict of name to forecaster
        Unfitted tsfm forecasters (they are cloned, never changed). List names are the class
        names, numbered when repeated.
    data : pd.Series, pd.DataFrame or gluonts dataset
        Any input :func:`tsfm.data.to_panel` accepts.
    horizon : int
        Steps per window, ``H``.
    n_windows : int, optional
        Windows per series, the last one ending at the series' end, each ``step`` rows before
        the next. Give this or ``start``.
    start : int or timestamp, optional
        First cutoff position: the row of the first forecast step (negative: from each end) or a
        timestamp; windows follow every ``step`` rows while they fit in the series.
    step : int, optional
        Rows between cutoffs; default ``horizon`` (windows do not overlap).
    refit : bool, int or dict of model name to bool/int
        For global forecasters: refit at every window (True), every ``k``-th window (int), or
        fit once before the first window (False). Ignored by local forecasters.
    window : {"expanding", "sliding"}
        Training history: everything before the cutoff, or its last ``train_size`` rows (which
        also bounds the history local forecasters see).
    quantiles : sequence of float, optional
        Adds ``wql``, ``coverage_<level>`` and ``interval_<p>`` for every model: its own
        quantiles, or for a point forecaster conformal ones, from its errors on the 50 windows
        before the first cutoff of each series (:mod:`tsfm.evaluation.conformal`; NaN, with a
        warning, where the history holds too few windows).
    season_length : int, optional
        MASE's seasonal lag, the same for every model: default the season of the data's
        frequency (:func:`tsfm.evaluation.metrics.data_season`), as in ``evaluate``; its scale
        uses the history before each cutoff (M4 definition).
    target, past_covariates, future_covariates, calendar, static_covariates, freq, fill_missing
        As in :func:`tsfm.data.to_panel`; each model gets the covariates it can use (future
        ones over each window's horizon, from the data), the others forecast the targets alone.
    id_col, time_col, target_col : str, optional
        A long frame's id, time and target columns (default ``unique_id``, ``ds``, ``y``); the
        result's tables name them ``unique_id`` and ``ds`` whatever they were called.
    n_jobs, backend : optional
        joblib's ``n_jobs`` and backend (e.g. ``"dask"`` inside a ``distributed.Client``).
    progress : bool
        Show a progress bar over jobs.
    """
    if (n_windows is None) == (start is None):
        raise ValueError("give exactly one of n_windows= and start=")
    arguments = {
        "horizon": horizon, "n_windows": n_windows, "step": step, "window": window,
        "train_size": train_size, "season_length": season_length, "n_jobs": n_jobs,
    }  # fmt: skip
    check_params("backtest", arguments, ARGUMENTS)
    if window == "sliding" and not train_size:
        raise ValueError("window='sliding' needs train_size= (rows of history per window)")
    if window == "expanding" and train_size is not None:
        raise ValueError(
            f"train_size={train_size} bounds the history of window='sliding' only; the default "
            "window='expanding' uses all of it: pass window='sliding' too, or drop train_size"
        )
    if start is not None and not isinstance(start, (int, np.integer)):
        start = timestamp_of(start, "start")
    quantiles = quantile_levels(quantiles)
    step = horizon if step is None else step
    named = _named(models)
    policies = {name: _refit_every(refit, name) for name in named}
    panel = to_panel(
        data, target=target, past_covariates=past_covariates, future_covariates=future_covariates,
        calendar=calendar, static_covariates=static_covariates, freq=freq,
        fill_missing=fill_missing, id_col=id_col, time_col=time_col, target_col=target_col,
    )  # fmt: skip
    refuse_overall_id(panel)
    for name, model in named.items():
        if _usable(panel, model).spec.n_future and model._future_rows(horizon) != horizon:
            raise ValueError(
                f"{name} reads future covariates over its prediction_length "
                f"({model.prediction_length}); backtest it with horizon={model.prediction_length}"
            )
    season_length = season_length or M.data_season(panel.freq)
    cutoffs = _cutoffs(panel, horizon, n_windows, start, step)
    jobs, skipped = [], []
    for name, model in named.items():
        plan, too_short = _plan(name, model, panel, cutoffs, policies[name])
        skipped += too_short
        jobs += [(name, model, series, origins, fit) for series, origins, fit in plan]
    if not jobs:
        first = skipped[0]
        raise ValueError(
            f"no window to forecast: all {len(skipped)} were skipped (e.g. series "
            f"{first['unique_id']!r}: {first['reason']}); use a shorter horizon, fewer "
            "windows or an earlier start"
        )
    calls = []
    for name, model, series, origins, fit in jobs:
        members = np.unique(series)  # the job's series, in panel order
        position = np.searchsorted(members, series)
        fit_stops = None
        if fit:  # global model: each member's history up to its first cutoff in the job
            fit_stops = np.array([origins[position == k].min() for k in range(len(members))])
        calls.append(
            delayed(_run_named)(
                name, model, panel.take(members), position, origins, fit_stops, horizon,
                quantiles, train_size if window == "sliding" else None,
            )
        )  # fmt: skip
    if backend is not None and n_jobs is None:
        n_jobs = -1  # a named backend (e.g. a Dask cluster) gets all its workers
    with parallel_config(backend=backend) if backend else nullcontext():
        runner = Parallel(n_jobs=n_jobs, return_as="generator")
        bar = progress_bar(runner(calls), total=len(calls), disable=not progress, desc="backtest")
        outputs = list(bar)
    result = _assemble(panel, jobs, outputs, skipped, horizon, step, season_length, quantiles)
    if quantiles:
        result.intervals = {
            name: "model" if model.probabilistic else "conformal" for name, model in named.items()
        }
        _warn_blank_intervals(result)
    return result


def _warn_blank_intervals(result: BacktestResult) -> None:
    """Warn, per model, about windows whose conformal quantiles are blank (too little history)."""
    windows = result.windows
    need = min_windows(result.quantiles)
    for name, how in result.intervals.items():
        if how != "conformal":
            continue
        rows = windows[windows["model"] == name]
        blank = int(rows[f"coverage_{result.quantiles[0]}"].isna().sum())
        if blank:
            warnings.warn(
                f"{name}: {blank} of {len(rows)} windows have fewer than {need} complete "
                f"windows of history before their series' first cutoff for conformal intervals "
                f"at levels {result.quantiles}; their quantile scores are blank (NaN)",
                UserWarning,
                stacklevel=3,
            )


# ---------------------------------------------------------------------------- planning


def _named(models) -> dict:
    if isinstance(models, Mapping):
        named = dict(models)
    else:
        named, counts = {}, {}
        for model in models if isinstance(models, (list, tuple)) else [models]:
            base = model if isinstance(model, str) else type(model).__name__
            counts[base] = counts.get(base, 0) + 1
            named[base if counts[base] == 1 else f"{base}#{counts[base]}"] = model
    if not named:
        raise ValueError("models is empty: give a forecaster, a list or a dict of them")
    for name, model in named.items():
        if isinstance(model, str):
            raise TypeError(
                f"model {name!r} is the string {model!r}, not a forecaster: pass one (e.g. "
                f"tsfm.ETS()), or build it from its catalog name (tsfm models lists them) with "
                f"tsfm.catalog.build_model({model!r}, {{}}, horizon)"
            )
        if isinstance(model, type):
            klass = model.__name__
            raise TypeError(f"model {name!r} is the class {klass}; pass an instance: {klass}()")
        if not callable(getattr(model, "fit_panel", None)):
            raise TypeError(f"model {name!r} is a {type(model).__name__}, not a tsfm forecaster")
    return named


def _refit_every(refit, name: str) -> int:
    """Windows per fit: 1 (refit every window), ``k``, or 0 (fit once)."""
    value = refit.get(name, True) if isinstance(refit, Mapping) else refit
    if value is True:
        return 1
    if value is False:
        return 0
    if isinstance(value, (int, np.integer)) and value >= 1:
        return int(value)
    raise ValueError(f"refit for {name!r} must be True, False or a positive integer, got {value!r}")


def _cutoffs(panel: Panel, horizon: int, n_windows, start, step) -> list[np.ndarray]:
    """Per series, the origin row (first forecast step) of each window; may be < 1 (too short).

    With ``n_windows`` every series gets exactly that many (aligned from its end), so that a
    too-short series keeps its windows in the count and they are reported, not lost.
    """
    out = []
    for i, length in enumerate(panel.lengths):
        if n_windows is not None:
            last = length - horizon
            out.append(last - step * np.arange(n_windows - 1, -1, -1))
            continue
        if isinstance(start, (int, np.integer)):
            first = start if start >= 0 else length + start
        else:
            first = row_of(panel.index(i), start, "start")
        out.append(np.arange(first, length - horizon + 1, step))
    return out


def _plan(name, model, panel, cutoffs, every):
    """Jobs ``(series, origins, fit)`` of one model, and the windows it has to skip.

    ``series`` and ``origins`` are per window (panel positions and origin rows); ``fit`` says
    whether the job fits the model first (global models) or forecasts directly (local ones).
    """
    need = max(1, model._min_length())
    skipped, kept = [], []
    for i, origins in enumerate(cutoffs):
        if len(origins) == 0:
            reason = f"{panel.lengths[i]} rows: no complete window after the first cutoff"
            skipped += _skip(name, panel, i, None, reason)
        for k, origin in enumerate(origins):
            if origin < need:
                reason = (
                    f"{max(origin, 0)} rows before the cutoff; {type(model).__name__} needs "
                    f"at least {need}"
                )
                skipped += _skip(name, panel, i, origin, reason)
            else:
                kept.append((i, k, origin))
    if not kept:
        return [], skipped
    series, index, origin = (np.array(col) for col in zip(*kept))
    if model.local:
        members = np.unique(series)
        chunks = [members[j : j + SERIES_PER_JOB] for j in range(0, len(members), SERIES_PER_JOB)]
        return [
            (series[m], origin[m], False) for m in (np.isin(series, c) for c in chunks)
        ], skipped
    group = index // every if every else np.zeros_like(index)
    return [(series[g], origin[g], True) for g in (group == v for v in np.unique(group))], skipped


def _skip(name, panel, i, origin, reason) -> list[dict]:
    """Rows of ``skipped`` for one window: one per series, or per column of a wide frame (the
    ``unique_id`` of its forecasts and metrics)."""
    if origin is None or origin < 1:
        cutoff = pd.NaT
    else:
        cutoff = shift(panel.starts[i], int(origin) - 1, panel.freq)
    ids = [panel.ids[i]] if panel.spec.layout == "long" else list(panel.spec.targets)
    return [{"model": name, "unique_id": sid, "cutoff": cutoff, "reason": reason} for sid in ids]


# ---------------------------------------------------------------------------- one job


def _run_named(name: str, model, panel: Panel, *args):
    """:func:`_run_job`, its errors naming the model and the job's series (a failure stops the
    backtest: no window is dropped in silence)."""
    try:
        return _run_job(model, panel, *args)
    except Exception as error:
        long = panel.spec.layout == "long"
        ids = panel.ids if long else panel.spec.targets
        listed = ", ".join(map(repr, ids[:3])) + (
            f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        )
        where = f"{name} failed in a job over {'series' if long else 'the columns'} {listed}"
        if type(error) in (ValueError, TypeError):  # a bad input or setting stays one
            raise type(error)(f"{where}: {error}") from error
        raise RuntimeError(f"{where}: {type(error).__name__}: {error}") from error


def _run_job(model, panel, position, origins, fit_stops, horizon, quantiles, train_size):
    """Fit (when ``fit_stops`` is given) and forecast one job's windows.

    Parameters
    ----------
    panel : Panel
        The job's series only.
    position, origins : ndarray of int, shape (n,)
        Per window: series position in ``panel`` and origin row.
    fit_stops : ndarray of int, shape (S,), optional
        Rows each series contributes to the fit (a global model's training cut).
    train_size : int, optional
        Sliding window: rows of history used for fitting (and by local models).

    Returns
    -------
    outputs : dict of str to ndarray, each (n, H, C)
    target : ndarray, shape (n, H, C)
    """
    model = clone(model)
    panel = _usable(panel, model)
    rows = model._context_rows(panel)
    if fit_stops is not None:
        starts = None if train_size is None else np.maximum(fit_stops - train_size, 0)
        model.fit_panel(panel.take(np.arange(panel.n_series), fit_stops, starts))
        rows = model._context_rows(panel)
    elif train_size is not None:
        rows = min(rows, train_size)
    windows = Windows(series=position, origin=origins, first_origin=np.zeros(0, dtype=int))
    inputs = model._context_arrays(panel)
    future = panel.future_covariates if panel.spec.n_future else None
    context, mask, target, known = gather(
        panel, windows, rows, horizon, slice(None), inputs, future
    )
    own = quantiles if model.probabilistic else None
    out = model.forecast_contexts(context, mask, horizon, own, future=known)
    if "samples" in out:  # keep each value's CRPS, not the sample paths
        out["crps"] = M.crps_samples(target, np.moveaxis(out.pop("samples"), 1, 0), False)
    if quantiles and own is None:  # a point model: conformal quantiles from its own errors

        def forecast(series, starts):
            cal = Windows(series=series, origin=starts, first_origin=np.zeros(0, dtype=int))
            context, mask, target, known = gather(
                panel, cal, rows, horizon, slice(None), inputs, future
            )
            predicted = model.forecast_contexts(context, mask, horizon, future=known)
            return M.point_forecast(predicted), target

        chunk = max(1, CHUNK_ELEMENTS // (rows * inputs[0].shape[1]))
        need = max(1, model._min_length())
        point = M.point_forecast(out)
        out |= calibrated_outputs(forecast, point, position, origins, horizon, need, quantiles,
                                  chunk)  # fmt: skip
    return out, target


def _usable(panel: Panel, model) -> Panel:
    """``panel`` without the covariates ``model`` cannot use."""
    if not panel.spec.has_covariates:
        return panel
    if not model.supports_covariates:
        return panel.without_covariates()
    drop_future = not model.supports_future_covariates and panel.spec.n_future > 0
    drop_static = not model.supports_static_covariates and panel.static is not None
    if drop_future or drop_static:
        return panel.without_covariates(past=False, future=drop_future, static=drop_static)
    return panel


# ---------------------------------------------------------------------------- results


def _assemble(panel, jobs, outputs, skipped, horizon, step, season_length, quantiles):
    """Forecast and metric frames from the jobs' outputs."""
    forecast_frames, window_rows = [], []
    steps = np.arange(1, horizon + 1)
    for (name, _, series, origins, _), (out, target) in zip(jobs, outputs):
        n, _, n_channels = target.shape
        starts = pd.DatetimeIndex([panel.starts[s] for s in series])
        cutoff = _shift(starts, origins - 1, panel.freq)
        stamps = _shift(cutoff.repeat(horizon), np.tile(steps, n), panel.freq)
        for c, channel in enumerate(panel.spec.targets):
            if panel.spec.layout == "long":
                ids = object_array(panel.ids)[series]
            else:
                ids = np.repeat(object_array([channel]), n)
            frame = pd.DataFrame(
                {
                    "model": name,
                    "unique_id": np.repeat(ids, horizon),
                    "cutoff": np.repeat(cutoff, horizon),
                    "step": np.tile(steps, n),
                    "ds": stamps,
                    "y": target[:, :, c].reshape(-1),
                }
            )
            for key, value in out.items():
                frame[key] = value[:, :, c].reshape(-1)
            forecast_frames.append(frame)
            for w in range(n):
                history = panel.values[series[w]][: origins[w], c]
                window_rows.append(
                    {"model": name, "unique_id": ids[w], "cutoff": cutoff[w]}
                    | window_metrics(target[w, :, c], out, w, c, history, season_length, quantiles)
                )
    forecasts = pd.concat(forecast_frames, ignore_index=True) if forecast_frames else None
    windows = pd.DataFrame(window_rows)
    return BacktestResult(
        forecasts=forecasts,
        windows=windows,
        metrics=summarise(windows),
        skipped=pd.DataFrame(skipped, columns=["model", "unique_id", "cutoff", "reason"]),
        horizon=horizon,
        step=step,
        season_length=season_length,
        quantiles=list(quantiles) if quantiles else None,
    )


def _shift(stamps: pd.DatetimeIndex, k: np.ndarray, freq) -> pd.DatetimeIndex:
    """``stamps + k * freq`` elementwise, as :func:`tsfm.data.panel.shift` (vectorised for
    fixed-length frequencies)."""
    if stamps.tz is not None and isinstance(freq, pd.offsets.Day):  # wall-clock days
        local = stamps.tz_localize(None) + pd.to_timedelta(np.asarray(k) * freq.n, unit="D")
        return local.tz_localize(stamps.tz)
    if isinstance(freq, pd.offsets.Tick):
        return stamps + pd.to_timedelta(k * pd.Timedelta(freq).value, unit="ns")
    return pd.DatetimeIndex([shift(t, j, freq) for t, j in zip(stamps, k)])


def window_metrics(y, out, w, c, history, season_length, quantiles) -> dict:
    """Point metrics of the point forecast (:func:`~tsfm.evaluation.metrics.point_forecast`),
    MASE against ``history``, and quantile metrics, for one window."""
    point = M.point_forecast(out)[w, :, c]
    row = {name: fn(y, point) for name, fn in M.POINT_METRICS.items()}
    row["mase"] = M.mase(y, point, M.seasonal_scale(history, season_length))
    if "crps" in out:
        row["crps"] = float(out["crps"][w, :, c].mean())
    for q in quantiles or ():
        row[f"ql_{q}"] = M.quantile_loss(y, out[f"q{q}"][w, :, c], q)
        row[f"coverage_{q}"] = M.coverage(y, out[f"q{q}"][w, :, c])
    if quantiles:
        blank = not all(np.isfinite(out[f"q{q}"][w, :, c]).all() for q in quantiles)
        row["abs_target"] = np.nan if blank else float(np.abs(y).sum())
        for lo, hi in symmetric_pairs(quantiles):
            lower, upper = out[f"q{lo}"][w, :, c], out[f"q{hi}"][w, :, c]
            row[f"interval_{round(100 * (hi - lo))}"] = M.interval_coverage(y, lower, upper)
        if blank:  # a stated blank (conformal quantiles without enough history), not a 0
            row |= {k: np.nan for k in row if k.startswith(("ql_", "coverage_", "interval_"))}
    return row


def summarise(windows: pd.DataFrame) -> pd.DataFrame:
    """Per model and series: mean over windows; then per model an ``overall`` row (mean over
    series). Quantile losses are pooled into ``wql`` (sum of losses over sum of ``|y|``,
    averaged over levels, as gluonts does)."""
    if windows.empty:
        return pd.DataFrame(columns=["model", "unique_id", "n_windows"])
    values = windows.drop(columns="cutoff")
    grouped = values.groupby(["model", "unique_id"], sort=False)
    per_series = grouped.mean()
    per_series.insert(0, "n_windows", grouped.size())
    by_model = per_series.reset_index().groupby("model", sort=False)
    overall = pd.DataFrame({model: scored_mean(rows) for model, rows in by_model}).T
    overall.index.name = "model"
    overall["n_windows"] = per_series.groupby(level="model", sort=False)["n_windows"].sum()
    sums = values.groupby("model", sort=False).sum(numeric_only=True)
    per_series = per_series.reset_index()
    overall = overall.reset_index().assign(unique_id="overall")
    table = pd.concat([per_series, overall], ignore_index=True)
    levels = [c[3:] for c in windows.columns if c.startswith("ql_")]
    if levels:
        per_series_sums = grouped.sum(numeric_only=True).reset_index()
        wql = np.mean(
            [per_series_sums[f"ql_{q}"] / per_series_sums["abs_target"] for q in levels], 0
        )
        table.loc[: len(per_series) - 1, "wql"] = wql
        pooled = np.mean([sums[f"ql_{q}"] / sums["abs_target"] for q in levels], 0)
        table.loc[table["unique_id"] == "overall", "wql"] = pooled
        table = table.drop(columns=[f"ql_{q}" for q in levels] + ["abs_target"])
    order = {m: k for k, m in enumerate(dict.fromkeys(windows["model"]))}
    table["_order"] = table["model"].map(order)
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
