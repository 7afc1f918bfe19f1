"""Grading one submission on a worker: pure in, data out.

:func:`grade_submission` receives a :class:`GradingJob` (the submission's bytes, the release
notebook it is graded against, the lecture's scenario sources and the limits) and returns a
:class:`GradingResult`: the executed notebook, the scenario runner's raw results, problems
found, timings and what the submission used of its limits (:mod:`grader.executor.confinement`).
It writes nothing outside a scratch folder it deletes, needs no shared filesystem, and never
raises: whatever goes wrong becomes a problem on the result. Judging
the results and writing the gradebook happen on the trusted side (``grader.judge``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.executor.kernel import GradingClient
from grader.executor.notebook import restore, runner_cells
from grader.executor.confinement import confined, problems
from grader.executor.sandbox import Limits, Sandbox
from grader.inspection import NotANotebook, parse_submission, problems_before_grading

RUNNER_FILES = ("__init__.py", "executor/__init__.py", "executor/runner.py", "executor/plain.py")
RESULTS_LIMIT = 64 * 2**20  # bytes of scenario results read back at most
MAX_RUNNER_STARTS = 4  # a runner stalled by code that swallows the time limit is restarted this often
STALL_GRACE = 5.0  # seconds past the time limit before a silent runner counts as stalled


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class GradingJob:
    """Everything a worker needs to grade one submission."""

    student: str
    assignment: str
    lecture: str  # the lecture's slug: its scenarios are grader.hidden.<lecture>
    submission: bytes
    release: str  # the released notebook (JSON) the submission is graded against
    scenario_sources: dict[str, str]  # "__init__.py", "factories.py" and "<lecture>.py" of grader.hidden
    names: list[str]  # graded names whose scenarios run
    limits: Limits = Limits()
    unsafe: bool = False

    @property
    def digest(self) -> str:
        return digest(self.submission)


@dataclass
class GradingResult:
    """What a worker sends back: data only; the trusted side judges it."""

    student: str
    assignment: str
    digest: str
    graded: bool = False
    notebook: str | None = None  # the executed notebook (JSON), outputs cut to the limit
    scenario_results: str = ""  # the runner's JSON lines (untrusted)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    worker: str = ""
    sandboxed: bool = True
    # The limits that held ("held", in words) and what the submission used: memory_peak_bytes,
    # oom_kills, processes_refused (with a cgroup), disk_bytes and disk_full (with a tmpfs).
    limits: dict = field(default_factory=dict)


def _grader_package() -> Path:
    return Path(__file__).resolve().parent.parent


def _runner_library(job: GradingJob, library: Path, sandbox: Sandbox) -> None:
    """Copy the runner and the lecture's scenarios into ``library`` (a package ``grader``)."""
    for relative in RUNNER_FILES:
        target = library / "grader" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        source = _grader_package() / relative
        target.write_text("" if relative == "executor/__init__.py" else source.read_text())
    hidden = library / "grader" / "hidden"
    hidden.mkdir(parents=True, exist_ok=True)
    for name, text in job.scenario_sources.items():
        (hidden / name).write_text(text)
    for path in [library, *library.rglob("*")]:
        sandbox.give(path)


def read_untrusted(path: Path, limit: int = RESULTS_LIMIT) -> str:
    """The text of a file the sandbox wrote: never through a symlink, never a FIFO or device."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return ""
        return stream.read(limit).decode("utf-8", errors="replace")


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _stalled_step(text: str) -> str | None:
    """The cell or scenario the runner started last and never finished, if any.

    None also when the runner finished (its last line is "done").
    """
    last = None
    for line in text.split("\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            last = record.get("step") if record.get("kind") == "start" else None
    return last


def _supervise(command: list[str], env: dict[str, str], cwd: Path, results: Path, stall: float,
               deadline: float) -> None:
    """Run the runner; kill it when it writes nothing for ``stall`` seconds or passes ``deadline``."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    last_size, last_change = -1, time.monotonic()
    while process.poll() is None:
        now = time.monotonic()
        size = _size(results)
        if size != last_size:
            last_size, last_change = size, now
        if now - last_change > stall or now > deadline:
            process.kill()
            process.wait()
            return
        time.sleep(0.1)


def _fresh_folder(folder: Path, sandbox: Sandbox) -> Path:
    """``folder``, emptied (what an earlier sandbox left there goes) and given to the sandbox."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sandbox.give(folder)
    return folder


def run_scenarios(job: GradingJob, restored, release, scratch: Path, sandbox: Sandbox, deadline: float,
                  writable: Path | None = None) -> str:
    """Run the hidden scenarios on the student's answers in a sandboxed process; return its JSON lines.

    ``scratch`` holds the grader's job files, ``writable`` (``scratch`` by default) what the
    runner may write. A runner that stalls in a cell or scenario (the time limit's exception
    swallowed) is killed; one whose process the student's code ended (``os._exit``) is gone.
    Either is started again with that step skipped, a few times at most, each time on an
    emptied disk (a runner that filled it must not keep the next from starting).
    """
    writable = writable or scratch
    jobs = scratch / "jobs"  # job files stay the grader's: the sandbox may not replace them
    jobs.mkdir(parents=True, exist_ok=True)
    skip: list[str] = []
    lines = ""
    for attempt in range(MAX_RUNNER_STARTS):
        home, out = _fresh_folder(writable / "home", sandbox), _fresh_folder(writable / "out", sandbox)
        library = writable / f"lib{attempt}"
        _runner_library(job, library, sandbox)
        job_file = jobs / f"job{attempt}.json"
        job_file.write_text(json.dumps({"lecture": job.lecture, "names": job.names, "library": str(library),
                                        "cell_seconds": job.limits.cell_seconds,
                                        "after_timeout_seconds": job.limits.after_timeout_seconds, "skip": skip,
                                        "cells": runner_cells(restored, release)}))
        results = out / f"results{attempt}.jsonl"
        command, env = sandbox.command([sys.executable, "-m", "grader.executor.runner", str(job_file), str(results)],
                                       cwd=home, home=home, readonly=[jobs], writable=[out, library],
                                       extra_path=[library])
        _supervise(command, env, home, results, job.limits.cell_seconds + STALL_GRACE, deadline)
        lines = read_untrusted(results)
        stalled = _stalled_step(lines)  # stalled past the limit, or the student's code ended the process
        if stalled is None or time.monotonic() > deadline:
            return lines
        skip.append(stalled)
    return lines


def grade_submission(job: GradingJob) -> GradingResult:
    """Grade one submission in the sandbox; never raises."""
    start = time.perf_counter()
    result = GradingResult(job.student, job.assignment, job.digest, worker=_worker_name(),
                           sandboxed=not job.unsafe)
    try:
        with confined(job.limits, job.unsafe) as box:
            _grade_in(job, result, box.sandbox, box.scratch, box.disk)
        result.limits = box.report
        result.problems.extend(problems(box.report, job.limits))
    except Exception as error:  # the last guard: a grader bug must not stop the batch
        result.problems.append(f"the grader failed on this submission ({type(error).__name__}: {str(error)[:200]})")
    finally:
        result.seconds["total"] = time.perf_counter() - start
    return result


def _grade_in(job: GradingJob, result: GradingResult, sandbox: Sandbox, scratch: Path, disk: Path) -> None:
    """Execute the notebook, then the hidden scenarios, in ``sandbox``; fill in ``result``.

    The grader's own files go in ``scratch``, everything the sandbox may write on ``disk``.
    """
    try:
        submission = parse_submission(job.submission)
    except NotANotebook as error:
        result.problems.append(str(error))
        return
    release = nbformat.reads(job.release, as_version=4)
    result.problems.extend(problems_before_grading(submission, release))
    restored = restore(submission, release)
    deadline = time.monotonic() + job.limits.submission_seconds
    kernel_start = time.perf_counter()
    executed = nbformat.reads(nbformat.writes(restored), as_version=4)
    try:
        setup = next(cell.source for cell in release.cells if cell.cell_type == "code")
        GradingClient(executed, sandbox, scratch / "kernel", setup_source=setup,
                      writable=disk / "kernel").execute_within_limit()
    except Exception as error:  # the kernel could not even start
        result.problems.append(f"the notebook could not be executed ({type(error).__name__}: {str(error)[:200]})")
    shutil.rmtree(disk / "kernel", ignore_errors=True)  # the runner gets the whole disk
    result.seconds["kernel"] = time.perf_counter() - kernel_start
    scenario_start = time.perf_counter()
    result.scenario_results = run_scenarios(job, restored, release, scratch / "scenarios", sandbox, deadline,
                                            disk / "scenarios")
    result.seconds["scenarios"] = time.perf_counter() - scenario_start
    result.notebook = nbformat.writes(executed)
    result.graded = True


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"
