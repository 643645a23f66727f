"""The ``tsfm`` command: ``tsfm demo``, ``tsfm benchmark`` (more join as the models land)."""

from __future__ import annotations

import argparse
import sys
import time
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


def _benchmark(args: argparse.Namespace) -> int:
    if args.speed:
        from tsfm.benchmarks.speed import main as speed_main

        return speed_main(args)
    if not (args.model and args.dataset and args.horizon):
        raise SystemExit("tsfm benchmark needs --model, --dataset and --horizon (or --speed)")
    from tsfm.benchmarks.ltsf import main as benchmark_main

    return benchmark_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsfm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="baselines on a real series: leaderboard and plot")
    p.add_argument("--output", default="tsfm_demo.png", help="PNG file for the forecast plot")
    p.add_argument("--quick", action="store_true", help="use the last 10 years only")
    p.set_defaults(func=demo)
    p = sub.add_parser("benchmark", help="a paper configuration under the LTSF protocol")
    p.add_argument("--model", help="configuration, e.g. patchtst42")
    p.add_argument("--dataset", help="registered dataset, e.g. etth1")
    p.add_argument("--horizon", type=int, nargs="+")
    p.add_argument(
        "--speed",
        action="store_true",
        help="measure PatchTST/42 training and inference speed on ETTh1 instead",
    )
    p.add_argument("--max-epochs", type=int, default=None, help="epoch budget (default: paper's)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a hyperparameter")
    p.add_argument("--output", default="benchmarks", help="folder of results.csv and RESULTS.md")
    p.set_defaults(func=_benchmark)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
