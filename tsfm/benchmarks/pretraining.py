"""The pretraining stage of a ``tsfm benchmark`` configuration that pretrains then fine-tunes.

A :class:`~tsfm.benchmarks.configs.PaperConfig` with ``pretrain`` settings has its model
pretrained before ``fit``: the settings (epochs, learning rate, its decay, dropout, ...) replace
the fine-tuning ones for the pretraining only; ``method`` picks the objective (``"masked"``,
``"timedart"``, or ``"none"`` to fine-tune from scratch: the comparisons on one backbone).
In-domain, the model pretrains on the training part of the dataset it is then fine-tuned on
(validated on its validation part); cross-domain
(``pretrain_datasets``), on the training parts of those datasets, every channel of every dataset
one undated univariate series (channel independence; their frequencies differ). Each dataset is
z-normalised with its own training statistics, as the LTSF protocol does. The pretrained
backbone is kept in this process for the other horizons of the same run (pretraining does not
depend on the horizon: the settings fix ``prediction_length``, hence the windows).
"""

from __future__ import annotations

import json
import time

import numpy as np

from tsfm.datasets import load_dataset

_BACKBONES: dict[str, tuple[dict, list]] = {}


def pretrain(
    model, config, dataset: str, lookback: int, checkpoint_dir: str | None = None
) -> float:
    """Pretrain ``model`` as ``config.pretrain`` says, restoring its fine-tuning settings after.

    With ``checkpoint_dir`` the pretraining checkpoints go to its subfolder ``pretrain``,
    whichever horizon is fine-tuned after (a later run at another horizon resumes them).

    Returns
    -------
    float
        Seconds spent pretraining (0 when this process already pretrained the same setting).
    """
    names = config.pretrain_datasets or (dataset,)
    settings = {k: v for k, v in config.pretrain.items() if k != "method"}
    if checkpoint_dir:
        settings["checkpoint_dir"] = checkpoint_dir
    method = config.pretrain.get("method")  # None: the model's own (TimeDART's: "timedart")
    if method == "none":  # the same network and fine-tuning, from scratch
        return 0.0
    fine_tuning = {k: v for k, v in model.get_params().items() if k in settings}
    model.set_params(**settings)
    key = json.dumps([names, lookback, method, model.get_params()], sort_keys=True, default=str)
    start = time.perf_counter()
    if key in _BACKBONES:
        model.pretrained_backbone_, model.pretrain_history_ = _BACKBONES[key]
    else:
        parts = [_splits(name, lookback) for name in names]
        if len(parts) == 1:
            model.pretrain(parts[0][0], validation_data=parts[0][1], method=method)
        else:
            train = [column for part in parts for column in part[0].T.to_numpy()]
            val = [column for part in parts for column in part[1].T.to_numpy()]
            model.pretrain(train, validation_data=val, method=method)
        _BACKBONES[key] = (model.pretrained_backbone_, model.pretrain_history_)
    model.set_params(**fine_tuning)
    return time.perf_counter() - start


def _splits(name: str, lookback: int):
    """The normalised training and validation parts of an LTSF dataset, as wide frames."""
    frame, borders = load_dataset(name).ltsf(lookback)
    train = frame.iloc[borders.train[0] : borders.train[1]]
    val = frame.iloc[borders.val[0] : borders.val[1]]
    return train.astype(np.float64), val.astype(np.float64)
