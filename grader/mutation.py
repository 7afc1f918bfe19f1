"""Mutation testing of the references by their hidden scenarios (``make mutation``).

mutmut (pinned in requirements.txt) generates the mutants of ``solutions/<slug>.py``: small
changes such as ``<`` for ``<=``, ``1`` for ``0``, a dropped argument or ``None`` for a value.
mutmut writes every mutant of a file into one module whose functions are "trampolines"
that call the original or the active mutant; the active one is switched in-process with
``mutmut.mutation.trampoline.set_mutant_under_test``. So this module imports that mutated
module once per lecture and, for each mutant, runs only the hidden scenarios of the exercise
whose body the mutant changes.

A mutant is *killed* when some scenario's result on it differs from the result on the real
reference, as :func:`grader.hidden.run_hidden` would judge it (``describe_mismatch`` with the
scenario's tolerances; an exception or a time-out counts as a difference). Only the bodies a
student writes are mutated: whole graded functions, and for a graded class the methods the
notebook leaves as stubs.

A mutant that no scenario can kill because it computes the same thing (``x > 0`` for
``x >= 0`` where both give 0 at 0, say) is listed in ``tests/mutation/<slug>.toml``::

    [[equivalent]]
    function = "sigmoid"                 # the function or Class.method mutated
    line = "positive = z >= 0"           # the original line, stripped
    mutant = "positive = z > 0"          # the mutated line, stripped
    reason = "at z = 0 both branches give 0.5"

The key is the function plus the changed text, not mutmut's mutant number, so it survives
renumbering. The score of an exercise is killed / (mutants - equivalent); ``make mutation``
fails when any exercise scores under :data:`BAR`.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import importlib
import io
import json
import signal
import sys
import time
import tomllib
import types
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from course.checks import describe_mismatch
from grader.assemble import STUB, _enclosing_function, defined_names
from grader.cells import answer_cells
from grader.hidden import Scenario, load_book
from grader.lectures import BUILD, ROOT, Lecture, all_lectures

BAR = 0.95  # the least fraction of non-equivalent mutants an exercise must kill
EQUIVALENTS = ROOT / "tests" / "mutation"
REPORTS = BUILD / "mutation"
LINE_BREAK = " ⏎ "  # joins the lines of a change that spans several lines
SEPARATOR = "ǁ"  # mutmut's separator in the mangled names of methods (xǁClassǁmethod)


class MutantTimeout(BaseException):
    """A mutant ran past its time budget (a BaseException, so scenarios cannot swallow it)."""


@dataclass(frozen=True)
class Change:
    """What one mutant changes: the function, the original line(s) and the mutated line(s)."""

    function: str  # "f" or "Class.method"
    line: str  # the original line, stripped (lines joined by LINE_BREAK when several)
    mutant: str

    def describe(self) -> str:
        return f"{self.function}: `{self.line}` -> `{self.mutant}`"


@dataclass
class Outcome:
    """The verdict on one mutant."""

    exercise: str  # the graded name
    mutmut_name: str
    change: Change
    status: str  # "killed", "survived" or "equivalent"
    detail: str  # the scenario that killed it, or the reason it is equivalent


# --- which bodies are graded ----------------------------------------------------------------

def graded_bodies(lecture: Lecture) -> dict[str, str]:
    """Map each function the student writes ("f" or "Class.method") to its graded name."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    bodies: dict[str, str] = {}
    for cell in answer_cells(notebook):
        names = defined_names(cell.source)
        tree = ast.parse(cell.source)
        lines = cell.source.split("\n")
        for i, line in enumerate(lines[:-1]):
            indent = line[: len(line) - len(line.lstrip())]
            if line.strip() == STUB[0] and lines[i + 1] == indent + STUB[1]:
                qualname = _enclosing_function(tree, i + 1)
                if qualname is not None:
                    top = qualname.split(".")[0]
                    bodies[qualname] = top if top in names else qualname
    return bodies


def _qualname(mutmut_name: str) -> str:
    """``x_f__mutmut_3`` -> ``f``; ``xǁValueǁ__add____mutmut_2`` -> ``Value.__add__``."""
    mangled = mutmut_name.rsplit("__mutmut_", 1)[0]
    if mangled.startswith("x" + SEPARATOR):
        _, cls, method = mangled.split(SEPARATOR)
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


# --- generating the mutants ------------------------------------------------------------------

def mutate(lecture: Lecture) -> tuple[str, list[str]]:
    """mutmut's mutated module for ``solutions/<slug>.py`` and the names of its mutants."""
    from mutmut.mutation.file_mutation import mutate_file_contents  # reads [tool.mutmut] from the cwd

    path = ROOT / "solutions" / f"{lecture.slug}.py"
    with contextlib.chdir(ROOT), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mutated = mutate_file_contents(str(path.relative_to(ROOT)), path.read_text())
    return mutated.code, list(mutated.mutant_names)


def _function_sources(code: str) -> dict[str, list[str]]:
    """Source lines of every function and method in ``code``, by (unqualified) name."""
    lines = code.split("\n")
    sources: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef) and "__mutmut_" in node.name:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            sources[node.name] = lines[start - 1: node.end_lineno]
    return sources


def describe_change(sources: dict[str, list[str]], mutmut_name: str) -> Change:
    """The lines a mutant changes with respect to mutmut's copy of the original function."""
    prefix = mutmut_name.rsplit("__mutmut_", 1)[0]
    original = [line.replace(f"{prefix}__mutmut_orig", "NAME") for line in sources[f"{prefix}__mutmut_orig"]]
    changed = [line.replace(mutmut_name, "NAME") for line in sources[mutmut_name]]
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=original, b=changed, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += [line.strip() for line in original[i1:i2]]
            added += [line.strip() for line in changed[j1:j2]]
    return Change(_qualname(mutmut_name), LINE_BREAK.join(removed), LINE_BREAK.join(added))


def load_mutated_module(lecture: Lecture, code: str) -> types.ModuleType:
    """Execute mutmut's mutated module under the name ``solutions.<slug>``."""
    name = f"solutions.{lecture.slug}"
    module = types.ModuleType(name)
    module.__file__ = str(ROOT / "solutions" / f"{lecture.slug}.py")
    exec(compile(code, f"<mutmut {lecture.slug}>", "exec"), module.__dict__)
    return module


# --- equivalent mutants ----------------------------------------------------------------------

def load_equivalents(lecture: Lecture) -> dict[Change, str]:
    """The mutants ``tests/mutation/<slug>.toml`` lists as equivalent, with their reasons."""
    path = EQUIVALENTS / f"{lecture.slug}.toml"
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text()).get("equivalent", [])
    listed = {}
    for entry in entries:
        missing = {"function", "line", "mutant", "reason"} - set(entry)
        if missing:
            raise ValueError(f"{path.name}: an entry lacks {', '.join(sorted(missing))}: {entry}")
        listed[Change(entry["function"], entry["line"], entry["mutant"])] = entry["reason"]
    return listed


# --- running the scenarios ---------------------------------------------------------------------

@contextlib.contextmanager
def _time_limit(seconds: float):
    def expire(signum, frame):
        raise MutantTimeout()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def first_difference(scenarios: list[Scenario], expected: list[Any], candidate: Any,
                     budget: float) -> str | None:
    """Description of the first scenario whose result on ``candidate`` differs, else None."""
    try:
        with _time_limit(budget), _quiet():
            for scenario, want in zip(scenarios, expected):
                try:
                    got = scenario.run(candidate)
                except MutantTimeout:
                    raise
                except BaseException as error:  # noqa: BLE001 - any error is a difference
                    return f"{scenario.description} (raised {type(error).__name__})"
                if describe_mismatch(got, want, rtol=scenario.rtol, atol=scenario.atol):
                    return scenario.description
    except MutantTimeout:
        return "time-out"
    return None


def run_lecture(lecture: Lecture, only: set[str] | None = None, progress: bool = True) -> list[Outcome]:
    """Generate, run and judge every mutant of the lecture's graded bodies."""
    from mutmut.mutation.trampoline import set_mutant_under_test

    book = load_book(lecture.slug)
    bodies = graded_bodies(lecture)
    code, names = mutate(lecture)
    sources = _function_sources(code)
    equivalents = load_equivalents(lecture)

    reference = importlib.import_module(f"solutions.{lecture.slug}")
    mutated = load_mutated_module(lecture, code)
    exercises = sorted({bodies[_qualname(n)] for n in names if _qualname(n) in bodies},
                       key=list(dict.fromkeys(bodies.values())).index)
    if only:
        exercises = [e for e in exercises if e in only]

    outcomes: list[Outcome] = []
    saved = sys.modules[reference.__name__]
    sys.modules[reference.__name__] = mutated
    set_mutant_under_test("")
    try:
        for exercise in exercises:
            scenarios = list(book.for_name(exercise))
            started = time.perf_counter()
            with _quiet():
                expected = [s.run(getattr(reference, exercise)) for s in scenarios]
            budget = 10.0 + 20 * (time.perf_counter() - started)
            mine = [n for n in names if bodies.get(_qualname(n)) == exercise]
            for index, name in enumerate(mine):
                change = describe_change(sources, name)
                if change in equivalents:
                    outcomes.append(Outcome(exercise, name, change, "equivalent", equivalents[change]))
                    continue
                set_mutant_under_test(f"{reference.__name__}.{name}")
                try:
                    killer = first_difference(scenarios, expected, getattr(mutated, exercise), budget)
                finally:
                    set_mutant_under_test("")
                if killer is not None:  # try the scenario that killed this mutant first next time
                    at = next(i for i, s in enumerate(scenarios) if killer.startswith(s.description)) \
                        if killer != "time-out" else None
                    if at is not None:
                        scenarios.insert(0, scenarios.pop(at))
                        expected.insert(0, expected.pop(at))
                outcomes.append(Outcome(exercise, name, change, "survived" if killer is None else "killed",
                                        killer or ""))
                if progress:
                    print(f"\r  {lecture.assignment} {exercise}: {index + 1}/{len(mine)}", end="",
                          file=sys.stderr, flush=True)
            if progress:
                print(file=sys.stderr)
    finally:
        sys.modules[reference.__name__] = saved
    return outcomes


# --- the report ---------------------------------------------------------------------------------

@dataclass
class Row:
    lecture: str
    exercise: str
    mutants: int
    killed: int
    equivalent: int

    @property
    def score(self) -> float:
        live = self.mutants - self.equivalent
        return 1.0 if live == 0 else self.killed / live

    @property
    def passes(self) -> bool:
        return self.score >= BAR


def table(lecture: Lecture, outcomes: list[Outcome]) -> list[Row]:
    rows = []
    for exercise in dict.fromkeys(o.exercise for o in outcomes):
        counts = Counter(o.status for o in outcomes if o.exercise == exercise)
        rows.append(Row(lecture.assignment, exercise, sum(counts.values()), counts["killed"],
                        counts["equivalent"]))
    return rows


def format_table(rows: list[Row]) -> str:
    header = f"| {'lecture':<34} | {'exercise':<26} | mutants | killed | equivalent | score   |"
    lines = [header, "|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|"]
    for row in rows:
        mark = "" if row.passes else "  <"
        lines.append(f"| {row.lecture:<34} | {row.exercise:<26} | {row.mutants:>7} | {row.killed:>6} | "
                     f"{row.equivalent:>10} | {100 * row.score:6.1f}% |{mark}")
    return "\n".join(lines)


def stale_equivalents(lecture: Lecture, outcomes: list[Outcome]) -> list[str]:
    """Entries of the equivalents file that match no mutant any more."""
    seen = {o.change for o in outcomes}
    judged = {o.exercise for o in outcomes}
    return [change.describe() for change in load_equivalents(lecture)
            if change not in seen and graded_bodies(lecture).get(change.function) in judged]


def write_reports(lecture: Lecture, outcomes: list[Outcome], rows: list[Row]) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{lecture.assignment}.json"
    path.write_text(json.dumps({
        "lecture": lecture.assignment,
        "bar": BAR,
        "table": [asdict(row) | {"score": row.score} for row in rows],
        "mutants": [asdict(o) for o in outcomes],
    }, indent=1, ensure_ascii=False))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("--name", action="append", help="only this graded name (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(1)

    all_rows: list[Row] = []
    survivors: list[str] = []
    for lecture in all_lectures():
        started = time.perf_counter()
        outcomes = run_lecture(lecture, set(args.name) if args.name else None, progress=not args.quiet)
        rows = table(lecture, outcomes)
        all_rows += rows
        path = write_reports(lecture, outcomes, rows)
        print(f"{lecture.assignment}: {len(outcomes)} mutants in {time.perf_counter() - started:.0f} s "
              f"-> {path.relative_to(ROOT)}", file=sys.stderr)
        survivors += [f"  {lecture.assignment} {o.mutmut_name}  {o.change.describe()}"
                      for o in outcomes if o.status == "survived"]
        survivors += [f"  {lecture.assignment} stale entry in tests/mutation/{lecture.slug}.toml: {entry}"
                      for entry in stale_equivalents(lecture, outcomes)]
    text = format_table(all_rows)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "summary.md").write_text(text + "\n")
    print(text)
    if survivors:
        print("\nSurviving mutants (kill each with a scenario, or list it as equivalent):")
        print("\n".join(survivors))
    failing = [row for row in all_rows if not row.passes]
    if failing:
        print(f"\n{len(failing)} exercise(s) under {BAR:.0%}: "
              + ", ".join(f"{row.lecture}.{row.exercise}" for row in failing))
        return 1
    print(f"\nevery exercise kills at least {BAR:.0%} of its non-equivalent mutants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
