"""Worlds, pictures and widgets for lecture 07, Markov decision processes.

Nothing here solves an MDP: the solvers are the lecture's exercises. Widgets A and B come after
the exercises and run the student's own functions, which the notebook passes in (while one is
still a stub they say which exercise to finish, :func:`course.widgets.after_exercise`): widget A
builds a grid world with the student's ``gridworld_model`` and shows the student's
``value_iteration`` after any number of sweeps; widget B plays the greedy policy of the
student's ``value_iteration`` on FrozenLake and predicts its success with the student's
``policy_evaluation``. Widget C shows recorded runs of modified policy iteration
(``data/modified_policy_iteration.json``, written from the reference solutions by
``tools/figures/markov_decision_processes.py``). :func:`draw_agent_environment_loop` draws the
loop of section 2.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import numpy as np
from gymnasium.envs.toy_text.frozen_lake import MAPS, FrozenLakeEnv
from matplotlib.figure import Figure

from course import rl
from course.widgets import (FIXED_TITLE, after_exercise, dropdown, interactive_figure, plain_log_ticks, slider,
                            slider_cache)

LAYOUTS: dict[str, list[str]] = {
    "two exits (the notes' grid)": ["GFFF", "FFFF", "FFSF", "FFFG"],
    "cliff": ["FFFFFF", "FFFFFF", "FFFFFF", "SHHHHG"],
    "long way round": ["SFFFFFF", "HHHHHHF", "GFFFFFF"],
    "FrozenLake 4x4": MAPS["4x4"],
    "FrozenLake 8x8": MAPS["8x8"],
}
NOTES_LAYOUT = LAYOUTS["two exits (the notes' grid)"]
NEAR_TIE = 1e-6  # actions within this of the best are all drawn as best


@functools.cache
def _notes_grid() -> rl.TabularModel:
    env = FrozenLakeEnv(desc=NOTES_LAYOUT, is_slippery=False, reward_schedule=(-1.0, -1.0, -1.0))
    return rl.model_from_env(env)


def notes_grid() -> rl.TabularModel:
    """The notes' grid (exits in two corners, no slip) where every move costs 1: one fixed world,
    made by gymnasium's FrozenLake class, for the tests and demos of the exercises."""
    return _notes_grid()


def tied_best(Q: np.ndarray) -> np.ndarray:
    """Boolean (S, A): the actions whose Q is within NEAR_TIE of the best of their state."""
    Q = np.asarray(Q)
    return Q >= Q.max(axis=1, keepdims=True) - NEAR_TIE


# --- widget A: value iteration in a grid world (the student's gridworld_model and value_iteration) ----

WIDGET_GOAL_REWARD = 1.0  # the widget's worlds pay +1 at G (and -1 at H, gridworld_model's default)
MAX_SWEEPS = 100  # the sweep slider's end
TOLERANCES = 10.0 ** -np.arange(13)  # the convergence panel: 1, 0.1, ..., 1e-12


@slider_cache
def gridworld_values(gridworld_model: Callable, value_iteration: Callable, layout: str, gamma: float, slip: float,
                     step_cost: float) -> dict:
    """What widget A computes for one world: the model, V_1, and the sweeps value iteration needs
    for each of TOLERANCES (MAX_SWEEPS + 1 where it needs more than MAX_SWEEPS)."""
    P, R, terminal = gridworld_model(LAYOUTS[layout], step_cost, slip, WIDGET_GOAL_REWARD)
    first, _, _ = value_iteration(P, R, terminal, gamma, 0.0, 1)
    needed = [int(value_iteration(P, R, terminal, gamma, tol, MAX_SWEEPS + 1)[2]) for tol in TOLERANCES]
    return {"P": P, "R": R, "terminal": terminal, "first": np.asarray(first), "needed": np.array(needed)}


def values_after(value_iteration: Callable, world: dict, gamma: float, sweep: int) -> np.ndarray:
    """V after ``sweep`` sweeps of value iteration from V_0 = 0 (the student's, tol = 0)."""
    if sweep == 0:
        return np.zeros(len(world["terminal"]))
    return np.asarray(value_iteration(world["P"], world["R"], world["terminal"], gamma, 0.0, sweep)[0])


def draw_gridworld(gridworld_model: Callable, value_iteration: Callable, q_from_v: Callable,
                   layout: str = "two exits (the notes' grid)", gamma: float = 0.9, slip: float = 0.0,
                   step_cost: float = 0.04, sweep: int = 2) -> Figure:
    """Value iteration on a grid world after ``sweep`` sweeps: values, best actions, convergence."""
    world = gridworld_values(gridworld_model, value_iteration, layout, gamma, slip, step_cost)
    sweep = int(np.clip(sweep, 0, MAX_SWEEPS))
    values = values_after(value_iteration, world, gamma, sweep)
    desc = np.array([list(row) for row in LAYOUTS[layout]])
    fig = Figure(figsize=(10, 4.0))
    with matplotlib.rc_context(FIXED_TITLE):
        left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.12, top=0.86, wspace=0.4)  # fixed: fast redraws
    scale = max(1.0, float(np.max(np.abs(values_after(value_iteration, world, gamma, MAX_SWEEPS)))))
    image = rl.draw_values(left, values, desc.shape, world["terminal"], desc, numbers=desc.size <= 36,
                           vmin=-scale, vmax=scale)
    rl.draw_policy(left, tied_best(q_from_v(world["P"], world["R"], world["terminal"], values, gamma)), desc.shape,
                   world["terminal"])
    fig.colorbar(image, ax=left, shrink=0.8, label="V", ticks=np.linspace(-scale, scale, 5))  # few ticks: fast
    left.set_title(f"V after {sweep} sweeps, greedy arrows (ties: all arrows)", fontsize=9)
    needed = world["needed"]
    met = needed <= MAX_SWEEPS
    right.semilogy(needed[met], TOLERANCES[met], "o-", ms=4, drawstyle="steps-pre")
    right.plot(np.full((~met).sum(), MAX_SWEEPS), TOLERANCES[~met], ">", c="tab:red", ms=5)  # not within the slider
    right.axvline(sweep, c="tab:red", lw=1)
    if gamma < 1:
        k = np.arange(1, MAX_SWEEPS + 1)
        right.semilogy(k, np.maximum(np.max(np.abs(world["first"])) * gamma ** (k - 1), 1e-13), "--", c="0.5",
                       lw=1, label="γ^k times the first change")
        right.legend(fontsize=8, loc="upper right")
    right.set_xlim(0, MAX_SWEEPS + 2)
    right.set_ylim(1e-13, 10)
    right.set_yticks([1e-12, 1e-8, 1e-4, 1.0])  # few ticks: each costs several artists per redraw
    plain_log_ticks(right.yaxis)
    right.set_xlabel("first sweep k whose change max over s of |V_k(s) − V_k−1(s)| is below tol")
    right.set_ylabel("tol")  # plain text: math text is parsed on every render
    right.set_title(f"sweeps your value_iteration needs for each tol (red: not within {MAX_SWEEPS})\n"
                    f"gamma = {gamma:.2f}, slip = {slip:.2f}, step cost = {step_cost:.2f}", fontsize=9)
    return fig


def gridworld_widget(gridworld_model: Callable, value_iteration: Callable, q_from_v: Callable) -> widgets.VBox:
    """Sliders for gamma, the slip probability, the step cost and the sweep; a choice of map.
    Runs the student's ``gridworld_model``, ``value_iteration`` and ``q_from_v``."""
    draw = functools.partial(draw_gridworld, gridworld_model, value_iteration, q_from_v)
    return interactive_figure(
        after_exercise(draw, "exercises 2, 3 and 7 (gridworld_model, q_from_v, value_iteration)"),
        layout=dropdown(list(LAYOUTS), "two exits (the notes' grid)", "map"),
        gamma=slider(0.9, 0.0, 1.0, 0.01, "gamma"),
        slip=slider(0.0, 0.0, 1.0, 0.05, "slip probability"),
        step_cost=slider(0.04, 0.0, 1.0, 0.01, "step cost"),
        sweep=slider(2, 0, MAX_SWEEPS, 1, "sweep", integer=True),
    )


# --- widget B: rollouts on FrozenLake (the student's value_iteration and policy_evaluation) --------

BEST = "value iteration (gamma 0.99)"
POLICIES = [BEST, "uniformly random", "always right", "always down", "down and right"]
BEST_GAMMA = 0.99  # a slight discount makes short paths strictly better than waiting (see the notebook)


def frozen_lake_policy(name: str, model: rl.TabularModel, value_iteration: Callable | None = None) -> np.ndarray:
    """An (S, A) array of action probabilities for one of the widget's named policies.

    The value-iteration policy (it needs ``value_iteration``, the student's) is the greedy
    policy value iteration returns for gamma = 0.99.
    """
    n_states = model.n_states
    if name == BEST:
        _, policy, _ = value_iteration(model.P, model.R, model.terminal, BEST_GAMMA)
        return np.eye(model.n_actions)[np.asarray(policy)]
    if name == "uniformly random":
        return np.full((n_states, 4), 0.25)
    if name == "always right":
        return np.eye(4)[np.full(n_states, rl.RIGHT)]
    if name == "always down":
        return np.eye(4)[np.full(n_states, rl.DOWN)]
    if name == "down and right":
        return np.tile([0.0, 0.5, 0.5, 0.0], (n_states, 1))
    raise KeyError(f"unknown policy {name!r}; choose one of {POLICIES}")


def _sampler(probabilities: np.ndarray):
    """A policy function drawing exactly what ``rng.choice(A, p=probabilities[state])`` draws, faster."""
    cdf = np.cumsum(probabilities, axis=1)
    cdf /= cdf[:, -1:]
    return lambda state, rng: int(np.searchsorted(cdf[state], rng.random(), side="right"))


@slider_cache
def rollout_summary(value_iteration: Callable, policy_evaluation: Callable, policy: str = BEST,
                    slippery: bool = True, n_episodes: int = 100, map_name: str = "4x4", seed: int = 0) -> dict:
    """What widget B computes: ``n_episodes`` seeded rollouts of a named policy on FrozenLake.

    Returns a dict with the ``model``, the time ``limit``, the ``runs`` (see
    :func:`course.rl.run_episodes`), boolean arrays ``won`` and ``fell`` (one entry per
    episode), ``visits`` per state over all episodes, and ``chance``, the probability of
    success within the time limit: the student's ``policy_evaluation`` with gamma = 1, tol = 0
    and ``limit`` sweeps, at the start state.
    """
    env = rl.make_frozen_lake(map_name, is_slippery=slippery)
    model = rl.model_from_env(env)
    probabilities = frozen_lake_policy(policy, model, value_iteration)
    limit = env.spec.max_episode_steps
    runs = rl.run_episodes(env, _sampler(probabilities), n_episodes, seed)
    env.close()
    won = np.array([run["rewards"].sum() > 0 for run in runs])
    fell = np.array([run["terminated"] for run in runs]) & ~won
    visits = np.zeros(model.n_states)
    for run in runs:
        np.add.at(visits, run["states"], 1)
    values, _ = policy_evaluation(model.P, model.R, model.terminal, probabilities, 1.0, 0.0, limit)
    return {"model": model, "limit": limit, "runs": runs, "won": won, "fell": fell, "visits": visits,
            "chance": float(values[model.start])}


def draw_rollouts(value_iteration: Callable, policy_evaluation: Callable, policy: str = BEST, slippery: bool = True,
                  n_episodes: int = 100, episode: int = 0, map_name: str = "4x4", seed: int = 0) -> Figure:
    """``n_episodes`` seeded rollouts on FrozenLake: one episode's path and where all of them went."""
    summary = rollout_summary(value_iteration, policy_evaluation, policy, slippery, n_episodes, map_name, seed)
    model, limit, runs = summary["model"], summary["limit"], summary["runs"]
    won, fell, visits, chance = summary["won"], summary["fell"], summary["visits"], summary["chance"]
    n_cols = model.shape[1]

    fig = Figure(figsize=(10, 4.2))
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.86, wspace=0.1)  # fixed: fast redraws
    rl.draw_map(left, model.desc)
    shown = runs[int(np.clip(episode, 0, n_episodes - 1))]
    rl.draw_path(left, shown["states"], n_cols, colour="tab:blue", jitter=0.12, seed=episode, lw=1.2, alpha=0.8)
    x, y = rl.grid_coordinates(shown["states"][[0, -1]], n_cols)
    left.plot(x[0], y[0], "o", c="tab:blue", ms=9)
    outcome = "reached the goal" if shown["rewards"].sum() > 0 else (
        "fell into a hole" if shown["terminated"] else f"ran out of time ({limit} steps)")
    left.plot(x[1], y[1], "*" if shown["rewards"].sum() > 0 else "X", c="tab:red", ms=14)
    left.set_title(f"episode {episode}: {len(shown['actions'])} steps, {outcome}", fontsize=9)

    image = right.imshow((visits / n_episodes).reshape(model.shape), cmap="Blues")
    for (row, col), letter in np.ndenumerate(model.desc):
        if letter in "SGH":
            right.text(col, row, letter, ha="center", va="center", fontsize=10, weight="bold", color="tab:orange")
    fig.colorbar(image, ax=right, shrink=0.8, label="visits per episode")
    right.set_xticks([])
    right.set_yticks([])
    right.set_title(f"{n_episodes} episodes: goal {won.sum()}, hole {fell.sum()}, time-out "
                    f"{n_episodes - won.sum() - fell.sum()}\nsuccess rate {won.mean():.2f}; "
                    f"P(success within {limit} steps) = {chance:.2f}", fontsize=9)
    return fig



def rollouts_widget(value_iteration: Callable, policy_evaluation: Callable) -> widgets.VBox:
    """Choose a policy, slipperiness and map; step through the episodes. Runs the student's
    ``value_iteration`` (the value-iteration policy) and ``policy_evaluation`` (the prediction)."""
    draw = functools.partial(draw_rollouts, value_iteration, policy_evaluation)
    return interactive_figure(
        after_exercise(draw, "exercises 4 and 7 (policy_evaluation, value_iteration)"),
        policy=dropdown(POLICIES, POLICIES[0], "policy"),
        slippery=widgets.Checkbox(value=True, description="slippery"),
        n_episodes=slider(100, 10, 500, 10, "episodes", integer=True),
        episode=slider(0, 0, 9, 1, "episode shown", integer=True),
        map_name=dropdown(["4x4", "8x8"], "4x4", "map"),
    )


# --- widget C: modified policy iteration (recorded runs) --------------------------------------------

MPI_MAP, MPI_GAMMA, MPI_TARGET = "8x8", 0.95, 1e-6  # the world, its discount, and "converged": |V - V*| < target
MPI_SWEEPS = (1, 2, 3, 5, 10, 20, 50, 100, np.inf)  # k evaluation sweeps per round; inf: evaluate to convergence
MPI_EVALUATION_TOL = 1e-10  # k = inf stops a round's evaluation when a sweep changes V by less than this
MPI_FILE = Path(__file__).parent / "data" / "modified_policy_iteration.json"


def k_key(k: float) -> str:
    """How the recorded file names k: "1", "2", ..., "inf"."""
    return "inf" if k == np.inf else str(int(k))


@functools.cache
def mpi_record() -> dict:
    """The recorded runs: ``n_states``, ``n_actions`` and, per k of MPI_SWEEPS, the ``errors``
    |V - V*| after each round (the first for V_0), the cumulative ``costs`` in multiply-adds,
    the evaluation ``sweeps`` of each round and the number of ``rounds``."""
    return json.loads(MPI_FILE.read_text())


@functools.cache
def mpi_table() -> dict[float, dict]:
    """Every k's recorded run, with arrays (the slider only picks one: nothing here depends on a control)."""
    runs = mpi_record()["runs"]
    return {k: {name: np.asarray(value) if isinstance(value, list) else value for name, value in runs[k_key(k)].items()}
            for k in MPI_SWEEPS}


def _k_label(k: float) -> str:
    return "∞" if k == np.inf else str(int(k))


def draw_modified_policy_iteration(k: float = 5) -> Figure:
    """Error against cost for k evaluation sweeps per round, beside value and policy iteration."""
    table = mpi_table()
    run = table[k]
    S, A = mpi_record()["n_states"], mpi_record()["n_actions"]
    fig = Figure(figsize=(10, 3.6))
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.8, wspace=0.25)  # fixed: fast redraws
    floor = MPI_TARGET / 10
    for other, style in [(1, ":"), (np.inf, "--")]:
        left.semilogy(table[other]["costs"] / 1e6, np.maximum(table[other]["errors"], floor), style, c="0.5", lw=1)
    left.semilogy(run["costs"] / 1e6, np.maximum(run["errors"], floor), ".-", c="tab:red", ms=4, lw=1.2)
    left.set_ylim(floor, 2)
    left.set_yticks([1e-6, 1e-3, 1.0])  # few ticks and no legend: each costs several artists per redraw
    plain_log_ticks(left.yaxis)
    left.set_xlabel("work so far (million multiply-adds)")
    left.set_ylabel("max over s of |V(s) − V*(s)|")
    left.set_title("red: this k; grey dotted: k = 1, dashed: k = ∞", fontsize=9)
    totals = [table[j]["costs"][-1] / 1e6 for j in MPI_SWEEPS]
    right.bar(range(len(MPI_SWEEPS)), totals, color=["tab:red" if j == k else "0.7" for j in MPI_SWEEPS])
    right.set_xticks(range(len(MPI_SWEEPS)), [_k_label(j) for j in MPI_SWEEPS])
    right.set_yticks([0, 2, 4, 6])
    right.set_xlabel("k, evaluation sweeps per round")
    right.set_title("work until |V − V*| < 1e-6 (millions)", fontsize=9)
    if k == np.inf:
        per_round = f"S²A + (k − 1)S² with k = {run['sweeps'].mean():.0f} sweeps on average: {run['costs'][-1] / run['rounds']:,.0f}"
    else:
        per_round = f"S²A + (k − 1)S² = {S * S * A:,} + {int(k) - 1} × {S * S:,} = {S * S * (A + int(k) - 1):,}"
    fig.suptitle(f"FrozenLake 8x8, gamma = {MPI_GAMMA}, k = {_k_label(k)}: {run['rounds']} rounds, "
                 f"{run['costs'][-1] / 1e6:.2f} million multiply-adds in all\ncost per round: {per_round}", fontsize=9)
    return fig


def modified_policy_iteration_widget() -> widgets.VBox:
    """A slider for k, the number of evaluation sweeps per round (1 = value iteration, ∞ = policy iteration)."""
    return interactive_figure(
        draw_modified_policy_iteration,
        k=widgets.SelectionSlider(options=[(_k_label(j), j) for j in MPI_SWEEPS], value=5,
                                  description="k sweeps", continuous_update=False),
    )




# --- static pictures --------------------------------------------------------------------------------

def draw_discount_weights(gammas: tuple[float, ...] = (0.5, 0.9, 0.99, 1.0), horizon: int = 60) -> Figure:
    """The weight gamma^k that a reward k steps ahead gets in the return, for a few gammas."""
    fig = Figure(figsize=(6, 2.8), layout="constrained")
    ax = fig.subplots()
    k = np.arange(horizon)
    for gamma in gammas:
        label = rf"$\gamma$ = {gamma}" + (f" (horizon about {1 / (1 - gamma):.0f})" if gamma < 1 else "")
        ax.plot(k, gamma ** k, label=label)
    ax.set_xlabel("steps ahead k")
    ax.set_ylabel(r"weight $\gamma^k$")
    ax.legend(fontsize=8)
    return fig


def draw_agent_environment_loop() -> Figure:
    """The agent-environment loop: the agent sends an action, the world answers with a reward and a state."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig = Figure(figsize=(7, 2.8))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    boxes = {"agent": (0.35, 0.68), "environment": (0.35, 0.08)}
    for name, (x, y) in boxes.items():
        ax.add_patch(FancyBboxPatch((x, y), 0.3, 0.24, boxstyle="round,pad=0.02", facecolor="#dfe9f5",
                                    edgecolor="0.2"))
    ax.text(0.5, 0.84, "agent", ha="center", fontsize=12, weight="bold")
    ax.text(0.5, 0.74, r"policy $\pi(a \mid s)$", ha="center", fontsize=10)
    ax.text(0.5, 0.24, "environment", ha="center", fontsize=12, weight="bold")
    ax.text(0.5, 0.14, r"$P(s' \mid s, a)$, $R(s, a)$", ha="center", fontsize=10)

    def arrow(points, colour):
        ax.add_patch(FancyArrowPatch(points[0], points[1], connectionstyle="arc3,rad=0", arrowstyle="-|>",
                                     mutation_scale=14, lw=1.5, color=colour))

    # action: from the agent's right side down into the environment's right side
    ax.plot([0.67, 0.85, 0.85], [0.8, 0.8, 0.2], c="tab:red", lw=1.5)
    arrow([(0.85, 0.2), (0.67, 0.2)], "tab:red")
    ax.text(0.87, 0.5, r"action $a_t$", color="tab:red", fontsize=11, va="center")
    # state and reward: from the environment's left side up into the agent's left side
    for x, y, colour, label, side in [(0.12, 0.22, "tab:blue", r"state $s_{t+1}$", "right"),
                                      (0.22, 0.16, "tab:green", r"reward $r_{t+1}$", "left")]:
        ax.plot([0.33, x, x], [y, y, 1.0 - y], c=colour, lw=1.5)
        arrow([(x, 1.0 - y), (0.33, 1.0 - y)], colour)
        ax.text(x + (-0.01 if side == "right" else 0.01), 0.5, label, color=colour, fontsize=11, ha=side, va="center")
    ax.text(0.5, 0.5, "then t ← t + 1", fontsize=9, color="0.4", ha="center", va="center")
    ax.set_xlim(-0.1, 1.05)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return fig


def lake_as_text(policy: str = "down and right", seed: int = 3, steps: int = 4) -> str:
    """The first ``steps`` steps of an episode on FrozenLake, as gymnasium's text rendering."""
    env = rl.make_frozen_lake(render_mode="ansi")
    probabilities = frozen_lake_policy(policy, rl.model_from_env(env))
    rng = np.random.default_rng(seed)
    state, _ = env.reset(seed=seed)
    frames = [env.render()]
    for _ in range(steps):
        action = int(rng.choice(4, p=probabilities[state]))
        state, reward, terminated, truncated, _ = env.step(action)
        frames.append(env.render() + f"state {state}, reward {reward}, terminated {terminated}\n")
        if terminated or truncated:
            break
    env.close()
    return "\n".join(frames)


def _backup_tree(ax, title: str, maximum: bool) -> None:
    """One backup diagram: state s, its actions, their successor states (Sutton and Barto's style)."""
    root = (0.0, 2.0)
    actions = [(-1.2, 1.0), (0.0, 1.0), (1.2, 1.0)]
    for ax_, ay in actions:
        ax.plot([root[0], ax_], [root[1], ay], c="0.3", lw=1, zorder=1)
        for dx in (-0.35, 0.35):
            ax.plot([ax_, ax_ + dx], [ay, 0.0], c="0.3", lw=1, zorder=1)
            ax.scatter([ax_ + dx], [0.0], s=260, facecolor="white", edgecolor="black", zorder=2)
        ax.scatter([ax_], [ay], s=70, color="black", zorder=2)
    ax.scatter([root[0]], [root[1]], s=260, facecolor="white", edgecolor="black", zorder=2)
    ax.text(root[0] + 0.25, root[1], r"$s$", va="center", fontsize=11)
    ax.text(0.15, 1.05, r"$a$", fontsize=10)
    ax.text(0.4, 0.45, r"$r,\ P(s'|s,a)$", fontsize=8, color="0.25")
    ax.text(0.35, -0.35, r"$s'$", ha="center", fontsize=11)
    if maximum:
        from matplotlib.patches import Arc
        ax.add_patch(Arc(root, 1.6, 1.6, theta1=220, theta2=320, color="tab:red", lw=1.5))
        ax.text(0.0, 1.35, "max", ha="center", color="tab:red", fontsize=9)
        ax.text(0.0, -0.85, r"$V^*(s) = \max_a [R(s,a) + \gamma \sum_{s'} P(s'|s,a)\, V^*(s')]$", fontsize=9,
                ha="center")
    else:
        ax.text(-0.75, 1.6, r"$\pi(a|s)$", fontsize=9, ha="right", color="tab:blue")
        ax.text(0.0, -0.85, r"$V^\pi(s) = \sum_a \pi(a|s) [R(s,a) + \gamma \sum_{s'} P(s'|s,a)\, V^\pi(s')]$",
                fontsize=9, ha="center")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-1.05, 2.3)
    ax.axis("off")


def draw_backup_diagrams() -> Figure:
    """Backup diagrams of the Bellman expectation and optimality equations for V.

    Open circles are states, black dots are actions; the value at the top is computed from
    the values at the bottom (a backup). The expectation equation averages over the policy's
    actions; the optimality equation takes the best action (the red arc).
    """
    fig = Figure(figsize=(9, 3.6))
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.1)
    _backup_tree(left, "Bellman expectation backup ($V^\\pi$)", maximum=False)
    _backup_tree(right, "Bellman optimality backup ($V^*$)", maximum=True)
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------
# Widgets A and B run the student's functions; the bench passes the reference module.

WIDGET_UPDATES = [
    ("grid world", lambda reference: draw_gridworld(reference.gridworld_model, reference.value_iteration,
                                                    reference.q_from_v, gamma=0.95, sweep=5)),
    ("rollouts", lambda reference: draw_rollouts(reference.value_iteration, reference.policy_evaluation, episode=3)),
    ("modified policy iteration", lambda: draw_modified_policy_iteration(k=10)),
]
