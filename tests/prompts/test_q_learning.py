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
from tools.figures import q_learning as recording

# The notebook's settings for the CliffWalking comparison.
EPSILON, ALPHA, SEED, EPISODES = 0.1, 0.5, 0, 500


def _runs(epsilon: float, n_runs: int = 3):  # what the widget shows: recorded runs, seeds 0-2
    return {name: [lecture.recorded_run(name, epsilon, 500, seed) for seed in range(n_runs)]
            for name in lecture.METHODS}


def td_control(method: str, epsilon: float, n_episodes: int, alpha: float, gamma: float, seed: int):
    """(Q, rewards per episode) of the recording script's learner, for settings the file does not hold."""
    return recording.td_control(method, epsilon, n_episodes, alpha, gamma, seed)[:2]


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.3])
def test_recording_learner_makes_the_references_moves(epsilon):
    """tools/figures/q_learning.py's td_control gives the Q-table and rewards of the reference's
    sarsa_episode and q_learning_episode when these draw the same uniforms (UniformDraws)."""
    for name, play in [("SARSA", reference.sarsa_episode), ("Q-learning", reference.q_learning_episode)]:
        for seed in (0, 1):
            env, Q, draws = gym.make("CliffWalking-v1"), np.zeros((48, 4)), recording.UniformDraws(seed)
            totals = [play(env, Q, epsilon, ALPHA, 1.0, draws)[0] for _ in range(40)]
            learned, learned_totals, _ = recording.td_control(name, epsilon, 40, ALPHA, 1.0, seed)
            assert np.array_equal(learned, Q) and np.array_equal(learned_totals, totals), (name, seed)


def test_recorded_cliff_runs_are_in_step_with_the_recording_script():
    """course/data/cliff_runs.npz is what tools/figures/q_learning.py records now."""
    fresh, recorded = recording.record_cliff(), lecture.cliff_runs()
    assert fresh.keys() == recorded.keys()
    for name, array in fresh.items():
        assert np.array_equal(array, recorded[name]), name
    Q, totals = lecture.recorded_run("Q-learning", 0.15000000000000002, 300, 0)  # a slider's float
    assert np.array_equal(Q, recorded["tables"][1, 3, 5]) and len(totals) == 300


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
    values = {name: td_control(name, 0.1, 500, 0.5, 1.0, 0)[0].max(axis=1)[edge].mean()
              for name in lecture.METHODS}
    assert values["Q-learning"] > values["SARSA"]


def test_td_learns_faster_than_monte_carlo_on_the_random_walk():
    """The picture's claim: TD(0)'s error falls faster than Monte Carlo's."""
    errors = lecture.random_walk_errors(reference.td0_update, n_runs=30)
    assert errors["TD(0)"][9] < errors["Monte Carlo"][9]
    assert errors["TD(0)"][-1] < errors["Monte Carlo"][-1]


def test_untrained_network_drops_the_pole_quickly():
    """The replay of an untrained network ends within a few dozen steps; the slider reaches the last frame."""
    frames, total = lecture.rl.episode_frames(lecture.greedy_policy(lecture.q_network(seed=0)), seed=0, every=5)
    assert total < 100
    assert len(frames) == int(np.ceil(total / 5)) + 1


# --- issue 24: the widget's epsilon = 0 prompt, loops, Expected SARSA, the step-size sweep, the bias demo

def test_widget_a_epsilon_zero_explores_through_its_initial_values():
    """Prompt: at epsilon = 0 the first episode costs more than 1,000 (optimism makes the greedy agent wander)."""
    for name in lecture.METHODS:
        for seed in range(3):
            assert td_control(name, 0.0, 500, 0.5, 1.0, seed)[1][0] < -1000, (name, seed)


@pytest.mark.parametrize("epsilon", [0.15, 0.2, 0.3])
def test_widget_a_sarsa_path_loops_and_the_legend_says_so(epsilon):
    """Prompt: at 0.15, 0.2 and 0.3 SARSA's greedy path (seed 0) loops; greedy_path stops at the repeat."""
    path = lecture.greedy_path(td_control("SARSA", epsilon, 500, 0.5, 1.0, 0)[0])
    assert lecture.path_loops(path) and path[-1] in path[:-1].tolist()
    assert len(set(path[:-1].tolist())) == len(path) - 1
    fig = lecture.draw_cliff(epsilon=epsilon)
    assert any("loops after" in text.get_text() for text in fig.axes[0].get_legend().get_texts())


@pytest.mark.parametrize("epsilon", np.round(np.arange(0.0, 0.301, 0.05), 2))
def test_widget_a_curves_stay_in_view(epsilon):
    """At every slider value the curves after their first 20 episodes lie inside the panel's limits."""
    fig = lecture.draw_cliff(epsilon=float(epsilon))
    bottom, top = fig.axes[1].get_ylim()
    for line in fig.axes[1].get_lines():
        assert np.all(line.get_ydata()[20:] >= bottom) and np.all(line.get_ydata()[20:] <= top)


def test_widget_a_q_learning_falls_below_minus_150_at_0_3():
    """The prompt's reason for the moving limit: Q-learning's online reward at 0.3 falls below -150."""
    runs = _runs(0.3)
    totals = np.mean([t for _, t in runs["Q-learning"]], axis=0)
    assert lecture.moving_average(totals, 20)[20:].min() < -150


def test_greedy_path_always_ends():
    """A greedy path reaches the goal or stops at its first repeated state (never cut at a step limit)."""
    for seed in range(20):
        path = lecture.greedy_path(np.random.default_rng(seed).normal(size=(48, 4)))
        assert path[-1] == lecture.CLIFF_GOAL or path[-1] in path[:-1].tolist()


def test_expected_sarsa_keeps_off_the_edge_and_earns_most():
    """The text: at epsilon = 0.1 Expected SARSA keeps away from the edge and collects the most reward while learning."""
    means = {}
    for name in ("SARSA", "Expected SARSA", "Q-learning"):
        runs = [td_control(name, EPSILON, 500, ALPHA, 1.0, seed) for seed in range(3)]
        means[name] = np.mean([totals[100:] for _, totals in runs])
        if name == "Expected SARSA":
            assert lecture.steps_beside_cliff(lecture.greedy_path(runs[0][0])) == 0
    assert means["Expected SARSA"] > means["SARSA"] > means["Q-learning"]


def test_expected_sarsa_at_epsilon_zero_is_q_learning():
    """The text: with a greedy policy Expected SARSA's target is Q-learning's."""
    assert np.array_equal(td_control("Expected SARSA", 0.0, 100, 0.5, 1.0, 3)[0],
                          td_control("Q-learning", 0.0, 100, 0.5, 1.0, 3)[0])


def test_alpha_sweep_claims():
    """The text under the step-size figure: best alpha about 0.3 (TD(0)) and 0.05 (MC), errors about 0.12 and
    0.20 at the best, the order flips at alpha = 0.02, and n = 1 is the best n here."""
    sweep = lecture.alpha_sweep(reference.td0_update)
    alphas = np.array(lecture.WALK_ALPHAS)
    td, mc = sweep["1-step TD"], sweep["Monte Carlo"]
    assert alphas[np.argmin(td)] == 0.3 and alphas[np.argmin(mc)] == 0.05
    assert round(td.min(), 2) == 0.12 and round(mc.min(), 2) == 0.20
    assert mc[0] < td[0] and alphas[0] == 0.02
    assert td.min() < min(errors.min() for name, errors in sweep.items() if name != "1-step TD")


def test_maximisation_bias_demo():
    """The demo's claims: the max of ten unbiased zero-mean estimates averages about 1.5; an independent
    second estimate of the chosen action is right on average."""
    noise = np.random.default_rng(0).normal(size=(100_000, 10))
    second = np.random.default_rng(1).normal(size=(100_000, 10))
    assert 1.5 < noise.max(axis=1).mean() < 1.6
    assert abs(second[np.arange(100_000), noise.argmax(axis=1)].mean()) < 0.01


def test_overestimation_counts_states_before_the_limit():
    """overestimation compares values and returns over the states visited before step 500 only."""
    import torch
    torch.manual_seed(0)
    net = lecture.q_network(seed=0)
    measured = lecture.overestimation(net, 0.99, n_episodes=3)
    assert 0 < measured["states"] <= 1500
    assert measured["over"] == pytest.approx(measured["predicted"] - measured["actual"])


def test_notebook_five_seed_table_is_what_the_script_printed():
    """The notebook's DQN / Double DQN table quotes what tools/figures/q_learning.py printed, as
    recorded beside it in tools/figures/q_learning.txt (`make figures L=08` rewrites build/figures/)."""
    import pathlib
    import re

    import nbformat
    out = pathlib.Path(__file__).resolve().parents[2] / "tools" / "figures" / "q_learning.txt"
    notebook = nbformat.read(pathlib.Path(lecture.__file__).parent / "08_q_learning" / "q_learning.ipynb", as_version=4)
    text = next(cell.source for cell in notebook.cells if "tools/figures/q_learning.py" in cell.source)
    quoted = [float(x) for x in re.findall(r"\d+\.\d", text)]

    def is_quoted(value: float) -> bool:  # the notebook rounds to one decimal what the script printed with more
        return any(abs(value - q) <= 0.051 for q in quoted)

    rows = 0
    for line in out.read_text().splitlines():
        match = re.match(r"(DQN|Double DQN)\s+(\d)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", line)
        if match:
            rows += 1
            assert all(is_quoted(float(x)) for x in match.groups()[2:]), line
    assert rows == 10
