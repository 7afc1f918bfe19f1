"""``make bench``: the course's speed figures, written to ``build/bench/results.{json,txt}``.

- each lecture notebook's run time with the reference solutions (a person's "run all") and
  under grading (``NBGRADER_EXECUTION`` set, demo cells reduced);
- the autograde time per submission (the reference student, graded in one process);
- a small class graded in one run: each submission with and without the sandbox, back to back
  (the sandbox's cost as a ratio), then on a local Dask cluster with 1 and with 2 workers (the
  throughput ratio, and the overhead per submission beyond the worker's own work);
- the median time of each widget's update (``WIDGET_UPDATES`` of each support module: the
  pure function at a slider setting, rendered to the PNG the widget shows): one slider move;
- training targets: for a lecture whose support module ``course.<slug>`` defines
  ``benchmark_training(reference)``, what that function reports when given the reference
  module ``solutions.<slug>`` (e.g. episodes, steps and seconds to a target return per seed).

Figures are measured, never asserted: tests do not time anything.
"""
from __future__ import annotations

import importlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib
import nbclient
import nbformat

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


def bench_class(folder: Path, lectures: list[Lecture]) -> int:
    """Two submissions per lecture (the reference and a mutant); return how many."""
    from grader.demo import solved, with_mutant

    count = 0
    for lecture in lectures:
        for student, notebook in (("reference", solved(lecture)), ("mutant", with_mutant(lecture, 0))):
            path = folder / student / lecture.assignment / lecture.notebook_name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, path)
            count += 1
    return count


def _graded_in(folder: Path, lectures: list[Lecture], **options) -> tuple[float, list]:
    """Wall seconds to grade ``folder`` from scratch with ``options``, and the outcomes."""
    from grader.autograde import autograde_all

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch:
        start = time.perf_counter()
        outcomes, _ = autograde_all(folder, Path(scratch) / "nbgrader", lectures, **options)
        return time.perf_counter() - start, outcomes


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


def grading_figures(lectures: list[Lecture]) -> dict:
    """The same class graded three ways in one run: each submission with and without the
    sandbox (its cost), and on a local Dask cluster with 1 and with 2 workers, twice each (the
    scaling; the times are the means of the two runs)."""
    from grader.judge import reference_results

    for lecture in lectures:  # computed once per process: warm it so no run pays for it
        reference_results(lecture.slug)
    with tempfile.TemporaryDirectory(prefix="bench-class-") as scratch:
        folder = Path(scratch) / "submitted"
        count = bench_class(folder, lectures)
        unsafe, sandboxed = sandbox_seconds(folder, lectures)
        # 1, 2, 2, 1 workers: a machine that speeds up or slows down over the run favours neither
        one_first, outcomes_one = _graded_in(folder, lectures, workers=1)
        two_first, _ = _graded_in(folder, lectures, workers=2)
        two_second, _ = _graded_in(folder, lectures, workers=2)
        one_second, _ = _graded_in(folder, lectures, workers=1)
    one, two = (one_first + one_second) / 2, (two_first + two_second) / 2
    executing = statistics.mean(o.seconds for o in outcomes_one)  # kernel + scenarios, on the worker
    return {
        "submissions": count,
        "unsandboxed_s_per_submission": round(unsafe / count, 2),
        "sandboxed_s_per_submission": round(sandboxed / count, 2),
        "sandbox_cost_ratio": round(sandboxed / unsafe, 3),
        "one_worker_s": round(one, 1),
        "two_workers_s": round(two, 1),
        "throughput_ratio_2_vs_1": round(one / two, 3),
        "worker_s_per_submission": round(executing, 2),
        "overhead_s_per_submission": round(one / count - executing, 2),
    }


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
    updates = dict(module.WIDGET_UPDATES)
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
              f"throughput x{g['throughput_ratio_2_vs_1']:.2f}",
              f"  per submission: {g['worker_s_per_submission']:.2f} s on the worker (kernel and scenarios), "
              f"{g['overhead_s_per_submission']:.2f} s beyond that (distribution, judging, recording)"]
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
