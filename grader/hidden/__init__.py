"""Hidden tests: deterministic scenarios compared between a student's object and the reference.

Each lecture has a module here (``grader.hidden.<lecture slug>``) holding a
:class:`ScenarioBook`. A scenario takes the object under test (a function or class), drives
it on seeded inputs and edge cases, and returns plain data: numbers, arrays, strings, or
dicts and lists of those. It never looks at the reference. :func:`check_hidden` runs every
scenario for a name on the student's object and on the reference and compares the two
results with :func:`course.checks.describe_mismatch`, so a failure says what differs.

In an assembled notebook each test cell ends with a hidden block that calls
:func:`check_hidden` for the names its answer cell defines.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course.checks import CheckFailed, describe_mismatch, verdict

__all__ = ["HiddenTestFailed", "Scenario", "ScenarioBook", "check_hidden", "error_name", "run_hidden"]


class HiddenTestFailed(CheckFailed):
    """A hidden test found a difference from the reference."""


@dataclass(frozen=True)
class Scenario:
    """One deterministic way of driving an exercise's object."""

    name: str  # the graded function or class it drives
    run: Callable[[Any], Any]
    description: str
    rtol: float = 1e-6
    atol: float = 1e-8
    hint: str | None = None  # the misconception a failure points to, shown to the student


@dataclass
class ScenarioBook:
    """The hidden scenarios of one lecture, grouped by the name of the object they drive."""

    scenarios: dict[str, list[Scenario]] = field(default_factory=dict)

    def scenario(self, name: str, *, rtol: float = 1e-6, atol: float = 1e-8, hint: str | None = None) -> Callable:
        """Register the decorated function as a scenario for ``name``.

        The function's docstring (first line) describes the scenario in failure messages;
        ``hint`` names the misconception a failure usually means ("check the axis of the
        sum") and is shown to the student with it.
        """
        def register(run: Callable[[Any], Any]) -> Callable[[Any], Any]:
            description = (run.__doc__ or run.__name__).strip().splitlines()[0].rstrip(".")
            self.scenarios.setdefault(name, []).append(Scenario(name, run, description, rtol, atol, hint))
            return run
        return register

    def for_name(self, name: str) -> list[Scenario]:
        """The scenarios that drive ``name`` (an empty list when there are none)."""
        return self.scenarios.get(name, [])


def error_name(function: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The class name of the exception ``function(*args)`` raises, or ``"no error"``.

    Scenarios use it for edge cases whose expected behaviour is an error.
    """
    try:
        function(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # the name is the data compared
        return type(error).__name__
    return "no error"


def load_book(lecture: str) -> ScenarioBook:
    """The scenario book of ``lecture`` (its slug, e.g. ``"function_approximation"``)."""
    return importlib.import_module(f"grader.hidden.{lecture}").book


def load_reference(lecture: str, name: str) -> Any:
    """The reference object ``name`` from ``solutions.<lecture>``."""
    return getattr(importlib.import_module(f"solutions.{lecture}"), name)


def run_hidden(lecture: str, name: str, candidate: Any, reference: Any | None = None) -> list[str]:
    """Run every scenario for ``name``; return one sentence per scenario that differs."""
    book = load_book(lecture)
    scenarios = book.for_name(name)
    if not scenarios:
        raise LookupError(f"no hidden scenarios for {name!r} in lecture {lecture!r}")
    if reference is None:
        reference = load_reference(lecture, name)
    failures = []
    for scenario in scenarios:
        expected = scenario.run(reference)
        try:
            got = scenario.run(candidate)
        except NotImplementedError:
            return [f"{name} is not implemented yet"]
        except Exception as error:  # any exception is the student's failure to report
            failures.append(verdict(scenario.description, f"{name} raised {type(error).__name__}: {error}"))
            continue
        problem = describe_mismatch(got, expected, rtol=scenario.rtol, atol=scenario.atol)
        if problem:
            failures.append(verdict(scenario.description, problem))
    return failures


def check_hidden(lecture: str, name: str, candidate: Any) -> None:
    """Raise :class:`HiddenTestFailed` naming each hidden scenario ``candidate`` gets wrong."""
    __tracebackhide__ = True
    failures = run_hidden(lecture, name, candidate)
    if failures:
        listing = "\n".join(f"  - {line}" for line in failures)
        raise HiddenTestFailed(f"hidden tests for {name} found {len(failures)} problem(s):\n{listing}")
