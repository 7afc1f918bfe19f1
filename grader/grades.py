"""The grades CSV from the gradebook: one row per student and lecture.

Scores come from nbgrader's gradebook, so whatever was graded there counts: ``make
autograde``, nbgrader's own ``autograde`` command, the Formgrader's manual grades, and every
grader's work on a shared PostgreSQL gradebook. The status file adds what the gradebook cannot
hold: why a submission could not be graded (a "not graded" row, told apart from a real zero)
and the problems found while grading.
"""
from __future__ import annotations

import csv
from pathlib import Path

from grader.autograde import load_status
from grader.config import NBGRADER_ROOT, check_gradebook, gradebook_url

COLUMNS = ["student", "lecture", "score", "max_score", "status", "problems"]


def _gradebook_rows(root: Path) -> dict[tuple[str, str], dict[str, str]]:
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(gradebook_url(root)) as gradebook:
        for assignment in gradebook.assignments:
            for submission in gradebook.assignment_submissions(assignment.name):
                status = "needs manual grading" if submission.needs_manual_grade else "graded"
                rows[(submission.student.id, assignment.name)] = {
                    "student": submission.student.id, "lecture": assignment.name,
                    "score": f"{submission.score:g}", "max_score": f"{assignment.max_score:g}",
                    "status": status, "problems": ""}
    return rows


def grade_rows(root: Path = NBGRADER_ROOT) -> list[dict[str, str]]:
    """Rows of the CSV, sorted by student and lecture."""
    rows = _gradebook_rows(root)
    for student, assignments in load_status(root).items():
        for assignment, entry in assignments.items():
            row = rows.get((student, assignment))
            if row is None or not entry["graded"]:  # the latest submission was not graded, and why
                rows[(student, assignment)] = {"student": student, "lecture": assignment, "score": "",
                                               "max_score": f"{entry['max_score']:g}", "status": "not graded",
                                               "problems": "; ".join(entry["problems"])}
                continue
            row["problems"] = "; ".join(entry["problems"])
            if not entry.get("sandboxed", True):
                row["status"] += " unsandboxed"
    return [rows[key] for key in sorted(rows)]


def default_output(root: Path = NBGRADER_ROOT) -> Path:
    """Where the CSV goes: ``grades.csv`` beside the course directory (``build/grades.csv``)."""
    return root.parent / "grades.csv"


def write_grades(output: Path, root: Path = NBGRADER_ROOT) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(grade_rows(root))
    return output


def grades_command(output: Path, root: Path = NBGRADER_ROOT) -> int:
    """``make grades``: write the CSV and say where."""
    print(check_gradebook(root))
    rows = grade_rows(root)
    write_grades(output, root)
    ungraded = sum(row["status"] == "not graded" for row in rows)
    print(f"{len(rows)} row(s) written to {output}" + (f"; {ungraded} could not be graded (see 'problems')"
                                                       if ungraded else ""))
    return 0
