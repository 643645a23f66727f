"""A small causal model over a quantised series, giving each step's conditional entropy
(EntroPE, Abeywickrama et al. 2025).

:func:`quantize` turns a (normalised) series into tokens: divided by its mean absolute value,
then cut into ``n_bins`` uniform bins over ``[-limit, limit]`` (values beyond go to the end
bins). :class:`CausalTokenModel` (a tiny GPT: token and position embeddings, pre-norm causal
Transformer, output tied to the token embedding) learns to predict the next token;
:meth:`CausalTokenModel.entropy` is the entropy, in nats, of its distribution of the next token
at every step: how unpredictable the series is right after it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tsfm.nn.encoder import TransformerEncoder


def quantize(series: torch.Tensor, n_bins: int, limit: float) -> torch.Tensor:
    """Token ids of ``series``.

    Parameters
    ----------
    series : Tensor, shape (B, L)
    n_bins : int
        Tokens ``0 .. n_bins - 1``; their centres are evenly spaced over ``[-limit, limit]``.
    limit : float
        Range covered, in units of each series' mean absolute value.

    Returns
    -------
    LongTensor, shape (B, L)
        The token whose centre is nearest to each scaled value.
    """
    scale = series.abs().mean(dim=-1, keepdim=True)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    centres = torch.linspace(-limit, limit, n_bins, dtype=series.dtype, device=series.device)
    edges = (centres[1:] + centres[:-1]) / 2
    return torch.bucketize((series / scale).contiguous(), edges)


def causal_mask(n: int, device=None) -> torch.Tensor:
    """Boolean ``(1, 1, n, n)``, True where query ``i`` may attend key ``j <= i``."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()[None, None]


class CausalTokenModel(nn.Module):
    """Next-token model over ``(B, L)`` token ids.

    Parameters
    ----------
    n_tokens : int
        Vocabulary size.
    length : int
        Longest sequence (learned position embeddings).
    d_model, n_heads, n_layers : int
        Transformer width, heads and depth (feed-forward width ``4 * d_model``).
    dropout : float
        Dropout on the embeddings, attention output and feed-forward.
    """

    def __init__(
        self, n_tokens: int, length: int, d_model: int, n_heads: int, n_layers: int,
        dropout: float,
    ):  # fmt: skip
        super().__init__()
        self.tokens = nn.Embedding(n_tokens, d_model)
        self.positions = nn.Embedding(length, d_model)
        self.dropout = nn.Dropout(dropout)
        self.encoder = TransformerEncoder(
            d_model, n_heads, 4 * d_model, n_layers, dropout, "layer",
            residual_attention=False, pre_norm=True,
        )  # fmt: skip

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits of the next token after every step, ``(B, L, n_tokens)``."""
        L = tokens.shape[1]
        h = self.tokens(tokens) + self.positions.weight[:L]
        h = self.encoder(self.dropout(h), attn_mask=causal_mask(L, tokens.device))
        return F.linear(h, self.tokens.weight)

    def loss(self, tokens: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of predicting ``tokens[:, t + 1]`` from ``tokens[:, :t + 1]``."""
        logits = self(tokens[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))

    def entropy(self, tokens: torch.Tensor) -> torch.Tensor:
        """Entropy (nats) of the next-token distribution after every step, ``(B, L)``."""
        log_p = self(tokens).log_softmax(dim=-1)
        return -(log_p.exp() * log_p).sum(dim=-1)
