"""``make validate NB=...``: run a notebook's visible tests and exit non-zero when one fails.

``nbgrader validate`` exits 0 even when tests fail; this runs the notebook the way the
autograder does (reduced demo cells, the same per-cell time limit) and reports each test
cell in a sentence.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbclient
import nbformat

from grader.cells import check_cells, grade_id
from grader.config import CELL_TIMEOUT
from grader.inspection import NotANotebook, read_submission


def failing_tests(notebook_path: Path, timeout: int = CELL_TIMEOUT) -> dict[str, str]:
    """Execute the notebook; return {test cell id: error line} for every failing test cell."""
    notebook = read_submission(notebook_path)
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        client = nbclient.NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                                         resources={"metadata": {"path": str(notebook_path.parent)}})
        client.execute()
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
    failures = {}
    for cell in check_cells(notebook):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or cell.get("execution_count") is None:
            failures[grade_id(cell)] = (f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors
                                        else "did not run")
    return failures


def validate_command(notebook_path: Path) -> int:
    if not notebook_path.is_file():
        print(f"no notebook at {notebook_path} (use make validate NB=path/to/notebook.ipynb)")
        return 2
    try:
        failures = failing_tests(notebook_path)
    except NotANotebook as error:
        print(f"{notebook_path}: {error}")
        return 2
    total = len(check_cells(nbformat.read(notebook_path, as_version=4)))
    for cell_id, message in failures.items():
        print(f"✗ {cell_id}: {message}")
    print(f"{total - len(failures)} of {total} test cells passed")
    return 1 if failures else 0
