"""Reference solutions for lecture 02, backpropagation and optimizers.

Each function or class has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source (for
the class ``Value``, the body of every method the notebook leaves as a stub).
"""
import math
from collections.abc import Callable

import numpy as np


# --- exercise 1: the worked example ---------------------------------------------------------

def worked_example_backward(x, y, theta1, theta2) -> dict:
    """Reference for the exercise of the same name."""
    # forward pass, one node at a time
    c1 = theta2 * x
    y_hat = c1 + theta1
    c2 = y_hat - y
    loss = c2 ** 2
    # backward pass: the chain rule from the loss back to the parameters
    dl_dc2 = 2 * c2
    dl_dy_hat = dl_dc2 * 1.0
    dl_dtheta1 = dl_dy_hat * 1.0
    dl_dc1 = dl_dy_hat * 1.0
    dl_dtheta2 = dl_dc1 * x
    return {"y_hat": y_hat, "loss": loss, "dl_dtheta1": dl_dtheta1, "dl_dtheta2": dl_dtheta2}


# --- exercise 2: gradient checking ------------------------------------------------------------

def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Reference for the exercise of the same name."""
    point = np.array(x, dtype=float)  # a private copy: the caller's array is never touched
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        f_plus = f(point)
        point[index] = original - eps
        f_minus = f(point)
        point[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)
    return float(np.linalg.norm(a - b) / scale)


# --- exercise 3: the softmax cross-entropy backward pass -----------------------------------------

def softmax_cross_entropy_backward(logits: np.ndarray, labels: np.ndarray) -> tuple:
    """Reference for the exercise of the same name."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be a 2-D array (N, C), got shape {logits.shape}")
    n, n_classes = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    if np.any(labels < 0) or np.any(labels >= n_classes):
        raise ValueError(f"every label must lie in 0 .. {n_classes - 1}")
    # log-softmax through the largest logit, so no exp overflows
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = float(-log_probs[rows, labels].mean())
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1.0
    return loss, grad / n


# --- exercise 4: backpropagation through a two-layer network ------------------------------------

def mlp_backward(x: np.ndarray, y: np.ndarray, params: dict, activation: str = "tanh",
                 head: str = "mse") -> tuple:
    """Reference for the exercise of the same name."""
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    if head not in ("mse", "softmax_ce"):
        raise ValueError(f"head must be 'mse' or 'softmax_ce', got {head!r}")
    x = np.asarray(x, dtype=np.float64)
    W1, b1, W2, b2 = (np.asarray(params[key], dtype=np.float64) for key in ("W1", "b1", "W2", "b2"))
    if x.ndim != 2 or x.shape[1] != W1.shape[1]:
        raise ValueError(f"x must have shape (N, {W1.shape[1]}), got {x.shape}")
    expected_y = (x.shape[0], W2.shape[0]) if head == "mse" else (x.shape[0],)
    if np.shape(y) != expected_y:
        raise ValueError(f"y must have shape {expected_y} for head {head!r}, got {np.shape(y)}")
    # forward pass, keeping what the backward pass needs
    z1 = x @ W1.T + b1
    h = np.tanh(z1) if activation == "tanh" else np.maximum(z1, 0.0)
    out = h @ W2.T + b2
    if head == "mse":
        residual = out - y
        loss = float(np.mean(residual ** 2))
        d_out = 2.0 * residual / residual.size
    else:
        loss, d_out = softmax_cross_entropy_backward(out, y)
    # backward pass
    grad_W2 = d_out.T @ h
    grad_b2 = d_out.sum(axis=0)
    d_h = d_out @ W2
    d_z1 = d_h * ((1.0 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    grad_W1 = d_z1.T @ x
    grad_b1 = d_z1.sum(axis=0)
    return loss, {"W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}


# --- exercise 5: a scalar autograd engine -------------------------------------------------------

class Value:
    """A scalar that remembers how it was computed, for reverse-mode automatic differentiation."""

    def __init__(self, data: float, parents: tuple = (), op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other):
        """Reference for the method of the same name."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        """Reference for the method of the same name."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        """Reference for the method of the same name."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        """Reference for the method of the same name."""
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other


# --- exercises 6 and 7: optimizers ----------------------------------------------------------------

def sgd_step(theta: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> tuple:
    """Reference for the exercise of the same name."""
    return theta - lr * grad, dict(state)


def momentum_step(theta: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta: float = 0.9) -> tuple:
    """Reference for the exercise of the same name."""
    velocity = beta * state.get("v", np.zeros_like(theta)) + grad
    return theta - lr * velocity, {"v": velocity}


def rmsprop_step(theta: np.ndarray, grad: np.ndarray, state: dict, lr: float, gamma: float = 0.9,
                 eps: float = 1e-8) -> tuple:
    """Reference for the exercise of the same name."""
    s = gamma * state.get("s", np.zeros_like(theta)) + (1.0 - gamma) * grad * grad
    return theta - lr * grad / (eps + np.sqrt(s)), {"s": s}


def adam_step(theta: np.ndarray, grad: np.ndarray, state: dict, lr: float, gamma_v: float = 0.9,
              gamma_s: float = 0.999, eps: float = 1e-8) -> tuple:
    """Reference for the exercise of the same name."""
    k = state.get("k", 0) + 1
    v = gamma_v * state.get("v", np.zeros_like(theta)) + (1.0 - gamma_v) * grad
    s = gamma_s * state.get("s", np.zeros_like(theta)) + (1.0 - gamma_s) * grad * grad
    v_hat = v / (1.0 - gamma_v ** k)
    s_hat = s / (1.0 - gamma_s ** k)
    return theta - lr * v_hat / (eps + np.sqrt(s_hat)), {"v": v, "s": s, "k": k}


# --- exercise 8: the training loop ------------------------------------------------------------------

def train(params: dict, loss_and_grads: Callable[[dict], tuple], step: Callable[..., tuple], n_steps: int,
          **options) -> tuple:
    """Reference for the exercise of the same name."""
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    current = dict(params)
    states = {key: {} for key in current}
    losses = np.zeros(n_steps)
    for k in range(n_steps):
        loss, grads = loss_and_grads(current)
        losses[k] = loss
        for key in current:
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
    return current, losses
