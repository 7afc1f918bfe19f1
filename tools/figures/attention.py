"""Lecture 05's figures with the reference solutions (solutions/attention.py):

- the encoder-decoder's held-out accuracy: the reference ``EncoderDecoder`` with the notebook's
  settings (embed_dim 32, 4 heads, mlp_dim 64, 1 layer; 200 AdamW steps of 64 fresh strings,
  learning rate 3e-3 with a warm-up over 20 steps), trained with the reference
  ``masked_cross_entropy`` to reverse 8-digit strings, then decoded with the reference
  ``greedy_decode`` on the 1,000 held-out strings, per seed;
- the learning-rate warm-up: the reference ``TinyTransformer`` trained to sort as in the
  notebook (600 steps), with the warm-up over 60 steps and without any, at the notebook's
  learning rate 3e-3 and at 1e-2, per seed: held-out whole-sequence accuracy and the mean
  training loss of the last 50 steps.

Usage: ``nice -n 10 .venv/bin/python tools/figures/attention.py [--seeds 0 1 2 3 4] [--warmup-seeds 0 1 2]``.
Prints a plain table and writes it to build/figures/attention.txt.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import attention as lecture  # noqa: E402
from course.runtime import seed_everything  # noqa: E402
from solutions import attention as reference  # noqa: E402


def reversal_accuracy(seed: int, steps: int = 200) -> tuple[float, float]:
    """(token, whole-sequence) held-out accuracy of the notebook's reversal run with ``seed``."""
    seed_everything(seed)
    model = reference.EncoderDecoder(lecture.VOCAB, lecture.LENGTH, embed_dim=32, num_heads=4, mlp_dim=64,
                                     num_layers=1)
    batches = torch.Generator().manual_seed(seed + 1)
    held_out = lecture.sequence_codes(lecture.test_digits())

    def batch_loss(step: int) -> torch.Tensor:
        source, decoder_input, targets = lecture.reversal_batch(lecture.random_digits(64, batches, exclude=held_out))
        return reference.masked_cross_entropy(model(source, decoder_input), targets)
    lecture.train(model, batch_loss, steps)
    digits = lecture.test_digits()
    start = torch.full((len(digits), 1), lecture.START)
    written = reference.greedy_decode(lambda tokens: model(digits, tokens), start, lecture.LENGTH)
    return lecture.accuracies(written, digits.flip(1))


def sorter_run(seed: int, lr: float, warmup: int, steps: int = 600) -> tuple[float, float]:
    """(held-out whole-sequence accuracy, mean loss of the last 50 steps) of the notebook's sorter run."""
    seed_everything(seed)
    model = reference.TinyTransformer(lecture.VOCAB, 2 * lecture.LENGTH)
    batches = torch.Generator().manual_seed(seed)
    held_out = lecture.sequence_codes(lecture.test_digits())

    def batch_loss(step: int) -> torch.Tensor:
        inputs, targets = lecture.sorting_sequences(lecture.random_digits(64, batches, exclude=held_out))
        return reference.masked_cross_entropy(model(inputs), targets)
    losses = lecture.train(model, batch_loss, steps, lr=lr, warmup=warmup)
    digits = lecture.test_digits()
    written = reference.greedy_decode(model, lecture.sorting_prompts(digits), lecture.LENGTH)
    return lecture.accuracies(written, digits.sort(dim=1).values)[1], sum(losses[-50:]) / 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--warmup-seeds", type=int, nargs="*", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = ["Encoder-decoder reversing 8-digit strings (200 steps), held-out accuracy on 1,000 strings:",
             f"  {'seed':>4} {'token':>7} {'whole sequence':>15}"]
    sequences = []
    for seed in args.seeds:
        token, sequence = reversal_accuracy(seed)
        sequences.append(sequence)
        lines.append(f"  {seed:>4} {token:>7.4f} {sequence:>15.4f}")
        print(lines[-1], flush=True)
    lines.append(f"  whole-sequence accuracy: min {min(sequences):.4f}, mean {sum(sequences) / len(sequences):.4f}")
    if args.warmup_seeds:
        lines += ["", "Sorter (600 steps): held-out whole-sequence accuracy / mean training loss of the last 50 steps",
                  f"  {'seed':>4} {'lr':>6} {'warm-up 60 steps':>20} {'no warm-up':>20}"]
        for lr in (3e-3, 1e-2):
            for seed in args.warmup_seeds:
                with_warmup, without = sorter_run(seed, lr, 60), sorter_run(seed, lr, 0)
                lines.append(f"  {seed:>4} {lr:>6g} {with_warmup[0]:>11.4f} / {with_warmup[1]:6.4f}"
                             f" {without[0]:>11.4f} / {without[1]:6.4f}")
                print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    out = ROOT / "build" / "figures" / "attention.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
