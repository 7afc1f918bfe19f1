"""Reference solutions for lecture 06, generative models.

Each function has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source, so
a body uses only numpy (``np``), torch (``torch``, ``F`` for ``torch.nn.functional``) and the
other graded functions.
"""
import numpy as np
import torch
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
    return 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reference for the exercise of the same name."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps


def vae_loss(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """Reference for the exercise of the same name."""
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
    total = p_data + p_model
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, p_data / safe, 0.5)


def gan_value(p_data: np.ndarray, p_model: np.ndarray, D: np.ndarray, dx: float) -> float:
    """Reference for the exercise of the same name."""
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    D = np.asarray(D, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        real = np.where(p_data > 0, p_data * np.log(D), 0.0)
        fake = np.where(p_model > 0, p_model * np.log(1.0 - D), 0.0)
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
