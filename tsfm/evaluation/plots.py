"""Forecast plots (matplotlib).

The functions draw on figures of the session's backend and never choose one: a library that
called ``matplotlib.use`` would switch its user's whole session. Without a screen, matplotlib
falls back to a file backend by itself; ``MPLBACKEND=Agg`` chooses one explicitly (the ``tsfm``
command and the tests do).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tsfm.data.panel import Panel


def plot_forecast(
    history: pd.Series,
    forecast: pd.DataFrame,
    *,
    actual: pd.Series | None = None,
    lower: str | None = None,
    upper: str | None = None,
    title: str = "",
    ax=None,
):
    """Plot a history, a forecast (``forecast["mean"]``) and optionally a band and the actuals.

    Parameters
    ----------
    history : pd.Series
        Observed values before the forecast.
    forecast : pd.DataFrame
        Indexed by future timestamps, with ``mean`` and the ``lower``/``upper`` columns.
    actual : pd.Series, optional
        What happened over the horizon.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4))
    else:
        fig = ax.figure
    ax.plot(history.index, history.to_numpy(), color="0.3", lw=1, label="history")
    if actual is not None:
        ax.plot(actual.index, actual.to_numpy(), color="k", lw=1, ls="--", label="actual")
    ax.plot(forecast.index, forecast["mean"], color="C0", lw=1.5, label="forecast")
    if lower and upper:
        band = f"{lower[1:]}-{upper[1:]} quantiles"
        ax.fill_between(
            forecast.index, forecast[lower], forecast[upper], color="C0", alpha=0.25, label=band
        )
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_panel(
    panel: Panel,
    outputs: dict[str, np.ndarray],
    *,
    band: tuple[float, float] | None,
    n_series: int,
    n_history: int,
    title: str = "",
):
    """History and forecast of the first series of ``panel``, one axes per series and target
    (:meth:`tsfm.base.BaseForecaster.plot` draws with it).

    Parameters
    ----------
    panel : Panel
        The context the forecasts start after.
    outputs : dict of str to ndarray
        ``(S, H, C)`` arrays: ``mean``, the point forecast ``median`` where the model's point
        is the median, and ``q<level>`` for the two ``band`` levels.
    band : (float, float) or None
        Quantile levels of the band drawn, or none.
    n_series : int
        Axes drawn at most: the first series, each target of each.
    n_history : int
        Past steps shown.

    Returns
    -------
    matplotlib.figure.Figure
    """
    point = "median" if "median" in outputs else "mean"
    targets = panel.spec.targets
    shown = [(i, c) for i in range(panel.n_series) for c in range(len(targets))][:n_series]
    fig, axes = plt.subplots(len(shown), 1, figsize=(10, 2.8 * len(shown) + 0.4), squeeze=False)
    for ax, (i, c) in zip(axes[:, 0], shown):
        past = panel.index(i)[-n_history:]
        ahead = panel.future_index(i, outputs[point].shape[1])
        ax.plot(past, panel.values[i][-n_history:, c], color="0.3", lw=1, label="history")
        ax.plot(ahead, outputs[point][i, :, c], color="C0", lw=1.5, label=f"forecast ({point})")
        if band is not None:
            low, high = (outputs[f"q{level}"][i, :, c] for level in band)
            label = f"{band[0]:g}-{band[1]:g} quantiles"
            ax.fill_between(ahead, low, high, color="C0", alpha=0.25, label=label)
        names = [str(panel.ids[i])] if panel.n_series > 1 or len(targets) == 1 else []
        names += [str(targets[c])] if len(targets) > 1 else []
        ax.set_title(": ".join([title, *names] if title else names), fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_backtest(result, series: list[str] | None = None, n_series: int = 3, models=None):
    """Backtest forecasts against the actuals for a few series, with the widest quantile band.

    Parameters
    ----------
    result : BacktestResult
    series : list of str, optional
        Series (``unique_id``) to show; default the first ``n_series``.
    models : list of str, optional
        Default every model of the backtest.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per series.
    """
    frame = result.forecasts
    series = series or list(dict.fromkeys(frame["unique_id"]))[:n_series]
    models = models or result.models
    levels = sorted(result.quantiles or [])
    fig, axes = plt.subplots(len(series), 1, figsize=(10, 2.8 * len(series)), squeeze=False)
    for ax, sid in zip(axes[:, 0], series):
        rows = frame[frame["unique_id"] == sid]
        actual = rows.drop_duplicates("ds").sort_values("ds")
        ax.plot(actual["ds"], actual["y"], color="k", lw=1, label="actual")
        for k, model in enumerate(models):
            own = rows[rows["model"] == model]
            for j, (_, window) in enumerate(own.groupby("cutoff")):
                label = model if j == 0 else None
                ax.plot(window["ds"], window["mean"], color=f"C{k}", lw=1.3, label=label)
                if len(levels) >= 2 and f"q{levels[0]}" in window:
                    ax.fill_between(
                        window["ds"], window[f"q{levels[0]}"], window[f"q{levels[-1]}"],
                        color=f"C{k}", alpha=0.15,
                    )  # fmt: skip
        ax.set_title(str(sid))
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


#: Metrics that can be computed per horizon step from the forecasts alone.
STEP_METRICS = {
    "mae": lambda e, y, f: np.abs(e),
    "mse": lambda e, y, f: e**2,
    "smape": lambda e, y, f: 200 * np.abs(e) / (np.abs(y) + np.abs(f)),
}


def plot_metric_by_step(result, metric: str = "mae"):
    """A metric against the horizon step (1..H), one line per model.

    Parameters
    ----------
    metric : {"mae", "mse", "smape"}
    """
    if metric not in STEP_METRICS:
        raise ValueError(f"metric must be one of {sorted(STEP_METRICS)}, got {metric!r}")
    frame = result.forecasts
    error = frame["y"] - frame["mean"]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = STEP_METRICS[metric](error, frame["y"], frame["mean"])
    table = values.groupby([frame["model"], frame["step"]]).mean().unstack("model")
    fig, ax = plt.subplots(figsize=(8, 4))
    for model in result.models:
        ax.plot(table.index, table[model], marker=".", label=model)
    ax.set_xlabel("horizon step")
    ax.set_ylabel(metric)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_leaderboard(board: pd.DataFrame, metric: str = "mase"):
    """Horizontal bars of ``metric`` per model from :func:`tsfm.leaderboard`, best on top."""
    board = board.sort_values(metric, ascending=False)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(board) + 1.2))
    ax.barh(board["model"].astype(str), board[metric], color="C0")
    for y, value in enumerate(board[metric]):
        ax.text(value, y, f" {value:.3g}", va="center", fontsize=8)
    ax.set_xlabel(metric)
    fig.tight_layout()
    return fig
