"""The hyperparameter constraints (tsfm.params) themselves; every forecaster's are walked by
tests/test_common.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tsfm
from tsfm.params import (
    FLAG,
    POSITIVE,
    RATE,
    Folder,
    Integer,
    InvalidParameterError,
    OneOf,
    Real,
    check_params,
)
from tsfm.training.config import LOSSES, seed_of


def test_integer_takes_numpy_integers_and_refuses_bools_floats_and_text():
    assert POSITIVE.accepts(1) and POSITIVE.accepts(np.int64(7)) and POSITIVE.accepts(np.uint8(3))
    for value in (0, -2, True, 2.0, 1.5, "2", None, np.float64(2.0)):
        assert not POSITIVE.accepts(value), value
    assert Integer(0, 3).accepts(3) and not Integer(0, 3).accepts(4)


def test_real_bounds_and_finiteness():
    assert RATE.accepts(0) and RATE.accepts(np.float32(0.5)) and not RATE.accepts(1.0)
    for value in (float("nan"), float("inf"), -0.1, True, "0.1", None):
        assert not RATE.accepts(value), value
    positive = Real(0, None, closed="neither")
    assert positive.accepts(1e-9) and not positive.accepts(0)
    assert positive.describe() == "a number > 0"
    assert Real(0, 1, closed="right").describe() == "a number in (0, 1]"


def test_alternatives_and_descriptions():
    constraint = POSITIVE | "auto" | None
    assert constraint.accepts(None) and constraint.accepts("auto") and constraint.accepts(3)
    assert not constraint.accepts("Auto") and not constraint.accepts(0)
    assert constraint.describe() == "an integer >= 1, 'auto' or None"
    assert FLAG.accepts(np.bool_(True)) and not FLAG.accepts(1)
    assert Folder().accepts(Path("x")) and not Folder().accepts("")


def test_one_of_a_table_reads_names_registered_later():
    constraint = OneOf(LOSSES)
    assert constraint.accepts("mse") and not constraint.accepts("fancy")
    LOSSES["fancy"] = LOSSES["mae"]
    try:
        assert constraint.accepts("fancy")
        tsfm.PatchTSTForecaster(loss="fancy")
    finally:
        del LOSSES["fancy"]


def test_check_params_names_owner_parameter_value_and_allowed():
    message = r"Model: n_heads=0 is not allowed; n_heads must be an integer >= 1"
    with pytest.raises(InvalidParameterError, match=message) as caught:
        check_params(
            "Model", {"d_model": 8, "n_heads": 0}, {"d_model": POSITIVE, "n_heads": POSITIVE}
        )
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


def test_random_state_none_is_unseeded():
    assert seed_of(3) == 3 and seed_of(np.int64(3)) == 3
    assert len({seed_of(None) for _ in range(5)}) == 5
    assert 0 <= seed_of(None) < 2**63
