"""The patch backbone's pieces: RevIN, patching, dropout, attention, channel independence."""

from __future__ import annotations

import pytest
import torch

from tsfm.models.patchtst import PatchTST, PatchTSTConfig
from tsfm.nn import RevIN, fold_channels, n_patches, patchify, unfold_channels
from tsfm.nn.dropout import FastDropout, random_int16
from tsfm.nn.encoder import CrossAttention, MultiHeadAttention


def test_revin_round_trips_exactly():
    torch.manual_seed(0)
    x = torch.randn(5, 64, 3, dtype=torch.float64) * 100 + 7
    for affine in (False, True):
        revin = RevIN(3, affine=affine).double()
        if affine:
            with torch.no_grad():
                revin.weight.uniform_(0.5, 2.0)
                revin.bias.uniform_(-1, 1)
        z, stats = revin.normalize(x)
        torch.testing.assert_close(revin.denormalize(z, stats), x, rtol=0, atol=1e-10)
        if not affine:
            torch.testing.assert_close(z.mean(dim=1), torch.zeros(5, 3, dtype=torch.float64))


def test_patching_equals_a_slicing_loop():
    x = torch.randn(4, 50)
    patch_len, stride = 16, 8
    padded = torch.cat([x, x[:, -1:].repeat(1, stride)], dim=1)
    expected = torch.stack(
        [padded[:, s : s + patch_len] for s in range(0, padded.shape[1] - patch_len + 1, stride)],
        dim=1,
    )
    got = patchify(x, patch_len, stride)
    assert got.shape == (4, n_patches(50, patch_len, stride), patch_len)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    torch.testing.assert_close(
        patchify(x, 10, 10, pad_end=False), x[:, :50].reshape(4, 5, 10), rtol=0, atol=0
    )


def test_patches_always_reach_the_last_value():
    x = torch.randn(4, 50)
    unpadded = patchify(x, 16, 8, pad_end=False)  # the oldest (50 - 16) % 8 = 2 values left out
    assert unpadded.shape == (4, n_patches(50, 16, 8, pad_end=False), 16)
    torch.testing.assert_close(unpadded[:, -1], x[:, -16:], rtol=0, atol=0)
    torch.testing.assert_close(unpadded[:, 0], x[:, 2:18], rtol=0, atol=0)
    with pytest.raises(ValueError, match="stride=9 exceeds patch_len=8: the values between"):
        n_patches(50, 8, 9)


def test_fold_and_unfold_channels():
    x = torch.randn(2, 10, 3)
    folded = fold_channels(x)
    torch.testing.assert_close(folded[4], x[1, :, 1])
    torch.testing.assert_close(unfold_channels(folded, 3), x)


def test_patchtst_has_the_official_parameter_count():
    """PatchTST/42 on ETTh1: 81,728 trainable parameters, as the official model."""
    model = PatchTST(PatchTSTConfig(), n_channels=7)
    assert sum(p.numel() for p in model.parameters()) == 81_728


def test_forecasts_are_channel_and_series_independent():
    torch.manual_seed(0)
    cfg = PatchTSTConfig(context_length=48, prediction_length=12, patch_len=8, stride=4,
                         d_model=8, n_heads=2, d_ff=16, n_layers=2)  # fmt: skip
    model = PatchTST(cfg, n_channels=3).eval()
    x = torch.randn(4, 48, 3)
    with torch.inference_mode():
        base = model(x)
        other = x.clone()
        other[:, :, 1:] = torch.randn(4, 48, 2) * 50  # change every other channel
        other[1:] = torch.randn(3, 48, 3)  # and every other series in the batch
        changed = model(other)
        alone = model(x[:1])
    torch.testing.assert_close(changed[0, :, 0], base[0, :, 0])
    torch.testing.assert_close(alone[0], base[0])


def test_fast_dropout_rate_scaling_and_gradient():
    torch.manual_seed(0)
    drop = FastDropout(0.3)
    x = torch.ones(200_000, requires_grad=True)
    y = drop(x)
    kept = (y > 0).float().mean().item()
    assert abs(kept - (1 - drop.p)) < 0.005 and abs(drop.p - 0.3) < 2**-17
    assert abs(y.mean().item() - 1.0) < 0.01
    y.sum().backward()
    torch.testing.assert_close(x.grad, y.detach())
    assert torch.equal(drop.eval()(x), x)


def test_fast_dropout_draws_every_16_bit_lane_uniformly():
    torch.manual_seed(0)
    numbers = random_int16(torch.Size([400_000])).view(-1, 4).double()  # four lanes per word
    lane_means = numbers.mean(dim=0) / 32768  # uniform on [-32768, 32767]: about -1.5e-5
    assert lane_means.abs().max() < 0.01
    assert ((numbers < 0).double().mean(dim=0) - 0.5).abs().max() < 0.01
    drop = FastDropout(0.1)
    assert abs(drop.p - 0.1) < 2**-17
    kept = (drop(torch.ones(1_000_000)) > 0).double().mean().item()
    assert abs(kept - 0.9) < 0.002


def test_fast_dropout_refuses_rates_that_round_to_one():
    assert FastDropout(1 - 2**-16).p == 1 - 2**-16  # the highest rate it can draw
    for p in (1 - 2**-18, 1.0, -0.1):
        with pytest.raises(ValueError, match="dropout probability"):
            FastDropout(p)


def test_residual_attention_without_prev_equals_sdpa():
    torch.manual_seed(0)
    explicit = MultiHeadAttention(16, 4, dropout=0.0, residual=True).eval()
    fused = MultiHeadAttention(16, 4, dropout=0.0, residual=False).eval()
    fused.load_state_dict(explicit.state_dict())
    x = torch.randn(3, 10, 16)
    out, scores = explicit(x)
    torch.testing.assert_close(out, fused(x)[0], rtol=1e-5, atol=1e-6)
    assert scores.shape == (3, 4, 10, 10)


@pytest.mark.parametrize("residual", [False, True])
def test_attention_weight_dropout_acts_in_training_only(residual):
    torch.manual_seed(0)
    x = torch.randn(2, 6, 16)
    plain = MultiHeadAttention(16, 4, dropout=0.0, residual=residual).train()
    torch.testing.assert_close(plain(x)[0], plain(x)[0])  # no dropout anywhere: deterministic
    dropped = MultiHeadAttention(16, 4, dropout=0.0, residual=residual, attention_dropout=0.5)
    dropped.load_state_dict(plain.state_dict())
    assert not torch.allclose(dropped.train()(x)[0], dropped(x)[0])
    torch.testing.assert_close(dropped.eval()(x)[0], plain.eval()(x)[0])


def test_cross_attention_weight_dropout_acts_in_training_only():
    torch.manual_seed(0)
    queries, keys = torch.randn(2, 1, 16), torch.randn(2, 5, 16)
    attention = CrossAttention(16, 4, dropout=0.0, attention_dropout=0.5).train()
    assert not torch.allclose(attention(queries, keys), attention(queries, keys))
    attention.eval()
    torch.testing.assert_close(attention(queries, keys), attention(queries, keys))
