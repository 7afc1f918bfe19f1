"""Feedback redaction keeps the verdict and drops the traceback."""
import nbformat

from grader.feedback import RedactTestTracebacks


def test_test_cell_tracebacks_are_reduced_to_their_last_line():
    cell = nbformat.v4.new_code_cell("visible()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": 1}
    cell.outputs = [nbformat.v4.new_output("error", ename="HiddenTestFailed", evalue="x differs",
                                           traceback=["Cell In[3], line 3", "secret()", "HiddenTestFailed: x differs"])]
    plain = nbformat.v4.new_code_cell("oops()")
    plain.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="oops", traceback=["a", "b"])]
    notebook = nbformat.v4.new_notebook(cells=[cell, plain])
    notebook, _ = RedactTestTracebacks()(notebook, {})
    assert notebook.cells[0].outputs[0].traceback == ["HiddenTestFailed: x differs"]
    assert notebook.cells[1].outputs[0].traceback == ["a", "b"]
