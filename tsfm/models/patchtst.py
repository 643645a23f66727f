"""PatchTST (Nie et al., "A Time Series is Worth 64 Words", ICLR 2023).

Channel-independent patches of the RevIN-normalised lookback, a Transformer encoder (BatchNorm,
residual attention as in the official code), and a flatten + linear head. Masked-patch
self-supervised pretraining (``pretrain``) fits the backbone to reconstruct randomly masked
patches; a later ``fit`` starts from it (fine-tuning) when the patching matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tsfm.models.neural import NeuralForecaster
from tsfm.models.pretraining import MaskedPatchPretraining
from tsfm.models.sampling import FlowHeadOption
from tsfm.nn import (
    FlattenHead,
    PatchBackbone,
    RevIN,
    TransformerEncoder,
    fold_channels,
    unfold_channels,
)
from tsfm.params import FLAG, POSITIVE, RATE, OneOf, Real, param


@dataclass
class PatchTSTConfig:
    """PatchTST architecture (defaults: the paper's PatchTST/42 on ETTh1).

    Parameters
    ----------
    context_length : int
        Lookback ``L``.
    prediction_length : int
        Horizon ``H``.
    patch_len, stride : int
        Patching; the end is padded so the last values get their own patch.
    d_model, n_heads, d_ff, n_layers : int
        Transformer width, heads, feed-forward width and depth.
    dropout : float
        Dropout in the embedding, attention output and feed-forward.
    head_dropout : float
        Dropout after the linear head.
    norm : {"batch", "layer"}
        BatchNorm (the paper's) or LayerNorm in the encoder.
    residual_attention : bool
        Add each layer's attention scores to the next layer's (the official code's default).
    revin : bool
        Reversible instance normalisation of each context.
    revin_affine : bool
        Learnable RevIN scale and shift (off in the official scripts).
    mask_ratio : float
        Share of patches masked in :meth:`PatchTSTForecaster.pretrain`.
    """

    context_length: int = param(336, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(16, POSITIVE)
    stride: int = param(8, POSITIVE)
    d_model: int = param(16, POSITIVE)
    n_heads: int = param(4, POSITIVE)
    d_ff: int = param(128, POSITIVE)
    n_layers: int = param(3, POSITIVE)
    dropout: float = param(0.3, RATE)
    head_dropout: float = param(0.0, RATE)
    norm: str = param("batch", OneOf("batch", "layer"))
    residual_attention: bool = param(True, FLAG)
    revin: bool = param(True, FLAG)
    revin_affine: bool = param(False, FLAG)
    mask_ratio: float = param(0.4, Real(0, 1, closed="neither"))


class PatchTST(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``; the backbone is shared with masked pretraining."""

    def __init__(self, cfg: PatchTSTConfig, n_channels: int):
        super().__init__()
        self.n_channels = n_channels
        self.revin = RevIN(n_channels, affine=cfg.revin_affine) if cfg.revin else None
        encoder = TransformerEncoder(
            cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.n_layers, cfg.dropout, cfg.norm,
            cfg.residual_attention,
        )  # fmt: skip
        self.backbone = PatchBackbone(
            cfg.context_length, cfg.patch_len, cfg.stride, cfg.d_model, encoder, cfg.dropout
        )
        n = self.backbone.n_patches
        self.head = FlattenHead(n, cfg.d_model, cfg.prediction_length, cfg.head_dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        y = unfold_channels(self.head(self.backbone(fold_channels(x))), self.n_channels)
        return self.revin.denormalize(y, stats) if stats is not None else y


class PatchTSTForecaster(FlowHeadOption, MaskedPatchPretraining, NeuralForecaster):
    """PatchTST as a scikit-learn style forecaster.

    Hyperparameters: :class:`PatchTSTConfig` (architecture),
    :class:`~tsfm.models.sampling.FlowOutputConfig` (``head="flow"`` for sample paths) and
    :class:`~tsfm.training.config.TrainConfig` (training), all keyword-only.

    Examples
    --------
    >>> model = PatchTSTForecaster(context_length=96, prediction_length=24, max_epochs=5)
    >>> model.fit(df).predict()  # doctest: +SKIP
    """

    config_class = PatchTSTConfig

    def _build_module(self, n_channels: int) -> nn.Module:
        module = self._with_pretrained_backbone(PatchTST(self._config(), n_channels))
        return self._with_output(module)

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "stride": 4,
            "d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 1, "max_epochs": 2,
            "batch_size": 32, "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip
