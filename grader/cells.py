"""Reading a lecture notebook's cells: answer cells, test cells and the setup cell."""
from __future__ import annotations

from typing import Any

from nbformat import NotebookNode


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def answer_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if is_answer_cell(cell)]


def check_cells(notebook: NotebookNode) -> list[NotebookNode]:
    """The graded test cells (visible tests, plus hidden ones in a source notebook)."""
    return [cell for cell in notebook.cells if is_test_cell(cell)]


def grade_id(cell: NotebookNode) -> str:
    return nbgrader_meta(cell)["grade_id"]


def plain_python(source: str) -> str:
    """A cell's source without IPython magics, so it can run with ``exec``."""
    return "\n".join(line for line in source.split("\n") if not line.lstrip().startswith(("%", "!")))


def setup_source(notebook: NotebookNode) -> str:
    """The notebook's first code cell (its imports), as plain Python."""
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    return plain_python(first.source)
