"""The nbgrader course directory the grader builds, and its configuration.

Everything generated lives under ``build/nbgrader/`` (git-ignored): ``source/`` (assembled
notebooks), ``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and the gradebook.
The same settings are written to ``build/nbgrader/nbgrader_config.py``, so nbgrader's own
commands (``nbgrader formgrader``, ``nbgrader autograde ...``) work there too.

The gradebook is nbgrader's sqlite file unless ``GRADEBOOK_URL`` is set, e.g. to
``postgresql://user:password@host/course`` for a course with several graders.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from grader.lectures import BUILD

# GRADING_ROOT moves the course directory (tests use it to grade in a scratch folder).
NBGRADER_ROOT = Path(os.environ.get("GRADING_ROOT") or BUILD / "nbgrader").resolve()
COURSE_ID = "dlrl"
CELL_TIMEOUT = 20  # seconds per cell under grading: the slowest graded-mode cell takes ~3 s

_SETTINGS = """\
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
c.Exchange.root = {exchange!r}
# Per-cell time limit (nbgrader validate; the grader's sandbox uses the same figure).
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=CRITICAL"]
# Student code never runs in nbgrader's own kernel: the notebook is executed in the sandbox and
# judged on the trusted side (grader.judge); TrustedResults puts that notebook in place of
# nbgrader's Execute step, and nbgrader records the scores.
c.Autograde.autograde_preprocessors = [
    "grader.autograde.TrustedResults",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Restore (and grade) test cells a student deleted; nbgrader skips them by default.
c.OverwriteCells.add_missing_cells = True
# Feedback: test cells hold only the verdicts the trusted side wrote; hidden regions and
# tracebacks are cleared all the same.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "grader.feedback.RedactTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
"""


def gradebook_url(root: Path) -> str:
    """The gradebook's database URL: ``GRADEBOOK_URL`` or the sqlite file in ``root``."""
    return os.environ.get("GRADEBOOK_URL") or f"sqlite:///{root / 'gradebook.db'}"


def settings_text(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> str:
    """The body of an ``nbgrader_config.py`` for the course directory at ``root``."""
    return _SETTINGS.format(root=str(root), course_id=COURSE_ID, db_url=gradebook_url(root),
                            exchange=str(root / "exchange"), timeout=timeout)


def nbgrader_config(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> Config:
    """The traitlets Config for in-process use of nbgrader's API."""
    config = Config()
    exec(settings_text(root, timeout), {"c": config})  # one text serves the file and the API
    return config


def prepare_course_directory(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> Path:
    """Create ``root`` with its exchange folder and ``nbgrader_config.py``; return ``root``."""
    (root / "exchange").mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + settings_text(root, timeout))
    return root


def _put_interpreter_on_path() -> None:
    """nbgrader runs ``alembic`` and kernels by name: find them beside this interpreter."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT):
    """An in-process NbGraderAPI on the course directory at ``root`` (created if needed)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _put_interpreter_on_path()
    prepare_course_directory(root, timeout)
    config = nbgrader_config(root, timeout)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)
