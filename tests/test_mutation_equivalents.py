"""The equivalent-mutant lists (tests/mutation/<slug>.toml) parse and point at real code.

Each entry names a graded body (a function or a stubbed method) and quotes a line of it, so a
renamed function or an edited line shows up here instead of silently lowering a score.
"""
from __future__ import annotations

import inspect

import pytest

from grader.hidden import load_reference
from grader.mutation import LINE_BREAK, graded_bodies, load_equivalents
from tests.conftest import LECTURES


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.slug)
def test_equivalents_name_graded_bodies_and_quote_their_lines(lecture):
    bodies = graded_bodies(lecture)
    for change, reason in load_equivalents(lecture).items():
        assert reason.strip(), f"{change.describe()} has no reason"
        assert change.function in bodies, f"{change.describe()}: {change.function} is not a graded body"
        owner, _, method = change.function.partition(".")
        obj = load_reference(lecture.slug, owner)
        source = inspect.getsource(getattr(obj, method) if method else obj)
        stripped = {line.strip() for line in source.splitlines()}
        for part in change.line.split(LINE_BREAK):
            assert part in stripped, f"{change.describe()}: the line is not in the reference any more"
