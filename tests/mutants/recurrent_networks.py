"""Plausible wrong answers to lecture 04's exercises; each must fail a hidden scenario.

Every mutant is self-contained (the demo class pastes its source into a notebook): it uses only
numpy, torch and graded names. The graded helper a mutant calls (``rnn_step``) is the
reference's here (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from solutions.recurrent_networks import clip_grad_norm, rnn_backward, rnn_forward, rnn_step, softmax_readout  # noqa: F401
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.recurrent_networks")
mutant = catalogue.mutant


# --- rnn_step --------------------------------------------------------------------------------------

@mutant("rnn_step", "weights not transposed (x_t @ W_hh and h_prev @ W_xh swapped roles)")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b)


@mutant("rnn_step", "no tanh (a linear recurrence)")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    return x_t @ W_xh.T + h_prev @ W_hh.T + b


@mutant("rnn_step", "bias forgotten")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)


@mutant("rnn_step", "no error for a wrong number of features")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    return np.tanh(x_t[:, :W_xh.shape[1]] @ W_xh[:, :x_t.shape[1]].T + h_prev @ W_hh.T + b)


@mutant("rnn_step", "sigmoid instead of tanh")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    return 1.0 / (1.0 + np.exp(-(x_t @ W_xh.T + h_prev @ W_hh.T + b)))


@mutant("rnn_step", "updates h_prev in place")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    h_prev[:] = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b)
    return h_prev


# --- rnn_forward -----------------------------------------------------------------------------------

@mutant("rnn_forward", "every step starts from h0 (the state is not carried)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    for t in range(x.shape[1]):
        hs[:, t] = rnn_step(x[:, t], h0, W_xh, W_hh, b)
    return hs


@mutant("rnn_forward", "returns h0 .. h_{T-1} (off by one)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    h = h0
    for t in range(x.shape[1]):
        hs[:, t] = h
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
    return hs


@mutant("rnn_forward", "ignores h0 (starts from zeros)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    h = np.zeros_like(h0)
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
        hs[:, t] = h
    return hs


@mutant("rnn_forward", "reads the sequence backwards in time")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    h = h0
    for t in reversed(range(x.shape[1])):
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
        hs[:, t] = h
    return hs


@mutant("rnn_forward", "stacks the states time-major, shape (T, N, H)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    hs = np.zeros((x.shape[1], x.shape[0], h0.shape[1]))
    h = h0
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
        hs[t] = h
    return hs


# --- rnn_backward ----------------------------------------------------------------------------------

@mutant("rnn_backward", "truncated to one step (the gradient from later steps is not carried back)")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = grad_hs[:, t] * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "tanh's derivative forgotten")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = grad_hs[:, t] + carried
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "dW_hh uses h_t instead of h_{t-1}")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t]
        grad_pre = (grad_hs[:, t] + carried) * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "dW_hh transposed (h_{t-1}^T delta instead of delta^T h_{t-1})")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = (grad_hs[:, t] + carried) * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += before.T @ grad_pre
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "derivative of tanh taken at h_{t-1} instead of h_t")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = (grad_hs[:, t] + carried) * (1.0 - before ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "gradient carried back through W_hh.T instead of W_hh")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = (grad_hs[:, t] + carried) * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh.T
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "accumulates into grad_hs in place")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        grad_pre = grad_hs[:, t] * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ before
        grads["b"] += grad_pre.sum(axis=0)
        if t > 0:
            grad_hs[:, t - 1] += grad_pre @ W_hh
        else:
            grads["h0"] = grad_pre @ W_hh
    return grads


# --- clip_grad_norm --------------------------------------------------------------------------------

@mutant("clip_grad_norm", "the squared norm sum(g^2) used as the norm (the notes' erratum)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(sum(np.sum(g ** 2) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


@mutant("clip_grad_norm", "each array clipped by its own norm")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    out = []
    for g in grads:
        n = float(np.sqrt(np.sum(g ** 2)))
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out, float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


@mutant("clip_grad_norm", "scales in place (the caller's arrays change)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm


@mutant("clip_grad_norm", "always rescales to max_norm (also scales small gradients up)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * (max_norm / max(norm, 1e-12)) for g in grads], norm


@mutant("clip_grad_norm", "returns the norm after clipping")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * min(1.0, max_norm / max(norm, 1e-12)) for g in grads], min(norm, float(max_norm))


@mutant("clip_grad_norm", "clips each entry to [-max_norm, max_norm] (clipping by value)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [np.clip(g, -max_norm, max_norm) for g in grads], norm


@mutant("clip_grad_norm", "no error for max_norm <= 0")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


@mutant("clip_grad_norm", "returns the norm as a numpy float")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads) + np.float64(0.0))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


@mutant("clip_grad_norm", "returns the caller's own list and arrays when nothing needs clipping")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in grads)))
    if norm <= max_norm:
        return grads, norm
    return [np.asarray(g, dtype=np.float64) * (max_norm / norm) for g in grads], norm


@mutant("clip_grad_norm", "keeps each gradient's dtype (float32 stays float32)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [(g * scale).astype(g.dtype) for g in grads], norm


# --- lstm_step -------------------------------------------------------------------------------------

@mutant("lstm_step", "gates read in the order i, f, o, g (the notes' stacking, not torch's)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zo, zg = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c), c


@mutant("lstm_step", "naive sigmoid 1 / (1 + exp(-z)): overflows for large negative pre-activations")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c), c


@mutant("lstm_step", "h = o * c (tanh of the cell state forgotten)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * c, c


@mutant("lstm_step", "sigmoid on the candidate g instead of tanh")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * _sig(zg)
    return _sig(zo) * np.tanh(c), c


@mutant("lstm_step", "bias_hh forgotten")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c), c


@mutant("lstm_step", "forget and input gates swapped")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zf, zi, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c), c


@mutant("lstm_step", "the cell state updated in place in c_prev")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c_prev *= _sig(zf)
    c_prev += _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c_prev), c_prev


@mutant("lstm_step", "returns (c, h) instead of (h, c)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return c, _sig(zo) * np.tanh(c)


@mutant("lstm_step", "keeps the inputs' dtype (float32 inputs give float32 states)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    def _sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = _sig(zf) * c_prev + _sig(zi) * np.tanh(zg)
    return _sig(zo) * np.tanh(c), c


# --- CharLSTM --------------------------------------------------------------------------------------

@mutant("CharLSTM", "nn.LSTM without batch_first (reads the batch axis as time)")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs), state


@mutant("CharLSTM", "num_layers ignored (always one layer)")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs), state


@mutant("CharLSTM", "the state argument ignored (always starts from zeros)")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens))
        return self.head(outputs), state


@mutant("CharLSTM", "returns probabilities (softmax) instead of logits")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return torch.softmax(self.head(outputs), dim=-1), state


@mutant("CharLSTM", "predicts from the last time step only")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs[:, -1:]), state


@mutant("CharLSTM", "a tanh between the LSTM and the read-out")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(torch.tanh(outputs)), state


# --- lm_train_step ---------------------------------------------------------------------------------

@mutant("lm_train_step", "gradients never zeroed (they accumulate across steps)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "clips after optimizer.step() (the update is not clipped)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    optimizer.step()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "no clipping at all (returns the norm without rescaling)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "clips each parameter's gradient by value (clip_grad_value_)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    torch.nn.utils.clip_grad_value_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "targets not flattened like the logits (time and batch mixed up)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.T.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "loss summed over characters instead of averaged")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "model left in eval mode")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "returns tensors instead of floats")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.detach(), norm


# --- sample ----------------------------------------------------------------------------------------

@mutant("sample", "multiplies the logits by the temperature instead of dividing")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] * temperature, dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "the state is not carried (each character read from a zero state)")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, _ = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, _ = model(torch.tensor([[token]]), None)
    return drawn


@mutant("sample", "only the prompt's last character is read")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt[-1:]]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "greedy (argmax) instead of sampling")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            token = int(torch.argmax(logits[0, -1]))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "draws from torch's global generator instead of the one given")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(p, 1))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "returns the prompt followed by the new characters")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = list(prompt)
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "model left in training mode (dropout active while sampling)")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "no error for a zero temperature or an empty prompt")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt], dtype=torch.int64).reshape(1, -1), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / max(temperature, 1e-3), dim=0)
            token = int(torch.multinomial(p, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


@mutant("sample", "re-reads the last 8 characters from a zero state for every draw (a window, no carried state)")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    read = list(prompt)
    with torch.no_grad():
        for _ in range(length):
            logits, _ = model(torch.tensor([read[-8:]]), None)
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            read.append(int(torch.multinomial(p, 1, generator=generator)))
    return read[len(prompt):]


@mutant("sample", "returns a tensor of ids instead of a list of ints")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    if temperature <= 0 or len(prompt) == 0:
        raise ValueError("bad arguments")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            p = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = torch.multinomial(p, 1, generator=generator)
            drawn.append(int(token))
            logits, state = model(token.reshape(1, 1), state)
    return torch.tensor(drawn, dtype=torch.int64)


# --- rnn_step and rnn_forward: the shape rules ---------------------------------------------------

@mutant("rnn_step", "checks only the input's features: a single state broadcasts over the batch")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError("shape mismatch")
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b)


@mutant("rnn_step", "computed in the input's dtype (float32 in, float32 out)")
def rnn_step(x_t, h_prev, W_xh, W_hh, b):  # noqa: F811
    if x_t.shape[1] != W_xh.shape[1] or h_prev.shape != (x_t.shape[0], W_hh.shape[0]) or b.shape != (W_hh.shape[0],):
        raise ValueError("shape mismatch")
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b)


@mutant("rnn_forward", "no check of h0: one initial state broadcasts over the sequences")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    n, t, _ = x.shape
    hs = np.zeros((n, t, h0.shape[1]))
    h = np.broadcast_to(h0, (n, h0.shape[1]))
    for step in range(t):
        h = np.tanh(x[:, step] @ W_xh.T + h @ W_hh.T + b)
        hs[:, step] = h
    return hs


@mutant("rnn_forward", "states stored in the input's dtype")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    if h0.shape[0] != x.shape[0]:
        raise ValueError("h0 does not match")
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]), dtype=x.dtype)
    h = h0
    for step in range(x.shape[1]):
        h = np.tanh(x[:, step] @ W_xh.T + h @ W_hh.T + b)
        hs[:, step] = h
    return hs


# --- softmax_readout -------------------------------------------------------------------------------

def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_targets(hs, W_hy, targets):
    if targets.shape != hs.shape[:2] or np.any(targets < -1) or np.any(targets >= W_hy.shape[0]) or not np.any(targets >= 0):
        raise ValueError("bad targets")


@mutant("softmax_readout", "gradient at the logits is p, without subtracting the one-hot target")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].mean()
    grad = np.exp(log_p) * (targets >= 0)[..., None] / len(n)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "the loss is summed over positions, but the gradient is of the mean")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].sum()
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad *= (targets >= 0)[..., None] / len(n)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "divides by all N * T positions, not by the scored ones")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].sum() / targets.size
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad *= (targets >= 0)[..., None] / targets.size
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "unmasked gradient: positions without a target still send p into the states")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].mean()
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad /= len(n)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "gradient into the states through W_hy transposed the wrong way (uses W_hy.T)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].mean()
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad *= (targets >= 0)[..., None] / len(n)
    grad_hs = grad @ W_hy if W_hy.shape[0] != W_hy.shape[1] else grad @ W_hy.T
    return float(loss), {"hs": grad_hs, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "naive softmax: exp of the raw logits overflows for large logits")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    logits = hs @ W_hy.T + b_y
    p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    n, t = np.nonzero(targets >= 0)
    loss = -np.log(p[n, t, targets[n, t]]).mean()
    grad = p.copy()
    grad[n, t, targets[n, t]] -= 1.0
    grad *= (targets >= 0)[..., None] / len(n)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "no check of the targets: -1 is used as an index (the last class)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.indices(targets.shape).reshape(2, -1)
    loss = -log_p[n, t, targets[n, t]].mean()
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad /= len(n)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


# --- lstm_backward ---------------------------------------------------------------------------------

def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    return _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)


def _lstm_result(grad_z, grad_c_prev, x_t, h_prev, weight_ih, weight_hh):
    return {"x_t": grad_z @ weight_ih, "h_prev": grad_z @ weight_hh, "c_prev": grad_c_prev,
            "weight_ih": grad_z.T @ x_t, "weight_hh": grad_z.T @ h_prev,
            "bias_ih": grad_z.sum(axis=0), "bias_hh": grad_z.sum(axis=0)}


@mutant("lstm_backward", "the path from c through h is forgotten (only grad_c reaches the cell)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "tanh' taken at c instead of 1 - tanh(c)^2")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    c = f * c_prev + i * g
    dc = grad_c + grad_h * o * (1 - c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * np.tanh(c) * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "gate blocks in the lecture notes' order (i, f, o, g) instead of torch's")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zo, zg = np.split(z, 4, axis=1)
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), grad_h * tanh_c * o * (1 - o),
                             dc * i * (1 - g ** 2)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "the gradient to c_prev ignores the forget gate")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "sigmoid' written as s instead of s(1 - s)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i, dc * c_prev * f, dc * i * (1 - g ** 2), grad_h * tanh_c * o], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "weight gradients averaged over the batch instead of summed")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    grads = _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        grads[key] = grads[key] / len(x_t)
    return grads


@mutant("lstm_backward", "a naive sigmoid 1 / (1 + exp(-z)) that overflows")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = (1 / (1 + np.exp(-zi)), 1 / (1 + np.exp(-zf)), np.tanh(zg), 1 / (1 + np.exp(-zo)))
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


@mutant("lstm_backward", "no shape check: a single row of grad_h broadcasts over the batch")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)


# --- train_rnn -------------------------------------------------------------------------------------

_NAMES = ("W_xh", "W_hh", "b", "W_hy", "b_y")


def _gradients(params, x, targets):
    h0 = np.zeros((x.shape[0], params["W_hh"].shape[0]))
    hs = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b"])
    loss, out = softmax_readout(hs, params["W_hy"], params["b_y"], targets)
    inner = rnn_backward(out["hs"], x, h0, hs, params["W_xh"], params["W_hh"])
    return loss, [inner["W_xh"], inner["W_hh"], inner["b"], out["W_hy"], out["b_y"]]


@mutant("train_rnn", "parameters replaced by new arrays instead of updated in place")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history = []
    for x, targets in batches:
        loss, grads = _gradients(params, x, targets)
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES, grads):
            params[name] = params[name] - lr * grad
    return history


@mutant("train_rnn", "each array clipped on its own instead of by the global norm")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history = []
    for x, targets in batches:
        loss, grads = _gradients(params, x, targets)
        norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        if max_norm is not None:
            grads = [clip_grad_norm([g], max_norm)[0][0] for g in grads]
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES, grads):
            params[name] -= lr * grad
    return history


@mutant("train_rnn", "the read-out W_hy and b_y are never updated")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history = []
    for x, targets in batches:
        loss, grads = _gradients(params, x, targets)
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES[:3], grads[:3]):
            params[name] -= lr * grad
    return history


@mutant("train_rnn", "the state is carried from one batch to the next")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history, carried = [], None
    for x, targets in batches:
        h0 = np.zeros((x.shape[0], params["W_hh"].shape[0]))
        if carried is not None and carried.shape == h0.shape:
            h0 = carried
        hs = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b"])
        carried = hs[:, -1]
        loss, out = softmax_readout(hs, params["W_hy"], params["b_y"], targets)
        inner = rnn_backward(out["hs"], x, h0, hs, params["W_xh"], params["W_hh"])
        grads = [inner["W_xh"], inner["W_hh"], inner["b"], out["W_hy"], out["b_y"]]
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES, grads):
            params[name] -= lr * grad
    return history


@mutant("train_rnn", "the norm recorded after clipping")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history = []
    for x, targets in batches:
        loss, grads = _gradients(params, x, targets)
        if max_norm is not None:
            grads, _ = clip_grad_norm(grads, max_norm)
        norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES, grads):
            params[name] -= lr * grad
    return history


@mutant("train_rnn", "gradient ascent (the update adds the gradient)")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError("bad settings")
    history = []
    for x, targets in batches:
        loss, grads = _gradients(params, x, targets)
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        if not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES, grads):
            params[name] += lr * grad
    return history


@mutant("train_rnn", "no stop on a non-finite loss, and settings checked only inside the loop")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    history = []
    for x, targets in batches:
        if lr <= 0:
            raise ValueError("bad lr")
        loss, grads = _gradients(params, x, targets)
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        for name, grad in zip(_NAMES, grads):
            params[name] -= lr * grad
    return history


@mutant("CharLSTM", "the model converted to float64 (logits are no longer float32)")
class CharLSTM(nn.Module):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)
        self.double()

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs), state


@mutant("softmax_readout", "computed in the inputs' dtype (float32 in, float32 gradients out)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    _check_targets(hs, W_hy, targets)
    log_p = _log_softmax(hs @ W_hy.T + b_y)
    n, t = np.nonzero(targets >= 0)
    loss = -log_p[n, t, targets[n, t]].mean()
    grad = np.exp(log_p)
    grad[n, t, targets[n, t]] -= 1.0
    grad *= ((targets >= 0)[..., None] / len(n)).astype(grad.dtype)
    return float(loss), {"hs": grad @ W_hy, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("lstm_backward", "computed in the inputs' dtype (float32 in, float32 gradients out)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError("shape mismatch")
    i, f, g, o = _gates(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c ** 2)
    grad_z = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             grad_h * tanh_c * o * (1 - o)], axis=1)
    return _lstm_result(grad_z, dc * f, x_t, h_prev, weight_ih, weight_hh)
