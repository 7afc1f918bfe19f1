"""Plausible wrong answers to lecture 03's exercises; each must fail a hidden scenario.

A multi-line exercise has one private implementation with the mistakes as keyword switches
(``_conv2d_naive``, ``_conv2d_backward``, ``_im2col``, ``_fit``...), and each mutant calls it with
one switch set; the mutants of ``DigitsCNN`` subclass ``_DigitsCNN`` and override only the method
that holds their mistake. The demo class pastes a mutant's source into a notebook together with
the private helpers it uses; besides those it uses only numpy, torch and graded names. Graded
helpers a mutant calls (``conv_output_size``, ``im2col``) are the reference's here (see
``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from solutions.convolutional_networks import conv2d_backward, conv2d_im2col, conv_output_size, im2col  # noqa: F401
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.convolutional_networks")
mutant = catalogue.mutant


# --- conv_output_size ------------------------------------------------------------------------------

@mutant("conv_output_size", "no error for a kernel that does not fit")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    return (size + 2 * padding - kernel_size) // stride + 1


@mutant("conv_output_size", "int() of a true division rounds toward zero: an overhanging kernel gets size 1")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    out = int((size + 2 * padding - kernel_size) / stride) + 1
    if out < 1:
        raise ValueError("kernel too large")
    return out


@mutant("conv_output_size", "returns a numpy float (np.floor of a true division) instead of an int")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    out = np.floor((size + 2 * padding - kernel_size) / stride) + 1
    if out < 1:
        raise ValueError("kernel too large")
    return out


@mutant("conv_output_size", "stride ignored in the output size")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    out = size + 2 * padding - kernel_size + 1
    if out < 1:
        raise ValueError("kernel too large")
    return out


@mutant("conv_output_size", "padding counted on one side only")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    out = (size + padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError("kernel too large")
    return out


@mutant("conv_output_size", "rounds up instead of down when the stride does not fit")
def conv_output_size(size, kernel_size, stride=1, padding=0):  # noqa: F811
    out = -(-(size + 2 * padding - kernel_size) // stride) + 1
    if out < 1:
        raise ValueError("kernel too large")
    return out


# --- conv2d_naive ----------------------------------------------------------------------------------------

def _conv2d_naive(x, weight, bias, stride, padding, *, check_channels=True, sum_channels_first=False,
                  pad_one_side=False, flip_kernel=False, ignore_stride=False, mean_over_channels=False,
                  add_bias=True):
    """The reference's loops, with the mistakes of the mutants below as switches."""
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if check_channels and c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    if sum_channels_first:  # one channel left, matched with input channel 0 of each kernel
        x, weight = x.sum(axis=1, keepdims=True), weight[:, :1]
    before, after = (0, 2 * padding) if pad_one_side else (padding, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))
    if flip_kernel:
        weight = weight[:, :, ::-1, ::-1]
    step = 1 if ignore_stride else stride
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * step, j * step
                    window = padded[n, :, top:top + kh, left:left + kw]
                    if mean_over_channels:
                        value = np.mean(np.sum(window * weight[k], axis=(1, 2)))
                    else:
                        value = np.sum(window * weight[k])
                    out[n, k, i, j] = value + bias[k] if add_bias else value
    return out


@mutant("conv2d_naive", "convolution instead of correlation (kernel flipped)")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, flip_kernel=True)


@mutant("conv2d_naive", "padding on one side only (bottom and right)")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, pad_one_side=True)


@mutant("conv2d_naive", "windows move by 1 pixel whatever the stride")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, ignore_stride=True)


@mutant("conv2d_naive", "bias forgotten")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, add_bias=False)


@mutant("conv2d_naive", "averages over input channels instead of summing")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, mean_over_channels=True)


@mutant("conv2d_naive", "sums the image's channels first, then uses input channel 0 of each kernel")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, sum_channels_first=True)


@mutant("conv2d_naive", "no channel check: 1-channel images broadcast silently against 3-channel kernels")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_naive(x, weight, bias, stride, padding, check_channels=False)


# --- conv2d_backward ---------------------------------------------------------------------------------

def _conv2d_backward(grad_out, x, weight, stride, padding, *, ignore_stride=False, flip_kernel=False,
                     first_image_only=False, crop=True, bias_over_batch_only=False, float32_bias=False):
    """The reference's backward pass, with the mistakes of the mutants below as switches."""
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    kernel = weight[:, :, ::-1, ::-1] if flip_kernel else weight
    step = 1 if ignore_stride else stride
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * step, j * step
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], kernel)
            if first_image_only:
                grad_weight += np.einsum("k,cab->kcab", grad_out[0, :, i, j], window[0])
            else:
                grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width] if crop else grad_padded
    if bias_over_batch_only:
        grad_bias = grad_out.sum(axis=0)
    elif float32_bias:
        grad_bias = grad_out.sum(axis=(0, 2, 3))
    else:
        grad_bias = grad_out.sum(axis=(0, 2, 3), dtype=np.float64)
    return grad_x, grad_weight, grad_bias


@mutant("conv2d_backward", "input gradient not cropped: returned with the padding")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, crop=False)


@mutant("conv2d_backward", "input gradient with the kernel flipped a second time")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, flip_kernel=True)


@mutant("conv2d_backward", "stride ignored when placing the windows")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, ignore_stride=True)


@mutant("conv2d_backward", "bias gradient summed over the batch only")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, bias_over_batch_only=True)


@mutant("conv2d_backward", "weight gradient from the first image only (not summed over the batch)")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, first_image_only=True)


@mutant("conv2d_backward", "grad_bias keeps float32 for float32 inputs (the docstring promises float64)")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    return _conv2d_backward(grad_out, x, weight, stride, padding, float32_bias=True)


# --- im2col and conv2d_im2col --------------------------------------------------------------------------

def _im2col(x, kh, kw, stride, padding, *, offset_first=False, column_by_column=False, ignore_stride=False):
    """The reference's columns, with the mistakes of the mutants below as switches."""
    n_images, channels, height, width = x.shape
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    if offset_first:
        cols = np.empty((n_images, kh, kw, channels, h_out, w_out), dtype=padded.dtype)
    elif column_by_column:
        cols = np.empty((n_images, channels, kh, kw, w_out, h_out), dtype=padded.dtype)
    else:
        cols = np.empty((n_images, channels, kh, kw, h_out, w_out), dtype=padded.dtype)
    for a in range(kh):
        for b in range(kw):
            if ignore_stride:  # windows at every pixel, cut to the output size
                block = padded[:, :, a:a + h_out, b:b + w_out]
            else:
                block = padded[:, :, a:a + stride * (h_out - 1) + 1:stride, b:b + stride * (w_out - 1) + 1:stride]
            if offset_first:
                cols[:, a, b] = block
            elif column_by_column:
                cols[:, :, a, b] = np.swapaxes(block, -1, -2)
            else:
                cols[:, :, a, b] = block
    return cols.reshape(n_images, channels * kh * kw, h_out * w_out)


@mutant("im2col", "rows ordered kernel offset first, channel second (does not match weight.reshape)")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    return _im2col(x, kh, kw, stride, padding, offset_first=True)


@mutant("im2col", "columns ordered column by column instead of row by row")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    return _im2col(x, kh, kw, stride, padding, column_by_column=True)


@mutant("im2col", "stride ignored: windows taken at every pixel, then cut to size")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    return _im2col(x, kh, kw, stride, padding, ignore_stride=True)


def _conv2d_im2col(x, weight, bias, stride, padding, *, keep_dtype=False, flip_kernel=False, bias_by_column=False,
                   channels_last_reshape=False):
    """The reference's matrix product, with the mistakes of the mutants below as switches."""
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    cols = im2col(x if keep_dtype else np.asarray(x, dtype=np.float64), kh, kw, stride, padding)
    kernel = weight[:, :, ::-1, ::-1] if flip_kernel else weight
    out = kernel.reshape(c_out, -1) @ cols
    if bias_by_column:
        out = out + np.resize(bias, out.shape[-1])
    else:
        out = out + bias[:, None]
    if channels_last_reshape:
        return np.swapaxes(out, 1, 2).reshape(n_images, h_out, w_out, c_out).reshape(n_images, c_out, h_out, w_out)
    return out.reshape(n_images, c_out, h_out, w_out)


@mutant("conv2d_im2col", "float32 inputs give a float32 result (the docstring promises float64)")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_im2col(x, weight, bias, stride, padding, keep_dtype=True)


@mutant("conv2d_im2col", "result reshaped to (N, H_out, W_out, C_out) order without moving the channels")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_im2col(x, weight, bias, stride, padding, channels_last_reshape=True)


@mutant("conv2d_im2col", "bias added to every column index instead of every channel")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_im2col(x, weight, bias, stride, padding, bias_by_column=True)


@mutant("conv2d_im2col", "kernel flipped before the product (convolution)")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    return _conv2d_im2col(x, weight, bias, stride, padding, flip_kernel=True)


@mutant("conv2d_im2col", "no check that the channels match")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images = x.shape[0]
    c_out, _, kh, kw = weight.shape
    h_out = conv_output_size(x.shape[2], kh, stride, padding)
    w_out = conv_output_size(x.shape[3], kw, stride, padding)
    cols = im2col(x, kh, kw, stride, padding)
    flat = weight.reshape(c_out, -1)
    size = min(flat.shape[1], cols.shape[1])
    out = flat[:, :size] @ cols[:, :size] + bias[:, None]
    return out.reshape(n_images, c_out, h_out, w_out)


# --- max pooling -------------------------------------------------------------------------------------

@mutant("max_pool_forward", "average pooling instead of max pooling")
def max_pool_forward(x, size, stride):  # noqa: F811
    return F.avg_pool2d(torch.as_tensor(x), size, stride).numpy()


@mutant("max_pool_forward", "stride ignored: windows at every pixel")
def max_pool_forward(x, size, stride):  # noqa: F811
    return F.max_pool2d(torch.as_tensor(x), size, 1).numpy()


@mutant("max_pool_forward", "partial windows at the border kept (ceil mode)")
def max_pool_forward(x, size, stride):  # noqa: F811
    return F.max_pool2d(torch.as_tensor(x), size, stride, ceil_mode=True).numpy()


@mutant("max_pool_forward", "maximum of the absolute values")
def max_pool_forward(x, size, stride):  # noqa: F811
    return F.max_pool2d(torch.as_tensor(np.abs(x)), size, stride).numpy()


@mutant("max_pool_backward", "gradient spread evenly over the window instead of routed to the maximum")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    grad_x = np.zeros(x.shape)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            top, left = i * stride, j * stride
            grad_x[:, :, top:top + size, left:left + size] += grad_out[:, :, i, j, None, None] / size ** 2
    return grad_x


@mutant("max_pool_backward", "every tied maximum gets the full gradient")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    grad_x = np.zeros(x.shape)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            top, left = i * stride, j * stride
            window = x[:, :, top:top + size, left:left + size]
            winners = window == window.max(axis=(2, 3), keepdims=True)
            grad_x[:, :, top:top + size, left:left + size] += winners * grad_out[:, :, i, j, None, None]
    return grad_x


def _max_pool_backward(grad_out, x, size, stride, *, last_tie=False, overwrite=False):
    """The reference's routing written element by element, with the mistakes of the mutants below as switches."""
    n_images, channels, h_out, w_out = grad_out.shape
    grad_x = np.zeros(x.shape)
    for n in range(n_images):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].ravel()
                    winner = window.size - 1 - np.argmax(window[::-1]) if last_tie else np.argmax(window)
                    row, col = i * stride + winner // size, j * stride + winner % size
                    if overwrite:
                        grad_x[n, c, row, col] = grad_out[n, c, i, j]
                    else:
                        grad_x[n, c, row, col] += grad_out[n, c, i, j]
    return grad_x


@mutant("max_pool_backward", "the last tied maximum gets the gradient")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    return _max_pool_backward(grad_out, x, size, stride, last_tie=True)


@mutant("max_pool_backward", "overlapping windows overwrite instead of adding up")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    return _max_pool_backward(grad_out, x, size, stride, overwrite=True)


# --- receptive field and parameter count ------------------------------------------------------------------

@mutant("receptive_field", "jump taken as the current layer's stride, not the product of strides")
def receptive_field(layers):  # noqa: F811
    r, out = 1, []
    for kernel_size, stride in layers:
        r = r + (kernel_size - 1) * stride
        out.append((r, stride))
    return out


@mutant("receptive_field", "jump updated before the field grows")
def receptive_field(layers):  # noqa: F811
    r, j, out = 1, 1, []
    for kernel_size, stride in layers:
        j = j * stride
        r = r + (kernel_size - 1) * j
        out.append((r, j))
    return out


@mutant("receptive_field", "jump ignored: the field grows by k - 1 every layer")
def receptive_field(layers):  # noqa: F811
    r, j, out = 1, 1, []
    for kernel_size, stride in layers:
        r = r + kernel_size - 1
        j = j * stride
        out.append((r, j))
    return out


@mutant("receptive_field", "starts from a field of 0 instead of 1 pixel")
def receptive_field(layers):  # noqa: F811
    r, j, out = 0, 1, []
    for kernel_size, stride in layers:
        r = r + (kernel_size - 1) * j
        j = j * stride
        out.append((r, j))
    return out


@mutant("conv_parameter_count", "bias forgotten")
def conv_parameter_count(kernel_size, in_channels, out_channels):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return kh * kw * in_channels * out_channels


@mutant("conv_parameter_count", "one bias per input channel and output channel")
def conv_parameter_count(kernel_size, in_channels, out_channels):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return (kh * kw + 1) * in_channels * out_channels


@mutant("conv_parameter_count", "rectangular kernels counted as kh x kh")
def conv_parameter_count(kernel_size, in_channels, out_channels):  # noqa: F811
    kh = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    return (kh * kh * in_channels + 1) * out_channels


@mutant("conv_parameter_count", "returns a float")
def conv_parameter_count(kernel_size, in_channels, out_channels):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return float((kh * kw * in_channels + 1) * out_channels)


# --- DigitsCNN ---------------------------------------------------------------------------------------------

class _DigitsCNN(nn.Module):
    """The reference network; each mutant below overrides the one method that holds its mistake."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "no ReLU after the convolutions")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "average pooling instead of max pooling")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "second convolution without padding (32 x 1 x 1 features)")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def __init__(self):
        nn.Module.__init__(self)  # not _DigitsCNN's: its layers would draw other initial weights
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3)
        self.fc = nn.Linear(32, 10)


@mutant("DigitsCNN", "softmax probabilities returned instead of logits")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def forward(self, x):
        return F.softmax(super().forward(x), dim=1)


@mutant("DigitsCNN", "convolutions without bias")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def __init__(self):
        nn.Module.__init__(self)  # not _DigitsCNN's: its layers would draw other initial weights
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)
        self.fc = nn.Linear(32 * 2 * 2, 10)


@mutant("DigitsCNN", "features flattened channels-last (a permuted order for the linear layer)")
class DigitsCNN(_DigitsCNN):  # noqa: F811

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.permute(0, 2, 3, 1).flatten(start_dim=1))


# --- conv2d_backward_strided ----------------------------------------------------------------------------

def _strided_checks(grad_out, weight, input_size, stride, padding):
    if grad_out.shape[1] != weight.shape[0]:
        raise ValueError("channels")
    if (conv_output_size(input_size[0], weight.shape[2], stride, padding),
            conv_output_size(input_size[1], weight.shape[3], stride, padding)) != grad_out.shape[2:]:
        raise ValueError("size")


def _conv2d_backward_strided(grad_out, weight, input_size, stride, padding, *, dilate=True, pad_unread=True,
                             rotate=True, crop_from_start=False):
    """The reference's computation without its checks, with the mistakes of the mutants below as switches."""
    n_images, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    height, width = input_size
    step = stride if dilate else 1
    dilated = np.zeros((n_images, c_out, (h_out - 1) * step + 1, (w_out - 1) * step + 1))
    dilated[:, :, ::step, ::step] = grad_out
    if pad_unread:
        extra_h = height + 2 * padding - ((h_out - 1) * step + kh)
        extra_w = width + 2 * padding - ((w_out - 1) * step + kw)
    else:
        extra_h, extra_w = 0, 0
    dilated = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1 + extra_h), (kw - 1, kw - 1 + extra_w)))
    kernel = weight[:, :, ::-1, ::-1] if rotate else weight
    grad_padded = conv2d_im2col(dilated, kernel.transpose(1, 0, 2, 3), np.zeros(c_in))
    if crop_from_start:
        return grad_padded[:, :, :height, :width]
    return grad_padded[:, :, padding:padding + height, padding:padding + width]


@mutant("conv2d_backward_strided", "stride ignored: G is not spread out before the full correlation")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding, dilate=False)


@mutant("conv2d_backward_strided", "kernel not rotated (a correlation with the kernel as it is)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding, rotate=False)


@mutant("conv2d_backward_strided", "padding cut from the end only (the gradient is shifted by the padding)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding, crop_from_start=True)


@mutant("conv2d_backward_strided", "rows and columns no window reads are dropped (the result is too small)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding, pad_unread=False)


@mutant("conv2d_backward_strided", "no check that the input size fits the output size")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    if grad_out.shape[1] != weight.shape[0]:
        raise ValueError("channels")
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding)


@mutant("conv2d_backward_strided", "no channel check (1 channel of grad_out broadcasts over the kernels)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    if grad_out.shape[1] == 1:
        grad_out = np.broadcast_to(grad_out, (grad_out.shape[0], weight.shape[0], *grad_out.shape[2:]))
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding)


@mutant("conv2d_backward_strided", "float32 inputs give a float32 result")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _conv2d_backward_strided(grad_out, weight, input_size, stride, padding).astype(grad_out.dtype)


@mutant("conv2d_backward_strided", "calls conv2d_backward with a dummy input instead of a forward convolution")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    x = np.zeros((grad_out.shape[0], weight.shape[1], *input_size))
    return conv2d_backward(grad_out, x, weight, stride, padding)[0]


# --- conv_multiply_adds ------------------------------------------------------------------------------------

@mutant("conv_multiply_adds", "counts the parameters' weights only (no output positions)")
def conv_multiply_adds(kernel_size, in_channels, out_channels, output_size):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return int(kh * kw * in_channels * out_channels)


@mutant("conv_multiply_adds", "one output channel only")
def conv_multiply_adds(kernel_size, in_channels, out_channels, output_size):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    h_out, w_out = (output_size, output_size) if np.ndim(output_size) == 0 else output_size
    return int(kh * kw * in_channels * h_out * w_out)


@mutant("conv_multiply_adds", "a square output assumed (the height used twice)")
def conv_multiply_adds(kernel_size, in_channels, out_channels, output_size):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    h_out = output_size if np.ndim(output_size) == 0 else output_size[0]
    return int(kh * kw * in_channels * out_channels * h_out * h_out)


@mutant("conv_multiply_adds", "the bias counted as one more multiply-add per output")
def conv_multiply_adds(kernel_size, in_channels, out_channels, output_size):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    h_out, w_out = (output_size, output_size) if np.ndim(output_size) == 0 else output_size
    return int((kh * kw * in_channels + 1) * out_channels * h_out * w_out)


@mutant("conv_multiply_adds", "returns a numpy int for numpy sizes")
def conv_multiply_adds(kernel_size, in_channels, out_channels, output_size):  # noqa: F811
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    h_out, w_out = (output_size, output_size) if np.ndim(output_size) == 0 else output_size
    return kh * kw * in_channels * out_channels * h_out * w_out


# --- train_with_early_stopping --------------------------------------------------------------------------------

def _fit(model, optimizer, train, val, max_epochs, patience, batch_size=32, generator=None, augment=None, *,
         tie_improves=False, extra_patience=0, copy_best=True, zero_grad=True, set_train=True,
         weighted=True, augment_val=False, validate_before=False, restore=True, check=True, shuffle=True, consecutive=True):
    """A training loop with one switchable mistake (each mutant below turns one on)."""
    if check:
        for value in (max_epochs, patience, batch_size):
            if value < 1:
                raise ValueError("must be at least 1")
        for images, labels in (train, val):
            if len(images) != len(labels):
                raise ValueError("lengths differ")
    x_train, y_train = train
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best_loss, best_epoch, best_state, worse = float("inf"), 0, None, 0

    def validate():
        model.eval()
        with torch.no_grad():
            images = augment(val[0]) if (augment_val and augment is not None) else val[0]
            logits = model(images)
            return F.cross_entropy(logits, val[1]).item(), (logits.argmax(dim=1) == val[1]).float().mean().item()

    for epoch in range(max_epochs):
        if validate_before:
            val_loss, val_accuracy = validate()
        if set_train:
            model.train()
        losses, sizes = [], []
        order = torch.randperm(len(x_train), generator=generator) if shuffle else torch.arange(len(x_train))
        for batch in order.split(batch_size):
            images = x_train[batch] if augment is None else augment(x_train[batch])
            if zero_grad:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(images), y_train[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            sizes.append(len(batch))
        history["train_loss"].append(float(np.average(losses, weights=sizes if weighted else None)))
        if not validate_before:
            val_loss, val_accuracy = validate()
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if val_loss < best_loss or (tie_improves and val_loss == best_loss):
            best_loss, best_epoch = val_loss, epoch
            state = model.state_dict()
            best_state = {k: v.detach().clone() for k, v in state.items()} if copy_best else state
        else:
            worse += 1
            if (epoch - best_epoch if consecutive else worse) >= patience + extra_patience:
                break
    if restore:
        model.load_state_dict(best_state)
    model.eval()
    history["best_epoch"] = best_epoch
    return history


@mutant("train_with_early_stopping", "a tie with the best validation loss counts as an improvement")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, tie_improves=True)


@mutant("train_with_early_stopping", "stops one epoch late (patience + 1 epochs without improvement)")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, extra_patience=1)


@mutant("train_with_early_stopping", "keeps model.state_dict() itself as the best weights (a view of the live parameters)")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, copy_best=False)


@mutant("train_with_early_stopping", "gradients never zeroed (they accumulate across steps)")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, zero_grad=False)


@mutant("train_with_early_stopping", "model.train() never called (dropout off, the first epochs in eval mode)")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, set_train=False)


@mutant("train_with_early_stopping", "the epoch's training loss is the unweighted mean of the batch losses")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, weighted=False)


@mutant("train_with_early_stopping", "augment applied to the validation images too")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, augment_val=True)


@mutant("train_with_early_stopping", "validation before the epoch's training instead of after it")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, validate_before=True)


@mutant("train_with_early_stopping", "the best weights are not restored at the end")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, restore=False)


@mutant("train_with_early_stopping", "no checks of the arguments")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, check=False)


@mutant("train_with_early_stopping", "stops one epoch early (patience - 1 epochs without improvement)")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, extra_patience=-1)


@mutant("train_with_early_stopping", "no shuffling: the training examples in the same order every epoch")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, shuffle=False)


@mutant("train_with_early_stopping", "patience counts every epoch without improvement, not consecutive ones")
def train_with_early_stopping(model, optimizer, train, val, max_epochs, patience, batch_size=32,  # noqa: F811
                              generator=None, augment=None):
    return _fit(model, optimizer, train, val, max_epochs, patience, batch_size, generator, augment, consecutive=False)
