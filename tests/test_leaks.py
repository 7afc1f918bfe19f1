"""Nothing a student receives reveals an answer or a hidden test."""
from __future__ import annotations

import ast
import base64
import codecs
import html
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.assemble import reference_body
from grader.cells import is_answer_cell
from grader.hidden import load_book, load_reference
from grader.lectures import COURSE, ROOT
from tests.conftest import GRADED, graded_id
from tests.hostile import ATTACKS

HIDDEN_MARKERS = ["BEGIN HIDDEN TESTS", "check_hidden", "grader.hidden", "BEGIN SOLUTION", "solutions."]


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


def shipped_text(folder: Path) -> str:
    """Every text file a student gets from ``folder``, normalized (whitespace removed)."""
    return "\n".join(_normalized(path.read_text()) for path in sorted(folder.rglob("*"))
                     if path.is_file() and path.suffix in {".py", ".ipynb", ".md", ".txt"})


def support_code(folder: Path) -> str:
    """The code a student gets besides the exercises' own cells (whose docstrings are specs)."""
    parts = [path.read_text() for path in sorted(folder.rglob("*.py"))]
    for path in sorted(folder.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        parts += [cell.source for cell in notebook.cells if cell.cell_type == "code" and not is_answer_cell(cell)]
    return "\n".join(_normalized(part) for part in parts)


@pytest.fixture(scope="module")
def course_text() -> str:
    return shipped_text(COURSE)


@pytest.fixture(scope="module")
def course_code() -> str:
    return support_code(COURSE)


def stubbed(lecture, name) -> list[str]:
    """Qualified names of the functions/methods under ``name`` that the notebook stubs."""
    notebook = nbformat.read(lecture.student_notebook, as_version=4)
    for cell in notebook.cells:
        if not is_answer_cell(cell):
            continue
        for node in ast.parse(cell.source).body:
            if getattr(node, "name", None) != name:
                continue
            functions = [node] if isinstance(node, ast.FunctionDef) else [
                child for child in node.body if isinstance(child, ast.FunctionDef)]
            return [name if f is node else f"{name}.{f.name}" for f in functions
                    if "raise NotImplementedError()" in ast.get_source_segment(cell.source, f)]
    return []


def pasted_bodies(lecture, name) -> list[str]:
    """The reference bodies assembly pastes into the notebook for ``name``."""
    bodies = []
    for qualname in stubbed(lecture, name):
        obj = load_reference(lecture.slug, qualname.split(".")[0])
        for part in qualname.split(".")[1:]:
            obj = getattr(obj, part)
        bodies.append(reference_body(obj))
    return bodies


@pytest.mark.parametrize("item", GRADED, ids=graded_id)
def test_course_does_not_contain_the_reference(item, course_text, course_code):
    lecture, _, name = item
    bodies = pasted_bodies(lecture, name)
    assert bodies, f"no stub found for {name}"
    for body in bodies:
        assert _normalized(body) not in course_text, f"the reference body of {name} appears in course/"
        for line in (_normalized(line) for line in body.split("\n")):
            if len(line) >= 30:
                assert line not in course_code, f"a line of the reference {name} appears in course/: {line}"


def test_course_has_no_hidden_tests(course_text):
    for marker in HIDDEN_MARKERS:
        assert _normalized(marker) not in course_text, f"{marker!r} appears in course/"


# --- verdicts carry no hidden constant, in any encoding ---------------------------------------------
# The "encoded-leak" attack (tests/hostile) reads each hidden scenario's inputs, constants and
# file from its calling frames and sends them back rot13'd, base64'd, hex'd, reversed, as char
# codes, packed into a number, as a returned string, dict key or object repr, and as the name of
# an exception class built at run time. Its feedback must hold none of them, decoded or not.

LEAK_LECTURE = "07"
WINDOW = 12  # this many consecutive characters of a hidden constant count as a leak
SHORTEST_SECRET = 6  # shorter constants ("0.9") are too common to tell apart from honest numbers
SANDBOX_PATHS = ["grading-", "/scenarios/", "/lib0", "/lib1", "grader/hidden", "markov_decision_processes.py"]


def _as_lists(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list | tuple):
        return type(value)(_as_lists(item) for item in value)
    return value


def _literals(code) -> set[str]:
    """The reprs of a code object's constants (nested code objects included), docstrings aside."""
    found = set()
    for index, constant in enumerate(code.co_consts):
        if hasattr(constant, "co_consts"):
            found |= _literals(constant)
        elif isinstance(constant, str):
            if index > 0 or constant != (code.co_consts[0] if code.co_consts else None):
                found.add(constant)
        elif isinstance(constant, int | float | tuple | frozenset) and not isinstance(constant, bool):
            found.add(repr(constant))
    return found


def hidden_constants(slug: str, name: str) -> set[str]:
    """What a leak of ``name``'s hidden scenarios would carry: their inputs (as the attack and as
    numpy write them), their literals and the reference's."""
    reference, calls, found = load_reference(slug, name), [], set()

    def spy(*args, **kwargs):
        calls.append(args)
        return reference(*args, **kwargs)

    for scenario in load_book(slug).for_name(name):
        scenario.run(spy)
        found |= _literals(scenario.run.__code__)
    for args in calls:
        listed = _as_lists(args)
        found |= {repr(listed), *map(repr, listed), *map(repr, args), *map(str, args)}
        found |= {repr(a)[1:-1] for a in listed if isinstance(a, list)}  # "3.0, 5.0, -2.0"
    return found | _literals(reference.__code__)


def secret_windows(secrets: set[str], public: str) -> set[str]:
    """Pieces of the secrets that would show a leak: every WINDOW-long slice of a long secret,
    a short secret whole, minus what the student may see anyway (``public``)."""
    windows = set()
    for secret in secrets:
        if len(secret) < SHORTEST_SECRET:
            continue
        pieces = {secret[i:i + WINDOW] for i in range(len(secret) - WINDOW + 1)} if len(secret) > WINDOW else {secret}
        windows |= {piece for piece in pieces if piece not in public}
    return windows


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def decodings(text: str) -> dict[str, str]:
    """``text`` and what it says under every encoding the attack uses."""
    found = {"plain": text, "rot13": codecs.encode(text, "rot13"), "reversed": text[::-1]}
    found["base64"] = " ".join(_try(lambda run: base64.b64decode(run + "=" * (-len(run) % 4)).decode("latin-1"), run)
                               for run in re.findall(r"[A-Za-z0-9+/]{16,}=*", text))
    found["hex"] = " ".join(_try(lambda run: bytes.fromhex(run[: len(run) // 2 * 2]).decode("latin-1"), run)
                            for run in re.findall(r"[0-9a-fA-F]{16,}", text))
    numbers = [float(n) for n in NUMBER.findall(text) if len(n) < 30]
    whole = [int(n) for n in numbers if 0 <= n < 2**64 and n == int(n)]
    found["char codes"] = "".join(chr(n) for n in whole if 32 <= n < 127)
    found["packed"] = "".join(n.to_bytes(8, "big").decode("latin-1").strip("\0") for n in whole)
    return found


def _try(decode, run: str) -> str:
    try:
        return decode(run)
    except ValueError:
        return ""


def leaks(text: str, windows: set[str]) -> list[str]:
    """"encoding: piece" for each secret piece found in ``text`` under some encoding."""
    found = []
    for encoding, decoded in decodings(text).items():
        hit = next((decoded[i:i + WINDOW] for i in range(len(decoded)) if decoded[i:i + WINDOW] in windows
                    or decoded[i:i + SHORTEST_SECRET] in windows), None)
        if hit:
            found.append(f"{encoding}: {hit!r}")
    return found


def test_the_leak_detector_sees_every_encoding():
    secret = "((0.34558419206478, 0.8216181435011584), 0.9)"
    windows = secret_windows({secret}, public="")
    attack = textwrap.dedent(ATTACKS["encoded-leak"])
    assert "rot13" in attack and "b64encode" in attack and ".hex()" in attack and "[::-1]" in attack
    for encoded in [secret, codecs.encode(secret, "rot13"), base64.b64encode(secret.encode()).decode(),
                    secret.encode().hex(), secret[::-1], " ".join(str(ord(c)) for c in secret)]:
        assert leaks(f"raised Leak: {encoded}", windows), encoded
    assert not leaks("index 3: expected 0.3456, got 40; 10 of 10 entries differ", windows)


def _readable(path: Path) -> str:
    """A page's text without the parts no leak could hide in (styles, embedded images)."""
    text = html.unescape(path.read_text(errors="replace"))
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", " ", text)


@pytest.fixture(scope="module")
def leak_graded(tmp_path_factory):
    """The encoded-leak attack graded alone through the README's commands: autograde,
    feedback, the instructor's report."""
    from grader.autograde import autograde_all, feedback_command, load_status, summary_table
    from grader.lectures import ROOT, find_lecture
    from grader.report import write_report
    from tests.hostile import Target, build

    lecture = find_lecture(LEAK_LECTURE)
    scratch = tmp_path_factory.mktemp("leak")
    root = scratch / "nbgrader"
    target = Target(course_root=root, site_packages=scratch, project_root=ROOT, marker=scratch / "marker")
    submission = build(lecture, "encoded-leak", target)
    path = scratch / "submitted" / "m-encoded-leak" / lecture.assignment / lecture.notebook_name
    path.parent.mkdir(parents=True)
    nbformat.write(submission, path)
    outcomes, _ = autograde_all(scratch / "submitted", root, [lecture], in_process=True)
    feedback_command(root)
    report = write_report(scratch / "report", root)
    verdict_texts = {
        "autograded notebook": (root / "autograded" / "m-encoded-leak" / lecture.assignment
                                / lecture.notebook_name).read_text(),
        "grading status": (root / "grading_status.json").read_text(),
        "summary": summary_table(load_status(root), [lecture], width=400),
        "report": "\n".join(_readable(p) if p.suffix == ".html" else p.read_text()
                            for p in sorted(report.parent.iterdir()) if p.suffix in {".html", ".csv"}),
    }
    feedback = {str(p.relative_to(root)): _readable(p) for p in (root / "feedback").rglob("*.html")}
    return {"lecture": lecture, "outcomes": outcomes, "verdicts": verdict_texts, "feedback": feedback,
            "submission": submission}


def _public_text(lecture, submission) -> str:
    """What the student sees anyway: the released notebook, their own cells, the scenarios' descriptions and hints."""
    book = load_book(lecture.slug)
    shown = [s.description + "\n" + (s.hint or "") for scenarios in book.scenarios.values() for s in scenarios]
    return "\n".join([lecture.student_notebook.read_text(), nbformat.writes(submission), *shown])


@pytest.mark.slow
@pytest.mark.grading
def test_encoded_leak_feedback_holds_no_hidden_constant(leak_graded):
    lecture, (outcome,) = leak_graded["lecture"], leak_graded["outcomes"]
    assert outcome.graded and outcome.score < outcome.max_score, outcome.problems
    name = "discounted_return"
    secrets = hidden_constants(lecture.slug, name)
    windows = secret_windows(secrets, _public_text(lecture, leak_graded["submission"]))
    assert len(windows) > 100, "the scenarios' constants were not found"
    texts = {**leak_graded["verdicts"], **leak_graded["feedback"]}
    assert leak_graded["feedback"], "no feedback page was written"
    for where, text in texts.items():
        assert not leaks(text, windows), f"{where}: {leaks(text, windows)}"
    verdicts = leak_graded["verdicts"]["autograded notebook"]
    assert f"hidden tests for {name} found" in verdicts
    assert "an exception of the student's own class" in verdicts and "raised ValueError" in verdicts


@pytest.mark.slow
@pytest.mark.grading
def test_encoded_leak_verdicts_name_no_sandbox_path(leak_graded):
    for where, text in leak_graded["verdicts"].items():
        for path in SANDBOX_PATHS:
            assert path not in text, f"{where} names {path!r}"
    for where, text in leak_graded["feedback"].items():
        hidden_verdicts = re.findall(r"hidden tests for .*?(?=hidden tests for|$)", text, flags=re.S)
        for path in SANDBOX_PATHS:
            assert not any(path in v for v in hidden_verdicts), f"{where} names {path!r}"


# --- lectures 01-04 and 09: no widget holds a ready answer ------------------------------------------

def _hand_written_layer_gradients(path: Path) -> list[str]:
    """Functions of ``path`` that compute a dense layer's weight and bias gradients by hand: a
    product with a transposed matrix and a sum over the batch axis in one function (the shape of
    the backward passes of lectures 02 and 04, ``mlp_backward``, ``rnn_backward``, ``lstm_backward``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef):
            continue
        inner = list(ast.walk(node))
        transposed = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)
                         and isinstance(n.left, ast.Attribute) and n.left.attr == "T" for n in inner)
        batch_sum = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "sum"
                        and any(k.arg == "axis" and getattr(k.value, "value", None) == 0 for k in n.keywords)
                        for n in inner)
        if transposed and batch_sum:
            found.append(f"{path.name}: {node.name}")
    return found


def _figure_text(fig) -> str:
    """Every text drawn on ``fig``, its own and its axes'."""
    return " ".join(t.get_text() for t in [*fig.texts, *(t for ax in fig.axes for t in ax.texts)])


def test_widgets_of_lectures_01_to_04_and_09_hold_no_ready_answer(monkeypatch):
    """Lecture 01's widget A fits with the ``sinusoidal_features`` and ``ridge_fit`` it is given
    (its own SVD ridge and sine basis answered exercises 1 and 2), its widget C and 1/x figure
    draw the ``sum_of_steps`` they are given (the staircase's output weights and bias are exercise
    12's answer), lecture 04's widget C the
    samples of the ``sample`` it is given (carrying the state is exercise 11's), and both say
    which exercise to finish while it is the stub; no shared helper of course/ answers a graded
    function (``course.checks.relative_error`` answered lecture 02's) and no support module
    back-propagates through a dense layer by hand (widget B of lecture 01 used to: lecture 02's
    ``mlp_backward``)."""
    import numpy as np
    import torch

    from course import function_approximation as lecture
    from course import recurrent_networks
    from solutions.function_approximation import ridge_fit, sinusoidal_features, sum_of_steps

    counts = []

    def features(x, n_features):
        counts.append(n_features)
        return sinusoidal_features(x, n_features)

    assert len(lecture.draw_feature_fit(features, ridge_fit, n_features=4, log10_l2=-2.0).axes) == 3
    assert 4 in counts and max(counts) == 30  # widget A's fits and error curves are the student's
    def unfinished(*args):
        raise NotImplementedError()

    assert "exercises 1 and 2" in _figure_text(lecture.draw_feature_fit(unfinished, ridge_fit))

    calls = []

    def flat(f, x, n_steps, steepness):
        calls.append((n_steps, steepness))
        return np.zeros(np.shape(x))

    fig = lecture.draw_steps(flat, n_steps=7, steepness=50.0)
    assert calls == [(7, 50.0)]
    largest = np.max(np.abs(lecture.target_function(np.linspace(0, 1, 400))))
    assert fig.axes[0].get_title() == f"largest error {largest:.3f}"
    lecture.draw_reciprocal(flat)
    assert len(calls) == 1 + 2 * 2  # each of the two staircases, drawn and compared
    for draw in (lecture.draw_steps, lecture.draw_reciprocal):
        assert "exercise 12" in _figure_text(draw(unfinished))
    assert abs(lecture.reciprocal_network(sum_of_steps, 20, 0.1)(np.array([0.5]))[0] - 2.0) < 0.05

    vocab = recurrent_networks.corpus()[0]
    untrained = recurrent_networks.TinyCharModel(len(vocab))
    monkeypatch.setattr(recurrent_networks, "widget_model", lambda: (untrained, vocab))
    drawn = []

    def fixed(model, prompt, length, temperature, generator):
        drawn.append((model, vocab.decode(prompt), length, temperature, isinstance(generator, torch.Generator)))
        return vocab.encode("zq" * (length // 2))

    text = _figure_text(recurrent_networks.draw_temperature(fixed, temperature=0.5))
    assert drawn == [(untrained, "First Citizen:\n", 240, 0.5, True)] and "zqzq" in text
    assert "exercise 11" in _figure_text(recurrent_networks.draw_temperature(unfinished))

    import inspect

    from course import checks, runtime, widgets
    shared = [f for module in (checks, runtime, widgets) for _, f in inspect.getmembers(module, inspect.isfunction)
              if f.__module__ == module.__name__]
    for lecture, _, name in GRADED:  # the course's shared helpers (relative_error was in course.checks)
        reference = load_reference(lecture.slug, name)
        parameters = None if inspect.isclass(reference) else list(inspect.signature(reference).parameters)
        for helper in (f for f in shared if list(inspect.signature(f).parameters) == parameters):
            answered = _scenarios_answered(lecture.slug, name, helper)
            assert not answered, f"course.{helper.__module__}'s {helper.__name__} answers {name}: {answered[:3]}"

    assert _hand_written_layer_gradients(ROOT / "solutions" / "backpropagation.py") == [
        "backpropagation.py: mlp_backward"], "the detector no longer sees the reference backward pass"
    found = [hit for path in sorted(COURSE.glob("*.py")) for hit in _hand_written_layer_gradients(path)]
    assert found == [], f"hand-written layer gradients in course/: {found}"


# --- lectures 05 and 06: no support function gives a graded function's results ----------------------

def _scenarios_answered(slug: str, name: str, candidate) -> list[str]:
    """The hidden scenarios of ``name`` on which ``candidate`` gives the reference's result."""
    from course.checks import describe_mismatch

    reference, answered = load_reference(slug, name), []
    for scenario in load_book(slug).for_name(name):
        expected = scenario.run(reference)
        try:
            got = scenario.run(candidate)
        except Exception:  # noqa: BLE001 - any failure of the candidate means it does not answer
            continue
        if describe_mismatch(got, expected, rtol=scenario.rtol, atol=scenario.atol) is None:
            answered.append(scenario.description)
    return answered


def _in_the_other_array_library(function):
    """``function`` with a numpy result turned into a float32 torch tensor and a tensor result into
    a numpy array: the one-line conversion a student would add to call a support function."""
    import numpy as np
    import torch

    def converted(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, np.ndarray):
            return torch.as_tensor(result, dtype=torch.float32)
        return result.detach().numpy() if isinstance(result, torch.Tensor) else result
    return converted


# A support function that shares only properties with a graded one (no value scenario): the
# scenarios it may answer. The GAN widget's simultaneous step is not exercise 10's alternating one.
PROPERTIES_SHARED = {
    ("library_gan_step", "gan_train_step"): {
        "The generator's parameters receive gradients once per call (from its own loss only)",
        "The real batch and the noise are unchanged"},
}


@pytest.mark.parametrize("slug", ["attention", "generative_models"])
def test_no_support_function_answers_a_graded_function(slug):
    """A function of course/<slug>.py that takes a graded function's parameters (same names, same
    order) could be called in its place: it must give the reference's result on none of that
    function's hidden scenarios, as it is or with its array result converted between numpy and
    torch (the library twins of vae_loss, discriminator_loss, reparameterize and
    positional_encoding did). The widgets that show such results run the student's function."""
    import importlib
    import inspect

    module = importlib.import_module(f"course.{slug}")
    support = [f for _, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__]
    graded = [name for lecture, _, name in GRADED if lecture.slug == slug]
    for name in graded:
        reference = load_reference(slug, name)
        if inspect.isclass(reference):
            continue
        parameters = list(inspect.signature(reference).parameters)
        for candidate in support:
            if list(inspect.signature(candidate).parameters) == parameters:
                answered = {*_scenarios_answered(slug, name, candidate),
                            *_scenarios_answered(slug, name, _in_the_other_array_library(candidate))}
                answered -= PROPERTIES_SHARED.get((candidate.__name__, name), set())
                assert not answered, f"course/{slug}.py's {candidate.__name__} answers {name}: {sorted(answered)[:3]}"
    assert graded, f"no graded name found for {slug}"


# --- lectures 07 and 08: no dynamic-programming backup or TD update in the RL support code ----------

RL_SUPPORT = ["markov_decision_processes.py", "q_learning.py", "rl.py"]
_PRODUCTS = {"einsum", "dot", "matmul", "tensordot"}


def _has_product(node: ast.AST) -> bool:
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)
               or isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", None)) in _PRODUCTS
               for n in ast.walk(node))


def rl_answer_shapes(source: str) -> list[str]:
    """Lines of ``source`` that compute like lecture 07's and 08's exercises: a backup ``R + gamma * P @ V``
    (a sum with a matrix product: q_from_v, and the sweeps of policy evaluation and value iteration)
    and an in-place step ``X += alpha * (target - X)`` (the TD(0), SARSA and Q-learning updates)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (_has_product(node.left)
                                                                            or _has_product(node.right)):
            found.append(f"line {node.lineno}: backup {ast.unparse(node)}")
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Subscript):
            target = ast.unparse(node.target)
            if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and ast.unparse(n.right) == target
                   for n in ast.walk(node.value)):
                found.append(f"line {node.lineno}: update {ast.unparse(node)}")
    return found


def test_rl_support_code_holds_no_backup_and_no_td_update():
    """course/markov_decision_processes.py, course/q_learning.py and course/rl.py compute no Bellman
    backup and no TD update (they held value-iteration sweeps, modified policy iteration and a
    SARSA/Q-learning learner): widgets run the student's functions or show recorded runs. The
    detector itself sees the forms those answers take."""
    for name in RL_SUPPORT:
        found = rl_answer_shapes((COURSE / name).read_text())
        assert not found, f"course/{name}: {found}"
    answers = {"q_from_v": "Q = R + gamma * np.einsum('sat,t->sa', P, V)",
               "sweep": "history[k + 1] = np.where(T, 0.0, (R + gamma * continuing @ history[k]).max(axis=1))",
               "evaluation": "new = reward + gamma * step @ values",
               "td0": "values[here] += alpha * (r + values[there] - values[here])",
               "q-learning": "q[s][a] += alpha * (r + (0.0 if done else gamma * ahead) - q[s][a])",
               "sarsa": "Q[s, a] += alpha * (r + gamma * Q[s2, a2] - Q[s, a])"}
    for what, line in answers.items():
        assert rl_answer_shapes(line), what
    assert not rl_answer_shapes("visits[s] += 1\nbest = Q >= Q.max(axis=1) - tol\ny = a @ b")


def test_no_notebook_defines_another_lectures_graded_function():
    """A lecture's own code cells never write out a function another lecture grades (lecture
    04 once checked its gradient with a local copy of lecture 02's ``numerical_gradient``)."""
    from grader.assemble import defined_names

    graded = {name: lecture.slug for lecture, _, name in GRADED}
    for lecture in {item[0].slug: item[0] for item in GRADED}.values():
        notebook = nbformat.read(lecture.student_notebook, as_version=4)
        for number, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or is_answer_cell(cell):
                continue
            python = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            clashes = sorted(name for name in defined_names(python) if graded.get(name) not in (None, lecture.slug))
            assert not clashes, (f"{lecture.slug} cell {number} defines {clashes}, graded in "
                                 f"{[graded[name] for name in clashes]}: a ready answer to another lecture's exercise")
