"""Reference solutions for lecture 09, policy gradients.

Each function has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source, so
a body uses only numpy (``np``), torch (``torch``) and the other graded functions.
"""
import numpy as np
import torch


def softmax_expected_gradient(logits: np.ndarray, f_values: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    logits = np.asarray(logits, dtype=float)
    f_values = np.asarray(f_values, dtype=float)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return p * (f_values - np.dot(p, f_values))


def score_function_estimate(logits: np.ndarray, f_values: np.ndarray, samples: np.ndarray,
                            baseline: float = 0.0) -> np.ndarray:
    """Reference for the exercise of the same name."""
    logits = np.asarray(logits, dtype=float)
    f_values = np.asarray(f_values, dtype=float)
    samples = np.asarray(samples, dtype=int)
    if samples.size == 0:
        raise ValueError("at least one sample is needed")
    p = np.exp(logits - logits.max())
    p /= p.sum()
    scores = np.eye(len(logits))[samples] - p  # grad of log p(x_i) for each sample, shape (N, K)
    weights = f_values[samples] - baseline
    return np.mean(weights[:, None] * scores, axis=0)


def reward_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    rewards = np.asarray(rewards, dtype=float)
    to_go = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        to_go[t] = running
    return to_go


def reinforce_loss(log_probs: torch.Tensor, returns: torch.Tensor, baselines: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if log_probs.dim() != 1 or len(log_probs) == 0 or returns.shape != log_probs.shape:
        raise ValueError(f"log_probs and returns must both have shape (N,), N >= 1; got {tuple(log_probs.shape)} "
                         f"and {tuple(returns.shape)}")
    if isinstance(baselines, torch.Tensor) and baselines.shape != log_probs.shape:
        raise ValueError(f"baselines must have shape {tuple(log_probs.shape)}, got {tuple(baselines.shape)}")
    advantages = (returns - baselines).detach()
    return -(log_probs * advantages).mean()


def normalize_advantages(advantages: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if advantages.dim() != 1 or len(advantages) == 0:
        raise ValueError(f"advantages must have shape (N,) with N >= 1, got {tuple(advantages.shape)}")
    advantages = advantages.detach()
    return (advantages - advantages.mean()) / (advantages.std(unbiased=False) + eps)


def actor_critic_losses(log_probs: torch.Tensor, values: torch.Tensor, rewards: torch.Tensor,
                        next_values: torch.Tensor, terminated: torch.Tensor,
                        gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference for the exercise of the same name."""
    shapes = {tuple(t.shape) for t in (log_probs, values, rewards, next_values, terminated)}
    if len(shapes) != 1 or log_probs.dim() != 1:
        raise ValueError(f"the five tensors must share one shape (N,), got {sorted(shapes)}")
    bootstrap = torch.where(terminated, torch.zeros_like(next_values), next_values)
    targets = (rewards + gamma * bootstrap).detach()
    advantages = (targets - values).detach()
    actor_loss = -(log_probs * advantages).mean()
    critic_loss = ((values - targets) ** 2).mean()
    return actor_loss, critic_loss


def ppo_clip_loss(log_probs: torch.Tensor, old_log_probs: torch.Tensor, advantages: torch.Tensor,
                  epsilon: float = 0.2) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    shapes = {tuple(t.shape) for t in (log_probs, old_log_probs, advantages)}
    if len(shapes) != 1 or log_probs.dim() != 1:
        raise ValueError(f"the three tensors must share one shape (N,), got {sorted(shapes)}")
    if epsilon <= 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}")
    ratio = torch.exp(log_probs - old_log_probs.detach())
    clipped = torch.clamp(ratio, 1.0 - epsilon, 1.0 + epsilon)
    advantages = advantages.detach()
    return -torch.minimum(ratio * advantages, clipped * advantages).mean()


def train_reinforce(env, policy: torch.nn.Module, value: torch.nn.Module, policy_optimizer: torch.optim.Optimizer,
                    value_optimizer: torch.optim.Optimizer, n_episodes: int, episodes_per_update: int = 8,
                    gamma: float = 0.99, seed: int = 0, callback=None) -> dict:
    """Reference for the exercise of the same name."""
    history = {"returns": [], "lengths": [], "policy_losses": [], "value_losses": []}
    states, actions, targets = [], [], []
    observation, _ = env.reset(seed=seed)
    for played in range(n_episodes):
        if played > 0:
            observation, _ = env.reset()
        rewards = []
        done = False
        while not done:
            state = torch.as_tensor(observation, dtype=torch.float32)
            with torch.no_grad():
                action = int(torch.multinomial(torch.softmax(policy(state), dim=-1), 1))
            observation, reward, terminated, truncated, _ = env.step(action)
            states.append(state)
            actions.append(action)
            rewards.append(float(reward))
            done = terminated or truncated
        targets.extend(reward_to_go(np.array(rewards), gamma))
        history["returns"].append(float(sum(rewards)))
        history["lengths"].append(len(rewards))
        if (played + 1) % episodes_per_update == 0 or played + 1 == n_episodes:
            batch = torch.stack(states)
            returns = torch.as_tensor(np.array(targets), dtype=torch.float32)
            log_probs = torch.distributions.Categorical(logits=policy(batch)).log_prob(torch.as_tensor(actions))
            predicted = value(batch).squeeze(-1)
            advantages = normalize_advantages(returns - predicted.detach())
            policy_loss = reinforce_loss(log_probs, advantages, 0.0)
            policy_optimizer.zero_grad()
            policy_loss.backward()
            policy_optimizer.step()
            value_loss = ((predicted - returns) ** 2).mean()
            value_optimizer.zero_grad()
            value_loss.backward()
            value_optimizer.step()
            history["policy_losses"].append(policy_loss.item())
            history["value_losses"].append(value_loss.item())
            states, actions, targets = [], [], []
            if callback is not None and callback(history):
                break
    return history


def gae(rewards: np.ndarray, values: np.ndarray, next_values: np.ndarray, terminated: np.ndarray,
        truncated: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    rewards = np.asarray(rewards, dtype=float)
    values = np.asarray(values, dtype=float)
    next_values = np.asarray(next_values, dtype=float)
    terminated = np.asarray(terminated, dtype=bool)
    truncated = np.asarray(truncated, dtype=bool)
    arrays = (rewards, values, next_values, terminated, truncated)
    if rewards.ndim != 1 or len({a.shape for a in arrays}) != 1:
        raise ValueError(f"the five arrays must share one shape (T,), got {[a.shape for a in arrays]}")
    if not (0.0 <= gamma <= 1.0 and 0.0 <= lam <= 1.0):
        raise ValueError(f"gamma and lam must lie in [0, 1], got {gamma} and {lam}")
    deltas = rewards + gamma * np.where(terminated, 0.0, next_values) - values
    advantages = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        if terminated[t] or truncated[t]:
            running = 0.0
        running = deltas[t] + gamma * lam * running
        advantages[t] = running
    return advantages


def train_ppo(env, policy: torch.nn.Module, value: torch.nn.Module, policy_optimizer: torch.optim.Optimizer,
              value_optimizer: torch.optim.Optimizer, n_steps: int, rollout_steps: int = 256, epochs: int = 10,
              minibatch_size: int = 64, gamma: float = 0.99, lam: float = 0.95, epsilon: float = 0.2,
              seed: int = 0, callback=None) -> dict:
    """Reference for the exercise of the same name."""
    history = {"returns": [], "lengths": [], "steps": [], "policy_losses": [], "value_losses": []}
    observation, _ = env.reset(seed=seed)
    episode_return, episode_length, steps = 0.0, 0, 0
    while steps < n_steps:
        batch = {key: [] for key in ("states", "actions", "log_probs", "rewards", "next_states", "terminated",
                                     "truncated")}
        for _ in range(min(rollout_steps, n_steps - steps)):
            state = torch.as_tensor(observation, dtype=torch.float32)
            with torch.no_grad():
                distribution = torch.distributions.Categorical(logits=policy(state))
                action = distribution.sample()
            observation, reward, terminated, truncated, _ = env.step(int(action))
            for key, item in (("states", state), ("actions", action), ("log_probs", distribution.log_prob(action)),
                              ("rewards", float(reward)), ("terminated", bool(terminated)),
                              ("truncated", bool(truncated)),
                              ("next_states", torch.as_tensor(observation, dtype=torch.float32))):
                batch[key].append(item)
            steps += 1
            episode_return, episode_length = episode_return + float(reward), episode_length + 1
            if terminated or truncated:
                history["returns"].append(episode_return)
                history["lengths"].append(episode_length)
                episode_return, episode_length = 0.0, 0
                observation, _ = env.reset()
        states, next_states = torch.stack(batch["states"]), torch.stack(batch["next_states"])
        actions, old_log_probs = torch.stack(batch["actions"]), torch.stack(batch["log_probs"])
        with torch.no_grad():
            values, next_values = value(states).squeeze(-1), value(next_states).squeeze(-1)
        advantages = gae(np.array(batch["rewards"]), values.numpy(), next_values.numpy(),
                         np.array(batch["terminated"]), np.array(batch["truncated"]), gamma, lam)
        advantages = torch.as_tensor(advantages, dtype=torch.float32)
        targets = advantages + values
        policy_losses, value_losses = [], []
        for _ in range(epochs):
            for index in torch.randperm(len(states)).split(minibatch_size):
                log_probs = torch.distributions.Categorical(logits=policy(states[index])).log_prob(actions[index])
                weights = normalize_advantages(advantages[index]) if len(index) > 1 else advantages[index]
                policy_loss = ppo_clip_loss(log_probs, old_log_probs[index], weights, epsilon)
                policy_optimizer.zero_grad()
                policy_loss.backward()
                policy_optimizer.step()
                value_loss = ((value(states[index]).squeeze(-1) - targets[index]) ** 2).mean()
                value_optimizer.zero_grad()
                value_loss.backward()
                value_optimizer.step()
                policy_losses.append(policy_loss.item())
                value_losses.append(value_loss.item())
        history["steps"].append(steps)
        history["policy_losses"].append(float(np.mean(policy_losses)))
        history["value_losses"].append(float(np.mean(value_losses)))
        if callback is not None and callback(history):
            break
    return history
