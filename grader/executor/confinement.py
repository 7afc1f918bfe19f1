"""The limits one submission is graded under, for its kernel and its scenario runner together.

:func:`confined` sets them up before the kernel starts and takes them down after the
submission, whatever happened in between:

- a scratch folder for the grader's own files (connection file, runner jobs), and in it a
  ``disk`` folder for everything the sandboxes may write (the kernel's working folder, home
  and sockets, the runner's home, results and scenario copies): when the grader is root, a
  tmpfs of ``disk_mb`` (and at most ``DISK_FILES`` files) is mounted there, so a submission
  cannot fill the worker's disk, nor keep the grader from writing its own files;
- a resource group (:mod:`grader.executor.cgroups`) for memory, CPU and processes, when the
  grader is root and a cgroup hierarchy is writable;
- a user of its own (root only), so the per-user process limit and signals are not shared
  with sandboxes graded at the same time.

Where a limit cannot be had, the sandbox keeps its per-process limits, and the report says
which limits held. What the group used (peak memory, processes refused, OOM kills) and the
bytes left on the scratch disk are read before everything is removed.
"""
from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from grader.executor import cgroups
from grader.executor.sandbox import NOBODY, Limits, Sandbox, runs_as_root

SCRATCH_PREFIX = "grading-"
UID_BASE = 1_900_000_000  # sandbox users: UID_BASE + slot (no account needed, far above real users)
UID_SLOTS = 4096
MB = 2**20
DISK_FILES = 65536  # inodes of the scratch tmpfs (each costs kernel memory, not disk space)


@dataclass
class Confinement:
    """One submission's sandbox, its scratch folder and, once it is over, what it used."""

    sandbox: Sandbox
    scratch: Path  # the grader's own files
    disk: Path  # everything the sandboxes may write (a tmpfs of disk_mb when the grader is root)
    held: list[str]  # the limits that hold, in words (the summary shows them)
    report: dict = field(default_factory=dict)  # filled when the confinement ends


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _mount_tmpfs(folder: Path, size_mb: int) -> bool:
    options = f"size={size_mb * MB},nr_inodes={DISK_FILES},mode=0755,nosuid,nodev"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _remove_scratch(folder: Path) -> None:
    for mounted in (folder / "disk", folder):
        if os.path.ismount(mounted):
            _unmount(mounted)
    shutil.rmtree(folder, ignore_errors=True)


def _disk_used(folder: Path) -> int:
    usage = shutil.disk_usage(folder)
    return usage.total - usage.free


@functools.cache
def remove_stale_scratch(parent: str | None = None) -> list[Path]:
    """Remove the scratch folders (and their tmpfs) of grader processes that are gone."""
    parent_dir = Path(parent or tempfile.gettempdir())
    stale = []
    for folder in parent_dir.glob(f"{SCRATCH_PREFIX}*-*"):
        match = re.fullmatch(rf"{SCRATCH_PREFIX}(\d+)-.+", folder.name)
        if match and folder.is_dir() and not _pid_alive(int(match.group(1))):
            _remove_scratch(folder)
            stale.append(folder)
    return stale


@contextmanager
def _uid_slot() -> Iterator[int]:
    """A sandbox uid no other sandbox on this machine holds now (a lock held while in use)."""
    runtime = Path("/run")  # root's own folder; a shared /tmp would let other users meddle with the locks
    folder = (runtime if runtime.is_dir() and os.access(runtime, os.W_OK) else Path(tempfile.gettempdir())) \
        / "dlrl-grading-uids"
    folder.mkdir(mode=0o755, exist_ok=True)
    for slot in range(UID_SLOTS):
        handle = os.open(folder / str(slot), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            continue
        try:
            yield UID_BASE + slot
        finally:
            os.close(handle)  # the lock goes with it, also when the grader is killed
        return
    yield NOBODY  # every slot busy: share nobody (the per-user process limit is then shared)


def _describe(limits: Limits, kind: str | None, disk: bool, own_user: bool, unsafe: bool) -> list[str]:
    """The limits that hold, in words."""
    if kind:
        held = [f"memory {limits.memory_mb} MB, {limits.cpus:g} CPU (equal share), {limits.processes} "
                f"processes per submission ({kind})"]
    else:
        users = "per sandbox user" if own_user else "shared by every sandbox of the grader's user"
        held = [f"memory {limits.memory_mb} MB per process (address space)", f"{limits.processes} processes {users}"]
    held.append(f"disk {limits.disk_mb} MB per submission (tmpfs)" if disk else f"disk {limits.file_mb} MB per file")
    if unsafe:
        held.append("unsandboxed")
    return held


def _usage_report(group: cgroups.Group | None, scratch: Path, disk: bool, limits: Limits) -> dict:
    report: dict = {}
    if group is not None:
        used = group.usage()
        report.update(memory_peak_bytes=used.memory_peak_bytes, oom_kills=used.oom_kills,
                      processes_refused=used.processes_refused)
    if disk:
        report["disk_bytes"] = _disk_used(scratch)
        report["disk_full"] = report["disk_bytes"] >= limits.disk_mb * MB * 0.99
    return report


def problems(report: dict, limits: Limits) -> list[str]:
    """Plain sentences for the limits a submission ran into."""
    found = []
    if report.get("oom_kills"):
        found.append(f"the submission used all of its memory ({limits.memory_mb} MB): a process was stopped")
    if report.get("processes_refused"):
        found.append(f"the submission reached its limit of {limits.processes} processes and threads")
    if report.get("disk_full"):
        found.append(f"the submission filled its disk ({limits.disk_mb} MB)")
    return found


@contextmanager
def confined(limits: Limits, unsafe: bool = False) -> Iterator[Confinement]:
    """The sandbox and scratch folder of one submission, limits set up and taken down again."""
    remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    root = runs_as_root() and not unsafe
    group = None
    try:
        os.chmod(scratch, 0o755)
        (scratch / "disk").mkdir()
        bounded = root and _mount_tmpfs(scratch / "disk", limits.disk_mb)
        hierarchy = cgroups.hierarchy() if root else None
        if hierarchy is not None:
            try:
                group = hierarchy.create(cgroups.GroupLimits(limits.memory_mb * MB, limits.cpus, limits.processes))
            except OSError:
                group = None
        with (_uid_slot() if root else _no_slot()) as uid:
            join = tuple(str(p) for p in group.procs_files) if group is not None else ()
            sandbox = Sandbox(limits, unsafe=unsafe, uid=uid, join=join)
            box = Confinement(sandbox, scratch, scratch / "disk",
                              _describe(limits, group and hierarchy.describe(), bounded, uid != NOBODY, unsafe))
            try:
                yield box
            finally:
                if group is not None:
                    group.kill()
                box.report = {"held": "; ".join(box.held), **_usage_report(group, box.disk, bounded, limits)}
    finally:
        _remove_scratch(scratch)
        if group is not None:
            group.remove()


@contextmanager
def _no_slot() -> Iterator[int]:
    yield NOBODY
