"""TimeDART: the causal encoder, the forward diffusion, the denoising objective, and
pretraining then fine-tuning through save/load (tsfm/nn/causal.py, diffusion.py, denoising.py,
tsfm/models/diffusion_pretraining.py, timedart.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from tsfm.models.diffusion_pretraining import TimeDARTObjective, TimeDARTPretrainer
from tsfm.models.patchtst import PatchTSTForecaster
from tsfm.models.timedart import TimeDARTForecaster
from tsfm.models.tsmixer import TSMixerForecaster
from tsfm.nn.causal import CausalEncoder, causal_mask, shift_right
from tsfm.nn.denoising import DenoisingDecoder, decoder_mask
from tsfm.nn.diffusion import NoiseSchedule
from tsfm.nn.encoder import (
    CrossAttention,
    MultiHeadAttention,
    TransformerEncoder,
    own_position_attention,
)

from .conftest import make_wide


def _encoder(n=10, d=8):
    torch.manual_seed(0)
    return CausalEncoder(n, d, 2, 16, 2, 0.1).eval()


@pytest.mark.parametrize("k", [0, 4, 9])
def test_causal_encoder_no_patch_sees_its_future(k):
    encoder, tokens = _encoder(), torch.randn(3, 10, 8)
    changed = tokens.clone()
    changed[:, k] += 5.0
    with torch.no_grad():
        before = encoder(tokens, attn_mask=causal_mask(10))
        after = encoder(changed, attn_mask=causal_mask(10))
    torch.testing.assert_close(after[:, :k], before[:, :k])  # the past is untouched
    assert not torch.allclose(after[:, k], before[:, k])  # the patch itself is read


def test_shifted_causal_context_sees_only_earlier_patches():
    """Position i of the pretraining context summarises patches 0 .. i-1, never patch i."""
    encoder, tokens, start = _encoder(), torch.randn(2, 10, 8), torch.randn(8)
    changed = tokens.clone()
    changed[:, 6] -= 3.0
    with torch.no_grad():
        before = encoder(shift_right(tokens, start), attn_mask=causal_mask(10))
        after = encoder(shift_right(changed, start), attn_mask=causal_mask(10))
    torch.testing.assert_close(after[:, :7], before[:, :7])
    assert not torch.allclose(after[:, 7], before[:, 7])


def test_without_the_mask_the_encoder_reads_both_ways():
    encoder, tokens = _encoder(), torch.randn(2, 10, 8)
    changed = tokens.clone()
    changed[:, 9] += 5.0
    with torch.no_grad():
        assert not torch.allclose(encoder(changed)[:, 0], encoder(tokens)[:, 0])


def test_decoder_mask_runs_from_causal_to_self_only():
    assert torch.equal(decoder_mask(6, 0.0), causal_mask(6))
    assert torch.equal(decoder_mask(6, 1.0), torch.eye(6, dtype=torch.bool))
    half = decoder_mask(6, 0.5)
    assert not half.triu(1).any() and half.diagonal().all()
    assert int(half.tril(-1).sum()) == 15 - int(15 * 0.5)


def test_decoder_denoises_each_patch_from_its_own_past_at_mask_ratio_one():
    """With the official mask ratio, decoder output i depends on noised patch i and the encoder
    output at i only."""
    torch.manual_seed(0)
    decoder = DenoisingDecoder(8, 8, 2, 16, 1, 0.0, mask_ratio=1.0).eval()
    noisy, context = torch.randn(2, 8, 8), torch.randn(2, 8, 8)
    moved_noisy, moved_context = noisy.clone(), context.clone()
    moved_noisy[:, 2] += 1.0
    moved_context[:, 5] += 1.0
    with torch.no_grad():
        base = decoder(noisy, context)
        a, b = decoder(moved_noisy, context), decoder(noisy, moved_context)
    others = [i for i in range(8) if i != 2]
    torch.testing.assert_close(a[:, others], base[:, others])
    others = [i for i in range(8) if i != 5]
    torch.testing.assert_close(b[:, others], base[:, others])


def test_own_position_attention_equals_the_diagonal_mask():
    """Without the N x N maps, the same outputs as attention under an identity mask."""
    torch.manual_seed(0)
    x, context = torch.randn(3, 7, 8), torch.randn(3, 7, 8)
    eye = torch.eye(7, dtype=torch.bool)
    attention = MultiHeadAttention(8, 4, 0.0, residual=False).eval()
    cross = CrossAttention(8, 4, 0.0).eval()
    with torch.no_grad():
        torch.testing.assert_close(attention.own_position(x), attention(x, attn_mask=eye)[0])
        torch.testing.assert_close(cross.own_position(context), cross(x, context, attn_mask=eye))
    layer = DenoisingDecoder(7, 8, 2, 16, 1, 0.0, mask_ratio=1.0).eval().layers[0]
    with torch.no_grad():
        fast = layer(x, context, None, None)
        slow = layer(x, context, eye, eye)
    torch.testing.assert_close(fast, slow)


def test_own_position_attention_drops_whole_heads_with_the_weight_dropout_rate():
    torch.manual_seed(0)
    values = torch.ones(2000, 5, 8)
    out = own_position_attention(values, n_heads=4, dropout=0.25)
    heads = out.view(2000, 5, 4, 2)
    assert torch.equal(heads[..., 0], heads[..., 1])  # a head is kept or dropped whole
    torch.testing.assert_close(heads.unique(), torch.tensor([0.0, 1 / 0.75]))
    assert float((heads[..., 0] == 0).float().mean()) == pytest.approx(0.25, abs=0.01)
    assert float(out.mean()) == pytest.approx(1.0, abs=0.01)  # the weight's expectation


def test_the_encoder_drops_attention_outputs_once_and_weights_at_their_own_rate():
    """The official layer: x + dropout(attention(x)), the weights dropped inside attention."""
    encoder = CausalEncoder(10, 8, 2, 16, 2, 0.3, attention_dropout=0.1)
    for layer in encoder.layers.layers:
        assert layer.attention.dropout.p == 0.0
        assert layer.dropout_attention.p == pytest.approx(0.3, abs=2**-16)
        assert layer.attention.attention_dropout == 0.1
    patchtst = TransformerEncoder(8, 2, 16, 1, 0.3)  # PatchTST's: the output twice, as its code
    assert patchtst.layers[0].attention.dropout.p == pytest.approx(0.3, abs=2**-16)
    assert patchtst.layers[0].attention.attention_dropout == 0.0


def test_attention_projections_start_as_torch_multihead_attention():
    torch.manual_seed(0)
    ours = CausalEncoder(10, 64, 4, 16, 1, 0.0).layers.layers[0].attention
    torch.manual_seed(0)
    reference = torch.nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))
    for weight in (ours.qkv.weight, reference.in_proj_weight):
        assert float(weight.abs().max()) <= bound
        assert float(weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert not ours.qkv.bias.any() and not ours.out.bias.any()
    cross = DenoisingDecoder(10, 64, 4, 16, 1, 0.0).layers[0].cross_attention
    assert float(cross.kv.weight.abs().max()) <= bound and not cross.kv.bias.any()


@pytest.mark.parametrize("step", [0, 100, 500, 900])
def test_forward_noising_matches_the_cosine_schedule(step):
    T, s = 1000, 0.008
    schedule = NoiseSchedule(T, "cosine")

    def f(t):
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    gamma = f(step + 1) / f(0)  # gamma_t = prod_{u <= t} (1 - beta_u), steps from 0
    assert float(schedule.gamma[step]) == pytest.approx(gamma, rel=1e-4)
    torch.manual_seed(0)
    x = torch.full((400, 50, 8), 1.5)
    noisy = schedule.add_noise(x, torch.full((400, 50), step), torch.randn_like(x))
    assert float(noisy.mean()) == pytest.approx(math.sqrt(gamma) * 1.5, abs=0.01)
    assert float(noisy.var()) == pytest.approx(1 - gamma, abs=0.01 + 0.01 * (1 - gamma))


def test_noise_schedules_decay_and_draw_one_step_per_patch():
    for kind in ("cosine", "linear"):
        gamma = NoiseSchedule(1000, kind).gamma
        assert gamma[0] > 0.99 and gamma[-1] < 0.01 and bool((gamma.diff() < 0).all())
    noisy, steps = NoiseSchedule(10)(torch.zeros(4, 6, 2))
    assert noisy.shape == (4, 6, 2) and steps.shape == (4, 6)
    assert int(steps.min()) >= 0 and int(steps.max()) < 10
    with pytest.raises(ValueError, match="noise schedule"):
        NoiseSchedule(10, "sigmoid")


def _toy(n=400, channels=2):
    t = np.arange(n)[:, None]
    values = np.sin(2 * np.pi * t / 24 + np.arange(channels)) + 0.5 * np.sin(2 * np.pi * t / 7)
    return pd.DataFrame(values, index=pd.date_range("2024", periods=n, freq="h"))


@pytest.mark.parametrize("reconstruction", ["flatten", "patch"])
def test_the_denoising_loss_falls_on_a_toy_series(reconstruction):
    params = TimeDARTForecaster._test_params() | {
        "max_epochs": 12, "dropout": 0.0, "reconstruction": reconstruction,
        "pretrain_lr_decay": None, "learning_rate": 3e-3,
    }  # fmt: skip
    model = TimeDARTForecaster(**params).pretrain(_toy())
    losses = [h["train_loss"] for h in model.pretrain_history_]
    assert losses[-1] < 0.6 * losses[0]


def test_pretraining_loss_is_the_error_of_the_denormalised_reconstruction():
    model = TimeDARTForecaster(**TimeDARTForecaster._test_params())
    module = model._build_module(2)
    pretrainer = TimeDARTPretrainer(module, 48, 8, 2, 16, 0.0, TimeDARTObjective(10))
    x = torch.randn(5, 48, 2) * 3 + 7
    torch.manual_seed(1)
    loss = pretrainer(x)
    torch.manual_seed(1)
    prediction, target = pretrainer.reconstruct(x)
    assert prediction.shape == target.shape == x.shape
    torch.testing.assert_close(loss, ((prediction - x) ** 2).mean())


def test_pretraining_decays_the_learning_rate_every_epoch():
    params = TimeDARTForecaster._test_params() | {"max_epochs": 3, "pretrain_lr_decay": 0.5}
    model = TimeDARTForecaster(**params).pretrain(make_wide(200, 2))
    assert [h["lr"] for h in model.pretrain_history_] == pytest.approx([1e-3, 5e-4, 2.5e-4])


def test_pretrain_then_fine_tune_round_trips_through_save_and_load(tmp_path):
    wide = make_wide(300, 2)
    model = TimeDARTForecaster(**TimeDARTForecaster._test_params()).pretrain(wide)
    module = model._build_module(2)
    for name, value in module.backbone.state_dict().items():  # fit starts from pretraining
        torch.testing.assert_close(value, model.pretrained_backbone_[name], msg=name)
    tuned = model.fit(wide).predict()
    scratch = TimeDARTForecaster(**TimeDARTForecaster._test_params()).fit(wide).predict()
    assert not np.allclose(tuned.to_numpy(), scratch.to_numpy())
    model.save(tmp_path / "m")
    loaded = TimeDARTForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(), tuned)
    assert loaded.get_params() == model.get_params()


def test_patchtst_pretrains_with_timedart_beside_masked_patches():
    wide = make_wide(300, 2)
    params = PatchTSTForecaster._test_params() | {"residual_attention": False, "norm": "layer"}
    model = PatchTSTForecaster(**params).pretrain(wide, method="timedart")
    assert len(model.pretrain_history_) == params["max_epochs"]
    assert model.fit(wide).predict().shape == (12, 2)
    objective = TimeDARTObjective(diffusion_steps=20, reconstruction="patch", lr_decay=0.5)
    model = PatchTSTForecaster(**params).pretrain(wide, method=objective)
    assert model.pretrain_history_[1]["lr"] == pytest.approx(0.5e-3)


def test_timedart_pretraining_refuses_encoders_without_a_causal_mask():
    wide = make_wide(200, 2)
    with pytest.raises(ValueError, match="residual_attention=False"):
        PatchTSTForecaster(**PatchTSTForecaster._test_params()).pretrain(wide, method="timedart")
    with pytest.raises(ValueError, match="attention mask"):
        TSMixerForecaster(**TSMixerForecaster._test_params()).pretrain(wide, method="timedart")
    with pytest.raises(ValueError, match="unknown pretraining method"):
        TimeDARTForecaster(**TimeDARTForecaster._test_params()).pretrain(wide, method="mae")
    with pytest.raises(ValueError, match="reconstruction"):
        TimeDARTObjective(reconstruction="mean")
