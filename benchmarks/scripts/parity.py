"""Check our TimeXer against the official implementation, given a checkout of it.

``python benchmarks/scripts/parity.py --official PATH`` where PATH is a checkout of
https://github.com/thuml/TimeXer (not shipped with tsfm). It

1. builds the official ``models/TimeXer.Model`` and ours at each EPF market's configuration,
   copies the official weights into ours and compares the forecasts of both (eval mode) on the
   same random windows, and the parameter counts;
2. compares our hourly calendar features with the official loader's ``time_features``.

The official model imports ``reformer_pytorch`` and ``einops`` for other models; when they are
not installed, empty stand-ins are put in their place (TimeXer uses neither).
"""

from __future__ import annotations

import argparse
import sys
import types
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from tsfm.benchmarks.configs import CONFIGS
from tsfm.data.future import calendar_features
from tsfm.models.timexer import TimeXer, TimeXerConfig


def import_official(root: Path):
    """The official ``Model`` class and ``time_features`` function from a checkout at ``root``."""
    for name, attribute in (("reformer_pytorch", "LSHSelfAttention"), ("einops", "rearrange")):
        try:
            __import__(name)
        except ImportError:
            stand_in = types.ModuleType(name)
            setattr(stand_in, attribute, None)
            stand_in.repeat = stand_in.reduce = None
            sys.modules[name] = stand_in
    sys.path.insert(0, str(root))
    from models.TimeXer import Model
    from utils.timefeatures import time_features

    return Model, time_features


def official_arguments(cfg: TimeXerConfig, n_columns: int) -> argparse.Namespace:
    """The run.py arguments of the official EPF script for this configuration."""
    return argparse.Namespace(
        task_name="long_term_forecast", features="MS", seq_len=cfg.context_length,
        pred_len=cfg.prediction_length, use_norm=1, patch_len=cfg.patch_len, enc_in=n_columns,
        d_model=cfg.d_model, embed="timeF", freq="h", dropout=cfg.dropout, factor=3,
        n_heads=cfg.n_heads, d_ff=cfg.d_ff, activation="gelu", e_layers=cfg.n_layers,
    )  # fmt: skip


def official_weights_for_ours(official, cfg: TimeXerConfig) -> dict[str, torch.Tensor]:
    """The official model's weights under our parameter names and layouts."""
    weights = {
        "patch_embedding.weight": official.en_embedding.value_embedding.weight,
        "global_token": official.en_embedding.glb_token.reshape(1, 1, cfg.d_model),
        "variate_embedding.weight": official.ex_embedding.value_embedding.weight,
        "variate_embedding.bias": official.ex_embedding.value_embedding.bias,
        "norm.weight": official.encoder.norm.weight,
        "norm.bias": official.encoder.norm.bias,
        "head.linear.bias": official.head.linear.bias,
    }
    # The official head flattens (d_model, tokens); ours flattens (tokens, d_model).
    n_tokens = cfg.context_length // cfg.patch_len + 1
    head = official.head.linear.weight.reshape(cfg.prediction_length, cfg.d_model, n_tokens)
    weights["head.linear.weight"] = head.transpose(1, 2).reshape(cfg.prediction_length, -1)
    for i, layer in enumerate(official.encoder.layers):
        ours = f"layers.{i}."
        attend, cross = layer.self_attention, layer.cross_attention
        projections = (attend.query_projection, attend.key_projection, attend.value_projection)
        for kind in ("weight", "bias"):
            weights[ours + f"self_attention.qkv.{kind}"] = torch.cat(
                [getattr(p, kind) for p in projections]
            )
            weights[ours + f"self_attention.out.{kind}"] = getattr(attend.out_projection, kind)
            weights[ours + f"cross_attention.q.{kind}"] = getattr(cross.query_projection, kind)
            weights[ours + f"cross_attention.kv.{kind}"] = torch.cat(
                [getattr(cross.key_projection, kind), getattr(cross.value_projection, kind)]
            )
            weights[ours + f"cross_attention.out.{kind}"] = getattr(cross.out_projection, kind)
            for k in (1, 2, 3):
                weights[ours + f"norm{k}.{kind}"] = getattr(getattr(layer, f"norm{k}"), kind)
        weights[ours + "ff1.weight"] = layer.conv1.weight[..., 0]  # kernel-1 convolutions
        weights[ours + "ff2.weight"] = layer.conv2.weight[..., 0]
        weights[ours + "ff1.bias"], weights[ours + "ff2.bias"] = layer.conv1.bias, layer.conv2.bias
    return {name: w.detach().clone() for name, w in weights.items()}


def compare_model(Model, cfg: TimeXerConfig, n_covariates: int, n_calendar: int = 4,
                  batch: int = 8, seed: int = 0) -> tuple[float, float, int, int]:  # fmt: skip
    """Largest forecast difference, mean forecast size, and both parameter counts.

    The official input is ``(B, L, covariates + target)`` plus the time marks ``(B, L, 4)``;
    ours is ``(B, L, target + covariates + calendar)`` plus the calendar over the horizon.
    """
    torch.manual_seed(seed)
    official = Model(official_arguments(cfg, n_covariates + 1)).eval()
    ours = TimeXer(cfg, 1, n_covariates, n_future=n_calendar, n_calendar=n_calendar).eval()
    ours.load_state_dict(official_weights_for_ours(official, cfg))  # strict: every name
    L, H = cfg.context_length, cfg.prediction_length
    values = torch.randn(batch, L, n_covariates + 1).cumsum(1) + 10.0
    marks = torch.rand(batch, L, n_calendar) - 0.5
    with torch.no_grad():
        expected = official(values.clone(), marks, None, None)[..., 0]
        ours_input = torch.cat([values[..., -1:], values[..., :-1], marks], dim=-1)
        got = ours(ours_input, torch.rand(batch, H, n_calendar) - 0.5)[..., 0]
    count = sum(p.numel() for p in official.parameters()), sum(p.numel() for p in ours.parameters())
    return (expected - got).abs().max().item(), expected.abs().mean().item(), *count


def compare_calendar(time_features) -> float:
    """Largest difference between our hourly calendar features and the official ones."""
    index = pd.date_range("2015-01-01", periods=24 * 800, freq="h")  # a leap year included
    names = CONFIGS["timexer_epf"].calendar
    return float(np.abs(calendar_features(index, names) - time_features(index, freq="h").T).max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, required=True, help="a thuml/TimeXer checkout")
    args = parser.parse_args(argv)
    Model, time_features = import_official(args.official)
    paper = CONFIGS["timexer_epf"]
    worst = 0.0
    architecture = {f.name for f in fields(TimeXerConfig)}
    for market, horizon in sorted(paper.paper):
        context, params = paper.settings(market, horizon)
        params = {**params, "context_length": context, "prediction_length": horizon}
        cfg = TimeXerConfig(**{k: v for k, v in params.items() if k in architecture})
        difference, size, n_official, n_ours = compare_model(Model, cfg, n_covariates=2)
        worst = max(worst, difference / size)
        print(f"{market}: largest forecast difference {difference:.2e} (mean |forecast| "
              f"{size:.3f}); parameters official {n_official:,}, ours {n_ours:,}")  # fmt: skip
    calendar = compare_calendar(time_features)
    print(f"hourly calendar features: largest difference {calendar:.2e}")
    return 0 if worst < 1e-5 and calendar < 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
