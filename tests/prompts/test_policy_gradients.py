"""Lecture 09's "things to try": each prompt's setting, driven through the pure function, shows
what the notebook promises. Slider values used here are reachable by the widgets' controls."""
from __future__ import annotations

import numpy as np
import pytest

from course import policy_gradients as pg

BEST_ARM = pg.BANDIT_MEANS.max()


def sampled_variance(n_samples: int, offset: float, baseline: bool) -> float:
    """The variance the left panel's legend reports (same seed as the drawing)."""
    return pg.total_variance(pg.toy_estimates(n_samples, 400, offset, baseline, seed=1))


def final_median_and_band(learning_rate: float, offset: float, batch: int, baseline: bool) -> tuple[float, float]:
    curves = pg.bandit_curves(learning_rate, offset, batch, baseline)
    low, middle, high = np.percentile(curves[:, -1], [10, 50, 90])
    return float(middle), float(high - low)


# --- widget A: variance of the score-function estimator ------------------------------------------------

@pytest.mark.parametrize("baseline", [False, True])
def test_variance_falls_about_16_fold_from_4_to_64_samples(baseline):
    for variance in (sampled_variance, pg.estimator_variance):
        ratio = variance(4, 10.0, baseline) / variance(64, 10.0, baseline)
        assert 12 < ratio < 21, f"{variance.__name__}: ratio {ratio:.1f}, promised about 16"


def test_offset_grows_blue_and_leaves_orange_unchanged():
    assert sampled_variance(8, 30.0, False) > 50 * sampled_variance(8, 0.0, False)
    assert pg.estimator_variance(8, 30.0, False) > 50 * pg.estimator_variance(8, 0.0, False)
    assert sampled_variance(8, 30.0, True) == pytest.approx(sampled_variance(8, 0.0, True), rel=1e-9)
    assert pg.estimator_variance(8, 30.0, True) == pytest.approx(pg.estimator_variance(8, 0.0, True), rel=1e-9)


def test_offset_minus_two_lines_nearly_meet_with_blue_below():
    blue = np.array([pg.estimator_variance(int(n), -2.0, False) for n in pg.SAMPLE_COUNTS])
    orange = np.array([pg.estimator_variance(int(n), -2.0, True) for n in pg.SAMPLE_COUNTS])
    assert np.all(blue < orange) and np.all(orange < 1.5 * blue)


def test_variance_controls_reach_the_prompted_values():
    box = pg.variance_widget()
    samples, offset = box.children[0].children
    assert samples.min <= 4 and samples.max >= 64 and offset.min <= -2 and offset.max >= 30


# --- widget B: REINFORCE on a bandit ----------------------------------------------------------------

def test_default_orange_climbs_blue_spreads_and_ends_lower():
    blue, blue_band = final_median_and_band(0.05, 10.0, 4, False)
    orange, orange_band = final_median_and_band(0.05, 10.0, 4, True)
    start = float(pg.BANDIT_MEANS.mean())
    assert orange > start + 0.4 and blue < orange and blue_band > 3 * orange_band


def test_offset_zero_curves_look_alike():
    blue, _ = final_median_and_band(0.05, 0.0, 4, False)
    orange, _ = final_median_and_band(0.05, 0.0, 4, True)
    assert abs(blue - orange) < 0.05


def test_offset_40_blue_band_wide_and_orange_as_at_offset_10():
    blue, blue_band = final_median_and_band(0.05, 40.0, 4, False)
    orange, orange_band = final_median_and_band(0.05, 40.0, 4, True)
    orange_at_10, _ = final_median_and_band(0.05, 10.0, 4, True)
    assert blue_band > 1.0 and blue < orange - 0.3 and abs(orange - orange_at_10) < 0.1


def test_small_learning_rate_both_slow_gap_narrows():
    blue, _ = final_median_and_band(0.01, 10.0, 4, False)
    orange, _ = final_median_and_band(0.01, 10.0, 4, True)
    default_gap = final_median_and_band(0.05, 10.0, 4, True)[0] - final_median_and_band(0.05, 10.0, 4, False)[0]
    assert orange < BEST_ARM - 0.4 and blue < BEST_ARM - 0.4 and abs(orange - blue) < default_gap


def test_bandit_controls_reach_the_prompted_values():
    learning_rate, offset, batch = pg.bandit_widget().children[0].children
    assert learning_rate.min <= 0.01 and learning_rate.max >= 0.05 and offset.min <= 0 and offset.max >= 40
    assert batch.min <= 4 <= batch.max


# --- widget C: the PPO clipped objective ------------------------------------------------------------

def flat_region(epsilon: float, advantage: float) -> tuple[float, float]:
    """Where the objective's slope is zero: (first, last) flat ratio on the widget's grid."""
    ratio = np.linspace(0.0, 2.0, 401)
    slope = np.gradient(pg.clipped_objective(ratio, advantage, epsilon), ratio)
    flat = ratio[np.abs(slope) < 1e-9]
    return float(flat.min()), float(flat.max())


@pytest.mark.parametrize("epsilon", [0.05, 0.2, 0.5])
def test_ppo_flat_beyond_one_plus_epsilon_for_good_actions(epsilon):
    first, last = flat_region(epsilon, 1.0)
    assert first == pytest.approx(1 + epsilon, abs=0.011) and last == 2.0
    ratio = np.linspace(0.0, 1.0 + epsilon, 50)
    assert np.allclose(pg.clipped_objective(ratio, 1.0, epsilon), ratio)


@pytest.mark.parametrize("epsilon", [0.05, 0.2, 0.5])
def test_ppo_flat_below_one_minus_epsilon_for_bad_actions(epsilon):
    first, last = flat_region(epsilon, -1.0)
    assert first == 0.0 and last == pytest.approx(1 - epsilon, abs=0.011)
    ratio = np.linspace(1.0, 2.0, 50)
    assert np.allclose(pg.clipped_objective(ratio, -1.0, epsilon), -ratio)


def test_ppo_control_reaches_the_prompted_values():
    (epsilon,) = pg.ppo_widget().children[0].children
    assert epsilon.min <= 0.05 and epsilon.max >= 0.5 and epsilon.value == pytest.approx(0.2)


@pytest.mark.parametrize("epsilon", [0.05, 0.2, 0.5])
def test_ppo_bad_action_follows_r_times_a_for_every_ratio_from_one_minus_epsilon(epsilon):
    """Cell "Things to try" of widget C: for A < 0 the curve is r A for every r >= 1 - epsilon."""
    ratio = np.linspace(1.0 - epsilon, 3.0, 500)
    assert np.allclose(pg.clipped_objective(ratio, -1.0, epsilon), -ratio)
    below = np.linspace(0.0, 1.0 - epsilon - 1e-6, 50)
    assert np.allclose(pg.clipped_objective(below, -1.0, epsilon), -(1.0 - epsilon))


# --- the best constant baseline (section 5 and the summary) ----------------------------------------

def test_best_constant_baseline_is_2_08_against_mean_1_80_and_has_less_variance():
    best, mean = pg.optimal_constant_baseline(), pg.toy_mean_reward()
    assert round(best, 2) == 2.08 and round(mean, 2) == 1.80
    variances = {b: pg.estimator_variance(1, 0.0, b) for b in np.linspace(0.0, 4.0, 401)}
    assert min(variances, key=variances.get) == pytest.approx(best, abs=0.01)
    assert pg.estimator_variance(1, 0.0, best) < pg.estimator_variance(1, 0.0, mean)
    # the float baseline equals the boolean one at the mean
    assert pg.estimator_variance(5, 3.0, True) == pytest.approx(pg.estimator_variance(5, 3.0, mean + 3.0))


# --- fixes checked in the notebook's text and code -------------------------------------------------

def _notebook_sources() -> list[str]:
    import nbformat
    from tests.conftest import LECTURES
    lecture = next(lecture for lecture in LECTURES if lecture.slug == "policy_gradients")
    return [cell.source for cell in nbformat.read(lecture.student_notebook, as_version=4).cells]


def test_episodes_and_steps_have_two_symbols_and_the_loss_is_proportional():
    text = "\n".join(_notebook_sources())
    assert r"\hat g = \frac1M \sum_{i=1}^{M}" in text and "play $M$ episodes" in text
    assert r"\nabla_\theta L = -\frac{M}{N}\, \hat g" in text and "*proportional to*" in text


def test_snapshot_is_also_evaluated_on_held_out_seeds_disjoint_from_the_selection():
    checkpoint = pg.GreedyCheckpoint(pg.mlp(4, 2, 8))
    selection = set(range(checkpoint.eval_seed, checkpoint.eval_seed + checkpoint.n_eval))
    assert not selection & set(range(pg.HELD_OUT_SEED, pg.HELD_OUT_SEED + 100))
    assert any("checkpoint.evaluate(seed=lecture.HELD_OUT_SEED)" in source for source in _notebook_sources())


def test_summary_no_longer_calls_the_learned_value_the_best_baseline():
    text = "\n".join(_notebook_sources())
    assert "best: a learned" not in text and "= 2.08$, not $\\mathbb E f = 1.80$" in text
