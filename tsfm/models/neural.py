"""NeuralForecaster: what every torch forecaster shares (fit via the one loop, batched predict).

A model file defines an architecture dataclass (its hyperparameters, each written once), an
``nn.Module`` mapping ``(B, L, C)`` to ``(B, H, C)``, and a forecaster class naming both:

.. code-block:: python

    class PatchTSTForecaster(NeuralForecaster):
        config_class = PatchTSTConfig
        def _build_module(self, n_channels): return PatchTST(self._config(), n_channels)

The forecaster's ``__init__`` is generated from the architecture dataclass followed by
:class:`~tsfm.training.config.TrainConfig` (whose defaults a model may replace with a
``training_defaults`` dataclass): keyword-only, storing every value unchanged, with a
real signature, so scikit-learn's ``get_params``/``set_params``/``clone`` work. The
dataclasses' fields carry each hyperparameter's constraint (:func:`tsfm.params.param`): they
become the class's ``_parameter_constraints``, and the stored values are checked against them
(:meth:`~tsfm.base.BaseForecaster._check_params`).

Scaling: training series are standardised per series and channel with their training mean and
standard deviation (``scaler_``), in float64, before the float32 network sees them; at
prediction each context is standardised by its own observed mean and deviation and the
forecast mapped back. Models with RevIN are invariant to this choice up to RevIN's epsilon.
A context shorter than ``context_length`` (but at least one patch long) is left-padded with its
first value; training needs ``context_length + prediction_length`` steps per series (plus the
validation tail).

Horizon: a network forecasts ``prediction_length`` steps. With ``recursive=True`` a longer
horizon is reached by :func:`roll_forward`, the one roll-forward of every fixed-horizon model
(point and flow heads alike); without it a longer horizon is refused.
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
import inspect
import os
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tsfm.base import BaseForecaster
from tsfm.models.calibration import CALIBRATION_WINDOWS, fit_spread
from tsfm.models.docstrings import with_hyperparameters
from tsfm.models.weights import load_into, read_weights
from tsfm.params import field_constraints
from tsfm.training.allocator import retain_freed_memory
from tsfm.training.config import LOSSES, TrainConfig, lookup, seed_of
from tsfm.training.loop import train
from tsfm.training.windows import WindowSet

#: Channel series per forward pass when predicting: larger passes thrash the cache on CPU
#: (PatchTST/42 on ETTh1 predicts 1.3x faster in passes of 36 windows than of 128).
PREDICT_SEQUENCES = 256


def predict_batch(n_channels: int) -> int:
    """Windows per forward pass for inputs of ``n_channels`` channels."""
    return max(1, PREDICT_SEQUENCES // max(1, n_channels))


def _generated_init(fields: list[dataclasses.Field], overrides: dict):
    names = [f.name for f in fields]
    defaults = {
        f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
        for f in fields
    }
    defaults.update(overrides)

    def __init__(self, **params):
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown hyperparameters {unknown}")
        for name in names:
            setattr(self, name, params.get(name, defaults[name]))
        self._check_params()

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=defaults[f.name])
        for f in fields
    ]
    __init__.__signature__ = inspect.Signature(parameters)
    return __init__


@contextmanager
def torch_threads(n: int | None):
    """Run with ``n`` torch threads, freed memory kept for reuse
    (:mod:`tsfm.training.allocator`).

    The default is torch's own thread count (``OMP_NUM_THREADS`` when set; joblib's workers
    get their share of the cores this way), at most the cores this process may use: more
    threads than free cores make every parallel step wait for a descheduled thread (a tiny
    model trained 50 times slower beside another busy process here).
    """
    retain_freed_memory()
    before = torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(n or min(before, cores or before) or 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class NeuralForecaster(BaseForecaster, abc.ABC):
    """Base of the torch forecasters. Subclasses set ``config_class`` and ``_build_module``."""

    config_class: ClassVar[type]
    #: Optional dataclass of output options (e.g. the flow head) whose fields join the
    #: hyperparameters after the architecture's.
    output_class: ClassVar[type | None] = None
    #: Optional dataclass whose fields replace TrainConfig defaults for this model.
    training_defaults: ClassVar[type | None] = None

    #: The shipped pretrained model :meth:`from_pretrained` loads when given no name.
    default_pretrained: ClassVar[str | None] = None
    #: A context shorter than ``context_length`` is padded with its first value (the network
    #: reads a fixed length); ``predict`` and ``evaluate`` warn.
    pads_short_contexts: ClassVar[bool] = True

    @classmethod
    def from_pretrained(cls, name_or_path=None, **overrides):
        """A shipped (or exported) pretrained model of this class (default
        ``default_pretrained``): see :func:`tsfm.pretrained.from_pretrained`.

        ``fit(data)`` then forecasts zero-shot; ``max_epochs=`` fine-tunes instead.
        """
        # The one arrow from models to pretrained, and lazy: pretrained builds models from its
        # registry, and this is the estimator-side door to it (as transformers' classes have).
        # tests/test_architecture.py allows this import here and nowhere else in tsfm/models.
        from tsfm.pretrained import from_pretrained

        name = name_or_path or cls.default_pretrained
        if name is None:
            raise ValueError(f"no pretrained {cls.__name__} ships with tsfm; pass a folder")
        model = from_pretrained(name, **overrides)
        if not isinstance(model, cls):
            raise ValueError(f"{name!r} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "config_class" in cls.__dict__:
            configs = [cls.config_class, *([cls.output_class] if cls.output_class else []),
                       TrainConfig]  # fmt: skip
            fields = [f for config in configs for f in dataclasses.fields(config)]
            overrides = dataclasses.asdict(cls.training_defaults()) if cls.training_defaults else {}
            cls.__init__ = _generated_init(fields, overrides)
            cls._parameter_constraints = field_constraints(*configs)
            cls.__doc__ = with_hyperparameters(cls.__doc__, configs)

    # ------------------------------------------------------------------ to implement

    @abc.abstractmethod
    def _build_module(self, n_channels: int) -> nn.Module:
        """The network for ``n_channels`` target channels: ``(B, L, C) -> (B, H, C)``."""

    # ------------------------------------------------------------------ configs

    def _config(self):
        names = [f.name for f in dataclasses.fields(self.config_class)]
        return self.config_class(**{name: getattr(self, name) for name in names})

    def _train_config(self) -> TrainConfig:
        """The training settings, ``random_state=None`` replaced by a fresh seed."""
        names = [f.name for f in dataclasses.fields(TrainConfig)]
        cfg = TrainConfig(**{name: getattr(self, name) for name in names})
        return dataclasses.replace(cfg, random_state=seed_of(cfg.random_state))

    def _min_length(self) -> int:
        return getattr(self, "patch_len", 1)

    # ------------------------------------------------------------------ fit

    def _training_windows(self, panel, validation):
        """Scaled training and validation :class:`WindowSet`s (see the module docstring)."""
        L, H = self.context_length, self.prediction_length
        inputs = self._context_arrays(panel)
        mean, std = self._set_scaler(panel, inputs)
        scaled = [(v - m) / s for v, m, s in zip(inputs, mean, std)]
        if validation is not None:
            panel.check_min_length(L + H, f"training {type(self).__name__}")
            known = dict(zip(panel.ids, zip(mean, std)))
            val_arrays = []
            for sid, v in zip(validation.ids, self._context_arrays(validation)):
                m, s = known.get(sid, (v.mean(axis=0), v.std(axis=0) + 1e-12))
                m, s = self._with_fixed_scales(m.copy(), s.copy())
                val_arrays.append((v - m) / s)
            return WindowSet(scaled, L, H), WindowSet(val_arrays, L, H)
        share = self.validation_size
        if not share:
            panel.check_min_length(L + H, f"training {type(self).__name__}")
            return WindowSet(scaled, L, H), None
        n_val = [max(1, int(round(share * len(v)))) for v in scaled]
        panel.check_min_length(
            L + H + max(n_val), f"training {type(self).__name__} with validation_size={share}"
        )
        train_part = [v[: len(v) - n] for v, n in zip(scaled, n_val)]
        firsts = [len(v) - n for v, n in zip(scaled, n_val)]
        return WindowSet(train_part, L, H), WindowSet(scaled, L, H, first_origin=firsts)

    def _set_scaler(self, panel, inputs):
        """Per-series mean and std of ``inputs`` (``_context_arrays(panel)``), kept in
        ``scaler_``."""
        mean = [v.mean(axis=0) for v in inputs]
        std = [np.where(v.std(axis=0) > 0, v.std(axis=0), 1.0) for v in inputs]
        self.scaler_ = {}
        if self.supports_static_covariates and panel.static is not None:
            spread = panel.static.std(axis=0)
            self.scaler_["static"] = np.stack(
                [panel.static.mean(axis=0), np.where(spread > 0, spread, 1.0)]
            )
            start = panel.n_channels + len(panel.spec.past_covariates)
            self.static_columns_ = (start, start + panel.static.shape[1])
        mean, std = zip(*(self._with_fixed_scales(m, s) for m, s in zip(mean, std)))
        self.scaler_.update({"mean": np.stack(mean), "std": np.stack(std)})
        return list(mean), list(std)

    def _with_fixed_scales(self, mean: np.ndarray, std: np.ndarray):
        """``mean``/``std`` (``(..., C')``) with the static columns scaled across the training
        series (a series' own statistics of a constant would erase it) and the calendar
        features, the last ``n_calendar_`` columns, left as they are: they have a fixed range,
        and a window's statistics of e.g. its day of year would blow it up."""
        if "static" in getattr(self, "scaler_", {}):
            columns = slice(*self.static_columns_)  # after the targets and past covariates
            mean[..., columns], std[..., columns] = self.scaler_["static"]
        k = getattr(self, "n_calendar_", 0)
        if k:
            mean[..., -k:], std[..., -k:] = 0.0, 1.0
        return mean, std

    def _fit(self, panel, validation=None) -> None:
        cfg = self._train_config()
        if cfg.calibrate_intervals and not self.probabilistic:
            raise ValueError(
                f"calibrate_intervals=True needs a probabilistic model; {type(self).__name__} "
                "gives points (a patch model gives samples with head='flow')"
            )
        if cfg.max_epochs == 0 and not cfg.init_weights:
            raise ValueError(
                f"{type(self).__name__}: max_epochs=0 trains nothing and init_weights is not set, "
                "so the forecasts would come from randomly initialised weights; set max_epochs "
                "to 1 or more, or init_weights= to a weights folder (tsfm.from_pretrained sets "
                "it for a pretrained model)"
            )
        val_windows = None
        self.n_calendar_ = len(panel.spec.calendar)  # the last input columns (fixed scale)
        with torch_threads(cfg.n_threads):
            torch.manual_seed(cfg.random_state)
            module = self._build_module(panel.n_channels)
            if cfg.init_weights:
                load_into(module, read_weights(cfg.init_weights), cfg.init_weights)
            if cfg.max_epochs == 0 and not cfg.calibrate_intervals:
                self._set_scaler(panel, self._context_arrays(panel))
            else:
                train_windows, val_windows = self._training_windows(panel, validation)
                if cfg.calibrate_intervals and not val_windows:
                    raise ValueError(
                        "calibrate_intervals=True needs validation windows: pass "
                        "validation_data or set validation_size > 0"
                    )
            if cfg.max_epochs:
                options = self._loop_options()
                if self.supports_covariates and panel.spec.has_covariates:  # windows carry them
                    step = options.get("step_fn")
                    options["step_fn"] = _targets_only(
                        step, panel.n_channels, panel.spec.n_future, cfg
                    )
                settings = {**self.get_params(deep=False), **self._starting_point()}
                self.history_ = train(
                    module, train_windows, val_windows, cfg, settings=settings, **options
                )
            else:  # the initial (e.g. pretrained) weights, calibrated on validation if asked
                self.history_ = []
        self.module_ = module
        self.n_channels_ = panel.n_channels
        self.n_params_ = sum(p.numel() for p in module.parameters())
        self.spread_ = 1.0
        if cfg.calibrate_intervals:
            self.spread_ = self._calibrated_spread(val_windows, panel.n_channels)

    def _calibrated_spread(self, windows: WindowSet, n_targets: int) -> float:
        """The spread factor fitted on up to ``CALIBRATION_WINDOWS`` evenly spaced windows."""
        picks = np.linspace(0, len(windows) - 1, min(len(windows), CALIBRATION_WINDOWS))
        x, y = windows.batch(torch.from_numpy(np.unique(picks.round().astype(np.int64))))
        context = x.numpy().astype(np.float64)
        mask = np.ones(context.shape[:2], dtype=bool)
        samples = self._samples(context, mask, y.shape[1], self.num_samples)
        return fit_spread(samples[..., :n_targets], y[..., :n_targets].numpy())

    def _spread(self) -> float:
        """The fitted spread factor of sample paths (1 before calibration)."""
        return getattr(self, "spread_", 1.0)

    def _starting_point(self) -> dict:
        """What a resumed ``fit`` must also match besides the hyperparameters: the sha256 of
        the pretrained backbone it starts from, when :meth:`pretrain` ran (another pretraining
        is another run)."""
        backbone = getattr(self, "pretrained_backbone_", None)
        if backbone is None:
            return {}
        digest = hashlib.sha256()
        for name, value in sorted(backbone.items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value.detach().cpu().numpy()).data)
        return {"pretrained_backbone_sha256": digest.hexdigest()}

    def _loop_options(self) -> dict:
        """Model-specific overrides passed to :func:`tsfm.training.loop.train`."""
        return {}

    # ------------------------------------------------------------------ predict

    def _predict_batch(self, context, mask, horizon, quantiles, future=None):
        H = self.prediction_length
        if horizon <= H:
            return {"mean": self._forecast_window(context, mask, future)[:, :horizon]}
        self._check_roll(horizon, context, future)
        paths = roll_forward(
            lambda c, m, n: self._forecast_window(c, m)[:, None], context, mask, horizon, H
        )
        return {"mean": paths[:, 0]}

    def _check_roll(self, horizon: int, context: np.ndarray, future) -> None:
        """Refuse a horizon beyond ``prediction_length`` unless the model may roll forward."""
        H = self.prediction_length
        if not self.recursive:
            raise ValueError(
                f"horizon {horizon} exceeds prediction_length={H} the model was trained for; "
                "refit with a longer prediction_length, or set recursive=True to roll forward "
                f"(each {H} steps forecast are fed back as context)"
            )
        if future is not None or context.shape[-1] != self.n_channels_:
            raise ValueError(
                f"recursive=True cannot forecast {horizon} steps with covariates: their values "
                f"beyond prediction_length={H} are unknown; use horizon <= {H}"
            )

    def _forecast_window(self, context, mask, future=None) -> np.ndarray:
        """The network's forecast ``(N, prediction_length, C)`` of contexts ``(N, L, C')``."""
        context = _fill_padding(context, mask)
        mean = context.mean(axis=1, keepdims=True)
        std = context.std(axis=1, keepdims=True)
        mean, std = self._with_fixed_scales(mean, np.where(std > 0, std, 1.0))
        scaled = torch.from_numpy(((context - mean) / std).astype(np.float32))
        known = None
        if future is not None:  # on the scale of the future covariates' own context columns
            F = future.shape[-1]
            known = torch.from_numpy(((future - mean[..., -F:]) / std[..., -F:]).astype(np.float32))
        outputs = []
        with torch_threads(self.n_threads), torch.inference_mode():
            self.module_.eval()
            per_pass = predict_batch(scaled.shape[-1])
            for start in range(0, len(scaled), per_pass):
                part = slice(start, start + per_pass)
                extra = {} if known is None else {"future": known[part]}
                outputs.append(self.module_(scaled[part], **extra))
        forecast = torch.cat(outputs).numpy().astype(np.float64)
        k = forecast.shape[-1]  # the targets: the first k columns of the context
        return forecast * std[..., :k] + mean[..., :k]

    # ------------------------------------------------------------------ persistence

    def _fitted_state(self):
        arrays = {f"module.{k}": v.detach().numpy() for k, v in self.module_.state_dict().items()}
        arrays.update({f"scaler.{k}": v for k, v in self.scaler_.items()})
        meta = {"history_": self.history_, "n_channels_": self.n_channels_,
                "n_calendar_": self.n_calendar_}  # fmt: skip
        meta["spread_"] = self._spread()
        if "static" in self.scaler_:
            meta["static_columns_"] = list(self.static_columns_)
        return meta, arrays

    def _load_fitted_state(self, meta, arrays):
        self.history_ = meta["history_"]
        self.n_channels_ = meta["n_channels_"]
        self.spread_ = meta.get("spread_", 1.0)
        self.n_calendar_ = meta.get("n_calendar_", 0)
        self.module_ = self._build_module(self.n_channels_)
        state = {k[7:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("module.")}
        self.module_.load_state_dict(state)
        self.module_.eval()
        self.scaler_ = {k[7:]: v for k, v in arrays.items() if k.startswith("scaler.")}
        if "static_columns_" in meta:
            self.static_columns_ = tuple(meta["static_columns_"])
        self.n_params_ = sum(p.numel() for p in self.module_.parameters())


def _targets_only(step_fn, n_targets: int, n_future: int, cfg: TrainConfig):
    """A training step whose windows carry covariate columns after the ``n_targets`` targets:
    the loss compares the forecast with the target columns only. With ``n_future`` future
    covariates (the last columns), the module also reads their horizon rows as ``future``."""
    loss_fn = lookup(LOSSES, cfg.loss, "loss")
    if n_future:
        if step_fn is not None:
            raise ValueError("future covariates need the default training step")
        return lambda module, x, y: loss_fn(
            module(x, future=y[..., -n_future:]), y[..., :n_targets]
        )
    inner = step_fn or (lambda module, x, y: loss_fn(module(x), y))
    return lambda module, x, y: inner(module, x, y[..., :n_targets])


def roll_forward(step, context: np.ndarray, mask: np.ndarray, horizon: int, length: int,
                 n_paths: int = 1) -> np.ndarray:  # fmt: skip
    """Forecast ``horizon`` steps with a model of ``length`` steps by feeding its forecasts back.

    Parameters
    ----------
    step : callable
        ``step(context (M, L, C), mask (M, L), n)`` gives ``n`` paths ``(M, n, length, C)``.
    context : ndarray, shape (N, L, C)
        Left-padded contexts (the targets only) and their ``mask``, ``(N, L)``.
    horizon, length : int
        Steps wanted, and steps per call of ``step``.
    n_paths : int
        Paths drawn from each context at the first step (1 for a point forecast); every path
        then continues from its own past, one path per call.

    Returns
    -------
    ndarray, shape (N, n_paths, horizon, C)
    """
    paths = step(context, mask, n_paths)
    N, K, _, C = paths.shape
    L = context.shape[1]
    context, mask = np.repeat(context, K, axis=0), np.repeat(mask, K, axis=0)
    chunks = [paths.reshape(N * K, length, C)]
    while len(chunks) * length < horizon:
        context = np.concatenate([context, chunks[-1]], axis=1)[:, -L:]
        mask = np.concatenate([mask, np.ones((N * K, length), dtype=bool)], axis=1)[:, -L:]
        chunks.append(step(context, mask, 1)[:, 0])
    return np.concatenate(chunks, axis=1)[:, :horizon].reshape(N, K, horizon, C)


def _fill_padding(context: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Replace left padding (a series shorter than the context) by its first real value."""
    if mask.all():
        return context
    first = np.argmax(mask, axis=1)  # (N,)
    values = context[np.arange(len(context)), first]  # (N, C)
    return np.where(mask[:, :, None], context, values[:, None, :])
