"""Flow-matching head: learns the distribution of a target vector given a condition vector.

Sundial's TimeFlow loss (Liu et al., ICML 2025), built on rectified flow / conditional flow
matching. Training draws ``t ~ U(0, 1)`` and noise ``e ~ N(0, I)``, forms ``x_t = t y + (1 - t) e``
and regresses the velocity ``y - e`` with a small MLP conditioned on the condition and ``t``:

    loss = mean || v(x_t, t, c) - (y - e) ||^2

This is the same objective as predicting ``y`` itself with the MSE weighted by ``1 / (1 - t)^2``
(``y_hat = x_t + (1 - t) v``). Sampling integrates ``dx/dt = v`` from noise at ``t = 0`` to
``t = 1`` with Euler steps; the condition is computed once and shared by all samples.

The MLP: an input projection, residual blocks with adaptive LayerNorm (scale, shift and gate
from the condition plus a sinusoidal embedding of ``t``, zero-initialised so that each block
starts as the identity), and an adaptive-LayerNorm output layer.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding ``(...,)`` to ``(..., dim)`` of flow times in [0, 1]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=t.dtype) / half)
    angles = 1000.0 * t[..., None] * freqs
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


class AdaLNBlock(nn.Module):
    """Residual MLP block with adaptive LayerNorm: ``x + gate * mlp(norm(x) * (1 + scale) +
    shift)``, where scale, shift and gate come from the conditioning vector.

    ``x (..., width)`` and ``c (..., width)`` (broadcastable) to ``(..., width)``.
    """

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))
        nn.init.zeros_(self.modulation[1].weight)
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.modulation(c).chunk(3, dim=-1)
        return x + gate * self.mlp(self.norm(x) * (1 + scale) + shift)


class FlowHead(nn.Module):
    """Conditional flow-matching head.

    Parameters
    ----------
    condition_dim : int
        Size of the condition vectors ``c``.
    target_dim : int
        Size of the target vectors ``y`` (e.g. a horizon of values).
    width : int
        Hidden width of the MLP.
    n_blocks : int
        Residual adaptive-LayerNorm blocks.
    """

    def __init__(self, condition_dim: int, target_dim: int, width: int = 256, n_blocks: int = 3):
        super().__init__()
        self.target_dim, self.width = target_dim, width
        self.condition = nn.Linear(condition_dim, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.inputs = nn.Linear(target_dim, width)
        self.blocks = nn.ModuleList(AdaLNBlock(width) for _ in range(n_blocks))
        self.out_norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.out_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.out = nn.Linear(width, target_dim)
        for layer in (self.out_modulation[1], self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The network: ``x_t (..., D)``, ``t (...,)`` and the embedded condition ``(..., W)``
        (all broadcastable against each other) to the velocity ``(..., D)``."""
        c = cond + self.time(time_embedding(t, self.width))
        h = self.inputs(x_t)
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.out_modulation(c).chunk(2, dim=-1)
        return self.out(self.out_norm(h) * (1 + scale) + shift)

    def loss(self, condition: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Flow-matching loss of ``target (B, D)`` given ``condition (B, condition_dim)``.

        ``B`` may be any leading shape shared by both.
        """
        noise = torch.randn_like(target)
        t = torch.rand(target.shape[:-1], dtype=target.dtype)
        x_t = t[..., None] * target + (1 - t[..., None]) * noise
        v = self.velocity(x_t, t, self.condition(condition))
        return ((v - (target - noise)) ** 2).mean()

    @torch.no_grad()
    def sample(
        self,
        condition: torch.Tensor,
        n_samples: int,
        steps: int = 50,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Draw ``n_samples`` targets per condition with ``steps`` Euler steps.

        Parameters
        ----------
        condition : Tensor, shape (B, condition_dim)
        generator : torch.Generator, optional
            Seeds the noise: the same generator state gives the same samples.

        Returns
        -------
        Tensor, shape (B, n_samples, target_dim)
        """
        cond = self.condition(condition)[:, None, :]  # (B, 1, W): shared by the samples
        B = condition.shape[0]
        x = torch.randn(B, n_samples, self.target_dim, generator=generator, dtype=cond.dtype)
        dt = 1.0 / steps
        for k in range(steps):
            t = torch.full((B, 1), k * dt, dtype=cond.dtype)
            x = x + dt * self.velocity(x, t, cond)
        return x
