"""Data, pictures and widgets for lecture 05, attention and transformers.

The ``draw_*`` functions compute and plot; the widgets only wire controls to them. Nothing
here answers an exercise. Widget A uses numpy; widget B draws the student's own
``positional_encoding`` (the notebook passes it in, after exercise 4); widget C shows a
transformer made of torch's ``TransformerEncoderLayer`` blocks: the student's trained
sorter, its weights loaded into those blocks, or else its own, trained with learned
positions on the sorting task the first time it is drawn (a few seconds; cached). It reads
the digits and their sorted copy in one pass (teacher forcing), not by greedy decoding.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache, partial

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course.runtime import full_or_quick
from course.widgets import FIXED_TITLE, after_exercise, figure_row, interactive_figure, slider, text_tick_labels

# --- the toy task: sorting digit sequences --------------------------------------------------------

N_DIGITS = 10        # the digits 0..9 are tokens 0..9
SEP = 10             # the separator token between the input and its sorted copy
START = SEP          # the token the encoder-decoder's decoder starts from
VOCAB = 11
LENGTH = 8           # digits per sequence
TOKEN_NAMES = [str(d) for d in range(N_DIGITS)] + ["|"]


def sequence_codes(digits: torch.Tensor) -> torch.Tensor:
    """One int64 per row of a (B, LENGTH) digit tensor (the digits read as a decimal number)."""
    powers = 10 ** torch.arange(digits.shape[1] - 1, -1, -1, dtype=torch.int64)
    return (digits.to(torch.int64) * powers).sum(dim=1)


def random_digits(n: int, generator: torch.Generator, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` random digit sequences, int64 (n, LENGTH); rows whose code is in ``exclude`` are redrawn."""
    digits = torch.randint(0, N_DIGITS, (n, LENGTH), generator=generator)
    if exclude is not None:
        clash = torch.isin(sequence_codes(digits), exclude)
        while clash.any():
            digits[clash] = torch.randint(0, N_DIGITS, (int(clash.sum()), LENGTH), generator=generator)
            clash = torch.isin(sequence_codes(digits), exclude)
    return digits


def sorting_sequences(digits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets for sorting, both int64 of shape (B, 2 LENGTH).

    The full sequence is ``d_1 .. d_L | s_1 .. s_L`` (the digits, the separator, the digits
    sorted). The model reads it without its last token and must predict each next token;
    only the last LENGTH targets (the sorted digits) count, so the others are set to -100,
    the value ``F.cross_entropy`` ignores.
    """
    separator = torch.full((digits.shape[0], 1), SEP, dtype=torch.int64)
    full = torch.cat([digits, separator, digits.sort(dim=1).values], dim=1)
    targets = full[:, 1:].clone()
    targets[:, : digits.shape[1]] = -100
    return full[:, :-1], targets


def test_digits(n: int = 1000, seed: int = 1234) -> torch.Tensor:
    """The held-out sequences: ``n`` distinct random rows of digits (int64 (n, LENGTH))."""
    digits = random_digits(4 * n, torch.Generator().manual_seed(seed))
    _, first = np.unique(sequence_codes(digits).numpy(), return_index=True)
    return digits[np.sort(first)[:n]]


def sorting_prompts(digits: torch.Tensor) -> torch.Tensor:
    """What the sorter reads before it writes: ``d_1 .. d_L |``, int64 (B, LENGTH + 1)."""
    return torch.cat([digits, torch.full((digits.shape[0], 1), SEP, dtype=torch.int64)], dim=1)


def reversal_batch(digits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(source, decoder input, targets) for reversing digit strings, each int64 (B, LENGTH).

    The source is the digits; the targets are the digits reversed; the decoder reads
    ``START`` followed by the targets without their last token (teacher forcing).
    """
    targets = digits.flip(1)
    start = torch.full((digits.shape[0], 1), START, dtype=torch.int64)
    return digits, torch.cat([start, targets[:, :-1]], dim=1), targets


def accuracies(written: torch.Tensor, expected: torch.Tensor) -> tuple[float, float]:
    """(token accuracy, whole-sequence accuracy) of ``written`` against ``expected`` (both (B, L))."""
    correct = written == expected
    return correct.float().mean().item(), correct.all(dim=1).float().mean().item()


def warmup_schedule(optimizer: torch.optim.Optimizer, steps: int, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate rises linearly over ``warmup`` steps, then falls along a half cosine to 0."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + np.cos(np.pi * (step - warmup) / max(steps - warmup, 1)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train(model: nn.Module, batch_loss, steps: int, lr: float = 3e-3, warmup: int | None = None,
          progress: bool = False) -> list[float]:
    """Adam steps on ``batch_loss(step)`` (a scalar tensor for a fresh batch); returns every loss.

    The learning rate warms up over ``warmup`` steps (a tenth of them by default), then decays.
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = warmup_schedule(optimizer, steps, max(1, steps // 10) if warmup is None else warmup)
    model.train()
    losses = []
    for step in tqdm(range(steps), desc="training steps", disable=not progress):
        loss = batch_loss(step)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


# --- a library transformer for the widgets ---------------------------------------------------------

class LibrarySorter(nn.Module):
    """Embedding + positions, ``torch.nn.TransformerEncoderLayer`` blocks (pre-norm, causal), logits.

    Its parameter layout is the one the lecture's ``TinyTransformer`` has after renaming, so
    :func:`library_copy` can load a student's trained model into it, with the student's table
    of positions. Without a table, the positions are learned (a parameter, as in GPT-2).
    """

    def __init__(self, width: int = 64, heads: int = 4, hidden: int = 128, depth: int = 2,
                 positions: torch.Tensor | None = None):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, width)
        if positions is None:
            self.positions = nn.Parameter(torch.randn(2 * LENGTH, width))
        else:
            self.register_buffer("positions", positions.detach().clone(), persistent=False)
        layer = nn.TransformerEncoderLayer(width, heads, hidden, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, VOCAB)

    def run(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (B, N, VOCAB) and, per layer, the attention weights (B, heads, N, N)."""
        n = tokens.shape[1]
        future = nn.Transformer.generate_square_subsequent_mask(n)  # -inf above the diagonal
        x = self.embedding(tokens) + self.positions[:n]
        maps = []
        for layer in self.layers:
            seen = layer.norm1(x)
            maps.append(layer.self_attn(seen, seen, seen, attn_mask=future, need_weights=True,
                                        average_attn_weights=False)[1])
            x = layer(x, src_mask=future)
        return self.head(self.norm(x)), maps

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.run(tokens)[0]


def library_copy(model: nn.Module) -> LibrarySorter:
    """A :class:`LibrarySorter` holding the weights and the positions table of a trained ``TinyTransformer``.

    Relies only on the names the exercise fixes (``embedding``, ``positions``, ``blocks.i.attention``,
    ``blocks.i.norm1``, ``blocks.i.norm2``, ``blocks.i.mlp.0``, ``blocks.i.mlp.2``, ``norm``, ``head``).
    """
    renames = {".attention.": ".self_attn.", ".mlp.0.": ".linear1.", ".mlp.2.": ".linear2."}
    state = {}
    for name, tensor in model.state_dict().items():
        if name.startswith("blocks."):
            name = "layers." + name.removeprefix("blocks.")
            for old, new in renames.items():
                name = name.replace(old, new)
        state[name] = tensor
    shapes = state["layers.0.linear1.weight"].shape
    heads = getattr(getattr(model.blocks[0], "attention", None), "num_heads", 4)
    copy_ = LibrarySorter(shapes[1], heads, shapes[0], len(model.blocks), positions=model.positions)
    copy_.load_state_dict(state)
    return copy_.eval()


def teacher_forced_reading(model: LibrarySorter,
                           digits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """One pass of ``model`` over ``d_1 .. d_L | s_1 .. s_(L-1)`` (the digits, the separator and
    all but the last sorted digit): at each of the last LENGTH positions, the token it predicts
    next given the correct sorted prefix (int64 (B, LENGTH)), the tokens read and, per layer,
    the attention weights (B, heads, 2 LENGTH, 2 LENGTH). The predictions are all right exactly
    when greedy decoding would write the sorted digits."""
    tokens = torch.cat([sorting_prompts(digits), digits.sort(dim=1).values[:, :-1]], dim=1)
    with torch.no_grad():
        logits, maps = model.run(tokens)
    return logits[:, LENGTH:].argmax(dim=-1), tokens, maps


def train_library_sorter(model: LibrarySorter, steps: int, seed: int = 0, lr: float = 5e-3) -> list[float]:
    """Train the widget's library transformer to sort, never on :func:`test_digits`."""
    generator = torch.Generator().manual_seed(seed)
    held_out = sequence_codes(test_digits())

    def batch_loss(step: int) -> torch.Tensor:
        inputs, targets = sorting_sequences(random_digits(64, generator, exclude=held_out))
        return F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
    return train(model, batch_loss, steps, lr=lr)


_SHOWN: dict[str, LibrarySorter] = {}


def show_in_widget(model: nn.Module) -> None:
    """Let the attention-map widget show ``model`` (a trained ``TinyTransformer``) from now on."""
    _SHOWN["model"] = library_copy(model)


@cache
def _own_model() -> LibrarySorter:
    torch.manual_seed(0)
    model = LibrarySorter()
    train_library_sorter(model, full_or_quick(200, 10), seed=1)
    return model


def widget_model() -> LibrarySorter:
    """The model the attention-map widget shows: the one given to :func:`show_in_widget`, or
    else its own library transformer, trained on first use (a few seconds, once per session)."""
    return _SHOWN.get("model") or _own_model()


# --- numerical demonstrations -------------------------------------------------------------------------

def additive_scores(state: torch.Tensor, encoded: torch.Tensor, w: torch.Tensor, u: torch.Tensor,
                    v: torch.Tensor) -> torch.Tensor:
    """Bahdanau's additive scores e_i = tanh(s W + h_i U) v for one decoder state (rows are vectors).

    state (D_S,), encoded (N, D_H), w (D_S, A), u (D_H, A), v (A,); returns (N,).
    """
    return torch.tanh(state @ w + encoded @ u) @ v


def softmax_jacobian_norm(scores: np.ndarray) -> float:
    """The spectral norm of the softmax's Jacobian diag(a) - a a^T at ``scores`` (one vector)."""
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return float(np.linalg.norm(np.diag(weights) - np.outer(weights, weights), 2))


def jacobian_norms_by_dimension(dims: tuple[int, ...] = (4, 16, 64, 256, 1024), n_keys: int = 16,
                                samples: int = 200, seed: int = 0) -> list[tuple[int, float, float]]:
    """For each dimension D: the median Jacobian norm of the softmax of q . k_i over ``n_keys`` random
    keys (entries N(0, 1)), unscaled and divided by sqrt(D). Rows (D, unscaled, scaled)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in dims:
        raw = [rng.normal(size=(n_keys, d)) @ rng.normal(size=d) for _ in range(samples)]
        rows.append((d, float(np.median([softmax_jacobian_norm(e) for e in raw])),
                     float(np.median([softmax_jacobian_norm(e / np.sqrt(d)) for e in raw]))))
    return rows


def rotation_for_offset(offset: int, dim: int, base: float = 10000.0) -> np.ndarray:
    """The (dim, dim) matrix R_k with PE(t + k) = PE(t) R_k for every t (row vectors; dim even).

    Block i rotates the pair (sin, cos) of frequency w_i = base^(-2i/dim) by the angle k w_i.
    """
    rotation = np.zeros((dim, dim))
    for i in range(dim // 2):
        angle = offset * base ** (-2 * i / dim)
        rotation[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    return rotation


def draw_warmup(steps: int = 600, warmup: int = 60, lr: float = 3e-3) -> Figure:
    """The learning rate of :func:`train`'s schedule: a linear warm-up, then a half cosine."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(()))], lr=lr)
    schedule = warmup_schedule(optimizer, steps, warmup)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    fig, (ax,) = figure_row(1, width=6.0, height=2.6)
    fig.subplots_adjust(left=0.13, bottom=0.2)
    ax.plot(rates)
    ax.axvline(warmup, c="0.6", lw=0.8, ls="--")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(f"warm-up over {warmup} steps, then a half cosine to 0", fontsize=9)
    return fig


# --- widget A: attention in the plane ---------------------------------------------------------------

FIXED_KEYS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.2], [0.3, -1.2]])
KEY_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]


def attention_2d(query: np.ndarray, keys: np.ndarray, scale: float) -> dict[str, np.ndarray]:
    """Scores ``scale * k_i . q``, their softmax and the weighted mean of the keys (used as values)."""
    scores = scale * keys @ query
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return {"scores": scores, "weights": weights, "output": weights @ keys}


def widget_keys(key_x: float, key_y: float) -> np.ndarray:
    """The four fixed keys and the movable fifth one, shape (5, 2)."""
    return np.vstack([FIXED_KEYS, [key_x, key_y]])


def draw_attention_2d(query_x: float = 1.0, query_y: float = 0.5, key_x: float = 1.5, key_y: float = 1.5,
                      scale: float = 1.0) -> Figure:
    """One query against five 2-D keys (the keys double as values): weights and output."""
    query, keys = np.array([query_x, query_y]), widget_keys(key_x, key_y)
    result = attention_2d(query, keys, scale)
    fig, (plane, bars) = figure_row(2, width=10.0, height=4.0)
    plane.axhline(0, c="0.85", lw=0.8)
    plane.axvline(0, c="0.85", lw=0.8)
    for i, (key, weight) in enumerate(zip(keys, result["weights"])):
        plane.scatter(*key, s=40 + 900 * weight, c=KEY_COLOURS[i], alpha=0.8, zorder=3)
        plane.annotate(f"k{i + 1}", key, textcoords="offset points", xytext=(8, 6), fontsize=9)
    plane.add_patch(FancyArrowPatch((0, 0), tuple(query), arrowstyle="-|>", mutation_scale=14, color="black", lw=1.5))
    plane.annotate("q", query, textcoords="offset points", xytext=(6, -12), fontsize=10)
    plane.scatter(*result["output"], marker="*", s=220, c="gold", edgecolors="black", zorder=4,
                  label=r"output $y = \sum_i a_i k_i$")
    plane.set_xlim(-2.6, 2.6)
    plane.set_ylim(-2.6, 2.6)
    plane.set_aspect("equal")
    plane.legend(loc="lower left", fontsize=8)
    plane.set_title("keys (dot size = weight) and the query", fontsize=9)
    positions = np.arange(len(keys))
    bars.bar(positions - 0.2, result["scores"], width=0.4, color="0.7", label=r"score $s\,q\cdot k_i$")
    bars.bar(positions + 0.2, result["weights"], width=0.4, color=KEY_COLOURS, label="weight $a_i$")
    bars.axhline(0, c="black", lw=0.8)
    bars.set_xticks(positions, [f"k{i + 1}" for i in positions])
    bars.legend(fontsize=8)
    bars.set_title(f"scale s = {scale:.2f}: largest weight {result['weights'].max():.2f}", fontsize=9)
    return fig


def attention_2d_widget() -> widgets.VBox:
    """Sliders for the query, the fifth key and the scale."""
    return interactive_figure(
        draw_attention_2d,
        query_x=slider(1.0, -2.0, 2.0, 0.1, "query x"),
        query_y=slider(0.5, -2.0, 2.0, 0.1, "query y"),
        key_x=slider(1.5, -2.0, 2.0, 0.1, "key 5 x"),
        key_y=slider(1.5, -2.0, 2.0, 0.1, "key 5 y"),
        scale=slider(1.0, 0.0, 10.0, 0.1, "scale s"),
    )


# --- widget B: positional encodings -----------------------------------------------------------------

def draw_positional_encoding(encoding: Callable[[int, int, float], torch.Tensor], n_positions: int = 64,
                             dim: int = 32, position: int = 20, base: float = 10000.0) -> Figure:
    """The table ``encoding(n_positions, dim, base)`` (the student's ``positional_encoding``) and how
    similar each position's encoding is to one chosen position."""
    table = np.asarray(encoding(n_positions, dim, base), dtype=float)
    position = int(np.clip(position, 0, n_positions - 1))
    fig, (heat, similarity) = figure_row(2, width=10.0, height=3.8)
    image = heat.imshow(table.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, origin="lower",
                        interpolation="nearest")
    heat.axvline(position, c="black", lw=1)
    heat.set_xlabel("position t")
    heat.set_ylabel("dimension")
    heat.set_title(f"PE(t) for {n_positions} positions, dimension {dim}, base {base:g}", fontsize=9)
    fig.colorbar(image, ax=heat, fraction=0.05)
    dots = table @ table[position]
    similarity.plot(np.arange(n_positions), dots, ".-")
    similarity.axvline(position, c="black", lw=1)
    similarity.set_xlabel("position t")
    similarity.set_ylabel(f"PE(t) . PE({position})")
    similarity.set_title("nearby positions have similar encodings", fontsize=9)
    return fig


def positional_encoding_widget(encoding: Callable[[int, int, float], torch.Tensor]) -> widgets.VBox:
    """Sliders for the number of positions, the dimension, the chosen position and the base; the
    table is ``encoding``'s (the student's ``positional_encoding``)."""
    return interactive_figure(
        partial(after_exercise(draw_positional_encoding, "exercise 4 (positional_encoding)"), encoding),
        n_positions=slider(64, 8, 128, 8, "positions", integer=True),
        dim=slider(32, 2, 64, 2, "dimension", integer=True),
        position=slider(20, 0, 127, 1, "position", integer=True),
        base=widgets.FloatLogSlider(value=10000.0, base=10, min=1, max=5, step=0.5, description="base",
                                    continuous_update=False),
    )


# --- widget C: attention maps of a trained sorter ---------------------------------------------------

def parse_digits(text: str) -> torch.Tensor:
    """The first LENGTH digits typed in ``text`` (padded with zeros), as int64 (1, LENGTH)."""
    found = [int(c) for c in text if c.isdigit()][:LENGTH]
    return torch.tensor([found + [0] * (LENGTH - len(found))], dtype=torch.int64)


def draw_attention_maps(model: LibrarySorter, digits: str = "52809164", layer: int = 1) -> Figure:
    """Every head's attention weights in ``layer`` (counted from 1) while ``model`` reads ``digits``
    and their sorted copy, predicting each next sorted digit (:func:`teacher_forced_reading`)."""
    row = parse_digits(digits)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small runs fastest on one thread, above all on a busy machine
    try:
        written, tokens, maps = teacher_forced_reading(model, row)
    finally:
        torch.set_num_threads(threads)
    layer = int(np.clip(layer, 1, len(maps)))
    weights = maps[layer - 1][0].numpy()
    labels = [TOKEN_NAMES[t] for t in tokens[0].tolist()]
    fig = Figure(figsize=(11, 3.4))
    with matplotlib.rc_context(FIXED_TITLE):
        axes = fig.subplots(1, weights.shape[0])
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.14, top=0.8, wspace=0.25)
    for head, ax in enumerate(np.atleast_1d(axes)):
        ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        text_tick_labels(ax, labels, "x", fontsize=6)
        if head == 0:  # the other heads share these query labels
            text_tick_labels(ax, labels, "y", fontsize=6)
        else:
            ax.set_yticks([])
        ax.set_title(f"head {head + 1}", fontsize=9)
    ax = np.atleast_1d(axes)[0]
    ax.set_ylabel("query (reads this token)", fontsize=8, labelpad=9)
    ax.set_xlabel("key", fontsize=8, labelpad=9)
    verdict = "correct" if torch.equal(written[0], row[0].sort().values) else "WRONG"
    fig.suptitle(f"layer {layer}: input {''.join(map(str, row[0].tolist()))}, the model predicts "
                 f"{''.join(map(str, written[0].tolist()))} ({verdict})", fontsize=10)
    return fig


def draw_trained_attention(digits: str = "52809164", layer: int = 1) -> Figure:
    """:func:`draw_attention_maps` for the widget's own library transformer."""
    return draw_attention_maps(widget_model(), digits, layer)


def trained_attention_widget() -> widgets.VBox:
    """Type up to eight digits; choose the layer. (Trains the widget's model on first use.)"""
    return interactive_figure(
        draw_trained_attention,
        digits=widgets.Text(value="52809164", description="digits", continuous_update=False),
        layer=slider(1, 1, 2, 1, "layer", integer=True),
    )


# --- static pictures --------------------------------------------------------------------------------

def _box(ax, x: float, y: float, w: float, h: float, text: str, colour: str = "#dde8f5", fontsize: int = 9) -> None:
    ax.add_patch(Rectangle((x, y), w, h, facecolor=colour, edgecolor="black", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], lw: float = 1.0, colour: str = "black",
           alpha: float = 1.0) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, lw=lw, color=colour, alpha=alpha))


def draw_seq2seq(with_attention: bool = True, weights: tuple[float, ...] = (0.05, 0.1, 0.7, 0.15)) -> Figure:
    """An encoder-decoder RNN: one context vector fed to every decoder step, or attention, where
    the decoder's previous state s_{t-1} scores every encoder state to make a fresh context c_t."""
    fig = Figure(figsize=(10, 3.8))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    n, step = len(weights), 1.3
    for i in range(n):
        _box(ax, i * step, 0.0, 0.9, 0.6, f"$x_{i + 1}$", "#eeeeee")
        _box(ax, i * step, 1.2, 0.9, 0.6, f"$h_{i + 1}$")
        _arrow(ax, (i * step + 0.45, 0.6), (i * step + 0.45, 1.2))
        if i:
            _arrow(ax, (i * step - 0.4, 1.5), (i * step, 1.5))
    decoder_x = n * step + 1.6
    _arrow(ax, ((n - 1) * step + 0.9, 1.5), (decoder_x, 1.5))  # s_0 is made from h_T
    for t in range(4):
        x = decoder_x + t * step
        _box(ax, x, 1.2, 0.9, 0.6, f"$s_{t}$", "#f5e3d0")
        if t:
            _arrow(ax, (x - 0.4, 1.5), (x, 1.5))
            previous = "$y_0$ = start" if t == 1 else f"$y_{t - 1}$"
            _box(ax, x, 0.0, 0.9, 0.6, previous, "#eeeeee", fontsize=8)
            _arrow(ax, (x + 0.45, 0.6), (x + 0.45, 1.2))
            _box(ax, x, 2.4, 0.9, 0.5, f"$y_{t}$", "#eeeeee")
            _arrow(ax, (x + 0.45, 1.8), (x + 0.45, 2.4))
    if with_attention:
        scores_x, scores_y = 1.2, 3.25
        _box(ax, scores_x, scores_y, 2.9, 0.55, r"$e_{1,i} = f_{att}(s_0, h_i)$, $a_1 = $ softmax", "#f0e0f5",
             fontsize=8)
        for i, a in enumerate(weights):
            _arrow(ax, (i * step + 0.45, 1.8), (scores_x + 0.3 + i * 0.7, scores_y), lw=0.5 + 6 * a,
                   colour="tab:orange")
            ax.text(i * step + 0.45, 2.0, f"$a_{{1,{i + 1}}}$ = {a:.2f}", ha="center", fontsize=8, color="tab:orange")
        ax.plot([decoder_x + 0.2, decoder_x + 0.2, scores_x + 2.9], [1.8, scores_y + 0.3, scores_y + 0.3],
                c="tab:purple", lw=1.2)
        ax.text(decoder_x - 0.5, scores_y + 0.38, "$s_0$ scores", fontsize=8, color="tab:purple")
        _box(ax, decoder_x + 0.7, 3.3, 0.9, 0.5, "$c_1$", "#fff2a8")
        _arrow(ax, (scores_x + 2.9, scores_y + 0.15), (decoder_x + 0.7, 3.5))
        _arrow(ax, (decoder_x + 1.2, 3.3), (decoder_x + step + 0.15, 1.8))
        ax.text(decoder_x + step + 0.9, 3.45, r"then $s_1$ scores the $h_i$ for $c_2$, ...", fontsize=8)
        ax.set_title(r"with attention: $s_{t-1}$ scores every $h_i$; a new context $c_t = \sum_i a_{t,i} h_i$ "
                     "feeds step t", fontsize=10)
    else:
        _box(ax, decoder_x - 1.1, 3.3, 1.3, 0.5, "$c = h_T$", "#fff2a8")
        _arrow(ax, ((n - 1) * step + 0.6, 1.8), (decoder_x - 1.1, 3.45))
        for t in range(1, 4):
            _arrow(ax, (decoder_x + 0.2, 3.5), (decoder_x + t * step + 0.2, 1.8), colour="goldenrod")
        ax.set_title("without attention: the same c feeds every decoder step; all it knows of the input passes "
                     "through c", fontsize=10)
    ax.set_xlim(-0.2, decoder_x + 4 * step + 0.2)
    ax.set_ylim(-0.1, 4.0)
    ax.axis("off")
    return fig


def draw_attention_shapes(n_q: int = 3, n_x: int = 5, d_x: int = 4, d_q: int = 2, d_v: int = 3) -> Figure:
    """The general attention layer as blocks drawn to scale, each labelled with its shape."""
    fig = Figure(figsize=(11, 3.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.98)
    u = 0.32
    items = [("X", n_x, d_x, "#eeeeee"), ("Q", n_q, d_q, "#dde8f5"), ("K = X W_K", n_x, d_q, "#dde8f5"),
             ("V = X W_V", n_x, d_v, "#e3f0d8"), ("E = Q K^T / sqrt(D_Q)", n_q, n_x, "#f5e3d0"),
             ("A = softmax(E, dim=1)", n_q, n_x, "#fff2a8"), ("Y = A V", n_q, d_v, "#e3f0d8")]
    shape_names = {"X": "(N_X, D_X)", "Q": "(N_Q, D_Q)", "K = X W_K": "(N_X, D_Q)", "V = X W_V": "(N_X, D_V)",
                   "E = Q K^T / sqrt(D_Q)": "(N_Q, N_X)", "A = softmax(E, dim=1)": "(N_Q, N_X)", "Y = A V": "(N_Q, D_V)"}
    x = 0.0
    for name, rows, cols, colour in items:
        for r in range(rows):
            for c in range(cols):
                ax.add_patch(Rectangle((x + c * u, 3 - (r + 1) * u), u, u, facecolor=colour, edgecolor="0.4", lw=0.6))
        ax.text(x + cols * u / 2, 3.25, name, ha="center", fontsize=8)
        ax.text(x + cols * u / 2, 3 - rows * u - 0.25, shape_names[name], ha="center", fontsize=8, family="monospace")
        x += max(cols * u, 1.4) + 0.35
    ax.text(0, 0.3, f"here N_Q = {n_q} queries, N_X = {n_x} inputs, D_X = {d_x}, D_Q = {d_q}, D_V = {d_v}; "
            "W_K is (D_X, D_Q), W_V is (D_X, D_V)", fontsize=9)
    ax.set_xlim(-0.1, x)
    ax.set_ylim(0, 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def draw_softmax_temperature(scores: tuple[float, ...] = (2.0, 1.0, 0.5, -1.0),
                             dims: tuple[int, ...] = (4, 64, 512)) -> Figure:
    """Why divide by sqrt(D): raw dot products of random vectors grow like sqrt(D) and saturate the softmax."""
    rng = np.random.default_rng(0)
    fig, (spread, peaked) = figure_row(2, width=10.0, height=3.4)
    for d in dims:
        dots = np.sum(rng.normal(size=(4000, d)) * rng.normal(size=(4000, d)), axis=1)
        spread.hist(dots, bins=60, histtype="step", density=True, label=f"D = {d}: std {dots.std():.1f}")
    spread.set_xlabel(r"$q \cdot k$ for random $q, k$ with N(0, 1) entries")
    spread.legend(fontsize=8)
    spread.set_title(r"the spread of dot products grows like $\sqrt{D}$", fontsize=9)
    base = np.array(scores)
    for d in dims:
        scaled = np.sqrt(d) * base
        weights = np.exp(scaled - scaled.max())
        peaked.plot(weights / weights.sum(), "o-", label=rf"scores $\times \sqrt{{{d}}}$")
    peaked.set_xticks(range(len(base)))
    peaked.set_xlabel("key")
    peaked.set_ylabel("softmax weight")
    peaked.legend(fontsize=8)
    peaked.set_title("large scores make the softmax one-hot (tiny gradients)", fontsize=9)
    return fig


def draw_transformer_block() -> Figure:
    """The pre-norm transformer block, bottom to top, with its two residual connections."""
    fig = Figure(figsize=(4.6, 5.8))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    boxes = [(0.3, "x  (B, N, D)", "#eeeeee"), (1.2, "LayerNorm 1", "#f5e3d0"),
             (2.1, "multi-head self-attention", "#dde8f5"), (3.6, "LayerNorm 2", "#f5e3d0"),
             (4.5, "MLP: Linear(D, F), ReLU, Linear(F, D)", "#e3f0d8"), (6.0, "output  (B, N, D)", "#eeeeee")]
    for y, text, colour in boxes:
        _box(ax, 0.5, y, 3.0, 0.5, text, colour, fontsize=8)
    sums = [3.15, 5.55]
    for y in sums:
        ax.add_patch(Circle((2.0, y), 0.15, facecolor="white", edgecolor="black"))
        ax.text(2.0, y, "+", ha="center", va="center", fontsize=11)
    segments = [(0.8, 1.2), (1.7, 2.1), (2.6, sums[0] - 0.15), (sums[0] + 0.15, 3.6), (4.1, 4.5),
                (5.0, sums[1] - 0.15), (sums[1] + 0.15, 6.0)]
    for start, end in segments:
        _arrow(ax, (2.0, start), (2.0, end))
    for branch, target in [(0.95, sums[0]), (sums[0] + 0.25, sums[1])]:
        ax.plot([2.0, 3.9, 3.9], [branch, branch, target], c="tab:red", lw=1.2)
        _arrow(ax, (3.9, target), (2.15, target), colour="tab:red")
    ax.text(4.0, (0.95 + sums[0]) / 2, "residual", rotation=90, va="center", fontsize=8, color="tab:red")
    ax.text(4.0, (sums[0] + sums[1]) / 2, "residual", rotation=90, va="center", fontsize=8, color="tab:red")
    ax.set_xlim(0.3, 4.4)
    ax.set_ylim(0.2, 6.6)
    ax.axis("off")
    return fig


def draw_sequence_processors(n: int = 6) -> Figure:
    """Who can influence output t: an RNN (a chain), a 1-D convolution (a window), self-attention (all)."""
    fig, axes = figure_row(3, width=11.0, height=2.8)
    titles = ["RNN: O(N) sequential steps between far tokens",
              "1-D conv (k = 3): reach +(k - 1)/2 = 1 per side per layer",
              "self-attention: every pair in one step, N x N weights"]
    for ax, title in zip(axes, titles):
        ax.scatter(range(n), np.zeros(n), s=80, c="#bbbbbb", zorder=3)
        ax.scatter(range(n), np.ones(n), s=80, c="#8fb5e0", zorder=3)
        ax.set_title(title, fontsize=8)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(-0.4, 1.4)
        ax.axis("off")
    target = n - 2
    for i in range(n):
        axes[0].plot([i, i], [0, 1], c="0.6", lw=0.8)
        if i:
            axes[0].annotate("", (i, 1), (i - 1, 1), arrowprops={"arrowstyle": "-|>", "color": "tab:blue"})
    for i in range(max(0, target - 1), min(n, target + 2)):
        axes[1].plot([i, target], [0, 1], c="tab:blue", lw=1.2)
    for i in range(n):
        axes[2].plot([i, target], [0, 1], c="tab:blue", lw=1.2)
    for ax in axes:
        ax.text(target, 1.22, "t", ha="center", fontsize=9)
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("attention in the plane", lambda: draw_attention_2d(query_x=0.5, scale=2.0)),
    ("positional encoding", lambda reference: draw_positional_encoding(reference.positional_encoding, position=40)),
    ("trained attention", lambda: draw_trained_attention(digits="31415926", layer=2)),
]
