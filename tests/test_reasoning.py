"""The compositional-reasoning benchmark: its generators and a tiny end-to-end run."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pandas as pd
import pytest

from tsfm.benchmarks import reasoning
from tsfm.data.compositions import (
    AMPLITUDES,
    CYCLES,
    Component,
    component_frame,
    composite_values,
    dominant_cycles,
    long_frame,
    real_windows,
    sample_compositions,
)


def spectral_peaks(x: np.ndarray, share: float = 1e-6) -> set[int]:
    """DFT bins (cycles per window, mean left out) holding more than ``share`` of the power."""
    power = np.abs(np.fft.rfft(x)) ** 2
    power[0] = 0
    return set(np.flatnonzero(power > share * power.sum()).tolist())


@pytest.mark.parametrize("length", [400, 1200])
@pytest.mark.parametrize("kind", ["sin", "cos"])
@pytest.mark.parametrize("cycles", [3, 7, 32])
def test_a_sinusoid_has_the_period_and_amplitude_it_claims(length, kind, cycles):
    term = Component(kind, amplitude=5.0, cycles=cycles)
    x = term.values(length)
    assert spectral_peaks(x) == {cycles}
    assert term.period(length) == length / cycles
    period = round(term.period(length))
    if length % cycles == 0:  # a whole number of steps per cycle: the series repeats exactly
        np.testing.assert_allclose(x[period:], x[:-period], atol=1e-9)
    assert 2 * np.abs(np.fft.rfft(x))[cycles] / length == pytest.approx(5.0)


def test_a_trend_has_the_slope_it_claims():
    x = Component("trend", slope=0.25).values(500)
    slope, intercept = np.polyfit(np.arange(500), x, 1)
    assert slope == pytest.approx(0.25) and intercept == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="unknown component kind"):
        Component("square", cycles=3).values(10)


def test_composites_are_drawn_from_the_studys_grid_with_distinct_frequencies():
    compositions = sample_compositions(100, n_terms=2, seed=1)
    pairs = [(c.amplitude, c.cycles) for terms in compositions for c in terms]
    assert len(set(pairs)) == len(pairs) == 200  # without replacement
    assert all(a in AMPLITUDES and k in CYCLES for a, k in pairs)
    assert all(c.kind in ("sin", "cos") for terms in compositions for c in terms)
    values = composite_values(compositions, 1200)
    for terms, x in zip(compositions, values):
        assert terms[0].cycles != terms[1].cycles
        assert spectral_peaks(x) == {c.cycles for c in terms}
        np.testing.assert_allclose(x, terms[0].values(1200) + terms[1].values(1200))
    assert {c.cycles for terms in compositions for c in terms} >= set(range(3, 33)) - {3, 4}
    with pytest.raises(ValueError, match="exceed the grid"):
        sample_compositions(500, n_terms=2)


def test_a_trend_joins_every_composite_when_slopes_are_given():
    compositions = sample_compositions(5, n_terms=2, seed=0, slopes=(0.01, 0.02))
    for terms, x in zip(compositions, composite_values(compositions, 600)):
        assert terms[-1].kind == "trend" and terms[-1].slope in (0.01, 0.02)
        # a linear fit with the sinusoids' frequencies as regressors recovers the slope
        t = np.arange(600)
        waves = [f(2 * np.pi * c.cycles * t / 600) for c in terms[:-1] for f in (np.sin, np.cos)]
        design = np.column_stack([t, np.ones(600), *waves])
        slope = np.linalg.lstsq(design, x, rcond=None)[0][0]
        assert slope == pytest.approx(terms[-1].slope)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    a = composite_values(sample_compositions(20, seed=5), 300)
    b = composite_values(sample_compositions(20, seed=5), 300)
    c = composite_values(sample_compositions(20, seed=6), 300)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    first = reasoning.task_frames(reasoning.TASKS["synthetic_small"], 8, seed=3)
    second = reasoning.task_frames(reasoning.TASKS["synthetic_small"], 8, seed=3)
    for x, y in zip(first, second):
        pd.testing.assert_frame_equal(x, y)


def test_the_component_set_holds_single_patterns_and_no_composite():
    """Held out: every training series of the compositional task is one unit cosine; no
    composite, nor any part of one, is in it; together they cover every composite's terms."""
    compositions = sample_compositions(30, seed=2)
    values = composite_values(compositions, 1200)
    components = component_frame(values, top_k=2, length=1200)
    series = {sid: g["y"].to_numpy() for sid, g in components.groupby("unique_id")}
    used = {c.cycles for terms in compositions for c in terms}
    assert {int(sid.removeprefix("basis")) for sid in series} == used
    for sid, x in series.items():
        assert spectral_peaks(x) == {int(sid.removeprefix("basis"))}
        assert 2 * np.abs(np.fft.rfft(x)).max() / len(x) == pytest.approx(1.0)
    train = np.stack(list(series.values()))
    for composite in values:
        assert len(spectral_peaks(composite)) == 2
        # no training series is a composite, even rescaled: the best multiple of any of them
        # leaves at least the weaker term (amplitude >= 1 of <= 32: 3% of the norm)
        scale = train @ composite / np.sum(train**2, axis=1)
        residual = np.linalg.norm(composite - scale[:, None] * train, axis=1)
        assert residual.min() > 0.02 * np.linalg.norm(composite)
    np.testing.assert_array_equal(
        np.sort(dominant_cycles(values, 2), axis=1),
        np.sort([[c.cycles for c in terms] for terms in compositions], axis=1),
    )


def test_real_windows_are_seeded_slices_of_the_channels():
    index = pd.date_range("2020-01-01", periods=500, freq="15min")
    data = pd.DataFrame({"a": np.arange(500.0), "b": -np.arange(500.0)}, index=index)
    windows, stamps = real_windows(data, 10, 64, seed=4)
    again, _ = real_windows(data, 10, 64, seed=4)
    np.testing.assert_array_equal(windows, again)
    assert windows.shape == (10, 64) and len(stamps) == 64
    for w in windows:  # a contiguous slice of one channel
        assert np.all(np.abs(np.diff(w)) == 1.0)
    frame = long_frame(windows, "composite", str(stamps[0]), "15min")
    assert frame.groupby("unique_id").size().eq(64).all()


def test_every_neural_forecaster_is_in_the_benchmark_at_every_size():
    from tsfm.catalog import forecaster_classes

    neural = {
        cls for name, cls in forecaster_classes().items()
        if name != "combo" and "max_epochs" in cls().get_params()
    }  # fmt: skip
    for setting in reasoning.SETTINGS.values():
        task = reasoning.TASKS[setting.tasks[0]]
        models = reasoning.neural_models(setting, task, seed=1)
        assert {type(m) for m in models.values()} == neural
        assert all(m.context_length == setting.context for m in models.values())
    assert set(reasoning.FAMILIES.values()) == {"patch Transformer", "MLP"}


def test_the_runner_scores_every_kind_of_model_and_writes_its_page(tmp_path, monkeypatch):
    """A tiny end-to-end run: a patch Transformer and an MLP model trained on composites and on
    components (every model in ``tsfm benchmark --reasoning --reasoning-config ci``), the
    baselines and the zero-shot model, then the CSV, the page and the plot; a rerun resumes
    (nothing computed twice)."""
    tiny = dataclasses.replace(reasoning.SETTINGS["ci"], n_series=4, steps=2)
    monkeypatch.setitem(reasoning.SETTINGS, "ci", tiny)
    monkeypatch.setattr(reasoning, "FAMILIES", {"PatchTST": "patch Transformer", "TSMixer": "MLP"})
    args = argparse.Namespace(reasoning_config="ci", output=str(tmp_path), threads=1)
    assert reasoning.main(args) == 0
    rows = pd.read_csv(tmp_path / "reasoning_ci.csv")
    neural = set(reasoning.FAMILIES)
    assert set(rows[rows["training"] == "components"]["model"]) == neural
    assert set(rows[rows["training"] == "composites"]["model"]) == neural | set(tiny.baselines)
    assert set(rows[rows["training"] == "none"]["model"]) == {reasoning.ZERO_SHOT}
    assert rows["mae"].gt(0).all() and np.isfinite(rows["mae"]).all()
    assert rows["command"].notna().all() and rows["machine"].notna().all()
    page = (tmp_path / "REASONING.md").read_text()
    assert "## Setting `ci`" in page and "Best compositional MAE" in page
    assert all(f"| {name} |" in page for name in neural)
    assert (tmp_path / "reasoning.png").stat().st_size < 100_000
    reasoning.main(args)  # resumes: every row is present, none is added
    assert len(pd.read_csv(tmp_path / "reasoning_ci.csv")) == len(rows)


def test_the_cli_reaches_the_runner(monkeypatch):
    from tsfm import cli

    seen = {}
    monkeypatch.setattr(reasoning, "main", lambda args: seen.update(vars(args)) or 0)
    assert cli.main(["benchmark", "--reasoning", "--reasoning-config", "full"]) == 0
    assert seen["reasoning"] and seen["reasoning_config"] == "full"
    with pytest.raises(SystemExit):
        cli.main(["benchmark", "--reasoning", "--reasoning-config", "huge"])
