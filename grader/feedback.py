"""Feedback that never reveals the hidden tests.

nbgrader's feedback shows the hidden tests' source and, when one fails, a traceback that
quotes the failing line. ``ClearHiddenTests`` (configured in :mod:`grader.config`) removes the
source; :class:`RedactTestTracebacks` reduces every error in a test cell to its last line,
"ErrorType: message", which is where the course's checks put their plain-sentence verdict.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from grader.cells import is_test_cell


class RedactTestTracebacks(Preprocessor):
    """Replace each test cell's error tracebacks by the error's one-line summary."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_test_cell(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
