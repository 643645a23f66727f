"""The windowed pretraining corpus of the combination model (``"kind": "windows"`` configs).

Series, each with the season length its frequency implies:

* ``low_frequency``: synthetic short series of every frequency group
  (:func:`tsfm.data.synthetic.low_frequency_series`: ETS paths, trend x season x noise,
  random walks with drift, AR with trend, Gaussian processes; seeded);
* ``collections``: the *histories* of the real low-frequency collections marked for
  pretraining (:func:`tsfm.collections.pretraining_series`; never their evaluation windows,
  never a strict zero-shot collection);
* ``real``: training parts of the LTSF/EPF sets
  (:func:`tsfm.pretrained.pretrain.real_training_parts`);
* ``mixup``: TSMixup (Ansari et al. 2024) series, convex combinations of 2-3 standardised
  real series of the same season length, cut to a common random length.

Windows are then drawn by :class:`tsfm.pretrained.windows.CorpusWindows`: ``n_windows`` for
training, ``validation_windows`` (another seed, other synthetic series) for validation.
"""

from __future__ import annotations

import numpy as np

from tsfm.data.synthetic import low_frequency_series
from tsfm.pretrained.windows import CorpusWindows

#: Season length of each frequency group (as the collections name them).
GROUP_SEASONS = {"yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 52, "daily": 7,
                 "hourly": 24}  # fmt: skip


def real_series(spec: dict) -> list[tuple[np.ndarray, int]]:
    """``(values, season)`` of the real data the spec names."""
    from tsfm.models.combo import season_of

    series = []
    if spec.get("collections"):
        from tsfm.collections import pretraining_series

        series += [(v, GROUP_SEASONS[group]) for _, v, group in pretraining_series()]
    if spec.get("real"):
        from tsfm.datasets import load_dataset
        from tsfm.pretrained.pretrain import real_training_parts

        for name in spec["real"]:
            season = season_of(load_dataset(name).info.freq)
            series += [(v, season) for _, v in real_training_parts([name])]
    return [(np.asarray(v, dtype=float), s) for v, s in series if np.isfinite(v).all()]


def mixup(rng: np.random.Generator, pool: list[tuple[np.ndarray, int]], n: int):
    """``n`` convex mixes of 2-3 standardised series of one season length."""
    by_season: dict[int, list[np.ndarray]] = {}
    for values, season in pool:
        if len(values) >= 16:
            by_season.setdefault(season, []).append(values)
    seasons = sorted(by_season)
    out = []
    for _ in range(n):
        season = seasons[rng.integers(len(seasons))]
        members = by_season[season]
        chosen = [members[i] for i in rng.integers(0, len(members), rng.integers(2, 4))]
        length = min(len(c) for c in chosen)
        length = int(rng.integers(min(16, length), length + 1))
        weights = rng.dirichlet(np.ones(len(chosen)))
        mix = sum(w * standardised(c[-length:]) for w, c in zip(weights, chosen))
        out.append((mix * rng.lognormal(0, 1) + rng.normal(0, 3), season))
    return out


def standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-8)


def build_windows(spec: dict, context_length: int, horizon: int):
    """Training and validation :class:`CorpusWindows` and a summary for the model's config."""
    seed = int(spec.get("seed", 0))
    rng = np.random.default_rng(seed)
    synthetic = [low_frequency_series(rng) for _ in range(int(spec.get("low_frequency", 0)))]
    real = real_series(spec)
    mixed = mixup(rng, real, int(spec.get("mixup", 0))) if real else []
    repeats = int(spec.get("real_repeats", 1))
    series = synthetic + real * repeats + mixed
    if not series:
        raise ValueError("the corpus is empty: set low_frequency, collections, real or mixup")
    short = float(spec.get("short_context_prob", 0.3))
    windows = CorpusWindows(series, int(spec["n_windows"]), context_length, horizon, seed + 1,
                            short)  # fmt: skip
    held = np.random.default_rng(seed + 2)
    val_series = [low_frequency_series(held) for _ in range(2000)] + real
    validation = CorpusWindows(val_series, int(spec.get("validation_windows", 5000)),
                               context_length, horizon, seed + 3, short)  # fmt: skip
    summary = {
        "recipe": {k: v for k, v in spec.items() if k not in ("kind",)},
        "series_used": len(series),
        "synthetic_low_frequency": len(synthetic),
        "real_series": len(real),
        "mixup_series": len(mixed),
        "windows": len(windows),
    }
    return windows, validation, summary
