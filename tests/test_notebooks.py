"""Each lecture notebook runs top to bottom with the reference solutions, and its widgets work
in a fresh copy where nothing is solved. (Run times are measured by `make bench`, not here.)"""
from __future__ import annotations

import nbclient
import nbformat
import pytest

from grader.assemble import assemble
from grader.cells import is_answer_cell, is_test_cell
from tests.conftest import LECTURES

pytestmark = pytest.mark.slow
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def execute(notebook, lecture, **options):
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(lecture.student_notebook.parent)}}, **options)
    client.execute()
    return notebook


def errors(notebook) -> list[str]:
    return [f"cell {i}: {o['ename']}: {o['evalue']}" for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" for o in cell.outputs if o.get("output_type") == "error"]


def is_picture_cell(cell) -> bool:
    """A cell that only calls the lecture module (a widget or a static figure)."""
    lines = [line for line in cell.source.split("\n") if line.strip() and not line.lstrip().startswith("#")]
    return (cell.cell_type == "code" and not is_answer_cell(cell) and not is_test_cell(cell) and bool(lines)
            and all(line.startswith("lecture.") for line in lines))


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_notebook_runs_with_solutions(lecture):
    notebook = execute(assemble(lecture), lecture, allow_errors=True)
    assert errors(notebook) == []


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_widgets_work_before_any_exercise_is_solved(lecture):
    student = nbformat.read(lecture.student_notebook, as_version=4)
    setup = next(cell for cell in student.cells if cell.cell_type == "code")
    stubs = [cell for cell in student.cells if is_answer_cell(cell)]  # widgets driven by them say what to finish
    pictures = [cell for cell in student.cells if is_picture_cell(cell)]
    assert len([c for c in pictures if "_widget(" in c.source]) >= 2, "fewer than 2 widgets"
    student.cells = [setup, *stubs, *pictures]
    executed = execute(student, lecture)
    assert errors(executed) == []
    for cell in executed.cells[1 + len(stubs):]:
        kinds = {key for output in cell.outputs for key in output.get("data", {})}
        assert kinds & {WIDGET_MIME, "image/png"}, f"{cell.source!r} showed neither a widget nor a figure"
