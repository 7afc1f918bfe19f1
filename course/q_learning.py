"""Worlds, pictures and widgets for lecture 08, Q-learning.

CliffWalking (gymnasium's ``CliffWalking-v1``) is a 4 x 12 grid: start in the bottom-left
corner, goal in the bottom-right, the cells between them are a cliff. Every step costs -1, a
step into the cliff costs -100 and puts the agent back at the start. Its actions are numbered
``UP = 0, RIGHT = 1, DOWN = 2, LEFT = 3`` (not FrozenLake's order; ``CLIFF_TO_GRID`` converts
for the drawing helpers of ``course.rl``).

The widgets learn with their own small tabular learner, :func:`td_control`, which works on
the world's transition table rather than on the gymnasium object so that a slider move stays
fast; it never calls the student's functions.
"""
from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Callable, Iterator

import gymnasium as gym
import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from course import rl
from course.widgets import dropdown, figure_row, interactive_figure, slider, slider_cache

CLIFF_SHAPE = (4, 12)
CLIFF_START, CLIFF_GOAL = 36, 47
CLIFF_TO_GRID = np.array([rl.UP, rl.RIGHT, rl.DOWN, rl.LEFT])  # CliffWalking action -> course.rl action
CLIFF_DESC = np.array([list("F" * 12)] * 3 + [list("S" + "H" * 10 + "G")])
METHODS = ("SARSA", "Q-learning")
COLOURS = {"SARSA": "tab:blue", "Q-learning": "tab:red"}


def make_cliff(**options) -> gym.Env:
    """gymnasium's ``CliffWalking-v1`` (no time limit unless ``max_episode_steps`` is given)."""
    return gym.make("CliffWalking-v1", **options)


@functools.cache
def cliff_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CliffWalking's deterministic rules as arrays (S, A): next state, reward, episode ends."""
    model = make_cliff().unwrapped.P
    n_states, n_actions = len(model), len(model[0])
    nxt = np.zeros((n_states, n_actions), dtype=int)
    reward = np.zeros((n_states, n_actions))
    ends = np.zeros((n_states, n_actions), dtype=bool)
    for s in range(n_states):
        for a in range(n_actions):
            (_, s_next, r, done), = model[s][a]
            nxt[s, a], reward[s, a], ends[s, a] = s_next, r, done
    return nxt, reward, ends


@slider_cache
def td_control(method: str, epsilon: float, n_episodes: int = 500, alpha: float = 0.5, gamma: float = 1.0,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learn CliffWalking's Q-table with SARSA or Q-learning; return (Q (S, A), reward of each episode).

    Behaviour is epsilon-greedy with random tie-breaking, drawn from its own stream of uniform
    numbers (two per decision), so it follows the same rules as the exercises but not the
    same random draws.
    """
    nxt, reward, ends = (table.tolist() for table in cliff_table())
    n_actions = len(nxt[0])
    q = [[0.0] * n_actions for _ in nxt]
    uniforms = _uniforms(np.random.default_rng(seed))

    def act(state: int) -> int:
        explore, pick = next(uniforms), next(uniforms)
        if explore < epsilon:
            return int(pick * n_actions)
        row = q[state]
        top = max(row)
        if row.count(top) == 1:  # the common case, without building the list of ties
            return row.index(top)
        ties = [a for a in range(n_actions) if row[a] == top]
        return ties[int(pick * len(ties))]

    sarsa = method == "SARSA"
    totals = []
    for _ in range(n_episodes):
        state = CLIFF_START
        action = act(state) if sarsa else None
        done, total = False, 0.0
        while not done:
            if not sarsa:
                action = act(state)
            following, r, done = nxt[state][action], reward[state][action], ends[state][action]
            if sarsa:
                chosen = act(following)
                ahead = q[following][chosen]
            else:
                ahead = max(q[following])
            q[state][action] += alpha * (r + (0.0 if done else gamma * ahead) - q[state][action])
            total += r
            state = following
            if sarsa:
                action = chosen
        totals.append(total)
    return np.array(q), np.array(totals)


def _uniforms(rng: np.random.Generator, block: int = 8192) -> Iterator[float]:
    """An endless stream of uniform numbers, drawn in blocks (scalar draws are slow); a chain
    of list iterators, so that ``next`` runs in C."""
    return itertools.chain.from_iterable(rng.random(block).tolist() for _ in itertools.count())


def greedy_path(Q: np.ndarray, max_steps: int = 60) -> np.ndarray:
    """States visited by the greedy policy (first best action) from the start; stops at the goal."""
    nxt, _, ends = cliff_table()
    path = [CLIFF_START]
    for _ in range(max_steps):
        action = int(np.argmax(Q[path[-1]]))
        done = ends[path[-1], action]
        path.append(int(nxt[path[-1], action]))
        if done:
            break
    return np.array(path)


def steps_beside_cliff(path: np.ndarray) -> int:
    """How many states of a path lie on the row just above the cliff (row 2, columns 1 to 10)."""
    rows, cols = np.asarray(path) // CLIFF_SHAPE[1], np.asarray(path) % CLIFF_SHAPE[1]
    return int(np.sum((rows == 2) & (cols >= 1) & (cols <= 10)))


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of each run of ``window`` consecutive values (shorter at the start)."""
    sums = np.cumsum(np.r_[0.0, values])
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def draw_cliff_paths(ax, paths: dict[str, np.ndarray]) -> None:
    """The cliff grid with each method's greedy path."""
    rl.draw_map(ax, CLIFF_DESC)
    for offset, (name, path) in zip((-0.12, 0.12), paths.items()):
        x, y = rl.grid_coordinates(path, CLIFF_SHAPE[1])
        ax.plot(x, y + offset, color=COLOURS[name], lw=2.5, marker="o", ms=3,
                label=f"{name}: {len(path) - 1} steps")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=8, frameon=False)


def draw_cliff(epsilon: float = 0.1, n_episodes: int = 500, alpha: float = 0.5, seed: int = 0,
               n_runs: int = 3) -> Figure:
    """SARSA against Q-learning on CliffWalking: greedy paths of one run, and the reward of each
    training episode averaged over ``n_runs`` runs (seeds ``seed, seed + 1, ...``)."""
    fig, (ax_grid, ax_curve) = figure_row(2, width=11.0, height=3.4)
    runs = {name: [td_control(name, epsilon, n_episodes, alpha, 1.0, seed + i) for i in range(n_runs)]
            for name in METHODS}
    draw_cliff_paths(ax_grid, {name: greedy_path(results[0][0]) for name, results in runs.items()})
    ax_grid.set_title(f"greedy path after training (seed {seed})", fontsize=9)
    for name, results in runs.items():
        totals = np.mean([run_totals for _, run_totals in results], axis=0)
        ax_curve.plot(moving_average(totals, 20), color=COLOURS[name],
                      label=f"{name} (mean after episode 100: {totals[100:].mean():.0f})")
    ax_curve.set_ylim(-150, 0)
    ax_curve.set_yticks([-150, -100, -50, 0])  # few ticks: each costs several artists per redraw
    ax_curve.locator_params(axis="x", nbins=5)
    ax_curve.set_xlabel("episode")
    ax_curve.set_ylabel("reward per episode")
    ax_curve.set_title(f"online reward, epsilon = {epsilon:.2f} (mean of {n_runs} runs, moving mean of 20)",
                       fontsize=9)
    ax_curve.legend(fontsize=8, loc="lower right")
    return fig


def cliff_widget() -> widgets.VBox:
    """Slide epsilon (and the number of episodes) and compare what the two methods learn."""
    return interactive_figure(draw_cliff, epsilon=slider(0.1, 0.0, 0.3, 0.05, "epsilon"),
                              n_episodes=slider(500, 100, 1000, 100, "episodes", integer=True))


def draw_q_table(method: str = "Q-learning", epsilon: float = 0.1, n_episodes: int = 500) -> Figure:
    """The learned values max_a Q(s, a) on the grid with the greedy action of every state."""
    q, _ = td_control(method, epsilon, n_episodes, 0.5, 1.0, 0)
    fig = Figure(figsize=(9.0, 3.6))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.02, right=0.92, bottom=0.05, top=0.9)
    cliff = (CLIFF_DESC == "H").ravel()
    terminal = cliff | (np.arange(q.shape[0]) == CLIFF_GOAL)
    values = np.where(terminal, np.nan, q.max(axis=1))  # the agent never stands on the cliff or the goal
    image = rl.draw_values(ax, values, CLIFF_SHAPE, numbers=False, vmin=-20, vmax=0)
    rl.draw_policy(ax, CLIFF_TO_GRID[np.argmax(q, axis=1)], CLIFF_SHAPE, terminal)
    for (row, col), letter in np.ndenumerate(CLIFF_DESC):
        if letter != "F":
            ax.text(col, row, {"S": "start", "G": "goal", "H": "cliff"}[letter], ha="center", va="center",
                    fontsize=7, color="0.2")
    fig.colorbar(image, ax=ax, shrink=0.8, label="max_a Q(s, a)")
    ax.set_title(f"{method}, epsilon = {epsilon:.2f}, {n_episodes} episodes", fontsize=9)
    return fig


def q_table_widget() -> widgets.VBox:
    """Choose the method, epsilon and the training length; see the values and greedy arrows."""
    return interactive_figure(draw_q_table, method=dropdown(list(METHODS), "Q-learning", "method"),
                              epsilon=slider(0.1, 0.0, 0.3, 0.05, "epsilon"),
                              n_episodes=slider(500, 10, 1000, 10, "episodes", integer=True))


# --- deep Q-learning on CartPole -----------------------------------------------------------------

# The lecture's DQN settings (the reference reaches a greedy mean of 475 on CartPole-v1 within
# 50,000 steps with them; ``make bench`` measures it for five seeds).
DQN_SETTINGS = {"hidden": 128, "lr": 1e-3, "buffer_size": 50_000, "batch_size": 64, "learning_starts": 1000,
                "train_every": 2, "target_every": 250, "epsilon_start": 1.0, "epsilon_end": 0.05,
                "epsilon_steps": 10_000, "gamma": 0.99, "eval_every": 500, "eval_from": 5000}
SOLVED = 475.0


def make_cartpole(**options) -> gym.Env:
    """gymnasium's ``CartPole-v1``: 4 numbers observed, 2 actions (push left or right), +1 a step, at most 500."""
    return gym.make("CartPole-v1", **options)


def q_network(hidden: int = 64, seed: int = 0, obs_dim: int = 4, n_actions: int = 2) -> torch.nn.Sequential:
    """An MLP obs_dim -> hidden -> hidden -> n_actions with ReLUs, seeded: one Q-value per action."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(obs_dim, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, n_actions))


def linear_schedule(start: float, end: float, duration: int) -> Callable[[int], float]:
    """Step t -> a value going linearly from ``start`` (t = 0) to ``end`` (t >= duration), then constant."""
    return lambda t: end + (start - end) * max(0.0, 1.0 - t / duration)


def greedy_policy(q_net: torch.nn.Module) -> rl.BatchPolicy:
    """The batch policy that picks the action with the largest Q-value (first one on ties)."""
    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return q_net(torch.as_tensor(obs, dtype=torch.float32)).argmax(dim=1).numpy()
    return act


class GreedyEvaluator:
    """A training callback: every ``every`` steps from step ``start`` on, play ``n_episodes`` greedy episodes.

    It records (step, mean return) in ``history``, keeps a copy of the best network so far in
    ``best`` (so a late collapse of the training does not lose a good policy), and asks the
    training to stop once the mean return reaches ``target``.
    """

    def __init__(self, every: int = 500, start: int = 5000, n_episodes: int = 20, target: float = SOLVED,
                 seed: int = 10_000, progress=None):
        self.every, self.start, self.n_episodes, self.target, self.seed = every, start, n_episodes, target, seed
        self.history: list[tuple[int, float]] = []
        self.best: torch.nn.Module | None = None
        self.best_return = -np.inf
        self.solved_at: int | None = None
        self.progress = progress

    def __call__(self, step: int, q_net: torch.nn.Module) -> bool:
        if self.progress is not None:
            self.progress.update(1)
        if step < self.start or step % self.every:
            return False
        mean = float(rl.greedy_returns(greedy_policy(q_net), self.n_episodes, self.seed).mean())
        self.history.append((step, mean))
        if mean > self.best_return:
            self.best_return, self.best = mean, copy.deepcopy(q_net)
        if mean >= self.target:
            self.solved_at = step
            return True
        return False


def run_dqn(train_dqn: Callable, replay_buffer: type, n_steps: int = 50_000, seed: int = 0,
            settings: dict | None = None, progress: bool = True) -> dict:
    """Build CartPole, the networks and the optimizer from ``settings``, train with ``train_dqn``.

    ``train_dqn`` and ``replay_buffer`` are the exercise's training loop and buffer class (the
    notebook passes the student's, ``make bench`` the reference's). Returns the training
    history, the evaluator (greedy means over time, best network, step at which the target was
    reached or None) and the wall time in seconds.
    """
    import time

    from tqdm.auto import tqdm

    s = {**DQN_SETTINGS, **(settings or {})}
    env = make_cartpole()
    q_net, target_net = q_network(s["hidden"], seed), q_network(s["hidden"], seed)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=s["lr"])
    bar = tqdm(total=n_steps, desc=f"DQN seed {seed}", mininterval=1.0) if progress else None
    evaluator = GreedyEvaluator(s["eval_every"], s["eval_from"], progress=bar)
    start = time.perf_counter()
    history = train_dqn(env, q_net, target_net, optimizer, replay_buffer(s["buffer_size"], 4), n_steps,
                        linear_schedule(s["epsilon_start"], s["epsilon_end"], s["epsilon_steps"]),
                        gamma=s["gamma"], batch_size=s["batch_size"], learning_starts=s["learning_starts"],
                        train_every=s["train_every"], target_every=s["target_every"], seed=seed, callback=evaluator)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    if evaluator.best is None:
        evaluator.best = q_net
    return {"history": history, "evaluator": evaluator, "q_net": q_net, "seconds": seconds}


def benchmark_training(reference, seeds: tuple[int, ...] = (0, 1, 2, 3, 4), n_steps: int = 50_000) -> dict:
    """``make bench``'s training target: steps until the greedy mean over 20 episodes reaches 475.

    Runs ``reference.train_dqn`` and ``reference.ReplayBuffer`` through :func:`run_dqn` with the
    lecture's settings once per seed; returns, per seed, the step at which the target was
    reached (None if never within ``n_steps``), the best greedy mean seen, and the wall time.
    """
    torch.set_num_threads(1)
    results = {}
    for seed in seeds:
        run = run_dqn(reference.train_dqn, reference.ReplayBuffer, n_steps=n_steps, seed=seed, progress=False)
        results[str(seed)] = {"steps_to_475": run["evaluator"].solved_at,
                              "best_greedy_mean": round(run["evaluator"].best_return, 1),
                              "seconds": round(run["seconds"], 1)}
    return results


def draw_dqn_training(history: dict, evaluations: list[tuple[int, float]], target: float = SOLVED) -> Figure:
    """Return of each training episode (epsilon-greedy) and the greedy evaluations, against env steps."""
    fig, (ax_returns, ax_loss) = figure_row(2, width=11.0, height=3.4)
    ends, returns = np.asarray(history["episode_ends"]), np.asarray(history["episode_returns"])
    ax_returns.plot(ends, returns, ".", ms=3, color="0.6", label="training episode (epsilon-greedy)")
    if len(returns):
        ax_returns.plot(ends, moving_average(returns, 10), color="tab:blue", label="moving mean of 10")
    if evaluations:
        steps, means = zip(*evaluations)
        ax_returns.plot(steps, means, "o-", color="tab:green", ms=4, label="greedy, mean of 20 episodes")
    ax_returns.axhline(target, color="tab:red", ls="--", lw=1, label=f"target {target:.0f}")
    ax_returns.set_xlabel("environment steps")
    ax_returns.set_ylabel("return")
    ax_returns.legend(fontsize=7, loc="upper left")
    losses = np.asarray(history["losses"])
    if len(losses):
        ax_loss.semilogy(np.arange(1, len(losses) + 1), moving_average(losses, 200) + 1e-12, color="tab:purple")
    ax_loss.set_xlabel("update")
    ax_loss.set_ylabel("Huber loss (moving mean of 200)")
    return fig


def draw_frame(frames: list[np.ndarray], index: int = 0, title: str = "") -> Figure:
    """One picture of a recorded episode."""
    index = min(index, len(frames) - 1)
    fig = Figure(figsize=(4.5, 3.2))
    ax = fig.add_axes((0, 0, 1, 0.9))
    ax.imshow(frames[index])
    ax.set_axis_off()
    ax.set_title(f"{title} frame {index} of {len(frames) - 1}", fontsize=9)
    return fig


def replay_widget(q_net: torch.nn.Module | None = None, seed: int = 0, every: int = 5) -> widgets.VBox:
    """Step through one greedy CartPole episode of ``q_net`` (an untrained network if None)."""
    policy_net = q_net if q_net is not None else q_network(seed=seed)
    frames, total = rl.episode_frames(greedy_policy(policy_net), seed=seed, every=every)
    title = f"return {total:.0f}:"
    return interactive_figure(lambda index: draw_frame(frames, index, title),
                              index=slider(0, 0, len(frames) - 1, 1, "frame", integer=True))


# --- temporal-difference against Monte Carlo on a random walk ------------------------------------

WALK_TRUE_VALUES = np.arange(1, 6) / 6.0  # states A..E of the five-state random walk, reward 1 on the right exit


@functools.lru_cache(maxsize=8)
def random_walk_errors(alpha_td: float = 0.1, alpha_mc: float = 0.02, n_runs: int = 50, n_episodes: int = 100,
                       seed: int = 0) -> dict[str, np.ndarray]:
    """Root-mean-square error of the value estimates after each episode, averaged over runs.

    The walk starts in the middle state C, steps left or right with probability 1/2, and ends
    off either side (reward 1 on the right, 0 on the left); gamma = 1, estimates start at 0.5.
    TD(0) updates after every step from the next state's estimate; constant-alpha Monte Carlo
    waits for the episode's end and moves every visited state towards the observed return.
    """
    walker = np.random.default_rng(seed)
    errors = {"TD(0)": np.zeros(n_episodes), "Monte Carlo": np.zeros(n_episodes)}
    for _ in range(n_runs):
        walks = [_walk(walker) for _ in range(n_episodes)]
        for name, alpha in (("TD(0)", alpha_td), ("Monte Carlo", alpha_mc)):
            values = np.full(7, 0.5)
            values[[0, 6]] = 0.0  # the two exits
            for episode, (states, final_reward) in enumerate(walks):
                if name == "TD(0)":
                    for here, there in zip(states[:-1], states[1:]):
                        step_reward = final_reward if there == 6 else 0.0
                        values[here] += alpha * (step_reward + values[there] - values[here])
                else:
                    visited = np.asarray(states[:-1])
                    np.add.at(values, visited, alpha * (final_reward - values[visited]))
                errors[name][episode] += np.sqrt(np.mean((values[1:6] - WALK_TRUE_VALUES) ** 2))
    return {name: total / n_runs for name, total in errors.items()}


def _walk(rng: np.random.Generator) -> tuple[list[int], float]:
    states = [3]
    while 0 < states[-1] < 6:
        states.append(states[-1] + (1 if rng.random() < 0.5 else -1))
    return states, float(states[-1] == 6)


def draw_td_vs_mc(alpha_td: float = 0.1, alpha_mc: float = 0.02, n_runs: int = 30, n_episodes: int = 100) -> Figure:
    """Learning curves of TD(0) and Monte Carlo on the five-state random walk."""
    fig, (ax_walk, ax_error) = figure_row(2, width=10.0, height=3.2)
    errors = random_walk_errors(alpha_td, alpha_mc, n_runs, n_episodes)
    ax_walk.plot(np.arange(1, 6), WALK_TRUE_VALUES, "ko-", label="true value")
    ax_walk.set_xticks(np.arange(1, 6), list("ABCDE"))
    ax_walk.set_ylim(0, 1)
    ax_walk.set_title("random walk: start in C, exit right for reward 1", fontsize=9)
    ax_walk.set_ylabel("V(s)")
    ax_walk.legend(fontsize=8)
    for name, colour in (("TD(0)", "tab:green"), ("Monte Carlo", "tab:orange")):
        ax_error.plot(np.arange(1, n_episodes + 1), errors[name], color=colour, label=name)
    ax_error.set_xlabel("episodes")
    ax_error.set_ylabel(f"RMS error (mean of {n_runs} runs)")
    ax_error.set_title(f"alpha: TD {alpha_td}, MC {alpha_mc}", fontsize=9)
    ax_error.legend(fontsize=8)
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

@functools.cache
def _untrained_episode() -> tuple[list[np.ndarray], str]:
    """The frames and title the replay widget shows without a network."""
    frames, total = rl.episode_frames(greedy_policy(q_network(seed=0)), seed=0, every=5)
    return frames, f"return {total:.0f}:"


WIDGET_UPDATES = [
    ("cliff", lambda: draw_cliff(epsilon=0.15)),
    ("Q table", lambda: draw_q_table(epsilon=0.2)),
    ("replay", lambda: draw_frame(_untrained_episode()[0], 3, _untrained_episode()[1])),
]
