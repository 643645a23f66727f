"""Check our TimeXer *training* against the official code's, step for step.

``python benchmarks/scripts/training_parity.py --official GIT_DIR [--market PJM]`` where GIT_DIR is
the git directory of a copy of https://github.com/thuml/TimeXer (not shipped with tsfm). With
dropout off, the only randomness left in training is the initial weights and the order of the
training windows, and both are handed from the official run to ours:

1. ``benchmarks/official/timexer_epf.sh`` runs the official ``run.py`` for one epoch of a small
   model (d_model 32, one layer) on the market, with this file as its driver: it records the
   order in which the official loader draws the training windows and the official model's
   initial weights, then lets ``run.py`` train, validate and test;
2. in the same process, our ``tsfm benchmark`` run of ``timexer_epf`` starts from those weights
   (mapped by ``parity.official_weights_for_ours``) and draws the windows in
   that order, with the same hyperparameters;
3. the epoch's training loss, validation loss and test MSE of both are compared (and the largest
   weight difference after the epoch is printed). The losses differ by 1e-4 to 1e-3 for a reason
   outside the training: the official code averages its batches' losses unweighted, and its
   last batch is smaller (4 training windows; 3 validation windows, which its validation loader
   draws at random); ours average over windows. The test loader does not shuffle, and the
   test MSE is over every window in both.

Everything except the dropout masks is then the same computation: our data, windows, scaling,
calendar features, loss, optimiser, schedule and evaluation against the official ones. Exit
status 0 when the test MSEs agree to 1e-4 and the training losses to 1e-3 (relative; float
rounding differs: torch's fused Adam, one qkv matrix instead of three).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import torch
from parity import official_weights_for_ours  # beside this script

import tsfm.models.neural as neural
import tsfm.training.loop as loop
from tsfm.benchmarks.ltsf import run
from tsfm.models.timexer import TimeXerForecaster

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "official" / "timexer_epf.sh"
#: The small model: official run.py options appended to the market's official command.
SMALL = ["--d_model", "32", "--d_ff", "64", "--e_layers", "1", "--n_heads", "4",
         "--train_epochs", "1", "--dropout", "0"]  # fmt: skip


class _Tee(io.TextIOBase):
    """Write to the real stdout and keep a copy."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text):
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def run_official(run_args: list[str]) -> dict:
    """Run the official ``run.py`` here (the prepared copy), recording the window order and the
    initial weights; return those, its configuration, losses and test MSE."""
    sys.path.insert(0, os.getcwd())
    from data_provider import data_loader
    from models import TimeXer

    order, start = [], {}
    getitem = data_loader.Dataset_Custom.__getitem__
    init = TimeXer.Model.__init__

    def recording_getitem(self, index):
        if self.set_type == 0:  # the training part
            order.append(int(index))
        return getitem(self, index)

    def recording_init(self, configs):
        init(self, configs)
        start["weights"], start["configs"] = copy.deepcopy(self.state_dict()), configs

    data_loader.Dataset_Custom.__getitem__ = recording_getitem
    TimeXer.Model.__init__ = recording_init
    tee = _Tee(sys.stdout)
    sys.argv = ["run.py", *run_args]
    with contextlib.redirect_stdout(tee):
        runpy.run_path("run.py", run_name="__main__")
    log = tee.copy.getvalue()
    losses = re.findall(r"Train Loss: ([\d.]+) Vali Loss: ([\d.]+)", log)
    if len(losses) != 1:
        raise RuntimeError(f"expected one epoch in the official log, found {len(losses)}")
    return {
        "order": order, "weights": start["weights"], "configs": start["configs"],
        "train_loss": float(losses[0][0]), "val_loss": float(losses[0][1]),
        "test_mse": float(re.findall(r"mse:([\d.]+)", log)[-1]),
    }  # fmt: skip


def run_ours(official: dict) -> dict:
    """Our ``timexer_epf`` benchmark run from the official initial weights and window order."""
    configs = official["configs"]
    params = {
        "patch_len": configs.patch_len, "d_model": configs.d_model, "n_heads": configs.n_heads,
        "d_ff": configs.d_ff, "n_layers": configs.e_layers, "dropout": configs.dropout,
        "attention_dropout": configs.dropout, "batch_size": configs.batch_size,
        "learning_rate": configs.learning_rate, "max_epochs": configs.train_epochs,
        "n_threads": 1, "verbose": 0,
    }  # fmt: skip
    reference = official_model(configs)
    reference.load_state_dict(official["weights"])
    order = torch.tensor(official["order"])
    trained = {}
    build, train, evaluate = (
        TimeXerForecaster._build_module,
        neural.train,
        TimeXerForecaster.evaluate,
    )

    def build_from_official(self, n_channels):
        module = build(self, n_channels)
        trained["cfg"] = self._config()  # our architecture, from the run's parameters
        module.load_state_dict(official_weights_for_ours(reference, trained["cfg"]))
        return module

    def recording_train(module, *args, **kwargs):
        trained["history"] = train(module, *args, **kwargs)
        trained["module"] = module
        return trained["history"]

    def recording_evaluate(self, *args, **kwargs):
        result = evaluate(self, *args, **kwargs)
        trained["test_mse"] = float(result[0].iloc[-1]["mse"])  # unrounded
        return result

    TimeXerForecaster._build_module = build_from_official
    TimeXerForecaster.evaluate = recording_evaluate
    neural.train = recording_train
    loop._epoch_order = lambda n_windows, wanted, generator: _checked(order, n_windows)
    market = Path(configs.data_path).stem.lower()
    run("timexer_epf", f"epf_{market}", configs.pred_len, overrides=params)
    history = trained["history"][0]
    return {"train_loss": history["train_loss"], "val_loss": history["val_loss"], **trained}


def official_model(configs):
    """The official TimeXer ``Model`` for a run.py configuration (inside the official copy)."""
    from models.TimeXer import Model

    return Model(configs)


def _checked(order: torch.Tensor, n_windows: int) -> torch.Tensor:
    if len(order) != n_windows or len(set(order.tolist())) != n_windows:
        raise RuntimeError(
            f"the official loader drew {len(order)} windows, we have {n_windows} training windows"
        )
    return order


def drive(run_args: list[str]) -> int:
    """Inside the official copy: both runs and the comparison."""
    official = run_official(run_args)
    ours = run_ours(official)
    checkpoint = next(Path(_option(run_args, "--checkpoints")).glob("*/checkpoint.pth"))
    trained = official_model(official["configs"])
    trained.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    expected = official_weights_for_ours(trained, ours["cfg"])
    got = ours["module"].state_dict()
    gaps = {k: float((got[k] - w).abs().max() / w.abs().max().clamp(min=1e-12))
            for k, w in expected.items()}  # fmt: skip
    report = {k: {"official": official[k], "ours": ours[k],
                  "relative": abs(ours[k] / official[k] - 1)}
              for k in ("train_loss", "val_loss", "test_mse")}  # fmt: skip
    largest = max(gaps, key=gaps.get)
    report["largest_relative_weight_difference"] = {"weight": largest, "relative": gaps[largest]}
    print(json.dumps(report, indent=1))
    ok = report["test_mse"]["relative"] < 1e-4 and report["train_loss"]["relative"] < 1e-3
    print("training parity:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def _option(args: list[str], name: str) -> str:
    return [args[i + 1] for i, a in enumerate(args) if a == name][-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", required=True, help="git directory of thuml/TimeXer")
    parser.add_argument("--market", default="PJM", choices=["NP", "PJM", "BE", "FR", "DE"])
    parser.add_argument("--seed", default="5", help="the official run's seed")
    args = parser.parse_args(argv)
    env = {**os.environ, "OFFICIAL_TIMEXER": args.official, "PYTHON": sys.executable,
           "TIMEXER_DRIVER": str(Path(__file__).resolve())}  # fmt: skip
    command = ["bash", str(SCRIPT), args.market, args.seed, *SMALL]
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    run_args = sys.argv[1:]
    raise SystemExit(drive(run_args) if "--is_training" in run_args else main(run_args))
