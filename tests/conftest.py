"""Shared fixtures: the lectures present and their graded names."""
from __future__ import annotations

import os

import matplotlib
import nbformat
import pytest

from grader.assemble import assemble, defined_names
from grader.cells import answer_cells, grade_id
from grader.lectures import Lecture, all_lectures

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

LECTURES = all_lectures()


def graded_names(lecture: Lecture) -> list[tuple[str, str]]:
    """(answer cell id, graded name) for every function or class the student writes."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    return [(grade_id(cell), name) for cell in answer_cells(notebook) for name in defined_names(cell.source)]


GRADED = [(lecture, cell, name) for lecture in LECTURES for cell, name in graded_names(lecture)]


def graded_id(item: tuple[Lecture, str, str]) -> str:
    return f"{item[0].slug}.{item[2]}"


@pytest.fixture(scope="session")
def assembled():
    """Cache of assembled source notebooks by lecture slug."""
    cache: dict[str, nbformat.NotebookNode] = {}

    def get(lecture: Lecture) -> nbformat.NotebookNode:
        if lecture.slug not in cache:
            cache[lecture.slug] = assemble(lecture)
        return cache[lecture.slug]
    return get
