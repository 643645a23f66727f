"""Seasonal-trend decomposition by exponential smoothing (xPatch, AAAI 2025).

EMA: ``s_0 = x_0``, ``s_t = a x_t + (1 - a) s_(t-1)``; DEMA (Holt's double smoothing):
``s_0 = x_0``, ``b_0 = x_1 - x_0``, ``s_t = a x_t + (1 - a)(s_(t-1) + b_(t-1))``,
``b_t = b (s_t - s_(t-1)) + (1 - b) b_(t-1)``. Both are linear in ``x``, so the trend is
``W @ x`` with a fixed lower-triangular ``(L, L)`` matrix, built once in float64: no loop over
time at run time and no division by vanishing powers (the cumulative-sum form of the official
code divides by ``(1 - a)^t``, which underflows for long contexts).
"""

from __future__ import annotations

import torch
from torch import nn


def ema_matrix(length: int, alpha: float) -> torch.Tensor:
    """``(L, L)`` float64 ``W`` with ``(W @ x)_t`` the EMA of ``x`` at ``t``."""
    t = torch.arange(length, dtype=torch.float64)
    lag = t[:, None] - t[None, :]
    weights = alpha * (1 - alpha) ** lag.clamp(min=0)
    weights[:, 0] = (1 - alpha) ** t  # the initial state s_0 = x_0 decays on its own
    return torch.tril(weights)


def dema_matrix(length: int, alpha: float, beta: float) -> torch.Tensor:
    """``(L, L)`` float64 ``W`` with ``(W @ x)_t`` the double-EMA level at ``t``.

    Built by running the recursion once on the identity (each column is the response to one
    unit impulse).
    """
    eye = torch.eye(length, dtype=torch.float64)
    level = eye[0].clone()
    slope = eye[1] - eye[0] if length > 1 else torch.zeros(length, dtype=torch.float64)
    rows = [level]
    for t in range(1, length):
        new_level = alpha * eye[t] + (1 - alpha) * (level + slope)
        slope = beta * (new_level - level) + (1 - beta) * slope
        level = new_level
        rows.append(level)
    return torch.stack(rows)


class ExponentialDecomposition(nn.Module):
    """Split ``x (B, L, C)`` into seasonal ``x - trend`` and trend, both ``(B, L, C)``.

    Parameters
    ----------
    length : int
        ``L``.
    kind : {"ema", "dema"}
    alpha, beta : float
        Smoothing factors (``beta`` only for DEMA).
    """

    def __init__(self, length: int, kind: str = "ema", alpha: float = 0.3, beta: float = 0.3):
        super().__init__()
        if kind == "ema":
            matrix = ema_matrix(length, alpha)
        elif kind == "dema":
            matrix = dema_matrix(length, alpha, beta)
        else:
            raise ValueError(f"kind must be 'ema' or 'dema', got {kind!r}")
        self.register_buffer("matrix", matrix.float(), persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        trend = torch.einsum("tj,bjc->btc", self.matrix.to(x.dtype), x)
        return x - trend, trend
