"""MTST (Zhang et al., "Multi-resolution Time-Series Transformer for Long-term Forecasting",
AISTATS 2024).

Each channel is its own series (channel independence). A layer has several branches; branch
``j`` cuts the layer's input series into patches of its own length ``patch_lens[j]`` (short
patches for fast patterns, long ones for trends and long seasons), embeds them without absolute
positions and encodes them with one Transformer layer whose attention takes a relative
positional bias (:class:`~tsfm.nn.relative.RelativeEncoder`). Between layers the branches'
tokens are flattened, joined and mapped back to a series of the lookback's length by one linear
map shared by the layers, which the next layer cuts again. After the last layer each branch has
its own flatten + linear head, and the forecast is the sum of the branches' forecasts. As in
the official code (networkslab/MTST), RevIN normalises the lookback once, before the first
layer, and the branches add no absolute positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tsfm.models.neural import NeuralForecaster
from tsfm.nn import (
    FlattenHead,
    PatchBackbone,
    RevIN,
    TransformerEncoder,
    fold_channels,
    unfold_channels,
)
from tsfm.nn.relative import RelativeEncoder
from tsfm.params import FLAG, POSITIVE, RATE, Integers, OneOf, as_ints, param


@dataclass
class MTSTConfig:
    """MTST architecture (defaults: the official ETTh1 script).

    Parameters
    ----------
    context_length, prediction_length : int
        Lookback ``L`` and horizon ``H``.
    patch_lens, strides : list of int or str
        One patch length and stride per branch (the same number of each), as a list or a
        comma-separated string (``"8,16"``); every branch pads the end by its stride, as
        PatchTST.
    d_model, n_heads, d_ff : int
        Width, heads and feed-forward width of every branch's Transformer layer.
    n_layers : int
        Stacked multi-resolution layers.
    dropout : float
        Dropout after the patch embedding, in attention and feed-forward.
    head_dropout : float
        Dropout after the heads and after the map between layers.
    relative_pe : bool
        Relative positional bias in attention (the official ``rel_sin``); without it the
        branches have no positional information (the official code adds no absolute one).
    norm : {"batch", "layer"}
        Norm of the Transformer layers.
    revin, revin_affine : bool
        Reversible instance normalisation, with learnable affine parameters.
    """

    context_length: int = param(336, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_lens: str | list[int] = param("8,16", Integers(1))
    strides: str | list[int] = param("4,8", Integers(1))
    d_model: int = param(128, POSITIVE)
    n_heads: int = param(16, POSITIVE)
    d_ff: int = param(256, POSITIVE)
    n_layers: int = param(2, POSITIVE)
    dropout: float = param(0.3, RATE)
    head_dropout: float = param(0.1, RATE)
    relative_pe: bool = param(True, FLAG)
    norm: str = param("batch", OneOf("batch", "layer"))
    revin: bool = param(True, FLAG)
    revin_affine: bool = param(False, FLAG)


class MTSTBranch(nn.Module):
    """One resolution: ``(B', L)`` series to tokens ``(B', N_j, d_model)``.

    The shared :class:`~tsfm.nn.backbone.PatchBackbone` (end padding, no absolute positions)
    with a one-layer encoder, relative (:class:`~tsfm.nn.relative.RelativeEncoder`) or plain.
    """

    def __init__(self, cfg: MTSTConfig, patch_len: int, stride: int):
        super().__init__()
        d, h, ff = cfg.d_model, cfg.n_heads, cfg.d_ff
        if cfg.relative_pe:
            encoder = RelativeEncoder(d, h, ff, 1, cfg.dropout, cfg.norm)
        else:
            encoder = TransformerEncoder(d, h, ff, 1, cfg.dropout, cfg.norm, False)
        self.backbone = PatchBackbone(
            cfg.context_length, patch_len, stride, d, encoder, cfg.dropout, positional=False
        )

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        return self.backbone(series)


class MTST(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``, channel independent.

    ``layers[i][j]`` is branch ``j`` of layer ``i``; ``between`` maps the joined tokens of a
    layer, ``(B', sum_j N_j, d_model)``, back to a series ``(B', L)``; ``heads[j]`` reads branch
    ``j`` of the last layer.
    """

    def __init__(self, cfg: MTSTConfig, n_channels: int):
        super().__init__()
        patch_lens, strides = as_ints(cfg.patch_lens), as_ints(cfg.strides)
        if len(patch_lens) != len(strides):
            raise ValueError(
                f"patch_lens={list(patch_lens)} and strides={list(strides)} must give one "
                "stride per branch"
            )
        self.n_channels = n_channels
        self.revin = RevIN(n_channels, affine=cfg.revin_affine) if cfg.revin else None
        pairs = list(zip(patch_lens, strides))
        self.layers = nn.ModuleList(
            nn.ModuleList(MTSTBranch(cfg, p, s) for p, s in pairs) for _ in range(cfg.n_layers)
        )
        counts = [branch.backbone.n_patches for branch in self.layers[0]]
        L, H, d = cfg.context_length, cfg.prediction_length, cfg.d_model
        self.between = FlattenHead(sum(counts), d, L, cfg.head_dropout)
        self.heads = nn.ModuleList(FlattenHead(n, d, H, cfg.head_dropout) for n in counts)

    def branch_tokens(self, series: torch.Tensor) -> list[torch.Tensor]:
        """``(B', L)`` normalised series to the last layer's tokens, one ``(B', N_j, d_model)``
        per branch."""
        for i, layer in enumerate(self.layers):
            tokens = [branch(series) for branch in layer]
            if i < len(self.layers) - 1:
                series = self.between(torch.cat(tokens, dim=1))
        return tokens

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        tokens = self.branch_tokens(fold_channels(x))
        y = torch.stack([head(t) for head, t in zip(self.heads, tokens)]).sum(dim=0)
        y = unfold_channels(y, self.n_channels)
        return self.revin.denormalize(y, stats) if stats is not None else y


class MTSTForecaster(NeuralForecaster):
    """MTST as a scikit-learn style forecaster.

    Hyperparameters: :class:`MTSTConfig` (architecture) and
    :class:`~tsfm.training.config.TrainConfig` (training), all keyword-only. The paper's
    settings per dataset are the ``mtst`` configuration of ``tsfm benchmark``.

    Examples
    --------
    >>> model = MTSTForecaster(context_length=96, prediction_length=24, patch_lens=[8, 24],
    ...                        strides=[4, 12], max_epochs=5)
    >>> model.fit(df).predict()  # doctest: +SKIP
    """

    config_class = MTSTConfig

    def _build_module(self, n_channels: int) -> nn.Module:
        return MTST(self._config(), n_channels)

    def _min_length(self) -> int:
        return max(as_ints(self.patch_lens))

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_lens": [4, 12],
            "strides": [2, 6], "d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 2,
            "max_epochs": 2, "batch_size": 32, "learning_rate": 1e-3, "verbose": 0,
            "n_threads": 1,
        }  # fmt: skip
