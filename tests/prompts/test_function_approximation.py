"""Lecture 01: every "try this" prompt, driven through the widgets' pure functions."""
from __future__ import annotations

import numpy as np
import torch

from course import function_approximation as lecture
from solutions.function_approximation import ridge_fit, sinusoidal_features, sum_of_steps


def controls(widget) -> dict:
    return {c.description: c for c in widget.children[0].children}


def reachable(slider, value: float) -> bool:
    k = (value - slider.min) / slider.step
    return slider.min <= value <= slider.max and abs(k - round(k)) < 1e-9


# --- widget A ----------------------------------------------------------------------------------

def feature_fit(n_features: int, l2: float) -> dict:
    """What widget A computes with the reference's exercises 1 and 2."""
    return lecture.feature_fit(sinusoidal_features, ridge_fit, n_features, l2)


def test_widget_a_controls_reach_the_prompted_values():
    sliders = controls(lecture.feature_fit_widget(sinusoidal_features, ridge_fit))
    for value in (-6.0, -2.0, 0.0):
        assert reachable(sliders["log10 L2"], value)
    for value in (5, 20, 30):
        assert reachable(sliders["features"], value)


def test_without_penalty_the_test_error_explodes_with_many_features():
    result = feature_fit(5, 1e-6)
    train, test = result["train_curve"], result["test_curve"]
    assert np.all(train[5:] < train[:-5]) and train[-1] < 1e-3 * train[0]  # keeps falling towards 0
    assert test[4] < 0.03 and np.all(test[14:] > 4) and 1000 < test.max() < 1100


def test_the_penalty_tames_but_does_not_flatten_the_test_curve():
    assert 600 < feature_fit(30, 1e-6)["test_mse"] < 800  # "about 680"
    at_1e_2 = feature_fit(30, 1e-2)["test_mse"]
    at_1 = feature_fit(30, 1.0)["test_mse"]
    five = feature_fit(5, 1e-6)["test_mse"]
    assert round(at_1e_2, 2) == 0.43 and round(at_1, 2) == 0.13 and round(five, 3) == 0.024
    for log10_l2 in np.arange(-8.0, 1.01, 0.5):  # no reachable penalty makes 30 features as good as 5
        assert feature_fit(30, 10.0 ** log10_l2)["test_mse"] > 3 * five


# --- widget B ----------------------------------------------------------------------------------

def kinks(grid: np.ndarray, prediction: np.ndarray, threshold: float = 0.3) -> int:
    slope = np.diff(prediction) / np.diff(grid)
    return int(np.sum(np.abs(np.diff(slope)) > threshold))


def test_widget_b_controls_and_defaults():
    sliders = controls(lecture.mlp_widget())
    assert sliders["hidden units"].value == 16 and sliders["steps"].value == 300
    assert sliders["log10 learning rate"].value == -1.0 and sliders["activation"].value == "tanh"
    for value in (-0.5, -0.25, -3.0):
        assert reachable(sliders["log10 learning rate"], value)
    assert reachable(sliders["steps"], 800) and reachable(sliders["hidden units"], 1)
    assert lecture.MOMENTUM == 0.9
    params = lecture.draw_mlp_training.__defaults__
    assert params == (16, "tanh", -1.0, 300)


def test_relu_at_the_defaults_is_a_chain_of_segments_and_tanh_is_smooth():
    relu = lecture.train_mlp(16, "relu", 0.1, 300)
    tanh = lecture.train_mlp(16, "tanh", 0.1, 300)
    assert kinks(relu["grid"], relu["prediction"]) >= 3 and relu["losses"][-1] < 0.02
    assert kinks(tanh["grid"], tanh["prediction"]) == 0 and tanh["losses"][-1] < 0.01
    # between its bends a ReLU network is exactly straight
    second = np.abs(np.diff(relu["prediction"], 2))
    assert np.mean(second < 1e-5) > 0.9


def test_one_hidden_unit_makes_one_monotone_step():
    slopes = np.diff(lecture.train_mlp(1, "tanh", 0.1, 300)["prediction"])
    assert np.all(slopes >= -1e-7) or np.all(slopes <= 1e-7)


def best_line_mse() -> float:
    x, y = lecture.noisy_samples(30, 0.1, 0)
    design = np.c_[x, np.ones_like(x)]
    return float(np.mean((design @ np.linalg.lstsq(design, y, rcond=None)[0] - y) ** 2))


def test_sigmoid_units_learn_slowly():
    at_300 = lecture.train_mlp(16, "sigmoid", 0.1, 300)["losses"][-1]
    assert round(best_line_mse(), 3) == 0.055 and round(at_300, 3) == 0.054
    assert round(lecture.train_mlp(16, "sigmoid", 0.1, 800)["losses"][-1], 3) == 0.017
    assert lecture.train_mlp(16, "sigmoid", 10 ** -0.5, 300)["losses"][-1] < 0.025


def test_learning_rates_too_large_and_too_small():
    assert not np.isfinite(lecture.train_mlp(16, "tanh", 10 ** -0.25, 300)["losses"][-1])
    slow = lecture.train_mlp(16, "tanh", 1e-3, 300)["losses"]
    assert slow[-1] >= best_line_mse() and round(slow[-1], 3) == 0.056
    fig = lecture.draw_mlp_training(16, "tanh", -0.25, 300)
    assert "diverged" in fig.axes[0].get_title()


# --- widget C ----------------------------------------------------------------------------------

def step_error(n_steps: int, steepness: float, target: str = "smooth bump") -> float:
    function = lecture.TARGETS[target]
    grid = np.linspace(0, 1, 400)
    return float(np.max(np.abs(sum_of_steps(function, grid, n_steps, steepness) - function(grid))))


def test_widget_c_steepness_slider_reaches_the_prompted_values():
    steepness = controls(lecture.steps_widget(sum_of_steps))["steepness"]
    exponents = np.arange(steepness.min, steepness.max + 1e-9, steepness.step)
    for value in (10.0, 10 ** 2.5, 1e4):
        assert np.any(np.isclose(10.0 ** exponents, value))


def test_step_prompts():
    assert round(step_error(4, 10.0), 2) == 0.34
    assert round(step_error(60, 1e4), 3) == 0.054
    assert round(step_error(60, 1e4, "kink"), 3) == 0.008
    errors = {e: step_error(60, 10.0 ** e) for e in np.arange(0, 4.01, 0.25)}
    best = min(errors, key=errors.get)
    assert best == 2.5 and round(errors[best], 3) == 0.008
    assert round(errors[1.0], 2) == 0.27


FINE_STEEPNESS = 10.0 ** np.arange(0, 4.01, 0.05)


def best_steepness(n_steps: int) -> tuple[float, float, float]:
    """The best steepness on a fine grid, its error, and the spread of the errors over the grid."""
    errors = np.array([step_error(n_steps, w) for w in FINE_STEEPNESS])
    return float(FINE_STEEPNESS[np.argmin(errors)]), float(errors.min()), float(errors.max() - errors.min())


def test_best_steepness_measured_range():
    """Cell "How the best steepness depends on the number of steps": one step does not care,
    two steps want about 3.5n, three to sixty steps between 4n and 6n."""
    _, error, spread = best_steepness(1)
    assert round(error, 3) == 0.825 and spread < 1e-9
    best, _, _ = best_steepness(2)
    assert 3.3 * 2 <= best <= 3.7 * 2
    for n in range(3, 61):
        best, _, _ = best_steepness(n)
        assert 4 * n <= best <= 6 * n, (n, best / n)


# --- widget B: one ReLU unit ------------------------------------------------------------------------

def test_one_relu_unit_is_a_hinge_that_dies_here():
    """A 1-unit ReLU network is a hinge; the widget's one trained ReLU unit ends flat (dead)."""
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1)).double()
    with torch.no_grad():
        net[0].bias.fill_(0.2)  # the bend at x = -0.2 / w, inside [-1, 1]
        net[0].weight.fill_(0.8)
        slopes = np.diff(net(torch.linspace(-1, 1, 201, dtype=torch.float64)[:, None])[:, 0].numpy())
    flat = np.abs(slopes) < 1e-12
    ramp = slopes[~flat]
    assert flat.sum() > 10 and ramp.size > 10  # flat on one side, a ramp on the other
    assert np.sum(np.abs(ramp - np.median(ramp)) > 1e-12) <= 1  # one straight ramp (the cell of the bend aside)
    dead = lecture.train_mlp(1, "relu", 0.1, 300)["prediction"]
    assert np.ptp(dead) < 1e-6


# --- widget A: ridge along SVD directions -----------------------------------------------------------

def test_ridge_gain_peaks_at_the_root_of_the_penalty():
    s = np.logspace(-4, 2, 2001)
    for l2 in (1e-6, 1e-2, 1.0):
        gain = lecture.shrinkage_gain(s, l2)
        assert np.isclose(s[np.argmax(gain)], np.sqrt(l2), rtol=0.01)
        assert np.isclose(gain.max(), 1 / (2 * np.sqrt(l2)), rtol=1e-4)


def test_ridge_through_the_svd_is_ridge():
    """The right panel's gains s / (s^2 + L2) along the SVD directions give ridge's weights."""
    result = feature_fit(12, 0.1)
    features = sinusoidal_features(result["x_train"], 12)
    u, s, vt = np.linalg.svd(features, full_matrices=False)
    through_the_svd = vt.T @ (lecture.shrinkage_gain(s, 0.1) * (u.T @ result["y_train"]))
    assert np.allclose(through_the_svd, ridge_fit(features, result["y_train"], 0.1))


def test_thirty_features_have_a_tiny_direction_with_a_gain_of_about_500():
    s = feature_fit(30, 1e-6)["singular_values"]
    nonzero = np.sort(s[s > 1e-6])
    assert 0.5e-3 < nonzero[0] < 2e-3 and nonzero[1] > 0.01
    assert 450 < lecture.shrinkage_gain(nonzero, 1e-6).max() < 550


def test_widget_a_draws_three_panels():
    fig = lecture.draw_feature_fit(sinusoidal_features, ridge_fit, 30, -6.0)
    assert len(fig.axes) == 3


# --- 1/x on (0, 1] ------------------------------------------------------------------------------------

def test_reciprocal_networks_follow_on_their_interval_and_stay_bounded():
    for n_steps, left in ((20, 0.1), (200, 0.01)):
        network = lecture.reciprocal_network(sum_of_steps, n_steps, left)
        x = np.linspace(left, 1, 2000)
        assert np.max(np.abs(network(x) * x - 1)) < 0.05  # within 5 % where it was built
        near_zero = np.logspace(-6, np.log10(left) - 1, 50)
        bound = 2 / left - 1
        assert np.all(np.abs(network(near_zero)) <= bound)
        assert np.all(np.abs(network(near_zero) - 1 / near_zero) > 0.8 / near_zero)  # error grows like 1/x


# --- section 5: the digits ------------------------------------------------------------------------------

def test_digits_mlp_reaches_95_percent_test_accuracy_with_the_reference():
    """The notebook's digits cell, run with the reference solutions: the lr chosen on validation
    data gives the MLP at least 95 % test accuracy (the issue's target); at 3.0 the MLP is at
    chance while the softmax classifier still converges."""
    from solutions import function_approximation as reference
    report = lecture.benchmark_training(reference)["digits"]
    mlp, linear = report["MLP, 64 ReLU units"], report["softmax classifier"]
    assert mlp["chosen_lr"] == 1.0 and mlp["test_accuracy"] >= 0.95 and round(mlp["test_accuracy"], 2) == 0.98
    assert linear["chosen_lr"] == 3.0 and round(linear["test_accuracy"], 2) == 0.97
    assert mlp["validation_accuracy"][3.0] < 0.15 < 0.9 < linear["validation_accuracy"][3.0]


def test_the_notebook_tries_the_benchmarked_learning_rates():
    import nbformat
    from tests.conftest import LECTURES
    notebook = nbformat.read(next(l for l in LECTURES if l.slug == "function_approximation").student_notebook, 4)
    assert any(f"learning_rates = {lecture.DIGITS_LEARNING_RATES}" in cell.source for cell in notebook.cells)


def test_digits_curves_mlp_loss_nearly_zero_and_validation_levels_off():
    """The cell after the digits run: the MLP's training loss ends near 0.003, and the validation
    accuracy of both chosen runs moves by at most 3.5 points over the last 20 epochs."""
    from solutions import function_approximation as reference
    digits = lecture.digits_split(seed=0)
    runs = {"linear": (lecture.init_linear_classifier(64, 10), 3.0, lambda p, x: x @ p["W"].T + p["b"]),
            "mlp": (lecture.init_mlp(64, 64, 10, seed=0), 1.0, lambda p, x: reference.mlp_forward(x, p, reference.relu))}
    for name, (start, lr, logits_of) in runs.items():
        accuracy = []
        _, losses = reference.train_classifier(
            start, lecture.classifier_loss_and_gradients, digits["x_train"], digits["y_train"], lr, 30, 32, 0,
            lambda epoch, p, loss: accuracy.append(np.mean(np.argmax(logits_of(p, digits["x_val"]), axis=1) == digits["y_val"])))
        assert losses[-1] < 0.5 * losses[5] and np.ptp(accuracy[10:]) <= 0.035, name
        if name == "mlp":
            assert round(losses[-1], 3) == 0.003
