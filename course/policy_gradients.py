"""Toy problems, networks, pictures and widgets for lecture 09, policy gradients.

The widgets work before any exercise is solved and never call the student's functions:
the estimator-variance widget and the bandit training curves use their own small numpy
computations on a softmax policy over a few actions, and the PPO widget draws the clipped
objective with numpy. The CartPole helpers (networks, a greedy-evaluation callback that keeps
the best snapshot, the benchmark) take the training function as an argument.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable

import gymnasium as gym
import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from scipy.special import softmax
from torch import nn
from tqdm.auto import tqdm

from course import rl
from course.widgets import figure_row, interactive_figure, plain_log_ticks, slider

# The toy distribution of section 2: a softmax over three outcomes and their rewards f(x).
TOY_LOGITS = np.array([0.5, 0.0, -0.5])
TOY_REWARDS = np.array([1.0, 3.0, 2.0])
SAMPLE_COUNTS = 2 ** np.arange(9)  # 1, 2, 4, ..., 256
# The bandit of the training-curve widget: expected reward of each arm (plus the offset).
BANDIT_MEANS = np.array([1.0, 1.2, 1.6, 2.0, 0.6])
CARTPOLE_THRESHOLD = 475.0  # "solved": average greedy return over 20 evaluation episodes
# Seeds of the held-out greedy evaluation: the selection episodes use 10_000.. (GreedyCheckpoint).
HELD_OUT_SEED = 20_000


# --- widget A: variance of the score-function estimator ----------------------------------------------

def toy_gradient() -> np.ndarray:
    """The exact gradient of E[f(x)] with respect to the toy logits (shape (3,))."""
    probabilities = softmax(TOY_LOGITS, axis=-1)
    mean_reward = float(probabilities @ TOY_REWARDS)
    return probabilities * TOY_REWARDS - probabilities * mean_reward


def toy_estimates(n_samples: int, n_repeats: int, offset: float, baseline: bool, seed: int = 0) -> np.ndarray:
    """``n_repeats`` independent score-function estimates, each from ``n_samples`` samples.

    The rewards are ``TOY_REWARDS + offset``; with ``baseline`` the exact expected reward is
    subtracted from every sample's reward. Returns an array of shape (n_repeats, 3).
    """
    rng = np.random.default_rng(seed)
    probabilities = softmax(TOY_LOGITS, axis=-1)
    outcomes = np.searchsorted(np.cumsum(probabilities), rng.random((n_repeats, n_samples)))
    outcomes = np.minimum(outcomes, len(probabilities) - 1)
    rewards = TOY_REWARDS[outcomes] + offset
    if baseline:
        rewards = rewards - float(probabilities @ (TOY_REWARDS + offset))
    indicator = outcomes[..., None] == np.arange(len(probabilities))
    per_sample = rewards[..., None] * (indicator - probabilities)
    return per_sample.mean(axis=1)


def total_variance(estimates: np.ndarray) -> float:
    """The trace of the covariance of estimates (rows are repeats): E||g - E g||^2."""
    return float(np.sum(np.var(estimates, axis=0)))


def toy_mean_reward() -> float:
    """E[f] under the toy distribution."""
    return float(softmax(TOY_LOGITS, axis=-1) @ TOY_REWARDS)


def optimal_constant_baseline() -> float:
    """The constant b with the least estimator variance: E[f |score|^2] / E[|score|^2] (toy problem)."""
    probabilities = softmax(TOY_LOGITS, axis=-1)
    squared_scores = np.sum((np.eye(len(probabilities)) - probabilities) ** 2, axis=1)
    return float(probabilities @ (TOY_REWARDS * squared_scores) / (probabilities @ squared_scores))


def estimator_variance(n_samples: int, offset: float, baseline: bool | float) -> float:
    """The exact total variance of the estimator from ``n_samples`` samples.

    ``baseline`` is True (subtract the exact mean reward), False (none) or a number subtracted
    from every reward. The N samples are independent, so the variance is that of one sample's
    term divided by N; with three outcomes that one-sample variance is an exact finite sum.
    """
    probabilities = softmax(TOY_LOGITS, axis=-1)
    rewards = TOY_REWARDS + offset
    if isinstance(baseline, bool):
        rewards = rewards - float(probabilities @ rewards) if baseline else rewards
    else:
        rewards = rewards - baseline
    terms = rewards[:, None] * (np.eye(len(probabilities)) - probabilities)  # row x: one sample's term
    mean = probabilities @ terms
    return float(probabilities @ np.sum((terms - mean) ** 2, axis=1)) / n_samples


def draw_estimator_variance(n_samples: int = 8, offset: float = 10.0, n_repeats: int = 400) -> Figure:
    """Estimates of the toy gradient with and without a baseline, and their variance against N."""
    fig, (left, right) = figure_row(2, width=10.0, height=3.9)
    truth = toy_gradient()
    for baseline, colour, label in [(False, "tab:blue", "no baseline"), (True, "tab:orange", "baseline b = E[f]")]:
        estimates = toy_estimates(n_samples, n_repeats, offset, baseline, seed=1)
        left.scatter(estimates[:, 0], estimates[:, 1], s=6, alpha=0.35, color=colour,
                     label=f"{label}: variance {total_variance(estimates):.3g}")
        exact = [estimator_variance(int(n), offset, baseline) for n in SAMPLE_COUNTS]
        right.loglog(SAMPLE_COUNTS, exact, "o-", ms=3, color=colour, label=label)
    left.plot(*truth[:2], "*", color="black", ms=14, label="exact gradient")
    scale = max(1.0, 1.5 + abs(offset)) * 2.0 / np.sqrt(n_samples)
    left.set_xlim(truth[0] - scale, truth[0] + scale)
    left.set_ylim(truth[1] - scale, truth[1] + scale)
    left.set_xlabel("estimate of ∂J/∂θ₁")  # plain text: math text is parsed on every render
    left.set_ylabel("estimate of ∂J/∂θ₂")
    left.set_title(f"{n_repeats} estimates from N = {n_samples} samples each, rewards f + {offset:g}", fontsize=9)
    left.legend(fontsize=7, loc="upper right")
    right.axvline(n_samples, color="0.6", lw=1, ls=":")
    plain_log_ticks(right.xaxis)
    plain_log_ticks(right.yaxis)
    right.set_xlabel("samples per estimate N")
    right.set_ylabel("total variance E ‖ĝ − ∇J‖²")
    right.set_title("exact variance: falls like 1/N; the baseline lowers the whole line", fontsize=9)
    right.legend(fontsize=8)
    return fig


def variance_widget() -> widgets.VBox:
    """Sliders for the number of samples per estimate and a constant added to every reward."""
    return interactive_figure(
        draw_estimator_variance,
        n_samples=slider(8, 1, 256, 1, "samples N", integer=True),
        offset=slider(10.0, -20.0, 40.0, 1.0, "reward offset"),
    )


# --- widget C: the PPO clipped objective -------------------------------------------------------------

def clipped_objective(ratio: np.ndarray, advantage: float, epsilon: float) -> np.ndarray:
    """PPO's per-sample objective as a function of the probability ratio (to be maximized)."""
    unclipped = ratio * advantage
    pessimistic = np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon) * advantage
    return np.where(unclipped < pessimistic, unclipped, pessimistic)


def draw_ppo_objective(epsilon: float = 0.2, max_ratio: float = 2.0) -> Figure:
    """The clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps) A) against r, for A = +1 and A = -1."""
    fig, axes = figure_row(2, width=10.0, height=3.6)
    ratio = np.linspace(0.0, max_ratio, 401)
    for ax, advantage in zip(axes, (1.0, -1.0)):
        objective = clipped_objective(ratio, advantage, epsilon)
        flat = np.abs(np.gradient(objective, ratio)) < 1e-9
        ax.plot(ratio, ratio * advantage, "--", color="0.6", lw=1, label="unclipped r·A")
        ax.plot(ratio, objective, color="tab:blue", lw=2.2, label="min(r·A, clip(r, 1 − ε, 1 + ε)·A)")
        ax.fill_between(ratio, -max_ratio, max_ratio, where=flat, color="tab:red", alpha=0.08, lw=0,
                        label="zero gradient: no further push")
        for edge in (1.0 - epsilon, 1.0 + epsilon):
            ax.axvline(edge, color="tab:red", lw=0.8, ls=":")
        ax.plot([1.0], [advantage], "o", color="black", ms=5)
        ax.set_ylim(-max_ratio, max_ratio)
        ax.set_xlim(0.0, max_ratio)
        ax.set_xticks(np.linspace(0.0, max_ratio, 5))  # few ticks: each costs several artists per redraw
        ax.set_yticks(np.linspace(-max_ratio, max_ratio, 5))
        ax.axhline(0.0, color="0.8", lw=0.8)
        ax.set_xlabel("probability ratio r = π_θ(a|s) / π_θold(a|s)")  # plain text: math text is parsed on every render
        sign = "A > 0: the action was better than expected" if advantage > 0 else "A < 0: worse than expected"
        ax.set_title(f"{sign}  (epsilon = {epsilon:.2f})", fontsize=9)
    axes[0].set_ylabel("objective (maximized)")
    axes[0].legend(fontsize=7, loc="upper left")
    return fig


def ppo_widget() -> widgets.VBox:
    """A slider for the clipping range epsilon."""
    return interactive_figure(draw_ppo_objective, epsilon=slider(0.2, 0.05, 0.5, 0.05, "epsilon"))


# --- widget B: REINFORCE on a bandit, with and without a baseline --------------------------------------

def bandit_curves(learning_rate: float, offset: float, batch: int, baseline: bool, n_updates: int = 200,
                  n_seeds: int = 20, seed: int = 0) -> np.ndarray:
    """Expected reward of a softmax policy trained by REINFORCE on a 5-armed bandit.

    Each seed starts from uniform logits; an update samples ``batch`` pulls, each paying the
    arm's mean in ``BANDIT_MEANS`` plus ``offset`` plus unit Gaussian noise, and takes a step
    of size ``learning_rate`` along the score-function estimate. With ``baseline`` the average
    of every reward seen so far (by that seed) is subtracted. Returns (n_seeds, n_updates + 1),
    the expected reward (without the offset) before each update and after the last.
    """
    rng = np.random.default_rng(seed)
    n_arms = len(BANDIT_MEANS)
    logits = np.zeros((n_seeds, n_arms))
    average = np.zeros(n_seeds)
    seen = 0
    curves = np.zeros((n_seeds, n_updates + 1))
    for k in range(n_updates + 1):
        probabilities = softmax(logits, axis=-1)
        curves[:, k] = probabilities @ BANDIT_MEANS
        if k == n_updates:
            break
        cumulative = np.cumsum(probabilities, axis=1)[:, None, :]
        arms = np.minimum(np.sum(rng.random((n_seeds, batch, 1)) > cumulative, axis=2), n_arms - 1)
        rewards = BANDIT_MEANS[arms] + offset + rng.normal(size=(n_seeds, batch))
        weights = rewards - average[:, None] if baseline else rewards
        indicator = arms[..., None] == np.arange(n_arms)
        logits = logits + learning_rate * np.mean(weights[..., None] * (indicator - probabilities[:, None, :]), axis=1)
        average = (average * seen + rewards.sum(axis=1)) / (seen + batch)
        seen += batch
    return curves


def draw_bandit_training(learning_rate: float = 0.05, offset: float = 10.0, batch: int = 4,
                         n_updates: int = 200) -> Figure:
    """Training curves (median and 10-90 % band over 20 seeds) with and without a baseline."""
    fig, (ax,) = figure_row(1, width=7.5, height=3.6)
    steps = np.arange(n_updates + 1)
    for baseline, colour, label in [(False, "tab:blue", "no baseline"),
                                    (True, "tab:orange", "baseline: average reward so far")]:
        curves = bandit_curves(learning_rate, offset, batch, baseline, n_updates)
        low, middle, high = np.percentile(curves, [10, 50, 90], axis=0)
        ax.fill_between(steps, low, high, color=colour, alpha=0.2, lw=0)
        ax.plot(steps, middle, color=colour, label=f"{label} (final median {middle[-1]:.2f})")
    ax.axhline(BANDIT_MEANS.max(), color="0.4", ls="--", lw=1, label="best arm")
    ax.set_ylim(BANDIT_MEANS.min() - 0.05, BANDIT_MEANS.max() + 0.1)
    ax.set_xlabel("update")
    ax.set_ylabel("expected reward of the policy")
    ax.set_title(f"REINFORCE on a 5-armed bandit, rewards offset by {offset:g}, lr {learning_rate:g}, "
                 f"batch {batch} (20 seeds)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def bandit_widget() -> widgets.VBox:
    """Sliders for the learning rate, the reward offset and the batch size."""
    return interactive_figure(
        draw_bandit_training,
        learning_rate=slider(0.05, 0.01, 0.5, 0.01, "learning rate"),
        offset=slider(10.0, 0.0, 40.0, 1.0, "reward offset"),
        batch=slider(4, 1, 32, 1, "pulls per update", integer=True),
    )


# --- the picture of a trajectory ---------------------------------------------------------------------

def draw_trajectory_factors(steps: int = 3) -> Figure:
    """A trajectory s0 -> a0 -> s1 -> ...: which factors of p(tau) depend on theta."""
    fig = Figure(figsize=(9.5, 2.3))
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.96))
    ax.set_xlim(-0.6, 2 * steps + 0.6)
    ax.set_ylim(-0.9, 1.0)
    ax.axis("off")
    for t in range(steps + 1):
        ax.text(2 * t, 0, f"$s_{t}$", ha="center", va="center", fontsize=14,
                bbox=dict(boxstyle="circle", fc="#dfe9f5", ec="0.3"))
        if t == steps:
            break
        ax.text(2 * t + 1, 0, f"$a_{t}$", ha="center", va="center", fontsize=14,
                bbox=dict(boxstyle="round", fc="#fde2c8", ec="tab:orange"))
        ax.add_patch(FancyArrowPatch((2 * t + 0.25, 0), (2 * t + 0.75, 0), arrowstyle="->", mutation_scale=12,
                                     color="tab:orange", lw=2))
        ax.add_patch(FancyArrowPatch((2 * t + 1.25, 0), (2 * t + 1.75, 0), arrowstyle="->", mutation_scale=12,
                                     color="0.4", lw=1.2))
        ax.text(2 * t + 0.5, 0.45, rf"$\pi_\theta(a_{t}|s_{t})$", ha="center", fontsize=10, color="tab:orange")
        ax.text(2 * t + 1.5, -0.6, f"$P(s_{t + 1}|s_{t},a_{t})$", ha="center", fontsize=10, color="0.35")
    ax.text(2 * steps + 0.45, 0, r"$\cdots$", fontsize=14, va="center")
    ax.text(-0.5, 0.75, r"orange: the policy, depends on $\theta$;  grey: the world, does not", fontsize=9)
    return fig


# --- REINFORCE on CartPole ---------------------------------------------------------------------------

def make_cartpole(**kwargs) -> gym.Env:
    """gymnasium's ``CartPole-v1`` (episodes end when the pole falls or after 500 steps)."""
    return gym.make("CartPole-v1", **kwargs)


def mlp(n_inputs: int, n_outputs: int, hidden: int = 64) -> nn.Sequential:
    """A two-hidden-layer tanh network, the shape used for both the policy and the value."""
    return nn.Sequential(nn.Linear(n_inputs, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, n_outputs))


def cartpole_networks(seed: int = 0, hidden: int = 64) -> tuple[nn.Sequential, nn.Sequential]:
    """A fresh policy network (4 inputs, 2 logits) and value network (4 inputs, 1 output), seeded."""
    torch.manual_seed(seed)
    return mlp(4, 2, hidden), mlp(4, 1, hidden)


def greedy_batch_policy(network: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """observations (N, obs_dim) -> the index of each row's largest output (logits or Q-values)."""
    def act(observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.argmax(network(torch.as_tensor(observations, dtype=torch.float32)), dim=-1).numpy()
    return act


class GreedyCheckpoint:
    """A training callback that evaluates the greedy policy and keeps its best snapshot.

    Called after every update with the training history, it evaluates the greedy policy
    (argmax of the logits) on ``n_eval`` seeded episodes whenever the last ``recent``
    training episodes averaged at least ``check_above``. It keeps a copy of the weights with the
    best greedy score, and asks training to stop (returns True) once that score reaches
    ``threshold`` or after ``time_budget`` seconds.
    """

    def __init__(self, policy: nn.Module, threshold: float = CARTPOLE_THRESHOLD, check_above: float = 400.0,
                 recent: int = 8, n_eval: int = 20, eval_seed: int = 10_000, time_budget: float | None = None,
                 max_steps: int | None = None, progress_total: int | None = None):
        self.policy = policy
        # progress in episodes, or in environment steps for a history that counts them (PPO's)
        self.bar = None if progress_total is None else tqdm(total=progress_total)
        self.threshold, self.check_above, self.recent = threshold, check_above, recent
        self.n_eval, self.eval_seed, self.time_budget, self.max_steps = n_eval, eval_seed, time_budget, max_steps
        self.start = time.perf_counter()
        self.best_score = -np.inf
        self.best_state = copy.deepcopy(policy.state_dict())
        self.evaluations: list[tuple[int, int, float]] = []  # (episodes, steps, greedy score)
        self.midway_state: dict | None = None  # the weights when training episodes first averaged >= 100
        self.reached: tuple[int, int, float] | None = None  # (episodes, steps, seconds) at the threshold

    def __call__(self, history: dict) -> bool:
        stop = self._check(history)
        if self.bar is not None:
            self.bar.update((self.steps(history) if history.get("steps") else len(history["returns"])) - self.bar.n)
            self.bar.set_postfix(recent=f"{np.mean(history['returns'][-self.recent:]):.0f}",
                                 best_greedy=f"{max(self.best_score, 0):.0f}")
            if stop:
                self.bar.close()
        return stop

    def _check(self, history: dict) -> bool:
        if self.midway_state is None and np.mean(history["returns"][-self.recent:]) >= 100:
            self.midway_state = copy.deepcopy(self.policy.state_dict())
        if np.mean(history["returns"][-self.recent:]) >= self.check_above:
            score = float(self.evaluate().mean())
            episodes, steps = len(history["returns"]), self.steps(history)
            self.evaluations.append((episodes, steps, score))
            if score > self.best_score:
                self.best_score, self.best_state = score, copy.deepcopy(self.policy.state_dict())
            if score >= self.threshold:
                self.reached = (episodes, steps, self.seconds)
                return True
        out_of_steps = self.max_steps is not None and self.steps(history) >= self.max_steps
        return out_of_steps or (self.time_budget is not None and self.seconds > self.time_budget)

    @staticmethod
    def steps(history: dict) -> int:
        """Environment steps so far: the history's ``steps`` count when it keeps one (a loop whose
        updates cut episodes, such as PPO's rollouts), else the sum of the finished episodes' lengths."""
        return int(history["steps"][-1]) if history.get("steps") else int(np.sum(history["lengths"]))

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def evaluate(self, n_eval: int | None = None, seed: int | None = None) -> np.ndarray:
        """Greedy returns of the current policy on the evaluation episodes (played side by side).

        By default these are the selection episodes (seeds ``eval_seed, eval_seed + 1, ...``);
        pass ``seed=HELD_OUT_SEED`` for fresh episodes that played no part in picking the snapshot.
        """
        return rl.greedy_returns(greedy_batch_policy(self.policy), n_eval or self.n_eval,
                                 self.eval_seed if seed is None else seed)

    def restore(self) -> None:
        """Load the best snapshot into the policy."""
        self.policy.load_state_dict(self.best_state)


def train_cartpole(train: Callable, seed: int = 0, max_episodes: int = 3000, max_steps: int | None = 100_000,
                   time_budget: float | None = 100.0,
                   policy_lr: float = 3e-3, value_lr: float = 1e-2, episodes_per_update: int = 8,
                   gamma: float = 0.99, hidden: int = 64) -> tuple[nn.Module, dict, GreedyCheckpoint]:
    """Run ``train`` (a ``train_reinforce``) on CartPole with the lecture's settings.

    Returns the policy (holding its best greedy snapshot), the training history and the
    checkpoint callback with its evaluations. torch's generator is seeded with ``seed`` before
    the networks are built, so a run is reproducible on one machine.
    """
    policy, value = cartpole_networks(seed, hidden)
    checkpoint = GreedyCheckpoint(policy, time_budget=time_budget, max_steps=max_steps, recent=episodes_per_update)
    env = make_cartpole()
    history = train(env, policy, value, torch.optim.Adam(policy.parameters(), lr=policy_lr),
                    torch.optim.Adam(value.parameters(), lr=value_lr), max_episodes, episodes_per_update, gamma,
                    seed, checkpoint)
    env.close()
    checkpoint.restore()
    return policy, history, checkpoint


PPO_SETTINGS = {"rollout_steps": 256, "epochs": 10, "minibatch_size": 64, "gamma": 0.99, "lam": 0.95,
                "epsilon": 0.2}


def train_cartpole_ppo(train: Callable, seed: int = 0, max_steps: int = 100_000, time_budget: float | None = 100.0,
                       policy_lr: float = 1e-3, value_lr: float = 1e-3, hidden: int = 64,
                       progress: bool = False, **settings) -> tuple[nn.Module, dict, GreedyCheckpoint]:
    """Run ``train`` (a ``train_ppo``) on CartPole with the lecture's settings (``PPO_SETTINGS``).

    The same networks, seed handling and greedy checkpoint as :func:`train_cartpole`, so the two
    methods are compared on equal terms: steps to a greedy average of 475, held-out evaluation.
    """
    policy, value = cartpole_networks(seed, hidden)
    checkpoint = GreedyCheckpoint(policy, time_budget=time_budget, max_steps=max_steps,
                                  progress_total=max_steps if progress else None)
    env = make_cartpole()
    history = train(env, policy, value, torch.optim.Adam(policy.parameters(), lr=policy_lr),
                    torch.optim.Adam(value.parameters(), lr=value_lr), max_steps,
                    **{**PPO_SETTINGS, **settings}, seed=seed, callback=checkpoint)
    env.close()
    checkpoint.restore()
    return policy, history, checkpoint


def benchmark_training(reference, seeds: tuple[int, ...] = (0, 1, 2, 3, 4), max_steps: int = 100_000,
                       time_budget: float = 600.0) -> dict:
    """Train ``reference.train_reinforce`` once per seed; report episodes, steps and seconds to 475.

    A seed counts as reaching the target when a greedy evaluation averages at least 475 over 20
    episodes within ``max_steps`` environment steps (the notebook's budget; a step budget does
    not depend on how busy the machine is). ``time_budget`` only guards against a stalled run.
    """
    torch.set_num_threads(1)
    runs = {}
    for seed in seeds:
        _, history, checkpoint = train_cartpole(reference.train_reinforce, seed, max_steps=max_steps,
                                                time_budget=time_budget)
        episodes, steps, seconds = checkpoint.reached or (None, None, None)
        runs[str(seed)] = {"reached": checkpoint.reached is not None, "episodes_to_threshold": episodes,
                           "steps_to_threshold": steps, "seconds_to_threshold": None if seconds is None else round(seconds, 1),
                           "best_greedy_return": checkpoint.best_score if checkpoint.evaluations else None,
                           "episodes_run": len(history["returns"]),
                           "wall_s": round(checkpoint.seconds, 1)}
    return {"target": f"average greedy return >= {CARTPOLE_THRESHOLD:g} over 20 episodes within {max_steps} steps",
            "seeds_reaching": sum(run["reached"] for run in runs.values()), "runs": runs}


def draw_training_history(history: dict, checkpoint: GreedyCheckpoint | None = None, window: int = 20) -> Figure:
    """Episode returns during training, their moving average, and the greedy evaluations."""
    fig, (ax,) = figure_row(1, width=8.0, height=3.4)
    returns = np.asarray(history["returns"])
    ax.plot(returns, color="tab:blue", alpha=0.3, lw=0.8, label="episode return (sampled actions)")
    if len(returns) >= window:
        smooth = np.convolve(returns, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window - 1, len(returns)), smooth, color="tab:blue", label=f"moving average of {window}")
    if checkpoint is not None and checkpoint.evaluations:
        episodes, _, scores = zip(*checkpoint.evaluations)
        ax.plot(np.array(episodes) - 1, scores, "o", color="tab:red", ms=4, label="greedy evaluation (20 episodes)")
    ax.axhline(CARTPOLE_THRESHOLD, color="0.4", ls="--", lw=1, label="475")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_ylim(0, 520)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"REINFORCE with a learned baseline on CartPole-v1: {len(returns)} episodes, "
                 f"{int(np.sum(history['lengths']))} steps", fontsize=9)
    return fig


def draw_method_comparison(runs: dict[str, tuple[dict, GreedyCheckpoint]], window: int = 10) -> Figure:
    """Training curves of several methods against environment steps (the fair axis), side by side.

    ``runs`` maps a method's name to its history and checkpoint. Each panel shows the episode
    returns (sampled actions), their moving average, the greedy evaluations and where the greedy
    mean first reached 475.
    """
    fig, axes = figure_row(len(runs), width=5.0 * len(runs), height=3.4)
    for ax, (name, (history, checkpoint)) in zip(np.atleast_1d(axes), runs.items()):
        ends = np.cumsum(history["lengths"])
        returns = np.asarray(history["returns"])
        ax.plot(ends, returns, color="tab:blue", alpha=0.3, lw=0.8, label="episode return (sampled actions)")
        if len(returns) >= window:
            smooth = np.convolve(returns, np.ones(window) / window, mode="valid")
            ax.plot(ends[window - 1:], smooth, color="tab:blue", label=f"moving average of {window}")
        if checkpoint.evaluations:
            _, steps, scores = zip(*checkpoint.evaluations)
            ax.plot(steps, scores, "o", color="tab:red", ms=4, label="greedy evaluation (20 episodes)")
        if checkpoint.reached:
            ax.axvline(checkpoint.reached[1], color="tab:green", lw=1.2, label=f"475 at {checkpoint.reached[1]:,} steps")
        ax.axhline(CARTPOLE_THRESHOLD, color="0.4", ls="--", lw=1)
        ax.set_xlim(0, max(100, int(ends[-1]) if len(ends) else 100))
        ax.set_ylim(0, 520)
        ax.set_xlabel("environment steps")
        ax.set_title(f"{name}: {len(returns)} episodes", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    np.atleast_1d(axes)[0].set_ylabel("return")
    return fig


# --- measuring the variance of the REINFORCE gradient ------------------------------------------------

def play_episodes(env: gym.Env, policy: nn.Module, n_episodes: int, seed: int = 0) -> list[dict]:
    """Episodes with actions drawn from softmax(policy(observation)), seeded (env and torch).

    Each episode is a dict with ``states`` (float32 array (T, obs_dim)), ``actions`` (int
    array (T,)) and ``rewards`` (float array (T,)).
    """
    generator = torch.Generator().manual_seed(seed)
    episodes = []
    for i in range(n_episodes):
        observation, _ = env.reset(seed=seed + i)
        states, actions, rewards, done = [], [], [], False
        while not done:
            states.append(np.asarray(observation, dtype=np.float32))
            with torch.no_grad():
                probabilities = torch.softmax(policy(torch.as_tensor(states[-1])), dim=-1)
            actions.append(int(torch.multinomial(probabilities, 1, generator=generator)))
            observation, reward, terminated, truncated, _ = env.step(actions[-1])
            rewards.append(float(reward))
            done = terminated or truncated
        episodes.append({"states": np.array(states), "actions": np.array(actions), "rewards": np.array(rewards)})
    return episodes


def fit_value(value: nn.Module, states: list[np.ndarray], targets: list[torch.Tensor], steps: int = 300,
              lr: float = 1e-2) -> float:
    """Fit ``value`` to targets by full-batch regression (Adam on the squared error); return the last loss."""
    inputs = torch.as_tensor(np.concatenate(states))
    goal = torch.cat(targets).float()
    optimizer = torch.optim.Adam(value.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.mean((value(inputs).squeeze(-1) - goal) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def per_episode_gradients(policy: nn.Module, episodes: list[dict], loss: Callable[[torch.Tensor, int], torch.Tensor]
                          ) -> np.ndarray:
    """The flattened gradient of ``loss(log_probs, i)`` for each episode i: shape (n_episodes, n_params).

    ``log_probs`` holds log pi(a_t | s_t) for the steps of episode i, with its graph.
    """
    parameters = list(policy.parameters())
    rows = []
    for i, episode in enumerate(episodes):
        logits = policy(torch.as_tensor(episode["states"]))
        log_probs = torch.log_softmax(logits, dim=-1)[torch.arange(len(episode["actions"])),
                                                       torch.as_tensor(episode["actions"])]
        grads = torch.autograd.grad(loss(log_probs, i), parameters)
        rows.append(torch.cat([g.reshape(-1) for g in grads]).numpy())
    return np.array(rows)


def baseline_variances(policy: nn.Module, reward_to_go: Callable, reinforce_loss: Callable, n_episodes: int = 100,
                       gamma: float = 0.99, seed: int = 0, fit_steps: int = 500) -> dict[str, float]:
    """Total variance of the one-episode REINFORCE gradient with three baselines, measured.

    Plays ``n_episodes`` seeded episodes with ``policy`` to fit a value network to its
    reward-to-go, and ``n_episodes`` fresh ones to measure. For each measured episode the
    estimate is the gradient of T * reinforce_loss(log_probs, G, b) (a sum over its T steps,
    the unbiased one-episode estimator), with b = 0, b = the mean reward-to-go of the fitting
    episodes, and b = V(s_t). Returns the trace of the covariance for each, and the mean length.
    """
    env = make_cartpole()
    fitting = play_episodes(env, policy, n_episodes, seed=seed + 50_000)
    measured = play_episodes(env, policy, n_episodes, seed=seed)
    fit_targets = [torch.as_tensor(reward_to_go(e["rewards"], gamma), dtype=torch.float32) for e in fitting]
    value = mlp(policy[0].in_features, 1)
    fit_value(value, [e["states"] for e in fitting], fit_targets, steps=fit_steps)
    to_go = [torch.as_tensor(reward_to_go(e["rewards"], gamma), dtype=torch.float32) for e in measured]
    constant = float(torch.cat(fit_targets).mean())
    with torch.no_grad():
        learned = [value(torch.as_tensor(e["states"])).squeeze(-1) for e in measured]
    choices = {"no baseline": lambda i: 0.0, "constant baseline": lambda i: constant,
               "learned baseline V(s)": lambda i: learned[i]}
    results = {}
    for name, baseline in choices.items():
        grads = per_episode_gradients(policy, measured,
                                      lambda log_probs, i: len(log_probs) * reinforce_loss(log_probs, to_go[i], baseline(i)))
        results[name] = total_variance(grads)
    results["mean episode length"] = float(np.mean([len(e["rewards"]) for e in measured]))
    return results


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("estimator variance", lambda: draw_estimator_variance(n_samples=16)),
    ("bandit training", lambda: draw_bandit_training(learning_rate=0.1)),
    ("PPO objective", lambda: draw_ppo_objective(epsilon=0.3)),
]
