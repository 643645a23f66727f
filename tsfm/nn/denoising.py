"""The denoising patch decoder of TimeDART (Wang et al., ICML 2025).

Queries are the embeddings of noised patches (with sine/cosine position codes and dropout);
keys and values are the causal encoder's outputs, where position ``i`` has seen the clean
patches before ``i`` only. Each post-norm layer runs self-attention over the queries,
cross-attention to the encoder, and a GELU feed-forward; a final LayerNorm closes the stack.

Both attentions are masked (:func:`decoder_mask`): causal, and a further ``mask_ratio`` share of
the entries below the diagonal hidden at random (drawn anew at each call). With the official
``mask_ratio = 1`` a noised patch attends to itself only, and to the encoder output at its own
position: it is denoised from its noisy self and the clean past. That case is computed without
the ``N x N`` attention maps (the same outputs and the same dropout distribution, see
:func:`~tsfm.nn.encoder.own_position_attention`): it made four fifths of a pretraining step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tsfm.nn.causal import causal_mask
from tsfm.nn.dropout import FastDropout
from tsfm.nn.encoder import (
    CrossAttention,
    MultiHeadAttention,
    init_as_torch_attention,
    sinusoidal_positions,
)


def decoder_mask(n: int, mask_ratio: float, device=None) -> torch.Tensor:
    """Boolean ``(n, n)``, True where query ``i`` may attend key ``j``: ``j <= i``, less a random
    ``int(mask_ratio * n (n - 1) / 2)`` of the pairs ``j < i`` (0: causal; 1: self only)."""
    allowed = causal_mask(n, device)
    below = torch.tril_indices(n, n, offset=-1, device=device)
    hidden = torch.randperm(below.shape[1], device=device)[: int(below.shape[1] * mask_ratio)]
    allowed[below[0, hidden], below[1, hidden]] = False
    return allowed


class DenoisingLayer(nn.Module):
    """Self-attention, cross-attention to the encoder, feed-forward; each dropped out once before
    its residual and followed by a LayerNorm. Attention weights are dropped out too."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float):
        super().__init__()
        self.self_attention = MultiHeadAttention(
            d_model, n_heads, 0.0, residual=False, attention_dropout=dropout
        )
        self.cross_attention = CrossAttention(d_model, n_heads, 0.0, dropout)
        self.up, self.down = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = FastDropout(dropout)

    def forward(
        self, queries: torch.Tensor, context: torch.Tensor, self_mask: torch.Tensor | None,
        cross_mask: torch.Tensor | None,
    ) -> torch.Tensor:  # fmt: skip
        """``queries (B, N, d)``, ``context (B, N, d)``, masks ``(N, N)`` to ``(B, N, d)``;
        a mask of None lets each query attend its own position only."""
        if self_mask is None:
            attended = self.self_attention.own_position(queries)
        else:
            attended = self.self_attention(queries, attn_mask=self_mask)[0]
        queries = self.norms[0](queries + self.dropout(attended))
        if cross_mask is None:
            attended = self.cross_attention.own_position(context)
        else:
            attended = self.cross_attention(queries, context, attn_mask=cross_mask)
        queries = self.norms[1](queries + self.dropout(attended))
        hidden = self.down(self.dropout(F.gelu(self.up(queries))))
        return self.norms[2](queries + self.dropout(hidden))


class DenoisingDecoder(nn.Module):
    """Noised patch tokens and the causal encoder's outputs to denoised tokens.

    Parameters
    ----------
    n_patches : int
        Longest token sequence ``N`` (the position codes).
    d_model, n_heads, d_ff, n_layers : int
        Width, heads, feed-forward width and depth.
    dropout : float
        After the position codes, on attention weights, before each residual, in the
        feed-forward.
    mask_ratio : float
        Share of the past hidden from each query (see :func:`decoder_mask`).
    """

    def __init__(
        self, n_patches: int, d_model: int, n_heads: int, d_ff: int, n_layers: int,
        dropout: float, mask_ratio: float = 1.0,
    ):  # fmt: skip
        super().__init__()
        self.mask_ratio = mask_ratio
        self.register_buffer(
            "positions", sinusoidal_positions(n_patches, d_model), persistent=False
        )
        self.dropout = FastDropout(dropout)
        self.layers = nn.ModuleList(
            DenoisingLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        init_as_torch_attention(self)  # as the official decoder's nn.MultiheadAttention

    def forward(self, noisy: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """``noisy (B, N, d_model)`` embedded noised patches and ``context (B, N, d_model)``
        (position ``i`` from the clean patches before ``i``) to ``(B, N, d_model)``."""
        n = noisy.shape[1]
        self_mask = cross_mask = None  # mask_ratio 1: each position its own only
        if self.mask_ratio < 1:
            self_mask = decoder_mask(n, self.mask_ratio, noisy.device)
            cross_mask = decoder_mask(n, self.mask_ratio, noisy.device)
        queries = self.dropout(noisy + self.positions[:n])
        for layer in self.layers:
            queries = layer(queries, context, self_mask, cross_mask)
        return self.norm(queries)
