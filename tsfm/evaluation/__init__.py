"""Metrics and rolling-origin evaluation."""

from tsfm.evaluation import metrics
from tsfm.evaluation.rolling import rolling_origin, test_origins

__all__ = ["metrics", "rolling_origin", "test_origins"]
