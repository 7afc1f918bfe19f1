"""nbgrader's exchange end to end with real Unix users, graded through the Formgrader's buttons.

As root, the test creates throw-away users (removed afterwards; see tests/classroom.py for the
scratch layout and the environment they run). The instructor is root, with the course
directory in a 0700 folder and the exchange outside it (``GRADING_EXCHANGE``):

1. ``make release``'s generation step builds lecture 07's release; ``nbgrader
   release_assignment`` puts it in the exchange.
2. Four students ``nbgrader fetch_assignment`` it into their own homes and ``nbgrader submit``:
   ``ref`` the reference, ``mut`` a mutant (the hostile test's honest twin), ``atk`` the same
   mutant with the import-the-reference attack, ``two`` the reference first and the mutant a
   second later (the later one counts).
3. Each student tries to read what is not theirs: other submissions, the course directory, the
   gradebook, the reference notebooks, other homes, other students' feedback.
4. The instructor runs ``nbgrader collect``, then presses the Formgrader's buttons: the server's
   own handlers (POST /formgrader/api/...), which run nbgrader's Autograde app with the course's
   configuration, so ``grader.autograde.TrustedResults`` grades in the sandbox with the trusted
   judge. Then Generate Feedback and Release Feedback.
5. Each student ``nbgrader fetch_feedback``: their own page only, with their own score;
   ``grader.grades.write_grades`` (``make grades``) and the report agree with the gradebook.

``build/exchange/steps.txt`` keeps what happened: each step's time, each score, each refusal.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from grader.autograde import load_status
from grader.config import COURSE_ID, gradebook_url
from grader.demo import solved
from grader.grades import write_grades
from grader.lectures import BUILD, ROOT, Lecture, find_lecture
from grader.release import generate
from grader.report import load_results, write_report
from tests.classroom import Classroom, start_formgrader, unix_users_unavailable
from tests.hostile import Target, build, wrong_submission

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LECTURE = "07"  # the lightest lecture to grade
EVIDENCE = BUILD / "exchange" / "steps.txt"


@dataclass
class Course:
    """The class and what each step left behind."""

    room: Classroom
    lecture: Lecture
    root: Path  # the instructor's course directory
    students: dict[str, str] = field(default_factory=dict)  # role -> Unix user (= nbgrader student id)
    submitted_at: dict[str, list[str]] = field(default_factory=dict)  # role -> timestamps, in order
    autograde: dict[str, dict] = field(default_factory=dict)  # role -> the Autograde handler's answer
    scores: dict[str, float] = field(default_factory=dict)  # role -> the gradebook's score
    max_score: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def assignment(self) -> str:
        return self.lecture.assignment

    @property
    def course_exchange(self) -> Path:
        return self.room.exchange / COURSE_ID

    def instructor(self, *args: str) -> subprocess.CompletedProcess:
        """``nbgrader ARGS`` as the instructor, in the course directory (its nbgrader_config.py)."""
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def student(self, role: str, *args: str) -> subprocess.CompletedProcess:
        done = self.room.nbgrader_as(self.students[role], *args)
        assert done.returncode == 0, f"{role}: nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def step(self, name: str, started: float) -> None:
        self.seconds[name] = round(time.monotonic() - started, 1)
        self.log.append(f"{self.seconds[name]:6.1f} s  {name}")


def write_notebook(course: Course, role: str, notebook: nbformat.NotebookNode) -> None:
    """Put ``notebook`` in place of the fetched one in ``role``'s home (the file stays theirs)."""
    path = course.room.home(course.students[role]) / course.assignment / course.lecture.notebook_name
    assert path.exists(), f"{role} did not fetch {path.name}"
    nbformat.write(notebook, path)
    course.room.give(course.students[role], path)


@pytest.fixture(scope="module")
def course():
    reason = unix_users_unavailable()
    if reason:
        pytest.skip(reason)
    room = Classroom.create()
    try:
        private = room.scratch / "instructor"
        private.mkdir(mode=0o700)
        root = private / "nbgrader"
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GRADING_ROOT", str(root))
            env.setenv("GRADING_EXCHANGE", str(room.exchange))
            env.delenv("UNSAFE_GRADING", raising=False)
            env.delenv("GRADEBOOK_URL", raising=False)
            course = Course(room, find_lecture(LECTURE), root)
            course.students = {role: room.add_user(role) for role in ("ref", "mut", "atk", "two")}
            yield course
            EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
            EVIDENCE.write_text("\n".join(course.log) + "\n")
    finally:
        room.remove()


@pytest.fixture(scope="module")
def released(course: Course) -> Course:
    started = time.monotonic()
    generate([course.lecture], course.root)
    course.instructor("release_assignment", course.assignment)
    course.step("instructor: generate and nbgrader release_assignment", started)
    return course


@pytest.fixture(scope="module")
def submitted(released: Course) -> Course:
    course = released
    lecture = course.lecture
    twin = wrong_submission(lecture)[0]
    attack = build(lecture, "import-reference", Target(course_root=course.root, site_packages=Path("/nonexistent"),
                                                       project_root=ROOT, marker=course.room.scratch / "escaped"))
    started = time.monotonic()
    each_student(course, lambda role: course.student(role, "fetch_assignment", course.assignment))
    course.step("4 students at once: nbgrader fetch_assignment", started)
    plan = {"ref": [solved(lecture)], "mut": [twin], "atk": [attack], "two": [solved(lecture), twin]}

    def solve_and_submit(role: str) -> None:
        for index, notebook in enumerate(plan[role]):
            if index:
                time.sleep(1.1)  # a later submission, by the clock
            write_notebook(course, role, notebook)
            course.student(role, "submit", course.assignment)
            course.submitted_at.setdefault(role, []).append(_latest_cached_timestamp(course, role))

    started = time.monotonic()
    each_student(course, solve_and_submit)
    course.step("4 students at once: solve and nbgrader submit (5 submissions)", started)
    return course


def each_student(course: Course, action) -> None:
    """Run ``action(role)`` for every student at the same time (each its own Unix user)."""
    with ThreadPoolExecutor(max_workers=len(course.students)) as pool:
        for future in [pool.submit(action, role) for role in course.students]:
            future.result()


def _latest_cached_timestamp(course: Course, role: str) -> str:
    """The timestamp of ``role``'s latest submission, from their own nbgrader cache."""
    cache = course.room.home(course.students[role]) / ".local/share/jupyter/nbgrader_cache" / COURSE_ID
    stamps = sorted((d / "timestamp.txt").read_text().strip() for d in cache.iterdir())
    return stamps[-1]


@pytest.fixture(scope="module")
def graded(submitted: Course, tmp_path_factory) -> Course:
    course = submitted
    started = time.monotonic()
    course.instructor("collect", course.assignment)
    course.step("instructor: nbgrader collect", started)
    started = time.monotonic()
    server = start_formgrader(course.root, tmp_path_factory.mktemp("formgrader-state"),
                              {"GRADING_ROOT": str(course.root), "GRADING_EXCHANGE": str(course.room.exchange)})
    course.step("instructor: start the Jupyter server with the Formgrader", started)
    try:
        started = time.monotonic()
        for role, user in course.students.items():
            course.autograde[role] = json.loads(server.request(
                "POST", f"/formgrader/api/submission/{course.assignment}/{user}/autograde"))
        course.step("Formgrader: Autograde button for 4 students", started)
        started = time.monotonic()
        for action in ("generate_feedback", "release_feedback"):
            answer = json.loads(server.request("POST", f"/formgrader/api/assignment/{course.assignment}/{action}"))
            assert answer["success"], f"{action}: {answer.get('error') or answer.get('log')}"
        course.step("Formgrader: Generate Feedback and Release Feedback buttons", started)
        submissions = json.loads(server.request("GET", f"/formgrader/api/submissions/{course.assignment}"))
    except Exception as exc:
        raise AssertionError(f"{exc}\nserver log:\n{server.log_tail()}") from exc
    finally:
        server.stop()
    by_user = {entry["student"]: entry for entry in submissions}
    course.scores = {role: float(by_user[user]["score"]) for role, user in course.students.items()}
    course.max_score = float(submissions[0]["max_score"])
    course.log += [f"score {role:3} ({user}): {course.scores[role]:g}/{course.max_score:g}"
                   for role, user in course.students.items()]
    return course


# --- the assignment flow --------------------------------------------------------------------------

def test_the_release_is_in_the_exchange_with_nbgraders_modes(released):
    course = released
    outbound = course.course_exchange / "outbound" / course.assignment
    assert (outbound / course.lecture.notebook_name).exists()
    modes = {name: oct((course.course_exchange / name).stat().st_mode & 0o7777)
             for name in ("outbound", "inbound")}
    course.log.append(f"exchange modes: root {oct(course.room.exchange.stat().st_mode & 0o7777)}, "
                      f"{COURSE_ID}/ {oct(course.course_exchange.stat().st_mode & 0o7777)}, {modes}")
    assert course.room.exchange.stat().st_mode & 0o7777 == 0o1777
    assert modes == {"outbound": "0o755", "inbound": "0o2733"}


def test_every_student_fetched_into_their_own_home(submitted):
    course = submitted
    for role, user in course.students.items():
        path = course.room.home(user) / course.assignment / course.lecture.notebook_name
        assert path.owner() == user, f"{role}: {path} belongs to {path.owner()}"


def test_collect_takes_each_students_latest_submission(graded):
    course = graded
    for role, user in course.students.items():
        folder = course.root / "submitted" / user / course.assignment
        assert (folder / course.lecture.notebook_name).exists(), role
        assert (folder / "timestamp.txt").read_text().strip() == course.submitted_at[role][-1], role
    assert len(course.submitted_at["two"]) == 2 and course.submitted_at["two"][0] < course.submitted_at["two"][1]


# --- the grading flow -----------------------------------------------------------------------------

def test_the_formgrader_autograde_button_grades_every_student(graded):
    for role, answer in graded.autograde.items():
        assert answer["success"], f"{role}: {answer.get('error') or answer.get('log')}"


def test_scores_reference_full_mutant_less_attack_no_more_than_its_twin(graded):
    scores, top = graded.scores, graded.max_score
    assert scores["ref"] == top
    assert 0 < scores["mut"] < top
    assert scores["atk"] <= scores["mut"], f"the import-the-reference attack scored {scores['atk']} > {scores['mut']}"
    assert scores["two"] == scores["mut"], "the later submission (the mutant) must count, not the first (reference)"


def test_the_formgrader_path_records_each_outcome_for_the_report(graded):
    """Grading from the Formgrader writes the status file as make autograde does: the score
    the gradebook holds and, for the mutant, the hidden scenarios it failed."""
    status = load_status(graded.root)
    for role, user in graded.students.items():
        entry = status[user][graded.assignment]
        assert entry["graded"] and entry["score"] == graded.scores[role], (role, entry["score"], graded.scores[role])
    assert status[graded.students["mut"]][graded.assignment]["failures"], "the mutant's failed scenarios are missing"


def test_the_trusted_judge_wrote_the_verdicts(graded):
    """The hidden-test verdicts in the autograded notebook come from grader.judge (in the
    grading process), which a student's kernel cannot write."""
    course = graded
    path = course.root / "autograded" / course.students["mut"] / course.assignment / course.lecture.notebook_name
    notebook = nbformat.read(path, as_version=4)
    verdicts = [o for cell in notebook.cells if cell.cell_type == "code"
                for o in cell.get("outputs", []) if o.get("ename") == "HiddenTestFailed"]
    assert verdicts, "no verdict of the trusted judge in the autograded notebook"


def test_the_formgrader_runs_the_courses_autograde_step(graded):
    """The server's Autograde app (the one the button runs) has TrustedResults in place of Execute."""
    config = (graded.root / "nbgrader_config.py").read_text()
    assert '"grader.autograde.TrustedResults"' in config


# --- the feedback flow ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def feedback(graded: Course) -> dict[str, list[Path]]:
    course = graded
    started = time.monotonic()
    each_student(course, lambda role: course.student(role, "fetch_feedback", course.assignment))
    course.step("4 students at once: nbgrader fetch_feedback", started)
    return {role: sorted((course.room.home(user) / course.assignment / "feedback").rglob("*.html"))
            for role, user in course.students.items()}


def _page_score(page: Path) -> float:
    match = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", page.read_text())
    assert match, f"no score on {page}"
    return float(match.group(1))


def test_each_student_fetches_only_their_own_feedback(feedback, graded):
    course = graded
    for role, pages in feedback.items():
        assert len(pages) == 1, f"{role}: {pages}"
        assert pages[0].parent.name == course.submitted_at[role][-1], f"{role}: feedback of {pages[0].parent.name}"
        assert _page_score(pages[0]) == course.scores[role], role


def test_a_student_cannot_fetch_another_students_feedback(feedback, graded):
    """fetch_feedback --student=<someone else> finds only what the asker's own cache can unlock."""
    course = graded
    asker, victim = course.students["mut"], course.students["ref"]
    course.room.run_as(asker, ["rm", "-rf", f"{course.assignment}/feedback"])
    done = course.room.nbgrader_as(asker, "fetch_feedback", course.assignment, f"--student={victim}")
    pages = sorted((course.room.home(asker) / course.assignment / "feedback").rglob("*.html"))
    assert all(_page_score(p) == course.scores["mut"] for p in pages), (pages, done.stderr[-400:])
    course.log.append(f"refused: {asker} fetch_feedback --student={victim}: got {len(pages)} page(s), "
                      f"all their own (score {course.scores['mut']:g})")


def test_grades_and_report_see_the_gradebooks_scores(graded, tmp_path):
    course = graded
    rows = {row["student"]: row for row in csv.DictReader(write_grades(tmp_path / "grades.csv", course.root).open())}
    results = load_results(course.root)
    write_report(tmp_path / "report", course.root, results)
    lectures = {row["lecture"]: row for row in csv.DictReader((tmp_path / "report" / "lectures.csv").open())}
    for role, user in course.students.items():
        assert float(rows[user]["score"]) == course.scores[role], role
        assert results.totals[(user, course.assignment)] == (course.scores[role], course.max_score), role
    mean = sum(course.scores.values()) / len(course.scores)
    assert float(lectures[course.assignment]["mean_score"]) == pytest.approx(mean, abs=1e-3)
    assert gradebook_url(course.root).startswith("sqlite")


# --- permissions ----------------------------------------------------------------------------------

def _refused(course: Course, role: str, args: list[str], what: str) -> None:
    """``args`` run as ``role`` must fail with 'Permission denied'."""
    done = course.room.run_as(course.students[role], args)
    assert done.returncode != 0 and "Permission denied" in done.stderr, \
        f"{role} could {what}: rc={done.returncode}\n{done.stdout[:400]}\n{done.stderr[:400]}"
    course.log.append(f"refused: {role} {what} ({' '.join(args[:1])}: {done.stderr.strip().splitlines()[-1]})")


def test_a_student_cannot_list_or_open_other_submissions(graded):
    course = graded
    inbound = course.course_exchange / "inbound"
    _refused(course, "mut", ["ls", str(inbound)], "list the exchange's inbound folder")
    _refused(course, "mut", ["ls", str(course.room.home(course.students["ref"]))], "list another student's home")
    cache = course.room.home(course.students["ref"]) / ".local/share/jupyter/nbgrader_cache"
    _refused(course, "mut", ["ls", str(cache)], "read another student's submission cache")
    # The submission's folder name holds a random part, so it cannot be guessed either.
    names = [p.name for p in inbound.iterdir() if p.name.startswith(course.students["ref"] + "+")]
    assert names and all(len(n.split("+")[-1]) >= 12 for n in names), names
    guess = inbound / f"{course.students['ref']}+{course.assignment}+{course.submitted_at['ref'][0]}"
    done = course.room.run_as(course.students["mut"], ["cat", str(guess / course.lecture.notebook_name)])
    assert done.returncode != 0, "a submission's path without its random part was readable"


def test_a_student_cannot_read_the_course_directory(graded):
    course = graded
    root = course.root
    _refused(course, "atk", ["ls", str(root)], "list the course directory")
    _refused(course, "atk", ["cat", str(root / "gradebook.db")], "read the gradebook")
    _refused(course, "atk", ["cat", str(root / "source" / course.assignment / course.lecture.notebook_name)],
             "read the source notebook (the reference solutions)")
    _refused(course, "atk", ["cat", str(root / "nbgrader_config.py")], "read the course's nbgrader_config.py")
    user = course.students["ref"]
    _refused(course, "atk", ["cat", str(root / "autograded" / user / course.assignment / course.lecture.notebook_name)],
             "read another student's autograded notebook")
    _refused(course, "atk", ["ls", str(course.course_exchange / "feedback")], "list the released feedback")


def test_a_student_cannot_change_the_release(graded):
    course = graded
    released = course.course_exchange / "outbound" / course.assignment / course.lecture.notebook_name
    _refused(course, "two", ["sh", "-c", f"echo x >> {released}"], "change the released notebook")
    _refused(course, "two", ["touch", str(released.parent / "extra.ipynb")], "add a file to the release")


def test_the_students_environment_holds_no_reference(graded):
    """The students' Python sees the course's support package, not solutions/ or grader/."""
    course = graded
    for module in ("solutions", "grader.hidden"):
        done = course.room.run_as(course.students["atk"], [str(course.room.python()), "-c", f"import {module}"])
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, module
        course.log.append(f"refused: atk import {module} in the students' environment (ModuleNotFoundError)")
    done = course.room.run_as(course.students["atk"], [str(course.room.python()), "-c", "import course.checks"])
    assert done.returncode == 0, done.stderr
