"""Synthetic series for pretraining: composable, seeded generators.

Every generator takes a ``numpy.random.Generator`` and a length and returns a float64 array;
:func:`synthetic_series` draws a composition (a base process, optional trend, seasonalities,
level shifts and a noise model) and :func:`synthetic_corpus` makes a reproducible list of them.
The mixture weights are the :class:`CorpusRecipe`, recorded with any model trained on it.

Generators:

* trends: linear, damped (logistic-like) and piecewise-linear;
* seasonality: sums of sine harmonics at one or more periods (e.g. 24 and 168 for hourly data);
* level shifts at random change points;
* random walks and stationary AR(p) processes (stable roots drawn directly);
* Gaussian-process samples from random compositions of RBF, periodic, linear and white kernels
  (KernelSynth-style, Ansari et al. 2024);
* intermittent demand: Bernoulli occurrences times gamma-distributed sizes;
* repeated templates: one random cycle (blocks, spikes or a smooth curve) tiled at a period,
  optionally nested in a weekly pattern, with a slowly drifting amplitude: the near-exact
  repetition of metered hourly data, which only copying the last cycles forecasts well;
* noise: Gaussian, Student-t, or heteroscedastic (scale following the level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from sklearn.gaussian_process.kernels import RBF, DotProduct, ExpSineSquared, WhiteKernel

PERIODS = (4, 7, 12, 24, 52, 96, 144, 168, 365)
GP_PERIODS = (24, 52, 96, 144, 168, 365)
GP_GRID = 256


def linear_trend(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.normal(0, 1) * np.linspace(0, 1, n)


def damped_trend(rng: np.random.Generator, n: int) -> np.ndarray:
    rate = rng.uniform(2, 10)
    centre = rng.uniform(0.2, 0.8)
    return rng.normal(0, 1) / (1 + np.exp(-rate * (np.linspace(0, 1, n) - centre)))


def piecewise_trend(rng: np.random.Generator, n: int) -> np.ndarray:
    knots = np.sort(rng.uniform(0, 1, rng.integers(1, 4)))
    slopes = rng.normal(0, 1, len(knots) + 1)
    t = np.linspace(0, 1, n)
    return np.cumsum(slopes[np.searchsorted(knots, t)]) / n


def seasonality(rng: np.random.Generator, n: int, periods=None) -> np.ndarray:
    """Sum of harmonics at one or two periods drawn from :data:`PERIODS` (or ``periods``)."""
    chosen = periods or rng.choice(PERIODS, size=rng.integers(1, 3), replace=False)
    t = np.arange(n)
    out = np.zeros(n)
    for period in chosen:
        for k in range(1, rng.integers(1, 4) + 1):
            amplitude = rng.normal(0, 1) / k
            out += amplitude * np.sin(2 * np.pi * k * t / period + rng.uniform(0, 2 * np.pi))
    return out


def level_shifts(rng: np.random.Generator, n: int) -> np.ndarray:
    points = np.sort(rng.integers(1, n, rng.integers(1, 4)))
    out = np.zeros(n)
    for p in points:
        out[p:] += rng.normal(0, 1)
    return out


def random_walk(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.cumsum(rng.normal(0, 1, n)) / np.sqrt(n)


def ar_process(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stationary AR(p), p in 1..3, from roots drawn inside the unit circle."""
    p = int(rng.integers(1, 4))
    roots = rng.uniform(0.1, 0.95, p) * rng.choice([-1, 1], p)
    coefficients = -np.poly(roots)[1:]  # x_t = sum_k c_k x_{t-k} + e_t
    x = np.zeros(n + 100)
    e = rng.normal(0, 1, n + 100)
    for t in range(p, n + 100):
        x[t] = coefficients @ x[t - p : t][::-1] + e[t]
    return x[100:]


def gaussian_process(rng: np.random.Generator, n: int) -> np.ndarray:
    """A GP sample with a random sum/product of 1-3 kernels over the ``n`` steps.

    Drawn on at most :data:`GP_GRID` points and interpolated by a cubic spline (periods of
    the periodic kernel are at least 24 steps, so every period keeps several grid points).
    """
    m = min(n, GP_GRID)
    bank = [
        lambda: RBF(length_scale=rng.uniform(0.02, 0.5)),
        lambda: ExpSineSquared(
            length_scale=rng.uniform(0.5, 2), periodicity=rng.choice(GP_PERIODS) / n
        ),  # fmt: skip
        lambda: DotProduct(sigma_0=rng.uniform(0, 1)),
        lambda: WhiteKernel(noise_level=rng.uniform(0.01, 0.1)),
    ]
    kernel = bank[rng.integers(0, 3)]()
    for _ in range(rng.integers(0, 3)):
        other = bank[rng.integers(0, len(bank))]()
        kernel = kernel + other if rng.random() < 0.5 else kernel * other
    grid = np.linspace(0, 1, m)
    covariance = kernel(grid[:, None]) + 1e-6 * np.eye(m)
    sample = np.linalg.cholesky(covariance) @ rng.normal(0, 1, m)
    return sample if m == n else CubicSpline(grid, sample)(np.linspace(0, 1, n))


def intermittent(rng: np.random.Generator, n: int) -> np.ndarray:
    occurs = rng.random(n) < rng.uniform(0.05, 0.5)
    return occurs * rng.gamma(rng.uniform(1, 5), rng.uniform(0.5, 3), n)


TEMPLATE_PERIODS = (7, 12, 24, 24, 24, 52, 96, 144, 168)


def template_cycle(rng: np.random.Generator, period: int) -> np.ndarray:
    """One cycle of ``period`` steps: a few flat blocks, a few spikes, or a smooth curve."""
    kind = rng.integers(0, 3)
    if kind == 0:  # on/off blocks (opening hours, shifts)
        edges = np.sort(
            rng.choice(
                np.arange(1, period), size=min(period - 1, 2 * rng.integers(1, 3)), replace=False
            )
        )
        return rng.normal(0, 1, len(edges) + 1)[
            np.searchsorted(edges, np.arange(period), side="right")
        ]
    if kind == 1:  # spikes on a low base (peaks of demand)
        cycle = rng.normal(0, 0.05, period)
        for centre in rng.choice(period, size=rng.integers(1, 4), replace=False):
            width = rng.uniform(0.5, max(1.0, period / 12))
            cycle += rng.uniform(0.5, 3) * np.exp(
                -0.5 * ((np.arange(period) - centre) / width) ** 2
            )
        return cycle
    steps = rng.normal(0, 1, period)
    smooth = np.convolve(np.concatenate([steps, steps, steps]), np.ones(3) / 3, "same")
    return smooth[period : 2 * period]


def repeated_template(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random cycle tiled over ``n`` steps, times a slowly drifting amplitude; half of the
    daily (24-step) ones also follow a weekly profile of day factors."""
    period = int(rng.choice(TEMPLATE_PERIODS))
    x = np.tile(template_cycle(rng, period), n // period + 1)[:n]
    if period == 24 and rng.random() < 0.5:
        x = x * np.repeat(rng.uniform(0.3, 1.2, 7), 24)[np.arange(n) % 168]
    drift = np.exp(np.cumsum(rng.normal(0, rng.uniform(0, 0.01), n)))
    return x * drift


def add_noise(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    scale = rng.uniform(0.01, 0.3) * (np.std(x) + 1e-3)
    kind = rng.integers(0, 3)
    if kind == 0:
        return x + rng.normal(0, scale, len(x))
    if kind == 1:
        return x + scale * rng.standard_t(3, len(x)) / np.sqrt(3)
    level = np.abs(x - x.min()) / (np.ptp(x) + 1e-9)
    return x + rng.normal(0, 1, len(x)) * scale * (0.2 + level)


BASES = {
    "seasonal": seasonality,
    "random_walk": random_walk,
    "ar": ar_process,
    "gaussian_process": gaussian_process,
    "intermittent": intermittent,
    "template": repeated_template,
}


@dataclass(frozen=True)
class CorpusRecipe:
    """Mixture of the synthetic corpus; recorded with a pretrained model.

    Parameters
    ----------
    base_weights : dict
        Probability of each base process (:data:`BASES`).
    p_trend, p_seasonality, p_level_shift : float
        Chance of adding each component to a non-intermittent base.
    min_length, max_length : int
        Series lengths drawn uniformly.
    """

    base_weights: dict = field(default_factory=lambda: {
        "seasonal": 0.3, "random_walk": 0.15, "ar": 0.15, "gaussian_process": 0.3,
        "intermittent": 0.1,
    })  # fmt: skip
    p_trend: float = 0.5
    p_seasonality: float = 0.5
    p_level_shift: float = 0.15
    min_length: int = 128
    max_length: int = 1024

    def to_dict(self) -> dict:
        return asdict(self)


def synthetic_series(rng: np.random.Generator, recipe: CorpusRecipe) -> np.ndarray:
    """One series of the recipe's mixture."""
    n = int(rng.integers(recipe.min_length, recipe.max_length + 1))
    names = list(recipe.base_weights)
    weights = np.array([recipe.base_weights[k] for k in names], dtype=float)
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    x = BASES[name](rng, n)
    if name == "intermittent":
        return x
    if rng.random() < recipe.p_trend:
        trend = (linear_trend, damped_trend, piecewise_trend)[rng.integers(0, 3)]
        x = x + trend(rng, n) * rng.uniform(0.5, 3) * (np.std(x) + 1)
    if name != "seasonal" and rng.random() < recipe.p_seasonality:
        x = x + seasonality(rng, n) * rng.uniform(0.2, 1) * (np.std(x) + 1e-3)
    if rng.random() < recipe.p_level_shift:
        x = x + level_shifts(rng, n) * (np.std(x) + 1e-3)
    x = add_noise(rng, x)
    return x * rng.lognormal(0, 1) + rng.normal(0, 10)


def synthetic_corpus(n_series: int, seed: int = 0, recipe: CorpusRecipe | None = None):
    """``n_series`` series (a list of 1-d arrays), the same for the same seed and recipe."""
    recipe = recipe or CorpusRecipe()
    rng = np.random.default_rng(seed)
    return [synthetic_series(rng, recipe) for _ in range(n_series)]


# ---------------------------------------------------------------------- low-frequency series
#: Frequency groups of :func:`low_frequency_series`: (season length, shortest, longest).
GROUPS = {
    "yearly": (1, 10, 80), "quarterly": (4, 16, 160), "monthly": (12, 24, 400),
    "weekly": (52, 40, 600), "daily": (7, 60, 800), "hourly": (24, 100, 1000),
}  # fmt: skip


def ets_path(rng: np.random.Generator, n: int, season: int) -> np.ndarray:
    """A draw of an exponential-smoothing state-space model with random components and
    parameters: trend none/additive/damped, season none/additive/multiplicative, errors
    additive or multiplicative (Hyndman et al. 2008, the innovations form)."""
    alpha = rng.uniform(0.05, 0.95)
    beta = alpha * rng.uniform(0.0, 0.4) if rng.random() < 0.7 else 0.0
    phi = 1.0 if rng.random() < 0.5 else rng.uniform(0.8, 0.98)
    gamma = (1 - alpha) * rng.uniform(0, 0.3)
    seasonal = season > 1 and rng.random() < 0.7
    level = 100.0
    slope = rng.normal(0, 2) if beta or rng.random() < 0.5 else 0.0
    s = rng.normal(0, rng.uniform(5, 30), season) if seasonal else np.zeros(max(season, 1))
    s -= s.mean()
    sigma = rng.uniform(0.005, 0.08) * level
    multiplicative = rng.random() < 0.4
    season_scales = seasonal and rng.random() < 0.5  # s in percent of the level
    out = np.empty(n)
    for t in range(n):
        j = t % len(s)
        trend = level + phi * slope
        forecast = trend * (1 + s[j] / 100) if season_scales else trend + s[j]
        error = rng.normal(0, sigma) * (forecast / 100 if multiplicative else 1.0)
        out[t] = forecast + error
        level, slope = level + phi * slope + alpha * error, phi * slope + beta * error
        s[j] += gamma * error * (100 / max(abs(trend), 1.0) if season_scales else 1.0)
    return out


def trend_season_noise(rng: np.random.Generator, n: int, season: int) -> np.ndarray:
    """ForecastPFN-style: a linear or exponential trend, times (1 + seasonal harmonics), times
    Weibull noise; sometimes with a change of slope."""
    t = np.arange(n, dtype=float)
    growth = rng.normal(0, 0.03)
    trend = np.exp(growth * t) if rng.random() < 0.4 else 1 + rng.normal(0, 0.03) * t
    if rng.random() < 0.3:
        knot = rng.integers(n // 3, n)
        trend[knot:] += np.arange(n - knot) * rng.normal(0, 0.03)
    cycle = np.zeros(n)
    if season > 1 and rng.random() < 0.8:
        for k in range(1, rng.integers(1, 4) + 1):
            cycle += rng.normal(0, 0.15) / k * np.sin(2 * np.pi * k * t / season
                                                      + rng.uniform(0, 2 * np.pi))  # fmt: skip
    shape = rng.uniform(2, 10)
    noise = rng.weibull(shape, n) / np.exp(np.log(np.log(2)) / shape)  # median 1
    noise = 1 + (noise - 1) * rng.uniform(0.05, 1)
    return np.abs(trend) * (1 + cycle) * noise


def clean_shape(rng: np.random.Generator, n: int, season: int) -> np.ndarray:
    """A textbook series with little or no noise: a line, exponential growth or decay, a
    repeated seasonal pattern (alone or on a line), a constant, or a step to a new level.
    These are what a user tries first, and a forecast must follow them exactly."""
    t = np.arange(n, dtype=float)
    pattern = rng.normal(0, 1, season) if season > 1 else np.zeros(1)
    kind = rng.integers(0, 6)
    if kind == 0:
        x = rng.normal(0, 1) * t
    elif kind == 1:
        x = np.exp(rng.normal(0, 0.05) * t * min(1.0, 40 / n))
    elif kind == 2:
        x = pattern[np.arange(n) % len(pattern)] + rng.normal(0, 0.05) * t * (rng.random() < 0.5)
    elif kind == 3:
        x = np.zeros(n)
    elif kind == 4:
        x = np.where(t >= rng.integers(n // 4, max(n // 4 + 1, n - 2)), rng.normal(0, 3), 0.0)
    else:
        x = rng.normal(0, 1) * t + pattern[np.arange(n) % len(pattern)] * rng.uniform(0, 5)
    noise = rng.choice([0.0, 0.001, 0.01, 0.05]) * (np.std(x) + 1e-3)
    return x + rng.normal(0, 1, n) * noise


def drifting_season(rng: np.random.Generator, n: int, season: int) -> np.ndarray:
    """A strong seasonal pattern whose shape and size change over the years (a random cycle,
    blended year by year into another), on a slow trend, with multiplicative noise: monthly
    prescriptions or retail, where only the last few seasons tell the next one."""
    cycles = n // season + 2
    shapes = np.abs(np.cumsum(rng.normal(0, 0.3, (cycles, season)), axis=0)
                    + rng.gamma(2, 1, season))  # fmt: skip
    pattern = shapes.reshape(-1)[:n]
    level = np.exp(np.cumsum(rng.normal(rng.normal(0, 0.01), 0.02, n)))
    return pattern * level * np.exp(rng.normal(0, rng.uniform(0.02, 0.2), n))


def low_frequency_series(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """A short series of a random frequency group and its season length: an ETS path, a
    trend x season x noise draw, a random walk with drift, an AR process with trend, or a
    Gaussian-process sample (0.19 each), or a clean textbook shape (0.05), shifted and scaled
    at random."""
    group = list(GROUPS)[rng.choice(len(GROUPS), p=[0.25, 0.2, 0.25, 0.1, 0.1, 0.1])]
    season, shortest, longest = GROUPS[group]
    n = int(np.exp(rng.uniform(np.log(shortest), np.log(longest))))
    if rng.random() < 0.05:
        return clean_shape(rng, n, season) * rng.lognormal(0, 2) + rng.normal(0, 5), season
    if season > 1 and rng.random() < 0.1:
        return drifting_season(rng, n, season) * rng.lognormal(0, 2), season
    kind = rng.integers(0, 5)
    if kind == 0:
        x = ets_path(rng, n, season)
    elif kind == 1:
        x = trend_season_noise(rng, n, season)
    elif kind == 2:  # half without drift: exchange rates, prices
        x = np.cumsum(rng.normal(rng.normal(0, 0.3) * (rng.random() < 0.5), 1, n))
    elif kind == 3:
        x = ar_process(rng, n) + linear_trend(rng, n) * rng.uniform(0, 3) * np.sqrt(n)
    else:
        x = gaussian_process(rng, n)
        if season > 1 and season < n / 2 and rng.random() < 0.5:
            x = x + seasonality(rng, n, periods=[season]) * rng.uniform(0.1, 0.5)
    if rng.random() < 0.25:
        x = x + level_shifts(rng, n) * (np.std(x) + 1e-3)
    return x * rng.lognormal(0, 2) + rng.normal(0, 5) * (rng.random() < 0.3), season
