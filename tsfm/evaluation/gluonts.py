"""Any tsfm forecaster as a gluonts ``Predictor``, so gluonts' own evaluation runs on it.

>>> predictor = GluonTSPredictor(tsfm.SeasonalNaive(season_length=24), prediction_length=48)
>>> forecasts = predictor.predict(test_data.input)  # gluonts QuantileForecast objects

Forecasts carry the keys ``"mean"`` and the quantile levels (``"0.5"`` always: gluonts scores
MAE, MASE and sMAPE on the median); a point forecaster gives its point forecast for both. A
sample-based forecaster (one returning "samples") gives gluonts ``SampleForecast``s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from gluonts.model.forecast import QuantileForecast, SampleForecast
from gluonts.model.predictor import Predictor

from tsfm.data.gluonts import entry_id
from tsfm.data.panel import left_pad_stack
from tsfm.evaluation.rolling import quantile_levels


class GluonTSPredictor(Predictor):
    """A tsfm forecaster behind gluonts' ``Predictor`` interface.

    Parameters
    ----------
    forecaster : tsfm forecaster
        Fitted, unless it is ``local`` (statistical baselines forecast from each input alone).
    prediction_length : int
    quantiles : sequence of float, optional
        Levels to return for a probabilistic forecaster; 0.5 is always added. Default
        (0.1, 0.2, ..., 0.9) when the forecaster is probabilistic.
    batch_size : int
        Entries forecast per call of the forecaster.
    """

    def __init__(
        self,
        forecaster,
        prediction_length: int,
        quantiles: Sequence[float] | None = None,
        batch_size: int = 256,
    ):
        super().__init__(prediction_length=prediction_length)
        self.forecaster = forecaster
        if forecaster.probabilistic:
            levels = quantile_levels(quantiles) or [round(0.1 * k, 1) for k in range(1, 10)]
            self.quantiles = sorted(set(levels) | {0.5})  # named as predict names them
        elif quantiles:
            raise ValueError(f"{type(forecaster).__name__} gives point forecasts only")
        else:
            self.quantiles = None
        self.batch_size = batch_size

    def predict(self, dataset, **kwargs) -> Iterator:
        """One ``QuantileForecast`` per entry, starting right after its target."""
        entries = list(dataset)
        for first in range(0, len(entries), self.batch_size):
            yield from self._predict_chunk(entries[first : first + self.batch_size], first)

    def _predict_chunk(self, entries: list[dict], offset: int) -> Iterator:
        targets = []
        for k, entry in enumerate(entries):
            y = np.asarray(entry["target"], dtype=np.float64)
            if y.ndim != 1 or len(y) == 0 or not np.isfinite(y).all():
                raise ValueError(
                    f"gluonts series {entry_id(entry, offset + k)!r}: the target must be a "
                    "non-empty 1-d array of finite values"
                )
            targets.append(y[:, None])
        rows = getattr(self.forecaster, "context_length", None) or max(map(len, targets))
        context, mask = left_pad_stack(targets, rows)
        out = self.forecaster.forecast_contexts(
            context, mask, self.prediction_length, self.quantiles
        )
        keys = ["mean"] + [str(q) for q in self.quantiles or [0.5]]
        if "samples" in out:  # sample-based models: gluonts SampleForecasts
            for k, entry in enumerate(entries):
                yield SampleForecast(
                    out["samples"][k, :, :, 0],
                    start_date=pd.Period(entry["start"]) + len(entry["target"]),
                    item_id=entry.get("item_id"),
                )
            return
        for k, entry in enumerate(entries):
            arrays = [out["mean"][k, :, 0]]
            if self.quantiles:
                arrays += [out[f"q{q}"][k, :, 0] for q in self.quantiles]
            else:
                arrays.append(out["mean"][k, :, 0])
            yield QuantileForecast(
                np.stack(arrays),
                start_date=pd.Period(entry["start"]) + len(entry["target"]),
                forecast_keys=keys,
                item_id=entry.get("item_id"),
            )
