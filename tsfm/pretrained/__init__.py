"""Pretrained models that ship inside the package, and zero-shot forecasting.

``registry.json`` lists each shipped model: its folder here (``weights.safetensors`` and
``config.json``), the sha256 of the weights (checked at every load: a changed file is refused),
the corpus recipe and the command that trained it. ``tsfm pretrain`` (:mod:`.pretrain`) makes
the folders. Nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tsfm.data.panel import ID_COL, TIME_COL
from tsfm.data.undated import is_undated
from tsfm.models.weights import read_config, read_weights

HERE = Path(__file__).parent
REGISTRY_FILE = HERE / "registry.json"
#: The model ``tsfm.forecast`` and ``from_pretrained`` use unless told otherwise.
DEFAULT_MODEL = "tsfm-combo-v3"
#: Prediction settings for zero-shot use (``max_epochs=0``; fine-tuning keeps the model's own):
#: forecast from the last 256 values, with the seasonal adjustment of
#: :mod:`tsfm.models.seasonal` at the data's frequency. Chosen on validation windows (the last
#: horizon of every M4 Hourly and Weekly training series, never a test value): with
#: ``tsfm-small-v2`` the geometric-mean MASE ratio to SeasonalNaive went from 1.36 to 0.83
#: (hourly) and from 1.12 to 0.95 (weekly); data/pretraining/README.md has the search.
ZERO_SHOT_SETTINGS = {"max_context": 256, "seasonal_adjustment": "auto"}


def registry() -> dict:
    """Name to entry (``folder``, ``sha256``, ``command``, ``recipe``, ...) of shipped models."""
    return json.loads(REGISTRY_FILE.read_text()) if REGISTRY_FILE.exists() else {}


def resolve(name_or_path: str | Path) -> tuple[Path, str | None]:
    """The weights folder of a registered name or a path, and the registry's sha256 (if any)."""
    entries = registry()
    if str(name_or_path) in entries:
        entry = entries[str(name_or_path)]
        return HERE / entry["folder"], entry["sha256"]
    path = Path(name_or_path)
    if (path / "config.json").exists():
        return path, None
    shipped = ", ".join(sorted(entries)) or "none yet"
    raise ValueError(
        f"{name_or_path!r} is neither a shipped pretrained model ({shipped}) nor a folder with "
        "config.json and weights.safetensors (as `tsfm pretrain` writes)"
    )


def from_pretrained(name_or_path: str | Path = DEFAULT_MODEL, **overrides):
    """A forecaster that starts from pretrained weights (checked by sha256).

    ``fit(data)`` then only records the data (``max_epochs=0``) and ``predict`` forecasts
    zero-shot, with :data:`ZERO_SHOT_SETTINGS` unless overridden; pass ``max_epochs=`` (and
    training settings) to fine-tune on ``data`` instead. The model
    keeps the pretrained architecture and sampling settings; the training settings start from
    the defaults (pretraining's, such as 1000 batches per epoch, do not carry over).
    """
    import dataclasses

    import tsfm

    folder, sha256 = resolve(name_or_path)
    read_weights(folder, expected_sha256=sha256)  # refuse a tampered file before building
    config = read_config(folder)
    klass = getattr(tsfm, config["class"])
    architecture = {f.name for f in dataclasses.fields(klass.config_class)}
    params = {k: v for k, v in config["params"].items() if k in architecture}
    params.update({"init_weights": str(folder), "max_epochs": 0, "verbose": 0})
    if not overrides.get("max_epochs"):
        params.update({k: v for k, v in ZERO_SHOT_SETTINGS.items() if k in architecture})
    params.update(overrides)
    return klass(**params)


def forecast(
    data,
    horizon: int,
    *,
    model: str | Path = DEFAULT_MODEL,
    quantiles=None,
    freq: str | None = None,
    fill_missing: str = "interpolate",
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str | None = None,
    **settings,
):
    """Zero-shot forecast with a pretrained model: no training, no download.

    Parameters
    ----------
    data : pd.Series, pd.DataFrame, array-like or list of array-likes
        A Series, a wide frame or a long frame (``unique_id``, ``ds``, ``y``), any frequency,
        any length; every series is forecast from its own history. The time axis may be
        timestamps, periods (a PeriodIndex: the forecast is indexed by periods too) or date
        strings in the time column. A 1-d array or list, a 2-d array (series x time), a
        list of them (lengths may differ) or a Series with an integer index are series without
        dates: their steps continue the integer positions (``freq=`` sets the season length
        the model assumes, default none).
    horizon : int
        Steps ahead, from 1 to the model's ``max_horizon`` (10,000 for the shipped models:
        beyond it the forecast is extrapolation of extrapolation, and work and memory grow
        with every step).
    model : str or path
        A shipped model's name (default :data:`DEFAULT_MODEL`) or a folder ``tsfm pretrain``
        wrote.
    quantiles : sequence of float, optional
        Levels in (0, 1) to return as ``q<level>`` columns beside the point forecast ``mean``.
    freq : str, optional
        The data's frequency (a pandas alias), when it cannot be inferred (fewer than three
        timestamps) or should be checked.
    fill_missing : {"interpolate", "ffill", "zero", "raise"}
        What to do with missing values and gaps: by default they are interpolated (leading
        ones take the first value, trailing ones the last); ``"raise"`` refuses them.
    id_col, time_col, target_col : str, optional
        A long frame's series id, time and target columns (default ``unique_id``, ``ds``,
        ``y``); the forecast names its id and time columns the same way.
    **settings
        Hyperparameters of the model's class (keyword arguments passed to
        :func:`from_pretrained`), for the prediction settings; the architecture is the
        shipped model's. Unknown names are refused. For the default ``tsfm-combo``
        (:class:`~tsfm.models.combo.ComboForecaster`): ``season`` (``"auto"``: the frequency's
        season, or a season length) and ``n_threads`` (torch threads, default torch's own count,
        at most the usable cores).
        For Sundial models such as ``tsfm-small-v2``
        (:class:`~tsfm.models.sundial.SundialForecaster`): ``num_samples`` (sample paths,
        default 100), ``sampling_steps``, ``point`` (``"median"`` or ``"mean"``),
        ``max_context`` (values read, default 256), ``seasonal_adjustment`` (``"auto"``, a
        season length or ``None``), ``random_state`` (seed of the sampling, ``None``
        unseeded) and ``n_threads``. ``help(tsfm.ComboForecaster)`` and
        ``help(tsfm.SundialForecaster)`` list every hyperparameter.

    Returns
    -------
    pd.DataFrame
        In the shape of the input: future timestamps, ``mean`` and any quantile columns.
    """
    forecaster = from_pretrained(model, **settings)
    horizon = forecaster._check_horizon(horizon)
    if not is_undated(data) and not isinstance(data, (pd.Series, pd.DataFrame)):
        raise TypeError(
            "tsfm.forecast takes a pandas Series or DataFrame, a 1-d or 2-d array, a list of "
            f"numbers, or a list of them; got {type(data).__name__}"
        )
    forecaster.fit(
        data, freq=freq, fill_missing=fill_missing, id_col=id_col, time_col=time_col,
        target_col=target_col,
    )  # fmt: skip
    return forecaster.predict(horizon=int(horizon), quantiles=quantiles)
