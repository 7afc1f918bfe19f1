"""Where each lecture's pieces live.

A lecture is a folder ``course/NN_<slug>/`` holding the student notebook ``<slug>.ipynb``.
Its reference is ``solutions/<slug>.py``, its hidden scenarios ``grader/hidden/<slug>.py``,
its mutants ``tests/mutants/<slug>.py``, and its nbgrader assignment id is the folder name.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
BUILD = ROOT / "build"

_FOLDER = re.compile(r"^(\d\d)_([a-z0-9_]+)$")


@dataclass(frozen=True)
class Lecture:
    """One lecture: ``number`` 1-9 and ``slug`` such as ``"function_approximation"``."""

    number: int
    slug: str

    @property
    def assignment(self) -> str:
        """The folder name, which is also the nbgrader assignment id."""
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook_name(self) -> str:
        return f"{self.slug}.ipynb"

    @property
    def student_notebook(self) -> Path:
        """The committed student notebook in ``course/``."""
        return COURSE / self.assignment / self.notebook_name

    @property
    def title(self) -> str:
        return self.slug.replace("_", " ").capitalize()


def all_lectures() -> list[Lecture]:
    """Every lecture present in ``course/``, in order.

    ``COURSE_LECTURES`` (comma-separated numbers or slugs) restricts the list, e.g. to work
    on one lecture's tests: ``COURSE_LECTURES=07 make test-fast``.
    """
    only = {key.strip() for key in os.environ.get("COURSE_LECTURES", "").split(",") if key.strip()}
    found = []
    for folder in sorted(COURSE.iterdir()):
        match = _FOLDER.match(folder.name)
        if match and (folder / f"{match.group(2)}.ipynb").exists():
            lecture = Lecture(int(match.group(1)), match.group(2))
            if not only or only & {match.group(1), str(lecture.number), lecture.slug}:
                found.append(lecture)
    return found


def find_lecture(key: str) -> Lecture:
    """A lecture by number ("1", "01"), assignment id or slug."""
    for lecture in all_lectures():
        if key in (lecture.assignment, lecture.slug) or (key.isdigit() and int(key) == lecture.number):
            return lecture
    known = ", ".join(lecture.assignment for lecture in all_lectures())
    raise KeyError(f"no lecture {key!r}; the course has: {known}")
