"""TimeXer: exogenous variables as past and future covariates; calendar features."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.data.future import calendar_features
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


def test_long_layout_with_past_covariates():
    long = make_long((200, 180))
    long["price"] = np.sin(np.arange(len(long)) / 5)
    model = _model().fit(long, past_covariates=["price"])
    forecast = model.predict(long)
    assert forecast.groupby("unique_id").size().to_dict() == {"s0": 12, "s1": 12}


def _driven(n=400, seed=0):
    """Target = 2 x a random covariate at the same hour: only its future values tell it."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n, freq="h")
    load = rng.normal(size=n)
    return pd.DataFrame({"y": 2 * load + 0.1 * rng.normal(size=n), "load": load}, index=index)


def test_future_covariates_are_read_over_the_horizon():
    frame = _driven()
    history, horizon_rows = frame.iloc[:-12], frame.iloc[-12:]
    model = _model(max_epochs=15, learning_rate=3e-3, d_model=32, dropout=0.0).fit(
        history, target="y", future_covariates=["load"]
    )
    assert model.n_future_ == 1 and model.n_covariates_ == 0
    forecast = model.predict(future=horizon_rows[["load"]])
    assert forecast.index.equals(horizon_rows.index)
    # the forecast follows the covariate's horizon values, which the past cannot tell
    assert np.corrcoef(forecast["y"], horizon_rows["y"])[0, 1] > 0.9
    flipped = model.predict(future=-horizon_rows[["load"]])
    assert np.corrcoef(flipped["y"], horizon_rows["y"])[0, 1] < -0.9
    # evaluate reads each window's future values from the data: window 1 = predict on its past
    metrics, forecasts = model.evaluate(frame, test_start=-12, return_forecasts=True)
    np.testing.assert_allclose(forecasts["mean"], forecast["y"], rtol=1e-5)
    assert metrics.iloc[-1]["mse"] < 0.5 * frame["y"].var()
    loaded = TimeXerForecaster.load(model.save(Path(tempfile.mkdtemp())))
    pd.testing.assert_frame_equal(loaded.predict(future=horizon_rows[["load"]]), forecast)


def test_future_covariates_are_checked_at_predict():
    frame = _driven(200)
    model = _model(max_epochs=1).fit(frame.iloc[:-12], target="y", future_covariates=["load"])
    future = frame.iloc[-12:][["load"]]
    with pytest.raises(ValueError, match=r"future covariates \['load'\].*future=frame"):
        model.predict()
    with pytest.raises(ValueError, match="columns \\['load'\\] are not in future="):
        model.predict(future=future.rename(columns={"load": "other"}))
    with pytest.raises(ValueError, match="cover the 12 steps .* 1 of them are missing, the first"):
        model.predict(future=future.iloc[:-1])
    with pytest.raises(ValueError, match="'load' is missing, non-numeric or infinite at"):
        model.predict(future=future.assign(load=future["load"].where(future.index.hour != 5)))
    with pytest.raises(ValueError, match="prediction_length"):
        model.evaluate(frame, test_start=-12, horizon=6)
    with pytest.raises(ValueError, match="does not use covariates; drop \\['load'\\]"):
        tsfm.PatchTSTForecaster(**tsfm.PatchTSTForecaster._test_params()).fit(
            frame, target="y", future_covariates=["load"]
        )

    class PastOnly(TimeXerForecaster):
        supports_future_covariates = False

    with pytest.raises(ValueError, match="uses past covariates only.*TimeXerForecaster"):
        PastOnly(**TimeXerForecaster._test_params()).fit(
            frame, target="y", future_covariates=["load"]
        )
    plain = _model(max_epochs=1).fit(frame, target="y", past_covariates=["load"])
    with pytest.raises(ValueError, match="fitted without future covariates"):
        plain.predict(future=future)


def test_future_covariates_in_a_long_frame_per_series():
    parts = []
    for sid, n in (("a", 200), ("b", 170)):
        part = _driven(n, seed=len(parts)).rename_axis("ds").reset_index()
        parts.append(part.assign(unique_id=sid))
    long = pd.concat(parts, ignore_index=True)
    model = _model(max_epochs=1).fit(long, target="y", future_covariates=["load"])
    ends = long.groupby("unique_id")["ds"].max()
    future = pd.concat([
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range(end, periods=13, freq="h")[1:],
                      "load": 0.5})
        for sid, end in ends.items()
    ])  # fmt: skip
    forecast = model.predict(future=future)
    assert forecast.groupby("unique_id").size().to_dict() == {"a": 12, "b": 12}
    with pytest.raises(ValueError, match="no rows for series 'b'"):
        model.predict(future=future[future["unique_id"] == "a"])


def test_calendar_features_need_no_future_input():
    wide = _frame()
    model = _model(max_epochs=1).fit(wide[["ch0"]], calendar=["hour", "dayofweek"])
    assert model.spec_.calendar == ("hour", "dayofweek") and model.n_future_ == 2
    assert model.predict().shape == (12, 1)
    assert np.isfinite(model.evaluate(wide[["ch0"]], test_start=250, stride=6).iloc[-1]["mse"])
    with pytest.raises(ValueError, match="unknown calendar features \\['hours'\\]"):
        _model().fit(wide[["ch0"]], calendar=["hours"])
    with pytest.raises(ValueError, match="does not use covariates"):
        tsfm.Naive().fit(wide, calendar=["hour"])


def _input_of(layer, call):
    """The input tensor ``layer`` receives while ``call()`` runs."""
    seen = []
    hook = layer.register_forward_hook(lambda module, args, out: seen.append(args[0].detach()))
    try:
        call()
    finally:
        hook.remove()
    return seen[-1]


def test_calendar_features_reach_the_model_unnormalised():
    """Calendar tokens see the raw [-0.5, 0.5] values, not window-normalised ones (a window's
    day of year barely varies: RevIN would turn it into values in the hundreds)."""
    wide = _frame()[["ch0", "ch1"]]
    model = _model(max_epochs=1).fit(wide, target="ch0", past_covariates=["ch1"],
                                     calendar=["hour", "dayofyear"])  # fmt: skip
    seen = _input_of(model.module_.future_embedding, lambda: model.predict(wide))
    L, H = model.context_length, model.prediction_length
    end = wide.index[-1]
    stamps = pd.date_range(end - (L - 1) * wide.index.freq, periods=L + H, freq=wide.index.freq)
    expected = calendar_features(stamps, ["hour", "dayofyear"]).T  # (2, L + H)
    np.testing.assert_allclose(seen[0].numpy(), expected, atol=1e-6)


def test_calendar_over_the_lookback_only_shares_the_past_covariates_map():
    """``calendar_horizon=False``: the paper's time-feature tokens, lookback only, through the
    past covariates' linear map (the official inverted embedding)."""
    wide = _frame()[["ch0", "ch1"]]
    model = _model(max_epochs=1, calendar_horizon=False).fit(
        wide, target="ch0", past_covariates=["ch1"], calendar=["hour", "dayofyear"]
    )
    assert model.module_.future_embedding is None
    seen = _input_of(model.module_.variate_embedding, lambda: model.predict(wide))
    L = model.context_length
    stamps = wide.index[-L:]
    tokens = seen[0].numpy()  # (1 past covariate + 2 calendar, L)
    assert tokens.shape == (3, L)
    expected = calendar_features(stamps, ["hour", "dayofyear"]).T
    np.testing.assert_allclose(tokens[1:], expected, atol=1e-6)
    # a future covariate keeps its own token over lookback and horizon
    future = _model(max_epochs=1, calendar_horizon=False).fit(
        _frame()[["ch0", "ch1"]], target="ch0", future_covariates=["ch1"], calendar=["hour"]
    )
    assert future.module_.future_embedding.in_features == L + model.prediction_length


def test_calendar_feature_values():
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-12-31 23:00"])  # a Monday; a Tuesday
    values = calendar_features(index, ["hour", "dayofweek", "month", "dayofyear"])
    np.testing.assert_allclose(values[0], [-0.5, -0.5, -0.5, -0.5])
    np.testing.assert_allclose(values[1], [0.5, 1 / 6 - 0.5, 0.5, 0.5])


def test_patches_must_tile_the_context():
    with pytest.raises(ValueError, match="not a multiple of patch_len"):
        _model(context_length=50).fit(make_wide(200, 1))


def test_backtest_gives_each_model_the_covariates_it_can_use():
    frame = _driven(400)
    models = {
        "TimeXer": _model(max_epochs=15, learning_rate=3e-3, d_model=32, dropout=0.0),
        "PatchTST": tsfm.PatchTSTForecaster(**tsfm.PatchTSTForecaster._test_params()),
        "Naive": tsfm.Naive(),
    }
    result = tsfm.backtest(models, frame, 12, n_windows=3, refit=False, target="y",
                           future_covariates=["load"], calendar=["hour"])  # fmt: skip
    overall = result.overall()
    assert overall["n_windows"].to_dict() == {"TimeXer": 3, "PatchTST": 3, "Naive": 3}
    # only TimeXer reads the load over the horizon, which drives the target
    assert overall.loc["TimeXer", "mse"] < 0.3 * overall.loc["Naive", "mse"]
    assert overall.loc["TimeXer", "mse"] < 0.3 * overall.loc["PatchTST", "mse"]
    with pytest.raises(ValueError, match="backtest it with horizon=12"):
        tsfm.backtest({"TimeXer": models["TimeXer"]}, frame, 6, n_windows=1, target="y",
                      future_covariates=["load"])  # fmt: skip


def _sites(scales=(1.0, 3.0, 5.0), n=300):
    """Series whose level and swing are set by a static 'capacity' column."""
    parts = []
    for k, scale in enumerate(scales):
        wide = make_wide(n, 1, seed=k)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": f"site{k}",
                    "ds": wide.index,
                    "y": scale * wide["ch0"].to_numpy(),
                    "capacity": scale,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_static_covariates_are_used_and_checked():
    long = _sites()
    model = _model().fit(long, static_covariates=["capacity"])
    assert model.n_static_ == 1 and model.spec_.static_covariates == ("capacity",)
    base = model.predict()
    assert base.groupby("unique_id").size().to_dict() == {"site0": 12, "site1": 12, "site2": 12}
    changed = long.assign(capacity=long["capacity"] * 2)
    assert not np.allclose(base["mean"], model.predict(changed)["mean"])  # it is read
    loaded = TimeXerForecaster.load(model.save(Path(tempfile.mkdtemp())))
    pd.testing.assert_frame_equal(loaded.predict(), base)
    assert np.isfinite(model.evaluate(long, test_size=24, stride=12).iloc[-1]["mse"])
    result = tsfm.backtest({"TimeXer": _model(max_epochs=1), "Naive": tsfm.Naive()}, long, 12,
                           n_windows=1, static_covariates=["capacity"])  # fmt: skip
    assert result.overall()["n_windows"].to_dict() == {"TimeXer": 3, "Naive": 3}
    drifting = long.copy()
    drifting.loc[5, "capacity"] = 9.0
    with pytest.raises(ValueError, match="series 'site0': static covariate 'capacity' changes"):
        _model().fit(drifting, static_covariates=["capacity"])
    with pytest.raises(ValueError, match="capacity"):
        model.predict(long.drop(columns="capacity"))
    with pytest.raises(ValueError, match="need a long frame"):
        _model().fit(make_wide(200, 2), static_covariates=["ch1"])
    with pytest.raises(ValueError, match="does not use covariates"):
        tsfm.PatchTSTForecaster(**tsfm.PatchTSTForecaster._test_params()).fit(
            long, static_covariates=["capacity"]
        )


def test_each_block_output_is_dropped_out_once_as_in_the_official_layer():
    """The official layer drops each attention output once (its projections have no dropout)
    and drops the attention weights; PatchTST's attention, by contrast, drops its projection."""
    from tsfm.nn.dropout import FastDropout

    model = _model(max_epochs=1, dropout=0.25, attention_dropout=0.125).fit(
        _frame(), target="ch0", past_covariates=["ch1", "ch2"]
    )
    for layer in model.module_.layers:
        active = [m for m in layer.modules() if isinstance(m, FastDropout) and m.p > 0]
        assert active == [layer.dropout] and layer.dropout.p == 0.25
        assert layer.self_attention.attention_dropout == 0.125
        assert layer.cross_attention.attention_dropout == 0.125
