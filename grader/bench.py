"""``make bench``: the course's speed figures, written to ``build/bench/results.{json,txt}``.

- each lecture notebook's run time with the reference solutions (a person's "run all") and
  under grading (``NBGRADER_EXECUTION`` set, demo cells reduced);
- the autograde time per submission (the reference student, graded in one process);
- a small class graded in one run: each submission with and without the sandbox, back to back
  (the sandbox's cost as a ratio), then on a local Dask cluster with 1 and with 2 workers and on
  a real 2-worker cluster (``dask scheduler`` and ``dask worker`` processes on 127.0.0.1): the
  throughput ratios, the overhead per submission beyond the worker's own work, and every
  submission's times (worker, queued, kernel, scenarios, total, returned, record), so that a
  submission that stalls shows;
- the median time of each widget's update (``WIDGET_UPDATES`` of each support module: the
  pure function at a slider setting, rendered to the PNG the widget shows): one slider move;
- training targets: for a lecture whose support module ``course.<slug>`` defines
  ``benchmark_training(reference)``, what that function reports when given the reference
  module ``solutions.<slug>`` (e.g. episodes, steps and seconds to a target return per seed).

Figures are measured, never asserted: tests do not time anything.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib
import nbclient
import nbformat
from rich.console import Console
from rich.table import Table

from grader.assemble import assemble
from grader.lectures import BUILD, Lecture, all_lectures

BENCH_DIR = BUILD / "bench"
WIDGET_REPEATS = 9


def notebook_seconds(lecture: Lecture, grading: bool) -> float:
    """Wall time to execute the solved notebook (kernel start included)."""
    notebook = assemble(lecture)
    previous = os.environ.pop("NBGRADER_EXECUTION", None)
    if grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        start = time.perf_counter()
        nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(lecture.student_notebook.parent)}}).execute()
        return time.perf_counter() - start
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
        if previous is not None:
            os.environ["NBGRADER_EXECUTION"] = previous


MIN_CLASS = 10  # submissions in the bench class at least (COURSE_LECTURES=01: ten of lecture 01)


def bench_class(folder: Path, lectures: list[Lecture]) -> int:
    """The reference and mutants of each lecture, two per lecture or more, so that the class
    holds at least :data:`MIN_CLASS` submissions; return how many."""
    from grader.demo import solved, with_mutant

    per_lecture = max(2, -(-MIN_CLASS // len(lectures)))
    count = 0
    for lecture in lectures:
        students = {"reference": lambda: solved(lecture),
                    **{f"mutant-{k + 1}": (lambda k=k: with_mutant(lecture, k)) for k in range(per_lecture - 1)}}
        for student, build in students.items():
            path = folder / student / lecture.assignment / lecture.notebook_name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(build(), path)
            count += 1
    return count


PHASES = ("queued", "kernel", "scenarios", "total", "returned", "record")
# A submission whose worker time in one run passes this multiple of what it usually takes in a
# run of that speed (and by more than STALL_MARGIN seconds) is flagged as stalled.
STALL_FACTOR = 1.8
STALL_MARGIN = 5.0


def _graded_in(folder: Path, lectures: list[Lecture], **options) -> tuple[float, list]:
    """Wall seconds to grade ``folder`` from scratch with ``options``, and the outcomes."""
    from grader.autograde import autograde_all

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch:
        start = time.perf_counter()
        outcomes, _ = autograde_all(folder, Path(scratch) / "nbgrader", lectures, **options)
        return time.perf_counter() - start, outcomes


def _graded_on_cluster(folder: Path, lectures: list[Lecture], workers: int) -> tuple[float, list]:
    """As :func:`_graded_in`, on a real cluster of ``workers`` started here (its start not timed)."""
    from grader.executor.cluster import cluster_on_this_machine

    with cluster_on_this_machine(workers) as address:
        return _graded_in(folder, lectures, scheduler=address)


def submission_rows(run: str, outcomes: list) -> list[dict]:
    """One row per submission of a run: where it was graded and its seconds per phase."""
    return [{"run": run, "submission": f"{o.student}/{o.assignment[:2]}", "worker": o.worker.rsplit(":", 1)[-1],
             **{phase: round(o.timings[phase], 2) for phase in PHASES if phase in o.timings}} for o in outcomes]


def mark_stalls(rows: list[dict]) -> None:
    """Set each row's "stalled": its worker time far above what it usually takes (its median over
    the runs) scaled by its run's speed. A loaded machine slows a whole run; a stall, one
    submission. A run's speed is the lower median of its submissions' times over their usual
    times, so that a stalled submission does not set it."""
    timed = [row for row in rows if "total" in row]
    usual = {row["submission"]: statistics.median(r["total"] for r in timed if r["submission"] == row["submission"])
             for row in timed}
    speed = {run: statistics.median_low(r["total"] / max(usual[r["submission"]], 1e-9) for r in timed if r["run"] == run)
             for run in {row["run"] for row in timed}}
    for row in rows:
        expected = usual[row["submission"]] * speed[row["run"]] if "total" in row else 0.0
        row["stalled"] = "total" in row and row["total"] > max(STALL_FACTOR * expected, expected + STALL_MARGIN)


def grading_span(outcomes: list) -> float:
    """Seconds from the jobs' submission to the last result recorded: the part of a batch that
    more workers can shorten (all jobs are submitted at once; the batch's wall time also holds
    the release, the gradebook's creation and the local cluster's start and stop)."""
    return max((sum(o.timings.get(phase, 0.0) for phase in ("queued", "total", "returned", "record"))
                for o in outcomes), default=0.0)


def _stalls(rows: list[dict]) -> int:
    return sum(1 for row in rows if row["stalled"])


def sandbox_seconds(folder: Path, lectures: list[Lecture]) -> tuple[float, float]:
    """Total seconds to grade every submission in ``folder`` without and with the sandbox.

    Each submission is graded both ways back to back, the order alternating from one
    submission to the next, so that a slow spell of the machine or a warm cache favours
    neither side. Recording is the same either way and is left out.
    """
    from grader.autograde import make_job, release_notebook
    from grader.executor.worker import grade_submission
    from grader.release import generate

    unsafe = sandboxed = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as scratch:
        root = Path(scratch)
        generate(lectures, root)
        pairs = 0
        for lecture in lectures:
            release = release_notebook(lecture, root)
            for path in sorted(folder.glob(f"*/{lecture.assignment}/{lecture.notebook_name}")):
                data = path.read_bytes()
                order = (True, False) if pairs % 2 == 0 else (False, True)
                for without_sandbox in order:
                    result = grade_submission(make_job(lecture, path.parts[-3], data, release, unsafe=without_sandbox))
                    if without_sandbox:
                        unsafe += result.seconds["total"]
                    else:
                        sandboxed += result.seconds["total"]
                pairs += 1
    return unsafe, sandboxed


# The class is graded six times in this order: a machine that speeds up or slows down over the
# run favours no configuration. "cluster 2" is a real cluster of separate processes.
GRADING_RUNS = ("local 1", "local 2", "cluster 2", "cluster 2", "local 2", "local 1")


def grade_class(folder: Path, lectures: list[Lecture], run: str) -> tuple[float, list]:
    """Grade the class in ``folder`` as ``run`` ("local N" or "cluster N") says."""
    kind, workers = run.split()
    if kind == "cluster":
        return _graded_on_cluster(folder, lectures, int(workers))
    return _graded_in(folder, lectures, workers=int(workers))


def grading_figures(lectures: list[Lecture]) -> dict:
    """The same class graded several ways in one run: each submission with and without the
    sandbox (its cost), then on a local Dask cluster with 1 and with 2 workers and on a real
    2-worker cluster, twice each (the scaling; the times are the means of the two runs), with
    every submission's times."""
    from grader.judge import reference_results

    for lecture in lectures:  # computed once per process: warm it so no run pays for it
        reference_results(lecture.slug)
    walls: dict[str, list[float]] = {run: [] for run in GRADING_RUNS}
    spans: dict[str, list[float]] = {run: [] for run in GRADING_RUNS}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-class-") as scratch:
        folder = Path(scratch) / "submitted"
        count = bench_class(folder, lectures)
        unsafe, sandboxed = sandbox_seconds(folder, lectures)
        for number, run in enumerate(GRADING_RUNS, start=1):
            wall, outcomes = grade_class(folder, lectures, run)
            walls[run].append(wall)
            spans[run].append(grading_span(outcomes))
            rows += submission_rows(f"{number}: {run}", outcomes)
    mark_stalls(rows)
    one, two, cluster = (statistics.mean(walls[run]) for run in ("local 1", "local 2", "cluster 2"))
    one_span, two_span, cluster_span = (statistics.mean(spans[run]) for run in ("local 1", "local 2", "cluster 2"))
    executing = statistics.mean(row["total"] for row in rows if row["run"].endswith("local 1") and "total" in row)
    return {
        "submissions": count,
        "unsandboxed_s_per_submission": round(unsafe / count, 2),
        "sandboxed_s_per_submission": round(sandboxed / count, 2),
        "sandbox_cost_ratio": round(sandboxed / unsafe, 3),
        "one_worker_s": round(one, 1),
        "two_workers_s": round(two, 1),
        "cluster_two_workers_s": round(cluster, 1),
        "throughput_ratio_2_vs_1": round(one / two, 3),
        "cluster_throughput_ratio_2_vs_1": round(one / cluster, 3),
        "runs_s": {run: [round(w, 1) for w in times] for run, times in walls.items()},
        "grading_span_s": {run: [round(w, 1) for w in times] for run, times in spans.items()},
        "span_ratio_2_vs_1": round(one_span / two_span, 3),
        "cluster_span_ratio_2_vs_1": round(one_span / cluster_span, 3),
        "worker_s_per_submission": round(executing, 2),
        "overhead_s_per_submission": round(one / count - executing, 2),
        "stalled_submissions": _stalls(rows),
        "per_submission": rows,
    }


def submissions_table(rows: list[dict]) -> Table:
    """Every graded submission's seconds per phase, run by run; a stalled one in red."""
    table = Table(title="per-submission seconds (worker: its port; stalled: the total over "
                        f"{STALL_FACTOR:g}x the submission's usual time at its run's speed)", header_style="bold")
    for column in ("run", "submission", "worker", *PHASES, "stalled"):
        table.add_column(column, justify="right" if column in PHASES else "left")
    for row in rows:
        table.add_row(row["run"], row["submission"], row["worker"],
                      *(f"{row[phase]:.1f}" if phase in row else "-" for phase in PHASES),
                      "STALLED" if row["stalled"] else "", style="bold red" if row["stalled"] else None)
    return table


def _rendered(table: Table, width: int = 110) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(table)
    return console.file.getvalue().rstrip("\n")


def autograde_seconds(lectures: list[Lecture]) -> dict[str, float]:
    """Seconds to autograde one reference submission of each lecture, in one process."""
    from grader.autograde import autograde_all
    from grader.demo import solved

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        submitted = Path(scratch) / "submitted"
        for lecture in lectures:
            path = submitted / "reference" / lecture.assignment / lecture.notebook_name
            path.parent.mkdir(parents=True)
            nbformat.write(solved(lecture), path)
        outcomes, _ = autograde_all(submitted, Path(scratch) / "nbgrader", lectures, in_process=True)
    return {outcome.assignment: outcome.seconds for outcome in outcomes}


def widget_medians(lecture: Lecture) -> dict[str, float]:
    """Median seconds of each widget update listed in ``course.<slug>.WIDGET_UPDATES``: the pure
    function at a representative slider setting plus :func:`course.widgets.figure_png`, the
    PNG the widget shows. Slider-keyed caches are cleared before each timed update (a first
    visit of the setting); the untimed first call builds what a widget computes only once."""
    import torch

    from course.widgets import clear_slider_caches, figure_png

    matplotlib.use("Agg")
    torch.set_num_threads(1)  # as the notebooks' setup cells do (tiny models: one thread is fastest)

    module = importlib.import_module(f"course.{lecture.slug}")
    reference = importlib.import_module(f"solutions.{lecture.slug}")
    # an update of a widget driven by the student's functions takes them from the reference module
    updates = {name: functools.partial(update, reference) if inspect.signature(update).parameters else update
               for name, update in module.WIDGET_UPDATES}
    for update in updates.values():
        figure_png(update())
    times: dict[str, list[float]] = {name: [] for name in updates}
    for _ in range(WIDGET_REPEATS):  # round robin: a slow spell of the machine hits every widget alike
        for name, update in updates.items():
            clear_slider_caches()
            start = time.perf_counter()
            figure_png(update())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def training_targets(lecture: Lecture) -> dict | None:
    """What ``course.<slug>.benchmark_training(solutions.<slug>)`` reports (lectures 06, 08, 09),
    or None for a lecture without a training target."""
    benchmark = getattr(importlib.import_module(f"course.{lecture.slug}"), "benchmark_training", None)
    if benchmark is None:
        return None
    return benchmark(importlib.import_module(f"solutions.{lecture.slug}"))


def run_bench(lectures: list[Lecture] | None = None) -> dict:
    lectures = lectures if lectures is not None else all_lectures()
    results: dict = {"cores": os.cpu_count(), "lectures": {}}
    results["grading"] = grading_figures(lectures)
    grading = autograde_seconds(lectures)
    for lecture in lectures:
        results["lectures"][lecture.assignment] = {
            "run_all_with_solutions_s": round(notebook_seconds(lecture, grading=False), 2),
            "run_all_grading_mode_s": round(notebook_seconds(lecture, grading=True), 2),
            "autograde_per_submission_s": round(grading[lecture.assignment], 2),
            "widget_median_s": {name: round(t, 3) for name, t in widget_medians(lecture).items()},
        }
        targets = training_targets(lecture)
        if targets is not None:
            results["lectures"][lecture.assignment]["training_targets"] = targets
    return results


def as_text(results: dict) -> str:
    lines = [f"course benchmark ({results['cores']} cores)", ""]
    lines.append(f"{'lecture':34} {'run all':>9} {'grading':>9} {'autograde':>10}")
    for assignment, figures in results["lectures"].items():
        lines.append(f"{assignment:34} {figures['run_all_with_solutions_s']:8.1f}s "
                     f"{figures['run_all_grading_mode_s']:8.1f}s {figures['autograde_per_submission_s']:9.1f}s")
    g = results["grading"]
    lines += ["", f"grading a class of {g['submissions']} submissions (one run):",
              f"  sandboxed {g['sandboxed_s_per_submission']:.2f} s/submission, unsandboxed "
              f"{g['unsandboxed_s_per_submission']:.2f} s (kernel and scenarios, each submission both ways "
              f"back to back): the sandbox costs x{g['sandbox_cost_ratio']:.2f}",
              f"  Dask, 1 worker {g['one_worker_s']:.0f} s, 2 workers {g['two_workers_s']:.0f} s: "
              f"throughput x{g['throughput_ratio_2_vs_1']:.2f}; a real 2-worker cluster (dask scheduler and "
              f"dask worker processes) {g['cluster_two_workers_s']:.0f} s: x{g['cluster_throughput_ratio_2_vs_1']:.2f}",
              "  each run, wall s: " + ", ".join(f"{run} {times}" for run, times in g["runs_s"].items()),
              "  each run, from the jobs' submission to the last result recorded, s: "
              + ", ".join(f"{run} {times}" for run, times in g["grading_span_s"].items())
              + f": x{g['span_ratio_2_vs_1']:.2f} local, x{g['cluster_span_ratio_2_vs_1']:.2f} on the real cluster",
              f"  per submission: {g['worker_s_per_submission']:.2f} s on the worker (kernel and scenarios), "
              f"{g['overhead_s_per_submission']:.2f} s beyond that (distribution, judging, recording)",
              f"  stalled submissions: {g['stalled_submissions']}", "", _rendered(submissions_table(g["per_submission"]))]
    lines += ["", "widget update: median time to draw and render the figure"]
    for assignment, figures in results["lectures"].items():
        for name, seconds in figures["widget_median_s"].items():
            lines.append(f"  {assignment[:2]} {name:40} {seconds * 1000:7.0f} ms")
    for assignment, figures in results["lectures"].items():
        if figures.get("training_targets"):
            lines += ["", f"training targets, {assignment}:", json.dumps(figures["training_targets"], indent=2)]
    return "\n".join(lines)


def bench_command() -> int:
    results = run_bench()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    text = as_text(results)
    (BENCH_DIR / "results.txt").write_text(text + "\n")
    print(text)
    print(f"\nwritten to {BENCH_DIR / 'results.json'} and results.txt")
    return 0
