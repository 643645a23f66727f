"""gluonts datasets as tsfm input: ``ListDataset``, ``PandasDataset`` or any iterable of entries.

A gluonts entry is a dict with ``start`` (a ``pd.Period``), ``target`` (1-d array) and optionally
``item_id``. Entries become the series of a long frame (``unique_id``, ``ds``, ``y``); dynamic and
static features are not carried over (give covariates as frame columns instead).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def is_gluonts_dataset(data) -> bool:
    """True for gluonts datasets: iterables of dicts with ``start`` and ``target``, not pandas."""
    if isinstance(data, (pd.Series, pd.DataFrame, np.ndarray, str, bytes, dict)):
        return False
    module = type(data).__module__ or ""
    return module.startswith("gluonts") or (
        isinstance(data, (list, tuple)) and bool(data) and _is_entry(data[0])
    )


def _is_entry(entry) -> bool:
    return isinstance(entry, dict) and "start" in entry and "target" in entry


def entry_id(entry: dict, position: int) -> str:
    """The series id of an entry: its ``item_id``, else its position."""
    item = entry.get("item_id")
    return str(item) if item is not None else str(position)


def gluonts_to_frame(dataset: Iterable[dict]) -> pd.DataFrame:
    """Long frame (``unique_id``, ``ds``, ``y``) of a gluonts dataset.

    Raises
    ------
    ValueError
        For a multivariate target (2-d), an entry without ``start``/``target``, or repeated ids.
    """
    frames, seen = [], set()
    for position, entry in enumerate(dataset):
        if not _is_entry(entry):
            raise ValueError(f"gluonts entry {position} has no 'start' and 'target' fields")
        sid = entry_id(entry, position)
        if sid in seen:
            raise ValueError(f"gluonts dataset: item_id {sid!r} appears twice")
        seen.add(sid)
        target = np.asarray(entry["target"], dtype=np.float64)
        if target.ndim != 1:
            raise ValueError(
                f"gluonts series {sid!r} has a {target.ndim}-d target; tsfm reads univariate "
                "entries (split a multivariate one into one entry per channel)"
            )
        start = pd.Period(entry["start"])
        ds = pd.period_range(start, periods=len(target)).to_timestamp()
        frames.append(pd.DataFrame({"unique_id": sid, "ds": ds, "y": target}))
    if not frames:
        raise ValueError("input is empty: the gluonts dataset has no entries")
    return pd.concat(frames, ignore_index=True)
