"""Patch embedding and the Transformer encoder of the patch backbone (PatchTST, ICLR 2023).

Post-norm layers: attention, residual, norm, feed-forward, residual, norm. The norm is BatchNorm
over ``d_model`` (the paper's choice for time series) or LayerNorm. Optional residual attention
(RealFormer, He et al. 2020), as the official PatchTST code uses: each layer adds the previous
layer's pre-softmax scores to its own. Without it attention runs through
``scaled_dot_product_attention``; with it the scores are formed explicitly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tsfm.nn.dropout import FastDropout


class PatchEmbedding(nn.Module):
    """Linear patch projection plus (optionally) a learned positional encoding, then dropout.

    ``(B, N, patch_len)`` to ``(B, N, d_model)``. Positions are initialised U(-0.02, 0.02).
    """

    def __init__(
        self, patch_len: int, n_patches: int, d_model: int, dropout: float, positional=True
    ):
        super().__init__()
        self.proj = nn.Linear(patch_len, d_model)
        self.position = None
        if positional:
            self.position = nn.Parameter(torch.empty(n_patches, d_model).uniform_(-0.02, 0.02))
        self.dropout = FastDropout(dropout)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        tokens = self.proj(patches)
        return self.dropout(tokens + self.position if self.position is not None else tokens)


class Norm(nn.Module):
    """BatchNorm over the feature axis of ``(B, N, d)`` tokens, or LayerNorm."""

    def __init__(self, d_model: int, kind: str):
        super().__init__()
        if kind not in ("batch", "layer"):
            raise ValueError(f"norm must be 'batch' or 'layer', got {kind!r}")
        self.batch = kind == "batch"
        self.norm = nn.BatchNorm1d(d_model) if self.batch else nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.batch:  # BatchNorm1d over (B*N, d) is the same as over (B, d, N), without copies
            return self.norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)
        return self.norm(x)


class MultiHeadAttention(nn.Module):
    """Self-attention over ``(B, N, d_model)`` with optional residual scores.

    ``forward(x, prev_scores)`` returns the output and this layer's pre-softmax scores
    ``(B, heads, N, N)`` (``None`` unless ``residual``). ``dropout`` acts on the output
    (PatchTST's projection dropout), ``attention_dropout`` on the attention weights (the
    Time-Series-Library ``FullAttention`` that TimeXer uses).
    """

    def __init__(
        self, d_model: int, n_heads: int, dropout: float, residual: bool,
        attention_dropout: float = 0.0,
    ):  # fmt: skip
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads, self.residual = n_heads, residual
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = FastDropout(dropout)
        self.attention_dropout = attention_dropout

    def forward(self, x: torch.Tensor, prev: torch.Tensor | None = None, attn_mask=None):
        """``attn_mask``: bool ``(B or 1, 1, N, N)``, True where a query may attend a key."""
        B, N, d = x.shape
        h, dh = self.n_heads, d // self.n_heads
        q, k, v = self.qkv(x).view(B, N, 3, h, dh).permute(2, 0, 3, 1, 4)
        scores = None
        if self.residual:
            if attn_mask is not None:
                raise ValueError("residual attention does not take an attention mask")
            # Scale q (dh wide) rather than the N x N scores, and add prev inside the matmul.
            q = (q * (1.0 / math.sqrt(dh))).reshape(B * h, N, dh)
            k_t = k.transpose(-1, -2).reshape(B * h, dh, N)
            if prev is None:
                scores = torch.bmm(q, k_t)
            else:
                scores = torch.baddbmm(prev.reshape(B * h, N, N), q, k_t)
            weights = F.dropout(scores.softmax(dim=-1), weight_dropout(self))
            context = torch.bmm(weights, v.reshape(B * h, N, dh))
            context = context.view(B, h, N, dh)
            scores = scores.view(B, h, N, N)
        else:
            context = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, dropout_p=weight_dropout(self)
            )
        context = context.transpose(1, 2).reshape(B, N, d)
        return self.dropout(self.out(context)), scores

    def own_position(self, x: torch.Tensor) -> torch.Tensor:
        """The output under a mask that lets each query attend its own position only,
        ``(B, N, d_model)`` to ``(B, N, d_model)`` in O(N): see :func:`own_position_attention`."""
        d = x.shape[-1]
        values = F.linear(x, self.qkv.weight[2 * d :], self.qkv.bias[2 * d :])
        context = own_position_attention(values, self.n_heads, weight_dropout(self))
        return self.dropout(self.out(context))


class EncoderLayer(nn.Module):
    """Transformer layer: attention and a GELU feed-forward, each with a residual; the norms
    after each residual (post-norm, PatchTST) or before each block (pre-norm, decoders).

    The attention's output is dropped out twice (PatchTST's projection dropout, then the
    layer's), or, with ``attention_dropout``, the attention weights at that rate and the
    output once (``nn.MultiheadAttention(dropout=...)`` in a vanilla Transformer layer).
    """

    def __init__(
        self, d_model, n_heads, d_ff, dropout, norm, residual_attention, pre_norm=False,
        attention_dropout: float | None = None,
    ):  # fmt: skip
        super().__init__()
        self.pre_norm = pre_norm
        if attention_dropout is None:
            self.attention = MultiHeadAttention(d_model, n_heads, dropout, residual_attention)
        else:
            self.attention = MultiHeadAttention(
                d_model, n_heads, 0.0, residual_attention, attention_dropout=attention_dropout
            )
        self.dropout_attention = FastDropout(dropout)  # a second one, as the official code has
        self.norm_attention = Norm(d_model, norm)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, d_ff),
            nn.GELU(),
            FastDropout(dropout),
            nn.Linear(d_ff, d_model),
            FastDropout(dropout),
        )
        self.norm_feed_forward = Norm(d_model, norm)

    def forward(self, x, prev=None, attn_mask=None):
        if self.pre_norm:
            attended, scores = self.attention(self.norm_attention(x), prev, attn_mask)
            x = x + self.dropout_attention(attended)
            return x + self.feed_forward(self.norm_feed_forward(x)), scores
        attended, scores = self.attention(x, prev, attn_mask)
        x = self.norm_attention(x + self.dropout_attention(attended))
        x = self.norm_feed_forward(x + self.feed_forward(x))
        return x, scores


class TransformerEncoder(nn.Module):
    """A stack of :class:`EncoderLayer`: ``(B, N, d_model)`` to ``(B, N, d_model)``.

    ``pre_norm=True`` gives the pre-norm stack of decoder-only models (with a final norm);
    ``forward(x, attn_mask)`` takes a boolean mask (e.g. causal) for the non-residual attention.
    ``attention_dropout``: see :class:`EncoderLayer`.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        n_layers: int,
        dropout: float,
        norm: str = "batch",
        residual_attention: bool = True,
        pre_norm: bool = False,
        attention_dropout: float | None = None,
    ):
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(
                d_model,
                n_heads,
                d_ff,
                dropout,
                norm,
                residual_attention,
                pre_norm,
                attention_dropout,
            )  # fmt: skip
            for _ in range(n_layers)
        )
        self.final_norm = Norm(d_model, norm) if pre_norm else None

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        scores = None
        for layer in self.layers:
            x, scores = layer(x, scores, attn_mask)
        return self.final_norm(x) if self.final_norm is not None else x


class CrossAttention(nn.Module):
    """Multi-head attention of queries ``(B, Nq, d)`` over keys/values ``(B, Nk, d)``;
    ``dropout`` on the output, ``attention_dropout`` on the attention weights."""

    def __init__(self, d_model: int, n_heads: int, dropout: float, attention_dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = FastDropout(dropout)
        self.attention_dropout = attention_dropout

    def forward(
        self, queries: torch.Tensor, keys: torch.Tensor, attn_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``attn_mask``: bool ``(B or 1, 1, Nq, Nk)``, True where a query may attend a key."""
        B, Nq, d = queries.shape
        h, dh = self.n_heads, d // self.n_heads
        q = self.q(queries).view(B, Nq, h, dh).transpose(1, 2)
        k, v = self.kv(keys).view(B, keys.shape[1], 2, h, dh).permute(2, 0, 3, 1, 4)
        context = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=weight_dropout(self)
        )
        return self.dropout(self.out(context.transpose(1, 2).reshape(B, Nq, d)))

    def own_position(self, keys: torch.Tensor) -> torch.Tensor:
        """The output when each query ``i`` may attend key ``i`` only (queries and keys of the
        same length): ``keys (B, N, d_model)`` to ``(B, N, d_model)`` in O(N); the queries do not
        matter (see :func:`own_position_attention`)."""
        d = keys.shape[-1]
        values = F.linear(keys, self.kv.weight[d:], self.kv.bias[d:])
        context = own_position_attention(values, self.n_heads, weight_dropout(self))
        return self.dropout(self.out(context))


def init_as_torch_attention(module: nn.Module) -> None:
    """Initialise every attention in ``module`` as ``nn.MultiheadAttention`` does: the query,
    key and value projections as one Xavier-uniform ``(3 d_model, d_model)`` matrix, their
    biases and the output projection's bias zero (the output weight keeps its default)."""
    for attention in module.modules():
        if isinstance(attention, MultiHeadAttention):
            projections = [attention.qkv]
        elif isinstance(attention, CrossAttention):
            projections = [attention.q, attention.kv]
        else:
            continue
        d = attention.out.in_features
        bound = math.sqrt(6.0 / (d + 3 * d))  # Xavier-uniform of the joint (3d, d) matrix
        with torch.no_grad():
            for linear in projections:
                linear.weight.uniform_(-bound, bound)
                linear.bias.zero_()
            attention.out.bias.zero_()


def own_position_attention(values: torch.Tensor, n_heads: int, dropout: float) -> torch.Tensor:
    """Attention under a diagonal mask, without the ``N x N`` maps.

    When query ``i`` may attend key ``i`` only, its softmax weight is exactly 1 and the output is
    the value at ``i``. Dropout on the attention weights then keeps or drops each head's whole
    value (scaled by ``1 / (1 - dropout)``), per window, position and head, as it would drop
    that single weight. ``values (B, N, d_model)`` to ``(B, N, d_model)``.
    """
    if dropout == 0.0:
        return values
    B, N, d = values.shape
    keep = torch.empty(B, N, n_heads, 1, dtype=values.dtype, device=values.device)
    keep.bernoulli_(1.0 - dropout).div_(1.0 - dropout)
    return (values.view(B, N, n_heads, d // n_heads) * keep).view(B, N, d)


def weight_dropout(attention: nn.Module) -> float:
    """The dropout rate on attention weights: ``attention.attention_dropout`` while training,
    0 in eval mode (``F.scaled_dot_product_attention`` has no train/eval switch of its own)."""
    return attention.attention_dropout if attention.training else 0.0


def sinusoidal_positions(n: int, d_model: int) -> torch.Tensor:
    """Fixed sine/cosine position codes (Vaswani et al.), ``(n, d_model)``."""
    position = torch.arange(n, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32)
                          * (-math.log(10000.0) / d_model))  # fmt: skip
    codes = torch.zeros(n, d_model)
    codes[:, 0::2] = torch.sin(position * frequency)
    codes[:, 1::2] = torch.cos(position * frequency)[:, : d_model // 2]
    return codes
