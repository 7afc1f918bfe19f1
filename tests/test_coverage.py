"""Every reference body is covered, every branch both ways, by its own hidden scenarios.

For each graded name, coverage.py (branch coverage) watches ``solutions/<slug>.py`` while that
name's scenarios drive the reference; every line and branch of the bodies a student writes
(the graded function, or the stubbed methods of a graded class, nested functions included)
must run. A failure names the function and its missing lines and branches.
"""
from __future__ import annotations

import json
import warnings

import coverage
import numpy as np
import pytest

from grader.hidden import load_book, load_reference
from grader.lectures import ROOT
from grader.mutation import graded_bodies
from tests.conftest import GRADED, graded_id


def _measure(lecture, name: str) -> dict:
    """coverage.py's JSON report of ``solutions/<slug>.py`` under ``name``'s scenarios."""
    path = ROOT / "solutions" / f"{lecture.slug}.py"
    reference = load_reference(lecture.slug, name)
    cov = coverage.Coverage(branch=True, include=[str(path)], data_file=None, config_file=False)
    cov.start()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for scenario in load_book(lecture.slug).for_name(name):
                scenario.run(reference)
    finally:
        cov.stop()
    report = ROOT / "build" / "coverage" / f"{lecture.slug}.{name}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    cov.json_report(outfile=str(report), morfs=[str(path)])
    files = json.loads(report.read_text())["files"]
    return next(iter(files.values()))


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_scenarios_cover_every_line_and_branch_of_the_reference(item):
    lecture, _, name = item
    bodies = [body for body, graded in graded_bodies(lecture).items() if graded == name]
    functions = _measure(lecture, name)["functions"]
    problems = []
    for body in bodies:
        regions = {key: value for key, value in functions.items() if key == body or key.startswith(body + ".")}
        assert body in regions, f"coverage.py found no function {body} in solutions/{lecture.slug}.py"
        for region, data in regions.items():
            lines = data["missing_lines"]
            branches = [f"{a}->{'exit' if b < 0 else b}" for a, b in data.get("missing_branches", [])]
            if lines or branches:
                problems.append(f"{region}: lines never run {lines}, branches never taken {branches}")
    assert not problems, (f"the hidden scenarios of {name} leave parts of solutions/{lecture.slug}.py "
                          "unexercised:\n  " + "\n  ".join(problems))
