"""Reversible instance normalisation (RevIN, Kim et al., ICLR 2022)."""

from __future__ import annotations

import torch
from torch import nn


class RevIN(nn.Module):
    """Normalise each series and channel by its own context statistics, and undo it exactly.

    Parameters
    ----------
    n_channels : int
        Channels ``C`` (for the optional affine parameters).
    affine : bool
        Learn a per-channel scale and shift applied after normalising.
    eps : float
        Added to the variance.
    """

    def __init__(self, n_channels: int, affine: bool = False, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_channels))
            self.bias = nn.Parameter(torch.zeros(n_channels))

    def normalize(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, stats_mask=None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x (B, L, C)`` to normalised ``(B, L, C)`` and the statistics ``(B, 1, C)`` each.

        With ``mask (B, L)`` (True on real rows) the statistics use the real rows only and the
        padded rows come out as 0; ``stats_mask (B, L)``, if given, chooses the rows of the
        statistics instead (e.g. all but the last real ones).
        """
        stats_mask = mask if stats_mask is None else stats_mask
        if stats_mask is None:
            mean = x.mean(dim=1, keepdim=True).detach()
            var = x.var(dim=1, keepdim=True, unbiased=False).detach()
        else:
            weight = stats_mask[..., None].to(x.dtype)
            count = weight.sum(dim=1, keepdim=True).clamp(min=1.0)
            mean = ((x * weight).sum(dim=1, keepdim=True) / count).detach()
            var = ((((x - mean) * weight) ** 2).sum(dim=1, keepdim=True) / count).detach()
        std = torch.sqrt(var + self.eps)
        z = (x - mean) / std
        if mask is not None:
            z = z * mask[..., None]
        if self.affine:
            z = z * self.weight + self.bias
        return z, (mean, std)

    def denormalize(
        self, z: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        """Inverse of :meth:`normalize` for any length: ``z (B, H, C)``."""
        mean, std = stats
        if self.affine:
            z = (z - self.bias) / self.weight
        return z * std + mean
