"""Covariates known over the horizon: calendar features and the checked future values.

A model fitted with ``future_covariates=[...]`` (or ``calendar=[...]``) reads, for every
forecast, the future covariates over the ``horizon`` steps after each series' end. Calendar
features are derived from those timestamps; the user's columns come from the frame passed as
``predict(..., future=frame)``, in the layout of the fit input, and are checked: a missing
column, a missing timestamp, or a NaN/inf value is an error naming the column and series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsfm.data.panel import Panel
from tsfm.data.timestamps import as_timestamps

#: Calendar feature -> (timestamp attribute, number of values); each is scaled to [-0.5, 0.5]
#: (as gluonts' time features are), so every frequency gets the same range.
CALENDAR = {
    "minute": ("minute", 60),
    "hour": ("hour", 24),
    "dayofweek": ("dayofweek", 7),
    "dayofmonth": ("day", 31),
    "dayofyear": ("dayofyear", 366),
    "month": ("month", 12),
    "weekofyear": (None, 53),
}


def check_calendar(names) -> tuple[str, ...]:
    """Validated calendar feature names."""
    names = tuple(names or ())
    unknown = [n for n in names if n not in CALENDAR]
    if unknown:
        raise ValueError(f"unknown calendar features {unknown}; choose from {list(CALENDAR)}")
    return names


def calendar_features(index: pd.DatetimeIndex, names) -> np.ndarray:
    """Calendar features of ``index``, shape ``(T, len(names))``, each in [-0.5, 0.5]."""
    columns = []
    for name in names:
        attribute, count = CALENDAR[name]
        if attribute is None:  # ISO week
            raw = index.isocalendar().week.to_numpy(dtype=np.float64)
        else:
            raw = getattr(index, attribute).to_numpy(dtype=np.float64)
        if name in ("dayofmonth", "dayofyear", "month", "weekofyear"):
            raw = raw - 1  # 1-based
        columns.append(raw / max(count - 1, 1) - 0.5)
    return np.stack(columns, axis=1) if columns else np.empty((len(index), 0))


def future_values(panel: Panel, future, horizon: int) -> np.ndarray | None:
    """The future covariates over the ``horizon`` steps after each series of ``panel``.

    Parameters
    ----------
    panel : Panel
        The contexts; ``panel.spec`` names the future covariates and calendar features.
    future : pd.DataFrame or None
        Wide input: a frame indexed by timestamps with the future covariate columns. Long
        input: a frame with the id and time columns and the future covariate columns. It may
        hold more rows (e.g. the history too); exactly the horizon's rows are taken.
    horizon : int

    Returns
    -------
    ndarray, shape (S, horizon, F + K), or None
        The ``F`` user columns then the ``K`` calendar features; None when the model uses
        neither.
    """
    spec = panel.spec
    names, calendar = list(spec.future_covariates), spec.calendar
    if not names and not calendar:
        if future is not None:
            raise ValueError(
                "future= was given but the model was fitted without future covariates; refit "
                "with future_covariates=[...] to use them"
            )
        return None
    blocks = [panel.future_index(i, horizon) for i in range(panel.n_series)]
    user = _user_values(panel, future, horizon, names, blocks) if names else None
    out = []
    for i, index in enumerate(blocks):
        parts = [] if user is None else [user[i]]
        parts.append(calendar_features(index, calendar))
        out.append(np.concatenate(parts, axis=1))
    return np.stack(out)


def _user_values(panel, future, horizon, names, blocks) -> list[np.ndarray]:
    spec = panel.spec
    if future is None:
        raise ValueError(
            f"the model uses future covariates {names}: pass their values over the {horizon} "
            "steps after each series' end as predict(..., future=frame)"
        )
    if not isinstance(future, pd.DataFrame):
        raise TypeError(f"future= must be a pandas DataFrame, got {type(future).__name__}")
    future, _ = as_timestamps(future, spec.time_col)  # periods and date strings as the input's
    missing = [c for c in names if c not in future.columns]
    if missing:
        raise ValueError(
            f"future covariate columns {missing} are not in future= (columns: "
            f"{list(future.columns)})"
        )
    if spec.layout == "long":
        for col in (spec.id_col, spec.time_col):
            if col not in future.columns:
                raise ValueError(f"future= must be a long frame like the fit input: no {col!r}")
        groups = {  # ids as given, like the fit input's (1 and "1" are two series)
            k.item() if isinstance(k, np.generic) else k: g.set_index(spec.time_col)
            for k, g in future.groupby(spec.id_col, sort=False, observed=True)
        }
    else:
        if not isinstance(future.index, pd.DatetimeIndex):
            raise ValueError("future= must be indexed by timestamps (a DatetimeIndex)")
        groups = {sid: future for sid in panel.ids}
    values = []
    for sid, index in zip(panel.ids, blocks):
        label = f"series {sid!r}" if spec.layout == "long" else "future="
        if sid not in groups:
            raise ValueError(f"future= has no rows for series {sid!r}")
        frame = groups[sid]
        if frame.index.has_duplicates:
            duplicate = frame.index[frame.index.duplicated()][0]
            raise ValueError(f"{label}: duplicate timestamp {duplicate} in future=")
        absent = index.difference(frame.index)
        if len(absent):
            raise ValueError(
                f"{label}: future covariates must cover the {horizon} steps from {index[0]} to "
                f"{index[-1]}; {len(absent)} of them are missing, the first at {absent[0]}"
            )
        block = frame.loc[index, names]
        for col in names:
            column = pd.to_numeric(block[col], errors="coerce").to_numpy(dtype=np.float64)
            if not np.isfinite(column).all():
                at = index[int(np.argmax(~np.isfinite(column)))]
                raise ValueError(
                    f"{label}: future covariate {col!r} is missing, non-numeric or infinite at {at}"
                )
        values.append(block.to_numpy(dtype=np.float64))
    return values
