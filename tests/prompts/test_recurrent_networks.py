"""Every "try this" prompt of lecture 04 uses values its widget's controls reach and shows what it promises."""
from __future__ import annotations

import re

import numpy as np
import pytest

from course import recurrent_networks as lecture


def controls(widget) -> dict:
    """The widget's controls by description."""
    return {control.description: control for control in widget.children[0].children}


def reachable(control, value) -> bool:
    if hasattr(control, "options"):
        return value in control.options
    steps = (value - control.min) / control.step
    return control.min <= value <= control.max and abs(steps - round(steps)) < 1e-9


# --- widget A: gradient norm against the lag ------------------------------------------------------

def norms(radius: float, activation: str, input_scale: float = 1.0) -> np.ndarray:
    return lecture.jacobian_norms(lecture.recurrent_matrix(radius), activation, 60, input_scale)


def test_gradient_flow_values_are_reachable():
    sliders = controls(lecture.gradient_flow_widget())
    for radius in (0.8, 1.0, 1.2):
        assert reachable(sliders["spectral radius of W_hh"], radius)
    for scale in (0.0, 1.0, 3.0):
        assert reachable(sliders["input scale"], scale)
    assert sliders["steps T"].value == 60


def test_identity_vanishes_at_0_8_and_explodes_at_1_2_following_the_radius():
    low, high = norms(0.8, "identity"), norms(1.2, "identity")
    assert low[60] < 1e-5 and high[60] > 1e4
    for radius, curve in ((0.8, low), (1.2, high)):
        assert 0.1 < curve[60] / radius ** 60 < 10  # follows the dashed line
    lecture.draw_gradient_flow(radius=1.2)


def test_tanh_vanishes_at_1_2_with_inputs():
    assert norms(1.2, "tanh")[60] < 1e-8


def test_input_scale_zero_makes_tanh_identical_and_three_makes_it_fall_faster():
    np.testing.assert_allclose(norms(1.2, "tanh", 0.0), norms(1.2, "identity", 0.0))
    assert np.all(norms(1.2, "tanh", 3.0)[[20, 40, 60]] < norms(1.2, "tanh", 1.0)[[20, 40, 60]])
    lecture.draw_gradient_flow(radius=1.2, input_scale=3.0)


def test_singular_value_above_one_at_radius_one():
    assert np.linalg.norm(lecture.recurrent_matrix(1.0), 2) > 1.2


# --- widgets B and C use the widget model -------------------------------------------------------

@pytest.fixture(scope="module")
def model_and_vocab():
    return lecture.widget_model()


def test_cell_state_leaves_the_colour_scale_and_h_stays_inside(model_and_vocab):
    sliders = controls(lecture.gates_widget())
    assert reachable(sliders["gate"], "cell state c") and reachable(sliders["gate"], "hidden state h")
    values = lecture.gate_activations(*model_and_vocab, lecture.SENTENCES[0])
    shown = values["cell state c"][:, :16]
    assert (np.abs(shown).max(axis=0) > 1).sum() >= 8  # many of the shown units
    assert np.all(np.abs(values["hidden state h"]) < 1)
    lecture.draw_gates(gate="cell state c")


def test_forget_gate_mean_above_half_and_some_units_switch(model_and_vocab):
    for sentence in lecture.SENTENCES:
        forget = lecture.gate_activations(*model_and_vocab, sentence)["forget gate f"]
        assert forget.mean() > 0.5
        assert np.abs(np.diff(forget[:, :16], axis=0)).max() > 0.8


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z']+", text)


def test_low_temperature_collapses_and_repeats(model_and_vocab):
    model, vocab = model_and_vocab
    sliders = controls(lecture.temperature_widget())
    assert reachable(sliders["temperature"], 0.1) and reachable(sliders["temperature"], 2.0)
    assert sliders["prompt"].value == "First Citizen:\n"
    p = lecture.tempered(lecture.next_char_distribution(model, vocab, "First Citizen:\n"), 0.1)
    assert p.max() > 0.9 and lecture.entropy(p) < 0.2
    for seed in range(3):
        sample = words(lecture.generate(model, vocab, "First Citizen:\n", 240, 0.1, seed))
        assert len(set(sample)) < 0.35 * len(sample)
    romeo = lecture.tempered(lecture.next_char_distribution(model, vocab, "ROMEO:\n"), 0.1)
    assert romeo.max() < 0.8  # several bars left


def test_high_temperature_flattens_and_makes_non_words(model_and_vocab):
    model, vocab = model_and_vocab
    known = set(words(lecture.load_text()))
    logits = lecture.next_char_distribution(model, vocab, "First Citizen:\n")
    assert lecture.entropy(lecture.tempered(logits, 2.0)) > lecture.entropy(lecture.tempered(logits, 1.0))
    for seed in range(3):
        sample = words(lecture.generate(model, vocab, "First Citizen:\n", 240, 2.0, seed))
        assert np.mean([w in known for w in sample]) < 0.5
    lecture.draw_temperature(temperature=2.0)
