"""Worlds, pictures and widgets for lecture 08, Q-learning.

CliffWalking (gymnasium's ``CliffWalking-v1``) is a 4 x 12 grid: start in the bottom-left
corner, goal in the bottom-right, the cells between them are a cliff. Every step costs -1, a
step into the cliff costs -100 and puts the agent back at the start. Its actions are numbered
``UP = 0, RIGHT = 1, DOWN = 2, LEFT = 3`` (not FrozenLake's order; ``CLIFF_TO_GRID`` converts
for the drawing helpers of ``course.rl``).

Widgets A and B show recorded runs (``data/cliff_runs.npz``, :func:`recorded_run`): SARSA,
Q-learning and Expected SARSA learned by tools/figures/q_learning.py with the reference's rules,
so that nothing here learns a Q-table (the updates and episode loops are the lecture's
exercises). The random-walk figures of section 2 run the student's ``td0_update``.
"""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from course import rl
from course.widgets import after_exercise, dropdown, figure_row, interactive_figure, slider

CLIFF_SHAPE = (4, 12)
CLIFF_START, CLIFF_GOAL = 36, 47
CLIFF_TO_GRID = np.array([rl.UP, rl.RIGHT, rl.DOWN, rl.LEFT])  # CliffWalking action -> course.rl action
CLIFF_DESC = np.array([list("F" * 12)] * 3 + [list("S" + "H" * 10 + "G")])
METHODS = ("SARSA", "Q-learning")
COLOURS = {"SARSA": "tab:blue", "Q-learning": "tab:red", "Expected SARSA": "tab:purple"}


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


# The recorded runs: every epsilon of widget A's slider, seeds 0-2, alpha = 0.5, gamma = 1; the
# Q-table of seed 0 after each number of episodes in CLIFF_SNAPSHOTS.
CLIFF_EPSILONS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
CLIFF_SEEDS, CLIFF_EPISODES, CLIFF_ALPHA = 3, 1000, 0.5
CLIFF_SNAPSHOTS = (10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)
CLIFF_FILE = Path(__file__).parent / "data" / "cliff_runs.npz"


@functools.cache
def cliff_runs() -> dict[str, np.ndarray]:
    """The recorded file's arrays: ``methods``, ``epsilons``, ``snapshots``, ``totals`` (method,
    epsilon, seed, episode) and ``tables`` (method, epsilon, snapshot, S, A)."""
    with np.load(CLIFF_FILE) as data:
        return {name: data[name] for name in data.files}


def recorded_run(method: str, epsilon: float, n_episodes: int = 500,
                 seed: int = 0) -> tuple[np.ndarray | None, np.ndarray]:
    """(Q after ``n_episodes`` episodes, reward of each of them) of a recorded run.

    ``method`` is SARSA, Q-learning or Expected SARSA; ``epsilon`` one of CLIFF_EPSILONS,
    ``seed`` below CLIFF_SEEDS and ``n_episodes`` at most CLIFF_EPISODES. Q is kept for seed 0
    after the numbers of episodes in CLIFF_SNAPSHOTS, and is None otherwise.
    """
    runs = cliff_runs()
    m = list(runs["methods"]).index(method)
    e = int(np.argmin(np.abs(runs["epsilons"] - epsilon)))
    if abs(runs["epsilons"][e] - epsilon) > 1e-9 or not 0 < n_episodes <= CLIFF_EPISODES or not 0 <= seed < CLIFF_SEEDS:
        raise KeyError(f"no recorded run for epsilon {epsilon}, {n_episodes} episodes, seed {seed}")
    kept = seed == 0 and n_episodes in CLIFF_SNAPSHOTS
    table = runs["tables"][m, e, CLIFF_SNAPSHOTS.index(n_episodes)].copy() if kept else None
    return table, runs["totals"][m, e, seed, :n_episodes].astype(float)


def greedy_path(Q: np.ndarray) -> np.ndarray:
    """States visited by the greedy policy (first best action) from the start.

    The greedy policy is deterministic and so is CliffWalking, so the walk either reaches the
    goal or, as soon as it comes back to a state it has visited, repeats itself for ever: the
    path then ends with that repeated state (see :func:`path_loops`). A step into the cliff
    goes back to the start, which is a repeat too.
    """
    nxt, _, ends = cliff_table()
    path, seen = [CLIFF_START], {CLIFF_START}
    while True:
        action = int(np.argmax(Q[path[-1]]))
        done = ends[path[-1], action]
        path.append(int(nxt[path[-1], action]))
        if done or path[-1] in seen:
            return np.array(path)
        seen.add(path[-1])


def path_loops(path: np.ndarray) -> bool:
    """Whether a :func:`greedy_path` ends in a loop rather than at the goal."""
    return int(path[-1]) != CLIFF_GOAL


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
        label = f"{name}: loops after {len(path) - 1} steps" if path_loops(path) else f"{name}: {len(path) - 1} steps"
        ax.plot(x, y + offset, color=COLOURS[name], lw=2.5, marker="o", ms=3, label=label)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=8, frameon=False)


def draw_cliff(epsilon: float = 0.1, n_episodes: int = 500, n_runs: int = 3) -> Figure:
    """SARSA against Q-learning on CliffWalking (recorded runs): greedy paths of seed 0, and the
    reward of each training episode averaged over ``n_runs`` runs (seeds 0, 1, ...)."""
    fig, (ax_grid, ax_curve) = figure_row(2, width=11.0, height=3.4)
    seed = 0
    runs = {name: [recorded_run(name, epsilon, n_episodes, seed + i) for i in range(n_runs)] for name in METHODS}
    draw_cliff_paths(ax_grid, {name: greedy_path(results[0][0]) for name, results in runs.items()})
    ax_grid.set_title(f"greedy path after training (seed {seed})", fontsize=9)
    for name, results in runs.items():
        totals = np.mean([run_totals for _, run_totals in results], axis=0)
        ax_curve.plot(moving_average(totals, 20), color=COLOURS[name],
                      label=f"{name} (mean after episode 100: {totals[100:].mean():.0f})")
    lowest = min(moving_average(np.mean([t for _, t in results], axis=0), 20)[20:].min() for results in runs.values())
    bottom = min(-150.0, 50.0 * np.floor(lowest / 50.0))  # the curves after their first 20 episodes stay in view
    ax_curve.set_ylim(bottom, 0)
    ax_curve.set_yticks(np.linspace(bottom, 0, 4).round())  # few ticks: each costs several artists per redraw
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
    """The learned values max_a Q(s, a) on the grid with the greedy action of every state (a recorded run)."""
    q, _ = recorded_run(method, epsilon, n_episodes, 0)
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
                              n_episodes=widgets.SelectionSlider(options=CLIFF_SNAPSHOTS, value=500,
                                                                 description="episodes", continuous_update=False))


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
            settings: dict | None = None, progress: bool = True, double: bool = False,
            stop_at_target: bool = True) -> dict:
    """Build CartPole, the networks and the optimizer from ``settings``, train with ``train_dqn``.

    ``train_dqn`` and ``replay_buffer`` are the exercise's training loop and buffer class (the
    notebook passes the student's, ``make bench`` the reference's); ``double`` selects Double
    DQN targets. With ``stop_at_target=False`` the run uses all ``n_steps`` (same budget for
    every method). Returns the training history, the evaluator (greedy means over time, best
    network, step at which the target was reached or None), the final network and the wall
    time in seconds.
    """
    import time

    from tqdm.auto import tqdm

    s = {**DQN_SETTINGS, **(settings or {})}
    env = make_cartpole()
    q_net, target_net = q_network(s["hidden"], seed), q_network(s["hidden"], seed)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=s["lr"])
    bar = tqdm(total=n_steps, desc=f"DQN seed {seed}", mininterval=1.0) if progress else None
    evaluator = GreedyEvaluator(s["eval_every"], s["eval_from"], progress=bar,
                                target=SOLVED if stop_at_target else np.inf)
    start = time.perf_counter()
    history = train_dqn(env, q_net, target_net, optimizer, replay_buffer(s["buffer_size"], 4), n_steps,
                        linear_schedule(s["epsilon_start"], s["epsilon_end"], s["epsilon_steps"]),
                        gamma=s["gamma"], batch_size=s["batch_size"], learning_starts=s["learning_starts"],
                        train_every=s["train_every"], target_every=s["target_every"], seed=seed, callback=evaluator,
                        double=double)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    if evaluator.best is None:
        evaluator.best = q_net
    return {"history": history, "evaluator": evaluator, "q_net": q_net, "seconds": seconds}


# Held-out evaluation: the snapshot is chosen on the evaluator's seeds 10,000-10,019, so it is
# judged on episodes it was not selected on.
HELD_OUT_SEED, HELD_OUT_EPISODES = 50_000, 100


def held_out_return(q_net: torch.nn.Module, n_episodes: int = HELD_OUT_EPISODES, seed: int = HELD_OUT_SEED) -> float:
    """Mean greedy return of ``q_net`` over ``n_episodes`` fresh CartPole episodes (seeds ``seed, seed + 1, ...``)."""
    return float(rl.greedy_returns(greedy_policy(q_net), n_episodes, seed).mean())


def overestimation(q_net: torch.nn.Module, gamma: float = 0.99, n_episodes: int = 10, seed: int = HELD_OUT_SEED,
                   limit: int = 500, tail: int = 460) -> dict[str, float]:
    """How far the network's values lie above what its greedy policy actually earns.

    Plays ``n_episodes`` greedy CartPole episodes (seeds ``seed, seed + 1, ...``) and, for every
    state s_t visited before step ``limit``, compares max_a Q(s_t, a) with the discounted return
    sum_k gamma^k r_{t+k} actually obtained from s_t. The episodes run ``tail`` steps past the
    usual limit so that a return cut by the time limit misses at most gamma^tail of its value
    (under 1 % for gamma = 0.99). Returns the means over those states: ``predicted``,
    ``actual`` and their difference ``over``, and ``states``, how many were counted.
    """
    env = make_cartpole(max_episode_steps=limit + tail)
    predicted, actual = [], []
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=seed + episode)
        values, rewards, done = [], [], False
        while not done:
            with torch.no_grad():
                q = q_net(torch.as_tensor(obs, dtype=torch.float32)[None])[0]
            values.append(float(q.max()))
            obs, reward, terminated, truncated, _ = env.step(int(q.argmax()))
            rewards.append(float(reward))
            done = terminated or truncated
        returns = np.zeros(len(rewards))
        following = 0.0
        for t in range(len(rewards) - 1, -1, -1):
            following = rewards[t] + gamma * following
            returns[t] = following
        predicted.extend(values[:limit])
        actual.extend(returns[:limit].tolist())
    env.close()
    return {"predicted": float(np.mean(predicted)), "actual": float(np.mean(actual)),
            "over": float(np.mean(predicted) - np.mean(actual)), "states": len(predicted)}


def benchmark_training(reference, seeds: tuple[int, ...] = (0, 1, 2, 3, 4), n_steps: int = 50_000) -> dict:
    """``make bench``'s training target: steps until the greedy mean over 20 episodes reaches 475.

    Runs ``reference.train_dqn`` and ``reference.ReplayBuffer`` through :func:`run_dqn` with the
    lecture's settings once per seed; returns, per seed, the step at which the target was
    reached (None if never within ``n_steps``), the best greedy mean seen on the 20 selection
    episodes, the kept network's mean on 100 held-out episodes, and the wall time.
    """
    torch.set_num_threads(1)
    results = {}
    for seed in seeds:
        run = run_dqn(reference.train_dqn, reference.ReplayBuffer, n_steps=n_steps, seed=seed, progress=False)
        results[str(seed)] = {"steps_to_475": run["evaluator"].solved_at,
                              "best_greedy_mean": round(run["evaluator"].best_return, 1),
                              "held_out_mean": round(held_out_return(run["evaluator"].best), 1),
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


def draw_dqn_diagram() -> Figure:
    """DQN's parts and data flow: the environment, the Q-network, the replay buffer, the target network, the loss."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig = Figure(figsize=(9.0, 4.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5)
    ax.set_axis_off()
    boxes = {
        "env": (0.3, 3.4, 2.3, 1.2, "environment\n(CartPole)", "#dfe9f5"),
        "qnet": (4.0, 3.4, 2.4, 1.2, "Q-network  $\\theta$\nstate -> one Q per action", "#d5f0d5"),
        "buffer": (0.3, 0.4, 2.6, 1.3, "replay buffer $\\mathcal{D}$\nlast N transitions\n(s, a, r, s', terminated)",
                   "#f5e6c8"),
        "target": (4.0, 1.7, 2.4, 1.1, "target network  $\\theta^-$\ncopy of $\\theta$, refreshed\nevery C steps",
                   "#e8d9f0"),
        "loss": (7.3, 0.4, 2.5, 1.5, "Huber loss of\n$Q(s, a; \\theta)$ against\n$y = r + \\gamma \\, \\max_{a'} Q(s', a'; \\theta^-)$",
                 "#f8d7d7"),
    }
    for x, y, w, h, text, colour in boxes.values():
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=colour, ec="0.3"))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    def arrow(start, end, label, offset=(0.0, 0.15), style="-|>", **options):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color="0.25", lw=1.2, **options))
        ax.text((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1], label, ha="center",
                fontsize=7.5, color="0.15")

    arrow((2.6, 4.25), (4.0, 4.25), "observation s")
    arrow((4.0, 3.75), (2.6, 3.75), "epsilon-greedy action a", offset=(0.0, -0.3))
    arrow((1.45, 3.4), (1.45, 1.7), "store (s, a, r, s')", offset=(-0.05, 0.0))
    arrow((2.9, 0.9), (7.3, 0.9), "sampled mini-batch (s, a, r, s')", offset=(0.0, -0.3))
    arrow((6.4, 2.2), (7.6, 1.9), "values of s'", offset=(0.35, 0.2))
    arrow((8.9, 1.9), (6.4, 3.9), "gradient step on $\\theta$", offset=(1.0, 0.1))
    arrow((5.2, 3.4), (5.2, 2.8), "copy every C steps", offset=(1.0, -0.1), linestyle="--")
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


WALK_EXITS = (0, 6)  # the states past A and past E, where a walk ends


@functools.lru_cache(maxsize=8)
def random_walk_errors(td0_update: Callable, alpha_td: float = 0.1, alpha_mc: float = 0.02, n_runs: int = 50,
                       n_episodes: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    """Root-mean-square error of the value estimates after each episode, averaged over runs.

    The walk starts in the middle state C, steps left or right with probability 1/2, and ends
    off either side (reward 1 on the right, 0 on the left); gamma = 1, estimates start at 0.5.
    TD(0) updates after every step with ``td0_update`` (the student's); constant-alpha Monte
    Carlo waits for the episode's end and moves every visited state towards the observed return.
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
                        td0_update(values, here, step_reward, there, there in WALK_EXITS, alpha, 1.0)
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


def n_step_walk_error(td0_update: Callable, n: int | None, alpha: float, n_runs: int = 50, n_episodes: int = 10,
                      seed: int = 0) -> float:
    """RMS error of n-step TD on the random walk, averaged over the first ``n_episodes`` episodes and ``n_runs`` runs.

    ``n = None`` is constant-alpha Monte Carlo (the return to the end of the episode). The
    n-step target of s_t is the sum of the next n rewards plus the estimate of s_{t+n} (0 past
    the end); V(s_t) is updated as soon as that target is known, i.e. at step t + n. With
    gamma = 1 and the only reward at the end, that is ``td0_update`` (the student's) with s_{t+n}
    as the next state and the sum of the n rewards as the reward.
    """
    walker = np.random.default_rng(seed)
    total = 0.0
    for _ in range(n_runs):
        values = np.full(7, 0.5)
        values[[0, 6]] = 0.0
        for _ in range(n_episodes):
            states, final_reward = _walk(walker)
            length = len(states) - 1
            horizon = length if n is None else n
            for t in range(length):
                end = min(t + horizon, length)
                rewards = final_reward if end == length else 0.0
                td0_update(values, states[t], rewards, states[end], end == length, alpha, 1.0)
            total += np.sqrt(np.mean((values[1:6] - WALK_TRUE_VALUES) ** 2))
    return total / (n_runs * n_episodes)


WALK_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)
WALK_NS = (1, 2, 4, None)


@functools.lru_cache(maxsize=4)
def alpha_sweep(td0_update: Callable, n_runs: int = 50, n_episodes: int = 10) -> dict[str, np.ndarray]:
    """:func:`n_step_walk_error` for every n of ``WALK_NS`` and alpha of ``WALK_ALPHAS`` (same walks for each)."""
    return {("Monte Carlo" if n is None else f"{n}-step TD"):
            np.array([n_step_walk_error(td0_update, n, alpha, n_runs, n_episodes) for alpha in WALK_ALPHAS])
            for n in WALK_NS}


def _draw_alpha_sensitivity(td0_update: Callable, n_runs: int = 50, n_episodes: int = 10) -> Figure:
    """Error against step size for n-step TD (n = 1, 2, 4) and Monte Carlo on the random walk, with ``td0_update``."""
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    for name, errors in alpha_sweep(td0_update, n_runs, n_episodes).items():
        ax.plot(WALK_ALPHAS, errors, "o-", ms=3, label=name)
    ax.set_xlabel("step size alpha")
    ax.set_ylabel(f"RMS error, mean over the first {n_episodes} episodes")
    ax.set_title(f"random walk, {n_runs} runs", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def _draw_td_vs_mc(td0_update: Callable, alpha_td: float = 0.1, alpha_mc: float = 0.02, n_runs: int = 30,
                   n_episodes: int = 100) -> Figure:
    """Learning curves of TD(0) (the student's ``td0_update``) and Monte Carlo on the five-state random walk."""
    fig, (ax_walk, ax_error) = figure_row(2, width=10.0, height=3.2)
    errors = random_walk_errors(td0_update, alpha_td, alpha_mc, n_runs, n_episodes)
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



# the notebook draws both right after exercise 1; while td0_update is the stub they say so
draw_td_vs_mc = after_exercise(_draw_td_vs_mc, "exercise 1 (td0_update)")
draw_alpha_sensitivity = after_exercise(_draw_alpha_sensitivity, "exercise 1 (td0_update)")

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
