"""tsfm: time-series forecasting with patch models and foundation models, scikit-learn style."""

from tsfm.base import BaseForecaster
from tsfm.baselines import ARIMA, ETS, Drift, Naive, SeasonalNaive, Theta, WindowAverage
from tsfm.data import to_frame, to_panel
from tsfm.datasets import load_dataset
from tsfm.evaluation import backtest, leaderboard

__version__ = "0.1.0"

# The neural forecasters import torch: loaded on first use, so that the baselines stay light.
_LAZY = {
    "NeuralForecaster": "tsfm.models.neural",
    "PatchTSTForecaster": "tsfm.models.patchtst",
    "XPatchForecaster": "tsfm.models.xpatch",
    "TSMixerForecaster": "tsfm.models.tsmixer",
    "TimeXerForecaster": "tsfm.models.timexer",
    "SundialForecaster": "tsfm.models.sundial",
    "MTSTForecaster": "tsfm.models.mtst",
    "EntroPEForecaster": "tsfm.models.entrope",
    "TimeDARTForecaster": "tsfm.models.timedart",
    "ComboForecaster": "tsfm.models.combo",
    "GluonTSPredictor": "tsfm.evaluation.gluonts",
    "forecast": "tsfm.pretrained",
    "from_pretrained": "tsfm.pretrained",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsfm' has no attribute {name!r}")


def __dir__():
    """The module's names and the lazily loaded ones, for ``dir(tsfm)`` and tab completion."""
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ARIMA",
    "ETS",
    "BaseForecaster",
    "ComboForecaster",
    "Drift",
    "EntroPEForecaster",
    "GluonTSPredictor",
    "MTSTForecaster",
    "Naive",
    "NeuralForecaster",
    "PatchTSTForecaster",
    "SeasonalNaive",
    "SundialForecaster",
    "TSMixerForecaster",
    "Theta",
    "TimeDARTForecaster",
    "TimeXerForecaster",
    "WindowAverage",
    "backtest",
    "forecast",
    "from_pretrained",
    "leaderboard",
    "XPatchForecaster",
    "load_dataset",
    "to_frame",
    "to_panel",
]
