"""The ``tsfm`` command: ``demo``, ``forecast``, ``backtest``, ``models``, ``benchmark``,
``pretrain``."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path


def demo(args: argparse.Namespace) -> int:
    """Baselines on weekly Mauna Loa CO2 (statsmodels): a leaderboard and a forecast plot."""
    import pandas as pd
    import statsmodels.api as sm

    from tsfm.baselines import ARIMA, ETS, Drift, Naive, SeasonalNaive, Theta
    from tsfm.evaluation.plots import plot_forecast

    co2 = sm.datasets.co2.load_pandas().data["co2"]
    if args.quick:
        co2 = co2.iloc[-520:]
    horizon, season = 52, 52
    print(
        f"Weekly CO2 at Mauna Loa (statsmodels): {len(co2)} weeks, {int(co2.isna().sum())} missing "
        "values filled by linear interpolation (fill_missing='interpolate')."
    )
    print(
        f"Rolling-origin test: the last 104 weeks, horizon {horizon}, an origin every 13 weeks.\n"
    )
    models = {
        "Naive": Naive(horizon),
        "SeasonalNaive": SeasonalNaive(season, horizon),
        "Drift": Drift(horizon),
        "ETS": ETS(season, horizon, context_length=520),
        "Theta": Theta(season, horizon, context_length=520),
        "ARIMA": ARIMA(season, horizon, context_length=520),
    }
    rows = []
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(co2.iloc[:-104], fill_missing="interpolate")
        metrics = model.evaluate(
            co2, test_size=104, stride=13, quantiles=[0.1, 0.9], season_length=season
        )
        overall = metrics.iloc[-1]
        rows.append(
            {
                "model": name,
                "MASE": overall["mase"],
                "sMAPE %": overall["smape"],
                "RMSE": overall["rmse"],
                "80% coverage": overall["interval_80"],
                "seconds": time.perf_counter() - start,
            }
        )
    board = pd.DataFrame(rows).sort_values("MASE").reset_index(drop=True)
    print(board.to_string(float_format=lambda v: f"{v:.3f}"))
    best = board.loc[0, "model"]
    model = models[best].fit(co2, fill_missing="interpolate")
    forecast = model.predict(quantiles=[0.1, 0.9])
    history = co2.interpolate().iloc[-5 * season :]
    fig = plot_forecast(
        history,
        forecast,
        lower="q0.1",
        upper="q0.9",
        title=f"Weekly CO2, {best} forecast, next {horizon} weeks",
    )
    out = Path(args.output)
    fig.savefig(out, dpi=100)
    print(f"\nBest by MASE: {best}. Forecast plot written to {out}")
    return 0


def read_table(path: str, id_col: str = "unique_id", time_col: str = "ds"):
    """A CSV as tsfm input: long if it has the ``id_col`` and ``time_col`` columns, else wide
    with the first column as the timestamps.

    Ids and timestamps are read as text, as written: ids ``007`` and ``7`` stay two series (and
    ``007`` is written back as such), and a time column of years (``1990``) is parsed as dates,
    not as nanoseconds after 1970 as numbers would be. The separator is the one of ``,``, ``;``
    and tab that the header line holds most of (commas when it holds none).
    """
    import pandas as pd

    sep = _separator(path)
    try:
        columns = pd.read_csv(path, nrows=0, sep=sep).columns
        long = {id_col, time_col} <= set(columns)
        times = time_col if long else columns[0]
        dtype = {times: str, **({id_col: str} if long else {})}
        frame = pd.read_csv(path, sep=sep, dtype=dtype)
        if frame.empty:
            raise ValueError(f"no data rows under the header ({', '.join(map(str, columns))})")
        with warnings.catch_warnings():  # pandas falls back to dateutil per element: fine here
            warnings.filterwarnings("ignore", "Could not infer format")
            stamps = _dates(frame[times])
    except (ValueError, TypeError) as error:  # pandas' EmptyDataError and ParserError too
        raise ValueError(
            f"{path}: not a CSV tsfm reads (long: columns unique_id, ds, y; wide: timestamps "
            f"in the first column): {error}"
        ) from None
    if long:
        return frame.assign(**{time_col: stamps})
    return frame.drop(columns=times).set_axis(pd.DatetimeIndex(stamps))


def _separator(path: str) -> str:
    """The column separator of the CSV at ``path``: whichever of ``,``, ``;`` and tab its first
    line holds most of (``,`` on a tie, or when the file cannot be opened here)."""
    if str(path).endswith((".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")):
        return ","  # compressed: the bytes say nothing; pandas decompresses a comma CSV
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            header = file.readline()
    except (OSError, TypeError):  # pandas reports a missing file itself
        return ","
    header = re.sub(r'"[^"]*"', "", header)  # a quoted column name may hold any of them
    return max((",", ";", "\t"), key=header.count)


def _dates(text):
    """The time column ``text`` (strings) as datetimes, or an error naming the column and the
    first value that is not a date."""
    import pandas as pd

    try:
        return pd.to_datetime(text)
    except (ValueError, TypeError, OverflowError) as error:
        parsed = pd.to_datetime(text, errors="coerce")
        bad = text[parsed.isna() & text.notna()]
        raise ValueError(
            f"the time column {text.name!r} holds {bad.iloc[0] if len(bad) else None!r}, not a "
            f"date ({error}); write dates such as 2024-01-31 or 2024-01-31 13:00 (a year alone, "
            "1990, is read as 1990-01-01)"
        ) from None


def positive_int(text: str) -> int:
    """An argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def data_season(data, target, fill_missing) -> int:
    """The season of ``data``'s frequency (:func:`tsfm.evaluation.metrics.data_season`): the
    default ``--season-length`` of the models and of MASE."""
    from tsfm.data.frames import to_panel
    from tsfm.evaluation.metrics import data_season as season_of

    return season_of(to_panel(data, target=target, fill_missing=fill_missing).freq)


def build_models(names: str, horizon: int, season_length: int, settings: list[str]) -> dict:
    """Forecasters from ``--models`` (names of :mod:`tsfm.catalog`) and ``--set
    model.param=value`` items, keyed by the names the leaderboard shows."""
    from tsfm.benchmarks.ltsf import _parse
    from tsfm.catalog import build_model, forecaster_classes

    chosen = [n.strip() for n in names.split(",") if n.strip()]
    repeated = sorted({n for n in chosen if chosen.count(n) > 1})
    if repeated:
        raise ValueError(
            f"--models names {', '.join(repeated)} more than once; name each model once"
        )
    params: dict[str, dict] = {name: {} for name in chosen}
    for item in settings or []:
        key, equals, value = item.partition("=")
        owner, dot, param = key.partition(".")
        if not equals or not dot or owner not in params:
            raise ValueError(
                f"--set {item!r}: expected MODEL.NAME=VALUE with MODEL one of --models "
                f"({', '.join(chosen)})"
            )
        params[owner][param] = _parse(value)
    classes = forecaster_classes()
    models = {}
    for name in chosen:
        model = build_model(name, params[name], horizon, season_length)
        models[type(model).__name__ if name in classes else name] = model
    return models


def _backtest(args: argparse.Namespace) -> int:
    """Rolling-origin backtest of several models on a CSV; leaderboard, forecasts and plots."""
    import tsfm
    from tsfm.benchmarks.ltsf import _parse
    from tsfm.evaluation.plots import plot_backtest, plot_leaderboard, plot_metric_by_step

    models = build_models(args.models, args.horizon, args.season_length or 1, args.set)
    data = read_table(args.data)
    season = args.season_length or data_season(data, args.target, args.fill_missing)
    if season != (args.season_length or 1):  # names checked above, before reading the data
        models = build_models(args.models, args.horizon, season, args.set)
    result = tsfm.backtest(
        models,
        data,
        args.horizon,
        n_windows=args.n_windows if args.n_windows or args.start is not None else 1,
        start=_parse(args.start) if args.start is not None else None,
        step=args.step,
        refit=_parse(args.refit),
        quantiles=args.quantiles,
        season_length=season,
        target=args.target,
        fill_missing=args.fill_missing,
        n_jobs=args.n_jobs,
        progress=True,
    )
    board = result.leaderboard(metric=args.metric)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    board.to_csv(out / "leaderboard.csv", index=False)
    (out / "leaderboard.md").write_text(board.to_markdown(index=False, floatfmt=".4g") + "\n")
    result.forecasts.to_csv(out / "forecasts.csv", index=False)
    if len(result.skipped):
        result.skipped.to_csv(out / "skipped.csv", index=False)
        print(f"{len(result.skipped)} windows skipped (series too short): see skipped.csv")
    plot_backtest(result).savefig(out / "forecasts.png", dpi=90)
    plot_metric_by_step(result).savefig(out / "by_step.png", dpi=90)
    plot_leaderboard(board, args.metric).savefig(out / "leaderboard.png", dpi=90)
    print(board.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nWritten to {out}/: leaderboard.md/.csv, forecasts.csv and three PNG plots")
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from tsfm.pretrained.pretrain import main as pretrain_main

    return pretrain_main(args)


def _benchmark(args: argparse.Namespace) -> int:
    if args.pretrained is None:
        from tsfm.pretrained import DEFAULT_MODEL

        args.pretrained = DEFAULT_MODEL
    if args.reasoning:
        from tsfm.benchmarks.reasoning import main as reasoning_main

        return reasoning_main(args)
    if args.zero_shot and args.lowfreq:
        from tsfm.benchmarks.zero_shot_lowfreq import main as lowfreq_main

        return lowfreq_main(args)
    if args.zero_shot:
        from tsfm.benchmarks.zero_shot import main as zero_shot_main

        return zero_shot_main(args)
    if args.finetune:
        from tsfm.benchmarks.finetune import main as finetune_main

        return finetune_main(args)
    if args.backtest_scaling:
        from tsfm.benchmarks.scaling import main as scaling_main

        return scaling_main(args)
    if args.speed and args.models is not None:
        from tsfm.benchmarks.model_speed import main as model_speed_main

        return model_speed_main(args)
    if args.speed:
        from tsfm.benchmarks.speed import main as speed_main

        return speed_main(args)
    if not (args.model and args.dataset and args.horizon):
        raise SystemExit("tsfm benchmark needs --model, --dataset and --horizon (or --speed)")
    from tsfm.benchmarks.ltsf import main as benchmark_main

    return benchmark_main(args)


#: ``tsfm --help``: plain text (the module docstring is reStructuredText).
DESCRIPTION = (
    "tsfm: time-series forecasting with patch models and foundation models. "
    "Run 'tsfm COMMAND --help' for a command's options."
)


def _models(args: argparse.Namespace) -> int:
    """Print every name ``--models`` accepts, with its class."""
    from tsfm.catalog import forecaster_classes, model_class, pretrained_names

    for name, klass in forecaster_classes().items():
        print(f"{name:<16} {klass.__name__}")
    for name in pretrained_names():
        print(f"{name:<16} {model_class(name).__name__}, pretrained (zero-shot)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from tsfm import __version__
    from tsfm.benchmarks.configs import CONFIGS
    from tsfm.cli_forecast import add_forecast_parser

    parser = argparse.ArgumentParser(prog="tsfm", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tsfm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("demo", help="baselines on a real series: leaderboard and plot")
    p.add_argument("--output", default="tsfm_demo.png", help="PNG file for the forecast plot")
    p.add_argument("--quick", action="store_true", help="use the last 10 years only")
    p.set_defaults(func=demo)
    add_forecast_parser(sub)
    p = sub.add_parser("backtest", help="rolling-origin backtest of several models on a CSV")
    p.add_argument("data", help="CSV: long (unique_id, ds, y) or wide (timestamps first)")
    p.add_argument(
        "--models",
        required=True,
        help="comma-separated names: any forecaster (naive, seasonal_naive, ets, patchtst, "
        "sundial, ...) or shipped pretrained model (tsfm-combo, ...); 'tsfm models' lists them",
    )
    p.add_argument("--horizon", type=positive_int, required=True)
    p.add_argument("--n-windows", type=positive_int, default=None, help="windows per series (1)")
    p.add_argument("--start", default=None, help="first cutoff row or timestamp (not with -n)")
    p.add_argument("--step", type=positive_int, default=None, help="rows between cutoffs (H)")
    p.add_argument("--refit", default="true", help="global models: true, false or every k")
    p.add_argument(
        "--season-length", type=positive_int, default=None,
        help="season of the models and of MASE (default: the data's, e.g. 24 for hourly data)",
    )  # fmt: skip
    p.add_argument("--quantiles", type=float, nargs="*", default=None)
    p.add_argument("--metric", default="mase", help="ranking metric")
    p.add_argument("--target", default=None)
    p.add_argument("--fill-missing", default="raise")
    p.add_argument("--n-jobs", type=int, default=None)
    p.add_argument("--set", action="append", metavar="MODEL.NAME=VALUE", help="a hyperparameter")
    p.add_argument("--output", default="backtest", help="folder for the leaderboard and plots")
    p.set_defaults(func=_backtest)
    p = sub.add_parser("models", help="list the names 'tsfm backtest --models' accepts")
    p.set_defaults(func=_models)
    p = sub.add_parser("pretrain", help="train a model on the pretraining corpus (JSON config)")
    p.add_argument("--config", required=True, help="JSON: name, model class/params, corpus")
    p.add_argument("--output", required=True, help="folder: checkpoints, history, model")
    p.add_argument("--register", action="store_true", help="ship the result in tsfm/pretrained")
    p.set_defaults(func=_pretrain)
    p = sub.add_parser("benchmark", help="a paper configuration under the LTSF protocol")
    p.add_argument(
        "--model", choices=sorted(CONFIGS), metavar="CONFIG",
        help=f"paper configuration: {', '.join(sorted(CONFIGS))}",
    )  # fmt: skip
    p.add_argument("--dataset", help="registered dataset, e.g. etth1")
    p.add_argument("--horizon", type=int, nargs="+")
    p.add_argument(
        "--speed",
        action="store_true",
        help="measure PatchTST/42 training and inference speed on ETTh1 instead",
    )
    p.add_argument(
        "--models", nargs="*", metavar="CONFIG", default=None,
        help="with --speed: each model's cost on ETTh1 instead (default: one configuration "
        "per model)",
    )  # fmt: skip
    p.add_argument("--speed-steps", type=int, default=None, help="with --speed --models: steps")
    p.add_argument(
        "--zero-shot",
        action="store_true",
        help="a pretrained model against per-series baselines (M4, LTSF test parts) instead",
    )
    p.add_argument(
        "--lowfreq",
        action="store_true",
        help="with --zero-shot: the low-frequency real collections (tsfm.collections) instead",
    )
    p.add_argument(
        "--collections", nargs="+", default=None,
        help="with --lowfreq: collection names (default: all)",
    )  # fmt: skip
    p.add_argument(
        "--max-series", type=int, default=150,
        help="with --lowfreq: series per collection at most (a seeded sample; default 150)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="with --lowfreq: seed of the sample")
    p.add_argument(
        "--baselines-only",
        action="store_true",
        help="with --zero-shot: compute and keep the baselines' metrics only",
    )
    p.add_argument(
        "--finetune",
        action="store_true",
        help="fine-tuning a pretrained model against training from scratch (--dataset, "
        "default ili) instead",
    )
    p.add_argument(
        "--pretrained", default=None,
        help="with --zero-shot/--finetune: name or folder (default: the default shipped model)",
    )  # fmt: skip
    p.add_argument("--n-jobs", type=int, default=None, help="with --zero-shot: baseline workers")
    p.add_argument(
        "--backtest-scaling",
        action="store_true",
        help="time tsfm.backtest over 1k, 3k and 10k synthetic series instead",
    )
    p.add_argument(
        "--reasoning",
        action="store_true",
        help="compositional reasoning (Potosnak et al. 2025): every model trained on component "
        "patterns or on the composites, scored on the composites, instead",
    )
    p.add_argument(
        "--reasoning-config", default="reduced", choices=("ci", "reduced", "full"),
        help="with --reasoning: ci (seconds), reduced (about 30 min, one thread; default) or "
        "full (the study's sizes)",
    )  # fmt: skip
    p.add_argument("--threads", type=int, default=None, help="with --reasoning: torch threads (1)")
    p.add_argument("--max-epochs", type=int, default=None, help="epoch budget (default: paper's)")
    p.add_argument("--stride", type=int, default=1, help="test origin every k rows (default 1)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a hyperparameter")
    p.add_argument("--output", default="benchmarks", help="folder of results.csv and RESULTS.md")
    p.set_defaults(func=_benchmark)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")  # the command writes figures to files
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as error:  # bad input: the message, no traceback
        parser.exit(2, f"tsfm {args.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
