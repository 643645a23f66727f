"""Classical forecasts of a batch of short, padded series, fitted in one vectorised pass.

:func:`classical_pool` gives, for contexts ``z (B, L)`` whose observed values are a suffix
(``mask (B, L)``: a short series is left-padded), the forecasts of the methods the forecasting
competitions use as benchmarks (Makridakis et al., M3/M4): naive, seasonal naive, simple
exponential smoothing, Holt's linear trend, damped trend, the Theta method, drift, a linear
regression, the context mean, and the last season's mean plus seasonal indices of the last
few seasons only (a season whose shape drifts). As in the M4 benchmarks, the non-seasonal
methods run on the seasonally adjusted series (classical additive decomposition, applied only
where a 90% autocorrelation test at the season finds seasonality and three seasons are
observed) and the seasonal component is added back. Given the contexts' levels, the pool adds
:data:`MULTIPLICATIVE` members: SES, Holt, damped trend and Theta on the series adjusted by a
classical *multiplicative* decomposition (a season whose size grows with the level: sales,
prescriptions, passengers), for seasonal series of one sign; elsewhere they equal the
additive ones.

The smoothing parameters are chosen per series from a fixed grid by the in-sample one-step
squared error, all series and grid points at once (``B x G`` states stepped through ``L``
time steps). The additive members are affine-equivariant: ``a + b z`` gives ``a + b`` times
each forecast (``b > 0``); the multiplicative ones are equivariant to scaling and to a sign
flip. No gradients are needed (the pool is an input to a network).
"""

from __future__ import annotations

import torch

#: Names of the pool members, in the order of :func:`classical_pool`'s second axis.
POOL = ("naive", "seasonal_naive", "ses", "holt", "damped", "theta", "drift", "linear", "mean",
        "recent_season")  # fmt: skip
#: Members on the multiplicatively adjusted series, after :data:`POOL` when levels are given.
MULTIPLICATIVE = ("ses_mul", "holt_mul", "damped_mul", "theta_mul")

_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
_BETAS = (0.05, 0.15, 0.3)  # share of alpha
_PHIS = (0.8, 0.9, 0.95, 0.98)
#: Recent seasons the ``recent_season`` member's indices are estimated from (a season's shape
#: and size drift over the years: prescriptions, retail).
RECENT_CYCLES = 3
#: Longest stretch the smoothing methods are fitted on (older values add little, cost time).
SMOOTHING_WINDOW = 256


def _grid() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """alpha, beta, phi ``(G,)`` and each method's grid indices."""
    rows = [(a, 0.0, 1.0, "ses") for a in _ALPHAS]
    rows += [(a, a * b, 1.0, "holt") for a in _ALPHAS for b in _BETAS]
    rows += [(a, a * b, p, "damped") for a in _ALPHAS for b in _BETAS for p in _PHIS]
    alpha, beta, phi = (torch.tensor([r[k] for r in rows]) for k in range(3))
    methods = {m: torch.tensor([i for i, r in enumerate(rows) if r[3] == m]) for m in
               ("ses", "holt", "damped")}  # fmt: skip
    return alpha, beta, phi, methods


def observed_stats(z: torch.Tensor, mask: torch.Tensor):
    """Count ``n (B,)``, first observed index ``(B,)`` and mean ``(B,)`` of each context."""
    n = mask.sum(dim=1)
    first = mask.shape[1] - n
    mean = (z * mask).sum(dim=1) / n.clamp(min=1)
    return n, first, mean


def seasonal_component(
    z: torch.Tensor,
    mask: torch.Tensor,
    season: int,
    cycles: int | None = None,
    multiplicative: bool = False,
) -> torch.Tensor:
    """Seasonal indices ``(B, season)``, phase ``j`` being the phase of the last context
    value's ``j``-th successor minus one, i.e. the index at future step ``h`` is
    ``[(h - 1) % season]``; estimated from the last ``cycles`` seasons (None: all).

    Additive indices (mean zero; zero where no seasonality is found) or ``multiplicative``
    ones (ratios to the trend, mean one; one where no seasonality is found or the observed
    values are not all of one sign)."""
    B, L = z.shape
    none = z.new_full((B, max(season, 1)), 1.0 if multiplicative else 0.0)
    if season <= 1 or L < 3 * season:
        return none
    n, _, mean = observed_stats(z, mask)
    m = season
    # centred moving average of order m (2 x m for even m), valid where its window is observed
    width = m + 1 if m % 2 == 0 else m
    weights = torch.ones(width, dtype=z.dtype)
    if m % 2 == 0:
        weights[0] = weights[-1] = 0.5
    weights = weights / m
    filled = torch.where(mask, z, mean[:, None])
    trend = torch.nn.functional.conv1d(filled[:, None], weights.view(1, 1, -1))[:, 0]
    valid = torch.nn.functional.conv1d(
        mask[:, None].to(z.dtype), torch.ones(1, 1, width, dtype=z.dtype)
    )[:, 0]
    valid = valid >= width - 0.5
    if cycles:
        valid = valid & (torch.arange(width // 2, L - width // 2) >= L - cycles * m)
    half = width // 2
    seasonal = _is_seasonal(z, mask, m) & (n >= 3 * m)
    inner = z[:, half : L - half]
    if multiplicative:  # one sign: the trend (a moving average) has it too, never zero
        one_sign = (torch.where(mask, z, 1.0) > 0).all(dim=1) | (
            torch.where(mask, z, -1.0) < 0
        ).all(dim=1)
        seasonal = seasonal & one_sign
        detrended = torch.where(valid, inner / torch.where(trend == 0, 1.0, trend), 0.0)
    else:
        detrended = (inner - trend) * valid
    phase = (torch.arange(half, L - half) - L) % m  # future step h has phase (h - 1) % m
    sums = z.new_zeros(B, m).index_add_(1, phase, detrended)
    counts = z.new_zeros(B, m).index_add_(1, phase, valid.to(z.dtype))
    indices = sums / counts.clamp(min=1)
    if multiplicative:
        indices = indices / indices.mean(dim=1, keepdim=True)
        seasonal = seasonal & (indices > 0).all(dim=1)
    else:
        indices = indices - indices.mean(dim=1, keepdim=True)
    return torch.where(seasonal[:, None], indices, none)


def _is_seasonal(z: torch.Tensor, mask: torch.Tensor, m: int) -> torch.Tensor:
    """The M4 benchmarks' test: autocorrelation at lag ``m`` beyond its 90% limit ``(B,)``."""
    n, _, mean = observed_stats(z, mask)
    x = (z - mean[:, None]) * mask
    denominator = (x * x).sum(dim=1).clamp(min=1e-12)
    acf = torch.stack([(x[:, k:] * x[:, :-k]).sum(dim=1) / denominator for k in range(1, m + 1)])
    limit = 1.645 * torch.sqrt((1 + 2 * (acf[:-1] ** 2).sum(dim=0)) / n.clamp(min=1))
    return acf[-1].abs() > limit


def _smooth(d: torch.Tensor, mask: torch.Tensor, horizon: int):
    """Fit every grid point to the adjusted series ``d (B, L)``; the best forecast ``(B, H)``
    of each method, and the best SES alpha ``(B,)`` (for Theta)."""
    alpha, beta, phi, methods = _grid()
    B, L = d.shape
    start = max(L - SMOOTHING_WINDOW, 0)
    d, mask = d[:, start:], mask[:, start:]
    n, first, _ = observed_stats(d, mask)
    rows = torch.arange(B)
    y0 = d[rows, first.clamp(max=L - start - 1)]
    k = (n - 1).clamp(min=1, max=3)  # initial slope over the first up-to-4 values
    y1 = d[rows, (first + k).clamp(max=L - start - 1)]
    slope0 = torch.where(n > 1, (y1 - y0) / k, torch.zeros_like(y0))
    level = y0[:, None].expand(B, len(alpha)).clone()
    trend = (slope0[:, None] * (beta > 0)).expand(B, len(alpha)).clone()
    sse = d.new_zeros(B, len(alpha))
    for t in range(d.shape[1]):
        active = (mask[:, t] & (t > first))[:, None]
        prediction = level + phi * trend
        error = d[:, t, None] - prediction
        sse = sse + torch.where(active, error * error, 0.0)
        level = torch.where(active, prediction + alpha * error, level)
        trend = torch.where(active, phi * trend + beta * error, trend)
    steps = torch.arange(1, horizon + 1, dtype=d.dtype)
    damping = torch.cumsum(phi[:, None] ** steps, dim=1)  # (G, H): sum_{j<=h} phi^j
    out, best_alpha = {}, None
    for name, index in methods.items():
        best = index[sse[:, index].argmin(dim=1)]  # (B,)
        out[name] = level[rows, best, None] + trend[rows, best, None] * damping[best]
        if name == "ses":
            best_alpha = alpha[best]
    return out, best_alpha


def classical_pool(
    z: torch.Tensor,
    mask: torch.Tensor,
    season,
    horizon: int,
    level: torch.Tensor | None = None,
):
    """Forecasts of the :data:`POOL` methods (and :data:`MULTIPLICATIVE`, given ``level``).

    Parameters
    ----------
    z : Tensor, shape (B, L)
        Contexts (any scale; padding values are ignored).
    mask : Tensor of bool, shape (B, L)
        Observed values; each row's observed values are a suffix with at least one value.
    season : int or Tensor of int, shape (B,)
        Season length of every row, or of each (1: none).
    horizon : int
        Steps ``H`` to forecast.
    level : Tensor, shape (B,) or (B, 1), optional
        What was subtracted from each context (its mean, when ``z`` is normalised): the
        multiplicative members decompose ``z + level``, in the units of ``z``.

    Returns
    -------
    Tensor, shape (B, len(POOL) [+ len(MULTIPLICATIVE)], H)
    """
    z = torch.where(mask, z, 0.0).double()
    B, L = z.shape
    season = torch.as_tensor(season).clamp(min=1).expand(B)
    n, first, mean = observed_stats(z, mask)
    rows = torch.arange(B)
    steps = torch.arange(1, horizon + 1, dtype=z.dtype)
    start = int(first.min())  # no row has values before: the recursions skip those steps
    adjusted, future_season = _adjust(z, mask, season, horizon)
    recent_season = _adjust(z, mask, season, horizon, cycles=RECENT_CYCLES)[1]
    smoothed, ses_alpha = _smooth(adjusted[:, start:], mask[:, start:], horizon)
    last = adjusted[:, -1:]
    slope, a_mean, t_mean = _regression(adjusted, mask)
    linear = a_mean + slope * (L - 1 + steps - t_mean)
    # the mean of the last season (or value) plus the recent seasonal indices
    window = torch.arange(L)[None, :] >= L - torch.minimum(season, n)[:, None]
    last_season = (z * window).sum(dim=1, keepdim=True) / window.sum(dim=1, keepdim=True)
    first_value = adjusted[rows, first][:, None]
    drift = last + steps * (last - first_value) / (n[:, None] - 1).clamp(min=1)
    # seasonal naive on the raw series: the value one season (or the last value) back
    back = torch.where(n >= season, season, 1)  # (B,)
    lag = (steps.long()[None, :] - 1) % back[:, None]
    snaive = z[rows[:, None], L - back[:, None] + lag]
    ses, holt, damped = (smoothed[k] + future_season for k in ("ses", "holt", "damped"))
    theta = smoothed["ses"] + _theta_drift(slope, ses_alpha, n, steps) + future_season
    members = [
        last.expand(B, horizon) + future_season,
        snaive,
        ses,
        holt,
        damped,
        theta,
        drift + future_season,
        linear + future_season,
        mean[:, None].expand(B, horizon),
        last_season + recent_season,
    ]
    if level is not None:
        additive = [ses, holt, damped, theta]
        members += _multiplicative_members(z, mask, season, horizon, level, start, additive)
    return torch.stack(members, dim=1).float()


def _adjust(z, mask, season, horizon: int, cycles: int | None = None, multiplicative=False):
    """The seasonally adjusted contexts ``(B, L)`` and the seasonal component of the next
    ``horizon`` steps ``(B, H)`` (subtracted and added, or divided and multiplied)."""
    B, L = z.shape
    adjusted = z.clone()
    future = z.new_full((B, horizon), 1.0 if multiplicative else 0.0)
    for m in season.unique().tolist():
        group = season == m
        indices = seasonal_component(z[group], mask[group], int(m), cycles, multiplicative)
        past_phase = (torch.arange(L) - L) % int(m)
        past = indices[:, past_phase]
        if multiplicative:
            adjusted[group] = torch.where(mask[group], z[group] / past, 0.0)
        else:
            adjusted[group] = z[group] - past * mask[group]
        future[group] = indices[:, torch.arange(horizon) % int(m)]
    return adjusted, future


def _regression(adjusted, mask):
    """Slope ``(B, 1)`` of the least-squares line through the observed values, their mean and
    the mean of their positions ``(B, 1)``."""
    L = adjusted.shape[1]
    n = mask.sum(dim=1, keepdim=True)
    t = torch.arange(L, dtype=adjusted.dtype)[None, :]
    t_mean = (t * mask).sum(dim=1, keepdim=True) / n
    a_mean = (adjusted * mask).sum(dim=1, keepdim=True) / n
    centred = (t - t_mean) * mask
    slope = (centred * (adjusted - a_mean)).sum(dim=1, keepdim=True) / (centred**2).sum(
        dim=1, keepdim=True
    ).clamp(min=1e-12)
    return slope, a_mean, t_mean


def _theta_drift(slope, ses_alpha, n, steps):
    """The Theta method's addition to SES ``(B, H)``: half the regression slope, with the
    correction of Hyndman & Billah (2003)."""
    a = ses_alpha.clamp(min=0.1)[:, None]
    return 0.5 * slope * (steps - 1 + 1 / a - (1 - a) ** n[:, None].double() / a)


def _multiplicative_members(z, mask, season, horizon: int, level, start: int, additive) -> list:
    """:data:`MULTIPLICATIVE` forecasts ``[(B, H)]`` of ``z + level``, less ``level``; the
    ``additive`` members of the same names where no multiplicative season is found."""
    level = torch.as_tensor(level, dtype=z.dtype).reshape(-1, 1)
    raw = torch.where(mask, z + level, 0.0)
    adjusted, future = _adjust(raw, mask, season, horizon, multiplicative=True)
    smoothed, ses_alpha = _smooth(adjusted[:, start:], mask[:, start:], horizon)
    slope = _regression(adjusted, mask)[0]
    steps = torch.arange(1, horizon + 1, dtype=z.dtype)
    forecasts = [
        smoothed["ses"],
        smoothed["holt"],
        smoothed["damped"],
        smoothed["ses"] + _theta_drift(slope, ses_alpha, mask.sum(dim=1), steps),
    ]
    found = (future != 1).any(dim=1, keepdim=True)
    return [torch.where(found, f * future - level, a) for f, a in zip(forecasts, additive)]
