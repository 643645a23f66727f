"""Beyond the trained horizon and without the training data (issue 34, item 11).

``recursive=True`` lets a fixed-horizon neural model forecast past its ``prediction_length`` by
feeding its forecasts back (one implementation, :func:`tsfm.models.neural.roll_forward`, for
point and flow heads); ``save(..., include_data=False)`` leaves the training series out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.models.neural import roll_forward

from .conftest import make_long, make_series


@pytest.fixture(scope="module")
def patchtst():
    params = {**tsfm.PatchTSTForecaster._test_params(), "max_epochs": 1}
    return tsfm.PatchTSTForecaster(**params).fit(make_series(300))


def test_longer_horizon_is_refused_naming_recursive(patchtst):
    with pytest.raises(ValueError, match="exceeds prediction_length=12.*recursive=True"):
        patchtst.predict(horizon=30)


def test_recursive_forecast_equals_feeding_the_forecast_back_by_hand(patchtst):
    model = patchtst
    model.set_params(recursive=True)
    try:
        long = model.predict(horizon=30)
        first = model.predict(horizon=12)
        history = make_series(300)
        extended = pd.concat([history, first["mean"].rename(history.name)])
        second = model.predict(extended, horizon=12)
    finally:
        model.set_params(recursive=False)
    assert len(long) == 30 and long.index[0] == history.index[-1] + history.index.freq
    np.testing.assert_allclose(long["mean"].iloc[:12], first["mean"])
    np.testing.assert_allclose(long["mean"].iloc[12:24], second["mean"], rtol=1e-5)


def test_recursive_evaluate_scores_the_long_horizon(patchtst):
    patchtst.set_params(recursive=True)
    try:
        metrics = patchtst.evaluate(make_series(300), test_size=72, horizon=36, stride=12)
    finally:
        patchtst.set_params(recursive=False)
    assert metrics["n_windows"].iloc[-1] == 4 and np.isfinite(metrics["mae"]).all()


def test_flow_head_rolls_every_sample_path():
    params = {**tsfm.PatchTSTForecaster._test_params(), "max_epochs": 1, "head": "flow",
              "num_samples": 8, "recursive": True}  # fmt: skip
    model = tsfm.PatchTSTForecaster(**params).fit(make_series(300))
    out = model.predict(horizon=30, quantiles=[0.1, 0.9])
    assert out.shape == (30, 3) and np.isfinite(out.to_numpy()).all()
    assert (out["q0.9"] >= out["q0.1"]).all()


def test_covariates_cannot_roll():
    data = make_long((200, 210)).assign(temp=lambda d: np.sin(np.arange(len(d)) / 5))
    params = {**tsfm.TimeXerForecaster._test_params(), "max_epochs": 1, "recursive": True}
    model = tsfm.TimeXerForecaster(**params).fit(data, past_covariates=["temp"])
    with pytest.raises(ValueError, match="recursive=True cannot forecast 20 steps with covari"):
        model.predict(horizon=20)


def test_roll_forward_continues_each_path_from_its_own_past():
    def step(context, mask, n):  # the next values repeat the context's last one, plus n paths
        last = context[:, -1:, :]
        return np.stack([np.repeat(last + k + 1, 3, axis=1) for k in range(n)], axis=1)

    context = np.zeros((2, 5, 1))
    paths = roll_forward(step, context, np.ones((2, 5), bool), horizon=7, length=3, n_paths=2)
    assert paths.shape == (2, 2, 7, 1)
    np.testing.assert_array_equal(paths[0, 0, :, 0], [1, 1, 1, 2, 2, 2, 3])
    np.testing.assert_array_equal(paths[0, 1, :, 0], [2, 2, 2, 3, 3, 3, 4])


@pytest.mark.parametrize("make", [lambda: tsfm.SeasonalNaive(24, 6), "patchtst"])
def test_save_without_data_needs_data_to_predict(make, patchtst, tmp_path):
    model = patchtst if make == "patchtst" else make().fit(make_long())
    data = make_series(300) if make == "patchtst" else make_long()
    full = model.save(tmp_path / "full")
    lean = model.save(tmp_path / "lean", include_data=False)
    assert (lean / "state.safetensors").stat().st_size < (full / "state.safetensors").stat().st_size
    loaded = tsfm.BaseForecaster.load(lean)
    assert loaded.panel_ is None and loaded.spec_ == model.spec_
    with pytest.raises(ValueError, match="saved without its training data.*pass the data"):
        loaded.predict()
    pd.testing.assert_frame_equal(loaded.predict(data), model.predict(data))
    config = (lean / "config.json").read_text()
    assert "ids" not in config and "starts" not in config
