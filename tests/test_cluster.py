"""Grading on a real Dask cluster (a scheduler and two workers on 127.0.0.1), with one worker
killed mid-batch: the grades equal in-process grading, nothing is lost or graded twice, and each
submission's seconds per phase are recorded (so that ``make bench`` can show a stall)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.autograde import autograde_all, load_status
from grader.demo import solved, with_mutant
from grader.executor.cluster import cluster_on_this_machine
from grader.lectures import find_lecture

pytestmark = [pytest.mark.slow, pytest.mark.grading]
WORKER_PHASES = {"kernel", "scenarios", "total"}  # seconds the worker measures


def write_class(folder: Path) -> list[str]:
    lecture = find_lecture("07")
    students = {"alice": solved(lecture), "bob": nbformat.read(lecture.student_notebook, as_version=4),
                "carol": with_mutant(lecture, 0), "dave": with_mutant(lecture, 1), "erin": solved(lecture),
                "frank": with_mutant(lecture, 2)}
    for student, notebook in students.items():
        path = folder / student / lecture.assignment / lecture.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
    return list(students)


@pytest.fixture
def cluster():
    with cluster_on_this_machine(2) as address:
        yield address


def kill_a_busy_worker(address: str, killed: list[str]) -> None:
    """Wait until a worker has started grading a submission, then kill it (SIGKILL, no goodbye).

    The start event, not the scheduler's list of assigned tasks, tells which worker is grading:
    a task can be assigned to a worker that is still unpickling it (slow on a loaded machine).
    """
    from distributed import Client
    from grader.executor.cluster import EVENT_TOPIC
    with Client(address, timeout="30s") as client:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            events = client.get_events(EVENT_TOPIC)
            if events:
                worker = events[0][1]["worker"]
                time.sleep(2)  # let it get well into the submission
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.append(worker)
                return
            time.sleep(0.2)


def test_a_lost_worker_loses_nothing_and_grades_match_in_process_grading(cluster, tmp_path):
    lecture = find_lecture("07")
    students = write_class(tmp_path / "submitted")
    killed: list[str] = []
    killer = threading.Thread(target=kill_a_busy_worker, args=(cluster, killed))
    killer.start()
    outcomes, _ = autograde_all(tmp_path / "submitted", tmp_path / "cluster", [lecture], scheduler=cluster)
    killer.join()
    assert killed, "no worker was killed"
    assert sorted(o.student for o in outcomes) == sorted(students), "a submission was lost or graded twice"
    assert any("worker was lost" in p for o in outcomes for p in o.problems), "the retry was not reported"
    for outcome in outcomes:  # each submission's seconds per phase, so that a stall shows
        assert set(outcome.timings) >= WORKER_PHASES | {"queued", "returned", "record"}, outcome.timings
        assert all(seconds >= 0 for seconds in outcome.timings.values()), outcome.timings
        assert outcome.timings["total"] >= outcome.timings["kernel"] + outcome.timings["scenarios"]
    stored = load_status(tmp_path / "cluster")
    assert all(set(entry[lecture.assignment]["timings"]) >= WORKER_PHASES for entry in stored.values())

    reference, _ = autograde_all(tmp_path / "submitted", tmp_path / "local", [lecture], in_process=True)
    assert all(set(o.timings) >= WORKER_PHASES | {"record"} for o in reference)
    on_cluster = {s: e[lecture.assignment]["score"] for s, e in load_status(tmp_path / "cluster").items()}
    in_process = {s: e[lecture.assignment]["score"] for s, e in load_status(tmp_path / "local").items()}
    assert on_cluster == in_process

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'cluster' / 'gradebook.db'}") as gradebook:
        submissions = gradebook.assignment_submissions(lecture.assignment)
        assert sorted(s.student.id for s in submissions) == sorted(students)


def test_an_interrupted_batch_resumes_without_grading_twice(tmp_path):
    """Ctrl-C in the middle of `make autograde`; the next run grades only what is left."""
    lecture = find_lecture("07")
    students = write_class(tmp_path / "submitted")
    root = tmp_path / "nbgrader"
    env = {**os.environ, "GRADING_ROOT": str(root), "COURSE_LECTURES": "07", "WORKERS": "1"}
    command = [sys.executable, "-m", "grader.cli", "autograde", str(tmp_path / "submitted")]
    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while len(load_status(root)) < 2 and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.5)
    batch.send_signal(signal.SIGINT)
    batch.wait(timeout=120)
    first = load_status(root)
    assert 2 <= len(first) < len(students), "the batch was not interrupted mid-way"
    rest, _ = autograde_all(tmp_path / "submitted", root, [lecture], in_process=True)
    assert sorted(o.student for o in rest) == sorted(set(students) - set(first)), "graded twice or lost"
    assert sorted(load_status(root)) == sorted(students)
    again, _ = autograde_all(tmp_path / "submitted", root, [lecture], in_process=True)
    assert again == [], "finished submissions were graded again"
    resubmitted = tmp_path / "submitted" / "bob" / lecture.assignment / lecture.notebook_name
    nbformat.write(solved(lecture), resubmitted)
    before = load_status(root)
    third, _ = autograde_all(tmp_path / "submitted", root, [lecture], in_process=True)
    assert [o.student for o in third] == ["bob"] and third[0].score == third[0].max_score
    after = load_status(root)
    assert {s: e for s, e in after.items() if s != "bob"} == {s: e for s, e in before.items() if s != "bob"}


def test_the_dask_settings_reach_separate_processes_and_the_docs():
    """The environment variables given to ``dask scheduler`` and ``dask worker`` mean the grading
    settings to Dask, and the cluster guide lists each of them for clusters started elsewhere."""
    import dask

    from grader.executor.cluster import GRADING_DASK_CONFIG, dask_environment

    read = dask.config.collect_env(dask_environment())
    for key, value in GRADING_DASK_CONFIG.items():
        assert dask.config.get(key, config=read) == value, f"{key}: Dask reads {dask.config.get(key, config=read)!r}"
    guide = (Path(__file__).parent.parent / "docs" / "grading-on-a-cluster.md").read_text()
    for name, value in dask_environment().items():
        assert f"export {name}={value}" in guide, f"docs/grading-on-a-cluster.md does not set {name}={value}"
