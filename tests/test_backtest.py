"""tsfm.backtest, the leaderboard, the Diebold-Mariano test, gluonts interop and Dask scale-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import tsfm
from tsfm.base import BaseForecaster
from tsfm.evaluation import diebold_mariano, relative_score

from .conftest import dataset_or_skip, make_long, make_wide


class GlobalMean(BaseForecaster):
    """A global model for the tests: forecasts the mean of everything it was fitted on, and
    records what each fit saw."""

    fits: list = []

    def __init__(self, prediction_length: int = 1, context_length: int | None = 8):
        self.prediction_length = prediction_length
        self.context_length = context_length

    def _fit(self, panel, validation=None):
        self.level_ = float(np.mean(np.concatenate(panel.values)))
        last_seen = max(s + (len(v) - 1) * panel.freq for s, v in zip(panel.starts, panel.values))
        GlobalMean.fits.append({"lengths": panel.lengths.tolist(), "last_seen": last_seen})

    def _predict_batch(self, context, mask, horizon, quantiles):
        return {"mean": np.full((len(context), horizon, context.shape[2]), self.level_)}


@pytest.fixture
def m4_hourly_full():
    ds = dataset_or_skip("m4_hourly")
    return pd.concat([ds.data, ds.test]).sort_values(["unique_id", "ds"], kind="stable")


def test_m4_hourly_reference_figures(m4_hourly_full):
    """Naive and SeasonalNaive on the official M4 Hourly test reproduce the M4 figures."""
    models = {"Naive": tsfm.Naive(), "SeasonalNaive": tsfm.SeasonalNaive(season_length=24)}
    result = tsfm.backtest(models, m4_hourly_full, 48, n_windows=1, season_length=24)
    overall = result.overall()
    assert overall.loc["Naive", "n_windows"] == 414
    assert overall.loc["Naive", "smape"] == pytest.approx(43.003, abs=1e-3)
    assert overall.loc["Naive", "mase"] == pytest.approx(11.608, abs=1e-3)
    assert overall.loc["SeasonalNaive", "smape"] == pytest.approx(13.912, abs=1e-3)
    assert overall.loc["SeasonalNaive", "mase"] == pytest.approx(1.193, abs=1e-3)
    # the last window is the official test: its targets are the test file's values
    test = tsfm.load_dataset("m4_hourly").test
    naive = result.forecasts[result.forecasts["model"] == "Naive"]
    joined = test.merge(naive, on=["unique_id", "ds"], suffixes=("", "_backtest"))
    assert len(joined) == len(test) == 414 * 48
    np.testing.assert_array_equal(joined["y"], joined["y_backtest"])
    assert result.skipped.empty


def test_dask_backend_gives_identical_results(m4_hourly_full):
    distributed = pytest.importorskip("distributed")
    models = {"Naive": tsfm.Naive(), "SeasonalNaive": tsfm.SeasonalNaive(season_length=24)}
    kwargs = dict(n_windows=2, season_length=24, quantiles=[0.1, 0.9])
    local = tsfm.backtest(models, m4_hourly_full, 48, **kwargs)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster):  # fmt: skip
        remote = tsfm.backtest(models, m4_hourly_full, 48, backend="dask", **kwargs)
    pd.testing.assert_frame_equal(local.forecasts, remote.forecasts)
    pd.testing.assert_frame_equal(local.metrics, remote.metrics)


def test_parallel_equals_serial():
    data = make_long((120, 100, 90, 80))
    models = [tsfm.SeasonalNaive(season_length=24), tsfm.Drift()]
    serial = tsfm.backtest(models, data, 12, n_windows=3)
    parallel = tsfm.backtest(models, data, 12, n_windows=3, n_jobs=2)
    pd.testing.assert_frame_equal(serial.metrics, parallel.metrics)


def test_windows_cutoffs_and_forecasts_are_the_models_own():
    data = make_long((120, 100))
    result = tsfm.backtest(tsfm.Naive(), data, 6, n_windows=3, step=4)
    frame = result.forecasts
    assert list(frame.columns[:6]) == ["model", "unique_id", "cutoff", "step", "ds", "y"]
    s1 = data[data["unique_id"] == "s1"].set_index("ds")["y"]
    cutoffs = sorted(frame.loc[frame["unique_id"] == "s1", "cutoff"].unique())
    assert [s1.index.get_loc(c) for c in cutoffs] == [100 - 6 - 8 - 1, 100 - 6 - 4 - 1, 100 - 7]
    last = frame[(frame["unique_id"] == "s1") & (frame["cutoff"] == cutoffs[-1])]
    assert (last["mean"] == s1.iloc[-7]).all()  # naive: the value at the cutoff
    np.testing.assert_array_equal(last["y"], s1.iloc[-6:])
    assert (last["ds"].to_numpy() == s1.index[-6:].to_numpy()).all()


def test_start_as_timestamp_and_wide_input():
    data = make_wide(200, channels=2)
    result = tsfm.backtest(tsfm.Naive(), data, 24, start=data.index[150], step=12)
    assert set(result.forecasts["unique_id"]) == {"ch0", "ch1"}
    cutoffs = sorted(result.forecasts["cutoff"].unique())
    assert cutoffs[0] == data.index[149] and len(cutoffs) == 3  # origins 150, 162, 174


def test_too_short_series_are_reported_not_lost():
    data = make_long((120, 40, 10))
    result = tsfm.backtest(tsfm.SeasonalNaive(season_length=24), data, 12, n_windows=2, step=12)
    skipped = result.skipped
    assert set(skipped["unique_id"]) == {"s1", "s2"}
    assert (skipped["unique_id"] == "s2").sum() == 2  # both of s2's windows
    assert skipped["reason"].str.contains("needs at least 24").all()
    assert set(result.metrics["unique_id"]) == {"s0", "s1", "overall"}
    assert result.metrics.set_index("unique_id").loc["s1", "n_windows"] == 1


def test_refit_policies_for_global_models():
    data = make_long((100, 90))
    for refit, n_fits in [(True, 4), (2, 2), (False, 1)]:
        GlobalMean.fits.clear()
        result = tsfm.backtest(GlobalMean(), data, 5, n_windows=4, refit=refit)
        assert len(GlobalMean.fits) == n_fits
        assert result.overall().loc["GlobalMean", "n_windows"] == 8
    # fit once: on the history before each series' first cutoff, nothing later
    first_cutoff = result.forecasts["cutoff"].min()
    assert GlobalMean.fits[0]["lengths"] == [100 - 20, 90 - 20]
    assert GlobalMean.fits[0]["last_seen"] <= result.forecasts["cutoff"].max()
    assert GlobalMean.fits[0]["last_seen"] >= first_cutoff


def test_sliding_window_bounds_the_training_history():
    data = make_long((100, 90))
    GlobalMean.fits.clear()
    tsfm.backtest(GlobalMean(), data, 5, n_windows=2, window="sliding", train_size=30)
    assert all(f["lengths"] == [30, 30] for f in GlobalMean.fits)
    naive_mean = tsfm.WindowAverage(window_size=3)  # local: its context is bounded as well
    result = tsfm.backtest(naive_mean, data, 5, n_windows=1, window="sliding", train_size=3)
    s0 = data[data["unique_id"] == "s0"]["y"].to_numpy()
    forecast = result.forecasts[result.forecasts["unique_id"] == "s0"]["mean"]
    np.testing.assert_allclose(forecast, s0[-8:-5].mean())


def test_bad_arguments_are_named():
    data = make_long((60,))
    with pytest.raises(ValueError, match="exactly one of n_windows= and start="):
        tsfm.backtest(tsfm.Naive(), data, 5)
    with pytest.raises(ValueError, match="refit for 'Naive'"):
        tsfm.backtest(tsfm.Naive(), data, 5, n_windows=1, refit=-1)
    with pytest.raises(ValueError, match="train_size"):
        tsfm.backtest(tsfm.Naive(), data, 5, n_windows=1, window="sliding")
    with pytest.raises(ValueError, match="series .s0.: column .y. has 1 missing"):
        bad = data.copy()
        bad.loc[3, "y"] = np.nan
        tsfm.backtest(tsfm.Naive(), bad, 5, n_windows=1)
    with pytest.raises(ValueError, match=r"train_size=30 bounds .*window='sliding' only"):
        tsfm.backtest(tsfm.Naive(), data, 5, n_windows=1, train_size=30)  # was ignored
    with pytest.raises(ValueError, match="a series is named 'overall'"):
        named = data.assign(unique_id="overall")  # was merged with the mean over series
        tsfm.backtest(tsfm.Naive(), named, 5, n_windows=1)
    with pytest.raises(ValueError, match="a series is named 'overall'"):  # evaluate: the same
        tsfm.Naive(prediction_length=5).fit(named).evaluate(named, test_size=10)


class FailsAbove(tsfm.Naive):
    """Naive, except that it raises on a context above 15."""

    def _predict_batch(self, context, mask, horizon, quantiles):
        if np.nanmax(context) > 15:
            raise FloatingPointError("overflow")
        return super()._predict_batch(context, mask, horizon, quantiles)


def test_a_failing_model_is_named_with_its_series():
    data = make_long((60, 60))
    data.loc[data["unique_id"] == "s1", "y"] += 100
    with pytest.raises(RuntimeError, match=r"FailsAbove failed .* series 's0', 's1': .*overflow"):
        tsfm.backtest([tsfm.Naive(), FailsAbove()], data, 5, n_windows=2)
    with pytest.raises(ValueError, match=r"PatchTSTForecaster failed .*: .*max_epochs=0 trains"):
        tsfm.backtest(tsfm.PatchTSTForecaster(max_epochs=0), data, 5, n_windows=1)  # still a
        # ValueError (an input or setting error), so `except ValueError` and the CLI catch it


def test_shifting_tz_aware_days_keeps_midnight_vectorised():
    from tsfm.data.panel import shift
    from tsfm.evaluation.backtest import _shift

    stamps = pd.date_range("2024-03-05", periods=400, freq="D", tz="America/New_York")
    k = np.arange(400) % 7
    expected = pd.DatetimeIndex([shift(t, j, pd.offsets.Day()) for t, j in zip(stamps, k)])
    shifted = _shift(stamps, k, pd.offsets.Day())
    assert shifted.equals(expected) and (shifted.hour == 0).all()


def test_wide_frame_skips_are_named_by_column():
    wide = make_wide(30, channels=2)
    result = tsfm.backtest(tsfm.SeasonalNaive(24), wide, 5, n_windows=2)
    assert sorted(result.skipped["unique_id"]) == ["ch0", "ch1"]  # was the internal 'series'
    assert set(result.forecasts["unique_id"]) == {"ch0", "ch1"}


def test_leaderboard_ranks_relative_scores_and_dm():
    data = make_long((200, 180, 160, 150))
    models = [tsfm.Naive(), tsfm.SeasonalNaive(season_length=24), tsfm.Drift()]
    result = tsfm.backtest(models, data, 24, n_windows=3, step=12, season_length=24)
    board = tsfm.leaderboard(result, metric="mase")
    assert board["model"].iloc[0] == "SeasonalNaive" and list(board["rank"]) == [1, 2, 3]
    assert board["mase"].is_monotonic_increasing
    per_series = result.metrics[result.metrics["unique_id"] != "overall"].pivot(
        index="unique_id", columns="model", values="mase"
    )
    expected = stats.gmean(per_series["Naive"] / per_series["SeasonalNaive"])
    got = board.set_index("model").loc["Naive", "relative_mase"]
    assert got == pytest.approx(expected, rel=1e-12)
    assert relative_score(result.metrics, "SeasonalNaive", "SeasonalNaive") == pytest.approx(1.0)
    naive = board.set_index("model").loc["Naive"]
    assert naive["dm_statistic"] > 0 and 0 <= naive["dm_p_value"] < 0.05
    with pytest.raises(ValueError, match="baseline 'ETS'"):
        tsfm.leaderboard(result, baseline="ETS")


def test_diebold_mariano_lag0_is_the_one_sample_t_test():
    rng = np.random.default_rng(0)
    a, b = rng.gamma(2.0, size=80), rng.gamma(2.2, size=80)
    statistic, p = diebold_mariano(a, b)
    t = stats.ttest_1samp(a - b, 0.0)
    assert statistic == pytest.approx(t.statistic, rel=1e-10)
    assert p == pytest.approx(t.pvalue, rel=1e-10)


def test_diebold_mariano_with_lags_against_a_direct_computation():
    rng = np.random.default_rng(1)
    n, h = 60, 3
    d = np.convolve(rng.normal(0.2, 1, n + 2), np.ones(3) / 3, "valid")  # MA(2): h = 3
    a, b = d + 5.0, np.full(n, 5.0)
    statistic, p = diebold_mariano(a, b, lag=h - 1)
    gammas = [np.sum((d[k:] - d.mean()) * (d[: n - k] - d.mean())) / n for k in range(h)]
    long_run = gammas[0] + 2 * sum((1 - k / h) * gammas[k] for k in range(1, h))
    dm = d.mean() / np.sqrt(long_run / n)
    hln = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    assert statistic == pytest.approx(hln, rel=1e-10)
    assert p == pytest.approx(2 * stats.t.sf(abs(hln), n - 1), rel=1e-10)
    # autocovariances never pair losses of different series
    groups = np.repeat([0, 1], n // 2)
    split = diebold_mariano(a, b, lag=1, groups=groups)
    cross = np.dot(d[1:] - d.mean(), d[:-1] - d.mean()) / n
    within = cross - (d[n // 2] - d.mean()) * (d[n // 2 - 1] - d.mean()) / n
    var = gammas[0] + 2 * 0.5 * within
    expected = d.mean() / np.sqrt(var / n) * np.sqrt((n + 1 - 4 + 2 / n) / n)
    assert split[0] == pytest.approx(expected, rel=1e-10)


def _gluonts_dataset(frame):
    from gluonts.dataset.common import ListDataset

    entries = [
        {"start": pd.Period(g["ds"].iloc[0], "h"), "target": g["y"].to_numpy(), "item_id": sid}
        for sid, g in frame.groupby("unique_id", sort=False)
    ]
    return ListDataset(entries, freq="h")


def test_gluonts_evaluation_of_a_wrapped_forecaster_agrees_with_backtest():
    pytest.importorskip("gluonts")
    from gluonts.dataset.split import split
    from gluonts.evaluation import Evaluator

    dataset = _gluonts_dataset(make_long((200, 180, 170)))
    horizon, n_windows = 24, 3
    model = tsfm.SeasonalNaive(season_length=24)
    predictor = tsfm.GluonTSPredictor(model, horizon, quantiles=[0.1, 0.9])
    _, template = split(dataset, offset=-horizon * n_windows)
    instances = template.generate_instances(horizon, windows=n_windows, distance=horizon)
    forecasts = list(predictor.predict(instances.input))
    actuals = [
        pd.Series(
            np.concatenate([x["target"], y["target"]]),
            index=pd.period_range(x["start"], periods=len(x["target"]) + len(y["target"])),
        ).to_frame()
        for x, y in zip(instances.input, instances.label)
    ]
    evaluator = Evaluator(quantiles=predictor.quantiles, seasonality=24, num_workers=0)
    aggregate, _ = evaluator(actuals, forecasts)
    # the same gluonts dataset straight into tsfm.backtest
    result = tsfm.backtest(
        model, dataset, horizon, n_windows=n_windows, season_length=24,
        quantiles=predictor.quantiles,
    )  # fmt: skip
    ours = result.overall().iloc[0]
    assert ours["n_windows"] == len(forecasts) == 9
    pairs = [("MSE", "mse", 1), ("MASE", "mase", 1), ("sMAPE", "smape", 100),
             ("MAPE", "mape", 100), ("mean_wQuantileLoss", "wql", 1)]  # fmt: skip
    for theirs, mine, scale in pairs:
        assert scale * aggregate[theirs] == pytest.approx(ours[mine], rel=1e-6, abs=1e-9), theirs
    assert isinstance(forecasts[0].start_date, pd.Period)


def test_gluonts_predictor_needs_a_fitted_global_model():
    pytest.importorskip("gluonts")
    dataset = _gluonts_dataset(make_long((60,)))
    with pytest.raises(Exception, match="not fitted"):
        list(tsfm.GluonTSPredictor(GlobalMean(), 5).predict(dataset))
    fitted = GlobalMean(prediction_length=5).fit(make_long((60,)))
    (forecast,) = tsfm.GluonTSPredictor(fitted, 5).predict(dataset)
    np.testing.assert_allclose(forecast.mean, fitted.level_)


def test_plots_draw_from_a_backtest():
    import matplotlib.pyplot as plt

    from tsfm.evaluation.plots import plot_backtest, plot_leaderboard, plot_metric_by_step

    data = make_long((120, 100))
    result = tsfm.backtest(
        [tsfm.Naive(), tsfm.SeasonalNaive(season_length=24)], data, 12, n_windows=2,
        quantiles=[0.1, 0.9],
    )  # fmt: skip
    for fig in (
        plot_backtest(result, n_series=2),
        plot_metric_by_step(result, "smape"),
        plot_leaderboard(result.leaderboard(), "mase"),
    ):
        assert fig.axes and fig.axes[0].lines or fig.axes[0].patches
        plt.close(fig)
    with pytest.raises(ValueError, match="metric must be one of"):
        plot_metric_by_step(result, "mase")


def test_gluonts_pandas_dataset_works_wherever_a_frame_does():
    from gluonts.dataset.pandas import PandasDataset

    frame = make_long((120, 100))
    dataset = PandasDataset.from_long_dataframe(
        frame, item_id="unique_id", timestamp="ds", target="y", freq="h"
    )
    model = tsfm.SeasonalNaive(season_length=24, prediction_length=12)
    from_gluonts = model.fit(dataset).predict()
    from_frame = model.fit(frame).predict()
    pd.testing.assert_frame_equal(from_gluonts, from_frame)
    result = tsfm.backtest(model, dataset, 12, n_windows=2)
    assert set(result.forecasts["unique_id"]) == {"s0", "s1"}


def test_a_series_without_a_defined_mase_is_named_not_silently_left_out():
    """A constant history has no MASE scale: the overall MASE averages the others, and says so."""
    frame = pd.DataFrame(
        {"flat": 5.0, "b": np.arange(60.0) ** 1.1},
        index=pd.date_range("2024", periods=60, freq="D"),
    )
    with pytest.warns(UserWarning, match=r"mase is undefined for series \['flat'\] .*constant"):
        result = tsfm.backtest(tsfm.Drift(), frame, 5, n_windows=2)
    rows = result.metrics.set_index("unique_id")
    assert (
        np.isnan(rows.loc["flat", "mase"]) and rows.loc["overall", "mase"] == rows.loc["b", "mase"]
    )
    with pytest.warns(UserWarning, match=r"mase is undefined for series \['flat'\]"):
        metrics = tsfm.Drift(prediction_length=5).fit(frame).evaluate(frame, test_size=10)
    assert metrics.iloc[-1]["mase"] == metrics.set_index("unique_id").loc["b", "mase"]
