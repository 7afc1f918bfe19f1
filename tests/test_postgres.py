"""A real PostgreSQL gradebook: a server started on 127.0.0.1 for the test, a class graded
into it, grades read back from it; the password never lands in a file, and a command that
forgets GRADEBOOK_URL stops instead of quietly using sqlite."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grader.autograde import autograde_all
from grader.config import GradebookError, check_gradebook
from grader.demo import solved
from grader.grades import grade_rows
from grader.lectures import find_lecture
from grader.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.grading]
PASSWORD = "s3cret-Pa55word"


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="module")
def server():
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed here (Debian: apt-get install postgresql; .ci/run installs it)")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="pg-gradebook-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(folder, "postgres")
        as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    data, password_file = folder / "data", folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(password_file, "postgres")
    port = free_port()
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--pwfile", str(password_file),
        "--auth-host=scram-sha-256", "--auth-local=trust")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-p {port} -h 127.0.0.1 -k {folder}", "start")
    try:
        run(str(bindir / "createdb"), "-h", str(folder), "-p", str(port), "-U", "grader", "course")
        yield f"postgresql://grader:{PASSWORD}@127.0.0.1:{port}/course"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_class_graded_into_postgresql(server, tmp_path, monkeypatch):
    lecture = find_lecture("07")
    for student, notebook in (("alice", solved(lecture)),
                              ("bob", nbformat.read(lecture.student_notebook, as_version=4))):
        path = tmp_path / "submitted" / student / lecture.assignment / lecture.notebook_name
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    root = tmp_path / "nbgrader"
    monkeypatch.setenv("GRADEBOOK_URL", server)
    assert "grader:***@127.0.0.1" in check_gradebook(root)
    start = time.perf_counter()
    outcomes, _ = autograde_all(tmp_path / "submitted", root, [lecture], in_process=True)
    assert time.perf_counter() - start < 600
    rows = {row["student"]: row for row in grade_rows(root)}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] and rows["alice"]["status"] == "graded"
    assert rows["bob"]["score"] == "0"
    assert not (root / "gradebook.db").exists(), "a sqlite gradebook was used"
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size < 2**20:
            assert PASSWORD not in path.read_text(errors="ignore"), f"the password is written in {path}"

    monkeypatch.delenv("GRADEBOOK_URL")
    with pytest.raises(GradebookError, match="GRADEBOOK_URL is not set"):
        check_gradebook(root)
