"""The scenario runner: runs inside the sandbox, in a process of its own.

It executes the notebook's setup cell and the student's answer cells (and any code cells the
student added), then runs the lecture's hidden scenarios on the objects those cells defined
and writes one JSON line per scenario: the plain data the scenario returned, or the error it
raised. It decides nothing: the trusted grader compares these results with the reference's.

The scenario modules are imported before any student code runs, and their files are removed
from the sandbox's scratch copy, so student code cannot read them from disk.

Before each cell and scenario the runner writes a "start" line. Code that swallows the time
limit's exception (a bare ``except:`` in a retry loop) stalls the runner; the grader then
kills it and starts it again with that cell or scenario in the job's ``skip`` list.

Usage (by the grader): ``python -m grader.executor.runner JOB.json RESULTS.jsonl``.
Only the standard library, numpy, ``course`` and the copied ``grader.hidden`` are imported.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from grader.executor import plain

MAX_RECORD = 8 * 2**20  # a result larger than this is reported as too large


class TimeLimit(BaseException):
    """A cell or scenario ran past its time limit."""


@contextmanager
def time_limit(seconds: float):
    def expire(signum, frame):
        raise TimeLimit()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _short(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def main(job_path: str, results_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    results = open(results_path, "w", buffering=1)  # opened before any student code runs

    def emit(record: dict) -> None:
        line = json.dumps(record)
        if len(line) > MAX_RECORD:
            line = json.dumps({**{k: record[k] for k in ("kind", "name", "index") if k in record},
                               "status": "too_large"})
        results.write(line + "\n")
        results.flush()

    book = importlib.import_module(f"grader.hidden.{job['lecture']}").book
    shutil.rmtree(job["library"], ignore_errors=True)  # the copied scenario sources
    sys.stdout = sys.stderr = open(os.devnull, "w")  # student prints go nowhere

    skip = set(job.get("skip", []))
    namespace: dict = {"__name__": "__main__"}
    # As in the kernel: once anything has run out of time, every later step gets a shorter limit.
    seconds, shorter = job["cell_seconds"], min(job["cell_seconds"], job["after_timeout_seconds"])
    for number, cell in enumerate(job["cells"]):
        step = f"cell {number}"
        if step in skip:
            emit({"kind": "cell", "label": cell["label"],
                  "error": "the cell did not finish (it ignored the time limit or ended the process)"})
            continue
        emit({"kind": "start", "step": step})
        try:
            with time_limit(seconds):
                exec(compile(cell["source"], f"<{cell['label']}>", "exec"), namespace)
        except BaseException as error:  # noqa: B036 - anything the student's code raises is data
            if isinstance(error, TimeLimit):
                seconds = shorter
            emit({"kind": "cell", "label": cell["label"], "error": _short(error)})

    for name in job["names"]:
        candidate = namespace.get(name)
        # After one time-out the name's other scenarios are skipped: an infinite loop costs
        # one time limit, not one per scenario.
        timed_out = False
        for index, scenario in enumerate(book.for_name(name)):
            record = {"kind": "scenario", "name": name, "index": index}
            step = f"scenario {name} {index}"
            if timed_out:
                record["status"] = "skipped"
                emit(record)
                continue
            if step in skip:
                record["status"] = "stopped"
                timed_out = True
                emit(record)
                continue
            emit({"kind": "start", "step": step})
            if candidate is None:
                record["status"] = "missing"
            else:
                try:
                    with time_limit(seconds):
                        value = scenario.run(candidate)
                    record.update(status="ok", value=plain.encode(value))
                except NotImplementedError:
                    record["status"] = "not_implemented"
                except TimeLimit:
                    record["status"] = "timeout"
                    timed_out = True
                    seconds = shorter
                except BaseException as error:  # noqa: B036
                    record.update(status="error", error=_short(error))
            emit(record)
    emit({"kind": "done"})
    results.close()
    os._exit(0)  # no atexit handler or thread the student left behind runs after this


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
