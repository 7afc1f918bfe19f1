"""The independent-student check: a student's files graded by the hidden scenarios, as a black box.

Someone who has not seen ``solutions/``, ``grader/hidden/`` or ``tests/mutants/`` writes, from
the notebook alone, complete answers in two styles and single wrong functions the way students
go wrong. Each file is judged in the notebook's namespace: the setup cell, then the reference
answer cells (so a file may hold one function only), then the file itself. For every graded name
the file defines, the hidden scenarios run on it; the verdicts are what feedback would say.

    python -m grader.independent 01 right_a.py right_b.py wrong_softmax_no_max.py ...

A file whose name starts with ``right`` must pass; any other file must fail for at least one of
the names it defines. The table ends with the counts; the exit code is 1 when an expectation
fails.
"""
from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.assemble import assemble, defined_names
from grader.cells import answer_cells, setup_source
from grader.hidden import run_hidden
from grader.lectures import Lecture, find_lecture


def reference_namespace(lecture: Lecture) -> dict:
    """The setup cell and every reference answer cell, executed."""
    notebook = assemble(lecture)
    names: dict = {"__name__": "__student__"}
    exec(setup_source(notebook), names)
    for cell in answer_cells(notebook):
        exec(cell.source, names)
    return names


def judge_file(lecture: Lecture, path: Path) -> dict[str, list[str]]:
    """For each graded name ``path`` defines, the hidden scenarios' failure sentences."""
    graded = {name for cell in answer_cells(assemble(lecture)) for name in defined_names(cell.source)}
    source = path.read_text()
    names = reference_namespace(lecture)
    exec(compile(source, str(path), "exec"), names)
    return {name: run_hidden(lecture.slug, name, names[name]) for name in defined_names(source) if name in graded}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    lecture = find_lecture(argv[0])
    table = Table("file", "expected", "name", "verdict", title=f"independent student, lecture {lecture.assignment}")
    counts = {"right passed": 0, "right total": 0, "wrong failed": 0, "wrong total": 0}
    unexpected = []
    for path in map(Path, argv[1:]):
        right = path.name.startswith("right")
        try:
            verdicts = judge_file(lecture, path)
        except Exception as error:  # a file that does not even run counts as failing
            verdicts = {"(file)": [f"{type(error).__name__}: {error}"]}
        failed = any(verdicts.values()) or not verdicts
        kind = "right" if right else "wrong"
        counts[f"{kind} total"] += 1
        counts["right passed" if right else "wrong failed"] += int(failed != right)
        if failed == right:
            unexpected.append(path.name)
        for name, failures in verdicts.items():
            table.add_row(path.name, kind, name, "passed" if not failures else "\n".join(failures[:3]))
    console = Console(width=200)
    console.print(table)
    console.print(f"right passed {counts['right passed']}/{counts['right total']}, "
                  f"wrong failed {counts['wrong failed']}/{counts['wrong total']}")
    if unexpected:
        console.print(f"unexpected: {', '.join(unexpected)}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
