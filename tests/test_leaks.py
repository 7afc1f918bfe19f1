"""Nothing a student receives reveals an answer or a hidden test."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from grader.assemble import reference_body
from grader.cells import is_answer_cell
from grader.hidden import load_reference
from grader.lectures import COURSE
from tests.conftest import GRADED, graded_id

HIDDEN_MARKERS = ["BEGIN HIDDEN TESTS", "check_hidden", "grader.hidden", "BEGIN SOLUTION", "solutions."]


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


def shipped_text(folder: Path) -> str:
    """Every text file a student gets from ``folder``, normalized (whitespace removed)."""
    return "\n".join(_normalized(path.read_text()) for path in sorted(folder.rglob("*"))
                     if path.is_file() and path.suffix in {".py", ".ipynb", ".md", ".txt"})


def support_code(folder: Path) -> str:
    """The code a student gets besides the exercises' own cells (whose docstrings are specs)."""
    parts = [path.read_text() for path in sorted(folder.rglob("*.py"))]
    for path in sorted(folder.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        parts += [cell.source for cell in notebook.cells if cell.cell_type == "code" and not is_answer_cell(cell)]
    return "\n".join(_normalized(part) for part in parts)


@pytest.fixture(scope="module")
def course_text() -> str:
    return shipped_text(COURSE)


@pytest.fixture(scope="module")
def course_code() -> str:
    return support_code(COURSE)


def stubbed(lecture, name) -> list[str]:
    """Qualified names of the functions/methods under ``name`` that the notebook stubs."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    for cell in notebook.cells:
        if not is_answer_cell(cell):
            continue
        for node in ast.parse(cell.source).body:
            if getattr(node, "name", None) != name:
                continue
            functions = [node] if isinstance(node, ast.FunctionDef) else [
                child for child in node.body if isinstance(child, ast.FunctionDef)]
            return [name if f is node else f"{name}.{f.name}" for f in functions
                    if "raise NotImplementedError()" in ast.get_source_segment(cell.source, f)]
    return []


def pasted_bodies(lecture, name) -> list[str]:
    """The reference bodies assembly pastes into the notebook for ``name``."""
    bodies = []
    for qualname in stubbed(lecture, name):
        obj = load_reference(lecture.slug, qualname.split(".")[0])
        for part in qualname.split(".")[1:]:
            obj = getattr(obj, part)
        bodies.append(reference_body(obj))
    return bodies


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_course_does_not_contain_the_reference(item, course_text, course_code):
    lecture, _, name = item
    bodies = pasted_bodies(lecture, name)
    assert bodies, f"no stub found for {name}"
    for body in bodies:
        assert _normalized(body) not in course_text, f"the reference body of {name} appears in course/"
        for line in (_normalized(line) for line in body.split("\n")):
            if len(line) >= 30:
                assert line not in course_code, f"a line of the reference {name} appears in course/: {line}"


def test_course_has_no_hidden_tests(course_text):
    for marker in HIDDEN_MARKERS:
        assert _normalized(marker) not in course_text, f"{marker!r} appears in course/"
