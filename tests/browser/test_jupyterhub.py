"""The course on a real JupyterHub (tools/jupyterhub_config.py), driven in Chromium.

As root, the test creates a student and an instructor as Unix users (tests/classroom.py),
releases lecture 07 to the exchange as the instructor, and starts the hub on 127.0.0.1 with
the local process spawner and configurable-http-proxy (installed from the npm registry into
build/hub-proxy, pinned below). Log-in uses JupyterHub's shared-password authenticator (PAM is
the configuration's default, for real use). Then, in the browser:

1. the student logs in; JupyterLab starts as the student, from the course environment; the
   Nbgrader menu has the Assignment List and no Formgrader; the student fetches lecture 07
   from the Assignments tab, opens it (its kernel runs as the student, in the course
   environment), and submits it (the file holds the reference: typing the answers is
   tests/browser/test_lab.py's business);
2. the instructor logs in, opens the Formgrader, presses Collect, then Autograde for the student,
   and reads the score: full marks, also in the gradebook.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from grader.demo import solved
from grader.lectures import BUILD, ROOT, Lecture, find_lecture
from grader.release import generate
from grader.processes import free_port, stop_process
from tests.classroom import SCRATCH_PARENT, Classroom, unix_users_unavailable

pytestmark = pytest.mark.browser
CHP_VERSION = "5.3.0"  # configurable-http-proxy, from the npm registry
PROXY_FOLDER = BUILD / "hub-proxy"
HUB_CONFIG = ROOT / "tools" / "jupyterhub_config.py"
LECTURE = "07"
SPAWN_TIMEOUT = 180  # s for a user's JupyterLab to start and draw (loaded 2-core machine)
GRADE_TIMEOUT = 300  # s for the Autograde button to grade one submission in the sandbox


def configurable_http_proxy() -> Path:
    """The proxy's program, installed with npm into build/hub-proxy the first time."""
    program = PROXY_FOLDER / "node_modules" / ".bin" / "configurable-http-proxy"
    if program.exists():
        return program
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("JupyterHub's proxy needs Node.js and npm (Debian: apt-get install nodejs npm)")
    PROXY_FOLDER.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PROXY_FOLDER),
                           f"configurable-http-proxy@{CHP_VERSION}"], capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not program.exists():
        pytest.skip(f"npm could not install configurable-http-proxy@{CHP_VERSION}: {done.stderr.strip()[-400:]}")
    return program


@dataclass
class Hub:
    """A running hub, its class and the passwords."""

    room: Classroom
    lecture: Lecture
    url: str
    student: str
    instructor: str
    course_dir: Path
    log: Path
    process: subprocess.Popen | None = None
    user_password: str = field(default_factory=lambda: secrets.token_hex(8))
    admin_password: str = field(default_factory=lambda: secrets.token_hex(20))
    seconds: dict[str, float] = field(default_factory=dict)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _start_hub(hub: Hub, proxy: Path, state: Path) -> subprocess.Popen:
    env = {**os.environ,
           "DLRL_HUB_PYTHON": str(hub.room.python()),
           "DLRL_HUB_INSTRUCTOR_PYTHON": str(hub.room.python(instructor=True)),
           "DLRL_HUB_INSTRUCTORS": hub.instructor, "DLRL_HUB_STUDENTS": hub.student,
           "DLRL_HUB_COURSE_DIR": str(hub.course_dir), "DLRL_HUB_EXCHANGE": str(hub.room.exchange),
           "DLRL_HUB_STUDENT_CONFIG": str(hub.room.scratch / "hub-student-config"), "DLRL_HUB_URL": hub.url,
           "PATH": f"{hub.room.python().parent}:/usr/local/bin:/usr/bin:/bin"}
    command = [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG),
               "--JupyterHub.authenticator_class=shared-password",
               f"--SharedPasswordAuthenticator.user_password={hub.user_password}",
               f"--SharedPasswordAuthenticator.admin_password={hub.admin_password}",
               f"--JupyterHub.hub_bind_url=http://127.0.0.1:{free_port()}",
               f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
               f"--ConfigurableHTTPProxy.command={proxy}"]
    with hub.log.open("w") as out:
        return subprocess.Popen(command, cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def _wait_for_hub(hub: Hub, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api", timeout=2) as answer:
                json.loads(answer.read())
                return
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.5)
    raise RuntimeError(f"jupyterhub did not answer within {seconds} s:\n{hub.log_tail()}")


def _stop_hub(hub: Hub) -> None:
    """Stop the hub; it stops the users' servers and the proxy it started."""
    stop_process(hub.process, timeout=60)


@pytest.fixture(scope="module")
def hub(browser_available):
    reason = unix_users_unavailable()
    if reason:
        pytest.skip(reason)
    if os.stat(SCRATCH_PARENT).st_dev != os.stat(sys.prefix).st_dev:
        pytest.skip(f"the instructor's environment hard-links the course venv's packages: {SCRATCH_PARENT} "
                    "and the venv must be on one file system")
    proxy = configurable_http_proxy()
    room = Classroom.create(instructor_env=True)
    hub = None
    try:
        lecture = find_lecture(LECTURE)
        student, instructor = room.add_user("student"), room.add_user("teacher")
        course_dir = room.home(instructor) / "nbgrader"
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GRADING_EXCHANGE", str(room.exchange))
            generate([lecture], course_dir)
        room.give(instructor, course_dir)
        done = room.run_as(instructor, [str(room.python(instructor=True)), "-m", "nbgrader", "release_assignment",
                                        lecture.assignment], cwd=course_dir, GRADING_EXCHANGE=str(room.exchange),
                           JUPYTER_CONFIG_PATH=str(course_dir))
        assert done.returncode == 0, f"release_assignment as the instructor:\n{done.stdout}\n{done.stderr}"
        state = room.scratch / "hub"
        state.mkdir(mode=0o700)
        hub = Hub(room, lecture, f"http://127.0.0.1:{free_port()}", student, instructor, course_dir,
                  log=state / "jupyterhub.log")
        started = time.monotonic()
        hub.process = _start_hub(hub, proxy, state)
        _wait_for_hub(hub)
        hub.seconds["hub start"] = time.monotonic() - started
        yield hub
    finally:
        if hub is not None and hub.process is not None:
            _stop_hub(hub)
            shutil.copy(hub.log, BUILD / "hub-proxy" / "jupyterhub.log")
        room.remove()


def _log_in(browser, hub: Hub, user: str, password: str):
    """A fresh browser context logged in as ``user``, on their JupyterLab; returns the page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login", wait_until="domcontentloaded")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(user)}/lab"), timeout=SPAWN_TIMEOUT * 1000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).wait_for(timeout=SPAWN_TIMEOUT * 1000)
    return page


def _nbgrader_menu(page) -> list[str]:
    """Open the Nbgrader menu; return its commands (and close it again)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator(".lm-Menu-item[data-command^='nbgrader:']").first.wait_for()
    # An item whose plugin is switched off stays in the menu, disabled.
    items = page.locator(".lm-Menu-item[data-command^='nbgrader:']:not(.lm-mod-disabled):not(.lm-mod-hidden)")
    commands = [items.nth(i).get_attribute("data-command") for i in range(items.count())]
    page.keyboard.press("Escape")
    return commands


def _menu_command(page, command: str) -> None:
    """Choose ``command`` from the Nbgrader menu (a click may only close a menu left open)."""
    item = page.locator(f"li.lm-Menu-item[data-command='{command}']")
    for _ in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
        try:
            item.wait_for(state="visible", timeout=5000)
            break
        except Exception:  # the menu was open and the click closed it
            continue
    item.click()


def _screenshot(page, name: str) -> None:
    folder = BUILD / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"hub-{name}.png"))


def _user_processes(user: str) -> list[str]:
    done = subprocess.run(["ps", "-u", user, "-o", "args="], capture_output=True, text=True)
    return done.stdout.splitlines()


def test_a_student_submits_from_the_assignments_tab_and_the_formgrader_grades_it(hub, browser, record_property):
    lecture, room = hub.lecture, hub.room
    started = time.monotonic()
    page = _log_in(browser, hub, hub.student, hub.user_password)
    hub.seconds["student: log in, JupyterLab ready"] = time.monotonic() - started
    try:
        servers = [p for p in _user_processes(hub.student) if "jupyterhub.singleuser" in p]
        assert servers and servers[0].startswith(str(room.python())), servers
        commands = _nbgrader_menu(page)
        assert "nbgrader:open-assignment-list" in commands, commands
        assert "nbgrader:open-formgrader" not in commands, f"a student sees the Formgrader: {commands}"
        disabled = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                                 ".disabledExtensions")
        assert "@jupyter/nbgrader:formgrader" in disabled, disabled
        answer = page.request.get(f"{hub.url}/user/{hub.student}/formgrader/manage_assignments")
        assert answer.status == 404, f"the student's server serves the Formgrader ({answer.status})"

        started = time.monotonic()
        _menu_command(page, "nbgrader:open-assignment-list")
        released = page.locator("#released_assignments_list")
        released.get_by_text(lecture.assignment).wait_for()
        released.locator("button", has_text="Fetch").click()
        fetched = page.locator("#fetched_assignments_list")
        fetched.get_by_text(lecture.assignment).wait_for()
        notebook = room.home(hub.student) / lecture.assignment / lecture.notebook_name
        assert notebook.exists() and notebook.owner() == hub.student
        hub.seconds["student: Fetch"] = time.monotonic() - started
        _screenshot(page, "student-fetched")

        nbformat.write(solved(lecture), notebook)  # the student's work
        room.give(hub.student, notebook)
        # The kernel: open the notebook; it runs as the student, from the course environment.
        started = time.monotonic()
        page.goto(f"{hub.url}/user/{hub.student}/lab/tree/{lecture.assignment}/{lecture.notebook_name}",
                  wait_until="domcontentloaded")
        page.wait_for_function("() => Array.from(document.querySelectorAll('.jp-StatusBar-Widget'))"
                               ".some(e => /\\|\\s*Idle/.test(e.textContent))", timeout=SPAWN_TIMEOUT * 1000)
        kernels = [p for p in _user_processes(hub.student) if "ipykernel_launcher" in p]
        assert kernels and kernels[0].startswith(str(room.python())), kernels
        hub.seconds["student: open the notebook, kernel idle"] = time.monotonic() - started

        started = time.monotonic()
        _menu_command(page, "nbgrader:open-assignment-list")
        fetched = page.locator("#fetched_assignments_list")
        fetched.locator("button", has_text="Submit").click()
        page.locator("#submitted_assignments_list").get_by_text(lecture.assignment).wait_for()
        hub.seconds["student: Submit"] = time.monotonic() - started
        _screenshot(page, "student-submitted")
    finally:
        page.context.close()

    started = time.monotonic()
    page = _log_in(browser, hub, hub.instructor, hub.admin_password)
    hub.seconds["instructor: log in, JupyterLab ready"] = time.monotonic() - started
    try:
        assert "nbgrader:open-formgrader" in _nbgrader_menu(page)
        formgrader = f"{hub.url}/user/{hub.instructor}/formgrader"
        started = time.monotonic()
        page.goto(f"{formgrader}/manage_assignments", wait_until="domcontentloaded")
        row = page.locator("tr", has=page.locator(f"a:text-is('{lecture.assignment}')"))
        row.locator(".collect a").click()
        _close_modal(page, "Successfully collected")
        hub.seconds["instructor: Formgrader Collect"] = time.monotonic() - started

        started = time.monotonic()
        page.goto(f"{formgrader}/manage_submissions/{lecture.assignment}", wait_until="domcontentloaded")
        row = page.locator("tr", has=page.get_by_text(hub.student, exact=True))
        row.locator(".autograde a").click()
        grading_log = _close_modal(page, "Successfully autograded", timeout=GRADE_TIMEOUT)
        hub.seconds["instructor: Formgrader Autograde"] = time.monotonic() - started
        page.reload(wait_until="domcontentloaded")
        score = page.locator("tr", has=page.get_by_text(hub.student, exact=True)).locator(".score")
        page.wait_for_function("e => /\\d/.test(e.textContent)", arg=score.element_handle())
        _screenshot(page, "instructor-autograded")
        shown = score.inner_text().strip()
    finally:
        page.context.close()

    top = _max_score(lecture)
    assert shown == f"{top:g} / {top:g}", \
        f"the Formgrader shows {shown!r} for the reference:\n{grading_log}\n{_errors_in_autograded(hub)}"
    assert _gradebook_score(hub) == top
    for step, seconds in hub.seconds.items():
        record_property(step, round(seconds, 1))
    record_property("browser_seconds", round(sum(hub.seconds.values()), 1))
    timings = "\n".join(f"{s:6.1f} s  {step}" for step, s in hub.seconds.items())
    (BUILD / "hub-proxy" / "timings.txt").write_text(timings + f"\nscore shown: {shown}\n")


def _close_modal(page, text: str, timeout: float = 120) -> str:
    """Wait for the Formgrader's result dialog; fail with its text unless it says ``text``;
    return the text (with the log)."""
    modal = page.locator(".modal-dialog")
    modal.wait_for(timeout=timeout * 1000)
    body = modal.inner_text()
    assert text in body, body[:2000]
    modal.locator(".modal-footer button", has_text="OK").click()
    modal.wait_for(state="hidden")
    return body


def _errors_in_autograded(hub: Hub) -> str:
    """The error outputs of the student's autograded notebook (for a failure message)."""
    path = hub.course_dir / "autograded" / hub.student / hub.lecture.assignment / hub.lecture.notebook_name
    if not path.exists():
        return f"no autograded notebook at {path}"
    notebook = nbformat.read(path, as_version=4)
    errors = [f"{o.get('ename')}: {o.get('evalue')}"[:300] for cell in notebook.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return "\n".join(errors[:8])


def _max_score(lecture: Lecture) -> float:
    release = nbformat.read(lecture.student_notebook, as_version=4)
    return float(sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in release.cells))


def _gradebook_score(hub: Hub) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_dir / 'gradebook.db'}") as gradebook:
        return float(gradebook.find_submission(hub.lecture.assignment, hub.student).score)
