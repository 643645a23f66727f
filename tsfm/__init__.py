"""tsfm: time-series forecasting with patch models and foundation models, scikit-learn style."""

from tsfm.base import BaseForecaster
from tsfm.baselines import ARIMA, ETS, Drift, Naive, SeasonalNaive, Theta, WindowAverage
from tsfm.data import to_frame, to_panel
from tsfm.datasets import load_dataset

__version__ = "0.1.0"

__all__ = [
    "ARIMA",
    "ETS",
    "BaseForecaster",
    "Drift",
    "Naive",
    "SeasonalNaive",
    "Theta",
    "WindowAverage",
    "load_dataset",
    "to_frame",
    "to_panel",
]
