"""nbgrader's Execute preprocessor, except that a dead kernel does not void the whole notebook.

With stock nbgrader a kernel that dies (``os._exit``, a segfault, memory exhaustion) aborts
the submission: nothing is scored. Here the cell that killed the kernel gets an error output,
a fresh kernel is started, and grading goes on, so the student gets zero on what failed
(that cell, and later cells that needed its state) and keeps the rest.
"""
from __future__ import annotations

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

DEATH_MESSAGE = "the kernel died while running this cell; grading went on in a fresh kernel"


class ResilientExecute(Execute):
    """Execute that restarts a dead kernel and continues with the next cell."""

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(NotebookNode(output_type="error", ename="DeadKernelError", evalue=DEATH_MESSAGE,
                                             traceback=[f"DeadKernelError: {DEATH_MESSAGE}"]))
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=60)
            return cell, self.resources
