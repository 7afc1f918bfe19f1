"""Plausible wrong answers to lecture 04's exercises; each must fail a hidden scenario.

Every mutant is self-contained (the demo class pastes its source into a notebook): it uses only
numpy, torch and graded names. The graded helper a mutant calls (``rnn_step``) is the
reference's here (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from solutions.recurrent_networks import rnn_step  # noqa: F401
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
