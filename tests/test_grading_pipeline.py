"""The instructor's pipeline end to end: release bundle, validate, an LMS zip, the demo class."""
from __future__ import annotations

import csv
import zipfile

import nbformat
import pytest

from grader.assemble import reference_body
from grader.autograde import autograde_all, load_status, summary_table
from grader.demo import run_demo, solved
from grader.hidden import load_reference
from grader.release import release
from grader.validate import validate_command
from tests.conftest import GRADED, LECTURES
from tests.test_leaks import HIDDEN_MARKERS, _normalized, shipped_text

pytestmark = [pytest.mark.slow, pytest.mark.grading]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    return release(LECTURES, root / "nbgrader")


def test_bundle_holds_notebooks_and_support_package_only(bundle):
    folder, archive = bundle
    assert (folder / "course" / "checks.py").exists()
    for lecture in LECTURES:
        assert (folder / "course" / lecture.assignment / lecture.notebook_name).exists()
    names = zipfile.ZipFile(archive).namelist()
    assert not [n for n in names if "/solutions/" in n or "/grader/" in n or "/tests/" in n]
    text = shipped_text(folder)
    for marker in HIDDEN_MARKERS:
        assert _normalized(marker) not in text
    for lecture, _, name in GRADED:
        assert _normalized(reference_body(load_reference(lecture.slug, name))) not in text


def test_validate_exit_codes(tmp_path, capsys):
    lecture = LECTURES[0]
    good = tmp_path / "good" / lecture.notebook_name
    good.parent.mkdir()
    nbformat.write(solved(lecture), good)
    assert validate_command(good) == 0
    assert validate_command(lecture.student_notebook) == 1
    assert "not implemented yet" in capsys.readouterr().out


def test_lms_zip_is_graded_and_broken_files_do_not_stop_the_batch(tmp_path):
    lecture = LECTURES[0]
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"alice_attempt_1_{lecture.notebook_name}", nbformat.writes(solved(lecture)))
        bundle.writestr(f"bob_attempt_1_{lecture.notebook_name}", "{ not a notebook")
    outcomes, skipped = autograde_all(archive, tmp_path / "nbgrader", [lecture])
    by_student = {o.student: o for o in outcomes}
    assert by_student["alice"].graded and by_student["alice"].score == by_student["alice"].max_score
    assert not by_student["bob"].graded and "not valid JSON" in by_student["bob"].problems[0]
    assert "alice" in summary_table(load_status(tmp_path / "nbgrader"), [lecture])


# Every lecture gets the reference, the untouched notebook and three mutant students; the
# broken submissions (time-outs, deleted cells, dead kernels, invalid JSON) behave alike in
# every lecture, so two lectures carry them (CI time). `make demo-grading` grades them all.
BROKEN_IN = [lecture for lecture in LECTURES if lecture.number in (1, 7)] or LECTURES[:1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return root, run_demo(root, families=3, broken_in=BROKEN_IN)


def _entries(status, student):
    return [status[student][lecture.assignment] for lecture in LECTURES if lecture.assignment in status[student]]


def test_demo_reference_gets_full_marks_and_untouched_gets_zero(demo):
    _, status = demo
    for entry in _entries(status, "reference"):
        assert entry["graded"] and entry["score"] == entry["max_score"] and entry["problems"] == []
    for entry in _entries(status, "untouched"):
        assert entry["graded"] and entry["score"] == 0


def test_demo_every_mutant_student_loses_marks(demo):
    _, status = demo
    mutants = [student for student in status if student.startswith("mutant-")]
    assert mutants
    for student in mutants:
        for entry in _entries(status, student):
            assert entry["graded"] and entry["score"] < entry["max_score"], (student, entry)
            assert entry["failed_scenarios"], f"{student} was not caught by a hidden scenario: {entry}"
            assert not any("NameError" in p for p in entry["problems"]), (student, entry["problems"])


def test_demo_broken_submissions_are_graded_as_what_they_are(demo):
    _, status = demo
    for entry in _entries(status, "infinite-loop"):
        assert entry["graded"] and 0 < entry["score"] < entry["max_score"]
        assert any("time limit" in p for p in entry["problems"])
        # one time limit per exercise that loops, not one per scenario: the rest keep their points
        assert entry["score"] >= entry["max_score"] / 2, f"an infinite loop cost too much: {entry['score']}"
    for entry in _entries(status, "kernel-dies"):
        assert entry["graded"] and 0 < entry["score"] < entry["max_score"]
        assert any("killed the kernel" in p for p in entry["problems"])
    for entry in _entries(status, "deleted-test"):
        assert entry["graded"] and entry["score"] == entry["max_score"]
        assert any("deleted (restored and graded)" in p for p in entry["problems"])
    for entry in _entries(status, "markdown-answer"):
        assert entry["graded"] and any("turned into markdown" in p for p in entry["problems"])
    for entry in _entries(status, "invalid-json"):
        assert not entry["graded"] and "not valid JSON" in entry["problems"][0]


def test_demo_grades_csv_tells_not_graded_from_zero(demo):
    root, _ = demo
    rows = list(csv.DictReader((root / "grades.csv").open()))
    broken = [row for row in rows if row["student"] == "invalid-json"]
    assert broken and all(row["status"] == "not graded" and row["score"] == "" and row["problems"] for row in broken)
    zeros = [row for row in rows if row["student"] == "untouched"]
    assert zeros and all(row["status"] == "graded" and row["score"] == "0" for row in zeros)


def test_demo_feedback_reveals_no_hidden_test(demo):
    root, _ = demo
    pages = list((root / "nbgrader" / "feedback").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        for marker in ["BEGIN HIDDEN TESTS", "check_hidden", "grader.hidden", "grader/hidden", "judged by the grader"]:
            assert marker not in text, f"{marker!r} in {page}"


def test_demo_feedback_still_explains_hidden_failures(demo):
    root, _ = demo
    """Some mutants pass the visible tests; their feedback names what the hidden tests found."""
    texts = [page.read_text() for page in (root / "nbgrader" / "feedback").rglob("*.html") if "mutant-" in str(page)]
    assert any("hidden tests for" in text and "problem(s)" in text for text in texts)


def test_demo_report_matches_the_gradebook(demo):
    """The report `run_demo` wrote: its numbers against the gradebook and the grading status."""
    from statistics import fmean

    from nbgrader.api import Gradebook

    from grader.config import gradebook_url

    root, status = demo
    folder = root / "report"

    def table(name):
        return list(csv.DictReader((folder / f"{name}.csv").open()))

    lectures = {row["lecture"]: row for row in table("lectures")}
    exercises = {(row["lecture"], row["exercise"]): row for row in table("exercises")}
    with Gradebook(gradebook_url(root / "nbgrader")) as gradebook:
        for assignment in gradebook.assignments:
            entries = {student: e[assignment.name] for student, e in status.items() if assignment.name in e}
            graded = [s for s in gradebook.assignment_submissions(assignment.name) if entries[s.student.id]["graded"]]
            row = lectures[assignment.name]
            assert int(row["submissions"]) == len(entries)
            assert int(row["graded"]) == len(graded)
            assert int(row["not_graded"]) == sum(not e["graded"] for e in entries.values())
            assert float(row["mean_score"]) == pytest.approx(fmean(s.score for s in graded), abs=1e-3)
            assert int(row["full_marks"]) == sum(s.score == assignment.max_score for s in graded)
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    points = [gradebook.find_grade(cell.name, notebook.name, assignment.name, s.student.id).score
                              for s in graded]
                    exercise = exercises[(assignment.name, cell.name.removeprefix("test_"))]
                    assert float(exercise["mean_score"]) == pytest.approx(fmean(points), abs=1e-3)
                    assert float(exercise["full_marks_share"]) == pytest.approx(
                        sum(p == cell.max_score for p in points) / len(entries), abs=1e-3)
    scenarios = table("scenarios")
    assert scenarios and int(scenarios[0]["students_failed"]) == max(int(r["students_failed"]) for r in scenarios)
    top = scenarios[0]
    failed_top = {student for student, e in status.items() for record in e.get(top["lecture"], {}).get("failures", [])
                  if (record["name"], record["scenario"]) == (top["exercise"], top["scenario"])}
    assert int(top["students_failed"]) == len(failed_top)
    assert any(row["hint"] != "(no hint)" for row in table("hints")), "no failure was grouped under a hint"
    kinds = {row["kind"] for row in table("problems")}
    assert {"time-out", "crash (the kernel died)", "not a notebook", "exercise not implemented",
            "cell deleted (restored and graded)", "cell type changed (restored)"} <= kinds
    page = (folder / "index.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == len(lectures) + 1
