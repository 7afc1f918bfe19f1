"""Per-submission limits: the cgroup code on this machine's hierarchy and on a faked v2 layout,
the tmpfs scratch disk, stale groups and folders, and the fallback without cgroups."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.executor import cgroups, confinement
from grader.executor.sandbox import NOBODY, Limits, Sandbox, probe, runs_as_root

MB = 2**20
DEAD_PID = 2**22 + 12345  # above pid_max's default range: no such process


def dead_name() -> str:
    return f"{cgroups.PREFIX}{DEAD_PID}-1-0"


needs_cgroups = pytest.mark.skipif(not runs_as_root() or cgroups.hierarchy() is None,
                                   reason="needs root and a writable cgroup hierarchy")


def run_in(group: cgroups.Group, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python that first joins ``group`` (as the sandbox's command does)."""
    command, env = Sandbox(join=tuple(str(p) for p in group.procs_files), unsafe=True).command(
        [sys.executable, "-c", code], cwd=Path.cwd(), home=Path.cwd())
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@needs_cgroups
def test_a_group_bounds_the_memory_of_its_processes_together():
    group = cgroups.hierarchy().create(cgroups.GroupLimits(256 * MB, 1.0, 64))
    try:
        # Three processes of 120 MB each: each far under its own limit, together past the group's.
        done = run_in(group, "import os, time\n"
                             "for _ in range(2):\n"
                             "    if os.fork() == 0:\n        break\n"
                             "block = bytearray(120 * 2**20)\n"
                             "for i in range(0, len(block), 4096):\n    block[i] = 1\n"
                             "time.sleep(3)\n")
        used = group.usage()
        assert used.oom_kills >= 1, done
        assert used.memory_peak_bytes is None or used.memory_peak_bytes <= 256 * MB
    finally:
        assert group.remove()


@needs_cgroups
def test_a_group_bounds_its_processes_and_kill_leaves_nothing():
    hierarchy = cgroups.hierarchy()
    group = hierarchy.create(cgroups.GroupLimits(512 * MB, 1.0, 20))
    code = ("import os, time\nmade = 0\n"
            "try:\n    for _ in range(100):\n        if os.fork() == 0:\n            time.sleep(60)\n"
            "            os._exit(0)\n        made += 1\nexcept OSError:\n    pass\n"
            "print(made, flush=True)\ntime.sleep(60)\n")
    command, env = Sandbox(join=tuple(str(p) for p in group.procs_files), unsafe=True).command(
        [sys.executable, "-c", code], cwd=Path.cwd(), home=Path.cwd())
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    made = int(process.stdout.readline())
    assert made < 20
    assert len(group.pids()) == made + 1
    assert group.usage().processes_refused >= 1
    assert group.remove()
    assert process.wait(10) == -9
    assert not any(folder.exists() for folder in group.folders)


@needs_cgroups
def test_a_group_sets_the_cpu_quota_and_keeps_the_equal_share():
    group = cgroups.hierarchy().create(cgroups.GroupLimits(512 * MB, 1.5, 20))
    try:
        if group.version == 2:
            assert (group.folders[0] / "cpu.max").read_text().split() == ["150000", "100000"]
            assert (group.folders[0] / "cpu.weight").read_text().strip() == "100"
        else:
            cpu = group.folders[1]
            assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "150000"
            assert (cpu / "cpu.shares").read_text().strip() == "1024"
    finally:
        group.remove()


@needs_cgroups
def test_stale_groups_are_killed_and_removed():
    hierarchy = cgroups.hierarchy()
    group = hierarchy.create(cgroups.GroupLimits(256 * MB, 1.0, 20), name=dead_name())
    process = subprocess.Popen(["/bin/sh", "-c", cgroups_join(group) + "exec sleep 60"])
    time.sleep(0.3)
    assert group.pids()
    mine = hierarchy.create(cgroups.GroupLimits(256 * MB, 1.0, 20))  # made by this live process: kept
    try:
        assert hierarchy.stale() == [dead_name()]
        assert hierarchy.remove_stale() == [dead_name()]
        assert process.wait(10) == -9
        assert dead_name() not in hierarchy.names() and mine.folders[0].name in hierarchy.names()
    finally:
        mine.remove()


def cgroups_join(group: cgroups.Group) -> str:
    return "".join(f"echo $$ > {path}; " for path in group.procs_files)


def fake_v2(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    (root / "cgroup.subtree_control").write_text("")
    (root / "cgroup.procs").write_text("")


def test_v2_is_detected_and_a_group_gets_its_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "_remove_dir", shutil.rmtree)
    fake_v2(tmp_path)
    hybrid_v1 = tmp_path.parent / "v1-memory-not-used"
    mounts = (f"cgroup {hybrid_v1} cgroup rw,memory 0 0\ncgroup2 {tmp_path} cgroup2 rw,nosuid 0 0\n")
    hierarchy = cgroups.find_hierarchy(mounts, "0::/\n")
    assert hierarchy.version == 2 and hierarchy.parents == [tmp_path]
    assert (tmp_path / "cgroup.subtree_control").read_text().split() == ["+memory", "+cpu", "+pids"]
    (tmp_path / "memory.swap.max").write_text("max\n")
    group = hierarchy.create(cgroups.GroupLimits(300 * MB, 1.0, 77))
    folder = group.folders[0]
    assert folder.parent == tmp_path and group.procs_files == [folder / "cgroup.procs"]
    assert (folder / "memory.max").read_text() == str(300 * MB)
    assert (folder / "cpu.max").read_text() == "100000 100000"
    assert (folder / "pids.max").read_text() == "77"
    (folder / "memory.peak").write_text("12345\n")
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    (folder / "pids.events").write_text("max 3\n")
    assert group.usage() == cgroups.Usage(12345, 1, 3)
    assert hierarchy.names() == [folder.name] and hierarchy.stale() == []
    fake_v2(tmp_path / dead_name())
    assert hierarchy.remove_stale() == [dead_name()]
    assert group.remove() and not folder.exists()


def test_v2_falls_back_to_the_root_when_its_own_cgroup_cannot_delegate(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "_remove_dir", shutil.rmtree)
    fake_v2(tmp_path)
    own = tmp_path / "user.slice" / "session-1.scope"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    (own / "cgroup.subtree_control").mkdir()  # writing fails, as EBUSY does for a cgroup with processes
    hierarchy = cgroups.find_hierarchy(f"cgroup2 {tmp_path} cgroup2 rw 0 0\n", "0::/user.slice/session-1.scope\n")
    assert hierarchy.parents == [tmp_path]


def test_no_hierarchy_without_controllers_or_mounts(tmp_path):
    fake_v2(tmp_path)
    (tmp_path / "cgroup.controllers").write_text("cpu io\n")  # v2 mounted, controllers on v1: a hybrid
    assert cgroups.find_hierarchy(f"cgroup2 {tmp_path} cgroup2 rw 0 0\n", "0::/\n") is None
    assert cgroups.find_hierarchy("", "") is None


def test_v1_layout_is_found_from_the_own_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "_remove_dir", shutil.rmtree)
    mounts = ""
    for controller in ("memory", "cpu,cpuacct", "pids"):
        (tmp_path / controller / "session").mkdir(parents=True)
        mounts += f"cgroup {tmp_path / controller} cgroup rw,relatime,{controller} 0 0\n"
    hierarchy = cgroups.find_hierarchy(mounts, "4:memory:/session\n2:cpu,cpuacct:/\n8:pids:/session\n")
    assert hierarchy.version == 1
    assert hierarchy.parents == [tmp_path / "memory" / "session", tmp_path / "cpu,cpuacct", tmp_path / "pids" / "session"]
    group = hierarchy.create(cgroups.GroupLimits(100 * MB, 0.5, 9))
    memory, cpu, pids = group.folders
    assert (memory / "memory.limit_in_bytes").read_text() == str(100 * MB)
    assert (cpu / "cpu.cfs_quota_us").read_text() == "50000"
    assert (pids / "pids.max").read_text() == "9"
    assert group.remove()


def test_not_root_means_no_cgroups(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cgroups.hierarchy.__wrapped__() is None


@pytest.mark.skipif(not runs_as_root(), reason="mounting a tmpfs needs root")
def test_the_scratch_disk_is_a_bounded_tmpfs_that_goes_away():
    with confinement.confined(Limits(disk_mb=8)) as box:
        assert os.path.ismount(box.disk) and box.disk.parent == box.scratch
        with pytest.raises(OSError):
            with open(box.disk / "fill", "wb") as stream:
                for _ in range(20):
                    stream.write(b"x" * MB)
                    stream.flush()
        (box.scratch / "kernel.json").write_text("the grader's own files still fit")
        scratch = box.scratch
    assert box.report["disk_full"] and box.report["disk_bytes"] <= 8 * MB
    assert "disk 8 MB per submission (tmpfs)" in box.report["held"]
    assert not scratch.exists() and not os.path.ismount(scratch)


@pytest.mark.skipif(not runs_as_root(), reason="mounting a tmpfs needs root")
def test_stale_scratch_folders_and_their_mounts_are_removed(tmp_path):
    stale = tmp_path / f"{confinement.SCRATCH_PREFIX}{DEAD_PID}-abc"
    live = tmp_path / f"{confinement.SCRATCH_PREFIX}{os.getpid()}-abc"
    for folder in (stale / "disk", live):
        folder.mkdir(parents=True)
    assert confinement._mount_tmpfs(stale / "disk", 4)
    (stale / "disk" / "left").write_text("x")
    assert confinement.remove_stale_scratch.__wrapped__(str(tmp_path)) == [stale]
    assert not stale.exists() and live.exists()


def test_without_cgroups_each_sandbox_has_a_user_of_its_own(monkeypatch):
    monkeypatch.setattr(cgroups, "hierarchy", lambda: None)
    with confinement.confined(Limits()) as first, confinement.confined(Limits()) as second:
        assert not first.sandbox.join
        if runs_as_root():
            assert first.sandbox.uid != second.sandbox.uid and NOBODY not in (first.sandbox.uid, second.sandbox.uid)
            command, _ = first.sandbox.command(["true"], cwd=first.scratch, home=first.scratch)
            assert f"--reuid={first.sandbox.uid}" in command
            assert "memory 4096 MB per process (address space)" in first.held
            assert "512 processes per sandbox user" in first.held
    assert "memory_peak_bytes" not in first.report


@needs_cgroups
@pytest.mark.skipif(probe() is not None, reason="bubblewrap cannot run here")
def test_a_sandboxed_process_runs_in_its_submissions_group():
    with confinement.confined(Limits()) as box:
        assert "(cgroup v" in box.held[0]
        command, env = box.sandbox.command(["sleep", "30"], cwd=box.disk, home=box.disk)
        process = subprocess.Popen(command, env=env)
        folder = Path(box.sandbox.join[0]).parent
        deadline = time.monotonic() + 10
        while len(cgroups.Group([folder], 1).pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.pid in cgroups.Group([folder], 1).pids()
    assert process.wait(10) == -9
    assert not folder.exists()
    assert box.report["memory_peak_bytes"] > 0 and box.report["processes_refused"] == 0


def test_the_fallback_says_which_limits_hold():
    limits = Limits()
    not_root = confinement._describe(limits, None, disk=False, own_user=False, unsafe=False)
    assert not_root == ["memory 4096 MB per process (address space)",
                        "512 processes shared by every sandbox of the grader's user", "disk 256 MB per file"]
    with_cgroups = confinement._describe(limits, "cgroup v2", disk=True, own_user=True, unsafe=False)
    assert with_cgroups == ["memory 4096 MB, 1 CPU (equal share), 512 processes per submission (cgroup v2)",
                            "disk 1024 MB per submission (tmpfs)"]
    assert confinement.problems({"oom_kills": 1, "processes_refused": 3, "disk_full": True}, limits) == [
        "the submission used all of its memory (4096 MB): a process was stopped",
        "the submission reached its limit of 512 processes and threads",
        "the submission filled its disk (1024 MB)"]



KILLED_GRADER = """
import os, subprocess, sys, time
from grader.executor.confinement import confined
from grader.executor.sandbox import JOIN_GROUP, Limits
with confined(Limits()) as box:
    # A process in the group that outlives its grader (a sandbox would die with it; this does not).
    subprocess.Popen(["/bin/sh", "-c", JOIN_GROUP, "sh", *box.sandbox.join, "--", "sleep", "60"],
                     start_new_session=True)
    (box.disk / "left-behind").write_bytes(b"x" * 2**20)
    print(box.scratch, box.sandbox.join[0] if box.sandbox.join else "", flush=True)
    time.sleep(60)
"""


@needs_cgroups
def test_what_a_killed_grader_left_is_removed_at_the_next_start():
    grader = subprocess.Popen([sys.executable, "-c", KILLED_GRADER], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    scratch, procs = grader.stdout.readline().split()
    group = cgroups.Group([Path(procs).parent], cgroups.hierarchy().version)
    deadline = time.monotonic() + 10
    while not group.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = group.pids()
    assert survivors
    grader.kill()
    grader.wait()
    assert Path(scratch).exists() and Path(procs).parent.name in cgroups.hierarchy().stale()
    assert Path(scratch) in confinement.remove_stale_scratch.__wrapped__()
    assert Path(procs).parent.name in cgroups.hierarchy().remove_stale()
    assert not Path(scratch).exists() and not Path(procs).parent.exists()
    assert not [pid for pid in survivors if running(pid)]


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its new parent is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
