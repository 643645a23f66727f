"""The one training loop of every neural forecaster."""

from tsfm.training.config import LOSSES, SCHEDULES, TrainConfig
from tsfm.training.loop import train
from tsfm.training.windows import WindowSet

__all__ = ["LOSSES", "SCHEDULES", "TrainConfig", "WindowSet", "train"]
