"""Submissions are collected from folders and LMS zips, and broken ones are described."""
from __future__ import annotations

import zipfile

import nbformat
import pytest

from grader.collect import collect
from grader.inspection import NotANotebook, problems_after_grading, problems_before_grading, read_submission
from tests.conftest import LECTURES

LECTURE = LECTURES[0]


def _notebook_bytes() -> bytes:
    return LECTURE.student_notebook.read_bytes()


def test_zip_with_lms_file_names_and_student_folders(tmp_path):
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"jdoe_attempt_2026-11-20_{LECTURE.notebook_name}", _notebook_bytes())
        bundle.writestr(f"asmith/{LECTURE.assignment}/{LECTURE.notebook_name}", _notebook_bytes())
        bundle.writestr("../../escape_" + LECTURE.notebook_name, _notebook_bytes())
        bundle.writestr("readme.txt", "not a notebook")
        bundle.writestr(f"__MACOSX/jdoe_{LECTURE.notebook_name}", b"junk")
    collection = collect(archive, tmp_path / "course", LECTURES)
    assert sorted(collection.submissions) == [("asmith", LECTURE.assignment), ("jdoe", LECTURE.assignment)]
    assert len(collection.skipped) == 1 and "escape" in collection.skipped[0]
    assert (tmp_path / "course" / "submitted" / "jdoe" / LECTURE.assignment / LECTURE.notebook_name).exists()
    assert not list(tmp_path.parent.glob("escape*"))


def test_folder_in_nbgrader_layout(tmp_path):
    source = tmp_path / "in" / "submitted" / "jdoe" / LECTURE.assignment
    source.mkdir(parents=True)
    (source / LECTURE.notebook_name).write_bytes(_notebook_bytes())
    (tmp_path / "in" / "submitted" / "jdoe" / "not_a_lecture").mkdir()
    collection = collect(tmp_path / "in", tmp_path / "course", LECTURES)
    assert collection.submissions == [("jdoe", LECTURE.assignment)]
    assert collection.skipped


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ('{"a": 1}', "not a notebook"),
    ('{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "malformed"),
])
def test_unreadable_notebooks_are_explained(tmp_path, content, reason):
    path = tmp_path / "submission.ipynb"
    path.write_text(content)
    with pytest.raises(NotANotebook, match=reason):
        read_submission(path)


def test_deleted_edited_and_retyped_cells_are_reported():
    release = nbformat.read(LECTURE.student_notebook, as_version=4)
    submission = nbformat.read(LECTURE.student_notebook, as_version=4)
    graded = [c for c in submission.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
    answer, test, _, second_test = graded[:4]
    submission.cells.remove(test)
    second_test.source += "\n# changed"
    answer.cell_type = "markdown"
    problems = problems_before_grading(submission, release)
    assert any("was deleted (restored and graded)" in p for p in problems)
    assert any("was edited" in p for p in problems)
    assert any("turned into markdown" in p for p in problems)
    assert problems_before_grading(release, release) == []


def test_time_outs_and_dead_kernels_are_reported():
    notebook = nbformat.read(LECTURE.student_notebook, as_version=4)
    test = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test.outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])] * 2
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.outputs = [nbformat.v4.new_output("error", ename="DeadKernelError", evalue="", traceback=[])]
    problems = problems_after_grading(notebook)
    assert len(problems) == 2
    assert "time limit" in problems[1] and "killed the kernel" in problems[0]
