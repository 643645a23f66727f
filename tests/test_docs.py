"""The documentation builds without a warning, and its examples run as written.

The pages are MyST notebooks (myst-nb): the build runs every code cell and fails on an error,
so the built pages show today's output. The cells also run here without sphinx, for a quick
failure naming the page.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
#: Each page's code cells, run in order in one namespace (a later cell uses earlier names).
CELL = re.compile(r"```\{code-cell\} ipython3\n(.*?)```", flags=re.S)
EXAMPLES = {page.name: "\n".join(CELL.findall(page.read_text())) for page in PAGES}
EXAMPLES = {name: code for name, code in EXAMPLES.items() if code}
SPHINX = all(importlib.util.find_spec(m) for m in ("sphinx", "numpydoc", "myst_nb",
                                                   "pydata_sphinx_theme"))  # fmt: skip
ROOT = DOCS.parent


def _forecasters() -> list[str]:
    import tsfm

    return [name for name in tsfm.__all__
            if isinstance(getattr(tsfm, name), type)
            and issubclass(getattr(tsfm, name), tsfm.BaseForecaster)
            and not inspect.isabstract(getattr(tsfm, name))
            and name != "BaseForecaster"]  # fmt: skip


FORECASTERS = _forecasters()


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
        pytest.skip("sphinx, numpydoc, myst-nb or pydata-sphinx-theme not installed")
    out = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d",
               str(tmp_path / "doctrees"), str(DOCS), str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("index", "api", "zero_shot", "results/zero_shot_lowfreq"):
        assert (out / f"{page}.html").is_file()
    api = (out / "api.html").read_text()
    assert "PatchTSTForecaster" in api and "ComboForecaster" in api
    # the examples ran: their outputs (a table, a figure) are on the pages
    assert "cell_output" in (out / "getting_started.html").read_text()
    assert "<img" in (out / "probabilistic.html").read_text()
    # every forecaster's hyperparameters, from its docstring (numpydoc's Parameters section)
    forecasters = (out / "forecasters.html").read_text()
    assert forecasters.count(">Parameters<") >= len(FORECASTERS)


def test_the_api_reference_lists_every_public_name():
    import tsfm

    api = (DOCS / "api.rst").read_text()
    assert not [name for name in tsfm.__all__ if f"   tsfm.{name}\n" not in api]


def test_every_forecaster_has_its_section():
    """docs/forecasters.md documents every public forecaster, hyperparameters by autodoc."""
    page = (DOCS / "forecasters.md").read_text()
    missing = [name for name in FORECASTERS if f".. autoclass:: tsfm.{name}\n" not in page]
    assert not missing, f"docs/forecasters.md has no section for {missing}"


def test_every_benchmark_page_is_in_the_docs():
    """The docs include benchmarks/*.md as the commands wrote them, none retyped, none left out."""
    included = {
        (DOCS / "results" / m).resolve()
        for page in (DOCS / "results").glob("*.md")
        for m in re.findall(r"```\{include\} (\S+)", page.read_text())
    }
    wanted = {p.resolve() for p in (ROOT / "benchmarks").glob("*.md") if p.name != "NOTES.md"}
    wanted |= {(ROOT / "benchmarks/scripts/README.md").resolve(),
               (ROOT / "data/pretraining/README.md").resolve()}  # fmt: skip
    assert not wanted - included, sorted(str(p.relative_to(ROOT)) for p in wanted - included)
    assert all(p.is_file() for p in included)
    # NOTES.md is the notes section tsfm/benchmarks/tables.py writes into RESULTS.md
    assert "How these rows were run" in (ROOT / "benchmarks/RESULTS.md").read_text()
