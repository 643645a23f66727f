"""``model.plot``: history, forecast and band; and a library that leaves the backend alone."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tsfm
from tsfm.params import InvalidParameterError

from .conftest import make_long, make_wide


def test_importing_the_plots_keeps_the_users_backend():
    code = (
        "import matplotlib; matplotlib.use('svg'); import tsfm.evaluation.plots; "
        "print(matplotlib.get_backend())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "svg"


def test_plot_draws_history_forecast_and_band():
    data = make_long()
    model = tsfm.SeasonalNaive(season_length=24, prediction_length=12).fit(data)
    fig = model.plot(n_history=48)
    assert len(fig.axes) == 3  # one per series
    forecast = model.predict(quantiles=[0.1, 0.9])
    ax = fig.axes[1]
    history, point = ax.get_lines()
    assert len(history.get_ydata()) == 48
    assert np.allclose(history.get_ydata(), data[data["unique_id"] == "s1"]["y"].iloc[-48:])
    mine = forecast[forecast["unique_id"] == "s1"]
    assert np.allclose(point.get_ydata(), mine["mean"])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.min(), mine["q0.1"].min()) and np.isclose(band.max(), mine["q0.9"].max())
    assert "s1" in ax.get_title()


def test_plot_of_new_context_limits_panels_and_draws_no_band_when_asked():
    model = tsfm.Naive(prediction_length=6).fit(make_wide(channels=3))
    fig = model.plot(make_wide(100, channels=3, seed=1), horizon=10, band=None, n_series=2)
    assert len(fig.axes) == 2 and not fig.axes[0].collections
    assert len(fig.axes[0].get_lines()[1].get_ydata()) == 10
    assert fig.axes[1].get_title().endswith("ch1")


def test_plot_median_point_of_a_sample_model():
    model = tsfm.from_pretrained("tsfm-small-v2", num_samples=20).fit(make_wide(channels=1))
    fig = model.plot(horizon=8)
    assert "median" in fig.axes[0].get_lines()[1].get_label()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"band": (0.1,)}, ValueError, "band must be two quantile levels"),
        ({"band": (0.1, 1.5)}, ValueError, "1.5"),
        ({"n_series": 0}, InvalidParameterError, "n_series"),
        ({"n_history": -1}, InvalidParameterError, "n_history"),
    ],
)
def test_plot_bad_arguments_named(kwargs, error, message):
    model = tsfm.Naive(prediction_length=6).fit(make_wide())
    with pytest.raises(error, match=message):
        model.plot(**kwargs)
