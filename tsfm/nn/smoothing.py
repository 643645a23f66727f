"""Classical forecasts of a batch of short, padded series, fitted in one vectorised pass.

:func:`classical_pool` gives, for contexts ``z (B, L)`` whose observed values are a suffix
(``mask (B, L)``: a short series is left-padded), the forecasts of the methods the forecasting
competitions use as benchmarks (Makridakis et al., M3/M4): naive, seasonal naive, simple
exponential smoothing, Holt's linear trend, damped trend, the Theta method, drift, a linear
regression, the context mean, and the last season's mean plus seasonal indices of the last
few seasons only (a season whose shape drifts). As in the M4 benchmarks, the non-seasonal
methods run on the seasonally adjusted series (classical additive decomposition, applied only
where a 90% autocorrelation test at the season finds seasonality and three seasons are
observed) and the seasonal component is added back.

The smoothing parameters are chosen per series from a fixed grid by the in-sample one-step
squared error, all series and grid points at once (``B x G`` states stepped through ``L``
time steps). Everything is additive and affine-equivariant: ``a + b z`` gives ``a + b`` times
each forecast (``b > 0``). No gradients are needed (the pool is an input to a network).
"""

from __future__ import annotations

import torch

#: Names of the pool members, in the order of :func:`classical_pool`'s second axis.
POOL = ("naive", "seasonal_naive", "ses", "holt", "damped", "theta", "drift", "linear", "mean",
        "recent_season")  # fmt: skip

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
    z: torch.Tensor, mask: torch.Tensor, season: int, cycles: int | None = None
) -> torch.Tensor:
    """Additive seasonal indices ``(B, season)`` (zero where no seasonality is found), phase
    ``j`` being the phase of the last context value's ``j``-th successor minus one, i.e. the
    index at future step ``h`` is ``[(h - 1) % season]``; estimated from the last ``cycles``
    seasons (None: all)."""
    B, L = z.shape
    zero = z.new_zeros(B, max(season, 1))
    if season <= 1 or L < 3 * season:
        return zero
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
    detrended = (z[:, half : L - half] - trend) * valid
    phase = (torch.arange(half, L - half) - L) % m  # future step h has phase (h - 1) % m
    sums = z.new_zeros(B, m).index_add_(1, phase, detrended)
    counts = z.new_zeros(B, m).index_add_(1, phase, valid.to(z.dtype))
    indices = sums / counts.clamp(min=1)
    indices = indices - indices.mean(dim=1, keepdim=True)
    return torch.where(_is_seasonal(z, mask, m)[:, None] & (n >= 3 * m)[:, None], indices, zero)


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


def classical_pool(z: torch.Tensor, mask: torch.Tensor, season, horizon: int):
    """Forecasts of the :data:`POOL` methods.

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

    Returns
    -------
    Tensor, shape (B, len(POOL), H)
    """
    z = torch.where(mask, z, 0.0).double()
    B, L = z.shape
    season = torch.as_tensor(season).clamp(min=1).expand(B)
    n, first, mean = observed_stats(z, mask)
    rows = torch.arange(B)
    steps = torch.arange(1, horizon + 1, dtype=z.dtype)
    adjusted, future_season = z.clone(), z.new_zeros(B, horizon)
    recent_season = z.new_zeros(B, horizon)
    for m in season.unique().tolist():  # the seasonal components per season length
        group = season == m
        indices = seasonal_component(z[group], mask[group], int(m))  # (b, m)
        adjusted[group] -= indices[:, (torch.arange(L) - L) % m] * mask[group]
        future_season[group] = indices[:, (steps.long() - 1) % m]
        recent = seasonal_component(z[group], mask[group], int(m), RECENT_CYCLES)
        recent_season[group] = recent[:, (steps.long() - 1) % m]
    start = int(first.min())  # no row has values before: the recursions skip those steps
    smoothed, ses_alpha = _smooth(adjusted[:, start:], mask[:, start:], horizon)
    last = adjusted[:, -1:]
    # Theta: SES plus half the regression slope (Hyndman & Billah 2003)
    t = torch.arange(L, dtype=z.dtype)[None, :]
    t_mean = (t * mask).sum(dim=1, keepdim=True) / n[:, None]
    a_mean = (adjusted * mask).sum(dim=1, keepdim=True) / n[:, None]
    centred = (t - t_mean) * mask
    slope = (centred * (adjusted - a_mean)).sum(dim=1, keepdim=True) / (centred**2).sum(
        dim=1, keepdim=True
    ).clamp(min=1e-12)
    a = ses_alpha.clamp(min=0.1)[:, None]
    theta_drift = 0.5 * slope * (steps - 1 + 1 / a - (1 - a) ** n[:, None].double() / a)
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
    members = [
        last.expand(B, horizon) + future_season,
        snaive,
        smoothed["ses"] + future_season,
        smoothed["holt"] + future_season,
        smoothed["damped"] + future_season,
        smoothed["ses"] + theta_drift + future_season,
        drift + future_season,
        linear + future_season,
        mean[:, None].expand(B, horizon),
        last_season + recent_season,
    ]
    return torch.stack(members, dim=1).float()
