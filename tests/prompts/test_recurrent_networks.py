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


def drawn(model, vocab, temperature: float, seed: int) -> str:
    """What widget C shows for "First Citizen:" at this temperature and seed (the reference sample)."""
    return vocab.decode(reference.sample(model, vocab.encode("First Citizen:\n"), 240, temperature, torch.Generator().manual_seed(seed)))


def test_low_temperature_collapses_and_repeats(model_and_vocab):
    model, vocab = model_and_vocab
    sliders = controls(lecture.temperature_widget(reference.sample))
    assert reachable(sliders["temperature"], 0.1) and reachable(sliders["temperature"], 2.0)
    assert sliders["prompt"].value == "First Citizen:\n"
    p = lecture.tempered(lecture.next_char_distribution(model, vocab, "First Citizen:\n"), 0.1)
    assert p.max() > 0.9 and lecture.entropy(p) < 0.2
    for seed in range(3):
        sample = words(drawn(model, vocab, 0.1, seed))
        assert len(set(sample)) < 0.35 * len(sample)
    romeo = lecture.tempered(lecture.next_char_distribution(model, vocab, "ROMEO:\n"), 0.1)
    assert romeo.max() < 0.8  # several bars left


def test_high_temperature_flattens_and_makes_non_words(model_and_vocab):
    model, vocab = model_and_vocab
    known = set(words(lecture.load_text()))
    logits = lecture.next_char_distribution(model, vocab, "First Citizen:\n")
    assert lecture.entropy(lecture.tempered(logits, 2.0)) > lecture.entropy(lecture.tempered(logits, 1.0))
    for seed in range(3):
        sample = words(drawn(model, vocab, 2.0, seed))
        assert np.mean([w in known for w in sample]) < 0.5
    lecture.draw_temperature(reference.sample, temperature=2.0)


# --- the fixes of issue #25: what the text states, checked ------------------------------------------

import json  # noqa: E402
import pathlib  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

from solutions import recurrent_networks as reference  # noqa: E402

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "course" / "04_recurrent_networks" / "recurrent_networks.ipynb"


def cells(kind: str = "markdown") -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(NOTEBOOK.read_text())["cells"] if cell["cell_type"] == kind]


def cell_with(text: str, kind: str = "markdown") -> str:
    return next(source for source in cells(kind) if text in source)


def test_singular_value_above_one_does_not_force_explosion():
    """Cell 0 and section 5: sigma_max < 1/gamma forces vanishing; above, explosion is possible, not certain."""
    assert "decides between vanishing and exploding" not in "".join(cells())
    assert "below $1/\\gamma$" in cells()[0] and "may explode but need not" in cells()[0]
    sigma = np.linalg.norm(lecture.recurrent_matrix(0.8), 2)
    assert round(sigma, 2) == 1.34 and "the largest singular value is 1.34" in cell_with("## 5. Vanishing")
    assert norms(0.8, "tanh")[60] < 1e-3 and norms(0.8, "identity")[60] < 1e-3  # above 1, and still vanishing


def test_product_order_and_g_t():
    section = cell_with("## 5. Vanishing")
    assert "\\operatorname{diag}\\big(f'(a_T)\\big) W_{hh}\\; \\operatorname{diag}\\big(f'(a_{T-1})\\big)" in section
    assert "leftmost" in section
    bptt = cell_with("## 4. Backpropagation through time")
    assert "through $y_t$ alone" in bptt and "It is not the total gradient $\\partial L / \\partial h_t$" in bptt
    assert "g_t = \\partial L / \\partial h_t" not in bptt


def test_windows_are_trained_and_evaluated_alike():
    """Cell 16: the model trains on 64-character windows from a zero state, and is evaluated the same way."""
    assert "does *not* carry the state" in cell_with("## 4. Backpropagation through time")
    training = cell_with("lm_train_step(model, optimizer", "code")
    assert "seq_len=64" in training and "lecture.evaluate(model, val_ids, seq_len=64)" in training


def test_forget_gate_citation_and_gru_reset_gate():
    assert "Gers, Schmidhuber and Cummins, 2000" in cell_with("## 7. The LSTM")
    gru = cell_with("**The GRU**")
    assert "**reset gate** $r$" in gru and "r \\odot (W_{hn} h_{t-1} + b_{hn})" in gru


def test_gru_equations_are_torchs():
    """The GRU equations of section 8, with b_hn inside r * (.), give nn.GRUCell's state."""
    torch.manual_seed(0)
    cell = nn.GRUCell(3, 4).double()
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    W_i, W_h = cell.weight_ih.chunk(3), cell.weight_hh.chunk(3)
    b_i, b_h = cell.bias_ih.chunk(3), cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_i[0].T + b_i[0] + h @ W_h[0].T + b_h[0])
    z = torch.sigmoid(x @ W_i[1].T + b_i[1] + h @ W_h[1].T + b_h[1])
    n = torch.tanh(x @ W_i[2].T + b_i[2] + r * (h @ W_h[2].T + b_h[2]))
    torch.testing.assert_close((1 - z) * n + z * h, cell(x, h))


def test_parameter_cell_prints_three_counts_that_match_the_blocks(capsys):
    exec(cell_with("def parameter_count", "code"), {"nn": nn})
    lines = capsys.readouterr().out.strip().split("\n")
    per_block = 32 * 128 + 128 * 128 + 2 * 128
    for line, blocks in zip(lines, (1, 3, 4)):
        count = int(line.split("parameters")[0].split(":")[1].replace(",", ""))
        assert count == blocks * per_block and f"{blocks} x {per_block:,d}" in line
    assert len(lines) == 4


def test_notation_h_and_v():
    text = "".join(cells())
    assert "H_{t-1}" not in text and "H_t" not in text  # the state matrix is S_t; H is the hidden size
    first_v = next(source for source in cells() if "V \\times H" in source)
    assert "where $V$ is the number of outputs" in first_v


def test_no_control_characters():
    """A LaTeX command written in a Python string without r"" loses its backslash ("\\a" of
    "\\approx" becomes BEL, shown as "f pprox 0.5"): no cell holds a control character but newline."""
    for kind in ("markdown", "code"):
        for source in cells(kind):
            found = re.search(r"[\x00-\x09\x0b-\x1f\x7f]", source)
            assert found is None, f"{found.group()!r} in a {kind} cell: {source[max(found.start() - 40, 0):found.end() + 20]!r}"
    assert "$f \\approx 0.5$" in cell_with("default initialisation ($f")


def test_both_lstm_docstrings_promise_no_overflow_warning():
    """lstm_backward's scenarios fail an overflow warning, as lstm_step's do: both docstrings say so."""
    for name in ("def lstm_step", "def lstm_backward"):
        assert "nothing overflows (not even with a warning) for pre-activations in the" in cell_with(name, "code")


# --- the new demonstrations: what the text says they show -------------------------------------------

def recall_history(max_norm, seed=0):
    params = lecture.rnn_parameters(8, 32, 4, seed=seed, recurrent_scale=2.5)
    batch_rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        return np.array(reference.train_rnn(params, (lecture.recall_task(32, 20, batch_rng) for _ in range(300)),
                                            lr=0.5, max_norm=max_norm))


def test_unclipped_run_diverges_and_the_clipped_one_learns_with_clipping_firing():
    unclipped, clipped = recall_history(None), recall_history(1.0)
    assert unclipped[:, 0].max() > 4 * unclipped[0, 0] and unclipped[-50:, 0].mean() > np.log(4)
    assert clipped[-50:, 0].mean() < 0.05 and np.mean(clipped[:, 1] > 1) > 1 / 3
    assert "spectral radius of about 2.5" in cell_with("### Clipping in action")


def numpy_accuracy(length):
    params = lecture.rnn_parameters(8, 32, 4, seed=0)
    batch_rng = np.random.default_rng(length)
    reference.train_rnn(params, (lecture.recall_task(32, length, batch_rng) for _ in range(400)), lr=0.5, max_norm=1.0)
    x, targets = lecture.recall_task(500, length, np.random.default_rng(99))
    hs = reference.rnn_forward(x, np.zeros((500, 32)), params["W_xh"], params["W_hh"], params["b"])
    return lecture.recall_accuracy((hs[:, -1] @ params["W_hy"].T + params["b_y"]).argmax(axis=1), targets)


def torch_accuracy(kind, length):
    torch.manual_seed(0)
    model = lecture.RecallNet(kind, forget_bias=8.0)
    lecture.fit_recall(model, length, 400, seed=length)
    return lecture.torch_recall_accuracy(model, length), model


def test_the_rnns_fall_behind_as_the_lag_grows_and_the_lstm_does_not():
    torch.set_num_threads(1)
    assert numpy_accuracy(10) == 1.0 and numpy_accuracy(40) < 0.9
    assert torch_accuracy("RNN", 10)[0] == 1.0 and torch_accuracy("RNN", 40)[0] < 0.9
    accuracy, lstm = torch_accuracy("LSTM", 40)
    assert accuracy == 1.0
    trained = lecture.lag_gradient_norms(lstm, 61)
    assert trained[60] > trained[30] >= 0.5 * trained[10]  # no decay; the first step (lag 60) counts most
    torch.manual_seed(0)
    default = lecture.lag_gradient_norms(lecture.RecallNet("LSTM"), 61)
    untrained = lecture.lag_gradient_norms(lecture.RecallNet("LSTM", forget_bias=8.0), 61)
    assert default[60] < 1e-6 * default[0] and untrained[60] > 0.1 * untrained[0]
    torch.manual_seed(0)
    rnn = lecture.lag_gradient_norms(lecture.RecallNet("RNN"), 61)
    assert rnn[60] < 1e-10 * rnn[0]
    lecture.draw_lag_norms({"RNN untrained": rnn, "LSTM trained": trained})


def test_one_wrong_character_raises_the_next_losses(model_and_vocab):
    model, _ = model_and_vocab
    clean, corrupted = lecture.corrupted_context_losses(model, lecture.corpus()[2], position=40)
    assert corrupted[40:45].mean() > clean[40:45].mean() + 0.5
    assert np.allclose(corrupted[:40], clean[:40])  # only what comes after the mistake changes
    lecture.draw_exposure(clean, corrupted, 40)
