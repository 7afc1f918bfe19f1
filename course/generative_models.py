"""Data, models, pictures and widgets for lecture 06, generative models.

Nothing here answers an exercise. The divergence widget uses the closed form of KL between
Gaussians and the student's ``js_divergence``. The latent-space explorer trains the student's
own ``VAE`` with the student's ``vae_train_step`` (a few seconds, at first use), and the
conditional VAE is made of two of the student's ``VAE`` networks, trained with the student's
``vae_loss`` and ``reparameterize``. The GAN widget trains its own small networks with
torch's binary cross-entropy and *simultaneous* updates, not the alternating step of
exercise 10. The notebook's own training runs use the student's ``VAE``, ``vae_train_step`` and
``gan_train_step``; this module only feeds them data, keeps the learning-rate schedule and
draws the results.
"""
from __future__ import annotations

from functools import cache, partial
from types import ModuleType
from typing import Callable

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.distributions import Normal, kl_divergence
from torch.nn import functional as F
from tqdm.auto import tqdm

from course.runtime import full_or_quick
from course.widgets import after_exercise, dropdown, figure_row, interactive_figure, slider

torch.set_num_threads(1)  # the networks here are tiny: one thread is faster than two fighting over them

# --- data ----------------------------------------------------------------------------------------


def digits_data(test_fraction: float = 0.25, seed: int = 0, binary: bool = False) -> dict[str, torch.Tensor]:
    """scikit-learn's 8 x 8 digits, flattened and scaled to [0, 1], split for training and testing.

    Keys ``x_train, x_test`` (float32, shape (N, 64)) and ``y_train, y_test`` (int64 labels).
    ``binary=True`` rounds every pixel to 0 or 1 (grey level 8 of 16 and above is 1), so that a
    product of Bernoullis is a normalised likelihood of the data.
    """
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    if binary:
        x = (x >= 0.5).astype(np.float32)
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


# --- autoencoders ----------------------------------------------------------------------------------


def mlp(sizes: list[int], activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation()`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), activation()]
    return nn.Sequential(*layers[:-1])


def batches(x: torch.Tensor, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """The rows of ``x`` in a fresh random order (drawn with ``generator``), cut into batches."""
    return [x[index] for index in torch.randperm(len(x), generator=generator).split(batch_size)]


@torch.no_grad()
def heldout_terms(model: nn.Module, x: torch.Tensor, draws: int = 20, seed: int = 0) -> dict[str, float]:
    """The two terms of the negative ELBO per digit (nats) on ``x``, with ``model.encode`` and
    ``model.decode``: ``reconstruction`` (the summed binary cross-entropy, averaged over ``draws``
    seeded samples of z), ``kl`` (closed form) and their sum ``negative_elbo``."""
    torch.manual_seed(seed)
    model.eval()
    mu, log_var = model.encode(x)
    posterior = Normal(mu, torch.exp(0.5 * log_var))
    reconstruction = np.mean([F.binary_cross_entropy_with_logits(model.decode(posterior.rsample()), x,
                                                                 reduction="sum").item() / len(x)
                              for _ in range(draws)])
    kl = kl_divergence(posterior, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(dim=-1).mean().item()
    return {"reconstruction": float(reconstruction), "kl": float(kl), "negative_elbo": float(reconstruction + kl)}


def heldout_negative_elbo(model: nn.Module, x: torch.Tensor, draws: int = 20, seed: int = 0) -> float:
    """The negative ELBO per digit (nats) on ``x``, averaged over ``draws`` seeded samples of z."""
    return heldout_terms(model, x, draws, seed)["negative_elbo"]


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
def draw_reconstructions(model: nn.Module, x: torch.Tensor, n: int = 12) -> Figure:
    """The first ``n`` digits of ``x`` above their reconstructions (decoded from the mean of q(z|x))."""
    decoded = torch.sigmoid(model.decode(model.encode(x[:n])[0]))
    fig = Figure(figsize=(9, 1.9), layout="constrained")
    ax = fig.subplots()
    _digit_grid(ax, torch.cat([x[:n], decoded]).numpy(), 2, "held-out digits (top) and their reconstructions (bottom)")
    return fig


@torch.no_grad()
def draw_latent_space(model: nn.Module, x: torch.Tensor, y: torch.Tensor, span: float = 2.5, steps: int = 15) -> Figure:
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


def gaussian_divergences(js_fn: Callable, mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> dict[str, float]:
    """KL(p||q) and KL(q||p) in closed form for 1-D Gaussians p, q, and their JS computed by
    ``js_fn`` (the student's ``js_divergence``) on ``GRID``, the densities normalised to probabilities."""
    def kl(m1: float, s1: float, m2: float, s2: float) -> float:
        return float(np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5)
    return {"KL(p||q)": kl(mu_p, sigma_p, mu_q, sigma_q), "KL(q||p)": kl(mu_q, sigma_q, mu_p, sigma_p),
            "JS": float(js_fn(grid_probabilities(mu_p, sigma_p), grid_probabilities(mu_q, sigma_q)))}


def _normal_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def grid_probabilities(mu: float, sigma: float) -> np.ndarray:
    """N(mu, sigma^2) on ``GRID``, normalised to a discrete distribution (densities below 1e-200
    set to 0, so that no subnormal number is halved)."""
    density = _normal_pdf(GRID, mu, sigma)
    density = np.where(density > 1e-200, density, 0.0)
    return density / density.sum()


def draw_divergences(js_fn: Callable, mu_p: float = 0.0, sigma_p: float = 1.0, mu_q: float = 1.0,
                     sigma_q: float = 1.0) -> Figure:
    """Left: the densities p and q. Right: KL(p||q), KL(q||p) and JS (by ``js_fn``) as bars (JS's
    ceiling log 2 dashed)."""
    values = gaussian_divergences(js_fn, mu_p, sigma_p, mu_q, sigma_q)
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


def divergences_widget(js_fn: Callable) -> widgets.VBox:
    """Sliders for the means and scales of p and q; the figure shows the three divergences, JS
    computed by ``js_fn`` (the student's ``js_divergence``)."""
    return interactive_figure(
        partial(after_exercise(draw_divergences, "exercise 2 (kl_divergence, js_divergence)"), js_fn),
        mu_p=slider(0.0, -3.0, 3.0, 0.25, "mean of p"), sigma_p=slider(1.0, 0.25, 3.0, 0.25, "scale of p"),
        mu_q=slider(1.0, -3.0, 3.0, 0.25, "mean of q"), sigma_q=slider(1.0, 0.25, 3.0, 0.25, "scale of q"))


# --- pictures of the VAE, the beta sweep and a conditional VAE -----------------------------------------


def _box(ax, x: float, y: float, text: str, colour: str, width: float = 1.6, height: float = 0.7) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.05",
                                facecolor=colour, edgecolor="black", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str = "", colour: str = "black",
           style: str = "-|>", label_offset: float = 0.18) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": style, "color": colour, "linewidth": 1.3})
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + label_offset, label, ha="center", fontsize=8,
                color=colour)


def draw_vae_diagram() -> Figure:
    """Left: the VAE's computation, from x through the encoder, the sampled code and the decoder
    to the two loss terms. Right: the reparameterisation: a random node blocks the gradient, the
    same sample written as mu + sigma * eps lets it through."""
    fig = Figure(figsize=(12, 3.8))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.05)
    left, right = fig.subplots(1, 2, width_ratios=[1.45, 1])
    _box(left, 0.5, 2, "x\n(64 pixels)", "white", 1.0)
    _box(left, 2.2, 2, "encoder\n$q_\\phi(z \\mid x)$", "#cde3f5")
    _box(left, 4.1, 2.6, "$\\mu$", "#cde3f5", 0.8, 0.5)
    _box(left, 4.1, 1.4, "$\\log \\sigma^2$", "#cde3f5", 0.9, 0.5)
    _box(left, 5.9, 2, "$z = \\mu + \\sigma \\odot \\varepsilon$", "#fde9c8", 1.7)
    _box(left, 5.9, 3.4, "$\\varepsilon \\sim \\mathcal{N}(0, I)$", "white", 1.5, 0.5)
    _box(left, 7.9, 2, "decoder\n$p_\\theta(x \\mid z)$", "#d8f0d2")
    _box(left, 9.8, 2, "logits\n(64)", "#d8f0d2", 1.0)
    _box(left, 9.8, 0.5, "reconstruction:\nBCE(x, logits)", "white", 1.9)
    _box(left, 4.1, 0.1, "KL$(q \\,\\|\\, \\mathcal{N}(0, I))$", "white", 2.0, 0.5)
    for start, end in [((1.0, 2), (1.4, 2)), ((3.0, 2.2), (3.7, 2.55)), ((3.0, 1.8), (3.65, 1.45)),
                       ((4.5, 2.55), (5.05, 2.15)), ((4.55, 1.45), (5.05, 1.85)), ((5.9, 3.15), (5.9, 2.35)),
                       ((6.75, 2), (7.1, 2)), ((8.7, 2), (9.3, 2)), ((9.8, 1.65), (9.8, 0.95)),
                       ((4.1, 1.15), (4.1, 0.35))]:
        _arrow(left, start, end)
    left.text(0.1, 4.0, "the VAE: loss = reconstruction + beta * KL", fontsize=10, weight="bold")
    left.set(xlim=(-0.1, 10.9), ylim=(-0.4, 4.2))
    left.axis("off")
    right.text(0.3, 4.0, "the reparameterisation", fontsize=10, weight="bold")
    _box(right, 1.0, 2.6, "$\\mu, \\sigma$", "#cde3f5", 0.9, 0.5)
    _box(right, 3.0, 2.6, "$z \\sim \\mathcal{N}(\\mu, \\sigma^2)$", "#f6c9c9", 1.7, 0.5)
    _box(right, 5.0, 2.6, "loss", "white", 0.8, 0.5)
    _arrow(right, (1.45, 2.6), (2.15, 2.6))
    _arrow(right, (3.85, 2.6), (4.6, 2.6))
    _arrow(right, (4.6, 2.3), (3.85, 2.3), "gradient", "C3", label_offset=-0.3)
    right.text(2.2, 1.6, "a random node: no derivative wrt $\\mu, \\sigma$", fontsize=8, color="C3")
    _box(right, 1.0, 0.7, "$\\mu, \\sigma$", "#cde3f5", 0.9, 0.5)
    _box(right, 3.0, 0.7, "$z = \\mu + \\sigma \\varepsilon$", "#fde9c8", 1.7, 0.5)
    _box(right, 3.0, -0.3, "$\\varepsilon \\sim \\mathcal{N}(0, 1)$", "white", 1.5, 0.45)
    _box(right, 5.0, 0.7, "loss", "white", 0.8, 0.5)
    _arrow(right, (1.45, 0.8), (2.15, 0.8))
    _arrow(right, (3.0, -0.07), (3.0, 0.45))
    _arrow(right, (3.85, 0.8), (4.6, 0.8))
    _arrow(right, (4.6, 0.55), (3.85, 0.55), "", "C2")
    _arrow(right, (2.15, 0.55), (1.45, 0.55), "gradient", "C2", label_offset=-0.35)
    right.set(xlim=(0.2, 5.8), ylim=(-0.6, 4.2))
    right.axis("off")
    return fig


@torch.no_grad()
def beta_sweep_row(model: nn.Module, x: torch.Tensor, beta: float, n: int = 8, seed: int = 0) -> dict:
    """What the beta-sweep figure shows for one trained model: the held-out terms
    (``heldout_terms``), ``n`` reconstructions of the first held-out digits and ``n`` samples
    decoded from z ~ N(0, I) (pixel probabilities, (n, 64) arrays)."""
    model.eval()
    z = torch.randn(n, model.encode(x[:1])[0].shape[-1], generator=torch.Generator().manual_seed(seed))
    return {"beta": float(beta), **heldout_terms(model, x),
            "reconstructions": torch.sigmoid(model.decode(model.encode(x[:n])[0])).numpy(),
            "samples": torch.sigmoid(model.decode(z)).numpy()}


def draw_beta_sweep(rows: list[dict], x: torch.Tensor) -> Figure:
    """Left: the held-out digits, then for each beta its reconstructions and its prior samples.
    Right: the two terms of the loss (reconstruction, KL) against beta."""
    n = len(rows[0]["reconstructions"])
    fig = Figure(figsize=(11, 1.0 + 0.75 * (2 * len(rows) + 1)))
    fig.subplots_adjust(left=0.22, right=0.98, bottom=0.1, top=0.93, wspace=0.3)
    grid = fig.add_gridspec(2 * len(rows) + 1, 2, width_ratios=[1.3, 1])
    images = [("held-out digits", x[:n].numpy())]
    for row in rows:
        images += [(f"beta {row['beta']:g}: reconstructions", row["reconstructions"]),
                   (f"beta {row['beta']:g}: samples", row["samples"])]
    for i, (label, picture) in enumerate(images):
        ax = fig.add_subplot(grid[i, 0])
        _digit_grid(ax, np.asarray(picture), 1, "")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    ax = fig.add_subplot(grid[:, 1])
    betas = [row["beta"] for row in rows]
    ax.plot(betas, [row["kl"] for row in rows], "o-", label="KL term (nats)")
    ax.plot(betas, [row["reconstruction"] for row in rows], "s-", label="reconstruction BCE (nats)")
    ax.set(xscale="log", xlabel="beta", title="held-out terms of the loss")
    ax.legend(fontsize=8)
    return fig


class ConditionalVAE(nn.Module):
    """A VAE whose encoder and decoder also see the digit's label (one-hot, ``classes`` of them),
    made of two of the student's ``VAE`` networks: the encoder of ``vae_class(pixels + classes,
    latent, hidden)`` reads an image with its label, the decoder of ``vae_class(pixels, latent +
    classes, hidden)`` reads a code with the label. (The unused halves of the two never train.)"""

    def __init__(self, vae_class: type[nn.Module], latent: int = 2, hidden: int = 256, pixels: int = 64,
                 classes: int = 10):
        super().__init__()
        self.classes = classes
        self.reader = vae_class(pixels + classes, latent, hidden)
        self.writer = vae_class(pixels, latent + classes, hidden)

    def _with_label(self, rows: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.cat([rows, F.one_hot(y, self.classes).to(rows.dtype)], dim=-1)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.reader.encode(self._with_label(x, y))

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.writer.decode(self._with_label(z, y))


def train_conditional_vae(vae_class: type[nn.Module], loss_fn: Callable, sample_fn: Callable, x: torch.Tensor,
                          y: torch.Tensor, epochs: int, seed: int = 0, batch_size: int = 64,
                          lr: float = 2e-3) -> ConditionalVAE:
    """A :class:`ConditionalVAE` of ``vae_class`` networks fitted to the images ``x`` with labels ``y``
    by Adam on ``loss_fn(x, x_logits, mu, log_var)`` (the negative ELBO of p(x | y)), the codes
    drawn with ``sample_fn(mu, log_var, generator)``; returned in eval mode."""
    torch.manual_seed(seed)
    order_gen = torch.Generator().manual_seed(seed)
    model = ConditionalVAE(vae_class)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in tqdm(range(epochs), desc="conditional VAE epochs"):
        for index in torch.randperm(len(x), generator=order_gen).split(batch_size):
            images, labels = x[index], y[index]
            mu, log_var = model.encode(images, labels)
            x_logits = model.decode(sample_fn(mu, log_var, order_gen), labels)
            optimizer.zero_grad()
            loss_fn(images, x_logits, mu, log_var).backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def draw_conditional_samples(model: ConditionalVAE, per_class: int = 8, seed: int = 0) -> Figure:
    """One row per digit: decodings of the same ``per_class`` prior draws z with the label set to that digit."""
    z = torch.randn(per_class, 2, generator=torch.Generator().manual_seed(seed)).repeat(10, 1)
    labels = torch.arange(10).repeat_interleave(per_class)
    fig = Figure(figsize=(0.6 * per_class + 0.5, 6.4), layout="constrained")
    ax = fig.subplots()
    _digit_grid(ax, torch.sigmoid(model.decode(z, labels)).numpy(), 10,
                "conditional VAE: row = the label asked for, column = the same z")
    return fig


# --- widget B: the latent-space explorer ---------------------------------------------------------


@cache
def explorer_model(vae_class: type[nn.Module], train_step: Callable) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """The explorer's VAE, ``vae_class(64, 2, 128)``, trained at start-up (a few seconds) by
    ``train_step(model, optimizer, batch, beta, generator)`` for 30 epochs on the binarised
    digits (the student's ``VAE`` and ``vae_train_step``); with the held-out digits and labels."""
    data = digits_data(binary=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = vae_class(64, 2, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(full_or_quick(30, 5)):
        for batch in batches(data["x_train"], 64, generator):
            train_step(model, optimizer, batch, 1.0, generator)
    return model.eval(), data["x_test"], data["y_test"]


@torch.no_grad()
def latent_means(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The means of q(z | x) that ``model.encode`` gives the rows of ``x`` (in eval mode)."""
    model.eval()
    return model.encode(x)[0]


@torch.no_grad()
def decode_point(model: nn.Module, z1: float, z2: float) -> np.ndarray:
    """The decoded image (8, 8) of pixel probabilities at z = (z1, z2)."""
    return torch.sigmoid(model.decode(torch.tensor([[z1, z2]], dtype=torch.float32)))[0].reshape(8, 8).numpy()


def nearest_digit(means: torch.Tensor, labels: torch.Tensor, z1: float, z2: float) -> int:
    """The label of the digit whose latent mean (a row of ``means``) is nearest to (z1, z2)."""
    return int(labels[torch.argmin(((means - torch.tensor([z1, z2])) ** 2).sum(dim=1))])


def draw_latent_explorer(model: nn.Module, x: torch.Tensor, y: torch.Tensor, z1: float = 0.0,
                         z2: float = 0.0) -> Figure:
    """Left: the latent means of the digits ``x`` (labels ``y``) under the trained VAE ``model``,
    with the chosen z marked. Right: the decoding of z."""
    mu = latent_means(model, x)
    fig, (left, right) = figure_row(2, width=9.0, height=4.0)
    left.scatter(mu[:, 0], mu[:, 1], c=y, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
    for digit in range(10):
        centre = mu[y == digit].median(dim=0).values
        left.text(centre[0], centre[1], str(digit), fontsize=12, weight="bold", ha="center", va="center")
    left.plot([z1], [z2], marker="x", color="black", markersize=14, markeredgewidth=3)
    left.set(xlim=(-4, 4), ylim=(-4, 4), xlabel="$z_1$", ylabel="$z_2$", title="latent space (held-out digits)")
    right.imshow(decode_point(model, z1, z2), cmap="gray_r", vmin=0, vmax=1)
    right.set_title(f"decoded z = ({z1:.2f}, {z2:.2f}); nearest digit: {nearest_digit(mu, y, z1, z2)}", fontsize=9)
    right.set_xticks([])
    right.set_yticks([])
    return fig


def draw_explorer_of(vae_class: type[nn.Module], train_step: Callable, z1: float = 0.0, z2: float = 0.0) -> Figure:
    """:func:`draw_latent_explorer` for the VAE that :func:`explorer_model` trains."""
    return draw_latent_explorer(*explorer_model(vae_class, train_step), z1, z2)


def latent_explorer_widget(vae_class: type[nn.Module], train_step: Callable) -> widgets.VBox:
    """Two sliders choose z; the decoder of a VAE built and trained with the student's ``VAE`` and
    ``vae_train_step`` (at first use) shows what z means."""
    draw = after_exercise(draw_explorer_of, "exercises 6 and 7 (VAE, vae_train_step)")
    return interactive_figure(partial(draw, vae_class, train_step), z1=slider(0.0, -3.0, 3.0, 0.1, "z1"),
                              z2=slider(0.0, -3.0, 3.0, 0.1, "z2"))


# --- GANs on the ring ------------------------------------------------------------------------------

Z_DIM = 2
VIEW = 3.0  # the pictures show [-3, 3]^2
SURFACE = np.linspace(-VIEW, VIEW, 61)


LR_FLOOR = 0.02  # the learning rates end at this fraction of their start
LEAK = 0.2  # the negative slope of the LeakyReLUs


def make_gan(hidden: int = 64, generator_hidden: int | None = None) -> tuple[nn.Sequential, nn.Sequential]:
    """A generator R^2 -> R^2 and a discriminator R^2 -> logit, both with three hidden LeakyReLU layers
    (``hidden`` units each; the generator's ``generator_hidden`` units if given)."""
    def activation() -> nn.Module:
        return nn.LeakyReLU(LEAK)
    width = generator_hidden or hidden
    return (mlp([Z_DIM, width, width, width, 2], activation),
            mlp([2, hidden, hidden, hidden, 1], activation))


@torch.no_grad()
def _snapshot(step: int, generator: nn.Module, discriminator: nn.Module, z: torch.Tensor) -> dict:
    grid = torch.as_tensor(np.stack(np.meshgrid(SURFACE, SURFACE), axis=-1).reshape(-1, 2), dtype=torch.float32)
    return {"step": step, "samples": generator(z).numpy(),
            "surface": torch.sigmoid(discriminator(grid)).reshape(len(SURFACE), len(SURFACE)).numpy()}


def library_gan_step(generator: nn.Module, discriminator: nn.Module, g_optimizer: torch.optim.Optimizer,
                     d_optimizer: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor,
                     kind: str = "non-saturating") -> tuple[float, float]:
    """The widget's step, with torch's binary cross-entropy: *simultaneous* gradient descent. Both
    players' gradients are taken at the same point, each of its own loss with respect to its own
    parameters, then both optimizers step. (Exercise 10 asks for the alternating step instead.)"""
    bce = F.binary_cross_entropy_with_logits
    real_logits, fake_logits = discriminator(real), discriminator(generator(z))
    loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
    if kind == "minimax":
        loss_g = -bce(fake_logits, torch.zeros_like(fake_logits))
    else:
        loss_g = bce(fake_logits, torch.ones_like(fake_logits))
    d_params, g_params = list(discriminator.parameters()), list(generator.parameters())
    grads = torch.autograd.grad(loss_d, d_params, retain_graph=True) + torch.autograd.grad(loss_g, g_params)
    for param, grad in zip(d_params + g_params, grads):
        param.grad = grad
    d_optimizer.step()
    g_optimizer.step()
    return loss_d.item(), loss_g.item()


def train_gan(step_fn: Callable, steps: int, seed: int = 0, kind: str = "non-saturating", batch_size: int = 512,
              lr: float = 1e-3, generator_hidden: int | None = None, snapshot_every: int = 0,
              progress: bool = True) -> dict:
    """Train a GAN on the ring with ``steps`` calls of ``step_fn(G, D, g_optimizer, d_optimizer, real, z, kind)``.

    Each call gets a fresh batch of ``batch_size`` real points and noise vectors; the Adam
    learning rates (beta_1 = 0.5) decay linearly from ``lr`` to ``LR_FLOOR`` times ``lr``.
    ``generator_hidden`` narrows (or widens) the generator's hidden layers. Returns
    ``{"generator", "discriminator", "d_loss", "g_loss" (lists per step), "snapshots"}``;
    snapshots (every ``snapshot_every`` steps, 0 for none) hold 1000 samples and D's
    probabilities on a 61 x 61 grid.
    """
    torch.manual_seed(seed)
    data_gen = torch.Generator().manual_seed(seed)
    generator, discriminator = make_gan(generator_hidden=generator_hidden)
    optimizers = [torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999)) for net in (discriminator, generator)]
    schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 - (1.0 - LR_FLOOR) * t / steps) for opt in optimizers]
    fixed_z = torch.randn(1000, Z_DIM, generator=torch.Generator().manual_seed(10_000 + seed))
    run = {"generator": generator, "discriminator": discriminator, "d_loss": [], "g_loss": [], "snapshots": []}
    for step in tqdm(range(steps), desc="GAN steps", disable=not progress):
        if snapshot_every and step % snapshot_every == 0:
            run["snapshots"].append(_snapshot(step, generator, discriminator, fixed_z))
        real = sample_ring(batch_size, data_gen)
        z = torch.randn(batch_size, Z_DIM, generator=data_gen)
        d_loss, g_loss = step_fn(generator, discriminator, optimizers[1], optimizers[0], real, z, kind)
        for schedule in schedules:
            schedule.step()
        run["d_loss"].append(float(d_loss))
        run["g_loss"].append(float(g_loss))
    if snapshot_every:
        run["snapshots"].append(_snapshot(steps, generator, discriminator, fixed_z))
    return run


@torch.no_grad()
def gan_samples(generator: nn.Module, n: int = 2500, seed: int = 1) -> np.ndarray:
    """``n`` seeded generator samples (n, 2)."""
    return generator(torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(seed))).numpy()


REFERENCE_STEPS = 5000


def gan_seed_report(step_fn: Callable = library_gan_step, seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
                    steps: int = REFERENCE_STEPS, progress: bool = False, **options) -> list[dict]:
    """Train the GAN once per seed with ``step_fn`` (``options`` go to ``train_gan``); modes covered
    and quality of 2500 samples per seed."""
    report = []
    for seed in seeds:
        run = train_gan(step_fn, steps, seed=seed, progress=progress, **options)
        report.append({"seed": seed, **ring_coverage(gan_samples(run["generator"], seed=1000 + seed))})
    return report


def benchmark_training(reference: ModuleType) -> dict:
    """What ``make bench`` reports: the reference GAN's modes and quality per seed, trained with
    the reference module's ``gan_train_step`` (non-saturating loss)."""
    rows = gan_seed_report(reference.gan_train_step)
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
    return train_gan(library_gan_step, WIDGET_STEPS, seed=0, kind=loss, snapshot_every=50, progress=False)


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


def pixelcnn_dependencies(layers: int = 4, size: int = 11) -> dict[str, np.ndarray]:
    """Which input pixels the centre output of a stack of PixelCNN masked 3 x 3 convolutions sees.

    The first layer's mask (type A) keeps the row above and the pixel to the left; later layers
    (type B) also keep the centre. The dependencies are measured, not derived: the gradient of the
    centre output with respect to the input image, with all weights 1. Returns bool arrays
    ``(size, size)``: ``seen`` (nonzero gradient) and ``allowed`` (pixels before the centre in
    raster order within ``layers`` pixels of it, the reach of the stack: the model may and
    should see them); ``blind = allowed & ~seen``.
    """
    mask_a = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    mask_b = mask_a.clone()
    mask_b[1, 1] = 1.0
    image = torch.zeros(1, 1, size, size, requires_grad=True)
    out = image
    for layer in range(layers):
        out = F.conv2d(out, (mask_a if layer == 0 else mask_b)[None, None], padding=1)
    centre = size // 2
    out[0, 0, centre, centre].backward()
    seen = (image.grad[0, 0] != 0).numpy()
    rows, cols = np.indices((size, size))
    reach = (np.abs(rows - centre) <= layers) & (np.abs(cols - centre) <= layers)
    allowed = reach & ((rows < centre) | ((rows == centre) & (cols < centre)))
    return {"seen": seen, "allowed": allowed, "blind": allowed & ~seen}


def draw_pixelcnn_blind_spot(layers: int = 4, size: int = 11) -> Figure:
    """The pixels the centre output of ``layers`` masked convolutions sees, and the blind spot."""
    found = pixelcnn_dependencies(layers, size)
    picture = np.full((size, size), 0.0)
    picture[found["seen"]] = 1.0
    picture[found["blind"]] = 2.0
    centre = size // 2
    fig = Figure(figsize=(4.6, 4.4))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86)
    ax = fig.subplots()
    from matplotlib.colors import ListedColormap
    ax.imshow(picture, cmap=ListedColormap(["white", "C0", "C3"]), vmin=0, vmax=2)
    ax.add_patch(FancyBboxPatch((centre - 0.45, centre - 0.45), 0.9, 0.9, boxstyle="square,pad=0",
                                facecolor="black"))
    ax.set_xticks(np.arange(-0.5, size), minor=True)
    ax.set_yticks(np.arange(-0.5, size), minor=True)
    ax.grid(which="minor", color="lightgray", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(f"{layers} masked 3 x 3 layers: the black pixel sees the blue ones;\n"
                 f"red: {int(found['blind'].sum())} earlier pixels it should see but cannot (the blind spot)", fontsize=9)
    return fig


def js_shift_table(shifts: list[float], js_fn: Callable, sigma: float = 0.25, step: float = 1e-3) -> list[dict]:
    """JS between N(0, sigma^2) and N(shift, sigma^2) on ``GRID`` (normalised to probabilities),
    computed with ``js_fn``, and its derivative with respect to the shift by central differences."""
    def js_at(shift: float) -> float:
        return js_fn(grid_probabilities(0.0, sigma), grid_probabilities(shift, sigma))
    return [{"shift": shift, "js": js_at(shift), "slope": (js_at(shift + step) - js_at(shift - step)) / (2 * step)}
            for shift in shifts]


# --- what `make bench` times: each widget's update at a representative slider setting -------------

WIDGET_UPDATES = [
    ("divergences", lambda reference: draw_divergences(reference.js_divergence, mu_q=1.5, sigma_q=0.5)),
    ("latent explorer", lambda reference: draw_explorer_of(reference.VAE, reference.vae_train_step,
                                                           z1=1.0, z2=-0.5)),
    ("GAN training", lambda: draw_gan_training(step=WIDGET_STEPS // 2)),
]
