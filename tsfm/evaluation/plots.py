"""Forecast plots (matplotlib, no screen needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


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
