"""Training hyperparameters shared by every neural forecaster, and the named schedules/losses.

A schedule is a function ``(epoch, step_in_epoch, steps_per_epoch, config) -> learning rate``,
a loss ``(prediction, target) -> scalar``; both are looked up by name, so a forecaster chooses
them with ``lr_schedule="onecycle"`` or ``loss="mae"`` and models may register their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tsfm.params import FLAG, POSITIVE, RATE, Folder, Integer, OneOf, Real, param


def _constant(epoch, step, steps_per_epoch, cfg):
    return cfg.learning_rate


def _halve(epoch, step, steps_per_epoch, cfg):
    """The scripts' ``type1``: set after each epoch to ``lr * 0.5 ** (done - 1)`` for ``done``
    epochs run, so epochs 0 and 1 both run at the base rate and each later one at half the
    previous one's."""
    return cfg.learning_rate * 0.5 ** max(0, epoch - 1)


def _decay(epoch, step, steps_per_epoch, cfg):
    return cfg.learning_rate * 0.9 ** max(0, epoch - 3)


def _sigmoid(epoch, step, steps_per_epoch, cfg):
    """xPatch's schedule, ``k = 0.5, s = 10, w = 10``; epoch 0 runs at the base rate, epoch
    ``e >= 1`` at ``lr/(1+exp(-k(e-w))) - lr/(1+exp(-(k/s)(e-w s)))`` (as the official code,
    which sets each epoch's rate after the previous one)."""
    if epoch == 0:
        return cfg.learning_rate
    k, s, w, lr = 0.5, 10.0, 10.0, cfg.learning_rate
    return lr / (1 + math.exp(-k * (epoch - w))) - lr / (1 + math.exp(-k / s * (epoch - w * s)))


def arctan_weights(horizon: int) -> torch.Tensor:
    """xPatch's horizon weights ``rho(i) = -arctan(i) + pi/4 + 1`` for ``i = 1..H``."""
    i = torch.arange(1, horizon + 1, dtype=torch.float64)
    return (-torch.atan(i) + math.pi / 4 + 1).float()


def arctan_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error of ``rho * prediction`` and ``rho * target`` over ``(B, H, C)``."""
    rho = arctan_weights(prediction.shape[1]).to(prediction.dtype)[None, :, None]
    return F.l1_loss(prediction * rho, target * rho)


def _onecycle(epoch, step, steps_per_epoch, cfg):
    """torch's OneCycleLR (cos annealing, div_factor 25, final_div_factor 1e4) as a function."""
    total = cfg.max_epochs * steps_per_epoch
    now = epoch * steps_per_epoch + step
    warm = max(1.0, cfg.pct_start * total - 1)
    start, peak = cfg.learning_rate / 25, cfg.learning_rate
    end = start / 1e4

    def anneal(a, b, p):
        return b + (a - b) / 2 * (1 + math.cos(math.pi * min(1.0, p)))

    if now <= warm:
        return anneal(start, peak, now / warm)
    return anneal(peak, end, (now - warm) / max(1.0, total - 1 - warm))


SCHEDULES: dict[str, Callable[[int, int, int, TrainConfig], float]] = {
    "constant": _constant,
    "halve": _halve,
    "decay": _decay,
    "onecycle": _onecycle,
    "sigmoid": _sigmoid,
}

LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "arctan": arctan_loss,
}

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}


@dataclass
class TrainConfig:
    """How a neural forecaster trains (and the few settings of how it predicts).

    Parameters
    ----------
    max_epochs : int
        Passes over the training windows; 0 (no training) only with ``init_weights``.
    batch_size : int
        Windows per optimiser step (the global batch under torch.distributed).
    batches_per_epoch : int or None
        Steps per epoch, each on a fresh random draw of windows (as gluonts'
        ``num_batches_per_epoch``); None: one pass over every training window.
    drop_last : bool
        In a pass over every training window, leave out the last incomplete batch (a random
        remainder, drawn anew each epoch), as the official LTSF training loaders do
        (``drop_last=True``); False trains on it too.
    learning_rate : float
        Peak learning rate.
    lr_schedule : str
        A name in :data:`SCHEDULES`: ``"constant"``; ``"onecycle"`` (per step, cosine, warm-up
        over the first ``pct_start`` of all steps, the LTSF scripts' ``TST`` option);
        ``"decay"`` (per epoch: constant for 4 epochs, then times 0.9 each epoch, the LTSF scripts'
        ``type3`` default); ``"halve"`` (per epoch: the base rate for 2 epochs, then halved
        every epoch, the scripts' ``type1``); ``"sigmoid"`` (per epoch, xPatch's warm-up then
        decay).
    pct_start : float
        Warm-up share of the one-cycle schedule.
    optimizer : {"adam", "adamw", "sgd"}
        A name in :data:`OPTIMIZERS`.
    weight_decay : float
    loss : str
        A name in :data:`LOSSES` (``"mse"``, ``"mae"``, ``"arctan"``: xPatch's
        horizon-weighted MAE, see :func:`arctan_loss`). Validation uses the same loss.
    gradient_clip : float or None
        Clip the global gradient norm to this value.
    early_stopping_patience : int or None
        Stop after this many epochs without a better validation loss; the best weights are
        restored. None trains all epochs (the best weights are still restored).
    validation_size : float
        When no validation frame is given to ``fit``: the share, in [0, 1), of each series'
        last time steps whose windows validate (0 disables validation).
    random_state : int or None
        Seeds weight initialisation, shuffling, dropout and sampling: same seed, same model.
        None: unseeded, a fresh seed at every fit (:func:`seed_of`).
    verbose : int or bool
        0 silent; 1 a progress bar over epochs.
    n_threads : int or None
        torch threads while fitting and predicting; default torch's own count (which
        ``OMP_NUM_THREADS`` sets, and joblib sets in its workers), at most the cores this
        process may use.
    checkpoint_dir : str or None
        Write a checkpoint after every epoch; a later ``fit`` with the same settings resumes
        from it (an interrupted fit continues where it stopped). The checkpoint records the
        data's sha256, the architecture and the settings: a ``fit`` with other data or other
        settings (any but ``max_epochs``, ``early_stopping_patience``, ``verbose`` and
        ``n_threads``) is refused, naming the folder.
    init_weights : str or None
        A weights folder (``weights.safetensors`` + ``config.json``, e.g. a pretrained model)
        to start from: ``fit`` fine-tunes it, or with ``max_epochs=0`` uses it as it is.
    calibrate_intervals : bool
        Probabilistic models only: after training, fit one factor scaling the samples' spread
        around their median on the validation windows (see :mod:`tsfm.models.calibration`).
    recursive : bool
        Forecast beyond ``prediction_length`` by rolling forward: the first
        ``prediction_length`` steps are forecast, appended to the context, and the next ones
        forecast from it, until the horizon is reached (a flow head rolls each sample path
        from its own past). Errors compound with every roll; models with covariates cannot
        roll (their values beyond the horizon are unknown). False (default): a longer
        horizon is refused. Models that reach any horizon by themselves ignore it.
    """

    max_epochs: int = param(100, Integer(0))
    batch_size: int = param(128, POSITIVE)
    batches_per_epoch: int | None = param(None, POSITIVE | None)
    drop_last: bool = param(False, FLAG)
    learning_rate: float = param(1e-4, Real(0, None, closed="neither"))
    lr_schedule: str = param("constant", OneOf(SCHEDULES))
    pct_start: float = param(0.3, Real(0, 1, closed="neither"))
    optimizer: str = param("adam", OneOf(OPTIMIZERS))
    weight_decay: float = param(0.0, Real(0, None))
    loss: str = param("mse", OneOf(LOSSES))
    gradient_clip: float | None = param(None, Real(0, None, closed="neither") | None)
    early_stopping_patience: int | None = param(10, POSITIVE | None)
    validation_size: float = param(0.1, RATE)
    random_state: int | None = param(0, Integer(0, 2**63 - 1) | None)
    verbose: int = param(1, Integer(0) | FLAG)
    n_threads: int | None = param(None, POSITIVE | None)
    checkpoint_dir: str | None = param(None, Folder() | None)
    init_weights: str | None = param(None, Folder() | None)
    calibrate_intervals: bool = param(False, FLAG)
    recursive: bool = param(False, FLAG)


def seed_of(random_state: int | None) -> int:
    """``random_state`` itself, or for None (unseeded, scikit-learn's convention) a fresh
    random seed."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    return int(random_state)


def lookup(table: dict, name: str, what: str):
    """``table[name]`` with an error listing the choices."""
    if name not in table:
        raise ValueError(f"unknown {what} {name!r}; choose from {sorted(table)}")
    return table[name]
