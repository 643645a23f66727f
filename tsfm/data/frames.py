"""pandas in, :class:`Panel` out, and forecasts back to the input's shape.

These input shapes are accepted:

* a ``pd.Series`` with a DatetimeIndex: one series, one channel;
* a wide ``DataFrame`` with a DatetimeIndex: one series, one channel per target column;
* a long ``DataFrame`` with ``unique_id``, ``ds`` and ``y`` columns (other names given as
  ``id_col=``, ``time_col=``, ``target_col=``): many series, one channel;
* a gluonts dataset (``ListDataset``, ``PandasDataset``), read as a long frame
  (:mod:`tsfm.data.gluonts`).

The time axis may also be a ``PeriodIndex`` (a ``Period`` column in a long frame): forecasts
then come back as periods of the same frequency. Date strings are parsed with
``pd.to_datetime`` (:mod:`tsfm.data.timestamps`).

Column roles are never guessed: in a wide frame every column is a target unless named as a
covariate (or ``target=`` names the targets and every other column must have a role); in a long
frame every column besides id, time and target must be named as a past or future covariate.

Missing values: by default NaN in a target or covariate is an error. ``fill_missing`` chooses
a documented policy instead, and missing timestamps (gaps) are then re-indexed onto the regular
grid and filled the same way. Filled points are recorded as unobserved in ``Panel.observed``:

* ``"raise"`` (default): a ValueError naming the column, series and first missing timestamp;
* ``"interpolate"``: linear in time, edges filled with the nearest observed value;
* ``"ffill"``: last observation carried forward, leading gaps back-filled;
* ``"zero"``: zeros.

Infinite values, and values beyond :data:`LARGEST` in magnitude, are always an error.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsfm.data.future import calendar_features, check_calendar
from tsfm.data.gluonts import gluonts_to_frame, is_gluonts_dataset
from tsfm.data.panel import ID_COL, TARGET_COL, TIME_COL, DataSpec, Panel, object_array
from tsfm.data.timestamps import as_periods, as_timestamps
from tsfm.data.undated import STEP, STEPS, UNDATED_FREQ, dated, in_positions, is_undated

FILL_POLICIES = ("raise", "interpolate", "ffill", "zero")
#: Largest magnitude of a value: squares (variances, scaling, squared errors) stay finite.
LARGEST = 1e120


def to_panel(
    data: pd.Series | pd.DataFrame,
    *,
    target: str | Sequence[str] | None = None,
    past_covariates: Sequence[str] | None = None,
    future_covariates: Sequence[str] | None = None,
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str | None = None,
    freq: str | pd.DateOffset | None = None,
    fill_missing: str = "raise",
    spec: DataSpec | None = None,
    calendar: Sequence[str] | None = None,
    static_covariates: Sequence[str] | None = None,
) -> Panel:
    """Validate pandas input and convert it to a :class:`Panel`.

    Parameters
    ----------
    data : pd.Series or pd.DataFrame
        See the module docstring for the three accepted shapes.
    target : str or list of str, optional
        Target columns. Wide default: every column not named as a covariate. Long default: ``"y"``.
    past_covariates, future_covariates : str or list of str, optional
        Covariate columns known up to the forecast origin, and over the horizon too.
    id_col, time_col : str
        Column names of a long frame's series ids and timestamps (default ``"unique_id"`` and
        ``"ds"``); forecasts of a long frame carry the same names.
    target_col : str, optional
        The target column of a long frame (default ``"y"``), as in Nixtla's libraries: the
        same as ``target=`` with one name; give one of the two.
    freq : str or DateOffset, optional
        The frequency; inferred from the timestamps when omitted.
    fill_missing : {"raise", "interpolate", "ffill", "zero"}
        Missing-value policy (module docstring).
    spec : DataSpec, optional
        Roles recorded at fit time; new input must carry the same targets and covariates.
    calendar : str or list of str, optional
        Calendar features (e.g. ``["hour", "dayofweek", "month"]``) added as future covariates
        derived from the timestamps (:mod:`tsfm.data.future`).
    static_covariates : str or list of str, optional
        Long frames: columns with one value per series (constant over its rows).

    Raises
    ------
    TypeError
        For input that is not a Series or DataFrame.
    ValueError
        With the offending column or series named, for every invalid input.
    """
    if fill_missing not in FILL_POLICIES:
        raise ValueError(f"fill_missing must be one of {FILL_POLICIES}, got {fill_missing!r}")
    if target_col is not None:
        if target is not None and target != target_col:
            raise ValueError(
                f"target={target!r} and target_col={target_col!r} both name the target; give one"
            )
        target = target_col
    past_covariates, future_covariates, calendar, static_covariates = (
        _as_names(names)
        for names in (past_covariates, future_covariates, calendar, static_covariates)
    )
    if spec is not None:
        target = list(spec.targets) if spec.layout != "series" else None
        past_covariates, future_covariates = spec.past_covariates, spec.future_covariates
        id_col, time_col = spec.id_col, spec.time_col
        calendar, static_covariates = spec.calendar, spec.static_covariates
    static = tuple(static_covariates or ())
    if is_gluonts_dataset(data):
        data = gluonts_to_frame(data)
    undated = is_undated(data, time_col, id_col)
    if undated:
        freq = freq or UNDATED_FREQ
        data = dated(data, freq, id_col)
        time_col = STEP if isinstance(data, pd.DataFrame) else time_col
    if spec is not None and undated != (spec.periods == STEPS):
        raise ValueError(
            "the model was fit on series "
            + ("without dates (arrays, lists or an integer index); pass such data"
               if spec.periods == STEPS else "with dates; pass data with a time axis too")
        )  # fmt: skip
    data, periods = as_timestamps(data, time_col)
    periods = STEPS if undated else periods
    if isinstance(data, pd.Series):
        frames, spec_new = _from_series(data)
    elif isinstance(data, pd.DataFrame):
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError("input is empty: the DataFrame has no rows or no columns")
        if data.columns.has_duplicates:
            repeated = list(dict.fromkeys(data.columns[data.columns.duplicated()]))
            raise ValueError(
                f"columns {repeated} appear more than once (labels equal in Python, such as 1 "
                "and 1.0, count as one); give every column its own label"
            )
        long = id_col in data.columns or time_col in data.columns
        if spec is not None and spec.layout != ("long" if long else "wide"):
            _refuse_layout(spec.layout, "long" if long else "wide")
        if long:
            frames, spec_new = _from_long(
                data, target, past_covariates, future_covariates, id_col, time_col, static
            )
        else:
            if static:
                raise ValueError(
                    f"static covariates {list(static)} need a long frame (one value per series); "
                    "a wide frame holds a single series"
                )
            frames, spec_new = _from_wide(data, target, past_covariates, future_covariates)
    else:
        raise TypeError(
            "expected a pandas Series or DataFrame, a gluonts dataset, or numbers without dates "
            f"(an array, a list, a list of arrays), got {type(data).__name__}"
        )
    if spec is not None and spec.layout != spec_new.layout:
        _refuse_layout(spec.layout, spec_new.layout)
    spec_new = dataclasses.replace(spec_new, calendar=check_calendar(calendar), periods=periods)
    if not undated:
        return _build_panel(frames, spec_new, freq, fill_missing)
    try:
        return _build_panel(frames, spec_new, freq, fill_missing)
    except ValueError as error:  # its timestamps are stand-ins: name positions
        raise ValueError(in_positions(str(error), freq)) from None


def _refuse_layout(fitted: str, given: str) -> None:
    raise ValueError(
        f"the model was fit on {fitted} input, got {given} input; pass data of the same shape"
    )


# --------------------------------------------------------------------------- input shapes


def _from_series(s: pd.Series) -> tuple[dict[str, pd.DataFrame], DataSpec]:
    if len(s) == 0:
        raise ValueError("input is empty: the Series has no values")
    name = str(s.name) if s.name is not None else "y"
    return {name: s.to_frame(name)}, DataSpec(layout="series", targets=(name,))


def _from_wide(df, target, past, future):
    past, future = tuple(past or ()), tuple(future or ())
    _check_columns_exist(df, past + future, "covariate")
    if target is None:  # column labels as given: ints and MultiIndex tuples stay what they are
        targets = tuple(c for c in df.columns if c not in past and c not in future)
    else:
        targets = _column_names(target, df.columns)
        _check_columns_exist(df, targets, "target")
        unassigned = [c for c in df.columns if c not in targets + past + future]
        if unassigned:
            raise ValueError(
                f"columns {unassigned} have no role: name them in past_covariates= or "
                "future_covariates=, or drop them"
            )
    if not targets:
        raise ValueError("no target column: every column was named as a covariate")
    _check_roles(target=targets, past_covariates=past, future_covariates=future)
    levels = tuple(df.columns.names)  # kept unless one unnamed level (the common case)
    spec = DataSpec(
        layout="wide",
        targets=targets,
        past_covariates=past,
        future_covariates=future,
        column_names=levels if levels != (None,) else (),
    )
    return {"series": df}, spec


def _as_names(value):
    """A role's names as given: one name (a string, not its letters; an integer label) as a
    one-element tuple, a sequence as it is, None as None."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (Sequence, pd.Index, np.ndarray)):
        return (value,)
    return value


def _column_names(value, columns: pd.Index) -> tuple:
    """``target=`` as a tuple of column labels: one label (a string, an integer, or a tuple
    that is a MultiIndex label of ``columns``) or a sequence of them."""
    if isinstance(value, str) or not isinstance(value, (Sequence, pd.Index, np.ndarray)):
        return (value,)
    if isinstance(value, tuple) and isinstance(columns, pd.MultiIndex) and value in columns:
        return (value,)
    return tuple(value)


def _from_long(df, target, past, future, id_col, time_col, static=()):
    for col in (id_col, time_col):
        if col not in df.columns:
            raise ValueError(
                f"a long frame needs columns {id_col!r}, {time_col!r} and a target; "
                f"column {col!r} is missing (columns: {list(df.columns)}); name other columns "
                "with id_col=, time_col= and target_col="
            )
    target = target or TARGET_COL
    if not isinstance(target, str):
        if len(target) != 1:
            raise ValueError(f"a long frame has one target column, got target={list(target)}")
        target = target[0]
    past, future = tuple(past or ()), tuple(future or ())
    _check_columns_exist(df, (target,), "target")
    _check_columns_exist(df, past + future + static, "covariate")
    _check_roles(
        id_col=(id_col,), time_col=(time_col,), target=(target,), past_covariates=past,
        future_covariates=future, static_covariates=static,
    )  # fmt: skip
    known = {id_col, time_col, target, *past, *future, *static}
    unassigned = [c for c in df.columns if c not in known]
    if unassigned:
        raise ValueError(
            f"columns {unassigned} have no role: name them in past_covariates= or "
            "future_covariates=, or drop them"
        )
    times = df[time_col]
    if not pd.api.types.is_datetime64_any_dtype(times):
        if times.dtype == object and len({getattr(t, "tzinfo", None) for t in times}) > 1:
            raise ValueError(
                f"column {time_col!r} mixes time zones; convert every timestamp to one zone "
                "(e.g. pd.to_datetime(df['ds'], utc=True))"
            )
        raise ValueError(
            f"column {time_col!r} must hold datetimes (dtype datetime64), got {times.dtype}; "
            + (NUMBERS_AS_DATES if pd.api.types.is_numeric_dtype(times) else
               "convert it with pd.to_datetime")
        )  # fmt: skip
    spec = DataSpec(
        layout="long",
        targets=(target,),
        past_covariates=past,
        future_covariates=future,
        id_col=id_col,
        time_col=time_col,
        static_covariates=static,
    )
    _check_output_names(["mean", *(c for c in (id_col, time_col) if _is_quantile_name(c))], spec)
    _check_ids(df[id_col], id_col)
    frames = {}  # keyed by the ids as given: 1 and "1" are two series, 0 stays an int
    codes, uniques = pd.factorize(df[id_col].to_numpy())  # groupby would make 0 and 1.0 floats
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    data = df.set_index(time_col)[[target, *past, *future, *static]]
    for sid, rows in zip(uniques, np.split(order, ends)):
        sid = sid.item() if isinstance(sid, np.generic) else sid
        frames[sid] = data.iloc[rows]
    return frames, spec


def _check_ids(ids: pd.Series, id_col: str) -> None:
    """Refuse missing ids (naming their rows) and ids of different types that compare equal
    (``1``, ``1.0``, ``True``), which grouping would merge into one series."""
    missing = ids.isna().to_numpy()
    if missing.any():
        rows = ids.index[missing]
        listed = ", ".join(repr(r) for r in rows[:5].tolist())
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise ValueError(
            f"column {id_col!r} has {len(rows)} missing ids (NaN or None), at index {listed}"
            f"{more}; every row needs a series id: fill them in or drop those rows"
        )
    if ids.dtype != object:
        return
    kinds = ids.map(lambda v: type(v.item() if isinstance(v, np.generic) else v))
    if kinds.nunique() == 1:
        return
    per_id = kinds.groupby(ids, sort=False).nunique()
    merged = per_id[per_id > 1]
    if len(merged):
        same = ids[(ids == merged.index[0]).to_numpy()]
        names = list(dict.fromkeys(f"{v!r} ({type(v).__name__})" for v in same))
        raise ValueError(
            f"column {id_col!r}: ids {' and '.join(names)} are equal in Python and would be "
            "merged into one series; give the column one type (e.g. .astype(str) keeps them "
            "apart as different series)"
        )


def _check_roles(**roles) -> None:
    """Refuse a column given two roles (or one role twice): it would be read twice."""
    seen = {}
    for role, names in roles.items():
        for name in names:
            if name in seen:
                raise ValueError(
                    f"column {name!r} is named in {seen[name]}= and in {role}=; give every "
                    "column one role"
                )
            seen[name] = role


def _check_columns_exist(df, names, role):
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise ValueError(
            f"{role} columns {missing} are not in the input (columns: {list(df.columns)})"
        )


# --------------------------------------------------------------------------- validation


def _build_panel(frames: dict, spec: DataSpec, freq, fill_missing) -> Panel:
    indexes, tz = {}, None
    for n, (sid, frame) in enumerate(frames.items()):
        label = _label(spec, sid)
        indexes[sid] = index = _check_index(frame.index, label)
        if n == 0:
            tz = index.tz
        elif (index.tz is None) != (tz is None) or str(index.tz) != str(tz):
            raise ValueError(f"{label}: time zone {index.tz} differs from the first series' {tz}")
    if freq is not None:
        offset = _offset_of(freq)
    else:
        offset = _common_offset(indexes, spec, fill_missing)
    _refuse_numbers_read_as_dates(indexes, offset, spec)
    ids, values, observed, starts, past, future, static = [], [], [], [], [], [], []
    grid = _shared_grid(indexes.values(), offset)
    for sid, frame in frames.items():
        label = _label(spec, sid)
        _check_numeric(frame, label)
        if spec.static_covariates:
            static.append(_static_row(frame[list(spec.static_covariates)], label))
        frame = frame.set_axis(indexes[sid])
        if not _on_grid(frame.index, grid):
            frame = _regularise(frame, offset, label, fill_missing)
        only_targets = list(frame.columns) == list(spec.targets)  # no column selection needed
        targets = frame if only_targets else frame[list(spec.targets)]
        target_block, mask = _fill(targets, label, fill_missing)
        ids.append(sid)
        values.append(target_block)
        observed.append(mask)
        starts.append(frame.index[0])
        if spec.past_covariates:
            past.append(_fill(frame[list(spec.past_covariates)], label, fill_missing)[0])
        if spec.n_future:
            known = _fill(frame[list(spec.future_covariates)], label, fill_missing)[0]
            future.append(np.concatenate([known, calendar_features(frame.index, spec.calendar)], 1))
    return Panel(
        ids=ids,
        values=values,
        observed=observed,
        starts=starts,
        freq=offset,
        spec=spec,
        past_covariates=past or None,
        future_covariates=future or None,
        static=np.array(static) if static else None,
    )


#: How to turn numbers into dates: ``pd.to_datetime`` alone reads them as nanoseconds.
NUMBERS_AS_DATES = (
    "numbers are not dates, and pd.to_datetime would read them as nanoseconds after 1970. "
    "Years: pd.to_datetime(values.astype(str), format='%Y'); Unix seconds: "
    "pd.to_datetime(values, unit='s'); other numbers: "
    "pd.to_datetime(values, unit='D', origin=...) or a Series or wide frame with an integer "
    "index (positions, no dates)"
)


def _refuse_numbers_read_as_dates(indexes: dict, offset, spec: DataSpec) -> None:
    """Refuse timestamps a sub-millisecond step apart within the first day of 1970: numbers
    (years, positions, Unix seconds) that ``pd.to_datetime`` read as nanoseconds, not a real
    time axis."""
    if not isinstance(offset, pd.offsets.Tick) or offset.nanos >= 1_000_000:
        return
    for sid, index in indexes.items():
        if index.tz is None and 0 <= index.asi8[0] and index.asi8[-1] < 86_400 * 10**9:
            raise ValueError(
                f"{_label(spec, sid)}: its timestamps run from {index[0]} to {index[-1]}, "
                f"{offset.freqstr} apart: {NUMBERS_AS_DATES}"
            )


def _offset_of(freq) -> pd.DateOffset:
    """``freq=`` as a pandas offset, with an error naming it if pandas does not know it."""
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"freq={freq!r} is not a pandas frequency (e.g. 'h', 'D', 'W-SUN', 'MS'): {error}"
        ) from None


def _static_row(block: pd.DataFrame, label: str) -> np.ndarray:
    """The one value per static column of a series, checked constant and finite."""
    values = block.to_numpy(dtype=np.float64)
    for k, col in enumerate(block.columns):
        column = values[:, k]
        if not np.isfinite(column).all():
            raise ValueError(f"{label}: static covariate {col!r} has a missing or infinite value")
        if (column != column[0]).any():
            other = column[column != column[0]][0]
            raise ValueError(
                f"{label}: static covariate {col!r} changes over time ({column[0]:g}, then "
                f"{other:g}); a static covariate holds one value per series"
            )
    return values[0]


def _common_offset(indexes: dict, spec: DataSpec, fill_missing: str) -> pd.DateOffset:
    """The frequency every series shares, inferred per series.

    A series too short or too irregular to infer from takes the others' frequency (its gaps
    and off-grid timestamps are then found by :func:`_regularise`); two series with different
    inferred frequencies are an error naming both.
    """
    found: dict[str, tuple] = {}  # freqstr -> (first series with it, its offset)
    for sid, index in indexes.items():
        offset = _try_infer_offset(index, [o for _, o in found.values()])
        if offset is not None:
            found.setdefault(offset.freqstr, (sid, offset))
    if not found:  # raises the first series' error (too few points, irregular)
        first = next(iter(indexes))
        return _infer_offset(indexes[first], _label(spec, first), fill_missing)
    if len(found) > 1:
        (a, (sid_a, _)), (b, (sid_b, _)) = list(found.items())[:2]
        raise ValueError(
            f"series {sid_b!r} has frequency {b} and series {sid_a!r} has {a}: the series of one "
            f"input must share a frequency. Resample them to one (e.g. "
            f"df.set_index({spec.time_col!r}).groupby({spec.id_col!r}).resample({a!r}).mean()) "
            f"or fit the {a} and the {b} series separately; only if series {sid_b!r} is really "
            f"{a} with gaps, pass freq={a!r} and fill_missing="
        )
    return next(iter(found.values()))[1]


def _try_infer_offset(index: pd.DatetimeIndex, known: list) -> pd.DateOffset | None:
    """The frequency of ``index``, or None when it has under 3 points or is irregular.

    A fixed step equal to a ``known`` offset's is recognised without ``pd.infer_freq`` (fast
    on panels of many series)."""
    if len(index) < 3:
        return None
    steps = np.diff(index.asi8)
    for offset in known:
        if isinstance(offset, pd.offsets.Tick) and (steps == offset.nanos).all():
            return offset
    inferred = pd.infer_freq(index)
    return None if inferred is None else pd.tseries.frequencies.to_offset(inferred)


def _label(spec: DataSpec, sid) -> str:
    return f"series {sid!r}" if spec.layout == "long" else "the input"


def _check_index(index, label: str) -> pd.DatetimeIndex:
    if isinstance(index, pd.MultiIndex):
        raise ValueError(
            f"{label}: the index is a MultiIndex (levels {list(index.names)}); a long frame "
            "holds its ids and timestamps as columns: df.reset_index() (then id_col=, "
            "time_col= name them if they are not 'unique_id' and 'ds')"
        )
    if not isinstance(index, pd.DatetimeIndex):
        if index.dtype == object and len({getattr(t, "tzinfo", None) for t in index}) > 1:
            raise ValueError(f"{label}: timestamps mix time zones; convert them to one zone")
        raise ValueError(
            f"{label}: expected a DatetimeIndex or PeriodIndex (or a long frame with "
            f"'unique_id', 'ds', 'y'), got {type(index).__name__}; set one with "
            "df.set_index(pd.to_datetime(...))"
        )
    if len(index) == 0:
        raise ValueError(f"{label} is empty")
    if index.hasnans:
        raise ValueError(f"{label}: the timestamps contain NaT")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ValueError(f"{label}: duplicate timestamp {dup}; each time step must appear once")
    if not index.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise ValueError(
            f"{label}: timestamps are not sorted ({index[pos]} comes after {index[pos - 1]}); "
            "sort by time first"
        )
    return index


def _check_numeric(frame: pd.DataFrame, label: str) -> None:
    for col, dtype in frame.dtypes.items():
        real = not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype))
        if not (pd.api.types.is_numeric_dtype(dtype) and real):
            values = frame[col].dropna()
            text = pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            if text and len(values):  # show a value, and how to convert it
                numbers = pd.to_numeric(values, errors="coerce")
                sample = values[numbers.isna()] if numbers.isna().any() else values
                first = sample.iloc[0]
                if isinstance(first, str) and re.fullmatch(r"[-+]?\d+,\d+", first.strip()):
                    how = ("a decimal comma: read the file with pd.read_csv(..., decimal=',') or "
                           "save it with decimal points")  # fmt: skip
                else:
                    how = "pd.to_numeric converts numbers stored as text"
                where = f" (such as {first!r} at {sample.index[0]}; {how})"
            else:
                where = ""
            raise ValueError(
                f"{label}: column {col!r} must be numeric (real numbers), got dtype {dtype}{where}"
            )


def _infer_offset(index: pd.DatetimeIndex, label: str, fill_missing: str) -> pd.DateOffset:
    if len(index) < 3:
        raise ValueError(
            f"{label}: {len(index)} timestamps are too few to infer the frequency; pass freq="
        )
    inferred = pd.infer_freq(index)
    if inferred is not None:
        return pd.tseries.frequencies.to_offset(inferred)
    if fill_missing != "raise":  # gaps will be filled: the grid that holds every timestamp
        guessed = _offset_with_gaps(index)
        if guessed is not None:
            return guessed
    steps = pd.Series(np.diff(index.asi8))
    common = pd.Timedelta(int(steps.mode().iloc[0]))
    gaps = int((steps != common.value).sum())
    first = index[int(np.argmax(steps.to_numpy() != common.value))]
    hint = (
        "pass freq= to re-index onto a regular grid"
        if fill_missing != "raise"
        else "pass freq= and fill_missing= ('interpolate', 'ffill' or 'zero') to re-index "
        "onto a regular grid"
    )
    raise ValueError(
        f"{label}: irregular timestamps, no frequency could be inferred (most common step "
        f"{common}, {gaps} other steps, the first after {first}); {hint}"
    )


def _offset_with_gaps(index: pd.DatetimeIndex, run: int = 5) -> pd.DateOffset | None:
    """The frequency of a series with gaps: the one most often inferred from ``run``
    consecutive timestamps, if every timestamp lies on its grid from the first; else None."""
    found = [pd.infer_freq(index[i : i + run]) for i in range(0, len(index) - run + 1, run)]
    found = pd.Series([f for f in found if f is not None])
    if found.empty:
        return None
    offset = pd.tseries.frequencies.to_offset(found.mode().iloc[0])
    grid = pd.date_range(index[0], index[-1], freq=offset)
    on_grid = len(grid) and grid[0] == index[0] and index.isin(grid).all()
    return offset if on_grid else None


#: Longest shared grid :func:`_shared_grid` builds (timestamps).
SHARED_GRID_LIMIT = 2_000_000


def _shared_grid(indexes, offset) -> pd.DatetimeIndex | None:
    """One grid at ``offset`` from the earliest to the latest timestamp of all series, so that
    a regular series is checked by a slice comparison instead of a grid of its own (building a
    month or quarter grid takes milliseconds per series); None when it would be too long."""
    indexes = list(indexes)
    if len(indexes) < 2:
        return None
    first = min(index[0] for index in indexes)
    last = max(index[-1] for index in indexes)
    step = min((index[1] - index[0] for index in indexes if len(index) > 1), default=None)
    if step is None or step <= pd.Timedelta(0) or (last - first) / step > SHARED_GRID_LIMIT:
        return None
    grid = pd.date_range(first, last, freq=offset)
    return grid if len(grid) and grid[0] == first else None


def _on_grid(index: pd.DatetimeIndex, grid: pd.DatetimeIndex | None) -> bool:
    """Whether ``index`` is a contiguous slice of ``grid``."""
    if grid is None:
        return False
    start = grid.searchsorted(index[0])
    stamps = grid.asi8[start : start + len(index)]
    return len(stamps) == len(index) and np.array_equal(stamps, index.asi8)


def _regularise(frame: pd.DataFrame, offset, label: str, fill_missing: str) -> pd.DataFrame:
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=offset)
    if len(grid) == len(frame) and grid.equals(frame.index):
        return frame
    off_grid = frame.index.difference(grid)
    if len(off_grid):
        raise ValueError(
            f"{label}: timestamp {off_grid[0]} is not on the {offset.freqstr} grid "
            f"starting at {frame.index[0]}"
        )
    if fill_missing == "raise":
        gap = grid.difference(frame.index)[0]
        raise ValueError(
            f"{label}: timestamp {gap} is missing from the {offset.freqstr} grid; "
            "pass fill_missing= ('interpolate', 'ffill' or 'zero') to fill gaps"
        )
    own = pd.infer_freq(frame.index) if len(frame) >= 3 else None
    if own is not None and len(frame) < MOSTLY_OBSERVED * len(grid):
        raise ValueError(
            f"{label}: its own frequency is {own}; only {len(frame)} of its {len(grid)} "
            f"timestamps on the {offset.freqstr} grid are observed, so filling the rest would "
            "make up most of the series. Fit series of another frequency separately, or "
            "resample them to one frequency"
        )
    return frame.reindex(grid)


#: Share of its grid a series of another (regular) frequency must fill for ``fill_missing`` to
#: fill the rest: below it, it is refused rather than made up.
MOSTLY_OBSERVED = 0.5


def _fill(block: pd.DataFrame, label: str, fill_missing: str) -> tuple[np.ndarray, np.ndarray]:
    arr = block.to_numpy(dtype=np.float64, copy=True)
    finite = np.isfinite(arr)
    if np.isinf(arr).any():
        row, col = np.argwhere(np.isinf(arr))[0]
        raise ValueError(
            f"{label}: column {block.columns[col]!r} has an infinite value at {block.index[row]}"
        )
    huge = finite & (np.abs(arr, where=finite, out=np.zeros_like(arr)) > LARGEST)
    if huge.any():
        row, col = np.argwhere(huge)[0]
        raise ValueError(
            f"{label}: column {block.columns[col]!r} holds {arr[row, col]:g} at "
            f"{block.index[row]}, beyond {LARGEST:g} in magnitude: its squares would overflow "
            "(scaling, variances, squared errors); rescale the column"
        )
    if finite.all():
        return arr, finite
    if fill_missing == "raise":
        row, col = np.argwhere(~finite)[0]
        n_missing = int((~finite[:, col]).sum())
        raise ValueError(
            f"{label}: column {block.columns[col]!r} has {n_missing} missing values (first at "
            f"{block.index[row]}); pass fill_missing= ('interpolate', 'ffill' or 'zero')"
        )
    if (~finite).all(axis=0).any():
        col = int(np.argmax((~finite).all(axis=0)))
        raise ValueError(f"{label}: column {block.columns[col]!r} has no observed value")
    frame = pd.DataFrame(arr, index=block.index)
    if fill_missing == "interpolate":
        frame = frame.interpolate(method="time", limit_direction="both")
    elif fill_missing == "ffill":
        frame = frame.ffill().bfill()
    else:
        frame = frame.fillna(0.0)
    return frame.to_numpy(), finite


# --------------------------------------------------------------------------- output


def to_frame(panel: Panel, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Turn forecasts back into the shape of the input.

    Parameters
    ----------
    panel : Panel
        The context the forecasts start after.
    outputs : dict of str to ndarray
        Output name (``"mean"``, ``"q0.1"``, ...) to an array of shape ``(S, H, C)``.

    Returns
    -------
    pd.DataFrame
        * series input: indexed by the future timestamps (periods for periods), one column
          per output;
        * wide input: indexed by the future timestamps, one column per channel when the only
          output is ``"mean"``, else columns ``(channel, output)`` as a MultiIndex;
        * long input: the id and time columns, named as the input's, and one per output.
    """
    spec = panel.spec
    names = list(outputs)
    horizon = next(iter(outputs.values())).shape[1]
    if spec.layout == "long":
        _check_output_names(names, spec)
        index = [panel.future_index(i, horizon) for i in range(panel.n_series)]
        ids = _one_dtype(pd.Series(np.repeat(object_array(panel.ids), horizon)))
        stamps = as_periods(index[0].append(index[1:]), spec.periods, panel.freq)
        frame = pd.DataFrame({spec.id_col: ids, spec.time_col: stamps})
        for name in names:
            frame[name] = outputs[name][:, :, 0].reshape(-1)
        return frame
    index = as_periods(panel.future_index(0, horizon), spec.periods, panel.freq)
    if spec.layout == "series":
        return pd.DataFrame({name: outputs[name][0, :, 0] for name in names}, index=index)
    if names == ["mean"]:
        return pd.DataFrame(outputs["mean"][0], index=index, columns=_target_columns(spec))
    levels = spec.column_names or (None,)
    labels = [t if len(levels) > 1 else (t,) for t in spec.targets]
    columns = pd.MultiIndex.from_tuples(
        [(*t, name) for t in labels for name in names], names=[*levels, None]
    )
    data = np.stack([outputs[name][0] for name in names], axis=-1).reshape(horizon, -1)
    return pd.DataFrame(data, index=index, columns=columns)


def _is_quantile_name(name) -> bool:
    """Whether ``name`` is how a forecast names a quantile column (``q0.1``)."""
    if not isinstance(name, str) or not name.startswith("q"):
        return False
    try:
        return 0 < float(name[1:]) < 1
    except ValueError:
        return False


def _check_output_names(names: list[str], spec: DataSpec) -> None:
    """Refuse outputs named like the long frame's id or time column: the forecast column would
    overwrite the series ids or the timestamps. Checked at fit too (the point forecast is
    always ``mean``; quantiles ``q<level>``), before any training."""
    for role, column, usual in (("id", spec.id_col, ID_COL), ("time", spec.time_col, TIME_COL)):
        if column in names:
            raise ValueError(
                f"the input's {role} column is named {column!r}, as a column of the forecast "
                f"(outputs {names}): the forecast would overwrite it; rename that column "
                f"(e.g. df.rename(columns={{{column!r}: {usual!r}}}) and {role}_col={usual!r}) "
                "and fit again"
            )


def _target_columns(spec: DataSpec) -> pd.Index:
    """The wide input's target columns as they were: labels, levels and level names."""
    if len(spec.column_names) > 1:
        return pd.MultiIndex.from_tuples(list(spec.targets), names=list(spec.column_names))
    name = spec.column_names[0] if spec.column_names else None
    return _one_dtype(pd.Index(object_array(spec.targets), name=name))


def _one_dtype(labels: pd.Series | pd.Index) -> pd.Series | pd.Index:
    """Object ``labels`` in their native dtype when all have one type (integers come back as
    int64), left as objects when types mix (pandas would make 0 and 1.5 both floats)."""
    return labels.infer_objects() if len({type(v) for v in labels}) == 1 else labels
