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
    grad_bias = grad_out.sum(axis=(0, 2, 3), dtype=np.float64)  # float64 also for float32 inputs
    return grad_x, grad_weight, grad_bias


def conv2d_backward_strided(grad_out: np.ndarray, weight: np.ndarray, input_size: tuple[int, int],
                            stride: int = 1, padding: int = 0) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_images, c_out, h_out, w_out = grad_out.shape
    c_out_w, c_in, kh, kw = weight.shape
    if c_out != c_out_w:
        raise ValueError(f"grad_out has {c_out} channels but the weights produce {c_out_w}")
    height, width = input_size
    if (conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)) != (h_out, w_out):
        raise ValueError(f"an input of size {(height, width)} does not give an output of size {(h_out, w_out)}")
    # G with stride - 1 zeros between neighbouring entries: the stride-1 picture of the same windows
    dilated = np.zeros((n_images, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = grad_out
    # full correlation: k - 1 zeros on each side, plus the rows and columns no window reached
    extra_h = height + 2 * padding - ((h_out - 1) * stride + kh)
    extra_w = width + 2 * padding - ((w_out - 1) * stride + kw)
    dilated = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1 + extra_h), (kw - 1, kw - 1 + extra_w)))
    rotated = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, kh, kw)
    grad_padded = conv2d_im2col(dilated, rotated, np.zeros(c_in))
    return grad_padded[:, :, padding:padding + height, padding:padding + width].astype(np.float64)


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
    cols = im2col(np.asarray(x, dtype=np.float64), kh, kw, stride, padding)  # (N, C_in*kh*kw, L), float64
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


def conv_multiply_adds(kernel_size, in_channels: int, out_channels: int, output_size) -> int:
    """Reference for the exercise of the same name."""
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    h_out, w_out = (output_size, output_size) if np.ndim(output_size) == 0 else output_size
    return int(kh * kw * in_channels * out_channels * h_out * w_out)


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


def train_with_early_stopping(model: nn.Module, optimizer: torch.optim.Optimizer,
                              train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor],
                              max_epochs: int, patience: int, batch_size: int = 32,
                              generator: torch.Generator | None = None, augment=None) -> dict:
    """Reference for the exercise of the same name."""
    if min(max_epochs, patience, batch_size) < 1:
        raise ValueError("max_epochs, patience and batch_size must be at least 1")
    if len(train[0]) != len(train[1]) or len(val[0]) != len(val[1]):
        raise ValueError("the inputs and labels of train or val differ in length")
    x_train, y_train = train
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best_loss, best_epoch, best_state = float("inf"), 0, None
    for epoch in range(max_epochs):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(x_train), generator=generator).split(batch_size):
            images = x_train[batch] if augment is None else augment(x_train[batch])
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), y_train[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history["train_loss"].append(total / len(x_train))
        model.eval()
        with torch.no_grad():
            logits = model(val[0])
            val_loss = F.cross_entropy(logits, val[1]).item()
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append((logits.argmax(dim=1) == val[1]).float().mean().item())
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            best_state = {key: value.detach().clone() for key, value in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    history["best_epoch"] = best_epoch
    return history
