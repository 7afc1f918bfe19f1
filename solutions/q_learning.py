"""Reference solutions for lecture 08, Q-learning.

Each function or class has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source, so a
body uses only numpy (``np``), torch (``torch``) and the other graded names.
"""
from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Reference for the exercise of the same name."""
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0:
        raise ValueError("q_values must be a non-empty 1-D array")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError("epsilon must lie in [0, 1]")
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    best = np.flatnonzero(q_values == q_values.max())
    return int(rng.choice(best))


def td0_update(V: np.ndarray, state: int, reward: float, next_state: int, terminated: bool, alpha: float,
               gamma: float) -> float:
    """Reference for the exercise of the same name."""
    next_value = 0.0 if terminated else V[next_state]
    delta = reward + gamma * next_value - V[state]
    V[state] += alpha * delta
    return float(delta)


def sarsa_update(Q: np.ndarray, state: int, action: int, reward: float, next_state: int, next_action: int,
                 terminated: bool, alpha: float, gamma: float) -> float:
    """Reference for the exercise of the same name."""
    next_value = 0.0 if terminated else Q[next_state, next_action]
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


def q_learning_update(Q: np.ndarray, state: int, action: int, reward: float, next_state: int, terminated: bool,
                      alpha: float, gamma: float) -> float:
    """Reference for the exercise of the same name."""
    next_value = 0.0 if terminated else np.max(Q[next_state])
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


def sarsa_episode(env: gym.Env, Q: np.ndarray, epsilon: float, alpha: float, gamma: float,
                  rng: np.random.Generator) -> tuple[float, int]:
    """Reference for the exercise of the same name."""
    state, _ = env.reset()
    action = epsilon_greedy(Q[state], epsilon, rng)
    total, steps = 0.0, 0
    while True:
        next_state, reward, terminated, truncated, _ = env.step(action)
        next_action = epsilon_greedy(Q[next_state], epsilon, rng)
        sarsa_update(Q, state, action, reward, next_state, next_action, terminated, alpha, gamma)
        total += reward
        steps += 1
        if terminated or truncated:
            return float(total), steps
        state, action = next_state, next_action


def q_learning_episode(env: gym.Env, Q: np.ndarray, epsilon: float, alpha: float, gamma: float,
                       rng: np.random.Generator) -> tuple[float, int]:
    """Reference for the exercise of the same name."""
    state, _ = env.reset()
    total, steps = 0.0, 0
    while True:
        action = epsilon_greedy(Q[state], epsilon, rng)
        next_state, reward, terminated, truncated, _ = env.step(action)
        q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma)
        total += reward
        steps += 1
        if terminated or truncated:
            return float(total), steps
        state = next_state


class ReplayBuffer:
    """Reference for the exercise of the same name."""

    def __init__(self, capacity: int, obs_dim: int):
        if capacity < 1:
            raise ValueError("the capacity must be at least 1")
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=bool)
        self.n_added = 0

    def __len__(self) -> int:
        return min(self.n_added, self.capacity)

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool) -> None:
        slot = self.n_added % self.capacity
        self.obs[slot] = obs
        self.actions[slot] = action
        self.rewards[slot] = reward
        self.next_obs[slot] = next_obs
        self.terminated[slot] = terminated
        self.n_added += 1

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if len(self) == 0:
            raise ValueError("cannot sample from an empty buffer")
        slots = rng.integers(0, len(self), size=batch_size)
        return {"obs": self.obs[slots], "actions": self.actions[slots], "rewards": self.rewards[slots],
                "next_obs": self.next_obs[slots], "terminated": self.terminated[slots]}


def dqn_targets(rewards: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray, target_net: torch.nn.Module,
                gamma: float) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=1).values
        done = torch.as_tensor(terminated, dtype=torch.bool)
        return torch.as_tensor(rewards, dtype=torch.float32) + gamma * torch.where(done, 0.0, next_q)


def double_dqn_targets(rewards: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray, q_net: torch.nn.Module,
                       target_net: torch.nn.Module, gamma: float) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    rewards = torch.as_tensor(rewards, dtype=torch.float32)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    done = torch.as_tensor(terminated).bool()
    if next_obs.dim() != 2 or rewards.shape != (len(next_obs),) or done.shape != rewards.shape:
        raise ValueError("rewards and terminated must have shape (B,) and next_obs shape (B, obs_dim)")
    with torch.no_grad():
        best = q_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = target_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * torch.where(done, 0.0, next_q)


def dqn_loss(q_net: torch.nn.Module, obs: np.ndarray, actions: np.ndarray, targets: torch.Tensor) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    q_values = q_net(torch.as_tensor(obs, dtype=torch.float32))
    taken = q_values.gather(1, torch.as_tensor(actions, dtype=torch.int64).unsqueeze(1)).squeeze(1)
    return torch.nn.functional.smooth_l1_loss(taken, targets)


def train_dqn(env: gym.Env, q_net: torch.nn.Module, target_net: torch.nn.Module, optimizer: torch.optim.Optimizer,
              buffer: ReplayBuffer, n_steps: int, epsilon: Callable[[int], float], gamma: float = 0.99,
              batch_size: int = 64, learning_starts: int = 1000, train_every: int = 1, target_every: int = 500,
              seed: int = 0, callback: Callable[[int, torch.nn.Module], bool] | None = None,
              double: bool = False) -> dict:
    """Reference for the exercise of the same name."""
    rng = np.random.default_rng(seed=seed)
    target_net.load_state_dict(q_net.state_dict())
    history = {"episode_returns": [], "episode_ends": [], "losses": [], "steps": 0}
    obs, _ = env.reset(seed=seed)
    episode_return = 0.0
    for step in range(1, n_steps + 1):
        with torch.no_grad():
            q_values = q_net(torch.as_tensor(obs, dtype=torch.float32)).numpy()
        action = epsilon_greedy(q_values, epsilon(step - 1), rng)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        episode_return += reward
        obs = next_obs
        if terminated or truncated:
            history["episode_returns"].append(float(episode_return))
            history["episode_ends"].append(step)
            obs, _ = env.reset()
            episode_return = 0.0
        if len(buffer) >= learning_starts and step % train_every == 0:
            batch = buffer.sample(batch_size, rng)
            if double:
                targets = double_dqn_targets(batch["rewards"], batch["next_obs"], batch["terminated"], q_net,
                                             target_net, gamma)
            else:
                targets = dqn_targets(batch["rewards"], batch["next_obs"], batch["terminated"], target_net, gamma)
            loss = dqn_loss(q_net, batch["obs"], batch["actions"], targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["losses"].append(loss.item())
        if step % target_every == 0:
            target_net.load_state_dict(q_net.state_dict())
        history["steps"] = step
        if callback is not None and callback(step, q_net):
            break
    return history
