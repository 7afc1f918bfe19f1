"""Lecture 07's recorded runs: modified policy iteration on the slippery 8x8 lake, for every k of widget C.

Widget C shows these runs from ``course/data/modified_policy_iteration.json`` instead of computing
them, so that ``course/`` holds no solver (evaluation sweeps and greedy improvement are the
lecture's exercises). V* comes from the reference ``value_iteration`` (solutions/); the rounds
(a greedy backup, then k - 1 evaluation sweeps of that policy) are written out here.

Usage: ``nice -n 10 .venv/bin/python tools/figures/markov_decision_processes.py``. Rewrites the
JSON file and prints a table of rounds and work per k (also in build/figures/markov_decision_processes.txt).
``tests/prompts/test_markov_decision_processes.py`` checks that the file matches a fresh run.
"""
from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import markov_decision_processes as lecture  # noqa: E402
from course import rl  # noqa: E402
from solutions import markov_decision_processes as reference  # noqa: E402

V_STAR_SWEEPS = 3000  # value iteration sweeps for V* (gamma = 0.95: the last ones change nothing)


def mpi_world() -> tuple[rl.TabularModel, np.ndarray]:
    """The slippery FrozenLake 8x8 model and its V* for gamma = MPI_GAMMA."""
    model = rl.model_from_env(rl.make_frozen_lake(lecture.MPI_MAP))
    v_star, _, _ = reference.value_iteration(model.P, model.R, model.terminal, lecture.MPI_GAMMA, 0.0, V_STAR_SWEEPS)
    return model, v_star


def modified_policy_iteration(model: rl.TabularModel, v_star: np.ndarray, k: float, max_rounds: int = 5000) -> dict:
    """Modified policy iteration from V_0 = 0 until |V - V*| < MPI_TARGET.

    A round makes the policy greedy for V (one backup with a max over actions, S^2 A
    multiply-adds, which is also the policy's first evaluation sweep) and then applies k - 1
    more sweeps of that policy's Bellman expectation backup (S^2 each). k = 1 is value
    iteration; k = inf evaluates each policy until a sweep changes V by less than
    MPI_EVALUATION_TOL, which is policy iteration warm-started from the last V.
    Returns the ``errors`` |V - V*| after each round (the first for V_0), the cumulative
    ``costs`` in multiply-adds, the ``sweeps`` of each round and the number of ``rounds``.
    """
    gamma = lecture.MPI_GAMMA
    continuing = model.P * ~model.terminal[None, None, :]
    states = np.arange(model.n_states)
    values = np.zeros(model.n_states)
    errors, costs, sweeps = [float(np.max(np.abs(values - v_star)))], [0], []
    while errors[-1] >= lecture.MPI_TARGET and len(sweeps) < max_rounds:
        lookahead = model.R + gamma * continuing @ values  # the rows of terminal states are 0 in these models
        policy = lookahead.argmax(axis=1)
        values = np.where(model.terminal, 0.0, lookahead.max(axis=1))
        step, reward, done = continuing[states, policy], model.R[states, policy], 1
        while done < k:
            new = np.where(model.terminal, 0.0, reward + gamma * step @ values)
            change, values, done = np.max(np.abs(new - values)), new, done + 1
            if k == np.inf and change < lecture.MPI_EVALUATION_TOL:
                break
        sweeps.append(done)
        costs.append(costs[-1] + model.n_states ** 2 * (model.n_actions + done - 1))
        errors.append(float(np.max(np.abs(values - v_star))))
    return {"errors": errors, "costs": costs, "sweeps": sweeps, "rounds": len(sweeps)}


def record() -> dict:
    """Every k's run, in the form of the JSON file."""
    model, v_star = mpi_world()
    return {"n_states": model.n_states, "n_actions": model.n_actions,
            "runs": {lecture.k_key(k): modified_policy_iteration(model, v_star, k) for k in lecture.MPI_SWEEPS}}


def table(recorded: dict) -> str:
    lines = [f"modified policy iteration, FrozenLake {lecture.MPI_MAP}, gamma {lecture.MPI_GAMMA}, "
             f"until |V - V*| < {lecture.MPI_TARGET:g}", f"{'k':>5} {'rounds':>7} {'mean sweeps':>12} {'million':>8}"]
    for key, run in recorded["runs"].items():
        lines.append(f"{key:>5} {run['rounds']:7d} {np.mean(run['sweeps']):12.1f} {run['costs'][-1] / 1e6:8.2f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    recorded = record()
    lecture.MPI_FILE.write_text(json.dumps(recorded, indent=None, separators=(",", ":")) + "\n")
    text = table(recorded)
    print(text)
    out = ROOT / "build" / "figures" / "markov_decision_processes.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
