"""TSMixer: mixing blocks, channel modes, reconciliation heads, pretraining."""

from __future__ import annotations

import pytest
import torch

from tsfm.models.tsmixer import TSMixer, TSMixerConfig, TSMixerForecaster
from tsfm.nn.mixer import (
    ChannelMixing,
    ChannelReconciliationHead,
    FeatureMixing,
    GatedAttention,
    MixerEncoder,
    MixerMLP,
    PatchAggregationHead,
    PatchMixing,
)

from .conftest import make_wide

B, C, N, D = 3, 4, 6, 8


def test_block_shapes_and_what_each_block_mixes():
    torch.manual_seed(0)
    x = torch.randn(B * C, N, D)
    assert GatedAttention(D)(x).shape == x.shape
    assert MixerMLP(D, 2, 0.0, gated=True)(x).shape == x.shape
    patch = PatchMixing(N, D, 2, 0.0, True, "layer").eval()
    feature = FeatureMixing(D, 2, 0.0, True, "layer").eval()
    channel = ChannelMixing(C, D, 2, 0.0, True, "layer").eval()
    for block in (patch, feature, channel):
        assert block(x).shape == (B * C, N, D)
    # Feature mixing treats every patch alone; patch mixing and channel mixing do not.
    changed = x.clone()
    changed[0, 0] += torch.randn(D)  # series 0, patch 0 (not a constant: LayerNorm removes it)
    assert torch.equal(feature(changed)[0, 1:], feature(x)[0, 1:])
    assert not torch.allclose(patch(changed)[0, 1:], patch(x)[0, 1:])
    assert torch.equal(patch(changed)[1:], patch(x)[1:])  # other series untouched
    assert not torch.allclose(channel(changed)[1], channel(x)[1])  # channel 1 of sample 0
    assert torch.equal(channel(changed)[C:], channel(x)[C:])  # other samples untouched
    encoder = MixerEncoder(N, D, n_layers=2, n_channels=C).eval()
    assert encoder(x).shape == x.shape and len(encoder.layers) == 2


def _module(mode, **extra):
    cfg = TSMixerConfig(
        context_length=32, prediction_length=8, patch_len=8, stride=4, d_model=8, n_layers=2,
        dropout=0.0, head_dropout=0.0, mode=mode, **extra,
    )  # fmt: skip
    torch.manual_seed(0)
    return TSMixer(cfg, n_channels=C).eval()


@pytest.mark.parametrize("mode, independent", [("independent", True), ("mix", False),
                                               ("hybrid", False)])  # fmt: skip
def test_only_the_independent_mode_keeps_channels_apart(mode, independent):
    module = _module(mode)
    x = torch.randn(B, 32, C)
    changed = x.clone()
    changed[:, :, 2] = torch.randn(B, 32)
    y, y_changed = module(x), module(changed)
    assert y.shape == (B, 8, C)
    others = [0, 1, 3]
    assert torch.allclose(y[:, :, others], y_changed[:, :, others]) == independent


def test_channel_reconciliation_head_corrects_the_base_forecast():
    head = ChannelReconciliationHead(n_channels=C, window=2)
    base = torch.randn(B, 10, C)
    assert head(base).shape == base.shape
    torch.nn.init.zeros_(head.out.weight)
    torch.nn.init.zeros_(head.out.bias)
    assert torch.equal(head(base), base)  # the correction is additive


def test_hierarchy_head_sums_are_on_the_forecast_scale():
    module = _module("independent", hierarchy_block=4)
    head = module.head
    assert isinstance(head, PatchAggregationHead)
    with torch.no_grad():  # make the sums head the exact block sums of the base forecast
        block_sum = torch.zeros(2, 8)
        block_sum[0, :4] = block_sum[1, 4:] = 1.0
        head.sums.weight.copy_(block_sum @ head.base.weight)
        head.sums.bias.copy_(block_sum @ head.base.bias)
        head.reconcile.weight.zero_()
        head.reconcile.bias.zero_()
    x = 5.0 + 3.0 * torch.randn(B, 32, C)  # far from the normalised scale
    forecast, sums = module.forecast_with_sums(x)
    assert sums.shape == (B, 2, C)
    target = head.block_sums(forecast.transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(sums, target, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="not a multiple of 3"):
        _module("independent", hierarchy_block=3)


def test_hierarchy_training_and_every_mode_fit_and_predict():
    wide = make_wide(240, channels=3)
    params = TSMixerForecaster._test_params()
    for extra in ({"mode": "mix"}, {"mode": "hybrid"}, {"hierarchy_block": 4}):
        model = TSMixerForecaster(**{**params, **extra, "max_epochs": 3}).fit(wide)
        losses = [h["train_loss"] for h in model.history_]
        assert losses[-1] < losses[0], extra
        assert model.predict().shape == (12, 3)
    with pytest.raises(ValueError, match="mode must be one of"):
        TSMixerForecaster(**{**params, "mode": "both"}).fit(wide)
