"""Plausible wrong answers to lecture 07's exercises; each must fail a hidden scenario.

Helpers a mutant calls (``q_from_v``, ``greedy_policy``, ``policy_evaluation``) are the
reference's (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np

from solutions.markov_decision_processes import greedy_policy, policy_evaluation, q_from_v  # noqa: F401
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.markov_decision_processes")
mutant = catalogue.mutant


# --- discounted_return ---------------------------------------------------------------------------

@mutant("discounted_return", "discount applied one step late: gamma^(k+1) r_(k+1)")
def discounted_return(rewards, gamma):
    rewards = np.asarray(rewards, dtype=float)
    return float(np.sum(gamma ** np.arange(1, len(rewards) + 1) * rewards))


@mutant("discounted_return", "no discount: the plain sum")
def discounted_return(rewards, gamma):  # noqa: F811
    return float(np.sum(np.asarray(rewards, dtype=float)))


@mutant("discounted_return", "weights reversed: the last reward is discounted least")
def discounted_return(rewards, gamma):  # noqa: F811
    rewards = np.asarray(rewards, dtype=float)
    return float(np.sum(gamma ** np.arange(len(rewards))[::-1] * rewards))


@mutant("discounted_return", "backward recursion started from the wrong end: G <- gamma G + r over r_1, r_2, ...")
def discounted_return(rewards, gamma):  # noqa: F811
    total = 0.0
    for reward in np.asarray(rewards, dtype=float):
        total = gamma * total + reward
    return float(total)


# --- gridworld_model -------------------------------------------------------------------------------

MOVES = [(0, -1), (1, 0), (0, 1), (-1, 0)]


def _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, *, directions, index, charge_terminal=True,
                 absorbing=True, wrap=False):
    """A grid-world builder with switchable mistakes (shared by the mutants below)."""
    n_rows, n_cols = len(layout), len(layout[0])
    if any(len(row) != n_cols for row in layout) or any(c not in "SFGH" for row in layout for c in row):
        raise ValueError("bad layout")
    n_states = n_rows * n_cols
    P = np.zeros((n_states, 4, n_states))
    R = np.zeros((n_states, 4))
    terminal = np.zeros(n_states, dtype=bool)
    for row in range(n_rows):
        for col in range(n_cols):
            s = index(row, col, n_rows, n_cols)
            terminal[s] = layout[row][col] in "GH"
            for a in range(4):
                if terminal[s] and absorbing:
                    P[s, a, s] = 1.0
                    continue
                for direction, prob in directions(a, slip):
                    r, c = row + MOVES[direction][0], col + MOVES[direction][1]
                    if wrap:
                        r, c = r % n_rows, c % n_cols
                    else:
                        r, c = min(max(r, 0), n_rows - 1), min(max(c, 0), n_cols - 1)
                    letter = layout[r][c]
                    bonus = {"G": goal_reward, "H": trap_reward}.get(letter, 0.0)
                    cost = step_cost if (charge_terminal or letter not in "GH") else 0.0
                    P[s, a, index(r, c, n_rows, n_cols)] += prob
                    R[s, a] += prob * (bonus - cost)
    return P, R, terminal


def _row_major(row, col, n_rows, n_cols):
    return row * n_cols + col


def _sideways(a, slip):
    return [(a, 1.0 - slip), ((a - 1) % 4, slip / 2), ((a + 1) % 4, slip / 2)]


@mutant("gridworld_model", "a slip sends the agent backwards instead of sideways")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, index=_row_major,
                        directions=lambda a, p: [(a, 1.0 - p), ((a + 2) % 4, p)])


@mutant("gridworld_model", "each sideways direction gets the whole slip probability (rows sum to 1 + slip)")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):  # noqa: F811
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, index=_row_major,
                        directions=lambda a, p: [(a, 1.0 - p), ((a - 1) % 4, p), ((a + 1) % 4, p)])


@mutant("gridworld_model", "the step into a terminal cell is free of the step cost")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):  # noqa: F811
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, index=_row_major, directions=_sideways,
                        charge_terminal=False)


@mutant("gridworld_model", "terminal cells are not absorbing: the agent moves on from them")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):  # noqa: F811
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, index=_row_major, directions=_sideways,
                        absorbing=False)


@mutant("gridworld_model", "states numbered column by column (s = col * n_rows + row)")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):  # noqa: F811
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, directions=_sideways,
                        index=lambda row, col, n_rows, n_cols: col * n_rows + row)


@mutant("gridworld_model", "moves off the edge wrap around to the other side")
def gridworld_model(layout, step_cost, slip=0.0, goal_reward=0.0, trap_reward=-1.0):  # noqa: F811
    return _grid_mutant(layout, step_cost, slip, goal_reward, trap_reward, index=_row_major, directions=_sideways,
                        wrap=True)


# --- q_from_v ------------------------------------------------------------------------------------------

@mutant("q_from_v", "terminal states bootstrapped: V(s') used even when s' is terminal")
def q_from_v(P, R, terminal, V, gamma):
    Q = R + gamma * P @ V
    Q[terminal] = 0.0
    return Q


@mutant("q_from_v", "terminal rows not zeroed: a terminal state keeps collecting R")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    return R + gamma * P @ np.where(terminal, 0.0, V)


@mutant("q_from_v", "the reward is discounted too: gamma (R + P V)")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    Q = gamma * (R + P @ np.where(terminal, 0.0, V))
    Q[terminal] = 0.0
    return Q


@mutant("q_from_v", "sums over the wrong axis: weights V by the current state")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    Q = R + gamma * np.einsum("sat,s->sa", P, np.where(terminal, 0.0, V))
    Q[terminal] = 0.0
    return Q


@mutant("q_from_v", "zeroes the terminal entries of V in place (modifies the caller's V)")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    V[terminal] = 0.0
    Q = R + gamma * P @ V
    Q[terminal] = 0.0
    return Q


# --- policy_evaluation ---------------------------------------------------------------------------------

def _probabilities(policy, n_actions):
    """An (S, A) probability array for a deterministic or stochastic policy (no checks, no masking)."""
    policy = np.asarray(policy)
    return np.eye(n_actions)[policy] if policy.ndim == 1 else policy


def _backup(P, R, terminal, V, gamma, *, ignore_terminal=False):
    """Q from V as the reference's q_from_v computes it, or with no terminal handling at all."""
    if ignore_terminal:
        return R + gamma * P @ V
    return q_from_v(P, R, terminal, V, gamma)


def _in_place_sweeps(P, R, terminal, gamma, tol, max_sweeps, pi=None):
    """Sweeps that update V state by state, so later states already use this sweep's new values.

    Evaluates the (S, A) probabilities ``pi``, or backs up the best action when ``pi`` is None.
    """
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        change = 0.0
        for s in range(len(V)):
            q = R[s] + gamma * P[s] @ np.where(terminal, 0.0, V)
            new = 0.0 if terminal[s] else float(np.max(q) if pi is None else pi[s] @ q)
            change = max(change, abs(new - V[s]))
            V[s] = new
        if change < tol:
            break
    return V, sweep


def _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, *, count_from_zero=False,
                       best_action=False, ignore_terminal=False, stop_at_tol=False, junk_at_terminal=False,
                       actions_by_dtype=False):
    """The reference's synchronous sweeps with switchable mistakes (shared by the mutants below)."""
    policy = np.asarray(policy)
    if actions_by_dtype:
        is_actions = policy.dtype.kind in "iu"
    else:
        is_actions = policy.shape == R.shape[:1]
    if is_actions:
        policy = np.eye(R.shape[1])[policy if junk_at_terminal else np.where(terminal, 0, policy)]
    V = np.zeros(R.shape[0])
    first = 0 if count_from_zero else 1
    for sweep in range(first, max_sweeps + first):
        Q = _backup(P, R, terminal, V, gamma, ignore_terminal=ignore_terminal)
        if best_action:
            V_new = np.max(Q, axis=1)
        elif ignore_terminal or junk_at_terminal:
            V_new = np.sum(policy * Q, axis=1)
        else:
            V_new = np.sum(np.where(terminal[:, None], 0.0, policy * Q), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change <= tol if stop_at_tol else change < tol:
            break
    return V, sweep


@mutant("policy_evaluation", "in-place sweep: later states already use this sweep's new values")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):
    return _in_place_sweeps(P, R, terminal, gamma, tol, max_sweeps, pi=_probabilities(policy, R.shape[1]))


@mutant("policy_evaluation", "sweep count off by one (the sweep that detects convergence is not counted)")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, count_from_zero=True)


@mutant("policy_evaluation", "ignores the policy: backs up the best action (value iteration)")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, best_action=True)


@mutant("policy_evaluation", "terminal states bootstrapped and rewarded: no terminal handling at all")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, ignore_terminal=True)


# --- greedy_policy ---------------------------------------------------------------------------------------

@mutant("greedy_policy", "plain argmax: rounding errors of 1e-12 decide ties")
def greedy_policy(Q, tol=1e-9):
    return np.argmax(Q, axis=1)


@mutant("greedy_policy", "ties broken to the highest action index")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=1, keepdims=True)
    return Q.shape[1] - 1 - np.argmax((Q >= best - tol)[:, ::-1], axis=1)


@mutant("greedy_policy", "argmax over the wrong axis (the best state for each action)")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=0, keepdims=True)
    return np.argmax(Q >= best - tol, axis=0)


@mutant("greedy_policy", "argmin: picks the worst action")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    worst = np.min(Q, axis=1, keepdims=True)
    return np.argmax(Q <= worst + tol, axis=1)


# --- value_iteration ---------------------------------------------------------------------------------------

def _value_iteration(P, R, terminal, gamma, tol, max_sweeps, *, count_from_zero=False, ignore_terminal=False,
                     states_axis=False, stale_policy=False, highest_ties=False):
    """The reference's value iteration with switchable mistakes (shared by the mutants below)."""
    V = np.zeros(R.shape[0])
    first = 0 if count_from_zero else 1
    for sweep in range(first, max_sweeps + first):
        Q = _backup(P, R, terminal, V, gamma, ignore_terminal=ignore_terminal)
        if states_axis:
            V_new = np.max(Q, axis=0).mean() + 0.0 * V  # one value for every state
        else:
            V_new = np.max(Q, axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    if not stale_policy:
        Q = _backup(P, R, terminal, V, gamma, ignore_terminal=ignore_terminal)
    if highest_ties:
        return V, Q.shape[1] - 1 - greedy_policy(Q[:, ::-1]), sweep
    return V, greedy_policy(Q), sweep


@mutant("value_iteration", "in-place sweep: later states already use this sweep's new values")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):
    V, sweep = _in_place_sweeps(P, R, terminal, gamma, tol, max_sweeps)
    return V, greedy_policy(q_from_v(P, R, terminal, V, gamma)), sweep


@mutant("value_iteration", "returns the policy that is greedy for the values before the last sweep")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _value_iteration(P, R, terminal, gamma, tol, max_sweeps, stale_policy=True)


@mutant("value_iteration", "max over the wrong axis (over states, not actions): every state gets the same value")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _value_iteration(P, R, terminal, gamma, tol, max_sweeps, states_axis=True)


@mutant("value_iteration", "terminal states bootstrapped and rewarded: no terminal handling at all")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _value_iteration(P, R, terminal, gamma, tol, max_sweeps, ignore_terminal=True)


@mutant("value_iteration", "ties in the returned policy broken to the highest action index")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _value_iteration(P, R, terminal, gamma, tol, max_sweeps, highest_ties=True)


@mutant("value_iteration", "sweep count off by one (counts from 0)")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _value_iteration(P, R, terminal, gamma, tol, max_sweeps, count_from_zero=True)


# --- policy_iteration -----------------------------------------------------------------------------------------

def _policy_iteration(P, R, terminal, gamma, tol, max_rounds, *, one_sweep=False, default_tol=False,
                      plain_argmax=False, improved_with_old_value=False, last_round_uncounted=False):
    """The reference's policy iteration with switchable mistakes (shared by the mutants below)."""
    policy = np.zeros(R.shape[0], dtype=int)
    rounds = 0
    while True:
        rounds += 1
        if one_sweep:
            V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol, 1)
        elif default_tol:
            V, _ = policy_evaluation(P, R, terminal, policy, gamma)
        else:
            V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
        Q = q_from_v(P, R, terminal, V, gamma)
        improved = np.argmax(Q, axis=1) if plain_argmax else greedy_policy(Q)
        if np.array_equal(improved, policy) or rounds >= max_rounds:
            returned = improved if improved_with_old_value else policy
            return V, returned, rounds - 1 if last_round_uncounted else rounds
        policy = improved


@mutant("policy_iteration", "stops after the first improvement instead of when the policy is stable")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):
    policy = np.zeros(R.shape[0], dtype=int)
    V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
    policy = greedy_policy(q_from_v(P, R, terminal, V, gamma))
    V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
    return V, policy, 1


@mutant("policy_iteration", "one evaluation sweep per round instead of evaluating to the tolerance")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    return _policy_iteration(P, R, terminal, gamma, tol, max_rounds, one_sweep=True)


@mutant("policy_iteration", "rounds off by one: the final round that finds the policy stable is not counted")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    return _policy_iteration(P, R, terminal, gamma, tol, max_rounds, last_round_uncounted=True)


@mutant("policy_iteration", "returns the improved policy together with the value of the previous one")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    return _policy_iteration(P, R, terminal, gamma, tol, max_rounds, improved_with_old_value=True)


# --- mistakes the docstrings' exact promises catch (dtype, strict tolerance) -------------------------

@mutant("greedy_policy", "actions returned as floats (np.argmax(...) * 1.0)")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=1, keepdims=True)
    return np.argmax(Q >= best - tol, axis=1) * 1.0


@mutant("policy_evaluation", "stops when the change is at most tol instead of strictly below it")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, stop_at_tol=True)


@mutant("policy_iteration", "evaluates every policy with the default tolerance instead of the given tol")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    return _policy_iteration(P, R, terminal, gamma, tol, max_rounds, default_tol=True)


# --- exact_policy_evaluation -------------------------------------------------------------------------------

def _shapes_checked(P, R, terminal):
    """P, R and terminal as float, float and bool arrays; ValueError unless (S, A, S), (S, A) and (S,)."""
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("P, R and terminal must have shapes (S, A, S), (S, A) and (S,)")
    return P, R, terminal


def _exact_policy_evaluation(P, R, terminal, policy, gamma, *, whole_system=False, terminal_rows_kept=False,
                             transposed=False, mean_reward=False, discounted_reward=False, least_squares=False,
                             junk_at_terminal=False):
    """The reference's linear solve with switchable mistakes (shared by the mutants below)."""
    P, R, terminal = _shapes_checked(P, R, terminal)
    policy = np.asarray(policy)
    if policy.shape == R.shape[:1]:
        policy = np.eye(R.shape[1])[policy if junk_at_terminal else np.where(terminal, 0, policy)]
    elif policy.shape != R.shape:
        raise ValueError("the policy must be an (S,) array of actions or an (S, A) array of probabilities")
    P_pi = np.einsum("sa,sat->st", policy, P)
    R_pi = R.mean(axis=1) if mean_reward else np.sum(policy * R, axis=1)
    if discounted_reward:
        R_pi = gamma * R_pi
    if whole_system:  # the terminal states' junk rows solved with the rest
        return np.linalg.solve(np.eye(len(R)) - gamma * P_pi, R_pi)
    if terminal_rows_kept:  # no way into a terminal state, but its own row stays in the system
        return np.linalg.solve(np.eye(len(R)) - gamma * P_pi * ~terminal[None, :], R_pi)
    live = ~terminal
    P_pi = P_pi[np.ix_(live, live)]
    if transposed:
        P_pi = P_pi.T
    V = np.zeros(R.shape[0])
    if least_squares:
        V[live] = np.linalg.lstsq(np.eye(live.sum()) - gamma * P_pi, R_pi[live], rcond=None)[0]
    else:
        V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, R_pi[live])
    return V


@mutant("exact_policy_evaluation", "terminal states not treated: their junk rows enter the linear system")
def exact_policy_evaluation(P, R, terminal, policy, gamma):
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, whole_system=True)


@mutant("exact_policy_evaluation", "transitions into terminal states cut, but the terminal states' own rows kept")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, terminal_rows_kept=True)


@mutant("exact_policy_evaluation", "the policy's transition matrix transposed (columns as current states)")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, transposed=True)


@mutant("exact_policy_evaluation", "the reward averaged over all actions instead of weighted by the policy")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, mean_reward=True)


@mutant("exact_policy_evaluation", "the first reward discounted too: solves (I - gamma P_pi) V = gamma R_pi")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, discounted_reward=True)


@mutant("exact_policy_evaluation", "no shape checks: a terminal mask or policy that numpy broadcasts is accepted")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    live = np.broadcast_to(~np.asarray(terminal, dtype=bool), (len(R),))
    probabilities = np.broadcast_to(_probabilities(policy, R.shape[1]), R.shape)
    P_pi = np.einsum("sa,sat->st", probabilities, np.broadcast_to(P, (len(R), R.shape[1], len(R))))[np.ix_(live, live)]
    V = np.zeros(len(R))
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, np.sum(probabilities * R, axis=1)[live])
    return V


@mutant("exact_policy_evaluation", "least squares instead of a solve: no error for a singular system")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, least_squares=True)


# --- q_value_iteration --------------------------------------------------------------------------------------

def _checked(P, R, terminal, gamma, tol, max_sweeps):
    """The reference's checks of q_value_iteration: shapes, then the parameters' ranges."""
    P, R, terminal = _shapes_checked(P, R, terminal)
    if not 0.0 <= gamma <= 1.0 or tol < 0 or max_sweeps < 1:
        raise ValueError("gamma must lie in [0, 1], tol must be >= 0 and max_sweeps >= 1")
    return P, R, terminal


def _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, *, checks=True, ignore_terminal=False,
                       stop_at_tol=False, change_of_values=False, start_from_rewards=False, mean_backup=False):
    """The reference's Q-value iteration with switchable mistakes (shared by the mutants below)."""
    if checks:
        P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.where(terminal[:, None], 0.0, R) if start_from_rewards else np.zeros(np.shape(R))
    sweep = 0  # returned as it is when max_sweeps < 1 gets past missing checks
    for sweep in range(1, max_sweeps + 1):
        V = np.mean(Q, axis=1) if mean_backup else np.max(Q, axis=1)
        Q_new = _backup(P, R, terminal, V, gamma, ignore_terminal=ignore_terminal)
        if change_of_values:
            change = np.max(np.abs(Q_new.max(axis=1) - Q.max(axis=1)))
        else:
            change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change <= tol if stop_at_tol else change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "terminal rows not zeroed: their junk rewards accumulate and others bootstrap from them")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, ignore_terminal=True)


@mutant("q_value_iteration", "stops when the change is at most tol (not strictly below)")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, stop_at_tol=True)


@mutant("q_value_iteration", "in-place sweeps: later states already see this sweep's new values")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        old = Q.copy()
        for s in range(len(R)):
            Q[s] = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)[s]
        if np.max(np.abs(Q - old)) < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "the change measured on max_a Q (the values), not on the whole table")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, change_of_values=True)


@mutant("q_value_iteration", "starts from Q_0 = R instead of 0")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, start_from_rewards=True)


@mutant("q_value_iteration", "backs up the mean over next actions (evaluates the uniform policy) instead of the max")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, mean_backup=True)


@mutant("q_value_iteration", "no checks: shapes numpy broadcasts and parameters out of range are accepted")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps, checks=False)


@mutant("q_value_iteration", "the sweep count as a numpy integer, the table in the input's float32")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    Q, sweep = _q_value_iteration(P, R, terminal, gamma, tol, max_sweeps)
    return Q.astype(np.asarray(R).dtype), np.int64(sweep)


# --- mistakes an independent student made: junk at terminal states, dtypes, absolute ties ---------------------

@mutant("q_from_v", "float32 inputs give a float32 table (the float64 promise not kept)")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    Q = R + gamma * np.einsum("sat,t->sa", P, np.where(terminal, 0.0, V))
    Q[terminal] = 0.0
    return Q


@mutant("q_from_v", "masks terminal states by multiplying with 0: inf or nan there becomes nan everywhere")
def q_from_v(P, R, terminal, V, gamma):  # noqa: F811
    live = 1.0 - np.asarray(terminal, dtype=float)
    return (R + gamma * P @ (V * live)) * live[:, None]


@mutant("policy_evaluation", "uses the policy's entries at terminal states: an action out of range or nan breaks it")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, junk_at_terminal=True)


@mutant("policy_evaluation", "tells actions from probabilities by dtype: an (S, A) int 0/1 array is taken for actions")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _policy_evaluation(P, R, terminal, policy, gamma, tol, max_sweeps, actions_by_dtype=True)


@mutant("exact_policy_evaluation", "uses a terminal state's action: an action out of range raises IndexError")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    return _exact_policy_evaluation(P, R, terminal, policy, gamma, junk_at_terminal=True)


@mutant("greedy_policy", "a relative tolerance: tol * |best| instead of tol")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=1, keepdims=True)
    return np.argmax(Q >= best - tol * np.abs(best), axis=1)


@mutant("policy_iteration", "improves with a plain argmax: rounding noise flips tied actions")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    return _policy_iteration(P, R, terminal, gamma, tol, max_rounds, plain_argmax=True)
