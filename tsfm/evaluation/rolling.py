"""Rolling-origin evaluation: every forecast origin of a test span, no window dropped.

This is the one evaluation path: ``BaseForecaster.evaluate``, the benchmarks and the backtests
all call :func:`rolling_origin`. It never names a model; it calls a ``predict_batch`` function.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsfm.data.panel import Panel
from tsfm.data.windows import sliding_windows
from tsfm.evaluation import metrics as M
from tsfm.params import POSITIVE, Real, check_params

PredictBatch = Callable[[np.ndarray, np.ndarray, int, Sequence[float] | None], dict]

#: Windows x rows x channels held in memory at once while predicting.
CHUNK_ELEMENTS = 20_000_000


#: Constraints of :func:`test_origins`' arguments.
ARGUMENTS = {"test_size": POSITIVE | None, "stride": POSITIVE}
#: A quantile level.
LEVEL = Real(0, 1, closed="neither")


def quantile_levels(quantiles) -> list[float] | None:
    """``quantiles=`` checked: None, or a non-empty sequence of levels strictly between 0 and
    1, returned as floats (a repeated level once) rounded to 12 significant digits, so that
    ``np.arange(0.1, 1, 0.2)`` names its columns ``q0.3``, not ``q0.30000000000000004``."""
    if quantiles is None:
        return None
    if isinstance(quantiles, (str, bytes)) or not isinstance(
        quantiles, (Sequence, np.ndarray, pd.Index)
    ):
        raise ValueError(
            f"quantiles must be a list of levels such as [0.1, 0.9], got {quantiles!r}"
        )
    levels = list(quantiles)
    if not levels or not all(LEVEL.accepts(q) for q in levels):
        raise ValueError(f"quantiles must be levels strictly between 0 and 1, got {levels}")
    return list(dict.fromkeys(_rounded(float(q)) for q in levels))


def _rounded(level: float) -> float:
    """``level`` to 12 significant digits, unless that reaches 0 or 1 (``0.9999999999999``)."""
    rounded = float(f"{level:.12g}")
    return rounded if 0 < rounded < 1 else level


def timestamp_of(value, name: str) -> pd.Timestamp:
    """``value`` as a timestamp, or an error naming the argument ``name``."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise ValueError(f"{name}={value!r} is neither a row position (int) nor a timestamp")
    return stamp


def row_of(index: pd.DatetimeIndex, stamp: pd.Timestamp, name: str) -> int:
    """The first row of ``index`` at or after ``stamp`` (the argument ``name``), or an error
    naming it when one of the two has a time zone and the other has none."""
    if (index.tz is None) != (stamp.tz is None):
        data = f"in time zone {index.tz}" if index.tz is not None else "without a time zone"
        given = f"in time zone {stamp.tz}" if stamp.tz is not None else "without a time zone"
        raise ValueError(
            f"{name}={stamp} is {given} but the data's timestamps are {data}; give {name} "
            + (f"in a zone, e.g. pd.Timestamp({str(stamp)!r}, tz={str(index.tz)!r})"
               if index.tz is not None else "without one (e.g. .tz_localize(None))")
        )  # fmt: skip
    return int(index.searchsorted(stamp))


@dataclass
class Windows:
    """Forecast origins over a test span.

    Attributes
    ----------
    series : ndarray of int, shape (N,)
        Panel series of each window.
    origin : ndarray of int, shape (N,)
        Row of the first forecast step of each window within its series.
    first_origin : ndarray of int, shape (S,)
        First origin per series; the rows before it are the in-sample (training) part.
    """

    series: np.ndarray
    origin: np.ndarray
    first_origin: np.ndarray


def test_origins(
    panel: Panel,
    horizon: int,
    *,
    test_start: int | str | pd.Timestamp | None = None,
    test_size: int | None = None,
    stride: int = 1,
) -> Windows:
    """Every origin ``t`` with ``t >= first origin`` and ``t + horizon <= T_i``, every ``stride``.

    Parameters
    ----------
    test_start : int or timestamp, optional
        First forecast origin: a row position (negative counts from each series' end) or a
        timestamp, the same for every series.
    test_size : int, optional
        The test span is the last ``test_size`` rows of each series. Give this or ``test_start``.
    """
    if (test_start is None) == (test_size is None):
        raise ValueError("give exactly one of test_start= and test_size=")
    check_params("evaluate", {"test_size": test_size, "stride": stride}, ARGUMENTS)
    if test_start is not None and not isinstance(test_start, (int, np.integer)):
        test_start = timestamp_of(test_start, "test_start")
    series, origins, firsts = [], [], []
    for i, (sid, length) in enumerate(zip(panel.ids, panel.lengths)):
        if test_size is not None:
            first = length - test_size
        elif isinstance(test_start, (int, np.integer)):
            first = test_start if test_start >= 0 else length + test_start
        else:
            first = row_of(panel.index(i), test_start, "test_start")
        if first < 1 or first + horizon > length:
            raise ValueError(
                f"series {sid!r} ({length} rows) has no complete test window: the first origin "
                f"is row {first} and a window needs {horizon} rows after it and history before it"
            )
        t = np.arange(first, length - horizon + 1, stride)
        series.append(np.full(len(t), i))
        origins.append(t)
        firsts.append(first)
    return Windows(np.concatenate(series), np.concatenate(origins), np.array(firsts))


def gather(
    panel: Panel,
    windows: Windows,
    context_rows: int,
    horizon: int,
    chunk: slice,
    inputs=None,
    future=None,
):
    """Contexts and targets of ``windows[chunk]``.

    ``inputs``: per series the arrays contexts are cut from (default the targets; covariate
    models add their covariates as further columns). ``future``: per series the ``(T_i, F)``
    future covariates, whose ``horizon`` rows after each origin are returned too.

    Returns
    -------
    context : ndarray, shape (n, L, C)
        Left-padded with NaN where a series has fewer than ``L`` rows before the origin.
    mask : ndarray of bool, shape (n, L)
    target : ndarray, shape (n, H, C)
    known : ndarray, shape (n, H, F), or None without ``future``
    """
    inputs = panel.values if inputs is None else inputs
    series, origin = windows.series[chunk], windows.origin[chunk]
    n, C, L = len(series), panel.n_channels, context_rows
    width = inputs[0].shape[1]
    context = np.empty((n, L, width))
    target = np.empty((n, horizon, C))
    mask = np.empty((n, L), dtype=bool)
    known = None if future is None else np.empty((n, horizon, future[0].shape[1]))
    for i in np.unique(series):
        rows = np.flatnonzero(series == i)
        padded = np.concatenate([np.full((L, width), np.nan), inputs[i]])
        context[rows] = sliding_windows(padded, L)[origin[rows]]
        target[rows] = sliding_windows(panel.values[i], horizon)[origin[rows]]
        mask[rows] = ~np.isnan(context[rows, :, 0])
        if known is not None:
            known[rows] = sliding_windows(future[i], horizon)[origin[rows]]
    return context, mask, target, known


def rolling_origin(
    panel: Panel,
    predict_batch: PredictBatch,
    horizon: int,
    context_rows: int,
    windows: Windows,
    quantiles: Sequence[float] | None = None,
    season_length: int = 1,
    samples_per_window: int = 1,
    inputs: list[np.ndarray] | None = None,
    future: list[np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Forecast every window and score it.

    When ``predict_batch`` returns ``"samples"`` (``(n, S, H, C)``), each chunk's CRPS per
    window, step and channel is kept (as output ``"crps"``) and the samples are dropped, so memory
    stays bounded; ``samples_per_window`` (``S``) sizes the chunks. With ``future`` (per series
    the future covariates, ``(T_i, F)``), ``predict_batch`` also gets ``future=``, their
    ``horizon`` rows after each origin.

    Returns
    -------
    metrics : pd.DataFrame
        One row per series-channel (``unique_id``; wide input: the channel name) and a last row
        ``unique_id == "overall"``: the mean over rows, except ``wql`` which pools sums as gluonts
        does. Columns: ``n_windows``, ``mse``, ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``,
        and with quantiles ``wql``, ``coverage_<q>`` and ``interval_<p>`` for symmetric pairs.
    forecasts : dict of str to ndarray
        Output name to ``(N, H, C)`` arrays, window order as in ``windows``.
    targets : ndarray, shape (N, H, C)
    """
    refuse_overall_id(panel)  # before any forecast
    n = len(windows.origin)
    per_window = max(context_rows, horizon * samples_per_window) * panel.n_channels
    per_chunk = max(1, CHUNK_ELEMENTS // max(1, per_window))
    outputs: dict[str, list[np.ndarray]] = {}
    targets = []
    for start in range(0, n, per_chunk):
        chunk = slice(start, start + per_chunk)
        context, mask, target, known = gather(
            panel, windows, context_rows, horizon, chunk, inputs, future
        )
        extra = {} if known is None else {"future": known}
        out = predict_batch(context, mask, horizon, quantiles, **extra)
        if "samples" in out:
            out["crps"] = M.crps_samples(target, np.moveaxis(out.pop("samples"), 1, 0), False)
        for name, value in out.items():
            outputs.setdefault(name, []).append(value)
        targets.append(target)
    forecasts = {k: np.concatenate(v) for k, v in outputs.items()}
    y = np.concatenate(targets)
    return score(panel, windows, forecasts, y, quantiles, season_length), forecasts, y


def refuse_overall_id(panel: Panel) -> None:
    """Refuse a series (a wide frame: a column) named ``overall``, the name of the metrics'
    rows of means over series, which it would be mistaken for."""
    names = panel.ids if panel.spec.layout == "long" else panel.spec.targets
    if any(isinstance(name, str) and name == "overall" for name in names):
        what = "a series" if panel.spec.layout == "long" else "a column"
        raise ValueError(
            f"{what} is named 'overall', as the metrics' rows that average over series "
            "(unique_id == 'overall'); rename it (e.g. 'overall_series')"
        )


def score(panel, windows, forecasts, y, quantiles, season_length) -> pd.DataFrame:
    """Per series-channel metrics and the overall row (see :func:`rolling_origin`)."""
    rows, sums = [], {q: [0.0, 0.0] for q in quantiles or ()}
    point = M.point_forecast(forecasts)
    for i, sid in enumerate(panel.ids):
        sel = windows.series == i
        for c, channel in enumerate(panel.spec.targets):
            yt, yp = y[sel, :, c], point[sel, :, c]
            history = panel.values[i][: windows.first_origin[i], c]
            row = {"unique_id": sid if panel.spec.layout == "long" else channel}
            row["n_windows"] = int(sel.sum())
            row.update({name: fn(yt, yp) for name, fn in M.POINT_METRICS.items()})
            row["mase"] = M.mase(yt, yp, M.seasonal_scale(history, season_length))
            if "crps" in forecasts:
                row["crps"] = float(forecasts["crps"][sel, :, c].mean())
            for q in quantiles or ():
                yq = forecasts[f"q{q}"][sel, :, c]
                sums[q][0] += M.quantile_loss(yt, yq, q)
                sums[q][1] += float(np.abs(yt).sum())
                row[f"coverage_{q}"] = M.coverage(yt, yq)
            if quantiles:
                row["wql"] = float(
                    np.mean(
                        [
                            M.weighted_quantile_loss(yt, forecasts[f"q{q}"][sel, :, c], q)
                            for q in quantiles
                        ]
                    )
                )
                for lo, hi in symmetric_pairs(quantiles):
                    lower, upper = forecasts[f"q{lo}"][sel, :, c], forecasts[f"q{hi}"][sel, :, c]
                    row[f"interval_{round(100 * (hi - lo))}"] = M.interval_coverage(
                        yt, lower, upper
                    )
            rows.append(row)
    table = pd.DataFrame(rows)
    overall = scored_mean(table).to_dict()
    overall["n_windows"] = int(table["n_windows"].sum())
    if quantiles:
        overall["wql"] = float(np.mean([s[0] / s[1] for s in sums.values()]))
    overall["unique_id"] = "overall"
    return pd.concat([table, pd.DataFrame([overall])], ignore_index=True)


#: Metrics divided by a scale of the series that can be zero, and when it is: infinite or
#: undefined there.
SCALED = {"mase": "a constant history", "mape": "a zero actual value"}


def scored_mean(per_series: pd.DataFrame) -> pd.Series:
    """The mean of every metric column over the series (rows) of ``per_series`` whose score is
    finite, warning with the series left out of a scaled metric's mean (:data:`SCALED`)."""
    values = per_series.drop(columns=["unique_id", "model"], errors="ignore")
    for metric in SCALED:
        if metric not in values:
            continue
        unscored = ~np.isfinite(values[metric].to_numpy(dtype=float))
        if unscored.any():
            ids = per_series.loc[unscored, "unique_id"].drop_duplicates().tolist()
            more = " and more" if len(ids) > 5 else ""
            warnings.warn(
                f"{metric} is undefined for series {ids[:5]}{more} (divided by a zero scale: "
                f"{SCALED[metric]}); the overall {metric} averages the other series",
                UserWarning,
                stacklevel=3,
            )
            values[metric] = values[metric].where(~unscored)
    return values.mean()


def symmetric_pairs(quantiles: Sequence[float]) -> list[tuple[float, float]]:
    """Pairs ``(level, 1 - level)`` of ``quantiles`` below and above 0.5: the central
    intervals scored as ``interval_<p>``."""
    qs = sorted(quantiles)
    return [(q, p) for q in qs if q < 0.5 for p in qs if abs(p - (1 - q)) < 1e-9]
