"""Reference solutions for lecture 06, generative models.

Each function has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source, so
a body uses only numpy (``np``), torch (``torch``, ``nn``, ``F`` for ``torch.nn.functional``)
and the other graded functions.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if mu.shape != log_var.shape:
        raise ValueError(f"mu and log_var must have the same shape, got {tuple(mu.shape)} and {tuple(log_var.shape)}")
    return 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if mu.shape != log_var.shape:
        raise ValueError(f"mu and log_var must have the same shape, got {tuple(mu.shape)} and {tuple(log_var.shape)}")
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps


def vae_loss(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if x.shape != x_logits.shape:
        raise ValueError(f"x and x_logits must have the same shape, got {tuple(x.shape)} and {tuple(x_logits.shape)}")
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
    return torch.mean(reconstruction + beta * gaussian_kl(mu, log_var))


def pca_subspace(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference for the exercise of the same name."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be between 1 and {min(n, d)}, got {k}")
    mean = X.mean(axis=0)
    _, singular_values, vt = np.linalg.svd(X - mean, full_matrices=False)
    variances = singular_values[:k] ** 2 / (n - 1)
    return mean, vt[:k], variances


def subspace_cosines(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    qa, _ = np.linalg.qr(A.T)
    qb, _ = np.linalg.qr(B.T)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.clip(cosines, 0.0, 1.0)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """Reference for the exercise of the same name."""
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"kind must be 'minimax' or 'non-saturating', got {kind!r}")


def optimal_discriminator(p_data: np.ndarray, p_model: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    if p_data.shape != p_model.shape:
        raise ValueError(f"p_data and p_model must have the same shape, got {p_data.shape} and {p_model.shape}")
    # Divide both densities by the larger one first: p_data + p_model overflows near 1e308.
    scale = np.maximum(p_data, p_model)
    positive = scale > 0
    safe = np.where(positive, scale, 1.0)
    p_data, p_model = p_data / safe, p_model / safe
    return np.where(positive, p_data / np.where(positive, p_data + p_model, 1.0), 0.5)


def gan_value(p_data: np.ndarray, p_model: np.ndarray, dx: float, D: np.ndarray | None = None) -> float:
    """Reference for the exercise of the same name."""
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    if p_data.shape != p_model.shape:
        raise ValueError(f"p_data and p_model must have the same shape, got {p_data.shape} and {p_model.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        if D is None:
            log_total = np.log(p_data + p_model)
            log_d, log_not_d = np.log(p_data) - log_total, np.log(p_model) - log_total
        else:
            D = np.asarray(D, dtype=float)
            if D.shape != p_data.shape:
                raise ValueError(f"D must have the densities' shape {p_data.shape}, got {D.shape}")
            log_d, log_not_d = np.log(D), np.log1p(-D)
        real = np.where(p_data > 0, p_data * log_d, 0.0)
        fake = np.where(p_model > 0, p_model * log_not_d, 0.0)
    return float(np.sum(real + fake) * dx)


def made_masks(ordering: np.ndarray, hidden_sizes: list[int]) -> list[np.ndarray]:
    """Reference for the exercise of the same name."""
    ordering = np.asarray(ordering)
    n_inputs = len(ordering)
    if n_inputs < 2 or sorted(ordering.tolist()) != list(range(1, n_inputs + 1)):
        raise ValueError("ordering must be a permutation of 1..D with D >= 2")
    if any(size < 1 for size in hidden_sizes):
        raise ValueError("every hidden layer needs at least one unit")
    degrees = [ordering]
    for size in hidden_sizes:
        degrees.append(1 + np.arange(size) % (n_inputs - 1))
    masks = [(later[:, None] >= earlier[None, :]).astype(np.float32)
             for earlier, later in zip(degrees[:-1], degrees[1:])]
    masks.append((ordering[:, None] > degrees[-1][None, :]).astype(np.float32))
    return masks


class VAE(nn.Module):
    """Reference for the exercise of the same name."""

    def __init__(self, pixels: int = 64, latent: int = 2, hidden: int = 256):
        super().__init__()
        self.encoder_net = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                         nn.Linear(hidden, 2 * latent))
        self.decoder_net = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                         nn.Linear(hidden, pixels))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder_net(x)
        half = h.shape[-1] // 2
        return h[..., :half], h[..., half:]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder_net(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, log_var = self.encode(x)
        return self.decode(reparameterize(mu, log_var, generator)), mu, log_var


def vae_train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, beta: float = 1.0,
                   generator: torch.Generator | None = None) -> float:
    """Reference for the exercise of the same name."""
    model.train()
    optimizer.zero_grad()
    x_logits, mu, log_var = model(x, generator)
    loss = vae_loss(x, x_logits, mu, log_var, beta)
    loss.backward()
    optimizer.step()
    return loss.item()


def gan_train_step(generator: nn.Module, discriminator: nn.Module, g_optimizer: torch.optim.Optimizer,
                   d_optimizer: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor,
                   kind: str = "non-saturating") -> tuple[float, float]:
    """Reference for the exercise of the same name."""
    fake = generator(z)
    d_loss = discriminator_loss(discriminator(real), discriminator(fake.detach()))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    g_loss = generator_loss(discriminator(fake), kind)
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()
