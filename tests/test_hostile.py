"""A hostile class graded in one batch: no attack pays, hurts another student, outlives the
batch, changes the environment or leaks a hidden line (see tests/hostile)."""
from __future__ import annotations

import csv
import hashlib
import html
import os
import site
import subprocess
from pathlib import Path

import pytest

from grader.assemble import reference_body
from grader.autograde import autograde_all, feedback_command, load_status, summary_table
from grader.grades import write_grades
from grader.hidden import load_book, load_reference
from grader.lectures import ROOT, find_lecture
from tests.hostile import ATTACKS, Target, write_class

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LECTURE = "07"


def environment_fingerprint() -> str:
    """Names, sizes and modification times of everything in the environment and the repo's code."""
    digest = hashlib.sha256()
    folders = [Path(p) for p in site.getsitepackages()] + [ROOT / "course", ROOT / "solutions", ROOT / "grader"]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def write_score_table(outcomes) -> None:
    """Leave the class's scores in build/hostile/scores.txt: what each attack earned."""
    folder = ROOT / "build" / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{o.student:28} {o.score:g}/{o.max_score:g}  {'; '.join(o.problems)[:160]}" for o in outcomes]
    (folder / "scores.txt").write_text("\n".join(sorted(lines)) + "\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    lecture = find_lecture(LECTURE)
    scratch = tmp_path_factory.mktemp("hostile")
    root = scratch / "nbgrader"
    target = Target(course_root=root, site_packages=Path(site.getsitepackages()[0]), project_root=ROOT,
                    marker=scratch / "escaped.txt")
    kinds = write_class(scratch / "submitted", lecture, target)
    before = environment_fingerprint()
    outcomes, _ = autograde_all(scratch / "submitted", root, [lecture], workers=2)
    summary = summary_table(load_status(root), [lecture])
    feedback_command(root)
    csv_path = write_grades(scratch / "grades.csv", root)
    write_score_table(outcomes)
    return {"lecture": lecture, "root": root, "kinds": kinds, "outcomes": {o.student: o for o in outcomes},
            "summary": summary, "csv": list(csv.DictReader(csv_path.open())), "target": target,
            "fingerprint": (before, environment_fingerprint())}


def test_the_batch_ends_with_a_summary_of_every_student(graded):
    for student in graded["kinds"]:
        assert student in graded["summary"]


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_no_attack_scores_more_than_its_honest_twin(graded, attack):
    outcome = graded["outcomes"][f"m-{attack}"]
    twin = graded["outcomes"]["twin"]
    assert twin.graded and twin.score < twin.max_score
    assert outcome.score <= twin.score, f"{attack}: {outcome.score} > twin {twin.score} ({outcome.problems})"


@pytest.mark.parametrize("attack", ["retry-loop", "huge-output", "memory-bomb", "fork-bomb"])
def test_resource_attacks_are_graded_with_a_problem_line(graded, attack):
    outcome = graded["outcomes"][f"m-{attack}"]
    assert outcome.graded, outcome.problems
    if attack == "retry-loop":
        assert any("ignored the interrupt" in p or "time limit" in p for p in outcome.problems), outcome.problems


def test_honest_students_before_and_after_keep_full_marks(graded):
    from nbgrader.api import Gradebook

    rows = {row["student"]: row for row in graded["csv"]}
    with Gradebook(f"sqlite:///{graded['root'] / 'gradebook.db'}") as gradebook:
        for student in ("a-honest-first", "z-honest-last"):
            outcome = graded["outcomes"][student]
            assert outcome.graded and outcome.score == outcome.max_score, outcome.problems
            submission = gradebook.find_submission(graded["lecture"].assignment, student)
            assert submission.score == outcome.max_score
            assert float(rows[student]["score"]) == outcome.max_score


def test_nothing_escaped_the_sandbox(graded):
    assert not graded["target"].marker.exists(), graded["target"].marker.read_text()
    assert not (graded["target"].site_packages / "zz_hostile.pth").exists()
    assert (graded["root"] / "release").exists()
    # An attack's detached process names the marker path in its command line; other gradings
    # running at the same time (their own sandboxes) do not.
    marker_dir = str(graded["target"].marker.parent)
    leftovers = subprocess.run(["pgrep", "-f", marker_dir], capture_output=True, text=True).stdout.split()
    leftovers = [pid for pid in leftovers if int(pid) != os.getpid()]
    assert not leftovers, f"processes left behind: {leftovers}"


def test_the_environment_is_unchanged(graded):
    before, after = graded["fingerprint"]
    assert before == after


def test_no_feedback_page_quotes_hidden_code(graded):
    lecture = graded["lecture"]
    book = load_book(lecture.slug)
    released = lecture.student_notebook.read_text()
    import inspect
    protected = {line.strip() for line in inspect.getsource(__import__(f"grader.hidden.{lecture.slug}",
                                                                       fromlist=["book"])).split("\n")}
    for name in book.scenarios:
        protected |= {line.strip() for line in reference_body(load_reference(lecture.slug, name)).split("\n")}
    protected = {line for line in protected if len(line) >= 12 and line not in released}
    pages = list((graded["root"] / "feedback").rglob("*.html"))
    assert len(pages) >= len(graded["kinds"]) - 2
    for page in pages:
        text = html.unescape(page.read_text())
        leaked = [line for line in protected if line in text]
        assert not leaked, f"{page.parent.parent.name}: {leaked[:3]}"
        assert os.path.getsize(page) < 5 * 2**20


def test_no_script_from_a_submission_reaches_autograded_or_feedback(graded):
    """The html-js attack (tests/hostile/html_js.py): no script, handler, active SVG, unsafe link,
    unsafe mime type, attachment or open tag survives in its autograded notebook or feedback page,
    while its payload-free plot and the honest students' plots still show."""
    import nbformat

    from tests.hostile.html_js import notebook_findings, page_findings, plots_shown

    lecture, root = graded["lecture"], graded["root"]
    name = Path(lecture.notebook_name).stem

    def autograded(student):
        return nbformat.read(root / "autograded" / student / lecture.assignment / lecture.notebook_name, as_version=4)

    def feedback(student):
        return (root / "feedback" / student / lecture.assignment / f"{name}.html").read_text()

    def plots(notebook):
        return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))

    attacker = autograded("m-html-js")
    assert not notebook_findings(attacker), notebook_findings(attacker)
    assert not page_findings(feedback("m-html-js"), feedback("a-honest-first"))
    honest = autograded("a-honest-first")
    assert plots(honest) >= 1 and plots(attacker) >= plots(honest) + 2  # its own two plots beside the lecture's
    assert plots_shown(feedback("a-honest-first")) == plots(honest)
