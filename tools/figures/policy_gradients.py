"""Lecture 09's multi-seed figure: REINFORCE against PPO on CartPole-v1, side by side, in one run.

For each seed (0-4) both reference trainers (``solutions/policy_gradients.py``) run with the
notebook's settings and the same greedy checkpoint: a greedy evaluation on 20 selection episodes
(seeds 10,000..) whenever the recent training episodes average >= 400, stopping at a greedy mean
of 475 or after 100,000 environment steps. The best snapshot is then evaluated on 100 fresh
episodes (seeds 20,000..), which played no part in choosing it.

    nice -n 10 .venv/bin/python tools/figures/policy_gradients.py     # writes build/figures/policy_gradients.txt
"""
from __future__ import annotations

import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import solutions.policy_gradients as reference  # noqa: E402
from course import policy_gradients as lecture  # noqa: E402

SEEDS = (0, 1, 2, 3, 4)
MAX_STEPS = 100_000
HELD_OUT_EPISODES = 100


def run(method: str, seed: int) -> dict:
    """One training run; steps to the threshold (None if not reached) and the held-out greedy mean."""
    start = time.perf_counter()
    if method == "REINFORCE":
        _, history, checkpoint = lecture.train_cartpole(reference.train_reinforce, seed, max_steps=MAX_STEPS,
                                                        time_budget=900.0)
    else:
        _, history, checkpoint = lecture.train_cartpole_ppo(reference.train_ppo, seed, max_steps=MAX_STEPS,
                                                            time_budget=900.0)
    held_out = checkpoint.evaluate(HELD_OUT_EPISODES, seed=lecture.HELD_OUT_SEED)
    return {"steps": checkpoint.reached[1] if checkpoint.reached else None,
            "selection": checkpoint.best_score if checkpoint.evaluations else float("nan"),
            "held_out": float(np.mean(held_out)), "held_out_min": float(np.min(held_out)),
            "seconds": time.perf_counter() - start}


def table(results: dict) -> str:
    lines = [f"CartPole-v1, greedy mean >= {lecture.CARTPOLE_THRESHOLD:g} over 20 selection episodes within "
             f"{MAX_STEPS:,} steps; held-out: the best snapshot on {HELD_OUT_EPISODES} fresh episodes "
             f"(seeds {lecture.HELD_OUT_SEED:,}..)", "",
             f"{'seed':>4} | {'REINFORCE steps':>15} {'held-out':>9} {'(min)':>6} | {'PPO steps':>9} {'held-out':>9} "
             f"{'(min)':>6} | {'steps ratio':>11}"]
    for seed in SEEDS:
        r, p = results["REINFORCE"][seed], results["PPO"][seed]
        ratio = f"{r['steps'] / p['steps']:.1f}x" if r["steps"] and p["steps"] else "-"
        lines.append(f"{seed:>4} | {r['steps'] or 'not reached':>15} {r['held_out']:>9.1f} {r['held_out_min']:>6.0f} | "
                     f"{p['steps'] or 'not reached':>9} {p['held_out']:>9.1f} {p['held_out_min']:>6.0f} | {ratio:>11}")
    for method in ("REINFORCE", "PPO"):
        runs = results[method].values()
        reached = [run["steps"] for run in runs if run["steps"]]
        lines.append(f"{method}: {len(reached)} of {len(SEEDS)} seeds reached 475"
                     + (f", median {int(np.median(reached)):,} steps" if reached else "")
                     + f"; wall {sum(run['seconds'] for run in runs):.0f} s")
    return "\n".join(lines)


def main() -> None:
    torch.set_num_threads(1)
    results = {"REINFORCE": {}, "PPO": {}}
    for seed in SEEDS:
        for method in results:
            results[method][seed] = run(method, seed)
            print(f"seed {seed} {method}: {results[method][seed]}", flush=True)
    text = table(results)
    print(text)
    out = ROOT / "build" / "figures" / "policy_gradients.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
