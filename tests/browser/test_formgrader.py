"""An attacker's submission opened where the instructor opens it: no script of it runs.

One "html-js" submission of lecture 07 (tests/hostile/html_js.py: script in HTML, JavaScript,
SVG, markdown, widget and unknown outputs, in an added and an edited markdown cell, and in
attachments) is graded with the real pipeline into a scratch course directory, with its
feedback. Then, in headless Chromium:

- the Formgrader's submission view, served by JupyterLab with nbgrader's formgrader extension
  on that course directory (the instructor's logged-in session);
- the feedback page, opened from disk (``file://``);

and, as a control that the payloads are live, the same submission rendered by a plain nbconvert
exporter, where they do run. A payload that ran would have counted up ``window.__pwned``,
set the title to "pwned" or requested ``/pwned-<kind>``. The payload-free plot must show.

Run: ``.venv/bin/python -m pytest -m browser tests/browser/test_formgrader.py``.
"""
from __future__ import annotations

import re
import site
import time
from pathlib import Path

import nbformat
import pytest

from grader.lectures import ROOT, find_lecture
from tests.hostile import Target, build
from tests.hostile.html_js import MARKER

from .conftest import SCREENSHOTS, _start_server, _stop_server, _write_user_settings

pytestmark = pytest.mark.browser
STUDENT = "mallory"
TRACES_JS = "() => [window.__pwned || 0, document.title]"
PLOTS_JS = """() => Array.from(document.images)
  .filter(img => img.src.startsWith('data:image/png') && img.complete && img.naturalWidth > 0).length"""


@pytest.fixture(scope="module")
def course(browser_available, tmp_path_factory) -> dict:
    """The attacker's submission graded, with its feedback, in ``<served>/nbgrader``."""
    from grader.autograde import autograde_all, feedback_command

    started = time.monotonic()
    lecture = find_lecture("07")
    served = tmp_path_factory.mktemp("formgrader")
    root = served / "nbgrader"
    target = Target(root, Path(site.getsitepackages()[0]), ROOT, served / "escaped.txt")
    submitted = served / "submissions" / STUDENT / lecture.assignment / lecture.notebook_name
    submitted.parent.mkdir(parents=True)
    nbformat.write(build(lecture, "html-js", target), submitted)
    outcomes, _ = autograde_all(served / "submissions", root, [lecture], in_process=True)
    assert outcomes and outcomes[0].graded, outcomes
    feedback_command(root)
    return {"lecture": lecture, "served": served, "root": root, "submitted": submitted,
            "grading_seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def formgrader(course, tmp_path_factory):
    """JupyterLab on the course directory, started there so the formgrader reads its config."""
    state = tmp_path_factory.mktemp("formgrader-state")
    _write_user_settings(state / "config")
    server = _start_server(course["served"], course["root"], state, 0)
    yield server
    _stop_server(server)


def _submission_id(root: Path, lecture) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission_notebook(Path(lecture.notebook_name).stem, lecture.assignment, STUDENT).id


def _traces(frame) -> dict:
    """The payloads' traces in one frame, and how many PNG plots it shows."""
    count, title = frame.evaluate(TRACES_JS)
    return {"count": count, "title": title, "plots": frame.evaluate(PLOTS_JS)}


def _visit(browser, url: str, label: str, ready: str | None = None, then=None) -> dict:
    """Open ``url`` (and do ``then(page)``, which returns the frame to look at), give scripts time
    to run, and return the traces, the plots shown and the requests that carry the marker."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(url, wait_until="load")
        if ready:
            page.locator(ready).first.wait_for(state="attached", timeout=60_000)
        frame = then(page) if then else page.main_frame
        page.wait_for_timeout(1500)  # onerror handlers and image loads fire after "load" too
        traces = _traces(frame)
        if frame is not page.main_frame:  # the page around it (JupyterLab) too
            outer = _traces(page.main_frame)
            traces.update(count=traces["count"] + outer["count"], outer_title=outer["title"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=False)
    finally:
        context.close()
    return {**traces, "requests": [url for url in requests if MARKER in url]}


def _assert_nothing_ran(traces: dict, where: str) -> None:
    assert traces["count"] == 0, f"{where}: {traces['count']} payload(s) ran"
    assert MARKER not in (traces["title"], traces.get("outer_title")), f"{where}: a payload set the title"
    assert not traces["requests"], f"{where}: payloads requested {traces['requests']}"


def test_the_formgrader_submission_view_runs_no_student_script(course, formgrader, browser, record_property):
    started = time.monotonic()
    submission = _submission_id(course["root"], course["lecture"])
    url = f"{formgrader.url}/formgrader/submissions/{submission}/?token={formgrader.token}"
    traces = _visit(browser, url, "formgrader-attacker", ready="#notebook-container")
    _assert_nothing_ran(traces, "the Formgrader's submission view")
    assert traces["plots"] >= 2, f"plots shown: {traces['plots']} (the lecture's and the payload-free one expected)"
    record_property("browser_seconds", time.monotonic() - started + course["grading_seconds"])


def test_the_formgrader_in_jupyterlab_runs_no_student_script(course, formgrader, browser):
    """As the instructor opens it: JupyterLab, Nbgrader -> Formgrader, then the submission (in
    the Formgrader's frame inside JupyterLab, with the instructor's session)."""
    submission = _submission_id(course["root"], course["lecture"])

    def open_submission(page):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
        page.locator('li.lm-Menu-item[data-command="nbgrader:open-formgrader"]').click()
        inner = page.frame_locator(".jp-MainAreaWidget iframe")
        inner.locator("#main-table").wait_for(state="attached", timeout=60_000)
        page.evaluate("url => { document.querySelector('.jp-MainAreaWidget iframe').src = url; }",
                      f"{formgrader.url}/formgrader/submissions/{submission}/")
        inner.locator("#notebook-container").first.wait_for(state="attached", timeout=60_000)
        return next(frame for frame in page.frames if "/formgrader/submissions/" in frame.url)

    traces = _visit(browser, formgrader.lab_home_url("formgrader"), "formgrader-in-lab-attacker",
                    ready=".lm-MenuBar-itemLabel", then=open_submission)
    _assert_nothing_ran(traces, "the Formgrader inside JupyterLab")
    assert traces["plots"] >= 2, f"plots shown: {traces['plots']}"


def test_the_feedback_page_from_disk_runs_no_student_script(course, browser):
    lecture = course["lecture"]
    page = course["root"] / "feedback" / STUDENT / lecture.assignment / f"{Path(lecture.notebook_name).stem}.html"
    traces = _visit(browser, page.as_uri(), "feedback-attacker")
    _assert_nothing_ran(traces, "the feedback page")
    assert traces["plots"] >= 2, f"plots shown: {traces['plots']}"


def test_the_payloads_run_where_nothing_sanitises_them(course, browser, tmp_path):
    """The control: a plain nbconvert page of the submission runs the payloads, so the checks above
    would see them."""
    from nbconvert.exporters import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(course["submitted"], as_version=4))
    page = tmp_path / "plain.html"
    page.write_text(body)
    traces = _visit(browser, page.as_uri(), "plain-attacker")
    assert traces["count"] > 0 and traces["title"] == MARKER, traces
