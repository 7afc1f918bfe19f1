"""The notebook a submission is graded as: the student's answers inside the release's cells.

Like nbgrader's own overwrite step, but from the released notebook the worker receives (no
gradebook on a worker): test cells and other locked cells come back from the release (a
deleted test cell is restored in place, an edited one replaced, a retyped one re-typed);
answer cells keep the student's code under the release's metadata; cells the student added
are kept. From that notebook the scenario runner takes the code it executes.
"""
from __future__ import annotations

import copy

from nbformat import NotebookNode

from grader.cells import grade_id, is_answer_cell, nbgrader_meta, plain_python


def _graded(notebook: NotebookNode) -> dict[str, NotebookNode]:
    return {grade_id(cell): cell for cell in notebook.cells if nbgrader_meta(cell).get("grade_id")}


def restore(submission: NotebookNode, release: NotebookNode) -> NotebookNode:
    """``submission`` with every graded or locked cell of ``release`` restored."""
    originals = _graded(release)
    restored = copy.deepcopy(submission)
    restored.metadata = copy.deepcopy(release.metadata)
    cells = []
    for cell in restored.cells:
        cell_id = nbgrader_meta(cell).get("grade_id")
        original = originals.get(cell_id)
        if original is None:
            if cell_id is None:
                cells.append(cell)  # an ordinary cell, or one the student added
            continue  # graded metadata the release does not know: drop the cell
        if is_answer_cell(original):
            fixed = copy.deepcopy(original)
            fixed.source = cell.source
            cells.append(fixed)
        else:
            cells.append(copy.deepcopy(original))
    present = {grade_id(cell) for cell in cells if nbgrader_meta(cell).get("grade_id")}
    for position, original in enumerate(release.cells):  # deleted graded cells, back in place
        cell_id = nbgrader_meta(original).get("grade_id")
        if cell_id and cell_id not in present:
            before = [grade_id(c) for c in release.cells[:position] if nbgrader_meta(c).get("grade_id")]
            anchor = next((i for i in range(len(cells) - 1, -1, -1)
                           if nbgrader_meta(cells[i]).get("grade_id") in before), -1)
            cells.insert(anchor + 1, copy.deepcopy(original))
            present.add(cell_id)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    restored.cells = cells
    return restored


def runner_cells(restored: NotebookNode, release: NotebookNode) -> list[dict[str, str]]:
    """The code the scenario runner executes: setup cell, answer cells, cells the student added."""
    release_code = {cell.source for cell in release.cells if cell.cell_type == "code"}
    first = next(cell for cell in release.cells if cell.cell_type == "code")
    picked = [{"label": "setup cell", "source": plain_python(first.source)}]
    for cell in restored.cells:
        if cell.cell_type != "code":
            continue
        if is_answer_cell(cell):
            picked.append({"label": f"answer cell '{grade_id(cell)}'", "source": plain_python(cell.source)})
        elif not nbgrader_meta(cell) and cell.source not in release_code:
            picked.append({"label": "a cell you added", "source": plain_python(cell.source)})
    return picked
