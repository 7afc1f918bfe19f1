"""The words of a hidden-scenario verdict: only what the grader chose to show.

The hidden scenarios run in a process that also runs the student's answer cells, so the
student's code can read the scenarios' inputs, constants and file paths (from the calling
frame, ``gc``, ``sys.modules``). Anything of its own that a verdict quoted would carry them
out, in any encoding: an exception message in rot13, a returned string in base64, a class
name built at run time, char codes returned as numbers. So a verdict on a hidden scenario
is written here from a fixed vocabulary and a few numbers, never from text the student's
code produced:

- the scenario's description and hint (the grader's own text, added by :mod:`grader.judge`);
- for a wrong value, where it differs (the expected structure's item or key, the first
  differing array position) and what: a type, shape or kind of number stated in the
  grader's words, or the expected and returned numbers at :data:`DIGITS` significant
  digits. A returned string is named only when it is a word of :func:`shown_words` (a type,
  dtype or exception name, as scenarios return to check dtypes and errors), else described
  by its type; a returned object that is not plain data is described by its type only;
- for an exception, its type when it is Python's, numpy's, torch's, gymnasium's or the
  course checks' (:func:`exception_names`), else "an exception of the student's own class",
  and **no message**. Any rule that let part of a message through ("short, without long runs
  of letters") would still pass a few characters per scenario in an encoding the student
  picks, and the library messages a student would most want (numpy's broadcast error) quote
  the hidden inputs' shapes. The type and the scenario's description are enough to rebuild
  the case in the student's own notebook, where the full message shows.

What stays open by design: per scenario, pass or fail, one name from a fixed list, and a few
bounded numbers (a returned shape of at most :data:`SHOWN_NDIM` dimensions below
:data:`SHOWN_DIM`, one returned number at :data:`DIGITS` digits, its position, a count). A
student set on it can smuggle out a few bytes per failed scenario, never a line.
"""
from __future__ import annotations

import builtins
import functools
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

# The array helpers of the visible checks, so "is it an array, of which kind" is judged the same way.
from course.checks import _as_array, _as_array_quietly, _is_arraylike, _kind, describe_mismatch
from grader.executor.plain import Opaque

DIGITS = 4  # significant digits of a number in a verdict
SHOWN_NDIM = 4  # a returned shape is stated when it has at most this many dimensions...
SHOWN_DIM = 9999  # ...each at most this long
SHOWN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_ ]{0,31}")  # an expected dict key the verdict names
SENTENCE_LIMIT = 240
STUDENT_CLASS = "an exception of the student's own class"
UNCOMPARABLE = "the grader could not compare the result with the expected one"
DIFFERS = "the result differs from the expected one"


def _exception_classes(module: Any) -> set[str]:
    return {value.__name__ for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseException)}


@functools.cache
def exception_names() -> frozenset[str]:
    """The exception names a verdict may show: Python's, numpy's, torch's, gymnasium's, the checks'."""
    import gymnasium.error
    import numpy.exceptions
    import numpy.linalg
    import torch

    import course.checks

    names: set[str] = set()
    for module in (builtins, numpy, numpy.exceptions, numpy.linalg, torch, torch._C, gymnasium.error, course.checks):
        names |= _exception_classes(module)
    return frozenset(names)


@functools.cache
def shown_words() -> frozenset[str]:
    """Strings a verdict may quote: type, dtype and exception names, and "no error".

    Scenarios return such strings to check a result's type or dtype (``"float64"``,
    ``"ndarray float64"``) or which error was raised (``"ValueError"``).
    """
    import torch

    words = {"no error", "NoneType", "ndarray", "Tensor", "Parameter", "generic", "matrix"}
    words |= {value.__name__ for value in vars(builtins).values() if isinstance(value, type)}
    for scalar in set(np.sctypeDict.values()):
        dtype = np.dtype(scalar)
        words |= {scalar.__name__, dtype.name, dtype.kind, dtype.char, dtype.str}
    for value in vars(torch).values():
        if isinstance(value, torch.dtype):
            words |= {str(value), str(value).removeprefix("torch.")}
    return frozenset(words | exception_names())


def _known_string(text: Any) -> bool:
    """A vocabulary word, or two of them ("ndarray float64")."""
    if not isinstance(text, str) or len(text) > 40:
        return False
    parts = text.split(" ")
    return text in shown_words() or (len(parts) == 2 and all(part in shown_words() for part in parts))


def exception_phrase(error: Any) -> str:
    """The exception named by the runner's ``"Type: message"``: its type if it is a known one."""
    name = str(error).partition(":")[0].strip() if isinstance(error, str) else ""
    return name if name in exception_names() else STUDENT_CLASS


def number(value: Any) -> str:
    """One number at :data:`DIGITS` significant digits (integers below a million in full).

    Not shared with ``course.checks``' rendering: that one formats the visible tests' messages
    on the student's side, where showing more is fine; this one bounds what a hidden verdict can
    carry, and must not change when the student-facing messages do."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer) and abs(int(value)) < 10**6:
        return str(int(value))
    if isinstance(value, complex | np.complexfloating):
        value = complex(value)
        sign = "-" if value.imag < 0 else "+"
        return f"{number(value.real)}{sign}{number(abs(value.imag))}j"
    value = float(value)
    return "NaN" if np.isnan(value) else f"{value:.{DIGITS}g}"


def what_it_is(value: Any) -> str:
    """A value's kind in the grader's words: never its content, never a class name it chose."""
    if value is None:
        return "None"
    if isinstance(value, Opaque):
        shown = value.type_name in shown_words() and value.type_name not in exception_names()
        return f"a {value.type_name} object" if shown else "an object that is not plain data"
    if isinstance(value, np.generic):
        return f"a numpy {value.dtype.name}"
    if isinstance(value, np.ndarray):
        return "an array"
    if hasattr(value, "detach"):
        return "a tensor"
    for kind, words in ((bool, "a bool"), (int, "an int"), (float, "a float"), (complex, "a complex number"),
                        (str, "a string"), (list, "a list"), (tuple, "a tuple"), (Mapping, "a dict")):
        if isinstance(value, kind):
            return words
    return "a value of another type"


def _key(key: Any) -> str:
    if isinstance(key, str) and SHOWN_KEY.fullmatch(key):
        return f"[{key!r}]"
    if isinstance(key, bool | int) and abs(int(key)) < 10**6:
        return f"[{key!r}]"
    return "[an entry]"


def _shape(shape: tuple[int, ...]) -> str:
    """A returned shape, stated only while it is small (its dimensions are numbers the student chose)."""
    if len(shape) > SHOWN_NDIM:
        return f"an array of more than {SHOWN_NDIM} dimensions"
    if any(n > SHOWN_DIM for n in shape):
        return f"an array with more than {SHOWN_DIM} entries along a dimension"
    return f"shape {shape}"


def _index(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def _numbers_kind(array: np.ndarray) -> str:
    return _kind(array) if array.dtype.kind in "biufc" else "values that are not numbers"


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _pair(got: Any, expected: Any) -> str:
    shown_expected, shown_got = number(expected), number(got)
    if shown_expected == shown_got:
        return f"expected {shown_expected}, got a value that differs after the {DIGITS}th significant digit"
    return f"expected {shown_expected}, got {shown_got}"


def _at(array: np.ndarray, index: tuple[int, ...], text: str, count: int | None = None) -> str:
    """``text`` located at ``index`` of an array (nothing to locate in a single number)."""
    if array.ndim == 0:
        return text
    where = f"index {_index(index)}: {text}"
    return where if count is None else f"{where}; {count} of {array.size} entries differ"


def _arrays(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {_shape(got.shape)}"
    if got.dtype.kind not in "biufc" or (expected.dtype.kind in "fc" and got.dtype.kind == "b"):
        return f"expected {_numbers_kind(expected)}, got {_numbers_kind(got)}"
    if expected.dtype.kind in "biu" and got.dtype.kind in "fc" and (
            not np.all(np.isfinite(got)) or not np.array_equal(got, np.round(got))):
        return f"expected {_kind(expected)}, got {_kind(got)} (dtype {got.dtype.name})"
    if expected.dtype.kind in "fc" and got.dtype.kind in "fc":
        for bad in (np.isnan(got) & ~np.isnan(expected), np.isinf(got) & ~np.isinf(expected)):
            if bad.any():
                index = _first(bad)
                return _at(expected, index, _pair(got[index], expected[index]), int(bad.sum()))
    if expected.dtype.kind == "b" or got.dtype.kind == "b":
        wrong = got != expected
    else:
        wide = np.complex128 if "c" in (got.dtype.kind, expected.dtype.kind) else np.float64
        wrong = ~np.isclose(got.astype(wide), expected.astype(wide), rtol=rtol, atol=atol, equal_nan=True)
    if not wrong.any():
        return None
    index = _first(wrong)
    return _at(expected, index, _pair(got[index], expected[index]), int(wrong.sum()))


def _strings(got: Any, expected: str) -> str:
    if not isinstance(got, str):
        return f"expected a string, got {what_it_is(got)}"
    if not _known_string(expected):
        return "the returned string differs from the expected one"
    return f"expected {expected!r}, got {got!r}" if _known_string(got) else f"expected {expected!r}, got another string"


def _mappings(got: Any, expected: Mapping, rtol: float, atol: float) -> str | None:
    if not isinstance(got, Mapping):
        return f"expected a dict, got {what_it_is(got)}"
    for key in expected:
        if key not in got:
            return f"the result has no entry {_key(key)}"
    if len(got) > len(expected):
        extra = len(got) - len(expected)
        return f"the result has {extra} {'entry' if extra == 1 else 'entries'} more than expected"
    for key in expected:
        problem = difference(got[key], expected[key], rtol, atol)
        if problem:
            return f"{_key(key)}: {problem}"
    return None


def _sequences(got: Any, expected: list | tuple, rtol: float, atol: float) -> str | None:
    if not isinstance(got, list | tuple):
        return f"expected a {type(expected).__name__} of {len(expected)} items, got {what_it_is(got)}"
    if len(got) != len(expected):
        return f"expected {len(expected)} items, got {len(got)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        problem = difference(g, e, rtol, atol)
        if problem:
            return f"item {i}: {problem}"
    return None


def difference(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """Where and how ``got`` differs from ``expected``, in the grader's words (None: no difference
    found). Follows :func:`course.checks.describe_mismatch` case by case."""
    if got is None and expected is not None:
        return "got None (is a `return` statement missing?)"
    if expected is None:
        return None if got is None else f"expected None, got {what_it_is(got)}"
    if isinstance(expected, str):
        return None if got == expected else _strings(got, expected)
    if isinstance(expected, Mapping):
        return _mappings(got, expected, rtol, atol)
    if isinstance(expected, tuple | list) and _as_array_quietly(expected) is None:
        return _sequences(got, expected, rtol, atol)
    expected_array = _as_array(expected)
    if expected_array is None:
        return None if got == expected else DIFFERS
    if isinstance(got, str) or not _is_arraylike(got):
        return f"expected {'a number' if expected_array.ndim == 0 else 'an array'}, got {what_it_is(got)}"
    got_array = _as_array(got)
    if got_array is None:
        return f"expected numbers, got {what_it_is(got)} holding values that are not numbers"
    return _arrays(got_array, expected_array, rtol, atol)


def describe_difference(got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-8) -> str | None:
    """None when ``got`` matches ``expected`` (as :func:`course.checks.describe_mismatch` judges,
    the same comparison the visible tests and the mutation runs use); else the grader's own
    bounded sentence. Hostile data that breaks the comparison counts as a difference."""
    try:
        if describe_mismatch(got, expected, rtol=rtol, atol=atol) is None:
            return None
        text = difference(got, expected, rtol, atol) or DIFFERS
    except Exception:  # the data came from the student's sandbox: anything it breaks is their failure
        return UNCOMPARABLE
    return text if len(text) <= SENTENCE_LIMIT else text[: SENTENCE_LIMIT - 3] + "..."
