"""Dropout with cheap random masks.

``torch.nn.Dropout`` draws one Bernoulli variate per element, which on CPU costs a third of a
PatchTST training step. Here one 64-bit random integer yields four random 16-bit numbers, and an
element is kept when its number is at least ``round(p * 65536)`` (counted from the bottom of the
range): the drop probability is that threshold over 65536, within ``1 / 2**17`` of ``p`` (0.1
becomes 0.100006), and kept values are scaled by the exact inverse keep rate.
"""

from __future__ import annotations

import torch
from torch import nn


def random_int16(shape: torch.Size, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform random int16 of ``shape`` (the whole range ``[-32768, 32767]``), four per 64-bit
    draw."""
    n = 1
    for s in shape:
        n *= s
    # The full signed range: random_() alone stops at 2**63 - 1 and leaves every 4th word >= 0.
    words = torch.empty((n + 3) // 4, dtype=torch.int64)
    words.random_(-(2**63), 2**63 - 1, generator=generator)
    return words.view(torch.int16)[:n].view(shape)


class _MaskMultiply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None


class FastDropout(nn.Module):
    """Drop-in for ``nn.Dropout`` (training only; identity in eval mode).

    Parameters
    ----------
    p : float
        Drop probability, rounded to a multiple of 1/65536.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p < 1 - 2**-17:  # higher rates round to 1 at the masks' 16-bit resolution
            raise ValueError(f"dropout probability must be in [0, {1 - 2**-17}), got {p}")
        self.threshold = int(round(p * 65536))
        self.p = self.threshold / 65536

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold == 0:
            return x
        keep = random_int16(x.shape) >= self.threshold - 32768
        mask = keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return _MaskMultiply.apply(x, mask)

    def extra_repr(self) -> str:
        return f"p={self.p:.4f}"
