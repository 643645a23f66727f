"""The documentation builds without a warning, and its Python examples run as written."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
#: Each page's Python blocks, run in order in one namespace (a later block uses earlier names).
EXAMPLES = {
    page.name: "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S))
    for page in PAGES
}
EXAMPLES = {name: code for name, code in EXAMPLES.items() if code}
SPHINX = all(importlib.util.find_spec(m) for m in ("sphinx", "numpydoc", "myst_parser",
                                                   "pydata_sphinx_theme"))  # fmt: skip


def test_the_pages_have_examples():
    assert len(EXAMPLES) >= 7  # getting started, data, forecasters, covariates, ...


@pytest.mark.parametrize("page", sorted(EXAMPLES))
def test_docs_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(EXAMPLES[page], f"docs/{page}", "exec"), {})


def test_docs_build_without_warnings(tmp_path):
    if not SPHINX:
        if os.environ.get("CI") == "true":
            pytest.fail("the docs tools are not installed: pip install -e '.[docs]'")
        pytest.skip("sphinx, numpydoc, myst-parser or pydata-sphinx-theme not installed")
    out = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d",
               str(tmp_path / "doctrees"), str(DOCS), str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("index", "api", "zero_shot", "results/zero_shot_lowfreq"):
        assert (out / f"{page}.html").is_file()
    api = (out / "api.html").read_text()
    assert "PatchTSTForecaster" in api and "ComboForecaster" in api
