"""What is wrong with a submission before and after grading, in plain sentences.

Before grading, a submission is compared with the released notebook: it may not be a
notebook at all, or have cells deleted, edited or turned into another type. After grading,
the autograded notebook tells which cells hit the time limit or lost their kernel.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.cells import grade_id, is_answer_cell, is_test_cell, nbgrader_meta


class NotANotebook(ValueError):
    """The submitted file cannot be read as a Jupyter notebook."""


def read_submission(path: Path) -> NotebookNode:
    """Read and validate a submitted notebook; raise :class:`NotANotebook` with the reason."""
    return parse_submission(path.read_bytes())


def parse_submission(data: bytes) -> NotebookNode:
    """Parse and validate a submitted notebook's bytes; raise :class:`NotANotebook` with the reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotANotebook("the file is not text (not a notebook)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(f"the file is not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotANotebook("the file is JSON but not a notebook (no cells)")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several types for malformed notebooks
        raise NotANotebook(f"the notebook is malformed ({type(error).__name__}: {str(error)[:120]})") from None
    return notebook


def _graded_cells(notebook: NotebookNode) -> dict[str, NotebookNode]:
    return {grade_id(cell): cell for cell in notebook.cells if nbgrader_meta(cell).get("grade_id")}


def problems_before_grading(submission: NotebookNode, release: NotebookNode) -> list[str]:
    """Differences from the release that matter for grading, one sentence each."""
    problems = []
    submitted = _graded_cells(submission)
    for cell_id, original in _graded_cells(release).items():
        cell = submitted.get(cell_id)
        kind = "test cell" if is_test_cell(original) else "answer cell"
        if cell is None:
            what = "restored and graded" if is_test_cell(original) else "graded as missing"
            problems.append(f"{kind} '{cell_id}' was deleted ({what})")
        elif cell.cell_type != original.cell_type:
            problems.append(f"{kind} '{cell_id}' was turned into {cell.cell_type} "
                            f"(restored as {original.cell_type} for grading)")
        elif is_test_cell(original) and (cell.source != original.source
                                         or nbgrader_meta(cell).get("points") != nbgrader_meta(original).get("points")):
            problems.append(f"test cell '{cell_id}' was edited (the original was restored)")
    return problems


TIMEOUT_NAMES = {"CellTimeoutError", "TimeoutError", "KeyboardInterrupt", "TimeLimitExceeded"}
KILLED_NAMES = {"KernelKilled"}
DEATH_NAMES = {"DeadKernelError"}
NOT_RUN_NAMES = {"SubmissionTimeLimit"}


def _heading(source: str) -> str | None:
    for line in source.split("\n"):
        if line.startswith("#"):
            return line.lstrip("#").strip()[:60]
    return None


def cell_labels(notebook: NotebookNode) -> list[str]:
    """A name for each cell a person can find: the exercise, or the section it sits in."""
    labels, section = [], "the top of the notebook"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            section = _heading(cell.source) or section
        meta = nbgrader_meta(cell)
        if meta.get("grade_id"):
            kind = "answer cell" if is_answer_cell(cell) else "test cell" if is_test_cell(cell) else "cell"
            labels.append(f"{kind} '{meta['grade_id']}'")
        else:
            labels.append(f"a cell in '{section}'")
    return labels


def problems_after_grading(autograded: NotebookNode) -> list[str]:
    """Cells of the autograded notebook that timed out, were stopped, or lost their kernel."""
    problems = []
    labels = cell_labels(autograded)
    not_run = 0
    for index, cell in enumerate(autograded.cells):
        if cell.cell_type != "code":
            continue
        label = labels[index]
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            name = output.get("ename", "")
            if name in TIMEOUT_NAMES:
                problems.append(f"{label} exceeded the time limit (an infinite loop?)")
            elif name in KILLED_NAMES:
                problems.append(f"{label} ignored the interrupt and was stopped (later cells ran in a fresh kernel)")
            elif name in DEATH_NAMES:
                problems.append(f"{label} killed the kernel (later cells ran in a fresh kernel)")
            elif name in NOT_RUN_NAMES:
                not_run += 1
            elif (is_answer_cell(cell) or not nbgrader_meta(cell)) and name != "NotImplementedError":
                problems.append(f"{label} raised {name}")
    if not_run:
        problems.append(f"the submission reached its time limit: {not_run} cell(s) were not run")
    return list(dict.fromkeys(problems))  # one line per problem, in order
