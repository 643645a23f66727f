"""Sample-based forecasts: the flow head on any patch model, and the shared sampling plumbing.

:class:`FlowOutput` turns a point patch model (one with ``revin``, ``backbone`` and
``n_channels``, such as PatchTST or TSMixer) into a generative one: the flattened backbone
tokens of each channel condition a :class:`~tsfm.nn.flow.FlowHead` over the whole horizon. A
forecaster offers it through :class:`FlowHeadOption` (``head="flow"``). Both it and Sundial
forecast through :func:`sample_contexts` and :func:`summarise`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tsfm.models.calibration import widen
from tsfm.models.neural import _fill_padding, predict_batch, roll_forward, torch_threads
from tsfm.nn import FlowHead, fold_channels
from tsfm.params import POSITIVE, OneOf, param
from tsfm.training.config import seed_of

#: The point forecast of sample paths: their median (also output as ``"median"``) or mean.
POINTS = OneOf("median", "mean")


@dataclass
class FlowOutputConfig:
    """The output of a patch model.

    Parameters
    ----------
    head : {"point", "flow"}
        The model's own point head, or a flow-matching head giving sample paths.
    flow_width, flow_blocks : int
        The flow head's MLP.
    num_samples, sampling_steps : int
        Sample paths per forecast, and Euler steps per path.
    point : {"median", "mean"}
        The point forecast of the samples, the one evaluation scores (its forecast frames show
        a ``median`` column). ``mean`` is always the samples' mean; ``predict`` gives the
        median as ``q0.5`` when asked.
    """

    head: str = param("point", OneOf("point", "flow"))
    flow_width: int = param(128, POSITIVE)
    flow_blocks: int = param(3, POSITIVE)
    num_samples: int = param(100, POSITIVE)
    sampling_steps: int = param(20, POSITIVE)
    point: str = param("median", POINTS)


class FlowOutput(nn.Module):
    """A patch model whose horizon comes from a flow head conditioned on its tokens.

    ``loss(x (B, L, C), y (B, H, C))`` trains it; ``sample(x, horizon, S, steps, generator)``
    gives ``(B, S, horizon, C)``.
    """

    def __init__(self, model: nn.Module, horizon: int, width: int, blocks: int):
        super().__init__()
        self.model = model
        model.head = None  # the point head is replaced
        n_tokens = model.backbone.n_patches * model.backbone.embedding.proj.out_features
        self.flow = FlowHead(n_tokens, horizon, width, blocks)

    @property
    def revin(self):
        return self.model.revin

    @property
    def backbone(self):
        return self.model.backbone

    def condition(self, x: torch.Tensor):
        """``(B, L, C)`` to conditions ``(B*C, N*d)`` and RevIN stats (or ``None``)."""
        stats = None
        if self.model.revin is not None:
            x, stats = self.model.revin.normalize(x)
        return self.model.backbone(fold_channels(x)).flatten(start_dim=-2), stats

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        condition, stats = self.condition(x)
        if stats is not None:
            mean, std = stats
            y = (y - mean) / std
        return self.flow.loss(condition, fold_channels(y))

    @torch.no_grad()
    def sample(self, x, horizon, n_samples, steps, generator) -> torch.Tensor:
        condition, stats = self.condition(x)
        paths = self.flow.sample(condition, n_samples, steps, generator)[..., :horizon]
        B, C = x.shape[0], x.shape[2]
        paths = paths.view(B, C, n_samples, -1).permute(0, 2, 3, 1)  # (B, S, H, C)
        if stats is not None:
            mean, std = stats
            paths = paths * std[:, None] + mean[:, None]
        return paths


def standardise(context: np.ndarray, mask: np.ndarray):
    """Scale each context by the mean and deviation of its real rows; padding becomes 0.

    Returns the scaled ``(N, L, C)`` array and ``mean``, ``std`` of shape ``(N, 1, C)``.
    """
    real = mask[:, :, None]
    count = np.maximum(real.sum(axis=1, keepdims=True), 1)
    mean = np.where(real, context, 0.0).sum(axis=1, keepdims=True) / count
    std = np.sqrt(np.where(real, (context - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count)
    std = np.where(std > 0, std, 1.0)
    return np.where(real, (context - mean) / std, 0.0), mean, std


def sample_contexts(
    draw: Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor],
    context: np.ndarray,
    mask: np.ndarray,
    seed: int | None,
    n_threads: int | None,
    spread: float = 1.0,
) -> np.ndarray:
    """Sample paths for a batch of contexts, in chunks, seeded.

    Parameters
    ----------
    draw : callable
        ``draw(scaled (n, L, C) float32, mask (n, L) bool, generator)`` to samples
        ``(n, S, H, C)`` on the scaled level.
    context : ndarray, shape (N, L, C)
        Left-padded with NaN.
    seed : int or None
        Seeds the draws; None: unseeded.
    spread : float
        Calibration factor of the samples' spread around their median
        (:func:`~tsfm.models.calibration.widen`).

    Returns
    -------
    ndarray, shape (N, S, H, C)
    """
    scaled, mean, std = standardise(context, mask)
    tensor = torch.from_numpy(scaled.astype(np.float32))
    keep = torch.from_numpy(mask)
    generator = torch.Generator().manual_seed(seed_of(seed))
    chunks = []
    with torch_threads(n_threads), torch.inference_mode():
        # each window draws many paths: no more windows per pass than the 128 of point models
        per_pass = min(128, predict_batch(tensor.shape[-1]))
        for start in range(0, len(tensor), per_pass):
            rows = slice(start, start + per_pass)
            chunks.append(draw(tensor[rows], keep[rows], generator))
    samples = widen(torch.cat(chunks).numpy().astype(np.float64), spread)
    return samples * std[:, None] + mean[:, None]


def summarise(samples: np.ndarray, point: str, quantiles) -> dict[str, np.ndarray]:
    """The forecast dict of :meth:`BaseForecaster._predict_batch` from ``(N, S, H, C)`` samples.

    ``"mean"`` is the samples' mean, whatever ``point`` is; ``point="median"`` adds their
    median as ``"median"``, the point forecast evaluation then scores
    (:func:`tsfm.evaluation.metrics.point_forecast`).
    """
    if not POINTS.accepts(point):
        raise ValueError(f"point must be {POINTS.describe()}, got {point!r}")
    out = {"mean": samples.mean(axis=1)}
    if point == "median":
        out["median"] = np.median(samples, axis=1)
    for q in quantiles or ():
        out[f"q{q}"] = np.quantile(samples, q, axis=1)
    out["samples"] = samples
    return out


class FlowHeadOption:
    """Mixin for a patch-model forecaster: ``head="flow"`` swaps its point head for a flow head.

    The forecaster lists :class:`FlowOutputConfig` as its ``output_class`` (its fields join the
    hyperparameters) and builds its network through :meth:`_with_output`.
    """

    output_class = FlowOutputConfig

    @property
    def probabilistic(self) -> bool:
        return self.head == "flow"

    def _with_output(self, module: nn.Module) -> nn.Module:
        if self.head == "point":
            return module
        return FlowOutput(module, self.prediction_length, self.flow_width, self.flow_blocks)

    def _loop_options(self) -> dict:
        if self.head == "flow":
            return {"step_fn": lambda module, x, y: module.loss(x, y)}
        return super()._loop_options()

    def _predict_batch(self, context, mask, horizon, quantiles):
        if self.head != "flow":
            return super()._predict_batch(context, mask, horizon, quantiles)
        H = self.prediction_length
        if horizon <= H:
            samples = self._samples(context, mask, horizon, self.num_samples)
        else:
            self._check_roll(horizon, context, None)
            step = lambda c, m, n: self._samples(c, m, H, n)  # noqa: E731
            samples = roll_forward(step, context, mask, horizon, H, self.num_samples)
        return summarise(samples, self.point, quantiles)

    def _samples(self, context, mask, horizon, n_samples) -> np.ndarray:
        """Calibrated sample paths ``(N, n_samples, horizon, C)`` for contexts ``(N, L, C)``."""
        self.module_.eval()
        context = _fill_padding(context, mask)  # as the point head sees short contexts
        mask = np.ones_like(mask)

        def draw(scaled, keep, generator):
            return self.module_.sample(scaled, horizon, n_samples, self.sampling_steps, generator)

        return sample_contexts(
            draw, context, mask, self.random_state, self.n_threads, self._spread()
        )
