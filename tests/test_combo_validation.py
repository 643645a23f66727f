"""In-context validation of the combination model: a pool member that forecast a series' own
held-out last values clearly better takes over that series' forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

import tsfm
from tsfm.models.combo import distribution_mean
from tsfm.models.combo_validation import holdout_length, validated

H, Q = 4, 9


def _spread(n_rows: int, horizon: int) -> np.ndarray:
    return np.broadcast_to(np.linspace(-2.0, 2.0, Q), (n_rows, horizon, Q)).copy()


def _stubs(network_level: float):
    """A network forecasting a flat ``network_level`` (with a fixed spread) and a pool of two
    members: the context's last value, and the line through its last two values."""

    def quantiles(values, season, horizon):
        return network_level + _spread(len(values), horizon)

    def pool(values, season, horizon):
        last = values[:, -1:].numpy()
        slope = last - values[:, -2:-1].numpy()
        steps = np.arange(1, horizon + 1)
        return np.stack([np.repeat(last, horizon, 1), last + slope * steps], axis=1)

    return quantiles, pool


def _contexts(lengths: list[int], width: int = 40) -> torch.Tensor:
    """Lines 0, 1, 2, ... left-padded with NaN to ``width``."""
    out = torch.full((len(lengths), width), float("nan"), dtype=torch.float64)
    for row, n in enumerate(lengths):
        out[row, width - n :] = torch.arange(n, dtype=torch.float64)
    return out


def test_holdout_needs_two_seasons_or_eight_values_left():
    n = torch.tensor([11, 12, 30, 31])
    season = torch.tensor([1, 1, 12, 12])
    assert holdout_length(n, season, 4).tolist() == [0, 4, 4, 4]
    assert holdout_length(torch.tensor([27]), torch.tensor([12]), 4).tolist() == [0]


def test_a_member_that_validated_better_takes_over_keeping_the_spread():
    quantiles, pool = _stubs(network_level=0.0)
    values = _contexts([30, 6])  # the short one cannot hold out 4 values
    season = torch.ones(2, dtype=torch.long)
    q, switched = validated(quantiles, pool, values, season, 6, H, 0.5, distribution_mean)
    assert switched.tolist() == [True, False]
    np.testing.assert_allclose(q[0, :, Q // 2], 30 + np.arange(6.0))  # the line goes on
    np.testing.assert_allclose(q[0] - q[0, :, Q // 2 : Q // 2 + 1], _spread(1, 6)[0])
    np.testing.assert_allclose(q[1], _spread(1, 6)[0])  # the network's, untouched


def test_no_switch_when_the_network_was_as_good_or_the_ratio_is_zero():
    values = _contexts([30])
    season = torch.ones(1, dtype=torch.long)
    # a network that forecast the holdout at its mean level: error 1.5 (line: 0); ratio 0
    quantiles, pool = _stubs(network_level=0.0)
    q, switched = validated(quantiles, pool, values, season, 6, H, 0.0, distribution_mean)
    assert not switched.any() and np.allclose(q[0, :, Q // 2], 0.0)

    def perfect(values, season, horizon):  # forecasts the line as well as the best member
        last = np.nanmax(values.numpy(), axis=1)[:, None, None]
        return last + np.arange(1.0, horizon + 1)[None, :, None] + _spread(len(values), horizon)

    q, switched = validated(perfect, pool, values, season, 6, H, 0.5, distribution_mean)
    assert not switched.any()


def test_missing_holdout_values_are_skipped_and_all_missing_keeps_the_network():
    quantiles, pool = _stubs(network_level=0.0)
    values = _contexts([30, 30])
    values[0, -2] = float("nan")  # one held-out value missing: scored on the others
    values[1, -4:] = float("nan")  # every held-out value missing: no evidence, no switch
    values[1, -5] = 25.0
    season = torch.ones(2, dtype=torch.long)
    _, switched = validated(quantiles, pool, values, season, 6, H, 0.5, distribution_mean)
    assert switched.tolist() == [True, False]


def test_the_forecaster_continues_a_line_its_untrained_network_cannot():
    params = {**tsfm.ComboForecaster._test_params(), "max_epochs": 1, "learning_rate": 1e-7,
              "validation_size": 0.0}  # fmt: skip
    index = pd.date_range("2000", periods=60, freq="YS")
    series = pd.Series(100 + 10 * np.arange(60.0), index=index, name="y")
    model = tsfm.ComboForecaster(**params).fit(series)  # barely trained: ~equal weights
    expected = 700 + 10 * np.arange(6.0)  # the pool's average is not a line
    model.set_params(holdout_ratio=0.0)
    alone = model.predict(horizon=6)["mean"].to_numpy()
    assert np.abs(alone - expected).max() > 10
    model.set_params(holdout_ratio=0.5)
    validated_ = model.predict(horizon=6, quantiles=[0.1, 0.5, 0.9])
    np.testing.assert_allclose(validated_["mean"], expected, rtol=1e-4)
    assert (validated_["q0.9"] > validated_["q0.1"]).all()
