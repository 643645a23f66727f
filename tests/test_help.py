"""``help()`` of tsfm: every hyperparameter in each forecaster's docstring, every setting of
``tsfm.forecast`` in its own, and no scikit-learn metadata-routing boilerplate."""

from __future__ import annotations

import inspect
import pydoc
import re

import pytest
import sklearn

import tsfm
from tsfm.catalog import forecaster_classes
from tsfm.models.docstrings import parameters_section, with_hyperparameters

CLASSES = forecaster_classes()


def documented(doc: str | None) -> set[str]:
    """Names in the entries (``name : type`` or ``a, b : type``) of a Parameters section."""
    names = set()
    for line in parameters_section(doc).splitlines():
        if line and not line.startswith(" "):
            names.update(n.strip() for n in re.split(r"[,:]", line.split(" : ")[0]) if n.strip())
    return names


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_docstring_lists_every_hyperparameter(name):
    cls = CLASSES[name]
    params = set(inspect.signature(cls).parameters)
    missing = params - documented(cls.__doc__)
    assert not missing, f"{cls.__name__}'s docstring does not document {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_no_metadata_routing_boilerplate(name):
    cls = CLASSES[name]
    assert not [m for m in dir(cls) if m.startswith("set_") and m.endswith("_request")]
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    assert "_request(" not in text and "$UNCHANGED$" not in text
    with sklearn.config_context(enable_metadata_routing=True):  # routing still answers
        cls(**cls._test_params()).get_metadata_routing()


def test_forecast_documents_every_setting():
    doc = tsfm.forecast.__doc__
    named = set(inspect.signature(tsfm.forecast).parameters) - {"settings"}
    assert named <= documented(doc) and "**settings" in doc
    for model in ("ComboForecaster", "SundialForecaster"):  # the shipped models' classes
        assert f"help(tsfm.{model})" in doc


def test_with_hyperparameters_inserts_before_the_first_section():
    class Arch:
        """Arch.

        Parameters
        ----------
        width : int
            Width.
        """

    class Train:
        """Train.

        Parameters
        ----------
        epochs : int
            Epochs.

        Notes
        -----
        Not copied.
        """

    doc = "Model.\n\n    More text.\n\n    Examples\n    --------\n    >>> 1\n"
    out = with_hyperparameters(doc, [Arch, Train])
    assert out.index("More text") < out.index("Parameters") < out.index("Examples")
    assert "width : int" in out and "epochs : int" in out and "Not copied" not in out
    assert documented(out) == {"width", "epochs"}
    assert with_hyperparameters(out, [Arch]) == inspect.cleandoc(out)  # kept as it is
