"""Pretraining speed of a paper configuration with a pretraining stage (a study: before/after).

``python benchmarks/scripts/pretrain_speed.py [--config timedart_etth1] [--threads 1]
[--steps 20]`` (from the repository root) pretrains the configuration's model for ``--steps``
batches on its dataset's training part and prints the median step's windows/s and the minutes an
epoch over every training window would take. Run it at two commits, one after the other, to
compare (benchmarks/TIMEDART.md). `tsfm benchmark --speed --models` measures every model, with
fine-tuning and prediction, on a quiet machine.
"""

from __future__ import annotations

import argparse

from tsfm.benchmarks.configs import CONFIGS
from tsfm.benchmarks.pretraining import _splits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="timedart_etth1")
    parser.add_argument("--dataset", default="etth1")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    import tsfm

    config = CONFIGS[args.config]
    lookback, params = config.settings(args.dataset, 96)
    train, _ = _splits(args.dataset, lookback)
    settings = {k: v for k, v in config.pretrain.items() if k != "method"}
    model = getattr(tsfm, config.model)(
        **{**params, **settings, "context_length": lookback, "max_epochs": 1,
           "batches_per_epoch": args.steps, "n_threads": args.threads, "verbose": 0}
    )  # fmt: skip
    model.pretrain(train, method=config.pretrain.get("method"))
    step = model.pretrain_history_[-1]["step_seconds_median"]
    windows = len(train) - lookback - 96 + 1
    per_second = model.batch_size / step
    print(
        f"{args.config}: {per_second:.1f} windows/s ({args.threads} threads, median of "
        f"{args.steps} steps); an epoch of {windows} windows: {windows / per_second / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
