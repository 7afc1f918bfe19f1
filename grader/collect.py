"""Bring submissions into the course directory as ``submitted/<student>/<assignment>/<notebook>``.

Two inputs are accepted:

- a folder laid out as nbgrader's ``submitted/<student>/<assignment>/`` (or a folder that
  contains ``submitted/``);
- a zip of downloads from a learning-management system, following nbgrader's
  ``zip_collect`` conventions: each file's name is matched against ``FILENAME_PATTERN``
  (the role of ``FileNameCollectorPlugin.named_regexp``) to find the student id and the
  file; the lecture is the one whose notebook name the file carries. Files inside a folder
  per student (``<student>/.../<notebook>.ipynb``) work too.

Names from a zip never become paths as they are: student ids are checked against a safe
pattern, so an archive cannot write outside the course directory.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.lectures import Lecture

# "<student>_<anything>_<notebook>.ipynb", e.g. "jdoe_attempt_2026-11-20_function_approximation.ipynb"
FILENAME_PATTERN = re.compile(r"^(?P<student_id>[A-Za-z0-9.\-]+)_(?P<file_id>.+\.ipynb)$")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


@dataclass
class Collection:
    """What was collected: (student, assignment) pairs, and files that could not be placed."""

    submissions: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _lecture_for(name: str, lectures: list[Lecture]) -> Lecture | None:
    """The lecture whose assignment id or notebook stem appears in ``name``."""
    for lecture in lectures:
        if lecture.assignment in name or lecture.slug in name:
            return lecture
    return None


def _place(data: bytes, student: str, lecture: Lecture, root: Path, collection: Collection) -> None:
    destination = root / "submitted" / student / lecture.assignment / lecture.notebook_name
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(data)
    if (student, lecture.assignment) not in collection.submissions:
        collection.submissions.append((student, lecture.assignment))


def collect_zip(archive: Path, root: Path, lectures: list[Lecture]) -> Collection:
    """Extract an LMS download zip into ``root/submitted``."""
    collection = Collection()
    with zipfile.ZipFile(archive) as bundle:
        for member in sorted(bundle.namelist()):
            path = PurePosixPath(member)
            if not member.endswith(".ipynb") or "__MACOSX" in path.parts or ".ipynb_checkpoints" in path.parts:
                continue
            if len(path.parts) > 1:
                student = path.parts[0]
            else:
                match = FILENAME_PATTERN.match(path.name)
                student = match.group("student_id") if match else ""
            lecture = _lecture_for(member, lectures)
            if not SAFE_ID.match(student) or lecture is None:
                collection.skipped.append(f"{member}: cannot tell the student or the lecture from its name")
                continue
            _place(bundle.read(member), student, lecture, root, collection)
    return collection


def collect_folder(folder: Path, root: Path, lectures: list[Lecture]) -> Collection:
    """Copy a ``submitted/<student>/<assignment>/`` tree into ``root/submitted``."""
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    collection = Collection()
    by_assignment = {lecture.assignment: lecture for lecture in lectures}
    same_place = folder.resolve() == (root / "submitted").resolve()
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            lecture = by_assignment.get(assignment_dir.name)
            if lecture is None or not SAFE_ID.match(student_dir.name):
                collection.skipped.append(f"{assignment_dir}: not a known lecture or student id")
                continue
            if same_place:
                collection.submissions.append((student_dir.name, lecture.assignment))
                continue
            destination = root / "submitted" / student_dir.name / lecture.assignment
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(assignment_dir, destination)
            collection.submissions.append((student_dir.name, lecture.assignment))
    return collection


def collect(source: Path, root: Path, lectures: list[Lecture]) -> Collection:
    """Collect from a zip or a folder (see the module docstring)."""
    if source.is_file() and zipfile.is_zipfile(source):
        return collect_zip(source, root, lectures)
    if source.is_dir():
        return collect_folder(source, root, lectures)
    raise FileNotFoundError(f"{source} is neither a folder of submissions nor a zip file")
