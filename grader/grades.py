"""The grades CSV: one row per student and lecture, telling "not graded, and why" apart from a zero."""
from __future__ import annotations

import csv
from pathlib import Path

from grader.autograde import load_status
from grader.config import NBGRADER_ROOT

COLUMNS = ["student", "lecture", "score", "max_score", "status", "problems"]


def grade_rows(root: Path = NBGRADER_ROOT) -> list[dict[str, str]]:
    """Rows of the CSV, sorted by student and lecture."""
    rows = []
    for student, assignments in sorted(load_status(root).items()):
        for assignment, entry in sorted(assignments.items()):
            rows.append({
                "student": student,
                "lecture": assignment,
                "score": f"{entry['score']:g}" if entry["graded"] else "",
                "max_score": f"{entry['max_score']:g}",
                "status": ("not graded" if not entry["graded"]
                           else "graded" if entry.get("sandboxed", True) else "graded unsandboxed"),
                "problems": "; ".join(entry["problems"]),
            })
    return rows


def write_grades(output: Path, root: Path = NBGRADER_ROOT) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(grade_rows(root))
    return output


def grades_command(output: Path, root: Path = NBGRADER_ROOT) -> int:
    """``make grades``: write the CSV and say where."""
    rows = grade_rows(root)
    write_grades(output, root)
    ungraded = sum(row["status"] != "graded" for row in rows)
    print(f"{len(rows)} row(s) written to {output}" + (f"; {ungraded} could not be graded (see 'problems')"
                                                       if ungraded else ""))
    return 0
