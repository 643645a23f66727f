"""Seeded series for the compositional-reasoning benchmark (Potosnak et al., 2025).

A *composite* series is a sum of basic patterns (:class:`Component`): sines and cosines at a
whole number of cycles over the window, optionally a linear trend. A model reasons
compositionally when, trained only on the basic patterns (the *component* set), it forecasts the
composites; the in-distribution reference trains on the composites' own histories. The study's
synthetic set draws each composite's terms without replacement from a grid of (amplitude,
cycles): amplitudes ``linspace(1, 32, 30)``, 3 to 32 cycles per window, sine or cosine at random,
no phase, no noise, no trend. Its component set holds unit-amplitude cosines at the strongest
DFT frequencies of the composites (:func:`component_frame`), so the same recipe applies to real
series.

Time runs as ``arange(length) / length``, so a term of ``k`` cycles has a period of exactly
``length / k`` steps and sits on DFT bin ``k``. Unlike the study, the terms of one composite have
distinct cycle counts (two terms at one frequency would make a single sinusoid, which is then no
composition at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Cycles per window of the study's terms: 3 to 32 (periods ``length / cycles``).
CYCLES = tuple(range(3, 33))
#: Amplitudes of the study's terms: 30 evenly spaced from 1 to 32.
AMPLITUDES = tuple(float(a) for a in np.linspace(1, 32, 30))
#: Kinds of :class:`Component`.
KINDS = ("sin", "cos", "trend")


@dataclass(frozen=True)
class Component:
    """One basic pattern over a window.

    Parameters
    ----------
    kind : {"sin", "cos", "trend"}
        A sine or cosine of ``cycles`` cycles per window, or a straight line.
    amplitude : float
        Peak of the sinusoid (unused by a trend).
    cycles : int
        Whole cycles over the window: the period is ``length / cycles`` steps.
    slope : float
        Rise of a trend per step (unused by a sinusoid).
    """

    kind: str
    amplitude: float = 1.0
    cycles: int = 0
    slope: float = 0.0

    def values(self, length: int) -> np.ndarray:
        """The pattern over ``length`` steps (float64)."""
        if self.kind == "trend":
            return self.slope * np.arange(length, dtype=float)
        if self.kind not in KINDS:
            raise ValueError(f"unknown component kind {self.kind!r}; choose from {KINDS}")
        wave = np.sin if self.kind == "sin" else np.cos
        return self.amplitude * wave(2 * np.pi * self.cycles * np.arange(length) / length)

    def period(self, length: int) -> float:
        """Steps per cycle over a window of ``length`` (infinite for a trend)."""
        return length / self.cycles if self.cycles else float("inf")


def sample_compositions(
    n_series: int,
    n_terms: int = 2,
    seed: int = 0,
    cycles: tuple[int, ...] = CYCLES,
    amplitudes: tuple[float, ...] = AMPLITUDES,
    slopes: tuple[float, ...] = (),
) -> list[tuple[Component, ...]]:
    """Draw ``n_series`` composites of ``n_terms`` sinusoids (and a trend if ``slopes``).

    The (amplitude, cycles) pairs are drawn without replacement from the grid of ``amplitudes``
    by ``cycles``, re-drawn until the terms of each composite have distinct cycles; each term is
    a sine or a cosine with even odds. With ``slopes``, every composite also gets a linear trend
    of a slope drawn from them.

    Parameters
    ----------
    n_series : int
        Composites to draw (``n_series * n_terms`` at most the grid's size).
    n_terms : int
        Sinusoids per composite (2 in the study).
    seed : int
        Seed of the draw: the same seed gives the same composites.
    cycles, amplitudes : tuple
        The grid's axes (the study's by default).
    slopes : tuple of float
        Trend slopes per step to draw from; empty for no trend (the study's setting).

    Returns
    -------
    list of tuple of Component
    """
    grid = [(a, c) for a in amplitudes for c in cycles]
    if n_series * n_terms > len(grid):
        raise ValueError(f"{n_series} x {n_terms} terms exceed the grid of {len(grid)} pairs")
    if n_terms > len(cycles):
        raise ValueError(f"{n_terms} distinct cycle counts asked from {len(cycles)}")
    rng = np.random.default_rng(seed)
    while True:
        picks = rng.choice(len(grid), size=(n_series, n_terms), replace=False)
        distinct = all(len({grid[i][1] for i in row}) == n_terms for row in picks)
        if distinct:
            break
    out = []
    for row in picks:
        kinds = rng.choice(["sin", "cos"], size=n_terms)
        terms = [Component(str(k), grid[i][0], int(grid[i][1])) for k, i in zip(kinds, row)]
        if slopes:
            terms.append(Component("trend", slope=float(rng.choice(slopes))))
        out.append(tuple(terms))
    return out


def composite_values(compositions: list[tuple[Component, ...]], length: int) -> np.ndarray:
    """The composites as an array ``(n_series, length)``: each the sum of its terms."""
    return np.stack([sum(c.values(length) for c in terms) for terms in compositions])


def long_frame(
    values: np.ndarray, prefix: str, start: str = "2024-01-01", freq: str = "min"
) -> pd.DataFrame:
    """Rows of ``values`` ``(n, length)`` as a long frame ``unique_id, ds, y`` (ids
    ``<prefix>0``, ``<prefix>1``, ...; timestamps every ``freq`` from ``start``)."""
    n, length = values.shape
    ds = pd.date_range(start, periods=length, freq=freq)
    return pd.DataFrame({
        "unique_id": np.repeat([f"{prefix}{i}" for i in range(n)], length),
        "ds": np.tile(ds, n),
        "y": values.reshape(-1),
    })  # fmt: skip


def dominant_cycles(values: np.ndarray, top_k: int) -> np.ndarray:
    """The ``top_k`` strongest DFT frequencies of each row of ``values`` ``(n, length)``, in
    cycles per window (DFT bins ``1 .. length // 2``; the mean, bin 0, is left out). Returns
    ``(n, top_k)`` integers, strongest first."""
    spectrum = np.abs(np.fft.rfft(values, axis=-1))[:, 1:]
    order = np.argsort(-spectrum, axis=-1, kind="stable")[:, :top_k]
    return order + 1


def component_frame(
    values: np.ndarray, top_k: int, length: int, start: str = "2024-01-01", freq: str = "min"
) -> pd.DataFrame:
    """The component training set of composites ``values``: a unit cosine of ``length`` steps
    for every distinct frequency among the rows' ``top_k`` strongest (:func:`dominant_cycles`),
    one series each (ids ``basis<cycles>``), lowest frequency first."""
    cycles = np.unique(dominant_cycles(values, top_k))
    bases = np.stack([Component("cos", 1.0, int(k)).values(length) for k in cycles])
    frame = long_frame(bases, "basis", start, freq)
    names = dict(zip([f"basis{i}" for i in range(len(cycles))], [f"basis{k}" for k in cycles]))
    return frame.assign(unique_id=frame["unique_id"].map(names))


def real_windows(
    data: pd.DataFrame, n_series: int, length: int, seed: int = 0
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """``n_series`` windows of ``length`` rows cut from the columns of a wide frame ``data``
    (a timestamp index, one column per channel) at seeded random channels and starts, for the
    study's real-data composites. Returns the windows ``(n_series, length)`` and the timestamps
    of the first window."""
    rng = np.random.default_rng(seed)
    array = data.to_numpy(dtype=float)
    columns = rng.integers(0, array.shape[1], n_series)
    starts = rng.integers(0, len(array) - length + 1, n_series)
    windows = np.stack([array[s : s + length, c] for s, c in zip(starts, columns)])
    return windows, data.index[starts[0] : starts[0] + length]
