"""Plausible wrong answers to lecture 03's exercises; each must fail a hidden scenario.

Every mutant is self-contained (the demo class pastes its source into a notebook): it uses only
numpy, torch and graded names. Graded helpers a mutant calls (``conv_output_size``, ``im2col``) are
the reference's here (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
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


# --- conv2d_naive (each mutant is self-contained: the demo class pastes it into a notebook) ------------

@mutant("conv2d_naive", "convolution instead of correlation (kernel flipped)")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    flipped = weight[:, :, ::-1, ::-1]
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.sum(window * flipped[k]) + bias[k]
    return out


@mutant("conv2d_naive", "padding on one side only (bottom and right)")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.sum(window * weight[k]) + bias[k]
    return out


@mutant("conv2d_naive", "windows move by 1 pixel whatever the stride")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i:i + kh, j:j + kw]
                    out[n, k, i, j] = np.sum(window * weight[k]) + bias[k]
    return out


@mutant("conv2d_naive", "bias forgotten")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.sum(window * weight[k])
    return out


@mutant("conv2d_naive", "averages over input channels instead of summing")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.mean(np.sum(window * weight[k], axis=(1, 2))) + bias[k]
    return out


@mutant("conv2d_naive", "sums the image's channels first, then uses input channel 0 of each kernel")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x.sum(axis=1), ((0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.sum(window * weight[k, 0]) + bias[k]
    return out


@mutant("conv2d_naive", "no channel check: 1-channel images broadcast silently against 3-channel kernels")
def conv2d_naive(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, _, height, width = x.shape
    c_out, _, kh, kw = weight.shape
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, k, i, j] = np.sum(window * weight[k]) + bias[k]
    return out


# --- conv2d_backward ---------------------------------------------------------------------------------

@mutant("conv2d_backward", "input gradient not cropped: returned with the padding")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], weight)
            grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    return grad_padded, grad_weight, grad_out.sum(axis=(0, 2, 3))


@mutant("conv2d_backward", "input gradient with the kernel flipped a second time")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    flipped = weight[:, :, ::-1, ::-1]
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], flipped)
            grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_out.sum(axis=(0, 2, 3))


@mutant("conv2d_backward", "stride ignored when placing the windows")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            window = padded[:, :, i:i + kh, j:j + kw]
            grad_padded[:, :, i:i + kh, j:j + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], weight)
            grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_out.sum(axis=(0, 2, 3))


@mutant("conv2d_backward", "bias gradient summed over the batch only")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], weight)
            grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_out.sum(axis=0)


@mutant("conv2d_backward", "weight gradient from the first image only (not summed over the batch)")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], weight)
            grad_weight += np.einsum("k,cab->kcab", grad_out[0, :, i, j], window[0])
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_out.sum(axis=(0, 2, 3))


@mutant("conv2d_backward", "grad_bias keeps float32 for float32 inputs (the docstring promises float64)")
def conv2d_backward(grad_out, x, weight, stride=1, padding=0):  # noqa: F811
    _, _, h_out, w_out = grad_out.shape
    _, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros(padded.shape), np.zeros(weight.shape)
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            grad_padded[:, :, top:top + kh, left:left + kw] += np.einsum("nk,kcab->ncab", grad_out[:, :, i, j], weight)
            grad_weight += np.einsum("nk,ncab->kcab", grad_out[:, :, i, j], window)
    grad_x = grad_padded[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return grad_x, grad_weight, grad_out.sum(axis=(0, 2, 3))


# --- im2col and conv2d_im2col --------------------------------------------------------------------------

@mutant("im2col", "rows ordered kernel offset first, channel second (does not match weight.reshape)")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    n_images, channels, height, width = x.shape
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n_images, kh, kw, channels, h_out, w_out))
    for a in range(kh):
        for b in range(kw):
            cols[:, a, b] = padded[:, :, a:a + stride * (h_out - 1) + 1:stride, b:b + stride * (w_out - 1) + 1:stride]
    return cols.reshape(n_images, channels * kh * kw, h_out * w_out)


@mutant("im2col", "columns ordered column by column instead of row by row")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    n_images, channels, height, width = x.shape
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n_images, channels, kh, kw, w_out, h_out))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, :, a:a + stride * (h_out - 1) + 1:stride, b:b + stride * (w_out - 1) + 1:stride]
            cols[:, :, a, b] = np.swapaxes(block, -1, -2)
    return cols.reshape(n_images, channels * kh * kw, h_out * w_out)


@mutant("im2col", "stride ignored: windows taken at every pixel, then cut to size")
def im2col(x, kh, kw, stride=1, padding=0):  # noqa: F811
    n_images, channels, height, width = x.shape
    h_out, w_out = conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n_images, channels, kh, kw, h_out, w_out))
    for a in range(kh):
        for b in range(kw):
            cols[:, :, a, b] = padded[:, :, a:a + h_out, b:b + w_out]
    return cols.reshape(n_images, channels * kh * kw, h_out * w_out)


@mutant("conv2d_im2col", "float32 inputs give a float32 result (the docstring promises float64)")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channels")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    out = weight.reshape(c_out, -1) @ im2col(x, kh, kw, stride, padding) + bias[:, None]
    return out.reshape(n_images, c_out, h_out, w_out)


@mutant("conv2d_im2col", "result reshaped to (N, H_out, W_out, C_out) order without moving the channels")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    out = weight.reshape(c_out, -1) @ im2col(x, kh, kw, stride, padding) + bias[:, None]
    return np.swapaxes(out, 1, 2).reshape(n_images, h_out, w_out, c_out).reshape(n_images, c_out, h_out, w_out)


@mutant("conv2d_im2col", "bias added to every column index instead of every channel")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    out = weight.reshape(c_out, -1) @ im2col(x, kh, kw, stride, padding)
    out = out + np.resize(bias, out.shape[-1])
    return out.reshape(n_images, c_out, h_out, w_out)


@mutant("conv2d_im2col", "kernel flipped before the product (convolution)")
def conv2d_im2col(x, weight, bias, stride=1, padding=0):  # noqa: F811
    n_images, c_in, height, width = x.shape
    c_out, c_in_w, kh, kw = weight.shape
    if c_in != c_in_w:
        raise ValueError("channel mismatch")
    h_out = conv_output_size(height, kh, stride, padding)
    w_out = conv_output_size(width, kw, stride, padding)
    flipped = weight[:, :, ::-1, ::-1]
    out = flipped.reshape(c_out, -1) @ im2col(x, kh, kw, stride, padding) + bias[:, None]
    return out.reshape(n_images, c_out, h_out, w_out)


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


@mutant("max_pool_backward", "the last tied maximum gets the gradient")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    n_images, channels, h_out, w_out = grad_out.shape
    grad_x = np.zeros(x.shape)
    for n in range(n_images):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].ravel()
                    last = window.size - 1 - np.argmax(window[::-1])
                    grad_x[n, c, i * stride + last // size, j * stride + last % size] += grad_out[n, c, i, j]
    return grad_x


@mutant("max_pool_backward", "overlapping windows overwrite instead of adding up")
def max_pool_backward(grad_out, x, size, stride):  # noqa: F811
    n_images, channels, h_out, w_out = grad_out.shape
    grad_x = np.zeros(x.shape)
    for n in range(n_images):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    first = np.argmax(x[n, c, i * stride:i * stride + size, j * stride:j * stride + size])
                    grad_x[n, c, i * stride + first // size, j * stride + first % size] = grad_out[n, c, i, j]
    return grad_x


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

@mutant("DigitsCNN", "no ReLU after the convolutions")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "average pooling instead of max pooling")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "second convolution without padding (32 x 1 x 1 features)")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "softmax probabilities returned instead of logits")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.softmax(self.fc(x.flatten(start_dim=1)), dim=1)


@mutant("DigitsCNN", "convolutions without bias")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(start_dim=1))


@mutant("DigitsCNN", "features flattened channels-last (a permuted order for the linear layer)")
class DigitsCNN(nn.Module):  # noqa: F811
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

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


@mutant("conv2d_backward_strided", "stride ignored: G is not spread out before the full correlation")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    height, width = input_size
    kh, kw = weight.shape[2:]
    big = np.zeros((grad_out.shape[0], grad_out.shape[1], height + 2 * padding + kh - 1, width + 2 * padding + kw - 1))
    big[:, :, kh - 1:kh - 1 + grad_out.shape[2], kw - 1:kw - 1 + grad_out.shape[3]] = grad_out
    rotated = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    out = conv2d_im2col(big, rotated, np.zeros(weight.shape[1]))
    return out[:, :, padding:padding + height, padding:padding + width]


def _strided_reference(grad_out, weight, input_size, stride, padding, rotate=True, crop_from_start=False):
    n_images, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    height, width = input_size
    dilated = np.zeros((n_images, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = grad_out
    extra_h = height + 2 * padding - ((h_out - 1) * stride + kh)
    extra_w = width + 2 * padding - ((w_out - 1) * stride + kw)
    dilated = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1 + extra_h), (kw - 1, kw - 1 + extra_w)))
    kernel = weight[:, :, ::-1, ::-1] if rotate else weight
    grad_padded = conv2d_im2col(dilated, kernel.transpose(1, 0, 2, 3), np.zeros(c_in))
    if crop_from_start:
        return grad_padded[:, :, :height, :width]
    return grad_padded[:, :, padding:padding + height, padding:padding + width]


@mutant("conv2d_backward_strided", "kernel not rotated (a correlation with the kernel as it is)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _strided_reference(grad_out, weight, input_size, stride, padding, rotate=False)


@mutant("conv2d_backward_strided", "padding cut from the end only (the gradient is shifted by the padding)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _strided_reference(grad_out, weight, input_size, stride, padding, crop_from_start=True)


@mutant("conv2d_backward_strided", "rows and columns no window reads are dropped (the result is too small)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    n_images, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dilated = np.zeros((n_images, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = grad_out
    dilated = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    grad_padded = conv2d_im2col(dilated, weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), np.zeros(c_in))
    return grad_padded[:, :, padding:padding + input_size[0], padding:padding + input_size[1]]


@mutant("conv2d_backward_strided", "no check that the input size fits the output size")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    if grad_out.shape[1] != weight.shape[0]:
        raise ValueError("channels")
    return _strided_reference(grad_out, weight, input_size, stride, padding)


@mutant("conv2d_backward_strided", "no channel check (1 channel of grad_out broadcasts over the kernels)")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    if grad_out.shape[1] == 1:
        grad_out = np.broadcast_to(grad_out, (grad_out.shape[0], weight.shape[0], *grad_out.shape[2:]))
    return _strided_reference(grad_out, weight, input_size, stride, padding)


@mutant("conv2d_backward_strided", "float32 inputs give a float32 result")
def conv2d_backward_strided(grad_out, weight, input_size, stride=1, padding=0):  # noqa: F811
    _strided_checks(grad_out, weight, input_size, stride, padding)
    return _strided_reference(grad_out, weight, input_size, stride, padding).astype(grad_out.dtype)


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
