"""What dropout on attention weights costs TimeDART's encoder on a CPU (a study, once).

``python benchmarks/scripts/attention_dropout_cost.py [--threads 1] [--rounds 3]`` times the
forward and backward pass of one attention layer over one pretraining batch of the ETTh1
configuration (16 windows x 7 channels, 16 heads of width 2 over 168 patches, causal mask):
without dropout on the weights (the fused kernel streams the maps) and with dropout 0.2 (the
maps are formed in memory). benchmarks/TIMEDART.md quotes it.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    q, k, v = (torch.randn(16 * 7, 16, 168, 2, requires_grad=True) for _ in range(3))
    causal = torch.ones(168, 168, dtype=torch.bool).tril()

    def seconds(dropout: float) -> float:
        def step():
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=causal, dropout_p=dropout)
            out.sum().backward()

        step()  # warm-up
        start = time.perf_counter()
        for _ in range(args.rounds):
            step()
        return (time.perf_counter() - start) / args.rounds

    plain, dropped = seconds(0.0), seconds(0.2)
    print(
        f"one attention layer, forward + backward, {args.threads} thread(s): "
        f"{plain:.3f} s without weight dropout, {dropped:.3f} s with 0.2 "
        f"({dropped / plain:.1f}x)"
    )


if __name__ == "__main__":
    main()
