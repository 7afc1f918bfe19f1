"""Hidden scenarios for lecture 08, Q-learning.

Tabular updates start from random tables, so a wrong bootstrap term always shows. The episode
loops run on CliffWalking-v1 and on tiny hand-made worlds (a terminal chain, a time limit),
with shared generators over several episodes so that a wrong number of random draws shows.
The DQN loop is driven with a scenario-owned buffer, environment wrappers and callbacks that
record what it does step by step; its helpers (epsilon_greedy, dqn_targets, dqn_loss) are the
student's own, as in the notebook.
"""
import copy
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch
from gymnasium.wrappers import TimeLimit

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

# Each answer cell's kind (issue 24): T transcription, P partial, D design.
EXERCISE_KINDS = {
    "td0_update": "T",          # the TD error is printed in the text
    "epsilon_greedy": "P",      # the distribution is given; validation and the tie rule are designed
    "sarsa_update": "T",        # the update is printed in the text
    "q_learning_update": "T",   # the update is printed in the text
    "episodes": "P",            # the order of events is described; the loops are written
    "replay_buffer": "P",       # the slot rule is given; storage, copies and errors are designed
    "dqn_targets": "T",         # the target is printed in the text
    "double_dqn_targets": "P",  # the idea is taught; ties, terminal junk rows and shape checks are designed
    "dqn_loss": "T",            # the loss is printed in the docstring
    "train_dqn": "D",           # the training loop is designed from a behavioural contract
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(8000 + seed)


# --- epsilon_greedy --------------------------------------------------------------------------------

def _picks(epsilon_greedy, q_values, epsilon, seed, n=60):
    rng = _rng(seed)
    return [epsilon_greedy(q_values, epsilon, rng) for _ in range(n)]


@book.scenario("epsilon_greedy",
               hint="explore with probability epsilon")
def greedy_unique(epsilon_greedy):
    """epsilon = 0 with a unique best action, 60 calls"""
    return _picks(epsilon_greedy, np.array([0.5, -1.0, 2.0, 1.9]), 0.0, 1)


@book.scenario("epsilon_greedy")
def greedy_ties(epsilon_greedy):
    """epsilon = 0 with two tied best actions (random tie-breaking in the documented order)"""
    return _picks(epsilon_greedy, np.array([1.0, 3.0, 0.0, 3.0, -2.0]), 0.0, 2)


@book.scenario("epsilon_greedy",
               hint="break ties among the best actions at random, and draw in the documented order")
def all_tied(epsilon_greedy):
    """epsilon = 0 with all values equal (the start of learning)"""
    return _picks(epsilon_greedy, np.zeros(4), 0.0, 3)


@book.scenario("epsilon_greedy")
def explore_always(epsilon_greedy):
    """epsilon = 1: every call explores, greedy actions included"""
    return _picks(epsilon_greedy, np.array([5.0, 0.0, 0.0]), 1.0, 4)


@book.scenario("epsilon_greedy")
def mixed(epsilon_greedy):
    """epsilon = 0.3 with negative values and a tie, 200 calls"""
    return _picks(epsilon_greedy, np.array([-3.0, -1.0, -1.0, -7.0]), 0.3, 5, n=200)


@book.scenario("epsilon_greedy", atol=0.02,
               hint="exploring picks uniformly among all actions, the greedy ones included")
def frequencies(epsilon_greedy):
    """frequency of each action over 4000 calls with epsilon = 0.2"""
    picks = np.array(_picks(epsilon_greedy, np.array([0.0, 1.0, 0.5]), 0.2, 6, n=4000))
    return np.bincount(picks, minlength=3) / len(picks)


@book.scenario("epsilon_greedy")
def list_and_single(epsilon_greedy):
    """a Python list as q_values, and a single action; the returned type is int"""
    rng = _rng(7)
    picks = [epsilon_greedy([0.0, 2.0, 1.0], 0.5, rng) for _ in range(20)] + [epsilon_greedy([4.0], 0.5, rng)]
    return {"picks": picks, "types": sorted({type(p).__name__ for p in picks})}


@book.scenario("epsilon_greedy")
def leaves_input(epsilon_greedy):
    """q_values is not modified"""
    q = np.array([1.0, 3.0, 3.0])
    epsilon_greedy(q, 0.5, _rng(8))
    return q


@book.scenario("epsilon_greedy",
               hint="check epsilon and the shape of the values")
def errors(epsilon_greedy):
    """epsilon outside [0, 1], empty or 2-D q_values raise ValueError; the ends 0 and 1 are allowed"""
    q = np.array([1.0, 2.0])
    return [error_name(epsilon_greedy, q, -0.1, _rng(9)), error_name(epsilon_greedy, q, 1.1, _rng(9)),
            error_name(epsilon_greedy, np.array([]), 0.1, _rng(9)),
            error_name(epsilon_greedy, np.zeros((2, 2)), 0.1, _rng(9)),
            error_name(epsilon_greedy, q, 0.0, _rng(9)), error_name(epsilon_greedy, q, 1.0, _rng(9))]


# --- td0_update -------------------------------------------------------------------------------------

def _td0(td0_update, V, *args):
    V = V.copy()
    delta = td0_update(V, *args)
    return {"delta": delta, "type": type(delta).__name__, "V": V}


@book.scenario("td0_update",
               hint="the update is the TD error scaled by the step size")
def td0_random(td0_update):
    """a transition between two states of a random value table"""
    return _td0(td0_update, _rng(10).normal(size=6), 1, -0.5, 4, False, 0.3, 0.9)


@book.scenario("td0_update",
               hint="a terminal transition does not bootstrap")
def td0_terminal(td0_update):
    """a terminal transition into a state whose table entry is not 0"""
    return _td0(td0_update, _rng(11).normal(size=5), 2, 1.5, 3, True, 0.5, 0.9)


@book.scenario("td0_update")
def td0_self_loop(td0_update):
    """a transition from a state back to itself"""
    return _td0(td0_update, np.array([1.0, 2.0, 3.0]), 1, 1.0, 1, False, 0.5, 0.5)


@book.scenario("td0_update")
def td0_sequence(td0_update):
    """25 updates along a random trajectory with alpha = 0.1, gamma = 1"""
    rng = _rng(12)
    V = rng.normal(size=5)
    states = rng.integers(5, size=26)
    deltas = [td0_update(V, int(s), float(r), int(n), bool(d), 0.1, 1.0)
              for s, n, r, d in zip(states[:-1], states[1:], rng.normal(size=25), rng.random(25) < 0.2)]
    return {"deltas": deltas, "V": V}


@book.scenario("td0_update",
               hint="update the current state, and return the TD error from before the update")
def td0_myopic(td0_update):
    """gamma = 0 and alpha = 1: V[state] becomes the reward"""
    return _td0(td0_update, np.array([4.0, -2.0]), 0, 1.0, 1, False, 1.0, 0.0)


# --- sarsa_update and q_learning_update -----------------------------------------------------------

def _table_update(update, Q, *args):
    Q = Q.copy()
    delta = update(Q, *args)
    return {"delta": delta, "type": type(delta).__name__, "Q": Q}


@book.scenario("sarsa_update",
               hint="SARSA bootstraps from the next action actually chosen, and updates only that state and action")
def sarsa_random(sarsa_update):
    """a transition in a random Q-table, next action not the best one"""
    Q = _rng(20).normal(size=(5, 3))
    next_action = int(np.argmin(Q[2]))
    return _table_update(sarsa_update, Q, 0, 1, -1.0, 2, next_action, False, 0.4, 0.9)


@book.scenario("sarsa_update",
               hint="a terminal transition does not bootstrap")
def sarsa_terminal(sarsa_update):
    """a terminal transition: the next state's entries are ignored"""
    return _table_update(sarsa_update, _rng(21).normal(size=(4, 2)) + 3.0, 1, 0, 2.0, 3, 1, True, 0.5, 0.9)


@book.scenario("sarsa_update",
               hint="use the next action in the next state")
def sarsa_same_state(sarsa_update):
    """the next state equals the state (a bump into a wall)"""
    return _table_update(sarsa_update, np.array([[1.0, 2.0], [0.0, 0.0]]), 0, 0, -1.0, 0, 1, False, 0.5, 1.0)


@book.scenario("sarsa_update")
def sarsa_sequence(sarsa_update):
    """30 updates on random transitions, alpha = 0.2, gamma = 0.95"""
    rng = _rng(22)
    Q = rng.normal(size=(6, 4))
    deltas = [sarsa_update(Q, int(rng.integers(6)), int(rng.integers(4)), float(rng.normal()), int(rng.integers(6)),
                           int(rng.integers(4)), bool(rng.random() < 0.2), 0.2, 0.95) for _ in range(30)]
    return {"deltas": deltas, "Q": Q}


@book.scenario("q_learning_update",
               hint="bootstrap from the best next action")
def q_random(q_learning_update):
    """a transition in a random Q-table"""
    return _table_update(q_learning_update, _rng(30).normal(size=(5, 3)), 0, 1, -1.0, 2, False, 0.4, 0.9)


@book.scenario("q_learning_update",
               hint="the best next value is the largest, not the largest in absolute value")
def q_negative(q_learning_update):
    """all next values negative: the max is the least negative one"""
    return _table_update(q_learning_update, -np.abs(_rng(31).normal(size=(4, 4))) - 1.0, 0, 2, -1.0, 3, False, 0.5, 1.0)


@book.scenario("q_learning_update",
               hint="a terminal transition does not bootstrap")
def q_terminal(q_learning_update):
    """a terminal transition: the next state's entries are ignored"""
    return _table_update(q_learning_update, _rng(32).normal(size=(4, 2)) + 3.0, 1, 0, 2.0, 3, True, 0.5, 0.9)


@book.scenario("q_learning_update")
def q_sequence(q_learning_update):
    """30 updates on random transitions, alpha = 0.2, gamma = 0.95"""
    rng = _rng(33)
    Q = rng.normal(size=(6, 4))
    deltas = [q_learning_update(Q, int(rng.integers(6)), int(rng.integers(4)), float(rng.normal()),
                                int(rng.integers(6)), bool(rng.random() < 0.2), 0.2, 0.95) for _ in range(30)]
    return {"deltas": deltas, "Q": Q}


# --- sarsa_episode and q_learning_episode ---------------------------------------------------------

class _Chain(gym.Env):
    """States 0 .. n-1 in a row; action 1 moves right, action 0 stays; reaching n-1 ends the episode.

    Every step costs -1, the final step pays ``final``. ``resets`` records each reset's seed.
    """

    def __init__(self, n: int = 4, final: float = 5.0):
        self.observation_space = gym.spaces.Discrete(n)
        self.action_space = gym.spaces.Discrete(2)
        self.n, self.final, self.state, self.resets = n, final, 0, []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.resets.append(seed)
        self.state = 0
        return 0, {}

    def step(self, action):
        self.state = min(self.state + int(action), self.n - 1)
        done = self.state == self.n - 1
        return self.state, self.final if done else -1.0, done, False, {}


def _episodes(play, env, n_episodes, epsilon, alpha, gamma, seed, Q):
    rng = _rng(seed)
    runs = [play(env, Q, epsilon, alpha, gamma, rng) for _ in range(n_episodes)]
    return {"totals": [r[0] for r in runs], "steps": [r[1] for r in runs],
            "types": sorted({f"{type(r[0]).__name__},{type(r[1]).__name__}" for r in runs}), "Q": Q,
            "next_draw": float(rng.random())}


# CliffWalking and the chain set no step limit of their own, so a loop that never reaches the goal
# would play forever; these caps lie far above any episode the reference plays here (at most 495
# steps on the cliff, 8 on the chain), so they never cut a correct run and a wrong one still ends.
CLIFF_STEP_CAP, CHAIN_STEP_CAP = 2000, 200


def _cliff_scenario(play, seed, n_episodes=15, epsilon=0.1):
    Q = _rng(seed).normal(scale=0.1, size=(48, 4))
    env = gym.make("CliffWalking-v1", max_episode_steps=CLIFF_STEP_CAP)
    return _episodes(play, env, n_episodes, epsilon, 0.5, 1.0, seed, Q)


def _chain_scenario(play, seed):
    env = _Chain()
    Q = _rng(seed).normal(size=(4, 2)) + 2.0
    result = _episodes(play, TimeLimit(env, max_episode_steps=CHAIN_STEP_CAP), 6, 0.3, 0.5, 0.9, seed, Q)
    result["reset_seeds"] = [s is None for s in env.resets]
    return result


def _truncated_scenario(play, seed):
    env = TimeLimit(_Chain(n=50), max_episode_steps=6)
    Q = _rng(seed).normal(size=(50, 2)) + 2.0
    return _episodes(play, env, 3, 0.5, 0.5, 0.9, seed, Q)


@book.scenario("sarsa_episode",
               hint="choose the next action before the update and then take that same action")
def sarsa_cliff(sarsa_episode):
    """15 SARSA episodes on CliffWalking-v1 from a random Q, epsilon = 0.1, one generator"""
    return _cliff_scenario(sarsa_episode, 40)


@book.scenario("sarsa_episode")
def sarsa_cliff_greedy(sarsa_episode):
    """10 SARSA episodes on CliffWalking-v1 with epsilon = 0"""
    return _cliff_scenario(sarsa_episode, 41, n_episodes=10, epsilon=0.0)


@book.scenario("sarsa_episode")
def sarsa_chain(sarsa_episode):
    """6 SARSA episodes on a short chain that ends with a reward (terminal, no bootstrap)"""
    return _chain_scenario(sarsa_episode, 42)


@book.scenario("sarsa_episode",
               hint="a truncated step still bootstraps")
def sarsa_truncated(sarsa_episode):
    """3 SARSA episodes cut by a 6-step time limit (truncation still bootstraps)"""
    return _truncated_scenario(sarsa_episode, 43)


@book.scenario("q_learning_episode",
               hint="terminated and truncated are different: pass on the right one")
def q_cliff(q_learning_episode):
    """15 Q-learning episodes on CliffWalking-v1 from a random Q, epsilon = 0.1, one generator"""
    return _cliff_scenario(q_learning_episode, 50)


@book.scenario("q_learning_episode")
def q_cliff_greedy(q_learning_episode):
    """10 Q-learning episodes on CliffWalking-v1 with epsilon = 0"""
    return _cliff_scenario(q_learning_episode, 51, n_episodes=10, epsilon=0.0)


@book.scenario("q_learning_episode",
               hint="seed the environment only at the first reset")
def q_chain(q_learning_episode):
    """6 Q-learning episodes on a short chain that ends with a reward (terminal, no bootstrap)"""
    return _chain_scenario(q_learning_episode, 52)


@book.scenario("q_learning_episode",
               hint="a truncated step still bootstraps")
def q_truncated(q_learning_episode):
    """3 Q-learning episodes cut by a 6-step time limit (truncation still bootstraps)"""
    return _truncated_scenario(q_learning_episode, 53)


# --- ReplayBuffer ---------------------------------------------------------------------------------

def _transition(i: int, obs_dim: int = 3):
    obs = np.arange(obs_dim, dtype=np.float64) + 10.0 * i
    return obs, i % 3, 0.5 * i - 1.0, obs + 0.25, i % 4 == 3


def _batch_data(batch: dict) -> dict:
    return {key: np.asarray(value) for key, value in batch.items()} | {
        "dtypes": {key: str(np.asarray(value).dtype) for key, value in batch.items()},
        "shapes": {key: list(np.shape(value)) for key, value in batch.items()}}


@book.scenario("ReplayBuffer",
               hint="once full, the oldest transition is overwritten")
def buffer_wraps(ReplayBuffer):
    """capacity 5: len after each of 12 adds, then a batch of 16 (the oldest transitions overwritten)"""
    buffer = ReplayBuffer(5, 3)
    lengths = [len(buffer)]
    for i in range(12):
        buffer.add(*_transition(i))
        lengths.append(len(buffer))
    return {"lengths": lengths, "batch": _batch_data(buffer.sample(16, _rng(60)))}


@book.scenario("ReplayBuffer",
               hint="sample only stored transitions, and keep the documented dtypes")
def buffer_partial(ReplayBuffer):
    """capacity 100 holding 7 transitions: batches only draw stored ones"""
    buffer = ReplayBuffer(100, 3)
    for i in range(7):
        buffer.add(*_transition(i))
    rng = _rng(61)
    return [_batch_data(buffer.sample(size, rng)) for size in (1, 10, 30)]


@book.scenario("ReplayBuffer")
def buffer_copies(ReplayBuffer):
    """changing an added observation or a sampled batch afterwards does not change the buffer"""
    buffer = ReplayBuffer(4, 2)
    obs, next_obs = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    buffer.add(obs, 1, 1.0, next_obs, False)
    obs[:] = -99.0
    next_obs[:] = -99.0
    batch = buffer.sample(3, _rng(62))
    for value in batch.values():
        value[...] = 0
    return _batch_data(buffer.sample(3, _rng(62)))


@book.scenario("ReplayBuffer",
               hint="a full buffer keeps taking new transitions, and its length never exceeds the capacity")
def buffer_capacity_one(ReplayBuffer):
    """capacity 1 keeps only the newest transition"""
    buffer = ReplayBuffer(1, 3)
    for i in range(3):
        buffer.add(*_transition(i))
    return {"len": len(buffer), "batch": _batch_data(buffer.sample(4, _rng(63)))}


@book.scenario("ReplayBuffer")
def buffer_cartpole(ReplayBuffer):
    """transitions of a CartPole episode (float32 observations, tensors not needed)"""
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=3)
    buffer = ReplayBuffer(50, 4)
    rng = _rng(64)
    done = False
    while not done:
        action = int(rng.integers(2))
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        obs, done = next_obs, terminated or truncated
    return {"len": len(buffer), "batch": _batch_data(buffer.sample(8, rng))}


@book.scenario("ReplayBuffer",
               hint="a capacity that is not positive is an error")
def buffer_errors(ReplayBuffer):
    """capacity 0 raises ValueError; sampling an empty buffer raises ValueError"""
    return [error_name(ReplayBuffer, 0, 3), error_name(ReplayBuffer(3, 2).sample, 2, _rng(65))]


# --- dqn_targets and dqn_loss ---------------------------------------------------------------------

def _net(seed: int, obs_dim: int = 4, n_actions: int = 3) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(obs_dim, 8), torch.nn.Tanh(), torch.nn.Linear(8, n_actions))


def _batch(seed: int, size: int = 10, obs_dim: int = 4, n_actions: int = 3):
    rng = _rng(seed)
    return {"obs": rng.normal(size=(size, obs_dim)).astype(np.float32),
            "actions": rng.integers(n_actions, size=size),
            "rewards": rng.normal(size=size).astype(np.float32),
            "next_obs": rng.normal(size=(size, obs_dim)).astype(np.float32),
            "terminated": rng.random(size) < 0.3}


def _targets_data(y) -> dict:
    return {"y": y.detach().numpy(), "dtype": str(y.dtype), "shape": list(y.shape),
            "requires_grad": bool(y.requires_grad)}


@book.scenario("dqn_targets", rtol=1e-5, atol=1e-6)
def targets_mixed(dqn_targets):
    """a batch of 10 with some terminal transitions, gamma = 0.99"""
    b = _batch(70)
    return _targets_data(dqn_targets(b["rewards"], b["next_obs"], b["terminated"], _net(1), 0.99))


@book.scenario("dqn_targets", rtol=1e-5, atol=1e-6,
               hint="terminal transitions do not bootstrap")
def targets_all_terminal(dqn_targets):
    """every transition terminal: the targets are the rewards"""
    b = _batch(71)
    return _targets_data(dqn_targets(b["rewards"], b["next_obs"], np.ones(10, dtype=bool), _net(2), 0.9))


@book.scenario("dqn_targets", rtol=1e-5, atol=1e-6,
               hint="bootstrap from the best next action of each transition")
def targets_tensors(dqn_targets):
    """inputs given as tensors, gamma = 0.5, no terminal transition"""
    b = _batch(72)
    y = dqn_targets(torch.tensor(b["rewards"]), torch.tensor(b["next_obs"]), torch.zeros(10, dtype=torch.bool),
                    _net(3), 0.5)
    return _targets_data(y)


@book.scenario("dqn_targets", rtol=1e-5, atol=1e-6)
def targets_float64(dqn_targets):
    """float64 NumPy rewards and observations: the network still gets float32, the targets are float32"""
    b = _batch(74)
    y = dqn_targets(b["rewards"].astype(np.float64), b["next_obs"].astype(np.float64), b["terminated"], _net(5), 0.9)
    return _targets_data(y)


def _junk_batch(seed: int) -> dict:
    """A batch whose terminal rows of next_obs hold NaN, and one of them inf."""
    b = _batch(seed)
    b["next_obs"][b["terminated"]] = np.nan
    b["next_obs"][np.flatnonzero(b["terminated"])[:1]] = np.inf
    return b


@book.scenario("dqn_targets", rtol=1e-5, atol=1e-6,
               hint="a terminal next state may hold junk: select the reward there rather than multiply by zero")
def targets_terminal_junk(dqn_targets):
    """terminal rows of next_obs hold NaN and inf: the targets there are the rewards, all finite"""
    b = _junk_batch(75)
    y = dqn_targets(b["rewards"], b["next_obs"], b["terminated"], _net(76), 0.99)
    return _targets_data(y) | {"finite": bool(torch.isfinite(y).all())}


factories.inputs_unchanged(
    book, "dqn_targets", lambda: (*(_batch(77)[k] for k in ("rewards", "next_obs", "terminated")), _net(78), 0.9))


@book.scenario("dqn_targets",
               hint="compute the targets without gradient tracking")
def targets_no_gradient(dqn_targets):
    """no gradient reaches the target network"""
    net = _net(4)
    b = _batch(73)
    y = dqn_targets(b["rewards"], b["next_obs"], b["terminated"], net, 0.99)
    if y.requires_grad:
        y.sum().backward()
    return [p.grad is None for p in net.parameters()]


# --- double_dqn_targets ------------------------------------------------------------------------------

def _double(double_dqn_targets, seed, gamma=0.99, **changes):
    b = {**_batch(seed), **changes}
    return double_dqn_targets(b["rewards"], b["next_obs"], b["terminated"], _net(seed + 1), _net(seed + 2), gamma)


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6,
               hint="the online network chooses the next action and the target network values it")
def double_mixed(double_dqn_targets):
    """a batch of 10 with some terminal transitions, online and target networks different"""
    return _targets_data(_double(double_dqn_targets, 90))


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6,
               hint="the online network chooses the next action and the target network values it")
def double_many_actions(double_dqn_targets):
    """6 actions, 40 transitions, none terminal, gamma = 0.9: where the networks disagree on the best action"""
    rng = _rng(91)
    next_obs = rng.normal(size=(40, 4)).astype(np.float32)
    online, target = _net(92, 4, 6), _net(93, 4, 6)
    y = double_dqn_targets(rng.normal(size=40).astype(np.float32), next_obs, np.zeros(40, dtype=bool), online, target,
                           0.9)
    return _targets_data(y)


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6, hint="terminal transitions do not bootstrap")
def double_all_terminal(double_dqn_targets):
    """every transition terminal: the targets are the rewards"""
    return _targets_data(_double(double_dqn_targets, 94, terminated=np.ones(10, dtype=bool)))


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6,
               hint="a terminal next state may hold junk: select the reward there rather than multiply by zero")
def double_terminal_junk(double_dqn_targets):
    """terminal rows of next_obs hold NaN and inf: the targets there are the rewards, all finite"""
    b = _junk_batch(95)
    y = double_dqn_targets(b["rewards"], b["next_obs"], b["terminated"], _net(96), _net(97), 0.99)
    return _targets_data(y) | {"finite": bool(torch.isfinite(y).all())}


class _Fixed(torch.nn.Module):
    """A network that returns the same row of Q-values for every observation."""

    def __init__(self, row):
        super().__init__()
        self.row = torch.nn.Parameter(torch.tensor(row, dtype=torch.float32))

    def forward(self, obs):
        return self.row.expand(len(obs), -1) + 0.0 * obs[:, :1]


@book.scenario("double_dqn_targets", rtol=1e-6, atol=1e-6,
               hint="where the online values tie, take the lowest action index")
def double_ties(double_dqn_targets):
    """online values tied between actions 1 and 2: the lowest index (1) is valued by the target network"""
    y = double_dqn_targets(np.zeros(3, dtype=np.float32), np.ones((3, 2), dtype=np.float32), np.zeros(3, dtype=bool),
                           _Fixed([0.0, 2.0, 2.0]), _Fixed([7.0, 1.0, 5.0]), 0.5)
    return _targets_data(y)


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6)
def double_tensors(double_dqn_targets):
    """inputs given as tensors, gamma = 0 and gamma = 1"""
    b = _batch(98)
    args = (torch.tensor(b["rewards"]), torch.tensor(b["next_obs"]), torch.tensor(b["terminated"]), _net(99), _net(100))
    return [_targets_data(double_dqn_targets(*args, 0.0)), _targets_data(double_dqn_targets(*args, 1.0))]


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6,
               hint="when both networks are the same, the target is the ordinary DQN target")
def double_same_network(double_dqn_targets):
    """one network in both roles: the ordinary DQN targets"""
    b, net = _batch(101), _net(102)
    return _targets_data(double_dqn_targets(b["rewards"], b["next_obs"], b["terminated"], net, net, 0.95))


factories.returned_dtype(
    book, "double_dqn_targets",
    lambda: (np.arange(5, dtype=np.int64), _batch(103, 5)["next_obs"].astype(np.float64), np.array([0, 1, 0, 0, 1]),
             _net(104), _net(105), 0.9),
    "integer rewards, float64 observations and 0/1 flags give a float32 tensor", rtol=1e-5, atol=1e-6)
factories.returned_dtype(
    book, "double_dqn_targets",
    lambda: (_batch(114)["rewards"].astype(np.float64), _batch(114)["next_obs"], _batch(114)["terminated"], _net(115),
             _net(116), 0.9),
    "float64 rewards give a float32 tensor", rtol=1e-5, atol=1e-6)
factories.inputs_unchanged(
    book, "double_dqn_targets", lambda: (*(_batch(106)[k] for k in ("rewards", "next_obs", "terminated")),
                                         _net(107), _net(108), 0.9))
factories.detached(book, "double_dqn_targets",
                   lambda: (*(_batch(109)[k] for k in ("rewards", "next_obs", "terminated")), _net(110), _net(111), 0.9))
factories.raises(book, "double_dqn_targets", {
    "next_obs 1-D": lambda: (np.zeros(4), np.zeros(4), np.zeros(4, dtype=bool), _net(112), _net(113), 0.9),
    "rewards one short": lambda: (np.zeros(3), np.zeros((4, 4)), np.zeros(4, dtype=bool), _net(112), _net(113), 0.9),
    "a single terminated flag": lambda: (np.zeros(4), np.zeros((4, 4)), np.zeros(1, dtype=bool), _net(112), _net(113),
                                         0.9),
    "rewards as a column": lambda: (np.zeros((4, 1)), np.zeros((4, 4)), np.zeros(4, dtype=bool), _net(112), _net(113),
                                    0.9),
    "terminated one long": lambda: (np.zeros(4), np.zeros((4, 4)), np.zeros(5, dtype=bool), _net(112), _net(113), 0.9),
})


def _loss_data(dqn_loss, seed, targets_scale, actions=None, obs_dtype=np.float32):
    net = _net(seed)
    b = _batch(seed)
    targets = torch.tensor(_rng(seed + 100).normal(scale=targets_scale, size=10), dtype=torch.float32)
    loss = dqn_loss(net, b["obs"].astype(obs_dtype), b["actions"] if actions is None else actions, targets)
    loss.backward()
    return {"loss": loss.item(), "dim": loss.dim(), "dtype": str(loss.dtype),
            "grads": [p.grad.numpy().copy() for p in net.parameters()]}


@book.scenario("dqn_loss", rtol=1e-4, atol=1e-6,
               hint="the Huber loss of the taken action's value, averaged over the batch, with matching shapes")
def loss_small_errors(dqn_loss):
    """targets near the Q-values (the quadratic part of the Huber loss): value and gradients"""
    return _loss_data(dqn_loss, 80, 0.3)


@book.scenario("dqn_loss", rtol=1e-4, atol=1e-6)
def loss_large_errors(dqn_loss):
    """targets far from the Q-values (the linear part): value and gradients"""
    return _loss_data(dqn_loss, 81, 5.0)


@book.scenario("dqn_loss", rtol=1e-4, atol=1e-6)
def loss_tensor_actions(dqn_loss):
    """actions given as a tensor, all the same action"""
    return _loss_data(dqn_loss, 82, 1.0, actions=torch.full((10,), 2))


@book.scenario("dqn_loss", rtol=1e-4, atol=1e-6)
def loss_float64_obs(dqn_loss):
    """float64 NumPy observations (the network still gets float32)"""
    return _loss_data(dqn_loss, 83, 1.0, obs_dtype=np.float64)


@book.scenario("dqn_loss", rtol=1e-4, atol=1e-6)
def loss_int16_actions(dqn_loss):
    """actions as an int16 NumPy array (the docstring allows any integer dtype)"""
    return _loss_data(dqn_loss, 84, 1.0, actions=_batch(84)["actions"].astype(np.int16))


# --- train_dqn --------------------------------------------------------------------------------------
# The loop is specified by behaviour, not by an order of calls, so these scenarios never compare
# trajectories with the reference's: each returns facts every correct loop shares (when it
# learned, when the target was in sync, whether the buffer holds exactly what the world did,
# whether a gradient step is the one the batch asks for).

class _LogBuffer:
    """A replay buffer that follows the exercise's specification and records what is added and sampled."""

    def __init__(self, capacity: int, obs_dim: int):
        self.capacity, self.items, self.log, self.batch_sizes, self.batches = capacity, [], [], [], []
        self.rng_states = []  # the generator's state before and after each sample

    def __len__(self):
        return len(self.items)

    def add(self, obs, action, reward, next_obs, terminated):
        item = (np.array(obs, dtype=np.float32), int(action), float(reward), np.array(next_obs, dtype=np.float32),
                bool(terminated))
        self.log.append((item[0].tolist(), item[1], item[2], item[3].tolist(), item[4]))
        if len(self.items) < self.capacity:
            self.items.append(item)
        else:
            self.items[(len(self.log) - 1) % self.capacity] = item

    def sample(self, batch_size, rng):
        self.batch_sizes.append(batch_size)
        before = rng.bit_generator.state
        slots = rng.integers(0, len(self.items), size=batch_size)
        self.rng_states.append((before, rng.bit_generator.state))
        picked = [self.items[i] for i in slots]
        batch = {"obs": np.stack([p[0] for p in picked]), "actions": np.array([p[1] for p in picked], dtype=np.int64),
                 "rewards": np.array([p[2] for p in picked], dtype=np.float32),
                 "next_obs": np.stack([p[3] for p in picked]),
                 "terminated": np.array([p[4] for p in picked], dtype=bool)}
        self.batches.append({key: value.copy() for key, value in batch.items()})
        return batch


class _WorldLog(gym.Wrapper):
    """Records the seed of every reset and every step as the world saw it."""

    def __init__(self, env):
        super().__init__(env)
        self.seeds, self.steps, self._obs = [], [], None

    def reset(self, *, seed=None, options=None):
        self.seeds.append(seed)
        self._obs, info = self.env.reset(seed=seed, options=options)
        return self._obs, info

    def step(self, action):
        next_obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps.append((np.asarray(self._obs, dtype=np.float32).tolist(), int(action), float(reward),
                           np.asarray(next_obs, dtype=np.float32).tolist(), bool(terminated), bool(truncated)))
        self._obs = next_obs
        return next_obs, reward, terminated, truncated, info


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def _episodes_of(world: _WorldLog) -> tuple[list[int], list[float]]:
    """The steps at which the world ended an episode, and each episode's return."""
    ends, returns, total = [], [], 0.0
    for t, (_, _, reward, _, terminated, truncated) in enumerate(world.steps, start=1):
        total += reward
        if terminated or truncated:
            ends.append(t)
            returns.append(total)
            total = 0.0
    return ends, returns


def _run_dqn(train_dqn, *, env=None, n_steps=200, epsilon=lambda t: 1.0, stop_at=None, net_seed=5, **options):
    """Train a tiny network on a logged world; report what any correct loop must have done."""
    world = _WorldLog(env if env is not None else gym.make("CartPole-v1"))
    q_net, target_net = _net(net_seed, 4, 2), _net(net_seed + 1, 4, 2)
    buffer = _LogBuffer(options.pop("capacity", 1000), 4)
    trace = {"updated": [], "synced": [], "calls": []}
    previous = [p.detach().clone() for p in q_net.parameters()]

    def callback(t, net):
        trace["calls"].append(t)
        trace["updated"].append(not all(torch.equal(p, q) for p, q in zip(net.parameters(), previous)))
        previous[:] = [p.detach().clone() for p in net.parameters()]
        trace["synced"].append(_same_weights(net, target_net))
        return stop_at is not None and t >= stop_at

    history = train_dqn(world, q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.01), buffer, n_steps,
                        epsilon, seed=options.pop("seed", 0), callback=callback, **options)
    ends, returns = _episodes_of(world)
    stored = [(obs, action, reward, next_obs, terminated) for obs, action, reward, next_obs, terminated, _ in world.steps]
    return {"keys": sorted(history), "steps": history["steps"], "world steps": len(world.steps),
            "updated at": [t for t, changed in zip(trace["calls"], trace["updated"]) if changed],
            "out of sync at": [t for t, synced in zip(trace["calls"], trace["synced"]) if not synced],
            "calls": trace["calls"], "losses": len(history["losses"]),
            "losses finite": bool(np.all(np.isfinite(np.asarray(history["losses"], dtype=float)))),
            "batch sizes": sorted(set(buffer.batch_sizes)), "samples": len(buffer.batch_sizes),
            "buffer holds the world's transitions": buffer.log == stored,
            "episodes as the world ended them": history["episode_ends"] == ends
            and np.allclose(history["episode_returns"], returns),
            "first reset seed": world.seeds[0] if world.seeds else "no reset",
            "later resets seeded": any(seed is not None for seed in world.seeds[1:])}


@book.scenario("train_dqn",
               hint="learn only once enough transitions are stored, at the documented steps, and refresh the target after learning")
def dqn_schedule(train_dqn):
    """CartPole, 200 steps, random actions: when it learns and syncs the target, what it stores, its episodes"""
    return _run_dqn(train_dqn, n_steps=200, learning_starts=50, train_every=3, target_every=40, batch_size=8,
                    gamma=0.9, seed=11)


@book.scenario("train_dqn",
               hint="explore with the probability the schedule gives for the step before, and act greedily otherwise")
def dqn_greedy_actions(train_dqn):
    """300 steps, no learning, epsilon(t - 1) = 1 every third step and 0 otherwise: greedy steps take q_net's best
    action, exploring steps pick at random"""
    world = _WorldLog(gym.make("CartPole-v1"))
    q_net = _net(30, 4, 2)
    train_dqn(world, q_net, _net(31, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.01), _LogBuffer(1000, 4), 300,
              lambda t: 1.0 if t % 3 == 1 else 0.0, learning_starts=10_000, seed=12)
    with torch.no_grad():
        best = q_net(torch.tensor([obs for obs, *_ in world.steps])).argmax(dim=1).numpy()
    actions = np.array([action for _, action, *_ in world.steps])
    exploring = np.arange(1, len(actions) + 1) % 3 == 2  # step t explores when (t - 1) % 3 == 1
    agreement = float(np.mean(actions[exploring] == best[exploring]))
    return {"steps": len(actions), "greedy steps take the best action": bool(np.all(actions[~exploring] == best[~exploring])),
            "exploring steps look random": 0.25 < agreement < 0.75}


@book.scenario("train_dqn", hint="stop when the callback asks to")
def dqn_stop(train_dqn):
    """the callback stops training at step 37"""
    return _run_dqn(train_dqn, n_steps=100, stop_at=37, learning_starts=10, train_every=2, target_every=10,
                    batch_size=4, seed=13)


@book.scenario("train_dqn",
               hint="copy the network into the target first, store truncation as not terminal, and move on to the next observation")
def dqn_truncation(train_dqn):
    """a 5-step time limit, greedy actions: truncated steps are stored as not terminated, episodes recorded"""
    return _run_dqn(train_dqn, env=gym.make("CartPole-v1", max_episode_steps=5), n_steps=60,
                    epsilon=lambda t: 0.0, learning_starts=1000, seed=14)


@book.scenario("train_dqn")
def dqn_defaults(train_dqn):
    """default settings for 120 steps (no learning before 1000 stored transitions, target every 500)"""
    return _run_dqn(train_dqn, n_steps=120)


def _huber_step(q_net, target_net, batch, gamma, lr, double):
    """The weights after one plain SGD step on the mean Huber loss of ``batch`` (the scenario's own computation)."""
    online = copy.deepcopy(q_net)
    obs, next_obs = torch.tensor(batch["obs"]), torch.tensor(batch["next_obs"])
    with torch.no_grad():
        next_q = target_net(next_obs)
        chosen = (online(next_obs) if double else next_q).argmax(dim=1, keepdim=True)
        bootstrap = torch.where(torch.tensor(batch["terminated"]), 0.0, next_q.gather(1, chosen).squeeze(1))
        targets = torch.tensor(batch["rewards"]) + gamma * bootstrap
    taken = online(obs).gather(1, torch.tensor(batch["actions"]).unsqueeze(1)).squeeze(1)
    torch.nn.functional.smooth_l1_loss(taken, targets).backward()
    with torch.no_grad():
        return [p - lr * p.grad for p in online.parameters()]


def _one_step_check(train_dqn, double: bool | None, seed: int, gamma: float | None = 0.9) -> dict:
    """Train until step 25 (learning from step 20, target fixed); compare step 25's change of the weights
    with one SGD step on the batch it sampled, the target network never refreshed. ``None`` leaves
    ``double`` or ``gamma`` at its default (False, 0.99)."""
    q_net, target_net = _net(seed, 4, 2), _net(seed + 1, 4, 2)
    buffer, checked = _LogBuffer(1000, 4), {}
    state = {}

    def callback(t, net):
        if t == 24:
            state["before"] = copy.deepcopy(net)
            state["target"] = copy.deepcopy(target_net)
        if t == 25:
            expected = _huber_step(state["before"], state["target"], buffer.batches[-1],
                                   0.99 if gamma is None else gamma, 0.5, bool(double))
            checked["largest difference"] = max(float((p.detach() - e).abs().max()) for p, e in zip(net.parameters(), expected))
            checked["batches"] = len(buffer.batches)
        return t >= 25

    options = {key: value for key, value in (("gamma", gamma), ("double", double)) if value is not None}
    train_dqn(gym.make("CartPole-v1"), q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.5), buffer, 100,
              lambda t: 1.0, batch_size=16, learning_starts=20, train_every=1, target_every=1000,
              seed=seed, callback=callback, **options)
    return checked


@book.scenario("train_dqn", atol=1e-5,
               hint="each update is one step on the sampled batch's loss, with fresh gradients and the target network's targets")
def dqn_one_step(train_dqn):
    """step 25's update equals one SGD step on the Huber loss of the batch it sampled (DQN targets)"""
    return _one_step_check(train_dqn, False, 40)


@book.scenario("train_dqn", atol=1e-5,
               hint="with double set, the targets are the Double DQN ones")
def dqn_one_step_double(train_dqn):
    """with double=True, step 25's update uses Double DQN targets (online net chooses, target net values)"""
    return _one_step_check(train_dqn, True, 41)


@book.scenario("train_dqn", atol=1e-5,
               hint="by default the discount is 0.99 and the targets are the plain DQN ones")
def dqn_one_step_defaults(train_dqn):
    """gamma and double left at their defaults (0.99, plain DQN targets): step 25's update"""
    return _one_step_check(train_dqn, None, 42, gamma=None)


@book.scenario("train_dqn",
               hint="draw every random choice from one generator made from the seed")
def dqn_reproducible(train_dqn):
    """two runs with equal arguments store the same transitions; another seed gives other actions"""
    def actions(seed):
        world, q_net = _WorldLog(gym.make("CartPole-v1")), _net(50, 4, 2)
        history = train_dqn(world, q_net, _net(51, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.05),
                            _LogBuffer(500, 4), 80, lambda t: 0.5, batch_size=8, learning_starts=20, target_every=15,
                            seed=seed)
        return [a for _, a, *_ in world.steps], history["losses"]
    first, second, other = actions(3), actions(3), actions(4)
    return {"same seed, same run": first == second, "other seed, other actions": first[0] != other[0]}


@book.scenario("train_dqn",
               hint="draw every random choice from one generator made from the seed")
def dqn_one_generator(train_dqn):
    """one generator for everything: the one that samples batches has also drawn before the first and between batches"""
    q_net, buffer = _net(52, 4, 2), _LogBuffer(500, 4)
    train_dqn(gym.make("CartPole-v1"), q_net, _net(53, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.05), buffer,
              40, lambda t: 0.5, batch_size=8, learning_starts=10, train_every=2, target_every=15, seed=7)
    states = buffer.rng_states
    return {"batches": len(states),
            "used before the first batch": bool(states) and states[0][0] != np.random.default_rng(7).bit_generator.state,
            "used between batches": all(after != before for (_, after), (before, _) in zip(states, states[1:]))}


class _Bandit(gym.Env):
    """One step per episode from the observation (1, 0, 0, 0): action 1 pays 1, action 0 pays 0."""

    observation_space = gym.spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)
    obs_dtype = np.float32

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.array([1.0, 0.0, 0.0, 0.0], dtype=self.obs_dtype), {}

    def step(self, action):
        return np.array([1.0, 0.0, 0.0, 0.0], dtype=self.obs_dtype), float(action == 1), True, False, {}


class _Bandit64(_Bandit):
    """The same world with float64 observations (as many gymnasium environments give)."""

    observation_space = gym.spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float64)
    obs_dtype = np.float64


class _Probe(torch.nn.Module):
    """A network that records, for every call on a single observation, whether gradient recording was on."""

    def __init__(self, seed: int):
        super().__init__()
        self.net, self.single_calls = _net(seed, 4, 2), []
        with torch.no_grad():
            self.net[2].bias += torch.tensor([1.0, -1.0])  # action 0 looks best before any learning

    def forward(self, obs):
        if obs.numel() == 4:
            self.single_calls.append(torch.is_grad_enabled())
        return self.net(obs)


def _acting_run(seed: int) -> tuple[tuple, list, Callable]:
    """The positional arguments of a 150-step run on the one-step world where action 1 pays 1, exploring at odd t
    and greedy at even t (world log, q_net, target_net, ...), the list that gathers q_net's weights as each step
    acts with them (the initial ones first), and the callback that fills it. q_net starts out preferring action 0
    and learns to prefer action 1."""
    world, q_net, target_net = _WorldLog(_Bandit()), _Probe(seed), _Probe(seed + 1)
    weights = [copy.deepcopy(q_net.state_dict())]

    def callback(t, net):
        weights.append(copy.deepcopy(net.state_dict()))
        return False

    args = (world, q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.1), _LogBuffer(500, 4), 150,
            lambda t: 1.0 if t % 2 == 0 else 0.0)
    return args, weights, callback


@book.scenario("train_dqn",
               hint="act with the network being trained, not with the target network")
def dqn_greedy_after_learning(train_dqn):
    """150 steps learning from step 10, target never refreshed: each greedy step takes q_net's best action then"""
    args, weights, callback = _acting_run(60)
    train_dqn(*args, batch_size=8, learning_starts=10, target_every=10_000, seed=17, callback=callback)
    world, q_net = args[0], copy.deepcopy(args[1])
    agree = []
    for t, (obs, action, *_) in enumerate(world.steps, start=1):
        if t % 2 == 0 and t <= len(weights):
            q_net.load_state_dict(weights[t - 1])
            with torch.no_grad():
                q = q_net.net(torch.tensor(obs)).numpy()
            if abs(q[0] - q[1]) > 1e-5:  # a near tie could go either way with rounding
                agree.append(action == int(np.argmax(q)))
    return {"greedy steps checked": len(agree) > 20, "greedy steps take q_net's best action": all(agree)}


@book.scenario("train_dqn",
               hint="compute the Q-values you act on without gradient recording")
def dqn_acting_without_gradient(train_dqn):
    """q_net records whether gradient recording was on whenever it is called on a single observation (acting)"""
    args, _, callback = _acting_run(62)
    train_dqn(*args, batch_size=8, learning_starts=10, target_every=10_000, seed=18, callback=callback)
    calls = args[1].single_calls
    return {"q_net acts": len(calls) >= 150, "acting records a gradient": any(calls)}


@book.scenario("train_dqn", atol=0.15,
               hint="zero the gradients every update")
def dqn_learns_bandit(train_dqn):
    """a one-step world where action 1 pays 1: after 400 steps Q is about (0, 1) and action 1 is greedy"""
    torch.manual_seed(0)
    q_net, target_net = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    history = train_dqn(_Bandit(), q_net, target_net, torch.optim.Adam(q_net.parameters(), lr=0.05),
                        _LogBuffer(500, 4), 400, lambda t: 0.5, learning_starts=32, batch_size=32, target_every=20,
                        seed=15)
    q = q_net(torch.tensor([[1.0, 0.0, 0.0, 0.0]])).detach().numpy()[0]
    return {"q": q, "greedy": int(np.argmax(q)), "episodes": len(history["episode_returns"]) / 400}


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5,
               hint="wait for the documented number of stored transitions, and seed only the first reset")
def dqn_all_defaults(train_dqn):
    """1003 steps with every default (seed 0, batch 64, learning from 1000 stored, every step, target every
    500) on a one-step world with float64 observations"""
    torch.manual_seed(16)
    q_net, target_net = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    env, buffer = _WorldLog(_Bandit64()), _LogBuffer(2000, 4)
    synced = {}

    def callback(t, net):
        if t >= 998:
            synced[str(t)] = _same_weights(net, target_net)
        return False

    history = train_dqn(env, q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.1), buffer, 1003,
                        lambda t: 0.5, callback=callback)
    return {"reset_seeds": env.seeds[:3], "stored": len(buffer.log),
            "batch_sizes": buffer.batch_sizes, "losses": len(history["losses"]),
            "steps": history["steps"], "synced": synced}


@book.scenario("train_dqn")
def dqn_zero_steps(train_dqn):
    """n_steps = 0: no step taken, nothing recorded"""
    q_net = _net(17, 4, 2)
    history = train_dqn(_Bandit(), q_net, _net(18, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.1),
                        _LogBuffer(10, 4), 0, lambda t: 0.5)
    return {key: history[key] for key in ("episode_returns", "episode_ends", "losses", "steps")}


@book.scenario("epsilon_greedy")
def near_ties(epsilon_greedy):
    """values that differ by 1e-9 are not tied: best holds only the actions equal to the maximum"""
    return _picks(epsilon_greedy, np.array([1.0, 1.0 + 1e-9, 0.5, 1.0 + 1e-9]), 0.0, 10, n=30)


@book.scenario("train_dqn")
def dqn_history_types(train_dqn):
    """the history's documented types: losses and returns are Python floats, ends and steps ints"""
    q_net = _net(19, 4, 2)
    history = train_dqn(gym.make("CartPole-v1", max_episode_steps=10), q_net, _net(20, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.01),
                        _LogBuffer(100, 4), 40, lambda t: 1.0, batch_size=4, learning_starts=8, target_every=10,
                        seed=21)
    return {key: sorted({type(x).__name__ for x in history[key]}) for key in ("episode_returns", "episode_ends", "losses")
            } | {"steps": type(history["steps"]).__name__}


@book.scenario("train_dqn")
def dqn_visible(train_dqn):
    """the visible test's run: 300 random steps, batch 8, learning from 100 stored every 2nd step, target every 50"""
    return _run_dqn(train_dqn, n_steps=300, batch_size=8, learning_starts=100, train_every=2, target_every=50, seed=0)


@book.scenario("double_dqn_targets", rtol=1e-5, atol=1e-6)
def double_visible(double_dqn_targets):
    """the visible test's batch: two networks without bias, a terminal row of NaN"""
    online, target = torch.nn.Linear(2, 3, bias=False), torch.nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        online.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        target.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, -1.0], [5.0, 5.0]]))
    next_obs = np.array([[3.0, 1.0], [1.0, 2.0], [np.nan, np.nan]], dtype=np.float32)
    y = double_dqn_targets(np.array([1.0, 0.0, -1.0], dtype=np.float32), next_obs, np.array([False, False, True]),
                           online, target, 0.5)
    return _targets_data(y)
