"""MLP-Mixer encoder over patch tokens (TSMixer, Ekambaram et al., KDD 2023; "PatchTSMixer").

Each mixer layer applies, with a residual connection and a norm before each block:

* channel (feature) mixing: an MLP across the ``C`` channels of a sample (``mode="mix"`` only);
* inter-patch mixing: an MLP across the ``N`` patches, for every feature;
* intra-patch mixing: an MLP across the ``d_model`` features of every patch.

Every MLP is ``Linear(n, n * expansion) -> GELU -> dropout -> Linear(-> n) -> dropout``, and may
be followed by the paper's gated attention, ``x * softmax(W x + b)`` over the mixed axis. The
encoder maps ``(B*C, N, d_model)`` to the same shape, so it drops into
:class:`~tsfm.nn.backbone.PatchBackbone` in place of the Transformer.
"""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.dropout import FastDropout
from tsfm.nn.encoder import Norm

MODES = ("independent", "mix", "hybrid")


class GatedAttention(nn.Module):
    """``x * softmax(Linear(x))`` over the last axis: ``(..., n)`` to ``(..., n)``."""

    def __init__(self, size: int):
        super().__init__()
        self.gate = nn.Linear(size, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.softmax(self.gate(x), dim=-1)


class MixerMLP(nn.Module):
    """Two-layer MLP over the last axis with GELU and dropout, optionally gated.

    ``(..., size)`` to ``(..., size)``.
    """

    def __init__(self, size: int, expansion: int, dropout: float, gated: bool):
        super().__init__()
        self.fc1 = nn.Linear(size, size * expansion)
        self.fc2 = nn.Linear(size * expansion, size)
        self.act = nn.GELU()
        self.dropout1 = FastDropout(dropout)
        self.dropout2 = FastDropout(dropout)
        self.gate = GatedAttention(size) if gated else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout2(self.fc2(self.dropout1(self.act(self.fc1(x)))))
        return self.gate(x) if self.gate is not None else x


class PatchMixing(nn.Module):
    """Inter-patch mixing: ``(B, N, d)`` tokens mixed along ``N``."""

    def __init__(self, n_patches: int, d_model: int, expansion, dropout, gated, norm: str):
        super().__init__()
        self.norm = Norm(d_model, norm)
        self.mlp = MixerMLP(n_patches, expansion, dropout, gated)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.mlp(self.norm(x).transpose(1, 2)).transpose(1, 2)
        return x + mixed


class FeatureMixing(nn.Module):
    """Intra-patch mixing: ``(B, N, d)`` tokens mixed along ``d``."""

    def __init__(self, d_model: int, expansion, dropout, gated, norm: str):
        super().__init__()
        self.norm = Norm(d_model, norm)
        self.mlp = MixerMLP(d_model, expansion, dropout, gated)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(self.norm(x))


class ChannelMixing(nn.Module):
    """Channel mixing: ``(B*C, N, d)`` tokens of the ``C`` channels of each sample mixed along C."""

    def __init__(self, n_channels: int, d_model: int, expansion, dropout, gated, norm: str):
        super().__init__()
        self.n_channels = n_channels
        self.norm = Norm(d_model, norm)
        self.mlp = MixerMLP(n_channels, expansion, dropout, gated)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        BC, N, d = x.shape
        by_channel = self.norm(x).reshape(BC // self.n_channels, self.n_channels, N, d)
        mixed = self.mlp(by_channel.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # mix along C
        return x + mixed.reshape(BC, N, d)


class MixerLayer(nn.Module):
    """[channel mixing] then inter-patch then intra-patch mixing: ``(B*C, N, d)`` to same."""

    def __init__(self, n_patches, d_model, expansion, dropout, gated, norm, n_channels=None):
        super().__init__()
        self.channel = None
        if n_channels is not None:
            self.channel = ChannelMixing(n_channels, d_model, expansion, dropout, gated, norm)
        self.patch = PatchMixing(n_patches, d_model, expansion, dropout, gated, norm)
        self.feature = FeatureMixing(d_model, expansion, dropout, gated, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channel is not None:
            x = self.channel(x)
        return self.feature(self.patch(x))


class MixerEncoder(nn.Module):
    """A stack of :class:`MixerLayer`: ``(B*C, N, d_model)`` to the same shape.

    Parameters
    ----------
    n_patches, d_model : int
    n_layers : int
    expansion : int
        Hidden width factor of every MLP.
    dropout : float
    gated : bool
        Gated attention after every MLP.
    norm : {"layer", "batch"}
    n_channels : int, optional
        Mix across channels in every layer (the batch holds whole samples, channel-major per
        sample as :func:`~tsfm.nn.backbone.fold_channels` makes it); ``None`` keeps channels
        independent.
    """

    def __init__(
        self, n_patches, d_model, n_layers, expansion=2, dropout=0.0, gated=True, norm="layer",
        n_channels=None,
    ):  # fmt: skip
        super().__init__()
        self.layers = nn.ModuleList(
            MixerLayer(n_patches, d_model, expansion, dropout, gated, norm, n_channels)
            for _ in range(n_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class ChannelReconciliationHead(nn.Module):
    """TSMixer's hybrid head: corrects channel-independent forecasts with cross-channel context.

    For each horizon step ``t`` it reads the base forecasts of every channel at steps
    ``t - w .. t + w`` (edges repeated), mixes them with a gated MLP and adds the result to the
    base forecast: ``(B, H, C)`` to ``(B, H, C)``.

    Parameters
    ----------
    n_channels : int
    window : int
        Half-width ``w`` of the neighbourhood of steps (the paper's context length of the head).
    expansion : int
    dropout : float
    """

    def __init__(self, n_channels: int, window: int = 1, expansion: int = 2, dropout=0.0):
        super().__init__()
        self.window = window
        width = n_channels * (2 * window + 1)
        self.mlp = MixerMLP(width, expansion, dropout, gated=True)
        self.out = nn.Linear(width, n_channels)

    def forward(self, base: torch.Tensor) -> torch.Tensor:
        B, H, C = base.shape
        w = self.window
        padded = torch.cat([base[:, :1].expand(B, w, C), base, base[:, -1:].expand(B, w, C)], 1)
        neighbourhood = padded.unfold(1, 2 * w + 1, 1)  # (B, H, C, 2w+1)
        return base + self.out(self.mlp(neighbourhood.reshape(B, H, C * (2 * w + 1))))


class PatchAggregationHead(nn.Module):
    """TSMixer's online hierarchy reconciliation: forecast the horizon and its patch sums.

    The flattened tokens ``(B', N*d)`` give a base forecast ``(B', H)`` and a forecast of the sums
    over consecutive blocks of ``block`` steps of the horizon ``(B', H/block)``; both are mixed
    into the reconciled forecast. :meth:`loss` adds the error of the block sums and the
    disagreement between the reconciled forecast's block sums and the predicted ones.
    """

    def __init__(self, n_tokens: int, horizon: int, block: int, dropout: float = 0.0):
        super().__init__()
        if horizon % block:
            raise ValueError(f"prediction_length {horizon} is not a multiple of {block}")
        self.block = block
        self.dropout = FastDropout(dropout)
        self.base = nn.Linear(n_tokens, horizon)
        self.sums = nn.Linear(n_tokens, horizon // block)
        self.reconcile = nn.Linear(horizon + horizon // block, horizon)

    def forward(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B', N*d)`` to the reconciled forecast ``(B', H)`` and block sums ``(B', H/block)``."""
        flat = self.dropout(flat)
        base, sums = self.base(flat), self.sums(flat)
        return base + self.reconcile(torch.cat([base, sums], dim=-1)), sums

    def block_sums(self, y: torch.Tensor) -> torch.Tensor:
        """``(..., H)`` to ``(..., H/block)``."""
        return y.unflatten(-1, (-1, self.block)).sum(-1)
