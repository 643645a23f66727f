"""Seasonal adjustment of prediction contexts, the way the M4 benchmark methods forecast.

Before a forecast, each context's seasonal component is estimated by a classical additive
decomposition (:func:`statsmodels.tsa.seasonal.seasonal_decompose`) of its last ``cycles``
seasons, removed from the context, and added back to the forecast (and every sample path) at
the phases of the horizon. A model that forecasts the adjusted series then only has to get the
level and the remaining variation right; on series that repeat their cycle almost exactly it
inherits the seasonal naive forecast's precision.

Contexts are right-aligned (the last value of every row is the forecast origin, padding on the
left), so the phase of context position ``t`` of ``L`` is ``(t - L) % s`` and forecast step
``j`` (0-based) has phase ``j % s``.
"""

from __future__ import annotations

import numpy as np
from gluonts.time_feature import get_seasonality
from statsmodels.tsa.seasonal import seasonal_decompose


def resolve_season(seasonal_adjustment: int | str | None, freq: str | None) -> int:
    """The season length to adjust with: ``"auto"`` takes gluonts' seasonality of ``freq``
    (24 hourly, 96 for 15 minutes, 12 monthly, 4 quarterly; 1, no adjustment, for daily,
    weekly and yearly data); ``None`` or 1: none."""
    if seasonal_adjustment == "auto":
        return int(get_seasonality(freq)) if freq else 1
    if seasonal_adjustment is None:
        return 1
    if not isinstance(seasonal_adjustment, (int, np.integer)) or seasonal_adjustment < 1:
        raise ValueError(
            "seasonal_adjustment must be a positive int (a season length), 'auto' or None, "
            f"got {seasonal_adjustment!r}"
        )
    return int(seasonal_adjustment)


def seasonal_indices(context: np.ndarray, mask: np.ndarray, season: int, cycles: int) -> np.ndarray:
    """Additive seasonal indices of each context row and channel.

    Parameters
    ----------
    context : ndarray, shape (N, L, C)
        Right-aligned contexts (padding, if any, on the left).
    mask : ndarray, shape (N, L)
        True where a value is observed.
    season : int
        Season length ``s``; 1 gives no adjustment.
    cycles : int
        Seasons used: the last ``cycles * s`` observed values (whole seasons only). A row with
        fewer than two whole seasons observed is not adjusted.

    Returns
    -------
    ndarray, shape (N, s, C)
        The index of each phase (zeros where not adjusted).
    """
    N, L, C = context.shape
    indices = np.zeros((N, season, C))
    if season < 2:
        return indices
    observed = mask.sum(axis=1)
    for n in range(N):
        width = min(int(observed[n]), cycles * season)
        width -= width % season
        if width < 2 * season:
            continue
        for c in range(C):
            window = context[n, L - width :, c]  # starts at phase 0: width is whole seasons
            parts = seasonal_decompose(window, model="additive", period=season,
                                       two_sided=True, extrapolate_trend=season - 1)  # fmt: skip
            indices[n, :, c] = parts.seasonal[:season]
    return indices


def remove_season(context: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``context (N, L, C)`` minus its indices at each position's phase."""
    season, L = indices.shape[1], context.shape[1]
    return context - indices[:, (np.arange(L) - L) % season]


def add_season(samples: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``samples (N, S, H, C)`` plus the indices at the phases of the horizon steps."""
    season, H = indices.shape[1], samples.shape[2]
    return samples + indices[:, None, np.arange(H) % season]
