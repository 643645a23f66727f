"""Relative positional encoding for attention over patch tokens (MTST, Zhang et al. 2024).

Attention scores get an additive per-head bias that depends only on the signed distance
``i - j`` between the query and key tokens, never on their absolute positions, so the same
pattern is scored alike wherever it sits in the lookback. As in the MTST code, a distance ``k``
is coded by sine/cosine features of ``|k| - 1`` with the sign of ``k`` (0 for ``k = 0``), passed
through a linear layer with ReLU and a linear map to one bias per head.

:class:`RelativeEncoder` wraps a :class:`~tsfm.nn.encoder.TransformerEncoder` so that it takes
the bias: ``scaled_dot_product_attention`` adds a float ``attn_mask`` to the scores.
"""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.encoder import TransformerEncoder, sinusoidal_positions


def relative_codes(n: int, d_model: int) -> torch.Tensor:
    """Codes of every signed distance between ``n`` tokens.

    Parameters
    ----------
    n : int
        Tokens.
    d_model : int
        Width of each code.

    Returns
    -------
    Tensor, shape (n, n, d_model)
        ``codes[i, j] = sign(i - j) * sinusoid(|i - j| - 1)``; zero on the diagonal.
    """
    table = sinusoidal_positions(max(n - 1, 1), d_model)  # sinusoid(0 .. n - 2)
    table = torch.cat([torch.zeros(1, d_model), table])  # row k: sinusoid(k - 1), row 0: zero
    offset = torch.arange(n)[:, None] - torch.arange(n)[None, :]  # (n, n): i - j
    return table[offset.abs()] * offset.sign()[..., None].to(table.dtype)


class RelativePositionBias(nn.Module):
    """A learned per-head attention bias from relative distances.

    Parameters
    ----------
    d_model : int
        Width of the distance codes and of the hidden layer.
    n_heads : int
        One bias per head.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.d_model = d_model
        self.hidden = nn.Linear(d_model, d_model)
        self.to_heads = nn.Linear(d_model, n_heads, bias=False)

    def forward(self, n: int) -> torch.Tensor:
        """The bias for ``n`` tokens, shape ``(1, n_heads, n, n)``: entry ``[0, h, i, j]`` is a
        function of ``i - j`` only."""
        codes = relative_codes(n, self.d_model).to(self.hidden.weight.dtype)
        return self.to_heads(torch.relu(self.hidden(codes))).permute(2, 0, 1)[None]


class RelativeEncoder(nn.Module):
    """A Transformer encoder whose attention adds a :class:`RelativePositionBias`.

    ``(B, N, d_model)`` to ``(B, N, d_model)``, for any ``N``. Post-norm layers as PatchTST's
    (see :class:`~tsfm.nn.encoder.TransformerEncoder`), without residual attention.

    Parameters
    ----------
    d_model, n_heads, d_ff, n_layers : int
        Transformer width, heads, feed-forward width and depth.
    dropout : float
        Dropout in the attention output and feed-forward.
    norm : {"batch", "layer"}
        BatchNorm or LayerNorm.
    """

    def __init__(
        self, d_model: int, n_heads: int, d_ff: int, n_layers: int, dropout: float,
        norm: str = "batch",
    ):  # fmt: skip
        super().__init__()
        self.bias = RelativePositionBias(d_model, n_heads)
        self.encoder = TransformerEncoder(
            d_model, n_heads, d_ff, n_layers, dropout, norm, residual_attention=False
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.encoder(tokens, attn_mask=self.bias(tokens.shape[1]).to(tokens.dtype))
