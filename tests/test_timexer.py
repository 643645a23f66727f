"""TimeXer: exogenous variables through past covariates."""

from __future__ import annotations

import numpy as np
import pytest

import tsfm
from tsfm.models.timexer import TimeXerForecaster

from .conftest import make_long, make_wide


def _frame(n=300):
    wide = make_wide(n, channels=3)
    wide["ch0"] = wide["ch0"] + 0.8 * wide["ch1"].shift(3).bfill()  # the target follows ch1
    return wide


def _model(**extra):
    return TimeXerForecaster(**{**TimeXerForecaster._test_params(), "max_epochs": 4, **extra})


def test_past_covariates_are_used():
    wide = _frame()
    model = _model().fit(wide, target="ch0", past_covariates=["ch1", "ch2"])
    assert model.n_covariates_ == 2
    base = model.predict(wide)
    changed = wide.copy()
    changed.loc[changed.index[-20:], "ch1"] += 3.0
    moved = model.predict(changed)
    assert base.shape == (12, 1) and list(base.columns) == ["ch0"]
    assert not np.allclose(base.to_numpy(), moved.to_numpy())
    metrics = model.evaluate(wide, test_start=250, stride=6)
    assert np.isfinite(metrics.iloc[-1]["mse"])
    models = {"TimeXer": model, "Naive": tsfm.Naive()}
    result = tsfm.backtest(models, wide, 12, n_windows=2, refit=False, target="ch0",
                           past_covariates=["ch1", "ch2"])  # fmt: skip
    assert result.overall()["n_windows"].to_dict() == {"TimeXer": 2, "Naive": 2}


def test_missing_covariates_at_predict_are_named():
    wide = _frame()
    model = _model().fit(wide, target="ch0", past_covariates=["ch1", "ch2"])
    with pytest.raises(ValueError, match="ch2"):
        model.predict(wide.drop(columns="ch2"))


def test_long_layout_and_future_covariates_refused_for_now():
    long = make_long((200, 180))
    long["price"] = np.sin(np.arange(len(long)) / 5)
    model = _model().fit(long, past_covariates=["price"])
    forecast = model.predict(long)
    assert forecast.groupby("unique_id").size().to_dict() == {"s0": 12, "s1": 12}
    with pytest.raises(ValueError, match="future covariates .*not supported yet"):
        _model().fit(long, future_covariates=["price"])


def test_patches_must_tile_the_context():
    with pytest.raises(ValueError, match="not a multiple of patch_len"):
        _model(context_length=50).fit(make_wide(200, 1))
