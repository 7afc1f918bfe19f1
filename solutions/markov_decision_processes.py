"""Reference solutions for lecture 07, Markov decision processes.

Each function has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source, so
a body uses only numpy (``np``) and the other graded functions.

Conventions (see ``course/rl.py``): P[s, a, s'] transition probabilities, R[s, a] expected
immediate rewards, ``terminal[s]`` True where an episode ends. Terminal states have value 0,
Q[s, a] = 0 for a terminal s, and the rows of P and R of terminal states are ignored.
"""
import numpy as np


def discounted_return(rewards: np.ndarray, gamma: float) -> float:
    """Reference for the exercise of the same name."""
    rewards = np.asarray(rewards, dtype=float)
    discounts = gamma ** np.arange(len(rewards))
    return float(np.sum(discounts * rewards))


def gridworld_model(layout: list[str], step_cost: float, slip: float = 0.0, goal_reward: float = 0.0,
                    trap_reward: float = -1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference for the exercise of the same name."""
    n_rows = len(layout)
    n_cols = len(layout[0]) if n_rows else 0
    if n_rows == 0 or n_cols == 0 or any(len(row) != n_cols for row in layout):
        raise ValueError("the layout must be a non-empty rectangle of letters")
    if any(letter not in "SFGH" for row in layout for letter in row):
        raise ValueError("the layout may only hold the letters S, F, G and H")
    n_states = n_rows * n_cols
    moves = [(0, -1), (1, 0), (0, 1), (-1, 0)]  # (row change, column change) of LEFT, DOWN, RIGHT, UP
    P = np.zeros((n_states, 4, n_states))
    R = np.zeros((n_states, 4))
    terminal = np.zeros(n_states, dtype=bool)
    for s in range(n_states):
        row, col = divmod(s, n_cols)
        terminal[s] = layout[row][col] in "GH"
        for a in range(4):
            if terminal[s]:
                P[s, a, s] = 1.0  # absorbing, no reward
                continue
            for direction, prob in [(a, 1.0 - slip), ((a - 1) % 4, slip / 2), ((a + 1) % 4, slip / 2)]:
                new_row = min(max(row + moves[direction][0], 0), n_rows - 1)
                new_col = min(max(col + moves[direction][1], 0), n_cols - 1)
                letter = layout[new_row][new_col]
                reward = -step_cost + {"G": goal_reward, "H": trap_reward}.get(letter, 0.0)
                P[s, a, new_row * n_cols + new_col] += prob
                R[s, a] += prob * reward
    return P, R, terminal


def q_from_v(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, V: np.ndarray, gamma: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    next_values = np.where(terminal, 0.0, np.asarray(V, dtype=float))  # nothing follows a terminal state
    Q = R + gamma * np.einsum("sat,t->sa", P, next_values)
    Q[terminal] = 0.0
    return Q


def policy_evaluation(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, policy: np.ndarray, gamma: float,
                      tol: float = 1e-8, max_sweeps: int = 10_000) -> tuple[np.ndarray, int]:
    """Reference for the exercise of the same name."""
    policy = np.asarray(policy)
    n_states, n_actions = R.shape
    if policy.shape == (n_states,):  # the shape, not the dtype, tells actions from probabilities
        policy = np.eye(n_actions)[np.where(terminal, 0, policy)]
    V = np.zeros(n_states)
    for sweep in range(1, max_sweeps + 1):
        # select, not multiply: a terminal state's policy entries may be nan
        V_new = np.sum(np.where(terminal[:, None], 0.0, policy * q_from_v(P, R, terminal, V, gamma)), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, sweep


def exact_policy_evaluation(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, policy: np.ndarray,
                            gamma: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    P, R, policy = np.asarray(P, dtype=float), np.asarray(R, dtype=float), np.asarray(policy)
    terminal = np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("P, R and terminal must have shapes (S, A, S), (S, A) and (S,)")
    if policy.shape == R.shape[:1]:
        policy = np.eye(R.shape[1])[np.where(terminal, 0, policy)]  # a terminal state's action may be junk
    elif policy.shape != R.shape:
        raise ValueError("the policy must be an (S,) array of actions or an (S, A) array of probabilities")
    live = ~terminal  # terminal states are worth 0: solve for the others only
    P_pi = np.einsum("sa,sat->st", policy, P)[np.ix_(live, live)]
    R_pi = np.sum(policy * R, axis=1)[live]
    V = np.zeros(R.shape[0])
    V[live] = np.linalg.solve(np.eye(len(R_pi)) - gamma * P_pi, R_pi)
    return V


def greedy_policy(Q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Reference for the exercise of the same name."""
    best = np.max(Q, axis=1, keepdims=True)
    return np.argmax(Q >= best - tol, axis=1)


def value_iteration(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, gamma: float, tol: float = 1e-8,
                    max_sweeps: int = 10_000) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference for the exercise of the same name."""
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = np.max(q_from_v(P, R, terminal, V, gamma), axis=1)
        change = np.max(np.abs(V_new - V))
        V = V_new
        if change < tol:
            break
    return V, greedy_policy(q_from_v(P, R, terminal, V, gamma)), sweep


def q_value_iteration(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, gamma: float, tol: float = 1e-8,
                      max_sweeps: int = 10_000) -> tuple[np.ndarray, int]:
    """Reference for the exercise of the same name."""
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    terminal = np.asarray(terminal, dtype=bool)
    if R.ndim != 2 or P.shape != (R.shape[0], R.shape[1], R.shape[0]) or terminal.shape != R.shape[:1]:
        raise ValueError("P, R and terminal must have shapes (S, A, S), (S, A) and (S,)")
    if not 0.0 <= gamma <= 1.0 or tol < 0 or max_sweeps < 1:
        raise ValueError("gamma must lie in [0, 1], tol must be >= 0 and max_sweeps >= 1")
    Q = np.zeros(R.shape)
    for sweep in range(1, max_sweeps + 1):
        Q_new = q_from_v(P, R, terminal, np.max(Q, axis=1), gamma)
        change = np.max(np.abs(Q_new - Q))
        Q = Q_new
        if change < tol:
            break
    return Q, sweep


def policy_iteration(P: np.ndarray, R: np.ndarray, terminal: np.ndarray, gamma: float, tol: float = 1e-10,
                     max_rounds: int = 1000) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference for the exercise of the same name."""
    policy = np.zeros(R.shape[0], dtype=int)
    rounds = 0
    while True:
        rounds += 1
        V, _ = policy_evaluation(P, R, terminal, policy, gamma, tol)
        improved = greedy_policy(q_from_v(P, R, terminal, V, gamma))
        if np.array_equal(improved, policy) or rounds >= max_rounds:
            return V, policy, rounds
        policy = improved
