"""Neural forecasters: one file per architecture (its nn.Module and its forecaster)."""

from tsfm.models.neural import NeuralForecaster
from tsfm.models.patchtst import PatchTSTForecaster
from tsfm.models.xpatch import XPatchForecaster

__all__ = ["NeuralForecaster", "PatchTSTForecaster", "XPatchForecaster"]
