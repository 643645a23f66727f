"""TimeXer (Wang et al., "TimeXer: Empowering Transformers for Time Series Forecasting with
Exogenous Variables", NeurIPS 2024).

Each target channel (channel independence) is cut into non-overlapping patches, embedded with a
linear map and sine/cosine positions, and joined by a learnable global token. Every exogenous
series (the past covariates; without any, the target channels themselves) becomes one variate
token by a linear map of its whole lookback (the "inverted" embedding). Each encoder layer runs
self-attention over the patch and global tokens, then cross-attention from the global token to
the variate tokens, then a feed-forward block (post-norm LayerNorm). A flatten head reads all
tokens. Inputs are normalised per window and channel (RevIN) and the forecast mapped back.

Beyond the paper, covariates known over the horizon (day-ahead forecasts, calendars, prices set
in advance) get their own variate tokens: a linear map of each one's lookback *and* horizon
values (``context_length + prediction_length``), attended by the global token beside the past
covariates' tokens. ``predict`` then needs their horizon values (``future=``). Calendar features
(``calendar=[...]``; the paper's time-feature tokens, there over the lookback only) are tokens of
the same kind, derived from the timestamps; they are already on a fixed [-0.5, 0.5] scale and
skip RevIN (a window's day of year barely varies, so its window statistics would blow it up).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tsfm.models.neural import NeuralForecaster
from tsfm.nn import FlattenHead, RevIN, fold_channels, patchify, unfold_channels
from tsfm.nn.dropout import FastDropout
from tsfm.nn.encoder import CrossAttention, MultiHeadAttention, sinusoidal_positions
from tsfm.params import FLAG, POSITIVE, RATE, param


@dataclass
class TimeXerConfig:
    """TimeXer architecture (defaults: the official ETTh1 exogenous script, lookback 96).

    Parameters
    ----------
    context_length, prediction_length : int
    patch_len : int
        Non-overlapping endogenous patches (``context_length`` must be a multiple).
    d_model, n_heads, d_ff, n_layers, dropout
        The encoder; ``dropout`` acts on the embeddings, on each attention and feed-forward
        output before its residual, and on the forecast.
    attention_dropout : float
        Dropout on the attention weights (the official ``FullAttention``'s, which its scripts set
        to ``dropout``).
    revin : bool
        Normalise every input channel by its window statistics.
    calendar_horizon : bool
        Calendar tokens read lookback and horizon (the default). ``False``: the paper's time-feature
        tokens, lookback only, through the same linear map as the past covariates (the official
        ``DataEmbedding_inverted``).
    """

    context_length: int = param(96, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(16, POSITIVE)
    d_model: int = param(512, POSITIVE)
    n_heads: int = param(8, POSITIVE)
    d_ff: int = param(512, POSITIVE)
    n_layers: int = param(2, POSITIVE)
    dropout: float = param(0.1, RATE)
    attention_dropout: float = param(0.1, RATE)
    revin: bool = param(True, FLAG)
    calendar_horizon: bool = param(True, FLAG)


class TimeXerLayer(nn.Module):
    """Self-attention over ``(B', N+1, d)`` tokens, cross-attention of the last (global) token
    over ``(B', V, d)`` variate tokens, then a GELU feed-forward; post-norm. Each block's output
    is dropped out once, before its residual (the attention projections themselves have none)."""

    def __init__(
        self, d_model: int, n_heads: int, d_ff: int, dropout: float, attention_dropout: float
    ):
        super().__init__()
        self.self_attention = MultiHeadAttention(
            d_model, n_heads, 0.0, residual=False, attention_dropout=attention_dropout
        )
        self.cross_attention = CrossAttention(d_model, n_heads, 0.0, attention_dropout)
        self.ff1, self.ff2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = FastDropout(dropout)

    def forward(self, tokens: torch.Tensor, variates: torch.Tensor) -> torch.Tensor:
        tokens = self.norm1(tokens + self.dropout(self.self_attention(tokens)[0]))
        glob = tokens[:, -1:]
        glob = self.norm2(glob + self.dropout(self.cross_attention(glob, variates)))
        tokens = torch.cat([tokens[:, :-1], glob], dim=1)
        mixed = self.dropout(self.ff2(self.dropout(F.gelu(self.ff1(tokens)))))
        return self.norm3(tokens + mixed)


class TimeXer(nn.Module):
    """``x (B, L, C + P + K + F)`` (targets, past covariates, static covariates repeated on
    every row, the future covariates' history) and ``future (B, H, F)`` (their horizon values)
    to ``(B, H, C)``. The last ``n_calendar`` of the ``F`` future columns are calendar features,
    which are not normalised."""

    def __init__(
        self,
        cfg: TimeXerConfig,
        n_targets: int,
        n_covariates: int,
        n_future: int = 0,
        n_static: int = 0,
        n_calendar: int = 0,
    ):
        super().__init__()
        if cfg.context_length % cfg.patch_len:
            raise ValueError(
                f"context_length {cfg.context_length} is not a multiple of patch_len "
                f"{cfg.patch_len} (TimeXer's patches do not overlap)"
            )
        self.n_targets, self.n_covariates, self.n_future = n_targets, n_covariates, n_future
        self.n_static, self.n_calendar = n_static, n_calendar
        self.patch_len = cfg.patch_len
        n = cfg.context_length // cfg.patch_len
        self.revin = RevIN(n_targets + n_covariates + n_future - n_calendar) if cfg.revin else None
        self.patch_embedding = nn.Linear(cfg.patch_len, cfg.d_model, bias=False)
        self.register_buffer("positions", sinusoidal_positions(n, cfg.d_model), persistent=False)
        self.global_token = nn.Parameter(torch.randn(1, 1, cfg.d_model))
        self.variate_embedding = nn.Linear(cfg.context_length, cfg.d_model)
        self.calendar_horizon = cfg.calendar_horizon
        over_horizon = n_future if cfg.calendar_horizon else n_future - n_calendar
        self.future_embedding = (
            nn.Linear(cfg.context_length + cfg.prediction_length, cfg.d_model)
            if over_horizon
            else None
        )
        self.static_embedding = nn.Linear(n_static, cfg.d_model) if n_static else None
        self.dropout = FastDropout(cfg.dropout)
        self.layers = nn.ModuleList(
            TimeXerLayer(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout, cfg.attention_dropout)
            for _ in range(cfg.n_layers)
        )
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = FlattenHead(n + 1, cfg.d_model, cfg.prediction_length, cfg.dropout)

    def forward(self, x: torch.Tensor, future: torch.Tensor | None = None) -> torch.Tensor:
        C, P, F = self.n_targets, self.n_covariates, self.n_future
        if F and (future is None or future.shape[-1] != F):
            raise ValueError(f"this TimeXer reads {F} future covariates: pass future (B, H, {F})")
        static = None
        if self.n_static:  # one row of values per window, already scaled across series
            K = self.n_static
            static = x[:, -1, C + P : C + P + K]
            x = torch.cat([x[..., : C + P], x[..., C + P + K :]], dim=-1)
        stats = None
        if self.revin is not None:
            scaled = x.shape[-1] - self.n_calendar  # calendar features keep their fixed scale
            normalized, stats = self.revin.normalize(x[..., :scaled])
            x = torch.cat([normalized, x[..., scaled:]], dim=-1)
            if F:  # the horizon values on their context's scale
                mean, std = stats
                user = F - self.n_calendar
                future = torch.cat(
                    [(future[..., :user] - mean[..., C + P :]) / std[..., C + P :],
                     future[..., user:]], dim=-1,
                )  # fmt: skip
        B = x.shape[0]
        targets = x[..., :C]
        variates = self._variate_tokens(x, future, static)
        patches = patchify(fold_channels(targets), self.patch_len, self.patch_len, pad_end=False)
        tokens = self.patch_embedding(patches) + self.positions  # (B*C, N, d)
        tokens = torch.cat([tokens, self.global_token.expand(B * C, 1, -1)], dim=1)
        tokens = self.dropout(tokens)
        variates = self.dropout(variates).repeat_interleave(C, dim=0)  # every target sees all
        for layer in self.layers:
            tokens = layer(tokens, variates)
        y = unfold_channels(self.head(self.norm(tokens)), C)  # (B, H, C)
        if stats is None:
            return y
        mean, std = stats
        return self.revin.denormalize(y, (mean[..., :C], std[..., :C]))

    def _variate_tokens(self, x: torch.Tensor, future, static) -> torch.Tensor:
        """``(B, V, d)``: one token per past covariate (its lookback), one per future covariate
        (lookback and horizon; calendar features over the lookback only without
        ``calendar_horizon``), one for all static covariates; without covariates, one per
        target channel (the paper's fallback)."""
        C, P = self.n_targets, self.n_covariates
        past = x[..., C : C + P]
        if self.n_future:
            whole = torch.cat([x[..., C + P :], future], dim=1)  # (B, L + H, F)
            if self.n_calendar and not self.calendar_horizon:  # the last columns join the past
                whole, calendar = whole[..., : -self.n_calendar], x[..., -self.n_calendar :]
                past = torch.cat([past, calendar], dim=-1)
        tokens = []
        if past.shape[-1]:
            tokens.append(self.variate_embedding(past.transpose(1, 2)))
        if self.future_embedding is not None:
            tokens.append(self.future_embedding(whole.transpose(1, 2)))
        if static is not None:
            tokens.append(self.static_embedding(static)[:, None])
        if not tokens:
            tokens.append(self.variate_embedding(x[..., :C].transpose(1, 2)))
        return torch.cat(tokens, dim=1)


class TimeXerForecaster(NeuralForecaster):
    """TimeXer as a scikit-learn style forecaster with past and future covariates.

    ``fit(df, past_covariates=[...], future_covariates=[...], calendar=[...])`` names the
    exogenous columns; ``predict`` then needs the covariates in its input (over the context) and
    the future ones over the horizon (``future=``), and says which are missing.

    Examples
    --------
    >>> model = TimeXerForecaster(context_length=168, prediction_length=24, patch_len=24)
    >>> model.fit(df, target="price", future_covariates=["load_forecast"])  # doctest: +SKIP
    >>> model.predict(future=next_day)  # doctest: +SKIP
    """

    config_class = TimeXerConfig
    supports_covariates = True
    supports_future_covariates = True
    supports_static_covariates = True

    def _build_module(self, n_channels: int) -> nn.Module:
        return TimeXer(
            self._config(),
            n_channels,
            self.n_covariates_,
            self.n_future_,
            self.n_static_,
            self.n_calendar_,
        )

    def _fit(self, panel, validation=None) -> None:
        self.n_covariates_ = len(panel.spec.past_covariates)
        self.n_future_ = panel.spec.n_future
        self.n_static_ = len(panel.spec.static_covariates)
        super()._fit(panel, validation)

    def _fitted_state(self):
        meta, arrays = super()._fitted_state()
        counts = {"n_covariates_": self.n_covariates_, "n_future_": self.n_future_,
                  "n_static_": self.n_static_}  # fmt: skip
        return {**meta, **counts}, arrays

    def _load_fitted_state(self, meta, arrays):
        self.n_covariates_ = meta["n_covariates_"]
        self.n_future_ = meta.get("n_future_", 0)
        self.n_static_ = meta.get("n_static_", 0)
        super()._load_fitted_state(meta, arrays)

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "d_model": 16,
            "n_heads": 2, "d_ff": 32, "n_layers": 1, "max_epochs": 2, "batch_size": 32,
            "learning_rate": 1e-3, "verbose": 0, "n_threads": 1,
        }  # fmt: skip
