"""Plausible wrong answers to lecture 08's exercises; each must fail a hidden scenario.

Helpers a mutant calls (``epsilon_greedy``, the updates, ``dqn_targets``, ``dqn_loss``) are the
reference's (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np
import torch

from solutions.q_learning import (dqn_loss, dqn_targets, double_dqn_targets, epsilon_greedy,  # noqa: F401
                                  q_learning_update, sarsa_update)
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.q_learning")
mutant = catalogue.mutant


# --- epsilon_greedy -------------------------------------------------------------------------------

@mutant("epsilon_greedy", "no random tie-breaking: always the first best action")
def epsilon_greedy(q_values, epsilon, rng):
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("bad input")
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


@mutant("epsilon_greedy", "ties found with np.isclose: near-equal values count as tied")
def epsilon_greedy(q_values, epsilon, rng):  # noqa: F811
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("bad input")
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(rng.choice(np.flatnonzero(np.isclose(q_values, q_values.max()))))


@mutant("epsilon_greedy", "exploration never picks a greedy action")
def epsilon_greedy(q_values, epsilon, rng):  # noqa: F811
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("bad input")
    best = np.flatnonzero(q_values == q_values.max())
    if rng.random() < epsilon:
        others = np.setdiff1d(np.arange(len(q_values)), best)
        return int(rng.choice(others if len(others) else best))
    return int(rng.choice(best))


@mutant("epsilon_greedy", "explores with probability 1 - epsilon (comparison the wrong way round)")
def epsilon_greedy(q_values, epsilon, rng):  # noqa: F811
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("bad input")
    if rng.random() > epsilon:
        return int(rng.integers(len(q_values)))
    return int(rng.choice(np.flatnonzero(q_values == q_values.max())))


@mutant("epsilon_greedy", "no check of epsilon and q_values")
def epsilon_greedy(q_values, epsilon, rng):  # noqa: F811
    q_values = np.asarray(q_values, dtype=float)
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(rng.choice(np.flatnonzero(q_values == q_values.max())))


@mutant("epsilon_greedy", "draws the exploring action before deciding whether to explore")
def epsilon_greedy(q_values, epsilon, rng):  # noqa: F811
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 1 or len(q_values) == 0 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("bad input")
    random_action = int(rng.integers(len(q_values)))
    if rng.random() < epsilon:
        return random_action
    return int(rng.choice(np.flatnonzero(q_values == q_values.max())))


# --- td0_update -----------------------------------------------------------------------------------

@mutant("td0_update", "bootstraps from a terminal next state")
def td0_update(V, state, reward, next_state, terminated, alpha, gamma):
    delta = reward + gamma * V[next_state] - V[state]
    V[state] += alpha * delta
    return float(delta)


@mutant("td0_update", "returns the TD error after the update")
def td0_update(V, state, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else V[next_state]
    V[state] += alpha * (reward + gamma * next_value - V[state])
    return float(reward + gamma * next_value - V[state])


@mutant("td0_update", "no step size: V[state] jumps to the target")
def td0_update(V, state, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else V[next_state]
    delta = reward + gamma * next_value - V[state]
    V[state] += delta
    return float(delta)


@mutant("td0_update", "updates the next state instead of the state")
def td0_update(V, state, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else V[next_state]
    delta = reward + gamma * next_value - V[state]
    V[next_state] += alpha * delta
    return float(delta)


# --- sarsa_update and q_learning_update -----------------------------------------------------------

@mutant("sarsa_update", "bootstraps from the best next action (that is Q-learning)")
def sarsa_update(Q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    next_value = 0.0 if terminated else np.max(Q[next_state])
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("sarsa_update", "bootstraps from a terminal next state")
def sarsa_update(Q, state, action, reward, next_state, next_action, terminated, alpha, gamma):  # noqa: F811
    delta = reward + gamma * Q[next_state, next_action] - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("sarsa_update", "uses the current action in the next state")
def sarsa_update(Q, state, action, reward, next_state, next_action, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else Q[next_state, action]
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("sarsa_update", "updates every action of the state")
def sarsa_update(Q, state, action, reward, next_state, next_action, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else Q[next_state, next_action]
    delta = reward + gamma * next_value - Q[state, action]
    Q[state] += alpha * delta
    return float(delta)


@mutant("q_learning_update", "the notes' typo: no target, Q(s, a) += alpha * (max Q(s', .) - Q(s, a))")
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    delta = np.max(Q[next_state]) - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("q_learning_update", "bootstraps from a terminal next state")
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    delta = reward + gamma * np.max(Q[next_state]) - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("q_learning_update", "bootstraps from the same action in the next state")
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else Q[next_state, action]
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


@mutant("q_learning_update", "the largest absolute value instead of the max")
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):  # noqa: F811
    next_value = 0.0 if terminated else np.max(np.abs(Q[next_state]))
    delta = reward + gamma * next_value - Q[state, action]
    Q[state, action] += alpha * delta
    return float(delta)


# --- sarsa_episode and q_learning_episode ---------------------------------------------------------

def _sarsa_episode(env, Q, epsilon, alpha, gamma, rng, *, draw_last=True, truncated_terminal=False,
                   fresh_action=False):
    """An on-policy episode loop with switchable mistakes (shared by the SARSA mutants below)."""
    state, _ = env.reset()
    action = epsilon_greedy(Q[state], epsilon, rng)
    total, steps = 0.0, 0
    while True:
        next_state, reward, terminated, truncated, _ = env.step(action)
        total += reward
        steps += 1
        done = terminated or truncated
        next_action = epsilon_greedy(Q[next_state], epsilon, rng) if draw_last or not done else 0
        flag = done if truncated_terminal else terminated
        sarsa_update(Q, state, action, reward, next_state, next_action, flag, alpha, gamma)
        if done:
            return float(total), steps
        state, action = next_state, epsilon_greedy(Q[next_state], epsilon, rng) if fresh_action else next_action


@mutant("sarsa_episode", "chooses no next action after the last step (one random draw fewer)")
def sarsa_episode(env, Q, epsilon, alpha, gamma, rng):
    return _sarsa_episode(env, Q, epsilon, alpha, gamma, rng, draw_last=False)


@mutant("sarsa_episode", "treats a truncated step as terminal")
def sarsa_episode(env, Q, epsilon, alpha, gamma, rng):  # noqa: F811
    return _sarsa_episode(env, Q, epsilon, alpha, gamma, rng, truncated_terminal=True)


@mutant("sarsa_episode", "chooses a fresh action after the update instead of taking the chosen next action")
def sarsa_episode(env, Q, epsilon, alpha, gamma, rng):  # noqa: F811
    return _sarsa_episode(env, Q, epsilon, alpha, gamma, rng, fresh_action=True)


def _q_learning_episode(env, Q, epsilon, alpha, gamma, rng, *, truncated_terminal=False, truncated_only=False,
                        reseed=False):
    """An off-policy episode loop with switchable mistakes (shared by the Q-learning mutants below)."""
    state, _ = env.reset(seed=0) if reseed else env.reset()
    total, steps = 0.0, 0
    while True:
        action = epsilon_greedy(Q[state], epsilon, rng)
        next_state, reward, terminated, truncated, _ = env.step(action)
        if truncated_only:
            flag = truncated
        else:
            flag = (terminated or truncated) if truncated_terminal else terminated
        q_learning_update(Q, state, action, reward, next_state, flag, alpha, gamma)
        total += reward
        steps += 1
        if terminated or truncated:
            return float(total), steps
        state = next_state


@mutant("q_learning_episode", "treats a truncated step as terminal")
def q_learning_episode(env, Q, epsilon, alpha, gamma, rng):
    return _q_learning_episode(env, Q, epsilon, alpha, gamma, rng, truncated_terminal=True)


@mutant("q_learning_episode", "passes truncated where terminated belongs")
def q_learning_episode(env, Q, epsilon, alpha, gamma, rng):  # noqa: F811
    return _q_learning_episode(env, Q, epsilon, alpha, gamma, rng, truncated_only=True)


@mutant("q_learning_episode", "reseeds the environment at every reset")
def q_learning_episode(env, Q, epsilon, alpha, gamma, rng):  # noqa: F811
    return _q_learning_episode(env, Q, epsilon, alpha, gamma, rng, reseed=True)


# --- ReplayBuffer ---------------------------------------------------------------------------------

class _Buffer:
    """The reference's buffer with its slot choices as methods, so a mutant overrides only its mistake."""

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

    def _slot(self) -> int:
        """Where the next transition goes."""
        return self.n_added % self.capacity

    def _draw(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """Which slots a batch reads."""
        return rng.integers(0, len(self), size=batch_size)

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool) -> None:
        slot = self._slot()
        self.obs[slot] = obs
        self.actions[slot] = action
        self.rewards[slot] = reward
        self.next_obs[slot] = next_obs
        self.terminated[slot] = terminated
        self.n_added += 1

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if len(self) == 0:
            raise ValueError("cannot sample from an empty buffer")
        slots = self._draw(batch_size, rng)
        return {"obs": self.obs[slots], "actions": self.actions[slots], "rewards": self.rewards[slots],
                "next_obs": self.next_obs[slots], "terminated": self.terminated[slots]}


@mutant("ReplayBuffer", "samples from all slots, the empty ones too")
class ReplayBuffer(_Buffer):

    def _draw(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, self.capacity, size=batch_size)


@mutant("ReplayBuffer", "ignores new transitions once full instead of overwriting the oldest")
class ReplayBuffer(_Buffer):  # noqa: F811

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool) -> None:
        if self.n_added < self.capacity:
            super().add(obs, action, reward, next_obs, terminated)


@mutant("ReplayBuffer", "len counts every transition ever added")
class ReplayBuffer(_Buffer):  # noqa: F811

    def __len__(self) -> int:
        return self.n_added

    def _draw(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, len(self), size=batch_size) % self.capacity


@mutant("ReplayBuffer", "stores observations and rewards as float64")
class ReplayBuffer(_Buffer):  # noqa: F811

    def __init__(self, capacity: int, obs_dim: int):
        super().__init__(capacity, obs_dim)
        self.obs = np.zeros((capacity, obs_dim))
        self.rewards = np.zeros(capacity)


@mutant("ReplayBuffer", "accepts a capacity of 0")
class ReplayBuffer(_Buffer):  # noqa: F811

    def __init__(self, capacity: int, obs_dim: int):
        super().__init__(max(capacity, 1), obs_dim)


@mutant("ReplayBuffer", "overwrites the newest transition once full")
class ReplayBuffer(_Buffer):  # noqa: F811

    def _slot(self) -> int:
        return min(self.n_added, self.capacity - 1)


# --- dqn_targets --------------------------------------------------------------------------------------

@mutant("dqn_targets", "bootstraps from terminal transitions")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=1).values
        return torch.as_tensor(rewards, dtype=torch.float32) + gamma * next_q


@mutant("dqn_targets", "the mean over actions instead of the max")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):  # noqa: F811
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).mean(dim=1)
        done = torch.as_tensor(terminated, dtype=torch.bool)
        return torch.as_tensor(rewards, dtype=torch.float32) + gamma * torch.where(done, 0.0, next_q)


@mutant("dqn_targets", "computed with gradient tracking (the target moves with the network)")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):  # noqa: F811
    next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=1).values
    done = torch.as_tensor(terminated, dtype=torch.bool)
    return torch.as_tensor(rewards, dtype=torch.float32) + gamma * torch.where(done, 0.0, next_q)


@mutant("dqn_targets", "max over the batch axis")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):  # noqa: F811
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=0).values.max()
        done = torch.as_tensor(terminated, dtype=torch.bool)
        return torch.as_tensor(rewards, dtype=torch.float32) + gamma * torch.where(done, 0.0, next_q)


@mutant("dqn_targets", "adds the bootstrap term into the caller's rewards array in place")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):  # noqa: F811
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=1).values.numpy()
    values = np.asarray(rewards)  # shares memory with the caller's array
    values += gamma * np.where(np.asarray(terminated, dtype=bool), 0.0, next_q)
    return torch.tensor(values, dtype=torch.float32)


@mutant("dqn_targets", "masks with (1 - terminated) * best: NaN or inf in a terminal row leaks into its target")
def dqn_targets(rewards, next_obs, terminated, target_net, gamma):  # noqa: F811
    with torch.no_grad():
        next_q = target_net(torch.as_tensor(next_obs, dtype=torch.float32)).max(dim=1).values
        done = torch.as_tensor(terminated, dtype=torch.float32)
        return torch.as_tensor(rewards, dtype=torch.float32) + gamma * (1.0 - done) * next_q


# --- double_dqn_targets -------------------------------------------------------------------------------

def _double_inputs(rewards, next_obs, terminated):
    rewards = torch.as_tensor(rewards, dtype=torch.float32)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    done = torch.as_tensor(terminated).bool()
    if next_obs.dim() != 2 or rewards.shape != (len(next_obs),) or done.shape != rewards.shape:
        raise ValueError("shapes")
    return rewards, next_obs, done


@mutant("double_dqn_targets", "the plain DQN target: the target network both chooses and values")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):
    rewards, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    with torch.no_grad():
        next_q = target_net(next_obs).max(dim=1).values
        return rewards + gamma * torch.where(done, 0.0, next_q)


@mutant("double_dqn_targets", "the roles swapped: the target network chooses, the online network values")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    rewards, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    with torch.no_grad():
        best = target_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = q_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * torch.where(done, 0.0, next_q)


@mutant("double_dqn_targets", "masks terminal transitions by multiplying with 1 - terminated (NaN rows leak)")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    rewards, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    with torch.no_grad():
        best = q_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = target_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * (1.0 - done.float()) * next_q


@mutant("double_dqn_targets", "computed with gradient tracking")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    rewards, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    best = q_net(next_obs).argmax(dim=1, keepdim=True)
    next_q = target_net(next_obs).gather(1, best).squeeze(1)
    return rewards + gamma * torch.where(done, 0.0, next_q)


@mutant("double_dqn_targets", "no shape checks: a single flag or a column of rewards broadcasts")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    rewards = torch.as_tensor(rewards, dtype=torch.float32)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    done = torch.as_tensor(terminated).bool()
    with torch.no_grad():
        best = q_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = target_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * torch.where(done, 0.0, next_q)


@mutant("double_dqn_targets", "breaks ties towards the highest action index")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    rewards, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    with torch.no_grad():
        q = q_net(next_obs)
        best = (q.shape[1] - 1 - q.flip(1).argmax(dim=1)).unsqueeze(1)
        next_q = target_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * torch.where(done, 0.0, next_q)


@mutant("double_dqn_targets", "keeps the rewards' dtype (float64 targets for float64 rewards)")
def double_dqn_targets(rewards, next_obs, terminated, q_net, target_net, gamma):  # noqa: F811
    _, next_obs, done = _double_inputs(rewards, next_obs, terminated)
    rewards = torch.as_tensor(rewards)
    with torch.no_grad():
        best = q_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = target_net(next_obs).gather(1, best).squeeze(1)
        return rewards + gamma * torch.where(done, 0.0, next_q)


# --- dqn_loss -----------------------------------------------------------------------------------------

@mutant("dqn_loss", "the squared error instead of the Huber loss")
def dqn_loss(q_net, obs, actions, targets):
    q_values = q_net(torch.as_tensor(obs, dtype=torch.float32))
    taken = q_values.gather(1, torch.as_tensor(actions, dtype=torch.int64).unsqueeze(1)).squeeze(1)
    return torch.mean((taken - targets) ** 2)


@mutant("dqn_loss", "the largest Q-value instead of the value of the action taken")
def dqn_loss(q_net, obs, actions, targets):  # noqa: F811
    q_values = q_net(torch.as_tensor(obs, dtype=torch.float32)).max(dim=1).values
    return torch.nn.functional.smooth_l1_loss(q_values, targets)


@mutant("dqn_loss", "sums over the batch instead of averaging")
def dqn_loss(q_net, obs, actions, targets):  # noqa: F811
    q_values = q_net(torch.as_tensor(obs, dtype=torch.float32))
    taken = q_values.gather(1, torch.as_tensor(actions, dtype=torch.int64).unsqueeze(1)).squeeze(1)
    return torch.nn.functional.smooth_l1_loss(taken, targets, reduction="sum")


@mutant("dqn_loss", "broadcasts (B,) against (B, 1): every prediction against every target")
def dqn_loss(q_net, obs, actions, targets):  # noqa: F811
    q_values = q_net(torch.as_tensor(obs, dtype=torch.float32))
    taken = q_values.gather(1, torch.as_tensor(actions, dtype=torch.int64).unsqueeze(1))
    return torch.nn.functional.huber_loss(*torch.broadcast_tensors(taken, targets))


# --- train_dqn -----------------------------------------------------------------------------------

def _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
               train_every, target_every, seed, callback, double, *, zero_grad=True, sync_first=True,
               store_truncated=False, epsilon_lag=1, early_start=False, reseed=False, advance_obs=True, stop=True,
               honour_double=True, swap_roles=False, sync_before_update=False, callback_before_update=False,
               unseeded_exploration=False, loss_tensors=False, last_row_only=False, second_sample_rng=False,
               act_with_target=False, grad_acting=False):
    """The reference's DQN loop with switchable mistakes (shared by the mutants below)."""
    rng = np.random.default_rng(seed=seed)
    explore_rng = np.random.default_rng() if unseeded_exploration else rng
    sample_rng = np.random.default_rng(seed=seed) if second_sample_rng else rng
    if sync_first:
        target_net.load_state_dict(q_net.state_dict())
    history = {"episode_returns": [], "episode_ends": [], "losses": [], "steps": 0}
    obs, _ = env.reset(seed=seed)
    episode_return = 0.0
    for step in range(1, n_steps + 1):
        acting_net = target_net if act_with_target else q_net
        if grad_acting:
            q_values = acting_net(torch.as_tensor(obs, dtype=torch.float32)).detach().numpy()
        else:
            with torch.no_grad():
                q_values = acting_net(torch.as_tensor(obs, dtype=torch.float32)).numpy()
        action = epsilon_greedy(q_values, epsilon(step - epsilon_lag), explore_rng)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, (terminated or truncated) if store_truncated else terminated)
        episode_return += reward
        if advance_obs:
            obs = next_obs
        if terminated or truncated:
            history["episode_returns"].append(float(episode_return))
            history["episode_ends"].append(step)
            obs, _ = env.reset(seed=seed) if reseed else env.reset()
            episode_return = 0.0
        if sync_before_update and step % target_every == 0:
            target_net.load_state_dict(q_net.state_dict())
        if callback_before_update and callback is not None and callback(step, q_net):
            break
        if len(buffer) >= (batch_size if early_start else learning_starts) and step % train_every == 0:
            batch = buffer.sample(batch_size, sample_rng)
            if last_row_only:
                batch = {key: value[-1:] for key, value in batch.items()}
            if double and honour_double:
                chooser, evaluator = (target_net, q_net) if swap_roles else (q_net, target_net)
                targets = double_dqn_targets(batch["rewards"], batch["next_obs"], batch["terminated"], chooser,
                                             evaluator, gamma)
            else:
                targets = dqn_targets(batch["rewards"], batch["next_obs"], batch["terminated"], target_net, gamma)
            loss = dqn_loss(q_net, batch["obs"], batch["actions"], targets)
            if zero_grad:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["losses"].append(loss.detach() if loss_tensors else loss.item())
        if not sync_before_update and step % target_every == 0:
            target_net.load_state_dict(q_net.state_dict())
        history["steps"] = step
        if callback is not None and callback(step, q_net) and stop:
            break
    return history


@mutant("train_dqn", "never zeroes the gradients (stale gradients accumulate)")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, zero_grad=False)


@mutant("train_dqn", "does not copy q_net into the target network before the first step")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, sync_first=False)


@mutant("train_dqn", "stores truncated steps as terminal")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, store_truncated=True)


@mutant("train_dqn", "asks the schedule for epsilon(t) instead of epsilon(t - 1)")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, epsilon_lag=0)


@mutant("train_dqn", "starts learning as soon as a batch fits, ignoring learning_starts")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, early_start=True)


@mutant("train_dqn", "reseeds the environment at every reset")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, reseed=True)


@mutant("train_dqn", "uses the observation it acted on for the next action too (forgets obs = next_obs)")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, advance_obs=False)


@mutant("train_dqn", "does not stop when the callback returns True")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, stop=False)


@mutant("train_dqn", "ignores double: always the plain DQN targets")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, honour_double=False)


@mutant("train_dqn", "Double DQN with the roles swapped (the target network chooses, the online one values)")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, swap_roles=True)


@mutant("train_dqn", "refreshes the target network before the step's update")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, sync_before_update=True)


@mutant("train_dqn", "calls the callback before the step's update")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, callback_before_update=True)


@mutant("train_dqn", "explores with an unseeded generator")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, unseeded_exploration=True)


@mutant("train_dqn", "records the loss tensors instead of Python floats")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, loss_tensors=True)


@mutant("train_dqn", "trains on the most recent transition only, not a sampled batch")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, last_row_only=True)


@mutant("train_dqn", "a second generator made from the seed samples the batches (exploration and sampling no longer share one)")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, second_sample_rng=True)


@mutant("train_dqn", "acts greedily with the target network instead of q_net")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, act_with_target=True)


@mutant("train_dqn", "computes the acting Q-values with gradient recording on, then detaches them")
def train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma=0.99, batch_size=64,  # noqa: F811
              learning_starts=1000, train_every=1, target_every=500, seed=0, callback=None, double=False):
    return _train_dqn(env, q_net, target_net, optimizer, buffer, n_steps, epsilon, gamma, batch_size, learning_starts,
                      train_every, target_every, seed, callback, double, grad_acting=True)
