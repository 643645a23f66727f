"""Self-supervised pretraining of a patch backbone, for any model built on one.

Two methods: ``"masked"`` (PatchTST's masked-patch reconstruction, :class:`MaskedPatchPretrainer`)
and ``"timedart"`` (autoregressive diffusion,
:class:`~tsfm.models.diffusion_pretraining.TimeDARTPretrainer`, which needs an encoder taking an
attention mask). A model module qualifies when it has ``backbone`` (a
:class:`~tsfm.nn.backbone.PatchBackbone`), ``revin`` (a :class:`~tsfm.nn.revin.RevIN` or
``None``) and ``d_model``/``patch_len`` in its forecaster's config. The forecaster mixes in
:class:`Pretraining` and builds its module through :meth:`Pretraining._with_pretrained_backbone`.
Pretraining runs through the one training loop; only the backbone's weights are kept.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import nn

from tsfm.models.diffusion_pretraining import (
    TimeDARTObjective,
    TimeDARTPretrainer,
    check_causal_backbone,
)
from tsfm.models.neural import torch_threads
from tsfm.nn import PatchReconstructionHead, fold_channels
from tsfm.training.loop import train


class MaskedPatchPretrainer(nn.Module):
    """Masked-patch reconstruction around a patch model's backbone.

    Patches of each RevIN-normalised channel are zeroed at random (``mask_ratio`` of them, the
    same count per series), encoded, and a linear head reconstructs every patch; the loss is the
    MSE over the masked patches only.
    """

    def __init__(self, model: nn.Module, patch_len: int, d_model: int, mask_ratio: float):
        super().__init__()
        self.model, self.mask_ratio = model, mask_ratio
        self.reconstruct = PatchReconstructionHead(d_model, patch_len)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, L, C)`` to the masked reconstruction error (a scalar)."""
        if self.model.revin is not None:
            x, _ = self.model.revin.normalize(x)
        patches = self.model.backbone.patches(fold_channels(x))  # (B*C, N, P)
        n_series, n_patches, _ = patches.shape
        n_masked = max(1, int(round(self.mask_ratio * n_patches)))
        ranks = torch.rand(n_series, n_patches).argsort(dim=1).argsort(dim=1)
        masked = ranks < n_masked  # (B*C, N)
        tokens = self.model.backbone.encode_patches(patches.masked_fill(masked[..., None], 0.0))
        error = (self.reconstruct(tokens) - patches) ** 2
        return error.mean(dim=-1)[masked].mean()


PRETRAINING_METHODS = ("masked", "timedart")


class Pretraining:
    """Mixin for a :class:`~tsfm.models.neural.NeuralForecaster`: ``pretrain`` then ``fit``."""

    #: The method ``pretrain`` uses when given none.
    pretraining_method: str = "masked"

    def pretrain(
        self, data, *, method: str | TimeDARTObjective | None = None, validation_data=None,
        fill_missing: str = "raise",
    ):  # fmt: skip
        """Self-supervised pretraining of the backbone; ``fit`` then fine-tunes from it.

        Parameters
        ----------
        data, validation_data, fill_missing
            As for ``fit``.
        method : {"masked", "timedart"} or TimeDARTObjective, optional
            Masked-patch reconstruction, or TimeDART (its official settings, or the given
            :class:`~tsfm.models.diffusion_pretraining.TimeDARTObjective`); default
            ``pretraining_method``.

        Uses the same training settings as ``fit`` (epochs, batch, learning rate, schedule,
        validation; a TimeDART objective's ``lr_decay`` replaces the schedule) and sets
        ``pretrained_backbone_`` and ``pretrain_history_``. With ``checkpoint_dir``, its
        checkpoints go to the subfolder ``pretrain``, apart from the fine-tuning's. Returns
        ``self``.
        """
        from tsfm.data.frames import to_panel

        method = self.pretraining_method if method is None else method
        if isinstance(method, str) and method not in PRETRAINING_METHODS:
            choices = f"{list(PRETRAINING_METHODS)} or a TimeDARTObjective"
            raise ValueError(f"unknown pretraining method {method!r}; choose from {choices}")
        panel = to_panel(data, fill_missing=fill_missing)
        validation = (
            None
            if validation_data is None
            else to_panel(validation_data, spec=panel.spec, fill_missing=fill_missing)
        )
        self._check_panel(panel)
        cfg = self._train_config()
        if cfg.checkpoint_dir:  # apart from the fine-tuning's checkpoints in the same folder
            folder = str(Path(cfg.checkpoint_dir) / "pretrain")
            cfg = dataclasses.replace(cfg, checkpoint_dir=folder)
        with torch_threads(cfg.n_threads):
            train_windows, val_windows = self._training_windows(panel, validation)
            torch.manual_seed(cfg.random_state)
            self.pretrained_backbone_ = None
            model = self._build_module(panel.n_channels)
            pretrainer, schedule = self._pretrainer(model, method)
            self.pretrain_history_ = train(
                pretrainer,
                train_windows,
                val_windows,
                cfg,
                schedule=schedule,
                step_fn=lambda m, x, y: m(x),
                settings={
                    **self.get_params(deep=False),
                    "stage": "pretrain",
                    "method": repr(method),
                },  # fmt: skip
            )
        self.pretrained_backbone_ = {k: v.clone() for k, v in model.backbone.state_dict().items()}
        return self

    def _pretrainer(self, model: nn.Module, method) -> tuple[nn.Module, object]:
        """The pretraining module around ``model`` and its learning-rate schedule (None: the
        forecaster's)."""
        arch = self._config()
        if method == "masked":
            if not hasattr(arch, "mask_ratio"):
                raise ValueError(f"{type(self).__name__} has no masked-patch pretraining")
            return MaskedPatchPretrainer(model, arch.patch_len, arch.d_model, arch.mask_ratio), None
        check_causal_backbone(model)
        objective = self._timedart_objective() if method == "timedart" else method
        pretrainer = TimeDARTPretrainer(
            model, arch.context_length, arch.d_model, arch.n_heads, arch.d_ff, arch.dropout,
            objective,
        )  # fmt: skip
        return pretrainer, objective.schedule()

    def _timedart_objective(self) -> TimeDARTObjective:
        """The objective of ``method="timedart"``: the official settings, unless the model
        has its own."""
        return TimeDARTObjective()

    def _with_pretrained_backbone(self, module: nn.Module) -> nn.Module:
        """``module`` with the pretrained backbone weights loaded, if :meth:`pretrain` ran."""
        backbone = getattr(self, "pretrained_backbone_", None)
        if backbone is not None:
            module.backbone.load_state_dict(backbone)
        return module


#: The former name of :class:`Pretraining`.
MaskedPatchPretraining = Pretraining
