"""Every graded exercise discriminates: the reference passes, the stub fails, every mutant fails.

Also: the visible tests pass on the reference and fail on the stub with a plain sentence, the
notebook's signatures equal the reference's, the hidden scenarios are deterministic, and a
mutant's failure message says what is wrong within what ``nbgrader validate`` shows of it.
"""
from __future__ import annotations

import contextlib
import dis
import inspect
import io
import re
from functools import cache

import nbformat
import pytest

from course.checks import CheckFailed, describe_mismatch
from grader.assemble import assemble, defined_names
from grader.cells import answer_cells, grade_id, setup_source, check_cells
from grader.demo import mutant_source
from grader.hidden import load_book, load_reference, run_hidden
from grader.lectures import Lecture
from tests.conftest import GRADED, LECTURES, graded_id, graded_names
from tests.mutants import load_catalogue

MUTANTS = [(lecture, mutant) for lecture in LECTURES for mutant in load_catalogue(lecture.slug).mutants]
TEST_CELLS = [(lecture, grade_id(cell)) for lecture in LECTURES
              for cell in check_cells(nbformat.read(lecture.student_notebook, as_version=4))]


@cache
def namespace(lecture: Lecture, solved: bool) -> dict:
    """The notebook's setup cell plus every answer cell, solved (reference) or as stubs."""
    notebook = assemble(lecture) if solved else nbformat.read(lecture.student_notebook, as_version=4)
    names: dict = {"__name__": "__lecture__"}
    exec(setup_source(notebook), names)
    for cell in answer_cells(notebook):
        exec(cell.source, names)
    return names


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_reference_passes_hidden_scenarios(item):
    lecture, _, name = item
    assert run_hidden(lecture.slug, name, load_reference(lecture.slug, name)) == []


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_scenarios_are_deterministic(item):
    lecture, _, name = item
    reference = load_reference(lecture.slug, name)
    for scenario in load_book(lecture.slug).for_name(name):
        first, second = scenario.run(reference), scenario.run(reference)
        assert describe_mismatch(second, first, rtol=0, atol=0) is None, scenario.description


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_stub_fails_hidden_scenarios(item):
    lecture, _, name = item
    failures = run_hidden(lecture.slug, name, namespace(lecture, solved=False)[name])
    assert failures == [f"{name} is not implemented yet"]


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_notebook_solution_passes_hidden_scenarios(item):
    """The body pasted into the notebook behaves like the reference in the notebook's namespace."""
    lecture, _, name = item
    assert run_hidden(lecture.slug, name, namespace(lecture, solved=True)[name]) == []


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_signature_matches_reference(item):
    lecture, _, name = item
    stub = namespace(lecture, solved=False)[name]
    reference = load_reference(lecture.slug, name)

    def shape(obj):
        target = obj.__init__ if inspect.isclass(obj) else obj
        return [(p.name, p.kind, p.default) for p in inspect.signature(target).parameters.values()]
    assert shape(stub) == shape(reference)


@pytest.mark.parametrize("item", MUTANTS, ids=lambda item: f"{item[0].slug}.{item[1].name}: {item[1].description}")
def test_mutant_fails_a_hidden_scenario(item):
    lecture, mutant = item
    failures = run_hidden(lecture.slug, mutant.name, mutant.implementation)
    assert failures, f"the mutant '{mutant.description}' of {mutant.name} passed every hidden scenario"
    for failure in failures:  # each is one "  - ..." line of the HiddenTestFailed message
        assert_key_fact_shown(failure, prefix="  - ")


def shown_by_validate(line: str) -> str:
    """What ``nbgrader validate`` prints of one line of an error: it indents each line and cuts
    it after ``width - 3`` characters (90 - 3 by default). The Validate button's dialog shows
    the whole line, but a narrow window hides its end too."""
    from nbgrader.validator import Validator

    return Validator()._indent(line).split("\n")[0]


def assert_key_fact_shown(message: str, prefix: str = "CheckFailed: ") -> None:
    """The key fact of a failure message survives nbgrader's cut: for a comparison, the whole
    "expected ..., got ..." (or "expected X, but nothing was raised") before the first "; " or
    " — "; for any other sentence ("f raised TypeError: ...", "x was modified in place",
    a test's own expect_true text), its first clause."""
    message = message.split("\n")[0]
    shown = shown_by_validate(prefix + message)
    key = re.split(r"; | — ", message, maxsplit=1)[0]
    if re.search(r"\bexpected\b", key):
        assert re.search(r"expected .+, (got |but nothing was raised)", key), \
            f"a comparison without its 'expected ..., got ...' up front: {message!r}"
        assert key in shown, f"nbgrader validate would show only {shown.strip()!r} of {message!r}"
    else:
        clause = re.split(r"; | — |: |, ", message, maxsplit=1)[0]
        assert clause in shown, f"nbgrader validate would show only {shown.strip()!r} of {message!r}"


@cache
def _test_cell_of(lecture: Lecture) -> dict[str, str]:
    """The visible test cell's id for each graded name."""
    return {name: f"test_{cell}" for cell, name in graded_names(lecture)}


def _instructions(code) -> list[tuple]:
    """What a function does, as (operation, argument) pairs; the same whether its module was
    compiled by pytest's assertion rewriter (method loads as attribute loads) or by ``exec``."""
    same = {"LOAD_METHOD": "LOAD_ATTR", "PRECALL": None, "CACHE": None}
    jumps = set(dis.hasjrel) | set(dis.hasjabs)  # their targets move with the operations dropped
    return [(same.get(op.opname, op.opname),
             None if op.opcode in jumps else _instructions(op.argval) if inspect.iscode(op.argval) else op.argval)
            for op in dis.get_instructions(code) if same.get(op.opname, op.opname)]


def _methods_code(obj) -> dict[str, list]:
    functions = {"": obj} if inspect.isfunction(obj) else {k: v for k, v in vars(obj).items() if inspect.isfunction(v)}
    return {name: _instructions(function.__code__) for name, function in functions.items()}


@pytest.mark.parametrize("item", MUTANTS, ids=lambda item: f"{item[0].slug}.{item[1].name}: {item[1].description}")
def test_mutant_source_pasted_alone_defines_that_mutant(item):
    """The demo class pastes a mutant's source into a solved notebook: there it defines that very
    mutant (not another of the same name), with the catalogue's helpers and base classes it needs."""
    lecture, mutant = item
    names = dict(namespace(lecture, solved=True))
    exec(mutant_source(mutant.implementation), names)
    assert _methods_code(names[mutant.name]) == _methods_code(mutant.implementation), \
        f"the pasted source of '{mutant.description}' defines a different {mutant.name}"


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_mutant_helpers_are_defined_once(lecture):
    """A private helper defined twice in a catalogue silently replaces the first for every mutant
    that calls it (and the demo class pastes the wrong one): each name is defined once."""
    import ast
    import collections
    import importlib

    source = inspect.getsource(importlib.import_module(f"tests.mutants.{lecture.slug}"))
    counts = collections.Counter(node.name for node in ast.parse(source).body
                                 if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith("_"))
    assert not [name for name, count in counts.items() if count > 1], \
        f"tests/mutants/{lecture.slug}.py defines these helpers more than once: {sorted(n for n, c in counts.items() if c > 1)}"


@pytest.mark.parametrize("item", MUTANTS, ids=lambda item: f"{item[0].slug}.{item[1].name}: {item[1].description}")
def test_mutant_visible_failure_leads_with_the_key_fact(item):
    """Where the visible tests catch a mutant, the message's first line, as cut by nbgrader
    validate, still says what is wrong (the expected and the obtained value, the shape...)."""
    lecture, mutant = item
    names = dict(namespace(lecture, solved=True))
    names[mutant.name] = mutant.implementation
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(_test_source(lecture, _test_cell_of(lecture)[mutant.name]), names)
    except CheckFailed as failure:
        assert_key_fact_shown(str(failure))
    except Exception:  # the visible tests do not catch every mutant with a sentence; hidden ones do
        pass


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_every_exercise_has_three_mutants(lecture):
    catalogue = load_catalogue(lecture.slug)
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    for cell in answer_cells(notebook):
        count = sum(len(catalogue.for_name(name)) for name in defined_names(cell.source))
        assert count >= 3, f"exercise {grade_id(cell)} has {count} mutants, needs at least 3"


def _test_source(lecture: Lecture, cell_id: str) -> str:
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    return next(cell.source for cell in check_cells(notebook) if grade_id(cell) == cell_id)


@pytest.mark.parametrize("item", TEST_CELLS, ids=lambda item: f"{item[0].slug}.{item[1]}")
def test_visible_tests_pass_on_reference(item, capsys):
    lecture, cell_id = item
    exec(_test_source(lecture, cell_id), dict(namespace(lecture, solved=True)))
    assert "all visible tests passed" in capsys.readouterr().out


@pytest.mark.parametrize("item", TEST_CELLS, ids=lambda item: f"{item[0].slug}.{item[1]}")
def test_visible_tests_fail_on_stub_with_a_sentence(item):
    lecture, cell_id = item
    with pytest.raises(CheckFailed, match="not implemented yet"):
        exec(_test_source(lecture, cell_id), dict(namespace(lecture, solved=False)))


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_kill_rate_report(lecture, record_property):
    """Record the lecture's mutant count and kill rate (shown with pytest -rA)."""
    mutants = load_catalogue(lecture.slug).mutants
    killed = sum(bool(run_hidden(lecture.slug, m.name, m.implementation)) for m in mutants)
    record_property("mutants", len(mutants))
    print(f"{lecture.assignment}: {killed}/{len(mutants)} mutants killed")
    assert killed == len(mutants)
