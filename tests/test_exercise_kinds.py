"""Each exercise's kind, and the share of a lecture's points that is design rather than transcription.

A lecture's hidden module classifies its answer cells in ``EXERCISE_KINDS``:

- **T**, transcription: the formula, steps or calls are printed and the student translates them;
- **P**, partial: the main formula is given, a real design question is left;
- **D**, design: the student derives or designs the method (a backward pass from the forward
  pass, a training loop or model specified by behaviour).

By points (each answer cell counts the points of its test cell): T at most a third, D at least
a third. Lectures not yet classified are listed, not failed.
"""
from __future__ import annotations

import importlib
from fractions import Fraction

import nbformat
import pytest

from grader.cells import answer_cells, check_cells, grade_id, nbgrader_meta
from tests.conftest import LECTURES

KINDS = {"T", "P", "D"}


def exercise_kinds(slug: str) -> dict[str, str] | None:
    return getattr(importlib.import_module(f"grader.hidden.{slug}"), "EXERCISE_KINDS", None)


def points_by_answer(notebook) -> dict[str, float]:
    """Points of each answer cell: those of the test cell named ``test_<answer id>``."""
    points = {grade_id(cell): float(nbgrader_meta(cell).get("points", 0)) for cell in check_cells(notebook)}
    return {grade_id(cell): points.get(f"test_{grade_id(cell)}", 0.0) for cell in answer_cells(notebook)}


def kind_shares(kinds: dict[str, str], points: dict[str, float]) -> dict[str, Fraction]:
    total = sum(points.values())
    return {kind: Fraction(sum(p for cell, p in points.items() if kinds[cell] == kind)) / Fraction(total)
            for kind in sorted(KINDS)}


CLASSIFIED = [lecture for lecture in LECTURES if exercise_kinds(lecture.slug) is not None]


@pytest.mark.parametrize("lecture", CLASSIFIED, ids=lambda lecture: lecture.slug)
def test_every_answer_cell_has_one_kind(lecture):
    kinds = exercise_kinds(lecture.slug)
    points = points_by_answer(nbformat.read(lecture.student_notebook, as_version=4))
    assert set(kinds) == set(points), (
        f"EXERCISE_KINDS of {lecture.slug} lists {sorted(set(kinds) - set(points))} that are not answer cells "
        f"and misses {sorted(set(points) - set(kinds))}")
    assert set(kinds.values()) <= KINDS, f"unknown kinds in {lecture.slug}: {set(kinds.values()) - KINDS}"


@pytest.mark.parametrize("lecture", CLASSIFIED, ids=lambda lecture: lecture.slug)
def test_at_most_a_third_transcription_and_at_least_a_third_design(lecture):
    kinds = exercise_kinds(lecture.slug)
    shares = kind_shares(kinds, points_by_answer(nbformat.read(lecture.student_notebook, as_version=4)))
    described = ", ".join(f"{kind} {float(share):.0%}" for kind, share in shares.items())
    assert shares["T"] <= Fraction(1, 3), f"{lecture.slug}: transcription is more than a third of the points ({described})"
    assert shares["D"] >= Fraction(1, 3), f"{lecture.slug}: design is less than a third of the points ({described})"
