"""TSMixer (Ekambaram et al., "TSMixer: Lightweight MLP-Mixer Model for Multivariate Time Series
Forecasting", KDD 2023; released as PatchTSMixer).

The patch backbone of PatchTST with the Transformer replaced by MLP mixing
(:mod:`tsfm.nn.mixer`): across patches, within patches and, in ``"mix"`` mode, across channels.
Channel modes:

* ``"independent"`` (the paper's CI-TSMixer, "common channel"): every channel alone;
* ``"mix"``: channel mixing in every layer of the backbone;
* ``"hybrid"``: an independent backbone and the channel-reconciliation head on its forecasts.

``hierarchy_block`` adds the online hierarchy (patch aggregation) reconciliation head: the model
also forecasts the sums over blocks of the horizon, reconciles the two, and trains with the
extra consistency terms. Masked-patch pretraining comes from
:class:`~tsfm.models.pretraining.MaskedPatchPretraining`.
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
    fold_channels,
    n_patches,
    unfold_channels,
)
from tsfm.nn.mixer import (
    MODES,
    ChannelReconciliationHead,
    MixerEncoder,
    PatchAggregationHead,
)
from tsfm.params import FLAG, POSITIVE, RATE, Integer, OneOf, Real, param
from tsfm.training.config import LOSSES, lookup


@dataclass
class TSMixerConfig:
    """TSMixer architecture (defaults: IBM's ETTh1 example, trained from scratch).

    Parameters
    ----------
    context_length, prediction_length : int
        Lookback ``L`` and horizon ``H``.
    patch_len, stride : int
        Patching (no end padding; ``stride == patch_len`` gives non-overlapping patches).
    d_model : int
        Token width.
    n_layers : int
        Mixer layers.
    expansion : int
        Hidden width factor of the MLPs.
    dropout, head_dropout : float
        Dropout in the mixers and before the head.
    gated_attention : bool
        The paper's gated attention after every MLP.
    norm : {"layer", "batch"}
    mode : {"independent", "mix", "hybrid"}
        Channel modelling (module docstring).
    reconciliation_window : int
        Hybrid head: half-width of the neighbourhood of horizon steps it reads.
    hierarchy_block : int, optional
        Horizon steps per block of the hierarchy reconciliation head (off when ``None``).
    revin : bool
        Reversible instance normalisation of each context.
    mask_ratio : float
        Share of patches masked in ``pretrain``.
    """

    context_length: int = param(512, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(16, POSITIVE)
    stride: int = param(16, POSITIVE)
    d_model: int = param(48, POSITIVE)
    n_layers: int = param(3, POSITIVE)
    expansion: int = param(3, POSITIVE)
    dropout: float = param(0.5, RATE)
    head_dropout: float = param(0.7, RATE)
    gated_attention: bool = param(True, FLAG)
    norm: str = param("layer", OneOf("layer", "batch"))
    mode: str = param("independent", OneOf(*MODES))
    reconciliation_window: int = param(1, Integer(0))
    hierarchy_block: int | None = param(None, POSITIVE | None)
    revin: bool = param(True, FLAG)
    mask_ratio: float = param(0.4, Real(0, 1, closed="neither"))


class TSMixer(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``; :meth:`forecast_with_sums` also gives the block sums."""

    def __init__(self, cfg: TSMixerConfig, n_channels: int):
        super().__init__()
        self.n_channels = n_channels
        self.revin = RevIN(n_channels) if cfg.revin else None
        n = n_patches(cfg.context_length, cfg.patch_len, cfg.stride, pad_end=False)
        encoder = MixerEncoder(
            n, cfg.d_model, cfg.n_layers, cfg.expansion, cfg.dropout, cfg.gated_attention,
            cfg.norm, n_channels if cfg.mode == "mix" else None,
        )  # fmt: skip
        self.backbone = PatchBackbone(  # no dropout on the embedding: the mixers have theirs
            cfg.context_length, cfg.patch_len, cfg.stride, cfg.d_model, encoder, 0.0,
            pad_end=False, positional=False,
        )  # fmt: skip
        H = cfg.prediction_length
        if cfg.hierarchy_block:
            self.head = PatchAggregationHead(
                n * cfg.d_model, H, cfg.hierarchy_block, cfg.head_dropout
            )
        else:
            self.head = FlattenHead(n, cfg.d_model, H, cfg.head_dropout, dropout_first=True)
        self.reconcile_channels = None
        if cfg.mode == "hybrid":
            self.reconcile_channels = ChannelReconciliationHead(
                n_channels, cfg.reconciliation_window, cfg.expansion, cfg.dropout
            )

    def forecast_with_sums(self, x: torch.Tensor):
        """``(B, L, C)`` to the forecast ``(B, H, C)`` and block sums ``(B, H/block, C)`` (or
        ``None`` without the hierarchy head), both on the input's scale."""
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        tokens = self.backbone(fold_channels(x))  # (B*C, N, d)
        sums = None
        if isinstance(self.head, PatchAggregationHead):
            y, sums = self.head(tokens.flatten(start_dim=-2))
            sums = unfold_channels(sums, self.n_channels)
        else:
            y = self.head(tokens)
        y = unfold_channels(y, self.n_channels)
        if self.reconcile_channels is not None:
            y = self.reconcile_channels(y)
        if stats is not None:
            y = self.revin.denormalize(y, stats)
            if sums is not None:  # a block sum of denormalised values: scale, plus block x shift
                block = self.head.block
                shift = self.revin.denormalize(torch.zeros_like(sums), stats)
                scale = self.revin.denormalize(torch.ones_like(sums), stats) - shift
                sums = sums * scale + block * shift
        return y, sums

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forecast_with_sums(x)[0]


class TSMixerForecaster(FlowHeadOption, MaskedPatchPretraining, NeuralForecaster):
    """TSMixer as a scikit-learn style forecaster.

    Hyperparameters: :class:`TSMixerConfig` (architecture),
    :class:`~tsfm.models.sampling.FlowOutputConfig` (``head="flow"`` for sample paths) and
    :class:`~tsfm.training.config.TrainConfig` (training), all keyword-only.

    Examples
    --------
    >>> model = TSMixerForecaster(context_length=96, prediction_length=24, mode="hybrid")
    >>> model.fit(df).predict()  # doctest: +SKIP
    """

    config_class = TSMixerConfig

    def _build_module(self, n_channels: int) -> nn.Module:
        module = self._with_pretrained_backbone(TSMixer(self._config(), n_channels))
        return self._with_output(module)

    def _loop_options(self) -> dict:
        if self.head == "flow" or not self.hierarchy_block:
            return super()._loop_options()
        base_loss = lookup(LOSSES, self.loss, "loss")

        def step(module: TSMixer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            forecast, sums = module.forecast_with_sums(x)
            target_sums = module.head.block_sums(y.transpose(1, 2)).transpose(1, 2)
            forecast_sums = module.head.block_sums(forecast.transpose(1, 2)).transpose(1, 2)
            mse = nn.functional.mse_loss
            return (
                base_loss(forecast, y) + mse(sums, target_sums) + mse(forecast_sums, sums.detach())
            )

        return {"step_fn": step}

    def _min_length(self) -> int:
        return self.patch_len

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "stride": 8,
            "d_model": 8, "n_layers": 1, "dropout": 0.1, "head_dropout": 0.1, "max_epochs": 2,
            "batch_size": 32, "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip
