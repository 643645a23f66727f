"""Issue 34's first hour of a new user, run as a script in fresh interpreters.

What a user meets first (the README quickstart, ``tsfm.forecast``, a fit, a backtest, the CLI,
``help``, a plot, save and load) is run here as the user runs it: in new Python processes, so
that what a single test process hides (a class not yet imported, a backend already chosen)
cannot. Tiny models and few steps keep it within seconds.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

TINY = (
    "prediction_length=12, context_length=48, patch_len=8, stride=8, d_model=16, n_heads=2, "
    "d_ff=32, n_layers=1, max_epochs=1, verbose=0, n_threads=1, random_state=0"
)

SESSION_ONE = f"""
import warnings
import numpy as np
import pandas as pd
import matplotlib
import tsfm
from tests.conftest import make_long, make_series

# dir(tsfm) and tab completion show the lazily loaded names.
assert {{"PatchTSTForecaster", "forecast", "from_pretrained"}} <= set(dir(tsfm))

# A zero-shot forecast of a PeriodIndex series: periods in, periods out.
monthly = pd.Series(
    10 + np.sin(np.arange(96) * np.pi / 6), index=pd.period_range("2015-01", periods=96, freq="M")
)
out = tsfm.forecast(monthly, 6)
assert isinstance(out.index, pd.PeriodIndex) and out.index[0] == pd.Period("2023-01", "M")

# Date strings in ds and Nixtla's column names.
data = make_long((200, 180, 160))
shop = data.rename(columns={{"unique_id": "store", "ds": "date", "y": "sales"}})
shop["date"] = shop["date"].dt.strftime("%Y-%m-%d %H:%M")
out = tsfm.forecast(shop, 12, id_col="store", time_col="date", target_col="sales")
assert list(out.columns[:2]) == ["store", "date"] and len(out) == 36

# One backtest with intervals for point and probabilistic models alike.
models = {{
    "SeasonalNaive": tsfm.SeasonalNaive(24, 12),
    "PatchTST": tsfm.PatchTSTForecaster({TINY}),
    "tsfm-small-v2": tsfm.from_pretrained("tsfm-small-v2", num_samples=20),
}}
result = tsfm.backtest(models, data, 12, n_windows=2, quantiles=[0.1, 0.9])
board = result.leaderboard().set_index("model")
assert board["interval_80"].notna().all(), board

# MASE means the same in evaluate, backtest and the leaderboard.
series = make_series(300)
one = tsfm.backtest(
    {{"SeasonalNaive": tsfm.SeasonalNaive(24, 12), "PatchTST": tsfm.PatchTSTForecaster({TINY})}},
    series, 12, n_windows=1, refit=False,
)
for name, model in [("SeasonalNaive", tsfm.SeasonalNaive(24, 12)),
                    ("PatchTST", tsfm.PatchTSTForecaster({TINY}))]:
    mase = model.fit(series.iloc[:-12]).evaluate(series, test_size=12).iloc[-1]["mase"]
    assert np.isclose(one.overall()["mase"][name], mase), name
    assert np.isclose(one.leaderboard().set_index("model")["mase"][name], mase), name

# A fit, a plot, a recursive forecast beyond prediction_length, a save without the data.
model = tsfm.PatchTSTForecaster({TINY}, recursive=True).fit(series)
fig = model.plot(horizon=24)
assert isinstance(fig, matplotlib.figure.Figure)
assert len(fig.axes[0].get_lines()[1].get_ydata()) == 24
assert len(model.predict(horizon=30)) == 30
model.save("patchtst")
model.save("patchtst-nodata", include_data=False)
series.to_frame("load").to_csv("series.csv")
np.save("expected.npy", model.predict()["mean"].to_numpy())
print("session one ok")
"""

SESSION_TWO = """
import numpy as np
import pandas as pd
import tsfm

# A saved neural model loads in a new interpreter without touching its class first.
model = tsfm.BaseForecaster.load("patchtst")
assert np.allclose(model.predict()["mean"].to_numpy(), np.load("expected.npy"))
light = tsfm.BaseForecaster.load("patchtst-nodata")
try:
    light.predict()
except ValueError as error:
    assert "include_data=False" in str(error), error
else:
    raise AssertionError("a model saved without its data forecast without data")
series = pd.read_csv("series.csv", index_col=0, parse_dates=True)["load"].asfreq("h")
assert np.allclose(light.predict(series)["mean"].to_numpy(), np.load("expected.npy"))
help_text = tsfm.PatchTSTForecaster.__doc__
assert "d_model" in help_text and "max_epochs" in help_text
assert not hasattr(tsfm.PatchTSTForecaster, "set_fit_request")
print("session two ok")
"""


def python(code: str, cwd) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter with MPLBACKEND unset (a user's session)."""
    import os
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1])  # for tests.conftest's data makers
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        cwd=cwd, env=env, timeout=300,
    )  # fmt: skip


def tsfm_command(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tsfm.cli", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


def test_first_hour_in_python(tmp_path):
    first = python(SESSION_ONE, tmp_path)
    assert first.returncode == 0 and "session one ok" in first.stdout, first.stderr
    second = python(SESSION_TWO, tmp_path)
    assert second.returncode == 0 and "session two ok" in second.stdout, second.stderr


def test_first_hour_on_the_command_line(tmp_path):
    demo = tsfm_command("demo", cwd=tmp_path)  # the README's quickstart command, verbatim
    assert demo.returncode == 0, demo.stderr
    assert "MASE" in demo.stdout and (tmp_path / "tsfm_demo.png").exists()
    assert tsfm_command("--version", cwd=tmp_path).stdout.startswith("tsfm ")
    helped = tsfm_command("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "``" not in helped.stdout
    wrong = tsfm_command("benchmark", "--model", "nonsense", cwd=tmp_path)
    assert wrong.returncode == 2 and "patchtst42" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    python("from tests.conftest import make_long; make_long((120, 100)).to_csv('d.csv', "
           "index=False)", tmp_path)  # fmt: skip
    forecast = tsfm_command(
        "forecast", "d.csv", "--horizon", "12", "--quantiles", "0.1", "0.9", "--output",
        "f.csv", "--plot", "f.png", cwd=tmp_path,
    )  # fmt: skip
    assert forecast.returncode == 0, forecast.stderr
    assert (tmp_path / "f.csv").exists() and (tmp_path / "f.png").exists()
    backtest = tsfm_command(
        "backtest", "d.csv", "--models", "seasonal_naive,tsfm-combo", "--horizon", "12",
        "--quantiles", "0.1", "0.9", "--output", "bt", cwd=tmp_path,
    )  # fmt: skip
    assert backtest.returncode == 0, backtest.stderr
    assert "\x1b" not in backtest.stderr and "tsfm-combo" in backtest.stdout
