"""``tsfm pretrain``: train a model on the pretraining corpus from a JSON config.

The corpus: synthetic series (:mod:`tsfm.data.synthetic`, seeded) plus the *training parts* of
real datasets (LTSF/EPF: rows before the validation border; M4: the training file), never their
validation or test parts. Series shorter than ``context_length + prediction_length`` cannot give
a training window and are counted out (reported in the log). Training writes a checkpoint every
epoch (a rerun of the same command resumes), prints progress, and logs each epoch's losses to
``history.jsonl``; at the end the weights, config, recipe and command go to ``--output``.

Config (JSON)::

    {"name": "tsfm-small",
     "model": {"class": "SundialForecaster", "params": {...}},
     "corpus": {"synthetic": 20000, "seed": 0, "recipe": {...}, "real": ["etth1", "m4_hourly"],
                "real_repeats": {"m4_hourly": 4}}}

``real_repeats`` weights a dataset by listing each of its series that many times (training
windows are drawn uniformly over the corpus, so a small dataset is otherwise a tiny share).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import tsfm
from tsfm.data.synthetic import CorpusRecipe, synthetic_corpus
from tsfm.datasets import load_dataset
from tsfm.models.weights import export_weights, sha256_of

START = pd.Timestamp("2000-01-01")


def real_training_parts(names: list[str]) -> list[tuple[str, np.ndarray]]:
    """``(id, values)`` of every channel's training part of each named dataset."""
    parts = []
    for name in names:
        data = load_dataset(name)
        if data.info.split == "m4":
            for sid, group in data.data.groupby("unique_id", sort=False):
                parts.append((f"{name}/{sid}", group["y"].to_numpy()))
            continue
        end = data.borders(0).train[1]
        for column in data.data.columns:
            parts.append((f"{name}/{column}", data.data[column].to_numpy()[:end]))
    return parts


def build_corpus(spec: dict, min_length: int) -> tuple[pd.DataFrame, dict]:
    """The corpus as a long frame (hourly stamps; the model never sees them) and a summary."""
    recipe = CorpusRecipe(**spec.get("recipe", {}))
    synthetic = synthetic_corpus(spec.get("synthetic", 0), spec.get("seed", 0), recipe)
    series = [(f"synthetic/{i}", x) for i, x in enumerate(synthetic)]
    repeats = spec.get("real_repeats", {})
    unknown = sorted(set(repeats) - set(spec.get("real", [])))
    if unknown:
        raise ValueError(f"real_repeats names {unknown}, which are not in the corpus's 'real' list")
    for sid, x in real_training_parts(spec.get("real", [])):
        copies = int(repeats.get(sid.split("/")[0], 1))
        series += [(sid if k == 0 else f"{sid}#{k}", x) for k in range(copies)]
    kept = [(sid, x) for sid, x in series if len(x) >= min_length and np.isfinite(x).all()]
    if not kept:
        raise ValueError(
            f"no corpus series has the {min_length} values a training window needs "
            "(context_length + prediction_length); raise the recipe's lengths or add datasets"
        )
    frame = pd.concat(
        [
            pd.DataFrame(
                {"unique_id": sid, "ds": pd.date_range(START, periods=len(x), freq="h"), "y": x}
            )
            for sid, x in kept
        ],
        ignore_index=True,
    )
    summary = {
        "recipe": recipe.to_dict(),
        "synthetic": spec.get("synthetic", 0),
        "seed": spec.get("seed", 0),
        "real": spec.get("real", []),
        "real_repeats": repeats,
        "series_used": len(kept),
        "series_too_short": len(series) - len(kept),
        "values": int(sum(len(x) for _, x in kept)),
    }
    return frame, summary


def main(args) -> int:
    config = json.loads(Path(args.config).read_text())
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    klass = getattr(tsfm, config["model"]["class"])
    params = dict(config["model"]["params"])
    started = time.perf_counter()
    model = klass(**params, checkpoint_dir=str(out / "checkpoints"), verbose=1)
    if config["corpus"].get("kind") == "windows":  # variable-length windows with seasons
        from tsfm.pretrained.corpus import build_windows

        windows, validation, summary = build_windows(
            config["corpus"], params["context_length"], params["prediction_length"]
        )
        print(f"corpus: {summary['series_used']} series, {len(windows)} windows", flush=True)
        model.fit_windows(windows, validation)
    else:
        min_length = params["context_length"] + params["prediction_length"]
        corpus, summary = build_corpus(config["corpus"], min_length)
        print(
            f"corpus: {summary['series_used']} series, {summary['values']} values "
            f"({summary['series_too_short']} shorter than {min_length} left out)",
            flush=True,
        )
        model.fit(corpus)
    with open(out / "history.jsonl", "w") as log:
        for record in model.history_:
            log.write(json.dumps(record) + "\n")
    command = "tsfm " + " ".join(sys.argv[1:])
    meta = {
        "name": config.get("name", out.name),
        "class": klass.__name__,
        "params": {
            k: v
            for k, v in model.get_params().items()
            if k not in ("checkpoint_dir", "verbose", "init_weights")
        },  # fmt: skip
        "corpus": summary,
        "command": command,
        "config": config,
        "train_seconds": round(time.perf_counter() - started, 1),
        "final_train_loss": model.history_[-1]["train_loss"] if model.history_ else None,
    }
    export_weights(model.module_, out / "model", meta)
    print(f"weights and config written to {out / 'model'}", flush=True)
    if args.register:
        register(out / "model", config.get("name", out.name))
    return 0


def register(folder: Path, name: str) -> None:
    """Copy an exported model into the package and record it in ``registry.json``."""
    from tsfm.pretrained import HERE, REGISTRY_FILE, registry

    target = HERE / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target)
    meta = json.loads((target / "config.json").read_text())
    entries = registry()
    entries[name] = {
        "folder": name,
        "sha256": sha256_of(target / "weights.safetensors"),
        "class": meta["class"],
        "command": meta["command"],
        "recipe": meta["corpus"]["recipe"],
        "corpus": {k: v for k, v in meta["corpus"].items() if k != "recipe"},
    }
    REGISTRY_FILE.write_text(json.dumps(entries, indent=2) + "\n")
    print(f"registered {name!r} in {REGISTRY_FILE}", flush=True)
