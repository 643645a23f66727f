"""Choose a pretrained model's zero-shot prediction settings on validation windows.

``python benchmarks/scripts/zero_shot_settings.py [--pretrained NAME] [--output benchmarks]``
(from the repository root; until issue 31 it was ``tsfm benchmark --zero-shot-settings``). A
study behind the shipped defaults, not a benchmark users rerun.

The validation window of every M4 Hourly and Weekly series is the last horizon (48, 13) of its
*training* file, forecast from the values before it: the test horizons are never read. Each
setting (the context kept, ``max_context``; the seasonal adjustment, ``seasonal_adjustment`` and
``seasonal_cycles``) is scored by the geometric-mean ratio of MASE to SeasonalNaive over series,
as the zero-shot benchmark scores the test horizons. Writes ``ZERO_SHOT_SETTINGS.md``; the
chosen values go to ``ZERO_SHOT_SETTINGS`` in :mod:`tsfm.pretrained` by hand.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pandas as pd

import tsfm
from tsfm.benchmarks.ltsf import git_commit, invoked_command, machine
from tsfm.benchmarks.zero_shot import SETS
from tsfm.evaluation.compare import relative_score

#: The grid: (max_context, seasonal_adjustment, seasonal_cycles).
GRID = [
    *itertools.product((None, 256, 128), (None,), (7,)),
    *itertools.product((None, 256, 128), ("auto",), (3, 7, 14)),
]


def validation_frame(dataset: str) -> pd.DataFrame:
    """The training file of an M4 set: its last horizon is the validation window."""
    return tsfm.load_dataset(dataset).data


def score(dataset: str, pretrained: str, settings: tuple) -> float:
    """Geometric-mean MASE ratio to SeasonalNaive on the validation windows of ``dataset``."""
    horizon, season = SETS[dataset]
    max_context, adjustment, cycles = settings
    model = tsfm.from_pretrained(
        pretrained, n_threads=1, max_context=max_context, seasonal_adjustment=adjustment,
        seasonal_cycles=cycles,
    )  # fmt: skip
    models = {"model": model, "SeasonalNaive": tsfm.SeasonalNaive(season_length=season)}
    result = tsfm.backtest(models, validation_frame(dataset), horizon, n_windows=1, refit=False,
                           season_length=season)  # fmt: skip
    return relative_score(result.metrics, "model", "SeasonalNaive", "mase")


def main(args) -> int:
    pretrained = args.pretrained
    rows = []
    for settings in GRID:
        row = dict(zip(("max_context", "seasonal_adjustment", "seasonal_cycles"), settings))
        row.update({dataset: round(score(dataset, pretrained, settings), 4) for dataset in SETS})
        print(row, flush=True)
        rows.append(row)
    table = pd.DataFrame(rows, dtype=object).fillna(
        {"max_context": "all", "seasonal_adjustment": "none"}
    )
    lines = [
        "# Zero-shot prediction settings, chosen on validation windows",
        "",
        f"Command: `{invoked_command()}` (benchmarks/scripts/zero_shot_settings.py), commit "
        f"{git_commit()}. Machine: {machine()}. Pretrained model: `{pretrained}`.",
        "Validation window of each M4 series: the last horizon of its training file (the test",
        "horizons are never read). Cells: geometric-mean ratio of MASE to SeasonalNaive over",
        "series (below 1 is better); `seasonal_cycles` only matters with a seasonal adjustment",
        "(`auto`: 24 for hourly data, none for weekly).",
        "",
        table.to_markdown(index=False),
        "",
    ]
    (Path(args.output) / "ZERO_SHOT_SETTINGS.md").write_text("\n".join(lines))
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    from tsfm.pretrained import DEFAULT_MODEL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrained", default=DEFAULT_MODEL, help="name or folder")
    parser.add_argument("--output", default="benchmarks", help="folder of ZERO_SHOT_SETTINGS.md")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse()))
