"""Lecture 06's "things to try": each prompt's setting, driven through the pure functions behind
the widgets, shows what the notebook promises. The values are reachable by the widgets' controls
(means -3..3 and scales 0.25..3 in steps of 0.25; z in -3..3 in steps of 0.1; steps 0..1500 by 50)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course import generative_models as gm

# --- widget A: KL and JS between two Gaussians -------------------------------------------------------


def test_equal_gaussians_have_zero_divergences():
    values = gm.gaussian_divergences(0.0, 1.0, 0.0, 1.0)
    assert max(abs(v) for v in values.values()) < 1e-6, values


def test_wide_q_is_cheap_one_way_and_expensive_the_other():
    values = gm.gaussian_divergences(0.0, 1.0, 0.0, 3.0)
    assert values["KL(p||q)"] == pytest.approx(0.65, abs=0.01)
    assert values["KL(q||p)"] == pytest.approx(2.90, abs=0.01)


def test_far_apart_narrow_gaussians_kl_explodes_and_js_saturates():
    values = gm.gaussian_divergences(0.0, 0.25, 3.0, 0.25)
    assert values["KL(p||q)"] == pytest.approx(72.0) and values["KL(q||p)"] == pytest.approx(72.0)
    assert np.log(2) - 1e-3 < values["JS"] <= np.log(2) + 1e-9
    further = gm.gaussian_divergences(-3.0, 0.25, 3.0, 0.25)
    assert further["JS"] - values["JS"] < 1e-3, "JS barely changes when the means move further apart"


# --- widget B: the latent-space explorer ---------------------------------------------------------------


def _cluster_label_position(digit: int) -> tuple[float, float]:
    """Where the widget writes the big label of ``digit``, rounded to the sliders' 0.1 grid."""
    _, mu, labels = gm.explorer_model()
    centre = mu[labels == digit].median(dim=0).values
    return round(float(centre[0]), 1), round(float(centre[1]), 1)


def _class_means() -> np.ndarray:
    data = gm.digits_data()
    return np.stack([data["x_train"][data["y_train"] == c].mean(dim=0).numpy() for c in range(10)])


def test_the_zero_label_decodes_to_a_zero():
    z1, z2 = _cluster_label_position(0)
    assert -3 <= z1 <= 3 and -3 <= z2 <= 3, "the 0 cluster must be reachable by the sliders"
    image = gm.decode_point(z1, z2).reshape(64)
    assert int(np.argmin(((_class_means() - image) ** 2).sum(axis=1))) == 0
    assert gm.nearest_digit(z1, z2) == 0


def test_walking_between_two_labels_morphs_gradually():
    start, end = np.array(_cluster_label_position(0)), np.array(_cluster_label_position(6))
    images = [gm.decode_point(*(start + t * (end - start))) for t in np.linspace(0, 1, 11)]
    steps = [np.abs(b - a).mean() for a, b in zip(images[:-1], images[1:])]
    total = np.abs(images[-1] - images[0]).mean()
    assert total > 0.1, "the two ends decode to clearly different images"
    assert max(steps) < 0.5 * total, "no single step of the walk does most of the change"


def test_a_far_corner_is_far_from_every_held_out_digit():
    _, mu, _ = gm.explorer_model()
    assert float(torch.linalg.norm(mu - torch.tensor([3.0, 3.0]), dim=1).min()) > 0.5
    assert np.all((gm.decode_point(3.0, 3.0) >= 0) & (gm.decode_point(3.0, 3.0) <= 1))


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
    assert abs(final - 0.85) < 0.05, "about 85 % high-quality samples at the last step"


@pytest.mark.parametrize("loss, sign", [("non-saturating", 1.0), ("minimax", -1.0)])
def test_loss_curves_mirror_and_settle_near_the_equilibrium(loss, sign):
    run = gm.widget_run(loss)
    assert np.all(sign * np.asarray(run["g_loss"]) >= 0), "minimax below zero, non-saturating above"
    assert abs(sign * np.mean(run["g_loss"][-100:]) - np.log(2)) < 0.25
    assert abs(np.mean(run["d_loss"][-100:]) - np.log(4)) < 0.25


def test_both_losses_reach_all_8_modes_on_the_ring():
    assert _coverage("minimax", gm.WIDGET_STEPS)["modes"] == 8
