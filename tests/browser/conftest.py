"""Fixtures for the browser tests: a copy of the course, a JupyterLab server on it, Chromium.

The server runs on a copy of ``course/`` in a temporary folder (autosave never writes into the
repository), with private Jupyter config, data and runtime folders, on 127.0.0.1 with a token.
Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright for Python; Playwright's own
browser download (``playwright install``) is never used. Without that browser, or without the
``playwright`` package, every test here is skipped with the reason.

Screenshots go to ``build/screenshots/`` (git-ignored); a failing test names its screenshot in
its report. The terminal summary lists how long each notebook's browser check took.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import nbformat
import pytest

from grader.lectures import BUILD, COURSE, Lecture, all_lectures
from grader.processes import free_port, stop_process

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Headless, as root, with no network: without the background-networking flags Chromium keeps
# trying to reach the internet.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = BUILD / "screenshots"
SERVER_TIMEOUT = 60       # s for the server to answer /api/status
ACTION_TIMEOUT = 60       # s for a page element to be there to click, read or type into
KERNEL_TIMEOUT = 120      # s for a kernel to start or to finish running cells
WIDGET_TIMEOUT = 120      # s for a widget to draw its first picture or to redraw after a slide
RUN_ALL_TIMEOUT = 600     # s for Run All on a solved notebook (it fails at once on an error)
VALIDATE_TIMEOUT = 300    # s for nbgrader validate to run a whole notebook on the server
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


# --- skipping where no browser can be installed ----------------------------------------------------

def browser_unavailable() -> str | None:
    """Why no browser test can run here, or None when Chromium and Playwright are present."""
    if not CHROMIUM.exists():
        return (f"no Chromium at {CHROMIUM}: install it with "
                "`apt-get install -y chromium chromium-driver` to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed: `.venv/bin/pip install playwright`"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end tests in JupyterLab with Chromium (tests/browser)")


# --- the course copy ------------------------------------------------------------------------------

def widget_cells(notebook: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells whose last line ends with ``_widget()`` (they show a widget)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        lines = [line for line in cell.source.strip().split("\n") if line.strip()] if cell.cell_type == "code" else []
        if lines and lines[-1].rstrip().endswith("_widget()"):
            found.append(index)
    return found


def first_code_cell(notebook: nbformat.NotebookNode) -> int:
    return next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")


@dataclass
class CourseCopy:
    """The served folder: ``course/`` (student notebooks and support package), ``solved/``
    (assembled source notebooks) and ``nbgrader/`` (an nbgrader course directory)."""

    root: Path
    assembly_errors: dict[str, Exception] = field(default_factory=dict)

    @property
    def nbgrader(self) -> Path:
        return self.root / "nbgrader"

    def student(self, lecture: Lecture) -> Path:
        return self.root / "course" / lecture.assignment / lecture.notebook_name

    def solved(self, lecture: Lecture) -> Path:
        """The assembled (solved) source notebook, written into the copy with the rest."""
        if lecture.assignment in self.assembly_errors:
            raise self.assembly_errors[lecture.assignment]
        return self.root / "solved" / lecture.assignment / lecture.notebook_name

    def write_solved(self, lecture: Lecture) -> None:
        from grader.assemble import assemble

        try:
            notebook = assemble(lecture)
        except Exception as exc:  # reported by that lecture's test, not by every test
            self.assembly_errors[lecture.assignment] = exc
            return
        path = self.root / "solved" / lecture.assignment / lecture.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)


@pytest.fixture(scope="session")
def course_copy(browser_available, tmp_path_factory: pytest.TempPathFactory) -> CourseCopy:
    from grader.config import prepare_course_directory

    root = tmp_path_factory.mktemp("browser-course")
    shutil.copytree(COURSE, root / "course",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    # The formgrader reads its course directory when the server starts: create it now (the
    # test that needs the assignments runs nbgrader's generate_assignment into it).
    prepare_course_directory(root / "nbgrader")
    copy = CourseCopy(root)
    for lecture in all_lectures():  # now, so solutions and the copied course match
        copy.write_solved(lecture)
    return copy


# --- the JupyterLab server ------------------------------------------------------------------------

def _write_user_settings(config_dir: Path) -> None:
    settings = {
        # the "get notified about Jupyter news?" toast goes away only with this setting
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # every cell in the DOM, so cells can be found by their index in the notebook
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }
    for name, value in settings.items():
        path = config_dir / "lab" / "user-settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen

    def request(self, method: str, path: str, timeout: float = 10) -> object:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def lab_url(self, relative: Path | str, workspace: str) -> str:
        """The address that opens ``relative`` (to the server root) in a fresh workspace."""
        return (f"{self.url}/lab/workspaces/{quote(workspace)}/tree/{quote(str(relative))}"
                f"?reset&token={self.token}")

    def lab_home_url(self, workspace: str) -> str:
        """The address of JupyterLab with nothing open, in a fresh workspace."""
        return f"{self.url}/lab/workspaces/{quote(workspace)}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        """Stop every session and kernel, so each test starts with fresh kernels."""
        try:
            for session in self.request("GET", "/api/sessions"):
                self.request("DELETE", f"/api/sessions/{session['id']}")
            for kernel in self.request("GET", "/api/kernels"):
                self.request("DELETE", f"/api/kernels/{kernel['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _start_server(root: Path, cwd: Path, state: Path, attempt: int, lab_command: list[str] | None = None) -> LabServer:
    """Start JupyterLab on ``root`` with the tests' options; ``lab_command`` (a ``jupyter lab``
    command line, e.g. the Makefile's) replaces the default ``jupyter lab --ServerApp.root_dir=root``."""
    token = secrets.token_hex(16)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "NBGRADER_EXECUTION")}
    env.update(JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_DATA_DIR=str(state / "data"),
               JUPYTER_RUNTIME_DIR=str(state / "runtime"), IPYTHONDIR=str(state / "ipython"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
               PYTHONUNBUFFERED="1")
    jupyter = Path(sys.executable).with_name("jupyter")
    if lab_command is None:
        command = [str(jupyter)] if jupyter.exists() else [sys.executable, "-m", "jupyter"]
        command += ["lab", "--allow-root", f"--ServerApp.root_dir={root}"]
    else:
        command = list(lab_command)
    command += ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                f"--ServerApp.token={token}", "--ServerApp.port_retries=0",
                "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly"]
    log = state / f"jupyter-lab-{attempt}.log"
    with log.open("w") as out:
        # cwd: nbgrader's formgrader reads nbgrader_config.py from the server's working folder
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log, process)
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            server.request("GET", "/api/status", timeout=2)
            return server
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.25)
    _stop_server(server)
    raise RuntimeError(f"jupyter lab did not answer within {SERVER_TIMEOUT} s:\n{server.log_tail()}")


def _stop_server(server: LabServer) -> None:
    if server.process.poll() is None:
        try:
            server.request("POST", "/api/shutdown", timeout=5)
            server.process.wait(timeout=20)
        except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
            stop_process(server.process)


@pytest.fixture(scope="session")
def browser_available() -> None:
    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab_server(browser_available, course_copy: CourseCopy, tmp_path_factory) -> Iterator[LabServer]:
    state = tmp_path_factory.mktemp("jupyter-state")
    _write_user_settings(state / "config")
    error: Exception | None = None
    for attempt in range(3):  # a free port can be taken between finding and binding it
        try:
            server = _start_server(course_copy.root, course_copy.nbgrader, state, attempt)
            break
        except RuntimeError as exc:
            error = exc
    else:
        raise error
    yield server
    _stop_server(server)


# --- the browser ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


_PROMPTS_JS = """
indices => {
  const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell');
  return indices.map(i => {
    const prompt = cells[i] && cells[i].querySelector('.jp-InputArea-prompt');
    return prompt ? prompt.textContent.trim() : null;
  });
}
"""

_ERRORS_JS = r"""
() => {
  const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell');
  const found = [];
  cells.forEach((cell, index) => {
    cell.querySelectorAll('.jp-OutputArea-output').forEach(output => {
      const text = output.textContent || '';
      const stderr = output.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr';
      if ((stderr && /Traceback|(^|\n)\s*\w*(Error|Exception)\b/.test(text)) || /Error displaying widget/.test(text)) {
        found.push([index, text.slice(0, 800)]);
      }
    });
  });
  return found;
}
"""

_IMAGE_JS = """
([index, before]) => {
  const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell');
  const img = cells[index] && cells[index].querySelector('.widget-output img[src^="data:image/png"]');
  return img !== null && img.getAttribute('src') !== before;
}
"""

EXECUTED = re.compile(r"^\[\d+\]:$")


@dataclass
class LabPage:
    """One browser tab on the lab server, recording every request it makes."""

    page: object
    server: LabServer
    name: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    # navigation and kernel state
    def open_notebook(self, path: Path) -> nbformat.NotebookNode:
        """Open the notebook at ``path`` (inside the server root) and wait for its kernel."""
        notebook = nbformat.read(path, as_version=4)
        relative = path.relative_to(self.server.root)
        self.page.goto(self.server.lab_url(relative, re.sub(r"\W", "-", self.name)), wait_until="domcontentloaded")
        self.cells.nth(len(notebook.cells) - 1).wait_for(state="attached", timeout=KERNEL_TIMEOUT * 1000)
        count = self.cells.count()
        assert count == len(notebook.cells), f"{relative}: {count} cells in the page, {len(notebook.cells)} in the file"
        self.wait_idle()
        return notebook

    @property
    def cells(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")

    def wait_idle(self, timeout: float = KERNEL_TIMEOUT) -> None:
        """Wait until the status bar says the kernel is idle (the toolbar indicator is early)."""
        self.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.jp-StatusBar-Widget'))"
            ".some(e => /\\|\\s*Idle/.test(e.textContent))", timeout=timeout * 1000, polling=200)

    def prompts(self, indices: list[int]) -> list[str | None]:
        return self.page.evaluate(_PROMPTS_JS, indices)

    def wait_executed(self, indices: list[int], timeout: float = KERNEL_TIMEOUT) -> None:
        """Wait until each of the cells shows an execution count; name the ones that do not."""
        deadline = time.monotonic() + timeout
        while True:
            prompts = self.prompts(indices)
            if all(p is not None and EXECUTED.match(p) for p in prompts):
                return
            errors = self.error_outputs()
            if errors or time.monotonic() > deadline:
                waiting = {i: p for i, p in zip(indices, prompts) if not (p and EXECUTED.match(p))}
                raise AssertionError(f"cells not executed (index: prompt) {waiting}; "
                                     f"error outputs (index, text): {errors}")
            time.sleep(0.25)

    def error_outputs(self) -> list[list]:
        """(cell index, text) of every traceback or widget error shown in the notebook."""
        return self.page.evaluate(_ERRORS_JS)

    # running cells
    def run_all(self) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()

    def run_cell(self, index: int) -> None:
        """Select the cell (command mode) and run it in place with Ctrl+Enter."""
        cell = self.cells.nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputPrompt").first.click()
        self.page.keyboard.press("Control+Enter")

    # widgets
    def check_widget(self, index: int, label: str) -> dict:
        """Check that the widget in cell ``index`` drew a picture and redraws after one slider
        step; return what moved. Saves a picture of the widget after the slide."""
        cell = self.cells.nth(index)
        picture = cell.locator('.widget-output img[src^="data:image/png"]').first
        try:
            picture.wait_for(state="attached", timeout=WIDGET_TIMEOUT * 1000)
        except Exception as exc:
            raise AssertionError(f"cell {index}: no picture in the widget's output; output text: "
                                 f"{cell.locator('.jp-Cell-outputWrapper').inner_text()[:800]!r}") from exc
        text = cell.locator(".jp-Cell-outputWrapper").inner_text()
        assert "Error displaying widget" not in text and "Loading widget" not in text, \
            f"cell {index}: the widget did not render: {text[:800]!r}"
        assert cell.locator(".jupyter-widgets").count() > 0, f"cell {index}: no .jupyter-widgets"
        self.wait_idle()
        before = picture.get_attribute("src")
        moved = self._move_a_control(cell, index)
        try:
            self.page.wait_for_function(_IMAGE_JS, arg=[index, before], timeout=WIDGET_TIMEOUT * 1000, polling=100)
        except Exception as exc:
            raise AssertionError(f"cell {index}: the picture did not change within {WIDGET_TIMEOUT} s after "
                                 f"moving {moved}") from exc
        self.wait_idle()
        errors = [e for e in self.error_outputs() if e[0] == index]
        assert not errors, f"cell {index}: error after moving {moved}: {errors}"
        self.screenshot(f"{label}-cell{index:02d}", element=cell)
        return {"cell": index, **moved}

    def _move_a_control(self, cell, index: int) -> dict:
        """Press ArrowRight on the widget's first slider (ArrowLeft if it sits at its maximum);
        without a slider, choose another entry of its first drop-down menu."""
        sliders = cell.locator(".widget-slider")
        if sliders.count() == 0:
            select = cell.locator(".widget-dropdown select").first
            assert cell.locator(".widget-dropdown select").count() > 0, \
                f"cell {index}: the widget has neither a slider nor a drop-down menu to move"
            options = select.locator("option").all_inner_texts()
            current = select.evaluate("e => e.options[e.selectedIndex].text")
            other = next(o for o in options if o != current)
            select.select_option(label=other)
            return {"control": "drop-down", "from": current, "to": other}
        slider = sliders.first
        readout = slider.locator(".widget-readout")
        before = readout.inner_text()
        handle = slider.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        for key in ("ArrowRight", "ArrowLeft"):
            handle.focus()
            self.page.keyboard.press(key)
            deadline = time.monotonic() + 5
            while readout.inner_text() == before and time.monotonic() < deadline:
                time.sleep(0.05)
            if readout.inner_text() != before:
                break
        after = readout.inner_text()
        assert after != before, f"cell {index}: the slider's readout stayed {before!r} after ArrowRight and ArrowLeft"
        name = slider.locator(".widget-label").first.inner_text() if slider.locator(".widget-label").count() else "?"
        return {"control": f"slider {name!r}", "from": before, "to": after}

    # evidence
    def screenshot(self, label: str, element=None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', label)}.png"
        (element or self.page).screenshot(path=str(path))
        self.screenshots.append(path)
        return path

    def outside_requests(self) -> list[str]:
        """Every requested address that is neither on this machine nor a data:/blob: URL."""
        outside = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                outside.append(url)
        return outside


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """On a failure, save a screenshot of the page and name it (and the server log) in the report."""
    outcome = yield
    report = outcome.get_result()
    lab = item.funcargs.get("lab") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or lab is None:
        return
    try:
        path = lab.screenshot(f"FAILED-{lab.name}")
        message = f"screenshot of the page at the failure: {path}"
    except Exception as exc:  # the page may be gone
        message = f"no screenshot: {exc}"
    print(f"\n{message}")
    report.sections.append(("browser", "\n".join([
        message,
        "screenshots taken: " + ", ".join(str(p) for p in lab.screenshots),
        "browser console errors:", *lab.console_errors[-20:],
        "server log (tail):", lab.server.log_tail(),
    ])))


@pytest.fixture
def lab(request, browser, lab_server: LabServer) -> Iterator[LabPage]:
    """A fresh browser context and tab on the lab server; kernels are stopped afterwards."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT * 1000)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    (SCREENSHOTS / f"FAILED-{name}.png").unlink(missing_ok=True)  # from an earlier run
    lab_page = LabPage(page, lab_server, name)
    page.on("request", lambda r: lab_page.requests.append(r.url))
    page.on("websocket", lambda ws: lab_page.requests.append(ws.url))
    page.on("console", lambda m: lab_page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: lab_page.console_errors.append(str(e)))
    yield lab_page
    context.close()
    lab_server.shutdown_kernels()


def pytest_terminal_summary(terminalreporter) -> None:
    """List how long each browser check took and where its screenshots are."""
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", []) or [])
            if getattr(report, "when", None) == "call" and "browser_seconds" in properties:
                rows.append((report.nodeid, report.outcome, properties["browser_seconds"],
                             properties.get("screenshot", "")))
    if rows:
        terminalreporter.section("browser checks")
        for nodeid, outcome, seconds, shot in sorted(rows):
            terminalreporter.write_line(f"{seconds:6.1f} s  {outcome:7s} {nodeid}  {shot}")
