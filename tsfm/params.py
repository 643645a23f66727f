"""Declarative hyperparameter constraints, as scikit-learn's ``_parameter_constraints``.

Every hyperparameter of every forecaster has one constraint, written beside it: in a config
dataclass as ``patch_len: int = param(16, Integer(1))``, or in a baseline's
``_parameter_constraints`` dict. :class:`~tsfm.base.BaseForecaster` checks them when the
forecaster is built, in ``set_params`` and again when it fits or forecasts, so a bad value is
refused with a message naming the parameter, the value and what is allowed, before it can
give a wrong forecast or an internal error.

Integer-valued numpy scalars count as integers and numpy floats as numbers; ``bool`` is not
a number here (``n_layers=True`` is refused). Alternatives combine with ``|``:
``Integer(1) | None`` is a positive integer or None, ``Integer(1) | "auto"`` one or ``"auto"``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Mapping

import numpy as np

#: Field metadata key holding a config field's constraint.
ALLOWED = "allowed"
#: Hyperparameters added since saved folders and checkpoints were first written, each with the
#: value that trains and forecasts as those were made: one without it is read with that value.
ADDED_PARAMS = {"drop_last": False, "attention_dropout": 0.0}


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter outside its constraint: both a ValueError and a TypeError, as
    scikit-learn's error of the same name (a wrong type and a wrong value are caught alike)."""


class Constraint:
    """What values a hyperparameter may take: :meth:`accepts` and :meth:`describe`."""

    def accepts(self, value) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __or__(self, other) -> AnyOf:
        return AnyOf(self, as_constraint(other))

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _bounds(low, high, closed: str) -> str:
    """``low``/``high`` as a readable range: ``>= 1``, ``in [0, 1)``, ``> 0``."""
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    if low is not None and high is not None:
        return f" in {left}{low}, {high}{right}"
    if low is not None:
        return f" {'>=' if left == '[' else '>'} {low}"
    if high is not None:
        return f" {'<=' if right == ']' else '<'} {high}"
    return ""


def _within(value, low, high, closed: str) -> bool:
    if low is not None and (value < low or (value == low and closed in ("right", "neither"))):
        return False
    return high is None or not (value > high or (value == high and closed in ("left", "neither")))


@dataclasses.dataclass(frozen=True, repr=False)
class Integer(Constraint):
    """An integer (numpy integers too, never ``bool``) from ``low`` to ``high`` inclusive."""

    low: int | None = None
    high: int | None = None

    def accepts(self, value) -> bool:
        return _is_integer(value) and _within(value, self.low, self.high, "both")

    def describe(self) -> str:
        return "an integer" + _bounds(self.low, self.high, "both")


@dataclasses.dataclass(frozen=True, repr=False)
class Real(Constraint):
    """A finite number (int or float, numpy's too, never ``bool``) between ``low`` and ``high``;
    ``closed`` says which ends belong: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value) -> bool:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return False
        return math.isfinite(value) and _within(value, self.low, self.high, self.closed)

    def describe(self) -> str:
        return "a number" + _bounds(self.low, self.high, self.closed)


class OneOf(Constraint):
    """One of the given values, or a key of a mapping (read when checked, so that names
    registered later, such as a new loss, are accepted)."""

    def __init__(self, *options):
        self.options = options

    def _choices(self) -> list:
        if len(self.options) == 1 and isinstance(self.options[0], Mapping):
            return list(self.options[0])
        return list(self.options)

    def accepts(self, value) -> bool:
        return any(isinstance(value, type(c)) and value == c for c in self._choices())

    def describe(self) -> str:
        choices = self._choices()
        return f"{choices[0]!r}" if len(choices) == 1 else f"one of {choices}"


class Boolean(Constraint):
    """``True`` or ``False`` (numpy's too)."""

    def accepts(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))

    def describe(self) -> str:
        return "True or False"


class Folder(Constraint):
    """A folder's path: a non-empty string or an ``os.PathLike``."""

    def accepts(self, value) -> bool:
        return isinstance(value, os.PathLike) or (isinstance(value, str) and value != "")

    def describe(self) -> str:
        return "a folder path (a non-empty str or os.PathLike)"


@dataclasses.dataclass(frozen=True, repr=False)
class Integers(Constraint):
    """Integers from ``low`` to ``high`` inclusive, one or more (e.g. one patch length per
    branch): a list or tuple, or a comma-separated string such as ``"8,16"`` (which survives
    ``config.json`` and the command line unchanged); read with :func:`as_ints`."""

    low: int | None = None
    high: int | None = None

    def accepts(self, value) -> bool:
        try:
            values = as_ints(value)
        except (TypeError, ValueError):
            return False
        return len(values) > 0 and all(map(Integer(self.low, self.high).accepts, values))

    def describe(self) -> str:
        bounds = _bounds(self.low, self.high, "both")
        return f"a list of integers{bounds} or a string like '8,16'"


def as_ints(value) -> tuple[int, ...]:
    """The integers of an :class:`Integers` value: ``"8, 16"``, ``[8, 16]`` or ``(8, 16)``."""
    if isinstance(value, str):
        return tuple(int(part) for part in value.split(","))
    if not isinstance(value, (list, tuple)) or not all(map(_is_integer, value)):
        raise TypeError(f"not a list of integers: {value!r}")
    return tuple(int(v) for v in value)


class IsNone(Constraint):
    def accepts(self, value) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class AnyOf(Constraint):
    """Any of several constraints (built with ``|``)."""

    def __init__(self, *constraints: Constraint):
        self.constraints = constraints

    def accepts(self, value) -> bool:
        return any(c.accepts(value) for c in self.constraints)

    def describe(self) -> str:
        parts = [c.describe() for c in self.constraints]
        return ", ".join(parts[:-1]) + " or " + parts[-1]

    def __or__(self, other) -> AnyOf:
        return AnyOf(*self.constraints, as_constraint(other))


def as_constraint(value) -> Constraint:
    """A constraint as given; ``None`` and a string stand for that value."""
    if isinstance(value, Constraint):
        return value
    if value is None:
        return IsNone()
    if isinstance(value, str):
        return OneOf(value)
    raise TypeError(f"not a constraint: {value!r}")


#: The constraints most hyperparameters share.
POSITIVE = Integer(1)
RATE = Real(0, 1, closed="left")  # dropout: 1 would drop everything
SHARE = Real(0, 1)
FLAG = Boolean()


def param(default, allowed) -> dataclasses.Field:
    """A config dataclass field with its constraint (kept in the field's metadata)."""
    return dataclasses.field(default=default, metadata={ALLOWED: as_constraint(allowed)})


def field_constraints(*configs: type) -> dict[str, Constraint]:
    """Name to constraint of every field of the dataclasses ``configs``, in order."""
    return {
        f.name: f.metadata[ALLOWED]
        for config in configs
        for f in dataclasses.fields(config)
        if ALLOWED in f.metadata
    }


def check_params(owner: str, params: Mapping, constraints: Mapping[str, Constraint]) -> None:
    """Refuse the first of ``params`` its constraint does not accept.

    Raises
    ------
    InvalidParameterError
        Naming ``owner``, the parameter, the value and what is allowed.
    """
    for name, value in params.items():
        allowed = constraints.get(name)
        if allowed is not None and not allowed.accepts(value):
            raise InvalidParameterError(
                f"{owner}: {name}={value!r} is not allowed; {name} must be {allowed.describe()}"
            )
