"""Autograde a class: submissions graded in parallel in sandboxes, judged and recorded here.

For each submission the client (this process, the only writer) builds a job: the submitted
bytes, the release notebook and the lecture's scenario sources. Jobs fan out over Dask
(:mod:`grader.executor.cluster`): a local cluster with one worker per core, or a running
cluster given by its scheduler's address. A worker executes the notebook in a sandboxed
kernel and the hidden scenarios in a second sandboxed process, and returns data
(:mod:`grader.executor.worker`). Back here, the trusted side compares the scenario results
with the reference's and writes each test cell's verdict (:mod:`grader.judge`); nbgrader's
own autograde step then records the scores in the gradebook, with its execution step
replaced by :class:`TrustedResults`, which inserts the judged notebook.

Every outcome, with the submission's digest, goes to ``grading_status.json`` beside the
gradebook as soon as it is recorded, so an interrupted batch resumes where it stopped: a
submission already graded with the same content is not graded again; a resubmission (new
content) is, and replaces that student's result only. The status also keeps why something
could not be graded.
"""
from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from traitlets import Bool

from grader.assemble import defined_names
from grader.cells import answer_cells, check_cells, nbgrader_meta
from grader.collect import collect
from grader.config import NBGRADER_ROOT, check_gradebook, gradebook_url, nbgrader_api
from grader.executor.sandbox import Limits, require
from grader.executor.worker import GradingJob, GradingResult, digest, grade_submission
from grader.inspection import problems_after_grading
from grader.judge import failed_scenarios, failure_records, judge_notebook
from grader.lectures import ROOT, Lecture, all_lectures, find_lecture
from grader.release import generate
from grader.sanitize import sanitize_notebook

STATUS_FILE = "grading_status.json"
UNSANDBOXED = "graded unsandboxed (UNSAFE)"
PENDING: dict[tuple[str, str], NotebookNode] = {}  # judged notebooks awaiting nbgrader's recording step


@dataclass
class Outcome:
    """One student's result on one lecture."""

    student: str
    assignment: str
    graded: bool
    score: float
    max_score: float
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    digest: str = ""
    sandboxed: bool = True
    complete: bool = True  # False when grading itself failed (retried on the next run)
    failed_scenarios: list[str] = field(default_factory=list)
    worker: str = ""
    failures: list[dict] = field(default_factory=list)  # name, scenario, kind, hint of each (the report's)
    # Seconds per phase: queued (waiting for a worker), kernel, scenarios, total (on the worker),
    # returned (until this process held the result), record (judging and recording here).
    timings: dict[str, float] = field(default_factory=dict)
    limits: dict = field(default_factory=dict)  # the limits that held and what the submission used (worker's)


def release_notebook(lecture: Lecture, root: Path) -> NotebookNode:
    return nbformat.read(root / "release" / lecture.assignment / lecture.notebook_name, as_version=4)


def _max_score(release: NotebookNode) -> float:
    return float(sum(cell.metadata.get("nbgrader", {}).get("points", 0) for cell in release.cells))


def _score_from_gradebook(root: Path, assignment: str, student: str) -> float | None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(root)) as gradebook:
        try:
            return float(gradebook.find_submission(assignment, student).score)
        except MissingEntry:
            return None


def _find_notebook(folder: Path, lecture: Lecture) -> tuple[Path | None, list[str]]:
    """The submitted notebook, renaming a single notebook with another name to the expected one."""
    expected = folder / lecture.notebook_name
    if expected.exists():
        return expected, []
    others = sorted(folder.glob("*.ipynb"))
    if len(others) == 1:
        others[0].rename(expected)
        return expected, [f"the notebook was named {others[0].name} (graded as {lecture.notebook_name})"]
    return None, [f"no notebook named {lecture.notebook_name} in the submission"]


def scenario_sources(lecture: Lecture) -> dict[str, str]:
    """The files the scenario runner needs: the scenario machinery, its factories and the lecture's scenarios."""
    hidden = ROOT / "grader" / "hidden"
    return {name: (hidden / name).read_text() for name in ("__init__.py", "factories.py", f"{lecture.slug}.py")}


def make_job(lecture: Lecture, student: str, data: bytes, release: NotebookNode, *, unsafe: bool = False,
             limits: Limits | None = None) -> GradingJob:
    names = [name for cell in answer_cells(release) for name in defined_names(cell.source)]
    return GradingJob(student=student, assignment=lecture.assignment, lecture=lecture.slug, submission=data,
                      release=nbformat.writes(release), scenario_sources=scenario_sources(lecture), names=names,
                      limits=limits or Limits.from_environment(), unsafe=unsafe)


def judged_notebook(lecture: Lecture, result: GradingResult, release: NotebookNode
                    ) -> tuple[NotebookNode, list[str], list[str], list[dict]]:
    """The notebook nbgrader records (sanitised: it is opened in the instructor's Formgrader),
    the problems it shows, the failed scenarios (as lines and as records for the instructor's report)."""
    executed = nbformat.reads(result.notebook, as_version=4)
    problems = problems_after_grading(executed)
    judged, verdicts = judge_notebook(lecture.slug, executed, release, result.scenario_results)
    return sanitize_notebook(judged, release), problems, failed_scenarios(verdicts), failure_records(verdicts)


class TrustedResults(Preprocessor):
    """Takes the place of nbgrader's Execute: the notebook becomes the judged one.

    Under ``make autograde`` the judged notebook is waiting in :data:`PENDING`. Under
    nbgrader's own ``autograde`` command (or the Formgrader), the submission is graded
    here and now, in the sandbox, unless ``UNSAFE_GRADING=1`` says otherwise.
    """

    enabled = Bool(True).tag(config=True)  # nbconvert skips preprocessors not enabled

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        judged = PENDING.pop((student, assignment), None)
        if judged is None:
            judged = self._grade_now(student, assignment)
        nb.cells = judged.cells
        return nb, resources

    def _grade_now(self, student: str, assignment: str) -> NotebookNode:
        lecture = find_lecture(assignment)
        here = Path.cwd()  # nbgrader runs in its course directory
        root = here if (here / "nbgrader_config.py").exists() else NBGRADER_ROOT
        unsafe = os.environ.get("UNSAFE_GRADING") == "1"
        require(unsafe)
        data = (root / "submitted" / student / assignment / lecture.notebook_name).read_bytes()
        release = release_notebook(lecture, root)
        result = grade_submission(make_job(lecture, student, data, release, unsafe=unsafe))
        # The Formgrader's Autograde button comes this way: its outcome goes to the status file
        # too, so the report and grades.csv show this grading's problems and failed scenarios.
        outcome, judged = judge_result(lecture, result, release)
        if judged is not None:
            outcome.graded, outcome.score = True, _passed_points(judged)
        save_outcomes([outcome], root)
        if judged is None:
            raise RuntimeError("; ".join(result.problems) or "the submission could not be graded")
        return judged


def _passed_points(judged: NotebookNode) -> float:
    """The points nbgrader gives the judged notebook: those of every test cell without an error."""
    return float(sum(nbgrader_meta(cell).get("points", 0) for cell in check_cells(judged)
                     if not any(output.get("output_type") == "error" for output in cell.get("outputs", []))))


def judge_result(lecture: Lecture, result: GradingResult, release: NotebookNode, starts: int = 1
                 ) -> tuple[Outcome, NotebookNode | None]:
    """The outcome of ``result`` before the gradebook records it, and the judged notebook
    (None when the submission could not be graded)."""
    outcome = Outcome(result.student, lecture.assignment, graded=False, score=0.0, max_score=_max_score(release),
                      problems=list(result.problems), seconds=result.seconds.get("total", 0.0),
                      digest=result.digest, sandboxed=result.sandboxed, worker=result.worker, limits=result.limits)
    outcome.timings = dict(result.seconds)
    if starts > 1:
        outcome.problems.append(f"a grading worker was lost; graded again on {result.worker or 'another worker'}")
    if not result.sandboxed:
        outcome.problems.append(UNSANDBOXED)
    if not result.graded:
        outcome.complete = any(p.startswith("the file is") or p.startswith("the notebook is malformed")
                               for p in result.problems)
        return outcome, None
    judged, problems, outcome.failed_scenarios, outcome.failures = judged_notebook(lecture, result, release)
    outcome.problems.extend(problems)
    return outcome, judged


def record(api, root: Path, lecture: Lecture, result: GradingResult, starts: int = 1) -> Outcome:
    """Judge ``result`` and record it in the gradebook (the trusted side's one write path)."""
    outcome, judged = judge_result(lecture, result, release_notebook(lecture, root), starts)
    if judged is None:
        return outcome
    PENDING[(result.student, lecture.assignment)] = judged
    try:
        response = api.autograde(lecture.assignment, result.student)
    finally:
        PENDING.pop((result.student, lecture.assignment), None)
    score = _score_from_gradebook(root, lecture.assignment, result.student)
    if response.get("success") and score is not None:
        outcome.graded, outcome.score = True, score
    else:
        reason = (response.get("error") or "").strip().splitlines()
        outcome.problems.append("nbgrader could not record it" + (f": {reason[-1]}" if reason else ""))
        outcome.complete = False
    return outcome


def load_status(root: Path = NBGRADER_ROOT) -> dict[str, dict[str, dict]]:
    """Stored outcomes: student -> assignment -> Outcome fields."""
    path = root / STATUS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_outcomes(outcomes: list[Outcome], root: Path = NBGRADER_ROOT) -> None:
    """Merge ``outcomes`` into the status file (written atomically)."""
    status = load_status(root)
    for outcome in outcomes:
        status.setdefault(outcome.student, {})[outcome.assignment] = asdict(outcome)
    path = root / STATUS_FILE
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(status, indent=1, sort_keys=True))
    os.replace(scratch, path)


def _score_text(entry: dict) -> Text:
    if not entry["graded"]:
        return Text("not graded", style="magenta")
    score, top = entry["score"], entry["max_score"]
    style = "green" if score == top else "red" if score == 0 else "yellow"
    return Text(f"{score:g}/{top:g}" + ("*" if not entry.get("sandboxed", True) else ""), style=style)


def summary(status: dict[str, dict[str, dict]], lectures: list[Lecture]) -> Table:
    """The batch summary: student, score per lecture, the problems found (wrapped)."""
    present = [lecture for lecture in lectures if any(lecture.assignment in entries for entries in status.values())]
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("student", no_wrap=True)
    for lecture in present:
        table.add_column(lecture.assignment[:2], justify="right", no_wrap=True)
    table.add_column("problems found", overflow="fold", ratio=1)
    for student in sorted(status):
        row: list = [student]
        problems = []
        for lecture in present:
            entry = status[student].get(lecture.assignment)
            row.append(_score_text(entry) if entry else Text("-"))
            if entry:
                problems.extend(f"[{lecture.assignment[:2]}] {p}" for p in entry["problems"])
        row.append(Text("\n".join(problems) or "none", style="dim" if not problems else ""))
        table.add_row(*row)
    held = sorted({entry.get("limits", {}).get("held", "") for entries in status.values() for entry in entries.values()})
    if any(held):
        table.caption = "limits: " + " | ".join(text for text in held if text)
    return table


def summary_table(status: dict[str, dict[str, dict]], lectures: list[Lecture], width: int = 120) -> str:
    """The summary as plain text (for logs and tests)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(summary(status, lectures))
    return console.file.getvalue()


@dataclass
class Batch:
    """What a run found to do: jobs to grade, outcomes already known, files skipped."""

    jobs: list[GradingJob] = field(default_factory=list)
    notes: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # e.g. a renamed notebook
    settled: list[Outcome] = field(default_factory=list)
    already_graded: int = 0
    skipped: list[str] = field(default_factory=list)


def plan_batch(source: Path, root: Path, lectures: list[Lecture], unsafe: bool) -> Batch:
    """Collect ``source`` and decide what needs grading (skipping what is graded already)."""
    collection = collect(source, root, lectures)
    status = load_status(root)
    by_assignment = {lecture.assignment: lecture for lecture in lectures}
    releases = {lecture.assignment: release_notebook(lecture, root) for lecture in lectures}
    batch = Batch(skipped=collection.skipped)
    for student, assignment in collection.submissions:
        lecture = by_assignment[assignment]
        path, problems = _find_notebook(root / "submitted" / student / assignment, lecture)
        if path is None:
            batch.settled.append(Outcome(student, assignment, False, 0.0, _max_score(releases[assignment]), problems))
            continue
        data = path.read_bytes()
        previous = status.get(student, {}).get(assignment)
        if previous and previous.get("digest") == digest(data) and previous.get("complete", True) \
                and previous.get("sandboxed", True) == (not unsafe):
            batch.already_graded += 1
            continue
        batch.jobs.append(make_job(lecture, student, data, releases[assignment], unsafe=unsafe))
        batch.notes[(student, assignment)] = problems
    return batch


def autograde_all(source: Path, root: Path = NBGRADER_ROOT, lectures: list[Lecture] | None = None, *,
                  workers: int | None = None, scheduler: str | None = None, unsafe: bool = False,
                  in_process: bool = False) -> tuple[list[Outcome], list[str]]:
    """Release, collect ``source`` and grade every submission not graded yet.

    Returns the outcomes of this run and the files skipped at collection.
    """
    from grader.executor.cluster import cluster_starting, grade_here, grade_on

    require(unsafe)
    print(check_gradebook(root), file=sys.stderr)
    lectures = lectures if lectures is not None else all_lectures()
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's harmless SAWarning
    warnings.filterwarnings("ignore", category=nbformat.validator.MissingIDFieldWarning)
    with ExitStack() as stack:
        # the cluster starts while the release is generated and the submissions collected
        cluster = None if in_process else stack.enter_context(cluster_starting(workers, scheduler))
        generate(lectures, root)
        batch = plan_batch(source, root, lectures, unsafe)
        save_outcomes(batch.settled, root)
        outcomes = list(batch.settled)
        if batch.already_graded:
            print(f"{batch.already_graded} submission(s) already graded with the same content: kept", file=sys.stderr)
        api = nbgrader_api(root)
        lecture_of = {lecture.assignment: lecture for lecture in lectures}

        def on_result(result: GradingResult, starts: int) -> bool:
            started = time.perf_counter()
            outcome = record(api, root, lecture_of[result.assignment], result, starts)
            outcome.problems[:0] = batch.notes.get((result.student, result.assignment), [])
            outcome.timings["record"] = time.perf_counter() - started
            save_outcomes([outcome], root)
            outcomes.append(outcome)
            return outcome.graded or outcome.complete

        jobs = batch.jobs
        if not jobs:
            return outcomes, batch.skipped
        with stop_on_interrupt() as stop:
            if cluster is None:
                grade_here(jobs, on_result, stop)
            else:
                grade_on(cluster(), jobs, on_result, stop)
            if stop.is_set():
                print(f"interrupted: {len(outcomes)} submission(s) recorded; run the same command again to grade "
                      "the rest", file=sys.stderr)
    return outcomes, batch.skipped


@contextmanager
def stop_on_interrupt():
    """An event set by Ctrl-C (or SIGTERM): the batch stops after the submission being recorded.

    nbgrader swallows KeyboardInterrupt inside its own steps, so the signal is caught here
    instead, and nothing is left half-written.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def autograde_command(source: Path | None, *, workers: int | None = None, scheduler: str | None = None,
                      unsafe: bool = False) -> int:
    """``make autograde SUBMISSIONS=...``: grade and print the summary table."""
    if source is None or not source.exists():
        print("usage: make autograde SUBMISSIONS=<a submitted/ folder or an LMS zip>"
              + (f"\n(no such file or folder: {source})" if source is not None else ""), file=sys.stderr)
        return 2
    start = time.perf_counter()
    outcomes, skipped = autograde_all(source, workers=workers, scheduler=scheduler, unsafe=unsafe)
    for line in skipped:
        print(f"skipped {line}")
    Console().print(summary(load_status(), all_lectures()))
    if outcomes:
        print(f"\n{len(outcomes)} submission(s) graded in {time.perf_counter() - start:.1f} s")
    return 0


def graded_submissions(root: Path) -> list[tuple[str, str]]:
    """(student, assignment) of every submission in the gradebook with an autograded notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        found = [(s.student.id, a.name) for a in gradebook.assignments for s in gradebook.assignment_submissions(a.name)]
    return sorted((student, assignment) for student, assignment in found
                  if (root / "autograded" / student / assignment).exists())


def feedback_command(root: Path = NBGRADER_ROOT) -> int:
    """``make feedback``: HTML feedback for every submission the gradebook holds."""
    print(check_gradebook(root), file=sys.stderr)
    api = nbgrader_api(root)
    written, failed = 0, []
    submissions = graded_submissions(root)
    with Progress(TextColumn("[bold]feedback"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as progress:
        for student, assignment in progress.track(submissions):
            result = api.generate_feedback(assignment, student)
            if result["success"]:
                written += 1
            else:
                failed.append(f"feedback for {student}/{assignment} failed: "
                              f"{(result.get('error') or '').strip()[-300:]}")
    for line in failed:
        print(line)
    print(f"{written} feedback file(s) under {root / 'feedback'}")
    return 0
