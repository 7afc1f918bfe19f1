"""Generate nbgrader's release from the assembled sources, sync ``course/`` and bundle for students.

``sync`` is the authoring step: after editing a student notebook, it writes back exactly what
``nbgrader generate_assignment`` releases (nbgrader's metadata and checksums included), so the
committed notebook and the release cannot drift. ``release`` builds the student bundle: the
released notebooks and the ``course`` support package, and nothing from ``solutions/`` or
``grader/``.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.assemble import write_source
from grader.config import NBGRADER_ROOT, nbgrader_api
from grader.lectures import BUILD, COURSE, ROOT, Lecture, all_lectures

BUNDLE_NAME = "dlrl-course-student"
STUDENT_README = """\
# Deep learning and reinforcement learning: student notebooks

Lecture notebooks with interactive widgets and exercises you solve yourself. You need
Python 3.11 and about 2 GB of disk; everything runs on a laptop CPU, offline.

## Install (once)

Linux:

    python3 -m venv .venv
    .venv/bin/pip install torch==2.13.0+cpu --index-url https://download.pytorch.org/whl/cpu
    .venv/bin/pip install -r requirements.txt

macOS:

    python3 -m venv .venv
    .venv/bin/pip install -r requirements.txt

Windows (PowerShell):

    py -3.11 -m venv .venv
    .venv\\Scripts\\pip install -r requirements.txt

(On Linux the first line keeps torch to its CPU build; without it pip downloads several GB of
GPU libraries you do not need.)

## Work

    .venv/bin/jupyter lab course/          (Windows: .venv\\Scripts\\jupyter lab course)

`course/START_HERE.md` lists the lectures (right-click it, Open With, Markdown Preview, for
links you can click). Open a lecture folder and its notebook, and run the cells from the top. For each exercise,
replace `raise NotImplementedError()` with your code and run the test cell below it: a
failing test says what is wrong.

## Check before you hand in

    .venv/bin/python -m course.validate course/07_markov_decision_processes/markov_decision_processes.ipynb

runs the whole notebook the way the grader does and prints each test's verdict. Exit code 0:
every visible test passed; 1: at least one failed (the lines marked ✗ say which); 2: the file
could not be read. The grader also runs hidden tests on other inputs, so write code that is
correct in general, not just for the examples.

## Hand in

Submit the notebook file itself (for example `markov_decision_processes.ipynb`), saved, with
its original name, the way your course's learning platform asks. Do not rename, split or
convert it; cells you add are fine, and locked cells are restored by the grader anyway.
"""


class ReleaseError(RuntimeError):
    """nbgrader could not generate a lecture's release."""


def strip_outputs(notebook: NotebookNode) -> NotebookNode:
    """Remove outputs and execution counts (notebooks are committed without them)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def generate(lectures: list[Lecture], root: Path = NBGRADER_ROOT) -> dict[str, Path]:
    """Assemble each lecture's source and run ``generate_assignment``; return released paths."""
    api = nbgrader_api(root)
    released = {}
    for lecture in lectures:
        write_source(lecture, root / "source")
        result = api.generate_assignment(lecture.assignment)
        if not result["success"]:
            raise ReleaseError(f"generate_assignment failed for {lecture.assignment}:\n"
                               f"{result.get('error') or result.get('log')}")
        released[lecture.assignment] = root / "release" / lecture.assignment / lecture.notebook_name
    return released


def sync(lectures: list[Lecture] | None = None) -> list[Path]:
    """Rewrite each student notebook as nbgrader releases it; return the notebooks that changed."""
    lectures = lectures if lectures is not None else all_lectures()
    changed = []
    with tempfile.TemporaryDirectory(prefix="sync-") as scratch:
        for lecture, path in zip(lectures, generate(lectures, Path(scratch)).values()):
            notebook = strip_outputs(nbformat.read(path, as_version=4))
            if nbformat.writes(notebook) + "\n" != lecture.student_notebook.read_text():
                nbformat.write(notebook, lecture.student_notebook)
                changed.append(lecture.student_notebook)
    return changed


START_PAGE = "START_HERE.md"  # the list of lectures `make lab` opens on


def _copy_support_package(target: Path) -> None:
    """Copy the ``course`` package's modules, its ``data/`` folder and the start page (not the
    lecture folders) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for module in [*sorted(COURSE.glob("*.py")), COURSE / START_PAGE]:
        shutil.copy2(module, target / module.name)
    if (COURSE / "data").is_dir():  # small data files shipped with the course (lecture 04's text)
        shutil.copytree(COURSE / "data", target / "data", dirs_exist_ok=True)


def build_bundle(released: dict[str, Path], out_dir: Path = BUILD / "release") -> tuple[Path, Path]:
    """Write the student bundle (a folder and a zip of it); return both paths."""
    bundle = out_dir / BUNDLE_NAME
    shutil.rmtree(bundle, ignore_errors=True)
    _copy_support_package(bundle / "course")
    for assignment, notebook in released.items():
        destination = bundle / "course" / assignment / notebook.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(strip_outputs(nbformat.read(notebook, as_version=4)), destination)
    shutil.copy2(ROOT / "requirements-student.txt", bundle / "requirements.txt")
    (bundle / "README.md").write_text(STUDENT_README)
    archive = shutil.make_archive(str(out_dir / BUNDLE_NAME), "zip", root_dir=out_dir, base_dir=BUNDLE_NAME)
    return bundle, Path(archive)


def release(lectures: list[Lecture] | None = None, root: Path = NBGRADER_ROOT) -> tuple[Path, Path]:
    """Assemble, generate every lecture's release in the course directory, and bundle it."""
    lectures = lectures if lectures is not None else all_lectures()
    return build_bundle(generate(lectures, root))
