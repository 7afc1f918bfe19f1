"""Reference solutions for lecture 03, convolutional networks.

Each function or class has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Reference for the exercise of the same name."""
    out = (size + 2 * padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError(f"a kernel of size {kernel_size} does not fit in an input of size {size} "
                         f"padded by {padding}")
    return int(out)


def conv2d_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1,
                 padding: int = 0) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError(f"x has {c_in} channels but the weights expect {c_in_w}")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * stride, j * stride
                    window = padded[n, :, top:top + kh, left:left + kw]
                    out[n, k, i, j] = np.sum(window * weight[k]) + bias[k]
    return out


def conv2d_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: int = 1,
                    padding: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference for the exercise of the same name."""
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded = np.zeros_like(padded, dtype=float)
    grad_weight = np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]  # (N, C_in, kh, kw)
            upstream = grad_out[:, :, i, j]  # (N, C_out)
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", upstream, weight)
            grad_weight += np.einsum("nk,ncab->kcab", upstream, window)
    height, width = x.shape[2], x.shape[3]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    grad_bias = grad_out.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, channels, height, width = x.shape
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n_images, channels, kh, kw, h_out, w_out), dtype=padded.dtype)
    for a in range(kh):
        for b in range(kw):
            cols[:, :, a, b] = padded[:, :, a:a + stride * (h_out - 1) + 1:stride,
                                      b:b + stride * (w_out - 1) + 1:stride]
    return cols.reshape(n_images, channels * kh * kw, h_out * w_out)


def conv2d_im2col(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1,
                  padding: int = 0) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError(f"x has {c_in} channels but the weights expect {c_in_w}")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    cols = im2col(x, kh, kw, stride, padding)  # (N, C_in*kh*kw, L)
    out = weight.reshape(c_out, -1) @ cols + bias[:, None]  # (N, C_out, L)
    return out.reshape(n_images, c_out, h_out, w_out)


def max_pool_forward(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, channels, height, width = x.shape
    h_out = (height - size) // stride + 1
    w_out = (width - size) // stride + 1
    out = np.empty((n_images, channels, h_out, w_out), dtype=float)
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def max_pool_backward(grad_out: np.ndarray, x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, channels, h_out, w_out = grad_out.shape
    grad_x = np.zeros(x.shape)
    rows, cols = np.meshgrid(np.arange(n_images), np.arange(channels), indexing="ij")
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = x[:, :, top:top + size, left:left + size].reshape(n_images, channels, -1)
            first = window.argmax(axis=2)  # the first maximum in row-major order
            grad_x[rows, cols, top + first // size, left + first % size] += grad_out[:, :, i, j]
    return grad_x


def receptive_field(layers: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Reference for the exercise of the same name."""
    r, j = 1, 1
    out = []
    for kernel_size, stride in layers:
        r = r + (kernel_size - 1) * j
        j = j * stride
        out.append((r, j))
    return out


def conv_parameter_count(kernel_size, in_channels: int, out_channels: int) -> int:
    """Reference for the exercise of the same name."""
    if isinstance(kernel_size, int):
        kh, kw = kernel_size, kernel_size
    else:
        kh, kw = kernel_size
    return (kh * kw * in_channels + 1) * out_channels


class DigitsCNN(nn.Module):
    """Reference for the exercise of the same name."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor) -> float:
    """Reference for the exercise of the same name."""
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return float(loss.item())
