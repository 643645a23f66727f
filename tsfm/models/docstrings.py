"""A neural forecaster's class docstring lists its hyperparameters.

The hyperparameters of a neural forecaster are the fields of its dataclasses (architecture,
output options, :class:`~tsfm.training.config.TrainConfig`), each documented once in its
dataclass's numpydoc ``Parameters`` section. :func:`with_hyperparameters` copies those
sections into the forecaster's own docstring, so ``help(tsfm.PatchTSTForecaster)`` and the API
reference show every hyperparameter where users look for it.
"""

from __future__ import annotations

import inspect
import re

#: A numpydoc section header's underline.
UNDERLINE = re.compile(r"^-{3,}\s*$")


def _is_header(lines: list[str], i: int) -> bool:
    """Whether ``lines[i]`` is a section title (unindented, underlined by the next line)."""
    return (
        i + 1 < len(lines)
        and bool(lines[i].strip())
        and not lines[i].startswith(" ")
        and bool(UNDERLINE.match(lines[i + 1]))
    )


def parameters_section(doc: str | None) -> str:
    """The entries of the ``Parameters`` section of a numpydoc docstring (empty if none)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    starts = [i for i in range(len(lines)) if _is_header(lines, i) and lines[i] == "Parameters"]
    if not starts:
        return ""
    body = []
    for i in range(starts[0] + 2, len(lines)):
        if _is_header(lines, i):
            break
        body.append(lines[i])
    return "\n".join(body).strip("\n")


def with_hyperparameters(doc: str | None, configs: list[type]) -> str:
    """``doc`` with a ``Parameters`` section made of the ``configs``' sections, placed before
    its first section (or at its end); a ``doc`` that has one keeps it."""
    text = inspect.cleandoc(doc or "")
    if parameters_section(text):
        return text
    entries = [parameters_section(config.__doc__) for config in configs]
    section = "Parameters\n----------\n" + "\n".join(e for e in entries if e)
    lines = text.splitlines()
    first = next((i for i in range(len(lines)) if _is_header(lines, i)), len(lines))
    head, tail = "\n".join(lines[:first]).rstrip(), "\n".join(lines[first:])
    return f"{head}\n\n{section}\n" + (f"\n{tail}\n" if tail else "")
