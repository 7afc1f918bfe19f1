"""Data, pictures and widgets for lecture 03, convolutional networks.

The ``draw_*`` functions compute and plot; they are pure (same arguments, same figure) and
fast, so tests call them directly and the widgets only wire controls to them. They use
library routines (``torch.nn.functional.conv2d``, ``scipy.signal``, torch autograd) rather than
the exercises' functions, so every picture except the trained network's feature maps works
before any exercise is solved.
"""
from __future__ import annotations

from functools import cache

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from scipy import signal
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.nn import functional as F

from course.widgets import dropdown, interactive_figure, slider

# --- data --------------------------------------------------------------------------------------


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    return (data.images / 16.0).astype(np.float32), data.target.astype(np.int64)


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 digits: float32 images (1797, 8, 8) scaled to [0, 1], int64 labels."""
    images, labels = _digits()
    return images.copy(), labels.copy()


def digits_split(test_fraction: float = 0.25, seed: int = 0) -> dict[str, torch.Tensor]:
    """A stratified train/test split of the digits as torch tensors.

    Keys ``x_train, x_test`` (float32, shape (N, 1, 8, 8), values in [0, 1]) and
    ``y_train, y_test`` (int64 labels 0..9).
    """
    images, labels = _digits()
    x_train, x_test, y_train, y_test = train_test_split(
        images[:, None], labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return {"x_train": torch.as_tensor(x_train), "x_test": torch.as_tensor(x_test),
            "y_train": torch.as_tensor(y_train), "y_test": torch.as_tensor(y_test)}


def _enlarged_digit(index: int, factor: int = 3) -> np.ndarray:
    """Digit ``index`` enlarged ``factor`` times with bilinear interpolation (smoother pictures)."""
    image = torch.as_tensor(_digits()[0][index])[None, None]
    return F.interpolate(image, scale_factor=factor, mode="bilinear", align_corners=False)[0, 0].numpy()


# --- widget A: kernel playground ---------------------------------------------------------------

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "edges (Laplacian)": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "vertical edges (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "horizontal edges (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=float),
}
CUSTOM = "custom (edit the grid)"


def _show_kernel(ax, kernel: np.ndarray, title: str) -> None:
    bound = max(np.abs(kernel).max(), 1e-9)
    ax.imshow(kernel, cmap="coolwarm", vmin=-bound, vmax=bound)
    for (i, j), value in np.ndenumerate(kernel):
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _show_image(ax, image: np.ndarray, title: str, signed: bool = False) -> None:
    if signed:
        bound = max(np.abs(image).max(), 1e-9)
        ax.imshow(image, cmap="coolwarm", vmin=-bound, vmax=bound)
    else:
        ax.imshow(image, cmap="gray_r")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_kernel_playground(digit: int = 0, preset: str = "vertical edges (Sobel x)",
                           k00: float = 0.0, k01: float = 0.0, k02: float = 0.0,
                           k10: float = 0.0, k11: float = 1.0, k12: float = 0.0,
                           k20: float = 0.0, k21: float = 0.0, k22: float = 0.0) -> Figure:
    """Filter digit ``digit`` with a preset 3 x 3 kernel, or with the grid values for ``CUSTOM``.

    The filtering is ``torch.nn.functional.conv2d`` (a correlation) with padding 1, so the output
    has the input's size; the right panel applies a ReLU as a convolutional layer would.
    """
    if preset == CUSTOM:
        kernel = np.array([[k00, k01, k02], [k10, k11, k12], [k20, k21, k22]], dtype=float)
    else:
        kernel = KERNELS[preset]
    image = _enlarged_digit(digit)
    output = F.conv2d(torch.as_tensor(image, dtype=torch.float64)[None, None],
                      torch.as_tensor(kernel)[None, None], padding=1)[0, 0].numpy()
    fig = Figure(figsize=(10, 2.9), layout="constrained")
    axes = fig.subplots(1, 4, width_ratios=[1, 0.7, 1, 1])
    _show_image(axes[0], image, f"digit {_digits()[1][digit]} (index {digit})")
    _show_kernel(axes[1], kernel, "kernel K")
    _show_image(axes[2], output, "feature map (K correlated with the image)", signed=True)
    _show_image(axes[3], np.maximum(output, 0), "after ReLU")
    return fig


def kernel_playground_widget() -> widgets.VBox:
    """A digit slider, a preset menu and an editable 3 x 3 grid (editing switches to 'custom').

    Choosing a preset copies its values into the grid; the grid's values reach the drawing
    through one hidden text field, so a preset change redraws once or twice, not nine times.
    """
    start = KERNELS["vertical edges (Sobel x)"]
    grid = [widgets.FloatText(value=float(v), step=0.5, layout=widgets.Layout(width="70px")) for v in start.flat]
    values = widgets.Text(value=" ".join(str(float(v)) for v in start.flat))
    preset = dropdown([*KERNELS, CUSTOM], "vertical edges (Sobel x)", "kernel")
    digit = slider(0, 0, 99, 1, "digit index", integer=True)
    applying = {"now": False}

    def copy_preset(change) -> None:
        if change["new"] == CUSTOM:
            return
        applying["now"] = True
        for control, value in zip(grid, KERNELS[change["new"]].flat):
            control.value = float(value)
        values.value = " ".join(str(control.value) for control in grid)
        applying["now"] = False

    def edited(change) -> None:
        if applying["now"]:
            return
        values.value = " ".join(str(control.value) for control in grid)
        preset.value = CUSTOM

    preset.observe(copy_preset, "value")
    for control in grid:
        control.observe(edited, "value")

    def draw(digit: int, preset: str, values: str) -> Figure:
        return draw_kernel_playground(digit, preset, *[float(v) for v in values.split()])

    box = interactive_figure(draw, digit=digit, preset=preset, values=values)
    grid_box = widgets.GridBox(grid, layout=widgets.Layout(grid_template_columns="repeat(3, 75px)"))
    box.children = (widgets.HBox([widgets.VBox([digit, preset]), grid_box]), *box.children[1:])
    return box


# --- widget B: correlation against convolution ------------------------------------------------------

FLIP_KERNELS: dict[str, np.ndarray] = {
    "shift (a single 1 off the centre)": np.array([[0, 0, 0], [0, 0, 1], [0, 0, 0]], dtype=float),
    "corner pick": np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]], dtype=float),
    "emboss": KERNELS["emboss"],
    "vertical edges (Sobel x)": KERNELS["vertical edges (Sobel x)"],
    "Gaussian blur (symmetric)": KERNELS["Gaussian blur"],
}


def draw_correlation_vs_convolution(digit: int = 0, kernel: str = "shift (a single 1 off the centre)"
                                    ) -> Figure:
    """Correlation and convolution of a digit with the same kernel, and their difference.

    Both come from ``scipy.signal`` (``correlate2d`` and ``convolve2d``, zero padding, same size).
    """
    weights = FLIP_KERNELS[kernel]
    image = _digits()[0][digit].astype(float)
    correlation = signal.correlate2d(image, weights, mode="same")
    convolution = signal.convolve2d(image, weights, mode="same")
    difference = np.abs(correlation - convolution).max()
    fig = Figure(figsize=(11, 2.5), layout="constrained")
    axes = fig.subplots(1, 6, width_ratios=[1, 0.8, 0.8, 1, 1, 1])
    _show_image(axes[0], image, "input (8 x 8)")
    _show_kernel(axes[1], weights, "K: correlation")
    _show_kernel(axes[2], weights[::-1, ::-1], "K rotated: convolution")
    _show_image(axes[3], correlation, "correlation", signed=True)
    _show_image(axes[4], convolution, "convolution", signed=True)
    _show_image(axes[5], correlation - convolution, "correlation - convolution", signed=True)
    fig.suptitle(f"largest difference between the two: {difference:.3g}"
                 + ("  (the kernel is symmetric under rotation)" if difference < 1e-12 else ""), fontsize=10)
    return fig


def correlation_vs_convolution_widget() -> widgets.VBox:
    """A digit slider and a choice of (mostly asymmetric) kernels."""
    return interactive_figure(
        draw_correlation_vs_convolution,
        digit=slider(0, 0, 99, 1, "digit index", integer=True),
        kernel=dropdown(list(FLIP_KERNELS), "shift (a single 1 off the centre)", "kernel"),
    )


# --- widget C: the receptive field across layers ------------------------------------------------------

def receptive_field_by_autograd(n_layers: int, kernel_size: int, stride: int) -> dict[str, object]:
    """Measure the receptive field of one unit of a stack of 1-D convolutions with torch autograd.

    Every layer has all-ones weights, so the gradient of the top unit with respect to a unit of
    a lower layer counts the paths between them; it is non-zero exactly inside the receptive
    field. Returns ``sizes`` (the measured field of the top unit at every layer, from the input
    up), ``paths`` (per layer, the path counts), ``centres`` (per layer, the input position each
    unit is centred on) and ``jump`` (the input distance between neighbouring top-layer units).
    """
    length = 1
    for _ in range(n_layers):  # grow the input until the top layer has 3 units
        length = length * stride + kernel_size
    length += 2 * stride ** n_layers
    activations = [torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)]
    weight = torch.ones(1, 1, kernel_size, dtype=torch.float64)
    for _ in range(n_layers):
        layer = F.conv1d(activations[-1], weight, stride=stride)
        layer.retain_grad()
        activations.append(layer)
    top = activations[-1][0, 0]
    top[top.shape[0] // 2].backward()
    paths = [a.grad[0, 0].numpy().copy() for a in activations[:-1]]
    paths.append(np.eye(1, top.shape[0], top.shape[0] // 2)[0])
    centres, offset, spacing = [], 0.0, 1
    for level in range(n_layers + 1):
        centres.append(offset + spacing * np.arange(paths[level].shape[0]))
        offset, spacing = offset + (kernel_size - 1) / 2 * spacing, spacing * stride
    sizes = [int(np.count_nonzero(p) and (np.flatnonzero(p)[-1] - np.flatnonzero(p)[0]) + 1) for p in paths]
    field = centres[0][paths[0] > 0]
    return {"paths": paths, "centres": centres, "sizes": sizes,
            "field": (float(field.min()), float(field.max())),
            "jump": int(round(centres[-1][1] - centres[-1][0]))}


def draw_receptive_field(n_layers: int = 3, kernel_size: int = 3, stride: int = 1) -> Figure:
    """The cone of units that feed one unit at the top of a stack of equal convolutions."""
    result = receptive_field_by_autograd(n_layers, kernel_size, stride)
    fig = Figure(figsize=(10.5, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    low, high = result["field"]
    for level, (paths, centres) in enumerate(zip(result["paths"], result["centres"])):
        inside = paths > 0
        left.scatter(centres[~inside], np.full((~inside).sum(), level), s=10, c="0.85")
        left.scatter(centres[inside], np.full(inside.sum(), level), s=18, c=paths[inside], cmap="viridis")
    left.axvspan(low - 0.5, high + 0.5, color="tab:orange", alpha=0.12)
    left.set_yticks(range(n_layers + 1), ["input"] + [f"layer {i}" for i in range(1, n_layers + 1)])
    left.set_xlim(low - 0.15 * (high - low) - 3, high + 0.15 * (high - low) + 3)
    left.set_xlabel("input position (colour: number of paths to the top unit; grey: no path)")
    left.set_title(f"{n_layers} layers, kernel {kernel_size}, stride {stride}: receptive field "
                   f"{result['sizes'][0]} pixels, jump {result['jump']}", fontsize=9)
    left.plot(np.arange(n_layers + 1) * 0 + (low + high) / 2, np.arange(n_layers + 1), c="0.6", lw=0.5)
    sizes = result["sizes"][::-1]
    right.bar(range(n_layers + 1), sizes, color="tab:orange")
    right.set_xticks(range(n_layers + 1), ["0"] + [str(i) for i in range(1, n_layers + 1)])
    right.set_xlabel("number of layers")
    right.set_ylabel("receptive field (pixels)")
    right.set_title("growth, layer by layer", fontsize=9)
    for i, size in enumerate(sizes):
        right.text(i, size, str(size), ha="center", va="bottom", fontsize=8)
    return fig


def receptive_field_widget() -> widgets.VBox:
    """Sliders for the number of layers, the kernel size and the stride."""
    return interactive_figure(
        draw_receptive_field,
        n_layers=slider(3, 1, 5, 1, "layers", integer=True),
        kernel_size=slider(3, 1, 7, 1, "kernel size", integer=True),
        stride=slider(1, 1, 2, 1, "stride", integer=True),
    )


# --- widget D: feature maps of a trained network ---------------------------------------------------------

def draw_feature_maps(model: torch.nn.Module, image: torch.Tensor, label: int | None = None,
                      channels: int = 8) -> Figure:
    """The input, the first ``channels`` ReLU feature maps of every Conv2d layer and the prediction.

    ``image`` is a float32 tensor (1, 8, 8). Works with any model made of ``torch.nn.Conv2d``
    layers (it records their outputs with forward hooks).
    """
    maps: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: maps.append(F.relu(out)))
             for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            probabilities = torch.softmax(model(image[None]), dim=1)[0].numpy()
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    fig = Figure(figsize=(11, 1.1 * len(maps) + 1.4), layout="constrained")
    grid = fig.add_gridspec(len(maps), 3, width_ratios=[1, 6, 1.2])
    _show_image(fig.add_subplot(grid[:, 0]), image[0].numpy(),
                "input" + (f" (label {label})" if label is not None else ""))
    for row, output in enumerate(maps):
        ax = fig.add_subplot(grid[row, 1])
        shown = output[0, :channels].numpy()
        size = shown.shape[-1]
        mosaic = np.full((size, shown.shape[0] * (size + 1) - 1), np.nan)
        for k, feature_map in enumerate(shown):  # side by side, one blank column in between
            scale = feature_map.max()
            mosaic[:, k * (size + 1):k * (size + 1) + size] = feature_map / scale if scale > 0 else 0.0
        ax.imshow(mosaic, cmap="magma", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"conv {row + 1}: first {shown.shape[0]} of {output.shape[1]} ReLU maps, "
                     f"{size} x {size} (each scaled to its maximum)", fontsize=9)
    ax = fig.add_subplot(grid[:, 2])
    ax.barh(range(10), probabilities, color="tab:blue")
    ax.set_yticks(range(10))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_title(f"predicted {int(probabilities.argmax())}", fontsize=9)
    return fig


def feature_maps_widget(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> widgets.VBox:
    """A slider over ``images`` (N, 1, 8, 8) showing the trained ``model``'s feature maps."""
    def draw(index: int) -> Figure:
        return draw_feature_maps(model, images[index], int(labels[index]))
    return interactive_figure(draw, index=slider(0, 0, len(images) - 1, 1, "test image", integer=True))


def draw_digit_examples(n: int = 12) -> Figure:
    """The first ``n`` digits of the data set with their labels."""
    images, labels = _digits()
    fig = Figure(figsize=(n * 0.8, 1.2), layout="constrained")
    for ax, image, label in zip(fig.subplots(1, n), images, labels):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    return fig
