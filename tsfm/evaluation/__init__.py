"""Metrics, rolling-origin evaluation, backtests, leaderboards and plots."""

from tsfm.evaluation import metrics
from tsfm.evaluation.backtest import BacktestResult, backtest
from tsfm.evaluation.compare import diebold_mariano, leaderboard, relative_score
from tsfm.evaluation.rolling import rolling_origin, test_origins

__all__ = [
    "BacktestResult",
    "backtest",
    "diebold_mariano",
    "leaderboard",
    "metrics",
    "relative_score",
    "rolling_origin",
    "test_origins",
]
