"""The instructor's report: which exercises, scenarios and misconceptions the class struggles with.

Scores come from nbgrader's gradebook (lecture totals and each test cell's points), so manual
grades and other graders' work count, as in :mod:`grader.grades`. The status file beside the
gradebook adds what the gradebook cannot hold: which submissions could not be graded, the
problems found while grading, and each failed hidden scenario with its hint (one entry per
student and lecture: the latest submission's).

``make report`` writes ``report/index.html`` beside the course directory (``build/report/``,
next to ``build/grades.csv``) with its figures embedded as PNG data, and the same numbers as
CSV files in that folder. Shares are of the lecture's submissions (graded or not); means and
histograms are of the graded ones.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from grader.autograde import load_status
from grader.config import NBGRADER_ROOT, check_gradebook, gradebook_url

NOT_ATTEMPTED = {"not implemented", "not defined"}  # no scenario could run: counted as problems
TOP_SCENARIOS = 15  # bars in the most-failed figure (the table lists them all)
PROBLEM_KINDS = [  # (kind, pattern of the problem sentence), first match wins
    ("not a notebook", r"not valid JSON|not a notebook|malformed|no notebook named"),
    ("time-out", r"time limit|ignored the interrupt"),
    ("crash (the kernel died)", r"killed the kernel|kernel died"),
    ("cell deleted (restored and graded)", r"was deleted"),
    ("cell type changed (restored)", r"was turned into"),
    ("test cell edited (restored)", r"was edited"),
    ("a cell raised an error", r" raised "),
    ("notebook renamed", r"was named"),
    ("not executed (grader or notebook failure)", r"could not be executed|grader failed"),
    ("graded without the sandbox", r"unsandboxed"),
    ("grading worker lost (graded again)", r"worker was lost"),
    ("not recorded by nbgrader", r"nbgrader could not record"),
]


@dataclass
class ClassResults:
    """What the report is built from: gradebook scores and the status file."""

    lectures: list[str]  # assignment ids, in order
    totals: dict[tuple[str, str], tuple[float, float]]  # (student, lecture) -> (score, max)
    cells: dict[str, dict[str, float]]  # lecture -> test cell -> max points
    cell_scores: dict[tuple[str, str, str], float]  # (student, lecture, cell) -> points
    status: dict[str, dict[str, dict]] = field(default_factory=dict)

    def submissions(self, lecture: str) -> set[str]:
        """Students with a submission of ``lecture`` (graded or not)."""
        return {s for s, a in self.totals if a == lecture} | {s for s, e in self.status.items() if lecture in e}

    def graded(self, lecture: str) -> set[str]:
        """Students whose latest submission of ``lecture`` is graded in the gradebook."""
        return {s for s, a in self.totals if a == lecture
                and self.status.get(s, {}).get(lecture, {}).get("graded", True)}


def load_results(root: Path = NBGRADER_ROOT) -> ClassResults:
    from nbgrader.api import Gradebook

    totals, cells, cell_scores = {}, {}, {}
    with Gradebook(gradebook_url(root)) as gradebook:
        lectures = sorted(a.name for a in gradebook.assignments)
        for assignment in gradebook.assignments:
            cells[assignment.name] = {cell.name: float(cell.max_score) for notebook in assignment.notebooks
                                      for cell in notebook.grade_cells}
            for submission in gradebook.assignment_submissions(assignment.name):
                student = submission.student.id
                totals[(student, assignment.name)] = (float(submission.score), float(assignment.max_score))
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cell_scores[(student, assignment.name, grade.name)] = float(grade.score)
    status = load_status(root)
    lectures += sorted({a for entries in status.values() for a in entries} - set(lectures))
    return ClassResults(lectures, totals, cells, cell_scores, status)


# --- the numbers ---------------------------------------------------------------------------------------

def _share(count: int, total: int) -> float:
    return round(count / total, 3) if total else 0.0


def lecture_rows(results: ClassResults) -> list[dict]:
    rows = []
    for lecture in results.lectures:
        submitted, graded = results.submissions(lecture), sorted(results.graded(lecture))
        scores = [results.totals[(s, lecture)][0] for s in graded]
        top = max([results.totals[(s, lecture)][1] for s in graded] or [0.0])
        rows.append({"lecture": lecture, "submissions": len(submitted), "graded": len(graded),
                     "not_graded": len(submitted) - len(graded), "max_score": top,
                     "mean_score": round(statistics.fmean(scores), 3) if scores else "",
                     "median_score": statistics.median(scores) if scores else "",
                     "full_marks": sum(score == top for score in scores), "zero": sum(score == 0 for score in scores)})
    return rows


def exercise_rows(results: ClassResults) -> list[dict]:
    rows = []
    for lecture in results.lectures:
        submitted, graded = results.submissions(lecture), sorted(results.graded(lecture))
        for cell, top in sorted(results.cells.get(lecture, {}).items()):
            scores = [results.cell_scores.get((s, lecture, cell), 0.0) for s in graded]
            rows.append({"lecture": lecture, "exercise": cell.removeprefix("test_"), "max_points": top,
                         "submissions": len(submitted), "graded": len(graded),
                         "mean_score": round(statistics.fmean(scores), 3) if scores else "",
                         "full_marks_share": _share(sum(s == top for s in scores), len(submitted)),
                         "zero_share": _share(sum(s == 0 for s in scores), len(submitted)),
                         "not_graded_share": _share(len(submitted) - len(graded), len(submitted))})
    return rows


def _failures(results: ClassResults) -> list[tuple[str, str, dict]]:
    """(student, lecture, failure record) of every failed scenario of a graded submission."""
    found = []
    for student, entries in results.status.items():
        for lecture, entry in entries.items():
            if not entry.get("graded"):
                continue
            records = entry.get("failures")
            if records is None:  # graded before failures were recorded: the lines only
                records = [{"name": line.split(": ")[0], "scenario": line.split(": ", 1)[-1], "kind": "", "hint": None}
                           for line in entry.get("failed_scenarios", [])]
            found += [(student, lecture, record) for record in records]
    return found


def scenario_rows(results: ClassResults) -> list[dict]:
    """Each failed hidden scenario, most-failed first, with how many students failed it."""
    students, kinds, hints = defaultdict(set), defaultdict(Counter), {}
    for student, lecture, record in _failures(results):
        if record["kind"] in NOT_ATTEMPTED:
            continue
        key = (lecture, record["name"], record["scenario"])
        students[key].add(student)
        kinds[key][record["kind"] or "failed"] += 1
        hints[key] = record.get("hint") or ""
    rows = [{"lecture": lecture, "exercise": name, "scenario": scenario, "students_failed": len(who),
             "share_of_graded": _share(len(who), len(results.graded(lecture))),
             "how": ", ".join(f"{kind} ({n})" for kind, n in kinds[(lecture, name, scenario)].most_common()),
             "hint": hints[(lecture, name, scenario)]}
            for (lecture, name, scenario), who in students.items()]
    return sorted(rows, key=lambda r: (-r["students_failed"], r["lecture"], r["exercise"], r["scenario"]))


def hint_rows(results: ClassResults) -> list[dict]:
    """Failures grouped by the misconception their scenario's hint names, most students first."""
    students, scenarios, exercises = defaultdict(set), defaultdict(set), defaultdict(set)
    for student, lecture, record in _failures(results):
        if record["kind"] in NOT_ATTEMPTED:
            continue
        key = (lecture, record.get("hint") or "(no hint)")
        students[key].add(student)
        scenarios[key].add((record["name"], record["scenario"]))
        exercises[key].add(record["name"])
    rows = [{"lecture": lecture, "hint": hint, "students": len(who), "scenarios": len(scenarios[(lecture, hint)]),
             "exercises": ", ".join(sorted(exercises[(lecture, hint)]))} for (lecture, hint), who in students.items()]
    return sorted(rows, key=lambda r: (r["hint"] == "(no hint)", -r["students"], r["lecture"], r["hint"]))


def problem_kind(problem: str) -> str:
    return next((kind for kind, pattern in PROBLEM_KINDS if re.search(pattern, problem)), "other")


def problem_rows(results: ClassResults) -> list[dict]:
    """Problems found while grading, by kind: submissions and students affected, one example."""
    submissions, students, examples = Counter(), defaultdict(set), {}
    for student, entries in results.status.items():
        for lecture, entry in entries.items():
            found = {problem_kind(p): p for p in entry.get("problems", [])}
            for record in entry.get("failures", []) if entry.get("graded") else []:
                if record["kind"] in NOT_ATTEMPTED:
                    found.setdefault(f"exercise {record['kind']}", f"{record['name']}: {record['scenario']}")
            for kind, example in found.items():
                submissions[kind] += 1
                students[kind].add(student)
                examples.setdefault(kind, f"{student} [{lecture[:2]}] {example}")
    return [{"kind": kind, "submissions": n, "students": len(students[kind]), "example": examples[kind]}
            for kind, n in submissions.most_common()]


# --- the figures -----------------------------------------------------------------------------------------

def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_figure(lecture: str, scores: list[float], top: float) -> str:
    """A lecture's score histogram (points, one bar per tenth of the maximum) as a PNG data URI."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(4.4, 2.8))
    axes = figure.subplots()
    edges = [top * k / 10 for k in range(11)] if top > 0 else [0, 1]
    axes.hist(scores, bins=edges, color="#4c72b0", edgecolor="white")
    axes.set_title(lecture.replace("_", " "), fontsize=11)
    axes.set_xlabel(f"score (points of {top:g})", fontsize=10)
    axes.set_ylabel("students", fontsize=10)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def scenarios_figure(rows: list[dict]) -> str:
    """The most-failed scenarios as horizontal bars, most-failed on top."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = rows[:TOP_SCENARIOS]
    figure = Figure(figsize=(9, 0.38 * len(rows) + 1.0))
    axes = figure.subplots()
    labels = [f"[{r['lecture'][:2]}] {r['exercise']}: {r['scenario']}" for r in rows]
    labels = [label if len(label) <= 70 else label[:67] + "..." for label in labels]
    axes.barh(range(len(rows)), [r["students_failed"] for r in rows], color="#c44e52")
    axes.set_yticks(range(len(rows)), labels, fontsize=9)
    axes.invert_yaxis()
    axes.set_xlabel("students who failed it", fontsize=10)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


# --- the page ---------------------------------------------------------------------------------------------

PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Instructor's report</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.n { text-align: right; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } .note { color: #555; }
</style></head><body>
<h1>Instructor's report</h1>
<p class="note">From the gradebook and the grading status in <code>$root</code>. Shares are of each lecture's
submissions (graded or not); means and histograms are of the graded ones. The same numbers are in the CSV
files beside this page.</p>
<h2 id="lectures">Scores per lecture</h2>
<div class="figures">$histograms</div>
$lectures
<h2 id="exercises">Exercises</h2>
$exercises
<h2 id="scenarios">Hidden scenarios failed, most-failed first</h2>
<p class="note">Scenarios nobody failed are not listed; exercises left unimplemented are counted under problems.</p>
$scenarios_figure
$scenarios
<h2 id="hints">Failures by misconception (the scenarios' hints)</h2>
$hints
<h2 id="problems">Problems found while grading, by kind</h2>
$problems
</body></html>
""")


def html_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain HTML table of ``rows`` (numbers right-aligned); a sentence when there are none."""
    if not rows:
        return "<p>None.</p>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{row[c]:g}</td>' if isinstance(row[c], int | float) else f"<td>{html.escape(str(row[c]))}</td>"
        for c in columns) + "</tr>\n" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{html.escape(alt)}">'


TABLES = {"lectures": lecture_rows, "exercises": exercise_rows, "scenarios": scenario_rows, "hints": hint_rows,
          "problems": problem_rows}


def write_report(folder: Path, root: Path = NBGRADER_ROOT, results: ClassResults | None = None) -> Path:
    """Write ``folder/index.html`` and one CSV per table; return the page's path."""
    results = results if results is not None else load_results(root)
    tables = {name: build(results) for name, build in TABLES.items()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["none"])
            writer.writeheader()
            writer.writerows(rows)
    histograms = [_img(histogram_figure(row["lecture"], [results.totals[(s, row["lecture"])][0]
                                                          for s in results.graded(row["lecture"])], row["max_score"]),
                       f"score histogram of {row['lecture']}") for row in tables["lectures"] if row["graded"]]
    scenarios = tables["scenarios"]
    page = PAGE.substitute(
        root=html.escape(str(root)), histograms="\n".join(histograms) or "<p>No graded submission.</p>",
        scenarios_figure=_img(scenarios_figure(scenarios), "most-failed hidden scenarios") if scenarios else "",
        **{name: html_table(rows) for name, rows in tables.items()})
    path = folder / "index.html"
    path.write_text(page)
    return path


def default_folder(root: Path = NBGRADER_ROOT) -> Path:
    """Where the report goes: ``report/`` beside the course directory (``build/report``)."""
    return root.parent / "report"


def report_command(folder: Path, root: Path = NBGRADER_ROOT) -> int:
    """``make report``: write the page and the CSVs, and name the three most-failed scenarios."""
    print(check_gradebook(root))
    results = load_results(root)
    path = write_report(folder, root, results)
    print(f"report: {path} (CSV files beside it)")
    for row in scenario_rows(results)[:3]:
        print(f"  {row['students_failed']} student(s) failed [{row['lecture'][:2]}] {row['exercise']}: {row['scenario']}")
    return 0
