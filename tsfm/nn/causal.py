"""The causal patch encoder of autoregressive pretraining (TimeDART, Wang et al., ICML 2025).

Patch tokens get fixed sine/cosine position codes and dropout, then a post-norm Transformer
(LayerNorm, plain attention so that a mask applies; each attention's output dropped out once,
its weights at ``attention_dropout``, its projections initialised as ``nn.MultiheadAttention``'s,
as in the official code) and a final LayerNorm. Called with
:func:`causal_mask` it is causal: the output at patch ``i`` depends on tokens ``0 .. i`` only.
Autoregressive pretraining feeds it :func:`shift_right` tokens (a start token, then every patch
but the last), so that position ``i`` summarises the patches before ``i``; fine-tuning calls it
without a mask, reading the whole context both ways (as the official code does).
"""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.dropout import FastDropout
from tsfm.nn.encoder import TransformerEncoder, init_as_torch_attention, sinusoidal_positions


def causal_mask(n: int, device=None) -> torch.Tensor:
    """Boolean ``(n, n)``, True where query ``i`` may attend key ``j <= i``."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def shift_right(tokens: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """``(B, N, d)`` tokens to ``[start, tokens_0, ..., tokens_{N-2}]``, the same shape.

    ``start`` is a ``(d,)`` (learned) start-of-sequence token.
    """
    first = start.expand(tokens.shape[0], 1, tokens.shape[-1])
    return torch.cat([first, tokens[:, :-1]], dim=1)


class CausalEncoder(nn.Module):
    """Positions, dropout, post-norm Transformer layers and a final norm.

    ``forward(tokens (B, N, d_model), attn_mask=None)`` gives ``(B, N, d_model)``; ``attn_mask``
    is boolean ``(N, N)``, True where a query may attend a key (e.g. :func:`causal_mask`).

    Parameters
    ----------
    n_patches : int
        Longest token sequence ``N`` (the position codes).
    d_model, n_heads, d_ff, n_layers : int
        Transformer width, heads, feed-forward width and depth.
    dropout : float
        After the position codes, on the attention output and in the feed-forward.
    attention_dropout : float
        On the attention weights.
    """

    def __init__(
        self, n_patches: int, d_model: int, n_heads: int, d_ff: int, n_layers: int,
        dropout: float, attention_dropout: float = 0.0,
    ):  # fmt: skip
        super().__init__()
        self.register_buffer(
            "positions", sinusoidal_positions(n_patches, d_model), persistent=False
        )
        self.dropout = FastDropout(dropout)
        self.layers = TransformerEncoder(
            d_model, n_heads, d_ff, n_layers, dropout, "layer", residual_attention=False,
            attention_dropout=attention_dropout,
        )  # fmt: skip
        self.norm = nn.LayerNorm(d_model)
        init_as_torch_attention(self)

    def forward(self, tokens: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        tokens = self.dropout(tokens + self.positions[: tokens.shape[1]])
        return self.norm(self.layers(tokens, attn_mask=attn_mask))
