"""Reference solutions for lecture 04, recurrent networks and LSTMs.

Each function or class has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def rnn_step(x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
             b: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    if x_t.shape[1] != W_xh.shape[1]:
        raise ValueError(f"x_t has {x_t.shape[1]} features but W_xh expects {W_xh.shape[1]}")
    if h_prev.shape != (x_t.shape[0], W_hh.shape[0]):
        raise ValueError(f"h_prev has shape {h_prev.shape}, expected {(x_t.shape[0], W_hh.shape[0])}")
    if b.shape != (W_hh.shape[0],):
        raise ValueError(f"b has shape {b.shape}, expected {(W_hh.shape[0],)}")
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b).astype(np.float64)


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
                b: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_sequences, n_steps, _ = x.shape
    if h0.shape[0] != n_sequences:
        raise ValueError(f"h0 holds {h0.shape[0]} states for {n_sequences} sequences")
    hs = np.zeros((n_sequences, n_steps, h0.shape[1]))
    h = h0
    for t in range(n_steps):
        h = rnn_step(x[:, t], h, W_xh, W_hh, b)
        hs[:, t] = h
    return hs


def rnn_backward(grad_hs: np.ndarray, x: np.ndarray, h0: np.ndarray, hs: np.ndarray,
                 W_xh: np.ndarray, W_hh: np.ndarray) -> dict[str, np.ndarray]:
    """Reference for the exercise of the same name."""
    n_steps = x.shape[1]
    grads = {"x": np.zeros(x.shape), "h0": np.zeros(h0.shape), "W_xh": np.zeros(W_xh.shape),
             "W_hh": np.zeros(W_hh.shape), "b": np.zeros(W_hh.shape[0])}
    carried = np.zeros(h0.shape)  # dL/dh_t arriving from step t + 1
    for t in reversed(range(n_steps)):
        h_before = hs[:, t - 1] if t > 0 else h0
        grad_pre = (grad_hs[:, t] + carried) * (1.0 - hs[:, t] ** 2)
        grads["x"][:, t] = grad_pre @ W_xh
        grads["W_xh"] += grad_pre.T @ x[:, t]
        grads["W_hh"] += grad_pre.T @ h_before
        grads["b"] += grad_pre.sum(axis=0)
        carried = grad_pre @ W_hh
    grads["h0"] = carried
    return grads


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Reference for the exercise of the same name."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm  # new arrays even when scale is 1


def lstm_step(x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, weight_ih: np.ndarray,
              weight_hh: np.ndarray, bias_ih: np.ndarray,
              bias_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference for the exercise of the same name."""
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # 1 / (1 + e^-z) without overflow

    x_t, h_prev, c_prev = (np.asarray(a, dtype=np.float64) for a in (x_t, h_prev, c_prev))
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)
    h = sigmoid(zo) * np.tanh(c)
    return h, c


class CharLSTM(nn.Module):
    """Reference for the exercise of the same name."""

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, num_layers: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: torch.Tensor, state=None):
        outputs, state = self.lstm(self.embedding(tokens), state)
        return self.head(outputs), state


def lm_train_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                  targets: torch.Tensor, max_norm: float) -> tuple[float, float]:
    """Reference for the exercise of the same name."""
    model.train()
    optimizer.zero_grad()
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item()), float(norm)


def sample(model: nn.Module, prompt: list[int], length: int, temperature: float,
           generator: torch.Generator) -> list[int]:
    """Reference for the exercise of the same name."""
    if temperature <= 0:
        raise ValueError(f"the temperature must be positive, got {temperature}")
    if len(prompt) == 0:
        raise ValueError("the prompt must hold at least one character")
    model.eval()
    drawn = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt]), None)
        for _ in range(length):
            probabilities = torch.softmax(logits[0, -1] / temperature, dim=0)
            token = int(torch.multinomial(probabilities, 1, generator=generator))
            drawn.append(token)
            logits, state = model(torch.tensor([[token]]), state)
    return drawn


def softmax_readout(hs: np.ndarray, W_hy: np.ndarray, b_y: np.ndarray,
                    targets: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Reference for the exercise of the same name."""
    hs, W_hy, b_y = (np.asarray(a, dtype=np.float64) for a in (hs, W_hy, b_y))
    n_sequences, n_steps, _ = hs.shape
    if targets.shape != (n_sequences, n_steps):
        raise ValueError(f"targets have shape {targets.shape}, the states {hs.shape[:2]}")
    if np.any(targets < -1) or np.any(targets >= W_hy.shape[0]):
        raise ValueError("a target is neither -1 nor the index of an output")
    counted = targets >= 0
    if not counted.any():
        raise ValueError("no position has a target")
    logits = hs @ W_hy.T + b_y
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    rows, steps = np.nonzero(counted)
    loss = -log_p[rows, steps, targets[rows, steps]].sum() / len(rows)
    grad_logits = np.exp(log_p)
    grad_logits[rows, steps, targets[rows, steps]] -= 1.0
    grad_logits *= counted[..., None] / len(rows)
    grads = {"hs": grad_logits @ W_hy,
             "W_hy": np.einsum("ntv,nth->vh", grad_logits, hs),
             "b_y": grad_logits.sum(axis=(0, 1))}
    return float(loss), grads


def lstm_backward(grad_h: np.ndarray, grad_c: np.ndarray, x_t: np.ndarray, h_prev: np.ndarray,
                  c_prev: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray, bias_ih: np.ndarray,
                  bias_hh: np.ndarray) -> dict[str, np.ndarray]:
    """Reference for the exercise of the same name."""
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    if grad_h.shape != h_prev.shape or grad_c.shape != c_prev.shape:
        raise ValueError(f"grad_h {grad_h.shape} and grad_c {grad_c.shape} must have the states' shape {h_prev.shape}")
    grad_h, grad_c, x_t, h_prev, c_prev = (np.asarray(a, dtype=np.float64) for a in (grad_h, grad_c, x_t, h_prev, c_prev))
    z = x_t @ weight_ih.T + h_prev @ weight_hh.T + bias_ih + bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    tanh_c = np.tanh(f * c_prev + i * g)
    grad_c_total = grad_c + grad_h * o * (1.0 - tanh_c ** 2)
    grad_z = np.concatenate([grad_c_total * g * i * (1.0 - i),
                             grad_c_total * c_prev * f * (1.0 - f),
                             grad_c_total * i * (1.0 - g ** 2),
                             grad_h * tanh_c * o * (1.0 - o)], axis=1)
    grad_bias = grad_z.sum(axis=0)
    return {"x_t": grad_z @ weight_ih, "h_prev": grad_z @ weight_hh, "c_prev": grad_c_total * f,
            "weight_ih": grad_z.T @ x_t, "weight_hh": grad_z.T @ h_prev,
            "bias_ih": grad_bias, "bias_hh": grad_bias.copy()}


def train_rnn(params: dict[str, np.ndarray], batches, lr: float,
              max_norm: float | None = None) -> list[tuple[float, float]]:
    """Reference for the exercise of the same name."""
    if lr <= 0 or (max_norm is not None and max_norm <= 0):
        raise ValueError(f"lr ({lr}) and max_norm ({max_norm}) must be positive")
    names = ["W_xh", "W_hh", "b", "W_hy", "b_y"]
    history = []
    for x, targets in batches:
        h0 = np.zeros((x.shape[0], params["W_hh"].shape[0]))
        hs = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b"])
        loss, out = softmax_readout(hs, params["W_hy"], params["b_y"], targets)
        inner = rnn_backward(out["hs"], x, h0, hs, params["W_xh"], params["W_hh"])
        grads = [inner["W_xh"], inner["W_hh"], inner["b"], out["W_hy"], out["b_y"]]
        if max_norm is None:
            norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
        history.append((float(loss), float(norm)))
        if not np.isfinite(loss):
            break
        for name, grad in zip(names, grads):
            params[name] -= lr * grad
    return history
