"""Fanning grading out over Dask: a local cluster by default, any Dask cluster on request.

Workers run :func:`grader.executor.worker.grade_submission`: a job in, a result out, as data.
The client (the trusted side) receives results as they finish and does all the writing.
A worker that dies mid-submission is replaced by the scheduler, which gives its task to
another worker; each start is logged as a Dask event, so a retried submission is reported.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from grader.executor.worker import GradingJob, GradingResult, grade_submission
from grader.processes import free_port, stop_process

EVENT_TOPIC = "dlrl-grading-start"

# Dask's own background work, set for a few long tasks on few cores: no statistical profiler
# sampling every worker's stack every 10 ms, no work stealing (queued tasks go to whichever
# worker frees up first), and slower health ticks and resource polls. An idle local cluster of
# two workers used 9.5 % of a core with Dask's defaults and 2.8 % with these, CPU that on a
# two-core machine is taken from the submissions being graded. Workers import the grading code
# as they start, not when their first submission arrives (about 2.5 s of its time).
GRADING_DASK_CONFIG = {
    "distributed.worker.preload": "grader.executor.worker",
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def dask_environment() -> dict[str, str]:
    """:data:`GRADING_DASK_CONFIG` as the environment variables ``dask scheduler`` and
    ``dask worker`` read (docs/grading-on-a-cluster.md lists them for other clusters)."""
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
            for key, value in GRADING_DASK_CONFIG.items()}


def job_key(job: GradingJob) -> str:
    return f"grade-{job.student}-{job.assignment}-{job.digest[:12]}"


def grade_on_worker(job: GradingJob, submitted_at: float | None = None) -> GradingResult:
    """The task a Dask worker runs: log the start (to detect retries), then grade.

    ``submitted_at`` is the client's clock (``time.time()``) when it submitted the job: the
    result's ``seconds["queued"]`` is how long the job waited for a worker (clocks of the client
    and the worker agree on one machine; elsewhere, as far as the machines' clocks do).
    """
    started = time.time()
    try:
        from distributed import get_worker
        worker = get_worker()
        worker.log_event(EVENT_TOPIC, {"key": job_key(job), "worker": worker.address})
    except (ImportError, ValueError):  # not on a Dask worker
        pass
    result = grade_submission(job)
    if submitted_at is not None:
        result.seconds["queued"] = max(0.0, started - submitted_at)
    return result


def _returned(result: GradingResult, submitted_at: float) -> None:
    """Set ``seconds["returned"]``: from the worker's end to the client holding the result
    (the result's transfer, and the wait while the client recorded earlier results)."""
    worked = result.seconds.get("queued", 0.0) + result.seconds.get("total", 0.0)
    result.seconds["returned"] = max(0.0, time.time() - submitted_at - worked)


def _local_cluster(workers: int | None = None):
    """A local cluster of ``workers`` processes (one per core by default), one thread each."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(GRADING_DASK_CONFIG):  # read by the scheduler and the workers as they start
        return LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=":0", silence_logs=logging.ERROR)


def _client(address: str):
    from distributed import Client

    return Client(address, timeout="30s")


@contextmanager
def cluster_starting(workers: int | None = None, scheduler: str | None = None) -> Iterator[Callable[[], str]]:
    """The cluster at ``scheduler``, or a local one of ``workers`` processes started in a
    background thread. Yields a function that waits for the cluster and returns its scheduler's
    address, so that the caller can prepare its jobs while a local cluster starts; a local
    cluster is stopped on exit (once its start has finished)."""
    if scheduler:
        yield lambda: scheduler
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dask-start") as starter:
        started = starter.submit(_local_cluster, workers)
        try:
            yield lambda: started.result().scheduler_address
        finally:
            wait([started])
            if started.exception() is None:
                started.result().close()


def grade_on(address: str, jobs: list[GradingJob], on_result: Callable[[GradingResult, int], bool],
             stop: threading.Event | None = None) -> None:
    """:func:`grade_all` with a client of its own on the cluster at ``address``."""
    with _client(address) as client:
        grade_all(client, jobs, on_result, stop)


@contextmanager
def cluster_on_this_machine(workers: int = 2) -> Iterator[str]:
    """A real Dask cluster on 127.0.0.1, started as on other machines: a ``dask scheduler`` and
    ``workers`` ``dask worker`` processes (one thread each, no nanny). Yields the scheduler's
    address; stops them all on exit. For the tests and ``make bench``."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, **dask_environment(), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--dashboard-address", ":0"], **quiet)]
    try:
        for number in range(1, workers + 1):
            processes.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny",
                                               "--name", f"w{number}", "--dashboard-address", ":0"], **quiet))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):  # the workers before their scheduler
            stop_process(process)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                    TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("{task.fields[failures]}"),
                    transient=False, redirect_stdout=False, redirect_stderr=False, refresh_per_second=2)


def grade_all(client, jobs: list[GradingJob], on_result: Callable[[GradingResult, int], bool],
              stop: threading.Event | None = None) -> None:
    """Grade ``jobs`` on the cluster; call ``on_result(result, starts)`` as each finishes.

    ``starts`` is how many times a worker started the job (more than 1: it was retried after
    a worker was lost). ``on_result`` returns False when the submission counts as a failure.
    """
    from distributed import as_completed

    submitted_at = time.time()
    futures = {client.submit(grade_on_worker, job, submitted_at, key=job_key(job), pure=False): job for job in jobs}
    started = time.monotonic()
    failures = 0
    with _progress() as progress:
        task = progress.add_task("grading", total=len(futures), rate="", failures="failures: 0")
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # the task itself failed, e.g. KilledWorker
                result = GradingResult(job.student, job.assignment, job.digest, sandboxed=not job.unsafe,
                                       problems=[f"grading failed on the cluster ({type(error).__name__}: {str(error)[:200]})"])
            _returned(result, submitted_at)
            starts = sum(1 for _, event in client.get_events(EVENT_TOPIC) if event.get("key") == future.key)
            if not on_result(result, starts):
                failures += 1
            rate = done / max(time.monotonic() - started, 1e-9) * 60
            progress.update(task, advance=1, rate=f"{rate:.1f}/min", failures=f"failures: {failures}")
            if stop is not None and stop.is_set():
                client.cancel(list(futures))
                return


def grade_here(jobs: Iterable[GradingJob], on_result: Callable[[GradingResult, int], bool],
               stop: threading.Event | None = None) -> None:
    """Grade ``jobs`` one after another in this process (no cluster)."""
    for job in jobs:
        on_result(grade_submission(job), 1)
        if stop is not None and stop.is_set():
            return
