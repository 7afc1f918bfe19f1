"""Friendly checks for the visible tests in the lecture notebooks.

A failing check raises :class:`CheckFailed` with a plain sentence that says what is wrong
instead of a bare ``assert``. The sentence puts the key fact first and the detail after a
semicolon ("relu([-1, 2]): expected [0, 2], got [-1, 2]", "expected shape (4, 3), got (3, 4)",
"index 0: expected 1, got 0.4794 — row x = 0.5 (...); all entries: expected [...], got [...]"),
because ``nbgrader validate`` (and the Validate button) may show only the first line's first
:data:`HEADLINE` characters. :func:`describe_mismatch` is the one place that turns two values
into such a sentence; the instructor's hidden tests use it too.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "HEADLINE",
    "CheckFailed",
    "call",
    "describe_mismatch",
    "expect_close",
    "expect_equal",
    "expect_raises",
    "expect_true",
    "expect_unchanged",
    "passed",
    "verdict",
]

# nbgrader validate prints each traceback line indented by 4 and cut after 87 characters, so
# "CheckFailed: " leaves 70 for the message: the key fact of a verdict fits in that many.
HEADLINE = 70
SHOW_AT_MOST = 6  # arrays with at most this many entries are printed in full
SHORT_PAIR = 40  # "expected [...], got [...]" up to this long is the whole verdict
SHORT_VALUE = 30  # characters of a value (a string's repr, a set) in the key fact


class CheckFailed(AssertionError):
    """A visible or hidden test found a mistake; the message says which."""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fmt(value: Any, limit: int = 80) -> str:
    """Short, readable text for a value in a message."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _fmt(value.item(), limit)
        if value.size <= SHOW_AT_MOST:
            return _entries(value, 6)
        return f"an array of shape {value.shape}"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return _clip(repr(value), limit)


def _number(value: Any, digits: int) -> str:
    """One entry of an array: integers and booleans as they are, floats with ``digits``
    significant digits (1.0 prints as 1)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, complex | np.complexfloating):
        return f"{complex(value):.{digits}g}"
    return "NaN" if np.isnan(value) else f"{float(value):.{digits}g}"


def _entries(array: np.ndarray, digits: int) -> str:
    """A small array as a nested list on one line: ``[[1, 0.5], [2, 3]]``."""
    if array.ndim == 0:
        return _number(array.item(), digits)
    return "[" + ", ".join(_entries(row, digits) for row in array) + "]"


def _digits(got: Any, expected: Any) -> int:
    """The fewest significant digits (at least 4) at which ``got`` and ``expected`` print differently."""
    for digits in range(4, 17):
        if _number(got, digits) != _number(expected, digits):
            return digits
    return 17


def _index(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def _type_name(value: Any) -> str:
    return type(value).__name__


def _is_arraylike(value: Any) -> bool:
    return isinstance(value, np.ndarray | list | tuple | int | float | bool | np.number | np.bool_) or (
        hasattr(value, "__array__") and not isinstance(value, str)
    )


def _as_array(value: Any) -> np.ndarray | None:
    """``value`` as a numpy array, or None when it is not numeric data."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype == object:
        return None
    return array


def _as_array_quietly(value: Any) -> np.ndarray | None:
    """A numeric array for rectangular numeric data; None for ragged or mixed containers."""
    try:
        array = np.asarray(value)
    except ValueError:
        return None
    return array if array.dtype.kind in "biufc" else None


def _kind(array: np.ndarray) -> str:
    if array.dtype.kind == "b":
        return "booleans"
    if array.dtype.kind in "iu":
        return "integers"
    if array.dtype.kind == "f":
        return "floating-point numbers"
    if array.dtype.kind == "c":
        return "complex numbers"
    return f"values of dtype {array.dtype}"


def _values_differ(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    """Same shape, compatible kinds: name the entry that differs first, then the detail."""
    if expected.dtype.kind == "b" or got.dtype.kind == "b":
        wrong = got != expected
    else:
        g = got.astype(np.complex128 if got.dtype.kind == "c" else np.float64)
        e = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        wrong = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if not wrong.any():
        return None
    if expected.size <= SHOW_AT_MOST:
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
    else:  # the largest difference
        diff = np.where(wrong, np.abs(got.astype(np.complex128) - expected.astype(np.complex128)), -1.0)
        diff = np.nan_to_num(diff.real, nan=np.inf)
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    digits = _digits(got[index], expected[index])
    pair = f"expected {_number(expected[index], digits)}, got {_number(got[index], digits)}"
    if expected.ndim == 0:
        return pair
    if expected.size <= SHOW_AT_MOST:
        whole = f"expected {_entries(expected, digits)}, got {_entries(got, digits)}"
        return whole if len(whole) <= SHORT_PAIR else f"index {_index(index)}: {pair}; all entries: {whole}"
    most = "" if got.dtype.kind == "b" or expected.dtype.kind == "b" else " (this one the most)"
    return f"index {_index(index)}: {pair}; {int(wrong.sum())} of {wrong.size} entries differ{most}"


def _describe_array_mismatch(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    exp_float = expected.dtype.kind in "fc"
    got_numeric = got.dtype.kind in "biufc"
    if not got_numeric or (exp_float and got.dtype.kind == "b"):
        return f"expected {_kind(expected)}, got {_kind(got)}"
    if expected.dtype.kind in "biu" and got.dtype.kind in "fc":
        if not np.all(np.isfinite(got)) or not np.array_equal(got, np.round(got)):
            return f"expected {_kind(expected)}, got {_kind(got)}; the result's dtype is {got.dtype}"
    if exp_float and got.dtype.kind in "fc":
        for bad, name, cause in ((np.isnan(got) & ~np.isnan(expected), "NaN", "an overflow or a division by zero?"),
                                 (np.isinf(got) & ~np.isinf(expected), "inf", "an overflow?")):
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                where, count = "", ""
                if expected.ndim:
                    where, count = f"index {_index(index)}: ", f"{name} in {int(bad.sum())} of {bad.size} entries: "
                return (f"{where}expected {_number(expected[index], 6)}, got {_number(got[index], 6)}; "
                        f"{count}{cause}")
    return _values_differ(got, expected, rtol, atol)


def describe_mismatch(got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-8) -> str | None:
    """Say in one sentence how ``got`` differs from ``expected``; None when they agree.

    The sentence starts with the key fact, short ("expected shape (4, 3), got (3, 4)",
    "index 2: expected 0.5, got 0.25"), and continues after "; " with detail when there is
    more to say. Handles numbers, arrays (and torch tensors), strings, None, and dicts, lists
    and tuples of those (compared entry by entry).
    """
    if got is None and expected is not None:
        return "got None (is a `return` statement missing?)"
    if expected is None:
        return None if got is None else f"expected None, got {_fmt(got, SHORT_VALUE)}"
    if isinstance(expected, str):
        if got == expected:
            return None
        return _pair(got, expected)
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"expected a dict, got a {_type_name(got)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"the result has no entry {missing[0]!r}"
        extra = [k for k in got if k not in expected]
        if extra:
            return f"the result has an unexpected entry {extra[0]!r}"
        for key in expected:
            problem = describe_mismatch(got[key], expected[key], rtol=rtol, atol=atol)
            if problem:
                return f"[{key!r}]: {problem}"
        return None
    if isinstance(expected, tuple | list) and _as_array_quietly(expected) is None:
        if not isinstance(got, tuple | list):
            return f"expected a {_type_name(expected)} of {len(expected)} items, got a {_type_name(got)}"
        if len(got) != len(expected):
            return f"expected {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = describe_mismatch(g, e, rtol=rtol, atol=atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    exp_array = _as_array(expected)
    if exp_array is None:
        return None if got == expected else _pair(got, expected)
    if isinstance(got, str) or not _is_arraylike(got):
        return f"expected {'a number' if exp_array.ndim == 0 else 'an array'}, got a {_type_name(got)}"
    got_array = _as_array(got)
    if got_array is None:
        return f"expected numbers, got a {_type_name(got)} holding non-numeric values"
    return _describe_array_mismatch(got_array, exp_array, rtol, atol)


def _pair(got: Any, expected: Any) -> str:
    """"expected X, got Y" for values that are not numeric arrays (strings, sets...)."""
    short = f"expected {_fmt(expected, SHORT_VALUE)}, got {_fmt(got, SHORT_VALUE)}"
    full = f"expected {_fmt(expected)}, got {_fmt(got)}"
    return short if short == full else f"{short}; in full: {full}"


def verdict(what: str, problem: str) -> str:
    """The sentence for a failed check of ``what``: "what: key fact; detail", or
    "key fact — what; detail" when ``what`` would push the key fact past :data:`HEADLINE`."""
    key, _, detail = problem.partition("; ")
    lead = f"{what}: {key}"
    if len(lead) > HEADLINE:
        lead = f"{key} — {what}"
    return f"{lead}; {detail}" if detail else lead


def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the student's ``function`` and turn what can go wrong into a plain sentence."""
    __tracebackhide__ = True
    name = getattr(function, "__name__", "your function")
    try:
        result = function(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not implemented yet: replace `raise NotImplementedError()` "
                          "with your code") from None
    except Exception as error:
        raise CheckFailed(f"{name} raised {type(error).__name__}: {error}") from None
    if result is None:
        raise CheckFailed(f"{name} returned None (is a `return` statement missing?)")
    return result


def expect_close(got: Any, expected: Any, what: str, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Fail unless ``got`` matches ``expected`` (numbers within tolerance, same shapes)."""
    __tracebackhide__ = True
    problem = describe_mismatch(got, expected, rtol=rtol, atol=atol)
    if problem:
        raise CheckFailed(verdict(what, problem))


def expect_equal(got: Any, expected: Any, what: str) -> None:
    """Fail unless ``got`` equals ``expected`` exactly."""
    __tracebackhide__ = True
    expect_close(got, expected, what, rtol=0.0, atol=0.0)


def expect_true(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(message)


def expect_raises(error: type[BaseException], function: Callable[..., Any], *args: Any, what: str,
                  **kwargs: Any) -> None:
    """Fail unless calling ``function(*args, **kwargs)`` raises ``error``."""
    __tracebackhide__ = True
    try:
        function(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"{what}: the function is not implemented yet") from None
    except error:
        return
    except Exception as other:
        raise CheckFailed(verdict(what, f"expected {error.__name__}, got {type(other).__name__}; "
                                        f"it said: {other}")) from None
    raise CheckFailed(verdict(what, f"expected {error.__name__}, but nothing was raised"))


def expect_unchanged(before: Any, after: Any, what: str) -> None:
    """Fail if an input the function should leave alone was modified in place."""
    __tracebackhide__ = True
    problem = describe_mismatch(after, before, rtol=0.0, atol=0.0)
    if problem:
        raise CheckFailed(f"{what} was modified in place; {problem} (expected: its value before the call)")


def passed(name: str) -> None:
    """Tell the student that every visible test for ``name`` passed."""
    print(f"✓ {name}: all visible tests passed")
