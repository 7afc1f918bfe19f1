"""``make validate NB=...``: run a notebook's visible tests and exit non-zero when one fails.

``nbgrader validate`` exits 0 even when tests fail. The check itself lives in the student's
support package (``python -m course.validate``), so students run exactly what this runs.
"""
from __future__ import annotations

from pathlib import Path

from course.validate import main


def validate_command(notebook_path: Path) -> int:
    return main([str(notebook_path)])
