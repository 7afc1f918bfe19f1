"""Lecture 06's "things to try": each prompt's setting, driven through the pure functions behind
the widgets, shows what the notebook promises. The values are reachable by the widgets' controls
(means -3..3 and scales 0.25..3 in steps of 0.25; z in -3..3 in steps of 0.1; steps 0..1500 by 50)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course import generative_models as gm
from solutions.generative_models import js_divergence

# --- widget A: KL and JS between two Gaussians -------------------------------------------------------


def test_equal_gaussians_have_zero_divergences():
    values = gm.gaussian_divergences(js_divergence, 0.0, 1.0, 0.0, 1.0)
    assert max(abs(v) for v in values.values()) < 1e-6, values


def test_wide_q_is_cheap_one_way_and_expensive_the_other():
    values = gm.gaussian_divergences(js_divergence, 0.0, 1.0, 0.0, 3.0)
    assert values["KL(p||q)"] == pytest.approx(0.65, abs=0.01)
    assert values["KL(q||p)"] == pytest.approx(2.90, abs=0.01)


def test_far_apart_narrow_gaussians_kl_explodes_and_js_saturates():
    values = gm.gaussian_divergences(js_divergence, 0.0, 0.25, 3.0, 0.25)
    assert values["KL(p||q)"] == pytest.approx(72.0) and values["KL(q||p)"] == pytest.approx(72.0)
    assert np.log(2) - 1e-3 < values["JS"] <= np.log(2) + 1e-9
    further = gm.gaussian_divergences(js_divergence, -3.0, 0.25, 3.0, 0.25)
    assert further["JS"] - values["JS"] < 1e-3, "JS barely changes when the means move further apart"


# --- widget B: the latent-space explorer ---------------------------------------------------------------


def _reference_vae(epochs: int, beta: float = 1.0) -> torch.nn.Module:
    """The reference VAE trained as the notebook's ``train_vae`` does, on the binarised digits."""
    from solutions.generative_models import VAE, vae_train_step

    data = gm.digits_data(binary=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = VAE(64, 2, 256)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        for batch in gm.batches(data["x_train"], 64, generator):
            vae_train_step(model, optimizer, batch, beta, generator)
    return model.eval()


def _explorer() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """What the widget shows in the solved notebook: its VAE trained with the reference ``VAE`` and
    ``vae_train_step``, the held-out digits, their labels and latent means."""
    from solutions.generative_models import VAE, vae_train_step

    torch.set_num_threads(1)
    model, x, y = gm.explorer_model(VAE, vae_train_step)
    return model, x, y, gm.latent_means(model, x)


def _cluster_label_position(digit: int) -> tuple[float, float]:
    """Where the widget writes the big label of ``digit``, rounded to the sliders' 0.1 grid."""
    _, _, labels, mu = _explorer()
    centre = mu[labels == digit].median(dim=0).values
    return round(float(centre[0]), 1), round(float(centre[1]), 1)


def _decoded(z1: float, z2: float) -> np.ndarray:
    return gm.decode_point(_explorer()[0], z1, z2)


def _class_means() -> np.ndarray:
    data = gm.digits_data()
    return np.stack([data["x_train"][data["y_train"] == c].mean(dim=0).numpy() for c in range(10)])


def test_the_zero_label_decodes_to_a_zero():
    z1, z2 = _cluster_label_position(0)
    assert -3 <= z1 <= 3 and -3 <= z2 <= 3, "the 0 cluster must be reachable by the sliders"
    image = _decoded(z1, z2).reshape(64)
    assert int(np.argmin(((_class_means() - image) ** 2).sum(axis=1))) == 0
    _, _, labels, mu = _explorer()
    assert gm.nearest_digit(mu, labels, z1, z2) == 0
    model, x, y, _ = _explorer()
    title = gm.draw_latent_explorer(model, x, y, z1, z2).axes[1].get_title()
    assert title.endswith("nearest digit: 0"), title


def test_walking_between_two_labels_morphs_gradually():
    start, end = np.array(_cluster_label_position(0)), np.array(_cluster_label_position(6))
    images = [_decoded(*(start + t * (end - start))) for t in np.linspace(0, 1, 11)]
    steps = [np.abs(b - a).mean() for a, b in zip(images[:-1], images[1:])]
    total = np.abs(images[-1] - images[0]).mean()
    assert total > 0.1, "the two ends decode to clearly different images"
    assert max(steps) < 0.5 * total, "no single step of the walk does most of the change"


def test_a_far_corner_is_far_from_every_held_out_digit():
    mu = _explorer()[3]
    assert float(torch.linalg.norm(mu - torch.tensor([3.0, 3.0]), dim=1).min()) > 0.5
    assert np.all((_decoded(3.0, 3.0) >= 0) & (_decoded(3.0, 3.0) <= 1))


def test_the_explorer_names_the_exercises_while_the_vae_is_a_stub():
    class Stub(torch.nn.Module):
        def __init__(self, pixels=64, latent=2, hidden=256):
            raise NotImplementedError()

    gm.latent_explorer_widget(Stub, None)  # builds without a traceback
    draw = gm.after_exercise(gm.draw_explorer_of, "exercises 6 and 7 (VAE, vae_train_step)")
    assert "finish exercises 6 and 7 (VAE, vae_train_step) first" in draw(Stub, None).texts[0].get_text()


# --- widget C: GAN training step by step ----------------------------------------------------------------


def _coverage(loss: str, step: int) -> dict:
    run = gm.widget_run(loss)
    snapshot = run["snapshots"][step // 50]
    assert snapshot["step"] == step
    return gm.ring_coverage(snapshot["samples"], min_count=8)


def test_untrained_generator_is_a_small_blob_in_the_middle():
    samples = gm.widget_run("non-saturating")["snapshots"][0]["samples"]
    assert np.linalg.norm(samples, axis=1).max() < 1.0
    assert _coverage("non-saturating", 0)["modes"] == 0


def test_non_saturating_run_covers_all_8_modes_at_the_end():
    assert _coverage("non-saturating", gm.WIDGET_STEPS)["modes"] == 8


def test_all_8_modes_by_step_500_and_quality_keeps_growing():
    assert _coverage("non-saturating", 500)["modes"] == 8
    final = _coverage("non-saturating", gm.WIDGET_STEPS)["quality"]
    assert final > _coverage("non-saturating", 500)["quality"]
    assert abs(final - 0.78) < 0.05, "about 78 % high-quality samples at the last step"


@pytest.mark.parametrize("loss, sign", [("non-saturating", 1.0), ("minimax", -1.0)])
def test_loss_curves_mirror_and_settle_near_the_equilibrium(loss, sign):
    run = gm.widget_run(loss)
    assert np.all(sign * np.asarray(run["g_loss"]) >= 0), "minimax below zero, non-saturating above"
    assert abs(sign * np.mean(run["g_loss"][-100:]) - np.log(2)) < 0.25
    assert abs(np.mean(run["d_loss"][-100:]) - np.log(4)) < 0.25


def test_both_losses_reach_all_8_modes_on_the_ring():
    assert _coverage("minimax", gm.WIDGET_STEPS)["modes"] == 8


# --- the fixes of issue 26 and the new sections' claims -----------------------------------------------


def _notebook_sources() -> list[str]:
    import nbformat
    from tests.conftest import LECTURES
    notebook = nbformat.read(next(l for l in LECTURES if l.slug == "generative_models").student_notebook, 4)
    return [cell.source for cell in notebook.cells]


def test_the_linear_autoencoder_adds_the_mean_back():
    section = next(s for s in _notebook_sources() if s.startswith("## 2. Autoencoders and PCA"))
    assert r"$\hat x = \bar x + W_2 W_1 (x - \bar x)$" in section


def _two_bumps():
    x = np.linspace(-8, 8, 3201)
    normal = lambda mu, sigma: np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    return x, 0.5 * normal(-1.5, 0.5) + 0.5 * normal(1.5, 0.5), normal(1.5, 0.5)


def test_half_the_modes_row_is_finite_and_equals_2_js_minus_log_4():
    """The notebook's table of V(G, D*) (cell 39 before the fix printed -inf): with the reference
    gan_value (D = None, log space) the row agrees with 2 JS - log 4 to 4 decimals, while a D*
    that rounds to 1 puts -inf into a linear-space computation."""
    from solutions import generative_models as reference
    x, p_data, p_model = _two_bumps()
    dx = x[1] - x[0]
    value = reference.gan_value(p_data, p_model, dx)
    js = reference.js_divergence(p_data * dx / np.sum(p_data * dx), p_model * dx / np.sum(p_model * dx))
    assert np.isfinite(value) and round(value, 4) == round(2 * js - np.log(4), 4)
    rounded = reference.optimal_discriminator(p_data, p_model)
    assert np.any((rounded == 1.0) & (p_model > 0)), "D* rounds to 1 where p_g > 0, as the notebook says"
    assert np.isneginf(reference.gan_value(p_data, p_model, dx, rounded))


def test_the_vae_trains_on_binarised_digits_and_grey_levels_are_not_called_a_likelihood():
    binary = gm.digits_data(binary=True)
    assert set(torch.unique(binary["x_train"]).tolist()) == {0.0, 1.0}
    sources = _notebook_sources()
    assert any('binary = lecture.digits_data(binary=True)' in s for s in sources)
    assert any("continuous Bernoulli" in s and "not** an upper bound" in s for s in sources)


def test_js_saturates_and_its_slope_vanishes_once_the_bumps_separate():
    from solutions import generative_models as reference
    rows = {row["shift"]: row for row in gm.js_shift_table([0.5, 3.0, 5.0], reference.js_divergence)}
    assert rows[0.5]["slope"] > 0.5
    assert abs(rows[3.0]["js"] - np.log(2)) < 1e-8 and abs(rows[3.0]["slope"]) < 1e-6
    assert rows[5.0]["slope"] == 0.0


def test_pixelcnn_blind_spot_is_up_and_to_the_right():
    found = gm.pixelcnn_dependencies(4, 11)
    rows, cols = np.nonzero(found["blind"])
    assert len(rows) > 0 and np.all(rows < 5) and np.all(cols > 5)
    assert not np.any(found["seen"] & ~found["allowed"]), "causal: nothing at or after the centre is seen"


def test_seed_0_wide_generator_covers_the_ring_and_the_narrow_one_collapses():
    """The notebook's side-by-side GAN runs (seed 0, 1,500 steps, the reference gan_train_step):
    the 64-unit generator covers all 8 modes, the 4-unit one a single mode with higher quality,
    as the table from tools/figures/generative_models.py says (84.4 % and 96.4 %)."""
    from solutions import generative_models as reference
    wide, narrow = (gm.ring_coverage(gm.gan_samples(gm.train_gan(reference.gan_train_step, 1500, seed=0, progress=False,
                                                                 generator_hidden=width)["generator"], seed=1000))
                    for width in (None, 4))
    assert wide["modes"] == 8 and round(wide["quality"], 3) == 0.844
    assert narrow["modes"] == 1 and round(narrow["quality"], 3) == 0.964


def test_beta_4_collapses_the_posterior():
    """The beta sweep's claim: with the notebook's loop (20 epochs) the held-out KL term is
    about 4.5 nats at beta 0.25 and below 0.05 nats at beta 4."""
    data = gm.digits_data(binary=True)

    def kl_after(beta: float) -> float:
        return gm.heldout_terms(_reference_vae(20, beta), data["x_test"])["kl"]

    assert round(kl_after(0.25), 1) == 4.5
    assert kl_after(4.0) < 0.05
