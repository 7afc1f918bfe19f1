"""Data, pictures and widgets for lecture 02, backpropagation and optimizers.

The ``draw_*`` functions compute and plot; they are pure (same arguments, same figure) and
fast, so tests call them directly and the widgets only wire sliders to them. Gradients come
from ``torch.autograd`` and trajectories from ``torch.optim``, never from the exercises, so
every picture works before any exercise is solved.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib
import matplotlib.ticker
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course.widgets import FIXED_TITLE, dropdown, interactive_figure, plain_log_ticks, slider

# --- small helpers ------------------------------------------------------------------------------


def _number(value: float) -> str:
    """A short label for a value that may be tiny or huge."""
    if not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e6:
        return f"{value:,.6g}"
    return f"{value:.4g}"


def wave_data(n: int = 64, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` inputs uniform on [-2, 2] (shape (n, 1)) and targets sin(2x) + noise (shape (n, 1))."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, size=n))[:, None]
    return x, np.sin(2 * x) + noise * rng.normal(size=(n, 1))


def draw_loss_curves(curves: dict[str, np.ndarray], title: str = "", ylabel: str = "loss") -> Figure:
    """One line per entry of ``curves`` (name -> losses per step) on a log scale; NaN/inf are cut."""
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, losses in curves.items():
        losses = np.asarray(losses, dtype=float)
        shown = np.where(np.isfinite(losses) & (losses < 1e30), losses, np.nan)
        ax.semilogy(np.arange(len(losses)), shown, "o-" if len(losses) <= 60 else "-", ms=3, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def draw_fit(x: np.ndarray, y: np.ndarray, grid: np.ndarray, prediction: np.ndarray,
             losses: np.ndarray) -> Figure:
    """Training points, a fitted curve on ``grid`` and the loss curve of the training run."""
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.scatter(np.ravel(x), np.ravel(y), s=12, label="training points")
    left.plot(np.ravel(grid), np.ravel(prediction), c="tab:red", lw=2, label="network")
    left.legend(fontsize=8)
    right.semilogy(np.asarray(losses))
    right.set_xlabel("step")
    right.set_ylabel("training MSE")
    return fig


# --- widget A: the worked example as a computational graph ------------------------------------------

def worked_example_graph(x: float, y: float, theta1: float, theta2: float) -> dict[str, tuple[float, float]]:
    """Every node of y_hat = theta2 x + theta1, loss = (y_hat - y)^2: name -> (value, dloss/dnode).

    The derivatives come from torch.autograd (``retain_grad`` on the inner nodes).
    """
    leaves = {name: torch.tensor(float(value), dtype=torch.float64, requires_grad=True)
              for name, value in [("x", x), ("y", y), ("theta1", theta1), ("theta2", theta2)]}
    c1 = leaves["theta2"] * leaves["x"]
    y_hat = c1 + leaves["theta1"]
    c2 = y_hat - leaves["y"]
    loss = c2 ** 2
    inner = {"c1": c1, "y_hat": y_hat, "c2": c2, "loss": loss}
    for node in inner.values():
        node.retain_grad()
    loss.backward()
    return {name: (node.item(), node.grad.item()) for name, node in {**leaves, **inner}.items()}


_NODES = {  # name: (label, centre x, centre y, is an operation)
    "x": ("x", 1.0, 5.0, False),
    "theta2": ("θ₂", 1.0, 3.2, False),
    "theta1": ("θ₁", 1.0, 1.0, False),
    "c1": ("c₁ = θ₂·x", 4.9, 4.1, True),
    "y_hat": ("ŷ = c₁ + θ₁", 8.8, 2.7, True),
    "y": ("y", 8.8, 0.5, False),
    "c2": ("c₂ = ŷ − y", 12.7, 1.9, True),
    "loss": ("ℓ = c₂²", 16.4, 1.9, True),
}
_EDGES = [("x", "c1", "∂c₁/∂x = θ₂"), ("theta2", "c1", "∂c₁/∂θ₂ = x"), ("c1", "y_hat", "∂ŷ/∂c₁ = 1"),
          ("theta1", "y_hat", "∂ŷ/∂θ₁ = 1"), ("y_hat", "c2", "∂c₂/∂ŷ = 1"), ("y", "c2", "∂c₂/∂y = −1"),
          ("c2", "loss", "∂ℓ/∂c₂ = 2c₂")]
_BOX_W, _BOX_H = 2.1, 1.1


def draw_worked_example(x: float = 2500.0, y: float = 45000.0, theta1: float = 0.0, theta2: float = 1.0,
                        log10_lr: float = -2.0) -> Figure:
    """The worked example's graph: forward values (black) and backward gradients (red) at every node.

    The footer shows what one SGD step with learning rate ``10**log10_lr`` does to the loss.
    """
    nodes = worked_example_graph(x, y, theta1, theta2)
    fig = Figure(figsize=(12, 4.4))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.94)
    ax.set_xlim(-0.2, 17.6)
    ax.set_ylim(-1.2, 6.0)
    ax.axis("off")
    for start, end, local in _EDGES:
        (_, x0, y0, _), (_, x1, y1, _) = _NODES[start], _NODES[end]
        ax.add_patch(FancyArrowPatch((x0 + _BOX_W / 2, y0), (x1 - _BOX_W / 2, y1), arrowstyle="-|>",
                                     mutation_scale=12, color="0.35", lw=1.2))
        ax.text(0.5 * (x0 + x1), 0.5 * (y0 + y1), local, fontsize=7.5, color="tab:blue", ha="center",
                va="center", bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1})
    for name, (label, cx, cy, is_op) in _NODES.items():
        value, grad = nodes[name]
        ax.add_patch(FancyBboxPatch((cx - _BOX_W / 2, cy - _BOX_H / 2), _BOX_W, _BOX_H,
                                    boxstyle="round,pad=0.05", fc="#fff7e0" if is_op else "#e8f1fb",
                                    ec="0.3", lw=1.2))
        ax.text(cx, cy + 0.3, label, ha="center", va="center", fontsize=10, weight="bold")
        ax.text(cx, cy, _number(value), ha="center", va="center", fontsize=9)
        ax.text(cx, cy - 0.3, "∂ℓ/∂· = " + _number(grad), ha="center", va="center", fontsize=8.5,
                color="tab:red")
    lr = 10.0 ** log10_lr
    new_theta1 = theta1 - lr * nodes["theta1"][1]
    new_theta2 = theta2 - lr * nodes["theta2"][1]
    new_loss = (new_theta2 * x + new_theta1 - y) ** 2
    ax.text(0.0, -0.9, f"one SGD step with α = {lr:.3g}:  θ₁ → {_number(new_theta1)},  θ₂ → {_number(new_theta2)},"
            f"  loss {_number(nodes['loss'][0])} → {_number(new_loss)}"
            + ("  (worse!)" if new_loss > nodes["loss"][0] else ""), fontsize=9.5)
    ax.set_title("forward values in black, backward gradients ∂ℓ/∂node in red, local derivatives in blue",
                 fontsize=9)
    return fig


def worked_example_widget() -> widgets.VBox:
    """Sliders for the input, the target, both parameters and the learning rate of one SGD step."""
    return interactive_figure(
        draw_worked_example,
        x=slider(2500.0, -5000.0, 5000.0, 0.5, "x"),  # fine steps: 2.5 and 45 must be reachable
        y=slider(45000.0, -100000.0, 100000.0, 5.0, "y"),
        theta1=slider(0.0, -10000.0, 10000.0, 100.0, "θ₁"),
        theta2=slider(1.0, -20.0, 20.0, 0.1, "θ₂"),
        log10_lr=slider(-2.0, -10.0, 0.0, 0.5, "log10 α"),
    )


# --- gate patterns: how add, multiply and max pass a gradient back -----------------------------------

GATES = {"add": lambda a, b: a + b, "multiply": lambda a, b: a * b, "max": torch.maximum}


def gate_gradients(gate: str, a: float, b: float, upstream: float) -> tuple[float, float, float]:
    """The gate's output and the gradients its two inputs receive for ``upstream`` = dloss/doutput."""
    inputs = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in (a, b)]
    out = GATES[gate](*inputs)
    out.backward(torch.tensor(float(upstream), dtype=torch.float64))
    return out.item(), inputs[0].grad.item(), inputs[1].grad.item()


def draw_gate_patterns(a: float = 3.0, b: float = -2.0, upstream: float = 2.0) -> Figure:
    """Three gates side by side, each with its inputs' values (black) and gradients (red)."""
    fig = Figure(figsize=(11, 2.8))
    axes = fig.subplots(1, 3)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.05)
    readings = {"add": "add distributes: both inputs get the upstream gradient",
                "multiply": "multiply swaps: each input gets upstream × the other input",
                "max": "max routes: only the larger input gets the gradient"}
    for ax, gate in zip(axes, GATES):
        out, grad_a, grad_b = gate_gradients(gate, a, b, upstream)
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 6)
        ax.axis("off")
        ax.set_title(readings[gate], fontsize=8.5)
        for (y, name, value, grad) in [(4.6, "a", a, grad_a), (1.4, "b", b, grad_b)]:
            ax.add_patch(FancyArrowPatch((1.6, y), (5.0, 3.0), arrowstyle="-|>", mutation_scale=12, color="0.35"))
            ax.text(1.0, y + 0.45, f"{name} = {_number(value)}", ha="center", fontsize=10)
            ax.text(1.0, y - 0.55, f"∂ℓ/∂{name} = {_number(grad)}", ha="center", fontsize=9.5, color="tab:red")
        ax.add_patch(FancyBboxPatch((5.0, 2.4), 1.6, 1.2, boxstyle="round,pad=0.05", fc="#fff7e0", ec="0.3"))
        ax.text(5.8, 3.0, {"add": "+", "multiply": "×", "max": "max"}[gate], ha="center", va="center",
                fontsize=12, weight="bold")
        ax.add_patch(FancyArrowPatch((6.7, 3.0), (9.6, 3.0), arrowstyle="-|>", mutation_scale=12, color="0.35"))
        ax.text(8.2, 3.4, _number(out), ha="center", fontsize=10)
        ax.text(8.2, 2.2, f"upstream {_number(upstream)}", ha="center", fontsize=9.5, color="tab:red")
    return fig


# --- why reverse mode: what a gradient costs ----------------------------------------------------------

def median_seconds(function: Callable[[], object], repeats: int = 5) -> float:
    """The median wall-clock time of ``function()`` over ``repeats`` calls (one warm-up call first)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def tanh_stack(n_inputs: int, width: int = 64, depth: int = 3, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Weights of a scalar function f(x) = readout . tanh(W_depth ... tanh(W_1 x)) of ``n_inputs`` inputs."""
    rng = np.random.default_rng(seed)
    sizes = [n_inputs] + [width] * depth
    weights = [rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in) for fan_in, fan_out in zip(sizes, sizes[1:])]
    return weights, rng.normal(size=width) / np.sqrt(width)


def forward_mode_gradient(weights: list[np.ndarray], readout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient of the tanh stack at x in forward mode: one pass per input direction e_i,
    each carrying a value and its derivative along e_i (a Jacobian-vector product) to the output."""
    grad = np.empty(x.size)
    for i in range(x.size):
        value, tangent = x, np.eye(1, x.size, i)[0]
        for W in weights:
            value = np.tanh(W @ value)
            tangent = (1.0 - value ** 2) * (W @ tangent)
        grad[i] = readout @ tangent
    return grad


def reverse_mode_gradient(weights: list[np.ndarray], readout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The same gradient in reverse mode: one forward pass that keeps the values, then one
    backward pass that pulls the output's derivative back (a vector-Jacobian product)."""
    values = [x]
    for W in weights:
        values.append(np.tanh(W @ values[-1]))
    grad = readout
    for W, value in zip(reversed(weights), reversed(values[1:])):
        grad = W.T @ ((1.0 - value ** 2) * grad)
    return grad


def forward_and_reverse_mode_seconds(n_inputs: int, repeats: int = 3, seed: int = 0) -> tuple[float, float]:
    """Seconds for the full gradient of the tanh stack with ``n_inputs`` inputs, in forward and in reverse mode."""
    weights, readout = tanh_stack(n_inputs, seed=seed)
    x = np.random.default_rng(seed + 1).normal(size=n_inputs)
    assert np.allclose(forward_mode_gradient(weights, readout, x), reverse_mode_gradient(weights, readout, x))
    return (median_seconds(lambda: forward_mode_gradient(weights, readout, x), repeats),
            median_seconds(lambda: reverse_mode_gradient(weights, readout, x), repeats))


def draw_cost_of_gradients(sizes: list[int], curves: dict[str, list[float]], xlabel: str, title: str) -> Figure:
    """Seconds per gradient against a size, one line per method, on log-log axes."""
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, seconds in curves.items():
        ax.loglog(sizes, seconds, "o-", ms=4, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("seconds per gradient")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


# --- depth and initialisation -------------------------------------------------------------------------

INITIALISATIONS = {  # name -> standard deviation of every weight, given the fan-in
    "naive, std 0.01": lambda fan_in: 0.01,
    "naive, std 1": lambda fan_in: 1.0,
    "Xavier, std sqrt(1/fan_in)": lambda fan_in: (1.0 / fan_in) ** 0.5,
    "He, std sqrt(2/fan_in)": lambda fan_in: (2.0 / fan_in) ** 0.5,
}


def deep_stack_statistics(activation: str, init: str, depth: int = 20, width: int = 128, batch: int = 64,
                          seed: int = 0) -> dict[str, np.ndarray]:
    """Forward activation sizes and backward gradient sizes, layer by layer, of a deep stack
    h_l = act(h_(l-1) W_l^T) (no biases) on standard-normal inputs, with a random linear read-out
    as the loss, so the gradient arriving at the top has the same size for every initialisation.

    Returns {"activation std": (depth,), "gradient norm": (depth,)}: the standard deviation of
    each layer's output h_l and the norm of dloss/dh_l, the gradient the backward pass brings to
    that layer (each example's row norm, averaged over the batch). Computed in numpy; the
    backward pass is checked against torch.autograd in tests/prompts.
    """
    rng = np.random.default_rng(seed)
    std = INITIALISATIONS[init](width)
    weights = [rng.normal(size=(width, width)) * std for _ in range(depth)]
    h = rng.normal(size=(batch, width))
    readout = rng.normal(size=width) / np.sqrt(width)
    outputs = []
    for W in weights:
        h = np.tanh(h @ W.T) if activation == "tanh" else np.maximum(h @ W.T, 0.0)
        outputs.append(h)
    grad = np.tile(readout, (batch, 1))  # loss = sum over the batch of h_depth . readout
    grads = [grad]
    for W, out in zip(weights[:0:-1], outputs[-1:0:-1]):
        local = 1.0 - out ** 2 if activation == "tanh" else (out > 0).astype(float)
        grad = (grad * local) @ W
        grads.append(grad)
    grads.reverse()
    return {"activation std": np.array([out.std() for out in outputs]),
            "gradient norm": np.array([np.linalg.norm(g, axis=1).mean() for g in grads])}


def depth_and_initialisation(depth: int = 20, width: int = 128) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """``deep_stack_statistics`` for tanh and ReLU stacks and every initialisation, keyed (activation, init)."""
    return {(activation, init): deep_stack_statistics(activation, init, depth, width)
            for activation in ("tanh", "relu") for init in INITIALISATIONS}


def draw_depth_and_initialisation(statistics: dict[tuple[str, str], dict[str, np.ndarray]],
                                  width: int = 128) -> Figure:
    """Activation sizes (top) and backward gradient sizes (bottom) per layer, from ``depth_and_initialisation``."""
    fig = Figure(figsize=(11, 5.6), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for column, activation in enumerate(["tanh", "relu"]):
        for init in INITIALISATIONS:
            stats = statistics[(activation, init)]
            layers = np.arange(1, len(stats["activation std"]) + 1)
            axes[0, column].semilogy(layers, stats["activation std"], "o-", ms=3, label=init)
            axes[1, column].semilogy(layers, stats["gradient norm"], "o-", ms=3, label=init)
        axes[0, column].set_title(f"{activation} stack, width {width}: std of each layer's output", fontsize=9)
        axes[1, column].set_title(f"{activation} stack: norm of dloss/dh, the gradient reaching each layer",
                                  fontsize=9)
        axes[1, column].set_xlabel("layer l")
        axes[1, column].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=8)
    return fig


# --- a classification data set ------------------------------------------------------------------------

def spiral_data(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``n_classes`` interleaved spiral arms: inputs (N, 2) and int labels (N,)."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = labels * 2 * np.pi / n_classes + 4.0 * radius + noise * rng.normal(size=radius.size)
    return np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1), labels


def draw_classifier(x: np.ndarray, labels: np.ndarray, grid_u: np.ndarray, grid_v: np.ndarray,
                    grid_classes: np.ndarray, losses: np.ndarray) -> Figure:
    """The predicted class on a grid (shaded), the labelled points, and the training loss."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.3])
    left.contourf(grid_u, grid_v, grid_classes, levels=np.arange(-0.5, labels.max() + 1), cmap="Pastel1", alpha=0.9)
    left.scatter(x[:, 0], x[:, 1], c=labels, cmap="Set1", s=10, vmin=0, vmax=8)
    left.set_aspect("equal")
    left.set_title("decision regions of the trained network", fontsize=9)
    right.semilogy(np.asarray(losses))
    right.set_xlabel("step")
    right.set_ylabel("training cross-entropy")
    return fig


# --- widget B: optimizers racing on an ill-conditioned quadratic ------------------------------------

SURFACES = {"valley along the axes": 0.0, "tilted valley": 30.0}
START = np.array([-4.0, 2.0])
OPTIMIZER_COLOURS = {"SGD": "tab:blue", "momentum": "tab:orange", "RMSProp": "tab:green", "Adam": "tab:red"}


def quadratic_hessian(condition: float, angle_degrees: float) -> np.ndarray:
    """The 2 x 2 curvature matrix of the loss 0.5 theta^T H theta: eigenvalues 1 and ``condition``."""
    angle = np.deg2rad(angle_degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotation @ np.diag([1.0, condition]) @ rotation.T


ADAM_GAMMA_V = 0.9  # Adam's decay of the gradient average in the race (its usual value)


def optimizer_race(lr: float, beta: float, gamma: float, steps: int, surface: str = "valley along the axes",
                   condition: float = 25.0) -> dict[str, np.ndarray]:
    """Trajectories (shape (steps + 1, 2)) of four torch.optim optimizers from the same start.

    ``beta`` is the momentum of SGD with momentum; ``gamma`` is the squared-gradient decay of
    RMSProp (its gamma) and Adam (its gamma_s); Adam's gamma_v is ``ADAM_GAMMA_V``. The loss is
    0.5 theta^T H theta.
    """
    hessian = torch.as_tensor(quadratic_hessian(condition, SURFACES[surface]))
    # foreach=False: one small tensor, so the single-tensor update is the faster path
    makers = {
        "SGD": lambda p: torch.optim.SGD([p], lr=lr, foreach=False),
        "momentum": lambda p: torch.optim.SGD([p], lr=lr, momentum=beta, foreach=False),
        "RMSProp": lambda p: torch.optim.RMSprop([p], lr=lr, alpha=gamma, eps=1e-8, foreach=False),
        "Adam": lambda p: torch.optim.Adam([p], lr=lr, betas=(ADAM_GAMMA_V, gamma), eps=1e-8, foreach=False),
    }
    paths = {}
    for name, make in makers.items():
        point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
        optimizer = make(point)
        path = np.empty((steps + 1, 2))
        path[0] = START
        for step in range(steps):
            with torch.no_grad():
                point.grad = hessian @ point  # the exact gradient of the quadratic
            optimizer.step()
            path[step + 1] = point.detach().numpy()
            if not np.all(np.abs(path[step + 1]) < 1e3):
                path[step + 1:] = np.nan
                break
        paths[name] = path
    return paths


def first_step_sizes(paths: dict[str, np.ndarray]) -> dict[str, float]:
    """The largest distance any one coordinate moves in each optimizer's first step."""
    return {name: float(np.max(np.abs(path[1] - path[0]))) for name, path in paths.items()}


def draw_optimizer_race(log10_lr: float = -1.7, beta: float = 0.8, gamma: float = 0.99, steps: int = 100,
                        surface: str = "valley along the axes") -> Figure:
    """The four optimizers' paths on the loss contours, and their losses per step."""
    condition = 25.0
    hessian = quadratic_hessian(condition, SURFACES[surface])
    lr = 10.0 ** log10_lr
    paths = optimizer_race(lr, beta, gamma, steps, surface, condition)
    fig = Figure(figsize=(11, 4.2))  # fixed margins: constrained layout would double the redraw time
    with matplotlib.rc_context(FIXED_TITLE):
        left, right = fig.subplots(1, 2, width_ratios=[1.4, 1])
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.12, top=0.92, wspace=0.18)
    u, v = np.meshgrid(np.linspace(-5, 5, 81), np.linspace(-3, 3, 61))
    grid = np.stack([u, v], axis=-1)
    loss_grid = 0.5 * np.einsum("...i,ij,...j->...", grid, hessian, grid)
    left.contour(u, v, loss_grid, levels=np.geomspace(0.02, 200, 14), colors="0.75", linewidths=0.8)
    left.plot(0, 0, "k*", ms=12)
    first_steps = first_step_sizes(paths)
    for name, path in paths.items():
        left.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.2, color=OPTIMIZER_COLOURS[name], label=name)
        losses = 0.5 * np.einsum("ti,ij,tj->t", path, hessian, path)
        final = losses[-1]
        right.semilogy(losses, color=OPTIMIZER_COLOURS[name],
                       label=f"{name}: " + ("diverged" if not np.isfinite(final) else f"{final:.2g}")
                       + f", step 1: {first_steps[name]:.4g}")
    left.set_xlim(-5, 5)
    left.set_ylim(-3, 3)
    left.set_xticks([-4, 0, 4])  # few ticks: each label is a text to lay out on every redraw
    left.set_yticks([-2, 0, 2])
    left.set_aspect("equal")
    left.set_title(f"loss 0.5 θᵀHθ, curvatures 1 and {condition:g}; α = {lr:.3g}, β = {beta:g}, γ = {gamma:g}",
                   fontsize=9)
    right.set_title(f"legend: final loss, step 1: largest move of a coordinate; Adam γ_v = {ADAM_GAMMA_V:g}",
                    fontsize=8)
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.set_ylim(1e-8, 1e4)
    plain_log_ticks(right.yaxis)
    # one legend for both panels (the colours are the same); fixed: "best" tests every point of every curve
    right.legend(fontsize=8, loc="lower left")
    return fig


def optimizer_race_widget() -> widgets.VBox:
    """Sliders for the learning rate, the momentum, the decay gamma, the number of steps and the surface."""
    return interactive_figure(
        draw_optimizer_race,
        log10_lr=slider(-1.7, -3.0, 0.0, 0.1, "log10 α"),
        beta=slider(0.8, 0.0, 0.99, 0.01, "momentum β"),
        gamma=slider(0.99, 0.5, 0.999, 0.001, "decay γ", readout_format=".3f"),
        steps=slider(100, 10, 300, 10, "steps", integer=True),
        surface=dropdown(list(SURFACES), "valley along the axes", "surface"),
    )


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("worked example", lambda: draw_worked_example(theta2=1.5)),
    ("optimizer race", lambda: draw_optimizer_race(log10_lr=-1.5, beta=0.9)),
]
