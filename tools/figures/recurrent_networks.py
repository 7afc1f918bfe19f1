"""Lecture 04's figures: gradient flow against the lag, the long-dependency task, clipping.

All with the reference solutions (solutions/recurrent_networks.py) and the notebook's settings:

- gradient flow: ||dh_T / dx_k|| (Frobenius, float64, mean over 8 recall sequences of 61 steps)
  at lags 10, 30 and 60 for ``nn.RNN`` and ``nn.LSTM`` (32 units, forget bias 8), untrained and
  trained on the recall task of length 40 (Adam, 400 steps), and an LSTM with torch's default
  initialisation;
- long dependencies: held-out accuracy (500 sequences) on the recall task (name the first of
  ``length`` symbols) per length and seed, for the reference ``train_rnn`` (numpy, 32 units,
  SGD 0.5, clipped at 1), ``nn.RNN`` and ``nn.LSTM`` (400 steps of 32 sequences each);
- clipping: the reference ``train_rnn`` on the recall task of length 20 (W_hh at spectral
  radius about 2.5, SGD 0.5, 300 steps) without clipping and clipped at norm 1, per seed.

Usage: ``nice -n 10 .venv/bin/python tools/figures/recurrent_networks.py [--seeds 0 1 2]``.
Prints a plain table and writes it to build/figures/recurrent_networks.txt.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import warnings

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import recurrent_networks as lecture  # noqa: E402
from solutions import recurrent_networks as reference  # noqa: E402

LENGTHS = (5, 10, 20, 40, 60)
STEPS = 400
SUCCESS = 0.9  # held-out accuracy that counts as solving the task (chance is 0.25)


def numpy_rnn_accuracy(length: int, seed: int, steps: int = STEPS) -> float:
    """The notebook's run of the student's RNN (here the reference train_rnn) at one length."""
    params = lecture.rnn_parameters(8, 32, 4, seed=seed)
    batch_rng = np.random.default_rng(1000 * seed + length)
    reference.train_rnn(params, (lecture.recall_task(32, length, batch_rng) for _ in range(steps)), lr=0.5, max_norm=1.0)
    x, targets = lecture.recall_task(500, length, np.random.default_rng(99))
    hs = reference.rnn_forward(x, np.zeros((500, 32)), params["W_xh"], params["W_hh"], params["b"])
    return lecture.recall_accuracy((hs[:, -1] @ params["W_hy"].T + params["b_y"]).argmax(axis=1), targets)


def torch_model(kind: str, length: int, seed: int, steps: int = STEPS) -> lecture.RecallNet:
    torch.manual_seed(seed)
    model = lecture.RecallNet(kind, forget_bias=8.0)
    lecture.fit_recall(model, length, steps, seed=1000 * seed + length)
    return model


def gradient_flow_lines() -> list[str]:
    lines = ["Gradient flow ||dh_T/dx_k|| at lags 10, 30, 60 (seed 0; trained = recall task of length 40):",
             f"  {'model':40s} {'lag 10':>9} {'lag 30':>9} {'lag 60':>9}"]
    curves = {}
    for kind in ("RNN", "LSTM"):
        torch.manual_seed(0)
        label = " (forget bias 8)" if kind == "LSTM" else ""
        curves[f"nn.{kind} untrained{label}"] = lecture.lag_gradient_norms(
            lecture.RecallNet(kind, forget_bias=8.0), 61)
        curves[f"nn.{kind} trained"] = lecture.lag_gradient_norms(torch_model(kind, 40, 0), 61)
    torch.manual_seed(0)
    curves["nn.LSTM untrained, torch's default init"] = lecture.lag_gradient_norms(lecture.RecallNet("LSTM"), 61)
    for name, norms in curves.items():
        lines.append(f"  {name:40s} {norms[10]:9.1e} {norms[30]:9.1e} {norms[60]:9.1e}")
    return lines


def long_dependency_lines(seeds: list[int]) -> list[str]:
    models = {"numpy RNN (train_rnn)": numpy_rnn_accuracy,
              "nn.RNN": lambda length, seed: lecture.torch_recall_accuracy(torch_model("RNN", length, seed), length),
              "nn.LSTM": lambda length, seed: lecture.torch_recall_accuracy(torch_model("LSTM", length, seed), length)}
    lines = ["", f"Recall task, held-out accuracy per seed {seeds} (chance 0.25; {STEPS} steps of 32 sequences):",
             f"  {'length':>6}  " + "  ".join(f"{name:>28s}" for name in models)]
    means = {name: {} for name in models}
    for length in LENGTHS:
        cells = []
        for name, accuracy in models.items():
            values = [accuracy(length, seed) for seed in seeds]
            means[name][length] = float(np.mean(values))
            cells.append(f"{np.mean(values):.2f} (" + " ".join(f"{v:.2f}" for v in values) + ")")
        lines.append(f"  {length:6d}  " + "  ".join(f"{cell:>28s}" for cell in cells))
        print(lines[-1], flush=True)
    lstm = means["nn.LSTM"]
    for name in ("numpy RNN (train_rnn)", "nn.RNN"):
        failing = [length for length in LENGTHS if means[name][length] < SUCCESS <= lstm[length]]
        first = failing[0] if failing else None
        lines.append(f"  shortest length where {name} fails (mean accuracy < {SUCCESS}) and nn.LSTM succeeds: {first}")
    return lines


def clipping_lines(seeds: list[int]) -> list[str]:
    lines = ["", "Clipping: train_rnn on recall length 20, W_hh radius ~2.5, SGD 0.5, 300 steps:",
             f"  {'seed':>4} {'run':>18} {'first loss':>10} {'largest':>8} {'last 50 mean':>12} {'norm > 1':>9} {'largest norm':>12}"]
    for seed in seeds:
        for name, max_norm in (("no clipping", None), ("clipped at norm 1", 1.0)):
            params = lecture.rnn_parameters(8, 32, 4, seed=seed, recurrent_scale=2.5)
            batch_rng = np.random.default_rng(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                history = reference.train_rnn(params, (lecture.recall_task(32, 20, batch_rng) for _ in range(300)),
                                              lr=0.5, max_norm=max_norm)
            losses, norms = np.array(history).T
            lines.append(f"  {seed:4d} {name:>18} {losses[0]:10.2f} {losses.max():8.1f} {losses[-50:].mean():12.2f} "
                         f"{np.mean(norms > 1):9.0%} {norms.max():12.0f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = gradient_flow_lines()
    print("\n".join(lines), flush=True)
    lines += clipping_lines(args.seeds)
    print("\n".join(lines[-(2 + 2 * len(args.seeds)):]), flush=True)
    lines += long_dependency_lines(args.seeds)
    text = "\n".join(lines) + "\n"
    out = ROOT / "build" / "figures" / "recurrent_networks.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
