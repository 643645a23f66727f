"""The classical pool, the combination network and its variable-length pretraining windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tsfm.models.combo import Combo, ComboConfig, cut_contexts, interpolate_levels, season_of
from tsfm.nn.smoothing import MULTIPLICATIVE, POOL, classical_pool
from tsfm.pretrained.windows import CorpusWindows

MEMBER = {name: k for k, name in enumerate(POOL + MULTIPLICATIVE)}


def padded(rows: list[np.ndarray], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    z = torch.zeros(len(rows), length, dtype=torch.float64)
    mask = torch.zeros(len(rows), length, dtype=torch.bool)
    for i, r in enumerate(rows):
        z[i, length - len(r) :] = torch.as_tensor(r)
        mask[i, length - len(r) :] = True
    return z, mask


def test_trend_methods_continue_a_line_exactly():
    line = 100 + 10 * np.arange(20.0)
    pool = classical_pool(*padded([line], 64), 1, 6)[0].double()
    expected = 300 + 10 * np.arange(6.0)
    for name in ("holt", "drift", "linear"):
        np.testing.assert_allclose(pool[MEMBER[name]], expected, rtol=1e-5)
    np.testing.assert_allclose(pool[MEMBER["naive"]], 290.0)


def test_seasonal_methods_repeat_a_clean_season():
    cycle = np.array([5.0, -3.0, 8.0, 0.0, 2.0, -6.0, 1.0])
    values = np.tile(cycle, 8) + 50
    pool = classical_pool(*padded([values], 64), 7, 14)[0].double()
    for name in ("seasonal_naive", "ses", "damped"):
        np.testing.assert_allclose(pool[MEMBER[name]], np.tile(cycle, 2) + 50, atol=0.05)


def test_no_seasonality_without_evidence_or_data():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, 60)
    short = np.tile([1.0, 5.0, 2.0, 8.0], 2)  # two seasons: fewer than the three required
    pool = classical_pool(*padded([noise, short], 64), 4, 8)
    # without a seasonal component, the adjusted naive forecast is flat at the last value
    assert torch.allclose(pool[:, MEMBER["naive"]], pool[:, MEMBER["naive"], :1].expand(-1, 8))


def test_pool_is_affine_equivariant_and_ignores_padding():
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(0.2, 1, 40)) + 3 * np.sin(np.arange(40) * np.pi / 2)
    base = classical_pool(*padded([values], 48), 4, 10).double()
    moved = classical_pool(*padded([3 * values + 1000], 48), 4, 10).double()
    np.testing.assert_allclose(moved, 3 * base + 1000, rtol=1e-4)
    longer = classical_pool(*padded([values], 128), 4, 10).double()
    np.testing.assert_allclose(longer, base, rtol=1e-5, atol=1e-5)


def test_multiplicative_members_follow_a_season_that_grows_with_the_level():
    t = np.arange(120.0)
    values = (100 + 2 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12))
    z, mask = padded([values[:102]], 128)
    pool = classical_pool(z, mask, 12, 18, level=torch.zeros(1))[0].double().numpy()
    future = values[102:]
    error = {name: np.abs(pool[MEMBER[name]] - future).mean() for name in MEMBER}
    assert error["holt_mul"] < 0.3 * error["holt"]  # the additive season is too small
    assert error["holt_mul"] < 0.2 * error["seasonal_naive"]  # the last year's too
    assert error["damped_mul"] < 0.5 * error["damped"]
    assert error["theta_mul"] < 0.6 * error["theta"]


def test_multiplicative_members_scale_flip_and_step_aside_for_mixed_signs():
    rng = np.random.default_rng(3)
    t = np.arange(60.0)
    positive = 50 + t + 10 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 1, 60)
    mixed = np.cumsum(rng.normal(0, 1, 60)) + 5 * np.sin(2 * np.pi * t / 4)
    mixed[10] = -abs(mixed).max() - 1  # certainly both signs
    z, mask = padded([positive, mixed], 64)
    pool = classical_pool(z, mask, 4, 8, level=torch.zeros(2)).double()
    for name in MULTIPLICATIVE:
        additive = name.removesuffix("_mul")
        torch.testing.assert_close(pool[1, MEMBER[name]], pool[1, MEMBER[additive]])
    # a normalised context with its level gives the same forecasts as the raw one
    loc, scale = positive.mean(), positive.std()
    z_norm, _ = padded([(positive - loc) / scale, mixed], 64)
    normalised = classical_pool(z_norm, mask, 4, 8, level=torch.tensor([loc / scale, 0.0]))
    rows = [MEMBER[name] for name in MULTIPLICATIVE]
    torch.testing.assert_close(normalised[0, rows].double() * scale + loc, pool[0, rows],
                               rtol=1e-4, atol=1e-3)  # fmt: skip
    flipped = classical_pool(-3 * z, mask, 4, 8, level=torch.zeros(2)).double()
    torch.testing.assert_close(flipped, -3 * pool, rtol=1e-4, atol=1e-3)


def test_pool_runs_per_row_seasons_in_one_batch():
    rng = np.random.default_rng(2)
    rows = [np.cumsum(rng.normal(0, 1, n)) for n in (1, 2, 9, 50, 200)]
    z, mask = padded(rows, 256)
    season = torch.tensor([1, 4, 12, 7, 24])
    together = classical_pool(z, mask, season, 12)
    for i in range(len(rows)):
        alone = classical_pool(z[i : i + 1], mask[i : i + 1], int(season[i]), 12)
        torch.testing.assert_close(together[i : i + 1], alone)
    assert torch.isfinite(together).all()


def test_season_of_frequencies():
    assert [season_of(f) for f in ("YS", "QS", "MS", "W-SUN", "D", "B", "h", None)] == [
        1, 4, 12, 1, 7, 5, 24, 1,
    ]  # fmt: skip


def test_quantiles_are_monotone_and_scale_with_the_input():
    torch.manual_seed(0)
    module = Combo(ComboConfig(context_length=32, prediction_length=8, d_model=16, d_ff=32,
                               n_layers=1, n_heads=2)).eval()  # fmt: skip
    values = torch.randn(4, 32).cumsum(1)
    values[0, :20] = float("nan")
    season = torch.tensor([1, 4, 12, 1])
    with torch.no_grad():
        q = module(values, season, 12)
        moved = module(values * 5 + 7, season, 12)
    assert q.shape == (4, 12, 9)
    assert (q.diff(dim=-1) >= 0).all()
    torch.testing.assert_close(moved, q * 5 + 7, rtol=1e-4, atol=1e-3)


def test_multiplicative_network_scales_and_flips_with_the_input():
    torch.manual_seed(0)
    config = ComboConfig(context_length=48, prediction_length=8, d_model=16, d_ff=32, n_layers=1,
                         n_heads=2, recent_season=True, multiplicative=True)  # fmt: skip
    module = Combo(config).eval()
    assert module.n_members == len(POOL) + len(MULTIPLICATIVE)
    t = torch.arange(48.0)
    values = (20 + t) * (1 + 0.3 * torch.sin(2 * torch.pi * t / 12)) + torch.randn(3, 48)
    season = torch.tensor([12, 12, 1])
    with torch.no_grad():
        q = module(values, season, 10, flip=True)
        scaled = module(values * 7, season, 10, flip=True)
        flipped = module(-values, season, 10, flip=True)
    torch.testing.assert_close(scaled, q * 7, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(flipped, -q.flip(-1), rtol=1e-4, atol=1e-3)


def test_combination_loss_falls_on_a_toy_series():
    torch.manual_seed(0)
    module = Combo(ComboConfig(context_length=32, prediction_length=8, d_model=16, d_ff=32,
                               n_layers=1, n_heads=2))  # fmt: skip
    t = torch.arange(40.0)
    series = (torch.sin(t[None, :] / 3 + torch.rand(64, 1) * 6) + 0.1 * t).float()
    batch = (series[:, :32], torch.ones(64, dtype=torch.long)), series[:, 32:]
    optimizer = torch.optim.Adam(module.parameters(), lr=3e-3)
    first = float(module.loss(*batch).detach())
    for _ in range(60):
        optimizer.zero_grad()
        loss = module.loss(*batch)
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.7 * first


def test_corpus_windows_never_put_targets_in_the_context():
    series = [(np.arange(n, dtype=float), s) for n, s in ((10, 1), (300, 12), (40, 4))]
    windows = CorpusWindows(series, 500, context_length=64, horizon=16, seed=0)
    (values, season), targets = windows.batch(torch.arange(500))
    last = torch.nan_to_num(values, nan=-1).amax(dim=1)  # series values are their positions
    first_target = targets[:, 0]
    assert torch.equal(first_target, last + 1)
    observed = (~torch.isnan(values)).sum(dim=1)
    assert observed.min() >= 3 and observed.max() <= 64
    assert set(season.tolist()) == {1, 4, 12}
    # observed values are a suffix: no NaN after the first observed value
    starts = values.shape[1] - observed
    assert all(not torch.isnan(values[i, starts[i] :]).any() for i in range(500))


def test_cut_contexts_keeps_a_suffix_of_at_least_eight():
    torch.manual_seed(0)
    values = torch.randn(200, 64)
    cut = cut_contexts(values, 1.0)
    kept = (~torch.isnan(cut)).sum(dim=1)
    assert kept.min() >= 8 and kept.max() <= 64
    torch.testing.assert_close(torch.nan_to_num(cut, nan=0.0)[:, -8:], values[:, -8:])


@pytest.mark.parametrize("level", [0.05, 0.1, 0.25, 0.5, 0.9, 0.99])
def test_interpolated_levels_are_ordered(level):
    q = np.sort(np.random.default_rng(0).normal(size=(3, 5, 9)), axis=-1)
    lower = interpolate_levels(q, max(level - 0.01, 0.001))
    assert (interpolate_levels(q, level) >= lower - 1e-12).all()
