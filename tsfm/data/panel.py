"""The one internal representation of every input: a panel of regular time series.

A :class:`Panel` holds ``S`` series of one frequency. Series ``i`` has ``T_i`` time steps and the
same ``C`` target channels as every other series, plus optional past and future covariates. Arrays
are float64 so that statistical baselines and metrics are exact; neural models cast to float32.
:class:`DataSpec` records the column roles and the layout of the input, so that output mirrors it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

LAYOUTS = ("series", "wide", "long")
#: Default column names of a long frame: the series id, the time and the target (as in
#: Nixtla's libraries); ``id_col=``, ``time_col=`` and ``target_col=`` name others.
ID_COL, TIME_COL, TARGET_COL = "unique_id", "ds", "y"


def shift(stamp: pd.Timestamp, k: int, freq: pd.DateOffset) -> pd.Timestamp:
    """``stamp + k * freq``, stepping as :func:`pd.date_range` does.

    For a time-zone-aware ``stamp`` and a daily frequency, pandas' ``stamp + k * Day`` adds
    ``24 k`` hours, so that across a daylight-saving change midnight becomes 01:00 or 23:00;
    ``pd.date_range`` (the series' own timestamps) keeps the wall-clock time, and so does this.
    """
    if stamp.tz is not None and isinstance(freq, pd.offsets.Day):
        return (stamp.tz_localize(None) + int(k) * freq).tz_localize(stamp.tz)
    return stamp + int(k) * freq


@dataclass(frozen=True)
class DataSpec:
    """Column roles and input layout, JSON-serialisable.

    Parameters
    ----------
    layout : {"series", "wide", "long"}
        The input shape: a ``pd.Series``, a wide frame (DatetimeIndex, one column per channel) or
        a long frame (``id_col``, ``time_col``, ``target_col`` plus covariate columns).
    targets : tuple
        Target channel names (wide: the column labels as given, e.g. strings, integers or
        MultiIndex tuples; long and series: one name).
    past_covariates, future_covariates : tuple of str
        Covariates known up to the forecast origin, and known over the horizon too.
    id_col, time_col : str
        Long layout column names (the target's is ``targets[0]``).
    calendar : tuple of str
        Calendar features derived from the timestamps (:data:`tsfm.data.future.CALENDAR`),
        future covariates that need no input; they follow the user's future covariates.
    static_covariates : tuple of str
        Long layout: columns holding one value per series (e.g. a site's capacity, a region
        code), constant over time.
    column_names : tuple
        Wide layout: the names of the column index's levels (one per level; more than one for
        MultiIndex columns), so that output columns are labelled as the input's were.
    periods : str or None
        The frequency of a ``PeriodIndex`` (or ``Period`` time column) input, e.g. ``"M"``:
        forecasts are then labelled by periods of it (:mod:`tsfm.data.timestamps`).
    """

    layout: str
    targets: tuple[str, ...]
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    id_col: str = ID_COL
    time_col: str = TIME_COL
    calendar: tuple[str, ...] = ()
    static_covariates: tuple[str, ...] = ()
    column_names: tuple = ()
    periods: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DataSpec:
        return cls(**{k: _tuples(v) for k, v in d.items()})

    @property
    def has_covariates(self) -> bool:
        return bool(self.past_covariates or self.n_future or self.static_covariates)

    @property
    def n_future(self) -> int:
        """Columns of the future covariates block: the user's, then the calendar features."""
        return len(self.future_covariates) + len(self.calendar)


def _tuples(value):
    """JSON lists back to tuples, nested ones too (MultiIndex labels)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def object_array(values) -> np.ndarray:
    """A 1-d object array holding ``values`` as they are (``np.asarray`` would split tuples)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


@dataclass
class Panel:
    """Series of one frequency with targets, covariates, timestamps and observed masks.

    Attributes
    ----------
    ids : list
        Series ids as given (``1`` and ``"1"`` are two series), ``S`` of them.
    values : list of ndarray
        Targets per series, each ``(T_i, C)`` float64, finite.
    observed : list of ndarray
        Per series ``(T_i, C)`` bool: False where a missing value was filled.
    starts : list of pd.Timestamp
        First timestamp per series; the index is ``pd.date_range(start, T_i, freq)``.
    freq : pd.DateOffset
        The common frequency.
    spec : DataSpec
        Column roles and layout, for output and for checking new input.
    past_covariates, future_covariates : list of ndarray or None
        Per series ``(T_i, P)`` and ``(T_i, F)`` float64; the future block ends with the
        calendar features (``spec.calendar``).
    static : ndarray or None
        ``(S, K)`` float64: the static covariates, one row per series.
    """

    ids: list
    values: list[np.ndarray]
    observed: list[np.ndarray]
    starts: list[pd.Timestamp]
    freq: pd.DateOffset
    spec: DataSpec
    past_covariates: list[np.ndarray] | None = None
    future_covariates: list[np.ndarray] | None = None
    static: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def n_channels(self) -> int:
        return self.values[0].shape[1]

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values])

    def index(self, i: int) -> pd.DatetimeIndex:
        """Timestamps of series ``i``."""
        return pd.date_range(self.starts[i], periods=len(self.values[i]), freq=self.freq)

    def future_index(self, i: int, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` timestamps right after series ``i``."""
        last = shift(self.starts[i], len(self.values[i]) - 1, self.freq)
        try:
            return pd.date_range(shift(last, 1, self.freq), periods=horizon, freq=self.freq)
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            raise ValueError(
                f"series {self.ids[i]!r}: {horizon} steps of {self.freq.freqstr} after {last} run "
                f"past the last date pandas can hold ({pd.Timestamp.max:%Y-%m-%d}); forecast "
                "fewer steps"
            ) from None

    def check_min_length(self, min_length: int, what: str) -> None:
        """Raise a ValueError naming every series shorter than ``min_length``."""
        short = [(sid, n) for sid, n in zip(self.ids, self.lengths) if n < min_length]
        if short and self.spec.layout == "wide":  # one series, its columns the channels
            raise ValueError(
                f"the input is too short for {what}: need at least {min_length} time steps "
                f"(rows), got {short[0][1]}."
            )
        if short:
            listed = ", ".join(f"{sid!r} ({n})" for sid, n in short[:5])
            more = f" and {len(short) - 5} more" if len(short) > 5 else ""
            raise ValueError(
                f"{len(short)} series are too short for {what}: need at least {min_length} "
                f"time steps, got {listed}{more}."
            )

    def take(
        self,
        series: np.ndarray | list[int],
        stops: np.ndarray | None = None,
        starts: np.ndarray | None = None,
    ) -> Panel:
        """Series ``series`` (positions), each cut to rows ``[starts[k], stops[k])``.

        Parameters
        ----------
        series : array of int, shape (K,)
        stops, starts : array of int, shape (K,), optional
            Row bounds per taken series, non-negative; default the whole series.
        """
        series = np.asarray(series, dtype=int)
        stops = self.lengths[series] if stops is None else np.asarray(stops, dtype=int)
        starts = np.zeros(len(series), dtype=int) if starts is None else np.asarray(starts)

        def cut(blocks):
            if blocks is None:
                return None
            return [blocks[i][a:b] for i, a, b in zip(series, starts, stops)]

        return Panel(
            ids=[self.ids[i] for i in series],
            values=cut(self.values),
            observed=cut(self.observed),
            starts=[shift(self.starts[i], a, self.freq) for i, a in zip(series, starts)],
            freq=self.freq,
            spec=self.spec,
            past_covariates=cut(self.past_covariates),
            future_covariates=cut(self.future_covariates),
            static=None if self.static is None else self.static[series],
        )

    def without_covariates(self, past: bool = True, future: bool = True, static: bool = True):
        """The same series without their past, future and/or static covariates (for a model
        that cannot use them); the spec forgets their roles too."""
        spec = dataclasses.replace(
            self.spec,
            past_covariates=() if past else self.spec.past_covariates,
            future_covariates=() if future else self.spec.future_covariates,
            calendar=() if future else self.spec.calendar,
            static_covariates=() if static else self.spec.static_covariates,
        )
        return dataclasses.replace(
            self,
            spec=spec,
            past_covariates=None if past else self.past_covariates,
            future_covariates=None if future else self.future_covariates,
            static=None if static else self.static,
        )

    def slice(self, stop: int | None = None, start: int | None = None) -> Panel:
        """Rows ``[start, stop)`` of every series (negative values count from each end)."""

        def cut(a):
            return None if a is None else [x[start:stop] for x in a]

        starts = []
        for s, v in zip(self.starts, self.values):
            first = range(len(v))[start:stop]
            starts.append(shift(s, first.start if len(first) else 0, self.freq))
        return Panel(
            ids=list(self.ids),
            values=cut(self.values),
            observed=cut(self.observed),
            starts=starts,
            freq=self.freq,
            spec=self.spec,
            past_covariates=cut(self.past_covariates),
            future_covariates=cut(self.future_covariates),
            static=self.static,
        )


def left_pad_stack(arrays: list[np.ndarray], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack the last ``length`` rows of each array, left-padding short ones with NaN.

    Parameters
    ----------
    arrays : list of ndarray
        Each ``(T_i, C)``.
    length : int
        Rows kept per array, ``L``.

    Returns
    -------
    stacked : ndarray, shape (S, L, C)
        NaN where padded.
    mask : ndarray of bool, shape (S, L)
        True where a real row is.
    """
    n_cols = arrays[0].shape[1]
    out = np.full((len(arrays), length, n_cols), np.nan)
    mask = np.zeros((len(arrays), length), dtype=bool)
    for i, a in enumerate(arrays):
        tail = a[-length:] if length else a[:0]
        out[i, length - len(tail) :] = tail
        mask[i, length - len(tail) :] = True
    return out, mask


def panel_to_arrays(panel: Panel) -> tuple[dict, dict[str, np.ndarray]]:
    """Split a panel into JSON metadata and flat arrays (for safetensors).

    Returns
    -------
    meta : dict
        ids, start timestamps (ISO), frequency, spec.
    arrays : dict of str to ndarray
        ``values`` and ``observed`` of shape ``(sum T_i, C)``, ``lengths`` ``(S,)``, and the
        covariates when present.
    """
    meta = {
        "ids": list(panel.ids),
        "starts": [s.isoformat() for s in panel.starts],
        "freq": panel.freq.freqstr,
        "spec": panel.spec.to_dict(),
    }
    arrays = {
        "values": np.concatenate(panel.values),
        "observed": np.concatenate(panel.observed).astype(np.uint8),
        "lengths": panel.lengths.astype(np.int64),
    }
    for name in ("past_covariates", "future_covariates"):
        blocks = getattr(panel, name)
        if blocks is not None:
            arrays[name] = np.concatenate(blocks)
    if panel.static is not None:
        arrays["static"] = panel.static
    return meta, arrays


def panel_from_arrays(meta: dict, arrays: dict[str, np.ndarray]) -> Panel:
    """Inverse of :func:`panel_to_arrays`."""
    cuts = np.cumsum(arrays["lengths"])[:-1]

    def split(name):
        return None if name not in arrays else list(np.split(arrays[name], cuts))

    return Panel(
        ids=[_tuples(i) for i in meta["ids"]],
        values=split("values"),
        observed=[o.astype(bool) for o in split("observed")],
        starts=[pd.Timestamp(s) for s in meta["starts"]],
        freq=pd.tseries.frequencies.to_offset(meta["freq"]),
        spec=DataSpec.from_dict(meta["spec"]),
        past_covariates=split("past_covariates"),
        future_covariates=split("future_covariates"),
        static=arrays.get("static"),
    )
