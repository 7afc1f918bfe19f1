"""Data, pictures and widgets for lecture 03, convolutional networks.

The ``draw_*`` functions compute and plot; they are pure (same arguments, same figure) and
fast, so tests call them directly and the widgets only wire controls to them. They use
library routines (``torch.nn.functional.conv2d``, ``scipy.signal``, torch autograd) rather than
the exercises' functions, so every picture works before any exercise is solved; the feature
maps come from a small network of the widget's own that torch trains in a few seconds.
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

from course.runtime import full_or_quick
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


def digits_splits(seed: int = 0) -> dict[str, torch.Tensor]:
    """Training, validation and test sets of the digits as torch tensors (stratified, seeded).

    The test set is the quarter :func:`digits_split` holds out; a fifth of the rest is the
    validation set. Keys ``x_train, x_val, x_test`` (float32, (N, 1, 8, 8)) and ``y_train,
    y_val, y_test`` (int64).
    """
    data = digits_split(0.25, seed)
    x_train, x_val, y_train, y_val = train_test_split(
        data["x_train"].numpy(), data["y_train"].numpy(), test_size=0.2, random_state=seed,
        stratify=data["y_train"].numpy())
    return {"x_train": torch.as_tensor(x_train), "y_train": torch.as_tensor(y_train),
            "x_val": torch.as_tensor(x_val), "y_val": torch.as_tensor(y_val),
            "x_test": data["x_test"], "y_test": data["y_test"]}


def shift_images(images: torch.Tensor, down: int, right: int) -> torch.Tensor:
    """A new batch (..., H, W) with every image moved ``down`` rows and ``right`` columns.

    Pixels that leave the image are dropped and the vacated ones are 0 (the background), so
    nothing wraps around. Negative values move up or left.
    """
    out = torch.zeros_like(images)
    height, width = images.shape[-2:]
    if abs(down) >= height or abs(right) >= width:
        return out
    out[..., max(down, 0):height + min(down, 0), max(right, 0):width + min(right, 0)] = \
        images[..., max(-down, 0):height - max(down, 0), max(-right, 0):width - max(right, 0)]
    return out


def random_shifts(max_shift: int, generator: torch.Generator):
    """An ``augment`` function: each image of a batch moved by its own random offset.

    The offsets down and right are drawn uniformly from -max_shift..max_shift with ``generator``.
    """
    def augment(images: torch.Tensor) -> torch.Tensor:
        offsets = torch.randint(-max_shift, max_shift + 1, (len(images), 2), generator=generator).tolist()
        return torch.stack([shift_images(image, down, right) for image, (down, right) in zip(images, offsets)])
    return augment


def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of ``images`` that ``model`` (put in evaluation mode) classifies correctly."""
    model.eval()
    with torch.no_grad():
        return float((model(images).argmax(dim=1) == labels).float().mean())


SHIFTS = (0, 1, 2)


def shift_accuracies(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                     shifts: tuple[int, ...] = SHIFTS) -> dict[str, float]:
    """Accuracy on the images moved right and moved down by each of ``shifts`` pixels.

    Keys ``"none"`` (shift 0) and ``"1 px right"``, ``"1 px down"``, ... for the others.
    """
    result = {}
    for pixels in shifts:
        if pixels == 0:
            result["none"] = accuracy(model, images, labels)
            continue
        result[f"{pixels} px right"] = accuracy(model, shift_images(images, 0, pixels), labels)
        result[f"{pixels} px down"] = accuracy(model, shift_images(images, pixels, 0), labels)
    return result


def shift_table(rows: dict[str, dict[str, float]]) -> str:
    """A plain-text table: one row per model, one column per shift, accuracies in per cent."""
    columns = list(next(iter(rows.values())))
    width = max(len(name) for name in rows) + 2
    lines = ["model".ljust(width) + "".join(f"{column:>12s}" for column in columns)]
    for name, accuracies in rows.items():
        lines.append(name.ljust(width) + "".join(f"{100 * accuracies[c]:11.1f}%" for c in columns))
    return "\n".join(lines)


def draw_shifted_digits(index: int = 0) -> Figure:
    """A test digit and its copies moved 1 and 2 pixels right and down (zeros fill in)."""
    image = torch.as_tensor(_digits()[0][index])
    moves = [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
    fig = Figure(figsize=(7.5, 1.8))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.1)
    for ax, (down, right) in zip(fig.subplots(1, len(moves)), moves):
        ax.imshow(shift_images(image, down, right).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title("original" if (down, right) == (0, 0) else f"{down} down, {right} right", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


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


def kernel_response(digit: int, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What widget A computes: the enlarged digit and its correlation with ``kernel`` (padding 1)."""
    image = _enlarged_digit(digit)
    output = F.conv2d(torch.as_tensor(image, dtype=torch.float64)[None, None],
                      torch.as_tensor(np.asarray(kernel, dtype=float))[None, None], padding=1)[0, 0].numpy()
    return image, output


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
    image, output = kernel_response(digit, kernel)
    fig = Figure(figsize=(10, 2.9))
    axes = fig.subplots(1, 4, width_ratios=[1, 0.7, 1, 1])
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.1)  # fixed: fast redraws
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


def correlation_and_convolution(digit: int, kernel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What widget B computes: digit ``digit`` (8 x 8), its correlation and its convolution with a kernel."""
    weights = FLIP_KERNELS[kernel]
    image = _digits()[0][digit].astype(float)
    return image, signal.correlate2d(image, weights, mode="same"), signal.convolve2d(image, weights, mode="same")


def draw_correlation_vs_convolution(digit: int = 0, kernel: str = "shift (a single 1 off the centre)"
                                    ) -> Figure:
    """Correlation and convolution of a digit with the same kernel, and their difference.

    Both come from ``scipy.signal`` (``correlate2d`` and ``convolve2d``, zero padding, same size).
    """
    weights = FLIP_KERNELS[kernel]
    image, correlation, convolution = correlation_and_convolution(digit, kernel)
    difference = np.abs(correlation - convolution).max()
    fig = Figure(figsize=(11, 2.5))
    axes = fig.subplots(1, 6, width_ratios=[1, 0.8, 0.8, 1, 1, 1])
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.15)  # fixed: fast redraws
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
    fig = Figure(figsize=(10.5, 3.8))
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.92, wspace=0.18)  # fixed: fast redraws
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
    height = 1.1 * len(maps) + 1.4
    fig = Figure(figsize=(11, height))
    grid = fig.add_gridspec(len(maps), 3, width_ratios=[1, 6, 1.2], left=0.01, right=0.99, bottom=0.1 / height,
                            top=1 - 0.35 / height, wspace=0.08, hspace=0.45 / 1.1)  # fixed: fast redraws
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


FEATURE_EPOCHS = 6


@cache
def demo_cnn(seed: int = 0, epochs: int = FEATURE_EPOCHS) -> torch.nn.Sequential:
    """A small CNN of the widget's own, trained by torch with Adam on the digits' training split.

    Two 3 x 3 convolutions with ReLU (8 channels, then 16 with stride 2 in place of pooling) and
    a dense layer to 10 logits. Training takes a few seconds on a CPU; the result is cached.
    """
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 10))
    data = digits_split(0.25, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    with torch.enable_grad():  # the widget may be built inside a no_grad block
        for _ in range(epochs):
            for batch in torch.randperm(len(data["x_train"]), generator=generator).split(64):
                optimizer.zero_grad()
                F.cross_entropy(model(data["x_train"][batch]), data["y_train"][batch]).backward()
                optimizer.step()
    return model.eval()


def demo_cnn_accuracy(seed: int = 0) -> float:
    """Test accuracy of :func:`demo_cnn` on the held-out quarter of the digits."""
    data, model = digits_split(0.25, seed), demo_cnn(seed)
    with torch.no_grad():
        return float((model(data["x_test"]).argmax(dim=1) == data["y_test"]).float().mean())


def feature_maps_widget(model: torch.nn.Module | None = None, images: torch.Tensor | None = None,
                        labels: torch.Tensor | None = None) -> widgets.VBox:
    """A slider over test digits showing a trained model's feature maps.

    Without arguments it uses :func:`demo_cnn` and the held-out digits, so it works before
    anything is solved; pass your own trained model (and images, labels) to look inside it.
    """
    model = demo_cnn(0, full_or_quick(FEATURE_EPOCHS, 1)) if model is None else model
    if images is None or labels is None:
        data = digits_split(0.25, 0)
        images, labels = data["x_test"], data["y_test"]

    def draw(index: int) -> Figure:
        return draw_feature_maps(model, images[index], int(labels[index]))
    return interactive_figure(draw, index=slider(0, 0, len(images) - 1, 1, "test image", integer=True))


# --- static pictures: im2col and the network's receptive fields -------------------------------------

def pooled_unit_fields() -> np.ndarray:
    """Which of the 8 x 8 input pixels each unit after the digits CNN's second pooling layer sees.

    Boolean array (2, 2, 8, 8): [i, j] is the field of the unit at position (i, j) of the final
    2 x 2 map, computed by torch autograd through the layer sequence 3 x 3 convolution (padding 1),
    2 x 2 pooling, 3 x 3 convolution (padding 1), 2 x 2 pooling, with positive weights
    (average pooling has the same fields as max pooling and routes gradient to every entry).
    """
    fields = np.zeros((2, 2, 8, 8), dtype=bool)
    ones = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    for i in range(2):
        for j in range(2):
            image = torch.ones(1, 1, 8, 8, dtype=torch.float64, requires_grad=True)
            out = F.avg_pool2d(F.conv2d(F.avg_pool2d(F.conv2d(image, ones, padding=1), 2), ones, padding=1), 2)
            (grad,) = torch.autograd.grad(out[0, 0, i, j], image)
            fields[i, j] = grad[0, 0].numpy() > 0
    return fields


def draw_pooled_unit_fields(digit: int = 0) -> Figure:
    """The four final units' receptive fields drawn over a digit."""
    fields = pooled_unit_fields()
    image = digit_images()[0][digit]
    fig = Figure(figsize=(9, 2.6))
    axes = fig.subplots(1, 4)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.08)
    for ax, (i, j) in zip(axes, [(0, 0), (0, 1), (1, 0), (1, 1)]):
        ax.imshow(image, cmap="gray_r")
        ax.imshow(np.where(fields[i, j], 1.0, np.nan), cmap="autumn", alpha=0.35, vmin=0, vmax=1)
        rows, cols = np.nonzero(fields[i, j])
        ax.set_title(f"unit ({i}, {j}): rows {rows.min()}-{rows.max()}, cols {cols.min()}-{cols.max()}\n"
                     f"{rows.max() - rows.min() + 1} x {cols.max() - cols.min() + 1} pixels", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("what each unit of the final 2 x 2 maps sees (shaded)", fontsize=9)
    return fig


def draw_im2col() -> Figure:
    """im2col on a 4 x 4 image and a 3 x 3 kernel: every window becomes one column.

    Left: the image with its four windows (stride 1, no padding), one colour each. Middle: the
    columns matrix X_col (9 x 4), the window of each output position as a column in its colour.
    Right: the layer as one product K_row X_col, a row of 4 outputs reshaped to the 2 x 2 map.
    """
    from matplotlib.patches import Rectangle

    image = np.arange(1, 17).reshape(4, 4)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    fig = Figure(figsize=(11, 3.6))
    left, middle, right = fig.subplots(1, 3, width_ratios=[1, 1.1, 1.2])
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.04, top=0.76, wspace=0.15)
    left.imshow(np.zeros((4, 4)), cmap="Greys", vmin=0, vmax=1)
    left.set_xticks([])
    left.set_yticks([])
    for (row, col), value in np.ndenumerate(image):
        left.text(col, row, str(value), ha="center", va="center", fontsize=11)
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inset = 0.06 * k
        left.add_patch(Rectangle((j - 0.5 + inset, i - 0.5 + inset), 3 - 2 * inset, 3 - 2 * inset, fill=False,
                                 ec=colours[k], lw=2.2))
    left.set_title("input 4 x 4, kernel 3 x 3: four windows", fontsize=9)
    columns = np.array([image[i:i + 3, j:j + 3].ravel() for i in range(2) for j in range(2)]).T  # (9, 4)
    middle.imshow(np.zeros(columns.shape), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    for (row, col), value in np.ndenumerate(columns):
        middle.text(col, row, str(value), ha="center", va="center", fontsize=9, color=colours[col])
    for k in range(4):
        middle.add_patch(Rectangle((k - 0.45, -0.45), 0.9, 8.9, fill=False, ec=colours[k], lw=2))
    middle.set_yticks(range(9), [f"K[{a},{d}]" for a in range(3) for d in range(3)], fontsize=7)
    middle.set_xticks(range(4), [f"({i},{j})" for i in range(2) for j in range(2)], fontsize=8)
    middle.xaxis.tick_top()
    middle.set_title("X_col: one column per output position,\none row per kernel weight", fontsize=9, pad=14)
    right.axis("off")
    right.text(0.5, 0.78, r"$Y_{\mathrm{row}} = K_{\mathrm{row}}\, X_{\mathrm{col}} + b$", ha="center", fontsize=13,
               transform=right.transAxes)
    right.text(0.5, 0.6, r"$(1 \times 4) = (1 \times 9)(9 \times 4)$", ha="center", fontsize=10,
               transform=right.transAxes)
    right.text(0.5, 0.42, "with C_in channels: rows C_in k_h k_w;\nwith C_out kernels: K_row has C_out rows",
               ha="center", fontsize=9, transform=right.transAxes)
    for k in range(4):
        i, j = divmod(k, 2)
        right.add_patch(Rectangle((0.38 + 0.12 * j, 0.08 + 0.12 * (1 - i)), 0.11, 0.11, fc=colours[k], alpha=0.5,
                                  transform=right.transAxes))
    right.text(0.5, 0.34, "reshaped to the 2 x 2 output:", ha="center", fontsize=9, transform=right.transAxes)
    return fig


def _grid_slab(ax, x0: float, y0: float, rows: int, cols: int, colour: str,
               highlight: tuple[int, int, int, int] | None = None, label: str | None = None) -> None:
    """One channel as a grid of unit squares with its top-left corner at (x0, y0), y pointing down;
    ``highlight`` = (top, left, height, width) fills a block of cells."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0, y0), cols, rows, fc=colour, ec="0.3", lw=0.8, alpha=0.9))
    for k in range(1, rows):
        ax.plot([x0, x0 + cols], [y0 + k, y0 + k], c="0.5", lw=0.4)
    for k in range(1, cols):
        ax.plot([x0 + k, x0 + k], [y0, y0 + rows], c="0.5", lw=0.4)
    if highlight is not None:
        top, left, height, width = highlight
        ax.add_patch(Rectangle((x0 + left, y0 + top), width, height, fc="tab:red", ec="darkred", lw=1.5, alpha=0.55))
    if label:
        ax.text(x0 + cols / 2, y0 + rows + 0.9, label, ha="center", va="top", fontsize=8)


def draw_conv_volume() -> Figure:
    """A multi-channel convolutional layer as volumes: C_in = 3 input channels of 6 x 6, C_out = 2
    kernels of shape 3 x 3 x 3, and the 2 output maps of 4 x 4 (stride 1, no padding).

    One output value (red, in output channel 0 at (1, 2)) reads the same 3 x 3 window (red) of
    every input channel and sums them, each weighted by that kernel's slice for the channel.
    """
    fig = Figure(figsize=(11, 3.8))
    ax = fig.add_axes([0.0, 0.0, 1.0, 0.9])
    ax.set_xlim(-1, 36)
    ax.set_ylim(12.5, -1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    channel_colours = ["#c6dbef", "#c7e9c0", "#fdd0a2"]
    step = 1.2
    for c in range(3):  # the back channel first, so the front one covers it
        back = 2 - c
        _grid_slab(ax, back * step, back * step, 6, 6, channel_colours[back], highlight=(1, 2, 3, 3))
    ax.text(4.2, 11.8, "input X: C_in = 3 channels of 6 x 6", ha="center", fontsize=9)
    for o, x_kernel in enumerate([13.0, 19.5]):
        for c in range(3):
            back = 2 - c
            _grid_slab(ax, x_kernel + back * 0.7, 1.5 + back * 0.7 + 3.5 * o, 3, 3, channel_colours[back])
        ax.text(x_kernel + 4.6, 3.4 + 3.5 * o, f"kernel {o}", fontsize=8, va="center")
    ax.text(18.3, 11.8, "C_out = 2 kernels, each 3 x 3 x C_in (+ one bias)", ha="center", fontsize=9)
    for o in range(2):
        back = 1 - o
        _grid_slab(ax, 28 + back * step, 1 + back * step, 4, 4, "#dadaeb",
                   highlight=(1, 2, 1, 1) if back == 0 else None)
    ax.text(31.0, 11.8, "output Y: C_out = 2 maps of 4 x 4", ha="center", fontsize=9)
    ax.annotate("", xy=(12.6, 3.0), xytext=(9.6, 3.0), arrowprops={"arrowstyle": "->", "lw": 1.2})
    ax.annotate("", xy=(28.7, 3.5), xytext=(24.4, 3.5), arrowprops={"arrowstyle": "->", "lw": 1.2})
    fig.suptitle("Y[n, o, i, j] = b[o] + sum over c, a, d of K[o, c, a, d] X[n, c, i + a, j + d]: "
                 "one red output value reads the red window in every input channel", fontsize=9)
    return fig


def max_pool_routing_example() -> dict[str, np.ndarray]:
    """The 4 x 4 example of the routing picture: input, pooled output, upstream and input gradient.

    2 x 2 windows with stride 2; the input gradient is computed by torch's autograd.
    """
    x = torch.tensor([[1.0, 3.0, 2.0, 1.0], [4.0, 2.0, 0.0, 5.0], [6.0, 1.0, 3.0, 2.0], [0.0, 2.0, 7.0, 1.0]],
                     dtype=torch.float64, requires_grad=True)
    pooled = F.max_pool2d(x[None, None], 2)[0, 0]
    upstream = torch.tensor([[0.5, -1.0], [2.0, 0.3]], dtype=torch.float64)
    (grad,) = torch.autograd.grad(pooled, x, upstream)
    return {"x": x.detach().numpy(), "pooled": pooled.detach().numpy(), "upstream": upstream.numpy(),
            "grad": grad.numpy()}


def draw_max_pool_routing() -> Figure:
    """Max pooling 2 x 2 (stride 2) forward and backward on a 4 x 4 example.

    Forward: each window (one colour) keeps its maximum (circled). Backward: each upstream
    gradient goes, undivided, to the position of its window's maximum; the rest get 0.
    """
    from matplotlib.patches import Circle, Rectangle

    example = max_pool_routing_example()
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]
    fig = Figure(figsize=(11, 3.0))
    axes = fig.subplots(1, 4, width_ratios=[2, 1, 1, 2])
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.03, top=0.8, wspace=0.25)
    titles = ["forward: input X, 2 x 2 windows", "output Z = max per window",
              "backward: upstream dl/dZ", "dl/dX: routed to each maximum"]
    panels = [example["x"], example["pooled"], example["upstream"], example["grad"]]
    for ax, title, values in zip(axes, titles, panels):
        size = values.shape[0]
        ax.set_xlim(-0.5, size - 0.5)
        ax.set_ylim(size - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        for (row, col), value in np.ndenumerate(values):
            window = (row // 2) * 2 + col // 2 if size == 4 else row * 2 + col
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fc=colours[window], alpha=0.18, ec="0.6", lw=0.5))
            text = f"{value:g}" if value != 0 or ax is not axes[3] else "0"
            ax.text(col, row, text, ha="center", va="center", fontsize=10,
                    color="0.6" if (ax is axes[3] and value == 0) else "black")
    for i in range(2):
        for j in range(2):
            window = example["x"][2 * i:2 * i + 2, 2 * j:2 * j + 2]
            a, d = np.unravel_index(window.argmax(), window.shape)
            for ax in (axes[0], axes[3]):
                ax.add_patch(Circle((2 * j + d, 2 * i + a), 0.38, fill=False, ec=colours[2 * i + j], lw=2))
    return fig


def draw_digit_examples(n: int = 12) -> Figure:
    """The first ``n`` digits of the data set with their labels."""
    images, labels = _digits()
    fig = Figure(figsize=(n * 0.8, 1.2), layout="constrained")
    for ax, image, label in zip(fig.subplots(1, n), images, labels):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

def _feature_maps_update(index: int = 5) -> Figure:
    """What the default feature-maps widget draws for test image ``index``."""
    data = digits_split(0.25, 0)
    return draw_feature_maps(demo_cnn(0, full_or_quick(FEATURE_EPOCHS, 1)), data["x_test"][index],
                             int(data["y_test"][index]))


WIDGET_UPDATES = [
    ("kernel playground", lambda: draw_kernel_playground(digit=7, preset="sharpen")),
    ("correlation vs convolution", lambda: draw_correlation_vs_convolution(digit=7, kernel="emboss")),
    ("receptive field", lambda: draw_receptive_field(n_layers=4, kernel_size=5, stride=1)),
    ("feature maps", _feature_maps_update),
]
