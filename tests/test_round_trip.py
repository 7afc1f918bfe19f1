"""The committed student notebooks are exactly nbgrader's release of the assembled sources."""
from __future__ import annotations

import nbformat
import pytest

from grader.release import generate
from tests.conftest import LECTURES


def _cells(notebook):
    return [(cell.get("id"), cell.cell_type, cell.source, cell.metadata) for cell in notebook.cells]


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_generate_assignment_gives_back_the_course_notebook(lecture, tmp_path):
    released = nbformat.read(generate([lecture], tmp_path)[lecture.assignment], as_version=4)
    committed = nbformat.read(lecture.student_notebook, as_version=4)
    assert committed.metadata == released.metadata
    assert len(committed.cells) == len(released.cells)
    for index, (mine, theirs) in enumerate(zip(_cells(committed), _cells(released))):
        assert mine == theirs, f"cell {index} differs from nbgrader's release: run `make sync`"


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_committed_notebook_has_no_outputs(lecture):
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
