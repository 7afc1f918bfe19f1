"""Lecture 03: every "try this" prompt and every claim about a picture, checked by computation."""
from __future__ import annotations

import numpy as np
import torch

from course import convolutional_networks as lecture

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


def test_same_padding_border_pixels_enter_fewer_windows():
    """Section 3: with a 3 x 3 kernel and padding 1, a corner pixel enters 4 windows, an edge pixel 6, an interior one 9."""
    image = torch.ones(1, 1, 8, 8, requires_grad=True)
    (counts,) = torch.autograd.grad(torch.nn.functional.conv2d(image, torch.ones(1, 1, 3, 3), padding=1).sum(), image)
    counts = counts[0, 0].int().numpy()
    assert counts[0, 0] == counts[-1, -1] == 4 and counts[0, 3] == counts[4, 0] == 6 and (counts[1:-1, 1:-1] == 9).all()


def test_convolution_matrix_columns_hold_the_kernel_and_rows_hold_it_reversed():
    from scipy.linalg import convolution_matrix

    kernel = np.array([1.0, -2.0, 0.5])
    matrix = convolution_matrix(kernel, 6, mode="full")
    for column in range(6):
        assert np.array_equal(matrix[column:column + 3, column], kernel)
    for row in range(2, 6):  # full rows: the kernel reversed
        assert np.array_equal(matrix[row, row - 2:row + 1], kernel[::-1])
    assert np.array_equal(matrix[0, :1], kernel[:1]) and np.array_equal(matrix[-1, -1:], kernel[-1:])  # truncated


def test_max_pool_routing_picture_sends_each_gradient_to_its_maximum():
    example = lecture.max_pool_routing_example()
    grad = example["grad"]
    for i in range(2):
        for j in range(2):
            window = example["x"][2 * i:2 * i + 2, 2 * j:2 * j + 2]
            routed = grad[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            assert routed[np.unravel_index(window.argmax(), window.shape)] == example["upstream"][i, j]
            assert np.count_nonzero(routed) == 1


def test_pictures_draw():
    for draw in (lecture.draw_conv_volume, lecture.draw_max_pool_routing, lecture.draw_shifted_digits):
        assert draw().axes


def test_shift_images_moves_and_fills_with_zeros():
    images = torch.arange(16.0).reshape(1, 1, 4, 4)
    moved = lecture.shift_images(images, 1, 2)
    assert torch.equal(moved[0, 0, 1:, 2:], images[0, 0, :3, :2]) and moved[0, 0, 0].abs().sum() == 0
    assert moved[0, 0, :, :2].abs().sum() == 0 and lecture.shift_images(images, 0, 4).abs().sum() == 0


def _train(model, data, learning_rate=3e-3, augment=None):
    """Section 8's train_model, with the reference loop."""
    from solutions.convolutional_networks import train_with_early_stopping

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    return train_with_early_stopping(model, optimizer, (data["x_train"], data["y_train"]), (data["x_val"], data["y_val"]),
                                     40, 5, batch_size=32, generator=torch.Generator().manual_seed(0), augment=augment)


def test_section_8_claims_on_baselines_and_shifts():
    """The numbers the text of section 8 quotes, from the notebook's own runs (seeded)."""
    from solutions.convolutional_networks import DigitsCNN
    from course.runtime import seed_everything

    torch.set_num_threads(1)
    data = lecture.digits_splits(seed=0)
    assert len(data["x_train"]) == 1077
    seed_everything(0)
    cnn = DigitsCNN()
    _train(cnn, data)
    seed_everything(0)
    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    fast = _train(linear, data, 1e-2)
    seed_everything(0)
    slow_linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    slow = _train(slow_linear, data, 3e-3)
    # "at 3e-3 its validation loss is still falling slowly after 40 epochs ... (0.22 against 0.14)"
    assert slow["best_epoch"] == 39 and slow["val_loss"][-1] < slow["val_loss"][-5]
    assert round(slow["val_loss"][39], 2) == 0.22 and round(min(fast["val_loss"]), 2) == 0.14
    seed_everything(0)
    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    _train(mlp, data)
    shifts = {name: lecture.shift_accuracies(model, data["x_test"], data["y_test"])
              for name, model in [("cnn", cnn), ("linear", linear), ("mlp", mlp)]}
    assert shifts["cnn"]["none"] >= 0.97  # the syllabus target, "about 98 %"
    assert 0.965 <= shifts["linear"]["none"] < shifts["cnn"]["none"] and 0.965 <= shifts["mlp"]["none"] < 0.985
    one_pixel = [shifts["cnn"]["1 px right"], shifts["cnn"]["1 px down"]]
    assert all(0.55 <= a <= 0.75 for a in one_pixel)  # "costs about a third of its accuracy"
    assert shifts["cnn"]["2 px down"] <= 0.15  # "about one digit in ten, no better than chance"
    for name in ("linear", "mlp"):  # "lose even more: under half after one pixel, chance level after two"
        assert all(shifts[name][f"1 px {way}"] < min(0.5, shifts["cnn"][f"1 px {way}"]) for way in ("right", "down"))
        assert all(shifts[name][f"2 px {way}"] <= 0.15 for way in ("right", "down"))
    cnn_multiply_adds = 9 * 1 * 16 * 64 + 9 * 16 * 32 * 16 + 128 * 10
    assert 17 <= cnn_multiply_adds / (64 * 64 + 64 * 10) <= 19  # "about 18 times the multiply-adds of the MLP"

    seed_everything(0)
    cnn_shifted = DigitsCNN()
    _train(cnn_shifted, data, augment=lecture.random_shifts(2, torch.Generator().manual_seed(1)))
    seed_everything(0)
    mlp_shifted = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    _train(mlp_shifted, data, augment=lecture.random_shifts(2, torch.Generator().manual_seed(1)))
    after_cnn = lecture.shift_accuracies(cnn_shifted, data["x_test"], data["y_test"])
    after_mlp = lecture.shift_accuracies(mlp_shifted, data["x_test"], data["y_test"])
    assert all(0.83 <= a <= 0.96 for a in after_cnn.values())  # "about 85 to 95 % at every shift"
    assert 0.0 < shifts["cnn"]["none"] - after_cnn["none"] <= 0.05  # "a few points on centred digits"
    assert all(0.78 <= a <= 0.9 for a in after_mlp.values())  # "near 80 to 90 %"


def test_transposed_convolution_upsamples_and_makes_a_checkerboard():
    """Section 5: a 2 x 2 kernel of ones with stride 2 copies each value into a 2 x 2 block; a 3 x 3 kernel
    with stride 2 gives output pixels 1, 2 or 4 contributions (a checkerboard)."""
    conv_t = torch.nn.functional.conv_transpose2d
    small = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert torch.equal(conv_t(small, torch.ones(1, 1, 2, 2), stride=2)[0, 0],
                       small[0, 0].repeat_interleave(2, 0).repeat_interleave(2, 1))
    counts = conv_t(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert counts.shape == (7, 7) and set(counts.unique().tolist()) == {1.0, 2.0, 4.0}


def test_residual_identity_path_carries_the_gradient_only_without_a_relu_after_the_sum():
    """Section 9: with F = 0, x + F(x) passes the upstream gradient unchanged; relu(x + F(x)) gates it."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 5, 5, requires_grad=True)
    upstream = torch.randn(2, 4, 5, 5)
    (plain,) = torch.autograd.grad(x + 0.0 * x, x, upstream)
    (gated,) = torch.autograd.grad(torch.relu(x), x, upstream)
    assert torch.equal(plain, upstream)
    assert 0.3 < (gated == upstream).float().mean().item() < 0.7


def test_notebook_text_keeps_K_for_the_weights_and_W_for_the_width():
    import re

    import nbformat

    from tests.conftest import LECTURES

    lecture_03 = next(item for item in LECTURES if item.slug == "convolutional_networks")
    notebook = nbformat.read(lecture_03.student_notebook, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert not re.search(r"(?<![A-Za-z_])W\[|W_\\text\{row\}|rot\}_\{180\}\(W\)", text)
    assert "$K[o, c, a, d]$" in text and "(N, C_\\text{in}, H, W)" in text


def test_reference_strided_backward_is_torchs_transposed_convolution_and_autograd():
    """The reference the hidden scenarios compare with equals conv_transpose2d and autograd on every scenario shape."""
    from solutions.convolutional_networks import conv2d_backward_strided

    rng = np.random.default_rng(5)
    for size, kernel, stride, padding in [((7, 6), (3, 2), 2, 1), ((9, 9), (3, 3), 3, 0), ((10, 11), (3, 3), 3, 0),
                                          ((5, 6), (3, 3), 1, 2), ((6, 5), (1, 1), 2, 0), ((8, 8), (4, 4), 2, 1),
                                          ((5, 4), (3, 3), 2, 3), ((12, 7), (5, 2), 4, 2)]:
        x = torch.as_tensor(rng.normal(size=(2, 3, *size))).requires_grad_()
        weight = torch.as_tensor(rng.normal(size=(4, 3, *kernel)))
        out = torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding)
        grad_out = torch.as_tensor(rng.normal(size=tuple(out.shape)))
        (expected,) = torch.autograd.grad(out, x, grad_out)
        extra = tuple(s + 2 * padding - ((o - 1) * stride + k) for s, o, k in zip(size, out.shape[2:], kernel))
        transposed = torch.nn.functional.conv_transpose2d(grad_out, weight, stride=stride, padding=padding,
                                                          output_padding=extra)
        result = conv2d_backward_strided(grad_out.numpy(), weight.numpy(), size, stride, padding)
        assert np.allclose(result, expected.numpy(), atol=1e-12) and np.allclose(result, transposed.numpy(), atol=1e-12)
