"""Lecture 08's multi-seed figure: DQN against Double DQN on CartPole, same seeds, same budget.

For each seed and method the reference ``train_dqn`` (solutions/q_learning.py) trains with the
lecture's settings for a fixed number of steps (no early stop, so both methods get the same
budget). Reported per run:

- overestimation of the final network: the mean of max_a Q(s, a) over the states its greedy
  policy visits on fresh episodes, against the discounted return actually obtained from those
  states (``course.q_learning.overestimation``);
- the held-out greedy return of the snapshot the evaluator kept (chosen on seeds 10,000-10,019),
  measured on 100 fresh episodes (seeds 50,000-50,099), and of the final network.

Usage: ``nice -n 10 .venv/bin/python tools/figures/q_learning.py [--steps 30000] [--seeds 0 1 2 3 4]``.
Prints a plain table and writes it to build/figures/q_learning.txt.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

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
    args = parser.parse_args()
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
