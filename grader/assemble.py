"""Assemble nbgrader *source* notebooks from the student notebooks, solutions and hidden tests.

The student notebook in ``course/`` is the single source of the lecture's text, stubs and
visible tests. Assembly fills each stub (``# YOUR CODE HERE`` / ``raise
NotImplementedError()``) with the body of the function of the same name in
``solutions/<slug>.py`` between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, and appends to
each test cell a ``### BEGIN HIDDEN TESTS`` marker naming the scenarios the grader judges for
the names its answer cell defines (they run outside the student's kernel). ``nbgrader generate_assignment`` on the result gives back
the student notebook exactly (``tests/test_round_trip.py``).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.cells import is_answer_cell, is_test_cell, nbgrader_meta
from grader.hidden import load_book
from grader.lectures import Lecture

STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


class AssemblyError(ValueError):
    """The student notebook and the solutions do not fit together."""


def defined_names(source: str) -> list[str]:
    """Names of the top-level functions and classes a cell defines, in order."""
    return [node.name for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)]


def reference_body(obj: Any) -> str:
    """The body of a reference function or method, without its docstring, dedented."""
    source = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(source).body[0]
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        raise AssemblyError(f"the reference {obj.__qualname__} has no body besides its docstring")
    lines = source.split("\n")[body[0].lineno - 1: body[-1].end_lineno]
    return textwrap.dedent("\n".join(lines))


def _enclosing_function(tree: ast.Module, line: int) -> str | None:
    """Qualified name (``f`` or ``Class.method``) of the innermost def containing ``line``."""
    best: tuple[int, str] | None = None

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        nonlocal best
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.lineno <= line <= node.end_lineno:
                name = prefix + node.name
                if isinstance(node, ast.FunctionDef) and (best is None or node.lineno >= best[0]):
                    best = (node.lineno, name)
                visit(node.body, name + ".")

    visit(tree.body, "")
    return best[1] if best else None


def _lookup(module: ModuleType, qualname: str) -> Any:
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise AssemblyError(f"{module.__name__} has no {qualname} to fill the stub in the notebook")
        obj = getattr(obj, part)
    return obj


def fill_answer_cell(source: str, module: ModuleType) -> str:
    """Replace every stub in ``source`` by the reference body of its enclosing function."""
    tree = ast.parse(source)
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    filled = 0
    while i < len(lines):
        line = lines[i]
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip() == STUB[0] and i + 1 < len(lines) and lines[i + 1] == indent + STUB[1]:
            qualname = _enclosing_function(tree, i + 1)
            if qualname is None:
                raise AssemblyError(f"a stub outside any function at line {i + 1}:\n{source}")
            body = reference_body(_lookup(module, qualname))
            out.append(indent + "### BEGIN SOLUTION")
            out.extend(indent + body_line if body_line.strip() else "" for body_line in body.split("\n"))
            out.append(indent + "### END SOLUTION")
            filled += 1
            i += 2
            continue
        out.append(line)
        i += 1
    if not filled:
        raise AssemblyError(f"an answer cell without a stub:\n{source}")
    return "\n".join(out)


def hidden_block(slug: str, names: list[str]) -> str:
    """The hidden-test region appended to a test cell: a marker only.

    The hidden scenarios (``grader.hidden.<slug>``) never run in the student's kernel; the
    grader runs them in a separate sandboxed process and judges them on the trusted side.
    """
    return "\n".join(["### BEGIN HIDDEN TESTS",
                      f"# hidden scenarios for {', '.join(names)} (grader.hidden.{slug}) are judged by the grader,",
                      "# outside this kernel",
                      "### END HIDDEN TESTS"])


def assemble(lecture: Lecture) -> NotebookNode:
    """The nbgrader source notebook of ``lecture``."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    module = importlib.import_module(f"solutions.{lecture.slug}")
    book = load_book(lecture.slug)
    answers: dict[str, list[str]] = {}
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        meta.pop("checksum", None)
        if is_answer_cell(cell):
            answers[meta["grade_id"]] = defined_names(cell.source)
            cell.source = fill_answer_cell(cell.source, module)
        elif is_test_cell(cell):
            target = meta["grade_id"].removeprefix("test_")
            if target not in answers:
                raise AssemblyError(f"test cell {meta['grade_id']!r} follows no answer cell {target!r}")
            missing = [name for name in answers[target] if not book.for_name(name)]
            if missing:
                raise AssemblyError(f"no hidden scenarios for {', '.join(missing)} in grader.hidden.{lecture.slug}")
            cell.source = cell.source.rstrip("\n") + "\n" + hidden_block(lecture.slug, answers[target])
    return notebook


def write_source(lecture: Lecture, source_root: Path) -> Path:
    """Write the assembled source notebook under ``source_root/<assignment>/``; return its path."""
    path = source_root / lecture.assignment / lecture.notebook_name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(assemble(lecture), path)
    return path
