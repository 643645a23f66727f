"""``tsfm forecast``: the zero-shot model (:func:`tsfm.forecast`) on a CSV, to a CSV and a plot."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def add_forecast_parser(sub) -> None:
    """Register ``tsfm forecast`` on the subparsers ``sub`` of the ``tsfm`` command."""
    from tsfm.cli import positive_int
    from tsfm.pretrained import DEFAULT_MODEL

    p = sub.add_parser(
        "forecast",
        help="zero-shot forecast of a CSV with a shipped pretrained model (no training)",
        description="Forecast every series of a CSV with a pretrained model (tsfm.forecast): "
        "a wide CSV (timestamps in the first column, one column per series) or a long one "
        "(columns unique_id, ds, y). The forecast is written in the same layout.",
    )
    p.add_argument("data", help="CSV: long (unique_id, ds, y) or wide (timestamps first)")
    p.add_argument("--horizon", type=positive_int, required=True, help="steps ahead")
    p.add_argument(
        "--quantiles", type=float, nargs="+", default=None,
        help="levels in (0, 1) written as q<level> columns, e.g. 0.1 0.9",
    )  # fmt: skip
    p.add_argument("--output", default="forecast.csv", help="CSV to write (forecast.csv)")
    p.add_argument("--plot", default=None, help="PNG: history, forecast and quantile band")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"name or folder ({DEFAULT_MODEL})")
    p.add_argument("--freq", default=None, help="pandas frequency, when it cannot be inferred")
    p.add_argument(
        "--fill-missing", default="interpolate",
        choices=["interpolate", "ffill", "zero", "raise"], help="missing values (interpolate)",
    )  # fmt: skip
    p.add_argument("--id-col", default="unique_id", help="long CSV: series id column")
    p.add_argument("--time-col", default="ds", help="long CSV: timestamp column")
    p.add_argument("--target-col", default=None, help="long CSV: target column (y)")
    p.set_defaults(func=forecast_command)


def forecast_command(args: argparse.Namespace) -> int:
    """Run ``tsfm forecast``: read, forecast, write the CSV (and the plot)."""
    from tsfm.cli import read_table
    from tsfm.pretrained import from_pretrained

    data = read_table(args.data, args.id_col, args.time_col)
    model = from_pretrained(args.model)
    horizon = args.horizon
    model.fit(
        data, freq=args.freq, fill_missing=args.fill_missing, id_col=args.id_col,
        time_col=args.time_col, target_col=args.target_col,
    )  # fmt: skip
    forecast = model.predict(horizon=horizon, quantiles=args.quantiles)
    out = Path(args.output)
    flat(forecast).to_csv(out, index=model.spec_.layout != "long")
    print(f"Forecast of {horizon} steps written to {out}")
    if args.plot:
        levels = sorted(args.quantiles or [])
        band = (levels[0], levels[-1]) if len(levels) >= 2 else None
        model.plot(horizon=horizon, band=band).savefig(args.plot, dpi=100)
        print(f"Plot written to {args.plot}")
    return 0


def flat(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with MultiIndex columns ``(series, output)`` flattened to ``series_output``."""
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.set_axis(["_".join(map(str, c)) for c in frame.columns], axis=1)
    return frame
