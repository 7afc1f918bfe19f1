"""Lecture 07: every "try this" prompt, driven through the widgets' pure functions.

Each test sets the controls the prompt names (values the sliders can reach) and checks the
effect the notebook promises. Widgets A and B run the student's functions: here the reference
solutions. Widget C shows runs recorded by tools/figures/markov_decision_processes.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from course import markov_decision_processes as lecture
from course import rl
from solutions import markov_decision_processes as reference
from tools.figures import markov_decision_processes as recording

NOTES = "two exits (the notes' grid)"
# The widget's controls: value, low, high, step (from gridworld_widget / rollouts_widget).
STEP_COST_STEP, SLIP_STEP, GAMMA_STEP = 0.01, 0.05, 0.01


def reachable(value: float, step: float, low: float = 0.0, high: float = 1.0) -> bool:
    return low <= value <= high and abs(value / step - round(value / step)) < 1e-9


WIDGET_A = (reference.gridworld_model, reference.value_iteration, reference.q_from_v)
WIDGET_B = (reference.value_iteration, reference.policy_evaluation)


def sweeps(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, gamma: float, n: int) -> np.ndarray:
    """V_0 = 0, V_1, ..., V_n of value iteration, shape (n + 1, S) (the reference's backup)."""
    history = [np.zeros(len(terminal))]
    for _ in range(n):
        history.append(reference.q_from_v(P, R, terminal, history[-1], gamma).max(axis=1))
    return np.array(history)


def world(layout: str, slip: float, step_cost: float):
    return reference.gridworld_model(lecture.LAYOUTS[layout], step_cost, slip, lecture.WIDGET_GOAL_REWARD)


def best(layout: str, gamma: float, slip: float, step_cost: float, sweep: int = 100) -> np.ndarray:
    """The arrows widget A draws after ``sweep`` sweeps: a boolean (S, A) array."""
    P, R, terminal = world(layout, slip, step_cost)
    values = lecture.values_after(reference.value_iteration, {"P": P, "R": R, "terminal": terminal}, gamma, sweep)
    return lecture.tied_best(reference.q_from_v(P, R, terminal, values, gamma))


def changes(layout: str, gamma: float, slip: float, step_cost: float) -> np.ndarray:
    """max_s |V_k(s) - V_k-1(s)| for k = 1 .. 100 (entry k - 1)."""
    return np.max(np.abs(np.diff(sweeps(*world(layout, slip, step_cost), gamma, lecture.MAX_SWEEPS), axis=0)), axis=1)


def needed(layout: str, gamma: float, slip: float, step_cost: float) -> np.ndarray:
    """What widget A's convergence panel draws: the sweeps needed for each tolerance."""
    return lecture.gridworld_values(*WIDGET_A[:2], layout, gamma, slip, step_cost)["needed"]


def test_controls_reach_the_prompted_values():
    widget = lecture.gridworld_widget(*WIDGET_A)
    sliders = {c.description: c for c in widget.children[0].children}
    assert sliders["step cost"].step == STEP_COST_STEP
    assert sliders["slip probability"].step == SLIP_STEP
    assert sliders["gamma"].step == GAMMA_STEP
    for cost in (0.04, 0.13, 0.14, 0.18, 0.19, 0.22, 0.24, 0.25, 0.0):
        assert reachable(cost, STEP_COST_STEP)
    assert reachable(0.2, SLIP_STEP) and reachable(0.5, SLIP_STEP) and reachable(0.99, GAMMA_STEP) and reachable(0.9, GAMMA_STEP)
    rollouts = {c.description: c for c in lecture.rollouts_widget(*WIDGET_B).children[0].children}
    assert lecture.BEST in rollouts["policy"].options and "8x8" in rollouts["map"].options
    assert rollouts["episodes"].value == 100


def test_notes_grid_values_spread_one_cell_per_sweep_and_settle_at_sweep_3():
    history = sweeps(*world(NOTES, 0.0, 0.04), 0.9, 4)
    reached = [int(np.sum(history[k] > 0)) for k in range(5)]
    assert reached == [0, 4, 10, 14, 14]  # exits' neighbours, then the next ring, then the rest
    step = changes(NOTES, 0.9, 0.0, 0.04)
    assert step[2] > 0.1 and step[3] == 0.0  # the fourth sweep changes nothing
    assert needed(NOTES, 0.9, 0.0, 0.04).tolist() == [1] + [4] * 12  # "every tolerance is met at sweep 4"


def test_notes_grid_with_slip_arrows_settle_long_before_the_values():
    step = changes(NOTES, 0.9, 0.2, 0.04)
    assert np.all(step[:17] > 1e-6) and step[17] < 1e-6  # above 1e-6 up to sweep 17 (step[k - 1] is sweep k)
    assert needed(NOTES, 0.9, 0.2, 0.04)[6] == 18  # "the point of 1e-6 sits at sweep 18"
    arrows = [best(NOTES, 0.9, 0.2, 0.04, k) for k in range(101)]
    assert all(np.array_equal(arrows[k], arrows[100]) for k in range(2, 101))
    assert not np.array_equal(arrows[1], arrows[100])


def _cliff_path(slip: float, step_cost: float) -> dict:
    arrows = best("cliff", 0.9, slip, step_cost)
    one = lambda s: set(np.flatnonzero(arrows[s]).tolist())  # noqa: E731
    return {"start": one(18), "edge row": [one(s) for s in range(12, 18)], "row 1 col 0": one(6)}


def test_cliff_slip_moves_the_path_up_and_step_cost_brings_it_back():
    plain = _cliff_path(0.0, 0.04)
    assert plain["start"] == {rl.UP} and all(a == {rl.RIGHT} for a in plain["edge row"][:5])
    slipping = _cliff_path(0.2, 0.04)
    assert slipping["start"] == {rl.UP} and slipping["edge row"][0] == {rl.UP}  # leave the edge row
    assert _cliff_path(0.2, 0.13)["edge row"][1] == {rl.UP}
    hugging = _cliff_path(0.2, 0.14)
    assert all(a == {rl.RIGHT} for a in hugging["edge row"][:5]) and hugging["start"] == {rl.UP}
    assert _cliff_path(0.2, 0.24)["start"] == {rl.UP}
    assert _cliff_path(0.2, 0.25)["start"] == {rl.RIGHT}  # into the cliff


def test_gamma_close_to_one_flattens_the_convergence_curve():
    assert changes("cliff", 0.99, 0.5, 0.04)[-1] > 1e-6
    assert changes("cliff", 0.9, 0.5, 0.04)[-1] < 1e-8
    slow, fast = needed("cliff", 0.99, 0.5, 0.04), needed("cliff", 0.9, 0.5, 0.04)
    assert np.all(slow[6:] > lecture.MAX_SWEEPS) and slow[5] <= lecture.MAX_SWEEPS  # red from 1e-6 down
    assert fast[8] == 87  # "at 0.9 even 1e-8 is met, at sweep 87"
    # the gamma^k bound is far above the notes' grid's actual changes
    step = changes(NOTES, 0.9, 0.0, 0.04)
    assert step[3] == 0.0 and step[0] * 0.9 ** 3 > 0.5


def test_gamma_one_without_step_cost_draws_every_arrow_on_the_notes_grid_only():
    _, _, terminal = world(NOTES, 0.0, 0.0)
    arrows = best(NOTES, 1.0, 0.0, 0.0)
    assert arrows[~terminal].all()
    # on the cliff every arrow is drawn except those that step into the cliff
    _, _, cliff_terminal = world("cliff", 0.0, 0.0)
    arrows = best("cliff", 1.0, 0.0, 0.0)
    missing = {(int(s), int(a)) for s, a in zip(*np.nonzero(~arrows)) if not cliff_terminal[s]}
    assert missing == {(13, rl.DOWN), (14, rl.DOWN), (15, rl.DOWN), (16, rl.DOWN), (18, rl.RIGHT)}


def test_gamma_one_on_the_lake_improper_policy_and_monotone_value_iteration():
    lake = rl.model_from_env(rl.make_frozen_lake())
    assert lake.R.min() >= 0.0
    top_row = [0, 1, 2, 3]
    for s in top_row:  # UP in the top row never leaves it: an improper policy
        assert lake.P[s, rl.UP, top_row].sum() == 1.0
    history = sweeps(lake.P, lake.R, lake.terminal, 1.0, 3000)
    assert np.all(np.diff(history, axis=0) >= 0.0)  # V_0 = 0 and rewards >= 0: V_k rises monotonically
    assert np.all(history[-1] <= 1.0)


def test_long_way_round_threshold_between_018_and_019():
    threshold = (1 + 0.9 ** 13) / ((1 - 0.9 ** 14) / 0.1 - 1)
    assert 0.186 < threshold < 0.188
    assert set(np.flatnonzero(best("long way round", 0.9, 0.0, 0.18)[0])) == {rl.RIGHT}
    assert set(np.flatnonzero(best("long way round", 0.9, 0.0, 0.19)[0])) == {rl.DOWN}  # into the trap
    at_022 = best("long way round", 0.9, 0.0, 0.22)
    assert [set(np.flatnonzero(at_022[s])) for s in range(4)] == [{rl.DOWN}] * 3 + [{rl.RIGHT}]


def test_widget_a_draws_at_the_prompted_settings():
    for layout, gamma, slip, cost, sweep in [(NOTES, 0.9, 0.2, 0.04, 4), ("cliff", 0.9, 0.2, 0.25, 100),
                                             ("long way round", 0.9, 0.0, 0.19, 100), (NOTES, 1.0, 0.0, 0.0, 100)]:
        lecture.draw_gridworld(*WIDGET_A, layout, gamma, slip, cost, sweep)


def test_rollout_prompts():
    value_iteration = lecture.rollout_summary(*WIDGET_B, lecture.BEST)
    random = lecture.rollout_summary(*WIDGET_B, "uniformly random")
    assert value_iteration["won"].sum() == 75 and random["won"].sum() == 2
    assert round(value_iteration["chance"], 3) == 0.740 and round(random["chance"], 2) == 0.01
    dry = lecture.rollout_summary(*WIDGET_B, lecture.BEST, slippery=False)
    assert dry["won"].all()
    down_right = lecture.rollout_summary(*WIDGET_B, "down and right", slippery=False)
    assert down_right["fell"].sum() == 86
    big = {name: lecture.rollout_summary(*WIDGET_B, name, map_name="8x8") for name in
           ("uniformly random", "always right", lecture.BEST)}
    assert [int(big[n]["won"].sum()) for n in big] == [0, 17, 60]
    assert [round(big[n]["chance"], 3 if n == "uniformly random" else 2) for n in big] == [0.002, 0.23, 0.63]


def test_why_not_gamma_one_and_the_best_possible_within_100_steps():
    def within_100(model, policy):
        return reference.policy_evaluation(model.P, model.R, model.terminal, policy, 1.0, 0.0, 100)[0][model.start]

    dry = rl.model_from_env(rl.make_frozen_lake(is_slippery=False))
    values = sweeps(dry.P, dry.R, dry.terminal, 1.0, 200)[-1]
    greedy = np.argmax(lecture.tied_best(reference.q_from_v(dry.P, dry.R, dry.terminal, values, 1.0)), axis=1)
    assert greedy[dry.start] == rl.LEFT and within_100(dry, greedy) == 0.0
    lake = rl.model_from_env(rl.make_frozen_lake())
    values = sweeps(lake.P, lake.R, lake.terminal, 1.0, 5000)[-1]
    greedy_1 = np.argmax(lecture.tied_best(reference.q_from_v(lake.P, lake.R, lake.terminal, values, 1.0)), axis=1)
    assert round(float(within_100(lake, greedy_1)), 3) == 0.740
    assert greedy_1[lake.start] == rl.LEFT  # section 8: "in the start state it pushes LEFT, into the wall"
    continuing = lake.P * ~lake.terminal[None, None, :]
    best_within = np.zeros(lake.n_states)
    for _ in range(100):
        best_within = np.where(lake.terminal, 0.0, (lake.R + continuing @ best_within).max(axis=1))
    assert round(float(best_within[lake.start]), 3) == 0.744


def test_a_second_solution_of_the_optimality_equation_at_gamma_one():
    dry = rl.model_from_env(rl.make_frozen_lake(is_slippery=False))
    twos = np.where(dry.terminal, 0.0, 2.0)
    continuing = dry.P * ~dry.terminal[None, None, :]
    backed_up = np.where(dry.terminal, 0.0, (dry.R + continuing @ twos).max(axis=1))
    assert np.array_equal(backed_up, twos)


def _markdown() -> str:
    import nbformat
    from tests.conftest import LECTURES
    notebook = next(lecture.student_notebook for lecture in LECTURES if lecture.slug == "markov_decision_processes")
    return "\n".join(cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown")


def test_the_text_does_not_print_q_from_v_or_the_fixed_claims():
    text = _markdown()
    assert "P @ V" not in text and "V_masked" not in text  # q_from_v's answer
    assert "up to sweep 17" in text and "up to sweep 15" not in text
    assert "on the **notes' grid**, which has no trap, every free cell shows all four arrows" in text
    assert "improper" in text and "rise monotonically" in text


# --- widget C: modified policy iteration, and the greedy-loss bound --------------------------------------

def test_mpi_slider_reaches_every_k_and_k_1_is_value_iteration():
    k_slider = lecture.modified_policy_iteration_widget().children[0].children[0]
    assert [value for _, value in k_slider.options] == list(lecture.MPI_SWEEPS)
    assert 1 in lecture.MPI_SWEEPS and np.inf in lecture.MPI_SWEEPS and 10 in lecture.MPI_SWEEPS
    model, v_star = recording.mpi_world()
    run = lecture.mpi_table()[1]
    history = sweeps(model.P, model.R, model.terminal, lecture.MPI_GAMMA, run["rounds"])
    assert np.allclose(run["errors"], np.max(np.abs(history - v_star), axis=1), atol=1e-12)


def test_recorded_mpi_runs_are_in_step_with_a_fresh_run():
    """course/data/modified_policy_iteration.json is what tools/figures/markov_decision_processes.py writes now."""
    fresh, recorded = recording.record(), lecture.mpi_record()
    assert fresh["n_states"] == recorded["n_states"] and fresh["n_actions"] == recorded["n_actions"]
    assert fresh["runs"].keys() == recorded["runs"].keys()
    for key, run in fresh["runs"].items():
        assert run["rounds"] == recorded["runs"][key]["rounds"] and run["sweeps"] == recorded["runs"][key]["sweeps"], key
        assert run["costs"] == recorded["runs"][key]["costs"], key
        assert np.allclose(run["errors"], recorded["runs"][key]["errors"], rtol=1e-9, atol=1e-12), key


def test_mpi_prompts():
    table = lecture.mpi_table()
    S, A = lecture.mpi_record()["n_states"], lecture.mpi_record()["n_actions"]
    assert S * S * A == 16_384
    vi, pi = table[1], table[np.inf]
    assert vi["rounds"] == 181 and round(vi["costs"][-1] / 1e6, 2) == 2.97
    assert pi["rounds"] == 9 and round(pi["sweeps"].mean()) == 156 and round(pi["costs"][-1] / 1e6, 2) == 5.86
    totals = {k: table[k]["costs"][-1] for k in lecture.MPI_SWEEPS}
    assert min(totals, key=totals.get) == 10 and round(totals[10] / 1e6, 2) == 1.06 and table[10]["rounds"] == 20
    assert round(totals[50] / 1e6, 2) == 2.17
    assert all(totals[a] > totals[b] for a, b in [(1, 2), (2, 3), (3, 5), (5, 10)])  # falls to k = 10 ...
    assert all(totals[a] < totals[b] for a, b in [(10, 20), (20, 50), (50, 100), (100, np.inf)])  # ... then rises
    errors = pi["errors"]
    assert np.all(errors[1:-1] / errors[:-2] > 0.2) and round(errors[-2], 3) == 0.005 and errors[-1] < 1e-8
    for k in lecture.MPI_SWEEPS:  # every k reaches the target
        assert table[k]["errors"][-1] < lecture.MPI_TARGET
    lecture.draw_modified_policy_iteration(np.inf)


def test_greedy_loss_bound_table():
    """Section 7's table, with the reference solutions and the same seeded perturbations."""
    from solutions.markov_decision_processes import exact_policy_evaluation, greedy_policy, q_from_v, value_iteration
    lake = rl.model_from_env(rl.make_frozen_lake("8x8"))
    gamma = 0.9
    v_star, _, _ = value_iteration(lake.P, lake.R, lake.terminal, gamma, tol=1e-12)
    rng = np.random.default_rng(0)
    ratios = []
    for epsilon in (0.001, 0.003, 0.01, 0.03, 0.1):
        worst = 0.0
        for _ in range(50):
            rough = v_star + epsilon * rng.choice([-1.0, 1.0], size=v_star.shape)
            policy = greedy_policy(q_from_v(lake.P, lake.R, lake.terminal, rough, gamma))
            worst = max(worst, float(np.max(v_star - exact_policy_evaluation(lake.P, lake.R, lake.terminal, policy, gamma))))
        ratios.append(worst / epsilon)
    bound = 2 * gamma / (1 - gamma)
    assert bound == pytest.approx(18.0)
    assert all(bound / 16 < r < bound / 4.5 for r in ratios)  # "below its bound by a factor of 4.5 to 16"
    assert all(2.0 <= r <= 4.0 for r in ratios[:3])  # "about 2 eps to 4 eps at the smaller eps"


def test_exact_against_iterative_prompt_and_the_loop_figure():
    from solutions.markov_decision_processes import exact_policy_evaluation, policy_evaluation
    grid = lecture.notes_grid()
    uniform = np.full((16, 4), 0.25)
    exact = exact_policy_evaluation(grid.P, grid.R, grid.terminal, uniform, 1.0)
    rough, _ = policy_evaluation(grid.P, grid.R, grid.terminal, uniform, 1.0, tol=1e-2)
    assert np.max(np.abs(rough - exact)) > 1e-2  # "the sweeps stop short of the exact values by more than epsilon"
    lecture.draw_agent_environment_loop()
