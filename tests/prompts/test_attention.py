"""Lecture 05: every "try this" prompt shows what it promises, and the claims the text makes hold.

Each test drives a prompt's setting through the pure function behind the widget. The
permutation-equivariance test and the training target use the reference solutions.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course import attention as lecture
from course.widgets import after_exercise
from solutions.attention import (EncoderDecoder, TinyTransformer, greedy_decode, masked_cross_entropy,
                                 positional_encoding, self_attention)

START = {"query_x": 1.0, "query_y": 0.5, "key_x": 1.5, "key_y": 1.5}  # the widget's starting values


def weights_2d(query_x, query_y, key_x, key_y, scale):
    return lecture.attention_2d(np.array([query_x, query_y]), lecture.widget_keys(key_x, key_y), scale)["weights"]


# --- widget A --------------------------------------------------------------------------------------

def test_scale_zero_gives_uniform_weights_and_the_mean():
    keys = lecture.widget_keys(START["key_x"], START["key_y"])
    result = lecture.attention_2d(np.array([START["query_x"], START["query_y"]]), keys, 0.0)
    np.testing.assert_allclose(result["weights"], 0.2)
    np.testing.assert_allclose(result["output"], keys.mean(axis=0))


def test_scale_ten_puts_more_than_ninety_percent_on_key_five():
    weights = weights_2d(**START, scale=10.0)
    assert np.argmax(weights) == 4 and weights[4] > 0.9


def test_query_pointing_left_prefers_key_three():
    weights = weights_2d(-1.0, 0.0, START["key_x"], START["key_y"], 1.0)
    assert np.argmax(weights) == 2


def test_longer_key_beats_the_aligned_one_until_it_is_shortened():
    weights = weights_2d(1.0, 0.0, 1.5, 1.5, 1.0)
    assert weights[4] > weights[0]
    weights = weights_2d(1.0, 0.0, 0.5, 0.5, 1.0)
    assert np.argmax(weights) == 0


def test_prompt_values_are_reachable():
    controls = {c.description: c for c in lecture.attention_2d_widget().children[0].children}
    assert controls["scale s"].min == 0.0 and controls["scale s"].max >= 10.0
    for name in ("query x", "query y", "key 5 x", "key 5 y"):
        assert controls[name].min <= -1.0 and controls[name].max >= 2.0


# --- widget B --------------------------------------------------------------------------------------

def similarity(n_positions=64, dim=32, position=20, base=10000.0):
    """The widget's right panel, drawn from the reference positional_encoding."""
    figure = lecture.draw_positional_encoding(positional_encoding, n_positions, dim, position, base)
    return np.asarray(figure.axes[1].lines[0].get_ydata())


def test_similarity_peaks_at_the_chosen_position_with_half_the_dimension():
    dots = similarity(dim=32)
    assert np.argmax(dots) == 20
    assert dots[20] == pytest.approx(16.0, abs=1e-5)


def test_similarity_depends_only_on_the_offset():
    first, second = similarity(position=20), similarity(position=30)
    np.testing.assert_allclose(first[10:40], second[20:50], atol=1e-5)  # float32 encodings


def test_small_base_drops_faster_and_oscillates_far_away():
    fast, slow = similarity(base=10.0), similarity(base=1e5)
    assert fast[21] < slow[21] and fast[19] < slow[19]  # drops more quickly on both sides
    far = fast[40:]
    assert np.sum(np.diff(np.sign(np.diff(far))) != 0) >= 4  # keeps turning up and down
    assert np.all(slow[21:30] > fast[21:30].min())


def test_positional_widget_reaches_the_prompt_values():
    controls = {c.description: c for c in lecture.positional_encoding_widget(positional_encoding).children[0].children}
    assert controls["dimension"].min <= 32 <= controls["dimension"].max
    assert controls["base"].min <= 1 and controls["base"].max >= 5  # log10 of 10 and of 1e5


# --- widget B draws the student's encodings, or names the exercise to finish ------------------------

def test_positional_widget_draws_the_table_it_is_given():
    table = torch.arange(12.0).reshape(4, 3) / 12
    figure = lecture.draw_positional_encoding(lambda n, d, base: table, 4, 3, 1)
    np.testing.assert_allclose(figure.axes[0].images[0].get_array(), table.numpy().T)


def test_positional_widget_names_the_exercise_while_it_is_a_stub():
    def stub(n_positions, dim, base=10000.0):
        raise NotImplementedError()

    lecture.positional_encoding_widget(stub)  # builds without a traceback
    draw = after_exercise(lecture.draw_positional_encoding, "exercise 4 (positional_encoding)")
    assert "finish exercise 4 (positional_encoding) first" in draw(stub).texts[0].get_text()


# --- permutation equivariance ----------------------------------------------------------------------

def test_self_attention_is_permutation_equivariant_without_positions_and_not_with_them():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn((6, 4), generator=generator)
    w_q, w_k, w_v = (torch.randn((4, 4), generator=generator) for _ in range(3))
    order = torch.tensor([3, 0, 5, 1, 4, 2])

    def attend(inputs):
        return self_attention(inputs, w_q, w_k, w_v)[0]

    assert torch.allclose(attend(x[order]), attend(x)[order], atol=1e-5)
    positions = positional_encoding(6, 4)
    shuffled = attend(x[order] + positions)
    assert not torch.allclose(shuffled, attend(x + positions)[order], atol=1e-2)


# --- widget C and the training target ----------------------------------------------------------------

def test_library_copy_matches_the_reference_model():
    torch.manual_seed(0)
    model = TinyTransformer(lecture.VOCAB, 2 * lecture.LENGTH)
    tokens = lecture.sorting_sequences(lecture.test_digits(4))[0]
    copy = lecture.library_copy(model)
    torch.testing.assert_close(copy(tokens), model(tokens), rtol=1e-4, atol=1e-5)
    assert torch.equal(copy.positions, model.positions) and "positions" not in dict(copy.named_parameters())


def test_held_out_sequences_never_appear_in_training():
    held_out = lecture.sequence_codes(lecture.test_digits())
    assert len(torch.unique(held_out)) == 1000
    drawn = lecture.random_digits(20000, torch.Generator().manual_seed(0), exclude=held_out)
    assert not torch.isin(lecture.sequence_codes(drawn), held_out).any()


def test_trained_attention_widget_draws_with_its_own_model():
    figure = lecture.draw_trained_attention("33311100", layer=2)
    assert len(figure.axes) == 4


def train_sorter_as_the_notebook_does(steps: int = 600) -> TinyTransformer:
    """Seeded and trained as the notebook's training cell does, with the reference solutions."""
    from course.runtime import seed_everything

    torch.set_num_threads(1)
    seed_everything(0)
    model = TinyTransformer(lecture.VOCAB, 2 * lecture.LENGTH)
    batches = torch.Generator().manual_seed(0)
    held_out = lecture.sequence_codes(lecture.test_digits())

    def sorter_loss(step):
        inputs, targets = lecture.sorting_sequences(lecture.random_digits(64, batches, exclude=held_out))
        return masked_cross_entropy(model(inputs), targets)
    lecture.train(model, sorter_loss, steps)
    return model


@pytest.mark.slow
def test_reference_model_reaches_the_target():
    """Seeded as in the notebook: >= 99 % token and >= 95 % whole-sequence accuracy on held-out data."""
    model = train_sorter_as_the_notebook_does()
    digits = lecture.test_digits()
    written = greedy_decode(model, lecture.sorting_prompts(digits), lecture.LENGTH)
    token_accuracy, sequence_accuracy = lecture.accuracies(written, digits.sort(dim=1).values)
    assert token_accuracy >= 0.99 and sequence_accuracy >= 0.95, (token_accuracy, sequence_accuracy)
    for text in ("52809164", "33311100"):  # widget C's prompt: the trained model sorts repeats too
        row = lecture.parse_digits(text)
        assert torch.equal(greedy_decode(model, lecture.sorting_prompts(row), lecture.LENGTH)[0], row[0].sort().values), text
    copy = lecture.library_copy(model)
    sorted_digits = digits[:200].sort(dim=1).values
    predicted = lecture.teacher_forced_reading(copy, digits[:200])[0]  # all right exactly when greedy sorts
    assert torch.equal((predicted == sorted_digits).all(dim=1), (written[:200] == sorted_digits).all(dim=1))
    assert next_digit_lookups(copy, lecture.test_digits(200)).float().mean() > 0.9


@pytest.mark.slow
def test_encoder_decoder_reverses_held_out_strings_as_the_notebook_says():
    """The notebook's reversal cell: 200 steps reach 99.9 % whole-sequence accuracy on the held-out strings."""
    from course.runtime import seed_everything

    torch.set_num_threads(1)
    seed_everything(0)
    model = EncoderDecoder(lecture.VOCAB, lecture.LENGTH, embed_dim=32, num_heads=4, mlp_dim=64, num_layers=1)
    batches = torch.Generator().manual_seed(1)
    held_out = lecture.sequence_codes(lecture.test_digits())

    def reversal_loss(step):
        source, decoder_input, targets = lecture.reversal_batch(lecture.random_digits(64, batches, exclude=held_out))
        return masked_cross_entropy(model(source, decoder_input), targets)
    lecture.train(model, reversal_loss, 200)
    digits = lecture.test_digits()
    written = greedy_decode(lambda tokens: model(digits, tokens), torch.full((len(digits), 1), lecture.START), lecture.LENGTH)
    assert lecture.accuracies(written, digits.flip(1))[1] == pytest.approx(0.999, abs=5e-4)


def next_digit_lookups(model: lecture.LibrarySorter, digits: torch.Tensor) -> torch.Tensor:
    """Per sequence and output step: does some layer-2 head look hardest at an input digit
    equal to the digit the model predicts next? (bool (B, LENGTH))"""
    written, tokens, maps = lecture.teacher_forced_reading(model, digits)
    weights = maps[1][:, :, lecture.LENGTH:, :]  # layer 2, rows from the separator on
    looked_at = torch.gather(tokens[:, None, None, :].expand(-1, weights.shape[1], lecture.LENGTH, -1), 3,
                             weights.argmax(dim=-1, keepdim=True))[..., 0]
    return (looked_at == written[:, None, :]).any(dim=1)


def test_widget_model_sorts_the_default_input():
    digits = lecture.parse_digits("52809164")
    assert torch.equal(lecture.teacher_forced_reading(lecture.widget_model(), digits)[0][0], digits[0].sort().values)


def test_layer_two_looks_up_the_next_digit():
    model = lecture.widget_model()
    assert next_digit_lookups(model, lecture.parse_digits("52809164")).all()
    assert next_digit_lookups(model, lecture.test_digits(200)).float().mean() > 0.9


def test_layer_slider_reads_the_layers_the_text_names():
    controls = {c.description: c for c in lecture.trained_attention_widget().children[0].children}
    assert (controls["layer"].min, controls["layer"].max, controls["layer"].value) == (1, 2, 1)
    figure = lecture.draw_trained_attention("52809164", layer=2)
    assert figure._suptitle.get_text().startswith("layer 2:")
    assert lecture.draw_trained_attention("52809164", layer=1)._suptitle.get_text().startswith("layer 1:")


# --- the fixes of the text: the fully masked row, the convolution's reach, the figures --------------------

def test_what_torch_gives_for_a_fully_masked_row_is_what_the_text_says():
    q = torch.randn(1, 2, 4)
    blocked = torch.zeros(2, 2, dtype=torch.bool)
    blocked[0] = True
    assert torch.softmax(torch.full((3,), float("-inf")), dim=-1).isnan().all()
    assert (torch.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=blocked)[0, 1] == 0).all()
    assert torch.nn.MultiheadAttention(4, 1, batch_first=True)(q, q, q, attn_mask=~blocked)[0][0, 1].isnan().all()


def test_reference_gives_zeros_and_the_output_bias_for_a_fully_masked_row():
    from solutions.attention import MultiHeadAttention, scaled_dot_product_attention

    q = torch.randn(2, 3, 4)
    mask = torch.ones(3, 3, dtype=torch.bool)
    mask[1] = False
    out, weights = scaled_dot_product_attention(q, q, q, mask)
    assert (weights[:, 1] == 0).all() and (out[:, 1] == 0).all()
    module = MultiHeadAttention(4, 2)
    with torch.no_grad():
        module.out_proj.bias.normal_()
        out, _ = module(q, q, q, mask)
    torch.testing.assert_close(out[:, 1], module.out_proj.bias.expand(2, 4))


def convolution_layers_needed(distance: int, k: int) -> int:
    """Layers of centred width-k convolutions until output t sees input t + distance."""
    reach, layers = 0, 0
    while reach < distance:
        reach += (k - 1) // 2
        layers += 1
    return layers


@pytest.mark.parametrize("distance, k", [(10, 3), (10, 5), (12, 7), (1, 3)])
def test_a_centred_convolution_needs_about_two_distance_over_k_minus_one_layers(distance, k):
    assert convolution_layers_needed(distance, k) == int(np.ceil(2 * distance / (k - 1)))


def test_the_text_states_the_convolutions_reach():
    import nbformat

    from tests.conftest import LECTURES

    lecture_05 = next(item for item in LECTURES if item.slug == "attention")
    text = "\n".join(c.source for c in nbformat.read(lecture_05.student_notebook, as_version=4).cells)
    assert "2|t - s| / (k - 1)" in text and "(k - 1)/2" in text
    assert "2 per layer" not in text
    titles = [ax.get_title() for ax in lecture.draw_sequence_processors().axes]
    assert "(k - 1)/2 = 1 per side per layer" in titles[1]


def test_seq2seq_figures_show_every_input_of_the_decoder():
    texts = lambda fig: " ".join(t.get_text() for t in fig.axes[0].texts)  # noqa: E731
    plain, attending = lecture.draw_seq2seq(with_attention=False), lecture.draw_seq2seq(with_attention=True)
    for fig in (plain, attending):
        assert "$y_0$ = start" in texts(fig) and "$y_1$" in texts(fig) and "$y_2$" in texts(fig)
    assert "c feeds every decoder step" in plain.axes[0].get_title().replace("the same ", "")
    assert "f_{att}(s_0, h_i)" in texts(attending) and "$s_0$ scores" in texts(attending)


# --- the numerical demonstrations --------------------------------------------------------------------------

def test_softmax_jacobian_collapses_without_the_scale_and_not_with_it():
    rows = lecture.jacobian_norms_by_dimension()
    assert [d for d, _, _ in rows] == [4, 16, 64, 256, 1024]
    unscaled, scaled = [raw for _, raw, _ in rows], [s for _, _, s in rows]
    assert unscaled[0] == pytest.approx(0.27, abs=0.01) and unscaled[-1] < 3e-5  # the summary's figures
    assert unscaled[-1] < 1e-3 * unscaled[0]
    assert all(0.15 < value < 0.25 for value in scaled)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_positional_encoding_shifts_by_a_rotation(k):
    table = positional_encoding(64, 16).double().numpy()
    rotation = lecture.rotation_for_offset(k, 16)
    np.testing.assert_allclose(table[:-k] @ rotation, table[k:], atol=1e-6)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(16), atol=1e-12)


def test_additive_scores_match_the_formula():
    generator = torch.Generator().manual_seed(0)
    state, encoded = torch.randn(4, generator=generator), torch.randn(6, 4, generator=generator)
    w, u, v = torch.randn(4, 8, generator=generator), torch.randn(4, 8, generator=generator), torch.randn(8, generator=generator)
    expected = torch.stack([v @ torch.tanh(w.T @ state + u.T @ h) for h in encoded])  # the column-vector form
    torch.testing.assert_close(lecture.additive_scores(state, encoded, w, u, v), expected)


def test_warmup_rises_linearly_then_decays_to_zero():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=1.0)
    schedule = lecture.warmup_schedule(optimizer, 100, 10)
    rates = []
    for _ in range(100):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    np.testing.assert_allclose(rates[:10], np.arange(1, 11) / 10)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:])) and rates[-1] < 0.01


def test_the_model_dimension_is_d_in_every_picture_and_never_e():
    texts = [t.get_text() for t in lecture.draw_transformer_block().axes[0].texts]
    assert any("(B, N, D)" in t for t in texts) and not any("E)" in t or "(E," in t for t in texts)
