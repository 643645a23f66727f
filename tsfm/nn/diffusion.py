"""Forward (noising) process of a denoising diffusion model over patches (DDPM, Ho et al. 2020).

A schedule of ``T`` steps gives ``beta_t`` and ``gamma_t = prod_{s <= t} (1 - beta_s)``; noising a
clean value ``x`` at step ``t`` gives ``sqrt(gamma_t) x + sqrt(1 - gamma_t) eps`` with
``eps ~ N(0, 1)``, so its mean is ``sqrt(gamma_t) x`` and its variance ``1 - gamma_t``. Steps are
indexed ``0 .. T - 1``. The cosine schedule is Nichol and Dhariwal's (2021, offset ``s = 0.008``,
betas clipped to 0.999); the linear one runs from ``1e-4`` to ``0.02``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NOISE_SCHEDULES = ("cosine", "linear")


def cosine_betas(n_steps: int, offset: float = 0.008) -> torch.Tensor:
    """``beta_t`` of the cosine schedule, ``(n_steps,)`` float64."""
    x = torch.linspace(0, n_steps, n_steps + 1, dtype=torch.float64) / n_steps
    signal = torch.cos((x + offset) / (1 + offset) * math.pi / 2) ** 2
    return (1 - signal[1:] / signal[:-1]).clamp(0.0, 0.999)


def linear_betas(n_steps: int, first: float = 1e-4, last: float = 0.02) -> torch.Tensor:
    """``beta_t`` rising linearly from ``first`` to ``last``, ``(n_steps,)`` float64."""
    return torch.linspace(first, last, n_steps, dtype=torch.float64)


class NoiseSchedule(nn.Module):
    """Noises patches independently, each at its own random step.

    Parameters
    ----------
    n_steps : int
        Diffusion steps ``T``.
    kind : {"cosine", "linear"}
        The beta schedule.
    """

    def __init__(self, n_steps: int, kind: str = "cosine"):
        super().__init__()
        if kind not in NOISE_SCHEDULES:
            raise ValueError(f"noise schedule must be one of {NOISE_SCHEDULES}, got {kind!r}")
        betas = cosine_betas(n_steps) if kind == "cosine" else linear_betas(n_steps)
        self.n_steps = n_steps
        # gamma_t: the share of the clean signal's variance left at step t
        self.register_buffer("gamma", torch.cumprod(1 - betas, 0).float(), persistent=False)

    def add_noise(self, x: torch.Tensor, steps: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """``x_t = sqrt(gamma_t) x + sqrt(1 - gamma_t) noise``.

        Parameters
        ----------
        x, noise : Tensor, shape (B, N, P)
            Clean patches and standard normal noise.
        steps : LongTensor, shape (B, N)
            Each patch's step in ``0 .. T - 1``.
        """
        gamma = self.gamma[steps][..., None]
        return gamma.sqrt() * x + (1 - gamma).sqrt() * noise

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Noised patches ``(B, N, P)`` and the steps drawn for them ``(B, N)``."""
        steps = torch.randint(0, self.n_steps, x.shape[:2], device=x.device)
        return self.add_noise(x, steps, torch.randn_like(x)), steps
