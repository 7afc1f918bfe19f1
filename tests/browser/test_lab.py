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

pytestmark = pytest.mark.browser

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


def caught_mutant(lecture):
    """A mutant of ``lecture`` whose mistake the visible tests catch in the otherwise unsolved
    notebook, its source as a notebook cell, and the failure message the visible test gives."""
    import ast
    import inspect

    from course.checks import CheckFailed
    from tests.mutants import load_catalogue
    from tests.test_exercises import _test_cell_of, _test_source, namespace

    for mutant in load_catalogue(lecture.slug).mutants:
        names = dict(namespace(lecture, solved=False))
        names[mutant.name] = mutant.implementation
        try:
            exec(_test_source(lecture, _test_cell_of(lecture)[mutant.name]), names)
        except CheckFailed as failure:
            if "not implemented" not in str(failure):
                tree = ast.parse(inspect.getsource(mutant.implementation))
                tree.body[0].decorator_list = []
                return mutant, ast.unparse(tree), str(failure).split("\n")[0]
        except Exception:
            continue
    pytest.skip(f"no mutant of {lecture.slug} fails a visible test on its own")


_VISIBLE_JS = r"""
key => {
  // the error line holding `key`, and whether all of `key` lies inside the dialog's visible width
  for (const pre of document.querySelectorAll('.jp-Dialog pre')) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    let text = '', nodes = [];
    while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.textContent; }
    const at = text.indexOf(key);
    if (at < 0) continue;
    const locate = offset => { let found = nodes[0];
      for (const n of nodes) { if (n[1] <= offset) found = n; } return [found[0], offset - found[1]]; };
    const range = document.createRange();
    range.setStart(...locate(at));
    range.setEnd(...locate(at + key.length));
    const box = range.getBoundingClientRect();
    const body = document.querySelector('.jp-Dialog-body').getBoundingClientRect();
    const dialogBody = document.querySelector('.jp-Dialog-body');
    const visible = box.left >= body.left && box.right <= body.right;
    dialogBody.scrollTop += box.top - body.top - 80;  // vertically only, for the screenshot
    const line = text.slice(text.lastIndexOf('\n', at) + 1, (text.indexOf('\n', at) + 1 || text.length + 1) - 1);
    return {line, visible};
  }
  return null;
}
"""


@pytest.mark.skipif(not LECTURES, reason="no lecture notebook in course/")
def test_validate_dialog_shows_what_is_wrong(course_copy, lab, record_property):
    """With a typical mistake in one exercise, the Validate dialog's error line starts with what
    is wrong (the expected and the obtained value...), visible without scrolling sideways."""
    import nbformat

    from grader.assemble import defined_names
    from grader.cells import answer_cells

    lecture = LECTURES[0]
    mutant, source, message = caught_mutant(lecture)
    key = re.split(r"; | — ", message, maxsplit=1)[0]
    path = course_copy.student(lecture).with_name(f"mistake_{lecture.notebook_name}")
    notebook = nbformat.read(course_copy.student(lecture), as_version=4)
    next(cell for cell in answer_cells(notebook) if mutant.name in defined_names(cell.source)).source = source
    nbformat.write(notebook, path)
    with timed(lab, record_property, f"{lecture.assignment} validate dialog with a mistake"):
        lab.open_notebook(path)
        toolbar = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
        toolbar.locator(".jp-ToolbarButtonComponent", has_text=re.compile(r"^\s*Validate\s*$")).first.click()
        dialog = lab.page.locator(".jp-Dialog")
        dialog.first.wait_for(state="visible", timeout=VALIDATE_TIMEOUT * 1000)
        shown = lab.page.evaluate(_VISIBLE_JS, key)
        lab.screenshot(f"{lecture.assignment}-validate-mistake", element=dialog.first.locator(".jp-Dialog-content"))
        assert shown is not None, f"the dialog does not show {key!r} ({mutant.description}): {dialog.first.inner_text()[-1500:]!r}"
        print(f"{lecture.assignment}: the Validate dialog shows {shown['line']!r}")
        assert shown["line"].startswith("CheckFailed: "), shown
        assert shown["visible"], f"{key!r} runs past the dialog's visible width in {shown['line']!r}"
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


def make_lab_command() -> list[str]:
    """The ``jupyter lab`` command line ``make lab`` runs (from ``make -n``), jupyter's path made absolute."""
    import shlex
    import subprocess

    from grader.lectures import ROOT

    text = subprocess.run(["make", "-s", "-n", "-C", str(ROOT), "lab"], capture_output=True, text=True,
                          check=True).stdout.replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "jupyter lab" in line)
    command = shlex.split(line)
    if not command[0].startswith("/"):
        command[0] = str(ROOT / command[0])
    return command


def test_make_lab_opens_on_the_lecture_list(browser, course_copy, tmp_path, record_property):
    """``make lab``'s command, on a copy of the course, opens a rendered page with a working link
    to each lecture's notebook (course/START_HERE.md), beside the file browser."""
    from urllib.parse import urlsplit

    from grader.lectures import COURSE

    from .conftest import LabPage, _start_server, _stop_server, _write_user_settings

    notebooks = sorted(f"{path.parent.name}/{path.name}" for path in COURSE.glob("[0-9][0-9]_*/*.ipynb"))
    _write_user_settings(tmp_path / "config")
    server = _start_server(course_copy.root, course_copy.root, tmp_path, 0, lab_command=make_lab_command())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        lab = LabPage(context.new_page(), server, "make-lab")
        lab.page.on("request", lambda r: lab.requests.append(r.url))
        with timed(lab, record_property, "make lab start page"):
            assert "/lab/tree/START_HERE.md?token=" in server.log.read_text(), \
                f"jupyter lab does not send the browser to START_HERE.md:\n{server.log_tail()}"
            lab.page.goto(f"{server.url}/?token={server.token}", wait_until="domcontentloaded")
            viewer = lab.page.locator(".jp-MarkdownViewer")
            viewer.first.wait_for(state="visible", timeout=KERNEL_TIMEOUT * 1000)
            assert lab.page.locator(".jp-FileEditor").count() == 0, "START_HERE.md opened as text, not rendered"
            links = viewer.first.locator("a")
            lab.page.wait_for_function("n => document.querySelectorAll('.jp-MarkdownViewer a').length >= n",
                                       arg=len(notebooks), timeout=KERNEL_TIMEOUT * 1000)
            # JupyterLab rewrites a relative link to its /files/ address (with a query string)
            targets = [urlsplit(links.nth(i).get_attribute("href") or "").path for i in range(links.count())]
            missing = [nb for nb in notebooks if not any(t and t.endswith(nb) for t in targets)]
            assert not missing, f"the start page has no link to {missing}; its links: {targets}"
            lab.screenshot("make-lab-start-page")
            # a link opens its notebook in JupyterLab
            first = notebooks[0]
            links.nth(next(i for i, t in enumerate(targets) if t and t.endswith(first))).click()
            panel = lab.page.locator(".jp-NotebookPanel")
            panel.first.wait_for(state="visible", timeout=KERNEL_TIMEOUT * 1000)
            lab.page.wait_for_function("name => Array.from(document.querySelectorAll('.lm-TabBar-tabLabel'))"
                                       ".some(e => e.textContent.trim() === name)",
                                       arg=first.split("/")[1], timeout=KERNEL_TIMEOUT * 1000)
            assert_local_only(lab)
    finally:
        context.close()
        server.shutdown_kernels()
        _stop_server(server)
