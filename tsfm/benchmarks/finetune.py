"""``tsfm benchmark --finetune``: does starting from pretrained weights help on a small dataset?

On one LTSF dataset's standard split (fit on the training part, early stopping on the
validation part, every test window scored at the dataset's first horizon), the pretrained
model's architecture is:

* used zero-shot (pretrained weights, no training);
* fine-tuned (pretrained weights, then trained);
* trained from scratch (random weights, the same training settings).

Fine-tuned and scratch runs each try the learning rates :data:`LEARNING_RATES` and keep the one
with the lowest validation loss, so neither side is handicapped by a rate chosen for the other.
Everything else (windows, epochs, patience, batch, seed) is shared. Writes
``benchmarks/FINETUNE.md`` (``FINETUNE_<name>.md`` for a model other than the default).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import QUANTILES, git_commit, invoked_command, machine
from tsfm.pretrained import from_pretrained

LEARNING_RATES = (1e-4, 5e-4)
TRAINING = {"batch_size": 32, "lr_schedule": "constant", "early_stopping_patience": 5}


def run(dataset: str, pretrained: str, max_epochs: int, horizon: int | None = None) -> pd.DataFrame:
    """One row per run: ``setting``, ``learning_rate``, ``best_val``, test ``mse``, ``mae``,
    ``crps``, ``wql``, ``interval_80``, ``epochs`` and ``train_seconds``."""
    base = from_pretrained(pretrained)
    data = tsfm.load_dataset(dataset)
    horizon = horizon or data.info.horizons[0]
    frame, borders = data.ltsf(base.context_length)
    train = frame.iloc[borders.train[0] : borders.train[1]]
    val = frame.iloc[borders.val[0] : borders.val[1]]
    runs = [("zero-shot", None, base)]
    for lr in LEARNING_RATES:
        settings = {**TRAINING, "learning_rate": lr, "max_epochs": max_epochs}
        runs.append(("fine-tuned", lr, from_pretrained(pretrained, **settings)))
        runs.append(("scratch", lr, from_pretrained(pretrained, init_weights=None, **settings)))
    rows = []
    for setting, lr, model in runs:
        start = time.perf_counter()
        model.fit(train, validation_data=val)
        seconds = time.perf_counter() - start
        overall = model.evaluate(
            frame, test_start=borders.test_origin, horizon=horizon, quantiles=QUANTILES
        ).iloc[-1]
        history = model.history_
        rows.append({
            "setting": setting, "learning_rate": lr,
            "best_val": min((h["val_loss"] for h in history), default=float("nan")),
            "mse": overall["mse"], "mae": overall["mae"], "crps": overall["crps"],
            "wql": overall["wql"], "interval_80": overall["interval_80"],
            "epochs": len(history), "train_seconds": round(seconds, 1),
        })  # fmt: skip
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def best_per_setting(table: pd.DataFrame) -> pd.DataFrame:
    """Per setting, the run with the lowest validation loss (zero-shot has one run)."""
    picked = table.sort_values("best_val", na_position="first").groupby("setting").head(1)
    return picked.set_index("setting").loc[["zero-shot", "fine-tuned", "scratch"]]


def main(args) -> int:
    dataset = args.dataset or "ili"
    horizon = args.horizon[0] if args.horizon else None
    max_epochs = args.max_epochs or 30
    table = run(dataset, args.pretrained, max_epochs, horizon)
    best = best_per_setting(table)
    lines = [
        f"# Fine-tuning `{args.pretrained}` against training from scratch: {dataset}",
        "",
        f"Command: `{invoked_command()}` (tsfm/benchmarks/finetune.py), commit {git_commit()}.",
        f"Machine: {machine()}.",
        "Standard LTSF split; fit on the training part, early stopping on the validation part,",
        "every test window scored (MSE/MAE of the median on the z-normalised scale, CRPS from",
        "the samples, wQL over 0.1/0.5/0.9, 80% interval coverage). Shared training settings:",
        f"{TRAINING}, at most {max_epochs} epochs; each trained setting keeps, of the learning",
        f"rates {list(LEARNING_RATES)}, the one with the lowest validation loss.",
        "",
        "## Selected by validation loss",
        "",
        best.round(4).to_markdown(),
        "",
        "## Every run",
        "",
        table.round(4).to_markdown(index=False),
        "",
    ]
    from tsfm.benchmarks.zero_shot import report_name

    (Path(args.output) / report_name(args.pretrained, "FINETUNE")).write_text("\n".join(lines))
    print(best.round(4).to_string())
    return 0
