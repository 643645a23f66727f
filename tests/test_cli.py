"""The tsfm command."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_leaderboard_and_writes_plot(tmp_path):
    out = tmp_path / "demo.png"
    result = subprocess.run(
        [sys.executable, "-m", "tsfm.cli", "demo", "--quick", "--output", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "MASE" in result.stdout and "SeasonalNaive" in result.stdout and "ETS" in result.stdout
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
