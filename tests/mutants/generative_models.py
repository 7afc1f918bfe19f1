"""Plausible wrong answers for lecture 06; every one must fail a hidden scenario."""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.generative_models")


# --- kl_divergence -------------------------------------------------------------------------------------

def _kl_divergence(p, q, *, checks=True, finite_only=False, bits=False):
    """The reference's KL(p || q) with switchable mistakes, as a numpy float (shared by the mutants below)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if checks and p.shape != q.shape:
        raise ValueError("shapes differ")
    if finite_only:  # terms with q = 0 dropped
        support = (p > 0) & (q > 0)
    else:
        support = p > 0
        if np.any(q[support] == 0):
            return np.float64(np.inf)
    log = np.log2 if bits else np.log
    return np.sum(p[support] * log(p[support] / q[support]))


@catalogue.mutant("kl_divergence", "arguments swapped: computes KL(q || p)")
def kl_divergence(p, q):
    return float(_kl_divergence(q, p))


@catalogue.mutant("kl_divergence", "zero probabilities not handled: 0 log 0 gives NaN")
def kl_divergence(p, q):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if p.shape != q.shape:
        raise ValueError("shapes differ")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * np.log(p / q)))


@catalogue.mutant("kl_divergence", "terms with q = 0 dropped: finite instead of infinite")
def kl_divergence(p, q):
    return float(_kl_divergence(p, q, finite_only=True))


@catalogue.mutant("kl_divergence", "log base 2 (bits instead of nats)")
def kl_divergence(p, q):
    return float(_kl_divergence(p, q, bits=True))


@catalogue.mutant("kl_divergence", "returns a numpy float, no shape check")
def kl_divergence(p, q):
    return _kl_divergence(p, q, checks=False)


# --- js_divergence -------------------------------------------------------------------------------------

@catalogue.mutant("js_divergence", "compares with q instead of the mixture m: (KL(p||q) + KL(q||p)) / 2")
def js_divergence(p, q):
    return 0.5 * kl_divergence(p, q) + 0.5 * kl_divergence(q, p)


@catalogue.mutant("js_divergence", "forgets the factor 1/2")
def js_divergence(p, q):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = 0.5 * (p + q)
    return kl_divergence(p, m) + kl_divergence(q, m)


@catalogue.mutant("js_divergence", "mixture m = p + q not halved")
def js_divergence(p, q):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = p + q
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


@catalogue.mutant("js_divergence", "only one half: KL(p || m)")
def js_divergence(p, q):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    return kl_divergence(p, 0.5 * (p + q))


# --- gaussian_kl ----------------------------------------------------------------------------------------

@catalogue.mutant("gaussian_kl", "uses the log-variance as the variance")
def gaussian_kl(mu, log_var):
    return 0.5 * torch.sum(log_var + mu ** 2 - 1.0 - torch.log(log_var.abs() + 1e-12), dim=-1)


@catalogue.mutant("gaussian_kl", "sums over the batch instead of the latent dimensions")
def gaussian_kl(mu, log_var):
    return 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=0)


@catalogue.mutant("gaussian_kl", "missing the factor 1/2")
def gaussian_kl(mu, log_var):
    return torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)


@catalogue.mutant("gaussian_kl", "mean over latent dimensions instead of the sum")
def gaussian_kl(mu, log_var):
    return 0.5 * torch.mean(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)


@catalogue.mutant("gaussian_kl", "sign of the log-variance term flipped")
def gaussian_kl(mu, log_var):
    return 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 + log_var, dim=-1)


@catalogue.mutant("gaussian_kl", "goes through numpy (float64, no gradients)")
def gaussian_kl(mu, log_var):
    m, lv = mu.detach().numpy(), log_var.detach().numpy()
    return torch.as_tensor(0.5 * np.sum(np.exp(lv) + m ** 2 - 1.0 - lv, axis=-1), dtype=torch.float64)


# --- reparameterize -------------------------------------------------------------------------------------

@catalogue.mutant("reparameterize", "scales eps by the variance instead of the standard deviation")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(log_var) * eps


@catalogue.mutant("reparameterize", "draws eps in the default dtype (float32) whatever mu's dtype")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(0.5 * log_var) * eps


@catalogue.mutant("reparameterize", "ignores the generator (torch.randn_like)")
def reparameterize(mu, log_var, generator=None):
    return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)


@catalogue.mutant("reparameterize", "detaches mu and log_var: no gradient reaches the encoder")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return (mu + torch.exp(0.5 * log_var) * eps).detach()


@catalogue.mutant("reparameterize", "uses sqrt of log_var as the standard deviation")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.sqrt(log_var.abs()) * eps


@catalogue.mutant("reparameterize", "draws eps in float32 whatever the input dtype")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator)
    return (mu + torch.exp(0.5 * log_var) * eps).float()


@catalogue.mutant("reparameterize", "adds to mu in place")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    with torch.no_grad():
        mu += torch.exp(0.5 * log_var) * eps
    return mu


# --- vae_loss -------------------------------------------------------------------------------------------

@catalogue.mutant("vae_loss", "averages the reconstruction over pixels instead of summing")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").mean(dim=-1)
    return torch.mean(reconstruction + beta * gaussian_kl(mu, log_var))


@catalogue.mutant("vae_loss", "beta multiplies the reconstruction term")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
    return torch.mean(beta * reconstruction + gaussian_kl(mu, log_var))


@catalogue.mutant("vae_loss", "binary cross-entropy on the logits as if they were probabilities (clamped)")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    probs = x_logits.clamp(1e-6, 1 - 1e-6)
    reconstruction = F.binary_cross_entropy(probs, x, reduction="none").sum(dim=-1)
    return torch.mean(reconstruction + beta * gaussian_kl(mu, log_var))


@catalogue.mutant("vae_loss", "sums over the batch instead of averaging")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
    return torch.sum(reconstruction + beta * gaussian_kl(mu, log_var))


@catalogue.mutant("vae_loss", "unstable log(sigmoid): infinite for large logits")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    p = torch.sigmoid(x_logits)
    reconstruction = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=-1)
    return torch.mean(reconstruction + beta * gaussian_kl(mu, log_var))


@catalogue.mutant("vae_loss", "subtracts the KL term (the ELBO's sign mixed up)")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
    return torch.mean(reconstruction - beta * gaussian_kl(mu, log_var))


# --- pca_subspace ---------------------------------------------------------------------------------------

def _pca_subspace(X, k, *, check_k=True, k_bounded_by_d=False, centre=True, centre_in_place=False,
                  wrong_side=False, singular_values=False, divide_by_n=False, last_k=False):
    """The reference's PCA with switchable mistakes (shared by the mutants below)."""
    if centre_in_place:
        X = X if X.dtype.kind == "f" else X.astype(float)  # the caller's float array itself
    else:
        X = np.asarray(X, dtype=float)
    n, d = X.shape
    if check_k and not 1 <= k <= (d if k_bounded_by_d else min(n, d)):
        raise ValueError("bad k")
    mean = X.mean(axis=0)
    if centre_in_place:
        X -= mean
        centred = X
    else:
        centred = X - mean if centre else X
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    if last_k:
        components, s = vt[-k:], s[-k:]
    else:
        components, s = vt[:k], s[:k]
    if wrong_side:
        components = vt[:, :k].T
    if singular_values:
        return mean, components, s
    return mean, components, s ** 2 / (n if divide_by_n else n - 1)


@catalogue.mutant("pca_subspace", "does not centre the data")
def pca_subspace(X, k):
    return _pca_subspace(X, k, centre=False)


@catalogue.mutant("pca_subspace", "takes the columns of U (wrong side of the SVD)")
def pca_subspace(X, k):
    return _pca_subspace(X, k, wrong_side=True)


@catalogue.mutant("pca_subspace", "variances are the singular values, not their squares / (N - 1)")
def pca_subspace(X, k):
    return _pca_subspace(X, k, singular_values=True)


@catalogue.mutant("pca_subspace", "divides the variances by N instead of N - 1")
def pca_subspace(X, k):
    return _pca_subspace(X, k, divide_by_n=True)


@catalogue.mutant("pca_subspace", "centres the data in place")
def pca_subspace(X, k):
    return _pca_subspace(X, k, centre_in_place=True)


@catalogue.mutant("pca_subspace", "the last k directions (smallest variances)")
def pca_subspace(X, k):
    return _pca_subspace(X, k, last_k=True)


@catalogue.mutant("pca_subspace", "no check of k")
def pca_subspace(X, k):
    return _pca_subspace(X, k, check_k=False)


# --- subspace_cosines ------------------------------------------------------------------------------------

def _same_shape(A, B):
    """A and B as float arrays; ValueError unless their shapes are equal."""
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    if A.shape != B.shape:
        raise ValueError("shapes differ")
    return A, B


@catalogue.mutant("subspace_cosines", "no orthonormalization: singular values of A B^T")
def subspace_cosines(A, B):
    A, B = _same_shape(A, B)
    return np.linalg.svd(A @ B.T, compute_uv=False)


@catalogue.mutant("subspace_cosines", "normalizes rows but does not orthogonalize them")
def subspace_cosines(A, B):
    A, B = _same_shape(A, B)
    A = A / np.linalg.norm(A, axis=1, keepdims=True)
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return np.clip(np.linalg.svd(A @ B.T, compute_uv=False), 0.0, 1.0)


@catalogue.mutant("subspace_cosines", "cosines between matching rows, not principal angles")
def subspace_cosines(A, B):
    A, B = _same_shape(A, B)
    cos = np.abs(np.sum(A * B, axis=1)) / (np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1))
    return np.sort(cos)[::-1]


@catalogue.mutant("subspace_cosines", "QR of the rows as given (k, D) instead of the columns")
def subspace_cosines(A, B):
    A, B = _same_shape(A, B)
    qa, _ = np.linalg.qr(A)
    qb, _ = np.linalg.qr(B)
    return np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)[: len(A)]


@catalogue.mutant("subspace_cosines", "sorted from smallest to largest")
def subspace_cosines(A, B):
    A, B = _same_shape(A, B)
    qa, _ = np.linalg.qr(A.T)
    qb, _ = np.linalg.qr(B.T)
    return np.sort(np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0))


# --- discriminator_loss ----------------------------------------------------------------------------------

@catalogue.mutant("discriminator_loss", "labels swapped: real scored as 0, fake as 1")
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()


@catalogue.mutant("discriminator_loss", "log of sigmoid computed naively (infinite for large logits)")
def discriminator_loss(real_logits, fake_logits):
    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()


@catalogue.mutant("discriminator_loss", "the value V itself (a quantity D maximizes) instead of -V")
def discriminator_loss(real_logits, fake_logits):
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


@catalogue.mutant("discriminator_loss", "averages real and fake together (unequal batches weighted wrongly)")
def discriminator_loss(real_logits, fake_logits):
    return 2 * torch.cat([F.softplus(-real_logits).flatten(), F.softplus(fake_logits).flatten()]).mean()


@catalogue.mutant("discriminator_loss", "halves the sum")
def discriminator_loss(real_logits, fake_logits):
    return 0.5 * (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())


# --- generator_loss --------------------------------------------------------------------------------------

def _generator_loss(fake_logits, kind, *, erratum=False, kinds_swapped=False, minimax_sign_flipped=False,
                    unknown_kinds_allowed=False, naive=False):
    """The reference's generator loss with switchable mistakes (shared by the mutants below)."""
    if kinds_swapped:
        kind = {"minimax": "non-saturating", "non-saturating": "minimax"}.get(kind, kind)
    if kind == "minimax":
        if erratum:  # the notes' 1 - log D(G(z))
            return 1.0 + F.softplus(-fake_logits).mean()
        if minimax_sign_flipped:
            return F.softplus(fake_logits).mean()
        return -F.softplus(fake_logits).mean()
    if kind == "non-saturating" or unknown_kinds_allowed:
        if naive:
            return -torch.log(torch.sigmoid(fake_logits)).mean()
        return F.softplus(-fake_logits).mean()
    raise ValueError("unknown kind")


@catalogue.mutant("generator_loss", "the notes' erratum: minimax loss 1 - log D(G(z))")
def generator_loss(fake_logits, kind="non-saturating"):
    return _generator_loss(fake_logits, kind, erratum=True)


@catalogue.mutant("generator_loss", "kinds swapped")
def generator_loss(fake_logits, kind="non-saturating"):
    return _generator_loss(fake_logits, kind, kinds_swapped=True)


@catalogue.mutant("generator_loss", "minimax sign flipped: minimizes -log(1 - D(G(z)))")
def generator_loss(fake_logits, kind="non-saturating"):
    return _generator_loss(fake_logits, kind, minimax_sign_flipped=True)


@catalogue.mutant("generator_loss", "unknown kinds fall back to non-saturating")
def generator_loss(fake_logits, kind="non-saturating"):
    return _generator_loss(fake_logits, kind, unknown_kinds_allowed=True)


@catalogue.mutant("generator_loss", "non-saturating loss computed naively through sigmoid")
def generator_loss(fake_logits, kind="non-saturating"):
    return _generator_loss(fake_logits, kind, naive=True)


@catalogue.mutant("generator_loss", "default kind is minimax")
def generator_loss(fake_logits, kind="minimax"):
    return _generator_loss(fake_logits, kind)


# --- optimal_discriminator -------------------------------------------------------------------------------

def _safe_ratio(numerator, denominator, fill):
    """numerator / denominator where the denominator is positive, ``fill`` elsewhere (no warning)."""
    return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), fill)


@catalogue.mutant("optimal_discriminator", "p_model / (p_data + p_model) (roles swapped)")
def optimal_discriminator(p_data, p_model):
    p_data, p_model = _same_shape(p_data, p_model)
    return _safe_ratio(p_model, p_data + p_model, 0.5)


@catalogue.mutant("optimal_discriminator", "0 / 0 left as NaN")
def optimal_discriminator(p_data, p_model):
    p_data, p_model = _same_shape(p_data, p_model)
    with np.errstate(invalid="ignore"):
        return p_data / (p_data + p_model)


@catalogue.mutant("optimal_discriminator", "0 / 0 set to 0 instead of 1/2")
def optimal_discriminator(p_data, p_model):
    p_data, p_model = _same_shape(p_data, p_model)
    return _safe_ratio(p_data, p_data + p_model, 0.0)


@catalogue.mutant("optimal_discriminator", "p_data / p_model (a density ratio, not a probability)")
def optimal_discriminator(p_data, p_model):
    p_data, p_model = _same_shape(p_data, p_model)
    return _safe_ratio(p_data, p_model, 0.5)


@catalogue.mutant("optimal_discriminator", "integer division on integer inputs")
def optimal_discriminator(p_data, p_model):
    p_data = np.asarray(p_data)
    p_model = np.asarray(p_model)
    total = p_data + p_model
    return np.where(total > 0, p_data // np.where(total > 0, total, 1), 0.5)


# --- gan_value --------------------------------------------------------------------------------------------

def _log_terms(p_data, p_model, D):
    """The log-space logarithms of D and 1 - D of the reference (D* when D is None)."""
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if D is None:
            total = np.log(p_data + p_model)
            return p_data, p_model, np.log(p_data) - total, np.log(p_model) - total
        D = np.asarray(D, dtype=float)
        return p_data, p_model, np.log(D), np.log1p(-D)


def _riemann_terms(p_data, p_model, D, *, check_d=True, generated_log_d=False, zeros_unhandled=False):
    """The integrand of V(D, G) on the grid, with switchable mistakes (shared by the mutants below)."""
    p_data, p_model, log_d, log_not_d = _log_terms(p_data, p_model, D)
    if p_data.shape != p_model.shape or (check_d and D is not None and np.shape(D) != p_data.shape):
        raise ValueError("shapes differ")
    if generated_log_d:
        log_not_d = log_d
    with np.errstate(invalid="ignore"):
        if zeros_unhandled:
            return p_data * log_d + p_model * log_not_d
        return np.where(p_data > 0, p_data * log_d, 0.0) + np.where(p_model > 0, p_model * log_not_d, 0.0)


@catalogue.mutant("gan_value", "forgets to multiply by dx (a sum, not an integral)")
def gan_value(p_data, p_model, dx, D=None):
    return float(np.sum(_riemann_terms(p_data, p_model, D)))


@catalogue.mutant("gan_value", "averages instead of integrating")
def gan_value(p_data, p_model, dx, D=None):
    return float(np.mean(_riemann_terms(p_data, p_model, D)))


@catalogue.mutant("gan_value", "0 log 0 not handled (NaN where a density is 0 and D is 0 or 1)")
def gan_value(p_data, p_model, dx, D=None):
    return float(np.sum(_riemann_terms(p_data, p_model, D, zeros_unhandled=True)) * dx)


@catalogue.mutant("gan_value", "uses log D for the generated term too")
def gan_value(p_data, p_model, dx, D=None):
    return float(np.sum(_riemann_terms(p_data, p_model, D, generated_log_d=True)) * dx)


@catalogue.mutant("gan_value", "D* computed as a ratio, then log(1 - D*): minus infinity where p_model << p_data")
def gan_value(p_data, p_model, dx, D=None):
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    if D is None:
        D = _safe_ratio(p_data, p_data + p_model, 0.5)
    return float(np.sum(_riemann_terms(p_data, p_model, D)) * dx)


@catalogue.mutant("gan_value", "clips D away from 0 and 1 (never minus infinity)")
def gan_value(p_data, p_model, dx, D=None):
    if D is not None:
        D = np.clip(np.asarray(D, dtype=float), 1e-12, 1 - 1e-12)
    return float(np.sum(_riemann_terms(p_data, p_model, D)) * dx)


@catalogue.mutant("gan_value", "no shape check: a D of shape (1,) or (5, 1) is broadcast")
def gan_value(p_data, p_model, dx, D=None):
    return float(np.sum(_riemann_terms(p_data, p_model, D, check_d=False)) * dx)


@catalogue.mutant("gan_value", "trapezoid rule along the last axis only (a 2-D grid is not summed over both axes)")
def gan_value(p_data, p_model, dx, D=None):
    terms = _riemann_terms(p_data, p_model, D)
    return float(np.sum(np.trapezoid(terms, dx=dx, axis=-1)))


@catalogue.mutant("optimal_discriminator", "no shape check: densities of shapes (5,) and (1,) are broadcast")
def optimal_discriminator(p_data, p_model):
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    return _safe_ratio(p_data, p_data + p_model, 0.5)


@catalogue.mutant("gaussian_kl", "no shape check: a log-variance of shape (B, 1) is broadcast")
def gaussian_kl(mu, log_var):
    return 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)


@catalogue.mutant("reparameterize", "no shape check: a log-variance of shape (B, 1) is broadcast")
def reparameterize(mu, log_var, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps


@catalogue.mutant("vae_loss", "no shape check: logits of shape (B, 1) are broadcast over the pixels")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits.expand_as(x), x, reduction="none").sum(dim=-1)
    kl = 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1)
    return torch.mean(reconstruction + beta * kl)


# --- made_masks -------------------------------------------------------------------------------------------

def _made_masks(ordering, hidden_sizes, *, checks=True, output_sees_itself=False, hidden_strict=False,
                transposed=False, degrees_from_zero=False, natural_order=False, boolean=False):
    """The reference's MADE masks with switchable mistakes (shared by the mutants below)."""
    ordering = np.asarray(ordering)
    if checks:
        if len(ordering) < 2 or sorted(ordering.tolist()) != list(range(1, len(ordering) + 1)):
            raise ValueError("bad ordering")
        if any(size < 1 for size in hidden_sizes):
            raise ValueError("bad sizes")
    d = len(ordering)
    inputs = np.arange(1, d + 1) if natural_order else ordering
    first = 0 if degrees_from_zero else 1
    # max(..., 1): an unchecked ordering of length 1 would divide by zero
    degrees = [inputs] + [first + np.arange(size) % max(d - 1, 1) for size in hidden_sizes]
    masks = []
    for earlier, later in zip(degrees[:-1], degrees[1:]):
        if hidden_strict:
            masks.append(later[:, None] > earlier[None, :])
        else:
            masks.append(later[:, None] >= earlier[None, :])
    if output_sees_itself:
        masks.append(inputs[:, None] >= degrees[-1][None, :])
    else:
        masks.append(inputs[:, None] > degrees[-1][None, :])
    if transposed:
        masks = [mask.T for mask in masks]
    return masks if boolean else [mask.astype(np.float32) for mask in masks]


@catalogue.mutant("made_masks", "output mask with >= (an output sees its own input)")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, output_sees_itself=True)


@catalogue.mutant("made_masks", "hidden masks with > (drops allowed connections)")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, hidden_strict=True)


@catalogue.mutant("made_masks", "masks transposed: shape (in, out)")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, transposed=True)


@catalogue.mutant("made_masks", "hidden degrees cycle through 0..D-2 (off by one)")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, degrees_from_zero=True)


@catalogue.mutant("made_masks", "ignores the ordering (natural order 1..D)")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, natural_order=True)


@catalogue.mutant("made_masks", "boolean masks instead of float32")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, boolean=True)


@catalogue.mutant("made_masks", "does not validate the ordering")
def made_masks(ordering, hidden_sizes):
    return _made_masks(ordering, hidden_sizes, checks=False)


# --- VAE ---------------------------------------------------------------------------------------------------

class _ReferenceLikeVAE(nn.Module):
    """The reference architecture; each mutant below changes one method."""

    def __init__(self, pixels=64, latent=2, hidden=256):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def encode(self, x):
        h = self.encoder(x)
        return h[..., : h.shape[-1] // 2], h[..., h.shape[-1] // 2:]

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, generator=None):
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return self.decode(mu + torch.exp(0.5 * log_var) * eps), mu, log_var


@catalogue.mutant("VAE", "decodes the mean: no sampled code")
class VAE(_ReferenceLikeVAE):
    def forward(self, x, generator=None):
        mu, log_var = self.encode(x)
        return self.decode(mu), mu, log_var


@catalogue.mutant("VAE", "decode returns probabilities (a sigmoid), not logits")
class VAE(_ReferenceLikeVAE):
    def decode(self, z):
        return torch.sigmoid(self.decoder(z))


@catalogue.mutant("VAE", "the log-variance forced positive with a softplus")
class VAE(_ReferenceLikeVAE):
    def encode(self, x):
        h = self.encoder(x)
        return h[..., : h.shape[-1] // 2], F.softplus(h[..., h.shape[-1] // 2:])


@catalogue.mutant("VAE", "the sampled code is detached: no gradient from the reconstruction to the encoder")
class VAE(_ReferenceLikeVAE):
    def forward(self, x, generator=None):
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return self.decode((mu + torch.exp(0.5 * log_var) * eps).detach()), mu, log_var


@catalogue.mutant("VAE", "the noise ignores the generator (drawn from the global one)")
class VAE(_ReferenceLikeVAE):
    def forward(self, x, generator=None):
        mu, log_var = self.encode(x)
        return self.decode(mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)), mu, log_var


@catalogue.mutant("VAE", "sigma taken as exp(log_var) instead of exp(log_var / 2)")
class VAE(_ReferenceLikeVAE):
    def forward(self, x, generator=None):
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return self.decode(mu + torch.exp(log_var) * eps), mu, log_var


@catalogue.mutant("VAE", "the hidden size is ignored (always 64 units)")
class VAE(_ReferenceLikeVAE):
    def __init__(self, pixels=64, latent=2, hidden=256):
        super().__init__(pixels, latent, 64)


# --- vae_train_step -----------------------------------------------------------------------------------------

def _vae_loss(x, x_logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
    return torch.mean(reconstruction + beta * 0.5 * torch.sum(torch.exp(log_var) + mu ** 2 - 1.0 - log_var, dim=-1))


def _vae_train_step(model, optimizer, x, beta, generator, *, stale_gradients=False, loss_after_step=False,
                    ignore_beta=False, ignore_generator=False, as_tensor=False, no_train_mode=False):
    """The reference's VAE step with switchable mistakes (shared by the mutants below)."""
    if not no_train_mode:
        model.train()
    if not stale_gradients:
        optimizer.zero_grad()
    outputs = model(x) if ignore_generator else model(x, generator)
    loss = _vae_loss(x, *outputs) if ignore_beta else _vae_loss(x, *outputs, beta)
    loss.backward()
    optimizer.step()
    if loss_after_step:
        with torch.no_grad():
            return _vae_loss(x, *model(x, generator), beta).item()
    return loss.detach() if as_tensor else loss.item()


@catalogue.mutant("vae_train_step", "never clears the gradients (stale ones are added)")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, stale_gradients=True)


@catalogue.mutant("vae_train_step", "returns the loss measured after the step")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, loss_after_step=True)


@catalogue.mutant("vae_train_step", "ignores beta")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, ignore_beta=True)


@catalogue.mutant("vae_train_step", "ignores the generator")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, ignore_generator=True)


@catalogue.mutant("vae_train_step", "returns the loss tensor, not a Python float")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, as_tensor=True)


@catalogue.mutant("vae_train_step", "does not switch to training mode")
def vae_train_step(model, optimizer, x, beta=1.0, generator=None):
    return _vae_train_step(model, optimizer, x, beta, generator, no_train_mode=True)


# --- gan_train_step ----------------------------------------------------------------------------------------

def _d_step(d_optimizer, real_logits, fake_logits):
    """One discriminator step on the reference's loss; returns the loss tensor."""
    d_loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    return d_loss


def _g_step(g_optimizer, fake_logits, kind, *, clear=True):
    """One generator step on the reference's loss of that kind; returns the loss tensor."""
    g_loss = _generator_loss(fake_logits, kind)
    if clear:
        g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return g_loss


@catalogue.mutant("gan_train_step", "no detach: the discriminator's loss also flows into the generator (fake recomputed for G)")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    g_optimizer.zero_grad()
    d_loss = _d_step(d_optimizer, discriminator(real), discriminator(generator(z)))
    g_loss = _g_step(g_optimizer, discriminator(generator(z)), kind, clear=False)
    return d_loss.item(), g_loss.item()


@catalogue.mutant("gan_train_step", "the generator is updated first")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    g_loss = _g_step(g_optimizer, discriminator(generator(z)), kind)
    d_loss = _d_step(d_optimizer, discriminator(real), discriminator(generator(z).detach()))
    return d_loss.item(), g_loss.item()


@catalogue.mutant("gan_train_step", "the generator's gradients are never cleared")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    fake = generator(z)
    d_loss = _d_step(d_optimizer, discriminator(real), discriminator(fake.detach()))
    g_loss = _g_step(g_optimizer, discriminator(fake), kind, clear=False)
    return d_loss.item(), g_loss.item()


@catalogue.mutant("gan_train_step", "the generator loss is always non-saturating")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    fake = generator(z)
    d_loss = _d_step(d_optimizer, discriminator(real), discriminator(fake.detach()))
    g_loss = _g_step(g_optimizer, discriminator(fake), "non-saturating")
    return d_loss.item(), g_loss.item()


@catalogue.mutant("gan_train_step", "the generator's loss reuses the discriminator's logits from before its update")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    fake_logits = discriminator(generator(z))
    d_loss = _d_step(d_optimizer, discriminator(real), fake_logits.detach())
    g_loss = _g_step(g_optimizer, fake_logits, kind)
    return d_loss.item(), g_loss.item()


@catalogue.mutant("gan_train_step", "returns the losses as tensors")
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, real, z, kind="non-saturating"):
    fake = generator(z)
    d_loss = _d_step(d_optimizer, discriminator(real), discriminator(fake.detach()))
    g_loss = _g_step(g_optimizer, discriminator(fake), kind)
    return d_loss.detach(), g_loss.detach()


# --- the independent student's survivors (each killed by a scenario added for it) ----------------------------

@catalogue.mutant("pca_subspace", "bounds k by D only: k = 4 for 3 points in 5 dimensions returns 3 components")
def pca_subspace(X, k):
    return _pca_subspace(X, k, k_bounded_by_d=True)


@catalogue.mutant("kl_divergence", "no shape check: p (2,) and q (1,) are broadcast")
def kl_divergence(p, q):
    p, q = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(q, dtype=float))
    return float(_kl_divergence(p, q))


@catalogue.mutant("js_divergence", "no shape check: p (2,) and q (1,) are broadcast before the mixture")
def js_divergence(p, q):
    p, q = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(q, dtype=float))
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


@catalogue.mutant("kl_divergence", "normalises p and q in place, and overwrites q's zeros, in the caller's arrays")
def kl_divergence(p, q):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    p /= p.sum()  # the caller's arrays when they are float64 arrays
    q /= q.sum()
    divergence = float(_kl_divergence(p, q))
    if np.isfinite(divergence):
        q[q == 0] = 1.0
    return divergence


@catalogue.mutant("gaussian_kl", "log(exp(log_var)) instead of log_var: -inf once the variance underflows")
def gaussian_kl(mu, log_var):
    if mu.shape != log_var.shape:
        raise ValueError("shapes differ")
    var = torch.exp(log_var)
    return 0.5 * torch.sum(var + mu ** 2 - 1.0 - torch.log(var), dim=-1)


@catalogue.mutant("reparameterize", "adds the noise into mu in place when mu needs no gradient")
def reparameterize(mu, log_var, generator=None):
    if mu.shape != log_var.shape:
        raise ValueError("shapes differ")
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    if mu.requires_grad:
        return mu + torch.exp(0.5 * log_var) * eps
    return mu.add_(torch.exp(0.5 * log_var) * eps)


@catalogue.mutant("vae_loss", "sigmoid, then binary cross-entropy on the probabilities (torch clamps log 0 at -100)")
def vae_loss(x, x_logits, mu, log_var, beta=1.0):
    if x.shape != x_logits.shape:
        raise ValueError("shapes differ")
    reconstruction = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="none").sum(dim=-1)
    return torch.mean(reconstruction + beta * gaussian_kl(mu, log_var))


@catalogue.mutant("VAE", "one encoder head returned as both the mean and the log-variance")
class VAE(_ReferenceLikeVAE):
    def __init__(self, pixels=64, latent=2, hidden=256):
        super().__init__(pixels, latent, hidden)
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, latent))

    def encode(self, x):
        h = self.encoder(x)
        return h, h


@catalogue.mutant("optimal_discriminator", "p_data + p_model overflows to inf near 1e308 (D* becomes 0 there)")
def optimal_discriminator(p_data, p_model):
    p_data = np.asarray(p_data, dtype=float)
    p_model = np.asarray(p_model, dtype=float)
    if p_data.shape != p_model.shape:
        raise ValueError("shapes differ")
    with np.errstate(over="ignore"):
        return _safe_ratio(p_data, p_data + p_model, 0.5)
