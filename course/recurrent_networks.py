"""Text, baselines, pictures and widgets for lecture 04, recurrent networks and LSTMs.

Gradient flow is computed here with numpy, and the temperature and gate widgets use a small
``torch.nn.LSTM`` language model that :func:`widget_model` trains in a few seconds the first
time it is needed (then it is cached for the session). The temperature widget comes after
exercise 11 and draws its samples with the student's own ``sample`` (carrying the state is the
exercise), saying which exercise to finish while it is still a stub; the others work before any
exercise is solved.
"""
from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass
import functools
from functools import cache
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from scipy.special import softmax
from torch import nn
from torch.nn import functional as F

from course.runtime import full_or_quick
from course.widgets import (FIXED_TITLE, after_exercise, dropdown, figure_row, interactive_figure, plain_log_ticks,
                            slider, text_tick_labels)

TEXT_PATH = Path(__file__).resolve().parent / "data" / "shakespeare.txt"


# --- the text ------------------------------------------------------------------------------------

def load_text() -> str:
    """The lecture's corpus: about 200 KB of Shakespeare's plays (public domain; see data/README.md)."""
    return TEXT_PATH.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, numbered in sorted order."""

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """The id of every character of ``text`` (KeyError for a character not in the vocabulary)."""
        index = {char: i for i, char in enumerate(self.chars)}
        return [index[char] for char in text]

    def decode(self, ids) -> str:
        """The characters with the given ids, joined into a string."""
        return "".join(self.chars[int(i)] for i in ids)


def corpus(val_fraction: float = 0.1) -> tuple[Vocabulary, torch.Tensor, torch.Tensor]:
    """The vocabulary and the training and validation ids (int64): the last ``val_fraction`` is validation."""
    text = load_text()
    vocab = Vocabulary.from_text(text)
    ids = torch.tensor(vocab.encode(text), dtype=torch.int64)
    split = int(round(len(ids) * (1 - val_fraction)))
    return vocab, ids[:split], ids[split:]


def random_windows(ids: torch.Tensor, batch_size: int, seq_len: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of the text: inputs and the same windows shifted by one.

    Both are int64 tensors of shape (batch_size, seq_len); targets[b, t] is the character that
    follows inputs[b, t].
    """
    starts = torch.randint(0, len(ids) - seq_len - 1, (batch_size,), generator=generator)
    offsets = torch.arange(seq_len)
    windows = ids[starts[:, None] + offsets]
    return windows, ids[starts[:, None] + offsets + 1]


def ngram_cross_entropy(train: torch.Tensor, val: torch.Tensor, vocab_size: int, order: int,
                        alpha: float = 0.1) -> float:
    """Validation cross-entropy (nats per character) of a unigram (order 1) or bigram (order 2) model.

    Counts come from ``train`` with ``alpha`` added to every count (add-alpha smoothing), so a
    character pair never seen in training still gets a small probability.
    """
    train, val = np.asarray(train), np.asarray(val)
    if order == 1:
        counts = np.bincount(train, minlength=vocab_size) + alpha
        return float(-np.mean(np.log(counts[val] / counts.sum())))
    if order == 2:
        counts = np.full((vocab_size, vocab_size), alpha)
        np.add.at(counts, (train[:-1], train[1:]), 1.0)
        probabilities = counts / counts.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(probabilities[val[:-1], val[1:]])))
    raise ValueError(f"order must be 1 or 2, got {order}")


def evaluate(model: nn.Module, ids: torch.Tensor, seq_len: int = 200) -> float:
    """Mean cross-entropy (nats per character) of ``model`` predicting each next character of ``ids``.

    The text is cut into consecutive chunks of ``seq_len`` characters, each read from a zero
    state; ``model(tokens, state)`` must return ``(logits, state)``.
    """
    usable = (len(ids) - 1) // seq_len * seq_len
    inputs = ids[:usable].reshape(-1, seq_len)
    targets = ids[1:usable + 1].reshape(-1, seq_len)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(inputs, None)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    model.train(was_training)
    return float(loss)


# --- the widgets' own small language model -------------------------------------------------------

class TinyCharModel(nn.Module):
    """Embedding, one ``torch.nn.LSTM`` layer, linear read-out: the widgets' model."""

    def __init__(self, vocab_size: int, embedding_dim: int = 16, hidden_size: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: torch.Tensor, state=None):
        if tokens.shape == (1, 1) and state is not None:  # one more character, as a sampler feeds it
            return self._one_step(tokens[0], state)
        hidden, state = self.rnn(self.embed(tokens), state)
        return self.out(hidden), state

    def _one_step(self, char_id: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, tuple]:
        """``forward`` on one character from a given state (equal up to float rounding), with
        ``torch.lstm_cell`` at a third of the cost of calling the modules: widget C's sampler
        calls it once per drawn character on every redraw."""
        rnn = self.rnn
        h, c = torch.lstm_cell(self.embed.weight[char_id], (state[0][0], state[1][0]),
                               rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        return F.linear(h, self.out.weight, self.out.bias)[None], (h[None], c[None])


@cache
def widget_model(steps: int | None = None, seed: int = 0) -> tuple[TinyCharModel, Vocabulary]:
    """A small LSTM language model trained for ``steps`` Adam steps (a few seconds), cached.

    ``steps`` defaults to 400, or 30 under autograding.
    """
    steps = full_or_quick(400, 30) if steps is None else steps
    vocab, train, _ = corpus()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = TinyCharModel(len(vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        inputs, targets = random_windows(train, 32, 48, generator)
        logits, _ = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    model.eval()
    return model, vocab


def next_char_distribution(model: nn.Module, vocab: Vocabulary, prompt: str) -> np.ndarray:
    """The model's logits for the character after ``prompt``, as a float64 array of shape (V,)."""
    with torch.no_grad():
        logits, _ = model(torch.tensor([vocab.encode(prompt)]))
    return logits[0, -1].double().numpy()


def tempered(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) in float64 (scipy's softmax)."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def entropy(probabilities: np.ndarray) -> float:
    """Entropy in nats of a probability vector (0 log 0 = 0)."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


# --- widget 1: gradient flow through time --------------------------------------------------------

def recurrent_matrix(radius: float, hidden: int = 32, seed: int = 0) -> np.ndarray:
    """A random (hidden, hidden) matrix rescaled so that its spectral radius is ``radius``."""
    w = np.random.default_rng(seed).normal(size=(hidden, hidden)) / np.sqrt(hidden)
    return w * radius / np.max(np.abs(np.linalg.eigvals(w)))


def jacobian_norms(w_hh: np.ndarray, activation: str = "tanh", steps: int = 60, input_scale: float = 1.0,
                   seed: int = 0) -> np.ndarray:
    """Spectral norms of dh_T/dh_k for lags T - k = 0..steps, an array of shape (steps + 1,).

    The RNN is h_t = f(W_hh h_{t-1} + u_t) with random inputs u_t of size ``input_scale`` and
    f = tanh or the identity, from h_0 = 0. Going backwards, each step multiplies the Jacobian
    by diag(f'(a_t)) W_hh.
    """
    hidden = w_hh.shape[0]
    rng = np.random.default_rng(seed + 1)
    inputs = input_scale * rng.normal(size=(steps, hidden))
    h = np.zeros(hidden)
    slopes = []
    for u in inputs:
        a = w_hh @ h + u
        h = np.tanh(a) if activation == "tanh" else a
        slopes.append(1.0 - h ** 2 if activation == "tanh" else np.ones(hidden))
    jacobian = np.eye(hidden)
    norms = [1.0]
    for slope in reversed(slopes):
        jacobian = jacobian @ (slope[:, None] * w_hh)
        norms.append(np.linalg.norm(jacobian, 2))
    return np.array(norms)


def draw_gradient_flow(radius: float = 1.0, input_scale: float = 1.0, steps: int = 60, seed: int = 0) -> Figure:
    """Eigenvalues of W_hh and ||dh_T/dh_k|| against the lag, for tanh and for the identity."""
    w_hh = recurrent_matrix(radius, seed=seed)
    fig, (left, right) = figure_row(2, width=10, height=3.8)
    eigenvalues = np.linalg.eigvals(w_hh)
    angle = np.linspace(0, 2 * np.pi, 200)
    left.plot(np.cos(angle), np.sin(angle), c="0.6", lw=1, label="unit circle")
    left.plot(eigenvalues.real, eigenvalues.imag, ".", c="tab:blue", label="eigenvalues")
    left.set_aspect("equal")
    left.set_xlim(-1.6, 1.6)
    left.set_ylim(-1.6, 1.6)
    left.set_xticks([-1, 0, 1])  # few ticks: each costs several artists per redraw
    left.set_yticks([-1, 0, 1])
    left.legend(fontsize=8, loc="upper right")
    sigma = np.linalg.norm(w_hh, 2)
    left.set_title(f"W_hh: spectral radius {radius:.2f}, largest singular value {sigma:.2f}", fontsize=9)
    lags = np.arange(steps + 1)
    for activation, colour in (("identity", "tab:orange"), ("tanh", "tab:blue")):
        norms = jacobian_norms(w_hh, activation, steps, input_scale, seed)
        right.semilogy(lags, np.maximum(norms, 1e-30), c=colour, label=f"f = {activation}")
    right.semilogy(lags, radius ** lags, "--", c="0.5", lw=1, label="radius^(T − k)")
    right.set_ylim(1e-16, 1e12)
    right.set_yticks([1e-15, 1e-10, 1e-5, 1.0, 1e5, 1e10])
    plain_log_ticks(right.yaxis)
    right.set_xlabel("lag T - k")
    right.set_ylabel("‖∂h_T / ∂h_k‖₂")  # plain text: math text is parsed on every render
    right.legend(fontsize=8, loc="lower left")
    right.set_title(f"gradient norm against the lag (input scale {input_scale:.1f})", fontsize=9)
    return fig


def gradient_flow_widget() -> widgets.VBox:
    """Sliders for the spectral radius of W_hh, the size of the inputs and the number of steps."""
    return interactive_figure(
        draw_gradient_flow,
        radius=slider(1.0, 0.5, 1.5, 0.05, "spectral radius of W_hh"),
        input_scale=slider(1.0, 0.0, 3.0, 0.25, "input scale"),
        steps=slider(60, 10, 100, 10, "steps T", integer=True),
    )


# --- widget 2: sampling temperature ---------------------------------------------------------------

PROMPTS = ["First Citizen:\n", "The king ", "What say", "ROMEO:\n"]


def _draw_temperature(sample: Callable, temperature: float = 0.8, prompt: str = "First Citizen:\n", seed: int = 0,
                      length: int = 240) -> Figure:
    """The tempered next-character distribution after ``prompt``, and ``length`` characters
    continuing it drawn by your ``sample`` (exercise 11) from the widget model, with a torch
    generator seeded with ``seed``."""
    model, vocab = widget_model()
    logits = next_char_distribution(model, vocab, prompt)
    p = tempered(logits, temperature)
    text = vocab.decode(sample(model, vocab.encode(prompt), length, temperature, torch.Generator().manual_seed(seed)))
    fig = Figure(figsize=(10, 5.2))
    with matplotlib.rc_context(FIXED_TITLE):
        top = fig.add_axes((0.07, 0.62, 0.9, 0.3))
    order = np.argsort(p)[::-1][:25]
    labels = [repr(vocab.chars[i])[1:-1] or " " for i in order]
    top.bar(range(len(order)), p[order], color="tab:blue")
    top.set_xlim(-0.6, len(order) - 0.4)
    text_tick_labels(top, [label if label != " " else "␣" for label in labels], "x", fontsize=8)
    top.set_ylim(0, 1)
    top.set_ylabel("probability")
    top.set_title(f"next character after {prompt!r} at temperature {temperature:.2f}: "
                  f"entropy {entropy(p):.2f} nats (at T = 1: {entropy(tempered(logits, 1.0)):.2f})", fontsize=9)
    bottom = fig.add_axes((0.02, 0.02, 0.96, 0.48))
    bottom.axis("off")
    # wrapped here, not by matplotlib's wrap=True, which measures the text once per word
    wrapped = "\n".join(textwrap.fill(line, 125, drop_whitespace=False) for line in (prompt + text).split("\n"))
    bottom.text(0, 1, wrapped, va="top", ha="left", family="monospace", fontsize=8.5,
                transform=bottom.transAxes)
    return fig


draw_temperature = after_exercise(_draw_temperature, "exercise 11 (sample)")


def temperature_widget(sample: Callable) -> widgets.VBox:
    """A temperature slider, a prompt and a seed for samples of the widget model drawn by your
    ``sample`` (exercise 11)."""
    return interactive_figure(
        functools.partial(draw_temperature, sample),
        temperature=slider(0.8, 0.1, 2.0, 0.05, "temperature"),
        prompt=dropdown(PROMPTS, PROMPTS[0], "prompt"),
        seed=slider(0, 0, 9, 1, "seed", integer=True),
    )


# --- widget 3: LSTM gates over a sentence ---------------------------------------------------------

SENTENCES = ["What, shall we to the Capitol?\nFirst Citizen:\n",
             "My lord, I will not speak of it.",
             "Before we proceed any further, hear me speak."]
GATES = ["input gate i", "forget gate f", "candidate g", "output gate o", "cell state c", "hidden state h"]


def gate_activations(model: TinyCharModel, vocab: Vocabulary, sentence: str) -> dict[str, np.ndarray]:
    """Every gate and state of the model's LSTM at every character of ``sentence``: arrays (T, H).

    torch keeps the rows of ``weight_ih_l0`` in the order input, forget, candidate, output.
    """
    lstm = model.rnn
    with torch.no_grad():
        embedded = model.embed(torch.tensor([vocab.encode(sentence)]))[0]
        hidden, _ = lstm(embedded[None])
        before = torch.cat([torch.zeros(1, lstm.hidden_size), hidden[0, :-1]])
        pre = F.linear(embedded, lstm.weight_ih_l0, lstm.bias_ih_l0) + F.linear(before, lstm.weight_hh_l0,
                                                                                 lstm.bias_hh_l0)
        i, f, g, o = pre.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        cells = []
        c = torch.zeros(lstm.hidden_size)
        for step in range(len(sentence)):
            c = f[step] * c + i[step] * g[step]
            cells.append(c)
    values = {"input gate i": i, "forget gate f": f, "candidate g": g, "output gate o": o,
              "cell state c": torch.stack(cells), "hidden state h": hidden[0]}
    return {name: value.double().numpy() for name, value in values.items()}


def draw_gates(sentence: str = SENTENCES[0], gate: str = "forget gate f", first_unit: int = 0,
               units: int = 16) -> Figure:
    """A heat map of one gate (or state) of the widget model's LSTM, unit by character."""
    model, vocab = widget_model()
    every_unit = gate_activations(model, vocab, sentence)[gate]
    values = every_unit[:, first_unit:first_unit + units]
    fig = Figure(figsize=(10, 4.2))
    with matplotlib.rc_context(FIXED_TITLE):
        ax = fig.add_axes((0.07, 0.12, 0.82, 0.76))
    low, high = (0, 1) if gate in ("input gate i", "forget gate f", "output gate o") else (-1, 1)
    image = ax.imshow(values.T, aspect="auto", cmap="coolwarm", vmin=low, vmax=high, interpolation="nearest")
    text_tick_labels(ax, [char if char != "\n" else "⏎" for char in sentence], "x", fontsize=8, family="monospace")
    text_tick_labels(ax, [str(first_unit + k) for k in range(values.shape[1])], "y", fontsize=7)
    ax.set_ylabel("unit", labelpad=24)
    mean = float(every_unit.mean())
    ax.set_title(f"{gate} over the sentence (units {first_unit}-{first_unit + values.shape[1] - 1}); "
                 f"mean over all units {mean:.2f}", fontsize=9)
    fig.colorbar(image, cax=fig.add_axes((0.91, 0.12, 0.02, 0.76)))
    return fig


def gates_widget() -> widgets.VBox:
    """Choose a sentence, a gate (or the cell or hidden state) and which units to show."""
    return interactive_figure(
        draw_gates,
        sentence=dropdown(SENTENCES, SENTENCES[0], "sentence"),
        gate=dropdown(GATES, "forget gate f", "gate"),
        first_unit=slider(0, 0, 48, 16, "first unit", integer=True),
    )


# --- static pictures -------------------------------------------------------------------------------

def _box(ax, x, y, text, colour, w=0.7, h=0.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.03", fc=colour, ec="0.3"))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start, end, colour="0.3"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color=colour, lw=1))


def draw_sequence_problems() -> Figure:
    """Five ways to map sequences: one-to-one, one-to-many, many-to-one, many-to-many, seq2seq."""
    layouts = {
        "one to one\n(image → class)": ([0], [0], [0]),
        "one to many\n(image → caption)": ([0], [0, 1, 2, 3], [0, 1, 2, 3]),
        "many to one\n(video → label)": ([0, 1, 2, 3], [0, 1, 2, 3], [3]),
        "many to many\n(per-frame labels)": ([0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]),
        "seq2seq\n(translation)": ([0, 1, 2], [0, 1, 2, 3, 4, 5], [3, 4, 5]),
    }
    fig = Figure(figsize=(11, 3.2))
    axes = fig.subplots(1, 5)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.82, wspace=0.08)
    for ax, (title, (inputs, states, outputs)) in zip(axes, layouts.items()):
        for t in states:
            _box(ax, t, 1, "h", "#cfe2f3")
            if t > states[0]:
                _arrow(ax, (t - 0.62, 1), (t - 0.38, 1))
        for t in inputs:
            _box(ax, t, 0, "x", "#f4cccc")
            _arrow(ax, (t, 0.27), (t, 0.73))
        for t in outputs:
            _box(ax, t, 2, "y", "#d9ead3")
            _arrow(ax, (t, 1.27), (t, 1.73))
        ax.set_xlim(-0.6, max(3, states[-1]) + 0.6)
        ax.set_ylim(-0.5, 2.5)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=9)
    return fig


def draw_unrolled_rnn(steps: int = 4) -> Figure:
    """The RNN unrolled in time: the same W_xh, W_hh and W_hy at every step, a loss at every output."""
    fig = Figure(figsize=(9, 3.4))
    ax = fig.add_axes((0, 0, 1, 1))
    _box(ax, -1.2, 1, "$h_0$", "#eeeeee")
    for t in range(steps):
        _box(ax, t * 1.6, 0, f"$x_{t + 1}$", "#f4cccc")
        _box(ax, t * 1.6, 1, f"$h_{t + 1}$", "#cfe2f3")
        _box(ax, t * 1.6, 2, f"$y_{t + 1}$", "#d9ead3")
        _box(ax, t * 1.6, 2.9, f"$L_{t + 1}$", "#fff2cc", h=0.4)
        _arrow(ax, (t * 1.6, 0.27), (t * 1.6, 0.73))
        ax.text(t * 1.6 + 0.05, 0.5, "$W_{xh}$", fontsize=8, color="tab:red")
        _arrow(ax, (t * 1.6, 1.27), (t * 1.6, 1.73))
        ax.text(t * 1.6 + 0.05, 1.5, "$W_{hy}$", fontsize=8, color="tab:green")
        _arrow(ax, (t * 1.6, 2.27), (t * 1.6, 2.68))
        _arrow(ax, (t * 1.6 - 1.23, 1), (t * 1.6 - 0.37, 1))
        ax.text(t * 1.6 - 0.95, 1.1, "$W_{hh}$", fontsize=8, color="tab:blue")
    ax.text(steps * 1.6 - 0.4, 3.05, "$L = \\sum_t L_t$", fontsize=10)
    ax.set_xlim(-1.8, steps * 1.6)
    ax.set_ylim(-0.5, 3.4)
    ax.axis("off")
    return fig


def draw_lstm_cell() -> Figure:
    """The LSTM cell: four gates from [h_{t-1}, x_t], and the additive path along the cell state."""
    fig = Figure(figsize=(8, 3.8))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(FancyBboxPatch((0.4, 0.2), 6.2, 3.0, boxstyle="round,pad=0.05", fc="#f7f7f7", ec="0.5"))
    ax.annotate("", xy=(7.2, 2.9), xytext=(-0.2, 2.9), arrowprops=dict(arrowstyle="-|>", lw=2.5, color="tab:red"))
    ax.text(-0.2, 3.05, "$c_{t-1}$", fontsize=10)
    ax.text(6.9, 3.05, "$c_t$", fontsize=10)
    _box(ax, 2.0, 2.9, "×", "white", w=0.4, h=0.4)
    _box(ax, 3.6, 2.9, "+", "white", w=0.4, h=0.4)
    for x, name, act in ((1.2, "f", "σ"), (2.5, "i", "σ"), (3.6, "g", "tanh"), (5.0, "o", "σ")):
        _box(ax, x, 1.2, f"{name} = {act}(·)", "#cfe2f3", w=0.95, h=0.45)
    _arrow(ax, (1.2, 1.45), (1.9, 2.72))
    _box(ax, 3.05, 2.2, "×", "white", w=0.4, h=0.4)
    _arrow(ax, (2.5, 1.45), (2.95, 2.02))
    _arrow(ax, (3.6, 1.45), (3.15, 2.02))
    _arrow(ax, (3.2, 2.35), (3.5, 2.72))
    _box(ax, 6.1, 2.2, "tanh", "white", w=0.6, h=0.4)
    _arrow(ax, (5.1, 2.9), (6.0, 2.4))
    _box(ax, 6.1, 1.2, "×", "white", w=0.4, h=0.4)
    _arrow(ax, (5.48, 1.2), (5.9, 1.2))
    _arrow(ax, (6.1, 2.0), (6.1, 1.42))
    _arrow(ax, (6.3, 1.2), (7.2, 1.2))
    ax.text(6.9, 1.35, "$h_t$", fontsize=10)
    ax.text(0.55, 0.45, "$[h_{t-1}, x_t]$ feeds all four gates:  "
            "$c_t = f \\odot c_{t-1} + i \\odot g$,   $h_t = o \\odot \\tanh(c_t)$", fontsize=9)
    ax.text(3.0, 3.3, "cell path: only × f and + i⊙g, no squashing", fontsize=8, color="tab:red")
    ax.set_xlim(-0.5, 7.6)
    ax.set_ylim(0, 3.6)
    ax.axis("off")
    return fig


def draw_training_curves(history: dict[str, list[float]], baselines: dict[str, float]) -> Figure:
    """Training loss per step (smoothed), validation loss at checkpoints, and the n-gram baselines."""
    fig, (ax,) = figure_row(1, width=7, height=3.4)
    steps = np.arange(1, len(history["train"]) + 1)
    window = max(1, len(steps) // 30)
    smooth = np.convolve(history["train"], np.ones(window) / window, mode="valid")
    ax.plot(steps[window - 1:], smooth, label="training loss (moving average)")
    ax.plot(history["val_step"], history["val"], "o-", label="validation loss")
    for (name, value), style in zip(baselines.items(), ("--", ":")):
        ax.axhline(value, ls=style, c="0.4", label=f"{name} baseline ({value:.2f})")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / char)")
    ax.legend(fontsize=8)
    return fig


# --- the long-dependency task: recall the first symbol -----------------------------------------------

RECALL_SYMBOLS = 4


def recall_task(n: int, length: int, rng: np.random.Generator,
                n_symbols: int = RECALL_SYMBOLS) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of ``length`` one-hot steps whose label is the symbol of the first step.

    Step 0 shows one of ``n_symbols`` symbols; steps 1 .. length - 1 show random distractor
    symbols from a second set of ``n_symbols``. Returns ``x`` (float64, shape (n, length,
    2 n_symbols)) and ``targets`` (int64, shape (n, length)): -1 everywhere except the last
    step, which holds the first symbol (a many-to-one problem; chance accuracy 1 / n_symbols).
    """
    labels = rng.integers(0, n_symbols, n)
    x = np.zeros((n, length, 2 * n_symbols))
    x[np.arange(n), 0, labels] = 1.0
    distractors = rng.integers(n_symbols, 2 * n_symbols, (n, length - 1))
    x[np.arange(n)[:, None], np.arange(1, length)[None], distractors] = 1.0
    targets = -np.ones((n, length), dtype=np.int64)
    targets[:, -1] = labels
    return x, targets


def rnn_parameters(n_inputs: int, n_hidden: int, n_outputs: int, seed: int,
                   recurrent_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Starting weights for a numpy RNN with a read-out: float64 arrays "W_xh", "W_hh", "b", "W_hy", "b_y".

    Gaussian entries with variance 1 / fan-in (W_hh's spectral radius is then about 1, times
    ``recurrent_scale``); zero biases.
    """
    rng = np.random.default_rng(seed)
    return {"W_xh": rng.normal(size=(n_hidden, n_inputs)) / np.sqrt(n_inputs),
            "W_hh": recurrent_scale * rng.normal(size=(n_hidden, n_hidden)) / np.sqrt(n_hidden),
            "b": np.zeros(n_hidden),
            "W_hy": rng.normal(size=(n_outputs, n_hidden)) / np.sqrt(n_hidden),
            "b_y": np.zeros(n_outputs)}


class RecallNet(nn.Module):
    """``torch.nn.RNN`` or ``torch.nn.LSTM`` (batch first) with a linear read-out of the last state."""

    def __init__(self, kind: str, hidden_size: int = 32, forget_bias: float = 0.0,
                 n_symbols: int = RECALL_SYMBOLS):
        super().__init__()
        layer = {"RNN": nn.RNN, "LSTM": nn.LSTM}[kind]
        self.rnn = layer(2 * n_symbols, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_symbols)
        if kind == "LSTM":  # rows H..2H-1 of the bias are the forget gate's
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] += forget_bias

    def states(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.states(x)[:, -1])


def fit_recall(model: RecallNet, length: int, steps: int, seed: int, lr: float = 0.02,
               batch_size: int = 32) -> list[float]:
    """Adam on fresh recall batches (gradients clipped at norm 1); the loss of every step."""
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, targets = recall_task(batch_size, length, rng)
        loss = F.cross_entropy(model(torch.tensor(x, dtype=torch.float32)), torch.tensor(targets[:, -1]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


def recall_accuracy(predictions: np.ndarray, targets: np.ndarray) -> float:
    """The share of sequences whose predicted symbol (an int array, shape (n,)) is the label."""
    return float(np.mean(np.asarray(predictions) == targets[:, -1]))


def torch_recall_accuracy(model: RecallNet, length: int, seed: int = 99, n: int = 500) -> float:
    """Accuracy of a trained ``RecallNet`` on ``n`` fresh sequences of ``length`` steps."""
    x, targets = recall_task(n, length, np.random.default_rng(seed))
    with torch.no_grad():
        return recall_accuracy(model(torch.tensor(x, dtype=torch.float32)).argmax(-1).numpy(), targets)


def lag_gradient_norms(model: RecallNet, length: int, seed: int = 0, n: int = 8) -> np.ndarray:
    """||dh_T / dx_k|| (Frobenius) against the lag T - k = 0 .. length - 1, averaged over ``n`` sequences.

    Computed in float64 with autograd on recall-task inputs; h_T is the recurrent layer's last
    hidden state.
    """
    x, _ = recall_task(n, length, np.random.default_rng(seed))
    model = copy.deepcopy(model).double()  # float64, so that tiny norms do not underflow to 0
    inputs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    last = model.states(inputs)[:, -1]  # (n, H); the sequences are independent, so one
    squares = torch.zeros(x.shape[:2], dtype=torch.float64)  # backward pass per unit serves all
    for unit in range(last.shape[1]):
        (grad,) = torch.autograd.grad(last[:, unit].sum(), inputs, retain_graph=True)
        squares += grad.pow(2).sum(dim=2)
    return squares.sqrt().mean(dim=0).flip(0).numpy()  # index = lag


def draw_lag_norms(curves: dict[str, np.ndarray]) -> Figure:
    """||dh_T/dx_k|| against the lag, one line per model (dashed for the untrained ones)."""
    fig, (ax,) = figure_row(1, width=7, height=3.6)
    colours = {"RNN": "tab:orange", "LSTM": "tab:blue"}
    for name, norms in curves.items():
        kind = name.split()[0]
        ax.semilogy(np.arange(len(norms)), np.maximum(norms, 1e-30), c=colours.get(kind, "0.3"),
                    ls="--" if "untrained" in name else "-", label=name)
    ax.set_xlabel("lag T - k")
    ax.set_ylabel("‖∂h_T / ∂x_k‖")
    ax.legend(fontsize=8)
    ax.set_title("how much the last state depends on the input k steps back", fontsize=9)
    return fig


def draw_recall_results(lengths: list[int], accuracies: dict[str, list[float]]) -> Figure:
    """Held-out accuracy on the recall task against its length, one line per model."""
    fig, (ax,) = figure_row(1, width=6, height=3.4)
    for name, values in accuracies.items():
        ax.plot(lengths, values, "o-", label=name)
    ax.axhline(1 / RECALL_SYMBOLS, ls=":", c="0.4", label="chance")
    ax.set_xscale("log")
    ax.set_xticks(lengths)
    ax.set_xticklabels([str(length) for length in lengths])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("sequence length (the lag to remember)")
    ax.set_ylabel("held-out accuracy")
    ax.legend(fontsize=8)
    return fig


def draw_clipping(histories: dict[str, list[tuple[float, float]]], max_norm: float) -> Figure:
    """Loss and gradient norm per step for runs with and without clipping."""
    fig, (left, right) = figure_row(2, width=10, height=3.4)
    for name, history in histories.items():
        losses, norms = np.array(history, dtype=np.float64).T
        left.plot(losses, label=name)
        right.semilogy(norms, label=name, lw=0.8)
    left.axhline(np.log(RECALL_SYMBOLS), ls=":", c="0.4", label="chance (log 4)")
    left.set_xlabel("step")
    left.set_ylabel("loss")
    left.legend(fontsize=8)
    right.axhline(max_norm, ls="--", c="0.4", label=f"max_norm = {max_norm:g}")
    right.set_xlabel("step")
    right.set_ylabel("gradient norm before clipping")
    right.legend(fontsize=8)
    return fig


# --- teacher forcing and exposure bias -------------------------------------------------------------

def corrupted_context_losses(model: nn.Module, ids: torch.Tensor, position: int = 40, length: int = 80,
                             n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-position cross-entropy on ``n`` validation windows, clean and with one wrong character.

    The corrupted windows replace the input at ``position`` by a different random character
    (a mistake like the ones a sampling model makes and feeds back to itself); the targets stay
    the true text. Returns two float64 arrays of shape (length,): the mean loss per position.
    """
    generator = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(ids) - length - 1, (n,), generator=generator)
    inputs = ids[starts[:, None] + torch.arange(length)]
    targets = ids[starts[:, None] + torch.arange(length) + 1]
    vocab_size = int(ids.max()) + 1
    corrupted = inputs.clone()
    shift = torch.randint(1, vocab_size, (n,), generator=generator)
    corrupted[:, position] = (inputs[:, position] + shift) % vocab_size
    model.eval()
    with torch.no_grad():
        losses = [F.cross_entropy(model(tokens)[0].transpose(1, 2), targets, reduction="none").mean(0)
                  for tokens in (inputs, corrupted)]
    return tuple(loss.double().numpy() for loss in losses)


def draw_exposure(clean: np.ndarray, corrupted: np.ndarray, position: int) -> Figure:
    """The per-position loss with the true context and with one wrong character at ``position``."""
    fig, (ax,) = figure_row(1, width=7, height=3.2)
    ax.plot(clean, label="true context (teacher forcing)")
    ax.plot(corrupted, label=f"one wrong character at position {position}")
    ax.axvline(position, ls=":", c="0.4")
    ax.set_xlabel("position in the window")
    ax.set_ylabel("cross-entropy (nats)")
    ax.legend(fontsize=8)
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("gradient flow", lambda: draw_gradient_flow(radius=1.1)),
    ("temperature", lambda reference: draw_temperature(reference.sample, temperature=1.2)),
    ("gates", lambda: draw_gates(gate="cell state c", first_unit=16)),
]
