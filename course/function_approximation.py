"""Data, pictures and widgets for lecture 01, function approximation.

The ``draw_*`` functions compute and plot; they are pure (same arguments, same figure) and
fast, so tests call them directly and the widgets only wire sliders to them. Widget A comes
after exercises 1 and 2 and fits with the student's own ``sinusoidal_features`` and
``ridge_fit``; widget C and the 1/x figure come after exercise 12 and draw the student's own
``sum_of_steps`` (the staircase's weights are the exercise); each says which exercise to finish
while the student's function is still a stub. The other pictures use library routines (torch
layers, scikit-learn's MLP for widget B's training), so they work before any exercise is solved.
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from types import ModuleType

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from scipy.special import expit

from course.runtime import full_or_quick
from course.widgets import after_exercise, dropdown, figure_row, interactive_figure, plain_log_ticks, slider

torch.set_num_threads(1)  # the models here are tiny: threads fighting over two busy cores cost 50x


def target_function(x: np.ndarray) -> np.ndarray:
    """The smooth curve the lecture's regression examples try to recover (zero at 0 and 1)."""
    return np.sin(2 * np.pi * x) * np.exp(-2 * x) + 0.3 * np.sin(np.pi * x)


def noisy_samples(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on [0, 1] and targets ``target_function(x) + noise * N(0, 1)``."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 1, size=n))
    return x, target_function(x) + noise * rng.normal(size=n)


# --- widget 1: features and L2 ---------------------------------------------------------------

def feature_fit(sinusoidal_features: Callable, ridge_fit: Callable, n_features: int, l2: float,
                noise: float = 0.15, n_train: int = 20, seed: int = 0, max_features: int = 30
                ) -> dict[str, np.ndarray | float]:
    """Fit ``sin(i pi x)`` features by ridge regression with the student's functions of exercises
    1 and 2; return the fit and the error curves.

    Keys: ``x_train, y_train, x_test, y_test, grid, fit`` (the fitted curve on ``grid``),
    ``train_mse, test_mse`` (at ``n_features``), ``counts, train_curve, test_curve``
    (the errors for every feature count from 1 to ``max_features`` at this ``l2``) and
    ``singular_values`` (those of the training feature matrix with ``n_features`` columns).
    """
    x_train, y_train = noisy_samples(n_train, noise, seed)
    x_test, y_test = noisy_samples(200, noise, seed + 1)
    grid = np.linspace(0, 1, 300)

    def fit(n: int) -> np.ndarray:
        return ridge_fit(sinusoidal_features(x_train, n), y_train, l2)

    def errors(n: int) -> tuple[float, float]:
        weights = fit(n)
        train = np.mean((sinusoidal_features(x_train, n) @ weights - y_train) ** 2)
        test = np.mean((sinusoidal_features(x_test, n) @ weights - y_test) ** 2)
        return float(train), float(test)

    counts = np.arange(1, max_features + 1)
    curves = np.array([errors(n) for n in counts])
    return {
        "singular_values": np.linalg.svd(sinusoidal_features(x_train, n_features), compute_uv=False),
        "x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
        "grid": grid, "fit": sinusoidal_features(grid, n_features) @ fit(n_features),
        "train_mse": curves[n_features - 1, 0], "test_mse": curves[n_features - 1, 1],
        "counts": counts, "train_curve": curves[:, 0], "test_curve": curves[:, 1],
    }


def _draw_feature_fit(sinusoidal_features: Callable, ridge_fit: Callable, n_features: int = 5,
                      log10_l2: float = -6.0, noise: float = 0.15) -> Figure:
    """The fit of ``n_features`` sine features at L2 strength ``10**log10_l2`` by the student's
    ``sinusoidal_features`` and ``ridge_fit``, and its errors."""
    result = feature_fit(sinusoidal_features, ridge_fit, n_features, 10.0 ** log10_l2, noise)
    fig, (left, right, shrink) = figure_row(3, width=12.5)
    left.plot(result["grid"], target_function(result["grid"]), "k--", lw=1, label="true function")
    left.scatter(result["x_test"], result["y_test"], s=6, c="0.75", label="test points")
    left.scatter(result["x_train"], result["y_train"], s=25, c="tab:blue", label="training points")
    left.plot(result["grid"], result["fit"], c="tab:red", lw=2, label="fit")
    left.set_ylim(-1.5, 1.5)
    left.set_xticks([0, 0.5, 1])  # few ticks: each tick is several artists, measured on every redraw
    left.set_yticks([-1, 0, 1])
    left.set_title(f"{n_features} features, L2 = 1e{log10_l2:.0f}: train MSE {result['train_mse']:.3f}, "
                   f"test MSE {result['test_mse']:.3f}", fontsize=9)
    left.legend(fontsize=7, loc="lower left", handlelength=1.2, frameon=False)
    right.plot(result["counts"], np.log10(result["train_curve"]), "o-", ms=3, label="train")
    right.plot(result["counts"], np.log10(result["test_curve"]), "o-", ms=3, label="test")
    right.axvline(n_features, c="0.5", lw=1)
    right.set_xticks([1, 10, 20, 30])
    decades = _decade_ticks(right)
    right.set_xlabel("number of features")
    right.set_ylabel("mean squared error" + (" (log scale)" if decades else ""))
    right.set_title("error against model size at this L2 strength", fontsize=9)
    right.legend(fontsize=8, loc="upper left")  # fixed: "best" tests every point of every curve
    draw_shrinkage(shrink, result["singular_values"], 10.0 ** log10_l2)
    return fig


def _decade_ticks(ax) -> bool:
    """Label an axis that plots log10 values at whole decades, in plain text ("0.01", "1e3"):
    cheaper to draw than a log axis. Returns whether any decade is in view."""
    low, high = ax.get_ylim()
    decades = np.arange(np.ceil(low), np.floor(high) + 1)
    if decades.size > 5:
        decades = decades[decades % 2 == 0]
    ax.set_yticks(decades, [f"{10.0 ** d:g}" for d in decades])
    return decades.size > 0


def shrinkage_gain(singular_values: np.ndarray, l2: float) -> np.ndarray:
    """What ridge multiplies the data's coordinate u_i^T y by along SVD direction i: s / (s^2 + l2)."""
    s = np.asarray(singular_values, dtype=float)
    return np.divide(s, s ** 2 + l2, out=np.zeros_like(s), where=s > 1e-15)


def draw_shrinkage(ax, singular_values: np.ndarray, l2: float) -> None:
    """Ridge's gain s / (s^2 + l2) against least squares' 1 / s, both axes in powers of ten,
    with the feature matrix's singular values marked: the directions with s below sqrt(l2) are cut.

    The axes show log10 of the values on linear scales with a few plain labels: a log axis's
    many ticks cost more than the rest of widget A's figure."""
    log_s = np.linspace(-6, 1.5, 60)
    ax.plot(log_s, -log_s, c="0.6", lw=1, ls="--", )
    ax.plot(log_s, np.log10(shrinkage_gain(10.0 ** log_s, l2)), c="tab:red", lw=1.5)
    s = singular_values[singular_values > 1e-6]
    ax.plot(np.log10(s), np.log10(shrinkage_gain(s, l2)), "o", ms=4, c="tab:blue")  # this fit's directions
    ax.axvline(0.5 * np.log10(l2), c="0.5", lw=1)
    ax.set_xlim(-6, 1.5)
    ax.set_ylim(-2, 6)
    ax.set_xticks([-6, -3, 0], ["1e-6", "0.001", "1"])
    ax.set_yticks([-2, 2, 6], ["0.01", "100", "1e6"])
    ax.set_xlabel("singular value s of the feature matrix")
    ax.set_ylabel("gain on u^T y")
    ax.set_title("ridge's gain s / (s^2 + L2) (red) and 1 / s (dashed)", fontsize=9)


draw_feature_fit = after_exercise(_draw_feature_fit, "exercises 1 and 2 (sinusoidal_features, ridge_fit)")


def feature_fit_widget(sinusoidal_features: Callable, ridge_fit: Callable) -> widgets.VBox:
    """Sliders for the number of features, the L2 strength and the noise; the fits are your
    ``sinusoidal_features`` and ``ridge_fit`` (exercises 1 and 2)."""
    return interactive_figure(
        functools.partial(draw_feature_fit, sinusoidal_features, ridge_fit),
        n_features=slider(5, 1, 30, 1, "features", integer=True),
        log10_l2=slider(-6.0, -8.0, 1.0, 0.5, "log10 L2"),
        noise=slider(0.15, 0.0, 0.5, 0.05, "noise"),
    )


# --- widget 2: universal approximation with steps ---------------------------------------------

TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "smooth bump": target_function,
    "sine wave": lambda x: np.sin(2 * np.pi * x),
    "parabola": lambda x: 4 * (x - 0.5) ** 2,
    "kink": lambda x: np.abs(x - 0.4),
}


def _step_units(n_steps: int, steepness: float, grid: np.ndarray) -> np.ndarray:
    """The hidden units sigma(w (x - s_k)) of the text's staircase on ``grid``, shape (len(grid), n):
    steepness w, steps half-way between the knots k / n."""
    knots = np.linspace(0, 1, n_steps + 1)
    return expit(steepness * (grid[:, None] - (knots[:-1] + knots[1:]) / 2))


def _draw_steps(sum_of_steps: Callable, n_steps: int = 8, steepness: float = 100.0,
                target: str = "smooth bump") -> Figure:
    """The target, its approximation by your ``sum_of_steps`` with ``n_steps`` sigmoid steps of the
    given steepness, and the first hidden units (the text's steps, drawn with scipy's expit)."""
    function = TARGETS[target]
    grid = np.linspace(0, 1, 400)
    approximation = np.asarray(sum_of_steps(function, grid, n_steps, steepness), dtype=float)
    error = np.max(np.abs(approximation - function(grid)))
    fig, (left, right) = figure_row(2)
    left.plot(grid, function(grid), "k--", lw=1.5, label="target")
    left.plot(grid, approximation, c="tab:red", lw=2, label=f"{n_steps} steps")
    left.set_title(f"largest error {error:.3f}", fontsize=9)
    left.legend(fontsize=8)
    right.plot(grid, _step_units(n_steps, steepness, grid)[:, :12], lw=1)
    right.set_title("hidden units: sigmoid(w x + b), a step at s = -b / w", fontsize=9)
    right.set_xlabel("x")
    return fig


draw_steps = after_exercise(_draw_steps, "exercise 12 (sum_of_steps)")


def steps_widget(sum_of_steps: Callable) -> widgets.VBox:
    """Sliders for the number of steps and their steepness, and a choice of target; the picture
    is your ``sum_of_steps`` (exercise 12)."""
    return interactive_figure(
        functools.partial(draw_steps, sum_of_steps),
        n_steps=slider(8, 1, 60, 1, "steps", integer=True),
        steepness=widgets.FloatLogSlider(value=100, base=10, min=0, max=4, step=0.25, description="steepness",
                                         continuous_update=False),
        target=dropdown(list(TARGETS), "smooth bump", "target"),
    )


def reciprocal_network(sum_of_steps: Callable, n_steps: int, left: float) -> Callable[[np.ndarray], np.ndarray]:
    """The staircase of exercise 12 for 1/x built on [left, 1] instead of [0, 1]: ``sum_of_steps``
    of t -> 1 / (left + (1 - left) t) at t = (x - left) / (1 - left), steepness 5 per knot spacing.
    Returns the network as a function of x."""
    def on_unit_interval(t: np.ndarray) -> np.ndarray:
        return 1.0 / (left + (1.0 - left) * t)

    def network(x: np.ndarray) -> np.ndarray:
        t = (np.asarray(x, dtype=float) - left) / (1.0 - left)
        return np.asarray(sum_of_steps(on_unit_interval, t, n_steps, 5.0 * n_steps), dtype=float)
    return network


def _draw_reciprocal(sum_of_steps: Callable,
                     settings: tuple[tuple[int, float], ...] = ((20, 0.1), (200, 0.01))) -> Figure:
    """1/x on (0, 1] against staircases built on [left, 1] by your ``sum_of_steps``: each stays
    below a bound (its output bias plus the sum of its output weights' sizes), 1/x does not."""
    x = np.logspace(-4, 0, 400)
    fig, (left_ax, right_ax) = figure_row(2)
    left_ax.semilogx(x, 1 / x, "k--", lw=1.5, label="1/x")
    for (n_steps, left), colour in zip(settings, ["tab:red", "tab:blue"]):
        network = reciprocal_network(sum_of_steps, n_steps, left)
        bound = 1 / left + (1 / left - 1)  # |c| + sum |a_k| for the decreasing 1/x
        left_ax.semilogx(x, network(x), c=colour, lw=1.5, label=f"{n_steps} steps on [{left}, 1]")
        left_ax.axhline(bound, c=colour, lw=0.8, ls=":")
        right_ax.loglog(x, np.abs(network(x) - 1 / x), c=colour, lw=1.5, label=f"{n_steps} steps on [{left}, 1]")
    left_ax.set_xlim(1e-4, 1)
    left_ax.set_ylim(0, 250)
    left_ax.set_xlabel("x")
    left_ax.set_title("dotted: each network's bound |c| + sum |a_k|", fontsize=9)
    left_ax.legend(fontsize=8, loc="upper right")
    right_ax.set_xlabel("x")
    right_ax.set_ylabel("error |g(x) - 1/x|")
    right_ax.set_title("the error grows without bound as x -> 0", fontsize=9)
    right_ax.legend(fontsize=8, loc="upper right")
    return fig


draw_reciprocal = after_exercise(_draw_reciprocal, "exercise 12 (sum_of_steps)")


# --- classifying handwritten digits -------------------------------------------------------------

def digits_split(seed: int = 0, n_validation: int = 360, n_test: int = 360) -> dict[str, np.ndarray]:
    """scikit-learn's 8 x 8 digits (1797 images, bundled, no download), pixels scaled to [0, 1],
    shuffled with ``seed`` and cut into test, validation and training parts.

    Keys: ``x_train, y_train, x_val, y_val, x_test, y_test``; x float64 (n, 64), y int64 (n,).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = digits.data / 16.0, digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    test, val, train = np.split(order, [n_test, n_test + n_validation])
    return {"x_train": x[train], "y_train": y[train], "x_val": x[val], "y_val": y[val],
            "x_test": x[test], "y_test": y[test]}


def draw_digits(x: np.ndarray, labels: np.ndarray, n: int = 10) -> Figure:
    """The first ``n`` images of ``x`` (rows of 64 pixels) with their labels."""
    fig = Figure(figsize=(n * 0.9, 1.2))
    axes = fig.subplots(1, n)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.1)
    for ax, image, label in zip(axes, x[:n], labels[:n]):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(str(label), fontsize=10)
        ax.axis("off")
    return fig


def init_linear_classifier(d_in: int, n_classes: int) -> dict[str, np.ndarray]:
    """A softmax classifier's parameters, all zero: W (n_classes, d_in) and b (n_classes,)."""
    return {"W": np.zeros((n_classes, d_in)), "b": np.zeros(n_classes)}


def init_mlp(d_in: int, d_hidden: int, n_classes: int, seed: int) -> dict[str, np.ndarray]:
    """A two-layer ReLU network's parameters in the lecture's convention (W1, b1, W2, b2):
    Gaussian weights with variance 2 / d_in and 1 / d_hidden (lecture 02 explains the scales),
    zero biases."""
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(scale=np.sqrt(2 / d_in), size=(d_hidden, d_in)), "b1": np.zeros(d_hidden),
            "W2": rng.normal(scale=np.sqrt(1 / d_hidden), size=(n_classes, d_hidden)), "b2": np.zeros(n_classes)}


def classifier_loss_and_gradients(params: dict[str, np.ndarray], x: np.ndarray, labels: np.ndarray
                                  ) -> tuple[float, dict[str, np.ndarray]]:
    """Mean cross-entropy of a softmax classifier on a batch, and its gradient, by torch.autograd.

    ``params`` is a linear classifier (keys W, b: logits x W^T + b) or a two-layer ReLU network
    (keys W1, b1, W2, b2: logits relu(x W1^T + b1) W2^T + b2). Returns (loss, grads): a Python
    float and a dict of float64 arrays with params' keys. Lecture 02 shows how gradients are
    computed; here torch does it.
    """
    tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float64))
    if "W" in tensors:
        logits = inputs @ tensors["W"].T + tensors["b"]
    else:
        hidden = torch.relu(inputs @ tensors["W1"].T + tensors["b1"])
        logits = hidden @ tensors["W2"].T + tensors["b2"]
    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(np.asarray(labels, dtype=np.int64)))
    loss.backward()
    return loss.item(), {name: tensor.grad.numpy() for name, tensor in tensors.items()}


def draw_training_curves(histories: dict[str, dict[str, list[float]]]) -> Figure:
    """Training loss and validation accuracy per epoch, one line per model.

    ``histories`` maps a model's name to ``{"loss": [...], "val_accuracy": [...]}``.
    """
    fig, (left, right) = figure_row(2)
    for name, history in histories.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        left.plot(epochs, history["loss"], label=name)
        right.plot(epochs, 100 * np.asarray(history["val_accuracy"]), label=name)
    left.set_xlabel("epoch")
    left.set_ylabel("training loss (cross-entropy)")
    right.set_xlabel("epoch")
    right.set_ylabel("validation accuracy (%)")
    left.legend(fontsize=8, loc="upper right")
    right.legend(fontsize=8, loc="lower right")
    return fig


DIGITS_LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def benchmark_training(reference: ModuleType, epochs: int = 30) -> dict:
    """What ``make bench`` reports: the notebook's digits experiment run with the reference
    module's functions. Per model, the validation accuracy of each learning rate in
    ``DIGITS_LEARNING_RATES``, the one chosen, and the chosen model's test accuracy."""
    digits = digits_split(seed=0)
    models = {"softmax classifier": (lambda: init_linear_classifier(64, 10),
                                     lambda p, x: reference.dense_layer(x, p["W"], p["b"], lambda a: a)),
              "MLP, 64 ReLU units": (lambda: init_mlp(64, 64, 10, seed=0),
                                     lambda p, x: reference.mlp_forward(x, p, reference.relu))}
    report = {}
    for name, (init, logits_of) in models.items():
        def accuracy(params, x, labels, logits_of=logits_of):
            return float(np.mean(np.argmax(logits_of(params, x), axis=1) == labels))

        def train(lr, init=init):
            return reference.train_classifier(init(), classifier_loss_and_gradients, digits["x_train"],
                                              digits["y_train"], lr, epochs, 32, seed=0)[0]

        with np.errstate(all="ignore"):  # a learning rate that is too large overflows
            lr, scores, params = reference.select_learning_rate(
                train, DIGITS_LEARNING_RATES, lambda p: accuracy(p, digits["x_val"], digits["y_val"]))
            report[name] = {"validation_accuracy": dict(zip(DIGITS_LEARNING_RATES, scores)), "chosen_lr": lr,
                            "test_accuracy": accuracy(params, digits["x_test"], digits["y_test"])}
    return {"digits": report}


# --- widget 3: a small MLP trained live ---------------------------------------------------------

ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


MOMENTUM = 0.9  # widget B trains with gradient descent plus momentum (lecture 02)
SKLEARN_ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "sigmoid": "logistic"}


@functools.cache
def _started_mlp() -> type:
    """scikit-learn's MLP regressor, started from given weights (``initial_layers``: (weight,
    bias) per layer, torch's shapes) instead of its own Glorot initialisation. ``_init_coef`` is
    scikit-learn's per-layer initialiser (the version is pinned). Imported on first use: the
    setup cell stays fast."""
    from sklearn.neural_network import MLPRegressor

    class StartedMLP(MLPRegressor):
        initial_layers: list[tuple[np.ndarray, np.ndarray]]

        def _init_coef(self, fan_in: int, fan_out: int, dtype) -> tuple[np.ndarray, np.ndarray]:
            weight, bias = self.initial_layers.pop(0)
            return weight.T.astype(dtype), bias.astype(dtype)
    return StartedMLP


def train_mlp(hidden_units: int, activation: str, lr: float, steps: int, seed: int = 0
              ) -> dict[str, np.ndarray]:
    """Train a 1-``hidden_units``-1 network by full-batch gradient descent on 30 noisy samples.

    The update is SGD with momentum ``MOMENTUM`` (lecture 02 explains momentum) on the MSE, from
    torch's default initialization, run by scikit-learn's ``MLPRegressor`` (NumPy: on arrays this
    small, a fraction of torch's cost per step; the widget trains on every slider move). Its loss
    is half the MSE, so it runs at twice the learning rate. The inputs are rescaled from [0, 1]
    to [-1, 1] before the first layer, so that the hidden units switch (ReLU: bend) inside the
    data. Returns ``x, y`` (the samples), ``grid, prediction`` (the fitted curve) and ``losses``
    (the training MSE before each step).
    """
    torch.manual_seed(seed)
    x, y = noisy_samples(30, 0.1, seed)
    net = torch.nn.Sequential(torch.nn.Linear(1, hidden_units), ACTIVATIONS[activation](),
                              torch.nn.Linear(hidden_units, 1))
    weights = [layer.detach().numpy().copy() for layer in net.parameters()]  # torch's initialization
    model = _started_mlp()(hidden_layer_sizes=(hidden_units,), activation=SKLEARN_ACTIVATIONS[activation],
                             solver="sgd", alpha=0.0, batch_size=len(x), learning_rate_init=2 * lr,
                             momentum=MOMENTUM, nesterovs_momentum=False, shuffle=False, max_iter=steps,
                             tol=0.0, n_iter_no_change=steps + 1)  # never stops early
    model.initial_layers = [(weights[0], weights[1]), (weights[2], weights[3])]
    grid = np.linspace(0, 1, 200)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # "not converged yet": the widget shows how far it got
        try:
            model.fit((2 * x - 1).astype(np.float32)[:, None], y.astype(np.float32))
            prediction = model.predict((2 * grid - 1).astype(np.float32)[:, None])
        except ValueError:  # a too-large learning rate overflows: the weights become inf or nan
            prediction = np.full(grid.shape, np.nan)
    return {"x": x, "y": y, "grid": grid, "prediction": prediction, "losses": 2 * np.array(model.loss_curve_)}


def draw_mlp_training(hidden_units: int = 16, activation: str = "tanh", log10_lr: float = -1.0,
                      steps: int = 300) -> Figure:
    """Train the small network and show its fit and its loss curve."""
    result = train_mlp(hidden_units, activation, 10.0 ** log10_lr, full_or_quick(steps, min(steps, 50)))
    fig, (left, right) = figure_row(2)
    left.scatter(result["x"], result["y"], s=20, label="training points")
    left.plot(result["grid"], target_function(result["grid"]), "k--", lw=1, label="true function")
    left.plot(result["grid"], result["prediction"], c="tab:red", lw=2, label="network")
    left.set_ylim(-1.5, 1.5)
    left.legend(fontsize=8, loc="upper right")  # fixed: "best" tests every point of every curve
    final = result["losses"][-1]
    left.set_title(f"{hidden_units} {activation} units, lr = 1e{log10_lr:.2f}, momentum {MOMENTUM}: final MSE "
                   + ("diverged" if not np.isfinite(final) else f"{final:.4f}"), fontsize=9)
    right.semilogy(np.where(np.isfinite(result["losses"]), result["losses"], np.nan))
    plain_log_ticks(right.yaxis)
    right.set_xlabel("gradient step")
    right.set_ylabel("training MSE")
    return fig


def mlp_widget() -> widgets.VBox:
    """Controls for the hidden layer size, the activation and the learning rate."""
    return interactive_figure(
        draw_mlp_training,
        hidden_units=slider(16, 1, 64, 1, "hidden units", integer=True),
        activation=dropdown(list(ACTIVATIONS), "tanh", "activation"),
        log10_lr=slider(-1.0, -3.0, 0.5, 0.25, "log10 learning rate"),
        steps=slider(300, 100, 3000, 100, "steps", integer=True),
    )


def draw_activations() -> Figure:
    """Sigmoid, tanh and ReLU with their derivatives (computed by torch.autograd)."""
    z = torch.linspace(-4, 4, 401, requires_grad=True)
    fig, axes = figure_row(3, height=2.8)
    for ax, (name, function) in zip(axes, [("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                                                           ("ReLU", torch.relu)]):
        (grad,) = torch.autograd.grad(function(z).sum(), z)
        ax.plot(z.detach(), function(z).detach(), label=name)
        ax.plot(z.detach(), grad, "--", label="derivative")
        ax.axhline(0, c="0.8", lw=0.8)
        ax.set_title(name)
        ax.legend(fontsize=8)
    return fig


def draw_network_diagram(layer_sizes: tuple[int, ...] = (2, 3, 3)) -> Figure:
    """The lecture's two-layer network as a diagram: units as circles, weights as lines.

    With the default sizes: x in R^2, a hidden layer of 3 units (W1 is 3 x 2, b1 in R^3)
    and the output y_hat in R^3 (W2 is 3 x 3, b2 in R^3).
    """
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    names = ["x", "h", r"\hat y"]
    colours = ["#dfe9f5", "#f5d9a8", "#cde8c4"]
    positions = []
    for layer, size in enumerate(layer_sizes):
        ys = np.linspace((size - 1) / 2, -(size - 1) / 2, size)
        positions.append([(2.0 * layer, y) for y in ys])
    for layer in range(len(layer_sizes) - 1):
        for x0, y0 in positions[layer]:
            for x1, y1 in positions[layer + 1]:
                ax.plot([x0, x1], [y0, y1], c="0.6", lw=0.8, zorder=1)
        mid = 2.0 * layer + 1.0
        label = rf"$W^{{({layer + 1})}} \in \mathbb{{R}}^{{{layer_sizes[layer + 1]} \times {layer_sizes[layer]}}}$"
        ax.text(mid, max(layer_sizes) / 2 + 0.25, label, ha="center", fontsize=10)
    for layer, units in enumerate(positions):
        for i, (x, y) in enumerate(units):
            ax.add_patch(Circle((x, y), 0.28, facecolor=colours[min(layer, 2)], edgecolor="black", zorder=2))
            name = names[min(layer, 2)]
            ax.text(x, y, rf"${name}_{i + 1}$", ha="center", va="center", fontsize=10, zorder=3)
    captions = ["input", r"hidden: $\sigma(W^{(1)}x + b^{(1)})$", r"output: $W^{(2)}h + b^{(2)}$"]
    for layer, caption in enumerate(captions[: len(layer_sizes)]):
        ax.text(2.0 * layer, -max(layer_sizes) / 2 - 0.2, caption, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.6, 2.0 * (len(layer_sizes) - 1) + 0.6)
    ax.set_ylim(-max(layer_sizes) / 2 - 0.75, max(layer_sizes) / 2 + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("feature fit", lambda reference: draw_feature_fit(reference.sinusoidal_features, reference.ridge_fit,
                                                       n_features=9, log10_l2=-3.0)),
    ("steps", lambda reference: draw_steps(reference.sum_of_steps, n_steps=20, steepness=1000.0)),
    ("MLP training", lambda: draw_mlp_training(hidden_units=32, log10_lr=-1.25)),
]
