"""Hidden scenarios for lecture 08, Q-learning.

Tabular updates start from random tables, so a wrong bootstrap term always shows. The episode
loops run on CliffWalking-v1 and on tiny hand-made worlds (a terminal chain, a time limit),
with shared generators over several episodes so that a wrong number of random draws shows.
The DQN loop is driven with a scenario-owned buffer, environment wrappers and callbacks that
record what it does step by step; its helpers (epsilon_greedy, dqn_targets, dqn_loss) are the
student's own, as in the notebook.
"""
import gymnasium as gym
import numpy as np
import torch
from gymnasium.wrappers import TimeLimit

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()


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


def _cliff_scenario(play, seed, n_episodes=15, epsilon=0.1):
    Q = _rng(seed).normal(scale=0.1, size=(48, 4))
    return _episodes(play, gym.make("CliffWalking-v1"), n_episodes, epsilon, 0.5, 1.0, seed, Q)


def _chain_scenario(play, seed):
    env = _Chain()
    Q = _rng(seed).normal(size=(4, 2)) + 2.0
    result = _episodes(play, env, 6, 0.3, 0.5, 0.9, seed, Q)
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

class _LogBuffer:
    """A replay buffer that follows the exercise's specification and records what is added."""

    def __init__(self, capacity: int, obs_dim: int):
        self.capacity, self.items, self.log, self.batch_sizes = capacity, [], [], []

    def __len__(self):
        return len(self.items)

    def add(self, obs, action, reward, next_obs, terminated):
        item = (np.array(obs, dtype=np.float32), int(action), float(reward), np.array(next_obs, dtype=np.float32),
                bool(terminated))
        self.log.append((item[0].tolist(), item[1], item[2], item[4]))
        if len(self.items) < self.capacity:
            self.items.append(item)
        else:
            self.items[(len(self.log) - 1) % self.capacity] = item

    def sample(self, batch_size, rng):
        self.batch_sizes.append(batch_size)
        slots = rng.integers(0, len(self.items), size=batch_size)
        picked = [self.items[i] for i in slots]
        return {"obs": np.stack([p[0] for p in picked]), "actions": np.array([p[1] for p in picked], dtype=np.int64),
                "rewards": np.array([p[2] for p in picked], dtype=np.float32),
                "next_obs": np.stack([p[3] for p in picked]),
                "terminated": np.array([p[4] for p in picked], dtype=bool)}


class _ResetLog(gym.Wrapper):
    """Records the seed of every reset."""

    def __init__(self, env):
        super().__init__(env)
        self.seeds = []

    def reset(self, *, seed=None, options=None):
        self.seeds.append(seed)
        return self.env.reset(seed=seed, options=options)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def _run_dqn(train_dqn, *, env=None, n_steps=200, epsilon=lambda t: 1.0, stop_at=None, net_seed=5, **options):
    """Train a tiny network; record per step whether the weights changed and whether the target is synced."""
    env = _ResetLog(env if env is not None else gym.make("CartPole-v1"))
    q_net, target_net = _net(net_seed, 4, 2), _net(net_seed + 1, 4, 2)
    buffer = _LogBuffer(options.pop("capacity", 1000), 4)
    epsilons = []
    trace = {"updated": [], "synced": [], "calls": []}
    previous = [p.detach().clone() for p in q_net.parameters()]

    def schedule(t):
        epsilons.append(t)
        return epsilon(t)

    def callback(t, net):
        trace["calls"].append(t)
        trace["updated"].append(not all(torch.equal(p, q) for p, q in zip(net.parameters(), previous)))
        previous[:] = [p.detach().clone() for p in net.parameters()]
        trace["synced"].append(_same_weights(net, target_net))
        return stop_at is not None and t >= stop_at

    history = train_dqn(env, q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.01), buffer, n_steps,
                        schedule, seed=options.pop("seed", 0), callback=callback, **options)
    return {"keys": sorted(history), "returns": list(history["episode_returns"]),
            "ends": list(history["episode_ends"]), "losses": np.asarray(history["losses"], dtype=float),
            "steps": history["steps"], "epsilon_args": epsilons[:5] + epsilons[-2:], "n_epsilon": len(epsilons),
            "reset_seeds": env.seeds, "added": buffer.log, **trace}


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5)
def dqn_schedule(train_dqn):
    """CartPole, 200 steps, random actions: when it learns, syncs the target, resets, what it stores"""
    return _run_dqn(train_dqn, n_steps=200, learning_starts=50, train_every=3, target_every=40, batch_size=8,
                    gamma=0.9, seed=11)


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5)
def dqn_greedy_actions(train_dqn):
    """CartPole, 150 steps with epsilon falling from 1 to 0: the network's own greedy actions"""
    return _run_dqn(train_dqn, n_steps=150, epsilon=lambda t: max(0.0, 1.0 - t / 60), learning_starts=20,
                    train_every=1, target_every=25, batch_size=16, gamma=0.99, seed=12)


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5,
               hint="stop when the callback asks to")
def dqn_stop(train_dqn):
    """the callback stops training at step 37"""
    return _run_dqn(train_dqn, n_steps=100, stop_at=37, learning_starts=10, train_every=2, target_every=10,
                    batch_size=4, seed=13)


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5,
               hint="copy the network into the target first, store truncation as not terminal, and move on to the next observation")
def dqn_truncation(train_dqn):
    """a 5-step time limit: truncated steps are stored as not terminated, episodes recorded"""
    return _run_dqn(train_dqn, env=gym.make("CartPole-v1", max_episode_steps=5), n_steps=60,
                    epsilon=lambda t: 0.0, learning_starts=1000, seed=14)


@book.scenario("train_dqn", rtol=1e-3, atol=1e-5)
def dqn_defaults(train_dqn):
    """default settings for 120 steps (no learning before 1000 stored transitions, target every 500)"""
    return _run_dqn(train_dqn, n_steps=120)


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
    env, buffer = _ResetLog(_Bandit64()), _LogBuffer(2000, 4)
    synced = {}

    def callback(t, net):
        if t >= 998:
            synced[str(t)] = _same_weights(net, target_net)
        return False

    history = train_dqn(env, q_net, target_net, torch.optim.SGD(q_net.parameters(), lr=0.1), buffer, 1003,
                        lambda t: 0.5, callback=callback)
    return {"reset_seeds": env.seeds[:3], "actions": [item[1] for item in buffer.log],
            "batch_sizes": buffer.batch_sizes, "losses": np.asarray(history["losses"], dtype=float),
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
    history = train_dqn(gym.make("CartPole-v1"), q_net, _net(20, 4, 2), torch.optim.SGD(q_net.parameters(), lr=0.01),
                        _LogBuffer(100, 4), 40, lambda t: 1.0, batch_size=4, learning_starts=8, target_every=10,
                        seed=21)
    return {key: sorted({type(x).__name__ for x in history[key]}) for key in ("episode_returns", "episode_ends", "losses")
            } | {"steps": type(history["steps"]).__name__, "episodes": len(history["episode_ends"])}
