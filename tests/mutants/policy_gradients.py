"""Plausible wrong answers to lecture 09's exercises; each must fail a hidden scenario.

Helpers a mutant calls (``reward_to_go``, ``normalize_advantages``, ``reinforce_loss``) are the
reference's (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np
import torch

from solutions.policy_gradients import gae, normalize_advantages, ppo_clip_loss, reinforce_loss, reward_to_go  # noqa: F401
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.policy_gradients")
mutant = catalogue.mutant


def _softmax(logits):
    p = np.exp(logits - np.max(logits))
    return p / p.sum()


# --- softmax_expected_gradient ---------------------------------------------------------------------

@mutant("softmax_expected_gradient", "forgets to subtract the mean reward: p * f")
def softmax_expected_gradient(logits, f_values):
    return _softmax(np.asarray(logits, dtype=float)) * np.asarray(f_values, dtype=float)


@mutant("softmax_expected_gradient", "subtracts the plain average of f instead of its expectation under p")
def softmax_expected_gradient(logits, f_values):  # noqa: F811
    f_values = np.asarray(f_values, dtype=float)
    return _softmax(np.asarray(logits, dtype=float)) * (f_values - f_values.mean())


@mutant("softmax_expected_gradient", "softmax without subtracting the largest logit (overflows)")
def softmax_expected_gradient(logits, f_values):  # noqa: F811
    with np.errstate(all="ignore"):
        p = np.exp(np.asarray(logits, dtype=float))
        p = p / p.sum()
        f_values = np.asarray(f_values, dtype=float)
        return p * (f_values - p @ f_values)


@mutant("softmax_expected_gradient", "the score of the softmax taken as (1 - p) for every outcome")
def softmax_expected_gradient(logits, f_values):  # noqa: F811
    p = _softmax(np.asarray(logits, dtype=float))
    return p * (1 - p) * np.asarray(f_values, dtype=float)


# --- score_function_estimate -----------------------------------------------------------------------

def _estimate(logits, f_values, samples, baseline, *, subtract_p=True, mean=True, sign=-1.0, by_outcome=False):
    """The reference's estimate with switchable mistakes (shared by the mutants below)."""
    logits, f_values, samples = np.asarray(logits, dtype=float), np.asarray(f_values, dtype=float), np.asarray(samples)
    if samples.size == 0:
        raise ValueError("no samples")
    p = _softmax(logits)
    scores = np.eye(len(logits))[samples] - (p if subtract_p else 0.0)
    if by_outcome:  # column k weighted by f_k, whatever was drawn
        weighted = scores * (f_values + sign * baseline)
    else:
        weighted = (f_values[samples] + sign * baseline)[:, None] * scores
    return weighted.mean(axis=0) if mean else weighted.sum(axis=0)


@mutant("score_function_estimate", "score of log softmax taken as the one-hot vector alone (forgets - p)")
def score_function_estimate(logits, f_values, samples, baseline=0.0):
    return _estimate(logits, f_values, samples, baseline, subtract_p=False)


@mutant("score_function_estimate", "sums over the samples instead of averaging")
def score_function_estimate(logits, f_values, samples, baseline=0.0):  # noqa: F811
    return _estimate(logits, f_values, samples, baseline, mean=False)


@mutant("score_function_estimate", "adds the baseline instead of subtracting it")
def score_function_estimate(logits, f_values, samples, baseline=0.0):  # noqa: F811
    return _estimate(logits, f_values, samples, baseline, sign=1.0)


@mutant("score_function_estimate", "ignores the baseline")
def score_function_estimate(logits, f_values, samples, baseline=0.0):  # noqa: F811
    return _estimate(logits, f_values, samples, 0.0)


@mutant("score_function_estimate", "returns NaN instead of raising for no samples")
def score_function_estimate(logits, f_values, samples, baseline=0.0):  # noqa: F811
    if np.asarray(samples).size == 0:
        return np.full(len(logits), np.nan)
    return _estimate(logits, f_values, samples, baseline)


@mutant("score_function_estimate", "indexes the rewards by outcome order instead of by the samples drawn")
def score_function_estimate(logits, f_values, samples, baseline=0.0):  # noqa: F811
    return _estimate(logits, f_values, samples, baseline, by_outcome=True)


# --- reward_to_go ----------------------------------------------------------------------------------

def _reward_to_go(rewards, gamma, *, forwards=False, input_dtype=False, leaves_out_current=False):
    """The reference's backward recursion with switchable mistakes (shared by the mutants below)."""
    if input_dtype:
        rewards = np.asarray(rewards)
        if rewards.dtype.kind != "f":
            rewards = rewards.astype(float)
        out = np.zeros_like(rewards)
    else:
        rewards = np.asarray(rewards, dtype=float)
        out = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards)) if forwards else reversed(range(len(rewards))):
        if leaves_out_current:
            out[t] = running
        running = rewards[t] + gamma * running
        if not leaves_out_current:
            out[t] = running
    return out


@mutant("reward_to_go", "accumulates forwards (the return so far, not the return to come)")
def reward_to_go(rewards, gamma):
    return _reward_to_go(rewards, gamma, forwards=True)


@mutant("reward_to_go", "float32 rewards give a float32 result (the docstring promises float64)")
def reward_to_go(rewards, gamma):  # noqa: F811
    return _reward_to_go(rewards, gamma, input_dtype=True)


@mutant("reward_to_go", "discounts from the episode start: sum_k gamma^k r_k over k >= t")
def reward_to_go(rewards, gamma):  # noqa: F811
    rewards = np.asarray(rewards, dtype=float)
    weighted = gamma ** np.arange(len(rewards)) * rewards
    return np.cumsum(weighted[::-1])[::-1].astype(float)


@mutant("reward_to_go", "off by one: G_t leaves out r_t")
def reward_to_go(rewards, gamma):  # noqa: F811
    return _reward_to_go(rewards, gamma, leaves_out_current=True)


@mutant("reward_to_go", "no discount")
def reward_to_go(rewards, gamma):  # noqa: F811
    rewards = np.asarray(rewards, dtype=float)
    return np.cumsum(rewards[::-1])[::-1].astype(float)


@mutant("reward_to_go", "writes the result into the rewards array")
def reward_to_go(rewards, gamma):  # noqa: F811
    rewards = np.asarray(rewards, dtype=float)
    for t in reversed(range(len(rewards) - 1)):
        rewards[t] += gamma * rewards[t + 1]
    return rewards


# --- reinforce_loss --------------------------------------------------------------------------------

@mutant("reinforce_loss", "no minus sign: gradient descent on J instead of ascent")
def reinforce_loss(log_probs, returns, baselines=0.0):
    return (log_probs * (returns - baselines).detach()).mean()


@mutant("reinforce_loss", "sum over steps instead of the mean")
def reinforce_loss(log_probs, returns, baselines=0.0):  # noqa: F811
    return -(log_probs * (returns - baselines).detach()).sum()


@mutant("reinforce_loss", "the baseline is not detached (gradient flows into it)")
def reinforce_loss(log_probs, returns, baselines=0.0):  # noqa: F811
    return -(log_probs * (returns.detach() - baselines)).mean()


@mutant("reinforce_loss", "ignores the baseline")
def reinforce_loss(log_probs, returns, baselines=0.0):  # noqa: F811
    return -(log_probs * returns.detach()).mean()


@mutant("reinforce_loss", "the returns are not detached")
def reinforce_loss(log_probs, returns, baselines=0.0):  # noqa: F811
    baselines = baselines.detach() if isinstance(baselines, torch.Tensor) else baselines
    return -(log_probs * (returns - baselines)).mean()


# --- normalize_advantages --------------------------------------------------------------------------

@mutant("normalize_advantages", "the unbiased (n - 1) standard deviation")
def normalize_advantages(advantages, eps=1e-8):
    advantages = advantages.detach()
    if advantages.numel() < 2:
        return advantages - advantages.mean()
    return (advantages - advantages.mean()) / (advantages.std() + eps)


@mutant("normalize_advantages", "computed in float64 through numpy: float32 in, float64 out")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    a = advantages.detach().numpy().astype(np.float64)
    return torch.from_numpy((a - a.mean()) / (a.std() + eps))


@mutant("normalize_advantages", "no eps (NaN when all advantages are equal)")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    advantages = advantages.detach()
    return (advantages - advantages.mean()) / advantages.std(unbiased=False)


@mutant("normalize_advantages", "eps added to the variance under the square root")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    advantages = advantages.detach()
    return (advantages - advantages.mean()) / torch.sqrt(advantages.var(unbiased=False) + eps)


@mutant("normalize_advantages", "only centres, does not scale")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    advantages = advantages.detach()
    return advantages - advantages.mean()


@mutant("normalize_advantages", "normalizes in place")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    with torch.no_grad():
        mean, std = advantages.mean(), advantages.std(unbiased=False)
        advantages.sub_(mean).div_(std + eps)
    return advantages.detach()


@mutant("normalize_advantages", "keeps the graph (the result still requires grad)")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    return (advantages - advantages.mean()) / (advantages.std(unbiased=False) + eps)


# --- actor_critic_losses ---------------------------------------------------------------------------

def _ac(log_probs, values, rewards, next_values, terminated, gamma, *, mask=True, detach_target=True,
        detach_advantage=True, half=False, flip=False):
    """The reference's losses without its shape checks, with switchable mistakes (shared by the mutants below)."""
    alive = 1.0 - terminated.float()
    if flip:
        alive = terminated.float()
    targets = rewards + gamma * next_values * (alive if mask else 1.0)
    if detach_target:
        targets = targets.detach()
    advantages = targets - values
    if detach_advantage:
        advantages = advantages.detach()
    actor = -(log_probs * advantages).mean()
    critic = ((values - targets) ** 2).mean() * (0.5 if half else 1.0)
    return actor, critic


@mutant("actor_critic_losses", "bootstraps from the next value of terminal steps too")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):
    return _ac(log_probs, values, rewards, next_values, terminated, gamma, mask=False)


@mutant("actor_critic_losses", "the critic's target is not detached (gradient through V(s'))")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    return _ac(log_probs, values, rewards, next_values, terminated, gamma, detach_target=False)


@mutant("actor_critic_losses", "the advantage is not detached in the actor loss (actor trains the critic)")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    return _ac(log_probs, values, rewards, next_values, terminated, gamma, detach_advantage=False)


@mutant("actor_critic_losses", "half the squared error for the critic")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    return _ac(log_probs, values, rewards, next_values, terminated, gamma, half=True)


@mutant("actor_critic_losses", "the terminal mask inverted (bootstraps only at terminal steps)")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    return _ac(log_probs, values, rewards, next_values, terminated, gamma, flip=True)


@mutant("actor_critic_losses", "advantage with the wrong sign: V(s) - target")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    actor, critic = _ac(log_probs, values, rewards, next_values, terminated, gamma)
    return -actor, critic


# --- ppo_clip_loss ---------------------------------------------------------------------------------

def _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, *, checks=True, old_attached=False,
                   log_ratio=False, inverted=False, quotient=False, advantages_attached=False, notes_slip=False,
                   clipped_only=False, optimistic=False, no_minus=False):
    """The reference's clipped loss with switchable mistakes (shared by the mutants below)."""
    if checks:
        if len({tuple(t.shape) for t in (log_probs, old_log_probs, advantages)}) != 1 or log_probs.dim() != 1:
            raise ValueError("the three tensors must share one shape (N,)")
        if epsilon <= 0:
            raise ValueError("epsilon must be positive")
    old = old_log_probs if old_attached else old_log_probs.detach()
    if log_ratio:
        ratio = log_probs - old
    elif inverted:
        ratio = torch.exp(old - log_probs)
    elif quotient:
        ratio = torch.exp(log_probs) / torch.exp(old)
    else:
        ratio = torch.exp(log_probs - old)
    clipped = torch.clamp(ratio, 1 - epsilon, 1 + epsilon)
    a = advantages if advantages_attached else advantages.detach()
    if notes_slip:
        surrogate = torch.minimum(ratio, clipped) * a
    elif clipped_only:
        surrogate = clipped * a
    elif optimistic:
        surrogate = torch.maximum(ratio * a, clipped * a)
    else:
        surrogate = torch.minimum(ratio * a, clipped * a)
    return surrogate.mean() if no_minus else -surrogate.mean()


@mutant("ppo_clip_loss", "the notes' slip: min(r, clip(r)) * A")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, notes_slip=True)


@mutant("ppo_clip_loss", "max instead of min (optimistic instead of pessimistic)")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, optimistic=True)


@mutant("ppo_clip_loss", "only the clipped term (no min with the unclipped one)")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, clipped_only=True)


@mutant("ppo_clip_loss", "the ratio taken as the log-probability difference (no exp)")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, log_ratio=True)


@mutant("ppo_clip_loss", "no minus sign (minimizes the surrogate)")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, no_minus=True)


@mutant("ppo_clip_loss", "the old log-probabilities are not detached")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, old_attached=True)


@mutant("ppo_clip_loss", "the ratio inverted: old over new")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, inverted=True)


@mutant("ppo_clip_loss", "the advantages are not detached")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, advantages_attached=True)


@mutant("ppo_clip_loss", "the ratio as a quotient of probabilities (0/0 once they underflow), checks kept")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, quotient=True)


# --- train_reinforce -------------------------------------------------------------------------------

def _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma, seed,
           callback, *, zero_grad=True, whole_return=False, baseline=True, value_gamma=None, reseed=False,
           drop_last=False, normalize=True, value_first=False, float_lengths=False):
    """A REINFORCE loop with switchable mistakes (shared by the mutants below)."""
    history = {"returns": [], "lengths": [], "policy_losses": [], "value_losses": []}
    states, actions, targets, value_targets = [], [], [], []
    observation, _ = env.reset(seed=seed)
    for episode in range(n_episodes):
        if episode > 0:
            observation, _ = env.reset(seed=seed) if reseed else env.reset()
        rewards, done = [], False
        while not done:
            state = torch.as_tensor(observation, dtype=torch.float32)
            with torch.no_grad():
                action = int(torch.distributions.Categorical(logits=policy(state)).sample())
            observation, reward, terminated, truncated, _ = env.step(action)
            states.append(state)
            actions.append(action)
            rewards.append(float(reward))
            done = terminated or truncated
        rewards = np.array(rewards)
        to_go = np.full(len(rewards), reward_to_go(rewards, gamma)[0]) if whole_return else reward_to_go(rewards, gamma)
        targets.extend(to_go)
        value_targets.extend(reward_to_go(rewards, gamma if value_gamma is None else value_gamma))
        history["returns"].append(float(rewards.sum()))
        history["lengths"].append(float(len(rewards)) if float_lengths else len(rewards))
        last = episode + 1 == n_episodes and not drop_last
        if (episode + 1) % episodes_per_update == 0 or last:
            batch = torch.stack(states)
            returns = torch.as_tensor(np.array(targets), dtype=torch.float32)
            v_targets = torch.as_tensor(np.array(value_targets), dtype=torch.float32)
            log_probs = torch.distributions.Categorical(logits=policy(batch)).log_prob(torch.as_tensor(actions))
            if value_first:
                value_loss = ((value(batch).squeeze(-1) - v_targets) ** 2).mean()
                value_optimizer.zero_grad()
                value_loss.backward()
                value_optimizer.step()
            predicted = value(batch).squeeze(-1)
            advantages = returns - predicted.detach() if baseline else returns
            if normalize:
                advantages = normalize_advantages(advantages)
            policy_loss = reinforce_loss(log_probs, advantages, 0.0)
            if zero_grad:
                policy_optimizer.zero_grad()
            policy_loss.backward()
            policy_optimizer.step()
            if not value_first:
                value_loss = ((predicted - v_targets) ** 2).mean()
                if zero_grad:
                    value_optimizer.zero_grad()
                value_loss.backward()
                value_optimizer.step()
            history["policy_losses"].append(policy_loss.item())
            history["value_losses"].append(value_loss.item())
            states, actions, targets, value_targets = [], [], [], []
            if callback is not None and callback(history):
                break
    return history


@mutant("train_reinforce", "stale gradients: never calls zero_grad")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, zero_grad=False)


@mutant("train_reinforce", "weights every step by the whole episode's return instead of the reward-to-go")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, whole_return=True)


@mutant("train_reinforce", "no baseline: normalizes the returns themselves")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, baseline=False)


@mutant("train_reinforce", "the value network is fitted to undiscounted returns")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, value_gamma=1.0)


@mutant("train_reinforce", "resets every episode with the same seed")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, reseed=True)


@mutant("train_reinforce", "drops the last, incomplete batch")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, drop_last=True)


@mutant("train_reinforce", "does not normalize the advantages")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, normalize=False)


@mutant("train_reinforce", "updates the value network first and uses its new predictions as the baseline")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, value_first=True)


@mutant("train_reinforce", "ignores the callback's request to stop")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    wrapped = None if callback is None else (lambda history: bool(callback(history)) and False)
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, wrapped)


@mutant("train_reinforce", "records each episode's length as a float")
def train_reinforce(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update=8,  # noqa: F811
                    gamma=0.99, seed=0, callback=None):
    return _train(env, policy, value, policy_optimizer, value_optimizer, n_episodes, episodes_per_update, gamma,
                  seed, callback, float_lengths=True)


# --- the losses without their shape checks (torch broadcasts a (N, 1) column silently) -------------

@mutant("reinforce_loss", "no shape check: a (N, 1) baseline broadcasts to an (N, N) loss matrix")
def reinforce_loss(log_probs, returns, baselines=0.0):  # noqa: F811
    return -(log_probs * (returns - baselines).detach()).mean()


@mutant("normalize_advantages", "no shape check: a (N, 1) column is normalized as it is")
def normalize_advantages(advantages, eps=1e-8):  # noqa: F811
    advantages = advantages.detach()
    return (advantages - advantages.mean()) / (advantages.std(unbiased=False) + eps)


@mutant("actor_critic_losses", "no shape check, and the terminal mask by 1 - float (correct values otherwise)")
def actor_critic_losses(log_probs, values, rewards, next_values, terminated, gamma):  # noqa: F811
    return _ac(log_probs, values, rewards, next_values, terminated, gamma)


@mutant("ppo_clip_loss", "no shape or epsilon check")
def ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon=0.2):  # noqa: F811
    return _ppo_clip_loss(log_probs, old_log_probs, advantages, epsilon, checks=False)


# --- gae -------------------------------------------------------------------------------------------

def _gae(rewards, values, next_values, terminated, truncated, gamma, lam, *, reset_on_truncation=True,
         bootstrap_truncation=True, decay=None, check=True, next_from_values=False, mask_terminated=True):
    """The reference's GAE with switchable mistakes (shared by the mutants below)."""
    rewards, values, next_values = (np.asarray(a, dtype=float) for a in (rewards, values, next_values))
    terminated, truncated = np.asarray(terminated, dtype=bool), np.asarray(truncated, dtype=bool)
    if check and (rewards.ndim != 1 or len({a.shape for a in (rewards, values, next_values, terminated, truncated)}) != 1
                  or not (0 <= gamma <= 1 and 0 <= lam <= 1)):
        raise ValueError("shapes or parameters")
    if next_from_values:
        next_values = np.append(values[1:], next_values[-1:]) if len(values) else next_values
    stop = terminated if mask_terminated else np.zeros_like(terminated)
    if not bootstrap_truncation:
        stop = stop | truncated
    deltas = rewards + gamma * np.where(stop, 0.0, next_values) - values
    advantages, running = np.zeros(len(rewards)), 0.0
    for t in reversed(range(len(rewards))):
        if terminated[t] or (truncated[t] and reset_on_truncation):
            running = 0.0
        running = deltas[t] + (gamma * lam if decay is None else decay) * running
        advantages[t] = running
    return advantages


@mutant("gae", "carries the advantage across a truncation into the previous episode")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, reset_on_truncation=False)


@mutant("gae", "treats a truncation like a termination (no bootstrap at a time limit)")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):  # noqa: F811
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, bootstrap_truncation=False)


@mutant("gae", "decays by lambda only, not gamma * lambda")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):  # noqa: F811
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, decay=lam)


@mutant("gae", "uses the next row's V(s) instead of next_values (wrong after a truncation and at the cut)")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):  # noqa: F811
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, next_from_values=True)


@mutant("gae", "no shape check: a (T, 1) column broadcasts")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):  # noqa: F811
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, check=False)


@mutant("gae", "bootstraps from the junk next value after a termination (masks only the recursion)")
def gae(rewards, values, next_values, terminated, truncated, gamma, lam):  # noqa: F811
    return _gae(rewards, values, next_values, terminated, truncated, gamma, lam, mask_terminated=False)


# --- train_ppo -------------------------------------------------------------------------------------

def _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,
         minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None, *, reset_next=False,
         truncation_ends=False, fresh_old=False, seed_every_reset=False, no_value_step=False, one_pass=False,
         mc_targets=False, cut_terminal=False, last_loss=False):
    from solutions.policy_gradients import gae as _gae_ref  # the reference helper, whatever a mutant shadows
    history = {"returns": [], "lengths": [], "steps": [], "policy_losses": [], "value_losses": []}
    observation, _ = env.reset(seed=seed)
    episode_return, episode_length, steps = 0.0, 0, 0
    while steps < n_steps:
        rows = []
        for _ in range(min(rollout_steps, n_steps - steps)):
            state = torch.as_tensor(observation, dtype=torch.float32)
            with torch.no_grad():
                distribution = torch.distributions.Categorical(logits=policy(state))
                action = distribution.sample()
            observation, reward, terminated, truncated, _ = env.step(int(action))
            final = observation
            steps += 1
            episode_return, episode_length = episode_return + float(reward), episode_length + 1
            if terminated or truncated:
                history["returns"].append(episode_return)
                history["lengths"].append(episode_length)
                episode_return, episode_length = 0.0, 0
                observation, _ = env.reset(seed=seed) if seed_every_reset else env.reset()
            next_state = torch.as_tensor(observation if reset_next else final, dtype=torch.float32)
            rows.append((state, action, distribution.log_prob(action), float(reward), bool(terminated),
                         bool(truncated), next_state))
        states = torch.stack([r[0] for r in rows])
        actions = torch.stack([r[1] for r in rows])
        old_log_probs = torch.stack([r[2] for r in rows])
        rewards = np.array([r[3] for r in rows])
        terminated = np.array([r[4] for r in rows])
        truncated = np.array([r[5] for r in rows])
        next_states = torch.stack([r[6] for r in rows])
        with torch.no_grad():
            values, next_values = value(states).squeeze(-1), value(next_states).squeeze(-1)
        ends = terminated | truncated if truncation_ends else terminated.copy()
        if cut_terminal:  # the rollout's last step counts as terminal unless a time limit cut it
            ends[-1] = ends[-1] or not truncated[-1]
        advantages = _gae_ref(rewards, values.numpy(), next_values.numpy(), ends, truncated, gamma,
                              1.0 if mc_targets else lam)
        advantages = torch.as_tensor(advantages, dtype=torch.float32)
        targets = advantages + values
        policy_losses, value_losses = [], []
        for _ in range(1 if one_pass else epochs):
            for index in torch.randperm(len(states)).split(minibatch_size):
                log_probs = torch.distributions.Categorical(logits=policy(states[index])).log_prob(actions[index])
                weights = normalize_advantages(advantages[index]) if len(index) > 1 else advantages[index]
                old = log_probs.detach() if fresh_old else old_log_probs[index]
                policy_loss = ppo_clip_loss(log_probs, old, weights, epsilon)
                policy_optimizer.zero_grad()
                policy_loss.backward()
                policy_optimizer.step()
                value_loss = ((value(states[index]).squeeze(-1) - targets[index]) ** 2).mean()
                value_optimizer.zero_grad()
                value_loss.backward()
                if not no_value_step:
                    value_optimizer.step()
                policy_losses.append(policy_loss.item())
                value_losses.append(value_loss.item())
        history["steps"].append(steps)
        history["policy_losses"].append(policy_losses[-1] if last_loss else float(np.mean(policy_losses)))
        history["value_losses"].append(value_losses[-1] if last_loss else float(np.mean(value_losses)))
        if callback is not None and callback(history):
            break
    return history


@mutant("train_ppo", "bootstraps a truncated episode from the next episode's first observation")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, reset_next=True)


@mutant("train_ppo", "treats a time limit like a termination (no bootstrap)")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, truncation_ends=True)


@mutant("train_ppo", "recomputes the old log-probabilities in every minibatch (the ratio is always 1)")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, fresh_old=True)


@mutant("train_ppo", "seeds every reset (every episode starts the same)")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, seed_every_reset=True)


@mutant("train_ppo", "never steps the critic's optimizer")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, no_value_step=True)


@mutant("train_ppo", "one pass over the rollout whatever epochs says")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, one_pass=True)


@mutant("train_ppo", "plays whole rollouts past n_steps (the last rollout is not shortened)")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    rounded = -(-n_steps // rollout_steps) * rollout_steps
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, rounded, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback)


@mutant("train_ppo", "treats the rollout's last step as terminal (no bootstrap through the cut)")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, cut_terminal=True)


@mutant("train_ppo", "logs the last minibatch's losses instead of their mean over the update")
def train_ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps=256, epochs=10,  # noqa: F811
              minibatch_size=64, gamma=0.99, lam=0.95, epsilon=0.2, seed=0, callback=None):
    return _ppo(env, policy, value, policy_optimizer, value_optimizer, n_steps, rollout_steps, epochs, minibatch_size,
                gamma, lam, epsilon, seed, callback, last_loss=True)

