"""Leaderboards and the Diebold-Mariano test: which model to trust, and is the gap real?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: Metrics where lower is better, scored per window by :func:`tsfm.evaluation.backtest`.
LOWER_IS_BETTER = ("mase", "smape", "mse", "mae", "rmse", "mape", "wql", "crps")


def diebold_mariano(
    loss_a: np.ndarray,
    loss_b: np.ndarray,
    *,
    lag: int = 0,
    groups: np.ndarray | None = None,
) -> tuple[float, float]:
    """Diebold-Mariano test of equal expected loss, with the Harvey-Leybourne-Newbold correction.

    ``d = loss_a - loss_b``; its long-run variance is the Newey-West (Bartlett) estimate with
    ``lag`` autocovariances, which only pair losses of the same group (series). The statistic
    ``mean(d) / sqrt(var / n)`` is multiplied by ``sqrt((n + 1 - 2h + h(h - 1) / n) / n)`` with
    ``h = lag + 1`` and compared with Student's t on ``n - 1`` degrees of freedom. With ``lag=0``
    it equals the one-sample t-test of ``d``.

    Parameters
    ----------
    loss_a, loss_b : ndarray, shape (n,)
        Losses of two forecasts of the same targets, ordered in time within each group.
    lag : int
        Autocovariances kept: ``ceil(horizon / step) - 1`` for overlapping windows.
    groups : ndarray, shape (n,), optional
        Series of each loss; autocovariances never cross groups.

    Returns
    -------
    statistic, p_value : float
        Negative statistic: ``a`` has the lower loss. Two-sided p-value.
    """
    d = np.asarray(loss_a, dtype=float) - np.asarray(loss_b, dtype=float)
    n = len(d)
    if n < 2:
        raise ValueError(f"the Diebold-Mariano test needs at least 2 loss pairs, got {n}")
    groups = np.zeros(n) if groups is None else np.asarray(groups)
    centred = d - d.mean()
    variance = np.dot(centred, centred) / n
    for k in range(1, lag + 1):
        same = groups[k:] == groups[:-k]
        gamma = np.dot(centred[k:][same], centred[:-k][same]) / n
        variance += 2 * (1 - k / (lag + 1)) * gamma
    if variance <= 0:
        return (0.0, 1.0) if np.allclose(d, 0) else (float(-np.sign(d.mean()) * np.inf), 0.0)
    h = lag + 1
    statistic = d.mean() / np.sqrt(variance / n) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return float(statistic), float(p_value)


def leaderboard(
    result,
    *,
    metric: str = "mase",
    baseline: str | None = None,
    metrics: tuple[str, ...] = ("mase", "smape", "mae", "mse", "wql", "crps"),
) -> pd.DataFrame:
    """Rank the models of a backtest and test each against the best.

    Parameters
    ----------
    result : BacktestResult
    metric : str
        The ranking metric (lower is better), per window in ``result.windows``.
    baseline : str, optional
        Model for relative scores: per series ``metric(model) / metric(baseline)``, combined by
        the geometric mean. Default: a ``SeasonalNaive`` model if there is one, else none.
    metrics : tuple of str
        Columns to show (those the backtest has); with quantiles, the ``interval_<p>``
        coverages follow them.

    Returns
    -------
    pd.DataFrame
        One row per model, best first: ``rank``, the metrics (overall), with quantiles
        ``intervals`` (``"model"``: its own quantiles, ``"conformal"``: a point model's, from
        its errors), ``relative_<metric>``, and ``dm_statistic``/``dm_p_value`` of the
        Diebold-Mariano test of the model's per-window ``metric`` against the best model's,
        over the windows both forecast.
    """
    windows = result.windows
    if metric not in windows.columns or metric not in LOWER_IS_BETTER:
        raise ValueError(f"metric must be a lower-is-better metric of the backtest, got {metric!r}")
    overall = result.overall()
    shown = [m for m in metrics if m in overall.columns]
    if metric not in shown:
        shown.insert(0, metric)
    shown += [c for c in overall.columns if c.startswith("interval_") and c not in shown]
    table = overall[["n_windows", *shown]].copy()
    if getattr(result, "intervals", None):
        table["intervals"] = table.index.map(result.intervals)
    table = table.sort_values(metric, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    models = list(table.index)
    if baseline is None:
        baseline = next((m for m in models if m.startswith("SeasonalNaive")), None)
    if baseline is not None:
        if baseline not in models:
            raise ValueError(f"baseline {baseline!r} is not a model of the backtest: {models}")
        table[f"relative_{metric}"] = [
            relative_score(result.metrics, m, baseline, metric) for m in models
        ]
    best = models[0]
    lag = int(np.ceil(result.horizon / result.step)) - 1
    tests = [_dm_against(windows, m, best, metric, lag) if m != best else (np.nan, np.nan)
             for m in models]  # fmt: skip
    table["dm_statistic"] = [t[0] for t in tests]
    table["dm_p_value"] = [t[1] for t in tests]
    table.index.name = "model"
    return table.reset_index()


def relative_score(metrics: pd.DataFrame, model: str, baseline: str, metric: str = "mase") -> float:
    """Geometric mean over series of ``metric(model) / metric(baseline)`` (series both scored,
    ratios finite and positive).

    ``metrics``: per model and series, as :attr:`BacktestResult.metrics`.
    """
    per_series = metrics[metrics["unique_id"] != "overall"]
    pivot = per_series.pivot(index="unique_id", columns="model", values=metric)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (pivot[model] / pivot[baseline]).to_numpy()
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(np.exp(np.mean(np.log(ratio)))) if len(ratio) else np.nan


def _dm_against(windows: pd.DataFrame, model: str, best: str, metric: str, lag: int):
    keys = ["unique_id", "cutoff"]
    a = windows.loc[windows["model"] == model, [*keys, metric]]
    b = windows.loc[windows["model"] == best, [*keys, metric]]
    pairs = a.merge(b, on=keys, suffixes=("_a", "_b")).sort_values(keys, kind="stable")
    pairs = pairs[np.isfinite(pairs[f"{metric}_a"]) & np.isfinite(pairs[f"{metric}_b"])]
    if len(pairs) < 2:
        return np.nan, np.nan
    return diebold_mariano(
        pairs[f"{metric}_a"].to_numpy(),
        pairs[f"{metric}_b"].to_numpy(),
        lag=lag,
        groups=pairs["unique_id"].to_numpy(),
    )
