"""A class of real Unix users around nbgrader's exchange, for tests/test_exchange.py and
tests/browser/test_jupyterhub.py.

Everything lives in one scratch folder under /tmp (0755, so other users can reach what is
meant for them) and is removed afterwards, users included:

- ``exchange/``: nbgrader's exchange, 1777 as nbgrader's docs ask (anyone may create the course's
  folder in it, nobody may delete another's); nbgrader sets the course's ``outbound`` 0755,
  ``inbound`` 2733 and ``feedback`` 0711 itself.
- ``env/``: the Python environment the students run (nbgrader, JupyterLab, the kernel). This
  machine's interpreter lives under /root (0700), which no other user can enter, so it is a
  venv on the system's Python 3.11 that shares the course venv's packages without the
  editable install of the checkout (which would expose ``solutions/``), plus the ``course``
  support package. ``instructor-env/`` (for an instructor user) holds hard links to the
  packages, checkout included (see :func:`make_environment`). Both link ``share/jupyter`` and
  ``etc/jupyter`` to the course venv's (JupyterLab's assets, the enabled server extensions).
- ``student-config/nbgrader_config.py``: what a student's nbgrader needs (exchange, course id),
  given through ``JUPYTER_CONFIG_PATH`` (on the hub, tools/jupyterhub_config.py writes it).
- ``home/<user>``: each user's home, 0700.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from grader.config import COURSE_ID
from grader.processes import free_port, stop_process

SCRATCH_PARENT = Path("/tmp")
STUDENT_CONFIG = """\
c = get_config()  # noqa: F821
c.Exchange.root = {exchange!r}
c.CourseDirectory.course_id = {course_id!r}
"""


def unix_users_unavailable() -> str | None:
    """Why this machine cannot host throw-away Unix users, or None."""
    if os.geteuid() != 0:
        return "creating Unix users needs root (run as root, as CI does)"
    missing = [tool for tool in ("useradd", "userdel", "runuser") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (Debian: the passwd and util-linux packages)"
    if system_python() is None:
        return "no Python 3.11 outside /root that other users may run (Debian: apt-get install python3.11-venv)"
    return None


def system_python() -> Path | None:
    """A Python of this minor version that every user can run (not this venv's, under /root)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        if candidate.exists() and os.access(candidate, os.X_OK):
            return candidate
    return None


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def make_environment(venv: Path, instructor: bool) -> Path:
    """A venv at ``venv`` on the system Python with this venv's packages; return its interpreter.

    The students' venv adds the course venv's site-packages by a plain path in a ``.pth`` file:
    the ``.pth`` files in there (the editable install of the checkout among them) do not run,
    so ``solutions`` and ``grader`` stay out; the ``course`` support package is copied in. The
    instructor's holds hard links to the packages, the editable install included: the grading
    sandbox binds only the interpreter's own prefix, so the packages must live under it.
    """
    from grader.release import _copy_support_package

    subprocess.run([str(system_python()), "-m", "venv", "--without-pip", str(venv)], check=True)
    target, shared = site_packages(venv), site_packages(Path(sys.prefix))
    for part in ("share", "etc"):  # JupyterLab's assets, kernels and extension switches
        (venv / part).mkdir(exist_ok=True)
        (venv / part / "jupyter").symlink_to(Path(sys.prefix) / part / "jupyter")
    if instructor:
        target.rmdir()
        subprocess.run(["cp", "-al", str(shared), str(target)], check=True)
    else:
        (target / "dlrl-course-env.pth").write_text(f"{shared}\n")
        _copy_support_package(target / "course")
    return venv / "bin" / "python"


@dataclass
class Classroom:
    """The scratch folder, its users and environments (see the module's docstring)."""

    scratch: Path
    users: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, instructor_env: bool = False) -> Classroom:
        """The scratch folder; ``instructor_env``: also an environment for an instructor user."""
        scratch = Path(tempfile.mkdtemp(prefix="dlrl-class-", dir=SCRATCH_PARENT))
        scratch.chmod(0o755)
        room = cls(scratch)
        room.exchange.mkdir()
        room.exchange.chmod(0o1777)
        (scratch / "home").mkdir(mode=0o755)
        make_environment(scratch / "env", instructor=False)
        if instructor_env:
            make_environment(scratch / "instructor-env", instructor=True)
        room.student_config.mkdir()
        (room.student_config / "nbgrader_config.py").write_text(
            STUDENT_CONFIG.format(exchange=str(room.exchange), course_id=COURSE_ID))
        return room

    @property
    def exchange(self) -> Path:
        return self.scratch / "exchange"

    @property
    def student_config(self) -> Path:
        return self.scratch / "student-config"

    def python(self, instructor: bool = False) -> Path:
        return self.scratch / ("instructor-env" if instructor else "env") / "bin" / "python"

    def home(self, user: str) -> Path:
        return self.scratch / "home" / user

    def add_user(self, role: str) -> str:
        """Create a Unix user with a 0700 home; return its name (also its nbgrader student id)."""
        name = f"dlx{secrets.token_hex(3)}-{role}"[:32]
        subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home(name)), "--shell", "/bin/sh",
                        "--user-group", name], check=True, capture_output=True, text=True)
        self.users.append(name)
        self.home(name).chmod(0o700)
        return name

    def environment(self, user: str, **extra: str) -> dict[str, str]:
        """A clean environment for ``user``'s commands."""
        return {"HOME": str(self.home(user)), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                "PATH": f"{self.python().parent}:/usr/bin:/bin", "JUPYTER_CONFIG_PATH": str(self.student_config),
                **extra}

    def run_as(self, user: str, args: list[str], cwd: Path | None = None, timeout: float = 120,
               **extra: str) -> subprocess.CompletedProcess:
        """Run ``args`` as ``user`` (runuser, a clean environment) in ``cwd`` (default: the home)."""
        env = [f"{k}={v}" for k, v in self.environment(user, **extra).items()]
        return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *env, *args], cwd=cwd or self.home(user),
                              capture_output=True, text=True, timeout=timeout)

    def nbgrader_as(self, user: str, *args: str) -> subprocess.CompletedProcess:
        """``nbgrader ARGS`` as ``user`` in the home, with the students' configuration."""
        return self.run_as(user, [str(self.python()), "-m", "nbgrader", *args])

    def give(self, user: str, path: Path) -> None:
        """Make ``user`` the owner of ``path`` and everything under it."""
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            shutil.chown(item, user, user)

    def remove(self) -> None:
        """Delete the users, their homes and the scratch folder."""
        for user in self.users:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class Server:
    """A Jupyter server started for a test (its process, address and token)."""

    process: subprocess.Popen
    url: str
    token: str
    log: Path

    def request(self, method: str, path: str, timeout: float = 600) -> bytes:
        request = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def wait(self, path: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.request("GET", path, timeout=2)
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        raise RuntimeError(f"the server did not answer {path} within {seconds} s:\n{self.log_tail()}")

    def stop(self) -> None:
        stop_process(self.process)


def start_formgrader(course_root: Path, state: Path, env: dict[str, str]) -> Server:
    """A Jupyter server (as this user) in the course directory, with nbgrader's formgrader."""
    port, token = free_port(), secrets.token_hex(16)
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **env, "JUPYTER_CONFIG_DIR": str(state / "config"), "JUPYTER_RUNTIME_DIR": str(state / "run"),
           "JUPYTER_DATA_DIR": str(state / "data"),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    log = state / "server.log"
    with log.open("w") as out:
        # cwd: the formgrader reads nbgrader_config.py from the server's working folder
        process = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--allow-root", "--no-browser",
                                    f"--ServerApp.root_dir={course_root}", "--ServerApp.ip=127.0.0.1",
                                    f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                                    f"--IdentityProvider.token={token}"],
                                   cwd=course_root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}", token, log)
    try:
        server.wait("/formgrader/api/status")
    except RuntimeError:
        server.stop()
        raise
    return server
