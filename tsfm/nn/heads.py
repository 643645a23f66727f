"""Heads that read the backbone's patch tokens."""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.dropout import FastDropout


class FlattenHead(nn.Module):
    """Flatten all patch tokens of a series and map them linearly to the horizon.

    ``(B, N, d_model)`` to ``(B, horizon)``. Dropout acts on the forecast (PatchTST's official
    head) or, with ``dropout_first``, on the flattened tokens (PatchTSMixer's).
    """

    def __init__(
        self, n_patches: int, d_model: int, horizon: int, dropout: float = 0.0,
        dropout_first: bool = False,
    ):  # fmt: skip
        super().__init__()
        self.linear = nn.Linear(n_patches * d_model, horizon)
        self.dropout = FastDropout(dropout)
        self.dropout_first = dropout_first

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        flat = tokens.flatten(start_dim=-2)
        if self.dropout_first:
            return self.linear(self.dropout(flat))
        return self.dropout(self.linear(flat))


class PatchReconstructionHead(nn.Module):
    """Map each token back to its patch, for masked-patch pretraining.

    ``(B, N, d_model)`` to ``(B, N, patch_len)``.
    """

    def __init__(self, d_model: int, patch_len: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = FastDropout(dropout)
        self.linear = nn.Linear(d_model, patch_len)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(tokens))
