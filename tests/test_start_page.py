"""``course/START_HERE.md``, the page ``make lab`` opens on, links every lecture and ships to students."""
from __future__ import annotations

import json
import re
import subprocess

from grader.lectures import COURSE, ROOT
from grader.release import START_PAGE, _copy_support_package

LINK = re.compile(r"\]\(([^)]+)\)")


def test_start_page_links_every_lecture_notebook():
    links = LINK.findall((COURSE / START_PAGE).read_text())
    notebooks = sorted(f"{path.parent.name}/{path.name}" for path in COURSE.glob("[0-9][0-9]_*/*.ipynb"))
    assert sorted(links) == notebooks, f"links {links} != notebooks {notebooks}"


def test_make_lab_opens_the_start_page_rendered():
    command = subprocess.run(["make", "-s", "-n", "-C", str(ROOT), "lab"], capture_output=True, text=True,
                             check=True).stdout
    assert f"--LabApp.default_url=/lab/tree/{START_PAGE}" in command
    overrides = json.loads((ROOT / "tools" / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == "Markdown Preview"


def test_the_student_bundle_has_the_start_page(tmp_path):
    _copy_support_package(tmp_path)
    assert (tmp_path / START_PAGE).read_text() == (COURSE / START_PAGE).read_text()
