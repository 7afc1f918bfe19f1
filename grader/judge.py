"""The trusted side of grading: the reference, the comparison and the verdict.

A worker sends back what the student's code did (the executed notebook and the scenario
runner's plain-data results). Here, in the grader's own process, the same scenarios run on
the reference, the two are compared with :func:`course.checks.describe_mismatch`, and each
test cell of the notebook gets its verdict as outputs written here: points need the visible
tests to have passed in the student's kernel *and* every hidden scenario to match the
reference. Nothing the student's process printed or patched decides a point: a kernel that
fakes its visible tests still faces the hidden scenarios, which include the visible cases.

A hidden scenario's verdict is written in the grader's own words (:mod:`grader.verdicts`):
the scenario's description and hint, and a bounded rendering of the difference or the
exception's type, never a message, string or repr the student's code produced, since that
code ran beside the scenarios and could read their inputs. The runner's output is untrusted
data: a line that cannot be read (invalid JSON, nested too deeply, too large) is skipped and
counted, and the scenarios left without a readable record fail with a plain sentence. As a
second layer, every sentence is checked against the hidden scenario module and the
reference's source, and withheld if it quotes a line of either.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import json
from dataclasses import dataclass, field
from typing import Any

from nbformat import NotebookNode

from course.checks import verdict
from grader.assemble import defined_names
from grader.cells import grade_id, is_answer_cell, is_test_cell, nbgrader_meta
from grader.executor import plain
from grader.executor.notebook import runner_cells
from grader.executor.runner import MAX_RECORD
from grader.hidden import Scenario, load_book
from grader.verdicts import describe_difference, exception_phrase

QUOTE_LIMIT = 300  # characters of a visible test's message (from the student's own kernel) shown in a verdict
MAX_LINE = MAX_RECORD + 1024  # the runner writes no longer line (a larger result becomes "too_large")
MAX_INDEX = 10_000  # more scenarios than any name has
MAX_LINES = 100_000  # the runner writes two lines per cell and scenario; past this only a flood is left
ADDED_CELL = "a cell you added"
UNKNOWN_CELL = "a cell"  # in place of a cell label the release does not have (a forged one)
MIN_PROTECTED = 12  # lines shorter than this are too common to be worth protecting
WITHHELD = "(a message was withheld: it quoted the grader's hidden code)"


@functools.cache
def reference_results(lecture: str) -> dict[str, list[tuple[Scenario, Any]]]:
    """For each graded name, its scenarios and the reference's results (as plain data)."""
    import torch

    module = importlib.import_module(f"solutions.{lecture}")
    results: dict[str, list[tuple[Scenario, Any]]] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the sandbox, so float sums happen in the same order
    try:
        for name, scenarios in load_book(lecture).scenarios.items():
            reference = getattr(module, name)
            results[name] = [(s, plain.loads(plain.dumps(s.run(reference)))) for s in scenarios]
    finally:
        torch.set_num_threads(threads)
    return results


@functools.cache
def protected_lines(lecture: str) -> frozenset[str]:
    """Lines of the lecture's hidden scenarios and reference that must never reach a student."""
    lines = set()
    for module_name in (f"grader.hidden.{lecture}", f"solutions.{lecture}"):
        source = inspect.getsource(importlib.import_module(module_name))
        lines.update(line.strip() for line in source.split("\n") if len(line.strip()) >= MIN_PROTECTED)
    return frozenset(lines)


def redact(text: str, lecture: str) -> str:
    """``text``, or a notice in its place when it quotes a protected line."""
    if any(line in text for line in protected_lines(lecture)):
        return WITHHELD
    return text


def _short(text: str) -> str:
    text = text.strip().split("\n")[0] if text.strip() else ""
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 3] + "..."


@dataclass
class RunnerReport:
    """The scenario runner's output, parsed defensively."""

    cell_errors: dict[str, str] = field(default_factory=dict)  # cell label -> "Type: message" (untrusted)
    scenarios: dict[tuple[str, int], dict] = field(default_factory=dict)
    finished: bool = False
    unreadable: int = 0  # lines that were not a record the grader can read


def runner_labels(release: NotebookNode) -> frozenset[str]:
    """The cell labels the scenario runner uses for ``release`` (setup and answer cells, added cells)."""
    return frozenset(cell["label"] for cell in runner_cells(release, release)) | {ADDED_CELL}


def _record(line: str) -> dict | None:
    """One runner line as a dict; None for a line the grader cannot read (never raises)."""
    if len(line) > MAX_LINE:
        return None
    try:
        record = json.loads(line)
    except Exception:  # invalid JSON, nested too deeply (RecursionError), numbers too long...
        return None
    return record if isinstance(record, dict) else None


def parse_runner_output(text: str, labels: frozenset[str]) -> RunnerReport:
    """The runner's JSON lines as a :class:`RunnerReport`; lines it cannot read are counted.

    A cell label not in ``labels`` (:func:`runner_labels`) becomes :data:`UNKNOWN_CELL`: a
    forged label is text of the student's choosing. Never raises.
    """
    report = RunnerReport()
    lines = text.split("\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        lines[-1:] = []
        report.unreadable += 1
    for line in lines:
        if not line.strip():
            continue
        record = _record(line)
        kind = record.get("kind") if record else None
        if kind == "cell" and isinstance(record.get("label"), str):
            label = record["label"][:80]
            if label not in labels:
                label = UNKNOWN_CELL
            report.cell_errors.setdefault(label, str(record.get("error", ""))[:QUOTE_LIMIT])
        elif (kind == "scenario" and isinstance(record.get("name"), str) and len(record["name"]) <= 100
              and type(record.get("index")) is int and 0 <= record["index"] < MAX_INDEX):
            if not isinstance(record.get("status"), str):
                record["status"] = "unreadable"
            report.scenarios.setdefault((record["name"], record["index"]), record)
        elif kind == "done":
            report.finished = True
        elif kind != "start":
            report.unreadable += 1
    return report


@dataclass(frozen=True)
class ScenarioFailure:
    """One hidden scenario a student's object got wrong, as the instructor's report counts it."""

    name: str      # the graded function or class
    scenario: str  # the scenario's description, or the sentence when no scenario ran
    kind: str      # "wrong result", "error", "time limit", "not implemented", "not defined", ...
    hint: str | None
    sentence: str  # what the student reads (the hint on a line of its own)

    def record(self) -> dict[str, str | None]:
        return {"name": self.name, "scenario": self.scenario, "kind": self.kind, "hint": self.hint}


PROBLEM_KINDS = {"timeout": "time limit", "stopped": "stopped", "error": "error", "too_large": "too large",
                 "skipped": "time limit", "unreadable": "unreadable result"}


def _scenario_problem(name: str, scenario: Scenario, expected: Any, record: dict | None, unreadable: bool
                      ) -> tuple[str, str] | None:
    """(kind, sentence) when the student's result for ``scenario`` is wrong, else None; the
    sentence puts the key fact first (:func:`course.checks.verdict`) and holds only the
    grader's words (:mod:`grader.verdicts`)."""
    if record is None and unreadable:
        return "unreadable result", verdict(scenario.description, "the grader could not read its result")
    if record is None:
        return "time limit", verdict(scenario.description, "did not finish (the submission's time limit was reached)")
    status = record.get("status")
    if status == "ok":
        try:
            got = plain.decode(record.get("value"))
        except Exception:  # anything the sandbox sent that is not plain data
            return "unreadable result", verdict(scenario.description, f"{name} returned data the grader cannot read")
        problem = describe_difference(got, expected, rtol=scenario.rtol, atol=scenario.atol)
        return ("wrong result", verdict(scenario.description, problem)) if problem else None
    problems = {
        "timeout": f"{name} ran past the time limit",
        "stopped": f"{name} did not return (it ignored the time limit or ended the process)",
        "error": f"{name} raised {exception_phrase(record.get('error'))}",
        "too_large": f"{name} returned far more data than expected",
        "skipped": f"not run: an earlier scenario of {name} ran past the time limit",
        "unreadable": "the grader could not read its result",
    }
    return PROBLEM_KINDS.get(status, "no result"), verdict(scenario.description, problems.get(status, "no result"))


def scenario_failures(lecture: str, name: str, report: RunnerReport) -> list[ScenarioFailure]:
    """Each hidden scenario of ``name`` the student's object gets wrong (one entry when it is
    missing or not implemented, since then no scenario could run)."""
    expected_results = reference_results(lecture)[name]
    records = [report.scenarios.get((name, index)) for index in range(len(expected_results))]
    statuses = {record.get("status") for record in records if record}
    if "missing" in statuses:
        causes = [f"{label} raised {exception_phrase(error)}" for label, error in report.cell_errors.items()
                  if label != ADDED_CELL]
        sentence = f"{name} is not defined" + (f" ({causes[0]})" if causes else "")
        return [ScenarioFailure(name, f"{name} is not defined", "not defined", None, sentence)]
    if "not_implemented" in statuses:
        sentence = f"{name} is not implemented yet"
        return [ScenarioFailure(name, sentence, "not implemented", None, sentence)]
    failures = []
    for (scenario, expected), record in zip(expected_results, records):
        problem = _scenario_problem(name, scenario, expected, record, report.unreadable > 0)
        if problem:
            kind, sentence = problem
            if scenario.hint:
                sentence += f"\n    hint: {scenario.hint}"
            failures.append(ScenarioFailure(name, scenario.description, kind, scenario.hint, sentence))
    return failures


def hidden_failures(lecture: str, name: str, report: RunnerReport) -> list[str]:
    """One sentence per hidden scenario of ``name`` the student's object gets wrong (with its hint)."""
    return [failure.sentence for failure in scenario_failures(lecture, name, report)]


def _answer_names(release: NotebookNode) -> dict[str, list[str]]:
    return {grade_id(cell): defined_names(cell.source) for cell in release.cells if is_answer_cell(cell)}


def _visible_error(cell: NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return _short(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return None


@dataclass
class Verdict:
    """The trusted outcome for one test cell."""

    visible_error: str | None
    hidden: dict[str, list[str]]  # graded name -> failures
    failures: list[ScenarioFailure] = field(default_factory=list)  # the same, for the instructor

    @property
    def passed(self) -> bool:
        return self.visible_error is None and not any(self.hidden.values())


def judge_notebook(lecture: str, executed: NotebookNode, release: NotebookNode, runner_output: str
                   ) -> tuple[NotebookNode, dict[str, Verdict]]:
    """The autograded notebook (test cells' outputs written here) and each test cell's verdict."""
    report = parse_runner_output(runner_output, runner_labels(release))
    names = _answer_names(release)
    verdicts: dict[str, Verdict] = {}
    for cell in executed.cells:
        if not is_test_cell(cell):
            continue
        cell_id = grade_id(cell)
        targets = names.get(cell_id.removeprefix("test_"), [])
        failures = {name: scenario_failures(lecture, name, report) for name in targets}
        judged = Verdict(_visible_error(cell), {name: [redact(f.sentence, lecture) for f in found]
                                                for name, found in failures.items()},
                         [f for found in failures.values() for f in found])
        if judged.visible_error:
            judged.visible_error = redact(judged.visible_error, lecture)
        verdicts[cell_id] = judged
        cell.outputs = verdict_outputs(judged)
    return executed, verdicts


def verdict_outputs(verdict: Verdict) -> list[NotebookNode]:
    """The outputs a test cell shows in the autograded notebook and in feedback."""
    outputs = []
    if verdict.visible_error:
        outputs.append(NotebookNode(output_type="error", ename="VisibleTestFailed", evalue=verdict.visible_error,
                                    traceback=[f"visible tests: {verdict.visible_error}"]))
    for name, failures in verdict.hidden.items():
        if failures:
            listing = "\n".join(f"  - {line}" for line in failures)
            text = f"hidden tests for {name} found {len(failures)} problem(s):\n{listing}"
            outputs.append(NotebookNode(output_type="error", ename="HiddenTestFailed", evalue=text,
                                        traceback=text.split("\n")))
    if not outputs:
        names = ", ".join(verdict.hidden) or "this exercise"
        outputs.append(NotebookNode(output_type="stream", name="stdout",
                                    text=f"visible and hidden tests passed for {names}\n"))
    return outputs


def failed_scenarios(verdicts: dict[str, Verdict]) -> list[str]:
    """``"name: scenario description"`` for each failed hidden scenario (for the instructor)."""
    return [f"{failure.name}: {failure.scenario}" for judged in verdicts.values() for failure in judged.failures]


def failure_records(verdicts: dict[str, Verdict]) -> list[dict[str, str | None]]:
    """Name, scenario description, kind and hint of each failed hidden scenario (for the report)."""
    return [failure.record() for judged in verdicts.values() for failure in judged.failures]
