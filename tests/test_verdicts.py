"""Hidden-scenario verdicts in the grader's own words, and a results channel that never breaks.

:mod:`grader.verdicts` renders each kind of difference without quoting anything the student's
code produced; :mod:`grader.judge` reads the runner's untrusted JSON lines and turns whatever
it cannot read into a failed scenario with a plain sentence, never an exception.
"""
from __future__ import annotations

import json
import math
import time

import nbformat
import numpy as np
import pytest
import torch

from grader.executor import plain
from grader.executor.plain import Opaque
from grader.hidden import load_book
from grader.judge import RunnerReport, judge_notebook, parse_runner_output, runner_labels, scenario_failures
from grader.verdicts import (
    DIGITS,
    STUDENT_CLASS,
    describe_difference,
    exception_names,
    exception_phrase,
    number,
    shown_words,
)

SECRET = "gamma0p9rewards3p05p0m2p0"  # student text that must never be shown


def differs(got, expected, **tolerances) -> str:
    sentence = describe_difference(got, expected, **tolerances)
    assert sentence is not None, f"{got!r} was judged equal to {expected!r}"
    assert SECRET not in sentence
    return sentence


# --- the rendering ---------------------------------------------------------------------------------

def test_equal_results_have_no_verdict():
    assert describe_difference(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12])) is None
    assert describe_difference({"a": [1, "float64"]}, {"a": [1, "float64"]}) is None
    assert describe_difference(float("nan"), float("nan")) is None
    assert describe_difference(1.05, 1.0, rtol=0.1) is None


def test_wrong_shape_is_stated_in_numbers_and_bounded():
    assert differs(np.zeros((3, 4)), np.zeros((4, 3))) == "expected shape (4, 3), got shape (3, 4)"
    assert differs(np.zeros(150), 0.5) == "expected shape (), got shape (150,)"
    assert differs(np.zeros((1,) * 6), np.zeros(2)) == "expected shape (2,), got an array of more than 4 dimensions"
    assert differs(np.zeros((0, 123456)), np.zeros(2)) == (
        "expected shape (2,), got an array with more than 9999 entries along a dimension")


def test_wrong_dtype_is_stated_in_words():
    assert differs(np.array([True, False]), np.array([1.0, 0.0])) == "expected floating-point numbers, got booleans"
    assert differs(np.array([1.5, 2.0]), np.array([1, 2])) == (
        "expected integers, got floating-point numbers (dtype float64)")
    assert differs([SECRET, "b"], np.array([1.0, 2.0])) == (
        "expected floating-point numbers, got values that are not numbers")


def test_wrong_value_shows_the_first_difference_at_four_digits():
    assert differs(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0])) == (
        "index 1: expected 2.5, got 2; 1 of 3 entries differ")
    assert differs(np.array([[0.0, 1.0], [7.123456789, 3.0]]), np.array([[0.0, 1.0], [2.0, 0.0]])) == (
        "index (1, 0): expected 2, got 7.123; 2 of 4 entries differ")
    assert differs(0.123456789, 0.5) == "expected 0.5, got 0.1235"
    assert differs(1.0 + 1e-5, 1.0) == f"expected 1, got a value that differs after the {DIGITS}th significant digit"
    assert differs(float(int.from_bytes(b"gamma=", "big")), 0.5) == "expected 0.5, got 1.137e+14"
    assert differs(np.array([1.0, np.nan]), np.array([1.0, 2.0])) == (
        "index 1: expected 2, got NaN; 1 of 2 entries differ")
    assert differs(float("-inf"), 2.0) == "expected 2, got -inf"
    assert differs(torch.tensor([1.0, 3.0]), np.array([1.0, 2.0])) == (
        "index 1: expected 2, got 3; 1 of 2 entries differ")


def test_numbers_are_rounded_and_short():
    assert number(3.14159265358979) == "3.142"
    assert number(np.int64(123456789)) == "1.235e+08"
    assert number(42) == "42" and number(True) == "True" and number(float("nan")) == "NaN"
    assert number(1 - 2j) == "1-2j"


def test_returned_strings_and_objects_are_described_by_their_type():
    assert differs(SECRET, 0.5) == "expected a number, got a string"
    assert differs(SECRET, "float64") == "expected 'float64', got another string"
    assert differs("float32", "float64") == "expected 'float64', got 'float32'"
    assert differs("ndarray float32", "ndarray float64") == "expected 'ndarray float64', got 'ndarray float32'"
    assert differs("no error", "ValueError") == "expected 'ValueError', got 'no error'"
    assert differs(SECRET, "a sampled text of the reference") == "the returned string differs from the expected one"
    assert differs(Opaque(SECRET, SECRET), 0.5) == "expected a number, got an object that is not plain data"
    assert differs(Opaque("set", SECRET), [1, "a"]) == "expected a list of 2 items, got a set object"
    assert differs(None, 0.5) == "got None (is a `return` statement missing?)"
    assert differs(np.float32(1.5), None) == "expected None, got a numpy float32"


def test_containers_name_only_the_expected_structure():
    assert differs({SECRET: 1, "a": 2}, {"a": 2}) == "the result has 1 entry more than expected"
    assert differs({SECRET: 1}, {"a": 2}) == "the result has no entry ['a']"
    assert differs({"a": 3}, {"a": 2}) == "['a']: expected 2, got 3"
    assert differs([1, 2, 3], (1, "x")) == "expected 2 items, got 3"
    assert differs([1, SECRET], [1, "float64"]) == "item 1: expected 'float64', got another string"
    assert differs(SECRET, {"a": 1}) == "expected a dict, got a string"
    long_key = "x" * 60
    assert differs({long_key: 3}, {long_key: 2}) == "[an entry]: expected 2, got 3"


def test_exceptions_show_a_known_type_and_no_message():
    assert exception_phrase(f"ValueError: {SECRET}") == "ValueError"
    assert exception_phrase("ZeroDivisionError: division by zero") == "ZeroDivisionError"
    assert exception_phrase("LinAlgError: Singular matrix") == "LinAlgError"
    assert exception_phrase("AxisError: axis 2 is out of bounds") == "AxisError"
    assert exception_phrase("OutOfMemoryError: x") == "OutOfMemoryError"
    assert exception_phrase("CheckFailed: x") == "CheckFailed"
    for forged in [f"Leak_{SECRET.encode().hex()}: {SECRET}", f"{SECRET}: x", "", None, 42, "ShapeError: mine"]:
        assert exception_phrase(forged) == STUDENT_CLASS


def test_the_vocabulary_is_fixed_names_only():
    assert {"ValueError", "KeyError", "no error"} <= shown_words()
    assert {"float64", "int64", "f", "torch.float32", "ndarray", "Tensor"} <= shown_words()
    assert exception_names() <= shown_words() and len(shown_words()) < 1000
    assert all(len(word) <= 40 for word in shown_words())


def test_a_verdict_is_bounded_whatever_the_data():
    deep = 1.0
    for _ in range(30):
        deep = {"a": [deep]}
    other = json.loads(json.dumps(deep).replace("1.0", "2.0"))
    sentence = differs(other, deep)
    assert len(sentence) <= 240 and sentence.endswith("...")


# --- the judge's sentences ---------------------------------------------------------------------------

LECTURE = "markov_decision_processes"
NAME = "discounted_return"


def _count() -> int:
    return len(load_book(LECTURE).for_name(NAME))


def _sentences(report: RunnerReport) -> list[str]:
    return [f.sentence for f in scenario_failures(LECTURE, NAME, report)]


def test_hidden_errors_and_values_never_quote_the_student():
    records = {(NAME, 0): {"status": "error", "error": f"ValueError: {SECRET}"},
               (NAME, 1): {"status": "error", "error": f"Leak_{SECRET}: {SECRET}"},
               (NAME, 2): {"status": "ok", "value": plain.encode(SECRET)},
               (NAME, 3): {"status": "ok", "value": {"__object__": [SECRET, SECRET]}},
               (NAME, 4): {"status": "ok", "value": plain.encode({SECRET: 1})},
               (NAME, 5): {"status": "ok", "value": plain.encode(np.array([ord(c) for c in SECRET], float))}}
    sentences = _sentences(RunnerReport(scenarios=records, finished=True))
    assert len(sentences) == _count()
    assert all(SECRET not in s for s in sentences)
    assert "discounted_return raised ValueError" in sentences[0]
    assert f"discounted_return raised {STUDENT_CLASS}" in sentences[1]


def test_a_missing_name_shows_the_cell_label_only_when_it_is_the_release_s():
    records = {(NAME, i): {"status": "missing"} for i in range(_count())}
    forged = (json.dumps({"kind": "cell", "label": SECRET, "error": f"NameError: {SECRET}"}) + "\n"
              + "".join(json.dumps({"kind": "scenario", "name": NAME, "index": i, "status": "missing"}) + "\n"
                        for i in range(_count())))
    report = parse_runner_output(forged, frozenset({"setup cell", "answer cell 'discounted_return'"}))
    assert _sentences(report) == [f"{NAME} is not defined (a cell raised NameError)"]
    honest = RunnerReport(cell_errors={"answer cell 'discounted_return'": f"SyntaxError: {SECRET}"}, scenarios=records)
    assert _sentences(honest) == [f"{NAME} is not defined (answer cell 'discounted_return' raised SyntaxError)"]


# --- the results channel: whatever the runner sends, a plain sentence --------------------------------

def _notebook() -> nbformat.NotebookNode:
    setup = nbformat.v4.new_code_cell("import numpy as np")
    answer = nbformat.v4.new_code_cell(f"def {NAME}(rewards, gamma):\n    pass")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": NAME}
    test = nbformat.v4.new_code_cell("check()")
    test.metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": f"test_{NAME}", "points": 1}
    return nbformat.v4.new_notebook(cells=[setup, answer, test])


def _judge(runner_output: str) -> list[str]:
    """The hidden-test sentences the judge writes for ``runner_output`` (it must not raise)."""
    notebook = _notebook()
    _, verdicts = judge_notebook(LECTURE, notebook, notebook, runner_output)
    (verdict,) = verdicts.values()
    return verdict.hidden[NAME]


def _line(index: int, **fields) -> str:
    return json.dumps({"kind": "scenario", "name": NAME, "index": index, **fields}, allow_nan=True) + "\n"


def test_the_runner_labels_come_from_the_release():
    assert runner_labels(_notebook()) == {"setup cell", f"answer cell '{NAME}'", "a cell you added"}


def test_deeply_nested_lines_fail_their_scenarios_with_a_sentence():
    deep = "[" * 100_000 + "]" * 100_000
    deep_record = _line(1, status="ok", value=0.0).replace("0.0", deep)
    sentences = _judge(deep + "\n" + deep_record + _line(0, status="ok", value=json.loads(_nested_plain(60))))
    assert len(sentences) == _count()
    assert "returned data the grader cannot read" in sentences[0]
    assert all("could not read its result" in s for s in sentences[1:])


def _nested_plain(depth: int) -> str:
    return '{"__list__": [' * depth + "1.0" + "]}" * depth


def test_a_flood_of_records_is_read_in_bounded_time():
    flood = "".join(_line(i % 9_000 + 50, status="ok", value=0.0) for i in range(120_000))  # 9 MB, past MAX_LINES
    started = time.perf_counter()
    sentences = _judge(_line(0, status="ok", value=0.0) + flood + _line(1, status="ok", value=0.0))
    assert time.perf_counter() - started < 20
    assert len(sentences) == _count()
    assert "expected" in sentences[0] and "could not read its result" in sentences[1]


def test_nan_and_infinity_are_numbers_in_the_verdict():
    sentences = _judge(_line(0, status="ok", value=math.nan) + _line(1, status="ok", value=math.inf)
                       + _line(2, status="ok", value=-math.inf) + _line(3, status="ok", value=7.5)
                       + _line(math.inf, status="ok", value=0.0) + '{"kind": "done"}\n')
    assert "got NaN" in sentences[0] and "got inf" in sentences[1] and "got -inf" in sentences[2]
    assert "got 7.5" in sentences[3]


def test_huge_strings_and_bad_types_are_never_shown():
    huge = SECRET * 400_000  # 10 MB: past the longest line the runner writes
    sentences = _judge(_line(0, status="ok", value=huge) + _line(1, status="ok", value=SECRET * 1000)
                       + _line(2, status="error", error=SECRET * 1000) + _line(3, status=[SECRET], value=0.0)
                       + _line(4, status="ok", value={"__evil__": SECRET})
                       + _line(5, status="ok", value={"__ndarray__": {"dtype": "O", "shape": [1], "data": ""}})
                       + _line(6, status="ok", value={"__ndarray__": {"dtype": "<f8", "shape": [math.inf],
                                                                      "data": ""}}))
    assert all(SECRET not in s for s in sentences)
    assert "could not read its result" in sentences[0]
    assert "expected a number, got a string" in sentences[1]
    assert f"{NAME} raised {STUDENT_CLASS}" in sentences[2]
    assert "could not read its result" in sentences[3]
    assert all("returned data the grader cannot read" in s for s in sentences[4:7])


@pytest.mark.parametrize("garbage", ["", "null", "[]", '"text"', "{", "\x00\x01", '{"kind": 5}', "1e999999",
                                     '{"kind": "scenario", "name": ["x"], "index": 0}', "9" * 5000,
                                     '{"kind": "cell", "label": 3, "error": []}'])
def test_garbage_lines_never_raise(garbage):
    sentences = _judge(garbage + "\n" + _line(0, status="ok", value=0.0))
    assert len(sentences) == _count()
