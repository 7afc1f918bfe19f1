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
    policy = np.asarray(policy)
    return np.eye(n_actions)[policy] if policy.ndim == 1 else policy


@mutant("policy_evaluation", "in-place sweep: later states already use this sweep's new values")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):
    pi = _probabilities(policy, R.shape[1])
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        change = 0.0
        for s in range(len(V)):
            new = 0.0 if terminal[s] else float(pi[s] @ (R[s] + gamma * P[s] @ np.where(terminal, 0.0, V)))
            change = max(change, abs(new - V[s]))
            V[s] = new
        if change < tol:
            break
    return V, sweep


@mutant("policy_evaluation", "sweep count off by one (the sweep that detects convergence is not counted)")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    pi = _probabilities(policy, R.shape[1])
    V = np.zeros(R.shape[0])
    for sweep in range(max_sweeps):
        V_new = np.sum(pi * q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, sweep


@mutant("policy_evaluation", "ignores the policy: backs up the best action (value iteration)")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.max(q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, sweep


@mutant("policy_evaluation", "terminal states bootstrapped and rewarded: no terminal handling at all")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    pi = _probabilities(policy, R.shape[1])
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.sum(pi * (R + gamma * P @ V), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, sweep


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

@mutant("value_iteration", "in-place sweep: later states already use this sweep's new values")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        change = 0.0
        for s in range(len(V)):
            new = 0.0 if terminal[s] else float(np.max(R[s] + gamma * P[s] @ np.where(terminal, 0.0, V)))
            change = max(change, abs(new - V[s]))
            V[s] = new
        if change < tol:
            break
    return V, greedy_policy(q_from_v(P, R, terminal, V, gamma)), sweep


@mutant("value_iteration", "returns the policy that is greedy for the values before the last sweep")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        Q = q_from_v(P, R, terminal, V, gamma)
        V_new = np.max(Q, axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, greedy_policy(Q), sweep


@mutant("value_iteration", "max over the wrong axis (over states, not actions): every state gets the same value")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        Q = q_from_v(P, R, terminal, V, gamma)
        V_new = np.max(Q, axis=0).mean() + 0.0 * V
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, greedy_policy(q_from_v(P, R, terminal, V, gamma)), sweep


@mutant("value_iteration", "terminal states bootstrapped and rewarded: no terminal handling at all")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.max(R + gamma * P @ V, axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, np.argmax(R + gamma * P @ V, axis=1), sweep


@mutant("value_iteration", "ties in the returned policy broken to the highest action index")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.max(q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    Q = q_from_v(P, R, terminal, V, gamma)
    return V, Q.shape[1] - 1 - greedy_policy(Q[:, ::-1]), sweep


@mutant("value_iteration", "sweep count off by one (counts from 0)")
def value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    V = np.zeros(R.shape[0])
    for sweep in range(max_sweeps):
        V_new = np.max(q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, greedy_policy(q_from_v(P, R, terminal, V, gamma)), sweep


# --- policy_iteration -----------------------------------------------------------------------------------------

@mutant("policy_iteration", "stops after the first improvement instead of when the policy is stable")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):
    policy = np.zeros(R.shape[0], dtype=int)
    V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
    policy = greedy_policy(q_from_v(P, R, terminal, V, gamma))
    V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
    return V, policy, 1


@mutant("policy_iteration", "one evaluation sweep per round instead of evaluating to the tolerance")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    policy = np.zeros(R.shape[0], dtype=int)
    for rounds in range(1, max_rounds + 1):
        V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol, 1)
        improved = greedy_policy(q_from_v(P, R, terminal, V, gamma))
        if np.array_equal(improved, policy) or rounds == max_rounds:
            break
        policy = improved
    return V, policy, rounds


@mutant("policy_iteration", "rounds off by one: the final round that finds the policy stable is not counted")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    policy = np.zeros(R.shape[0], dtype=int)
    for rounds in range(1, max_rounds + 1):
        V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
        improved = greedy_policy(q_from_v(P, R, terminal, V, gamma))
        if np.array_equal(improved, policy) or rounds == max_rounds:
            break
        policy = improved
    return V, policy, rounds - 1


@mutant("policy_iteration", "returns the improved policy together with the value of the previous one")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    policy = np.zeros(R.shape[0], dtype=int)
    for rounds in range(1, max_rounds + 1):
        V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
        policy_next = greedy_policy(q_from_v(P, R, terminal, V, gamma))
        stable = np.array_equal(policy_next, policy)
        policy = policy_next
        if stable or rounds == max_rounds:
            break
    return V, policy, rounds


# --- mistakes the docstrings' exact promises catch (dtype, strict tolerance) -------------------------

@mutant("greedy_policy", "actions returned as floats (np.argmax(...) * 1.0)")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=1, keepdims=True)
    return np.argmax(Q >= best - tol, axis=1) * 1.0


@mutant("policy_evaluation", "stops when the change is at most tol instead of strictly below it")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    policy = np.asarray(policy)
    n_states, n_actions = R.shape
    if policy.ndim == 1:
        policy = np.eye(n_actions)[policy]
    V = np.zeros(n_states)
    for sweep in range(1, max_sweeps + 1):
        V_new = np.sum(policy * q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change <= tol:
            break
    return V, sweep


@mutant("policy_iteration", "evaluates every policy with the default tolerance instead of the given tol")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    policy = np.zeros(R.shape[0], dtype=int)
    rounds = 0
    while True:
        rounds += 1
        V, _ = policy_evaluation(P, R, terminal, policy, gamma)
        improved = greedy_policy(q_from_v(P, R, terminal, V, gamma))
        if np.array_equal(improved, policy) or rounds >= max_rounds:
            return V, policy, rounds
        policy = improved


# --- exact_policy_evaluation -------------------------------------------------------------------------------

def _policy_matrix(R, policy):
    """An (S, A) probability array for a deterministic or stochastic policy (no checks)."""
    policy = np.asarray(policy)
    return np.eye(R.shape[1])[policy] if policy.ndim == 1 else policy


@mutant("exact_policy_evaluation", "terminal states not treated: their junk rows enter the linear system")
def exact_policy_evaluation(P, R, terminal, policy, gamma):
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    probabilities = _policy_matrix(R, policy)
    P_pi = np.einsum("sa,sat->st", probabilities, P)
    return np.linalg.solve(np.eye(len(R)) - gamma * P_pi, np.sum(probabilities * R, axis=1))


@mutant("exact_policy_evaluation", "transitions into terminal states cut, but the terminal states' own rows kept")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    probabilities = _policy_matrix(R, policy)
    P_pi = np.einsum("sa,sat->st", probabilities, P) * ~terminal[None, :]
    return np.linalg.solve(np.eye(len(R)) - gamma * P_pi, np.sum(probabilities * R, axis=1))


@mutant("exact_policy_evaluation", "the policy's transition matrix transposed (columns as current states)")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    probabilities, live = _policy_matrix(R, policy), ~np.asarray(terminal, dtype=bool)
    P_pi = np.einsum("sa,sat->st", probabilities, P)[np.ix_(live, live)].T
    V = np.zeros(len(R))
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, np.sum(probabilities * R, axis=1)[live])
    return V


@mutant("exact_policy_evaluation", "the reward averaged over all actions instead of weighted by the policy")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    probabilities, live = _policy_matrix(R, policy), ~terminal
    P_pi = np.einsum("sa,sat->st", probabilities, P)[np.ix_(live, live)]
    V = np.zeros(len(R))
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, R.mean(axis=1)[live])
    return V


@mutant("exact_policy_evaluation", "the first reward discounted too: solves (I - gamma P_pi) V = gamma R_pi")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    probabilities, live = _policy_matrix(R, policy), ~terminal
    P_pi = np.einsum("sa,sat->st", probabilities, P)[np.ix_(live, live)]
    V = np.zeros(len(R))
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, gamma * np.sum(probabilities * R, axis=1)[live])
    return V


@mutant("exact_policy_evaluation", "no shape checks: a terminal mask or policy that numpy broadcasts is accepted")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    live = np.broadcast_to(~np.asarray(terminal, dtype=bool), (len(R),))
    probabilities = np.broadcast_to(_policy_matrix(R, policy), R.shape)
    P_pi = np.einsum("sa,sat->st", probabilities, np.broadcast_to(P, (len(R), R.shape[1], len(R))))[np.ix_(live, live)]
    V = np.zeros(len(R))
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, np.sum(probabilities * R, axis=1)[live])
    return V


@mutant("exact_policy_evaluation", "least squares instead of a solve: no error for a singular system")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("shapes")
    probabilities = _policy_matrix(R, policy)
    if probabilities.shape != R.shape:
        raise ValueError("policy")
    live = ~terminal
    P_pi = np.einsum("sa,sat->st", probabilities, P)[np.ix_(live, live)]
    V = np.zeros(len(R))
    V[live] = np.linalg.lstsq(np.eye(live.sum()) - gamma * P_pi, np.sum(probabilities * R, axis=1)[live], rcond=None)[0]
    return V


# --- q_value_iteration --------------------------------------------------------------------------------------

def _checked(P, R, terminal, gamma, tol, max_sweeps):
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("shapes")
    if not 0.0 <= gamma <= 1.0 or tol < 0 or max_sweeps < 1:
        raise ValueError("parameters")
    return P, R, terminal


@mutant("q_value_iteration", "terminal rows not zeroed: their junk rewards accumulate and others bootstrap from them")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        Q_new = R + gamma * P @ np.max(Q, axis=1)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "stops when the change is at most tol (not strictly below)")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change <= tol:
            break
    return Q, sweep


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
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new.max(axis=1) - Q.max(axis=1)))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "starts from Q_0 = R instead of 0")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.where(terminal[:, None], 0.0, R)
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "backs up the mean over next actions (evaluates the uniform policy) instead of the max")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    P, R, terminal = _checked(P, R, terminal, gamma, tol, max_sweeps)
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.mean(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "no checks: shapes numpy broadcasts and parameters out of range are accepted")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    Q = np.zeros(np.shape(R))
    sweep = 0
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


@mutant("q_value_iteration", "the sweep count as a numpy integer, the table in the input's float32")
def q_value_iteration(P, R, terminal, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    _checked(P, R, terminal, gamma, tol, max_sweeps)
    R = np.asarray(R)
    Q = np.zeros(R.shape, dtype=R.dtype)
    for sweep in np.arange(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma).astype(R.dtype)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


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


def _evaluation_sweeps(P, R, terminal, pi, gamma, tol, max_sweeps):
    """Synchronous sweeps of a policy given as an (S, A) probability array."""
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.sum(pi * q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, sweep


@mutant("policy_evaluation", "uses the policy's entries at terminal states: an action out of range or nan breaks it")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    return _evaluation_sweeps(P, R, terminal, _probabilities(policy, R.shape[1]), gamma, tol, max_sweeps)


@mutant("policy_evaluation", "tells actions from probabilities by dtype: an (S, A) int 0/1 array is taken for actions")
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-8, max_sweeps=10_000):  # noqa: F811
    policy = np.asarray(policy)
    if policy.dtype.kind in "iu":
        policy = np.eye(R.shape[1])[np.where(terminal, 0, policy)]
    pi = np.where(np.asarray(terminal)[:, None], 0.0, policy)
    return _evaluation_sweeps(P, R, terminal, pi, gamma, tol, max_sweeps)


@mutant("exact_policy_evaluation", "uses a terminal state's action: an action out of range raises IndexError")
def exact_policy_evaluation(P, R, terminal, policy, gamma):  # noqa: F811
    P, R, terminal = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("P, R and terminal must have shapes (S, A, S), (S, A) and (S,)")
    if np.shape(policy) not in (R.shape[:1], R.shape):
        raise ValueError("the policy must be (S,) or (S, A)")
    pi = np.where(terminal[:, None], 0.0, _policy_matrix(R, policy))
    live = ~terminal
    P_pi = np.einsum("sa,sat->st", pi, P)[np.ix_(live, live)]
    V = np.zeros(R.shape[0])
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi, np.sum(pi * R, axis=1)[live])
    return V


@mutant("greedy_policy", "a relative tolerance: tol * |best| instead of tol")
def greedy_policy(Q, tol=1e-9):  # noqa: F811
    best = np.max(Q, axis=1, keepdims=True)
    return np.argmax(Q >= best - tol * np.abs(best), axis=1)


@mutant("policy_iteration", "improves with a plain argmax: rounding noise flips tied actions")
def policy_iteration(P, R, terminal, gamma, tol=1e-10, max_rounds=1000):  # noqa: F811
    policy = np.zeros(R.shape[0], dtype=int)
    for rounds in range(1, max_rounds + 1):
        V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
        improved = np.argmax(q_from_v(P, R, terminal, V, gamma), axis=1)
        if np.array_equal(improved, policy) or rounds == max_rounds:
            break
        policy = improved
    return V, policy, rounds
