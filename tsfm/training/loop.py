"""The one training loop of every neural forecaster.

Shuffled mini-batches of windows (the last, smaller batch is kept; a large batch computed in
parts of :data:`SEQUENCES_PER_PASS` channel series whose gradients add up), a named learning-rate
schedule, optional gradient clipping, validation after every epoch with early stopping and
restore of the best weights, a clear error on a non-finite loss, a checkpoint after every epoch
that a later call resumes from, and data parallelism under ``torch.distributed`` (DDP; each rank
takes every ``world``-th window of the global batch, rank 0 logs and writes checkpoints).

A checkpoint records the fingerprint of its run: the sha256 of the training and validation
windows, the network's parameter shapes and the settings. Resuming from it with other data,
another architecture or other settings is refused, naming the folder and what differs (only
the settings in :data:`RESUMABLE`, e.g. more epochs, may change between a fit and its resume).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from tsfm.params import ADDED_PARAMS
from tsfm.progress import progress_bar
from tsfm.training.config import LOSSES, OPTIMIZERS, SCHEDULES, TrainConfig, lookup
from tsfm.training.windows import WindowSet

CHECKPOINT = "checkpoint.pt"
#: Channel series per forward pass: a batch of more is computed in parts whose gradients add up
#: (the step is the same mean; BatchNorm's batch statistics come from each part, its running
#: statistics move by one step's worth per batch). Small
#: parts keep the activations in cache: the speed benchmark's model steps 15% faster at 2
#: threads and holds a quarter of the activations (benchmarks/SPEED.md).
SEQUENCES_PER_PASS = 128
#: Settings a resumed fit may change: they do not alter what the epochs already run did.
RESUMABLE = (
    "max_epochs", "early_stopping_patience", "verbose", "n_threads", "checkpoint_dir", "recursive"
)  # fmt: skip


def _world() -> tuple[int, int]:
    """Rank and world size; joins the process group ``torchrun`` describes if none is open."""
    if not dist.is_available():
        return 0, 1
    if not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("gloo")  # CPU; torchrun sets MASTER_ADDR/PORT, RANK, WORLD_SIZE
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def make_optimizer(module: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer of ``cfg.optimizer``; Adam and AdamW use torch's fused kernel, which
    updates every parameter in one pass (a 30% shorter step for an 8M-parameter Transformer at
    batch 4 on one core, where the per-parameter loop dominates)."""
    optimizer = lookup(OPTIMIZERS, cfg.optimizer, "optimizer")
    fused = {"fused": True} if cfg.optimizer in ("adam", "adamw") else {}
    return optimizer(
        module.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay, **fused
    )


@torch.inference_mode()
def mean_loss(module: nn.Module, windows: WindowSet, step_fn: Callable, batch_size: int) -> float:
    """Average of ``step_fn(module, x, y)`` over every window (batches weighted by size), in
    eval mode."""
    was_training = module.training
    module.eval()
    total, count = 0.0, 0
    for start in range(0, len(windows), batch_size):
        index = torch.arange(start, min(start + batch_size, len(windows)))
        x, y = windows.batch(index)
        total += float(step_fn(module, x, y)) * len(index)
        count += len(index)
    module.train(was_training)
    return total / max(count, 1)


def train(
    module: nn.Module,
    train_windows: WindowSet,
    val_windows: WindowSet | None,
    cfg: TrainConfig,
    *,
    loss_fn: Callable | None = None,
    schedule: Callable | None = None,
    step_fn: Callable | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
    settings: dict | None = None,
) -> list[dict]:
    """Train ``module`` in place and return the per-epoch history.

    Parameters
    ----------
    module : nn.Module
        Maps ``x (B, L, C)`` to ``(B, H, C)``.
    train_windows, val_windows : WindowSet
        Training windows, and validation windows (None: no validation, the last epoch wins).
    cfg : TrainConfig
    loss_fn, schedule : callable, optional
        Override the ones ``cfg`` names (models with their own loss or schedule).
    step_fn : callable, optional
        ``step_fn(module, x, y) -> loss`` replacing ``loss_fn(module(x), y)``, in training and
        validation (e.g. masked pretraining, whose module returns its loss).
    on_epoch_end : callable, optional
        Called with the finished epoch's index after its checkpoint is written.
    settings : dict, optional
        What defines the run besides the data and the network's parameter shapes (e.g. the
        forecaster's hyperparameters); default the fields of ``cfg``. Recorded with a checkpoint
        (less :data:`RESUMABLE`): resuming with other settings is refused.

    Returns
    -------
    list of dict
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``lr``, ``train_seconds`` (the
        training pass), ``train_windows``, ``step_seconds_median`` (one optimiser step, data
        gather included) and ``seconds`` (with validation).
    """
    rank, world = _world()
    loss_fn = loss_fn or lookup(LOSSES, cfg.loss, "loss")
    schedule = schedule or lookup(SCHEDULES, cfg.lr_schedule, "lr_schedule")
    if len(train_windows) == 0:
        raise ValueError("no training window: the series are shorter than context + horizon")
    torch.manual_seed(cfg.random_state)
    generator = torch.Generator().manual_seed(cfg.random_state)
    model = module
    if world > 1:
        # Some parameters get no gradient in some modules (a pretraining objective leaves the
        # forecasting head alone; TimeDART's decoder at mask_ratio 1 never reads its queries)
        model = nn.parallel.DistributedDataParallel(module, find_unused_parameters=True)
    optimizer = make_optimizer(module, cfg)
    steps = cfg.batches_per_epoch or _steps_per_pass(len(train_windows), cfg)
    state = {"epoch": 0, "best_val": math.inf, "bad_epochs": 0, "history": []}
    best_weights = None
    path = Path(cfg.checkpoint_dir) / CHECKPOINT if cfg.checkpoint_dir else None
    if path is not None and path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"checkpoint_dir {str(path.parent)!r} is a file, not a folder")
    fingerprint = None
    if path is not None:
        fingerprint = run_fingerprint(module, train_windows, val_windows, settings or cfg)
    if path is not None and path.exists():
        saved = torch.load(path, weights_only=True)
        _check_resume(path, saved.get("fingerprint"), fingerprint)
        try:
            module.load_state_dict(saved["module"])
        except RuntimeError as error:  # only a checkpoint without fingerprint gets here
            raise ValueError(
                f"checkpoint_dir {str(path.parent)!r}: its checkpoint does not fit this network "
                f"({str(error).splitlines()[-1].strip()}); pass another checkpoint_dir"
            ) from None
        optimizer.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["torch_rng"])
        best_weights = saved["best_weights"]
        state = {k: saved[k] for k in state}
        state["history"] = [dict(h) for h in saved["history"]]
    step_fn = step_fn or (lambda m, x, y: loss_fn(m(x), y))
    bar = progress_bar(
        range(state["epoch"], cfg.max_epochs),
        disable=cfg.verbose == 0 or rank != 0,
        desc="epochs",
        initial=state["epoch"],
        total=cfg.max_epochs,
    )
    module.train()
    patience = cfg.early_stopping_patience
    stopped = patience is not None and state["bad_epochs"] >= patience  # resumed after a stop
    for epoch in [] if stopped else bar:
        start, running, seen, seen_global = time.perf_counter(), 0.0, 0, 0
        step_times = []
        wanted = steps * cfg.batch_size if cfg.batches_per_epoch else None
        order = _epoch_order(len(train_windows), wanted, generator)
        for step in range(steps):
            step_start = time.perf_counter()
            batch = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            local = batch[rank::world]
            lr = schedule(epoch, step, steps, cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = train_windows.batch(local)
            optimizer.zero_grad(set_to_none=True)
            # Weight by the local share so that DDP's gradient average is the global-batch mean.
            loss = _accumulate_gradients(model, step_fn, x, y, len(local) * world / len(batch))
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"the training loss became {float(loss)} at epoch {epoch + 1}, "
                    f"step {step + 1}; lower learning_rate, set gradient_clip, or check the "
                    "input for extreme values"
                )
            if cfg.gradient_clip:
                nn.utils.clip_grad_norm_(module.parameters(), cfg.gradient_clip)
            optimizer.step()
            running += float(loss) * len(local)
            seen += len(local)
            seen_global += len(batch)
            step_times.append(time.perf_counter() - step_start)
        record = {
            "epoch": epoch + 1,
            "train_loss": running / seen,
            "lr": lr,
            "train_seconds": time.perf_counter() - start,
            "train_windows": seen_global,
            "step_seconds_median": float(np.median(step_times)),
        }
        if val_windows is not None and len(val_windows):
            val = mean_loss(module, val_windows, step_fn, cfg.batch_size)  # bounded memory
            record["val_loss"] = val
            if val < state["best_val"]:
                state["best_val"], state["bad_epochs"] = val, 0
                best_weights = copy.deepcopy(module.state_dict())
            else:
                state["bad_epochs"] += 1
        record["seconds"] = time.perf_counter() - start
        state["history"].append(record)
        state["epoch"] = epoch + 1
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k.endswith("loss")})
        if path is not None and rank == 0:
            _save_checkpoint(path, module, optimizer, generator, best_weights, state, fingerprint)
        if on_epoch_end is not None:
            on_epoch_end(epoch)
        if patience is not None and state["bad_epochs"] >= patience:
            break
    bar.close()
    if best_weights is not None:
        module.load_state_dict(best_weights)
    module.eval()
    return state["history"]


def micro_batches(x, sequences: int | None = None) -> int:
    """How many parts a batch ``x (B, L, C)`` is computed in: about ``sequences`` channel
    series (``B * C``) per part (default :data:`SEQUENCES_PER_PASS`); 1 for other inputs
    (tuples, as the zero-shot corpus gives)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        return 1
    sequences = sequences or SEQUENCES_PER_PASS
    return max(1, min(len(x), math.ceil(len(x) * x.shape[-1] / sequences)))


def _accumulate_gradients(model, step_fn: Callable, x, y, weight: float) -> torch.Tensor:
    """Backpropagate ``weight * step_fn(model, x, y)`` in :func:`micro_batches` parts, each
    weighted by its share of the batch (so the gradient is the batch mean's); returns the
    batch's loss, detached. Under DDP the gradients are averaged once, after the last part.

    A module whose loss is not a mean over windows says so (``batch_mean_loss = False``) and
    gets its batch whole. BatchNorm's running statistics move by one step's worth per batch:
    each of ``parts`` updates uses the momentum ``1 - (1 - m) ** (1 / parts)``."""
    core = model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
    parts = micro_batches(x) if getattr(core, "batch_mean_loss", True) else 1
    xs, ys = (x.tensor_split(parts), y.tensor_split(parts)) if parts > 1 else ([x], [y])
    total = torch.zeros(())
    with _momentum_per_part(core, parts):
        for i, (x_part, y_part) in enumerate(zip(xs, ys, strict=True)):
            last = i == parts - 1
            syncing = last or core is model
            share = len(x_part) / len(x) if parts > 1 else 1.0
            with contextlib.nullcontext() if syncing else model.no_sync():
                loss = step_fn(model, x_part, y_part)
                if not torch.isfinite(loss):
                    return loss.detach()
                (loss * (weight * share)).backward()
            total += loss.detach() * share
    return total


@contextlib.contextmanager
def _momentum_per_part(module: nn.Module, parts: int):
    """BatchNorm momentum ``m`` as ``1 - (1 - m) ** (1 / parts)`` while a batch runs in parts."""
    if parts == 1:  # the usual step: no walk over the modules
        yield
        return
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [norm.momentum for norm in norms]
    for norm in norms:
        if norm.momentum is not None:  # None: a cumulative average, already per update
            norm.momentum = 1 - (1 - norm.momentum) ** (1 / parts)
    try:
        yield
    finally:
        for norm, momentum in zip(norms, saved, strict=True):
            norm.momentum = momentum


def _epoch_order(n_windows: int, wanted: int | None, generator: torch.Generator) -> torch.Tensor:
    """A random order of all windows, or ``wanted`` windows drawn from successive orders."""
    order = torch.randperm(n_windows, generator=generator)
    if wanted is None:
        return order
    while len(order) < wanted:
        order = torch.cat([order, torch.randperm(n_windows, generator=generator)])
    return order[:wanted]


def run_fingerprint(
    module: nn.Module, train_windows: WindowSet, val_windows: WindowSet | None, settings
) -> str:
    """What a checkpoint must match to be resumed from, as JSON: the windows' sha256, the
    network's parameter names and shapes, and the settings (a dict or a dataclass such as
    :class:`TrainConfig`) less :data:`RESUMABLE`.

    Returns
    -------
    str
        JSON with keys ``data``, ``architecture`` and ``settings``.
    """
    if dataclasses.is_dataclass(settings):
        settings = dataclasses.asdict(settings)
    kept = {k: v for k, v in settings.items() if k not in RESUMABLE}
    return json.dumps(
        {
            "data": {"train": _digest(train_windows), "validation": _digest(val_windows)},
            "architecture": {k: list(v.shape) for k, v in module.state_dict().items()},
            "settings": kept,
        },
        sort_keys=True,
        default=str,
    )


def _digest(windows) -> str | None:
    """sha256 of a window set: its ``digest()`` (:meth:`WindowSet.digest`), else of the arrays
    and scalars it holds as attributes (any other window source, e.g. pre-drawn windows)."""
    if windows is None:
        return None
    if hasattr(windows, "digest"):
        return windows.digest()
    h = hashlib.sha256(type(windows).__qualname__.encode())
    for name, value in sorted(vars(windows).items()):
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray) and value.dtype != object:
            h.update(f"{name}{value.shape}{value.dtype}".encode())
            h.update(np.ascontiguousarray(value).data)
        elif isinstance(value, (int, float, str, bool)):
            h.update(f"{name}={value!r}".encode())
    return h.hexdigest()


def _steps_per_pass(n_windows: int, cfg: TrainConfig) -> int:
    """Optimiser steps of one pass over ``n_windows`` (without the last incomplete batch when
    ``cfg.drop_last``)."""
    if not cfg.drop_last:
        return math.ceil(n_windows / cfg.batch_size)
    if n_windows < cfg.batch_size:
        raise ValueError(
            f"drop_last=True leaves no batch: {n_windows} training windows are fewer than "
            f"batch_size={cfg.batch_size}; lower batch_size or set drop_last=False"
        )
    return n_windows // cfg.batch_size


#: Settings a checkpoint written before tsfm recorded them lacks; such a one resumes unchecked.
UNCHECKED_IF_ABSENT = ("pretrained_backbone_sha256",)


def _check_resume(path: Path, saved: str | None, current: str) -> None:
    """Refuse to resume from the checkpoint ``path`` of another run, saying what differs."""
    folder = path.parent
    if saved is None:
        warnings.warn(
            f"checkpoint_dir {str(folder)!r}: its checkpoint has no fingerprint (written before "
            "tsfm recorded one), so it cannot be checked to come from this data and these "
            "settings; resuming from it",
            UserWarning,
            stacklevel=3,
        )
        return
    if saved == current:
        return
    before, now = json.loads(saved), json.loads(current)
    for name, value in ADDED_PARAMS.items():  # a checkpoint from before the setting existed
        if name in now["settings"] and name not in before["settings"]:
            before["settings"][name] = value
    for name in UNCHECKED_IF_ABSENT:  # recorded since: a checkpoint without it is not checked
        if name not in before["settings"]:
            now["settings"].pop(name, None)
    if before == now:
        return
    differences = []
    if before["data"] != now["data"]:
        differences.append("other data (the training or validation windows differ)")
    if before["architecture"] != now["architecture"]:
        names = sorted(set(before["architecture"]) | set(now["architecture"]))
        name = next(n for n in names if before["architecture"].get(n) != now["architecture"].get(n))
        differences.append(
            f"another architecture (parameter {name!r}: shape {before['architecture'].get(name)} "
            f"there, {now['architecture'].get(name)} here)"
        )
    keys = sorted(set(before["settings"]) | set(now["settings"]))
    changed = [k for k in keys if before["settings"].get(k) != now["settings"].get(k)]
    if changed:
        listed = ", ".join(
            f"{k}={before['settings'].get(k)!r} there, {now['settings'].get(k)!r} here"
            for k in changed[:4]
        )
        differences.append(f"other settings ({listed})")
    raise ValueError(
        f"checkpoint_dir {str(folder)!r} holds a checkpoint of another run: "
        f"{'; '.join(differences)}. Resuming would continue that run; pass another "
        f"checkpoint_dir, or delete {str(path)!r} to start over"
    )


def _save_checkpoint(path, module, optimizer, generator, best_weights, state, fingerprint):
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "fingerprint": fingerprint,
        "module": module.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "best_weights": best_weights,
        **state,
    }
    partial = path.with_suffix(".part")
    torch.save(payload, partial)
    partial.replace(path)
