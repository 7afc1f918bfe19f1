"""``make bench``'s per-submission report: every submission's seconds per phase, and a submission
that stalls in one run (its worker time far above its usual) flagged. No timing is measured here."""
from __future__ import annotations

from grader.autograde import Outcome
from grader.bench import _rendered, grading_span, mark_stalls, submission_rows, submissions_table


def outcome(student: str, worker: str, total: float, queued: float = 0.0) -> Outcome:
    timings = {"queued": queued, "kernel": total - 2.0, "scenarios": 1.5, "total": total, "returned": 0.1,
               "record": 0.4}
    return Outcome(student, "01_function_approximation", True, 1.0, 1.0, seconds=total,
                   worker=f"tcp://127.0.0.1:{worker}", timings=timings)


def test_a_stalled_submission_is_flagged_and_shown():
    runs = [[outcome("ann", "4001", 7.0), outcome("ben", "4002", 6.5)],
            [outcome("ann", "4003", 27.5), outcome("ben", "4004", 6.8)],  # ann stalls on one worker
            [outcome("ann", "4005", 7.4), outcome("ben", "4006", 7.1)]]
    rows = [row for number, outcomes in enumerate(runs, start=1) for row in submission_rows(f"{number}: local 2", outcomes)]
    mark_stalls(rows)
    assert [(row["run"], row["submission"]) for row in rows if row["stalled"]] == [("2: local 2", "ann/01")]
    assert rows[2]["worker"] == "4003" and rows[2]["kernel"] == 25.5 and rows[2]["scenarios"] == 1.5
    text = _rendered(submissions_table(rows))
    assert any("ann/01" in line and "27.5" in line and "4003" in line and "STALLED" in line for line in text.split("\n"))


def test_a_run_slowed_as_a_whole_is_not_a_stall():
    runs = [[outcome("ann", "4001", 7.0), outcome("ben", "4002", 6.5), outcome("cy", "4001", 9.0)],
            [outcome("ann", "4003", 21.0), outcome("ben", "4004", 19.0), outcome("cy", "4003", 28.0)],  # a loaded machine
            [outcome("ann", "4005", 7.4), outcome("ben", "4006", 7.1), outcome("cy", "4005", 8.5)]]
    rows = [row for number, outcomes in enumerate(runs, start=1) for row in submission_rows(f"{number}: local 2", outcomes)]
    mark_stalls(rows)
    assert not any(row["stalled"] for row in rows)


def test_the_grading_span_runs_to_the_last_result_recorded():
    first, last = outcome("ann", "4001", 7.0), outcome("ben", "4002", 6.0, queued=7.0)
    assert grading_span([first, last]) == 7.0 + 6.0 + 0.1 + 0.4
