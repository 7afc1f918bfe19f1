"""Per-submission resource groups (Linux cgroups, v2 or v1): memory, CPU and processes.

One group holds every process of one submission: its notebook kernel (and a kernel started
again after a crash) and its scenario runner. The kernel enforces the group's limits on all
of them together, however many processes the student's code starts:

- memory: the group's resident memory (files the sandbox writes to its tmpfs count too); past
  it the kernel's OOM killer stops the largest process of the group;
- CPU: at most ``cpus`` cores, and an equal share (the default weight) against every other
  submission and process, so 48 busy processes weigh what one does;
- processes and threads: at most ``processes`` at once (``pids.max``).

Groups are made beside each other in the cgroup the grader runs in (v1: per controller; v2:
that cgroup, or the hierarchy's root when the grader's own cgroup cannot delegate), named
``dlrl-grading-<pid>-<start time>-<n>`` after the process that made them. A group whose
maker is gone (a grader killed mid-batch) is stale: :func:`remove_stale` kills what is left
in it and removes it. Where no hierarchy is writable (not root, a read-only cgroupfs),
:func:`hierarchy` returns None and the sandbox falls back to per-process limits.
"""
from __future__ import annotations

import functools
import itertools
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "dlrl-grading-"
CONTROLLERS = ("memory", "cpu", "pids")
CPU_PERIOD_US = 100_000
KILL_SECONDS = 15.0  # kill and re-read a group's processes until it is empty, at most this long

_counter = itertools.count()


@dataclass(frozen=True)
class GroupLimits:
    """What one submission's group may use."""

    memory_bytes: int
    cpus: float
    processes: int


@dataclass(frozen=True)
class Usage:
    """What a group used, read before it is removed."""

    memory_peak_bytes: int | None  # None where the kernel does not keep a peak (v2 before 5.19)
    oom_kills: int  # processes the OOM killer stopped at the memory limit
    processes_refused: int  # forks and threads refused at the process limit


def _write(path: Path, value: str) -> None:
    with open(path, "w") as stream:
        stream.write(value)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _field(text: str, key: str) -> int:
    """The number after ``key`` in a flat-keyed file such as memory.events (0 when absent)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _remove_dir(path: Path) -> None:
    """rmdir: a cgroup folder goes once it holds no process (its files are not real)."""
    os.rmdir(path)


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _maker_alive(name: str) -> bool:
    match = re.fullmatch(rf"{PREFIX}(\d+)-(\d+)-\d+", name)
    return bool(match) and process_start(int(match.group(1))) == match.group(2)


def new_name() -> str:
    """A group name no other grader process uses, naming this process as its maker."""
    return f"{PREFIX}{os.getpid()}-{process_start(os.getpid())}-{next(_counter)}"


class Group:
    """One submission's group: a folder per controller (v1) or one folder (v2)."""

    def __init__(self, folders: list[Path], version: int) -> None:
        self.folders = folders
        self.version = version

    @property
    def procs_files(self) -> list[Path]:
        """The files a process writes its pid to, to join the group (every controller)."""
        return [folder / "cgroup.procs" for folder in self.folders]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders:
            found |= {int(p) for p in _read(folder / "cgroup.procs").split() if p.isdigit()}
        return sorted(found)

    def _lift_cpu_quota(self) -> None:
        """No quota while dying: hundreds of killed processes then exit at once, not throttled."""
        try:
            if self.version == 2:
                _write(self.folders[0] / "cpu.max", "max")
            else:
                _write(self.folders[1] / "cpu.cfs_quota_us", "-1")
        except OSError:
            pass

    def kill(self) -> bool:
        """Kill every process in the group and wait until none is left; False if some remain."""
        if not self.pids():
            return True
        self._lift_cpu_quota()
        kill_file = self.folders[0] / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            try:
                _write(kill_file, "1")
            except OSError:
                pass
        deadline = time.monotonic() + KILL_SECONDS
        while time.monotonic() < deadline:
            pids = [pid for pid in self.pids() if pid not in (1, os.getpid())]  # never init, never the grader
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
        return not self.pids()

    def usage(self) -> Usage:
        memory, pids = self.folders[0], self.folders[-1]
        if self.version == 2:
            peak = _number(_read(memory / "memory.peak"))
            ooms = _field(_read(memory / "memory.events"), "oom_kill")
        else:
            peak = _number(_read(memory / "memory.max_usage_in_bytes"))
            ooms = _field(_read(memory / "memory.oom_control"), "oom_kill")
        return Usage(peak, ooms, _field(_read(pids / "pids.events"), "max"))

    def remove(self) -> bool:
        """Kill what is left and remove the group; False if a folder could not be removed."""
        self.kill()
        removed = True
        for folder in self.folders:
            deadline = time.monotonic() + KILL_SECONDS  # a killed process leaves its group a moment later
            while True:
                try:
                    _remove_dir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        removed = False
                        break
                    time.sleep(0.05)
        return removed


class Hierarchy:
    """Where this process makes its groups: one parent folder per controller (v1) or one (v2)."""

    def __init__(self, parents: list[Path], version: int) -> None:
        self.parents = parents
        self.version = version

    def describe(self) -> str:
        return f"cgroup v{self.version}"

    def create(self, limits: GroupLimits, name: str | None = None) -> Group:
        """A new group with ``limits`` (removed again if a limit cannot be set)."""
        name = name or new_name()
        folders = [parent / name for parent in self.parents]
        group = Group(folders, self.version)
        try:
            for folder in folders:
                folder.mkdir()
            self._set_limits(folders, limits)
        except OSError:
            group.remove()
            raise
        return group

    def _set_limits(self, folders: list[Path], limits: GroupLimits) -> None:
        quota = max(1000, int(limits.cpus * CPU_PERIOD_US))
        if self.version == 2:
            folder = folders[0]
            _write(folder / "memory.max", str(limits.memory_bytes))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            _write(folder / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            _write(folder / "pids.max", str(limits.processes))
            return
        memory, cpu, pids = folders
        _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
            _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_US))
        _write(cpu / "cpu.cfs_quota_us", str(quota))
        _write(pids / "pids.max", str(limits.processes))

    def names(self) -> list[str]:
        """The names of every grading group under this hierarchy's parents."""
        found: set[str] = set()
        for parent in self.parents:
            try:
                found |= {entry.name for entry in os.scandir(parent) if entry.is_dir() and entry.name.startswith(PREFIX)}
            except OSError:
                pass
        return sorted(found)

    def stale(self) -> list[str]:
        """Groups whose maker process is gone."""
        return [name for name in self.names() if not _maker_alive(name)]

    def remove_stale(self) -> list[str]:
        """Kill and remove every stale group; return their names."""
        stale = self.stale()
        for name in stale:
            Group([parent / name for parent in self.parents], self.version).remove()
        return stale


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """This process's cgroup path per v1 controller, and under "" its v2 path."""
    paths: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            paths[controller] = parts[2]
    return paths


def _mounts(proc_mounts: str) -> list[tuple[Path, str, set[str]]]:
    """(mount point, type, options) of every cgroup mount."""
    found = []
    for line in proc_mounts.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            found.append((Path(parts[1].replace("\\040", " ")), parts[2], set(parts[3].split(","))))
    return found


def _v2_parent(candidate: Path) -> bool:
    """Make ``candidate`` hand the three controllers to its children; True if it does."""
    available = set(_read(candidate / "cgroup.controllers").split())
    if not set(CONTROLLERS) <= available:
        return False
    enabled = set(_read(candidate / "cgroup.subtree_control").split())
    missing = [c for c in CONTROLLERS if c not in enabled]
    if missing:
        try:  # fails (EBUSY) where the candidate holds processes itself and is not the root
            _write(candidate / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        except OSError:
            return False
    enabled = {c.lstrip("+") for c in _read(candidate / "cgroup.subtree_control").split()}
    return set(CONTROLLERS) <= enabled


def _writable(folder: Path) -> bool:
    probe = folder / f"{PREFIX}probe-{os.getpid()}"
    try:
        probe.mkdir()
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        _remove_dir(probe)
    except OSError:
        return False
    return True


def find_hierarchy(proc_mounts: str, proc_cgroup: str) -> Hierarchy | None:
    """The hierarchy groups can be made in, from /proc/self/mounts and /proc/self/cgroup.

    cgroup v2 (all three controllers on the unified hierarchy) wins over v1; None when
    neither is usable (not mounted, not writable, controllers missing).
    """
    mounts = _mounts(proc_mounts)
    own = _own_paths(proc_cgroup)
    for point, kind, _ in mounts:
        if kind != "cgroup2" or not set(CONTROLLERS) <= set(_read(point / "cgroup.controllers").split()):
            continue
        own_folder = point / own.get("", "/").lstrip("/")
        for candidate in dict.fromkeys([own_folder, point]):
            if candidate.is_dir() and _v2_parent(candidate) and _writable(candidate):
                return Hierarchy([candidate], 2)
    parents = []
    for controller in CONTROLLERS:
        point = next((p for p, kind, options in mounts if kind == "cgroup" and controller in options), None)
        if point is None:
            return None
        parent = point / own.get(controller, "/").lstrip("/")
        if not parent.is_dir() or not _writable(parent):
            return None
        parents.append(parent)
    return Hierarchy(parents, 1)


@functools.cache
def hierarchy() -> Hierarchy | None:
    """This machine's hierarchy (None: cgroups cannot be used); stale groups removed on first use."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    try:
        found = find_hierarchy(Path("/proc/self/mounts").read_text(), Path("/proc/self/cgroup").read_text())
    except OSError:
        return None
    if found is not None:
        found.remove_stale()
    return found
