"""EntroPE (Abeywickrama et al., "EntroPE: Entropy-Guided Dynamic Patch Encoder for Time Series
Forecasting", 2025; official code Sachithx/EntroPE).

Each channel is its own series (channel independence), normalised by RevIN. Patches follow the
series instead of fixed offsets:

1. Entropy model: the normalised context is quantised into tokens
   (:func:`~tsfm.nn.entropy.quantize`) and a small causal Transformer
   (:class:`~tsfm.nn.entropy.CausalTokenModel`) gives the entropy of the next token after every
   step. ``fit`` trains it first, on next-token cross-entropy over the training windows'
   contexts, and then freezes it (the official code trains it in a separate script).
2. Entropy-based Dynamic Patcher: a patch starts after a step whose entropy crosses a quantile
   of the context's entropies or jumps over the previous step's
   (:func:`~tsfm.nn.varpatch.entropy_starts`); long patches are cut and the count is bounded
   (:func:`~tsfm.nn.varpatch.bound_patches`).
3. Adaptive Patch Encoder: token embeddings go through a causal local Transformer; each patch's
   steps are max-pooled into a query refined by cross-attention over its steps
   (:class:`~tsfm.nn.varpatch.VariablePatchEncoder`), one fixed-size embedding per patch.
4. A causal global Transformer over the patch embeddings, with relative positions
   (:class:`~tsfm.nn.relative.RelativePositionBias`).
5. Fusion and head: every step's local state plus (a linear map of) its patch's global state,
   a causal Transformer over the steps, then a flatten + linear head to the horizon.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from tsfm.models.neural import NeuralForecaster, torch_threads
from tsfm.nn import FlattenHead, RevIN, TransformerEncoder, fold_channels, unfold_channels
from tsfm.nn.entropy import CausalTokenModel, causal_mask, quantize
from tsfm.nn.relative import RelativePositionBias
from tsfm.nn.varpatch import VariablePatchEncoder, bound_patches, entropy_starts, patch_index
from tsfm.params import FLAG, POSITIVE, RATE, Integer, Real, param
from tsfm.training.loop import train

EPS = 1e-5  # RevIN's
ENTROPY_PATIENCE = 5  # the official entropy model's early stopping (train_entropy_model.py)


@dataclass
class EntroPEConfig:
    """EntroPE architecture and patching (defaults: the official ETTh1 script at horizon 96).

    Parameters
    ----------
    context_length, prediction_length : int
        Lookback ``L`` and horizon ``H``.
    n_tokens : int
        Quantisation bins (the entropy model's vocabulary).
    quant_range : float
        The bins cover ``[-quant_range, quant_range]`` times each context's mean absolute value.
    entropy_d_model, entropy_heads, entropy_layers : int
        The entropy model's width, heads and depth.
    entropy_dropout : float
        The entropy model's dropout (while it trains).
    entropy_epochs : int
        Epochs of the entropy model's training, before the forecaster's.
    entropy_learning_rate : float
        Its (constant) learning rate.
    entropy_quantile : float, optional
        A patch starts after a step whose entropy exceeds this quantile of the context's.
    entropy_jump : float, optional
        A patch starts after a step whose entropy exceeds the previous step's by this (nats).
    max_patch_len : int, optional
        Longer patches are cut.
    min_patches, max_patches : int
        Bounds on the patches per context (``max_patches`` None: ``L``).
    patch_window : int
        A patch's embedding reads the steps of its own patch and the ``patch_window - 1``
        before it.
    d_model, n_heads, d_ff, n_layers : int
        Width, heads, feed-forward width and depth of the local, global and fusion
        Transformers.
    dropout : float
        Dropout of the embeddings, attention and feed-forward.
    head_dropout : float
        Dropout after the head.
    revin, revin_affine : bool
        Reversible instance normalisation, with learnable affine parameters.
    """

    context_length: int = param(96, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    n_tokens: int = param(256, Integer(2))
    quant_range: float = param(3.0, Real(0, None, closed="neither"))
    entropy_d_model: int = param(32, POSITIVE)
    entropy_heads: int = param(4, POSITIVE)
    entropy_layers: int = param(2, POSITIVE)
    entropy_dropout: float = param(0.1, RATE)
    entropy_epochs: int = param(10, POSITIVE)
    entropy_learning_rate: float = param(1e-3, Real(0, None, closed="neither"))
    entropy_quantile: float | None = param(None, Real(0, 1, closed="neither") | None)
    entropy_jump: float | None = param(0.25, Real(0, None) | None)
    max_patch_len: int | None = param(48, POSITIVE | None)
    min_patches: int = param(1, POSITIVE)
    max_patches: int | None = param(None, POSITIVE | None)
    patch_window: int = param(96, POSITIVE)
    d_model: int = param(8, POSITIVE)
    n_heads: int = param(1, POSITIVE)
    d_ff: int = param(256, POSITIVE)
    n_layers: int = param(1, POSITIVE)
    dropout: float = param(0.1, RATE)
    head_dropout: float = param(0.1, RATE)
    revin: bool = param(True, FLAG)
    revin_affine: bool = param(True, FLAG)


def context_tokens(x: torch.Tensor, n_tokens: int, quant_range: float) -> torch.Tensor:
    """Tokens of every channel of ``x (B, L, C)``, ``(B*C, L)``: each channel standardised by
    its own mean and deviation (RevIN's statistics, without its affine map), then quantised."""
    mean = x.mean(dim=1, keepdim=True)
    std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + EPS)
    return quantize(fold_channels((x - mean) / std), n_tokens, quant_range)


class EntroPE(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``; the entropy model is ``entropy_model``."""

    def __init__(self, cfg: EntroPEConfig, n_channels: int):
        super().__init__()
        L, d, h = cfg.context_length, cfg.d_model, cfg.n_heads
        self.cfg, self.n_channels = cfg, n_channels
        self.revin = RevIN(n_channels, affine=cfg.revin_affine) if cfg.revin else None
        self.entropy_model = CausalTokenModel(
            cfg.n_tokens, L, cfg.entropy_d_model, cfg.entropy_heads, cfg.entropy_layers,
            cfg.entropy_dropout,
        )  # fmt: skip
        self.embed = nn.Embedding(cfg.n_tokens, d)
        self.positions = nn.Parameter(torch.empty(L, d).uniform_(-0.02, 0.02))
        self.dropout = nn.Dropout(cfg.dropout)

        def transformer() -> TransformerEncoder:
            return TransformerEncoder(
                d, h, cfg.d_ff, cfg.n_layers, cfg.dropout, "layer", False, pre_norm=True
            )

        self.local = transformer()
        self.patch_encoder = VariablePatchEncoder(d, h, cfg.n_layers, cfg.dropout, cfg.patch_window)
        self.patch_bias = RelativePositionBias(d, h)
        self.global_transformer = transformer()
        self.fuse = nn.Linear(d, d)
        self.decoder = transformer()
        self.head = FlattenHead(L, d, cfg.prediction_length, cfg.head_dropout)

    def train(self, mode: bool = True) -> EntroPE:
        """Train mode for everything but the (frozen) entropy model."""
        super().train(mode)
        self.entropy_model.eval()
        return self

    @torch.no_grad()
    def patch_starts(self, tokens: torch.Tensor) -> torch.Tensor:
        """The Entropy-based Dynamic Patcher: starts ``(B', L)`` of tokens ``(B', L)``."""
        cfg = self.cfg
        entropy = self.entropy_model.entropy(tokens)
        starts = entropy_starts(entropy, cfg.entropy_quantile, cfg.entropy_jump)
        strength = nn.functional.pad(entropy[:, :-1], (1, 0))  # the entropy before each step
        return bound_patches(starts, strength, cfg.max_patch_len, cfg.min_patches, cfg.max_patches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        tokens = context_tokens(x, cfg.n_tokens, cfg.quant_range)  # (B', L)
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        index = patch_index(self.patch_starts(tokens))  # (B', L)
        n_slots = int(index[:, -1].max()) + 1  # trailing empty slots change nothing: causal
        L = tokens.shape[1]
        steps = self.dropout(self.embed(tokens) + self.positions[:L])  # (B', L, d)
        steps = self.local(steps, attn_mask=causal_mask(L, x.device))
        patches, _ = self.patch_encoder(steps, index, n_slots)  # (B', P, d)
        bias = self.patch_bias(n_slots).to(patches.dtype)
        bias = bias.masked_fill(~causal_mask(n_slots, x.device), float("-inf"))
        patches = self.global_transformer(patches, attn_mask=bias)
        own = patches.gather(1, index[..., None].expand(-1, -1, patches.shape[-1]))  # (B', L, d)
        steps = self.decoder(steps + self.fuse(own), attn_mask=causal_mask(L, x.device))
        y = unfold_channels(self.head(steps), self.n_channels)
        return self.revin.denormalize(y, stats) if stats is not None else y


class EntropyModelTraining(nn.Module):
    """The entropy model's training objective: ``x (B, L, C)`` to the next-token loss."""

    def __init__(self, model: CausalTokenModel, n_tokens: int, quant_range: float):
        super().__init__()
        self.model, self.n_tokens, self.quant_range = model, n_tokens, quant_range

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.loss(context_tokens(x, self.n_tokens, self.quant_range))


class EntroPEForecaster(NeuralForecaster):
    """EntroPE as a scikit-learn style forecaster.

    Hyperparameters: :class:`EntroPEConfig` (architecture and patching) and
    :class:`~tsfm.training.config.TrainConfig` (training), all keyword-only. ``fit`` trains the
    entropy model (``entropy_epochs``, ``entropy_learning_rate``, early stopping after 5
    epochs without improvement as the official script, the other training settings shared; its
    per-epoch history in ``entropy_history_``), freezes it, and trains the forecaster. The
    official scripts' settings are the ``entrope`` (ETTh1) and ``entrope_etth2``
    configurations of ``tsfm benchmark``.

    Examples
    --------
    >>> model = EntroPEForecaster(context_length=96, prediction_length=24, max_epochs=5)
    >>> model.fit(df).predict()  # doctest: +SKIP
    """

    config_class = EntroPEConfig

    def _build_module(self, n_channels: int) -> nn.Module:
        module = EntroPE(self._config(), n_channels)
        state = getattr(self, "entropy_model_", None)
        if state is not None:
            module.entropy_model.load_state_dict(state)
        return module

    def _fit(self, panel, validation=None) -> None:
        self.entropy_model_ = None
        if self.max_epochs:
            self.entropy_model_ = self._train_entropy_model(panel, validation)
        super()._fit(panel, validation)

    def _train_entropy_model(self, panel, validation) -> dict[str, torch.Tensor]:
        """Train the entropy model on the training windows' contexts; its weights."""
        arch = self._config()
        cfg = dataclasses.replace(
            self._train_config(), max_epochs=arch.entropy_epochs, lr_schedule="constant",
            learning_rate=arch.entropy_learning_rate, calibrate_intervals=False,
            early_stopping_patience=ENTROPY_PATIENCE,
        )  # fmt: skip
        if cfg.checkpoint_dir:  # apart from the forecaster's checkpoints
            cfg = dataclasses.replace(cfg, checkpoint_dir=str(Path(cfg.checkpoint_dir) / "entropy"))
        with torch_threads(cfg.n_threads):
            train_windows, val_windows = self._training_windows(panel, validation)
            torch.manual_seed(cfg.random_state)
            model = CausalTokenModel(
                arch.n_tokens, arch.context_length, arch.entropy_d_model, arch.entropy_heads,
                arch.entropy_layers, arch.entropy_dropout,
            )  # fmt: skip
            objective = EntropyModelTraining(model, arch.n_tokens, arch.quant_range)
            self.entropy_history_ = train(
                objective, train_windows, val_windows, cfg,
                step_fn=lambda m, x, y: m(x[..., : panel.n_channels]),
                settings={**self.get_params(deep=False), "stage": "entropy"},
            )  # fmt: skip
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "n_tokens": 32,
            "entropy_d_model": 8, "entropy_heads": 2, "entropy_layers": 1, "entropy_epochs": 1,
            "max_patch_len": 12, "d_model": 8, "n_heads": 2, "d_ff": 16, "max_epochs": 2,
            "batch_size": 32, "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip
