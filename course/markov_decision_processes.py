"""Worlds, pictures and widgets for lecture 07, Markov decision processes.

The widgets work before any exercise is solved. They never call the student's functions:
a grid world is built by handing its map to gymnasium's FrozenLake class (custom map, slip
rate and rewards) and converting the model with :func:`course.rl.model_from_env`; the values
come from :func:`sweep_history`, which keeps every sweep of value iteration so a slider can
step through them, and finite-horizon success probabilities from :func:`horizon_values`.
"""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import numpy as np
from gymnasium.envs.toy_text.frozen_lake import MAPS, FrozenLakeEnv
from matplotlib.figure import Figure

from course import rl
from course.widgets import FIXED_TITLE, dropdown, interactive_figure, plain_log_ticks, slider, slider_cache

LAYOUTS: dict[str, list[str]] = {
    "two exits (the notes' grid)": ["GFFF", "FFFF", "FFSF", "FFFG"],
    "cliff": ["FFFFFF", "FFFFFF", "FFFFFF", "SHHHHG"],
    "long way round": ["SFFFFFF", "HHHHHHF", "GFFFFFF"],
    "FrozenLake 4x4": MAPS["4x4"],
    "FrozenLake 8x8": MAPS["8x8"],
}
NEAR_TIE = 1e-6  # actions within this of the best are all drawn as best


def grid_world(layout: list[str], step_cost: float, slip: float = 0.0, goal_reward: float = 0.0,
               trap_reward: float = -1.0) -> rl.TabularModel:
    """The lecture's grid world, built by gymnasium's FrozenLake class on a custom map.

    Same arguments, order and defaults as exercise 2's ``gridworld_model``. With probability
    ``1 - slip`` a move goes where intended, otherwise to one of the two perpendicular
    directions (``slip / 2`` each); moves into the edge stay put. Every move costs
    ``step_cost``; entering G pays ``goal_reward``, entering H pays ``trap_reward``, and both
    end the episode.
    """
    env = FrozenLakeEnv(desc=layout, is_slippery=True, success_rate=1.0 - slip,
                        reward_schedule=(goal_reward - step_cost, trap_reward - step_cost, -step_cost))
    return rl.model_from_env(env)


def sweep_history(model: rl.TabularModel, gamma: float, n_sweeps: int) -> np.ndarray:
    """Every iterate of value iteration from V_0 = 0: an array of shape (n_sweeps + 1, S).

    Transitions into terminal states are cut out of P once, so no masking is needed per sweep.
    """
    continuing = model.P * ~model.terminal[None, None, :]
    history = np.zeros((n_sweeps + 1, model.n_states))
    for k in range(n_sweeps):
        backed_up = model.R + gamma * continuing @ history[k]
        history[k + 1] = np.where(model.terminal, 0.0, backed_up.max(axis=1))
    return history


def best_actions(model: rl.TabularModel, gamma: float, values: np.ndarray) -> np.ndarray:
    """Boolean (S, A): the actions whose one-step look-ahead is within NEAR_TIE of the best."""
    continuing = model.P * ~model.terminal[None, None, :]
    lookahead = model.R + gamma * continuing @ values
    return lookahead >= lookahead.max(axis=1, keepdims=True) - NEAR_TIE


def horizon_values(model: rl.TabularModel, policy: np.ndarray, horizon: int, gamma: float = 1.0) -> np.ndarray:
    """Expected (discounted) reward of ``policy`` within ``horizon`` steps, for every start state.

    With gamma = 1 and a reward of 1 for reaching the goal this is the probability of success
    within the time limit, which is what rollouts with that limit estimate.
    """
    probabilities = rl.as_action_probabilities(policy, model.n_actions)
    step = np.einsum("sa,sat->st", probabilities, model.P * ~model.terminal[None, None, :])
    reward = np.sum(probabilities * model.R, axis=1)
    values = np.zeros(model.n_states)
    for _ in range(horizon):
        values = reward + gamma * step @ values
    return np.where(model.terminal, 0.0, values)


# --- widget 1: the grid world --------------------------------------------------------------------

WIDGET_GOAL_REWARD = 1.0  # the widget's worlds pay +1 at G (and -1 at H, grid_world's default)


@slider_cache
def gridworld_values(layout: str, gamma: float, slip: float, step_cost: float,
                     max_sweeps: int = 100) -> tuple[rl.TabularModel, np.ndarray]:
    """What widget A computes: the model of map ``layout`` and every value-iteration sweep."""
    model = grid_world(LAYOUTS[layout], step_cost, slip, goal_reward=WIDGET_GOAL_REWARD)
    return model, sweep_history(model, gamma, max_sweeps)


def draw_gridworld(layout: str = "two exits (the notes' grid)", gamma: float = 0.9, slip: float = 0.0,
                   step_cost: float = 0.04, sweep: int = 2, max_sweeps: int = 100) -> Figure:
    """Value iteration on a grid world after ``sweep`` sweeps: values, best actions, convergence."""
    model, history = gridworld_values(layout, gamma, slip, step_cost, max_sweeps)
    sweep = int(np.clip(sweep, 0, max_sweeps))
    values = history[sweep]
    fig = Figure(figsize=(10, 4.0))
    with matplotlib.rc_context(FIXED_TITLE):
        left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.12, top=0.86, wspace=0.4)  # fixed: fast redraws
    scale = max(1.0, float(np.max(np.abs(history[-1]))))
    image = rl.draw_values(left, values, model.shape, model.terminal, model.desc, numbers=model.n_states <= 36,
                           vmin=-scale, vmax=scale)
    rl.draw_policy(left, best_actions(model, gamma, values), model.shape, model.terminal)
    fig.colorbar(image, ax=left, shrink=0.8, label="V", ticks=np.linspace(-scale, scale, 5))  # few ticks: fast
    left.set_title(f"V after {sweep} sweeps, greedy arrows (ties: all arrows)", fontsize=9)
    changes = np.max(np.abs(np.diff(history, axis=0)), axis=1)
    right.semilogy(np.arange(1, max_sweeps + 1), np.maximum(changes, 1e-12), ".-", ms=3)
    if sweep > 0:
        right.plot([sweep], [max(changes[sweep - 1], 1e-12)], "o", c="tab:red", ms=8, clip_on=False)
    if gamma < 1:
        right.semilogy(np.arange(1, max_sweeps + 1), changes[0] * gamma ** np.arange(max_sweeps), "--", c="0.5",
                       lw=1, label="γ^k times the first change")
        right.legend(fontsize=8, loc="upper right")
    right.set_ylim(1e-12, 10)
    right.set_yticks([1e-12, 1e-8, 1e-4, 1.0])  # few ticks: each costs several artists per redraw
    plain_log_ticks(right.yaxis)
    right.set_xlabel("sweep k")
    right.set_ylabel("max over s of |V_k(s) − V_k−1(s)|")  # plain text: math text is parsed on every render
    right.set_title(f"convergence of value iteration\ngamma = {gamma:.2f}, slip = {slip:.2f}, step cost = {step_cost:.2f}",
                    fontsize=9)
    return fig


def gridworld_widget() -> widgets.VBox:
    """Sliders for gamma, the slip probability, the step cost and the sweep; a choice of map."""
    return interactive_figure(
        draw_gridworld,
        layout=dropdown(list(LAYOUTS), "two exits (the notes' grid)", "map"),
        gamma=slider(0.9, 0.0, 1.0, 0.01, "gamma"),
        slip=slider(0.0, 0.0, 1.0, 0.05, "slip probability"),
        step_cost=slider(0.04, 0.0, 1.0, 0.01, "step cost"),
        sweep=slider(2, 0, 100, 1, "sweep", integer=True),
    )


# --- widget 2: rollouts on FrozenLake --------------------------------------------------------------

BEST = "value iteration (gamma 0.99)"
POLICIES = [BEST, "uniformly random", "always right", "always down", "down and right"]
BEST_GAMMA = 0.99  # a slight discount makes short paths strictly better than waiting (see the notebook)


def frozen_lake_policy(name: str, model: rl.TabularModel) -> np.ndarray:
    """An (S, A) array of action probabilities for one of the widget's named policies.

    The value-iteration policy is deterministic: in every state the greedy action of
    Q* for gamma = 0.99, ties broken to the lowest action index (as in exercise 5).
    """
    n_states = model.n_states
    if name == BEST:
        values = sweep_history(model, BEST_GAMMA, 2000)[-1]
        best = best_actions(model, BEST_GAMMA, values)
        return np.eye(model.n_actions)[np.argmax(best, axis=1)]
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
def rollout_summary(policy: str = BEST, slippery: bool = True, n_episodes: int = 100, map_name: str = "4x4",
                    seed: int = 0) -> dict:
    """What widget B computes: ``n_episodes`` seeded rollouts of a named policy on FrozenLake.

    Returns a dict with the ``model``, the time ``limit``, the ``runs`` (see
    :func:`course.rl.run_episodes`), boolean arrays ``won`` and ``fell`` (one entry per
    episode), ``visits`` per state over all episodes, and ``chance``, the probability of
    success within the time limit computed from the model.
    """
    env = rl.make_frozen_lake(map_name, is_slippery=slippery)
    model = rl.model_from_env(env)
    probabilities = frozen_lake_policy(policy, model)
    limit = env.spec.max_episode_steps
    runs = rl.run_episodes(env, _sampler(probabilities), n_episodes, seed)
    env.close()
    won = np.array([run["rewards"].sum() > 0 for run in runs])
    fell = np.array([run["terminated"] for run in runs]) & ~won
    visits = np.zeros(model.n_states)
    for run in runs:
        np.add.at(visits, run["states"], 1)
    chance = float(horizon_values(model, probabilities, limit)[model.start])
    return {"model": model, "limit": limit, "runs": runs, "won": won, "fell": fell, "visits": visits,
            "chance": chance}


def draw_rollouts(policy: str = BEST, slippery: bool = True, n_episodes: int = 100,
                  episode: int = 0, map_name: str = "4x4", seed: int = 0) -> Figure:
    """``n_episodes`` seeded rollouts on FrozenLake: one episode's path and where all of them went."""
    summary = rollout_summary(policy, slippery, n_episodes, map_name, seed)
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


def rollouts_widget() -> widgets.VBox:
    """Choose a policy, slipperiness and map; step through the episodes."""
    return interactive_figure(
        draw_rollouts,
        policy=dropdown(POLICIES, POLICIES[0], "policy"),
        slippery=widgets.Checkbox(value=True, description="slippery"),
        n_episodes=slider(100, 10, 500, 10, "episodes", integer=True),
        episode=slider(0, 0, 9, 1, "episode shown", integer=True),
        map_name=dropdown(["4x4", "8x8"], "4x4", "map"),
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

WIDGET_UPDATES = [
    ("grid world", lambda: draw_gridworld(gamma=0.95, sweep=5)),
    ("rollouts", lambda: draw_rollouts(episode=3)),
]
