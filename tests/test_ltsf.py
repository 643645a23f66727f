"""The LTSF protocol on real data: splits, normalisation and windows match the literature."""

from __future__ import annotations

import pytest

from tsfm.baselines import Naive, SeasonalNaive, WindowAverage

from .conftest import dataset_or_skip


@pytest.mark.slow
def test_etth1_statistical_baselines_match_reference():
    """REFERENCE.md: lookback 336, horizon 96, 7 channels, 2785 test windows, normalised scale."""
    ds = dataset_or_skip("etth1")
    frame, borders = ds.ltsf(336)
    train = frame.iloc[: borders.train[1]]
    expected = {
        "SeasonalNaive": (SeasonalNaive(24, 96, context_length=336), 0.512, 0.433),
        "Naive": (Naive(96, context_length=336), 1.294, 0.713),
        "Mean": (WindowAverage(336, 96), 0.706, 0.567),
    }
    for name, (model, mse, mae) in expected.items():
        metrics = model.fit(train).evaluate(frame, test_start=borders.test_origin)
        overall = metrics.iloc[-1]
        assert (metrics["n_windows"].iloc[:-1] == 2785).all(), name
        assert overall["mse"] == pytest.approx(mse, abs=1e-3), name
        assert overall["mae"] == pytest.approx(mae, abs=1e-3), name
