"""EntroPE: patch boundaries follow the series' entropy, the patch count stays within its bounds,
variable-length patches embed the same padded or alone, and channels stay independent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from tsfm.models.entrope import EntroPE, EntroPEConfig, EntroPEForecaster, context_tokens
from tsfm.nn.entropy import CausalTokenModel, quantize
from tsfm.nn.varpatch import VariablePatchEncoder, bound_patches, entropy_starts, patch_index

CFG = EntroPEConfig(
    context_length=48, prediction_length=12, n_tokens=32, entropy_d_model=8, entropy_heads=2,
    entropy_layers=1, max_patch_len=16, d_model=8, n_heads=2, d_ff=16, n_layers=2, dropout=0.0,
    head_dropout=0.0,
)  # fmt: skip


def starts_of(mask: torch.Tensor) -> list[int]:
    return torch.nonzero(mask).flatten().tolist()


# ------------------------------------------------------------------ the dynamic patcher


def test_a_high_entropy_step_starts_the_next_patch_and_moves_with_it():
    for k in (10, 25):
        entropy = torch.full((1, 40), 0.5)
        entropy[0, k] = 3.0  # the step after k is hard to predict
        assert starts_of(entropy_starts(entropy, quantile=0.9)[0]) == [0, k + 1]
        assert starts_of(entropy_starts(entropy, jump=1.0)[0]) == [0, k + 1]


def test_a_jump_needs_a_rise_over_the_previous_step():
    entropy = torch.tensor([[1.0, 1.0, 2.5, 2.6, 2.7, 1.0, 1.0, 1.2]])
    assert starts_of(entropy_starts(entropy, jump=1.0)[0]) == [0, 3]  # only 1.0 -> 2.5
    assert starts_of(entropy_starts(entropy)[0]) == [0]  # no rule: one patch


def test_boundaries_move_with_the_series():
    """Through the model: a step in the series gives a patch start just after it, wherever the
    step is. The entropy model is replaced by a stand-in whose entropy is the size of the last
    change of token (a trained model's uncertainty right after a break in the pattern)."""
    torch.manual_seed(0)
    model = EntroPE(
        EntroPEConfig(**{**vars(CFG), "entropy_jump": 2.0, "max_patch_len": None}), n_channels=1
    ).eval()

    def stand_in(tokens: torch.Tensor) -> torch.Tensor:
        change = (tokens[:, 1:] - tokens[:, :-1]).abs().float()
        return torch.nn.functional.pad(change, (1, 0))

    model.entropy_model.entropy = stand_in
    for k in (12, 20, 33):
        x = 0.1 * torch.sin(torch.arange(48.0))[None, :, None]
        x[:, k:] += 5.0
        starts = model.patch_starts(context_tokens(x, CFG.n_tokens, CFG.quant_range))[0]
        assert k + 1 in starts_of(starts), (k, starts_of(starts))
        assert not starts[k - 6 : k + 1].any()


def test_long_patches_are_cut_at_max_patch_len():
    starts = torch.zeros(1, 40, dtype=torch.bool)
    starts[0, 0] = starts[0, 30] = True
    out = bound_patches(starts, torch.zeros(1, 40), max_patch_len=12)
    assert starts_of(out[0]) == [0, 12, 24, 30]  # the last patch, 30..39, is short enough
    lengths = torch.bincount(patch_index(out)[0])
    assert lengths.max() <= 12


def test_the_patch_count_respects_its_bounds():
    torch.manual_seed(0)
    entropy = torch.rand(64, 40) * 3
    for quantile, low, high in [(0.5, 1, 6), (0.99, 8, 40), (0.7, 5, 5), (0.1, 3, 12)]:
        starts = entropy_starts(entropy, quantile=quantile)
        strength = torch.nn.functional.pad(entropy[:, :-1], (1, 0))
        out = bound_patches(starts, strength, max_patch_len=10, min_patches=low, max_patches=high)
        counts = out.sum(dim=1)
        assert bool(out[:, 0].all())
        assert int(counts.min()) >= low and int(counts.max()) <= high, (quantile, low, high)


def test_too_many_boundaries_keep_the_strongest():
    entropy = torch.tensor([[0.1, 3.0, 0.1, 2.0, 0.1, 5.0, 0.1, 1.0, 0.1, 0.1]])
    starts = entropy_starts(entropy, jump=0.5)  # after steps 1, 3, 5, 7
    strength = torch.nn.functional.pad(entropy[:, :-1], (1, 0))
    assert starts_of(starts[0]) == [0, 2, 4, 6, 8]
    assert starts_of(bound_patches(starts, strength, max_patches=3)[0]) == [0, 2, 6]
    # Too few: the strongest other steps join (ties: the earliest).
    assert starts_of(bound_patches(starts, strength, min_patches=6)[0]) == [0, 1, 2, 4, 6, 8]


# ------------------------------------------------------------------ the adaptive patch encoder


def test_padded_patches_embed_as_each_patch_alone():
    torch.manual_seed(0)
    encoder = VariablePatchEncoder(d_model=8, n_heads=2, n_layers=2, dropout=0.0).eval()
    lengths = [[3, 7, 1, 5], [10, 6]]  # two series of 16 steps, patches of varied length
    starts = torch.zeros(2, 16, dtype=torch.bool)
    for row, parts in enumerate(lengths):
        starts[row, np.cumsum([0, *parts[:-1]])] = True
    states = torch.randn(2, 16, 8)
    index = patch_index(starts)
    padded, filled = encoder(states, index, n_slots=5)
    assert filled.tolist() == [[True] * 4 + [False], [True] * 2 + [False] * 3]
    assert padded[~filled].abs().sum() == 0
    for row, parts in enumerate(lengths):
        begin = 0
        for slot, length in enumerate(parts):
            alone, _ = encoder(
                states[row : row + 1, begin : begin + length],
                torch.zeros(1, length, dtype=torch.long),
                n_slots=1,
            )
            torch.testing.assert_close(padded[row, slot], alone[0, 0])
            begin += length


def test_a_window_of_patches_reads_the_earlier_patches_too():
    torch.manual_seed(0)
    encoder = VariablePatchEncoder(d_model=8, n_heads=2, n_layers=1, dropout=0.0, window=2).eval()
    starts = torch.zeros(1, 12, dtype=torch.bool)
    starts[0, [0, 4, 9]] = True
    states = torch.randn(1, 12, 8)
    padded, _ = encoder(states, patch_index(starts), n_slots=3)
    # Patch 2 reads patches 1 and 2: steps 4..11 alone give the same embedding.
    alone, _ = encoder(states[:, 4:], patch_index(starts[:, 4:]), n_slots=2)
    torch.testing.assert_close(padded[0, 2], alone[0, 1])


# ------------------------------------------------------------------ the whole model


def test_channels_are_independent():
    torch.manual_seed(0)
    model = EntroPE(CFG, n_channels=3).eval()
    x = torch.randn(4, 48, 3).cumsum(dim=1)
    y = model(x)
    changed = x.clone()
    changed[..., 0] = torch.randn(4, 48) * 10
    torch.testing.assert_close(model(changed)[..., 1:], y[..., 1:])
    torch.testing.assert_close(model(x[..., [2, 0, 1]]), y[..., [2, 0, 1]])


def test_batch_composition_does_not_change_a_forecast():
    """Slots beyond a series' last patch are padding that a causal model never reads."""
    torch.manual_seed(0)
    model = EntroPE(CFG, n_channels=1).eval()
    x = torch.randn(6, 48, 1).cumsum(dim=1)
    together = model(x)
    for i in range(6):
        torch.testing.assert_close(model(x[i : i + 1]), together[i : i + 1])


def test_quantize_bins_the_scaled_values():
    series = torch.tensor([[-10.0, -2.0, 0.0, 2.0, 10.0]])
    tokens = quantize(series, n_bins=9, limit=2.0)  # mean |x| 4.8; centres -2, -1.5, .., 2
    assert tokens.tolist() == [[0, 3, 4, 5, 8]]
    assert bool((tokens[:, 1:] >= tokens[:, :-1]).all())


def test_entropy_is_at_most_log_of_the_vocabulary():
    torch.manual_seed(0)
    model = CausalTokenModel(16, 20, 8, 2, 1, 0.0).eval()
    entropy = model.entropy(torch.randint(0, 16, (3, 20)))
    assert entropy.shape == (3, 20)
    assert bool((entropy >= 0).all()) and bool((entropy <= np.log(16) + 1e-5).all())


def test_fit_trains_the_entropy_model_first_and_freezes_it():
    rng = np.random.default_rng(0)
    t = np.arange(400)
    frame = pd.DataFrame(
        {"a": np.sin(t / 4) + 0.1 * rng.standard_normal(400), "b": np.cos(t / 7)},
        index=pd.date_range("2024", periods=400, freq="h"),
    )
    model = EntroPEForecaster(**{**EntroPEForecaster._test_params(), "entropy_epochs": 3})
    model.fit(frame)
    losses = [epoch["train_loss"] for epoch in model.entropy_history_]
    assert len(losses) == 3 and losses[-1] < losses[0]
    for name, value in model.module_.entropy_model.state_dict().items():
        torch.testing.assert_close(value, model.entropy_model_[name])  # unchanged by the fit
