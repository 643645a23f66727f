"""``tsfm benchmark --speed``: PatchTST/42 on ETTh1, tsfm and its peers measured in one run.

The configuration of ``../shared/bench`` (lookback 336, horizon 96, batch 128, the paper's
PatchTST/42 model, 7 channels, torch threads = 2): training windows per second as
``batch_size / median step time`` over one epoch (a step is the batch gather, forward, backward
and Adam step; a window is one 336x7 -> 96x7 sample), the wall time to predict the 2785 test
windows, and the peak resident memory of the process.

Every implementation runs in its own fresh process, one after the other, in :data:`ROUNDS`
rounds (tsfm, transformers, neuralforecast; then again), so that the machine's state is shared
alike; the table gives each round and the medians, and the ratios are tsfm's median over each
peer's median from the same invocation, never against a stored figure. The peers are the
project's benchmark scripts in ``../shared/bench/peers`` (``hf_patchtst.py``,
``nf_patchtst.py``; ``$TSFM_PEERS_DIR`` overrides the folder) run with this Python: a peer whose
library is not installed (``pip install -e ".[peers]"``) or whose script is missing is reported
as skipped, with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.datasets import REGISTRY, load_dataset, locate

#: Rounds of the alternation.
ROUNDS = 2
#: Peer name to its script in the peers folder and the library it needs.
PEERS = {"transformers": "hf_patchtst.py", "neuralforecast": "nf_patchtst.py"}
#: The figures compared, as (key, label, higher is better).
FIGURES = (
    ("train_windows_per_s", "train windows/s", True),
    ("test_predict_seconds", "predict test set (s)", False),
    ("peak_rss_mib", "peak RSS (MiB)", False),
)


def measure(epochs: int = 1, threads: int = 2) -> dict:
    """Train PatchTST/42 on ETTh1 (horizon 96) for ``epochs`` and time it (in this process)."""
    from tsfm.models.patchtst import PatchTSTForecaster

    data = load_dataset("etth1")
    lookback, params = CONFIGS["patchtst42"].settings("etth1")
    frame, borders = data.ltsf(lookback)
    model = PatchTSTForecaster(
        **{**params, "context_length": lookback, "prediction_length": 96, "max_epochs": epochs,
           "n_threads": threads, "verbose": 0, "validation_size": 0.0},
    )  # fmt: skip
    model.fit(frame.iloc[: borders.train[1]])
    start = time.perf_counter()
    metrics = model.evaluate(frame, test_start=borders.test_origin)
    predict_seconds = time.perf_counter() - start
    step = min(h["step_seconds_median"] for h in model.history_)
    return {
        "train_windows_per_s": params["batch_size"] / step,
        "epoch_train_seconds": model.history_[-1]["train_seconds"],
        "test_predict_seconds": predict_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "test_mse_after_epochs": float(metrics.iloc[-1]["mse"]),
        "epochs": epochs,
    }


def peers_dir() -> Path:
    """The folder of the peers' scripts: ``$TSFM_PEERS_DIR`` or ``../shared/bench/peers``."""
    if os.environ.get("TSFM_PEERS_DIR"):
        return Path(os.environ["TSFM_PEERS_DIR"])
    return Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "peers"


def run_tsfm(epochs: int) -> dict:
    """:func:`measure` in a fresh process (its own peak memory)."""
    code = (
        "import json; from tsfm.benchmarks.speed import measure; "
        f"print(json.dumps(measure({epochs})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tsfm's speed run failed: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_peer(name: str, epochs: int, folder: Path) -> dict | str:
    """One run of peer ``name``'s script: its figures, or why it was skipped."""
    script = folder / PEERS[name]
    if not script.is_file():
        return f"no {script}"
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PEERS_RESULTS": out,
               "ETTH1_CSV": str(locate(REGISTRY["etth1"].files[0]))}  # fmt: skip
        command = [sys.executable, str(script), "--epochs", str(epochs), "--threads", "2",
                   "--tag", "run"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)
        result = Path(out) / "run.json"
        if done.returncode != 0 or not result.is_file():
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            return f"{script.name} failed: {lines[-1]}"
        raw = json.loads(result.read_text())
    return {
        "train_windows_per_s": raw["windows_per_s"],
        "test_predict_seconds": raw["inference_s"],
        "peak_rss_mib": raw["peak_rss_mib"],
        "version": raw.get("version", "?"),
    }


def same_run(epochs: int, rounds: int = ROUNDS) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Alternate tsfm and the peers ``rounds`` times: each implementation's runs, and the
    reason of every peer skipped."""
    runs: dict[str, list[dict]] = {"tsfm": [], **{name: [] for name in PEERS}}
    skipped: dict[str, str] = {}
    folder = peers_dir()
    for _ in range(rounds):
        runs["tsfm"].append(run_tsfm(epochs))
        for name in PEERS:
            if name in skipped:
                continue
            outcome = run_peer(name, epochs, folder)
            if isinstance(outcome, str):
                skipped[name] = outcome
            else:
                runs[name].append(outcome)
    return {k: v for k, v in runs.items() if v}, skipped


def ratios(runs: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """Per peer, tsfm's advantage on each figure from the medians of the same run (above 1:
    tsfm better: faster training, quicker prediction, less memory)."""
    ours = {key: median(r[key] for r in runs["tsfm"]) for key, _, _ in FIGURES}
    out = {}
    for name, peer_runs in runs.items():
        if name == "tsfm":
            continue
        theirs = {key: median(r[key] for r in peer_runs) for key, _, _ in FIGURES}
        out[name] = {
            key: ours[key] / theirs[key] if higher else theirs[key] / ours[key]
            for key, _, higher in FIGURES
        }
    return out


def report(runs: dict[str, list[dict]], skipped: dict[str, str], command: str) -> str:
    """Markdown: every run, the medians and the same-run ratios."""
    lines = [
        f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {git_commit()}",
        "",
        f"Command: `{command}`; machine: {machine()}; {len(runs['tsfm'])} alternating rounds.",
        "",
        "| implementation | " + " | ".join(f"{label}: runs, median" for _, label, _ in FIGURES)
        + " |",
        "|---|" + "---|" * len(FIGURES),
    ]  # fmt: skip
    for name, impl_runs in runs.items():
        version = impl_runs[0].get("version")
        cells = []
        for key, _, _ in FIGURES:
            values = [r[key] for r in impl_runs]
            digits = 2 if key == "test_predict_seconds" else 0
            listed = ", ".join(f"{v:.{digits}f}" for v in values)
            cells.append(f"{listed}; **{median(values):.{digits}f}**")
        label = f"{name} {version}" if version else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, by in ratios(runs).items():
        lines.append(
            f"tsfm against {name}, same run: training {by['train_windows_per_s']:.2f}x the "
            f"windows/s, prediction {by['test_predict_seconds']:.2f}x as fast, "
            f"{1 / by['peak_rss_mib']:.2f}x the peak memory."
        )
    for name, reason in skipped.items():
        lines.append(f"{name}: skipped ({reason}).")
    mse = median(r["test_mse_after_epochs"] for r in runs["tsfm"])
    lines += ["", f"tsfm's test MSE after {runs['tsfm'][0]['epochs']} epoch(s): {mse:.3f} "
              "(a speed run, not an accuracy run).", ""]  # fmt: skip
    return "\n".join(lines)


def main(args) -> int:
    command = invoked_command()
    runs, skipped = same_run(epochs=args.max_epochs or 1)
    text = report(runs, skipped, command)
    print(text)
    path = Path(args.output) / "SPEED.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        ""
        if path.exists()
        else (
            "# Speed: PatchTST/42 on ETTh1 (L=336, H=96, batch 128, 2 threads)\n\n"
            "Written by `tsfm benchmark --speed` (tsfm/benchmarks/speed.py): tsfm and the peers "
            "alternate in fresh processes within one invocation; every ratio is of medians "
            "from the same run.\n\n"
        )
    )
    with open(path, "a") as f:
        f.write(header + text + "\n")
    return 0
