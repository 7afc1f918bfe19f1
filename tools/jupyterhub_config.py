"""JupyterHub for the course: every student and instructor a system user (docs/jupyterhub.md).

    jupyterhub -f tools/jupyterhub_config.py      (as root, in the folder that keeps the hub's state)

- The local process spawner starts each user's JupyterLab as that Unix user, from the course's
  Python environment (so its kernel is the course's kernel too).
- Students get nbgrader's Assignments tab (fetch, validate, submit, fetch feedback), not the
  Formgrader: their Jupyter configuration (written below into ``DLRL_HUB_STUDENT_CONFIG``)
  names the exchange and the course id and switches the instructor's extensions off.
- Instructors get the Formgrader on the course directory; its buttons grade with the course's
  own configuration (``nbgrader_config.py`` in the course directory: the sandbox and the
  trusted judge).
- Log-in is PAM (the users' system passwords) unless ``--JupyterHub.authenticator_class`` says
  otherwise (the browser test uses JupyterHub's shared-password authenticator).

Settings, from the environment (the defaults suit a course installed as the documentation says):

    DLRL_HUB_PYTHON          the course environment's python, readable by every user (/opt/dlrl/venv/bin/python)
    DLRL_HUB_INSTRUCTOR_PYTHON  the instructor's: the checkout's venv, with the grader
                             (/home/instructor/dlrl/.venv/bin/python)
    DLRL_HUB_INSTRUCTORS     comma-separated instructor user names (instructor)
    DLRL_HUB_STUDENTS        comma-separated student user names allowed to log in (empty: every system user PAM accepts)
    DLRL_HUB_COURSE_DIR      the instructor's course directory, inside their home
                             (/home/instructor/dlrl/build/nbgrader)
    DLRL_HUB_EXCHANGE        nbgrader's exchange, mode 1777 (/srv/nbgrader/exchange)
    DLRL_HUB_STUDENT_CONFIG  the students' Jupyter configuration folder, written at start (/etc/dlrl/jupyter-student)
    DLRL_HUB_URL             where the hub listens (http://127.0.0.1:8000; put TLS or a reverse proxy in front)
"""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides it

COURSE_ID = "dlrl"  # grader/config.py's COURSE_ID
PYTHON = os.environ.get("DLRL_HUB_PYTHON", "/opt/dlrl/venv/bin/python")
INSTRUCTOR_PYTHON = os.environ.get("DLRL_HUB_INSTRUCTOR_PYTHON", "/home/instructor/dlrl/.venv/bin/python")
INSTRUCTORS = {name for name in os.environ.get("DLRL_HUB_INSTRUCTORS", "instructor").split(",") if name}
STUDENTS = {name for name in os.environ.get("DLRL_HUB_STUDENTS", "").split(",") if name}
COURSE_DIR = os.environ.get("DLRL_HUB_COURSE_DIR", "/home/instructor/dlrl/build/nbgrader")
EXCHANGE = os.environ.get("DLRL_HUB_EXCHANGE", "/srv/nbgrader/exchange")
STUDENT_CONFIG = Path(os.environ.get("DLRL_HUB_STUDENT_CONFIG", "/etc/dlrl/jupyter-student"))

# The instructor's extensions, off for students (server side and in JupyterLab).
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
INSTRUCTOR_LAB_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                          "@jupyter/nbgrader:create-assignment"]


def write_student_config(folder: Path = STUDENT_CONFIG, exchange: str = EXCHANGE) -> None:
    """The students' Jupyter configuration: the exchange and course id for nbgrader, and the
    instructor's extensions switched off."""
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {exchange!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}}, indent=1))
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}}, indent=1))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def prepare_exchange(root: str = EXCHANGE) -> None:
    """nbgrader's exchange: everyone may create in it, nobody may delete what is not theirs."""
    Path(root).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o1777)


def per_user(spawner) -> None:
    """Instructors: the Formgrader on the course directory; students: the Assignments tab."""
    name = spawner.user.name
    if name in INSTRUCTORS:
        spawner.cmd = [INSTRUCTOR_PYTHON, "-m", "jupyterhub.singleuser"]
        # The Formgrader reads the course's nbgrader_config.py from this configuration path;
        # the grader finds the course directory and the exchange from these two variables.
        spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": COURSE_DIR, "GRADING_ROOT": COURSE_DIR,
                               "GRADING_EXCHANGE": EXCHANGE}
    else:
        spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": str(STUDENT_CONFIG)}


write_student_config()
prepare_exchange()

c.JupyterHub.bind_url = os.environ.get("DLRL_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.spawner_class = "localprocess"
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.admin_users = INSTRUCTORS
if STUDENTS:
    c.Authenticator.allowed_users = STUDENTS | INSTRUCTORS
else:
    c.Authenticator.allow_all = True  # PAM: every system user with a password may log in

c.Spawner.cmd = [PYTHON, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.pre_spawn_hook = per_user
c.Spawner.start_timeout = 120  # a loaded 2-core machine starts JupyterLab in 10-40 s
c.Spawner.http_timeout = 120
