"""The grading kernel's time limits: once a cell has run out of time, later cells get the
shorter ``Limits.after_timeout_seconds``, so an infinite loop costs the cells that call it and
the cells after them still run; the setup cell keeps its own limit."""
from __future__ import annotations

import nbformat
import pytest

from grader.executor.kernel import TIME_LIMIT_ERROR, GradingClient
from grader.executor.sandbox import Limits, Sandbox, probe

pytestmark = pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()}")


def _timed_out(cell) -> bool:
    return any(output.get("ename") == TIME_LIMIT_ERROR for output in cell.outputs)


def test_cells_after_a_time_out_get_the_shorter_limit(tmp_path):
    setup = "import time"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("time.sleep(3)"),                # within the first limit (6 s)
        nbformat.v4.new_code_cell("while True:\n    pass"),        # runs out of time
        nbformat.v4.new_code_cell("time.sleep(4)"),                # within 6 s, past the shorter 2 s
        nbformat.v4.new_code_cell("time.sleep(0.5)\nfinished = 1"),
    ])
    limits = Limits(cell_seconds=6, after_timeout_seconds=2, submission_seconds=120)
    GradingClient(notebook, Sandbox(limits), tmp_path, setup_source=setup).execute_within_limit()
    assert [_timed_out(cell) for cell in notebook.cells] == [False, False, True, True, False]
    assert notebook.cells[4].execution_count is not None, "the cell after the loop's victims did not run"
