"""MTST: every branch cuts its own patch size, the relative positional bias depends on distances
only, the branches' forecasts are summed, and channels stay independent."""

from __future__ import annotations

import pytest
import torch

from tsfm.models.mtst import MTST, MTSTConfig, MTSTForecaster
from tsfm.nn import n_patches
from tsfm.nn.relative import RelativePositionBias, relative_codes

CFG = MTSTConfig(
    context_length=48, prediction_length=12, patch_lens="4,12,24", strides=[2, 6, 12],
    d_model=8, n_heads=2, d_ff=16, n_layers=2, dropout=0.0, head_dropout=0.0,
)  # fmt: skip


def test_each_branch_sees_its_own_patch_size():
    torch.manual_seed(0)
    model = MTST(CFG, n_channels=3).eval()
    seen = {}

    def record(key):
        def hook(module, args, output):
            seen[key] = tuple(args[0].shape)

        return hook

    for i, layer in enumerate(model.layers):
        for j, branch in enumerate(layer):
            branch.backbone.embedding.proj.register_forward_hook(record((i, j)))
    model(torch.randn(5, 48, 3))
    for (i, j), shape in seen.items():
        P, S = (4, 12, 24)[j], (2, 6, 12)[j]
        assert shape == (5 * 3, n_patches(48, P, S), P), (i, j, shape)
    assert len(seen) == 2 * 3


def test_forecast_is_the_sum_of_the_branch_heads():
    torch.manual_seed(0)
    model = MTST(CFG, n_channels=1).eval()
    x = torch.randn(4, 48, 1)
    z, _ = model.revin.normalize(x)
    tokens = model.branch_tokens(z[..., 0])
    parts = [head(t) for head, t in zip(model.heads, tokens)]
    assert len(parts) == 3
    mean, std = x.mean(dim=1), x.std(dim=1, unbiased=False)
    expected = sum(parts) * torch.sqrt(std**2 + 1e-5) + mean
    torch.testing.assert_close(model(x)[..., 0], expected)


def test_relative_bias_depends_only_on_the_distance():
    torch.manual_seed(0)
    bias = RelativePositionBias(d_model=8, n_heads=3)
    long, short = bias(20)[0], bias(9)[0]  # (heads, n, n)
    torch.testing.assert_close(long[:, 1:, 1:], long[:, :-1, :-1])  # constant along diagonals
    for shift in (0, 5, 11):  # the same 9 tokens anywhere in a longer sequence
        torch.testing.assert_close(long[:, shift : shift + 9, shift : shift + 9], short)
    assert not torch.allclose(long[:, 3, 1], long[:, 1, 3])  # before and after differ


def test_relative_codes_are_signed_and_zero_on_the_diagonal():
    codes = relative_codes(6, 4)
    torch.testing.assert_close(codes[2, 4], -codes[4, 2])
    assert codes.diagonal().abs().sum() == 0
    torch.testing.assert_close(codes[3, 1], codes[5, 3])


def test_channels_are_independent():
    torch.manual_seed(0)
    model = MTST(CFG, n_channels=3).eval()
    x = torch.randn(4, 48, 3)
    y = model(x)
    changed = x.clone()
    changed[..., 0] = torch.randn(4, 48) * 10
    torch.testing.assert_close(model(changed)[..., 1:], y[..., 1:])
    torch.testing.assert_close(model(x[..., [2, 0, 1]]), y[..., [2, 0, 1]])


def test_one_stride_per_branch_is_required():
    with pytest.raises(ValueError, match="one stride per branch"):
        MTST(MTSTConfig(patch_lens=[8, 16], strides=[4]), n_channels=1)


def test_lists_and_strings_of_patch_sizes_are_accepted():
    for value in ("8, 16", [8, 16], (8, 16)):
        MTSTForecaster(patch_lens=value, strides=value)
    with pytest.raises(ValueError, match="patch_lens"):
        MTSTForecaster(patch_lens="8,x")


def test_without_relative_encoding_the_model_still_runs():
    torch.manual_seed(0)
    cfg = MTSTConfig(**{**vars(CFG), "relative_pe": False, "n_layers": 1})
    assert MTST(cfg, n_channels=2)(torch.randn(2, 48, 2)).shape == (2, 12, 2)


def test_official_etth1_shape():
    """The official ETTh1 script's model (L=336, patches 8/16, strides 4/8, 2 layers,
    d_model 128): 126 patch tokens per layer joined into one map back to the lookback."""
    model = MTST(MTSTConfig(), n_channels=7)
    assert [b.backbone.n_patches for b in model.layers[0]] == [84, 42]
    assert model.between.linear.in_features == (84 + 42) * 128
    assert model.between.linear.out_features == 336
