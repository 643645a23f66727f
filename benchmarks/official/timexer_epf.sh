#!/usr/bin/env bash
# Run thuml/TimeXer's own run.py on one EPF market, on CPU with one torch thread, to measure what
# the official code gives on this machine (results in benchmarks/TIMEXER_OFFICIAL.md).
#
# usage: OFFICIAL_TIMEXER=<git dir of thuml/TimeXer> PYTHON=<python with torch, pandas, sklearn>
#        benchmarks/official/timexer_epf.sh MARKET SEED [RUN.PY ARGUMENTS...] > log
#
# Arguments after the seed are appended to the official command (run.py keeps the last value
# of a repeated option), e.g. `--d_model 128 --train_epochs 4` for a smaller study. With
# TIMEXER_DRIVER set, that Python file is run in the prepared copy instead of run.py, with the
# same arguments (benchmarks/scripts/training_parity.py uses this to hook into the official run).
#
# The market's command is taken unchanged from the official scripts/forecast_exogenous/EPF/
# TimeXer.sh, plus `--num_workers 0` (no loader processes on 2 cores) and a private checkpoint
# directory. Nothing of the official code is kept in this project: it is unpacked into a temporary
# directory, and three edits that touch neither the model nor the training are made there:
#   - exp/exp_basic.py imports only TimeXer (the other models need packages we do not install),
#     and empty stand-ins replace patoolib, sktime and reformer_pytorch, imported by unused code;
#   - utils/tools.py: np.Inf -> np.inf (removed in NumPy 2);
#   - run.py: the seed (2021 in the official code) comes from SEED, and torch uses one thread.
set -euo pipefail
market=$1
seed=$2
python=${PYTHON:-python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git --git-dir "$OFFICIAL_TIMEXER" archive HEAD | tar -x -C "$work"
echo "thuml/TimeXer $(git --git-dir "$OFFICIAL_TIMEXER" rev-parse HEAD), market $market, seed $seed"
cd "$work"

mkdir -p stubs/patoolib stubs/sktime/datasets stubs/reformer_pytorch
touch stubs/patoolib/__init__.py stubs/sktime/__init__.py
echo "def load_from_tsfile_to_dataframe(*args, **kwargs): raise NotImplementedError" \
  > stubs/sktime/datasets/__init__.py
echo "LSHSelfAttention = None" > stubs/reformer_pytorch/__init__.py

"$python" - "$market" > command.txt <<'EOF'
import re
import sys
from pathlib import Path

basic = Path("exp/exp_basic.py")
text = re.sub(r"from models import .*?TimeXer\n", "from models import TimeXer\n",
              basic.read_text(), flags=re.S)
text = re.sub(r"self\.model_dict = \{.*?\n        \}", "self.model_dict = {'TimeXer': TimeXer}",
              text, flags=re.S)
basic.write_text(text)
tools = Path("utils/tools.py")
tools.write_text(tools.read_text().replace("np.Inf", "np.inf"))
run = Path("run.py")
run.write_text(run.read_text().replace(
    "fix_seed = 2021", "fix_seed = int(os.environ['SEED'])\n    torch.set_num_threads(1)"))

script = Path("scripts/forecast_exogenous/EPF/TimeXer.sh").read_text()
variables = dict(re.findall(r"^(\w+)=['\"]?([^'\"\n]*)['\"]?$", script, flags=re.M))
blocks = [b for b in script.split("python3 -u run.py")[1:] if f"{sys.argv[1]}.csv" in b]
if len(blocks) != 1:
    sys.exit(f"expected one command for market {sys.argv[1]!r}, found {len(blocks)}")
args = blocks[0].replace("\\\n", " ").split()
print(" ".join(variables.get(a[1:], a) if a.startswith("$") else a for a in args))
EOF
read -r -a official_args < command.txt
args=("${official_args[@]}" --num_workers 0 --checkpoints "$work/checkpoints/" "${@:3}")
runner=${TIMEXER_DRIVER:-run.py}
echo "$(basename "$runner") ${args[*]}"
SEED=$seed PYTHONPATH=$work/stubs OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$python" -u "$runner" "${args[@]}"
