"""TimeDART (Wang et al., "TimeDART: A Diffusion Autoregressive Transformer for Self-Supervised
Time Series Representation", ICML 2025), as a forecaster that pretrains then fine-tunes.

The network is the channel-independent patch backbone with the paper's encoder: RevIN,
non-overlapping patches (no end padding), a linear patch embedding, fixed sine/cosine positions
and a post-norm LayerNorm Transformer with a final norm (:class:`~tsfm.nn.causal.CausalEncoder`),
read by a flatten + linear head. ``pretrain(df)`` runs TimeDART's self-supervised objective
(:mod:`tsfm.models.diffusion_pretraining`: the encoder made causal, a denoising diffusion
decoder reconstructing every patch from its noised self and the clean patches before it);
``fit`` then fine-tunes every weight for the horizon, the encoder reading the context both ways.

Why a forecaster of its own and a method too: the objective is a pretraining method of the
shared :class:`~tsfm.models.pretraining.Pretraining` mixin, so any patch model whose encoder takes
an attention mask can use it (``PatchTSTForecaster(residual_attention=False, norm="layer")
.pretrain(df, method="timedart")``, beside ``method="masked"``), which is how TimeDART, masked
patches and no pretraining compare on one backbone. The paper's numbers, however, come from its
own encoder (sine/cosine positions, LayerNorm, a final norm, no padding, no residual attention)
and settings, which PatchTST's hyperparameters cannot express; :class:`TimeDARTForecaster` is that
encoder with the official scripts' defaults, pretraining with ``method="timedart"`` by default.

Differences from the official code: the encoder's attention weights are dropped out only with
``attention_dropout`` (default 0; the official 0.2 makes every attention map be formed in
memory, ~17x the time of an attention layer on a CPU); the per-epoch pretraining decay is
``pretrain_lr_decay``. benchmarks/TIMEDART.md has the review against the official code.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from tsfm.models.diffusion_pretraining import RECONSTRUCTIONS, TimeDARTObjective
from tsfm.models.neural import NeuralForecaster
from tsfm.models.patchtst import PatchTST
from tsfm.models.pretraining import Pretraining
from tsfm.nn import FlattenHead, PatchBackbone, RevIN, n_patches
from tsfm.nn.causal import CausalEncoder
from tsfm.nn.diffusion import NOISE_SCHEDULES
from tsfm.params import FLAG, POSITIVE, RATE, SHARE, OneOf, Real, param


@dataclass
class TimeDARTConfig:
    """TimeDART architecture and pretraining (defaults: the official ETTh1 scripts).

    Parameters
    ----------
    context_length, prediction_length : int
        Lookback ``L`` (336) and horizon ``H``.
    patch_len, stride : int
        Patching (2 and 2: non-overlapping); the oldest ``(L - patch_len) % stride`` values
        are left out.
    d_model, n_heads, d_ff, n_layers : int
        The encoder (and the decoder's width, heads and feed-forward).
    dropout : float
        After the position codes, on attention outputs and in the feed-forward (encoder and
        decoder), and on the decoder's attention weights.
    attention_dropout : float
        On the encoder's attention weights. The official code drops them at ``dropout``
        (0.2); on a CPU that costs ~17x per attention layer here (the weights of 16 heads
        over 168 patches must then be formed in memory instead of streamed), so the default
        leaves them: set 0.2 for the official encoder.
    head_dropout : float
        After the forecasting head and the pretraining reconstruction head.
    revin : bool
        Normalise each context by its own statistics (``use_norm``).
    diffusion_steps : int
        Steps of the noise schedule (``time_steps``).
    noise_schedule : {"cosine", "linear"}
        The beta schedule (``scheduler``).
    decoder_layers : int
        Layers of the denoising decoder (``d_layers``).
    decoder_mask_ratio : float
        Share of the past each noised patch may not attend to in the decoder (``mask_ratio``;
        1: itself and its own position's encoder output only).
    reconstruction : {"flatten", "patch"}
        The pretraining head: the official flatten head over all tokens, or one per patch
        (see :mod:`tsfm.models.diffusion_pretraining`).
    pretrain_lr_decay : float or None
        Per-epoch learning-rate factor while pretraining (``lr_decay``, ``ExponentialLR``);
        None: ``lr_schedule``. Fine-tuning always uses ``lr_schedule``.
    mask_ratio : float
        Share of patches masked by ``pretrain(df, method="masked")``: PatchTST's objective on
        this encoder, for comparing the two on one backbone (TimeDART's own does not mask).
    """

    context_length: int = param(336, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(2, POSITIVE)
    stride: int = param(2, POSITIVE)
    d_model: int = param(32, POSITIVE)
    n_heads: int = param(16, POSITIVE)
    d_ff: int = param(64, POSITIVE)
    n_layers: int = param(2, POSITIVE)
    dropout: float = param(0.2, RATE)
    attention_dropout: float = param(0.0, RATE)
    head_dropout: float = param(0.1, RATE)
    revin: bool = param(True, FLAG)
    diffusion_steps: int = param(1000, POSITIVE)
    noise_schedule: str = param("cosine", OneOf(*NOISE_SCHEDULES))
    decoder_layers: int = param(1, POSITIVE)
    decoder_mask_ratio: float = param(1.0, SHARE)
    reconstruction: str = param("flatten", OneOf(*RECONSTRUCTIONS))
    pretrain_lr_decay: float | None = param(0.9, Real(0, 1, closed="right") | None)
    mask_ratio: float = param(0.4, Real(0, 1, closed="neither"))


@dataclass
class TimeDARTTraining:
    """The official fine-tuning settings (ETTh1): batch 16, Adam at 1e-4 on the one-cycle
    schedule (30% warm-up), 10 epochs, early stopping after 3 without improvement."""

    batch_size: int = 16
    learning_rate: float = 1e-4
    lr_schedule: str = "onecycle"
    pct_start: float = 0.3
    max_epochs: int = 10
    early_stopping_patience: int = 3


class TimeDART(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``; the backbone is what pretraining trains."""

    def __init__(self, cfg: TimeDARTConfig, n_channels: int):
        super().__init__()
        self.n_channels = n_channels
        self.revin = RevIN(n_channels) if cfg.revin else None
        n = n_patches(cfg.context_length, cfg.patch_len, cfg.stride, pad_end=False)
        encoder = CausalEncoder(
            n, cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.n_layers, cfg.dropout,
            cfg.attention_dropout,
        )  # fmt: skip
        self.backbone = PatchBackbone(
            cfg.context_length, cfg.patch_len, cfg.stride, cfg.d_model, encoder, 0.0,
            pad_end=False, positional=False,
        )  # fmt: skip
        self.head = FlattenHead(n, cfg.d_model, cfg.prediction_length, cfg.head_dropout)

    #: PatchTST's: RevIN, the channel-folded backbone, the flatten head, back to ``(B, H, C)``.
    forward = PatchTST.forward


class TimeDARTForecaster(Pretraining, NeuralForecaster):
    """TimeDART as a scikit-learn style forecaster: ``pretrain`` (self-supervised), then ``fit``.

    Hyperparameters: :class:`TimeDARTConfig` (architecture and pretraining) and
    :class:`~tsfm.training.config.TrainConfig` (training; defaults :class:`TimeDARTTraining`),
    all keyword-only. ``pretrain`` and ``fit`` share the training settings: change them in
    between with ``set_params`` (the official scripts pretrain 50 epochs without early stopping,
    then fine-tune 10 with patience 3). ``fit`` without ``pretrain`` trains from scratch.

    Examples
    --------
    >>> model = TimeDARTForecaster(context_length=96, prediction_length=24, max_epochs=5)
    >>> model.pretrain(df).fit(df).predict()  # doctest: +SKIP
    """

    config_class = TimeDARTConfig
    training_defaults = TimeDARTTraining
    pretraining_method = "timedart"

    def _build_module(self, n_channels: int) -> nn.Module:
        return self._with_pretrained_backbone(TimeDART(self._config(), n_channels))

    def _timedart_objective(self) -> TimeDARTObjective:
        cfg = self._config()
        return TimeDARTObjective(
            cfg.diffusion_steps, cfg.noise_schedule, cfg.decoder_layers, cfg.decoder_mask_ratio,
            cfg.head_dropout, cfg.reconstruction, cfg.pretrain_lr_decay,
        )  # fmt: skip

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "stride": 8,
            "d_model": 8, "n_heads": 2, "d_ff": 16, "n_layers": 1, "diffusion_steps": 50,
            "max_epochs": 2, "batch_size": 32, "learning_rate": 1e-3, "verbose": 0,
            "n_threads": 1,
        }  # fmt: skip
