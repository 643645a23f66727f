"""Hostile input: the bad input users really send, against every estimator, ``tsfm.forecast``,
save/load, backtest and the CLI.

Every case must end in an error that names what is wrong (the parameter, column, series,
argument or file, and the value), or, where the input is legitimate but easy to get wrong, in
a result checked to be right: never a silent wrong forecast, a hang or an internal message.
Tiny models (each class's ``_test_params``) keep the suite fast.
"""

from __future__ import annotations

import functools
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

import tsfm
from tsfm.base import BaseForecaster
from tsfm.cli import main as cli
from tsfm.data.checksums import write_manifest
from tsfm.evaluation.rolling import quantile_levels
from tsfm.params import InvalidParameterError

from .conftest import make_long, make_series, make_wide
from .test_common import FORECASTERS, make

NEURAL = [c for c in FORECASTERS if issubclass(c, tsfm.NeuralForecaster)]
#: Sample-based forecasters, and PatchTST (points: quantiles are refused as such).
PROBABILISTIC = [c for c in FORECASTERS if c.probabilistic is True or c is tsfm.PatchTSTForecaster]


def _ids(value) -> str:
    if isinstance(value, type):
        return value.__name__
    return " ".join(value) if isinstance(value, list) else repr(value)[:40]


@functools.cache
def fitted(cls) -> BaseForecaster:
    """One fitted model per class (on a two-channel hourly frame), shared by the cases that
    only predict or evaluate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the statistical baselines' fallback warnings
        return make(cls).fit(make_wide(120, 2))


# ----------------------------------------------------------------- hyperparameters

#: The issue's cases (and their kind): each refused, naming parameter and value.
BAD_PARAMS = [
    ("num_samples", 0), ("patch_len", 0), ("expansion", 0), ("alpha", 1.5),
    ("validation_size", -0.2), ("learning_rate", 0), ("max_epochs", -1), ("batch_size", 0),
    ("stride", 0), ("n_heads", 0), ("sampling_steps", 0), ("prediction_length", 0),
    ("prediction_length", -3), ("prediction_length", 6.5), ("prediction_length", "12"),
    ("d_model", "16"), ("n_layers", 1.5), ("context_length", "24"), ("dropout", 1.0),
    ("loss", "huber"), ("lr_schedule", "cosine"), ("optimizer", "lbfgs"),
    ("random_state", -1), ("random_state", 1.5), ("checkpoint_dir", ""),
    ("early_stopping_patience", 0), ("season_length", 0), ("n_jobs", 0), ("window_size", 0),
    ("head", "gaussian"), ("point", "mode"), ("max_context", 0),
    ("seasonal_adjustment", "weekly"), ("mode", "both"), ("verbose", -1),
    ("calibrate_intervals", "yes"), ("revin", 1),
]  # fmt: skip
PARAM_CASES = [
    (cls, name, value)
    for cls in FORECASTERS
    for name, value in BAD_PARAMS
    if name in cls._parameter_constraints
]


@pytest.mark.parametrize(("cls", "name", "value"), PARAM_CASES, ids=_ids)
def test_bad_hyperparameter_is_refused_naming_it(cls, name, value):
    message = re.escape(f"{cls.__name__}: {name}={value!r} is not allowed; {name} must be ")
    with pytest.raises(InvalidParameterError, match=message):
        make(cls, **{name: value})
    model = make(cls)
    with pytest.raises(InvalidParameterError, match=f"{name}="):
        model.set_params(**{name: value})
    assert getattr(model, name) == make(cls).get_params()[name]  # unchanged


@pytest.mark.parametrize("cls", NEURAL, ids=_ids)
def test_unseeded_and_numpy_integer_settings_work(cls):
    """``random_state=None`` is unseeded (scikit-learn's convention); numpy integers are
    integers. Both fit and forecast as their Python equivalents."""
    params = {k: np.int64(v) if type(v) is int else v for k, v in cls._test_params().items()}
    model = cls(**{**params, "random_state": None, "max_epochs": np.int64(1)})
    out = model.fit(make_wide(120, 2)).predict()
    assert out.shape == (12, 2) and np.isfinite(out.to_numpy()).all()


@pytest.mark.parametrize("cls", NEURAL, ids=_ids)
def test_a_value_assigned_after_construction_is_caught_at_fit_and_predict(cls):
    model = make(cls)
    model.batch_size = 0
    with pytest.raises(InvalidParameterError, match="batch_size=0"):
        model.fit(make_wide(120, 2))
    model = fitted(cls)
    model.prediction_length = -1
    try:
        with pytest.raises(InvalidParameterError, match="prediction_length=-1"):
            model.predict()
    finally:
        model.prediction_length = 12


#: Settings that are each fine alone but not together, with what the error must say.
BAD_COMBINATIONS = [
    (tsfm.PatchTSTForecaster, {"d_model": 8, "n_heads": 3}, "d_model=8 is not divisible by"),
    (tsfm.TimeXerForecaster, {"n_heads": 3}, "d_model=16 is not divisible by n_heads=3"),
    (tsfm.SundialForecaster, {"n_heads": 3}, "d_model=16 is not divisible by n_heads=3"),
    (tsfm.ComboForecaster, {"n_heads": 3}, "d_model=16 is not divisible by n_heads=3"),
    (tsfm.PatchTSTForecaster, {"patch_len": 64}, "shorter than patch_len=64"),
    (tsfm.TSMixerForecaster, {"patch_len": 64, "stride": 64}, "shorter than patch_len=64"),
    (tsfm.XPatchForecaster, {"patch_len": 64}, "shorter than patch_len=64"),
    (tsfm.ComboForecaster, {"patch_len": 64}, "at most context_length=48, got 64"),
    (tsfm.PatchTSTForecaster, {"stride": 16}, "stride=16 exceeds patch_len=8"),
    (tsfm.TSMixerForecaster, {"stride": 64}, "stride=64 exceeds patch_len=8"),
    (tsfm.XPatchForecaster, {"stride": 9}, "stride=9 exceeds patch_len=8"),
    (tsfm.XPatchForecaster, {"prediction_length": 7}, "even prediction_length, got 7"),
    (tsfm.TimeXerForecaster, {"context_length": 50}, "context_length 50 is not a multiple"),
    (tsfm.TSMixerForecaster, {"hierarchy_block": 5}, "prediction_length 12 is not a multiple"),
    (tsfm.SundialForecaster, {"output_length": 24}, "output_length cannot exceed"),
    (tsfm.PatchTSTForecaster, {"calibrate_intervals": True}, "needs a probabilistic model"),
    (tsfm.PatchTSTForecaster, {"context_length": 10**6}, "need at least 1000024"),
    (tsfm.PatchTSTForecaster, {"validation_size": 0.99}, "with validation_size=0.99"),
    (tsfm.PatchTSTForecaster, {"init_weights": "/no/such/folder"}, "/no/such/folder"),
    (tsfm.SundialForecaster, {"checkpoint_dir": __file__}, "is a file, not a folder"),
    (tsfm.PatchTSTForecaster, {"learning_rate": 1e6}, "training loss became"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "settings", "message"), BAD_COMBINATIONS, ids=_ids)
def test_settings_that_do_not_fit_together_are_named_at_fit(cls, settings, message):
    with pytest.raises((ValueError, FloatingPointError, FileNotFoundError), match=message):
        make(cls, **settings).fit(make_wide(120, 2))


@pytest.mark.parametrize("cls", NEURAL, ids=_ids)
def test_max_epochs_zero_without_weights_is_refused(cls):
    with pytest.raises(ValueError, match="max_epochs=0 trains nothing and init_weights"):
        make(cls, max_epochs=0).fit(make_wide(120, 2))


def test_tsmixer_reads_the_newest_values_when_patches_do_not_tile_the_context():
    """context 50 = 6 patches of 8 + 2: the two values left out must be the oldest."""
    import torch

    from tsfm.models.tsmixer import TSMixer, TSMixerConfig

    cfg = TSMixerConfig(context_length=50, prediction_length=4, patch_len=8, stride=8, d_model=8,
                        n_layers=1, dropout=0.0, head_dropout=0.0, revin=False)  # fmt: skip
    module = TSMixer(cfg, n_channels=1).eval()
    x = torch.randn(1, 50, 1)
    newest, oldest = x.clone(), x.clone()
    newest[0, -1, 0] += 1.0
    oldest[0, 0, 0] += 1.0
    with torch.no_grad():
        assert not torch.allclose(module(newest), module(x))
        torch.testing.assert_close(module(oldest), module(x))


# ----------------------------------------------------------------- data, every forecaster


def _complex(df):
    return df.astype({"ch1": complex})


def _bool(df):
    return df.assign(ch1=df["ch1"] > 10)


def _huge(df):
    return df.assign(ch0=df["ch0"] * 1e200)


def _repeated_label(df):
    return df.set_axis(["ch0", "ch0"], axis=1)


def _text_index(df):
    return df.set_axis([f"t{i}" for i in range(len(df))])


def _object_numbers(df):
    return df.astype({"ch1": object}).assign(ch1=lambda d: d["ch1"].astype(str))


BAD_DATA = {
    "complex": (_complex, {}, r"column 'ch1' must be numeric \(real numbers\), got dtype complex"),
    "bool": (_bool, {}, "column 'ch1' must be numeric"),
    "huge": (_huge, {}, r"column 'ch0' holds .* beyond 1e\+120"),
    "repeated label": (_repeated_label, {}, r"columns \['ch0'\] appear more than once"),
    "text index": (_text_index, {}, "index holds strings that are not dates.*'t0'"),
    "numbers as text": (_object_numbers, {},
                        r"column 'ch1' must be numeric .*such as '\d+\.\d+' at 2024.*to_numeric"),
    "decimal commas": (lambda d: d.assign(ch1=d["ch1"].map(lambda v: f"{v:.1f}".replace(".", ","))),
                       {}, r"column 'ch1' must be numeric .*such as '\d+,\d'.*decimal=','"),
    "two roles": (lambda d: d, {"target": "ch0", "past_covariates": ["ch0", "ch1"]},
                  "column 'ch0' is named in target= and in past_covariates="),
    "unknown freq": (lambda d: d, {"freq": "bogus"}, "freq='bogus' is not a pandas frequency"),
    "freq off the data": (lambda d: d, {"freq": "D"}, "is not on the D grid"),
    "fill policy": (lambda d: d, {"fill_missing": "mean"}, "fill_missing must be one of"),
    "missing target": (lambda d: d, {"target": "load"}, r"target columns \['load'\] are not"),
    "no role": (lambda d: d, {"target": "ch0"}, r"columns \['ch1'\] have no role"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_DATA))
@pytest.mark.parametrize("cls", FORECASTERS, ids=_ids)
def test_bad_frames_are_named_at_fit(cls, case):
    mutate, options, message = BAD_DATA[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' own warning on an unknown frequency
        with pytest.raises(ValueError, match=message):
            make(cls).fit(mutate(make_wide(120, 2)), **options)


def _long_with(ids, freqs=("h", "h"), n=80) -> pd.DataFrame:
    """A long frame of one series per id (kept as objects), levels 100 apart."""
    parts = [
        pd.DataFrame({"y": np.arange(float(n)) + 100 * k,
                      "ds": pd.date_range("2024-01-01", periods=n, freq=freq)})
        for k, freq in enumerate(freqs)
    ]  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame["unique_id"] = pd.Series([sid for sid in ids for _ in range(n)], dtype=object)
    return frame


BAD_LONG = {
    "NaN id": (lambda: _long_with(["a", np.nan]), r"'unique_id' has 80 missing ids .*at index 80"),
    "ids 1 and 1.0": (lambda: _long_with([1, 1.0]), r"ids 1 \(int\) and 1.0 \(float\) are equal"),
    "hourly and daily": (lambda: _long_with(["a", "b"], ("h", "D")),
                         "series 'b' has frequency D and series 'a' has h"),
    "text times": (lambda: _long_with(["a", "b"]).assign(ds=lambda d: "day " + d["ds"].astype(str)),
                   "column 'ds' holds strings that are not dates"),
    "no y column": (lambda: _long_with(["a", "b"]).rename(columns={"y": "v"}),
                        r"target columns \['y'\] are not in the input"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_LONG))
@pytest.mark.parametrize("cls", [tsfm.Naive, tsfm.PatchTSTForecaster], ids=_ids)
def test_bad_long_frames_are_named(cls, case):
    build, message = BAD_LONG[case]
    with pytest.raises(ValueError, match=message):
        make(cls).fit(build())


@pytest.mark.parametrize("cls", [tsfm.Naive, tsfm.PatchTSTForecaster], ids=_ids)
def test_ids_one_and_text_one_stay_two_series(cls):
    out = make(cls).fit(_long_with([1, "1"])).predict()
    assert out["unique_id"].tolist() == [1] * 12 + ["1"] * 12
    assert out["mean"].iloc[12:].mean() > out["mean"].iloc[:12].mean() + 50  # not swapped


@pytest.mark.parametrize("cls", [tsfm.Drift, tsfm.XPatchForecaster], ids=_ids)
def test_integer_and_multiindex_columns_come_back(cls):
    numbered = make_wide(120, 2).set_axis([0, 1], axis=1)
    assert make(cls).fit(numbered).predict().columns.tolist() == [0, 1]
    columns = pd.MultiIndex.from_tuples([("a", 1), ("a", 2)], names=["site", "k"])
    multi = make_wide(120, 2).set_axis(columns, axis=1)
    pd.testing.assert_index_equal(make(cls).fit(multi).predict().columns, columns)


# ----------------------------------------------------------------- predict and evaluate

BAD_HORIZONS = [0, -1, 2.5, "3", True, 10**6]


@pytest.mark.parametrize("horizon", BAD_HORIZONS, ids=repr)
@pytest.mark.parametrize("cls", FORECASTERS, ids=_ids)
def test_bad_horizon_is_named(cls, horizon):
    with pytest.raises(ValueError, match=f"horizon.*{horizon!r}"):
        fitted(cls).predict(horizon=horizon)


BAD_QUANTILES = [["a"], 0.5, "0.1", [1.5], [0], [], [float("nan")]]


@pytest.mark.parametrize("quantiles", BAD_QUANTILES, ids=repr)
@pytest.mark.parametrize("cls", PROBABILISTIC, ids=_ids)
def test_bad_quantiles_are_named(cls, quantiles):
    model = fitted(cls)
    message = "quantiles must be" if model.probabilistic else "point forecasts only; drop quantiles"
    with pytest.raises(ValueError, match=message):
        model.predict(quantiles=quantiles)


def test_quantile_levels_from_arithmetic_name_their_columns_as_written():
    """np.arange(0.1, 1, 0.2) holds 0.30000000000000004: its column is still q0.3."""
    out = (
        tsfm.Naive(prediction_length=2)
        .fit(make_series(30))
        .predict(quantiles=np.arange(0.1, 1, 0.2))
    )
    assert list(out.columns) == ["mean", "q0.1", "q0.3", "q0.5", "q0.7", "q0.9"]
    predictor = tsfm.GluonTSPredictor(tsfm.Naive(), 2, quantiles=np.arange(0.1, 1, 0.2))
    assert predictor.quantiles == [0.1, 0.3, 0.5, 0.7, 0.9]  # the same names in gluonts
    assert quantile_levels([0.9999999999999]) == [0.9999999999999]  # rounding never reaches 1


BAD_EVALUATE = [
    ({"test_size": 0}, "test_size=0 is not allowed"),
    ({"test_size": 2.5}, "test_size=2.5 is not allowed"),
    ({"test_size": "24"}, "test_size='24' is not allowed"),
    ({"test_size": 24, "stride": 1.5}, "stride=1.5 is not allowed"),
    ({"test_size": 24, "stride": 0}, "stride=0 is not allowed"),
    ({"test_size": 24, "season_length": -1}, "season_length=-1 is not allowed"),
    ({"test_start": "bogus"}, "test_start='bogus' is neither a row position"),
    ({"test_size": 1000}, "no complete test window"),
    ({"test_size": 24, "test_start": 10}, "exactly one of test_start= and test_size="),
    ({"test_start": pd.Timestamp("2024-01-04", tz="UTC")},
     "test_start=2024-01-04 00:00:00.00:00 is in time zone UTC but the data's timestamps are "
     "without"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "message"), BAD_EVALUATE, ids=_ids)
@pytest.mark.parametrize("cls", [tsfm.SeasonalNaive, tsfm.SundialForecaster], ids=_ids)
def test_bad_evaluate_arguments_are_named(cls, arguments, message):
    with pytest.raises(ValueError, match=message):
        fitted(cls).evaluate(make_wide(120, 2), **arguments)


BAD_CONTEXT = {
    "other frequency": (lambda: make_wide(120, 2).asfreq("2h").dropna(), "frequency 2h differs"),
    "fewer columns": (lambda: make_wide(120, 1), r"target columns \['ch1'\] are not in the input"),
    "long frame": (lambda: make_long((100,)), "fit on wide input, got long input"),
    "too short": (lambda: make_wide(120, 2).iloc[:2], "too few to infer|too short"),
    "empty": (lambda: make_wide(120, 2).iloc[:0], "input is empty"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_CONTEXT))
@pytest.mark.parametrize("cls", [tsfm.Theta, tsfm.TSMixerForecaster], ids=_ids)
def test_bad_context_at_predict_is_named(cls, case):
    build, message = BAD_CONTEXT[case]
    with pytest.raises(ValueError, match=message):
        fitted(cls).predict(build())


def test_sundial_sample_count_is_checked_as_the_hyperparameter():
    model = fitted(tsfm.SundialForecaster)
    for bad in (0, -1, 2.5):
        with pytest.raises(InvalidParameterError, match=f"num_samples={bad!r} is not allowed"):
            model.predict_samples(num_samples=bad)
    assert model.predict_samples(num_samples=3).shape == (1, 3, 12, 2)


# ----------------------------------------------------------------- save and load


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return fitted(tsfm.PatchTSTForecaster).save(folder / "patchtst"), folder


def _variant(saved, name, change):
    path, folder = saved
    copy = shutil.copytree(path, folder / name)
    change(copy)
    return copy


def _flip(file):
    data = bytearray(file.read_bytes())
    data[-3] ^= 1
    file.write_bytes(bytes(data))


def _edit_config(folder, old, new, manifest=True):
    text = (folder / "config.json").read_text()
    assert old in text
    (folder / "config.json").write_text(text.replace(old, new))
    if manifest:
        write_manifest(folder, ["config.json", "state.safetensors"])
    else:
        (folder / "manifest.json").unlink()


def _other_weights(folder):
    other = fitted(tsfm.XPatchForecaster).save(folder.parent / "other")
    shutil.copy(other / "state.safetensors", folder / "state.safetensors")
    write_manifest(folder, ["config.json", "state.safetensors"])


BAD_SAVES = {
    "flipped weight bit": (lambda f: _flip(f / "state.safetensors"), "state.safetensors: sha256"),
    "edited config": (lambda f: (f / "config.json").write_text(
        (f / "config.json").read_text().replace('"patch_len": 8', '"patch_len": 4')),
        "config.json: sha256"),
    "truncated config": (lambda f: (f / "config.json").write_text("{"), "config.json: sha256"),
    "damaged manifest": (lambda f: (f / "manifest.json").write_text("{{"),
                         "manifest.json: not a valid manifest"),
    "missing weights": (lambda f: (f / "state.safetensors").unlink(),
                        "state.safetensors: the file is missing"),
    "refused parameter": (lambda f: _edit_config(f, '"patch_len": 8', '"patch_len": 0'),
                          r"config.json: PatchTSTForecaster: patch_len=0 is not allowed"),
    "unknown parameter": (lambda f: _edit_config(f, '"patch_len": 8', '"patch_size": 8'),
                          r"config.json: .*unknown hyperparameters \['patch_size'\]"),
    "edited, manifest removed": (
        lambda f: _edit_config(f, '"d_model": 8', '"d_model": 16', manifest=False),
        "no manifest.json, so its files cannot be checked"),
    "weights of another model": (_other_weights, "state.safetensors does not fit config.json"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_SAVES))
def test_a_damaged_or_changed_save_is_refused_naming_the_file(saved, case):
    change, message = BAD_SAVES[case]
    folder = _variant(saved, case.replace(" ", "_"), change)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, FileNotFoundError), match=message):
            BaseForecaster.load(folder)


def test_load_and_save_name_the_path(saved, tmp_path):
    path, _ = saved
    with pytest.raises(FileNotFoundError, match="no config.json; not a folder written by save"):
        BaseForecaster.load(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        BaseForecaster.load(path / "config.json")
    with pytest.raises(ValueError, match="is not a SundialForecaster class"):
        tsfm.SundialForecaster.load(path)
    with pytest.raises(ValueError, match="config.json is a file; save writes a folder"):
        fitted(tsfm.Naive).save(path / "config.json")
    with pytest.raises(Exception, match="not fitted yet"):
        tsfm.Naive().save(tmp_path / "unfitted")


# ----------------------------------------------------------------- backtest

BAD_BACKTESTS = [
    ({"horizon": 0, "n_windows": 2}, "backtest: horizon=0 is not allowed"),
    ({"horizon": 2.5, "n_windows": 2}, "backtest: horizon=2.5 is not allowed"),
    ({"horizon": 12, "n_windows": 0}, "n_windows=0 is not allowed"),
    ({"horizon": 12, "n_windows": 2, "step": 0}, "step=0 is not allowed"),
    ({"horizon": 12}, "exactly one of n_windows= and start="),
    ({"horizon": 12, "n_windows": 2, "start": 10}, "exactly one of n_windows= and start="),
    ({"horizon": 12, "n_windows": 2, "window": "rolling"}, "window='rolling' is not allowed"),
    ({"horizon": 12, "n_windows": 2, "window": "sliding"}, "needs train_size="),
    ({"horizon": 12, "n_windows": 2, "window": "sliding", "train_size": -3},
     "train_size=-3 is not allowed"),
    ({"horizon": 12, "n_windows": 2, "refit": "yes"}, "refit for 'Naive' must be"),
    ({"horizon": 12, "n_windows": 2, "refit": {"Naive": -1}}, "refit for 'Naive' must be"),
    ({"horizon": 12, "n_windows": 2, "quantiles": [2]}, "quantiles must be levels"),
    ({"horizon": 12, "n_windows": 2, "quantiles": 0.5}, "quantiles must be a list"),
    ({"horizon": 12, "n_windows": 2, "season_length": 0}, "season_length=0 is not allowed"),
    ({"horizon": 12, "n_windows": 2, "n_jobs": 0}, "n_jobs=0 is not allowed"),
    ({"horizon": 12, "start": "bogus"}, "start='bogus' is neither a row position"),
    ({"horizon": 12, "start": pd.Timestamp("2024-01-04", tz="UTC")},
     "start=2024-01-04 00:00:00.00:00 is in time zone UTC"),
    ({"horizon": 12, "start": 10**6}, "no window to forecast: all 2 were skipped"),
    ({"horizon": 500, "n_windows": 1}, r"no window to forecast.*series 's0'"),
    ({"horizon": 12, "n_windows": 2, "fill_missing": "x"}, "fill_missing must be one of"),
    ({"horizon": 12, "n_windows": 2, "target": "z"}, r"target columns \['z'\] are not"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "message"), BAD_BACKTESTS, ids=_ids)
def test_bad_backtest_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tsfm.backtest(tsfm.Naive(prediction_length=12), make_long((100, 80)), **arguments)


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("naive", r"model 'naive' is the string 'naive'.*build_model\('naive'"),
        ([], "models is empty"),
        ({}, "models is empty"),
        (tsfm.Naive, r"is the class Naive; pass an instance: Naive\(\)"),
        ({"mine": object()}, "model 'mine' is a object, not a tsfm forecaster"),
    ],
    ids=repr,
)
def test_backtest_refuses_what_is_not_a_forecaster(models, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tsfm.backtest(models, make_long((100,)), 12, n_windows=1)


def test_backtest_of_a_short_series_reports_it_skipped():
    result = tsfm.backtest(tsfm.SeasonalNaive(24, 12), make_long((100, 30)), 12, n_windows=2)
    skipped = result.skipped
    assert set(skipped["unique_id"]) == {"s1"} and len(skipped) == 2
    assert set(result.forecasts["unique_id"]) == {"s0"}


# ----------------------------------------------------------------- tsfm.forecast

BAD_FORECASTS = [
    ({"horizon": 0}, "horizon must be a positive integer of at most"),
    ({"horizon": -1}, "horizon must be a positive integer of at most"),
    ({"horizon": 2.5}, "horizon must be a positive integer of at most"),
    ({"horizon": "10"}, "horizon must be a positive integer of at most"),
    ({"horizon": True}, "horizon must be a positive integer of at most"),
    ({"horizon": 10**7}, r"at most 10000 \(ComboForecaster\), got 10000000"),
    ({"model": "no-such-model"}, "'no-such-model' is neither a shipped pretrained model"),
    ({"quantiles": [1.5]}, "quantiles must be levels"),
    ({"quantiles": "0.1"}, "quantiles must be a list"),
    ({"freq": "bogus"}, "freq='bogus' is not a pandas frequency"),
    ({"freq": "D"}, "is not on the D grid"),
    ({"fill_missing": "mean"}, "fill_missing must be one of"),
    ({"n_threads": 0}, "n_threads=0 is not allowed"),
    ({"max_epochs": -1}, "max_epochs=-1 is not allowed"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "message"), BAD_FORECASTS, ids=_ids)
def test_bad_forecast_arguments_are_named(arguments, message):
    arguments = {"horizon": 5, **arguments}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=message):
            tsfm.forecast(make_series(100), **arguments)


BAD_FORECAST_DATA = {
    "3-d array": (np.ones((2, 3, 4)), r"must be 1-d .*2-d \(series x time\).*\(2, 3, 4\)"),
    "empty list": ([], r"the input holds no values \(an empty array or list"),
    "infinite value": (np.array([1.0, np.inf, 3.0, 4.0]), "the array has an infinite value at pos"),
    "all missing": (make_series(50) * np.nan, "column 'load' has no observed value"),
    "text index": (pd.Series(np.ones(30), index=[f"t{i}" for i in range(30)]),
                   "index holds strings that are not dates"),
    "huge values": (make_series(50) * 1e200, r"beyond 1e\+120 in magnitude"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FORECAST_DATA))
def test_bad_forecast_data_is_named(case):
    data, message = BAD_FORECAST_DATA[case]
    with pytest.raises(ValueError, match=message):
        tsfm.forecast(data, 5)


def test_forecast_advice_can_be_followed():
    """The errors advise freq= and fill_missing=; tsfm.forecast takes both."""
    two = make_series(2)
    with pytest.raises(ValueError, match="too few to infer the frequency; pass freq="):
        tsfm.forecast(two, 3)
    assert len(tsfm.forecast(two, 3, freq="h")) == 3
    gappy = make_series(100).drop(make_series(100).index[[40, 41]])
    with pytest.raises(ValueError, match="pass freq="):
        tsfm.forecast(gappy, 3, fill_missing="raise")
    out = tsfm.forecast(gappy, 3, freq="h")
    assert out.index[0] == gappy.index[-1] + pd.Timedelta(hours=1)


# ----------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    make_long((120, 100)).to_csv(folder / "long.csv", index=False)
    (folder / "text.csv").write_text("a,b\n1,2\nx,y\n")
    (folder / "empty.csv").write_text("")
    (folder / "header.csv").write_text("ds,y\n")
    return folder


BAD_COMMANDS = [
    (["long.csv", "--models", "naive", "--horizon", "0"], "--horizon: must be a positive integer"),
    (["long.csv", "--models", "naive", "--horizon", "six"],
     "--horizon: must be a positive integer, got six"),
    (["long.csv", "--models", "naive", "--horizon", "2.5"],
     "--horizon: must be a positive integer, got 2.5"),
    (["long.csv", "--models", "naive,ets,naive", "--horizon", "6"],
     "--models names naive more than once"),
    (["header.csv", "--models", "naive", "--horizon", "6"],
     r"header.csv: .*no data rows under the header \(ds, y\)"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--n-windows", "-2"],
     "--n-windows: must be a positive integer"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--season-length", "0"],
     "--season-length: must be a positive integer"),
    (["long.csv", "--models", "nope", "--horizon", "6"], "unknown model 'nope'"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--set", "naive.foo=1"],
     r"naive \(Naive\) has no parameter 'foo'; it has prediction_length"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--set", "garbage"],
     "--set 'garbage': expected MODEL.NAME=VALUE"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--set", "naiv.window_size=3"],
     "--set 'naiv.window_size=3': expected MODEL.NAME=VALUE with MODEL one of --models"),
    (["long.csv", "--models", "patchtst", "--horizon", "6", "--set", "patchtst.patch_len=0"],
     "tsfm backtest: error: PatchTSTForecaster: patch_len=0 is not allowed"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--refit", "maybe"],
     "tsfm backtest: error: refit for 'Naive' must be"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--fill-missing", "x"],
     "tsfm backtest: error: fill_missing must be one of"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--quantiles", "1.5"],
     "tsfm backtest: error: quantiles must be levels"),
    (["long.csv", "--models", "naive", "--horizon", "6", "--target", "zz"],
     r"tsfm backtest: error: target columns \['zz'\]"),
    (["long.csv", "--models", "naive", "--horizon", "500"], "error: no window to forecast"),
    (["missing.csv", "--models", "naive", "--horizon", "6"], "No such file or directory"),
    (["text.csv", "--models", "naive", "--horizon", "6"], "text.csv: not a CSV tsfm reads"),
    (["empty.csv", "--models", "naive", "--horizon", "6"], "empty.csv: not a CSV tsfm reads"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), BAD_COMMANDS, ids=_ids)
def test_bad_commands_exit_with_the_message_not_a_traceback(csvs, argv, message, capsys):
    argv = ["backtest", str(csvs / argv[0]), *argv[1:], "--output", str(csvs / "out")]
    with pytest.raises(SystemExit) as stopped:
        cli(argv)
    said = f"{stopped.value.code}\n{capsys.readouterr().err}"
    assert stopped.value.code != 0
    assert re.search(message, said), said


def test_cli_pretrain_names_a_missing_config(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli(["pretrain", "--config", str(tmp_path / "none.json"), "--output", str(tmp_path)])
    assert stopped.value.code == 2 and "none.json" in capsys.readouterr().err
