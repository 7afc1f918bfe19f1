"""Check a notebook before handing it in: ``python -m course.validate path/to/notebook.ipynb``.

Runs the notebook from top to bottom the way the grader does (demo and training cells in
their quick mode, at most 20 s per cell) and prints each test cell's verdict. The exit code
says whether every visible test passed: 0 yes, 1 no, 2 the file could not be checked. The
grader also runs hidden tests on other inputs, so passing here is necessary, not sufficient.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

CELL_SECONDS = 20


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def failing_tests(path: Path, timeout: int = CELL_SECONDS) -> tuple[dict[str, str], int]:
    """Execute the notebook; return ({test cell id: first error line}, number of test cells)."""
    import nbclient
    import nbformat

    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    previous = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        nbclient.NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = previous
    tests = [cell for cell in notebook.cells if _is_test_cell(cell)]
    failures = {}
    for cell in tests:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or cell.get("execution_count") is None:
            failures[cell.metadata.nbgrader["grade_id"]] = (f"{errors[0]['ename']}: {errors[0]['evalue']}"
                                                            if errors else "did not run")
    return failures, len(tests)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_file():
        print("usage: python -m course.validate path/to/notebook.ipynb")
        return 2
    path = Path(args[0])
    try:
        failures, total = failing_tests(path)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as error:
        print(f"{path}: not a readable notebook ({type(error).__name__}: {error})")
        return 2
    for cell_id, message in failures.items():
        print(f"✗ {cell_id}: {message}")
    print(f"{total - len(failures)} of {total} test cells passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
