"""The visible-test helpers say what is wrong in plain sentences."""
from __future__ import annotations

import numpy as np
import pytest

from course.checks import (HEADLINE, CheckFailed, call, describe_mismatch, expect_close, expect_raises,
                           expect_unchanged, verdict)


def test_shape_message():
    assert describe_mismatch(np.zeros((3, 4)), np.zeros((4, 3))) == "expected shape (4, 3), got (3, 4)"


def test_small_values_are_shown():
    message = describe_mismatch(np.array([-1.0, 2.0]), np.array([0.0, 2.0]))
    assert message == "expected [0, 2], got [-1, 2]"


def test_longer_small_arrays_name_the_first_wrong_entry_first():
    got, expected = np.sin(np.pi * 0.5 * np.arange(3)), np.array([1.0, 0.0, -1.0])
    assert describe_mismatch(got, expected, atol=1e-9) == (
        "index 0: expected 1, got 0; all entries: expected [1, 0, -1], got [0, 1, 1.225e-16]")


def test_values_are_printed_with_the_digits_that_tell_them_apart():
    assert describe_mismatch(2.00001, 2.0) == "expected 2, got 2.00001"
    assert describe_mismatch(0.4794255386, 1.0) == "expected 1, got 0.4794"


def test_large_arrays_point_at_the_worst_entry():
    got, expected = np.zeros((5, 5)), np.zeros((5, 5))
    got[1, 2] = 0.5
    message = describe_mismatch(got, expected)
    assert message == "index (1, 2): expected 0, got 0.5; 1 of 25 entries differ (this one the most)"


def test_none_and_types():
    assert "return" in describe_mismatch(None, np.zeros(2))
    assert describe_mismatch("text", np.zeros(2)) == "expected an array, got a str"
    assert "floating-point" in describe_mismatch(np.array([True, False]), np.array([1.0, 0.0]))


def test_nan_is_explained():
    assert describe_mismatch(np.array([np.nan, 1.0]), np.array([0.0, 1.0])) == (
        "index 0: expected 0, got NaN; NaN in 1 of 2 entries: an overflow or a division by zero?")
    assert describe_mismatch(np.float64(np.inf), 3.0) == "expected 3, got inf; an overflow?"


def test_dicts_name_the_key():
    assert describe_mismatch({"w": np.ones(2)}, {"w": np.zeros(2), "b": 1.0}) == "the result has no entry 'b'"
    assert describe_mismatch({"w": np.ones(2)}, {"w": np.zeros(2)}) == "['w']: expected [0, 0], got [1, 1]"


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
    with pytest.raises(CheckFailed, match=r"^relu\(-1.0\): expected 0, got -1$"):
        expect_close(-1.0, 0.0, "relu(-1.0)")
    with pytest.raises(CheckFailed, match=r"^f\(\): expected ValueError, but nothing was raised$"):
        expect_raises(ValueError, lambda: None, what="f()")
    with pytest.raises(CheckFailed, match=r"^f\(\): expected ValueError, got TypeError; it said: no"):
        expect_raises(ValueError, _raise_type_error, what="f()")
    with pytest.raises(CheckFailed, match=r"^the input was modified in place; expected \[0, 0\], got \[1, 1\]"):
        expect_unchanged(np.zeros(2), np.ones(2), "the input")


def _raise_type_error():
    raise TypeError("no")


def test_the_key_fact_comes_first_when_the_description_is_long():
    what = "row x = 0.5 (sin(pi/2), sin(pi), sin(3pi/2))"
    with pytest.raises(CheckFailed) as failure:
        expect_close(np.sin(np.pi * 0.5 * np.arange(3)), [1.0, 0.0, -1.0], what, atol=1e-9)
    assert str(failure.value) == (f"index 0: expected 1, got 0 — {what}; "
                                  "all entries: expected [1, 0, -1], got [0, 1, 1.225e-16]")
    assert verdict("relu(-1.0)", "expected 0, got -1; detail") == "relu(-1.0): expected 0, got -1; detail"
    long = "w" * HEADLINE
    assert verdict(long, "expected 0, got -1") == f"expected 0, got -1 — {long}"
