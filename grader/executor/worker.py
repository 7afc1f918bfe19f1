"""Grading one submission on a worker: pure in, data out.

:func:`grade_submission` receives a :class:`GradingJob` (the submission's bytes, the release
notebook it is graded against, the lecture's scenario sources and the limits) and returns a
:class:`GradingResult`: the executed notebook, the scenario runner's raw results, problems
found and timings. It writes nothing outside a scratch folder it deletes, needs no shared
filesystem, and never raises: whatever goes wrong becomes a problem on the result. Judging
the results and writing the gradebook happen on the trusted side (``grader.judge``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.executor.kernel import GradingClient
from grader.executor.notebook import restore, runner_cells
from grader.executor.sandbox import Limits, Sandbox, give_to_sandbox_user
from grader.inspection import NotANotebook, parse_submission, problems_before_grading

RUNNER_FILES = ("__init__.py", "executor/__init__.py", "executor/runner.py", "executor/plain.py")
RESULTS_LIMIT = 64 * 2**20  # bytes of scenario results read back at most


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
    scenario_sources: dict[str, str]  # "__init__.py" and "<lecture>.py" of grader.hidden
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


def _grader_package() -> Path:
    return Path(__file__).resolve().parent.parent


def _runner_library(job: GradingJob, library: Path) -> None:
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
        give_to_sandbox_user(path)


def run_scenarios(job: GradingJob, restored, release, scratch: Path, sandbox: Sandbox, deadline: float) -> str:
    """Run the hidden scenarios on the student's answers in a sandboxed process; return its JSON lines."""
    home, library, out = scratch / "home", scratch / "lib", scratch / "out"
    for folder in (home, out):
        folder.mkdir(parents=True, exist_ok=True)
        give_to_sandbox_user(folder)
    _runner_library(job, library)
    job_file = out / "job.json"
    job_file.write_text(json.dumps({"lecture": job.lecture, "names": job.names, "library": str(library),
                                    "cell_seconds": job.limits.cell_seconds,
                                    "cells": runner_cells(restored, release)}))
    results = out / "results.jsonl"
    command, env = sandbox.command([sys.executable, "-m", "grader.executor.runner", str(job_file), str(results)],
                                   cwd=home, home=home, writable=[out, library], extra_path=[library])
    budget = max(5.0, deadline - time.monotonic())
    try:
        subprocess.run(command, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=budget, start_new_session=True)
    except subprocess.TimeoutExpired:
        pass  # the scenarios that finished are in the file; the rest count as not finished
    if not results.exists():
        return ""
    with open(results, "rb") as handle:
        return handle.read(RESULTS_LIMIT).decode("utf-8", errors="replace")


def grade_submission(job: GradingJob) -> GradingResult:
    """Grade one submission in the sandbox; never raises."""
    start = time.perf_counter()
    result = GradingResult(job.student, job.assignment, job.digest, worker=_worker_name(),
                           sandboxed=not job.unsafe)
    scratch = Path(tempfile.mkdtemp(prefix="grading-"))
    os.chmod(scratch, 0o755)
    try:
        try:
            submission = parse_submission(job.submission)
        except NotANotebook as error:
            result.problems.append(str(error))
            return result
        release = nbformat.reads(job.release, as_version=4)
        result.problems.extend(problems_before_grading(submission, release))
        restored = restore(submission, release)
        sandbox = Sandbox(job.limits, unsafe=job.unsafe)
        deadline = time.monotonic() + job.limits.submission_seconds
        kernel_start = time.perf_counter()
        executed = nbformat.reads(nbformat.writes(restored), as_version=4)
        try:
            GradingClient(executed, sandbox, scratch / "kernel").execute()
        except Exception as error:  # the kernel could not even start
            result.problems.append(f"the notebook could not be executed ({type(error).__name__}: {str(error)[:200]})")
        result.seconds["kernel"] = time.perf_counter() - kernel_start
        scenario_start = time.perf_counter()
        result.scenario_results = run_scenarios(job, restored, release, scratch / "scenarios", sandbox, deadline)
        result.seconds["scenarios"] = time.perf_counter() - scenario_start
        result.notebook = nbformat.writes(executed)
        result.graded = True
    except Exception as error:  # the last guard: a grader bug must not stop the batch
        result.problems.append(f"the grader failed on this submission ({type(error).__name__}: {str(error)[:200]})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        result.seconds["total"] = time.perf_counter() - start
    return result


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"
