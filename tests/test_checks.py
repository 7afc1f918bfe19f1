"""The visible-test helpers say what is wrong in plain sentences."""
from __future__ import annotations

import numpy as np
import pytest

from course.checks import CheckFailed, call, describe_mismatch, expect_close, expect_raises, expect_unchanged


def test_shape_message():
    assert describe_mismatch(np.zeros((3, 4)), np.zeros((4, 3))) == "expected shape (4, 3), got (3, 4)"


def test_small_values_are_shown():
    message = describe_mismatch(np.array([-1.0, 2.0]), np.array([0.0, 2.0]))
    assert message == "got [-1.,  2.], expected [0., 2.]"


def test_large_arrays_point_at_the_worst_entry():
    got, expected = np.zeros((5, 5)), np.zeros((5, 5))
    got[1, 2] = 0.5
    message = describe_mismatch(got, expected)
    assert "1 of 25 entries differ" in message and "(1, 2)" in message


def test_none_and_types():
    assert "return" in describe_mismatch(None, np.zeros(2))
    assert describe_mismatch("text", np.zeros(2)) == "expected an array, got a str"
    assert "floating-point" in describe_mismatch(np.array([True, False]), np.array([1.0, 0.0]))


def test_nan_is_explained():
    assert "NaN" in describe_mismatch(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))


def test_dicts_name_the_key():
    assert describe_mismatch({"w": np.ones(2)}, {"w": np.zeros(2), "b": 1.0}) == "the result has no entry 'b'"
    assert describe_mismatch({"w": np.ones(2)}, {"w": np.zeros(2)}).startswith("['w']: ")


def test_matching_values_pass():
    assert describe_mismatch(np.ones(3) + 1e-12, np.ones(3)) is None
    assert describe_mismatch([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]) is None
    assert describe_mismatch(("ValueError", 1.0), ("ValueError", 1.0)) is None


def test_call_turns_errors_into_sentences():
    def relu(z):
        raise NotImplementedError()

    def broken(z):
        raise ValueError("bad shapes")

    def forgetful(z):
        pass

    with pytest.raises(CheckFailed, match="relu is not implemented yet"):
        call(relu, 1.0)
    with pytest.raises(CheckFailed, match="broken raised ValueError: bad shapes"):
        call(broken, 1.0)
    with pytest.raises(CheckFailed, match="forgetful returned None"):
        call(forgetful, 1.0)


def test_expectations():
    with pytest.raises(CheckFailed, match=r"relu\(-1.0\): got -1, expected 0"):
        expect_close(-1.0, 0.0, "relu(-1.0)")
    with pytest.raises(CheckFailed, match="expected ValueError, but nothing was raised"):
        expect_raises(ValueError, lambda: None, what="f()")
    with pytest.raises(CheckFailed, match="was modified in place"):
        expect_unchanged(np.zeros(2), np.ones(2), "the input")
