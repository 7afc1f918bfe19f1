"""Lecture 08's multi-seed figure: DQN against Double DQN on CartPole, same seeds, same budget.

For each seed and method the reference ``train_dqn`` (solutions/q_learning.py) trains with the
lecture's settings for a fixed number of steps (no early stop, so both methods get the same
budget). Reported per run:

- overestimation of the final network: the mean of max_a Q(s, a) over the states its greedy
  policy visits on fresh episodes, against the discounted return actually obtained from those
  states (``course.q_learning.overestimation``);
- the held-out greedy return of the snapshot the evaluator kept (chosen on seeds 10,000-10,019),
  measured on 100 fresh episodes (seeds 50,000-50,099), and of the final network.

It also records the tabular runs on CliffWalking that the notebook's widgets A and B and its
Expected SARSA cell show (``course/data/cliff_runs.npz``, see :func:`record_cliff`): SARSA,
Q-learning and Expected SARSA for every epsilon of the widgets' slider, three seeds, 1000
episodes, learned by :func:`td_control`, a fast table-driven learner that makes exactly the
reference's moves and updates (``tests/prompts/test_q_learning.py`` checks it against
``sarsa_episode`` and ``q_learning_episode`` of solutions/ fed the same random numbers).

Usage: ``nice -n 10 .venv/bin/python tools/figures/q_learning.py [--steps 30000] [--seeds 0 1 2 3 4]
[--cliff-only]``. Prints a plain table and writes it to build/figures/q_learning.txt.
"""
from __future__ import annotations

import argparse
import itertools
import pathlib
import sys
from collections.abc import Iterator

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import q_learning as lecture  # noqa: E402
from solutions import q_learning as reference  # noqa: E402

METHODS = {"DQN": False, "Double DQN": True}


def one_run(seed: int, double: bool, n_steps: int) -> dict[str, float]:
    """Train one network and measure it."""
    run = lecture.run_dqn(reference.train_dqn, reference.ReplayBuffer, n_steps=n_steps, seed=seed, progress=False,
                          double=double, stop_at_target=False)
    measured = lecture.overestimation(run["q_net"], lecture.DQN_SETTINGS["gamma"])
    return {"predicted": measured["predicted"], "actual": measured["actual"], "over": measured["over"],
            "best_selection": run["evaluator"].best_return,
            "best_held_out": lecture.held_out_return(run["evaluator"].best),
            "final_held_out": lecture.held_out_return(run["q_net"]),
            "seconds": run["seconds"]}


# --- tabular control on CliffWalking, recorded for the widgets -------------------------------------

CLIFF_METHODS = ("SARSA", "Q-learning", "Expected SARSA")


def _uniforms(rng: np.random.Generator, block: int = 8192) -> Iterator[float]:
    """An endless stream of uniform numbers, drawn in blocks (scalar draws are slow); a chain
    of list iterators, so that ``next`` runs in C."""
    return itertools.chain.from_iterable(rng.random(block).tolist() for _ in itertools.count())


class UniformDraws:
    """A stand-in for ``np.random.Generator`` that answers ``random``, ``integers(n)`` and
    ``choice(options)`` from one stream of uniforms, one number each: fed to the reference's
    episodes, it makes them draw what :func:`td_control` draws."""

    def __init__(self, seed: int):
        self.stream = _uniforms(np.random.default_rng(seed))

    def random(self) -> float:
        return next(self.stream)

    def integers(self, n: int) -> int:
        return int(next(self.stream) * n)

    def choice(self, options):
        return options[int(next(self.stream) * len(options))]


def _expected_value(row: list[float], epsilon: float) -> float:
    """The mean of ``row`` under the epsilon-greedy policy (the tied greedy actions all have the top value)."""
    return epsilon * sum(row) / len(row) + (1.0 - epsilon) * max(row)


def td_control(method: str, epsilon: float, n_episodes: int = 500, alpha: float = 0.5, gamma: float = 1.0,
               seed: int = 0, snapshots: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Learn CliffWalking's Q-table with SARSA, Q-learning or Expected SARSA from Q = 0; return
    (Q (S, A), reward of each episode, {n: Q after n episodes for n in snapshots}).

    Expected SARSA bootstraps from the mean of Q(s', .) under the epsilon-greedy policy (ties
    share the greedy probability). Behaviour is epsilon-greedy with random tie-breaking, two
    uniforms per decision (explore?, which action), as :class:`UniformDraws` gives them to the
    reference's ``epsilon_greedy``.
    """
    nxt, reward, ends = (table.tolist() for table in lecture.cliff_table())
    n_actions = len(nxt[0])
    q = [[0.0] * n_actions for _ in nxt]
    uniforms = _uniforms(np.random.default_rng(seed))

    def act(state: int) -> int:
        explore, pick = next(uniforms), next(uniforms)
        if explore < epsilon:
            return int(pick * n_actions)
        row = q[state]
        top = max(row)
        if row.count(top) == 1:  # the common case, without building the list of ties
            return row.index(top)
        ties = [a for a in range(n_actions) if row[a] == top]
        return ties[int(pick * len(ties))]

    sarsa = method == "SARSA"
    totals, kept = [], {}
    for episode in range(1, n_episodes + 1):
        state = lecture.CLIFF_START
        action = act(state) if sarsa else None
        done, total = False, 0.0
        while not done:
            if not sarsa:
                action = act(state)
            following, r, done = nxt[state][action], reward[state][action], ends[state][action]
            if sarsa:
                chosen = act(following)
                ahead = q[following][chosen]
            elif method == "Expected SARSA":
                ahead = _expected_value(q[following], epsilon)
            else:
                ahead = max(q[following])
            q[state][action] += alpha * (r + (0.0 if done else gamma * ahead) - q[state][action])
            total += r
            state = following
            if sarsa:
                action = chosen
        totals.append(total)
        if episode in snapshots:
            kept[episode] = np.array(q)
    return np.array(q), np.array(totals), kept


def record_cliff() -> dict[str, np.ndarray]:
    """What ``course/data/cliff_runs.npz`` holds (see ``course.q_learning.recorded_run``)."""
    shape = (len(CLIFF_METHODS), len(lecture.CLIFF_EPSILONS))
    totals = np.zeros((*shape, lecture.CLIFF_SEEDS, lecture.CLIFF_EPISODES), dtype=np.int32)
    tables = np.zeros((*shape, len(lecture.CLIFF_SNAPSHOTS), 48, 4))
    for (m, method), (e, epsilon) in itertools.product(enumerate(CLIFF_METHODS), enumerate(lecture.CLIFF_EPSILONS)):
        for seed in range(lecture.CLIFF_SEEDS):
            _, run_totals, kept = td_control(method, epsilon, lecture.CLIFF_EPISODES, lecture.CLIFF_ALPHA, 1.0, seed,
                                             lecture.CLIFF_SNAPSHOTS if seed == 0 else ())
            totals[m, e, seed] = run_totals
            if seed == 0:
                tables[m, e] = [kept[n] for n in lecture.CLIFF_SNAPSHOTS]
    return {"methods": np.array(CLIFF_METHODS), "epsilons": np.array(lecture.CLIFF_EPSILONS),
            "snapshots": np.array(lecture.CLIFF_SNAPSHOTS), "totals": totals, "tables": tables}


def table(results: dict[tuple[str, int], dict[str, float]], seeds: list[int], n_steps: int) -> str:
    header = (f"DQN against Double DQN on CartPole-v1, {n_steps} steps each, lecture settings, seeds {seeds}\n"
              "over = mean max_a Q(s,a) - mean discounted return obtained, over the final network's greedy states\n"
              "(10 episodes, seeds 50000-50009); held-out = greedy mean over 100 fresh episodes (seeds 50000-50099)\n"
              "of the snapshot chosen on seeds 10000-10019 (selection) and of the final network\n\n")
    lines = [f"{'method':<11} {'seed':>4} {'mean Q':>8} {'return':>8} {'over':>8} {'select':>8} "
             f"{'held-out':>9} {'final':>8} {'sec':>6}"]
    for method in METHODS:
        for seed in seeds:
            r = results[(method, seed)]
            lines.append(f"{method:<11} {seed:>4} {r['predicted']:8.2f} {r['actual']:8.2f} {r['over']:8.2f} "
                         f"{r['best_selection']:8.1f} {r['best_held_out']:9.1f} {r['final_held_out']:8.1f} "
                         f"{r['seconds']:6.0f}")
        rows = [results[(method, seed)] for seed in seeds]
        lines.append(f"{method + ' mean':<16} {np.mean([r['predicted'] for r in rows]):8.2f} "
                     f"{np.mean([r['actual'] for r in rows]):8.2f} {np.mean([r['over'] for r in rows]):8.2f} "
                     f"{np.mean([r['best_selection'] for r in rows]):8.1f} "
                     f"{np.mean([r['best_held_out'] for r in rows]):9.1f} "
                     f"{np.mean([r['final_held_out'] for r in rows]):8.1f}")
    return header + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--cliff-only", action="store_true", help="only rewrite course/data/cliff_runs.npz")
    args = parser.parse_args()
    np.savez_compressed(lecture.CLIFF_FILE, **record_cliff())
    print(f"wrote {lecture.CLIFF_FILE}", flush=True)
    if args.cliff_only:
        return
    torch.set_num_threads(1)
    results = {}
    for seed in args.seeds:
        for method, double in METHODS.items():
            results[(method, seed)] = one_run(seed, double, args.steps)
            print(f"{method} seed {seed}: {results[(method, seed)]}", flush=True)
    text = table(results, args.seeds, args.steps)
    print(text)
    out = ROOT / "build" / "figures" / "q_learning.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
