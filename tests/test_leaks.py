"""Nothing a student receives reveals an answer or a hidden test."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.assemble import reference_body
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


@pytest.fixture(scope="module")
def course_text() -> str:
    return shipped_text(COURSE)


def reference_lines(lecture, name) -> list[str]:
    """The reference's substantial statements (short ones like ``return out`` are too common)."""
    body = reference_body(load_reference(lecture.slug, name))
    return [line for line in (_normalized(line) for line in body.split("\n")) if len(line) >= 25]


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_course_does_not_contain_the_reference(item, course_text):
    lecture, _, name = item
    body = _normalized(reference_body(load_reference(lecture.slug, name)))
    assert body not in course_text, f"the reference body of {name} appears in course/"
    for line in reference_lines(lecture, name):
        assert line not in course_text, f"a line of the reference {name} appears in course/: {line}"


def test_course_has_no_hidden_tests(course_text):
    for marker in HIDDEN_MARKERS:
        assert _normalized(marker) not in course_text, f"{marker!r} appears in course/"
