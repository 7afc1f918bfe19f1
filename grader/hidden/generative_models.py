"""Hidden scenarios for lecture 06, generative models.

Every scenario is self-contained (numpy, torch and ``course.*`` only), seeded, and returns
plain data. Tensors are returned as numpy arrays; gradients are returned where the docstring
promises that they flow.
"""
from __future__ import annotations

import numpy as np
import torch

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()


def _probabilities(rng: np.random.Generator, k: int, zeros: int = 0) -> np.ndarray:
    p = rng.random(k) + 0.05
    p[rng.choice(k, size=zeros, replace=False)] = 0.0
    return p / p.sum()


def _dtype_name(value) -> str:
    return type(value).__name__


# --- kl_divergence -----------------------------------------------------------------------------


@book.scenario("kl_divergence",
               hint="zero probabilities in p contribute nothing; use the natural logarithm")
def kl_visible_cases(kl_divergence):
    """The visible tests' cases: equal, simple, zero in p, zero in q only where p is zero."""
    return [kl_divergence(np.array([0.5, 0.5]), np.array([0.5, 0.5])),
            kl_divergence(np.array([0.5, 0.5]), np.array([0.9, 0.1])),
            kl_divergence(np.array([0.9, 0.1]), np.array([0.5, 0.5])),
            kl_divergence(np.array([0.0, 1.0]), np.array([0.5, 0.5])),
            kl_divergence(np.array([0.0, 1.0]), np.array([0.0, 1.0]))]


@book.scenario("kl_divergence")
def kl_random(kl_divergence):
    """Seeded random distributions with 7 outcomes, some with zeros in p"""
    rng = np.random.default_rng(6)
    out = []
    for zeros in (0, 0, 2, 3):
        p, q = _probabilities(rng, 7, zeros), _probabilities(rng, 7)
        out.append(kl_divergence(p, q))
    return out


@book.scenario("kl_divergence",
               hint="check the order of the arguments: mass of p where q has none makes the divergence infinite")
def kl_infinite(kl_divergence):
    """p puts mass where q has none: the divergence is infinite"""
    value = kl_divergence(np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.5, 0.0]))
    return {"value": float(value), "is_inf": bool(np.isinf(value) and value > 0)}


@book.scenario("kl_divergence")
def kl_returns_python_float(kl_divergence):
    """The result is a Python float; lists are accepted; inputs are unchanged"""
    p, q = np.array([0.25, 0.25, 0.5]), np.array([0.4, 0.4, 0.2])
    p_before, q_before = p.copy(), q.copy()
    value = kl_divergence(p, q)
    from_lists = kl_divergence([0.25, 0.25, 0.5], [0.4, 0.4, 0.2])
    return {"type": _dtype_name(value), "lists": float(from_lists), "p": p, "q": q,
            "unchanged": bool(np.array_equal(p, p_before) and np.array_equal(q, q_before))}


@book.scenario("kl_divergence",
               hint="check the shapes, and return a Python float")
def kl_shape_mismatch(kl_divergence):
    """Arrays of different lengths raise ValueError"""
    return error_name(kl_divergence, np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]))


@book.scenario("kl_divergence")
def kl_integer_input(kl_divergence):
    """Integer-valued (one-hot) arrays"""
    return kl_divergence(np.array([0, 1, 0]), np.array([0.25, 0.5, 0.25]))


# --- js_divergence ------------------------------------------------------------------------------


@book.scenario("js_divergence",
               hint="compare each distribution with the halved mixture and average the two divergences")
def js_visible_cases(js_divergence):
    """The visible tests' cases: equal, disjoint supports (log 2), symmetric pair"""
    return [js_divergence(np.array([0.5, 0.5]), np.array([0.5, 0.5])),
            js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0])),
            js_divergence(np.array([0.5, 0.5]), np.array([0.9, 0.1])),
            js_divergence(np.array([0.9, 0.1]), np.array([0.5, 0.5]))]


@book.scenario("js_divergence")
def js_random(js_divergence):
    """Seeded random distributions with zeros in p, in q, or in both"""
    rng = np.random.default_rng(7)
    out = []
    for zp, zq in ((0, 0), (2, 0), (0, 3), (2, 2)):
        out.append(js_divergence(_probabilities(rng, 6, zp), _probabilities(rng, 6, zq)))
    return out


@book.scenario("js_divergence")
def js_type_and_inputs(js_divergence):
    """A Python float, lists accepted, inputs unchanged"""
    p, q = np.array([0.7, 0.3, 0.0]), np.array([0.0, 0.3, 0.7])
    p_before, q_before = p.copy(), q.copy()
    value = js_divergence(p, q)
    return {"type": _dtype_name(value), "value": float(value), "lists": float(js_divergence([0.7, 0.3], [0.1, 0.9])),
            "unchanged": bool(np.array_equal(p, p_before) and np.array_equal(q, q_before))}


@book.scenario("js_divergence")
def js_shape_mismatch(js_divergence):
    """Arrays of different lengths raise ValueError"""
    return error_name(js_divergence, np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]))


# --- gaussian_kl ----------------------------------------------------------------------------------


@book.scenario("gaussian_kl",
               hint="check the closed form: variance from the log-variance, the factor one half, summed over latent dimensions, averaged over the batch")
def gaussian_kl_visible_cases(gaussian_kl):
    """The visible tests' cases: the prior itself, a shifted mean, a different variance"""
    mu = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    log_var = torch.tensor([[0.0, 0.0], [0.0, 0.0], [np.log(4.0), 0.0]], dtype=torch.float32)
    return gaussian_kl(mu, log_var).detach().numpy()


@book.scenario("gaussian_kl", rtol=1e-5,
               hint="stay in torch, so dtype and gradients are kept")
def gaussian_kl_random_batch(gaussian_kl):
    """A seeded batch of 5 Gaussians in 3 dimensions: values, shape, dtype, gradients"""
    torch.manual_seed(60)
    mu = torch.randn(5, 3, requires_grad=True)
    log_var = torch.randn(5, 3, requires_grad=True)
    kl = gaussian_kl(mu, log_var)
    kl.sum().backward()
    return {"kl": kl.detach().numpy(), "dtype": str(kl.dtype), "mu_grad": mu.grad.numpy(),
            "log_var_grad": log_var.grad.numpy()}


@book.scenario("gaussian_kl", rtol=1e-9)
def gaussian_kl_single_and_double(gaussian_kl):
    """A single 1-D Gaussian in float64, and a batch in float64"""
    gen = torch.Generator().manual_seed(61)
    mu = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    log_var = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    single = gaussian_kl(torch.tensor([[2.0]], dtype=torch.float64), torch.tensor([[-1.0]], dtype=torch.float64))
    batch = gaussian_kl(mu, log_var)
    return {"single": single.detach().numpy(), "batch": batch.detach().numpy(), "dtype": str(batch.dtype)}


@book.scenario("gaussian_kl")
def gaussian_kl_inputs_unchanged(gaussian_kl):
    """The inputs are not modified"""
    mu = torch.tensor([[0.5, -1.0]])
    log_var = torch.tensor([[0.3, -0.2]])
    gaussian_kl(mu, log_var)
    return {"mu": mu.numpy(), "log_var": log_var.numpy()}


# --- reparameterize ---------------------------------------------------------------------------------


@book.scenario("reparameterize", rtol=1e-5,
               hint="scale the noise by the standard deviation, drawing it from the generator given")
def reparameterize_fixed_generator(reparameterize):
    """With a seeded generator: z = mu + exp(log_var / 2) * eps with eps from one torch.randn call"""
    mu = torch.tensor([[0.0, 1.0, -2.0], [3.0, 0.5, 0.0]])
    log_var = torch.tensor([[0.0, np.log(4.0), -2.0], [1.0, 0.0, -1.0]], dtype=torch.float32)
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(62))
    return {"z": z.detach().numpy(), "shape": list(z.shape), "dtype": str(z.dtype)}


@book.scenario("reparameterize", rtol=1e-5,
               hint="keep the graph: the sample must depend differentiably on mean and log-variance, without in-place changes")
def reparameterize_gradients(reparameterize):
    """Gradients flow to mu and log_var (the point of the trick)"""
    mu = torch.tensor([[0.2, -0.4]], requires_grad=True)
    log_var = torch.tensor([[0.6, -1.0]], requires_grad=True)
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(63))
    (z ** 2).sum().backward()
    return {"mu_grad": mu.grad.numpy(), "log_var_grad": log_var.grad.numpy()}


@book.scenario("reparameterize", rtol=1e-9,
               hint="draw the noise in the input's dtype")
def reparameterize_float64_and_statistics(reparameterize):
    """float64 inputs keep their dtype; many draws have the right mean and variance"""
    mu = torch.full((20000, 2), 1.5, dtype=torch.float64)
    log_var = torch.log(torch.tensor([[0.25, 9.0]], dtype=torch.float64)).expand(20000, 2)
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(64))
    ratio = z.var(dim=0) / torch.tensor([0.25, 9.0], dtype=torch.float64)
    return {"dtype": str(z.dtype), "mean": z.mean(dim=0).numpy().round(1), "variance_ratio": ratio.numpy().round(1)}


@book.scenario("reparameterize",
               hint="the standard deviation is the exponential of half the log-variance")
def reparameterize_zero_variance(reparameterize):
    """A variance of (almost) zero gives z = mu; inputs unchanged"""
    mu = torch.tensor([[1.0, -3.0]])
    log_var = torch.tensor([[-80.0, -80.0]])
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(65))
    return {"z": z.detach().numpy(), "mu": mu.numpy(), "log_var": log_var.numpy()}


@book.scenario("reparameterize")
def reparameterize_default_generator(reparameterize):
    """Without a generator, torch's global generator is used (torch.manual_seed fixes the draw)"""
    torch.manual_seed(66)
    z = reparameterize(torch.zeros(2, 3), torch.zeros(2, 3))
    return z.detach().numpy()


# --- vae_loss --------------------------------------------------------------------------------------


def _vae_batch(seed: int, n: int = 4, pixels: int = 6, latent: int = 2):
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, pixels, generator=gen) > 0.5).float()
    x_logits = 2 * torch.randn(n, pixels, generator=gen)
    mu = torch.randn(n, latent, generator=gen)
    log_var = torch.randn(n, latent, generator=gen)
    return x, x_logits, mu, log_var


@book.scenario("vae_loss", rtol=1e-5,
               hint="the loss is reconstruction plus beta times the KL term")
def vae_loss_visible_cases(vae_loss):
    """The visible tests' cases: perfect prior with logit 0, and beta = 0 / 2"""
    x = torch.tensor([[1.0, 0.0, 1.0]])
    zeros = torch.zeros(1, 3)
    mu, log_var = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    return [float(vae_loss(x, zeros, torch.zeros(1, 2), torch.zeros(1, 2))),
            float(vae_loss(x, zeros, mu, log_var)), float(vae_loss(x, zeros, mu, log_var, 0.0)),
            float(vae_loss(x, zeros, mu, log_var, 2.0))]


@book.scenario("vae_loss", rtol=1e-5,
               hint="average over the batch")
def vae_loss_random_batch(vae_loss):
    """A seeded batch: value, scalar shape, gradients to logits, mu and log_var"""
    x, x_logits, mu, log_var = _vae_batch(67)
    for t in (x_logits, mu, log_var):
        t.requires_grad_(True)
    loss = vae_loss(x, x_logits, mu, log_var, 0.5)
    loss.backward()
    return {"loss": loss.detach().numpy(), "shape": list(loss.shape), "logits_grad": x_logits.grad.numpy(),
            "mu_grad": mu.grad.numpy(), "log_var_grad": log_var.grad.numpy()}


@book.scenario("vae_loss", rtol=1e-5)
def vae_loss_betas_and_batch_sizes(vae_loss):
    """Several betas and batch sizes (the loss is a batch mean of per-example sums)"""
    out = []
    for seed, n, beta in ((68, 1, 1.0), (69, 8, 4.0), (70, 3, 0.1)):
        x, x_logits, mu, log_var = _vae_batch(seed, n=n, pixels=10, latent=3)
        out.append(float(vae_loss(x, x_logits, mu, log_var, beta)))
    return out


@book.scenario("vae_loss", rtol=1e-5,
               hint="sum the reconstruction over pixels, computed stably from the logits")
def vae_loss_extreme_logits_and_grey_pixels(vae_loss):
    """Logits of +-100 stay finite; pixel values between 0 and 1 are allowed"""
    x = torch.tensor([[1.0, 0.0, 0.25, 0.75]])
    x_logits = torch.tensor([[100.0, -100.0, -100.0, 100.0]])
    loss = vae_loss(x, x_logits, torch.zeros(1, 2), torch.zeros(1, 2))
    return {"loss": float(loss), "finite": bool(torch.isfinite(loss))}


@book.scenario("vae_loss")
def vae_loss_inputs_unchanged(vae_loss):
    """The inputs are not modified"""
    x, x_logits, mu, log_var = _vae_batch(71)
    before = [t.clone() for t in (x, x_logits, mu, log_var)]
    vae_loss(x, x_logits, mu, log_var, 2.0)
    return [bool(torch.equal(a, b)) for a, b in zip(before, (x, x_logits, mu, log_var))]


# --- pca_subspace ------------------------------------------------------------------------------------


def _pca_data(seed: int, n: int = 40, d: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 3.0, 1.5, 0.7, 0.2, 0.1, 0.05][:d])
    return rng.normal(size=(n, d)) * scales @ np.linalg.qr(rng.normal(size=(d, d)))[0] + rng.normal(size=d)


def _pca_summary(result) -> dict:
    mean, components, variances = (np.asarray(part) for part in result)
    return {"mean": mean, "projector": components.T @ components, "variances": variances,
            "gram": components @ components.T, "shape": list(components.shape)}


@book.scenario("pca_subspace", rtol=1e-6, atol=1e-9,
               hint="the first directions are those of largest variance")
def pca_visible_cases(pca_subspace):
    """The visible tests' case: points on a line y = 2x through (1, 1)"""
    X = np.array([[0.0, -1.0], [1.0, 1.0], [2.0, 3.0], [3.0, 5.0]])
    return _pca_summary(pca_subspace(X, 1))


@book.scenario("pca_subspace", rtol=1e-6, atol=1e-9)
def pca_random(pca_subspace):
    """Seeded data in 5 dimensions, k = 1, 2, 3, 5 (projectors, variances, orthonormal rows)"""
    X = _pca_data(72)
    return [_pca_summary(pca_subspace(X, k)) for k in (1, 2, 3, 5)]


@book.scenario("pca_subspace", rtol=1e-6, atol=1e-9,
               hint="centre the data, take the right side of the SVD, and turn singular values into variances with the unbiased divisor")
def pca_more_dims_than_points(pca_subspace):
    """Fewer points than dimensions (N = 4, D = 6): k = N - 1, and k = N (whose last direction has variance 0)"""
    X = np.random.default_rng(73).normal(size=(4, 6))
    # N centred points span at most N - 1 directions: for k = N the last one is any unit vector
    # orthogonal to the others, so only its variance (0) and the orthonormality are compared.
    mean, components, variances = (np.asarray(part) for part in pca_subspace(X, 4))
    return {"k = N - 1": _pca_summary(pca_subspace(X, 3)),
            "k = N": {"mean": mean, "variances": variances, "gram": components @ components.T,
                      "shape": list(components.shape), "top projector": components[:3].T @ components[:3]}}


@book.scenario("pca_subspace",
               hint="check the number of components asked for")
def pca_bad_k(pca_subspace):
    """k = 0 and k > min(N, D) raise ValueError"""
    X = _pca_data(74, n=10, d=3)
    return [error_name(pca_subspace, X, 0), error_name(pca_subspace, X, 4), error_name(pca_subspace, X, 3)]


@book.scenario("pca_subspace",
               hint="do not centre the caller's data in place")
def pca_input_unchanged(pca_subspace):
    """The data is not modified (in particular not centred in place)"""
    X = _pca_data(75, n=12, d=4)
    before = X.copy()
    pca_subspace(X, 2)
    return bool(np.array_equal(X, before))


@book.scenario("pca_subspace", rtol=1e-6, atol=1e-9)
def pca_integer_data(pca_subspace):
    """Integer data"""
    X = np.array([[1, 2, 0], [3, 1, 1], [0, 0, 4], [2, 5, 1], [4, 4, 4]])
    return _pca_summary(pca_subspace(X, 2))


# --- subspace_cosines --------------------------------------------------------------------------------


@book.scenario("subspace_cosines", atol=1e-7,
               hint="orthonormalize each basis first; the cosines are the singular values of the product")
def cosines_visible_cases(subspace_cosines):
    """The visible tests' cases: same plane in another basis, orthogonal lines, 45 degrees"""
    A = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    B = np.array([[2.0, 3.0, 0.0], [1.0, -1.0, 0.0]])
    return [subspace_cosines(A, B), subspace_cosines(np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])),
            subspace_cosines(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))]


@book.scenario("subspace_cosines", atol=1e-7)
def cosines_random(subspace_cosines):
    """Seeded non-orthogonal bases in 6 dimensions, k = 1, 2, 3; sorted from largest to smallest"""
    rng = np.random.default_rng(76)
    out = []
    for k in (1, 2, 3):
        A, B = rng.normal(size=(k, 6)), rng.normal(size=(k, 6))
        out.append(np.asarray(subspace_cosines(A, B)))
    return out


@book.scenario("subspace_cosines", atol=1e-7,
               hint="orthonormalize the directions (not the rows as given), and sort from largest to smallest")
def cosines_partly_shared(subspace_cosines):
    """Two planes sharing one direction; scaled and mixed bases"""
    A = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    B = np.array([[5.0, 0.0, 0.0, 0.0], [3.0, 0.0, 1.0, 1.0]])
    return subspace_cosines(A, B)


@book.scenario("subspace_cosines")
def cosines_errors_and_inputs(subspace_cosines):
    """Different shapes raise ValueError; inputs unchanged"""
    A, B = np.array([[1.0, 2.0, 3.0]]), np.array([[3.0, 2.0, 1.0]])
    before = (A.copy(), B.copy())
    subspace_cosines(A, B)
    return {"error": error_name(subspace_cosines, np.ones((2, 3)), np.ones((1, 3))),
            "unchanged": bool(np.array_equal(A, before[0]) and np.array_equal(B, before[1]))}


# --- discriminator_loss and generator_loss -------------------------------------------------------------


@book.scenario("discriminator_loss", rtol=1e-5,
               hint="the discriminator's loss is minus its objective: real labelled 1, fake 0, each term a mean")
def d_loss_visible_cases(discriminator_loss):
    """The visible tests' cases: logits 0 give log 4; a confident, correct discriminator"""
    return [float(discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1))),
            float(discriminator_loss(torch.full((3, 1), 5.0), torch.full((3, 1), -5.0)))]


@book.scenario("discriminator_loss", rtol=1e-5,
               hint="average the real and the fake terms separately, then add them")
def d_loss_random(discriminator_loss):
    """Seeded logits, different batch sizes for real and fake; gradients"""
    gen = torch.Generator().manual_seed(77)
    real = torch.randn(6, 1, generator=gen).requires_grad_(True)
    fake = (2 * torch.randn(3, 1, generator=gen)).requires_grad_(True)
    loss = discriminator_loss(real, fake)
    loss.backward()
    return {"loss": loss.detach().numpy(), "shape": list(loss.shape), "real_grad": real.grad.numpy(),
            "fake_grad": fake.grad.numpy()}


@book.scenario("discriminator_loss", rtol=1e-5,
               hint="compute the log-sigmoid stably from the logits")
def d_loss_extreme_logits(discriminator_loss):
    """Logits of +-200 give finite losses (no log of 0)"""
    wrong = discriminator_loss(torch.tensor([[-200.0]]), torch.tensor([[200.0]]))
    right = discriminator_loss(torch.tensor([[200.0]]), torch.tensor([[-200.0]]))
    return {"wrong": float(wrong), "right": float(right)}


@book.scenario("discriminator_loss", rtol=1e-5)
def d_loss_flat_logits(discriminator_loss):
    """Logits of shape (N,) instead of (N, 1)"""
    return float(discriminator_loss(torch.tensor([1.0, -0.5, 0.3]), torch.tensor([0.2, -2.0])))


@book.scenario("generator_loss", rtol=1e-5,
               hint="check the default kind")
def g_loss_visible_cases(generator_loss):
    """The visible tests' cases: logits 0 and a confident discriminator, both kinds"""
    zeros, low = torch.zeros(4, 1), torch.full((2, 1), -6.0)
    return [float(generator_loss(zeros, "minimax")), float(generator_loss(zeros, "non-saturating")),
            float(generator_loss(low, "minimax")), float(generator_loss(low, "non-saturating")),
            float(generator_loss(zeros))]


@book.scenario("generator_loss", rtol=1e-5,
               hint="check each kind's formula and sign")
def g_loss_random_and_gradients(generator_loss):
    """Seeded logits: values and gradients of both kinds"""
    out = {}
    for kind in ("minimax", "non-saturating"):
        logits = (2 * torch.randn(5, 1, generator=torch.Generator().manual_seed(78))).requires_grad_(True)
        loss = generator_loss(logits, kind)
        loss.backward()
        out[kind] = {"loss": loss.detach().numpy(), "shape": list(loss.shape), "grad": logits.grad.numpy()}
    return out


@book.scenario("generator_loss", rtol=1e-5,
               hint="compute the non-saturating loss stably from the logits")
def g_loss_extreme_logits(generator_loss):
    """Logits of +-200 give finite losses for both kinds"""
    return [float(generator_loss(torch.tensor([[v]]), kind)) for v in (-200.0, 200.0)
            for kind in ("minimax", "non-saturating")]


@book.scenario("generator_loss",
               hint="an unknown kind is an error")
def g_loss_unknown_kind(generator_loss):
    """An unknown kind raises ValueError"""
    return [error_name(generator_loss, torch.zeros(2, 1), "wasserstein"),
            error_name(generator_loss, torch.zeros(2, 1), "Minimax")]


# --- optimal_discriminator and gan_value ------------------------------------------------------------


def _grid_densities():
    x = np.linspace(-6, 6, 1201)
    p_data = np.exp(-0.5 * (x + 1) ** 2) / np.sqrt(2 * np.pi)
    p_model = np.exp(-0.5 * ((x - 1.5) / 0.7) ** 2) / (0.7 * np.sqrt(2 * np.pi))
    return x, p_data, p_model


@book.scenario("optimal_discriminator",
               hint="where both densities vanish the optimal discriminator is one half")
def d_star_visible_cases(optimal_discriminator):
    """The visible tests' cases, including points where one or both densities are 0"""
    return optimal_discriminator(np.array([1.0, 0.0, 0.3, 0.0, 2.0]), np.array([1.0, 0.5, 0.1, 0.0, 0.0]))


@book.scenario("optimal_discriminator")
def d_star_random_2d(optimal_discriminator):
    """Seeded densities on a 2-D grid (shape kept, float result), inputs unchanged"""
    rng = np.random.default_rng(79)
    p, q = rng.random((4, 5)), rng.random((4, 5))
    q[0, :2] = 0.0
    p[0, 1:3] = 0.0
    before = (p.copy(), q.copy())
    result = np.asarray(optimal_discriminator(p, q))
    return {"d": result, "dtype": result.dtype.kind,
            "unchanged": bool(np.array_equal(p, before[0]) and np.array_equal(q, before[1]))}


@book.scenario("optimal_discriminator",
               hint="the data density over the sum of both densities, in float arithmetic")
def d_star_integer_and_lists(optimal_discriminator):
    """Integer lists"""
    return np.asarray(optimal_discriminator([1, 0, 3], [1, 2, 0]), dtype=float)


@book.scenario("gan_value", rtol=1e-6,
               hint="approximate the integrals: weight each point's value by the grid spacing")
def gan_value_visible_cases(gan_value):
    """The visible tests' cases: D = 1/2 everywhere, and p_g = p_d with D*"""
    x, p_data, p_model = _grid_densities()
    dx = x[1] - x[0]
    half = np.full_like(x, 0.5)
    return [gan_value(p_data, p_model, half, dx), gan_value(p_data, p_data, half, dx)]


@book.scenario("gan_value", rtol=1e-6)
def gan_value_optimal_d(gan_value):
    """Different densities with the optimal D; a poor constant D; another grid step"""
    x, p_data, p_model = _grid_densities()
    d_star = p_data / (p_data + p_model)
    return [gan_value(p_data, p_model, d_star, x[1] - x[0]),
            gan_value(p_data, p_model, np.full_like(x, 0.9), x[1] - x[0]),
            gan_value(p_data[::2], p_model[::2], d_star[::2], 2 * (x[1] - x[0]))]


@book.scenario("gan_value", rtol=1e-6,
               hint="a zero density contributes nothing, and the generated term uses the log of one minus D")
def gan_value_zeros(gan_value):
    """Zero densities where D is 0 or 1 contribute nothing (0 log 0 = 0)"""
    p_data = np.array([0.5, 0.5, 0.0, 0.0])
    p_model = np.array([0.0, 0.0, 0.5, 0.5])
    D = np.array([1.0, 1.0, 0.0, 0.0])
    perfect = gan_value(p_data, p_model, D, 1.0)
    return {"perfect": float(perfect), "finite": bool(np.isfinite(perfect)), "type": _dtype_name(perfect),
            "partial": float(gan_value(p_data, np.array([0.0, 0.25, 0.25, 0.5]), np.array([1.0, 0.5, 0.5, 0.0]), 1.0))}


@book.scenario("gan_value",
               hint="D of zero where the data has mass gives minus infinity: do not clip")
def gan_value_wrong_side(gan_value):
    """D = 0 where data has mass gives minus infinity"""
    value = gan_value(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.array([0.0, 0.5]), 1.0)
    return {"value": float(value), "is_minus_inf": bool(np.isneginf(value))}


@book.scenario("gan_value")
def gan_value_inputs_unchanged(gan_value):
    """The inputs are not modified"""
    p, q, D = np.array([0.2, 0.8, 0.0]), np.array([0.0, 0.5, 0.5]), np.array([1.0, 0.6, 0.0])
    before = (p.copy(), q.copy(), D.copy())
    gan_value(p, q, D, 0.5)
    return [bool(np.array_equal(a, b)) for a, b in zip(before, (p, q, D))]


# --- made_masks ------------------------------------------------------------------------------------


def _masks(result) -> list:
    return [np.asarray(mask).astype(float) for mask in result]


@book.scenario("made_masks",
               hint="check the hidden units' degrees and the comparison for hidden connections")
def made_visible_cases(made_masks):
    """The visible tests' cases: D = 3 in natural order with one hidden layer of 4, and a reversed order"""
    return [_masks(made_masks(np.array([1, 2, 3]), [4])), _masks(made_masks(np.array([3, 1, 2]), [4]))]


@book.scenario("made_masks")
def made_deeper(made_masks):
    """D = 5, a random ordering, hidden layers 7, 3 and 6"""
    ordering = np.random.default_rng(80).permutation(5) + 1
    return _masks(made_masks(ordering, [7, 3, 6]))


@book.scenario("made_masks",
               hint="an output must not see its own input: strict comparison, masks shaped out by in, the given ordering")
def made_no_hidden_layer(made_masks):
    """No hidden layer: the direct input-to-output mask"""
    return _masks(made_masks(np.array([2, 4, 1, 3]), []))


@book.scenario("made_masks",
               hint="masks are float32")
def made_dtype_shapes_and_lists(made_masks):
    """float32 masks shaped like nn.Linear weights (out, in); a list ordering; D = 2"""
    masks = made_masks([2, 1], [3, 2])
    return {"dtypes": [str(np.asarray(m).dtype) for m in masks], "shapes": [list(np.shape(m)) for m in masks],
            "masks": _masks(masks), "count": len(masks)}


@book.scenario("made_masks")
def made_autoregressive_property(made_masks):
    """Output d depends only on inputs earlier in the ordering (checked through the mask product)"""
    ordering = np.array([4, 2, 6, 1, 5, 3])
    masks = _masks(made_masks(ordering, [10, 10]))
    paths = masks[0].T
    for mask in masks[1:]:
        paths = paths @ mask.T
    return {"connected": paths.T > 0, "allowed": ordering[None, :] < ordering[:, None]}


@book.scenario("made_masks",
               hint="validate the ordering and the layer sizes")
def made_bad_inputs(made_masks):
    """Orderings that are not permutations of 1..D, D < 2, empty hidden layers raise ValueError"""
    return [error_name(made_masks, np.array([0, 1, 2]), [4]), error_name(made_masks, np.array([1, 1, 2]), [4]),
            error_name(made_masks, np.array([1]), [4]), error_name(made_masks, np.array([1, 2, 3]), [4, 0]),
            error_name(made_masks, np.array([1, 2, 4]), [3])]


@book.scenario("made_masks")
def made_input_unchanged(made_masks):
    """The ordering and the list of sizes are not modified"""
    ordering, sizes = np.array([3, 1, 2]), [4, 5]
    made_masks(ordering, sizes)
    return {"ordering": ordering, "sizes": list(sizes)}


# --- added by a student-perspective review ---------------------------------------------------------


@book.scenario("reparameterize", rtol=1e-9, atol=1e-12)
def reparameterize_float64_seeded(reparameterize):
    """float64 inputs (64 entries) with a seeded generator: eps is drawn in mu's dtype (dtype=mu.dtype)"""
    gen = torch.Generator().manual_seed(67)
    mu = torch.randn(8, 8, generator=gen, dtype=torch.float64)
    log_var = torch.randn(8, 8, generator=gen, dtype=torch.float64)
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(68))
    return {"z": z.detach().numpy(), "dtype": str(z.dtype)}


# --- scenarios added for the mutation score ----------------------------------------------------------


@book.scenario("pca_subspace", rtol=1e-6, atol=1e-9)
def pca_float32_far_from_origin(pca_subspace):
    """float32 data far from the origin: mean and variances as accurate as in float64, float64 results"""
    rng = np.random.default_rng(81)
    X = (1000.0 + rng.normal(size=(50, 3)) * [1.0, 0.1, 0.01]).astype(np.float32)
    mean, components, variances = (np.asarray(part) for part in pca_subspace(X, 3))
    return {"mean": mean, "variances": variances, "projector": components.T @ components,
            "dtypes": [str(mean.dtype), str(components.dtype), str(variances.dtype)]}


@book.scenario("subspace_cosines")
def cosines_same_subspace_at_most_one(subspace_cosines):
    """Two bases of the same plane: every cosine is at most 1 and at least 0, even after rounding"""
    out = []
    for seed in range(82, 90):
        rng = np.random.default_rng(seed)
        A = rng.normal(size=(2, 4))
        cosines = np.asarray(subspace_cosines(A, rng.normal(size=(2, 2)) @ A))
        out.append(bool(np.all(cosines <= 1.0) and np.all(cosines >= 0.0)))
    return out


@book.scenario("reparameterize", rtol=1e-12, atol=1e-12)
def reparameterize_float64_exact(reparameterize):
    """float64 inputs with a seeded generator: eps drawn in float64 (dtype=mu.dtype), not rounded to float32"""
    mu = torch.tensor([[0.1, -0.7, 2.0], [1.0, 0.0, -3.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.5, -1.0, 0.0], [2.0, -0.3, 1.0]], dtype=torch.float64)
    z = reparameterize(mu, log_var, torch.Generator().manual_seed(90))
    return {"z": z.detach().numpy(), "dtype": str(z.dtype)}


@book.scenario("made_masks")
def made_single_unit_layers(made_masks):
    """Hidden layers of a single unit are allowed (sizes >= 1)"""
    return [_masks(made_masks(np.array([2, 1, 3]), [1])), _masks(made_masks(np.array([1, 2]), [3, 1, 2]))]
