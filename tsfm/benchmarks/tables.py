"""The Markdown of ``benchmarks/RESULTS.md``, rendered from ``results.csv``: every newest run,
averages over horizons, probabilistic scores side by side, TimeXer's past against future
covariates, and the spread over seeds."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from tsfm.benchmarks.configs import CONFIGS


def write_markdown(folder: Path) -> None:
    """``RESULTS.md``: every row of ``results.csv`` as a table, grouped by dataset."""
    with open(folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    shown = ["dataset", "horizon", "lookback", "model", "mse", "mae", "paper_mse", "paper_mae",
             "mse_vs_paper", "mse_official_loader", "crps", "wql", "interval_80", "test_stride",
             "epochs", "best_epoch", "train_seconds", "train_windows_per_s",
             "test_predict_seconds", "peak_rss_mib", "commit", "command"]  # fmt: skip
    lines = [
        "# Benchmark results",
        "",
        "Written by `tsfm benchmark` (tsfm/benchmarks/ltsf.py) from `results.csv`, which also",
        "records the date and machine of each row. Protocol: the LTSF standard splits, every",
        "channel z-normalised with training statistics, early stopping on the validation part,",
        "every test window at stride 1 (none dropped); MSE/MAE on the normalised scale averaged",
        "over windows, steps and channels. `mse_vs_paper` compares with the paper's own figure;",
        "probabilistic models add `crps` (from samples), `wql` and the 80% interval coverage",
        "`interval_80` from their 0.1/0.5/0.9 quantiles; `test_stride` > 1 marks a run scored",
        "on every k-th test origin only (slow per-series models);",
        "`mse_official_loader` is our MSE on only the test windows the official code scores",
        "(its test loader drops the last incomplete batch of `batch_size` windows). The table",
        "shows the newest run of each dataset/model/horizon (of seed 0 when there is one);",
        "`results.csv` keeps every run.",
        "",
    ]
    extra = folder / "NOTES.md"
    if extra.exists():
        lines += [extra.read_text().strip(), ""]
    lines += ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    latest = newest(rows)
    for key in sorted(latest):
        row = latest[key]
        cells = [f"`{row[c]}`" if c == "command" else str(row.get(c) or "") for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    lines += averages(latest)
    lines += probabilistic(latest)
    lines += past_against_future(latest)
    lines += seed_spread(rows, latest)
    machines = sorted({r["machine"] for r in rows})
    lines += ["", "Machines: " + "; ".join(machines), ""]
    extras = {  # by `tsfm benchmark --speed`, `--zero-shot`, ... and benchmarks/scripts
        "SPEED.md": "Speed and memory",
        "MIXER_SPEED.md": "TSMixer against PatchTST: speed and memory",
        "BACKTEST_SCALING.md": "Backtest time against the number of series",
        "ZERO_SHOT.md": "Zero-shot forecasting",
        "ZERO_SHOT_SETTINGS.md": "Zero-shot prediction settings, chosen on validation windows",
        "FINETUNE.md": "Fine-tuning a pretrained model against training from scratch",
    }
    for name, title in extras.items():
        if (folder / name).exists():
            body = (folder / name).read_text().split("\n", 1)[1].strip()
            lines += [f"## {title}", "", body, ""]
    (folder / "RESULTS.md").write_text("\n".join(lines))


def _key(row: dict) -> tuple[str, str, int]:
    return row["dataset"], row["model"], int(row["horizon"])


def _seed(row: dict) -> int:
    """The row's ``random_state``; rows without one (older rows, seedless models) count as the
    default, 0."""
    return int(row.get("random_state") or 0)


def newest(rows: list[dict]) -> dict:
    """The newest row of each dataset/model/horizon, preferring the default seed: a run repeated
    with another ``random_state`` (for :func:`seed_spread`) does not replace the headline row."""
    latest = {_key(r): r for r in rows if _seed(r) != 0}
    latest.update({_key(r): r for r in rows if _seed(r) == 0})
    return latest


def runs_by_seed(rows: list[dict], headline: dict) -> dict[tuple, dict[int, dict]]:
    """Per dataset/model/horizon, the newest row of each seed among the rows with the headline
    row's ``settings`` (``headline`` is :func:`newest` of ``rows``)."""
    by_seed: dict = {}
    for row in rows:
        if row.get("settings", "") == headline[_key(row)].get("settings", ""):
            by_seed.setdefault(_key(row), {})[_seed(row)] = row
    return by_seed


def seed_spread(rows: list[dict], headline: dict) -> list[str]:
    """Markdown: where the headline row's configuration ran with several ``random_state`` values,
    the newest row of each seed, their mean and standard deviation, and the mean against the paper.

    Only rows with the headline row's ``settings`` count: a seed run before a configuration
    changed is not averaged with runs after it. ``headline`` is :func:`newest` of ``rows``."""
    by_seed = runs_by_seed(rows, headline)
    header = ["dataset", "model", "horizon", "seeds", "mse per seed", "mean mse", "std",
              "mean vs paper", "mean mae", "commits"]  # fmt: skip
    out = []
    for key, runs in sorted(by_seed.items()):
        if len(runs) < 2:
            continue
        seeds = sorted(runs)
        mse = np.array([float(runs[s]["mse"]) for s in seeds])
        mae = np.array([float(runs[s]["mae"]) for s in seeds])
        paper = runs[seeds[0]]["paper_mse"]
        versus = f"{100 * (mse.mean() / float(paper) - 1):+.1f}%" if paper else ""
        commits = ", ".join(sorted({runs[s]["commit"] for s in seeds}))
        cells = [*key, ", ".join(map(str, seeds)), ", ".join(f"{m:.4f}" for m in mse),
                 f"{mse.mean():.4f}", f"{mse.std(ddof=1):.4f}", versus, f"{mae.mean():.4f}",
                 commits]  # fmt: skip
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    intro = [
        "The same configuration trained with several seeds (`--set random_state=k`; the tables",
        "above show seed 0): the spread tells noise from a real gap to a paper's single run.",
        "Only runs with the headline row's `settings` (results.csv) are counted.",
        "`std` is the sample standard deviation over seeds.",
    ]
    return _section("Spread over seeds", intro, header, out)


#: Models side by side in the probabilistic table: the sample model, the baselines with their
#: intervals, and a point model for reference.
PROBABILISTIC = ("sundial", "sundial_calibrated", "seasonal_naive", "ets", "patchtst42")


def probabilistic(latest: dict) -> list[str]:
    """Markdown: per dataset and horizon where Sundial ran, the models of :data:`PROBABILISTIC`
    side by side (MSE/MAE of the point forecast, CRPS, wQL, 80% interval coverage)."""
    keys = sorted({(d, h) for (d, m, h) in latest if m.startswith("sundial")})
    header = ["dataset", "horizon", "model", "mse", "mae", "crps", "wql", "interval_80",
              "interval_spread", "test_stride", "epochs"]  # fmt: skip
    out = []
    for dataset, horizon in keys:
        for model in PROBABILISTIC:
            row = latest.get((dataset, model, horizon))
            if row is not None:
                out.append("| " + " | ".join(str(row.get(c) or "") for c in header) + " |")
    intro = [
        "The newest rows above, side by side: Sundial's point forecast is its sample median, its",
        "quantiles come from 100 sample paths; the baselines' from their own intervals; PatchTST",
        "gives points only. The target for `interval_80` is 0.80. `sundial_calibrated` is the same",
        "training run with its samples' spread around the median scaled by `interval_spread`, the",
        "factor minimising the quantile loss on the validation part (`calibrate_intervals=True`).",
    ]
    return _section("Probabilistic forecasts", intro, header, out)


def past_against_future(latest: dict) -> list[str]:
    """Markdown: per EPF market, TimeXer with the day-ahead columns as past covariates (the
    paper's setting) beside the same columns as future covariates, and the change."""
    header = ["dataset", "past: mse", "mae", "paper mse", "mae", "vs paper", "epochs", "commit",
              "future: mse", "mae", "epochs", "commit", "future vs past"]  # fmt: skip
    out = []
    for dataset, _, horizon in sorted(k for k in latest if k[1] == "timexer_epf"):
        past = latest[(dataset, "timexer_epf", horizon)]
        future = latest.get((dataset, "timexer_epf_future", horizon))
        cells = [dataset, past["mse"], past["mae"], past["paper_mse"], past["paper_mae"],
                 past["mse_vs_paper"], past["epochs"], past["commit"]]  # fmt: skip
        if future is None:
            cells += ["", "", "", "", ""]
        else:
            change = 100 * (float(future["mse"]) / float(past["mse"]) - 1)
            cells += [future["mse"], future["mae"], future["epochs"], future["commit"],
                      f"{change:+.1f}%"]  # fmt: skip
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    intro = [
        "TimeXer on the EPF markets (lookback 168, horizon 24): the day-ahead grid load and",
        "generation forecasts as past covariates, as the paper uses them (`timexer_epf`), and as",
        "future covariates, their values over the forecast day read too (`timexer_epf_future`):",
        "they are published before the day they forecast. From commit fe407f6 on, both read the",
        "hourly calendar features (the official loader's time features, which the paper's model",
        "reads as variate tokens). From commit 866308f on, each market takes the official",
        "script's depth, feed-forward width and batch size (Nord Pool's were used for all",
        "before). Rows before commit 14bed9e halved the learning rate one epoch early (the",
        "official `type1` keeps the base rate for two epochs). From commit d50c64d on, the",
        "past-only runs read the calendar as the official model does, over the lookback through",
        "the exogenous series' map (`calendar_horizon=False`); the future runs read it over the",
        "forecast day too, like the day-ahead columns. From commit 1f94df5 on, dropout acts as",
        "in the official layer: on the attention weights, and once on each attention output",
        "(before, twice on the outputs and never on the weights); `python",
        "benchmarks/scripts/parity.py --official <thuml/TimeXer checkout>` checks that the",
        "official model's weights give the same forecasts in ours, and TIMEXER_OFFICIAL.md has the",
        "official code's own runs on this machine. The newest row of each; `epochs` ran of the",
        "configuration's 10 (patience 3); the command of each row is above.",
    ]
    return _section("Exogenous covariates: past against future (EPF)", intro, header, out)


def _section(title: str, intro: list[str], header: list[str], rows: list[str]) -> list[str]:
    """Markdown lines of a titled table (none when it has no rows)."""
    if not rows:
        return []
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows]
    return ["", f"## {title}", "", *intro, "", *table]


def averages(latest: dict) -> list[str]:
    """Markdown rows: per dataset and model with four horizons, the mean over them, beside the
    paper's average (``paper[(dataset, "avg")]`` in the configuration) when it gives one."""
    groups: dict = {}
    for (dataset, model, _), row in latest.items():
        groups.setdefault((dataset, model), []).append(row)
    out = []
    for (dataset, model), rows in sorted(groups.items()):
        if len(rows) < 4 or model not in CONFIGS:
            continue
        mse = sum(float(r["mse"]) for r in rows) / len(rows)
        mae = sum(float(r["mae"]) for r in rows) / len(rows)
        official = [float(r["mse_official_loader"]) for r in rows if r["mse_official_loader"]]
        official_mse = f"{sum(official) / len(official):.4f}" if len(official) == len(rows) else ""
        table = CONFIGS[model].paper
        paper = table.get((dataset, "avg"))
        if paper is None and all((dataset, int(r["horizon"])) in table for r in rows):
            figures = [table[(dataset, int(r["horizon"]))] for r in rows]
            paper = tuple(sum(f[k] for f in figures) / len(figures) for k in (0, 1))
        versus = f"{100 * (mse / paper[0] - 1):+.1f}%" if paper else ""
        versus_official = (
            f"{100 * (float(official_mse) / paper[0] - 1):+.1f}%" if paper and official_mse else ""
        )
        horizons = "/".join(sorted((r["horizon"] for r in rows), key=int))
        cells = [dataset, model, horizons, f"{mse:.4f}", f"{mae:.4f}",
                 f"{paper[0]:.3f}" if paper else "", f"{paper[1]:.3f}" if paper else "", versus,
                 official_mse, versus_official]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    header = ["dataset", "model", "horizons", "mse", "mae", "paper_mse", "paper_mae",
              "mse_vs_paper", "mse_official_loader", "official_vs_paper"]  # fmt: skip
    intro = [
        "Mean of the newest rows above over the horizons listed; the paper's average from the",
        "configuration (its own figure, or the mean of its per-horizon figures).",
    ]
    return _section("Averages over horizons", intro, header, out)
