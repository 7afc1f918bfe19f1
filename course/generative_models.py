"""Data, models, pictures and widgets for lecture 06, generative models.

The widgets never call the student's functions: the divergence widget uses closed forms and
numerical integration, and the latent-space explorer and the GAN widget train their own small
models at start-up with torch's library losses (``torch.distributions``,
``binary_cross_entropy_with_logits``). The notebook's own training runs take the student's
loss functions as arguments.
"""
from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Callable

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.distributions import Normal, kl_divergence
from torch.nn import functional as F
from tqdm.auto import tqdm

from course.runtime import full_or_quick
from course.widgets import dropdown, figure_row, interactive_figure, slider

torch.set_num_threads(1)  # the networks here are tiny: one thread is faster than two fighting over them

# --- data ----------------------------------------------------------------------------------------


def digits_data(test_fraction: float = 0.25, seed: int = 0) -> dict[str, torch.Tensor]:
    """scikit-learn's 8 x 8 digits, flattened and scaled to [0, 1], split for training and testing.

    Keys ``x_train, x_test`` (float32, shape (N, 64)) and ``y_train, y_test`` (int64 labels).
    """
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, data.target, test_size=test_fraction,
                                                        random_state=seed, stratify=data.target)
    return {"x_train": torch.as_tensor(x_train), "x_test": torch.as_tensor(x_test),
            "y_train": torch.as_tensor(y_train), "y_test": torch.as_tensor(y_test)}


RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.1


def ring_centres() -> np.ndarray:
    """The (8, 2) centres of the ring of Gaussians, evenly spaced on a circle of radius 2."""
    angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` float32 points (n, 2) from the equal mixture of 8 Gaussians with std 0.1 on the ring."""
    modes = torch.randint(0, RING_MODES, (n,), generator=generator)
    centres = torch.as_tensor(ring_centres(), dtype=torch.float32)[modes]
    return centres + RING_STD * torch.randn(n, 2, generator=generator)


def ring_coverage(samples: np.ndarray, min_count: int = 20) -> dict:
    """How well ``samples`` (n, 2) cover the ring (the measure of the unrolled-GAN and PacGAN papers).

    A sample is of *high quality* when it lies within 3 standard deviations of a centre; a
    mode is *covered* when at least ``min_count`` high-quality samples fall near it.
    Returns ``{"modes": int, "quality": float (fraction of high-quality samples), "counts": list}``.
    """
    distances = np.linalg.norm(np.asarray(samples)[:, None, :] - ring_centres()[None], axis=2)
    good = distances.min(axis=1) < 3 * RING_STD
    counts = np.bincount(distances.argmin(axis=1)[good], minlength=RING_MODES)
    return {"modes": int(np.sum(counts >= min_count)), "quality": float(good.mean()), "counts": counts.tolist()}


# --- library versions of the losses (for the widgets and the reference runs) --------------------


def library_negative_elbo(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor,
                          beta: float = 1.0) -> torch.Tensor:
    """The batch mean of the negative ELBO, written with ``torch.distributions``."""
    posterior = Normal(mu, torch.exp(0.5 * log_var))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    nll = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / len(x)
    return nll + beta * kl_divergence(posterior, prior).sum() / len(x)


def library_sample(mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A differentiable draw from N(mu, exp(log_var)), via ``torch.distributions``."""
    return Normal(mu, torch.exp(0.5 * log_var)).rsample()


def library_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's binary cross-entropy: real labelled 1, generated labelled 0."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def library_g_loss(kind: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The generator's loss of ``kind`` ("non-saturating" or "minimax") from binary cross-entropy."""
    def non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))

    def minimax(fake_logits: torch.Tensor) -> torch.Tensor:
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return {"non-saturating": non_saturating, "minimax": minimax}[kind]


# --- autoencoders ----------------------------------------------------------------------------------


def mlp(sizes: list[int], activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation()`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), activation()]
    return nn.Sequential(*layers[:-1])


class VAE(nn.Module):
    """A fully connected VAE for flattened 8 x 8 digits: encoder x -> (mu, log_var), decoder z -> logits."""

    def __init__(self, latent: int = 2, hidden: int = 256, pixels: int = 64):
        super().__init__()
        self.encoder = mlp([pixels, hidden, hidden, 2 * latent])
        self.decoder = mlp([latent, hidden, hidden, pixels])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of the 64 pixels."""
        return self.decoder(z)


def train_vae(x_train: torch.Tensor, loss_fn: Callable, sample_fn: Callable, epochs: int, seed: int = 0,
              beta: float = 1.0, hidden: int = 256, batch_size: int = 64, lr: float = 2e-3,
              progress: bool = True) -> tuple[VAE, list[float]]:
    """Train a 2-D-latent VAE with ``loss_fn(x, logits, mu, log_var, beta)`` and ``sample_fn(mu, log_var, gen)``.

    Returns the model (in eval mode) and the mean training loss of every epoch.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = VAE(hidden=hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in tqdm(range(epochs), desc="VAE epochs", disable=not progress):
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(x_train), batch_size):
            x = x_train[order[start:start + batch_size]]
            mu, log_var = model.encode(x)
            loss = loss_fn(x, model.decode(sample_fn(mu, log_var, generator)), mu, log_var, beta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        history.append(total / len(x_train))
    return model.eval(), history


@torch.no_grad()
def heldout_negative_elbo(model: VAE, x: torch.Tensor, draws: int = 20, seed: int = 0) -> float:
    """The negative ELBO per digit (nats) on ``x``, averaged over ``draws`` seeded samples of z."""
    torch.manual_seed(seed)
    mu, log_var = model.encode(x)
    losses = [library_negative_elbo(x, model.decode(library_sample(mu, log_var)), mu, log_var).item()
              for _ in range(draws)]
    return float(np.mean(losses))


def train_linear_autoencoder(X: np.ndarray, k: int, steps: int, seed: int = 0, lr: float = 1e-2) -> np.ndarray:
    """Fit x ~ W2 (W1 (x - mean)) by squared error with Adam; return the decoder's directions W2^T, shape (k, D)."""
    torch.manual_seed(seed)
    x = torch.as_tensor(X - X.mean(axis=0), dtype=torch.float32)
    encoder, decoder = nn.Linear(x.shape[1], k, bias=False), nn.Linear(k, x.shape[1], bias=False)
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(decoder(encoder(x)), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return decoder.weight.detach().numpy().T.astype(float)


def _digit_grid(ax, images: np.ndarray, rows: int, title: str) -> None:
    """Show (n, 64) images as a grid with ``rows`` rows."""
    cols = len(images) // rows
    tiles = images.reshape(rows, cols, 8, 8).transpose(0, 2, 1, 3).reshape(rows * 8, cols * 8)
    ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


@torch.no_grad()
def draw_reconstructions(model: VAE, x: torch.Tensor, n: int = 12) -> Figure:
    """The first ``n`` digits of ``x`` above their reconstructions (decoded from the mean of q(z|x))."""
    decoded = torch.sigmoid(model.decode(model.encode(x[:n])[0]))
    fig = Figure(figsize=(9, 1.9), layout="constrained")
    ax = fig.subplots()
    _digit_grid(ax, torch.cat([x[:n], decoded]).numpy(), 2, "held-out digits (top) and their reconstructions (bottom)")
    return fig


@torch.no_grad()
def draw_latent_space(model: VAE, x: torch.Tensor, y: torch.Tensor, span: float = 2.5, steps: int = 15) -> Figure:
    """Left: the means of q(z|x) coloured by digit. Right: decodings of a grid of z values."""
    mu = model.encode(x)[0].numpy()
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    points = left.scatter(mu[:, 0], mu[:, 1], c=y.numpy(), cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    fig.colorbar(points, ax=left, ticks=range(10), label="digit")
    left.set(xlabel="$z_1$", ylabel="$z_2$", title="where the encoder puts held-out digits",
             xlim=(-span - 0.5, span + 0.5), ylim=(-span - 0.5, span + 0.5))
    values = np.linspace(-span, span, steps)
    grid = torch.as_tensor([[a, b] for b in values[::-1] for a in values], dtype=torch.float32)
    _digit_grid(right, torch.sigmoid(model.decode(grid)).numpy(), steps, "decoded grid of z values")
    return fig


def draw_pca_directions(mean: np.ndarray, components: np.ndarray) -> Figure:
    """The mean digit and the principal directions as 8 x 8 images (red positive, blue negative)."""
    fig, axes = figure_row(1 + len(components), width=1.6 * (1 + len(components)), height=2.0)
    axes[0].imshow(mean.reshape(8, 8), cmap="gray_r")
    axes[0].set_title("mean", fontsize=9)
    for i, (ax, direction) in enumerate(zip(axes[1:], components)):
        bound = np.abs(direction).max()
        ax.imshow(direction.reshape(8, 8), cmap="coolwarm", vmin=-bound, vmax=bound)
        ax.set_title(f"direction {i + 1}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


# --- widget A: KL and JS between two Gaussians ---------------------------------------------------

GRID = np.linspace(-10.0, 10.0, 4001)


def gaussian_divergences(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> dict[str, float]:
    """KL(p||q) and KL(q||p) in closed form, and JS by numerical integration, for 1-D Gaussians p, q."""
    def kl(m1: float, s1: float, m2: float, s2: float) -> float:
        return float(np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5)
    p = _normal_pdf(GRID, mu_p, sigma_p)
    q = _normal_pdf(GRID, mu_q, sigma_q)
    m = 0.5 * (p + q)
    dx = GRID[1] - GRID[0]
    with np.errstate(all="ignore"):
        terms = np.where(p > 0, p * np.log(p / m), 0.0) + np.where(q > 0, q * np.log(q / m), 0.0)
    return {"KL(p||q)": kl(mu_p, sigma_p, mu_q, sigma_q), "KL(q||p)": kl(mu_q, sigma_q, mu_p, sigma_p),
            "JS": float(0.5 * np.sum(terms) * dx)}


def _normal_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def draw_divergences(mu_p: float = 0.0, sigma_p: float = 1.0, mu_q: float = 1.0, sigma_q: float = 1.0) -> Figure:
    """Left: the densities p and q. Right: KL(p||q), KL(q||p) and JS as bars (JS's ceiling log 2 dashed)."""
    values = gaussian_divergences(mu_p, sigma_p, mu_q, sigma_q)
    fig, (left, right) = figure_row(2, width=10.0, height=3.4)
    x = GRID[(GRID > -6) & (GRID < 6)][::4]  # 600 points draw as smoothly as 2400, and faster
    left.fill_between(x, _normal_pdf(x, mu_p, sigma_p), alpha=0.4, label=f"p = N({mu_p:g}, {sigma_p:g}²)")
    left.fill_between(x, _normal_pdf(x, mu_q, sigma_q), alpha=0.4, label=f"q = N({mu_q:g}, {sigma_q:g}²)")
    left.set(xlabel="x", ylabel="density", title="two Gaussians")
    left.legend(fontsize=8, loc="upper left")
    names = list(values)
    bars = right.bar(names, [min(v, 10.0) for v in values.values()], color=["C0", "C1", "C2"])
    for bar, value in zip(bars, values.values()):
        right.text(bar.get_x() + bar.get_width() / 2, min(value, 10.0), f"{value:.3f}", ha="center", va="bottom")
    right.axhline(np.log(2), color="C2", linestyle="--", linewidth=1)
    right.text(2.45, np.log(2), "log 2", color="C2", fontsize=8, va="bottom", ha="right")
    right.set(ylabel="nats", title="divergences (bars capped at 10)", ylim=(0, max(1.0, min(max(values.values()), 10.0) * 1.2)))
    return fig


def divergences_widget() -> widgets.VBox:
    """Sliders for the means and scales of p and q; the figure shows the three divergences."""
    return interactive_figure(
        draw_divergences,
        mu_p=slider(0.0, -3.0, 3.0, 0.25, "mean of p"), sigma_p=slider(1.0, 0.25, 3.0, 0.25, "scale of p"),
        mu_q=slider(1.0, -3.0, 3.0, 0.25, "mean of q"), sigma_q=slider(1.0, 0.25, 3.0, 0.25, "scale of q"))


# --- widget B: the latent-space explorer ---------------------------------------------------------


@cache
def explorer_model() -> tuple[VAE, torch.Tensor, torch.Tensor]:
    """A VAE trained with the library loss at start-up (a few seconds), with the held-out means and labels."""
    data = digits_data()
    model, _ = train_vae(data["x_train"], library_negative_elbo, library_sample,
                         epochs=full_or_quick(30, 5), hidden=128, progress=False)
    with torch.no_grad():
        mu = model.encode(data["x_test"])[0]
    return model, mu, data["y_test"]


@torch.no_grad()
def decode_point(z1: float, z2: float) -> np.ndarray:
    """The explorer's decoded image (8, 8) of pixel probabilities at z = (z1, z2)."""
    model, _, _ = explorer_model()
    return torch.sigmoid(model.decode(torch.tensor([[z1, z2]], dtype=torch.float32)))[0].reshape(8, 8).numpy()


def nearest_digit(z1: float, z2: float) -> int:
    """The label of the held-out digit whose latent mean is nearest to (z1, z2)."""
    _, mu, labels = explorer_model()
    return int(labels[torch.argmin(((mu - torch.tensor([z1, z2])) ** 2).sum(dim=1))])


def draw_latent_explorer(z1: float = 0.0, z2: float = 0.0) -> Figure:
    """Left: held-out digits' latent means with the chosen z marked. Right: the decoding of z."""
    _, mu, labels = explorer_model()
    fig, (left, right) = figure_row(2, width=9.0, height=4.0)
    left.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
    for digit in range(10):
        centre = mu[labels == digit].median(dim=0).values
        left.text(centre[0], centre[1], str(digit), fontsize=12, weight="bold", ha="center", va="center")
    left.plot([z1], [z2], marker="x", color="black", markersize=14, markeredgewidth=3)
    left.set(xlim=(-4, 4), ylim=(-4, 4), xlabel="$z_1$", ylabel="$z_2$", title="latent space (held-out digits)")
    right.imshow(decode_point(z1, z2), cmap="gray_r", vmin=0, vmax=1)
    right.set_title(f"decoded z = ({z1:.2f}, {z2:.2f}); nearest digit: {nearest_digit(z1, z2)}", fontsize=9)
    right.set_xticks([])
    right.set_yticks([])
    return fig


def latent_explorer_widget() -> widgets.VBox:
    """Two sliders choose z; the decoder of a VAE trained at start-up shows what z means."""
    return interactive_figure(draw_latent_explorer, z1=slider(0.0, -3.0, 3.0, 0.1, "z1"),
                              z2=slider(0.0, -3.0, 3.0, 0.1, "z2"))


# --- GANs on the ring ------------------------------------------------------------------------------

Z_DIM = 2
VIEW = 3.0  # the pictures show [-3, 3]^2
SURFACE = np.linspace(-VIEW, VIEW, 61)


LR_FLOOR = 0.02  # the learning rates end at this fraction of their start
LEAK = 0.2  # the negative slope of the LeakyReLUs


def make_gan(hidden: int = 64) -> tuple[nn.Sequential, nn.Sequential]:
    """A generator R^2 -> R^2 and a discriminator R^2 -> logit, both with three hidden LeakyReLU layers."""
    def activation() -> nn.Module:
        return nn.LeakyReLU(LEAK)
    return (mlp([Z_DIM, hidden, hidden, hidden, 2], activation),
            mlp([2, hidden, hidden, hidden, 1], activation))


@torch.no_grad()
def _snapshot(step: int, generator: nn.Module, discriminator: nn.Module, z: torch.Tensor) -> dict:
    grid = torch.as_tensor(np.stack(np.meshgrid(SURFACE, SURFACE), axis=-1).reshape(-1, 2), dtype=torch.float32)
    return {"step": step, "samples": generator(z).numpy(),
            "surface": torch.sigmoid(discriminator(grid)).reshape(len(SURFACE), len(SURFACE)).numpy()}


def train_gan(d_loss_fn: Callable, g_loss_fn: Callable, steps: int, seed: int = 0, batch_size: int = 512,
              lr: float = 1e-3, snapshot_every: int = 0, progress: bool = True) -> dict:
    """Alternate one discriminator and one generator Adam step on the ring, ``steps`` times.

    ``d_loss_fn(real_logits, fake_logits)`` and ``g_loss_fn(fake_logits)`` are minimized. The
    learning rates decay linearly to ``LR_FLOOR`` times ``lr``. Returns
    ``{"generator", "discriminator", "d_loss", "g_loss" (lists per step),
    "snapshots"}``; snapshots (every ``snapshot_every``
    steps, 0 for none) hold 1000 samples and D's probabilities on a 61 x 61 grid.
    """
    torch.manual_seed(seed)
    data_gen = torch.Generator().manual_seed(seed)
    generator, discriminator = make_gan()
    optimizers = [torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999)) for net in (discriminator, generator)]
    schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 - (1.0 - LR_FLOOR) * t / steps) for opt in optimizers]
    fixed_z = torch.randn(1000, Z_DIM, generator=torch.Generator().manual_seed(10_000 + seed))
    run = {"generator": generator, "discriminator": discriminator, "d_loss": [], "g_loss": [], "snapshots": []}
    for step in tqdm(range(steps), desc="GAN steps", disable=not progress):
        if snapshot_every and step % snapshot_every == 0:
            run["snapshots"].append(_snapshot(step, generator, discriminator, fixed_z))
        real = sample_ring(batch_size, data_gen)
        fake = generator(torch.randn(batch_size, Z_DIM, generator=data_gen))
        d_loss = d_loss_fn(discriminator(real), discriminator(fake.detach()))
        optimizers[0].zero_grad()
        d_loss.backward()
        optimizers[0].step()
        g_loss = g_loss_fn(discriminator(fake))
        optimizers[1].zero_grad()
        g_loss.backward()
        optimizers[1].step()
        for schedule in schedules:
            schedule.step()
        run["d_loss"].append(d_loss.item())
        run["g_loss"].append(g_loss.item())
    if snapshot_every:
        run["snapshots"].append(_snapshot(steps, generator, discriminator, fixed_z))
    return run


@torch.no_grad()
def gan_samples(generator: nn.Module, n: int = 2500, seed: int = 1) -> np.ndarray:
    """``n`` seeded generator samples (n, 2)."""
    return generator(torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(seed))).numpy()


REFERENCE_STEPS = 5000


def gan_seed_report(seeds: tuple[int, ...] = (0, 1, 2, 3, 4), steps: int = REFERENCE_STEPS,
                    d_loss_fn: Callable = library_d_loss, g_loss_fn: Callable = library_g_loss("non-saturating"),
                    progress: bool = False) -> list[dict]:
    """Train the GAN once per seed (non-saturating loss by default); modes covered and quality of 2500 samples."""
    report = []
    for seed in seeds:
        run = train_gan(d_loss_fn, g_loss_fn, steps, seed=seed, progress=progress)
        report.append({"seed": seed, **ring_coverage(gan_samples(run["generator"], seed=1000 + seed))})
    return report


def benchmark_training(reference: ModuleType) -> dict:
    """What ``make bench`` reports: the reference GAN's modes and quality per seed, trained with
    the reference module's ``discriminator_loss`` and non-saturating ``generator_loss``."""
    rows = gan_seed_report(d_loss_fn=reference.discriminator_loss,
                           g_loss_fn=lambda logits: reference.generator_loss(logits, "non-saturating"))
    return {"gan_ring_8_modes": [{key: row[key] for key in ("seed", "modes", "quality")} for row in rows]}


def draw_gan_state(snapshot: dict, title: str = "") -> Figure:
    """Generated samples over the data's ring, on the discriminator's surface D(x)."""
    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.12, right=0.88, bottom=0.1, top=0.9)
    image = ax.imshow(snapshot["surface"], origin="lower", extent=(-VIEW, VIEW, -VIEW, VIEW), cmap="RdBu",
                      vmin=0, vmax=1, alpha=0.8)
    fig.colorbar(image, ax=ax, fraction=0.046, label="D(x)")
    centres = ring_centres()
    ax.scatter(centres[:, 0], centres[:, 1], s=250, facecolors="none", edgecolors="black", linewidths=1)
    samples = snapshot["samples"]
    ax.scatter(samples[:, 0], samples[:, 1], s=3, color="darkorange")
    ax.set(xlim=(-VIEW, VIEW), ylim=(-VIEW, VIEW), title=title or f"step {snapshot['step']}")
    return fig


WIDGET_STEPS = full_or_quick(1500, 100)


@cache
def widget_run(loss: str) -> dict:
    """The GAN widget's training run for one generator loss, with snapshots every 50 steps."""
    return train_gan(library_d_loss, library_g_loss(loss), WIDGET_STEPS, seed=0, snapshot_every=50, progress=False)


def draw_gan_training(step: int = WIDGET_STEPS, loss: str = "non-saturating") -> Figure:
    """Left: samples and D(x) after ``step`` steps. Right: the two losses up to that step."""
    run = widget_run(loss)
    snapshot = run["snapshots"][min(step // 50, len(run["snapshots"]) - 1)]
    coverage = ring_coverage(snapshot["samples"], min_count=8)
    fig = Figure(figsize=(10, 4.2))
    fig.subplots_adjust(left=0.05, right=0.97, bottom=0.12, top=0.9, wspace=0.3)
    left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    image = left.imshow(snapshot["surface"], origin="lower", extent=(-VIEW, VIEW, -VIEW, VIEW), cmap="RdBu",
                        vmin=0, vmax=1, alpha=0.8)
    fig.colorbar(image, ax=left, fraction=0.046, label="D(x)")
    centres = ring_centres()
    left.scatter(centres[:, 0], centres[:, 1], s=250, facecolors="none", edgecolors="black", linewidths=1)
    left.scatter(snapshot["samples"][:, 0], snapshot["samples"][:, 1], s=3, color="darkorange")
    left.set(xlim=(-VIEW, VIEW), ylim=(-VIEW, VIEW),
             title=f"step {snapshot['step']}: {coverage['modes']} of 8 modes, {coverage['quality']:.0%} high quality")
    shown = max(snapshot["step"], 1)
    right.plot(run["d_loss"][:shown], linewidth=0.7, label="discriminator loss")
    right.plot(run["g_loss"][:shown], linewidth=0.7, label=f"generator loss ({loss})")
    right.axhline(np.log(4), color="gray", linestyle="--", linewidth=1)
    right.text(WIDGET_STEPS, np.log(4), "log 4", ha="right", va="bottom", fontsize=8, color="gray")
    right.set(xlim=(0, WIDGET_STEPS), xlabel="step", title="losses")
    right.legend(fontsize=8, loc="upper right")
    return fig


def gan_training_widget() -> widgets.VBox:
    """A step slider and a loss menu over two GAN runs trained at start-up (about 15 s each)."""
    return interactive_figure(draw_gan_training,
                              step=slider(WIDGET_STEPS, 0, WIDGET_STEPS, 50, "step", integer=True),
                              loss=dropdown(["non-saturating", "minimax"], "non-saturating", "generator loss"))


# --- autoregressive models -------------------------------------------------------------------------


def draw_made(masks: list[np.ndarray], ordering: np.ndarray) -> Figure:
    """The connections a MADE's masks allow, layer by layer; each unit labelled with its degree."""
    sizes = [masks[0].shape[1]] + [mask.shape[0] for mask in masks]
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    width = max(sizes)
    position = [[((width - size) / 2 + i, layer) for i in range(size)] for layer, size in enumerate(sizes)]
    for layer, mask in enumerate(masks):
        for out, inp in zip(*np.nonzero(mask)):
            (x0, y0), (x1, y1) = position[layer][inp], position[layer + 1][out]
            ax.plot([x0, x1], [y0, y1], color="gray", linewidth=0.6, alpha=0.6)
    labels = ["inputs x (ordering)"] + [f"hidden {i + 1}" for i in range(len(sizes) - 2)] + ["outputs p(x_d | x_<d)"]
    for layer, points in enumerate(position):
        xs, ys = zip(*points)
        ax.scatter(xs, ys, s=220, color="C0" if 0 < layer < len(sizes) - 1 else "C1", zorder=3)
        if layer in (0, len(sizes) - 1):
            for (x, y), degree in zip(points, ordering):
                ax.text(x, y, str(degree), ha="center", va="center", color="white", fontsize=9, zorder=4)
        ax.text(-1.2, layer, labels[layer], ha="right", va="center", fontsize=9)
    ax.set(xlim=(-6, width), ylim=(-0.5, len(sizes) - 0.5))
    ax.axis("off")
    return fig


def draw_dilated_convolutions(dilations: tuple[int, ...] = (1, 2, 4, 8), length: int = 32) -> Figure:
    """The receptive field of the last output of stacked causal convolutions (kernel 2) with these dilations."""
    fig = Figure(figsize=(10, 3.2))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.08, top=0.88)
    ax = fig.subplots()
    active = {length - 1}
    layers = len(dilations)
    for layer in range(layers, 0, -1):
        dilation = dilations[layer - 1]
        below = set()
        for t in active:
            for source in (t, t - dilation):
                if source >= 0:
                    below.add(source)
                    ax.plot([source, t], [layer - 1, layer], color="C1", linewidth=1.2)
        active = below
        ax.text(-1, layer, f"dilation {dilation}", ha="right", va="center", fontsize=9)
    for layer in range(layers + 1):
        ax.scatter(range(length), [layer] * length, s=14, color="lightgray", zorder=2)
    ax.scatter(sorted(active), [0] * len(active), s=18, color="C0", zorder=3)
    ax.text(-1, 0, "input", ha="right", va="center", fontsize=9)
    ax.set_title(f"causal convolutions, kernel 2: the last output sees {len(active)} inputs, all in its past", fontsize=10)
    ax.set(xlim=(-8, length), ylim=(-0.5, layers + 0.5))
    ax.axis("off")
    return fig


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("divergences", lambda: draw_divergences(mu_q=1.5, sigma_q=0.5)),
    ("latent explorer", lambda: draw_latent_explorer(z1=1.0, z2=-0.5)),
    ("GAN training", lambda: draw_gan_training(step=WIDGET_STEPS // 2)),
]
