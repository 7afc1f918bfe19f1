"""Lecture 08: every "try this" prompt and every claim of a picture shows what it promises.

Each test drives the prompt's setting through the pure function behind the widget (or the
reference, run the way the notebook runs it) and checks the promised effect.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from course import q_learning as lecture
from solutions import q_learning as reference

# The notebook's settings for the CliffWalking comparison.
EPSILON, ALPHA, SEED, EPISODES = 0.1, 0.5, 0, 500


def _runs(epsilon: float, n_runs: int = 3):  # the widget's number of runs
    return {name: [lecture.td_control(name, epsilon, 500, 0.5, 1.0, seed) for seed in range(n_runs)]
            for name in lecture.METHODS}


def _mean_after_100(results) -> float:
    return float(np.mean([totals for _, totals in results], axis=0)[100:].mean())


@pytest.mark.slow
def test_notebook_cliff_paths_and_online_rewards_rank_opposite():
    """With the notebook's seed and epsilon, SARSA's greedy path keeps away from the cliff and
    Q-learning's walks its edge, while SARSA collects more reward per episode while learning."""
    paths, online = {}, {}
    for name, play in [("SARSA", reference.sarsa_episode), ("Q-learning", reference.q_learning_episode)]:
        env, Q, rng = gym.make("CliffWalking-v1"), np.zeros((48, 4)), np.random.default_rng(SEED)
        online[name] = np.array([play(env, Q, EPSILON, ALPHA, 1.0, rng)[0] for _ in range(EPISODES)])
        paths[name] = lecture.greedy_path(Q)
    assert paths["Q-learning"][-1] == lecture.CLIFF_GOAL and len(paths["Q-learning"]) - 1 == 13
    assert lecture.steps_beside_cliff(paths["Q-learning"]) == 10
    assert paths["SARSA"][-1] == lecture.CLIFF_GOAL and lecture.steps_beside_cliff(paths["SARSA"]) == 0
    assert online["SARSA"][EPISODES // 5:].mean() > online["Q-learning"][EPISODES // 5:].mean() + 5


def test_widget_a_default_shows_the_same_ranking():
    runs = _runs(0.1)
    sarsa_path, q_path = (lecture.greedy_path(runs[name][0][0]) for name in lecture.METHODS)
    assert lecture.steps_beside_cliff(q_path) == 10 and q_path[-1] == lecture.CLIFF_GOAL
    assert sarsa_path[-1] == lecture.CLIFF_GOAL and lecture.steps_beside_cliff(sarsa_path) <= 1
    assert _mean_after_100(runs["SARSA"]) > _mean_after_100(runs["Q-learning"])


def test_widget_a_epsilon_zero_both_find_the_edge_path():
    """Prompt: with epsilon = 0 both find the 13-step edge path and both curves end at -13."""
    for name, results in _runs(0.0).items():
        path = lecture.greedy_path(results[0][0])
        assert len(path) - 1 == 13 and lecture.steps_beside_cliff(path) == 10, name
        assert np.mean([totals[-1] for _, totals in results]) == -13, name


def test_widget_a_epsilon_quarter_widens_the_gap():
    """Prompt: at epsilon = 0.25 SARSA's path stays off the edge and the gap in online reward grows."""
    high, low = _runs(0.25), _runs(0.1)
    assert lecture.steps_beside_cliff(lecture.greedy_path(high["SARSA"][0][0])) == 0
    gap_high = _mean_after_100(high["SARSA"]) - _mean_after_100(high["Q-learning"])
    gap_low = _mean_after_100(low["SARSA"]) - _mean_after_100(low["Q-learning"])
    assert gap_high > gap_low > 0


def test_widget_b_q_learning_values_the_edge_higher():
    """Prompt: at epsilon = 0.1, Q-learning values the cells just above the cliff higher than SARSA."""
    edge = [2 * 12 + col for col in range(1, 11)]
    values = {name: lecture.td_control(name, 0.1, 500, 0.5, 1.0, 0)[0].max(axis=1)[edge].mean()
              for name in lecture.METHODS}
    assert values["Q-learning"] > values["SARSA"]


def test_td_learns_faster_than_monte_carlo_on_the_random_walk():
    """The picture's claim: TD(0)'s error falls faster than Monte Carlo's."""
    errors = lecture.random_walk_errors(n_runs=30)
    assert errors["TD(0)"][9] < errors["Monte Carlo"][9]
    assert errors["TD(0)"][-1] < errors["Monte Carlo"][-1]


def test_untrained_network_drops_the_pole_quickly():
    """The replay of an untrained network ends within a few dozen steps; the slider reaches the last frame."""
    frames, total = lecture.rl.episode_frames(lecture.greedy_policy(lecture.q_network(seed=0)), seed=0, every=5)
    assert total < 100
    assert len(frames) == int(np.ceil(total / 5)) + 1
