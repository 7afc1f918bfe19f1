"""``make demo-grading``: a synthetic class built from the course itself, graded end to end.

Students (each submits every lecture):

- ``reference``: every answer is the reference solution (full marks expected);
- ``untouched``: the released notebook as it is (zero expected);
- ``mutant-1`` ... ``mutant-K``: the reference, except one exercise per lecture holds one of
  its catalogued mutants, preferably one the visible tests miss (below full marks expected);
- ``infinite-loop``: the first exercise loops forever (the cell time limit stops it);
- ``invalid-json``: a file that is not a notebook (not graded, and the summary says why);
- ``deleted-test``: the reference with its first test cell deleted (restored and graded);
- ``markdown-answer``: the reference with its first answer cell turned into markdown;
- ``kernel-dies``: the reference, but the last answer cell kills the kernel.
"""
from __future__ import annotations

import ast
import contextlib
import inspect
import io
import shutil
import textwrap
import warnings
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.assemble import assemble, defined_names
from grader.autograde import autograde_all, feedback_command, load_status, summary_table
from grader.cells import answer_cells, check_cells, grade_id, setup_source
from grader.grades import write_grades
from grader.lectures import BUILD, Lecture, all_lectures
from grader.release import release
from grader.report import write_report

DEMO_ROOT = BUILD / "demo"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def solved(lecture: Lecture) -> NotebookNode:
    """The student notebook with every answer cell holding the reference (markers removed)."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    solved_cells = answer_cells(assemble(lecture))
    for cell, reference in zip(answer_cells(notebook), solved_cells):
        cell.source = "\n".join(line for line in reference.source.split("\n") if line.strip() not in MARKERS)
    return notebook


def replace_definition(source: str, name: str, new_definition: str) -> str:
    """``source`` with the top-level def or class ``name`` replaced by ``new_definition``."""
    node = next(n for n in ast.parse(source).body
                if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == name)
    lines = source.split("\n")
    return "\n".join(lines[: node.lineno - 1] + new_definition.rstrip("\n").split("\n") + lines[node.end_lineno:])


def _source(obj) -> str:
    """The source of a function or class. A catalogue defines many classes of one name (one per
    mutant), and ``inspect.getsource`` would give the first of them for each: a class's own
    definition is the one that holds its methods' code."""
    methods = [f.__code__.co_firstlineno for f in vars(obj).values() if inspect.isfunction(f)] \
        if inspect.isclass(obj) else []
    if methods:
        lines = inspect.getsourcelines(inspect.getmodule(obj))[0]
        for node in ast.walk(ast.parse("".join(lines))):
            if isinstance(node, ast.ClassDef) and node.name == obj.__name__ and \
                    node.lineno <= methods[0] <= node.end_lineno:
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                return "".join(lines[start - 1:node.end_lineno])
    return inspect.getsource(obj)


def _undecorated(obj) -> str:
    source = textwrap.dedent(_source(obj))
    return "\n".join(line for line in source.split("\n") if not line.lstrip().startswith("@"))


def _is_literal(value) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _helpers(code, module, seen: set[str]) -> list[str]:
    """Sources of the catalogue module's own helpers (and constants) that ``code`` uses."""
    found = []
    names = set(code.co_names) | {n for c in code.co_consts if inspect.iscode(c) for n in c.co_names}
    for name in sorted(names - seen):
        obj = module.__dict__.get(name)
        if obj is None or name in seen:
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            seen.add(name)
            if inspect.isfunction(obj):
                found += _helpers(obj.__code__, module, seen)
            found.append(_undecorated(obj))
        elif _is_literal(obj):  # a constant of the catalogue, e.g. MOVES = [...]
            seen.add(name)
            found.append(f"{name} = {obj!r}")
    return found


def mutant_source(implementation) -> str:
    """The source of a catalogued mutant without its decorator, after the helpers it calls.

    A mutant may call helpers of its catalogue module (``_grid_mutant``); pasted into a
    notebook alone it would fail with a NameError instead of being caught by a hidden test.
    """
    module = inspect.getmodule(implementation)
    seen = {implementation.__name__}
    if inspect.isfunction(implementation):
        return "\n\n".join([*_helpers(implementation.__code__, module, seen), _undecorated(implementation)])
    helpers = []
    for cls in reversed(implementation.__mro__):  # the catalogue's base classes (``_MHA``) first
        if cls.__module__ != module.__name__:
            continue
        helpers += [source for f in vars(cls).values() if inspect.isfunction(f)
                    for source in _helpers(f.__code__, module, seen)]
        if cls is not implementation and cls.__name__ not in seen:
            seen.add(cls.__name__)
            helpers.append(_undecorated(cls))
    return "\n\n".join([*helpers, _undecorated(implementation)])


def _passes_visible_tests(notebook: NotebookNode, cell: NotebookNode) -> bool:
    """Do the visible tests after ``cell`` pass when the notebook's answers are as given?"""
    from course.checks import CheckFailed

    names: dict = {"__name__": "__demo__"}
    exec(setup_source(notebook), names)
    for answer in answer_cells(notebook):
        exec(answer.source, names)
    test = next(c for c in check_cells(notebook) if grade_id(c) == "test_" + grade_id(cell))
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(test.source, names)
    except (CheckFailed, Exception):
        return False
    return True


def with_mutant(lecture: Lecture, family: int) -> NotebookNode:
    """The solved notebook with exercise ``family`` (mod the count) replaced by one of its mutants.

    A mutant that passes the visible tests is preferred: it shows the hidden tests at work.
    """
    from tests.mutants import load_catalogue

    catalogue = load_catalogue(lecture.slug)
    notebook = solved(lecture)
    cell = answer_cells(notebook)[family % len(answer_cells(notebook))]
    original = cell.source
    candidates = [(name, mutant) for name in defined_names(original) for mutant in catalogue.for_name(name)]
    for name, mutant in candidates:
        cell.source = replace_definition(original, name, mutant_source(mutant.implementation))
        if _passes_visible_tests(notebook, cell):
            return notebook
    if candidates:
        name, mutant = candidates[0]
        cell.source = replace_definition(original, name, mutant_source(mutant.implementation))
    return notebook


def infinite_loop(lecture: Lecture) -> NotebookNode:
    notebook = solved(lecture)
    cell = answer_cells(notebook)[0]
    first = next(n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef | ast.ClassDef))
    cell.source = replace_definition(cell.source, first.name,
                                     f"def {first.name}(*args, **kwargs):\n    while True:\n        pass")
    return notebook


def deleted_test(lecture: Lecture) -> NotebookNode:
    notebook = solved(lecture)
    notebook.cells.remove(check_cells(notebook)[0])
    return notebook


def markdown_answer(lecture: Lecture) -> NotebookNode:
    notebook = solved(lecture)
    cell = answer_cells(notebook)[0]
    index = notebook.cells.index(cell)
    markdown = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata, id=cell.get("id"))
    notebook.cells[index] = markdown
    return notebook


def kernel_dies(lecture: Lecture) -> NotebookNode:
    notebook = solved(lecture)
    answer_cells(notebook)[-1].source += "\n\nimport os\nos._exit(1)"
    return notebook


def mutant_families() -> int:
    """How many mutant students: the largest number of exercises in a lecture."""
    return max(len(answer_cells(nbformat.read(lecture.student_notebook, as_version=4))) for lecture in all_lectures())


BROKEN = {"infinite-loop": infinite_loop, "deleted-test": deleted_test, "markdown-answer": markdown_answer,
          "kernel-dies": kernel_dies}


def write_class(folder: Path, lectures: list[Lecture], families: int | None = None,
                broken_in: list[Lecture] | None = None) -> list[str]:
    """Write the synthetic class as ``folder/<student>/<assignment>/<notebook>``; return the students.

    ``families`` limits the mutant students; ``broken_in`` limits the broken submissions
    (time-outs, deleted cells, dead kernels, invalid JSON) to some lectures.
    """
    shutil.rmtree(folder, ignore_errors=True)
    honest = {
        "reference": solved,
        "untouched": lambda lecture: nbformat.read(lecture.student_notebook, as_version=4),
        **{f"mutant-{k + 1}": (lambda lecture, k=k: with_mutant(lecture, k))
           for k in range(families or mutant_families())},
    }
    broken_in = lectures if broken_in is None else broken_in
    for lecture in lectures:
        builders = {**honest, **(BROKEN if lecture in broken_in else {})}
        for student, build in builders.items():
            path = folder / student / lecture.assignment / lecture.notebook_name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(build(lecture), path)
        if lecture in broken_in:
            broken = folder / "invalid-json" / lecture.assignment / lecture.notebook_name
            broken.parent.mkdir(parents=True, exist_ok=True)
            broken.write_text('{"cells": [ this is not JSON')
    return [*honest, *BROKEN, "invalid-json"]


def run_demo(root: Path = DEMO_ROOT, families: int | None = None,
             broken_in: list[Lecture] | None = None) -> dict[str, dict[str, dict]]:
    """Release, write the class, autograde, feedback, grades and the report under ``root``; return the status."""
    lectures = all_lectures()
    shutil.rmtree(root, ignore_errors=True)
    bundle, archive = release(lectures, root / "nbgrader")
    print(f"released {len(lectures)} lecture(s); student bundle {archive}")
    write_class(root / "submitted", lectures, families, broken_in)
    autograde_all(root / "submitted", root / "nbgrader", lectures)
    feedback_command(root / "nbgrader")
    write_grades(root / "grades.csv", root / "nbgrader")
    write_report(root / "report", root / "nbgrader")
    return load_status(root / "nbgrader")


def demo_command() -> int:
    status = run_demo()
    print(summary_table(status, all_lectures(), width=200))  # nine lectures leave the problems room
    print(f"\ngrades: {DEMO_ROOT / 'grades.csv'}\nfeedback: {DEMO_ROOT / 'nbgrader' / 'feedback'}"
          f"\nreport: {DEMO_ROOT / 'report' / 'index.html'}")
    return 0
