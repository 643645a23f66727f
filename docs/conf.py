"""Sphinx configuration of the tsfm documentation (``sphinx-build -W -b html docs docs/_build``)."""

from __future__ import annotations

import tsfm

project = "tsfm"
author = "the tsfm developers"
release = version = getattr(tsfm, "__version__", "")
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
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
suppress_warnings = ["myst.header", "myst.xref_missing"]
