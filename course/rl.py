"""Shared helpers for the reinforcement-learning lectures (07-09): environments, tabular models, pictures.

Conventions every RL lecture uses:

- States are ``0 .. S-1`` and actions ``0 .. A-1``. On a grid, state ``s = row * n_cols + col``
  and the actions follow gymnasium's toy-text order ``LEFT = 0, DOWN = 1, RIGHT = 2, UP = 3``.
- A **tabular model** is three arrays: ``P`` of shape (S, A, S) with ``P[s, a, s']`` the
  probability of moving from ``s`` to ``s'`` under action ``a``; ``R`` of shape (S, A), the
  expected immediate reward; and ``terminal``, a boolean array of shape (S,) that is True where
  an episode ends. Terminal states are absorbing with zero reward, and their value is 0.
- A deterministic policy is an integer array of shape (S,) (one action per state); a stochastic
  policy is a float array of shape (S, A) whose rows are the probabilities pi(a | s).

Nothing here solves an MDP: the solvers are the exercises of lecture 07.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("left", "down", "right", "up")
# Arrow directions for drawing, as (x change, y change) on a picture whose rows grow downwards.
ARROWS = {LEFT: (-1.0, 0.0), DOWN: (0.0, 1.0), RIGHT: (1.0, 0.0), UP: (0.0, -1.0)}
TILE_COLOURS = {"S": "#dfe9f5", "F": "#dfe9f5", "H": "#34495e", "G": "#f5c542"}


@dataclass(frozen=True)
class TabularModel:
    """A finite MDP as arrays (see the module docstring for the conventions).

    ``initial`` is the start-state distribution, shape (S,); ``desc`` the grid of letters
    (an array of one-character strings, shape (n_rows, n_cols)) when the world is a grid map.
    """

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray
    initial: np.ndarray
    desc: np.ndarray | None = None

    @property
    def n_states(self) -> int:
        return self.R.shape[0]

    @property
    def n_actions(self) -> int:
        return self.R.shape[1]

    @property
    def start(self) -> int:
        """The most likely start state (the only one for FrozenLake)."""
        return int(np.argmax(self.initial))

    @property
    def shape(self) -> tuple[int, int] | None:
        return None if self.desc is None else self.desc.shape


def make_frozen_lake(map_name: str = "4x4", is_slippery: bool = True, max_episode_steps: int | None = None,
                     **kwargs) -> gym.Env:
    """gymnasium's ``FrozenLake-v1``; ``max_episode_steps=None`` keeps its limit (100 for 4x4)."""
    options = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    return gym.make("FrozenLake-v1", map_name=map_name, is_slippery=is_slippery, **options, **kwargs)


def model_from_env(env: gym.Env) -> TabularModel:
    """Convert a toy-text environment's model ``env.unwrapped.P`` into a :class:`TabularModel`.

    gymnasium stores the model as ``P[s][a] = [(probability, next_state, reward, terminated), ...]``,
    where one next state may appear several times (FrozenLake lists a bump into the edge once
    per direction that causes it), so probabilities and rewards are accumulated. A state is
    terminal when arriving in it ends the episode; its rows become absorbing with zero reward.
    """
    inner = env.unwrapped
    n_states, n_actions = int(inner.observation_space.n), int(inner.action_space.n)
    P = np.zeros((n_states, n_actions, n_states))
    R = np.zeros((n_states, n_actions))
    ends = np.zeros(n_states, dtype=bool)
    for s in range(n_states):
        for a in range(n_actions):
            for probability, next_state, reward, terminated in inner.P[s][a]:
                P[s, a, next_state] += probability
                R[s, a] += probability * reward
                ends[next_state] |= bool(terminated) and probability > 0
    P[ends] = 0.0
    P[ends, :, ends] = 1.0
    R[ends] = 0.0
    initial = np.asarray(getattr(inner, "initial_state_distrib", np.full(n_states, 1.0 / n_states)), dtype=float)
    desc = getattr(inner, "desc", None)
    if desc is not None:
        desc = np.char.decode(np.asarray(desc), "ascii") if np.asarray(desc).dtype.kind == "S" else np.asarray(desc)
    return TabularModel(P, R, ends, initial, desc)


def as_action_probabilities(policy: np.ndarray, n_actions: int) -> np.ndarray:
    """A policy as an (S, A) array of probabilities (one-hot rows for a deterministic policy)."""
    policy = np.asarray(policy)
    return np.eye(n_actions)[policy] if policy.ndim == 1 else policy.astype(float)


Policy = np.ndarray | Callable[[int, np.random.Generator], int]


def run_episode(env: gym.Env, policy: Policy, seed: int, max_steps: int | None = None) -> dict:
    """Play one episode of ``env`` with ``policy``, seeded; return what happened.

    ``policy`` is an int array (S,), an (S, A) array of probabilities, or a function
    ``(state, rng) -> action``. Returns ``states`` (visited, the start first), ``actions``,
    ``rewards``, ``terminated`` and ``truncated`` (the time limit or ``max_steps`` ended it).
    """
    rng = np.random.default_rng(seed)
    state, _ = env.reset(seed=seed)
    states, actions, rewards = [int(state)], [], []
    terminated = truncated = False
    while not (terminated or truncated):
        if callable(policy):
            action = int(policy(state, rng))
        elif np.ndim(policy) == 1:
            action = int(policy[state])
        else:
            action = int(rng.choice(len(policy[state]), p=policy[state]))
        state, reward, terminated, truncated, _ = env.step(action)
        states.append(int(state))
        actions.append(action)
        rewards.append(float(reward))
        if max_steps is not None and len(actions) >= max_steps:
            truncated = truncated or not terminated
    return {"states": np.array(states), "actions": np.array(actions, dtype=int), "rewards": np.array(rewards),
            "terminated": bool(terminated), "truncated": bool(truncated)}


def run_episodes(env: gym.Env, policy: Policy, n_episodes: int, seed: int = 0,
                 max_steps: int | None = None) -> list[dict]:
    """``n_episodes`` episodes of :func:`run_episode` with seeds ``seed, seed + 1, ...``."""
    return [run_episode(env, policy, seed + i, max_steps) for i in range(n_episodes)]


# --- pictures ------------------------------------------------------------------------------------

def grid_coordinates(states: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) = (column, row) picture coordinates of grid states."""
    states = np.asarray(states)
    return states % n_cols, states // n_cols


def draw_map(ax: Axes, desc: np.ndarray, letters: bool = True) -> None:
    """Tiles of a grid map (S/F frozen, H hole or trap, G goal), rows growing downwards."""
    desc = np.asarray(desc)
    kinds = "SFHG"
    codes = np.vectorize(kinds.index)(desc)
    ax.imshow(codes, cmap=ListedColormap([TILE_COLOURS[k] for k in kinds]), vmin=-0.5, vmax=3.5)
    if letters:
        for (row, col), letter in np.ndenumerate(desc):
            if letter in "SGH":
                ax.text(col - 0.42, row - 0.42, letter, ha="left", va="top", fontsize=8,
                        color="white" if letter == "H" else "black")
    _grid_lines(ax, desc.shape)


def _grid_lines(ax: Axes, shape: tuple[int, int]) -> None:
    # White lines between the cells, drawn as two line collections at the grid's height: no
    # ticks at all, which are slow to build and draw on a figure redrawn at every slider move.
    n_rows, n_cols = shape
    ax.vlines(np.arange(-0.5, n_cols), -0.5, n_rows - 0.5, color="white", lw=1.5, zorder=1.5)
    ax.hlines(np.arange(-0.5, n_rows), -0.5, n_cols - 0.5, color="white", lw=1.5, zorder=1.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)


def draw_values(ax: Axes, values: np.ndarray, shape: tuple[int, int], terminal: np.ndarray | None = None,
                desc: np.ndarray | None = None, numbers: bool = True, vmin: float | None = None,
                vmax: float | None = None, cmap: str = "RdYlGn"):
    """A heatmap of state values on the grid; terminal cells are hatched, letters shown from ``desc``."""
    grid = np.asarray(values, dtype=float).reshape(shape)
    image = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax)
    if terminal is not None:
        for row, col in zip(*np.nonzero(np.asarray(terminal).reshape(shape))):
            ax.add_patch(_hatch(row, col))
    if numbers and grid.size <= 64:
        for (row, col), value in np.ndenumerate(grid):
            ax.text(col, row + 0.3, f"{value:.2f}", ha="center", va="center", fontsize=7)
    if desc is not None:
        for (row, col), letter in np.ndenumerate(np.asarray(desc)):
            if letter in "GHS":
                ax.text(col - 0.42, row - 0.42, letter, ha="left", va="top", fontsize=8, weight="bold")
    _grid_lines(ax, shape)
    return image


def _hatch(row: int, col: int):
    from matplotlib.patches import Rectangle
    return Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.3", lw=0)


def draw_policy(ax: Axes, policy: np.ndarray, shape: tuple[int, int], terminal: np.ndarray | None = None,
                colour: str = "black") -> None:
    """Arrows for a policy on the grid.

    ``policy`` is an int array (S,) (one arrow per state), or a boolean or float array (S, A):
    one arrow per action with a non-zero entry, e.g. every action that is tied for best.
    Terminal states get no arrow.
    """
    policy = np.asarray(policy)
    n_states = int(np.prod(shape))
    weights = np.eye(4)[policy] if policy.ndim == 1 else policy.astype(float)
    skip = np.zeros(n_states, dtype=bool) if terminal is None else np.asarray(terminal)
    xs, ys, us, vs = [], [], [], []
    for s in range(n_states):
        if skip[s]:
            continue
        col, row = s % shape[1], s // shape[1]
        for a in np.nonzero(weights[s] > 0)[0]:
            dx, dy = ARROWS[int(a)]
            xs.append(col)
            ys.append(row - 0.08)
            us.append(0.32 * dx)
            vs.append(0.32 * dy)
    if xs:
        ax.quiver(xs, ys, us, vs, angles="xy", scale_units="xy", scale=1, units="xy", color=colour, width=0.05,
                  headwidth=3.5, headlength=3, headaxislength=2.6)


def draw_path(ax: Axes, states: np.ndarray, n_cols: int, colour: str = "tab:blue", jitter: float = 0.0,
              seed: int = 0, **options) -> None:
    """An episode's visited states as a line on the grid, with small random offsets if ``jitter``."""
    x, y = grid_coordinates(states, n_cols)
    offsets = np.random.default_rng(seed).uniform(-jitter, jitter, size=(2, len(x))) if jitter else 0.0
    ax.plot(x + (offsets[0] if jitter else 0.0), y + (offsets[1] if jitter else 0.0), color=colour, **options)


def value_policy_figure(values: np.ndarray, policy: np.ndarray | None, shape: tuple[int, int],
                        terminal: np.ndarray | None = None, desc: np.ndarray | None = None,
                        title: str = "", figsize: tuple[float, float] = (4.2, 4.2)) -> Figure:
    """One panel: the value heatmap with the policy's arrows on top."""
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    image = draw_values(ax, values, shape, terminal, desc)
    if policy is not None:
        draw_policy(ax, policy, shape, terminal)
    fig.colorbar(image, ax=ax, shrink=0.8, label="value")
    ax.set_title(title, fontsize=9)
    return fig


# --- function approximation on gymnasium's classic-control worlds (lectures 08-09) ----------------
# A batch policy maps observations of shape (N, obs_dim) to N integer actions.

BatchPolicy = Callable[[np.ndarray], np.ndarray]


def greedy_returns(policy: BatchPolicy, n_episodes: int = 20, seed: int = 10_000,
                   env_id: str = "CartPole-v1") -> np.ndarray:
    """Undiscounted return of ``n_episodes`` episodes played side by side, seeded ``seed, seed + 1, ...``.

    Uses gymnasium's vectorized environment (one batched policy call per time step); only each
    copy's first episode counts. CartPole's time limit of 500 steps applies.
    """
    envs = gym.make_vec(env_id, num_envs=n_episodes, vectorization_mode="vector_entry_point")
    obs, _ = envs.reset(seed=seed)
    returns = np.zeros(n_episodes)
    done = np.zeros(n_episodes, dtype=bool)
    while not done.all():
        obs, rewards, terminated, truncated, _ = envs.step(np.asarray(policy(obs)))
        returns += np.where(done, 0.0, rewards)
        done |= terminated | truncated
    envs.close()
    return returns


def episode_frames(policy: BatchPolicy, seed: int = 0, env_id: str = "CartPole-v1",
                   every: int = 1) -> tuple[list[np.ndarray], float]:
    """Pictures (rgb arrays) of one seeded episode, every ``every``-th step, and its return.

    Needs pygame (``gymnasium[classic-control]``); headless, set ``SDL_VIDEODRIVER=dummy``.
    """
    import os
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    env = gym.make(env_id, render_mode="rgb_array")
    obs, _ = env.reset(seed=seed)
    frames, total, step, done = [env.render()], 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(int(np.asarray(policy(obs[None]))[0]))
        total += float(reward)
        step += 1
        done = terminated or truncated
        if step % every == 0 or done:
            frames.append(env.render())
    env.close()
    return frames, total
