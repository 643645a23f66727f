"""The contract every forecaster keeps. Forecasters are found automatically: a new model joins
these tests by subclassing BaseForecaster (and giving tiny settings in ``_test_params``)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import tsfm
from tsfm.base import BaseForecaster
from tsfm.data.checksums import write_manifest
from tsfm.params import AnyOf, Integer, InvalidParameterError, Real

from .conftest import make_long, make_wide

for _name in tsfm.__all__:  # import the lazily loaded (torch) forecasters so they register
    getattr(tsfm, _name)

FORECASTERS = sorted(
    (
        cls
        for cls in BaseForecaster._registry.values()
        if cls.__module__.startswith("tsfm.")
        and not cls.__name__.startswith("_")
        and not inspect.isabstract(cls)
        and cls._predict_batch is not BaseForecaster._predict_batch
    ),
    key=lambda c: c.__name__,
)
H = 12


def make(cls, **overrides) -> BaseForecaster:
    return cls(**{**cls._test_params(), **overrides})


def test_every_public_forecaster_is_exported_and_found():
    names = {c.__name__ for c in FORECASTERS}
    assert {"Naive", "SeasonalNaive", "ETS", "ARIMA", "Theta", "Drift", "WindowAverage"} <= names
    for cls in FORECASTERS:
        assert getattr(tsfm, cls.__name__) is cls, f"{cls.__name__} missing from tsfm.__all__"


@pytest.fixture(params=FORECASTERS, ids=lambda c: c.__name__)
def forecaster_cls(request):
    return request.param


# ------------------------------------------------------------------------------ params


def test_params_clone_and_repr(forecaster_cls):
    model = make(forecaster_cls)
    params = model.get_params()
    signature = inspect.signature(forecaster_cls.__init__)
    assert set(params) == set(signature.parameters) - {"self"}
    for name, value in params.items():
        assert getattr(model, name) is value or getattr(model, name) == value
    twin = clone(model)
    assert twin.get_params() == params and twin is not model
    assert model.set_params(prediction_length=7) is model and model.prediction_length == 7
    assert forecaster_cls.__name__ in repr(model)
    assert not any(name.endswith("_") for name in vars(make(forecaster_cls)))


#: Values tried on every hyperparameter: those its constraint refuses must be refused.
PROBES = [0, -1, 1, 2, 1.5, 0.5, -0.5, 1.0, float("nan"), float("inf"), True, False, None, "",
          "16", "auto", "bogus", [1], np.int64(3), np.float64(0.25)]  # fmt: skip


def _probes(constraint) -> list:
    """:data:`PROBES` and the values on and around each bound of ``constraint``."""
    parts = constraint.constraints if isinstance(constraint, AnyOf) else (constraint,)
    bounds = [b for p in parts if isinstance(p, (Integer, Real)) for b in (p.low, p.high)]
    return PROBES + [b + step for b in bounds if b is not None for step in (-1, -0.5, 0, 0.5, 1)]


def test_every_hyperparameter_is_constrained_and_checked(forecaster_cls):
    """Each hyperparameter has a constraint that accepts its default; every probe the
    constraint refuses is refused at construction and by set_params (which then changes
    nothing), naming the parameter, the value and what is allowed; the values it accepts are
    accepted. A new model is covered by declaring its constraints."""
    defaults = {k: p.default for k, p in inspect.signature(forecaster_cls).parameters.items()}
    constraints = forecaster_cls._parameter_constraints
    assert set(constraints) == set(defaults), "every hyperparameter needs one constraint"
    base = forecaster_cls._test_params()
    for name, constraint in constraints.items():
        assert constraint.accepts(defaults[name]), (name, defaults[name])
        for value in _probes(constraint):
            if constraint.accepts(value):
                assert getattr(forecaster_cls(**{**base, name: value}), name) is value
                continue
            message = rf"{forecaster_cls.__name__}: {name}=.* is not allowed; {name} must be "
            with pytest.raises(InvalidParameterError, match=message):
                forecaster_cls(**{**base, name: value})
            model = forecaster_cls(**base)
            before = model.get_params()
            with pytest.raises(ValueError, match=re.escape(f"{name}={value!r} is not allowed")):
                model.set_params(**{"prediction_length": 5, name: value})
            assert model.get_params() == before


def test_predict_before_fit_raises(forecaster_cls, wide):
    with pytest.raises(NotFittedError):
        make(forecaster_cls).predict(wide)


# ------------------------------------------------------------------------------ shapes


def test_series_in_frame_out(forecaster_cls, series):
    out = make(forecaster_cls).fit(series).predict()
    expected = pd.date_range(series.index[-1] + pd.Timedelta(hours=1), periods=H, freq="h")
    assert list(out.columns) == ["mean"]
    assert out.index.equals(expected)
    assert np.isfinite(out.to_numpy()).all()


def test_wide_in_wide_out(forecaster_cls, wide):
    model = make(forecaster_cls).fit(wide)
    out = model.predict()
    assert list(out.columns) == list(wide.columns)
    assert out.index[0] == wide.index[-1] + pd.Timedelta(hours=1) and len(out) == H
    assert model.freq_ == "h"


def test_long_in_long_out(forecaster_cls, long):
    out = make(forecaster_cls).fit(long).predict()
    assert list(out.columns) == ["unique_id", "ds", "mean"]
    for sid, part in long.groupby("unique_id"):
        rows = out[out["unique_id"] == sid]
        assert len(rows) == H
        assert rows["ds"].iloc[0] == part["ds"].iloc[-1] + pd.Timedelta(hours=1)
        assert rows["ds"].is_monotonic_increasing


def test_predict_with_new_context(forecaster_cls, long, wide):
    model = make(forecaster_cls).fit(long)
    newer = make_long(lengths=(190, 170), seed=5).replace({"s0": "new0", "s1": "new1"})
    out = model.predict(newer)
    assert sorted(out["unique_id"].unique()) == ["new0", "new1"]
    assert len(out) == 2 * H
    # A different context gives a different forecast from the training one.
    wide_model = make(forecaster_cls).fit(wide)
    later = make_wide(seed=9, start="2025-01-01")
    out_later = wide_model.predict(later)
    assert out_later.index[0] == later.index[-1] + pd.Timedelta(hours=1)
    assert not np.allclose(out_later.to_numpy(), wide_model.predict().to_numpy())


def test_horizon_override_and_quantiles(forecaster_cls, wide):
    model = make(forecaster_cls).fit(wide)
    if not model.probabilistic:
        with pytest.raises(ValueError, match="point forecasts only"):
            model.predict(quantiles=[0.1])
        return
    out = model.predict(quantiles=[0.1, 0.5, 0.9])
    assert set(out.columns.get_level_values(1)) == {"mean", "q0.1", "q0.5", "q0.9"}
    for channel in wide.columns:
        assert (out[(channel, "q0.1")] <= out[(channel, "q0.9")] + 1e-12).all()


# ------------------------------------------------------------------------------ persistence


def test_save_load_round_trip(forecaster_cls, long, tmp_path):
    model = make(forecaster_cls).fit(long)
    path = model.save(tmp_path / "model")
    assert {p.name for p in path.iterdir()} == {"config.json", "state.safetensors", "manifest.json"}
    loaded = BaseForecaster.load(path)
    assert type(loaded) is forecaster_cls
    assert loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    newer = make_long(lengths=(190,), seed=3)
    pd.testing.assert_frame_equal(loaded.predict(newer), model.predict(newer))


def test_load_refuses_foreign_class(tmp_path, series):
    path = tsfm.Naive(prediction_length=3).fit(series).save(tmp_path / "m")
    config = (path / "config.json").read_text().replace("tsfm.baselines.simple.Naive", "os.system")
    (path / "config.json").write_text(config)
    write_manifest(path, ["config.json", "state.safetensors"])  # as if saved like this
    with pytest.raises(ValueError, match="not a BaseForecaster class"):
        BaseForecaster.load(path)


def test_same_random_state_same_forecast(forecaster_cls, wide):
    takes_seed = "random_state" in inspect.signature(forecaster_cls).parameters
    seed = {"random_state": 3} if takes_seed else {}
    a = make(forecaster_cls, **seed).fit(wide).predict()
    b = make(forecaster_cls, **seed).fit(wide).predict()
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------------ bad input


def _dup(df):
    return pd.concat([df.iloc[:5], df.iloc[4:5], df.iloc[5:]])


def _unsorted(df):
    return df.iloc[[*range(10), 11, 10, *range(12, len(df))]]


def _gap(df):
    return df.drop(df.index[50])


def _nan(df):
    df = df.copy()
    df.iloc[30, 1] = np.nan
    return df


def _inf(df):
    df = df.copy()
    df.iloc[30, 0] = np.inf
    return df


def _text(df):
    df = df.copy()
    df["ch1"] = df["ch1"].astype(str)
    return df


BAD_WIDE = {
    "empty": (lambda df: df.iloc[:0], "empty"),
    "nan": (_nan, r"column 'ch1' has 1 missing values"),
    "inf": (_inf, r"column 'ch0' has an infinite value"),
    "duplicate": (_dup, "duplicate timestamp"),
    "unsorted": (_unsorted, "not sorted"),
    "gap": (_gap, "missing from the h grid|irregular"),
    "irregular": (
        lambda df: df.set_axis(df.index + pd.to_timedelta(np.arange(len(df)) ** 2, "s")),
        "irregular",
    ),
    "text": (_text, r"column 'ch1' must be numeric"),
    "float_index": (lambda df: df.set_axis(np.arange(len(df)) * 1.5), "DatetimeIndex"),
}


@pytest.mark.parametrize("case", sorted(BAD_WIDE))
def test_bad_wide_input_clear_error(forecaster_cls, wide, case):
    mutate, message = BAD_WIDE[case]
    with pytest.raises(ValueError, match=message):
        make(forecaster_cls).fit(mutate(wide))
    fitted = make(forecaster_cls).fit(wide)
    with pytest.raises(ValueError, match=message):
        fitted.predict(mutate(wide))


def test_bad_long_input_clear_errors(forecaster_cls, long):
    model = make(forecaster_cls)
    dup = pd.concat([long, long[long["unique_id"] == "s1"].iloc[:1]])
    with pytest.raises(ValueError, match="series 's1': duplicate timestamp"):
        model.fit(dup)
    mixed = long.copy().astype({"ds": object})
    mixed.loc[mixed["unique_id"] == "s2", "ds"] = mixed.loc[mixed["unique_id"] == "s2", "ds"].map(
        lambda t: t.tz_localize("Europe/Paris")
    )
    with pytest.raises(ValueError, match="time zone"):
        model.fit(mixed)
    with pytest.raises(ValueError, match=r"columns \['extra'\] have no role"):
        model.fit(long.assign(extra=1.0))
    with pytest.raises(ValueError, match="column 'ds' is missing"):
        model.fit(long.drop(columns="ds"))


def test_too_short_series_named(forecaster_cls, long):
    model = make(forecaster_cls)
    need = model._min_length()
    if need <= 3:
        pytest.skip(f"{forecaster_cls.__name__} forecasts from {need} points")
    short = pd.concat([long, make_long(lengths=(need - 1,), seed=1).assign(unique_id="tiny")])
    with pytest.raises(ValueError, match=r"too short.*'tiny' \(" + str(need - 1)):
        model.fit(short)
    fitted = make(forecaster_cls).fit(long)
    with pytest.raises(ValueError, match="'tiny'"):
        fitted.predict(short)


def test_predict_checks_columns_and_layout(forecaster_cls, wide, series):
    model = make(forecaster_cls).fit(wide)
    with pytest.raises(ValueError, match=r"target columns \['ch2'\] are not in the input"):
        model.predict(wide.drop(columns="ch2"))
    with pytest.raises(ValueError, match="fit on wide input"):
        model.predict(series)
    with pytest.raises(ValueError, match="horizon"):
        model.predict(horizon=0)
