"""Sphinx configuration of the tsfm documentation (``sphinx-build -W -b html docs docs/_build``)."""

from __future__ import annotations

import os

import tsfm

# The example kernels inherit this environment: let them draw inline (a test run sets Agg).
os.environ.pop("MPLBACKEND", None)

project = "tsfm"
author = "the tsfm developers"
release = version = getattr(tsfm, "__version__", "")
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",  # MyST Markdown; pages with code cells run at every build (a failing one fails it)
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
html_title = "tsfm"
myst_heading_anchors = 3
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
nitpicky = False
# The benchmark pages are included as their commands wrote them (SPEED.md goes from # to ###).
suppress_warnings = ["myst.header"]
nb_execution_mode = "force"  # every build runs every example: the docs show today's output
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_execution_excludepatterns = ["results/*"]
nb_merge_streams = True
