"""End-to-end: every lecture notebook in JupyterLab in Chromium, and nbgrader's lab extensions.

- instructor view: the solved (assembled source) notebook runs top to bottom without an error,
  every widget draws, and one slider step of each widget redraws its picture;
- self-learner view: the committed student notebook (stubs unsolved) runs its setup cell and
  its widget cells, and the widgets draw and react there too;
- no page asks for anything outside this machine;
- the formgrader lists the course's assignments, and a notebook has nbgrader's Validate button.

Run: ``.venv/bin/python -m pytest -m browser tests/browser`` (``COURSE_LECTURES=01`` for one
lecture). Screenshots: ``build/screenshots/``.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest

from grader.lectures import all_lectures

from .conftest import KERNEL_TIMEOUT, RUN_ALL_TIMEOUT, VALIDATE_TIMEOUT, first_code_cell, widget_cells

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LECTURES = all_lectures()


@contextmanager
def timed(lab, record_property, label: str):
    """Record (and print) how long the block took, whether or not it passed."""
    start = time.monotonic()
    try:
        yield
    finally:
        seconds = time.monotonic() - start
        record_property("browser_seconds", round(seconds, 1))
        if lab.screenshots:
            record_property("screenshot", str(lab.screenshots[0]))
        print(f"{label}: browser check took {seconds:.1f} s")


def assert_local_only(lab) -> None:
    outside = lab.outside_requests()
    assert not outside, f"the page made {len(outside)} requests outside localhost: {outside[:10]}"


def check_ran_and_widgets_react(lab, ran: list[int], widgets: list[int], label: str) -> None:
    """The cells ``ran`` executed once each, in order, in a fresh kernel, with no error output;
    every widget draws and reacts to a slider; the page asked only localhost."""
    prompts = lab.prompts(ran)
    assert prompts == [f"[{n}]:" for n in range(1, len(ran) + 1)], \
        f"the cells did not run once each, in order, in a fresh kernel: {prompts}"
    errors = lab.error_outputs()
    assert not errors, f"error outputs (cell index, text): {errors}"
    if widgets:
        lab.cells.nth(widgets[0]).scroll_into_view_if_needed()
    lab.screenshot(label)
    moved = [lab.check_widget(index, label) for index in widgets]
    print(f"{label}: {len(ran)} code cells ran; widgets moved: {moved}")
    assert_local_only(lab)


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.assignment)
def test_instructor_view(lecture, course_copy, lab, record_property):
    """The solved notebook runs without errors; its widgets draw and follow their sliders."""
    path = course_copy.solved(lecture)
    with timed(lab, record_property, f"{lecture.assignment} instructor view"):
        notebook = lab.open_notebook(path)
        code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and cell.source.strip()]
        widgets = widget_cells(notebook)
        lab.run_all()
        lab.wait_executed(code, timeout=RUN_ALL_TIMEOUT)
        lab.wait_idle()
        check_ran_and_widgets_react(lab, code, widgets, f"{lecture.assignment}-instructor")


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.assignment)
def test_self_learner_view(lecture, course_copy, lab, record_property):
    """The student notebook's setup cell and widget cells run; the widgets draw and react."""
    path = course_copy.student(lecture)
    with timed(lab, record_property, f"{lecture.assignment} self-learner view"):
        notebook = lab.open_notebook(path)
        setup, widgets = first_code_cell(notebook), widget_cells(notebook)
        for index in [setup, *widgets]:
            lab.run_cell(index)
            lab.wait_executed([index])
        lab.wait_idle()
        check_ran_and_widgets_react(lab, [setup, *widgets], widgets, f"{lecture.assignment}-student")


@pytest.mark.skipif(not LECTURES, reason="no lecture notebook in course/")
def test_validate_button(course_copy, lab, record_property):
    """nbgrader's lab extension puts a Validate button on a course notebook's toolbar."""
    lecture = LECTURES[0]
    with timed(lab, record_property, f"{lecture.assignment} validate button"):
        lab.open_notebook(course_copy.student(lecture))
        toolbar = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
        button = toolbar.locator(".jp-ToolbarButtonComponent", has_text=re.compile(r"^\s*Validate\s*$"))
        button.first.wait_for(state="visible", timeout=KERNEL_TIMEOUT * 1000)
        lab.screenshot(f"{lecture.assignment}-validate-button", element=toolbar)
        # Pressing it runs nbgrader validate on the server: the unsolved notebook fails its tests.
        button.first.click()
        dialog = lab.page.locator(".jp-Dialog")
        dialog.first.wait_for(state="visible", timeout=VALIDATE_TIMEOUT * 1000)
        text = dialog.first.inner_text()
        lab.screenshot(f"{lecture.assignment}-validate-result")
        assert re.search(r"Validation Results", text, re.I), f"unexpected validation dialog: {text[:800]!r}"
        assert "failed" in text.lower() and "success" not in text.lower(), \
            f"the unsolved notebook should fail validation: {text[:800]!r}"
        assert_local_only(lab)


@pytest.mark.skipif(not LECTURES, reason="no lecture notebook in course/")
def test_formgrader_lists_assignments(course_copy, lab_server, lab, record_property):
    """The formgrader (its own page, and opened from JupyterLab's Nbgrader menu) lists every
    lecture's assignment."""
    from grader.release import generate

    generate(LECTURES, root=course_copy.nbgrader)
    with timed(lab, record_property, "formgrader"):
        lab.page.goto(f"{lab_server.url}/formgrader?token={lab_server.token}", wait_until="domcontentloaded")
        expect_assignments(lab.page.locator("#main-table"))
        lab.screenshot("formgrader")

        lab.page.goto(lab_server.lab_home_url(lab.name), wait_until="domcontentloaded")
        lab.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
        lab.page.locator('li.lm-Menu-item[data-command="nbgrader:open-formgrader"]').click()
        expect_assignments(lab.page.frame_locator(".jp-MainAreaWidget iframe").locator("#main-table"))
        lab.screenshot("formgrader-in-lab")
        assert_local_only(lab)


def expect_assignments(table) -> None:
    """Wait until the formgrader's table shows every lecture's assignment."""
    for lecture in LECTURES:
        row = table.get_by_text(lecture.assignment, exact=True).first
        try:
            row.wait_for(state="visible", timeout=KERNEL_TIMEOUT * 1000)
        except Exception as exc:
            raise AssertionError(f"the formgrader does not list {lecture.assignment}; its table shows: "
                                 f"{table.inner_text(timeout=5000)[:800]!r}") from exc
