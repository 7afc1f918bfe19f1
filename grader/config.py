"""The nbgrader course directory the grader builds, and its configuration.

Everything generated lives under ``build/nbgrader/`` (git-ignored): ``source/`` (assembled
notebooks), ``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and the gradebook.
The same settings are written to ``build/nbgrader/nbgrader_config.py``, so nbgrader's own
commands (``nbgrader formgrader``, ``nbgrader autograde ...``) work there too.

The gradebook is nbgrader's sqlite file unless ``GRADEBOOK_URL`` is set, e.g. to
``postgresql://user:password@host/course`` for a course with several graders. The URL is
read from the environment every time and never written to a file; the course directory
remembers only where the gradebook is (``gradebook-location.txt``, without the password), so
a later command that forgets ``GRADEBOOK_URL`` stops instead of quietly using sqlite.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from traitlets.config import Config

from grader.lectures import BUILD

# GRADING_ROOT moves the course directory (tests use it to grade in a scratch folder).
NBGRADER_ROOT = Path(os.environ.get("GRADING_ROOT") or BUILD / "nbgrader").resolve()
COURSE_ID = "dlrl"
CELL_TIMEOUT = 20  # seconds per cell under grading: the slowest graded-mode cell takes ~3 s

LOCATION_FILE = "gradebook-location.txt"

_SETTINGS = """\
import os
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
# The gradebook: GRADEBOOK_URL from the environment (its password stays out of this file).
c.CourseDirectory.db_url = os.environ.get("GRADEBOOK_URL") or {sqlite!r}
# The exchange (release, submit, collect, feedback): GRADING_EXCHANGE names a folder shared with
# the students (JupyterHub, docs/jupyterhub.md); otherwise a folder in the course directory.
c.Exchange.root = os.environ.get("GRADING_EXCHANGE") or {exchange!r}
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
# Submissions' outputs and markdown are hostile input for the instructor's pages: the Formgrader's
# submission view and the feedback HTML keep only allowlisted mime types, tags, attributes and
# links (grader.sanitize; the autograded notebook is sanitised before it is written, too).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {{"clean_html": "grader.sanitize.clean_html", "markdown2html": "grader.sanitize.markdown2html"}}
c.HTMLExporter.preprocessors = ["grader.sanitize.SanitizeNotebook"]
# Feedback: test cells hold only the verdicts the trusted side wrote; hidden regions and
# tracebacks are cleared all the same.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "grader.feedback.RedactTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
"""


class GradebookError(RuntimeError):
    """The gradebook cannot be used as configured; the message says what to do."""


def _sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def gradebook_url(root: Path) -> str:
    """The gradebook's database URL: ``GRADEBOOK_URL`` or the sqlite file in ``root``."""
    return os.environ.get("GRADEBOOK_URL") or _sqlite_url(root)


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def check_gradebook(root: Path) -> str:
    """Make sure the command uses the course's gradebook; return a line saying which it is.

    Remembers a database gradebook's location (never its password) in the course directory,
    refuses when a later command lacks ``GRADEBOOK_URL``, and names the missing driver.
    """
    url = gradebook_url(root)
    location = root / LOCATION_FILE
    remembered = location.read_text().strip() if location.exists() else None
    if url.startswith("sqlite") and remembered and not remembered.startswith("sqlite"):
        raise GradebookError(f"this course directory's gradebook is {remembered}, but GRADEBOOK_URL is not set: "
                             "set it (with the password) for every grading command")
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401 - SQLAlchemy's driver for postgresql:// URLs
        except ImportError:
            raise GradebookError("the gradebook is PostgreSQL but its driver is not installed: "
                                 ".venv/bin/pip install -e '.[postgres]'") from None
    root.mkdir(parents=True, exist_ok=True)
    if not url.startswith("sqlite") or remembered is None:
        location.write_text(redacted(url) + "\n")
    return f"gradebook: {redacted(url)}"


def settings_text(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> str:
    """The body of an ``nbgrader_config.py`` for the course directory at ``root``."""
    return _SETTINGS.format(root=str(root), course_id=COURSE_ID, sqlite=_sqlite_url(root),
                            exchange=str(root / "exchange"), timeout=timeout)


def nbgrader_config(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> Config:
    """The traitlets Config for in-process use of nbgrader's API."""
    config = Config()
    exec(settings_text(root, timeout), {"c": config})  # one text serves the file and the API
    return config


def exchange_root(root: Path = NBGRADER_ROOT) -> Path:
    """nbgrader's exchange: ``GRADING_EXCHANGE`` (a folder students share) or ``root/exchange``."""
    return Path(os.environ.get("GRADING_EXCHANGE") or root / "exchange")


def prepare_course_directory(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT) -> Path:
    """Create ``root`` with its exchange folder and ``nbgrader_config.py``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    exchange_root(root).mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + settings_text(root, timeout))
    return root


def _put_interpreter_on_path() -> None:
    """nbgrader runs ``alembic`` and kernels by name: find them beside this interpreter."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


@functools.cache
def alembic_head() -> str:
    """The gradebook schema's revision, as nbgrader's ``get_alembic_version`` finds it, but read
    here from nbgrader's migration scripts instead of by running ``alembic heads`` in a new
    Python process (1 to 5 s of every new gradebook, most of a fresh course's release)."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    settings = AlembicConfig()
    settings.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(settings).get_current_head()


def _read_alembic_head_in_process() -> None:
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


def nbgrader_api(root: Path = NBGRADER_ROOT, timeout: int = CELL_TIMEOUT):
    """An in-process NbGraderAPI on the course directory at ``root`` (created if needed)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _put_interpreter_on_path()
    _read_alembic_head_in_process()
    prepare_course_directory(root, timeout)
    config = nbgrader_config(root, timeout)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)
