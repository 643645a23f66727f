"""A network's weights as a folder: ``weights.safetensors`` plus ``config.json`` with its sha256.

Used to ship pretrained models and to start a forecaster from them (``init_weights=``). Reading
checks the sha256 recorded in ``config.json`` and refuses a file that does not match.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tsfm.data.checksums import read_json, sha256_of

WEIGHTS, CONFIG = "weights.safetensors", "config.json"


def export_weights(module: torch.nn.Module, folder: str | Path, meta: dict) -> Path:
    """Write ``module``'s weights and ``meta`` (plus their sha256) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, folder / WEIGHTS)
    config = {**meta, "weights_sha256": sha256_of(folder / WEIGHTS)}
    (folder / CONFIG).write_text(json.dumps(config, indent=2, default=str))
    return folder


def read_config(folder: str | Path) -> dict:
    path = Path(folder) / CONFIG
    if not path.exists():
        raise FileNotFoundError(f"{folder}: no {CONFIG}; not a tsfm weights folder")
    return read_json(path)


def read_weights(folder: str | Path, expected_sha256: str | None = None) -> dict:
    """The state dict in ``folder``, after checking its sha256 against ``config.json`` (and
    ``expected_sha256`` when given, e.g. from a registry)."""
    folder = Path(folder)
    config = read_config(folder)
    actual = sha256_of(folder / WEIGHTS)
    for source, wanted in (("config.json", config.get("weights_sha256")),
                           ("the registry", expected_sha256)):  # fmt: skip
        if wanted is not None and actual != wanted:
            raise ValueError(
                f"{folder / WEIGHTS}: sha256 {actual[:12]}... does not match {source} "
                f"({wanted[:12]}...); the file was changed or damaged, refusing to load it"
            )
    return load_file(folder / WEIGHTS)


def load_into(module: torch.nn.Module, state: dict, source: str) -> None:
    """``module.load_state_dict(state)`` with an error that says what does not fit."""
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).splitlines()[1:3]
        raise ValueError(
            f"the weights in {source} do not fit this model's architecture ({'; '.join(first)}); "
            "use the hyperparameters they were trained with (from_pretrained sets them)"
        ) from None
