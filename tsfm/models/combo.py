"""ComboForecaster: a patch Transformer that weighs and corrects a pool of classical forecasts.

Every context is normalised by its observed mean and deviation; the classical methods of
:func:`tsfm.nn.smoothing.classical_pool` (naive, seasonal naive, SES, Holt, damped trend, Theta,
drift, linear regression, mean; seasonally adjusted where a test finds seasonality; optionally
the recent season and multiplicatively adjusted members) forecast it; a non-causal Transformer
reads the context's patches, one token per pool forecast and one summary token, and from the
summary token gives, for every horizon step, softmax weights over
the pool and nine quantile offsets around the weighted forecast, in units of the context's
mean absolute (seasonal) difference. Training minimises the quantile loss in those units, the
scale MASE uses, on windows whose contexts range from 8 values to ``context_length``.

The pool gives the network the extrapolations short low-frequency series need (a line stays a
line through Holt and drift; a season repeats through the adjusted methods) and the network
learns, from many series, which of them to trust for which shape of context and how wide the
uncertainty is: the forecast-combination idea of the M4 competition's best methods, learned
end to end. Horizons beyond ``prediction_length`` keep the last step's weights, with offsets
growing as the square root of the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tsfm.models.combo_validation import validated
from tsfm.models.neural import NeuralForecaster, torch_threads
from tsfm.nn import TransformerEncoder
from tsfm.nn.smoothing import MULTIPLICATIVE, POOL, classical_pool
from tsfm.params import FLAG, POSITIVE, RATE, SHARE, param

#: The quantile levels the network outputs.
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Soft cap of a window's scaled loss (see :meth:`Combo.loss`).
LOSS_CAP = 5.0
#: Normalised targets are clipped to this many context deviations (as in Sundial).
TARGET_LIMIT = 50.0
#: Season lengths by pandas frequency prefix where they differ from gluonts' (daily data has a
#: weekly cycle; business days a five-day one).
SEASONS = {"D": 7, "B": 5}


def season_of(freq: str | None) -> int:
    """The season length the pool's seasonal methods use for data at ``freq``."""
    if not freq:
        return 1
    from gluonts.time_feature import get_seasonality

    head = str(freq).split("-")[0]
    base = "".join(c for c in head if c.isalpha())
    if base in SEASONS and head == base:  # a multiple (e.g. "7D", weekly) has gluonts' season
        return SEASONS[base]
    return int(get_seasonality(freq))


@dataclass
class ComboConfig:
    """Architecture of the combination network.

    Parameters
    ----------
    context_length, prediction_length : int
        Longest context ``L`` read and the horizon ``H`` with learned weights.
    patch_len : int
        Values per context token.
    d_model, n_heads, d_ff, n_layers, dropout
        The Transformer.
    season : int or "auto"
        Season length of the pool's seasonal methods; ``"auto"`` takes it from the data's
        frequency (:func:`season_of`).
    short_context_prob : float
        Share of fine-tuning windows whose context is cut to a random suffix (at least 8
        values), so the model keeps forecasting short series well.
    recent_season : bool
        Include the pool's last member (the last season's mean plus indices of the last few
        seasons); ``tsfm-combo`` was trained without it.
    multiplicative : bool
        Include the pool's multiplicative members (naive, SES, damped trend and Theta on the
        series adjusted by a multiplicative decomposition, for series of one sign: a season
        whose size grows with the level).
    flip_average : bool
        Prediction: average the forecast of each context with the mirrored forecast of its
        negation (as TimesFM does), so that ``-x`` is forecast as ``-forecast(x)``.
    holdout_ratio : float
        Prediction: in-context validation (:mod:`tsfm.models.combo_validation`). The network
        and the pool forecast each context's last ``min(horizon, prediction_length)`` values
        from the rest; a pool member whose error there is below ``holdout_ratio`` times the
        network's forecasts that series instead (the network's spread moved onto it). 0 turns
        it off.
    """

    context_length: int = param(256, POSITIVE)
    prediction_length: int = param(64, POSITIVE)
    patch_len: int = param(8, POSITIVE)
    d_model: int = param(64, POSITIVE)
    n_heads: int = param(4, POSITIVE)
    d_ff: int = param(128, POSITIVE)
    n_layers: int = param(2, POSITIVE)
    dropout: float = param(0.1, RATE)
    season: int | str = param("auto", POSITIVE | "auto")
    short_context_prob: float = param(0.5, SHARE)
    flip_average: bool = param(True, FLAG)
    recent_season: bool = param(False, FLAG)
    multiplicative: bool = param(False, FLAG)
    holdout_ratio: float = param(0.5, SHARE)

    def members(self) -> tuple[str, ...]:
        """Names of the pool members the network weighs, in order."""
        names = POOL if self.recent_season else POOL[:-1]
        return names + (MULTIPLICATIVE if self.multiplicative else ())


def normalise(values: torch.Tensor):
    """NaN-padded contexts ``(B, L)`` to ``(z, mask, loc, scale)``: ``z`` zero on padding,
    ``loc``/``scale`` ``(B, 1)`` the observed mean and deviation (1 for a constant)."""
    mask = ~torch.isnan(values)
    n = mask.sum(dim=1, keepdim=True).clamp(min=1)
    filled = torch.where(mask, values, 0.0)
    loc = filled.sum(dim=1, keepdim=True) / n
    var = (torch.where(mask, values - loc, 0.0) ** 2).sum(dim=1, keepdim=True) / n
    scale = torch.where(var > 0, var.sqrt(), torch.ones_like(var))
    return torch.where(mask, (values - loc) / scale, 0.0), mask, loc, scale


def error_scale(z: torch.Tensor, mask: torch.Tensor, season: torch.Tensor) -> torch.Tensor:
    """Mean absolute seasonal difference ``(B, 1)`` of the observed context (lag 1 where the
    context is shorter than two seasons), the MASE scale; floored at 0.1 deviations."""
    B, L = z.shape
    out = z.new_zeros(B)
    for m in season.unique().tolist():
        rows = season == m
        zz, mm = z[rows], mask[rows]
        n = mm.sum(dim=1)
        lag = torch.where(n > 2 * m, m, 1)
        total = zz.new_zeros(len(zz))
        count = zz.new_zeros(len(zz))
        for k in {1, int(m)}:
            if k >= L:
                continue
            both = mm[:, k:] & mm[:, :-k]
            diff = (zz[:, k:] - zz[:, :-k]).abs() * both
            use = lag == k
            total = torch.where(use, diff.sum(dim=1), total)
            count = torch.where(use, both.sum(dim=1).to(zz.dtype), count)
        out[rows] = total / count.clamp(min=1)
    return out.clamp(min=0.1)[:, None]


class Combo(nn.Module):
    """Pool, encoder and combination head over univariate contexts."""

    #: The loss averages over the series that count (not constant, with a known target), not
    #: over windows: the training loop must not split its batches (tsfm.training.loop).
    batch_mean_loss = False

    def __init__(self, cfg: ComboConfig):
        super().__init__()
        self.cfg = cfg
        self.member_names = cfg.members()
        self.n_members = K = len(self.member_names)
        P, d, Q = cfg.patch_len, cfg.d_model, len(LEVELS)
        self.n_patches = math.ceil(cfg.context_length / P)
        self.patch_embedding = nn.Linear(2 * P, d)
        self.position = nn.Parameter(torch.empty(self.n_patches, d).uniform_(-0.02, 0.02))
        self.pool_embedding = nn.Linear(cfg.prediction_length, d)
        self.member = nn.Parameter(torch.empty(K, d).uniform_(-0.02, 0.02))
        self.summary = nn.Linear(4, d)  # log length, log season, seasonal flag, error scale
        self.encoder = TransformerEncoder(
            d, cfg.n_heads, cfg.d_ff, cfg.n_layers, cfg.dropout, norm="layer",
            residual_attention=False, pre_norm=True,
        )  # fmt: skip
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, cfg.prediction_length * (K + Q)))
        nn.init.zeros_(self.head[1].weight)
        with torch.no_grad():  # start from equal weights and offsets 0.2 apart
            bias = self.head[1].bias.view(cfg.prediction_length, K + Q)
            bias.zero_()
            bias[:, K:] = -1.5
            bias[:, K + Q // 2] = 0.0

    def forward(self, values: torch.Tensor, season: torch.Tensor, horizon: int,
                flip: bool = False) -> torch.Tensor:  # fmt: skip
        """Quantiles ``(B, horizon, len(LEVELS))`` on the input's scale for NaN-padded
        contexts ``values (B, L)`` (``L <= context_length``) with season lengths ``(B,)``;
        ``flip`` averages with the mirrored quantiles of the negated contexts."""
        z, mask, loc, scale = normalise(values)
        q = self.normalised_quantiles(z, mask, season, horizon, loc / scale, flip)
        return q * scale[..., None] + loc[..., None]

    def normalised_quantiles(self, z, mask, season, horizon: int, level, flip: bool = False):
        """Quantiles ``(B, horizon, Q)`` of normalised contexts ``z (B, L)`` whose observed
        mean was ``level (B, 1)`` in units of their deviation."""
        H = self.cfg.prediction_length
        pool = self.pool(z, mask, season, max(horizon, H), level)  # (B, K, max(h, H))
        s = error_scale(z, mask, season)  # (B, 1)
        if not flip:
            return self.combine(self.encode(z, mask, season, pool[..., :H], s), pool, s, horizon)
        # the pool of -z is -pool (it is equivariant): only the encoder runs twice
        both = self.encode(torch.cat([z, -z]), torch.cat([mask, mask]), torch.cat([season, season]),
                           torch.cat([pool, -pool])[..., :H], torch.cat([s, s]))  # fmt: skip
        B = len(z)
        q = self.combine(both[:B], pool, s, horizon)
        mirrored = self.combine(both[B:], -pool, s, horizon)
        return (q - mirrored.flip(-1)) / 2

    def combine(self, hidden, pool, s, horizon: int) -> torch.Tensor:
        """Quantiles ``(B, horizon, Q)`` from the summary state ``(B, d_model)``, the pool
        ``(B, K, >= horizon)`` and the error scale ``(B, 1)``."""
        H = self.cfg.prediction_length
        K = self.n_members
        out = self.head(hidden).view(-1, H, K + len(LEVELS))
        weights, offsets = out[..., :K].softmax(dim=-1), out[..., K:]
        if horizon > H:  # the last step's weights; offsets growing like sqrt(step)
            extra = horizon - H
            growth = torch.sqrt(torch.arange(H + 1, horizon + 1, dtype=pool.dtype) / H)
            weights = torch.cat([weights, weights[:, -1:].expand(-1, extra, -1)], dim=1)
            offsets = torch.cat([offsets, offsets[:, -1:].expand(-1, extra, -1)], dim=1)
            growth = torch.cat([torch.ones(H), growth])
        else:
            weights, offsets = weights[:, :horizon], offsets[:, :horizon]
            growth = torch.ones(horizon)
        combined = (weights * pool[..., :horizon].transpose(1, 2)).sum(dim=-1)  # (B, h)
        return combined[..., None] + s[..., None] * self.spread(offsets) * growth[:, None]

    @staticmethod
    def spread(offsets: torch.Tensor) -> torch.Tensor:
        """Monotone quantile offsets ``(..., Q)`` from raw outputs: the median's is free, the
        others step away from it by positive amounts."""
        mid = len(LEVELS) // 2
        up = nn.functional.softplus(offsets[..., mid + 1 :]).cumsum(dim=-1)
        down = nn.functional.softplus(offsets[..., :mid]).flip(-1).cumsum(dim=-1).flip(-1)
        centre = offsets[..., mid : mid + 1]
        return torch.cat([centre - down, centre, centre + up], dim=-1)

    @torch.no_grad()
    def pool(self, z, mask, season, horizon: int, level) -> torch.Tensor:
        level = level if self.cfg.multiplicative else None
        pool = classical_pool(z, mask, season, horizon, level)
        names = POOL + (MULTIPLICATIVE if level is not None else ())
        pool = pool[:, [names.index(name) for name in self.member_names]]
        return pool.clamp(-TARGET_LIMIT, TARGET_LIMIT)

    def encode(self, z, mask, season, pool, s) -> torch.Tensor:
        """The summary token's state ``(B, d_model)``."""
        P, N = self.cfg.patch_len, self.n_patches
        pad = N * P - z.shape[1]
        zz = nn.functional.pad(z, (pad, 0)).view(-1, N, P)
        mm = nn.functional.pad(mask.to(z.dtype), (pad, 0)).view(-1, N, P)
        patches = self.patch_embedding(torch.cat([zz * mm, mm], dim=-1)) + self.position
        members = self.pool_embedding(pool) + self.member  # (B, K, d)
        n = mask.sum(dim=1).to(z.dtype)
        features = torch.stack(
            [n.log() / 5, season.to(z.dtype).log() / 4, (pool[:, 1] != pool[:, 0]).any(dim=1)
             .to(z.dtype), s[:, 0].log()], dim=1,
        )  # fmt: skip
        summary = self.summary(features)[:, None]
        tokens = torch.cat([patches, members, summary], dim=1)
        extra = torch.ones(len(z), self.n_members + 1, dtype=torch.bool)  # members, summary
        real = torch.cat([mm.amax(dim=-1) > 0, extra], dim=1)
        allowed = real[:, None, :] | torch.eye(tokens.shape[1], dtype=torch.bool)
        return self.encoder(tokens, allowed[:, None])[:, -1]

    def loss(self, batch, y: torch.Tensor) -> torch.Tensor:
        """Scaled quantile loss: ``batch = (values (B, L) NaN-padded, season (B,))``, targets
        ``y (B, H)`` (NaN where a window has no value).

        Each window's mean pinball loss over its known targets, in units of its MASE scale
        (twice the mean over levels: the MAE of a median), is softly capped
        (``c log(1 + loss / c)``, ``c =`` :data:`LOSS_CAP`) so that a window whose context
        says nothing of its future (zeros, then the start of an epidemic) cannot drown the
        batch; windows with a constant context are left out (prediction returns the constant).
        """
        values, season = batch
        z, mask, loc, scale = normalise(values)
        H = y.shape[1]
        q = self.normalised_quantiles(z, mask, season, H, loc / scale)
        target = ((y - loc) / scale).clamp(-TARGET_LIMIT, TARGET_LIMIT)
        known = ~torch.isnan(target) & (z != 0).any(dim=1, keepdim=True)
        target = torch.where(known, target, 0.0)
        s = error_scale(z, mask, season)
        levels = torch.tensor(LEVELS)
        diff = target[..., None] - q
        pinball = 2 * torch.maximum(levels * diff, (levels - 1) * diff).mean(dim=-1) / s
        count = known.sum(dim=1)
        per_window = (pinball * known).sum(dim=1) / count.clamp(min=1)
        capped = LOSS_CAP * torch.log1p(per_window / LOSS_CAP)
        return (capped * (count > 0)).sum() / (count > 0).sum().clamp(min=1)


class ComboForecaster(NeuralForecaster):
    """The combination network as a scikit-learn style, probabilistic forecaster.

    Hyperparameters: :class:`ComboConfig` then :class:`~tsfm.training.config.TrainConfig`.
    ``predict(..., quantiles=[...])`` interpolates the network's nine quantile levels
    (0.1..0.9; levels outside that range extrapolate its outer spacing with normal tails).
    The point forecast evaluation scores is the median (output ``"median"``; ``predict``
    gives it as ``q0.5`` when asked); ``"mean"`` is the mean of the predicted distribution
    (:func:`distribution_mean`). A constant context is forecast as that constant with no
    spread.
    """

    config_class = ComboConfig
    probabilistic = True
    default_pretrained = "tsfm-combo-v3"
    pads_short_contexts = False  # padding is masked: a short context is read as it is
    max_horizon = 10_000  # beyond prediction_length the last step's weights carry on

    def _build_module(self, n_channels: int) -> nn.Module:
        if self.context_length < self.patch_len:
            raise ValueError(
                f"patch_len must be at most context_length={self.context_length}, "
                f"got {self.patch_len}"
            )
        return Combo(self._config())

    def _min_length(self) -> int:
        return 1

    def _season(self) -> int:
        if self.season == "auto":
            return season_of(getattr(self, "freq_", None))
        return int(self.season)  # a positive integer: checked by ComboConfig's constraint

    def _loop_options(self) -> dict:
        season = self._season()

        def step(module, x, y):  # standard windows (B, L, C): channels become series
            values = x.transpose(1, 2).reshape(-1, x.shape[1])
            target = y[..., : x.shape[2]].transpose(1, 2).reshape(-1, y.shape[1])
            values = cut_contexts(values, self.short_context_prob if module.training else 0.0)
            return module.loss((values, torch.full((len(values),), season)), target)

        return {"step_fn": step}

    def fit_windows(self, windows, validation=None) -> ComboForecaster:
        """Train the network on ready-made windows (pretraining: a
        :class:`~tsfm.pretrained.windows.CorpusWindows` of series of many frequencies, each
        window with its own context length and season) through the one training loop.
        Sets ``module_``, ``history_`` and ``n_params_``; export the weights
        (:func:`tsfm.models.weights.export_weights`, as ``tsfm pretrain`` does) and forecast
        through :func:`tsfm.from_pretrained` or ``init_weights=``."""
        from tsfm.models.weights import load_into, read_weights
        from tsfm.training.loop import train

        cfg = self._train_config()
        with torch_threads(cfg.n_threads):
            torch.manual_seed(cfg.random_state)
            module = self._build_module(1)
            if cfg.init_weights:
                load_into(module, read_weights(cfg.init_weights), cfg.init_weights)
            self.history_ = train(
                module, windows, validation, cfg, settings=self.get_params(deep=False),
                step_fn=lambda m, x, y: m.loss(x, y),
            )  # fmt: skip
        self.module_ = module
        self.n_params_ = sum(p.numel() for p in module.parameters())
        return self

    def _predict_batch(self, context, mask, horizon, quantiles):
        N, L, C = context.shape
        context = np.where(mask[..., None], context, np.nan)[:, -self.context_length :]
        values = torch.from_numpy(context.transpose(0, 2, 1).reshape(N * C, -1))
        season = torch.full((N * C,), self._season())
        q = self.quantile_forecast(values.double(), season, horizon)  # (N*C, H, Q)
        q = q.reshape(N, C, horizon, len(LEVELS)).transpose(0, 2, 1, 3)  # (N, H, C, Q)
        out = {"mean": distribution_mean(q), "median": q[..., len(LEVELS) // 2]}
        for level in quantiles or ():
            out[f"q{level}"] = interpolate_levels(q, level)
        return out

    def quantile_forecast(self, values: torch.Tensor, season: torch.Tensor, horizon: int):
        """Quantiles ``(B, horizon, 9)`` (float64 numpy) of NaN-padded contexts ``(B, L)``,
        validated on each context's last values (:func:`.combo_validation.validated`)."""
        holdout = min(horizon, self.prediction_length)
        q, _ = validated(self.network_quantiles, self.pool_forecasts, values, season, horizon,
                         holdout, self.holdout_ratio, distribution_mean)  # fmt: skip
        z = values.numpy()
        lo, hi = np.nanmin(z, axis=1), np.nanmax(z, axis=1)
        constant = lo == hi
        q[constant] = lo[constant, None, None]
        return np.sort(q, axis=-1)

    def network_quantiles(self, values: torch.Tensor, season: torch.Tensor, horizon: int):
        """The network's quantiles ``(B, horizon, 9)`` (float64 numpy, sorted)."""
        outputs = []
        with torch_threads(self.n_threads), torch.inference_mode():
            self.module_.eval()
            for start in range(0, len(values), 256):
                part = slice(start, start + 256)
                outputs.append(self.module_(values[part].float(), season[part], horizon,
                                            flip=self.flip_average))  # fmt: skip
        return np.sort(torch.cat(outputs).double().numpy(), axis=-1)

    def pool_forecasts(self, values: torch.Tensor, season: torch.Tensor, horizon: int):
        """The network's pool members' forecasts ``(B, K, horizon)`` (float64 numpy) on the
        contexts' scale."""
        z, mask, loc, scale = normalise(values.double())
        with torch_threads(self.n_threads):
            pool = self.module_.pool(z, mask, season, horizon, loc / scale)
        return (pool * scale[..., None] + loc[..., None]).numpy()

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "d_model": 16,
            "n_heads": 2, "d_ff": 32, "n_layers": 1, "max_epochs": 2, "batch_size": 32,
            "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip


def cut_contexts(values: torch.Tensor, prob: float, shortest: int = 8) -> torch.Tensor:
    """``values (B, L)`` with a ``prob`` share of rows cut to a random suffix of at least
    ``shortest`` values (the rest NaN), as short series arrive at prediction."""
    B, L = values.shape
    if prob <= 0 or L <= shortest:
        return values
    keep = torch.exp(torch.empty(B).uniform_(math.log(shortest), math.log(L))).long()
    keep = torch.where(torch.rand(B) < prob, keep, L)
    return values.masked_fill(torch.arange(L)[None, :] < (L - keep)[:, None], float("nan"))


#: Levels whose quantiles average to the mean of a distribution (midpoints of 200 equal slices).
MEAN_LEVELS = (np.arange(200) + 0.5) / 200


def distribution_mean(q: np.ndarray) -> np.ndarray:
    """The mean of the distribution given by the nine quantiles of :data:`LEVELS` along the
    last axis (:func:`interpolate_levels` between and beyond them): the integral of its
    quantile function, by the midpoint rule over :data:`MEAN_LEVELS`."""
    return np.mean([interpolate_levels(q, level) for level in MEAN_LEVELS], axis=0)


def interpolate_levels(q: np.ndarray, level: float) -> np.ndarray:
    """The ``level`` quantile from the nine of :data:`LEVELS` along the last axis: linear
    between them, normal tails outside (the outer spacing scaled by the normal's)."""
    from scipy.stats import norm

    levels = np.array(LEVELS)
    if levels[0] <= level <= levels[-1]:
        k = min(np.searchsorted(levels, level, side="right") - 1, len(levels) - 2)
        w = (level - levels[k]) / (levels[k + 1] - levels[k])
        return q[..., k] * (1 - w) + q[..., k + 1] * w
    inner, outer = (1, 0) if level < levels[0] else (-2, -1)
    ratio = (norm.ppf(level) - norm.ppf(levels[outer])) / (
        norm.ppf(levels[outer]) - norm.ppf(levels[inner])
    )
    return q[..., outer] + ratio * (q[..., outer] - q[..., inner])
