"""xPatch's pieces against their definitions: EMA/DEMA, arctan weights, sigmoid schedule."""

from __future__ import annotations

import math

import pytest
import torch

from tsfm.models.xpatch import XPatch, XPatchConfig
from tsfm.nn.decomposition import ExponentialDecomposition
from tsfm.training.config import LOSSES, SCHEDULES, TrainConfig, arctan_weights


def ema_loop(x, alpha):
    s, out = x[:, 0], [x[:, 0]]
    for t in range(1, x.shape[1]):
        s = alpha * x[:, t] + (1 - alpha) * s
        out.append(s)
    return torch.stack(out, dim=1)


def dema_loop(x, alpha, beta):
    s, b, out = x[:, 0], x[:, 1] - x[:, 0], [x[:, 0]]
    for t in range(1, x.shape[1]):
        new = alpha * x[:, t] + (1 - alpha) * (s + b)
        b = beta * (new - s) + (1 - beta) * b
        s = new
        out.append(s)
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("alpha", [0.3, 0.05, 0.9])
def test_ema_equals_the_recursion(alpha):
    torch.manual_seed(0)
    x = torch.randn(4, 96, 3) * 10
    seasonal, trend = ExponentialDecomposition(96, "ema", alpha)(x)
    torch.testing.assert_close(trend, ema_loop(x, alpha), rtol=0, atol=1e-5)
    torch.testing.assert_close(seasonal + trend, x)
    constant = torch.full((2, 96, 1), 3.5)
    seasonal, trend = ExponentialDecomposition(96, "ema", alpha)(constant)
    torch.testing.assert_close(trend, constant, rtol=0, atol=1e-6)
    assert seasonal.abs().max() < 1e-6


def test_ema_is_stable_on_long_contexts():
    x = torch.randn(1, 3000, 1, dtype=torch.float64)
    trend = ExponentialDecomposition(3000, "ema", 0.3).double()(x)[1]
    assert torch.isfinite(trend).all()
    torch.testing.assert_close(trend, ema_loop(x, 0.3), rtol=0, atol=1e-6)


def test_dema_equals_the_recursion():
    torch.manual_seed(1)
    x = torch.randn(3, 64, 2)
    trend = ExponentialDecomposition(64, "dema", 0.3, 0.2)(x)[1]
    torch.testing.assert_close(trend, dema_loop(x, 0.3, 0.2), rtol=0, atol=1e-5)


def test_arctan_weights_and_loss():
    expected = [-math.atan(i) + math.pi / 4 + 1 for i in range(1, 6)]
    torch.testing.assert_close(arctan_weights(5), torch.tensor(expected, dtype=torch.float32))
    pred, target = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    rho = torch.tensor(expected, dtype=torch.float32)[None, :, None]
    torch.testing.assert_close(
        LOSSES["arctan"](pred, target), (rho * pred - rho * target).abs().mean()
    )


def test_sigmoid_schedule_matches_the_formula():
    cfg = TrainConfig(learning_rate=5e-4)
    lr, k, s, w = 5e-4, 0.5, 10, 10
    for epoch in (1, 5, 10, 30, 99):
        expected = lr / (1 + math.exp(-k * (epoch - w))) - lr / (
            1 + math.exp(-k / s * (epoch - w * s))
        )
        assert SCHEDULES["sigmoid"](epoch, 0, 10, cfg) == pytest.approx(expected, rel=1e-12)
    assert SCHEDULES["sigmoid"](0, 0, 10, cfg) == lr  # the official first epoch


def test_xpatch_shapes_and_channel_independence():
    torch.manual_seed(0)
    model = XPatch(XPatchConfig(context_length=96, prediction_length=24), n_channels=3).eval()
    x = torch.randn(5, 96, 3)
    with torch.inference_mode():
        y = model(x)
        other = x.clone()
        other[:, :, 1:] = 100 * torch.randn(5, 96, 2)
        changed = model(other)
    assert y.shape == (5, 24, 3)
    torch.testing.assert_close(changed[:, :, 0], y[:, :, 0])
    with pytest.raises(ValueError, match="even prediction_length"):
        XPatch(XPatchConfig(prediction_length=25), 1)
