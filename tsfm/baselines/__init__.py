"""Statistical baselines with the same API as every tsfm forecaster (no torch needed)."""

from tsfm.baselines.simple import Drift, Naive, SeasonalNaive, WindowAverage
from tsfm.baselines.statistical import ARIMA, ETS, Theta

__all__ = ["ARIMA", "ETS", "Drift", "Naive", "SeasonalNaive", "Theta", "WindowAverage"]
