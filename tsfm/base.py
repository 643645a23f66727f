"""BaseForecaster: the scikit-learn contract every tsfm forecaster keeps.

A forecaster subclass writes four things:

* ``__init__`` with keyword hyperparameters stored unchanged (sklearn's rule), including
  ``prediction_length`` and ``context_length``, then ``self._check_params()``;
* ``_parameter_constraints``: one :mod:`tsfm.params` constraint per hyperparameter (the
  neural forecasters take theirs from their config dataclasses), checked when the forecaster
  is built, in ``set_params`` (before anything changes), and again when it fits or forecasts
  (a value assigned directly to the attribute is caught there); ``clone`` and ``get_params``
  work as in scikit-learn, since the values are stored as given;
* ``_fit(panel)``: learn from a validated :class:`~tsfm.data.Panel`, set ``*_`` attributes;
* ``_predict_batch(context, mask, horizon, quantiles)``: forecast a batch of contexts.

Everything else (input validation, output shape, rolling evaluation, save/load, params) is here,
once. Save/load writes ``config.json``, ``state.safetensors`` and ``manifest.json`` (their
sha256, checked at load), never pickle.
"""

from __future__ import annotations

import importlib
import inspect
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from safetensors.numpy import load_file, save_file
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted

from tsfm.data.checksums import check_manifest, read_json, write_manifest
from tsfm.data.frames import to_frame, to_panel
from tsfm.data.future import future_values
from tsfm.data.panel import (
    ID_COL,
    TIME_COL,
    DataSpec,
    Panel,
    left_pad_stack,
    object_array,
    panel_from_arrays,
    panel_to_arrays,
)
from tsfm.data.undated import STEPS
from tsfm.evaluation.metrics import data_season
from tsfm.evaluation.rolling import quantile_levels, rolling_origin, test_origins
from tsfm.params import ADDED_PARAMS, POSITIVE, Constraint, Integer, check_params

FORMAT_VERSION = 1
#: ``evaluate``'s ``season_length=``: a season (lag) or None for the data frequency's season.
SEASON = POSITIVE | None
CONFIG, STATE = "config.json", "state.safetensors"
#: The keys of a saved ``config.json``, every one required and no other allowed.
CONFIG_KEYS = ("format_version", "class", "params", "fill_missing", "panel", "fitted")


def _unrouted(method) -> dict:
    """Every metadata-like parameter of ``method`` marked as not routed (scikit-learn's
    ``__metadata_request__<method>`` with :data:`~sklearn.utils.metadata_routing.UNUSED`)."""
    skip = {"self", "X", "y", "Y", "Xt", "yt"}
    variadic = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    return {
        name: UNUSED
        for name, p in inspect.signature(method).parameters.items()
        if name not in skip and p.kind not in variadic
    }


class BaseForecaster(BaseEstimator):
    """Base class of every forecaster: ``fit``, ``predict``, ``evaluate``, ``save``, ``load``.

    Attributes
    ----------
    supports_covariates : bool
        Whether the model uses past covariates (others refuse them with a clear error).
    supports_future_covariates : bool
        Whether it also reads covariates known over the horizon (``future_covariates=``,
        ``calendar=``): its ``_predict_batch`` then takes ``future``, ``(N, H, F)``.
    supports_static_covariates : bool
        Whether it reads static covariates (one value per series, ``static_covariates=``).
    probabilistic : bool
        Whether ``predict(..., quantiles=...)`` is available.
    local : bool
        Whether each forecast depends only on its own context (statistical baselines): such a
        model learns nothing shared in ``fit``, so backtests forecast every window directly
        from the history before it, and refit policies do not apply.
    pads_short_contexts : bool
        Whether a context shorter than ``context_length`` is padded with made-up values (the
        fixed-input neural models) rather than masked or used as it is: ``predict`` and
        ``evaluate`` then warn, naming the series and their lengths.
    """

    supports_covariates: ClassVar[bool] = False
    supports_future_covariates: ClassVar[bool] = False
    supports_static_covariates: ClassVar[bool] = False
    probabilistic: ClassVar[bool] = False
    local: ClassVar[bool] = False
    pads_short_contexts: ClassVar[bool] = False
    #: Longest horizon a forecast may have: beyond it, time and memory grow without bound.
    max_horizon: ClassVar[int] = 100_000
    #: Hyperparameter name to its constraint (:mod:`tsfm.params`).
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    _registry: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BaseForecaster._registry[f"{cls.__module__}.{cls.__qualname__}"] = cls

    # ------------------------------------------------------------------ to implement

    def _fit(self, panel: Panel, validation: Panel | None = None) -> None:
        """Learn from the training panel (and a validation panel, if given); set ``*_``."""
        raise NotImplementedError

    def _predict_batch(
        self,
        context: np.ndarray,
        mask: np.ndarray,
        horizon: int,
        quantiles: Sequence[float] | None,
    ) -> dict[str, np.ndarray]:
        """Forecast a batch.

        Parameters
        ----------
        context : ndarray, shape (N, L, C)
            Target history, left-padded with NaN where shorter than ``L``.
        mask : ndarray of bool, shape (N, L)
            True on real rows.
        horizon : int
            Steps to forecast, ``H``.
        quantiles : sequence of float, optional
            Levels in (0, 1) to return as ``"q<level>"``.

        Returns
        -------
        dict of str to ndarray
            ``"mean"`` (the mean of the forecast distribution; a point model's forecast) and
            each ``"q<level>"``, shape ``(N, H, C)``. A model whose point forecast is the median
            adds ``"median"``: evaluation scores it (and shows it in its forecast frames),
            ``predict`` leaves it out. Sample-based models may add ``"samples"``, shape
            ``(N, S, H, C)``: evaluation then scores the CRPS, and ``predict`` leaves them out.
        """
        raise NotImplementedError

    def _min_length(self) -> int:
        """Fewest time steps a series needs to be fit or forecast from."""
        return 1

    def _context_arrays(self, panel: Panel) -> list[np.ndarray]:
        """Per series, the ``(T_i, C')`` history a context is cut from: the targets, followed by
        the past covariates, the static covariates (repeated on every row) and the future
        covariates' history, for models that use them (their ``_predict_batch`` contexts then
        have ``C' = C + P + K + F`` columns and still forecast the ``C`` targets)."""
        blocks = [panel.values]
        if self.supports_covariates:
            static = None
            if panel.static is not None:
                static = [np.repeat(row[None], len(v), axis=0)
                          for row, v in zip(panel.static, panel.values)]  # fmt: skip
            blocks += [
                b for b in (panel.past_covariates, static, panel.future_covariates) if b is not None
            ]
        if len(blocks) == 1:
            return panel.values
        return [np.concatenate(parts, axis=1) for parts in zip(*blocks)]

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny hyperparameters for tests/test_common.py (hourly data, >= 150 steps, horizon 12)."""
        return {"prediction_length": 12}

    def _fitted_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able fitted attributes and arrays to save, besides the training panel."""
        return {}, {}

    def _load_fitted_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`_fitted_state` saved."""

    # ------------------------------------------------------------------ public API

    def set_params(self, **params) -> BaseForecaster:
        """Set hyperparameters (scikit-learn's), each checked first: a refused value changes
        nothing."""
        self._check_params(params)
        return super().set_params(**params)

    def fit(
        self,
        data: pd.Series | pd.DataFrame,
        *,
        target: str | Sequence[str] | None = None,
        past_covariates: Sequence[str] | None = None,
        future_covariates: Sequence[str] | None = None,
        freq: str | None = None,
        fill_missing: str = "raise",
        validation_data: pd.Series | pd.DataFrame | None = None,
        calendar: Sequence[str] | None = None,
        static_covariates: Sequence[str] | None = None,
        id_col: str = ID_COL,
        time_col: str = TIME_COL,
        target_col: str | None = None,
    ) -> BaseForecaster:
        """Validate ``data``, learn, and return ``self``.

        Parameters
        ----------
        data : pd.Series or pd.DataFrame
            A Series, a wide frame or a long frame (see :func:`tsfm.data.to_panel`); the time
            axis may be a DatetimeIndex, a PeriodIndex or date strings (``ds`` of a long frame).
            Forecasts mirror it: periods in, periods out.
        target, past_covariates, future_covariates : column names, optional
            Column roles; never guessed. Recorded in ``spec_`` and required at predict time.
        freq : str, optional
            Frequency, inferred when omitted.
        fill_missing : {"raise", "interpolate", "ffill", "zero"}
            Missing-value policy, also applied to frames given later to ``predict``/``evaluate``.
        validation_data : pd.Series or pd.DataFrame, optional
            Same shape and columns as ``data``: every complete window of it validates (early
            stopping) for models that train; local statistical models ignore it.
        calendar : list of str, optional
            Calendar features derived from the timestamps (``"hour"``, ``"dayofweek"``,
            ``"month"``, ...: :data:`tsfm.data.future.CALENDAR`), used as future covariates.
        static_covariates : list of str, optional
            Long frames: columns with one value per series (constant over time).
        id_col, time_col, target_col : str, optional
            Long frames: the columns of the series ids, timestamps and target (default
            ``unique_id``, ``ds``, ``y``, as Nixtla's libraries); ``target_col`` is ``target``
            by its Nixtla name. Recorded: ``predict`` reads and returns the same columns.
        """
        panel = to_panel(
            data,
            target=target,
            target_col=target_col,
            id_col=id_col,
            time_col=time_col,
            past_covariates=past_covariates,
            future_covariates=future_covariates,
            freq=freq,
            fill_missing=fill_missing,
            calendar=calendar,
            static_covariates=static_covariates,
        )
        validation = None
        if validation_data is not None:
            undated = panel.spec.periods == STEPS  # on the training data's stand-in axis
            validation = to_panel(validation_data, spec=panel.spec, fill_missing=fill_missing,
                                  freq=panel.freq if undated else None)  # fmt: skip
        return self.fit_panel(panel, validation, fill_missing=fill_missing)

    def fit_panel(
        self, panel: Panel, validation: Panel | None = None, *, fill_missing: str = "raise"
    ) -> BaseForecaster:
        """:meth:`fit` on an already validated :class:`~tsfm.data.Panel` (used by backtests)."""
        self._check_params()
        self._check_panel(panel)
        self._fit(panel, validation)
        self.spec_ = panel.spec
        self.freq_ = panel.freq.freqstr
        self.fill_missing_ = fill_missing
        self.panel_ = panel
        return self

    def forecast_contexts(
        self,
        context: np.ndarray,
        mask: np.ndarray,
        horizon: int,
        quantiles: Sequence[float] | None = None,
        future: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Forecast a batch of raw contexts, checked; the array-level face of :meth:`predict`.

        A ``local`` forecaster needs no fit; any other must be fitted first.

        Parameters
        ----------
        context : ndarray, shape (N, L, C)
            Left-padded with NaN where shorter than ``L``.
        mask : ndarray of bool, shape (N, L)
        future : ndarray, shape (N, H, F), optional
            The future covariates over the horizon, for a model fitted with them.

        Returns
        -------
        dict of str to ndarray, each (N, horizon, C)
            ``"mean"`` and ``"q<level>"``.
        """
        if not self.local:
            check_is_fitted(self, "panel_")
        self._check_params()
        horizon = self._check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        extra = {} if future is None else {"future": future}
        return self._predict_batch(context, mask, horizon, quantiles, **extra)

    def predict(
        self,
        data: pd.Series | pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        quantiles: Sequence[float] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast after the end of each series.

        Parameters
        ----------
        data : pd.Series or pd.DataFrame, optional
            New context (new series or newer data) of the same shape and columns as at fit; the
            model is not refit. Default: the training data (required for a model saved with
            ``include_data=False``).
        horizon : int, optional
            Steps ahead; default ``prediction_length``. A neural model with a fixed horizon
            refuses more unless built with ``recursive=True`` (it then rolls forward, feeding
            its forecasts back); statistical models, Sundial and Combo forecast any horizon.
        quantiles : sequence of float, optional
            Quantile levels in (0, 1), returned as columns ``q<level>`` beside ``mean``.
        future : pd.DataFrame, optional
            Required when the model was fitted with ``future_covariates``: their values over
            the model's ``prediction_length`` steps after each series' end, in the layout of
            the fit input (:func:`tsfm.data.future.future_values`); checked, never guessed.

        Returns
        -------
        pd.DataFrame
            In the shape of the input (:func:`tsfm.data.to_frame`): ``mean``, the mean of the
            forecast distribution (a point model's forecast), and the ``q<level>`` asked. A
            model whose point forecast is the median (the one evaluation scores: Sundial and
            Combo by default) gives it as ``q0.5`` with ``quantiles=[0.5]``.
        """
        panel = self._context_panel(data)
        out = self._forecast_panel(panel, horizon, quantiles, future)
        out.pop("samples", None)  # sample paths: see the model's own predict_samples
        out.pop("median", None)  # a median point forecast: quantiles=[0.5] asks for it
        return to_frame(panel, out)

    def _forecast_panel(
        self, panel: Panel, horizon: int | None, quantiles, future: pd.DataFrame | None
    ) -> dict[str, np.ndarray]:
        """The outputs (``(S, H, C)`` arrays) of :meth:`predict` for a context ``panel``."""
        horizon = self._check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        rows = self._context_rows(panel)
        self._warn_padding(panel.ids, panel.lengths, rows, "predict")
        context, mask = left_pad_stack(self._context_arrays(panel), rows)
        known = future_values(panel, future, self._future_rows(horizon))
        extra = {} if known is None else {"future": known}
        return self._predict_batch(context, mask, horizon, quantiles, **extra)

    def plot(
        self,
        data: pd.Series | pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        band: tuple[float, float] | None = (0.1, 0.9),
        n_series: int = 4,
        n_history: int | None = None,
        future: pd.DataFrame | None = None,
    ):
        """Draw each series' recent history, its forecast and a quantile band.

        Parameters
        ----------
        data, horizon, future
            As in :meth:`predict`: the context (default the training data), the steps ahead
            and any future covariates.
        band : (float, float) or None
            Quantile levels of the band drawn around the forecast (default the 80% interval
            from ``q0.1`` to ``q0.9``), for probabilistic models; point models, or ``None``,
            draw none.
        n_series : int
            Axes drawn at most, one per series and target, the first ones.
        n_history : int, optional
            Past steps shown before the forecast (default four horizons).

        Returns
        -------
        matplotlib.figure.Figure
            One axes per series and target (``fig.axes``); ``fig.savefig(path)`` writes it.
        """
        from tsfm.evaluation.plots import plot_panel

        check_params(
            f"{type(self).__name__}.plot",
            {"n_series": n_series, "n_history": n_history},
            {"n_series": POSITIVE, "n_history": POSITIVE | None},
        )
        panel = self._context_panel(data)
        band = tuple(sorted(self._check_quantiles(band))) if band and self.probabilistic else None
        if band is not None and len(band) != 2:
            raise ValueError(f"band must be two quantile levels (low, high), got {band}")
        out = self._forecast_panel(panel, horizon, list(band) if band else None, future)
        horizon = next(iter(out.values())).shape[1]
        return plot_panel(
            panel, out, band=band, n_series=n_series, n_history=n_history or 4 * horizon,
            title=type(self).__name__,
        )  # fmt: skip

    def evaluate(
        self,
        data: pd.Series | pd.DataFrame | None = None,
        *,
        test_start: int | str | pd.Timestamp | None = None,
        test_size: int | None = None,
        stride: int = 1,
        horizon: int | None = None,
        quantiles: Sequence[float] | None = None,
        season_length: int | None = None,
        return_forecasts: bool = False,
    ):
        """Rolling-origin evaluation of the fitted model over a test span (no refit).

        Every origin from the first test row to the last complete window, every ``stride``
        rows, is forecast from the ``context_length`` rows before it; no window is dropped.

        Parameters
        ----------
        data : pd.Series or pd.DataFrame, optional
            History plus test span, same shape and columns as at fit. Default: the training data.
        test_start : int or timestamp, optional
            First forecast origin (row position, negative from the end, or timestamp).
        test_size : int, optional
            The last ``test_size`` rows of each series are the test span.
        stride : int
            Rows between origins (1 = every origin, the LTSF protocol).
        horizon : int, optional
            Default ``prediction_length``.
        quantiles : sequence of float, optional
            Adds quantile metrics (wQL, coverage, interval coverage).
        season_length : int, optional
            MASE's seasonal lag, the same for every model: default the season of the data's
            frequency (:func:`tsfm.evaluation.metrics.data_season`: 24 hourly, 12 monthly,
            ...), never the model's own ``season_length``, so that MASE compares models.
        return_forecasts : bool
            Also return the forecasts as a long frame.

        Returns
        -------
        metrics : pd.DataFrame
            Per series (wide input: per channel) and an ``overall`` row.
        forecasts : pd.DataFrame, only if ``return_forecasts``
            Columns ``unique_id``, ``cutoff`` (last context timestamp), ``ds``, ``y`` and outputs.
        """
        panel = self._context_panel(data)
        horizon = self._check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        windows = test_origins(
            panel, horizon, test_start=test_start, test_size=test_size, stride=stride
        )
        check_params("evaluate", {"season_length": season_length}, {"season_length": SEASON})
        season = season_length or data_season(panel.freq)
        if panel.spec.n_future and horizon != self._future_rows(horizon):
            raise ValueError(
                f"evaluate with future covariates scores the model's prediction_length "
                f"({self.prediction_length}); got horizon={horizon}"
            )
        rows = self._context_rows(panel)
        first = {i: windows.origin[windows.series == i].min() for i in range(panel.n_series)}
        self._warn_padding(panel.ids, [first[i] for i in range(panel.n_series)], rows, "evaluate")
        metrics, forecasts, targets = rolling_origin(
            panel,
            self._predict_batch,
            horizon,
            rows,
            windows,
            quantiles,
            season,
            samples_per_window=getattr(self, "num_samples", 1),
            inputs=self._context_arrays(panel),
            future=panel.future_covariates if panel.spec.n_future else None,
        )
        if not return_forecasts:
            return metrics
        return metrics, _forecasts_frame(panel, windows, forecasts, targets)

    def save(self, path: str | Path, *, include_data: bool = True) -> Path:
        """Write ``config.json``, ``state.safetensors`` and their sha256 (``manifest.json``)
        into the folder ``path``; :meth:`load` checks every file against the manifest.

        Parameters
        ----------
        path : str or Path
            The folder (created if needed).
        include_data : bool
            The folder holds the whole training data by default (values, timestamps, series
            ids and covariates: its size grows with the data, and private data leaves with the
            file), so that the loaded model's ``predict()`` forecasts after it. False leaves it
            out: only the column roles and the frequency are kept (fitted weights and
            statistics stay, e.g. a neural model's per-series training means), and the loaded
            model forecasts from the data given to ``predict(data)`` and ``evaluate(data)``.

        Returns
        -------
        Path
            The folder.
        """
        check_is_fitted(self, "panel_")
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise ValueError(f"save: {path} is a file; save writes a folder")
        path.mkdir(parents=True, exist_ok=True)
        if self.panel_ is None or not include_data:
            panel_meta, arrays = {"freq": self.freq_, "spec": self.spec_.to_dict()}, {}
        else:
            panel_meta, arrays = panel_to_arrays(self.panel_)
        fitted_meta, fitted_arrays = self._fitted_state()
        arrays.update({f"fitted.{k}": v for k, v in fitted_arrays.items()})
        values = (
            FORMAT_VERSION, f"{type(self).__module__}.{type(self).__qualname__}",
            self.get_params(deep=False), self.fill_missing_, panel_meta, fitted_meta,
        )  # fmt: skip
        config = dict(zip(CONFIG_KEYS, values))
        (path / CONFIG).write_text(json.dumps(config, indent=2, default=_json_default))
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, path / STATE)
        write_manifest(path, [CONFIG, STATE])
        return path

    @classmethod
    def load(cls, path: str | Path, *, allow_unverified: bool = False) -> BaseForecaster:
        """Load a forecaster written by :meth:`save`. Only registered tsfm classes are built.

        Every file read is first checked against the sha256 recorded in ``manifest.json`` at
        save (a changed or damaged file is refused, naming it). A folder without manifest
        (saved before manifests existed, or with its manifest removed) is refused unless
        ``allow_unverified=True``, which loads it with a warning.
        """
        path = Path(path)
        if not (path / CONFIG).exists():
            raise FileNotFoundError(f"{path}: no {CONFIG}; not a folder written by save()")
        check_manifest(path, [CONFIG, STATE], allow_unverified=allow_unverified)
        config = read_json(path / CONFIG)
        if config.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported format_version {config.get('format_version')}")
        missing = [key for key in CONFIG_KEYS if key not in config]
        unknown = sorted(set(config) - set(CONFIG_KEYS))
        if missing or unknown:
            raise ValueError(
                f"{path / CONFIG}: keys {missing} missing and {unknown} unknown; save() writes "
                f"exactly {list(CONFIG_KEYS)}"
            )
        klass = _forecaster_class(config["class"])
        if klass is None or not issubclass(klass, cls):
            raise ValueError(f"{path}: {config['class']!r} is not a {cls.__name__} class of tsfm")
        names = klass._get_param_names()
        params = {**{k: v for k, v in ADDED_PARAMS.items() if k in names}, **config["params"]}
        try:
            model = klass(**params)
        except (TypeError, ValueError) as error:  # a hand-edited config.json
            raise ValueError(f"{path / CONFIG}: {error}") from error
        absent = sorted(set(names) - set(params))
        if absent:  # a default in their place would be another model than the one saved
            raise ValueError(
                f"{path / CONFIG}: hyperparameters {absent} of {klass.__name__} are missing"
            )
        arrays = load_file(path / STATE)
        try:
            with_data = "ids" in config["panel"]  # else saved with include_data=False
            model.panel_ = panel_from_arrays(config["panel"], arrays) if with_data else None
            model.spec_ = DataSpec.from_dict(config["panel"]["spec"])
            model.freq_ = config["panel"]["freq"]
            model.fill_missing_ = config["fill_missing"]
            fitted = {k[len("fitted.") :]: v for k, v in arrays.items() if k.startswith("fitted.")}
            model._load_fitted_state(config["fitted"], fitted)
        except (KeyError, ValueError, RuntimeError) as error:  # e.g. weights of another shape
            raise ValueError(
                f"{path}: {STATE} does not fit {CONFIG} ({klass.__name__} with the saved "
                f"parameters): {str(error).splitlines()[0]}"
            ) from error
        return model

    # ------------------------------------------------------------------ helpers

    def _check_panel(self, panel: Panel) -> None:
        spec = panel.spec
        if spec.has_covariates and not self.supports_covariates:
            names = list(
                spec.past_covariates + spec.future_covariates + spec.calendar
                + spec.static_covariates
            )  # fmt: skip
            raise ValueError(
                f"{type(self).__name__} does not use covariates; drop {names} or use a "
                "forecaster that supports them"
            )
        if spec.n_future and not self.supports_future_covariates:
            names = list(spec.future_covariates + spec.calendar)
            raise ValueError(
                f"{type(self).__name__} uses past covariates only; {names} are known over the "
                "horizon: pass them as past_covariates= or use a forecaster that reads future "
                "covariates (TimeXerForecaster)"
            )
        if spec.static_covariates and not self.supports_static_covariates:
            raise ValueError(
                f"{type(self).__name__} does not read static covariates "
                f"{list(spec.static_covariates)}; drop them or use TimeXerForecaster"
            )
        panel.check_min_length(self._min_length(), type(self).__name__)

    def _check_params(self, params: dict | None = None) -> None:
        """Check ``params`` (default: every hyperparameter's current value) against
        :attr:`_parameter_constraints`, raising :class:`~tsfm.params.InvalidParameterError`."""
        values = self.get_params(deep=False) if params is None else params
        check_params(type(self).__name__, values, self._parameter_constraints)

    def _context_panel(self, data) -> Panel:
        check_is_fitted(self, "panel_")
        self._check_params()
        if data is None and self.panel_ is None:
            raise ValueError(
                f"this {type(self).__name__} was saved without its training data "
                "(save(..., include_data=False)): pass the data to forecast from"
            )
        if data is None:
            return self.panel_
        undated = self.spec_.periods == STEPS  # the stand-in frequency of fit, not the default
        panel = to_panel(data, spec=self.spec_, fill_missing=self.fill_missing_,
                         freq=self.freq_ if undated else None)  # fmt: skip
        if panel.freq != pd.tseries.frequencies.to_offset(self.freq_):
            raise ValueError(
                f"the input's frequency {panel.freq.freqstr} differs from the training "
                f"frequency {self.freq_}"
            )
        self._check_panel(panel)
        return panel

    def _warn_padding(self, ids, lengths, rows: int, call: str) -> None:
        """One warning naming the series with fewer than ``rows`` rows of context (``lengths``:
        rows before the first forecast origin), for a model that pads them."""
        short = [(sid, int(n)) for sid, n in zip(ids, lengths) if n < rows]
        if not short or not self.pads_short_contexts:
            return
        named = ", ".join(f"{sid!r} ({n} rows)" for sid, n in short[:3])
        more = f" and {len(short) - 3} more" if len(short) > 3 else ""
        warnings.warn(
            f"{type(self).__name__}.{call}: series {named}{more} have fewer rows of context "
            f"than context_length={rows}; they are left-padded with their first value, which "
            f"changes the forecast. Give at least {rows} rows or fit with a shorter "
            "context_length.",
            UserWarning,
            stacklevel=3,
        )

    def _future_rows(self, horizon: int) -> int:
        """Steps of future covariates a forecast reads: the whole trained horizon."""
        return max(horizon, getattr(self, "prediction_length", None) or horizon)

    def _context_rows(self, panel: Panel) -> int:
        context_length = getattr(self, "context_length", None)
        return context_length or int(panel.lengths.max())

    def _check_horizon(self, horizon: int | None) -> int:
        horizon = self.prediction_length if horizon is None else horizon
        if not Integer(1, self.max_horizon).accepts(horizon):
            raise ValueError(
                f"horizon must be a positive integer of at most {self.max_horizon} "
                f"({type(self).__name__}), got {horizon!r}"
            )
        return int(horizon)

    def _check_quantiles(self, quantiles) -> list[float] | None:
        if quantiles is not None and not self.probabilistic:
            raise ValueError(f"{type(self).__name__} gives point forecasts only; drop quantiles=")
        return quantile_levels(quantiles)

    # No metadata routing: fit and predict take data settings, not per-sample metadata that a
    # scikit-learn meta-estimator would route, so no set_fit_request/set_predict_request
    # methods (scikit-learn's documented way: mark each parameter UNUSED).
    __metadata_request__fit = _unrouted(fit)
    __metadata_request__predict = _unrouted(predict)


def _forecaster_class(name: str) -> type | None:
    """The registered forecaster class ``name`` (``module.qualname``), importing its module
    first if it is one of tsfm's own that is not imported yet (the lazily loaded torch models:
    ``load`` works in a fresh interpreter). Only ``tsfm.*`` modules are ever imported, so a
    saved file can never make ``load`` run foreign code."""
    klass = BaseForecaster._registry.get(name)
    if klass is not None or not name.startswith("tsfm."):
        return klass
    parts = name.split(".")
    for stop in range(len(parts) - 1, 0, -1):  # the longest importable prefix is the module
        module = ".".join(parts[:stop])
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or not module.startswith(error.name):
                raise  # the module exists but needs what is not installed: say so
            continue
        break
    return BaseForecaster._registry.get(name)


def _json_default(obj):
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"hyperparameter value {obj!r} is not JSON-serialisable")


def _forecasts_frame(panel: Panel, windows, forecasts, targets) -> pd.DataFrame:
    """Long frame of rolling forecasts: one row per window, step and channel.

    Windows come grouped by series (as :func:`~tsfm.evaluation.rolling.test_origins` makes them).
    """
    n, horizon, _ = targets.shape
    cutoffs, stamps = [], []
    for i in range(panel.n_series):
        origin = windows.origin[windows.series == i]
        index = panel.index(i)
        cutoffs.append(index[np.repeat(origin - 1, horizon)])
        stamps.append(index[(origin[:, None] + np.arange(horizon)).reshape(-1)])
    cutoff, ds = cutoffs[0].append(cutoffs[1:]), stamps[0].append(stamps[1:])
    frames = []
    for c, channel in enumerate(panel.spec.targets):
        if panel.spec.layout == "long":
            ids = object_array(panel.ids)[windows.series]
        else:
            ids = np.repeat(object_array([channel]), n)
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, horizon),
                "cutoff": cutoff,
                "ds": ds,
                "y": targets[:, :, c].reshape(-1),
            }
        )
        for name, value in forecasts.items():
            frame[name] = value[:, :, c].reshape(-1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
