"""Lecture 03: every "try this" prompt and every claim about a picture, checked by computation."""
from __future__ import annotations

import numpy as np
import torch

from course import convolutional_networks as lecture
from course.checks import relative_error

SHIFT = "shift (a single 1 off the centre)"


def test_kernel_playground_presets():
    identity = lecture.KERNELS["identity"]
    centre_minus_neighbours = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)
    assert np.array_equal(lecture.KERNELS["sharpen"], identity + centre_minus_neighbours)
    image, blurred = lecture.kernel_response(0, lecture.KERNELS["box blur"])
    assert np.isclose(blurred[10, 10], image[9:12, 9:12].mean())
    # the Laplacian is zero wherever the 3 x 3 neighbourhood is flat, and responds elsewhere
    image, laplacian = lecture.kernel_response(0, lecture.KERNELS["edges (Laplacian)"])
    padded = np.pad(image, 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    flat = windows.max(axis=(2, 3)) == windows.min(axis=(2, 3))
    assert np.allclose(laplacian[flat], 0.0) and np.abs(laplacian[~flat]).max() > 0.5


def test_sobel_responds_to_edges_with_both_signs_and_relu_keeps_one_side():
    for name in ("vertical edges (Sobel x)", "horizontal edges (Sobel y)"):
        _, response = lecture.kernel_response(0, lecture.KERNELS[name])
        assert response.max() > 1.0 and response.min() < -1.0
        _, negated = lecture.kernel_response(0, -lecture.KERNELS[name])
        kept, kept_negated = np.maximum(response, 0) > 0, np.maximum(negated, 0) > 0
        assert not np.any(kept & kept_negated) and kept_negated.sum() > 0
    stripes = np.tile([0.0, 0.0, 1.0, 1.0], (4, 1))  # a vertical edge; Sobel y ignores it
    sobel_y = lecture.KERNELS["horizontal edges (Sobel y)"]
    out = torch.nn.functional.conv2d(torch.as_tensor(stripes)[None, None], torch.as_tensor(sobel_y)[None, None])
    assert torch.all(out == 0)


def test_shift_kernel_moves_the_digit_left_under_correlation_and_right_under_convolution():
    image, correlation, convolution = lecture.correlation_and_convolution(0, SHIFT)
    assert np.allclose(correlation[:, :-1], image[:, 1:])  # I'(i, j) = I(i, j + 1): one pixel left
    assert np.allclose(convolution[:, 1:], image[:, :-1])  # one pixel right
    _, correlation, convolution = lecture.correlation_and_convolution(0, "Gaussian blur (symmetric)")
    assert np.abs(correlation - convolution).max() < 1e-12


def test_receptive_field_widget_claims():
    assert lecture.receptive_field_by_autograd(3, 3, 1)["sizes"][0] == 7
    assert lecture.receptive_field_by_autograd(3, 3, 2)["sizes"][0] == 15
    paths = lecture.receptive_field_by_autograd(3, 3, 1)["paths"][0]
    inside = paths[paths > 0]
    assert inside.max() > 3 * inside.min()  # the centre is reached by many more paths than the edge


def test_a_unit_after_the_second_pooling_layer_sees_7_by_7_pixels():
    fields = lecture.pooled_unit_fields()
    for i in range(2):
        for j in range(2):
            rows, cols = np.nonzero(fields[i, j])
            assert fields[i, j].sum() == 49 and np.ptp(rows) == 6 and np.ptp(cols) == 6
    assert fields.any(axis=(0, 1)).all() and not fields[0, 0].all()
    assert fields[0, 0][:7, :7].all()  # rows and columns 0 to 6


def test_feature_map_network_trains_and_its_second_layer_sees_5_by_5():
    assert lecture.demo_cnn_accuracy() > 0.94
    model = lecture.demo_cnn()
    image = torch.zeros(1, 1, 8, 8, requires_grad=True)
    second = model[2](model[0](image))  # the two convolutions without the ReLUs: linear
    (grad,) = torch.autograd.grad(second[0, 0, 2, 2], image)
    rows, cols = np.nonzero(grad[0, 0].numpy())
    assert np.ptp(rows) + 1 == 5 and np.ptp(cols) + 1 == 5


def test_relative_error_is_the_course_definition():
    g, estimate = np.array([1.0, 2.0]), np.array([1.0, 2.001])
    assert np.isclose(relative_error(g, estimate), 0.001 / (np.linalg.norm(g) + np.linalg.norm(estimate)))
