"""Lecture 02: every "try this" prompt, driven through the widgets' pure functions."""
from __future__ import annotations

import numpy as np

import torch

from course import backpropagation as lecture

NOTES = {"x": 2500.0, "y": 45000.0, "theta1": 0.0, "theta2": 1.0}


def controls(widget) -> dict:
    return {c.description: c for c in widget.children[0].children}


def reachable(slider, value: float) -> bool:
    k = (value - slider.min) / slider.step
    return slider.min - 1e-9 <= value <= slider.max + 1e-9 and abs(k - round(k)) < 1e-6


def loss_after_one_step(x: float, y: float, theta1: float, theta2: float, log10_lr: float) -> tuple[float, float]:
    """What the widget's footer reports: the loss before and after one SGD step."""
    nodes = lecture.worked_example_graph(x, y, theta1, theta2)
    lr = 10.0 ** log10_lr
    new_loss = ((theta2 - lr * nodes["theta2"][1]) * x + theta1 - lr * nodes["theta1"][1] - y) ** 2
    return nodes["loss"][0], new_loss


def test_widget_a_sliders_reach_every_prompted_value():
    sliders = controls(lecture.worked_example_widget())
    for name, values in {"x": (2500.0, 2.5), "y": (45000.0, 45.0), "θ₂": (1.0, 18.0), "θ₁": (0.0,),
                         "log10 α": (-7.0, -6.5, -1.0, -0.5)}.items():
        for value in values:
            assert reachable(sliders[name], value), (name, value)


def test_gradients_at_the_notes_example():
    nodes = lecture.worked_example_graph(**NOTES)
    for name in ("y_hat", "c1", "theta1", "x"):
        assert nodes[name][1] == -85000.0
    assert nodes["y"][1] == 85000.0
    assert nodes["theta2"][1] == 2500 * nodes["theta1"][1] == -2.125e8


def test_theta2_18_makes_every_gradient_vanish():
    nodes = lecture.worked_example_graph(2500.0, 45000.0, 0.0, 18.0)
    assert all(grad == 0.0 for name, (_, grad) in nodes.items() if name != "loss") and nodes["loss"][0] == 0.0


def test_learning_rate_needed_for_the_raw_inputs():
    before, after = loss_after_one_step(**NOTES, log10_lr=-7.0)
    assert after < before
    for log10_lr in np.arange(-6.5, 0.01, 0.5):
        before, after = loss_after_one_step(**NOTES, log10_lr=log10_lr)
        assert after > before


def test_inputs_in_thousands_allow_ordinary_learning_rates():
    for log10_lr in np.arange(-10.0, -0.99, 0.5):
        before, after = loss_after_one_step(2.5, 45.0, 0.0, 1.0, log10_lr)
        assert after < before
    before, after = loss_after_one_step(2.5, 45.0, 0.0, 1.0, -0.5)
    assert after > before
    lecture.draw_worked_example(2.5, 45.0, 0.0, 1.0, -1.0)


# --- widget B -------------------------------------------------------------------------------------

def final_losses(log10_lr: float = -1.7, beta: float = 0.8, gamma: float = 0.99, steps: int = 100,
                 surface: str = "valley along the axes") -> tuple[dict, dict]:
    paths = lecture.optimizer_race(10.0 ** log10_lr, beta, gamma, steps, surface)
    hessian = lecture.quadratic_hessian(25.0, lecture.SURFACES[surface])
    losses = {name: 0.5 * np.einsum("ti,ij,tj->t", path, hessian, path) for name, path in paths.items()}
    return losses, paths


def test_widget_b_sliders_reach_every_prompted_value():
    sliders = controls(lecture.optimizer_race_widget())
    for name, values in {"log10 α": (-1.7, -1.1, -1.0), "momentum β": (0.0, 0.8, 0.97),
                         "decay γ": (0.5, 0.99)}.items():
        for value in values:
            assert reachable(sliders[name], value), (name, value)


def test_the_defaults():
    losses, paths = final_losses()
    final = {name: curve[-1] for name, curve in losses.items()}
    assert final["momentum"] < 1e-6 < final["SGD"] < final["RMSProp"] < final["Adam"]  # Adam last
    assert abs(paths["SGD"][10][1]) < 1e-2 and 0.05 < final["SGD"] < 0.5  # drops into the valley, then crawls
    assert round(lecture.first_step_sizes(paths)["SGD"], 1) == 1.0  # "moves the steep coordinate by about 1.0"
    for name in ("RMSProp", "Adam"):  # diagonal first steps: both coordinates move alike
        step = paths[name][1] - paths[name][0]
        assert np.isclose(abs(step[0]), abs(step[1]), rtol=1e-6)
    assert 4 / 10 ** -1.7 > 150  # "a couple of hundred steps" of size alpha to cover a distance of 4
    assert round(final["Adam"], 1) == 4.6 and round(final["RMSProp"], 1) == 0.4


def test_rmsprop_warm_up_first_step_is_ten_alpha():
    """The legend's first steps at the defaults: RMSProp alpha / sqrt(1 - gamma) = 0.1995, Adam alpha."""
    _, paths = final_losses()
    first = lecture.first_step_sizes(paths)
    alpha = 10 ** -1.7
    assert np.isclose(first["RMSProp"], alpha / np.sqrt(1 - 0.99), rtol=1e-6) and round(first["RMSProp"], 4) == 0.1995
    assert np.isclose(first["Adam"], alpha, rtol=1e-6)
    assert np.isclose(first["RMSProp"] / first["Adam"], 10.0, rtol=1e-6)
    figure = lecture.draw_optimizer_race()
    labels = [text.get_text() for text in figure.axes[1].get_legend().get_texts()]
    assert any(label.startswith("RMSProp") and label.endswith("step 1: 0.1995") for label in labels), labels
    assert any(label.startswith("Adam") and label.endswith("step 1: 0.01995") for label in labels), labels


def test_bias_corrected_rmsprop_ends_next_to_adam():
    """Adam with gamma_v = 0 is RMSProp with bias correction: after 100 steps its loss is about 6."""
    hessian = torch.as_tensor(lecture.quadratic_hessian(25.0, 0.0))
    point = torch.tensor(lecture.START, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([point], lr=10 ** -1.7, betas=(0.0, 0.99), eps=1e-8)
    for _ in range(100):
        with torch.no_grad():
            point.grad = hessian @ point
        optimizer.step()
    theta = point.detach().numpy()
    assert round(0.5 * theta @ hessian.numpy() @ theta) == 6


def test_rmsprop_constant_gradient_step_sizes():
    """Section 6: with a constant gradient, step k moves each coordinate by alpha / sqrt(1 - gamma^k)."""
    from solutions.backpropagation import rmsprop_step
    theta, state, grad = np.zeros(2), {}, np.array([3.0, -0.01])
    for k in range(1, 6):
        new, state = rmsprop_step(theta, grad, state, 0.02, 0.99, 0.0)
        assert np.allclose(np.abs(new - theta), 0.02 / np.sqrt(1 - 0.99 ** k))
        theta = new
    assert np.isclose(0.02 / np.sqrt(1 - 0.5), 0.028, atol=5e-4)  # "first step alpha / sqrt(0.5) = 0.028"


def test_learning_rate_0_1():
    losses, _ = final_losses(-1.0)
    assert not np.isfinite(losses["SGD"][-1])
    assert losses["RMSProp"][-1] < 1e-6 and 1e-6 < losses["Adam"][-1] < 1e-4  # from 58


def test_stability_bound_of_sgd():
    assert np.log10(2 / 25) > -1.1 - 0.01 and np.log10(2 / 25) < -1.0
    below, _ = final_losses(-1.1)
    assert np.isfinite(below["SGD"][-1]) and below["SGD"][-1] < below["SGD"][0]


def test_beta_settings():
    losses, paths = final_losses(beta=0.0)
    assert np.allclose(paths["momentum"], paths["SGD"])
    swirl, _ = final_losses(beta=0.97)
    assert swirl["momentum"][-1] > 0.1 and np.sum(np.diff(swirl["momentum"]) > 0) > 10


def test_gamma_0_5_and_the_tilted_valley():
    fast_forgetting, _ = final_losses(gamma=0.5)
    default, _ = final_losses()
    assert round(default["RMSProp"][-1], 1) == 0.4 and round(fast_forgetting["RMSProp"][-1]) == 2
    tilted, _ = final_losses(surface="tilted valley")
    assert round(tilted["RMSProp"][-1]) == 2 and tilted["momentum"][-1] < 1e-6


# --- gate patterns, why reverse mode, depth and initialisation ---------------------------------------

def test_gate_patterns_picture():
    assert lecture.gate_gradients("add", 3.0, -2.0, 2.0) == (1.0, 2.0, 2.0)  # add distributes
    assert lecture.gate_gradients("multiply", 3.0, -2.0, 2.0) == (-6.0, -4.0, 6.0)  # multiply swaps
    assert lecture.gate_gradients("max", 3.0, -2.0, 2.0) == (3.0, 2.0, 0.0)  # max routes


def test_forward_and_reverse_mode_agree_and_count_passes():
    weights, readout = lecture.tanh_stack(12, width=8)
    x = np.random.default_rng(0).normal(size=12)
    reverse = lecture.reverse_mode_gradient(weights, readout, x)
    assert np.allclose(lecture.forward_mode_gradient(weights, readout, x), reverse)
    torch_x = torch.tensor(x, requires_grad=True)
    value = torch_x
    for W in weights:
        value = torch.tanh(torch.as_tensor(W) @ value)
    (value @ torch.as_tensor(readout)).backward()
    assert np.allclose(torch_x.grad.numpy(), reverse)
    slow, fast = lecture.forward_and_reverse_mode_seconds(128, repeats=3)
    assert slow > 5 * fast  # n passes against one (a ratio within one run)


def test_depth_and_initialisation_claims():
    stats = lecture.depth_and_initialisation(depth=20, width=128)
    ratio = {key: value["gradient norm"][0] / value["gradient norm"][-1] for key, value in stats.items()}
    assert 0.5 < ratio[("relu", "He, std sqrt(2/fan_in)")] < 2  # He passes the ReLU gradient through
    assert np.isclose(ratio[("relu", "Xavier, std sqrt(1/fan_in)")], 0.5 ** 10, rtol=0.3)  # sqrt(1/2) per layer
    assert 3 < 1 / ratio[("tanh", "Xavier, std sqrt(1/fan_in)")] < 8  # "within a factor of about 6"
    for activation in ("tanh", "relu"):
        assert ratio[(activation, "naive, std 0.01")] < 1e-15  # vanishes
        assert ratio[(activation, "naive, std 1")] > 1e6  # explodes
    assert stats[("relu", "naive, std 1")]["activation std"][-1] > 1e15  # ReLU activations explode
    assert stats[("tanh", "naive, std 1")]["activation std"][-1] > 0.9  # tanh saturates at +-1


def test_deep_stack_backward_pass_matches_autograd():
    """The demo's numpy backward pass gives torch.autograd's gradients at every layer."""
    for activation in ("tanh", "relu"):
        ours = lecture.deep_stack_statistics(activation, "He, std sqrt(2/fan_in)", depth=4, width=8, batch=5, seed=3)
        rng = np.random.default_rng(3)  # the same draws, in the same order, as deep_stack_statistics
        weights = [torch.tensor(rng.normal(size=(8, 8)) * np.sqrt(2 / 8)) for _ in range(4)]
        h = torch.tensor(rng.normal(size=(5, 8)), requires_grad=True)
        readout = torch.tensor(rng.normal(size=8) / np.sqrt(8))
        outputs = []
        for W in weights:
            h = torch.tanh(h @ W.T) if activation == "tanh" else torch.relu(h @ W.T)
            h.retain_grad()
            outputs.append(h)
        (h @ readout).sum().backward()
        expected = [out.grad.norm(dim=1).mean().item() for out in outputs]
        assert np.allclose(ours["gradient norm"], expected)
        assert np.allclose(ours["activation std"], [out.detach().std(correction=0).item() for out in outputs])
