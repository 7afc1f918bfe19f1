"""Lecture 05: every "try this" prompt shows what it promises, and the claims the text makes hold.

Each test drives a prompt's setting through the pure function behind the widget. The
permutation-equivariance test and the training target use the reference solutions.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course import attention as lecture
from solutions.attention import TinyTransformer, positional_encoding, self_attention

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
    table = lecture.sinusoids(n_positions, dim, base)
    return table @ table[position]


def test_similarity_peaks_at_the_chosen_position_with_half_the_dimension():
    dots = similarity(dim=32)
    assert np.argmax(dots) == 20
    assert dots[20] == pytest.approx(16.0)


def test_similarity_depends_only_on_the_offset():
    first, second = similarity(position=20), similarity(position=30)
    np.testing.assert_allclose(first[10:40], second[20:50], atol=1e-9)


def test_small_base_drops_faster_and_oscillates_far_away():
    fast, slow = similarity(base=10.0), similarity(base=1e5)
    assert fast[21] < slow[21] and fast[19] < slow[19]  # drops more quickly on both sides
    far = fast[40:]
    assert np.sum(np.diff(np.sign(np.diff(far))) != 0) >= 4  # keeps turning up and down
    assert np.all(slow[21:30] > fast[21:30].min())


def test_positional_widget_reaches_the_prompt_values():
    controls = {c.description: c for c in lecture.positional_encoding_widget().children[0].children}
    assert controls["dimension"].min <= 32 <= controls["dimension"].max
    assert controls["base"].min <= 1 and controls["base"].max >= 5  # log10 of 10 and of 1e5


# --- the sinusoid table of the widgets equals the exercise's -----------------------------------------

@pytest.mark.parametrize("n_positions, dim, base", [(10, 8, 10000.0), (7, 5, 100.0), (3, 1, 10.0)])
def test_widget_sinusoids_match_positional_encoding(n_positions, dim, base):
    np.testing.assert_allclose(lecture.sinusoids(n_positions, dim, base),
                               positional_encoding(n_positions, dim, base).numpy(), atol=1e-6)


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
    torch.testing.assert_close(lecture.library_copy(model)(tokens), model(tokens), rtol=1e-4, atol=1e-5)


def test_held_out_sequences_never_appear_in_training():
    held_out = lecture.sequence_codes(lecture.test_digits())
    assert len(torch.unique(held_out)) == 1000
    drawn = lecture.random_digits(20000, torch.Generator().manual_seed(0), exclude=held_out)
    assert not torch.isin(lecture.sequence_codes(drawn), held_out).any()


def test_trained_attention_widget_draws_with_its_own_model():
    figure = lecture.draw_trained_attention("33311100", layer=1)
    assert len(figure.axes) == 4


@pytest.mark.slow
def test_reference_model_reaches_the_target():
    """Seeded as in the notebook: >= 99 % token and >= 95 % whole-sequence accuracy on held-out data."""
    from course.runtime import seed_everything

    torch.set_num_threads(1)
    seed_everything(0)
    model = TinyTransformer(lecture.VOCAB, 2 * lecture.LENGTH)
    lecture.train_sorter(model, 600)
    token_accuracy, sequence_accuracy = lecture.sorting_accuracy(model, lecture.test_digits())
    assert token_accuracy >= 0.99 and sequence_accuracy >= 0.95, (token_accuracy, sequence_accuracy)
    for text in ("52809164", "33311100"):  # widget C's prompt: the trained model sorts repeats too
        digits = lecture.parse_digits(text)
        assert torch.equal(lecture.sort_greedily(model, digits)[0], digits[0].sort().values), text
    assert next_digit_lookups(lecture.library_copy(model), lecture.test_digits(200)).float().mean() > 0.9


def next_digit_lookups(model: lecture.LibrarySorter, digits: torch.Tensor) -> torch.Tensor:
    """Per sequence and output step: does some layer-2 head look hardest at an input digit
    equal to the digit the model writes next? (bool (B, LENGTH))"""
    written = lecture.sort_greedily(model, digits)
    tokens = torch.cat([digits, torch.full((len(digits), 1), lecture.SEP), written[:, :-1]], dim=1)
    with torch.no_grad():
        weights = model.run(tokens)[1][1][:, :, lecture.LENGTH:, :]  # layer 2, rows from the separator on
    looked_at = torch.gather(tokens[:, None, None, :].expand(-1, weights.shape[1], lecture.LENGTH, -1), 3,
                             weights.argmax(dim=-1, keepdim=True))[..., 0]
    return (looked_at == written[:, None, :]).any(dim=1)


def test_widget_model_sorts_the_default_input():
    digits = lecture.parse_digits("52809164")
    assert torch.equal(lecture.sort_greedily(lecture.widget_model(), digits)[0], digits[0].sort().values)


def test_layer_two_looks_up_the_next_digit():
    model = lecture.widget_model()
    assert next_digit_lookups(model, lecture.parse_digits("52809164")).all()
    assert next_digit_lookups(model, lecture.test_digits(200)).float().mean() > 0.9
