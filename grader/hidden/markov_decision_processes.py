"""Hidden scenarios for lecture 07, Markov decision processes.

Every scenario builds its own seeded inputs. Random MDPs give terminal states rows of P and R
full of junk: the specification says those rows are ignored, so a solver that lets a terminal
state collect reward or bootstraps from it is caught. Models of gymnasium's FrozenLake come
from ``course.rl.model_from_env``, independent of the student's grid-world builder.
"""
import numpy as np
from gymnasium.envs.toy_text.frozen_lake import MAPS, FrozenLakeEnv

from course.rl import model_from_env
from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

EXERCISE_KINDS = {
    "discounted_return": "T",        # the sum is printed
    "gridworld_model": "D",          # a world described by its rules; the arrays, slips at edges and terminal rows designed
    "q_from_v": "T",                 # the look-ahead formula is printed
    "policy_evaluation": "P",        # the sweep is printed; both policy forms, stopping and counting are designed
    "exact_policy_evaluation": "D",  # P_pi, R_pi and the terminal states' treatment built from the model
    "greedy_policy": "P",            # argmax is given; the tolerance tie-break is designed
    "value_iteration": "T",          # the sweep is printed
    "q_value_iteration": "D",        # the iteration on Q derived from the optimality equation; validation designed
    "policy_iteration": "P",         # the idea is described; the loop, its start, stop and return designed
}

NOTES_GRID = ["GFFF", "FFFF", "FFSF", "FFFG"]  # S is an ordinary free cell (FrozenLake needs one)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(7000 + seed)


def _random_mdp(seed: int, n_states: int = 7, n_actions: int = 3, n_terminal: int = 2):
    """A random MDP whose terminal states have random (meaningless) rows in P and R."""
    rng = _rng(seed)
    P = rng.dirichlet(0.5 * np.ones(n_states), size=(n_states, n_actions))
    R = rng.normal(size=(n_states, n_actions))
    terminal = np.zeros(n_states, dtype=bool)
    terminal[rng.choice(n_states, n_terminal, replace=False)] = True
    return P, R, terminal


def _lake(map_name: str = "4x4", **options):
    model = model_from_env(FrozenLakeEnv(map_name=map_name, **options))
    return model.P, model.R, model.terminal


def _grid(layout, slip: float, step_cost: float, goal_reward: float = 0.0, trap_reward: float = -1.0):
    """A grid world built through gymnasium's FrozenLake class (S/F free, G and H terminal)."""
    env = FrozenLakeEnv(desc=layout, is_slippery=True, success_rate=1.0 - slip,
                        reward_schedule=(goal_reward - step_cost, trap_reward - step_cost, -step_cost))
    model = model_from_env(env)
    return model.P, model.R, model.terminal


def _as_dict(result, keys):
    return dict(zip(keys, result)) if isinstance(result, tuple) and len(result) == len(keys) else result


# --- discounted_return ---------------------------------------------------------------------------

@book.scenario("discounted_return",
               hint="the first reward is not discounted; each later reward gets one more factor of gamma")
def return_random(discounted_return):
    """10 random rewards with gamma = 0.9"""
    return discounted_return(_rng(1).normal(size=10), 0.9)


@book.scenario("discounted_return")
def return_long(discounted_return):
    """200 rewards of a step-cost episode ending in +10, gamma = 0.99"""
    return discounted_return(np.r_[-np.ones(199), 10.0], 0.99)


@book.scenario("discounted_return")
def return_empty(discounted_return):
    """an empty reward sequence (the return is 0)"""
    return discounted_return(np.array([]), 0.5)


@book.scenario("discounted_return")
def return_myopic(discounted_return):
    """gamma = 0 keeps only the first reward"""
    return discounted_return(np.array([3.0, 5.0, -2.0]), 0.0)


@book.scenario("discounted_return")
def return_undiscounted(discounted_return):
    """gamma = 1 sums the rewards"""
    return discounted_return(np.array([1.0, -2.0, 4.0, 0.5]), 1.0)


@book.scenario("discounted_return")
def return_python_list(discounted_return):
    """a Python list of integers [0, 0, 0, 1] with gamma = 0.5"""
    return discounted_return([0, 0, 0, 1], 0.5)


# --- gridworld_model -----------------------------------------------------------------------------

MODEL_KEYS = ("P", "R", "terminal")


@book.scenario("gridworld_model",
               hint="check the state numbering, the edges (no wrapping), and that every step pays the step cost")
def grid_notes(gridworld_model):
    """the notes' 4 x 4 grid (exits in two corners), step cost 1, no slip"""
    return _as_dict(gridworld_model(NOTES_GRID, 1.0), MODEL_KEYS)


@book.scenario("gridworld_model")
def grid_rectangle_slippery(gridworld_model):
    """a 2 x 4 map with a hole, slip 0.3, step cost 0.1, goal 2, trap -3 (rows and columns differ)"""
    return _as_dict(gridworld_model(["SFFH", "FHFG"], 0.1, 0.3, 2.0, -3.0), MODEL_KEYS)


@book.scenario("gridworld_model")
def grid_always_slips(gridworld_model):
    """a 3 x 5 map with slip 1 (every move goes sideways)"""
    return _as_dict(gridworld_model(["SFFFF", "FFHFF", "FFFFG"], 0.5, 1.0, 1.0, -1.0), MODEL_KEYS)


@book.scenario("gridworld_model",
               hint="a slip goes sideways, split evenly between the two sides")
def grid_single_row(gridworld_model):
    """a single row S F G with slip 0.5 (sideways moves bump into the edges)"""
    return _as_dict(gridworld_model(["SFG"], 0.2, 0.5, 1.0, -1.0), MODEL_KEYS)


@book.scenario("gridworld_model")
def grid_frozen_lake_8x8(gridworld_model):
    """FrozenLake's 8 x 8 map as FrozenLake sees it: slip 2/3, goal 1, holes 0, no step cost"""
    return _as_dict(gridworld_model(MAPS["8x8"], 0.0, 2.0 / 3.0, 1.0, 0.0), MODEL_KEYS)


@book.scenario("gridworld_model",
               hint="terminal states are absorbing")
def grid_one_cell(gridworld_model):
    """a one-cell map that is a goal (one absorbing terminal state)"""
    return _as_dict(gridworld_model(["G"], 1.0), MODEL_KEYS)


@book.scenario("gridworld_model")
def grid_ragged(gridworld_model):
    """rows of different lengths (must raise ValueError)"""
    return error_name(gridworld_model, ["SFF", "FG"], 1.0)


@book.scenario("gridworld_model")
def grid_unknown_letter(gridworld_model):
    """a letter other than S, F, G, H (must raise ValueError)"""
    return error_name(gridworld_model, ["SFX", "FFG"], 1.0)


# --- q_from_v ------------------------------------------------------------------------------------

@book.scenario("q_from_v")
def q_random_mdp(q_from_v):
    """a random 7-state, 3-action MDP with junk rows for its 2 terminal states, gamma = 0.9"""
    P, R, terminal = _random_mdp(2)
    return q_from_v(P, R, terminal, _rng(3).normal(size=7), 0.9)


@book.scenario("q_from_v",
               hint="terminal states have zero action values, and the reward itself is not discounted")
def q_myopic(q_from_v):
    """gamma = 0 (Q is the immediate reward, 0 in terminal states)"""
    P, R, terminal = _random_mdp(4, n_states=5, n_actions=4)
    return q_from_v(P, R, terminal, _rng(5).normal(size=5), 0.0)


@book.scenario("q_from_v",
               hint="do not bootstrap from terminal next states, and sum over the next state")
def q_slippery_grid(q_from_v):
    """a slippery 3 x 4 grid world with V = 1..12 (non-zero at terminal states), gamma = 1"""
    P, R, terminal = _grid(["SFFG", "FHFF", "FFFH"], 0.2, 0.1, 1.0, -1.0)
    return q_from_v(P, R, terminal, np.arange(1.0, 13.0), 1.0)


@book.scenario("q_from_v",
               hint="the value vector passed in must not change")
def q_inputs_unchanged(q_from_v):
    """V, P and R are left unchanged"""
    P, R, terminal = _random_mdp(6)
    V = _rng(7).normal(size=7)
    copies = (P.copy(), R.copy(), V.copy())
    q_from_v(P, R, terminal, V, 0.8)
    return {"P changed": bool(not np.array_equal(P, copies[0])), "R changed": bool(not np.array_equal(R, copies[1])),
            "V changed": bool(not np.array_equal(V, copies[2]))}


# --- policy_evaluation ---------------------------------------------------------------------------

EVAL_KEYS = ("V", "sweeps")


@book.scenario("policy_evaluation", atol=1e-6,
               hint="each sweep uses only the previous sweep's values")
def eval_notes_random_policy(policy_evaluation):
    """the notes' grid, uniformly random policy, gamma = 1, tol = 1e-6 (values -14, -20, -22, ...)"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    return _as_dict(policy_evaluation(P, R, terminal, np.full((16, 4), 0.25), 1.0, 1e-6), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6)
def eval_random_mdp_deterministic(policy_evaluation):
    """a random MDP with junk terminal rows and a deterministic policy, gamma = 0.8"""
    P, R, terminal = _random_mdp(8)
    policy = _rng(9).integers(0, 3, size=7)
    return _as_dict(policy_evaluation(P, R, terminal, policy, 0.8, 1e-10), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6)
def eval_random_mdp_stochastic_loose(policy_evaluation):
    """a random MDP, a stochastic policy, gamma = 0.95 and a loose tol = 1e-2"""
    P, R, terminal = _random_mdp(10, n_states=9, n_actions=4, n_terminal=1)
    policy = _rng(11).dirichlet(np.ones(4), size=9)
    return _as_dict(policy_evaluation(P, R, terminal, policy, 0.95, 1e-2), EVAL_KEYS)


@book.scenario("policy_evaluation")
def eval_three_sweeps(policy_evaluation):
    """exactly 3 sweeps (tol = 0, max_sweeps = 3) on a slippery grid, always RIGHT, gamma = 0.9"""
    P, R, terminal = _grid(["SFFG", "FHFF", "FFFF"], 0.4, 0.1, 1.0, -1.0)
    return _as_dict(policy_evaluation(P, R, terminal, np.full(12, 2), 0.9, 0.0, 3), EVAL_KEYS)


@book.scenario("policy_evaluation",
               hint="terminal states have value zero: no reward, no bootstrap")
def eval_myopic(policy_evaluation):
    """gamma = 0 (V is the expected immediate reward; the second sweep changes nothing)"""
    P, R, terminal = _random_mdp(12)
    return _as_dict(policy_evaluation(P, R, terminal, np.zeros(7, dtype=int), 0.0), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6,
               hint="follow the policy given, and count every sweep including the last")
def eval_frozen_lake_100_steps(policy_evaluation):
    """FrozenLake, always DOWN, 100 sweeps with gamma = 1 (success within 100 steps)"""
    P, R, terminal = _lake()
    return _as_dict(policy_evaluation(P, R, terminal, np.ones(16, dtype=int), 1.0, 0.0, 100), EVAL_KEYS)


# --- greedy_policy --------------------------------------------------------------------------------

@book.scenario("greedy_policy",
               hint="take the best action for each state")
def greedy_random(greedy_policy):
    """a random 6 x 4 Q table"""
    return greedy_policy(_rng(13).normal(size=(6, 4)))


@book.scenario("greedy_policy",
               hint="a tie goes to the lowest action index")
def greedy_exact_ties(greedy_policy):
    """rows with exact ties (the lowest tied index wins)"""
    return greedy_policy(np.array([[1.0, 3.0, 3.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0], [2.0, 5.0, 5.0]]))


@book.scenario("greedy_policy",
               hint="values within the tolerance of the best count as ties")
def greedy_rounding_ties(greedy_policy):
    """ties up to rounding errors of 1e-12 (within the default tol = 1e-9)"""
    return greedy_policy(np.array([[1.0, 1.0 + 1e-12, 0.5], [0.3, -1.0, 0.3 + 2e-12], [-4.0, -4.0 + 5e-11, 2.0]]))


@book.scenario("greedy_policy")
def greedy_loose_tol(greedy_policy):
    """tol = 0.1 treats values within 0.1 of the best as ties"""
    return greedy_policy(np.array([[1.0, 1.05, 0.2, 1.2], [0.0, 0.5, 0.45, 0.3]]), 0.1)


@book.scenario("greedy_policy")
def greedy_tall(greedy_policy):
    """10 states and 2 actions (argmax along the action axis)"""
    return greedy_policy(_rng(14).normal(size=(10, 2)))


# --- value_iteration ---------------------------------------------------------------------------------

SOLVE_KEYS = ("V", "policy", "sweeps")
ROUND_KEYS = ("V", "policy", "rounds")


@book.scenario("value_iteration", atol=1e-6,
               hint="maximize over actions, break ties to the lowest action, and count sweeps from one")
def vi_notes_grid(value_iteration):
    """the notes' grid, step cost 1, gamma = 1 (V is minus the distance to an exit)"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    return _as_dict(value_iteration(P, R, terminal, 1.0), SOLVE_KEYS)


@book.scenario("value_iteration", atol=1e-6)
def vi_random_mdp(value_iteration):
    """a random MDP with junk terminal rows, gamma = 0.9"""
    P, R, terminal = _random_mdp(15, n_states=8, n_actions=3)
    return _as_dict(value_iteration(P, R, terminal, 0.9, 1e-10), SOLVE_KEYS)


@book.scenario("value_iteration")
def vi_three_sweeps(value_iteration):
    """exactly 3 sweeps (tol = 0, max_sweeps = 3) on a slippery grid with a trap, gamma = 0.95"""
    P, R, terminal = _grid(["FFFG", "FHFH", "SFFF"], 0.2, 0.04, 1.0, -1.0)
    return _as_dict(value_iteration(P, R, terminal, 0.95, 0.0, 3), SOLVE_KEYS)


@book.scenario("value_iteration", atol=1e-6,
               hint="each sweep uses only the previous sweep's values")
def vi_frozen_lake(value_iteration):
    """FrozenLake 4 x 4, slippery, gamma = 0.99"""
    P, R, terminal = _lake()
    return _as_dict(value_iteration(P, R, terminal, 0.99, 1e-12), SOLVE_KEYS)


@book.scenario("value_iteration", atol=1e-6)
def vi_cliff_loose(value_iteration):
    """a cliff with slip 0.1, gamma = 0.9 and a loose tol = 1e-3"""
    P, R, terminal = _grid(["FFFFF", "FFFFF", "SHHHG"], 0.1, 0.02, 1.0, -1.0)
    return _as_dict(value_iteration(P, R, terminal, 0.9, 1e-3), SOLVE_KEYS)


@book.scenario("value_iteration",
               hint="terminal states have value zero: no reward, no bootstrap")
def vi_myopic(value_iteration):
    """gamma = 0: the policy picks the best immediate reward"""
    P, R, terminal = _random_mdp(16)
    return _as_dict(value_iteration(P, R, terminal, 0.0), SOLVE_KEYS)


# --- policy_iteration -----------------------------------------------------------------------------------

@book.scenario("policy_iteration", atol=1e-6,
               hint="evaluate each policy fully and stop only when the policy is stable")
def pi_random_mdp(policy_iteration):
    """a random MDP with junk terminal rows, gamma = 0.9"""
    P, R, terminal = _random_mdp(17, n_states=8, n_actions=3)
    return _as_dict(policy_iteration(P, R, terminal, 0.9), ROUND_KEYS)


@book.scenario("policy_iteration", atol=1e-6)
def pi_notes_grid_slippery(policy_iteration):
    """the notes' grid with slip 0.1, step cost 1, gamma = 0.95"""
    P, R, terminal = _grid(NOTES_GRID, 0.1, 1.0)
    return _as_dict(policy_iteration(P, R, terminal, 0.95), ROUND_KEYS)


@book.scenario("policy_iteration", atol=1e-6)
def pi_frozen_lake(policy_iteration):
    """FrozenLake 4 x 4, slippery, gamma = 0.99"""
    P, R, terminal = _lake()
    return _as_dict(policy_iteration(P, R, terminal, 0.99), ROUND_KEYS)


@book.scenario("policy_iteration", atol=1e-6,
               hint="return a policy together with its own value")
def pi_one_round(policy_iteration):
    """max_rounds = 1: the value of the first policy (action 0 everywhere) and that policy"""
    P, R, terminal = _random_mdp(18, n_states=6, n_actions=4, n_terminal=1)
    return _as_dict(policy_iteration(P, R, terminal, 0.8, 1e-10, 1), ROUND_KEYS)


@book.scenario("policy_iteration", atol=1e-6)
def pi_two_rounds(policy_iteration):
    """max_rounds = 2 on a cliff grid with slip 0.2, gamma = 0.9"""
    P, R, terminal = _grid(["FFFFF", "FFFFF", "SHHHG"], 0.2, 0.02, 1.0, -1.0)
    return _as_dict(policy_iteration(P, R, terminal, 0.9, 1e-10, 2), ROUND_KEYS)


# --- the visible tests' cases and the docstrings' promises (dtypes, strict tol, defaults) --------------

def _halving_chain():
    """State 0 loops on itself with reward 1 (action 0) or ends for 0 (action 1); state 1 is terminal.

    With gamma = 1/2 the sweeps of action 0 give V(0) = 1, 1.5, 1.75, 1.875, ...: changes of
    exactly 1, 1/2, 1/4, 1/8, so tol = 1/4 tells "change < tol" from "change <= tol".
    """
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    R = np.array([[1.0, 0.0], [7.0, 7.0]])
    return P, R, np.array([False, True])


def _kinds(result):
    """Each entry's type name and, for arrays, dtype kind (int actions must not come back as floats)."""
    if not isinstance(result, tuple):
        return result
    return [type(item).__name__ if np.ndim(item) == 0 else np.asarray(item).dtype.kind for item in result]


@book.scenario("discounted_return")
def return_visible_cases(discounted_return):
    """the visible tests' cases, each a Python float; the rewards array is left unchanged"""
    rewards = np.array([1.0, 2.0, 3.0])
    results = [discounted_return(rewards, 0.5), discounted_return(np.array([0.0, 0.0, 10.0]), 0.9),
               discounted_return(np.array([1.0, -1.0, 2.0]), 1.0), discounted_return(np.array([]), 0.9),
               discounted_return([1.0, 1.0], 0.5)]
    return [results, [isinstance(r, float) for r in results], rewards]


@book.scenario("gridworld_model")
def grid_visible_cases(gridworld_model):
    """the visible tests' maps: SFG with cost 1, SF/FG with slip 0.2 and goal 10, FrozenLake's 4 x 4 map"""
    return [_as_dict(gridworld_model(["SFG"], 1.0), MODEL_KEYS),
            _as_dict(gridworld_model(["SF", "FG"], 0.5, 0.2, 10.0), MODEL_KEYS),
            _as_dict(gridworld_model(["SFFF", "FHFH", "FFFH", "HFFG"], 0.0, 2.0 / 3.0, 1.0, 0.0), MODEL_KEYS),
            error_name(gridworld_model, ["SFF", "FG"], 1.0)]


@book.scenario("gridworld_model")
def grid_dtypes_and_empty_layouts(gridworld_model):
    """terminal is a bool array, P and R float arrays; an empty layout or empty rows raise ValueError"""
    result = gridworld_model(["SH", "FG"], 0.1, 0.2)
    kinds = [np.asarray(item).dtype.kind for item in result] if isinstance(result, tuple) else result
    return [kinds, error_name(gridworld_model, [], 1.0), error_name(gridworld_model, [""], 1.0),
            error_name(gridworld_model, ["", ""], 1.0)]


@book.scenario("q_from_v")
def q_visible_cases(q_from_v):
    """the visible tests' 3-state chain with gamma 0.9 and 0 (R of the terminal state is nonsense)"""
    P, R, terminal = _halving_chain()
    P3 = np.zeros((3, 2, 3))
    P3[0, 0, 0] = P3[0, 1, 1] = P3[1, 0, 1] = 1.0
    P3[1, 1, 1] = P3[1, 1, 2] = 0.5
    P3[2, :, 2] = 1.0
    R3 = np.array([[0.0, -1.0], [0.0, -1.0], [5.0, 5.0]])
    terminal3 = np.array([False, False, True])
    V = np.array([1.0, 2.0, 10.0])
    return [q_from_v(P3, R3, terminal3, V, 0.9), q_from_v(P3, R3, terminal3, V, 0.0), V,
            q_from_v(P, R, terminal, np.array([2.0, 5.0]), 0.5)]


@book.scenario("policy_evaluation", atol=1e-6)
def eval_visible_cases(policy_evaluation):
    """the visible tests' cases: the notes' grid (random policy, tol 1e-6) and 2 sweeps on the chain"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    P3 = np.zeros((3, 2, 3))
    P3[0, 0, 0] = P3[0, 1, 1] = P3[1, 0, 1] = 1.0
    P3[1, 1, 1] = P3[1, 1, 2] = 0.5
    P3[2, :, 2] = 1.0
    R3 = np.array([[0.0, -1.0], [0.0, -1.0], [5.0, 5.0]])
    terminal3 = np.array([False, False, True])
    return [_as_dict(policy_evaluation(P, R, terminal, np.full((16, 4), 0.25), 1.0, 1e-6), EVAL_KEYS),
            _as_dict(policy_evaluation(P3, R3, terminal3, np.array([1, 1, 1]), 0.9, 0.0, 2), EVAL_KEYS),
            _as_dict(policy_evaluation(P3, R3, terminal3, np.array([[0.0, 1.0]] * 3), 0.9, 0.0, 2), EVAL_KEYS)]


@book.scenario("policy_evaluation",
               hint="stop when the change is strictly below the tolerance")
def eval_strictly_below_tol(policy_evaluation):
    """changes of exactly 1, 1/2, 1/4, 1/8 with tol = 1/4: stop after the sweep whose change is 1/8"""
    P, R, terminal = _halving_chain()
    return [_as_dict(policy_evaluation(P, R, terminal, np.array([0, 0]), 0.5, 0.25), EVAL_KEYS),
            _kinds(policy_evaluation(P, R, terminal, np.array([0, 0]), 0.5, 0.25))]


@book.scenario("policy_evaluation")
def eval_default_max_sweeps(policy_evaluation):
    """tol = 0 with the default max_sweeps runs exactly 10,000 sweeps"""
    P, R, terminal = _halving_chain()
    return _as_dict(policy_evaluation(P, R, terminal, np.array([0, 1]), 0.5, 0.0), EVAL_KEYS)


@book.scenario("policy_evaluation", rtol=0.0, atol=0.0)
def eval_inputs_unchanged(policy_evaluation):
    """P, R, terminal and the policy (deterministic or stochastic) are left unchanged"""
    P, R, terminal = _random_mdp(40)
    deterministic = _rng(41).integers(0, 3, size=7)
    stochastic = _rng(42).dirichlet(np.ones(3), size=7)
    policy_evaluation(P, R, terminal, deterministic, 0.9, 1e-6)
    policy_evaluation(P, R, terminal, stochastic, 0.9, 1e-6)
    return [P, R, terminal, deterministic, stochastic]


@book.scenario("greedy_policy",
               hint="return integer actions")
def greedy_visible_cases(greedy_policy):
    """the visible tests' cases, as int arrays: no ties, exact ties, a 1e-12 tie, tol = 0.1, zeros"""
    results = [greedy_policy(np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]])),
               greedy_policy(np.array([[1.0, 3.0, 3.0], [0.0, 0.0, 0.0]])),
               greedy_policy(np.array([[1.0, 1.0 + 1e-12, 0.0]])), greedy_policy(np.array([[1.0, 1.05, 0.0]]), 0.1),
               greedy_policy(np.zeros((3, 2)))]
    return [results, [np.asarray(r).dtype.kind for r in results]]


@book.scenario("greedy_policy")
def greedy_tol_boundary_and_zero(greedy_policy):
    """a value exactly tol below the best counts as tied; tol = 0 counts only exact ties; Q is unchanged"""
    Q = np.array([[0.5, 1.0, 0.75], [2.0, 2.0 + 1e-12, 1.0]])
    return [greedy_policy(Q, 0.5), greedy_policy(Q, 0.25), greedy_policy(Q, 0.0), Q]


@book.scenario("value_iteration", atol=1e-6,
               hint="return the policy greedy for the final values")
def vi_visible_cases(value_iteration):
    """the visible tests' cases: the notes' grid with gamma 1, and exactly one sweep"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    return [_as_dict(value_iteration(P, R, terminal, 1.0), SOLVE_KEYS),
            _as_dict(value_iteration(P, R, terminal, 1.0, 0.0, 1), SOLVE_KEYS)]


@book.scenario("value_iteration")
def vi_strictly_below_tol_and_dtypes(value_iteration):
    """changes of exactly 1, 1/2, 1/4, ... with tol = 1/4; the policy is an int array, sweeps an int"""
    P, R, terminal = _halving_chain()
    return [_as_dict(value_iteration(P, R, terminal, 0.5, 0.25), SOLVE_KEYS),
            _kinds(value_iteration(P, R, terminal, 0.5, 0.25))]


@book.scenario("value_iteration")
def vi_default_max_sweeps(value_iteration):
    """tol = 0 with the default max_sweeps runs exactly 10,000 sweeps; the model is left unchanged"""
    P, R, terminal = _halving_chain()
    return [_as_dict(value_iteration(P, R, terminal, 0.5, 0.0), SOLVE_KEYS), P, R, terminal]


@book.scenario("policy_iteration", atol=1e-6)
def pi_visible_cases(policy_iteration):
    """the visible tests' cases: the notes' grid with gamma 0.9, and max_rounds = 1"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    return [_as_dict(policy_iteration(P, R, terminal, 0.9), ROUND_KEYS),
            _as_dict(policy_iteration(P, R, terminal, 0.9, 1e-10, 1), ROUND_KEYS),
            _kinds(policy_iteration(P, R, terminal, 0.9))]


@book.scenario("policy_iteration", atol=1e-9,
               hint="pass the tolerance given on to every evaluation")
def pi_loose_tol(policy_iteration):
    """tol = 0.3 is passed on to every policy evaluation (the values stop short of convergence)"""
    P, R, terminal = _halving_chain()
    return [_as_dict(policy_iteration(P, R, terminal, 0.5, 0.3), ROUND_KEYS), P, R, terminal]


# --- exact_policy_evaluation -----------------------------------------------------------------------------

def _chain():
    """The visible tests' 3-state chain: 0 -(right)-> 1 -(right, half the time)-> 2 (terminal, R of 5 is junk)."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = 1.0
    P[1, 1, 1] = P[1, 1, 2] = 0.5
    P[2, :, 2] = 1.0
    R = np.array([[0.0, -1.0], [0.0, -1.0], [5.0, 5.0]])
    return P, R, np.array([False, False, True])


@book.scenario("exact_policy_evaluation", atol=1e-9)
def exact_visible_cases(exact_policy_evaluation):
    """the visible tests' cases: the notes' grid (random policy, gamma 1) and the chain (deterministic and as probabilities)"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    P3, R3, terminal3 = _chain()
    return [exact_policy_evaluation(P, R, terminal, np.full((16, 4), 0.25), 1.0),
            exact_policy_evaluation(P3, R3, terminal3, np.array([1, 1, 1]), 0.9),
            exact_policy_evaluation(P3, R3, terminal3, np.array([[0.0, 1.0]] * 3), 0.9),
            error_name(exact_policy_evaluation, P3, R3, np.array([False]), np.array([1, 1, 1]), 0.9)]


@book.scenario("exact_policy_evaluation", atol=1e-9,
               hint="terminal states are worth zero whatever their rows of the model say")
def exact_random_mdp_deterministic(exact_policy_evaluation):
    """a random MDP whose terminal states have junk rows in P and R, a deterministic policy, gamma = 0.8"""
    P, R, terminal = _random_mdp(50)
    return exact_policy_evaluation(P, R, terminal, _rng(51).integers(0, 3, size=7), 0.8)


@book.scenario("exact_policy_evaluation", atol=1e-9,
               hint="weight each action's transitions and reward by its probability under the policy")
def exact_random_mdp_stochastic(exact_policy_evaluation):
    """a random MDP, a stochastic policy with junk rows (negative, not summing to 1) for the terminal states, gamma = 0.95"""
    P, R, terminal = _random_mdp(52, n_states=9, n_actions=4, n_terminal=2)
    policy = _rng(53).dirichlet(np.ones(4), size=9)
    policy[terminal] = [-3.0, 2.0, 7.0, 0.5]
    return exact_policy_evaluation(P, R, terminal, policy, 0.95)


@book.scenario("exact_policy_evaluation", atol=1e-9,
               hint="the matrix of the policy maps each state to its next states: check its orientation")
def exact_frozen_lake_undiscounted(exact_policy_evaluation):
    """FrozenLake 4 x 4, always LEFT, gamma = 1 (the probability of reaching the goal)"""
    P, R, terminal = _lake()
    return exact_policy_evaluation(P, R, terminal, np.zeros(16, dtype=int), 1.0)


@book.scenario("exact_policy_evaluation", atol=1e-9)
def exact_frozen_lake_8x8_random(exact_policy_evaluation):
    """FrozenLake 8 x 8, uniformly random policy, gamma = 0.99"""
    P, R, terminal = _lake("8x8")
    return exact_policy_evaluation(P, R, terminal, np.full((64, 4), 0.25), 0.99)


@book.scenario("exact_policy_evaluation", atol=1e-12,
               hint="the reward of the first step is not discounted")
def exact_myopic(exact_policy_evaluation):
    """gamma = 0: V is the policy's expected immediate reward, 0 at terminal states"""
    P, R, terminal = _random_mdp(54)
    return exact_policy_evaluation(P, R, terminal, _rng(55).dirichlet(np.ones(3), size=7), 0.0)


@book.scenario("exact_policy_evaluation")
def exact_all_terminal(exact_policy_evaluation):
    """every state terminal: all values are 0"""
    P, R, _ = _random_mdp(56, n_states=3, n_actions=2)
    return exact_policy_evaluation(P, R, np.ones(3, dtype=bool), np.array([0, 1, 0]), 0.9)


@book.scenario("exact_policy_evaluation")
def exact_dtypes(exact_policy_evaluation):
    """float32 P and R, or integer R, give float64 values"""
    P, R, terminal = _chain()
    results = [exact_policy_evaluation(P.astype(np.float32), R.astype(np.float32), terminal, np.array([1, 1, 1]), 0.9),
               exact_policy_evaluation(P, R.astype(int), terminal, np.array([1, 0, 1]), 0.5)]
    return [[np.asarray(r).dtype.name for r in results], [np.asarray(r, dtype=float) for r in results]]


@book.scenario("exact_policy_evaluation", hint="at gamma one a policy that never ends the episode has no unique value")
def exact_singular(exact_policy_evaluation):
    """gamma = 1 and a state that loops on itself forever: numpy's LinAlgError"""
    P = np.zeros((2, 1, 2))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    return error_name(exact_policy_evaluation, P, np.zeros((2, 1)), np.array([False, True]), np.array([0, 0]), 1.0)


factories.inputs_unchanged(book, "exact_policy_evaluation",
                           lambda: (*_random_mdp(57), _rng(58).dirichlet(np.ones(3), size=7), 0.9))
factories.inputs_unchanged(book, "exact_policy_evaluation",
                           lambda: (*_random_mdp(59), np.array([0, 1, 2, 0, 1, 2, 0]), 0.9),
                           "a deterministic policy and the model are left unchanged; none is returned")
_P7, _R7, _T7 = _random_mdp(60)
factories.raises(book, "exact_policy_evaluation", {
    "terminal of length 1": lambda: (_P7, _R7, np.array([False]), np.zeros(7, dtype=int), 0.9),
    "policy of shape (1, A)": lambda: (_P7, _R7, _T7, np.full((1, 3), 1 / 3), 0.9),
    "policy of shape (S, A + 1)": lambda: (_P7, _R7, _T7, np.full((7, 4), 0.25), 0.9),
    "policy one state short": lambda: (_P7, _R7, _T7, np.zeros(6, dtype=int), 0.9),
    "R of shape (S, 1)": lambda: (_P7, _R7[:, :1], _T7, np.zeros(7, dtype=int), 0.9),
    "P of shape (1, A, S)": lambda: (_P7[:1], _R7, _T7, np.zeros(7, dtype=int), 0.9),
})


# --- q_value_iteration -------------------------------------------------------------------------------------

Q_KEYS = ("Q", "sweeps")


@book.scenario("q_value_iteration", atol=1e-6,
               hint="terminal rows are zero and nothing is collected after arriving in a terminal state")
def qi_visible_cases(q_value_iteration):
    """the visible tests' cases: the notes' grid with gamma 1, one sweep, a mask of length 1 and gamma = 1.5"""
    P, R, terminal = _grid(NOTES_GRID, 0.0, 1.0)
    return [_as_dict(q_value_iteration(P, R, terminal, 1.0), Q_KEYS),
            _as_dict(q_value_iteration(P, R, terminal, 1.0, 0.0, 1), Q_KEYS),
            error_name(q_value_iteration, P, R, np.array([False]), 0.9),
            error_name(q_value_iteration, P, R, terminal, 1.5)]


@book.scenario("q_value_iteration", atol=1e-6,
               hint="terminal states are worth zero whatever their rows of the model say")
def qi_random_mdp(q_value_iteration):
    """a random MDP with junk terminal rows, gamma = 0.9, tol = 1e-10"""
    P, R, terminal = _random_mdp(61, n_states=8, n_actions=3)
    return _as_dict(q_value_iteration(P, R, terminal, 0.9, 1e-10), Q_KEYS)


@book.scenario("q_value_iteration",
               hint="each sweep uses only the previous sweep's table")
def qi_three_sweeps(q_value_iteration):
    """exactly 3 sweeps (tol = 0, max_sweeps = 3) on a slippery grid with a trap, gamma = 0.95"""
    P, R, terminal = _grid(["FFFG", "FHFH", "SFFF"], 0.2, 0.04, 1.0, -1.0)
    return _as_dict(q_value_iteration(P, R, terminal, 0.95, 0.0, 3), Q_KEYS)


@book.scenario("q_value_iteration", atol=1e-6)
def qi_frozen_lake(q_value_iteration):
    """FrozenLake 4 x 4, slippery, gamma = 0.99, tol = 1e-12"""
    P, R, terminal = _lake()
    return _as_dict(q_value_iteration(P, R, terminal, 0.99, 1e-12), Q_KEYS)


@book.scenario("q_value_iteration", atol=1e-6)
def qi_frozen_lake_undiscounted(q_value_iteration):
    """FrozenLake 4 x 4 at gamma = 1 (rises monotonically from 0), tol = 1e-10"""
    P, R, terminal = _lake()
    return _as_dict(q_value_iteration(P, R, terminal, 1.0, 1e-10), Q_KEYS)


@book.scenario("q_value_iteration",
               hint="stop when the largest change of the whole table is strictly below the tolerance")
def qi_strictly_below_tol(q_value_iteration):
    """changes of exactly 1, 1/2, 1/4, 1/8 with tol = 1/4: stop after the sweep whose change is 1/8"""
    P, R, terminal = _halving_chain()
    return _as_dict(q_value_iteration(P, R, terminal, 0.5, 0.25), Q_KEYS)


@book.scenario("q_value_iteration",
               hint="measure the change over every state and action, not only the best action")
def qi_change_of_the_whole_table(q_value_iteration):
    """a change that only a non-greedy action sees: the table's change, not the values', decides the stop"""
    # State 0: action 0 ends the episode for 1; action 1 loops for 0. max_a Q(0, .) = 1 from the first sweep on,
    # while Q(0, 1) = gamma * 1 appears only in the second sweep, and nothing changes in the third.
    P = np.zeros((2, 2, 2))
    P[0, 0, 1] = P[0, 1, 0] = 1.0
    P[1, :, 1] = 1.0
    R = np.array([[1.0, 0.0], [0.0, 0.0]])
    return _as_dict(q_value_iteration(P, R, np.array([False, True]), 0.5, 0.1), Q_KEYS)


@book.scenario("q_value_iteration")
def qi_default_max_sweeps(q_value_iteration):
    """tol = 0 with the default max_sweeps runs exactly 10,000 sweeps"""
    P, R, terminal = _halving_chain()
    return _as_dict(q_value_iteration(P, R, terminal, 0.5, 0.0), Q_KEYS)


@book.scenario("q_value_iteration", hint="the reward of the first step is not discounted")
def qi_myopic(q_value_iteration):
    """gamma = 0: Q is the immediate reward (0 in terminal rows), and the second sweep changes nothing"""
    P, R, terminal = _random_mdp(62)
    return _as_dict(q_value_iteration(P, R, terminal, 0.0), Q_KEYS)


@book.scenario("q_value_iteration")
def qi_within_the_promised_distance(q_value_iteration):
    """stopped by a loose tol = 0.05 at gamma = 0.8: every entry within gamma tol / (1 - gamma) of Q*"""
    P, R, terminal = _random_mdp(63, n_states=10, n_actions=4)
    Q, sweeps = q_value_iteration(P, R, terminal, 0.8, 0.05)
    Q_star = np.zeros_like(R)
    continuing = P * ~terminal[None, None, :]
    for _ in range(400):
        Q_star = np.where(terminal[:, None], 0.0, R + 0.8 * continuing @ Q_star.max(axis=1))
    return {"within": bool(np.max(np.abs(Q - Q_star)) <= 0.8 * 0.05 / 0.2), "sweeps": sweeps}


@book.scenario("q_value_iteration", hint="return a float64 table and a Python int")
def qi_dtypes(q_value_iteration):
    """float32 P and R give a float64 table; the sweep count is a Python int"""
    P, R, terminal = _halving_chain()
    Q, sweeps = q_value_iteration(P.astype(np.float32), R.astype(np.float32), terminal, 0.5, 0.25)
    return [np.asarray(Q).dtype.name, type(sweeps).__name__, np.asarray(Q, dtype=float), sweeps]


factories.inputs_unchanged(book, "q_value_iteration", lambda: (*_random_mdp(64), 0.9, 1e-6))
_P8, _R8, _T8 = _random_mdp(65)
factories.raises(book, "q_value_iteration", {
    "terminal of length 1": lambda: (_P8, _R8, np.array([False]), 0.9),
    "R of shape (S, 1)": lambda: (_P8, _R8[:, :1], _T8, 0.9),
    "P of shape (1, A, S)": lambda: (_P8[:1], _R8, _T8, 0.9),
    "P of shape (S, A, 1)": lambda: (_P8[:, :, :1], _R8, _T8, 0.9),
    "gamma = -0.1": lambda: (_P8, _R8, _T8, -0.1),
    "gamma = 1.5": lambda: (_P8, _R8, _T8, 1.5),
    "tol = -1": lambda: (_P8, _R8, _T8, 0.9, -1.0),
    "max_sweeps = 0": lambda: (_P8, _R8, _T8, 0.9, 1e-8, 0),
    "gamma = 1 and tol = 0 are allowed": lambda: (_P8, _R8, _T8, 1.0, 0.0, 3),
})


# --- promises a student's wrong versions slipped past: junk at terminal states, dtypes, ties ----------------

def _junk_at_terminal_states(seed: int):
    """A random MDP with junk rows for its terminal states, a deterministic policy whose terminal
    entries are actions out of range, and a stochastic one whose terminal rows are nan."""
    P, R, terminal = _random_mdp(seed)
    actions = _rng(seed + 1).integers(0, 3, size=7)
    actions[terminal] = [3, -7]
    probabilities = _rng(seed + 2).dirichlet(np.ones(3), size=7)
    probabilities[terminal] = np.nan
    return P, R, terminal, actions, probabilities


factories.returned_dtype(book, "q_from_v", lambda: (*_chain(), np.array([1.0, 2.0, 10.0]), 0.9),
                         "float64 inputs give a float64 table")
factories.returned_dtype(book, "q_from_v",
                         lambda: (_chain()[0].astype(np.float32), _chain()[1].astype(np.float32), _chain()[2],
                                  np.array([1.0, 2.0, 10.0], dtype=np.float32), 0.9),
                         "float32 P, R and V give a float64 table")


@book.scenario("q_from_v",
               hint="ignore V at terminal states whatever it holds: 0 * inf is nan, so select, do not multiply")
def q_junk_values_at_terminal_states(q_from_v):
    """V holds inf and nan at the terminal states, R -inf in their rows (all ignored), gamma = 0.9"""
    P, R, terminal = _random_mdp(70)
    V = _rng(71).normal(size=7)
    V[terminal] = [np.inf, np.nan]
    R[terminal] = -np.inf
    return q_from_v(P, R, terminal, V, 0.9)


@book.scenario("policy_evaluation", atol=1e-6,
               hint="ignore the policy's entries at terminal states whatever they hold")
def eval_junk_actions_at_terminal_states(policy_evaluation):
    """a deterministic policy with actions out of range (3 of 3 actions, -7) at the terminal states, gamma = 0.9"""
    P, R, terminal, actions, _ = _junk_at_terminal_states(72)
    return _as_dict(policy_evaluation(P, R, terminal, actions, 0.9, 1e-10), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6,
               hint="ignore the policy's entries at terminal states whatever they hold: 0 * nan is nan")
def eval_nan_probabilities_at_terminal_states(policy_evaluation):
    """a stochastic policy whose terminal states' rows are nan, gamma = 0.9"""
    P, R, terminal, _, probabilities = _junk_at_terminal_states(72)
    return _as_dict(policy_evaluation(P, R, terminal, probabilities, 0.9, 1e-10), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6,
               hint="ignore the policy's entries at terminal states whatever they hold")
def eval_single_action_junk_at_terminal_states(policy_evaluation):
    """a single action (A = 1) and actions 1 and -2 (out of range) at the two terminal states, gamma = 0.9"""
    P, R, terminal = _random_mdp(80, n_states=5, n_actions=1)
    actions = np.zeros(5, dtype=int)
    actions[terminal] = [1, -2]
    return _as_dict(policy_evaluation(P, R, terminal, actions, 0.9, 1e-10), EVAL_KEYS)


@book.scenario("policy_evaluation", atol=1e-6,
               hint="the shape of the policy, not its dtype, tells actions from probabilities")
def eval_int_probabilities(policy_evaluation):
    """an (S, A) int array of 0s and 1s is a deterministic policy given as probabilities, gamma = 0.9"""
    P, R, terminal, actions, _ = _junk_at_terminal_states(74)
    return _as_dict(policy_evaluation(P, R, terminal, np.eye(3, dtype=int)[actions % 3], 0.9, 1e-10), EVAL_KEYS)


@book.scenario("exact_policy_evaluation", atol=1e-9,
               hint="ignore the policy's entries at terminal states whatever they hold")
def exact_junk_policy_at_terminal_states(exact_policy_evaluation):
    """actions out of range (3 of 3 actions, -7), or nan probabilities, at the terminal states, gamma = 0.9"""
    P, R, terminal, actions, probabilities = _junk_at_terminal_states(76)
    return [exact_policy_evaluation(P, R, terminal, actions, 0.9),
            exact_policy_evaluation(P, R, terminal, probabilities, 0.9)]


@book.scenario("exact_policy_evaluation", atol=1e-9,
               hint="the shape of the policy, not its dtype, tells actions from probabilities")
def exact_int_probabilities(exact_policy_evaluation):
    """an (S, A) int array of 0s and 1s is a deterministic policy given as probabilities, gamma = 0.9"""
    P, R, terminal, actions, _ = _junk_at_terminal_states(78)
    return exact_policy_evaluation(P, R, terminal, np.eye(3, dtype=int)[actions % 3], 0.9)


@book.scenario("greedy_policy",
               hint="the tolerance is absolute: a value counts as tied if it is at most tol below the best")
def greedy_absolute_tol(greedy_policy):
    """the tolerance is absolute: Q near 1e6 (1e-4 apart is no tie), near 1e-3 (5e-10 apart is), and tol = 0.5 near 1000"""
    large = np.array([[1e6 - 1e-4, 1e6], [-1e6, -1e6 + 1e-4]])
    small = np.array([[1e-3, 1e-3 + 5e-10], [-1e-3 + 5e-10, -1e-3]])
    return [greedy_policy(large), greedy_policy(small),
            greedy_policy(np.array([[999.4, 1000.0], [999.6, 1000.0]]), 0.5)]


@book.scenario("policy_iteration", atol=1e-6,
               hint="improve with the greedy policy and its tie tolerance: rounding noise must not break ties")
def pi_rounding_noise_ties(policy_iteration):
    """grids whose actions tie up to rounding noise (slip 0.2, gamma = 0.99): without the tie
    tolerance the policy flips between tied actions (a stable policy in 3 and 4 rounds)"""
    first = _grid(["FFGG", "FFFH", "GFFS"], 0.2, 0.0, 1.0, -1.0)
    second = _grid(["SFFGG", "FFFFG", "FFFFG"], 0.2, 0.1, 1.0, -1.0)
    return [_as_dict(policy_iteration(*first, 0.99, 1e-10, 20), ROUND_KEYS),
            _as_dict(policy_iteration(*second, 0.99), ROUND_KEYS)]
