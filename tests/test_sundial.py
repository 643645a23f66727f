"""The flow-matching head on a known distribution, and SundialForecaster's probabilistic API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import tsfm
from tsfm.models.sundial import Sundial, SundialConfig, SundialForecaster
from tsfm.nn.flow import FlowHead

from .conftest import make_long, make_wide

LOW_SHARE, GAP, NOISE = 0.3, 1.5, 0.2


def _mixture(n: int, generator: torch.Generator):
    """Condition c ~ U(-1, 1); y = c - 1.5 with probability 0.3, else c + 1.5; plus N(0, 0.2)."""
    c = torch.rand(n, 1, generator=generator) * 2 - 1
    low = torch.rand(n, 1, generator=generator) < LOW_SHARE
    y = c + torch.where(low, -GAP, GAP) + NOISE * torch.randn(n, 1, generator=generator)
    return c, y


@pytest.fixture(scope="module")
def trained_head():
    torch.manual_seed(0)
    head = FlowHead(1, 1, width=48, n_blocks=2)
    optimiser = torch.optim.Adam(head.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, 900)
    data = torch.Generator().manual_seed(1)
    with torch.enable_grad():
        for _ in range(900):
            c, y = _mixture(256, data)
            loss = head.loss(c, y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return head


def test_flow_head_matches_a_bimodal_conditional_distribution(trained_head):
    c = 0.5
    seed = torch.Generator().manual_seed(3)
    draws = trained_head.sample(torch.tensor([[c]]), 4000, steps=40, generator=seed)
    draws = draws[0, :, 0].numpy()
    rng = np.random.default_rng(0)
    low = rng.random(400_000) < LOW_SHARE
    truth = c + np.where(low, -GAP, GAP) + NOISE * rng.normal(size=low.size)
    assert abs(draws.mean() - truth.mean()) < 0.1  # true mean 1.1
    assert abs(draws.std() / truth.std() - 1) < 0.1  # true sd 1.39
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert abs(np.quantile(draws, q) - np.quantile(truth, q)) < 0.2, q
    # bimodal, not collapsed to the mean: the right share in the low mode, few in the gap
    assert abs((draws < c).mean() - LOW_SHARE) < 0.05
    assert ((draws > c - 0.8) & (draws < c + 0.8)).mean() < 0.05
    # the condition moves the distribution
    shifted = trained_head.sample(torch.tensor([[-0.5]]), 2000, steps=40,
                                  generator=torch.Generator().manual_seed(3))  # fmt: skip
    assert abs(shifted.mean().item() - (draws.mean() - 1.0)) < 0.15


def test_sampler_is_deterministic_given_a_seed_and_shares_the_condition(trained_head):
    cond = torch.tensor([[0.1], [0.7], [-0.3]])

    def draw(seed):
        return trained_head.sample(cond, 16, steps=8, generator=torch.Generator().manual_seed(seed))

    a, b, other = draw(5), draw(5), draw(6)
    assert a.shape == (3, 16, 1)
    assert torch.equal(a, b) and not torch.equal(a, other)


def test_sundial_hidden_states_ignore_padding():
    cfg = SundialConfig(context_length=32, prediction_length=8, patch_len=8, d_model=16,
                        n_heads=2, d_ff=32, n_layers=2, flow_width=16, flow_blocks=1)  # fmt: skip
    torch.manual_seed(0)
    module = Sundial(cfg).eval()
    z = torch.randn(2, 32)
    mask = torch.ones(2, 32, dtype=torch.bool)
    mask[:, :13] = False  # 19 real values: two padded patches and a partial one
    garbage = z.clone()
    garbage[:, :13] = 100.0
    h1, real = module.hidden(z * mask, mask)
    h2, _ = module.hidden(garbage, mask)
    assert real[0].tolist() == [False, True, True, True]
    torch.testing.assert_close(h1[:, 1:], h2[:, 1:])


def test_forecaster_quantiles_samples_and_rollout():
    wide = make_wide(300, channels=2)
    params = SundialForecaster._test_params()
    model = SundialForecaster(**params).fit(wide)
    forecast = model.predict(quantiles=[0.1, 0.5, 0.9])
    assert list(forecast.columns.get_level_values(1).unique()) == ["mean", "q0.1", "q0.5", "q0.9"]
    for channel in ("ch0", "ch1"):
        q = forecast[channel]
        assert (q["q0.1"] <= q["q0.5"]).all() and (q["q0.5"] <= q["q0.9"]).all()
        assert not np.allclose(q["mean"], q["q0.5"])  # the mean, not the median
    samples = model.predict_samples(num_samples=7)
    assert samples.shape == (1, 7, 12, 2)
    np.testing.assert_array_equal(samples, model.predict_samples(num_samples=7))  # seeded
    longer = model.predict(horizon=30)  # beyond the trained 12 steps: rolled forward
    assert longer.shape == (30, 2) and np.isfinite(longer.to_numpy()).all()


def test_shorter_than_context_series_forecast():
    long = make_long((300, 30))  # s1 has 30 rows, context_length is 48
    model = SundialForecaster(**SundialForecaster._test_params()).fit(long[long.unique_id == "s0"])
    forecast = model.predict(long, quantiles=[0.1, 0.9])
    assert forecast.groupby("unique_id").size().to_dict() == {"s0": 12, "s1": 12}
    assert np.isfinite(forecast[["mean", "q0.1", "q0.9"]].to_numpy()).all()
    s1 = long[long.unique_id == "s1"]["y"]
    assert abs(forecast[forecast.unique_id == "s1"]["mean"].mean() - s1.mean()) < 3 * s1.std()


def test_evaluation_scores_crps_wql_and_coverage():
    wide = make_wide(300, channels=2)
    model = SundialForecaster(**SundialForecaster._test_params()).fit(wide.iloc[:240])
    metrics = model.evaluate(wide, test_start=240, stride=12, quantiles=[0.1, 0.9])
    overall = metrics.iloc[-1]
    for column in ("crps", "wql", "interval_80", "coverage_0.1", "mse"):
        assert np.isfinite(overall[column]), column
    assert 0 < overall["crps"] < overall["mae"]  # CRPS of a spread forecast is below its MAE
    result = tsfm.backtest(model, wide, 12, n_windows=2, refit=False, quantiles=[0.1, 0.9])
    assert np.isfinite(result.overall().loc["SundialForecaster", "crps"])
    assert "crps" in result.leaderboard(metric="crps").columns


def test_point_must_be_median_or_mean():
    with pytest.raises(ValueError, match="point must be"):
        SundialForecaster(**{**SundialForecaster._test_params(), "point": "mode"}).fit(
            make_wide(200, 1)
        )


@pytest.mark.parametrize("cls", [tsfm.PatchTSTForecaster, tsfm.TSMixerForecaster],
                         ids=lambda c: c.__name__)  # fmt: skip
def test_flow_head_option_on_other_patch_models(cls, tmp_path):
    wide = make_wide(300, channels=2)
    params = {**cls._test_params(), "flow_width": 32, "flow_blocks": 1, "num_samples": 30,
              "sampling_steps": 5}  # fmt: skip
    point = cls(**params).fit(wide)
    assert not point.probabilistic
    with pytest.raises(ValueError, match="point forecasts only"):
        point.predict(quantiles=[0.1])
    model = cls(**params, head="flow").fit(wide)
    assert model.probabilistic and model.history_[-1]["train_loss"] > 0
    forecast = model.predict(quantiles=[0.1, 0.9])
    lower, upper = (forecast.xs(q, axis=1, level=1) for q in ("q0.1", "q0.9"))
    assert (lower <= upper).all().all()
    metrics = model.evaluate(wide, test_start=250, stride=10, quantiles=[0.1, 0.9])
    assert np.isfinite(metrics.iloc[-1]["crps"])
    loaded = tsfm.BaseForecaster.load(model.save(tmp_path / "flow"))
    pd.testing.assert_frame_equal(loaded.predict(quantiles=[0.1]), model.predict(quantiles=[0.1]))
    with pytest.raises(ValueError, match="head must be"):
        cls(**params, head="gaussian").fit(wide)


def test_short_context_training_masks_a_random_prefix():
    from tsfm.models.sundial import Sundial, SundialConfig

    cfg = SundialConfig(context_length=64, prediction_length=16, patch_len=8, d_model=16,
                        n_heads=2, d_ff=32, n_layers=1, short_context_prob=0.5)  # fmt: skip
    module = Sundial(cfg).train()
    torch.manual_seed(0)
    mask = module.training_mask(2000, 64)
    # a suffix is kept: once observed, observed to the end, with at least one patch
    assert (mask[:, 1:] >= mask[:, :-1]).all() and mask[:, -8:].all()
    shortened = (~mask[:, 0]).float().mean().item()
    assert 0.42 < shortened < 0.55  # the share cut (a cut at row 0 keeps the whole window)
    assert module.eval().training_mask(5, 64).all()  # never at prediction time
    x, y = torch.randn(4, 64, 2), torch.randn(4, 16, 2)
    assert torch.isfinite(module.train().loss(x, y))


@pytest.mark.parametrize("true_scale", [0.5, 2.0])
def test_fit_spread_recovers_a_wrong_sample_scale(true_scale):
    from tsfm.models.calibration import fit_spread, widen

    rng = np.random.default_rng(0)
    center = rng.normal(size=(400, 1, 6))
    samples = center + rng.normal(size=(400, 200, 6))  # the model's spread: 1
    target = center[:, 0] + true_scale * rng.normal(size=(400, 6))  # what happens: true_scale
    spread = fit_spread(samples, target)
    assert spread == pytest.approx(true_scale, rel=0.08)
    widened = widen(samples, spread)
    np.testing.assert_allclose(np.median(widened, axis=1), np.median(samples, axis=1))
    inside = (np.quantile(widened, 0.1, axis=1) <= target) & (
        target <= np.quantile(widened, 0.9, axis=1)
    )
    assert 0.76 < inside.mean() < 0.84  # calibrated 80% intervals cover about 80%
    with pytest.raises(ValueError, match="do not match"):
        fit_spread(samples, target[:, :3])


def test_calibrated_intervals_scale_samples_and_survive_save_load(tmp_path):
    wide = make_wide(300, channels=2)
    params = {**SundialForecaster._test_params(), "calibrate_intervals": True}
    model = SundialForecaster(**params).fit(wide)
    spread = model.spread_
    assert spread > 0 and spread != 1.0
    calibrated = model.predict_samples()
    loaded = tsfm.BaseForecaster.load(model.save(tmp_path / "calibrated"))
    assert loaded.spread_ == spread
    np.testing.assert_array_equal(loaded.predict_samples(), calibrated)
    model.spread_ = 1.0
    raw = model.predict_samples()
    median = np.median(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(calibrated - median, spread * (raw - median), rtol=1e-6, atol=1e-9)


def _random_weights(folder, n_channels=1) -> str:
    """A weights folder of an untrained tiny Sundial (``max_epochs=0`` needs ``init_weights``)."""
    from tsfm.models.weights import export_weights

    model = SundialForecaster(**SundialForecaster._test_params())
    return str(export_weights(model._build_module(n_channels), folder, {}))


def test_calibration_needs_samples_and_validation_windows(tmp_path):
    wide = make_wide(300, channels=1)
    with pytest.raises(ValueError, match="needs a probabilistic model"):
        tsfm.PatchTSTForecaster(**tsfm.PatchTSTForecaster._test_params(),
                                calibrate_intervals=True).fit(wide)  # fmt: skip
    params = {**SundialForecaster._test_params(), "calibrate_intervals": True}
    with pytest.raises(ValueError, match="needs validation windows"):
        SundialForecaster(**params, validation_size=0).fit(wide)
    untrained = {**params, "max_epochs": 0, "init_weights": _random_weights(tmp_path)}
    with pytest.raises(ValueError, match="needs validation windows"):  # no training either
        SundialForecaster(**untrained, validation_size=0).fit(wide)


def test_untrained_weights_can_be_calibrated_on_validation(tmp_path):
    """``max_epochs=0`` (e.g. a pretrained model used as it is) with calibration: the weights
    stay as they are, only the spread is fitted on the validation windows."""
    wide = make_wide(300, channels=1)
    params = {**SundialForecaster._test_params(), "max_epochs": 0}
    params["init_weights"] = _random_weights(tmp_path)
    plain = SundialForecaster(**params).fit(wide)
    calibrated = SundialForecaster(**params, calibrate_intervals=True).fit(wide)
    assert plain.history_ == [] and calibrated.history_ == []
    for name, value in plain.module_.state_dict().items():
        assert torch.equal(value, calibrated.module_.state_dict()[name]), name
    assert calibrated.spread_ > 0 and calibrated.spread_ != 1.0


def test_stats_holdout_keeps_training_targets_out_of_the_statistics():
    cfg = SundialConfig(context_length=64, prediction_length=16, patch_len=8, d_model=16,
                        n_heads=2, d_ff=32, n_layers=1, stats_holdout=2)  # fmt: skip
    module = Sundial(cfg).train()
    x = torch.randn(3, 64)
    mask = torch.ones(3, 64, dtype=torch.bool)
    stats = module.statistics_mask(mask)
    assert stats[:, :48].all() and not stats[:, 48:].any()  # the last 2 patches left out
    changed = x.clone()
    changed[:, 48:] += 100.0  # a level shift inside the held-out patches
    _, (mean, std) = module.normalize(x, mask, stats)
    _, (mean2, std2) = module.normalize(changed, mask, module.statistics_mask(mask))
    torch.testing.assert_close((mean, std), (mean2, std2))
    short = torch.zeros(3, 64, dtype=torch.bool)
    short[:, 56:] = True  # nothing real before the held-out part: all real rows count
    assert torch.equal(module.statistics_mask(short), short)
    real = torch.ones(3, 8, dtype=torch.bool)  # 8 patches: positions 5, 6 and 7 train
    assert module.trained_positions(real).tolist() == [[False] * 5 + [True] * 3] * 3
    assert torch.isfinite(module.loss(x[..., None], torch.randn(3, 16, 1)))
    assert Sundial(SundialConfig(context_length=64, stats_holdout=0)).statistics_mask(mask) is mask
