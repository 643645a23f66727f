"""Sundial (Liu et al., "Sundial: A Family of Highly Capable Time Series Foundation Models",
ICML 2025): a decoder-only patch Transformer with a flow-matching head.

Each channel is its own series (channel independence). The context is RevIN-normalised over its
real values, left-padded to whole patches (padding masked: a patch embeds its values and its
mask), and read by a causal pre-norm Transformer. The hidden state at every patch conditions the
flow head (:class:`~tsfm.nn.flow.FlowHead`), which learns the distribution of the next
``output_length`` values; training uses every position of every window at once. Prediction
samples from the last position; a horizon beyond ``output_length`` is reached by rolling each
sample path forward. The ``"mean"`` output is the samples' mean; the point forecast evaluation
scores is their median (``point="median"``, the ``"median"`` output) or that mean;
quantiles and raw samples come from the samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tsfm.models.neural import NeuralForecaster
from tsfm.models.sampling import POINTS, sample_contexts, summarise
from tsfm.models.seasonal import add_season, remove_season, resolve_season, seasonal_indices
from tsfm.nn import RevIN, TransformerEncoder, fold_channels
from tsfm.nn.dropout import FastDropout
from tsfm.nn.flow import FlowHead
from tsfm.params import FLAG, POSITIVE, RATE, SHARE, Integer, param

# Normalised training targets are clipped to this many context standard deviations: a (nearly)
# constant context followed by a jump would otherwise give targets in the thousands whose loss
# swamps every other window of the batch.
TARGET_LIMIT = 30.0


@dataclass
class SundialConfig:
    """Sundial architecture and sampling.

    Parameters
    ----------
    context_length, prediction_length : int
        Longest context ``L`` and the horizon ``H`` trained for.
    patch_len : int
        Values per patch ``P`` (non-overlapping).
    d_model, n_heads, d_ff, n_layers, dropout
        The causal Transformer.
    output_length : int, optional
        Values each position generates; default ``prediction_length``.
    flow_width, flow_blocks : int
        The flow head's MLP.
    train_positions : int, optional
        Positions per series whose next values train the flow head at each step, drawn at
        random among the real ones (``None``: all, as on a GPU; a few keep CPU steps cheap).
    num_samples : int
        Sample paths per forecast.
    sampling_steps : int
        Euler steps per sample.
    point : {"median", "mean"}
        The point forecast evaluation scores: the samples' median (a ``median`` column of
        evaluation's forecast frames; ``predict`` gives it as ``q0.5`` when asked) or their
        mean. The ``mean`` column is always their mean.
    revin : bool
        Normalise each context by its own statistics.
    short_context_prob : float
        Share of training windows whose context is cut at a random point, the part before it
        masked as padding, so the model also learns the short, padded contexts it meets on
        short series (zero-shot); 0 trains on full windows only.
    stats_holdout : int
        Patches at the end of each training context left out of its RevIN statistics; then
        only the last ``stats_holdout + 1`` positions train, whose targets are never part of
        the statistics they are normalised with. With 0, the statistics cover the whole
        context and any position trains: a position's targets inside the context then leak
        into its statistics (the rest of a window must average out to its mean), and the model
        learns to revert to the context mean, which at prediction time is wrong after a level
        shift. Prediction always uses the whole context's statistics.
    max_context : int, optional
        Forecast from at most the last ``max_context`` values of each series (older values
        are masked as padding); None uses all ``context_length``. Prediction only.
    seasonal_adjustment : int, "auto" or None
        Season length of the seasonal adjustment at prediction (:mod:`tsfm.models.seasonal`):
        each context's additive seasonal component over its last ``seasonal_cycles`` seasons
        is removed before the forecast and added back to every sample path. ``"auto"`` takes the
        season from the data's frequency (24 for hourly data; none for daily and weekly
        data); None: no adjustment. Training is unchanged.
    seasonal_cycles : int
        Seasons the seasonal component is estimated from.
    """

    context_length: int = param(512, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(16, POSITIVE)
    d_model: int = param(64, POSITIVE)
    n_heads: int = param(4, POSITIVE)
    d_ff: int = param(256, POSITIVE)
    n_layers: int = param(3, POSITIVE)
    dropout: float = param(0.1, RATE)
    output_length: int | None = param(None, POSITIVE | None)
    flow_width: int = param(256, POSITIVE)
    flow_blocks: int = param(3, POSITIVE)
    train_positions: int | None = param(8, POSITIVE | None)
    num_samples: int = param(100, POSITIVE)
    sampling_steps: int = param(50, POSITIVE)
    point: str = param("median", POINTS)
    revin: bool = param(True, FLAG)
    short_context_prob: float = param(0.0, SHARE)
    stats_holdout: int = param(0, Integer(0))
    max_context: int | None = param(None, POSITIVE | None)
    seasonal_adjustment: int | str | None = param(None, POSITIVE | "auto" | None)
    seasonal_cycles: int = param(7, Integer(2))


class Sundial(nn.Module):
    """Decoder-only patch Transformer with a flow head, over univariate series ``(B', L)``."""

    #: With shortened contexts the loss averages over usable positions, not windows: the
    #: training loop must not split its batches (tsfm.training.loop).
    batch_mean_loss = False

    def __init__(self, cfg: SundialConfig):
        super().__init__()
        P = cfg.patch_len
        self.patch_len, self.context_length = P, cfg.context_length
        self.n_patches = math.ceil(cfg.context_length / P)
        self.output_length = cfg.output_length or cfg.prediction_length
        self.train_positions = cfg.train_positions
        self.short_context_prob = cfg.short_context_prob
        self.stats_holdout = cfg.stats_holdout
        self.revin = RevIN(1) if cfg.revin else None
        self.embedding = nn.Linear(2 * P, cfg.d_model)
        self.position = nn.Parameter(torch.empty(self.n_patches, cfg.d_model).uniform_(-0.02, 0.02))
        self.dropout = FastDropout(cfg.dropout)
        self.decoder = TransformerEncoder(
            cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.n_layers, cfg.dropout, norm="layer",
            residual_attention=False, pre_norm=True,
        )  # fmt: skip
        self.flow = FlowHead(cfg.d_model, self.output_length, cfg.flow_width, cfg.flow_blocks)

    def normalize(self, series: torch.Tensor, mask: torch.Tensor, stats_mask=None):
        """``(B', T)`` series to RevIN-normalised values and stats ``(mean, std)``, ``(B', 1)``
        (over ``stats_mask``, default ``mask``)."""
        if self.revin is None:
            zero = torch.zeros(series.shape[0], 1)
            return series * mask, (zero, zero + 1.0)
        z, (mean, std) = self.revin.normalize(series[..., None], mask, stats_mask)
        return z[..., 0], (mean[..., 0], std[..., 0])

    def hidden(self, z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised context ``z (B', L)`` with ``mask`` to hidden states ``(B', N, d_model)``
        and the real-patch mask ``(B', N)``; the last position ends at the forecast origin."""
        P, N = self.patch_len, self.n_patches
        pad = N * P - z.shape[1]
        z = nn.functional.pad(z, (pad, 0))
        m = nn.functional.pad(mask.to(z.dtype), (pad, 0))
        values, observed = z.view(-1, N, P), m.view(-1, N, P)
        tokens = self.embedding(torch.cat([values * observed, observed], dim=-1)) + self.position
        real = observed.amax(dim=-1) > 0  # (B', N)
        causal = torch.ones(N, N, dtype=torch.bool).tril()
        allowed = causal & (real[:, None, :] | torch.eye(N, dtype=torch.bool))  # (B', N, N)
        return self.decoder(self.dropout(tokens), allowed[:, None]), real

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Flow loss of every position's next ``output_length`` values: ``x (B, L, C)``,
        ``y (B, H, C)`` with ``H >= output_length``."""
        series, future = fold_channels(x), fold_channels(y)
        mask = self.training_mask(*series.shape)
        z, (mean, std) = self.normalize(series, mask, self.statistics_mask(mask))
        h, real = self.hidden(z, mask)
        pad = self.n_patches * self.patch_len - z.shape[1]
        timeline = torch.cat([nn.functional.pad(z, (pad, 0)), (future - mean) / std], dim=1)
        timeline = timeline.clamp(-TARGET_LIMIT, TARGET_LIMIT)
        targets = timeline.unfold(1, self.output_length, self.patch_len)  # (B', N + k, out)
        targets = targets[:, 1 : self.n_patches + 1]  # position i: the values after patch i
        usable = self.trained_positions(real[:, : targets.shape[1]])
        return self.flow.loss(h[:, : targets.shape[1]][usable], targets[usable])

    def trained_positions(self, real: torch.Tensor) -> torch.Tensor:
        """Of the real positions ``(B', N)``, those whose next values train: with
        ``stats_holdout`` only the last ``stats_holdout + 1``; then ``train_positions`` at
        random (real ones first)."""
        usable = real.clone()
        if self.stats_holdout:  # only positions whose targets are all after the statistics
            usable[:, : self.n_patches - 1 - self.stats_holdout] = False
        if self.train_positions is not None and self.train_positions < usable.shape[1]:
            score = torch.rand(usable.shape).masked_fill(~usable, 2.0)  # real positions first
            chosen = score.argsort(dim=1)[:, : self.train_positions]
            usable = usable & torch.zeros_like(usable).scatter_(1, chosen, True)
        return usable

    def statistics_mask(self, mask: torch.Tensor) -> torch.Tensor:
        """The rows of ``mask (B', L)`` that give a training context's statistics: all but the
        last ``stats_holdout`` patches (all of them where nothing real is left before)."""
        if not self.stats_holdout:
            return mask
        early = mask.clone()
        early[:, mask.shape[1] - self.stats_holdout * self.patch_len :] = False
        return torch.where(early.any(dim=1, keepdim=True), early, mask)

    def training_mask(self, n: int, length: int) -> torch.Tensor:
        """Observed-values mask ``(n, length)`` for training contexts: all observed, except that
        a ``short_context_prob`` share (in training mode) keeps only a random suffix of at
        least one patch."""
        mask = torch.ones(n, length, dtype=torch.bool)
        if not self.training or self.short_context_prob <= 0:
            return mask
        start = torch.randint(0, max(length - self.patch_len, 0) + 1, (n,))
        start = start.masked_fill(torch.rand(n) >= self.short_context_prob, 0)
        return torch.arange(length)[None, :] >= start[:, None]

    @torch.no_grad()
    def sample(self, series, mask, horizon, n_samples, steps, generator) -> torch.Tensor:
        """Sample paths ``(B', n_samples, horizon)`` on the input's scale for contexts
        ``series (B', L)`` with ``mask``; paths are rolled forward past ``output_length``."""
        z, (mean, std) = self.normalize(series, mask)
        h, _ = self.hidden(z, mask)
        paths = self.flow.sample(h[:, -1], n_samples, steps, generator)  # (B', S, out)
        B = z.shape[0]
        while paths.shape[-1] < horizon:  # every path continues from its own past
            context = torch.cat([z.repeat_interleave(n_samples, 0), paths.flatten(0, 1)], dim=1)
            generated = torch.ones(B * n_samples, paths.shape[-1], dtype=torch.bool)
            keep = torch.cat([mask.repeat_interleave(n_samples, 0), generated], dim=1)
            context, keep = context[:, -self.context_length :], keep[:, -self.context_length :]
            h, _ = self.hidden(context, keep)
            step = self.flow.sample(h[:, -1], 1, steps, generator).view(B, n_samples, -1)
            paths = torch.cat([paths, step], dim=-1)
        return paths[..., :horizon] * std[..., None] + mean[..., None]


class SundialForecaster(NeuralForecaster):
    """Sundial as a scikit-learn style, probabilistic forecaster.

    Hyperparameters: :class:`SundialConfig` then :class:`~tsfm.training.config.TrainConfig`.
    ``predict(..., quantiles=[...])`` adds quantile columns; :meth:`predict_samples` gives the
    raw sample paths. ``random_state`` seeds training and sampling alike.
    """

    config_class = SundialConfig
    probabilistic = True
    max_horizon = 10_000  # beyond its output_length, every step rolls every sample path
    default_pretrained = "tsfm-small-v2"
    pads_short_contexts = False  # padding is masked: a short context is read as it is

    def _build_module(self, n_channels: int) -> nn.Module:
        if (self.output_length or self.prediction_length) > self.prediction_length:
            raise ValueError("output_length cannot exceed prediction_length (the training target)")
        return Sundial(self._config())

    def _min_length(self) -> int:
        return 1  # shorter contexts are padded and masked

    def _loop_options(self) -> dict:
        return {"step_fn": lambda module, x, y: module.loss(x, y)}

    def _predict_batch(self, context, mask, horizon, quantiles):
        return summarise(self._samples(context, mask, horizon, self.num_samples), self.point,
                         quantiles)  # fmt: skip

    def predict_samples(self, data=None, *, horizon: int | None = None, num_samples=None):
        """Raw sample paths after the end of each series.

        Parameters
        ----------
        data : pd.Series or pd.DataFrame, optional
            New context, as for ``predict``; default the training data.
        horizon : int, optional
            Steps ahead; default ``prediction_length``.
        num_samples : int, optional
            Paths per series (checked as the hyperparameter); default ``num_samples``.

        Returns
        -------
        ndarray, shape (S, num_samples, horizon, C)
            For the ``S`` series of ``data`` (default: the training data) in their order.
        """
        from tsfm.data.panel import left_pad_stack

        panel = self._context_panel(data)
        horizon = self._check_horizon(horizon)
        num_samples = self.num_samples if num_samples is None else num_samples
        self._check_params({"num_samples": num_samples})
        context, mask = left_pad_stack(panel.values, self._context_rows(panel))
        return self._samples(context, mask, horizon, num_samples)

    def _samples(self, context, mask, horizon, n_samples) -> np.ndarray:
        self.module_.eval()
        if self.max_context is not None:  # older values become padding
            mask = mask & (np.arange(mask.shape[1]) >= mask.shape[1] - self.max_context)
            context = np.where(mask[..., None], context, np.nan)
        season = resolve_season(self.seasonal_adjustment, getattr(self, "freq_", None))
        indices = seasonal_indices(context, mask, season, self.seasonal_cycles)
        context = remove_season(context, indices)

        def draw(scaled, keep, generator):  # channels become series, then back
            n, L, C = scaled.shape
            series = scaled.transpose(1, 2).reshape(n * C, L)
            paths = self.module_.sample(
                series, keep.repeat_interleave(C, 0), horizon, n_samples, self.sampling_steps,
                generator,
            )  # fmt: skip
            return paths.view(n, C, n_samples, horizon).permute(0, 2, 3, 1)

        samples = sample_contexts(
            draw, context, mask, self.random_state, self.n_threads, self._spread()
        )
        return add_season(samples, indices)

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "d_model": 16,
            "n_heads": 2, "d_ff": 32, "n_layers": 1, "flow_width": 32, "flow_blocks": 1,
            "num_samples": 20, "sampling_steps": 5, "max_epochs": 2, "batch_size": 32,
            "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip
