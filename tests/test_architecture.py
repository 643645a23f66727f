"""Which way imports run (DESIGN.md), checked by machine: scan every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "tsfm"

FORBIDDEN = {
    "nn": ["pandas", "tsfm.data", "tsfm.models", "tsfm.training", "tsfm.baselines",
           "tsfm.evaluation", "tsfm.base", "tsfm.datasets"],
    "data": ["torch", "tsfm.nn", "tsfm.models", "tsfm.training", "tsfm.baselines",
             "tsfm.evaluation", "tsfm.base"],
    "baselines": ["torch", "tsfm.nn", "tsfm.models", "tsfm.training"],
    "training": ["tsfm.models", "tsfm.baselines", "tsfm.evaluation.compare"],
    "evaluation": ["torch", "tsfm.models", "tsfm.baselines", "tsfm.base", "tsfm.nn",
                   "tsfm.training"],
    "base.py": ["torch", "tsfm.models", "tsfm.baselines", "tsfm.nn", "tsfm.training"],
    "datasets.py": ["torch", "tsfm.models", "tsfm.nn", "tsfm.base"],
    "pretrained": ["tsfm.evaluation.compare", "tsfm.training"],
}  # fmt: skip
for _part in ("nn", "data", "baselines", "training", "evaluation", "base.py", "datasets.py"):
    FORBIDDEN[_part].append(
        "tsfm.pretrained"
    )  # pretrained builds models: nothing below it calls up


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_import_arrows(part):
    target = ROOT / part
    files = [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))
    if not files or not all(f.exists() for f in files):
        pytest.skip(f"tsfm/{part} does not exist yet")
    for path in files:
        for name in imports_of(path):
            for banned in FORBIDDEN[part]:
                assert not (name == banned or name.startswith(banned + ".")), (
                    f"{path.relative_to(ROOT.parent)} imports {name}: "
                    f"{part} must not import {banned}"
                )


def test_models_reach_pretrained_only_through_from_pretrained():
    """The one arrow from models to pretrained (DESIGN.md draws pretrained -> models), justified.

    ``SomeForecaster.from_pretrained()`` is the estimator-side door to the shipped weights (as
    transformers' classes have it); it needs the registry in tsfm.pretrained, which imports the
    models, so the import is lazy, inside that method, and nowhere else: no model module imports
    pretrained at import time, and no model's code depends on the registry or the corpus.
    """
    found = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        tree = ast.parse(path.read_text())
        owner = {}  # each node's innermost enclosing function
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if node is not function:
                        owner[node] = function.name
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(n == "tsfm.pretrained" or n.startswith("tsfm.pretrained.") for n in names):
                found.append((path.name, owner.get(node, "module level")))
    assert found == [("neural.py", "from_pretrained")], found


def test_training_and_evaluation_never_name_a_model():
    for part in ("training", "evaluation"):
        for path in sorted((ROOT / part).rglob("*.py")) if (ROOT / part).exists() else []:
            text = path.read_text()
            for model in ("PatchTST", "TimeXer", "XPatch", "TSMixer", "Sundial"):
                assert model not in text, f"{path.name} names {model}"


def test_dir_lists_the_lazily_loaded_names():
    """``dir(tsfm)`` (and so tab completion) shows every public name, torch models included."""
    import tsfm

    names = dir(tsfm)
    assert set(tsfm.__all__) <= set(names)
    assert {"PatchTSTForecaster", "forecast", "from_pretrained", "__version__"} <= set(names)
    assert names == sorted(names)
