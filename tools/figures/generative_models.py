"""Lecture 06's figures: the VAE's held-out negative ELBO, the beta sweep, and GAN mode collapse
against coverage per seed, all with the reference solutions (solutions/generative_models.py).

- VAE: the reference ``VAE`` trained with the reference ``vae_train_step`` on the binarised
  8 x 8 digits with the notebook's settings (2-D latent, 256 hidden units, Adam 2e-3, batches
  of 64, 60 epochs); held-out negative ELBO = reconstruction + KL in nats per digit.
- beta sweep: the same model for beta in 0.25, 1, 4, 16 (20 epochs each, as in the notebook):
  held-out reconstruction and KL terms.
- GAN: the reference ``gan_train_step`` on the ring of 8 Gaussians with the notebook's settings
  (1500 steps, batches of 512), the 64-unit generator against the narrow 4-unit one, per seed:
  modes covered and share of high-quality samples among 2500.

Usage: ``nice -n 10 .venv/bin/python tools/figures/generative_models.py [--seeds 0 1 2 3 4] [--gan-steps 1500]``.
Prints a plain table and writes it to build/figures/generative_models.txt.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import generative_models as lecture  # noqa: E402
from solutions import generative_models as reference  # noqa: E402

BETAS = (0.25, 1.0, 4.0, 16.0)


def train_vae(x_train: torch.Tensor, epochs: int, beta: float = 1.0, seed: int = 0) -> torch.nn.Module:
    """The notebook's training loop, with the reference VAE and step."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = reference.VAE(64, 2, 256)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        for batch in lecture.batches(x_train, 64, generator):
            reference.vae_train_step(model, optimizer, batch, beta, generator)
    return model.eval()


def vae_lines(data: dict) -> list[str]:
    terms = lecture.heldout_terms(train_vae(data["x_train"], 60), data["x_test"])
    lines = ["VAE on binarised digits (60 epochs, seed 0), held-out nats per digit:",
             f"  negative ELBO {terms['negative_elbo']:.2f} = reconstruction {terms['reconstruction']:.2f} + KL {terms['kl']:.2f}",
             "", "beta sweep (20 epochs each, seed 0), held-out nats per digit:",
             f"  {'beta':>6} {'reconstruction':>15} {'KL':>7} {'BCE + beta KL':>14}"]
    for beta in BETAS:
        row = lecture.heldout_terms(train_vae(data["x_train"], 20, beta), data["x_test"])
        lines.append(f"  {beta:6g} {row['reconstruction']:15.2f} {row['kl']:7.2f} "
                     f"{row['reconstruction'] + beta * row['kl']:14.2f}")
    return lines


def gan_lines(seeds: list[int], steps: int) -> list[str]:
    lines = ["", f"GAN on the ring of 8 Gaussians ({steps} steps, batches of 512), 2500 samples per run:",
             f"  {'seed':>4} {'generator':>10} {'modes':>6} {'high quality':>13}   samples per mode"]
    for seed in seeds:
        for label, width in (("64 units", None), ("4 units", 4)):
            row = lecture.gan_seed_report(reference.gan_train_step, seeds=(seed,), steps=steps,
                                          generator_hidden=width)[0]
            lines.append(f"  {seed:4d} {label:>10} {row['modes']:6d} {row['quality']:13.1%}   {row['counts']}")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--gan-steps", type=int, default=1500)
    parser.add_argument("--skip-vae", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = [] if args.skip_vae else vae_lines(lecture.digits_data(binary=True))
    print("\n".join(lines), flush=True)
    lines += gan_lines(args.seeds, args.gan_steps)
    out = ROOT / "build" / "figures" / "generative_models.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
