"""Property tests of the data layer (to_panel / to_frame) over random frames.

Long frames with ids of mixed types, values of several dtypes, any of a set of frequencies and
time zones, gaps, interleaved rows; wide frames with column labels of mixed types, named
column indexes and MultiIndex columns. Whatever comes in: no series is lost, none is merged,
and ids, columns and timestamps come back as they were given; a gap is either refused naming
its series or, with a fill policy, filled and marked unobserved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsfm.data import to_frame, to_panel

FREQS = ["h", "2h", "15min", "D", "B", "W-SUN", "MS", "QS-JAN", "YS-JAN"]
ZONES = [None, "UTC", "Europe/Paris", "Asia/Kolkata"]
DTYPES = ["float64", "float32", "int64", "int32", "Int64"]
HORIZON = 3

ids_ = st.one_of(
    st.integers(-3, 40),
    st.text(alphabet="ab1 _", max_size=3),
    st.floats(-5, 5, allow_nan=False, allow_infinity=False),
    st.tuples(st.sampled_from("xy"), st.integers(0, 2)),
)
labels_ = st.one_of(st.integers(-2, 9), st.text(alphabet="abc1", min_size=1, max_size=3))
properties = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _given(freq: str) -> str | None:
    """The ``freq=`` to pass: inferred (None), except business days, where three weekdays in
    a row look daily."""
    return freq if freq == "B" else None


def _merged_by_python(ids: list) -> bool:
    """Whether two ids of different types compare equal (1 and 1.0): grouping merges them."""
    return any(a == b and type(a) is not type(b) for i, a in enumerate(ids) for b in ids[:i])


def _id_column(ids: list, repeats: list[int]) -> pd.Series:
    """The ids as a column: one type gets its natural dtype, mixed types stay objects."""
    values = [sid for sid, n in zip(ids, repeats) for _ in range(n)]
    column = pd.Series(values, dtype=object)
    if len({type(sid) for sid in ids}) == 1 and not isinstance(ids[0], tuple):
        column = column.infer_objects()
    return column


@st.composite
def long_frames(draw):
    """A long frame, the series' ids, full indexes, kept row positions and values."""
    ids = draw(st.lists(ids_, min_size=1, max_size=5, unique_by=lambda v: (type(v), v)))
    freq, tz = draw(st.sampled_from(FREQS)), draw(st.sampled_from(ZONES))
    dtype = draw(st.sampled_from(DTYPES))
    gaps = draw(st.booleans())
    indexes, kept, values = [], [], []
    for k in range(len(ids)):
        n = draw(st.integers(3 if k == 0 else 1, 25))
        shift = draw(st.integers(0, 6))
        index = pd.date_range("2021-01-04", periods=n + shift, freq=freq, tz=tz)[shift:]
        keep = np.ones(n, dtype=bool)
        if gaps and k > 0 and n > 2:  # series 0 stays whole: the frequency is never in doubt
            keep[1:-1] = draw(st.lists(st.booleans(), min_size=n - 2, max_size=n - 2))
        indexes.append(index)
        kept.append(keep)
        values.append(np.array(draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n))))
    frame = pd.DataFrame(
        {
            "unique_id": _id_column(ids, [int(k.sum()) for k in kept]),
            "ds": pd.DatetimeIndex(np.concatenate([i[k] for i, k in zip(indexes, kept)])),
            "y": pd.array(np.concatenate([v[k] for v, k in zip(values, kept)]), dtype=dtype),
            "series": np.repeat(np.arange(len(ids)), [int(k.sum()) for k in kept]),
        }
    )
    frame["ds"] = frame["ds"].dt.tz_convert(tz) if tz else frame["ds"]
    order = draw(st.permutations(range(len(frame))))  # rows interleaved, each series in order
    frame = frame.iloc[list(order)].sort_values("ds", kind="stable").reset_index(drop=True)
    return frame, ids, freq, indexes, kept, values


def _first_appearance(frame: pd.DataFrame) -> list[int]:
    return list(dict.fromkeys(frame.pop("series")))


@properties
@given(long_frames())
def test_long_frames_keep_every_series_and_id(case):
    frame, ids, freq, indexes, kept, values = case
    order = _first_appearance(frame)
    if _merged_by_python(ids):
        with pytest.raises(ValueError, match="are equal in Python and would be merged"):
            to_panel(frame)
        return
    gappy = [ids[k] for k in range(len(ids)) if not kept[k].all()]
    if gappy:
        with pytest.raises(ValueError) as refused:
            to_panel(frame, freq=_given(freq))
        assert any(f"series {sid!r}" in str(refused.value) for sid in gappy), refused.value
        panel = to_panel(frame, freq=freq, fill_missing="interpolate")
    else:
        panel = to_panel(frame, freq=_given(freq))
    start = panel.index(0)[0]  # the inferred frequency makes the same grid (QS-OCT is QS-JAN)
    assert pd.date_range(start, periods=9, freq=panel.freq).equals(
        pd.date_range(start, periods=9, freq=freq)
    )
    assert panel.n_series == len(ids)  # none lost, none merged
    assert [(type(s), s) for s in panel.ids] == [(type(ids[k]), ids[k]) for k in order]
    for position, k in enumerate(order):
        first, last = np.flatnonzero(kept[k])[[0, -1]]
        np.testing.assert_array_equal(panel.observed[position][:, 0], kept[k][first : last + 1])
        observed = panel.values[position][panel.observed[position][:, 0], 0]
        np.testing.assert_array_equal(observed, values[k][kept[k]].astype(np.float64))
        assert panel.index(position).equals(indexes[k][first : last + 1])
    out = to_frame(panel, {"mean": np.zeros((panel.n_series, HORIZON, 1))})
    assert list(out.columns) == ["unique_id", "ds", "mean"]
    for position, k in enumerate(order):
        rows = out.iloc[position * HORIZON : (position + 1) * HORIZON]
        assert [(type(s), s) for s in rows["unique_id"].tolist()] == [(type(ids[k]), ids[k])] * 3
        last = indexes[k][np.flatnonzero(kept[k])[-1]]
        expected = pd.date_range(last, periods=HORIZON + 1, freq=freq)[1:]
        assert pd.DatetimeIndex(rows["ds"]).equals(expected)


@st.composite
def wide_frames(draw):
    """A wide frame with labels of mixed types (sometimes MultiIndex, sometimes repeated)."""
    multi = draw(st.booleans())
    if multi:
        label = st.tuples(st.sampled_from(["north", "south"]), labels_)
    else:
        label = labels_
    labels = draw(st.lists(label, min_size=1, max_size=4))
    freq, tz = draw(st.sampled_from(FREQS)), draw(st.sampled_from(ZONES))
    n = draw(st.integers(3, 20))
    index = pd.date_range("2022-03-01", periods=n, freq=freq, tz=tz)
    if multi:
        names = draw(st.sampled_from([[None, None], ["site", "k"]]))
        columns = pd.MultiIndex.from_tuples(labels, names=names)
    else:
        columns = pd.Index(labels, dtype=object, name=draw(st.sampled_from([None, "var"])))
        columns = columns.infer_objects()
    data = np.arange(n * len(labels)).reshape(n, len(labels))
    frame = pd.DataFrame(data, index=index, columns=columns)
    dtypes = draw(st.lists(st.sampled_from(DTYPES), min_size=len(labels), max_size=len(labels)))
    for k, dtype in enumerate(dtypes):
        frame.isetitem(k, frame.iloc[:, k].astype(dtype))
    return frame, freq


@properties
@given(wide_frames())
def test_wide_frames_give_their_columns_back(case):
    frame, freq = case
    if frame.columns.has_duplicates:
        with pytest.raises(ValueError, match="appear more than once"):
            to_panel(frame)
        return
    panel = to_panel(frame, freq=_given(freq))
    assert panel.n_series == 1 and panel.n_channels == frame.shape[1]
    np.testing.assert_array_equal(panel.values[0], frame.to_numpy(dtype=np.float64))
    assert panel.index(0).equals(frame.index)
    zeros = np.zeros((1, HORIZON, frame.shape[1]))
    out = to_frame(panel, {"mean": zeros})
    pd.testing.assert_index_equal(out.columns, frame.columns)
    assert out.index.equals(pd.date_range(frame.index[-1], periods=HORIZON + 1, freq=freq)[1:])
    both = to_frame(panel, {"mean": zeros, "q0.1": zeros})
    assert list(both.columns.names[:-1]) == list(frame.columns.names)
    labels = [c if isinstance(c, tuple) else (c,) for c in frame.columns]
    assert list(both.columns) == [(*c, name) for c in labels for name in ("mean", "q0.1")]


@properties
@given(
    name=st.one_of(st.none(), labels_),
    freq=st.sampled_from(FREQS),
    tz=st.sampled_from(ZONES),
    n=st.integers(3, 30),
    dtype=st.sampled_from(DTYPES),
)
def test_a_series_gives_its_index_back(name, freq, tz, n, dtype):
    index = pd.date_range("2020-02-28", periods=n, freq=freq, tz=tz)
    series = pd.Series(np.arange(n), index=index, name=name).astype(dtype)
    panel = to_panel(series, freq=_given(freq))
    np.testing.assert_array_equal(panel.values[0][:, 0], np.arange(n, dtype=np.float64))
    out = to_frame(panel, {"mean": np.zeros((1, HORIZON, 1))})
    assert list(out.columns) == ["mean"]
    assert out.index.equals(pd.date_range(index[-1], periods=HORIZON + 1, freq=freq)[1:])
