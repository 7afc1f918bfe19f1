"""The OS sandbox every process that runs student code starts in (bubblewrap).

A sandboxed process sees a read-only view of the system (``/usr``, ``/etc``), the Python
environment and the ``course`` package, plus the folders it is given; it does not see
``solutions/``, ``grader/``, the gradebook, the course directory or other students' files.
It has no network, runs as a user of its own when the grader runs as root (an unprivileged
user namespace otherwise), and is limited per process in address space, processes, file size
and open files. It has its own process namespace, so every process a submission started dies
with it. The limits per submission (memory, CPU, processes and disk for the kernel and the
scenario runner together) are set up around it by :mod:`grader.executor.confinement`.

Where bubblewrap cannot run (no ``bwrap``, no user namespaces, macOS), grading refuses
unless the instructor asks for unsafe grading; then the same commands run without the
sandbox and every result says so.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
JOIN_GROUP = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'
SYSTEM_DIRS = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
HIDDEN_PACKAGES = ("solutions", "grader", "tests")  # never visible inside, wherever installed


class SandboxUnavailable(RuntimeError):
    """Student code cannot be confined on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission (defaults suit the course's notebooks)."""

    memory_mb: int = 4096  # memory of the whole submission (cgroup), and address space of each process
    processes: int = 512  # processes and threads of the submission at once
    file_mb: int = 256  # largest file a sandboxed process may write
    disk_mb: int = 1024  # everything the submission's sandboxes may write (a tmpfs, within memory_mb)
    cpus: float = 1.0  # cores the submission may use at once (cgroup quota; the share is equal)
    cell_seconds: int = 20  # per notebook cell (and per hidden scenario)
    setup_seconds: int = 120  # the release's setup cell (imports torch: slow on a loaded machine)
    submission_seconds: int = 300  # wall time for the whole submission, kernel and scenarios
    # Each cell after one that ran out of time: a loop in one function then costs this much in
    # every later cell that calls it, and the cells after those still run within the wall time.
    after_timeout_seconds: int = 10
    output_kb: int = 2048  # outputs kept per notebook; the rest is cut with a note

    @classmethod
    def from_environment(cls) -> "Limits":
        """Defaults, overridden by ``GRADING_MEMORY_MB``, ``GRADING_DISK_MB``, ``GRADING_CPUS``,
        ``GRADING_PROCESSES``, ``GRADING_SUBMISSION_SECONDS`` and ``GRADING_CELL_SECONDS`` (the
        setup cell has its own, longer limit: importing torch alone can take 20 s on a heavily
        loaded machine, and that is not the student's doing)."""
        limits = cls()
        env = os.environ.get
        return cls(memory_mb=int(env("GRADING_MEMORY_MB", limits.memory_mb)),
                   disk_mb=int(env("GRADING_DISK_MB", limits.disk_mb)),
                   cpus=float(env("GRADING_CPUS", limits.cpus)),
                   processes=int(env("GRADING_PROCESSES", limits.processes)),
                   submission_seconds=int(env("GRADING_SUBMISSION_SECONDS", limits.submission_seconds)),
                   cell_seconds=int(env("GRADING_CELL_SECONDS", limits.cell_seconds)))


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@functools.cache
def course_dir() -> Path:
    """The ``course`` support package the notebooks import."""
    found = _package_dir("course")
    if found is None:
        raise SandboxUnavailable("the course package cannot be found")
    return found


def _hidden_dirs() -> list[Path]:
    found = []
    for name in HIDDEN_PACKAGES:
        spec = importlib.util.find_spec(name) if name != "tests" else None
        if spec is not None and spec.submodule_search_locations:
            found.extend(Path(p).resolve() for p in spec.submodule_search_locations if Path(p).exists())
    return found


def _within(path: Path, folders: list[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def runs_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def give_to_sandbox_user(path: Path, uid: int = NOBODY) -> None:
    """Let the sandbox's user own ``path`` (when the grader runs as root)."""
    if runs_as_root():
        os.chown(path, uid, uid)


@dataclass(frozen=True)
class Sandbox:
    """Builds the command line that confines one process.

    ``unsafe=True`` builds the same command without bubblewrap (resource limits only).
    ``uid`` is the user the sandbox runs as (when the grader is root); ``join`` lists the
    ``cgroup.procs`` files of the submission's resource group, which the command enters
    before bubblewrap starts, so every process inside is counted there.
    """

    limits: Limits = Limits()
    unsafe: bool = False
    uid: int = NOBODY
    join: tuple[str, ...] = ()

    def give(self, path: Path) -> None:
        """Let this sandbox's user own ``path`` (when the grader runs as root)."""
        give_to_sandbox_user(path, self.uid)

    def environment(self, home: Path, extra_path: list[Path]) -> dict[str, str]:
        """The whole environment of a sandboxed process (nothing of the grader's leaks in)."""
        venv_bin = str(Path(sys.executable).parent)
        return {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "TMPDIR": str(home),
            "MPLCONFIGDIR": str(home / ".matplotlib"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PYTHONPATH": ":".join(str(p) for p in [course_dir().parent, *extra_path]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "NBGRADER_EXECUTION": "autograde",
            "SDL_VIDEODRIVER": "dummy",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
        }

    def _limits(self) -> list[str]:
        limits = self.limits
        return ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--nproc={limits.processes}",
                f"--fsize={limits.file_mb * 2**20}", "--nofile=1024", "--core=0", "--"]

    def _binds(self, readonly: list[Path], writable: list[Path]) -> list[str]:
        hidden = _hidden_dirs()
        readonly = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), course_dir(), *readonly]
        args: list[str] = []
        for folder in SYSTEM_DIRS:
            args += ["--ro-bind", folder, folder]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        binds = sorted({(str(p.resolve()), "--ro-bind") for p in readonly if not _within(p.resolve(), [Path(d) for d in SYSTEM_DIRS])}
                       | {(str(p.resolve()), "--bind") for p in writable})
        made: set[str] = set(SYSTEM_DIRS) | set(SYSTEM_LINKS) | {"/"}
        for target, _ in binds:
            for parent in reversed(Path(target).parents):
                if str(parent) not in made and not any(str(parent) == t for t, _ in binds):
                    args += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
        for target, kind in binds:
            args += [kind, target, target]
        for folder in hidden:  # e.g. a non-editable install of the course repo in site-packages
            if any(_within(folder, [Path(t)]) for t, _ in binds):
                args += ["--tmpfs", str(folder)]
        return args

    def command(self, argv: list[str], *, cwd: Path, home: Path, readonly: list[Path] = (),
                writable: list[Path] = (), extra_path: list[Path] = ()) -> tuple[list[str], dict[str, str]]:
        """The confined command for ``argv`` and the environment to launch it with."""
        env = self.environment(home, list(extra_path))
        joined = ["/bin/sh", "-c", JOIN_GROUP, "sh", *self.join, "--"] if self.join else []
        if self.unsafe:
            return [*joined, *self._limits(), *argv], env
        args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
                "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        if not runs_as_root():
            args.append("--unshare-user")
        args += self._binds(list(readonly), [*writable, home, cwd])
        args += ["--dev", "/dev", "--proc", "/proc", "--chdir", str(cwd), "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args.append("--")
        if runs_as_root():
            args += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--no-new-privs", "--"]
        return [*joined, *args, *self._limits(), *argv], env


@functools.cache
def probe() -> str | None:
    """None when the sandbox works here, otherwise the reason it does not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if shutil.which("prlimit") is None:
        return "prlimit (util-linux) is not installed"
    import tempfile
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch:
        home = Path(scratch)
        give_to_sandbox_user(home)
        command, env = Sandbox().command([sys.executable, "-c", "import course"], cwd=home, home=home)
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start: {error}"
    if done.returncode != 0:
        return f"bubblewrap could not start a sandbox here: {(done.stderr or '').strip()[-300:]}"
    return None


def require(unsafe: bool) -> None:
    """Refuse to grade without a sandbox unless ``unsafe`` was asked for."""
    reason = None if unsafe else probe()
    if reason:
        raise SandboxUnavailable(
            f"cannot grade safely: {reason}. Student code must run sandboxed; install bubblewrap "
            "(Debian/Ubuntu: apt-get install bubblewrap), or grade without a sandbox on purpose "
            "with UNSAFE=1 (make) / --unsafe (every grade will then say 'graded unsandboxed').")
