"""Plausible wrong answers to lecture 04's exercises; each must fail a hidden scenario.

A mutant uses only numpy, torch, graded names and this module's private helpers (the demo class
pastes a mutant's source with the helpers it calls). A graded function a mutant calls
(``rnn_step``, ``clip_grad_norm``) is the reference's here (see ``MutantCatalogue.mutant``), so
each mutant isolates one mistake. A multi-line exercise has one private implementation with
keyword switches (``_train_rnn(..., carry_state=False)``), defaults meaning correct, and each of
its mutants calls it with its one mistake switched on.
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

def _rnn_forward(x, h0, W_xh, W_hh, b, *, carry_state=True, store_previous=False, start_from_zeros=False,
                 backwards=False, time_major=False):
    """The forward loop with switchable mistakes (shared by the rnn_forward mutants below)."""
    n_sequences, n_steps, hidden = x.shape[0], x.shape[1], h0.shape[1]
    hs = np.zeros((n_steps, n_sequences, hidden) if time_major else (n_sequences, n_steps, hidden))
    h = np.zeros_like(h0) if start_from_zeros else h0
    for t in reversed(range(n_steps)) if backwards else range(n_steps):
        h_before = h
        h = rnn_step(x[:, t], h if carry_state else h0, W_xh, W_hh, b)
        stored = h_before if store_previous else h
        if time_major:
            hs[t] = stored
        else:
            hs[:, t] = stored
    return hs


@mutant("rnn_forward", "every step starts from h0 (the state is not carried)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    return _rnn_forward(x, h0, W_xh, W_hh, b, carry_state=False)


@mutant("rnn_forward", "returns h0 .. h_{T-1} (off by one)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    return _rnn_forward(x, h0, W_xh, W_hh, b, store_previous=True)


@mutant("rnn_forward", "ignores h0 (starts from zeros)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    return _rnn_forward(x, h0, W_xh, W_hh, b, start_from_zeros=True)


@mutant("rnn_forward", "reads the sequence backwards in time")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    return _rnn_forward(x, h0, W_xh, W_hh, b, backwards=True)


@mutant("rnn_forward", "stacks the states time-major, shape (T, N, H)")
def rnn_forward(x, h0, W_xh, W_hh, b):  # noqa: F811
    return _rnn_forward(x, h0, W_xh, W_hh, b, time_major=True)


# --- rnn_backward ----------------------------------------------------------------------------------

def _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, *, carry_back=True, accumulate_in_grad_hs=False,
                  tanh_derivative=True, derivative_at_previous=False, dW_hh_from_current=False,
                  dW_hh_transposed=False, carry_through_transpose=False):
    """Backpropagation through time with switchable mistakes (shared by the rnn_backward mutants below)."""
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        before = hs[:, t - 1] if t > 0 else h0
        if accumulate_in_grad_hs:  # adds the carried gradient into the caller's array
            grad_hs[:, t] += carried
            incoming = grad_hs[:, t]
        else:
            incoming = grad_hs[:, t] + carried if carry_back else grad_hs[:, t]
        if tanh_derivative:
            grad_pre = incoming * (1.0 - (before if derivative_at_previous else hs[:, t]) ** 2)
        else:
            grad_pre = incoming
        h_used = hs[:, t] if dW_hh_from_current else before
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += h_used.T @ grad_pre if dW_hh_transposed else grad_pre.T @ h_used
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ (W_hh.T if carry_through_transpose else W_hh)
    grads["h0"] = carried
    return grads


@mutant("rnn_backward", "truncated to one step (the gradient from later steps is not carried back)")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, carry_back=False)


@mutant("rnn_backward", "tanh's derivative forgotten")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, tanh_derivative=False)


@mutant("rnn_backward", "dW_hh uses h_t instead of h_{t-1}")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, dW_hh_from_current=True)


@mutant("rnn_backward", "dW_hh transposed (h_{t-1}^T delta instead of delta^T h_{t-1})")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, dW_hh_transposed=True)


@mutant("rnn_backward", "derivative of tanh taken at h_{t-1} instead of h_t")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, derivative_at_previous=True)


@mutant("rnn_backward", "gradient carried back through W_hh.T instead of W_hh")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, carry_through_transpose=True)


@mutant("rnn_backward", "accumulates into grad_hs in place")
def rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh):  # noqa: F811
    return _rnn_backward(grad_hs, x, h0, hs, W_xh, W_hh, accumulate_in_grad_hs=True)


# --- clip_grad_norm --------------------------------------------------------------------------------

def _global_norm(grads):
    """The norm of all the arrays taken together, as a Python float."""
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


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
        n = _global_norm([g])
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out, _global_norm(grads)


@mutant("clip_grad_norm", "scales in place (the caller's arrays change)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = _global_norm(grads)
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm


@mutant("clip_grad_norm", "always rescales to max_norm (also scales small gradients up)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = _global_norm(grads)
    return [g * (max_norm / max(norm, 1e-12)) for g in grads], norm


@mutant("clip_grad_norm", "returns the norm after clipping")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = _global_norm(grads)
    return [g * min(1.0, max_norm / max(norm, 1e-12)) for g in grads], min(norm, float(max_norm))


@mutant("clip_grad_norm", "clips each entry to [-max_norm, max_norm] (clipping by value)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    return [np.clip(g, -max_norm, max_norm) for g in grads], _global_norm(grads)


@mutant("clip_grad_norm", "no error for max_norm <= 0")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    norm = _global_norm(grads)
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
    norm = _global_norm([np.asarray(g, dtype=np.float64) for g in grads])
    if norm <= max_norm:
        return grads, norm
    return [np.asarray(g, dtype=np.float64) * (max_norm / norm) for g in grads], norm


@mutant("clip_grad_norm", "keeps each gradient's dtype (float32 stays float32)")
def clip_grad_norm(grads, max_norm):  # noqa: F811
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    norm = _global_norm([np.asarray(g, dtype=np.float64) for g in grads])
    scale = max_norm / norm if norm > max_norm else 1.0
    return [(g * scale).astype(g.dtype) for g in grads], norm


# --- lstm_step -------------------------------------------------------------------------------------

def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # 1 / (1 + e^-z) without overflow


def _naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # overflows for large negative z


def _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, gates_in_notes_order=False,
               forget_and_input_swapped=False, naive_sigmoid=False, sigmoid_candidate=False, forget_bias_hh=False,
               update_c_prev_in_place=False, tanh_of_cell=True, returns_c_first=False):
    """One LSTM step with switchable mistakes (shared by the lstm_step mutants below). Like every
    mutant here it computes in the inputs' dtype (the reference converts to float64 first)."""
    sigmoid = _naive_sigmoid if naive_sigmoid else _sigmoid
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih
    if not forget_bias_hh:
        z = z + bias_hh
    if gates_in_notes_order:
        zi, zf, zo, zg = np.split(z, 4, axis=1)
    else:
        zi, zf, zg, zo = np.split(z, 4, axis=1)
    if forget_and_input_swapped:
        zi, zf = zf, zi
    candidate = sigmoid(zg) if sigmoid_candidate else np.tanh(zg)
    if update_c_prev_in_place:
        c_prev *= sigmoid(zf)
        c_prev += sigmoid(zi) * candidate
        c = c_prev
    else:
        c = sigmoid(zf) * c_prev + sigmoid(zi) * candidate
    h = sigmoid(zo) * (np.tanh(c) if tanh_of_cell else c)
    return (c, h) if returns_c_first else (h, c)


@mutant("lstm_step", "gates read in the order i, f, o, g (the notes' stacking, not torch's)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, gates_in_notes_order=True)


@mutant("lstm_step", "naive sigmoid 1 / (1 + exp(-z)): overflows for large negative pre-activations")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, naive_sigmoid=True)


@mutant("lstm_step", "h = o * c (tanh of the cell state forgotten)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, tanh_of_cell=False)


@mutant("lstm_step", "sigmoid on the candidate g instead of tanh")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, sigmoid_candidate=True)


@mutant("lstm_step", "bias_hh forgotten")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, forget_bias_hh=True)


@mutant("lstm_step", "forget and input gates swapped")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, forget_and_input_swapped=True)


@mutant("lstm_step", "the cell state updated in place in c_prev")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, update_c_prev_in_place=True)


@mutant("lstm_step", "returns (c, h) instead of (h, c)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, returns_c_first=True)


@mutant("lstm_step", "keeps the inputs' dtype (float32 inputs give float32 states)")
def lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_step(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)  # no switch: no float64


# --- CharLSTM --------------------------------------------------------------------------------------

class _CharLSTM(nn.Module):
    """The reference model with its LSTM built by a method, so a mutant overrides only its mistake."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = self._recurrent_layer(embedding_dim, hidden_size, num_layers)
        self.head = nn.Linear(hidden_size, vocab_size)

    def _recurrent_layer(self, embedding_dim, hidden_size, num_layers):
        return nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)

    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs), state


@mutant("CharLSTM", "nn.LSTM without batch_first (reads the batch axis as time)")
class CharLSTM(_CharLSTM):  # noqa: F811
    def _recurrent_layer(self, embedding_dim, hidden_size, num_layers):
        return nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers)


@mutant("CharLSTM", "num_layers ignored (always one layer)")
class CharLSTM(_CharLSTM):  # noqa: F811
    def _recurrent_layer(self, embedding_dim, hidden_size, num_layers):
        return nn.LSTM(embedding_dim, hidden_size, batch_first=True)


@mutant("CharLSTM", "the state argument ignored (always starts from zeros)")
class CharLSTM(_CharLSTM):  # noqa: F811
    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens))
        return self.head(outputs), state


@mutant("CharLSTM", "returns probabilities (softmax) instead of logits")
class CharLSTM(_CharLSTM):  # noqa: F811
    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return torch.softmax(self.head(outputs), dim=-1), state


@mutant("CharLSTM", "predicts from the last time step only")
class CharLSTM(_CharLSTM):  # noqa: F811
    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs[:, -1:]), state


@mutant("CharLSTM", "a tanh between the LSTM and the read-out")
class CharLSTM(_CharLSTM):  # noqa: F811
    def forward(self, tokens, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(torch.tanh(outputs)), state


# --- lm_train_step ---------------------------------------------------------------------------------

def _lm_train_step(model, optimizer, inputs, targets, max_norm, *, train_mode=True, zero_grad=True,
                   targets_transposed=False, summed_loss=False, clip_by_norm=True, clip_by_value=False,
                   clip_after_step=False, returns_tensors=False):
    """One training step with switchable mistakes (shared by the lm_train_step mutants below)."""
    if train_mode:
        model.train()
    if zero_grad:
        optimizer.zero_grad()
    logits, _ = model(inputs)
    flat_targets = (targets.T if targets_transposed else targets).reshape(-1)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat_targets,
                           reduction="sum" if summed_loss else "mean")
    loss.backward()
    if clip_after_step:
        optimizer.step()
    if clip_by_norm:
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    else:
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        if clip_by_value:
            torch.nn.utils.clip_grad_value_(model.parameters(), max_norm)
    if not clip_after_step:
        optimizer.step()
    if returns_tensors:
        return loss.detach(), norm
    return float(loss.item()), float(norm)


@mutant("lm_train_step", "gradients never zeroed (they accumulate across steps)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, zero_grad=False)


@mutant("lm_train_step", "clips after optimizer.step() (the update is not clipped)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, clip_after_step=True)


@mutant("lm_train_step", "no clipping at all (returns the norm without rescaling)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, clip_by_norm=False)


@mutant("lm_train_step", "clips each parameter's gradient by value (clip_grad_value_)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, clip_by_norm=False, clip_by_value=True)


@mutant("lm_train_step", "targets not flattened like the logits (time and batch mixed up)")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, targets_transposed=True)


@mutant("lm_train_step", "loss summed over characters instead of averaged")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, summed_loss=True)


@mutant("lm_train_step", "model left in eval mode")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, train_mode=False)


@mutant("lm_train_step", "returns tensors instead of floats")
def lm_train_step(model, optimizer, inputs, targets, max_norm):  # noqa: F811
    return _lm_train_step(model, optimizer, inputs, targets, max_norm, returns_tensors=True)


# --- sample ----------------------------------------------------------------------------------------

def _sample(model, prompt, length, temperature, generator, *, check_arguments=True, eval_mode=True,
            last_character_only=False, carry_state=True, multiply_temperature=False, greedy=False,
            global_generator=False, include_prompt=False, returns_tensor=False):
    """Sampling with switchable mistakes (shared by the sample mutants below)."""
    if check_arguments:
        if temperature <= 0 or len(prompt) == 0:
            raise ValueError("bad arguments")
    else:  # no error, and nothing below fails on a zero temperature or an empty prompt either
        temperature = max(temperature, 1e-3)
    if eval_mode:
        model.eval()
    drawn = list(prompt) if include_prompt else []
    with torch.no_grad():
        read = prompt[-1:] if last_character_only else prompt
        logits, state = model(torch.tensor([read], dtype=torch.int64).reshape(1, -1), None)
        for _ in range(length):
            if greedy:
                token = int(torch.argmax(logits[0, -1]))
            else:
                scaled = logits[0, -1] * temperature if multiply_temperature else logits[0, -1] / temperature
                probabilities = torch.softmax(scaled, dim=0)
                token = int(torch.multinomial(probabilities, 1, generator=None if global_generator else generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state if carry_state else None)
    return torch.tensor(drawn, dtype=torch.int64) if returns_tensor else drawn


@mutant("sample", "multiplies the logits by the temperature instead of dividing")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, multiply_temperature=True)


@mutant("sample", "the state is not carried (each character read from a zero state)")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, carry_state=False)


@mutant("sample", "only the prompt's last character is read")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, last_character_only=True)


@mutant("sample", "greedy (argmax) instead of sampling")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, greedy=True)


@mutant("sample", "draws from torch's global generator instead of the one given")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, global_generator=True)


@mutant("sample", "returns the prompt followed by the new characters")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, include_prompt=True)


@mutant("sample", "model left in training mode (dropout active while sampling)")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, eval_mode=False)


@mutant("sample", "no error for a zero temperature or an empty prompt")
def sample(model, prompt, length, temperature, generator):  # noqa: F811
    return _sample(model, prompt, length, temperature, generator, check_arguments=False)


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
    return _sample(model, prompt, length, temperature, generator, returns_tensor=True)


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


def _softmax_readout(hs, W_hy, b_y, targets, *, check_targets=True, naive_softmax=False, summed_loss=False,
                     divide_by_all=False, subtract_target=True, masked_gradient=True, transposed_W_hy=False):
    """The read-out's loss and gradients with switchable mistakes (shared by the softmax_readout
    mutants below). Like every mutant here it computes in the inputs' dtype (the reference
    converts to float64 first)."""
    if check_targets:
        _check_targets(hs, W_hy, targets)
        n, t = np.nonzero(targets >= 0)
    else:  # -1 is used as an index (the last class): every position is scored
        n, t = np.indices(targets.shape).reshape(2, -1)
    logits = hs @ W_hy.T + b_y
    if naive_softmax:
        p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
        picked = np.log(p[n, t, targets[n, t]])
    else:
        log_p = _log_softmax(logits)
        p = np.exp(log_p)
        picked = log_p[n, t, targets[n, t]]
    count = targets.size if divide_by_all else len(n)
    loss = -picked.sum() if summed_loss else -picked.sum() / count
    grad = p
    if subtract_target:
        grad[n, t, targets[n, t]] -= 1.0
    if masked_gradient and check_targets:
        grad *= (targets >= 0)[..., None] / count
    else:  # unmasked, as without a check of the targets every position counts
        grad /= count
    grad_hs = grad @ W_hy.T if transposed_W_hy and W_hy.shape[0] == W_hy.shape[1] else grad @ W_hy
    return float(loss), {"hs": grad_hs, "W_hy": np.einsum("ntv,nth->vh", grad, hs), "b_y": grad.sum(axis=(0, 1))}


@mutant("softmax_readout", "gradient at the logits is p, without subtracting the one-hot target")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, subtract_target=False)


@mutant("softmax_readout", "the loss is summed over positions, but the gradient is of the mean")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, summed_loss=True)


@mutant("softmax_readout", "divides by all N * T positions, not by the scored ones")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, divide_by_all=True)


@mutant("softmax_readout", "unmasked gradient: positions without a target still send p into the states")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, masked_gradient=False)


@mutant("softmax_readout", "gradient into the states through W_hy transposed the wrong way (uses W_hy.T)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, transposed_W_hy=True)


@mutant("softmax_readout", "naive softmax: exp of the raw logits overflows for large logits")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, naive_softmax=True)


@mutant("softmax_readout", "no check of the targets: -1 is used as an index (the last class)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets, check_targets=False)


# --- lstm_backward ---------------------------------------------------------------------------------

def _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, *,
                   check_shapes=True, gates_in_notes_order=False, naive_sigmoid=False, path_through_h=True,
                   tanh_derivative_at_c=False, sigmoid_derivative_as_s=False, forget_gate_to_c_prev=True,
                   batch_mean=False):
    """One LSTM step's gradients with switchable mistakes (shared by the lstm_backward mutants
    below). Like every mutant here it computes in the inputs' dtype (the reference converts to
    float64 first)."""
    if check_shapes and (grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape):
        raise ValueError("shape mismatch")
    sigmoid = _naive_sigmoid if naive_sigmoid else _sigmoid
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    if gates_in_notes_order:
        zi, zf, zo, zg = np.split(z, 4, axis=1)
    else:
        zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    if not path_through_h:
        dc = grad_c
    else:
        dc = grad_c + grad_h * o * (1 - (c if tanh_derivative_at_c else tanh_c) ** 2)
    grad_i, grad_f, grad_g, grad_o = dc * g * i, dc * c_prev * f, dc * i * (1 - g ** 2), grad_h * tanh_c * o
    if not sigmoid_derivative_as_s:  # sigmoid'(z) = s (1 - s)
        grad_i, grad_f, grad_o = grad_i * (1 - i), grad_f * (1 - f), grad_o * (1 - o)
    blocks = [grad_i, grad_f, grad_o, grad_g] if gates_in_notes_order else [grad_i, grad_f, grad_g, grad_o]
    grad_z = np.concatenate(blocks, axis=1)
    grads = {"x_t": grad_z @ weight_ih, "h_prev": grad_z @ weight_hh, "c_prev": dc * f if forget_gate_to_c_prev else dc,
             "weight_ih": grad_z.T @ x_t, "weight_hh": grad_z.T @ h_prev,
             "bias_ih": grad_z.sum(axis=0), "bias_hh": grad_z.sum(axis=0)}
    if batch_mean:
        for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[key] = grads[key] / len(x_t)
    return grads


@mutant("lstm_backward", "the path from c through h is forgotten (only grad_c reaches the cell)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          path_through_h=False)


@mutant("lstm_backward", "tanh' taken at c instead of 1 - tanh(c)^2")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          tanh_derivative_at_c=True)


@mutant("lstm_backward", "gate blocks in the lecture notes' order (i, f, o, g) instead of torch's")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          gates_in_notes_order=True)


@mutant("lstm_backward", "the gradient to c_prev ignores the forget gate")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          forget_gate_to_c_prev=False)


@mutant("lstm_backward", "sigmoid' written as s instead of s(1 - s)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          sigmoid_derivative_as_s=True)


@mutant("lstm_backward", "weight gradients averaged over the batch instead of summed")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          batch_mean=True)


@mutant("lstm_backward", "a naive sigmoid 1 / (1 + exp(-z)) that overflows")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          naive_sigmoid=True)


@mutant("lstm_backward", "no shape check: a single row of grad_h broadcasts over the batch")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                          check_shapes=False)


# --- train_rnn -------------------------------------------------------------------------------------

_NAMES = ("W_xh", "W_hh", "b", "W_hy", "b_y")


def _train_rnn(params, batches, lr, max_norm=None, *, check_settings_first=True, stop_when_not_finite=True,
               carry_state=False, clip_each_array=False, norm_after_clipping=False, update_readout=True,
               replace_arrays=False, gradient_ascent=False):
    """The training loop with switchable mistakes (shared by the train_rnn mutants below)."""
    if check_settings_first and (lr <= 0 or (max_norm is not None and max_norm <= 0)):
        raise ValueError("bad settings")
    history, carried = [], None
    for x, targets in batches:
        if not check_settings_first and lr <= 0:
            raise ValueError("bad lr")
        h0 = np.zeros((x.shape[0], params["W_hh"].shape[0]))
        if carry_state and carried is not None and carried.shape == h0.shape:
            h0 = carried
        hs = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b"])
        carried = hs[:, -1]
        loss, out = softmax_readout(hs, params["W_hy"], params["b_y"], targets)
        inner = rnn_backward(out["hs"], x, h0, hs, params["W_xh"], params["W_hh"])
        grads = [inner["W_xh"], inner["W_hh"], inner["b"], out["W_hy"], out["b_y"]]
        if max_norm is None:
            norm = _global_norm(grads)
        elif clip_each_array:
            norm = _global_norm(grads)
            grads = [clip_grad_norm([g], max_norm)[0][0] for g in grads]
        elif norm_after_clipping:
            grads, _ = clip_grad_norm(grads, max_norm)
            norm = _global_norm(grads)
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), norm))
        if stop_when_not_finite and not np.isfinite(loss):
            break
        for name, grad in zip(_NAMES if update_readout else _NAMES[:3], grads):
            if replace_arrays:
                params[name] = params[name] - lr * grad
            elif gradient_ascent:
                params[name] += lr * grad
            else:
                params[name] -= lr * grad
    return history


@mutant("train_rnn", "parameters replaced by new arrays instead of updated in place")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, replace_arrays=True)


@mutant("train_rnn", "each array clipped on its own instead of by the global norm")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, clip_each_array=True)


@mutant("train_rnn", "the read-out W_hy and b_y are never updated")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, update_readout=False)


@mutant("train_rnn", "the state is carried from one batch to the next")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, carry_state=True)


@mutant("train_rnn", "the norm recorded after clipping")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, norm_after_clipping=True)


@mutant("train_rnn", "gradient ascent (the update adds the gradient)")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, gradient_ascent=True)


@mutant("train_rnn", "no stop on a non-finite loss, and settings checked only inside the loop")
def train_rnn(params, batches, lr, max_norm=None):  # noqa: F811
    return _train_rnn(params, batches, lr, max_norm, stop_when_not_finite=False, check_settings_first=False)


@mutant("CharLSTM", "the model converted to float64 (logits are no longer float32)")
class CharLSTM(_CharLSTM):  # noqa: F811
    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__(vocab_size, embedding_dim, hidden_size, num_layers)
        self.double()


@mutant("softmax_readout", "computed in the inputs' dtype (float32 in, float32 gradients out)")
def softmax_readout(hs, W_hy, b_y, targets):  # noqa: F811
    return _softmax_readout(hs, W_hy, b_y, targets)  # no switch: the helper keeps the inputs' dtype


@mutant("lstm_backward", "computed in the inputs' dtype (float32 in, float32 gradients out)")
def lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # noqa: F811
    return _lstm_backward(grad_h, grad_c, x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)  # no switch
