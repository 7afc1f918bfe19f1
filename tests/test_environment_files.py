"""requirements.txt, constraints.txt and environment.yml name the same packages and versions."""
from __future__ import annotations

import re

import yaml

from grader.lectures import ROOT

CONDA_NAMES = {"pyyaml": "pyyaml"}  # conda-forge names that differ from PyPI's (lower-cased)


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;]+)$", line)
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1)).lower()] = match.group(2)
    return pins


def requirements() -> dict[str, str]:
    return _pins((ROOT / "requirements.txt").read_text().splitlines())


def conda_environment() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            pins.update(_pins(entry.get("pip", [])))
        elif "=" in entry and not entry.startswith("python="):
            name, version = entry.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_environment_yml_matches_requirements():
    assert conda_environment() == requirements()


def test_every_requirement_is_pinned_in_the_lock():
    lock = _pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in requirements().items():
        assert lock.get(name) == version, f"{name}=={version} is not what constraints.txt pins ({lock.get(name)})"


def test_torch_is_the_cpu_pin():
    assert requirements()["torch"] == "2.13.0"


def test_the_student_lock_matches_the_course_lock():
    canonical = lambda pins: {re.sub(r"[-_.]+", "-", k): v for k, v in pins.items()}  # noqa: E731
    lock = canonical(_pins((ROOT / "constraints.txt").read_text().splitlines()))
    student = canonical(_pins((ROOT / "requirements-student.txt").read_text().splitlines()))
    assert {"jupyterlab", "nbgrader", "ipywidgets", "torch", "gymnasium", "numpy"} <= set(student)
    for name, version in student.items():
        assert lock.get(name) == version, f"{name}=={version} differs from constraints.txt ({lock.get(name)})"
    assert not {"pytest", "playwright", "pytest-xdist", "dask", "distributed"} & set(student), "developer tools"
