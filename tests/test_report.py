"""The instructor's report on a small hand-made class, the hints' hygiene, and hints in verdicts.

The report built from a graded demo class is checked against its gradebook in
``tests/test_grading_pipeline.py`` (it reuses that module's graded class).
"""
from __future__ import annotations

import csv
import re

import pytest

from grader.hidden import load_book
from grader.judge import RunnerReport, failure_records, judge_notebook, redact, scenario_failures
from grader.lectures import all_lectures
from grader.report import ClassResults, exercise_rows, hint_rows, lecture_rows, problem_rows, scenario_rows, write_report
from tests.mutants import load_catalogue

HINT_LIMIT = 130  # characters: one line of feedback
CODE_LIKE = re.compile(r"[=`\[\]{}_]|\bnp\.|\btorch\.|\(\)")


def _failure(name: str, scenario: str, hint: str | None = None, kind: str = "wrong result") -> dict:
    return {"name": name, "scenario": scenario, "kind": kind, "hint": hint}


def _entry(score: float, top: float, *, graded: bool = True, problems=(), failures=()) -> dict:
    return {"graded": graded, "score": score, "max_score": top, "problems": list(problems),
            "failures": list(failures), "failed_scenarios": [f"{f['name']}: {f['scenario']}" for f in failures]}


def sample_results() -> ClassResults:
    """Four students on two lectures: full marks, a mutant, an untouched notebook, a broken file."""
    a, b = "01_first", "02_second"
    cells = {a: {"test_f": 2.0, "test_g": 1.0}, b: {"test_h": 4.0}}
    points = {("ann", a): {"test_f": 2, "test_g": 1}, ("bob", a): {"test_f": 0, "test_g": 1},
              ("cid", a): {"test_f": 0, "test_g": 0}, ("ann", b): {"test_h": 4}, ("bob", b): {"test_h": 0}}
    cell_scores = {(s, lec, cell): float(p) for (s, lec), row in points.items() for cell, p in row.items()}
    totals = {(s, lec): (sum(row.values()), sum(cells[lec].values())) for (s, lec), row in points.items()}
    wrong_axis = _failure("f", "a seeded batch", "check the axis of the sum")
    status = {
        "ann": {a: _entry(3, 3), b: _entry(4, 4)},
        "bob": {a: _entry(1, 3, failures=[wrong_axis, _failure("f", "an empty input", kind="error")]),
                b: _entry(0, 4, problems=["cell 'h' exceeded the time limit (an infinite loop?)"],
                          failures=[_failure("h", "ten steps", "stop when the callback asks to", "time limit")])},
        "cid": {a: _entry(0, 3, failures=[wrong_axis, _failure("g", "g is not implemented yet", kind="not implemented")])},
        "dan": {a: _entry(0, 3, graded=False, problems=["the file is not valid JSON (x at line 1)"])},
    }
    return ClassResults([a, b], totals, cells, cell_scores, status)


def test_lecture_and_exercise_numbers():
    results = sample_results()
    first, second = lecture_rows(results)
    assert (first["submissions"], first["graded"], first["not_graded"]) == (4, 3, 1)
    assert (first["mean_score"], first["full_marks"], first["zero"]) == (round(4 / 3, 3), 1, 1)
    assert (second["submissions"], second["graded"], second["mean_score"]) == (2, 2, 2.0)
    f = next(row for row in exercise_rows(results) if row["exercise"] == "f")
    assert f["mean_score"] == round(2 / 3, 3)
    assert (f["full_marks_share"], f["zero_share"], f["not_graded_share"]) == (0.25, 0.5, 0.25)


def test_scenarios_most_failed_first_and_grouped_by_hint():
    results = sample_results()
    rows = scenario_rows(results)
    assert [(r["exercise"], r["scenario"], r["students_failed"]) for r in rows] == [
        ("f", "a seeded batch", 2), ("f", "an empty input", 1), ("h", "ten steps", 1)]
    assert rows[0]["hint"] == "check the axis of the sum" and rows[0]["share_of_graded"] == round(2 / 3, 3)
    hints = hint_rows(results)
    assert hints[0]["hint"] == "check the axis of the sum" and hints[0]["students"] == 2
    assert hints[-1]["hint"] == "(no hint)"


def test_problems_by_kind():
    kinds = {row["kind"]: row for row in problem_rows(sample_results())}
    assert kinds["time-out"]["submissions"] == 1
    assert kinds["not a notebook"]["students"] == 1
    assert kinds["exercise not implemented"]["submissions"] == 1


def test_page_and_csv_files(tmp_path):
    results = sample_results()
    page = write_report(tmp_path / "report", tmp_path / "nbgrader", results)
    text = page.read_text()
    assert text.count('<img src="data:image/png;base64,') == 3  # two histograms, the scenarios' bars
    for heading in ["Scores per lecture", "Exercises", "Hidden scenarios failed", "misconception", "Problems found"]:
        assert heading in text
    assert "check the axis of the sum" in text
    rows = list(csv.DictReader((tmp_path / "report" / "scenarios.csv").open()))
    assert rows[0]["students_failed"] == "2"
    for name in ["lectures", "exercises", "hints", "problems"]:
        assert (tmp_path / "report" / f"{name}.csv").exists()


# --- hints ---------------------------------------------------------------------------------------------

HINTED = [(lecture, scenario) for lecture in all_lectures() for scenarios in load_book(lecture.slug).scenarios.values()
          for scenario in scenarios if scenario.hint]


@pytest.mark.parametrize("lecture", all_lectures(), ids=lambda lecture: lecture.assignment)
def test_every_exercise_with_mutants_has_hinted_scenarios(lecture):
    book = load_book(lecture.slug)
    for name in {mutant.name for mutant in load_catalogue(lecture.slug).mutants}:
        assert any(s.hint for s in book.for_name(name)), f"no scenario of {name} carries a hint"


def test_hints_are_one_short_line_without_code_or_inputs():
    assert HINTED
    for lecture, scenario in HINTED:
        where = f"{lecture.slug}.{scenario.name} '{scenario.description}'"
        assert "\n" not in scenario.hint and len(scenario.hint) <= HINT_LIMIT, where
        assert not CODE_LIKE.search(scenario.hint), f"{where}: the hint looks like code: {scenario.hint!r}"
        assert redact(scenario.hint, lecture.slug) == scenario.hint, f"{where}: the hint quotes the grader's code"


def test_a_failed_scenario_shows_its_hint_on_its_own_line():
    lecture = "markov_decision_processes"
    scenarios = load_book(lecture).for_name("discounted_return")
    report = RunnerReport(scenarios={("discounted_return", i): {"status": "error", "error": "ValueError: no"}
                                     for i in range(len(scenarios))}, finished=True)
    failures = scenario_failures(lecture, "discounted_return", report)
    assert [f.kind for f in failures] == ["error"] * len(scenarios)
    hinted = [f for f in failures if f.hint]
    assert hinted and all(f.sentence.endswith(f"\n    hint: {f.hint}") for f in hinted)
    assert all("hint:" not in f.sentence for f in failures if not f.hint)


def test_verdict_records_carry_name_scenario_kind_and_hint():
    import nbformat

    lecture = "markov_decision_processes"
    answer = nbformat.v4.new_code_cell("def discounted_return(rewards, gamma):\n    pass")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "discounted_return"}
    test = nbformat.v4.new_code_cell("check()")
    test.metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": "test_discounted_return", "points": 1}
    notebook = nbformat.v4.new_notebook(cells=[answer, test])
    runner = '{"kind": "scenario", "name": "discounted_return", "index": 0, "status": "error", "error": "E"}\n'
    _, verdicts = judge_notebook(lecture, notebook, notebook, runner)
    records = failure_records(verdicts)
    first = load_book(lecture).for_name("discounted_return")[0]
    assert records[0] == {"name": "discounted_return", "scenario": first.description, "kind": "error",
                          "hint": first.hint}
    assert {r["kind"] for r in records[1:]} == {"time limit"}  # no result: the runner did not finish them
