"""Hidden scenarios for lecture 06, generative models.

Every scenario is self-contained (numpy, torch and ``course.*`` only), seeded, and returns
plain data. Tensors are returned as numpy arrays; gradients are returned where the docstring
promises that they flow.
"""
from __future__ import annotations

import numpy as np
import torch

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

EXERCISE_KINDS = {
    "pca_subspace": "P",            # the SVD route is given; float32 accuracy, signs and subspace cosines are designed
    "divergences": "P",             # the formulas are given; zeros, infinities and shape checks are designed
    "gaussian_kl": "T",             # the closed form is derived in the text
    "reparameterize": "T",          # the sampling formula and the randn call are printed
    "vae_loss": "T",                # the loss is printed term by term
    "VAE": "D",                     # a model specified by behaviour only (architecture, two outputs, sampling)
    "vae_train_step": "D",          # a training step specified by behaviour only
    "optimal_discriminator": "P",   # D* is derived; the log-space value on any grid is designed
    "gan_losses": "P",              # the losses are given; the stable forms are derived
    "gan_train_step": "D",          # the alternating step and its detach are designed from the contract
    "made_masks": "T",              # the degree rules are stated in the docstring
}


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
    d_star = np.full_like(x, 0.5)
    return [gan_value(p_data, p_model, dx, half), gan_value(p_data, p_data, dx, d_star), gan_value(p_data, p_data, dx)]


@book.scenario("gan_value", rtol=1e-6)
def gan_value_optimal_d(gan_value):
    """Different densities with the optimal D; a poor constant D; another grid step"""
    x, p_data, p_model = _grid_densities()
    d_star = p_data / (p_data + p_model)
    return [gan_value(p_data, p_model, x[1] - x[0], d_star),
            gan_value(p_data, p_model, x[1] - x[0], np.full_like(x, 0.9)),
            gan_value(p_data[::2], p_model[::2], 2 * (x[1] - x[0]), d_star[::2]),
            gan_value(p_data, p_model, x[1] - x[0]), gan_value(p_data[::2], p_model[::2], 2 * (x[1] - x[0]))]


@book.scenario("gan_value", rtol=1e-6,
               hint="a zero density contributes nothing, and the generated term uses the log of one minus D")
def gan_value_zeros(gan_value):
    """Zero densities where D is 0 or 1 contribute nothing (0 log 0 = 0)"""
    p_data = np.array([0.5, 0.5, 0.0, 0.0])
    p_model = np.array([0.0, 0.0, 0.5, 0.5])
    D = np.array([1.0, 1.0, 0.0, 0.0])
    perfect = gan_value(p_data, p_model, 1.0, D)
    return {"perfect": float(perfect), "finite": bool(np.isfinite(perfect)), "type": _dtype_name(perfect),
            "partial": float(gan_value(p_data, np.array([0.0, 0.25, 0.25, 0.5]), 1.0, np.array([1.0, 0.5, 0.5, 0.0]))),
            "optimal": float(gan_value(p_data, p_model, 1.0))}


@book.scenario("gan_value",
               hint="D of zero where the data has mass gives minus infinity: do not clip")
def gan_value_wrong_side(gan_value):
    """D = 0 where data has mass gives minus infinity"""
    value = gan_value(np.array([0.5, 0.5]), np.array([0.5, 0.5]), 1.0, np.array([0.0, 0.5]))
    return {"value": float(value), "is_minus_inf": bool(np.isneginf(value))}


@book.scenario("gan_value")
def gan_value_inputs_unchanged(gan_value):
    """The inputs are not modified"""
    p, q, D = np.array([0.2, 0.8, 0.0]), np.array([0.0, 0.5, 0.5]), np.array([1.0, 0.6, 0.0])
    before = (p.copy(), q.copy(), D.copy())
    gan_value(p, q, 0.5, D)
    gan_value(p, q, 0.5)
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


# --- shapes numpy would broadcast, extreme allowed inputs, log space, 2-D grids (issue 26) -----------


@book.scenario("gaussian_kl", rtol=1e-6, hint="use the log-variance directly; do not go through the standard deviation")
def gaussian_kl_extreme_log_variances(gaussian_kl):
    """Log-variances of -60 and +60 (allowed: any real number) give the finite closed form"""
    mu = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    log_var = torch.tensor([[-60.0, 60.0]], dtype=torch.float64)
    kl = gaussian_kl(mu, log_var)
    return {"kl": kl.detach().numpy(), "finite": bool(torch.isfinite(kl).all())}


@book.scenario("vae_loss", rtol=1e-9)
def vae_loss_float64(vae_loss):
    """float64 inputs give a float64 scalar with the same value"""
    x, x_logits, mu, log_var = (t.double() for t in _vae_batch(73))
    loss = vae_loss(x, x_logits, mu, log_var, 1.5)
    return {"loss": float(loss), "dtype": str(loss.dtype), "shape": list(loss.shape)}


@book.scenario("optimal_discriminator", rtol=1e-12)
def d_star_extreme_densities(optimal_discriminator):
    """Tiny (even subnormal) and huge densities: the ratio is still right"""
    return np.asarray(optimal_discriminator(np.array([5e-324, 1e-300, 1e300, 2.0]),
                                            np.array([0.0, 3e-300, 1e300, 1e-300])), dtype=float)


def _bumps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two bumps of data against one bump of the model: far in the tails p_model << p_data."""
    normal = lambda mu, sigma: np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    return 0.5 * normal(-1.5, 0.5) + 0.5 * normal(1.5, 0.5), normal(1.5, 0.5)


@book.scenario("gan_value", rtol=1e-6,
               hint="with the optimal discriminator, work with logarithms: one minus D rounds to zero where the model density is tiny")
def gan_value_log_space(gan_value):
    """The notebook's half-the-modes row: the model's density underflows against the data's, V(G, D*) stays finite"""
    x = np.linspace(-8, 8, 3201)
    p_data, p_model = _bumps(x)
    value = gan_value(p_data, p_model, x[1] - x[0])
    return {"value": float(value), "finite": bool(np.isfinite(value))}


@book.scenario("gan_value", rtol=1e-9,
               hint="with the optimal discriminator, work with logarithms of the densities")
def gan_value_extreme_densities(gan_value):
    """Densities of 1e-300 and subnormal ones beside densities of order 1 (D = None)"""
    p_data = np.array([1.0, 1e-300, 0.5, 5e-320, 0.0])
    p_model = np.array([1e-300, 1.0, 0.5, 1.0, 2.0])
    return [float(gan_value(p_data, p_model, 0.1)), float(gan_value(p_model, p_data, 0.1))]


@book.scenario("gan_value", rtol=1e-9, hint="the Riemann sum runs over every grid point, weighted by one cell's area")
def gan_value_2d_grid(gan_value):
    """Densities on a 2-D grid (40 x 30 points, dx the area of a cell), with D* and with a given D"""
    u, v = np.meshgrid(np.linspace(-4, 4, 40), np.linspace(-3, 3, 30), indexing="ij")
    area = (8 / 39) * (6 / 29)
    p_data = np.exp(-0.5 * (u ** 2 + v ** 2)) / (2 * np.pi)
    p_model = np.exp(-0.5 * ((u - 1) ** 2 + (v + 0.5) ** 2) / 0.64) / (2 * np.pi * 0.64)
    D = 1 / (1 + np.exp(-u))
    return [float(gan_value(p_data, p_model, area)), float(gan_value(p_data, p_model, area, D)),
            float(gan_value(p_data.T, p_model.T, area, D.T))]


@book.scenario("gan_value")
def gan_value_types(gan_value):
    """A Python float for float32 densities, lists, and D given as a list"""
    p = np.array([0.25, 0.25, 0.5], dtype=np.float32)
    results = [gan_value(p, p[::-1].copy(), 1.0), gan_value([0.5, 0.5], [0.5, 0.5], 2.0, [0.5, 0.5])]
    return [[_dtype_name(r), float(r)] for r in results]


@book.scenario("made_masks", hint="the ordering must hold each of 1, ..., D exactly once")
def made_not_permutations(made_masks):
    """More orderings that are not permutations of 1..D: shifted, with a repeat at the top, 2-D"""
    return [error_name(made_masks, np.array([2, 3, 4]), [3]), error_name(made_masks, np.array([1, 3, 3]), [3]),
            error_name(made_masks, np.array([3, 1, 2, 2]), [3]), error_name(made_masks, np.array([[1, 2], [3, 4]]), [3]),
            error_name(made_masks, np.array([1, 2, 3, 5, 4, 7]), [3]), error_name(made_masks, [2, 1], [-1])]


# Shapes numpy and torch would broadcast silently must raise ValueError (the docstrings' Raises clauses).
_SAME_SHAPE = "check that the inputs have the same shape before computing: broadcasting hides the mistake"
factories.raises(book, "gaussian_kl", {
    "mu (3, 2), log_var (3, 1)": lambda: (torch.zeros(3, 2), torch.zeros(3, 1)),
    "mu (3, 2), log_var (1, 2)": lambda: (torch.zeros(3, 2), torch.zeros(1, 2)),
    "mu (3, 1), log_var (3, 2)": lambda: (torch.zeros(3, 1), torch.zeros(3, 2))}, hint=_SAME_SHAPE)
factories.raises(book, "reparameterize", {
    "mu (4, 3), log_var (4, 1)": lambda: (torch.zeros(4, 3), torch.zeros(4, 1)),
    "mu (4, 3), log_var (1, 3)": lambda: (torch.zeros(4, 3), torch.zeros(1, 3))}, hint=_SAME_SHAPE)
factories.raises(book, "vae_loss", {
    "logits (4, 1)": lambda: (lambda x, lg, m, lv: (x, lg[:, :1], m, lv))(*_vae_batch(72)),
    "logits (1, 6)": lambda: (lambda x, lg, m, lv: (x, lg[:1], m, lv))(*_vae_batch(72)),
    "x (4, 1)": lambda: (lambda x, lg, m, lv: (x[:, :1], lg, m, lv))(*_vae_batch(72)),
    "log_var (4, 1)": lambda: (lambda x, lg, m, lv: (x, lg, m, lv[:, :1]))(*_vae_batch(72))}, hint=_SAME_SHAPE)
factories.raises(book, "optimal_discriminator", {
    "(5,) and (1,)": lambda: (np.ones(5), np.ones(1)),
    "(4, 5) and (5,)": lambda: (np.ones((4, 5)), np.ones(5))}, hint=_SAME_SHAPE)
factories.raises(book, "gan_value", {
    "densities (5,) and (1,)": lambda: (np.full(5, 0.2), np.ones(1), 1.0),
    "D (1,)": lambda: (np.full(5, 0.2), np.full(5, 0.2), 1.0, np.full(1, 0.5)),
    "D (5, 1)": lambda: (np.full(5, 0.2), np.full(5, 0.2), 1.0, np.full((5, 1), 0.5))}, hint=_SAME_SHAPE)
factories.inputs_unchanged(book, "optimal_discriminator", lambda: (np.array([0.2, 0.0, 1e-300]), np.array([0.5, 0.0, 1.0])))
factories.returned_dtype(book, "gan_value", lambda: (np.array([0.25, 0.25, 0.5], dtype=np.float32),
                                                     np.array([0.5, 0.25, 0.25], dtype=np.float32), 1.0),
                         "float32 densities give a Python float, computed in double precision", rtol=1e-9)

# --- VAE ----------------------------------------------------------------------------------------------


def _pixels(seed: int, n: int, pixels: int) -> torch.Tensor:
    return (torch.rand(n, pixels, generator=torch.Generator().manual_seed(seed)) > 0.5).float()


@book.scenario("VAE", hint="encode gives two tensors of the latent size, decode gives one logit per pixel")
def vae_shapes_and_dtypes(VAE):
    """Shapes and dtypes of encode, decode and forward for VAE(10, 3, 16), and the defaults (64, 2, 256)"""
    torch.manual_seed(0)
    model = VAE(10, 3, 16)
    x = _pixels(1, 5, 10)
    mu, log_var = model.encode(x)
    out = model(x, torch.Generator().manual_seed(2))
    default = VAE()
    return {"encode": [list(mu.shape), list(log_var.shape), str(mu.dtype), str(log_var.dtype)],
            "decode": [list(model.decode(torch.zeros(4, 3)).shape), str(model.decode(torch.zeros(4, 3)).dtype)],
            "forward": [len(out)] + [list(t.shape) for t in out],
            "default": [list(default.encode(torch.zeros(2, 64))[0].shape), list(default.decode(torch.zeros(2, 2)).shape)],
            "is module": isinstance(model, torch.nn.Module)}


@book.scenario("VAE", hint="forward samples the code with the reparameterisation, from the generator given, and decodes it")
def vae_forward_is_reparameterised(VAE):
    """forward returns encode's mu and log_var and the decoding of mu + exp(log_var / 2) * eps, eps drawn from the generator"""
    torch.manual_seed(3)
    model = VAE(12, 4, 20)
    x = _pixels(4, 6, 12)
    torch.manual_seed(99)  # the global generator must not matter when a generator is given
    x_logits, mu, log_var = model(x, torch.Generator().manual_seed(5))
    enc_mu, enc_log_var = model.encode(x)
    eps = torch.randn(enc_mu.shape, generator=torch.Generator().manual_seed(5), dtype=enc_mu.dtype)
    expected = model.decode(enc_mu + torch.exp(0.5 * enc_log_var) * eps)
    again = model(x, torch.Generator().manual_seed(5))[0]
    return {"mu is encode's": bool(torch.allclose(mu, enc_mu)), "log_var is encode's": bool(torch.allclose(log_var, enc_log_var)),
            "logits decode the sample": bool(torch.allclose(x_logits, expected, atol=1e-5)),
            "same generator seed, same output": bool(torch.equal(x_logits, again)),
            "x unchanged": bool(torch.equal(x, _pixels(4, 6, 12)))}


@book.scenario("VAE", hint="the code must be sampled: decoding the mean alone is not a VAE")
def vae_forward_samples(VAE):
    """Two generator seeds give different logits (the code is sampled, not the mean)"""
    torch.manual_seed(6)
    model = VAE(8, 2, 16)
    x = _pixels(7, 4, 8)
    first = model(x, torch.Generator().manual_seed(1))[0]
    second = model(x, torch.Generator().manual_seed(2))[0]
    return bool((first - second).abs().max() > 1e-6)


@book.scenario("VAE", hint="decode returns logits, and the encoder's log-variance is any real number: no squashing")
def vae_outputs_are_unbounded(VAE):
    """decode's logits take negative values; encode's log-variances take negative values (neither is squashed)"""
    torch.manual_seed(8)
    model = VAE(16, 3, 32)
    with torch.no_grad():
        logits = model.decode(3 * torch.randn(300, 3, generator=torch.Generator().manual_seed(9)))
        log_var = model.encode(torch.rand(300, 16, generator=torch.Generator().manual_seed(10)))[1]
    return {"some logits < 0": bool((logits < 0).any()), "some logits > 0": bool((logits > 0).any()),
            "some log_var < 0": bool((log_var < 0).any()), "some log_var > 0": bool((log_var > 0).any())}


@book.scenario("VAE", hint="gradients from the reconstruction must reach the encoder: do not detach the sampled code")
def vae_gradients_reach_every_parameter(VAE):
    """The sum of forward's logits gives every parameter tensor a nonzero gradient, the encoder's included"""
    torch.manual_seed(11)
    model = VAE(10, 2, 24)
    x_logits, _, _ = model(_pixels(12, 16, 10), torch.Generator().manual_seed(13))
    x_logits.sum().backward()
    return {"parameters": len(list(model.parameters())) > 0,
            "all reached": all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters())}


@book.scenario("VAE", hint="the hidden layers have the number of units asked for")
def vae_hidden_size_is_used(VAE):
    """More hidden units give more parameters; everything is float32; the defaults are (64, 2, 256)"""
    counts = [sum(p.numel() for p in VAE(20, 2, hidden).parameters()) for hidden in (8, 32)]
    defaults = [sum(p.numel() for p in model.parameters()) for model in (VAE(), VAE(64, 2, 256))]
    return {"grows": counts[1] > counts[0], "float32": all(p.dtype == torch.float32 for p in VAE(20, 2, 8).parameters()),
            "defaults are 64, 2, 256": defaults[0] == defaults[1]}


@book.scenario("VAE", hint="encode and decode are deterministic; only forward samples")
def vae_encode_decode_deterministic(VAE):
    """encode and decode give the same result twice, whatever the global generator does in between"""
    torch.manual_seed(14)
    model = VAE(9, 2, 16)
    x, z = _pixels(15, 5, 9), torch.randn(5, 2)
    first = [*model.encode(x), model.decode(z)]
    torch.randn(100)
    second = [*model.encode(x), model.decode(z)]
    return all(bool(torch.equal(a, b)) for a, b in zip(first, second))


def _library_negative_elbo(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor,
                           log_var: torch.Tensor) -> torch.Tensor:
    """The batch mean of the negative ELBO from torch's routines (not the student's vae_loss)."""
    posterior = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    nll = torch.nn.functional.binary_cross_entropy_with_logits(x_logits, x, reduction="sum")
    return nll / len(x) + torch.distributions.kl_divergence(posterior, prior).sum() / len(x)


def _digit_batch(n: int = 128) -> torch.Tensor:
    from sklearn.datasets import load_digits
    return torch.as_tensor(load_digits().data[:n] >= 8, dtype=torch.float32)


@book.scenario("VAE", hint="the model must be trainable: the logits and codes come from registered layers")
def vae_learns_digits(VAE):
    """60 Adam steps of the library negative ELBO on 128 binarised digits cut it by more than a third"""
    torch.manual_seed(16)
    model = VAE(64, 2, 64)
    x = _digit_batch()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(17)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = _library_negative_elbo(x, *model(x, gen))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return bool(losses[-1] < (2 / 3) * losses[0])


# --- vae_train_step -------------------------------------------------------------------------------------


class _TinyVAE(torch.nn.Module):
    """A fixed small VAE (one linear layer each way) for judging the training step alone."""

    def __init__(self, seed: int, pixels: int = 6, latent: int = 2):
        super().__init__()
        torch.manual_seed(seed)
        self.enc = torch.nn.Linear(pixels, 2 * latent)
        self.dec = torch.nn.Linear(latent, pixels)

    def forward(self, x, generator=None):
        mu, log_var = self.enc(x).chunk(2, dim=-1)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return self.dec(mu + torch.exp(0.5 * log_var) * eps), mu, log_var


def _params(model: torch.nn.Module) -> list:
    return [p.detach().numpy().astype(np.float64) for p in model.parameters()]


def _stale(model: torch.nn.Module) -> None:
    for p in model.parameters():
        p.grad = torch.full_like(p, 5.0)


@book.scenario("vae_train_step", rtol=1e-5, atol=1e-7,
               hint="clear the old gradients before the backward pass, and report the loss measured before the step")
def vae_step_matches_one_step(vae_train_step):
    """One SGD step from stale gradients: the parameters after it, and the loss before it as a Python float"""
    model = _TinyVAE(20)
    _stale(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = vae_train_step(model, optimizer, _pixels(21, 8, 6), 1.0, torch.Generator().manual_seed(22))
    return {"loss": float(loss), "type": _dtype_name(loss), "params": _params(model)}


@book.scenario("vae_train_step", rtol=1e-5, atol=1e-7, hint="the KL term is weighted by beta")
def vae_step_beta(vae_train_step):
    """beta = 0 and beta = 3 (the default is 1): losses and parameters after one step"""
    out = []
    for beta in (0.0, 3.0, None):
        model = _TinyVAE(23)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        args = (model, optimizer, _pixels(24, 5, 6)) + (() if beta is None else (beta,))
        loss = vae_train_step(*args, generator=torch.Generator().manual_seed(25))
        out.append([float(loss), _params(model)])
    return out


@book.scenario("vae_train_step", rtol=1e-5, atol=1e-7, hint="pass the generator on to the model's sampling")
def vae_step_generator(vae_train_step):
    """The noise comes from the generator given (the global generator seeded differently), or from the global one when None"""
    out = []
    for generator in (torch.Generator().manual_seed(26), None):
        model = _TinyVAE(27)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.manual_seed(28)
        loss = vae_train_step(model, optimizer, _pixels(29, 6, 6), 1.0, generator)
        out.append([float(loss), _params(model)])
    return out


@book.scenario("vae_train_step", hint="the step is taken in training mode and leaves the model there; x is not modified")
def vae_step_mode_and_inputs(vae_train_step):
    """A model in evaluation mode is trained in (and left in) training mode; x is unchanged"""
    model = _TinyVAE(30)
    model.eval()
    x = _pixels(31, 4, 6)
    vae_train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, 1.0, torch.Generator().manual_seed(32))
    return {"training": model.training, "x unchanged": bool(torch.equal(x, _pixels(31, 4, 6)))}


@book.scenario("vae_train_step", hint="each call is one optimizer step on its own batch's loss")
def vae_step_trains(vae_train_step):
    """80 Adam steps on 128 binarised digits with a linear VAE: the loss falls by a quarter, one float per call"""
    model = _TinyVAE(33, pixels=64, latent=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, gen = _digit_batch(), torch.Generator().manual_seed(34)
    losses = [vae_train_step(model, optimizer, x, 1.0, gen) for _ in range(80)]
    return {"falls": bool(losses[-1] < 0.75 * losses[0]), "floats": all(type(l) is float for l in losses)}


# --- gan_train_step ----------------------------------------------------------------------------------


def _tiny_gan(seed: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(seed)
    generator = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 2))
    discriminator = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 1))
    return generator, discriminator


def _gan_batch(seed: int, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=gen) + 2.0, torch.randn(n, 2, generator=gen)


def _gan_step(gan_train_step, seed: int, kind: str | None, optimizer=torch.optim.SGD, lr: float = 0.1,
              stale: bool = True) -> dict:
    generator, discriminator = _tiny_gan(seed)
    if stale:
        _stale(generator)
        _stale(discriminator)
    g_opt, d_opt = optimizer(generator.parameters(), lr=lr), optimizer(discriminator.parameters(), lr=lr)
    real, z = _gan_batch(seed + 1)
    args = (generator, discriminator, g_opt, d_opt, real, z) + (() if kind is None else (kind,))
    d_loss, g_loss = gan_train_step(*args)
    return {"losses": [float(d_loss), float(g_loss)], "types": [_dtype_name(d_loss), _dtype_name(g_loss)],
            "generator": _params(generator), "discriminator": _params(discriminator)}


@book.scenario("gan_train_step", rtol=1e-5, atol=1e-7,
               hint="update the discriminator first, then the generator against the updated discriminator, each from cleared gradients")
def gan_step_matches_one_step(gan_train_step):
    """One SGD step of each network from stale gradients (default, non-saturating loss): parameters after, losses before"""
    return _gan_step(gan_train_step, 40, None)


@book.scenario("gan_train_step", rtol=1e-5, atol=1e-7, hint="pass the kind of generator loss on")
def gan_step_minimax(gan_train_step):
    """The same step with the minimax generator loss"""
    return _gan_step(gan_train_step, 41, "minimax")


@book.scenario("gan_train_step", rtol=1e-5, atol=1e-7)
def gan_step_adam_two_calls(gan_train_step):
    """Two Adam steps in a row (the second call starts from the gradients the first left behind)"""
    generator, discriminator = _tiny_gan(42)
    g_opt = torch.optim.Adam(generator.parameters(), lr=0.01, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=0.01, betas=(0.5, 0.999))
    losses = []
    for seed in (43, 44):
        real, z = _gan_batch(seed)
        losses.append([float(v) for v in gan_train_step(generator, discriminator, g_opt, d_opt, real, z)])
    return {"losses": losses, "generator": _params(generator), "discriminator": _params(discriminator)}


@book.scenario("gan_train_step",
               hint="the discriminator's loss must not be backpropagated into the generator: detach the generated batch there")
def gan_step_generator_gets_one_backward(gan_train_step):
    """The generator's parameters receive gradients once per call (from its own loss only)"""
    generator, discriminator = _tiny_gan(45)
    calls = []
    for p in generator.parameters():
        p.register_hook(lambda grad: calls.append(1))
    g_opt = torch.optim.SGD(generator.parameters(), lr=0.1)
    d_opt = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    real, z = _gan_batch(46)
    gan_train_step(generator, discriminator, g_opt, d_opt, real, z)
    return len(calls) / len(list(generator.parameters()))


@book.scenario("gan_train_step", hint="do not modify the real batch or the noise")
def gan_step_inputs_unchanged(gan_train_step):
    """The real batch and the noise are unchanged"""
    generator, discriminator = _tiny_gan(47)
    real, z = _gan_batch(48)
    gan_train_step(generator, discriminator, torch.optim.SGD(generator.parameters(), lr=0.1),
                   torch.optim.SGD(discriminator.parameters(), lr=0.1), real, z)
    fresh = _gan_batch(48)
    return [bool(torch.equal(real, fresh[0])), bool(torch.equal(z, fresh[1]))]


# --- promises an independent student's wrong versions slipped past ------------------------------------

factories.raises(book, "pca_subspace", {
    "k = 4 for X (3, 5): more than N": lambda: (np.random.default_rng(91).normal(size=(3, 5)), 4),
    "k = 3 for X (3, 5): N itself is allowed": lambda: (np.random.default_rng(91).normal(size=(3, 5)), 3)},
    "k above N (fewer points than dimensions) raises ValueError; k = N does not",
    hint="k can be at most min(N, D): with fewer points than dimensions N is the bound")
for _divergence in ("kl_divergence", "js_divergence"):
    factories.raises(book, _divergence, {
        "(2,) and (1,)": lambda: (np.array([0.5, 0.5]), np.array([1.0])),
        "(1,) and (2,)": lambda: (np.array([1.0]), np.array([0.5, 0.5]))}, hint=_SAME_SHAPE)
factories.inputs_unchanged(book, "kl_divergence",
                           lambda: (np.array([0.0, 0.3, 0.7]), np.array([0.0, 0.6, 0.4])),
                           "zeros in p and q and sums not exactly 1 in floating point: the inputs are left as they were")


@book.scenario("gaussian_kl", rtol=1e-6,
               hint="use the log-variance as it is: the log of an exponential that underflowed to 0 is -inf")
def gaussian_kl_variance_underflows(gaussian_kl):
    """A log-variance so negative that its exponential underflows to 0 (-200 in float32, -800 in float64) gives the finite closed form"""
    out = {}
    for dtype, low in ((torch.float32, -200.0), (torch.float64, -800.0)):
        mu = torch.tensor([[0.0, 1.0], [0.5, 0.0]], dtype=dtype)
        log_var = torch.tensor([[low, 0.0], [0.0, low]], dtype=dtype)
        out[str(dtype)] = gaussian_kl(mu, log_var).detach().numpy()
    return out


@book.scenario("vae_loss", rtol=1e-5,
               hint="take the cross-entropy from the logits themselves: sigmoid(20) rounds to 1 in float32")
def vae_loss_confidently_wrong_logits(vae_loss):
    """Confident wrong logits cost their size: x = 0 with logit 20 costs 20, x = 0 with 30 costs 30, x = 1 with -30 costs 30"""
    x = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    x_logits = torch.tensor([[20.0, 30.0, -30.0], [-20.0, 18.0, -5.0]])
    zeros = torch.zeros(2, 2)
    return float(vae_loss(x, x_logits, zeros, zeros))


@book.scenario("VAE", hint="the mean and the log-variance need their own outputs: one head cannot serve both")
def vae_mean_and_log_variance_independent(VAE):
    """encode's mean and log-variance are separate outputs: 150 Adam steps on encode alone drive mu to +1 and log_var to -1 for every input"""
    torch.manual_seed(18)
    model = VAE(8, 2, 16)
    x = _pixels(19, 32, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(150):
        optimizer.zero_grad()
        mu, log_var = model.encode(x)
        (((mu - 1.0) ** 2).mean() + ((log_var + 1.0) ** 2).mean()).backward()
        optimizer.step()
    with torch.no_grad():
        mu, log_var = model.encode(x)
    return {"mu near +1": bool((mu - 1.0).abs().max() < 0.2), "log_var near -1": bool((log_var + 1.0).abs().max() < 0.2)}


@book.scenario("optimal_discriminator", rtol=1e-12,
               hint="the sum of two densities near 1e308 overflows to inf: divide by the larger density first")
def d_star_huge_densities(optimal_discriminator):
    """Densities near the largest float (1e308, whose sum overflows): the ratio is still right"""
    return np.asarray(optimal_discriminator(np.array([1e308, 1.5e308, 1e308, 1e308]),
                                            np.array([1e308, 1e308, 0.0, 1e-308])), dtype=float)


factories.inputs_unchanged(book, "reparameterize",
                           lambda: (torch.tensor([[0.5, -1.0], [2.0, 0.0]]), torch.tensor([[0.0, 1.0], [-1.0, 0.5]]),
                                    torch.Generator().manual_seed(92)),
                           "mu and log_var that need no gradient are left as they were, and neither is returned",
                           hint="return a new tensor: do not add the noise into mu in place")
