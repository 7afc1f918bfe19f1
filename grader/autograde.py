"""Autograde a whole class in one process, never letting one submission stop the batch.

For each submission: read it (a file that is not a notebook is recorded as "could not be
graded" with the reason), compare it with the release (deleted, edited or retyped cells),
run nbgrader's autograde with the per-cell time limit, read the score from the gradebook
and scan the autograded notebook for time-outs and dead kernels. Every outcome is stored in
``grading_status.json`` beside the gradebook, which the grades CSV and the summary read.
nbgrader's own log (including its spurious "checksum has changed" warning for every
untouched submission) stays out of the instructor's summary.
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from grader.collect import collect
from grader.config import NBGRADER_ROOT, gradebook_url, nbgrader_api
from grader.inspection import NotANotebook, problems_after_grading, problems_before_grading, read_submission
from grader.lectures import Lecture, all_lectures
from grader.release import generate

STATUS_FILE = "grading_status.json"


@dataclass
class Outcome:
    """One student's result on one lecture."""

    student: str
    assignment: str
    graded: bool
    score: float
    max_score: float
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _max_score(lecture: Lecture, root: Path) -> float:
    release = nbformat.read(root / "release" / lecture.assignment / lecture.notebook_name, as_version=4)
    return float(sum(cell.metadata.get("nbgrader", {}).get("points", 0) for cell in release.cells))


def _score_from_gradebook(root: Path, assignment: str, student: str) -> tuple[float, bool] | None:
    """(score, needs manual grading) for a submission, or None when there is none."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(root)) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return float(submission.score), bool(submission.needs_manual_grade)


def _find_notebook(folder: Path, lecture: Lecture) -> tuple[Path | None, list[str]]:
    """The submitted notebook, renaming a single notebook with another name to the expected one."""
    expected = folder / lecture.notebook_name
    if expected.exists():
        return expected, []
    others = sorted(folder.glob("*.ipynb"))
    if len(others) == 1:
        others[0].rename(expected)
        return expected, [f"the notebook was named {others[0].name} (graded as {lecture.notebook_name})"]
    return None, [f"no notebook named {lecture.notebook_name} in the submission"]


def grade_one(api, root: Path, student: str, lecture: Lecture) -> Outcome:
    """Grade one submission; whatever goes wrong becomes a problem on the outcome."""
    start = time.perf_counter()
    outcome = Outcome(student, lecture.assignment, graded=False, score=0.0, max_score=_max_score(lecture, root))
    path, problems = _find_notebook(root / "submitted" / student / lecture.assignment, lecture)
    outcome.problems.extend(problems)
    if path is None:
        return outcome
    try:
        submission = read_submission(path)
    except NotANotebook as error:
        outcome.problems.append(str(error))
        return outcome
    release = nbformat.read(root / "release" / lecture.assignment / lecture.notebook_name, as_version=4)
    outcome.problems.extend(problems_before_grading(submission, release))
    try:
        result = api.autograde(lecture.assignment, student)
    except Exception as error:  # nbgrader should catch everything; this is the last guard
        result = {"success": False, "error": f"{type(error).__name__}: {error}"}
    autograded = root / "autograded" / student / lecture.assignment / lecture.notebook_name
    if autograded.exists():
        outcome.problems.extend(problems_after_grading(nbformat.read(autograded, as_version=4)))
    scored = _score_from_gradebook(root, lecture.assignment, student)
    if scored is not None and autograded.exists():
        outcome.graded = True
        outcome.score = scored[0]
        if not result.get("success"):
            outcome.problems.append("grading stopped early (the kernel died or would not stop); "
                                    "cells after that point score 0")
    else:
        reason = (result.get("error") or "").strip().splitlines()
        outcome.problems.append("nbgrader could not grade it" + (f": {reason[-1]}" if reason else ""))
    outcome.seconds = time.perf_counter() - start
    return outcome


def load_status(root: Path = NBGRADER_ROOT) -> dict[str, dict[str, dict]]:
    """Stored outcomes: student -> assignment -> Outcome fields."""
    path = root / STATUS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_outcomes(outcomes: list[Outcome], root: Path = NBGRADER_ROOT) -> None:
    """Merge ``outcomes`` into the status file (written atomically)."""
    status = load_status(root)
    for outcome in outcomes:
        status.setdefault(outcome.student, {})[outcome.assignment] = asdict(outcome)
    path = root / STATUS_FILE
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(status, indent=1, sort_keys=True))
    os.replace(scratch, path)


def summary_table(status: dict[str, dict[str, dict]], lectures: list[Lecture]) -> str:
    """A plain-text table: student, score per lecture, problems found."""
    header = ["student", *[lecture.assignment[:2] + " " + lecture.slug[:14] for lecture in lectures], "problems found"]
    rows = []
    for student in sorted(status):
        cells = [student]
        problems = []
        for lecture in lectures:
            entry = status[student].get(lecture.assignment)
            if entry is None:
                cells.append("-")
                continue
            cells.append(f"{entry['score']:g}/{entry['max_score']:g}" if entry["graded"] else "not graded")
            problems.extend(f"[{lecture.assignment[:2]}] {p}" for p in entry["problems"])
        cells.append("; ".join(problems) or "none")
        rows.append(cells)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(value).ljust(width) for value, width in zip(row, widths)) + "  " + row[-1])
    lines.insert(1, "-" * min(120, len(lines[0])))
    return "\n".join(lines)


def autograde_all(source: Path, root: Path = NBGRADER_ROOT, lectures: list[Lecture] | None = None
                  ) -> tuple[list[Outcome], list[str]]:
    """Release, collect ``source`` and grade every submission; return outcomes and skipped files."""
    lectures = lectures if lectures is not None else all_lectures()
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's harmless SAWarning
    generate(lectures, root)
    collection = collect(source, root, lectures)
    api = nbgrader_api(root)
    by_assignment = {lecture.assignment: lecture for lecture in lectures}
    outcomes = []
    for student, assignment in tqdm(collection.submissions, desc="autograding", unit="submission", file=sys.stderr):
        outcomes.append(grade_one(api, root, student, by_assignment[assignment]))
        save_outcomes(outcomes[-1:], root)
    return outcomes, collection.skipped


def autograde_command(source: Path) -> int:
    """``make autograde SUBMISSIONS=...``: grade and print the summary table."""
    outcomes, skipped = autograde_all(source)
    for line in skipped:
        print(f"skipped {line}")
    print(summary_table(load_status(), all_lectures()))
    if outcomes:
        print(f"\n{len(outcomes)} submission(s) in {sum(o.seconds for o in outcomes):.1f} s "
              f"({sum(o.seconds for o in outcomes) / len(outcomes):.1f} s each)")
    return 0


def feedback_command(root: Path = NBGRADER_ROOT) -> int:
    """``make feedback``: HTML feedback for every autograded submission."""
    api = nbgrader_api(root)
    written = 0
    for student, assignments in sorted(load_status(root).items()):
        for assignment, entry in assignments.items():
            if not entry["graded"]:
                continue
            result = api.generate_feedback(assignment, student)
            if result["success"]:
                written += 1
            else:
                print(f"feedback for {student}/{assignment} failed: {(result.get('error') or '').strip()[-300:]}")
    print(f"{written} feedback file(s) under {root / 'feedback'}")
    return 0
