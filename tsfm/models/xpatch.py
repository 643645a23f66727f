"""xPatch (Stitsyuk & Choi, "xPatch: Dual-Stream Time Series Forecasting with Exponential
Seasonal-Trend Decomposition", AAAI 2025).

The RevIN-normalised lookback is split by exponential smoothing into a trend and a seasonal
part. A linear stream (MLP with average pooling and LayerNorm) reads the trend; a non-linear
stream reads patches of the seasonal part with a patch-wise MLP, a depthwise convolution inside
each patch, a residual, and a pointwise convolution across patches; a linear layer joins the two
forecasts. Trained with the arctangent-weighted MAE and the sigmoid learning-rate schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tsfm.models.neural import NeuralForecaster
from tsfm.nn import RevIN, fold_channels, n_patches, patchify, unfold_channels
from tsfm.nn.decomposition import ExponentialDecomposition
from tsfm.params import FLAG, POSITIVE, OneOf, Real, param


@dataclass
class XPatchConfig:
    """xPatch architecture (defaults: the paper's unified setting on ETTh1).

    Parameters
    ----------
    context_length, prediction_length : int
        Lookback ``L`` and horizon ``H`` (``H`` even: the trend stream pools by two).
    patch_len, stride : int
        Patching of the seasonal part (end padded).
    decomposition : {"ema", "dema"}
        Exponential or double exponential smoothing for the trend.
    alpha, beta : float
        Smoothing factors.
    revin : bool
        Reversible instance normalisation (affine, as the official code).
    """

    context_length: int = param(96, POSITIVE)
    prediction_length: int = param(96, POSITIVE)
    patch_len: int = param(16, POSITIVE)
    stride: int = param(8, POSITIVE)
    decomposition: str = param("ema", OneOf("ema", "dema"))
    alpha: float = param(0.3, Real(0, 1, closed="right"))
    beta: float = param(0.3, Real(0, 1, closed="right"))
    revin: bool = param(True, FLAG)


class SeasonalStream(nn.Module):
    """Non-linear stream: ``(B', L)`` seasonal series to ``(B', H)``."""

    def __init__(self, cfg: XPatchConfig):
        super().__init__()
        P, H = cfg.patch_len, cfg.prediction_length
        self.patch_len, self.stride = P, cfg.stride
        N = n_patches(cfg.context_length, P, cfg.stride)
        self.embed = nn.Sequential(nn.Linear(P, P * P), nn.GELU(), nn.BatchNorm1d(N))
        self.depthwise = nn.Sequential(
            nn.Conv1d(N, N, P, stride=P, groups=N), nn.GELU(), nn.BatchNorm1d(N)
        )
        self.residual = nn.Linear(P * P, P)
        self.pointwise = nn.Sequential(nn.Conv1d(N, N, 1), nn.GELU(), nn.BatchNorm1d(N))
        self.head = nn.Sequential(
            nn.Flatten(start_dim=-2), nn.Linear(N * P, 2 * H), nn.GELU(), nn.Linear(2 * H, H)
        )

    def forward(self, seasonal: torch.Tensor) -> torch.Tensor:
        x = self.embed(patchify(seasonal, self.patch_len, self.stride))  # (B', N, P*P)
        x = self.depthwise(x) + self.residual(x)  # (B', N, P)
        return self.head(self.pointwise(x))


class TrendStream(nn.Module):
    """Linear stream: ``(B', L)`` trend to ``(B', H)`` through 4H, 2H, H/2 and H units."""

    def __init__(self, cfg: XPatchConfig):
        super().__init__()
        L, H = cfg.context_length, cfg.prediction_length
        self.layers = nn.Sequential(
            nn.Linear(L, 4 * H), nn.AvgPool1d(2), nn.LayerNorm(2 * H),
            nn.Linear(2 * H, H), nn.AvgPool1d(2), nn.LayerNorm(H // 2),
            nn.Linear(H // 2, H),
        )  # fmt: skip

    def forward(self, trend: torch.Tensor) -> torch.Tensor:
        return self.layers(trend)


class XPatch(nn.Module):
    """``(B, L, C)`` to ``(B, H, C)``, channel independent."""

    def __init__(self, cfg: XPatchConfig, n_channels: int):
        super().__init__()
        if cfg.prediction_length % 2:
            raise ValueError(f"xPatch needs an even prediction_length, got {cfg.prediction_length}")
        self.n_channels = n_channels
        self.revin = RevIN(n_channels, affine=True) if cfg.revin else None
        self.decompose = ExponentialDecomposition(
            cfg.context_length, cfg.decomposition, cfg.alpha, cfg.beta
        )
        self.seasonal = SeasonalStream(cfg)
        self.trend = TrendStream(cfg)
        self.join = nn.Linear(2 * cfg.prediction_length, cfg.prediction_length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        seasonal, trend = self.decompose(x)
        both = torch.cat(
            [self.seasonal(fold_channels(seasonal)), self.trend(fold_channels(trend))], dim=-1
        )
        y = unfold_channels(self.join(both), self.n_channels)
        return self.revin.denormalize(y, stats) if stats is not None else y


@dataclass
class XPatchTraining:
    """xPatch's own training defaults (arctan loss, sigmoid schedule); any may be changed."""

    loss: str = "arctan"
    lr_schedule: str = "sigmoid"
    learning_rate: float = 5e-4
    batch_size: int = 2048


class XPatchForecaster(NeuralForecaster):
    """xPatch as a scikit-learn style forecaster.

    Hyperparameters: :class:`XPatchConfig`, then the shared
    :class:`~tsfm.training.config.TrainConfig` with xPatch's defaults
    (``loss="arctan"``, ``lr_schedule="sigmoid"``, ``learning_rate=5e-4``, ``batch_size=2048``).
    """

    config_class = XPatchConfig
    training_defaults = XPatchTraining

    def _build_module(self, n_channels: int) -> nn.Module:
        return XPatch(self._config(), n_channels)

    @classmethod
    def _test_params(cls) -> dict:
        return {
            "context_length": 48, "prediction_length": 12, "patch_len": 8, "stride": 4,
            "max_epochs": 2, "batch_size": 32, "learning_rate": 1e-3, "verbose": 0,
            "n_threads": 1,
        }  # fmt: skip
