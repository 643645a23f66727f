"""TimeDART pretraining (Wang et al., ICML 2025): autoregressive diffusion over patches, for any
model built on a patch backbone whose encoder takes an attention mask.

Each RevIN-normalised channel is cut into patches ``(B', N, P)`` and embedded by the backbone.

1. **Causal encoder**: the embeddings, shifted right behind a learned start token, pass the
   backbone's encoder under a causal mask, so position ``i`` summarises the clean patches
   ``0 .. i-1``.
2. **Forward diffusion**: every patch is noised independently at its own random step of the
   schedule (:class:`~tsfm.nn.diffusion.NoiseSchedule`, cosine with 1000 steps by default)
   and embedded by the same patch embedding.
3. **Denoising decoder** (:class:`~tsfm.nn.denoising.DenoisingDecoder`): the noised tokens
   attend (masked) to themselves and to the encoder outputs at or before their position.
4. **Reconstruction**: a head maps the denoised tokens back to the context, which is
   de-normalised; the loss is its mean squared error against the clean context (the diffusion
   loss of an ``x_0``-predicting denoiser).

The official code's head (``reconstruction="flatten"``) reads all tokens at once
(flatten + linear to the context length, as the forecasting head). Because token ``i + 1``'s
encoder output has seen the clean patch ``i``, that head can copy the clean past rather than
denoise it; ``reconstruction="patch"`` maps each token to its own patch only (what the paper
describes), with no such path. Only the backbone (embedding and encoder) is kept for
fine-tuning: the start token, the decoder and the head are dropped, as in the official code.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tsfm.nn import FlattenHead, PatchReconstructionHead, fold_channels, unfold_channels
from tsfm.nn.causal import causal_mask, shift_right
from tsfm.nn.denoising import DenoisingDecoder
from tsfm.nn.diffusion import NOISE_SCHEDULES, NoiseSchedule

RECONSTRUCTIONS = ("flatten", "patch")


@dataclass(frozen=True)
class TimeDARTObjective:
    """Settings of TimeDART pretraining (defaults: the official scripts').

    Parameters
    ----------
    diffusion_steps : int
        Steps ``T`` of the noise schedule (``time_steps``, 1000).
    noise_schedule : {"cosine", "linear"}
        The beta schedule (``scheduler``, cosine).
    decoder_layers : int
        Layers of the denoising decoder (``d_layers``, 1).
    decoder_mask_ratio : float
        Share of the past each noised patch may not attend to (``mask_ratio``, 1: none).
    head_dropout : float
        Dropout after the reconstruction head (``head_dropout``, 0.1).
    reconstruction : {"flatten", "patch"}
        The official flatten head over all tokens, or one linear map per token (see the module
        docstring).
    lr_decay : float or None
        Multiply the learning rate by this after every pretraining epoch (``lr_decay``, the
        official scripts' ``ExponentialLR``); None: the forecaster's ``lr_schedule``.
    """

    diffusion_steps: int = 1000
    noise_schedule: str = "cosine"
    decoder_layers: int = 1
    decoder_mask_ratio: float = 1.0
    head_dropout: float = 0.1
    reconstruction: str = "flatten"
    lr_decay: float | None = None

    def __post_init__(self):
        if self.noise_schedule not in NOISE_SCHEDULES:
            raise ValueError(f"noise_schedule must be one of {NOISE_SCHEDULES}")
        if self.reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTIONS}")
        if self.diffusion_steps < 1 or self.decoder_layers < 1:
            raise ValueError("diffusion_steps and decoder_layers must be at least 1")
        if not 0 <= self.decoder_mask_ratio <= 1:
            raise ValueError("decoder_mask_ratio must be in [0, 1]")

    def schedule(self):
        """The per-epoch exponential decay as a training-loop schedule, or None."""
        if self.lr_decay is None:
            return None
        decay = self.lr_decay
        return lambda epoch, step, steps, cfg: cfg.learning_rate * decay**epoch


def check_causal_backbone(model: nn.Module) -> None:
    """Refuse a model whose backbone encoder cannot take the causal mask."""
    encoder = model.backbone.encoder
    if "attn_mask" not in inspect.signature(encoder.forward).parameters:
        raise ValueError(
            f"TimeDART pretraining needs an encoder that takes an attention mask; "
            f"{type(encoder).__name__} does not"
        )
    if any(getattr(m, "residual", False) for m in encoder.modules()):
        raise ValueError(
            "TimeDART pretraining needs plain attention under a causal mask: set "
            "residual_attention=False"
        )


class TimeDARTPretrainer(nn.Module):
    """The TimeDART objective around a patch model (``backbone``, ``revin``).

    Parameters
    ----------
    model : nn.Module
        Has ``backbone`` (:class:`~tsfm.nn.backbone.PatchBackbone`) and ``revin``.
    context_length, d_model, n_heads, d_ff : int
        The model's lookback and Transformer shape (the decoder uses the same).
    dropout : float
        The decoder's dropout.
    objective : TimeDARTObjective
    """

    def __init__(
        self, model: nn.Module, context_length: int, d_model: int, n_heads: int, d_ff: int,
        dropout: float, objective: TimeDARTObjective,
    ):  # fmt: skip
        super().__init__()
        check_causal_backbone(model)
        self.model = model
        n = model.backbone.n_patches
        self.start = nn.Parameter(torch.randn(d_model))
        self.noise = NoiseSchedule(objective.diffusion_steps, objective.noise_schedule)
        self.decoder = DenoisingDecoder(
            n, d_model, n_heads, d_ff, objective.decoder_layers, dropout,
            objective.decoder_mask_ratio,
        )  # fmt: skip
        self.per_patch = objective.reconstruction == "patch"
        if self.per_patch:
            self.head = PatchReconstructionHead(d_model, model.backbone.patch_len)
        else:
            self.head = FlattenHead(n, d_model, context_length, objective.head_dropout)

    def reconstruct(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, L, C)`` to its denoised reconstruction and the clean values it reconstructs,
        both ``(B, M, C)`` on the input's scale: ``M = L`` (flatten head), or ``M = N * P``
        (every patch, patch head)."""
        backbone, stats, raw = self.model.backbone, None, x
        if self.model.revin is not None:
            x, stats = self.model.revin.normalize(x)
        patches = backbone.patches(fold_channels(x))  # (B*C, N, P)
        n = patches.shape[1]
        tokens = backbone.embedding(patches)
        context = backbone.encoder(shift_right(tokens, self.start), attn_mask=causal_mask(n))
        noisy, _ = self.noise(patches)
        denoised = self.decoder(backbone.embedding(noisy), context)  # (B*C, N, d_model)
        if self.per_patch:
            series = self.head(denoised).flatten(start_dim=1)  # (B*C, N*P)
            target = unfold_channels(backbone.patches(fold_channels(raw)).flatten(1), x.shape[-1])
        else:
            series, target = self.head(denoised), raw  # (B*C, L)
        y = unfold_channels(series, x.shape[-1])
        return (self.model.revin.denormalize(y, stats) if stats is not None else y), target

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, L, C)`` to the reconstruction's mean squared error (a scalar)."""
        return F.mse_loss(*self.reconstruct(x))
