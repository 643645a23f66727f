"""In-context validation for :class:`~tsfm.models.combo.ComboForecaster` at prediction time.

The network learned from many series which pool member to trust for which shape of context,
but one series can say more about itself: a statistician fitting one series would hold out
its last values and keep the method that forecast them best. Each context long enough is cut
before its last ``h`` values (``h`` the horizon, at most the network's ``prediction_length``);
the network and every pool member forecast those ``h`` values from the rest; where the best
member's mean absolute error is below ``ratio`` times the network's, that member's forecast
of the whole context replaces the network's point forecast (the distribution's mean), and the
network's quantiles are moved with it, their spread kept. With a ratio of one half the network
keeps every series it forecasts about as well as the best member, and gives way only to a
method that was clearly better on the series' own recent past (M4's combination winners and
FFORMA choose methods the same way, on held-out values of each series).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

#: Fewest values a cut context keeps, besides two seasons.
SHORTEST_CUT = 8


def holdout_length(n_observed: torch.Tensor, season: torch.Tensor, horizon: int) -> torch.Tensor:
    """Values held out per context ``(B,)``: ``horizon``, or 0 where the context would keep
    fewer than ``max(8, 2 * season)`` values."""
    keep = torch.clamp(2 * season, min=SHORTEST_CUT)
    return torch.where(n_observed >= horizon + keep, horizon, 0)


def validated(
    quantiles: Callable[[torch.Tensor, torch.Tensor, int], np.ndarray],
    pool: Callable[[torch.Tensor, torch.Tensor, int], np.ndarray],
    values: torch.Tensor,
    season: torch.Tensor,
    horizon: int,
    holdout: int,
    ratio: float,
    point: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The network's quantiles, with the best pool member's forecast where it validated better.

    Parameters
    ----------
    quantiles : callable
        ``quantiles(values (B, L), season (B,), horizon)``: the network's quantiles
        ``(B, horizon, Q)``, sorted along the last axis (float64 numpy).
    pool : callable
        ``pool(values, season, horizon)``: the pool members' forecasts ``(B, K, horizon)`` on
        the input's scale.
    values : Tensor, shape (B, L)
        NaN-padded contexts (observed values are a suffix, possibly with inner NaN).
    season : Tensor of int, shape (B,)
    horizon : int
    holdout : int
        Values to hold out, at most ``horizon`` (:func:`holdout_length` decides per context).
    ratio : float
        A member replaces the network where its held-out error is below ``ratio`` times the
        network's (0: never).
    point : callable
        The point forecast ``(..., h)`` of quantiles ``(..., h, Q)`` (the distribution's mean):
        the network is scored by it, and a member's forecast becomes it.

    Returns
    -------
    q : ndarray, shape (B, horizon, Q)
        The quantiles, moved where a member took over so that their ``point`` is its forecast.
    switched : ndarray of bool, shape (B,)
        Which contexts a member took over.
    """
    q = quantiles(values, season, horizon)
    B = len(values)
    n_observed = (~torch.isnan(values)).sum(dim=1)
    rows = torch.nonzero(holdout_length(n_observed, season, holdout) > 0)[:, 0]
    switched = np.zeros(B, dtype=bool)
    if ratio <= 0 or len(rows) == 0:
        return q, switched
    part = values[rows]
    cut = torch.cat([torch.full((len(rows), holdout), float("nan"), dtype=part.dtype),
                     part[:, :-holdout]], dim=1)  # fmt: skip
    actual = part[:, -holdout:].numpy()[:, None, :]  # (R, 1, h)
    network = point(quantiles(cut, season[rows], holdout))[:, None, :]  # (R, 1, h)
    members = pool(cut, season[rows], holdout)  # (R, K, h)
    member_error, network_error = _mae(members, actual), _mae(network, actual)[:, 0]
    best = np.argmin(np.nan_to_num(member_error, nan=np.inf), axis=1)
    best_error = member_error[np.arange(len(rows)), best]
    size = _mae(np.zeros_like(actual), actual)[:, 0]  # rounding below 1e-9 of it is no evidence
    take = best_error < ratio * network_error - 1e-9 * size  # NaN is False: the network stays
    if not take.any():
        return q, switched
    chosen = rows[torch.from_numpy(take)]
    forecasts = pool(values[chosen], season[chosen], horizon)  # (T, K, horizon)
    path = forecasts[np.arange(len(forecasts)), best[take]]  # (T, horizon)
    idx = chosen.numpy()
    q[idx] = q[idx] + (path - point(q[idx]))[..., None]
    switched[idx] = True
    return q, switched


def _mae(forecast: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Mean absolute error over the last axis, skipping missing actuals (NaN if all are)."""
    known = ~np.isnan(actual)
    total = np.where(known, np.abs(forecast - np.where(known, actual, 0.0)), 0.0).sum(axis=-1)
    count = known.sum(axis=-1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
