"""Training windows of variable context length over a corpus of series with season lengths.

A fixed-length :class:`~tsfm.training.windows.WindowSet` cuts every window at the same
context length; a zero-shot model must also learn 8-value yearly series and 30-value quarterly
ones. :class:`CorpusWindows` draws, once and seeded, ``n_windows`` windows: a series (chosen
with probability growing as the square root of its length, so a long series is not one vote
but does not drown the short ones either), a forecast origin uniformly along it (at least 3
values before), a context of up to ``context_length`` values before the origin (a share cut to
a random, log-uniform shorter suffix) left-padded with NaN, the next ``horizon`` values as
targets (NaN past the series' end), and the series' season length. Batches are the same
``(x, y)`` pairs :func:`tsfm.training.loop.train` passes to a ``step_fn``, with
``x = (values, season)``.
"""

from __future__ import annotations

import numpy as np
import torch


class CorpusWindows:
    """Pre-drawn windows of ``series``, a list of ``(values, season)``."""

    def __init__(self, series, n_windows: int, context_length: int, horizon: int, seed: int = 0,
                 short_context_prob: float = 0.3):  # fmt: skip
        rng = np.random.default_rng(seed)
        lengths = np.array([len(v) for v, _ in series])
        usable = np.flatnonzero(lengths >= 4)
        weights = np.sqrt(lengths[usable]) / np.sqrt(lengths[usable]).sum()
        picks = usable[rng.choice(len(usable), size=n_windows, p=weights)]
        L, H = context_length, horizon
        self.values = np.full((n_windows, L), np.nan, dtype=np.float32)
        self.targets = np.full((n_windows, H), np.nan, dtype=np.float32)
        self.season = np.empty(n_windows, dtype=np.int64)
        for row, i in enumerate(picks):
            values, season = series[i]
            origin = int(rng.integers(3, len(values)))
            keep = min(origin, L)
            if rng.random() < short_context_prob and keep > 8:
                keep = int(np.exp(rng.uniform(np.log(8), np.log(keep))))
            self.values[row, L - keep :] = values[origin - keep : origin]
            future = values[origin : origin + H]
            self.targets[row, : len(future)] = future
            self.season[row] = season
        self.values_t = torch.from_numpy(self.values)
        self.targets_t = torch.from_numpy(self.targets)
        self.season_t = torch.from_numpy(self.season)

    def __len__(self) -> int:
        return len(self.season)

    def batch(self, index: torch.Tensor):
        """``((values (B, L), season (B,)), targets (B, H))`` of windows ``index``."""
        return (self.values_t[index], self.season_t[index]), self.targets_t[index]
