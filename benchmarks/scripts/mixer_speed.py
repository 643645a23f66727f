"""TSMixer against PatchTST, same data, lookback and batch (a study: checks a paper's claim once).

``python benchmarks/scripts/mixer_speed.py [--output benchmarks]`` (from the repository root;
until issue 31 it was ``tsfm benchmark --mixer-speed``).

TSMixer's claim: PatchTST's accuracy at 2-3x less memory and runtime. Both models in their ETTh1
paper shapes (PatchTST/64: lookback 512, patch 16 / stride 8, 3 layers, d_model 16; TSMixer: the
``tsmixer`` configuration), horizon 96, batch 64, 2 threads, one epoch over the ETTh1 training
windows. Each model trains in its own fresh process, so that each peak resident memory is its own;
the growth of the resident memory during training (peak minus the size after loading the data)
isolates what the model and its optimiser need. Writes ``benchmarks/MIXER_SPEED.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
from pathlib import Path

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine

LOOKBACK, HORIZON, BATCH, THREADS = 512, 96, 64, 2


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _train_one(config_name: str, queue) -> None:
    import tsfm
    from tsfm.datasets import load_dataset

    config = CONFIGS[config_name]
    _, params = config.settings("etth1")
    data = load_dataset("etth1")
    frame, borders = data.ltsf(LOOKBACK)
    train = frame.iloc[: borders.train[1]]
    params = {**params, "context_length": LOOKBACK, "prediction_length": HORIZON,
              "batch_size": BATCH, "max_epochs": 1, "n_threads": THREADS, "verbose": 0,
              "validation_size": 0.0}  # fmt: skip
    before = _rss_mib()
    model = getattr(tsfm, config.model)(**params).fit(train)
    history = model.history_[-1]
    queue.put(
        {
            "model": config_name,
            "windows_per_s": BATCH / history["step_seconds_median"],
            "epoch_seconds": history["train_seconds"],
            "peak_rss_mib": _rss_mib(),
            "rss_growth_mib": _rss_mib() - before,
            "n_params": model.n_params_,
        }
    )


def measure(names=("patchtst42", "tsmixer")) -> list[dict]:
    """Train each configuration for one epoch in a fresh process; their figures."""
    context = mp.get_context("spawn")
    results = []
    for name in names:
        queue = context.Queue()
        process = context.Process(target=_train_one, args=(name, queue))
        process.start()
        results.append(queue.get())
        process.join()
    return results


def _shape(name: str) -> str:
    params = CONFIGS[name].params
    keys = ("n_layers", "d_model", "expansion", "patch_len", "stride")
    return ", ".join(f"{k} {params[k]}" for k in keys if k in params)


def main(args) -> int:
    patchtst, mixer = measure()
    command = invoked_command()
    lines = [
        "# TSMixer against PatchTST: training speed and memory",
        "",
        f"Command: `{command}` (benchmarks/scripts/mixer_speed.py), commit {git_commit()}.",
        f"Machine: {machine()}. ETTh1, lookback {LOOKBACK}, horizon {HORIZON}, batch {BATCH},",
        f"{THREADS} threads, one epoch; each model in its own process. PatchTST in its ETTh1",
        f"paper shape ({_shape('patchtst42')}; PatchTST/64 at L=512), TSMixer in the `tsmixer`",
        f"configuration ({_shape('tsmixer')}).",
        "",
        "| model | parameters | train windows/s | epoch (s) | peak RSS MiB | "
        "RSS growth in training MiB |",
        "|---|---|---|---|---|---|",
    ]
    for r, label in ((patchtst, "PatchTST"), (mixer, "TSMixer")):
        lines.append(
            f"| {label} | {r['n_params']} | {r['windows_per_s']:.0f} | {r['epoch_seconds']:.1f} "
            f"| {r['peak_rss_mib']:.0f} | {r['rss_growth_mib']:.0f} |"
        )
    speed = mixer["windows_per_s"] / patchtst["windows_per_s"]
    memory = patchtst["rss_growth_mib"] / max(mixer["rss_growth_mib"], 1e-9)
    peak = patchtst["peak_rss_mib"] / mixer["peak_rss_mib"]
    lines += [
        "",
        f"TSMixer trains **{speed:.1f}x** as many windows per second as PatchTST and needs "
        f"**{memory:.1f}x** less memory growth in training ({peak:.2f}x on the whole process's "
        "peak, which includes Python, torch and the data).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (Path(args.output) / "MIXER_SPEED.md").write_text(text)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="benchmarks", help="folder of MIXER_SPEED.md")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse()))
