"""Plausible wrong answers to lecture 02's exercises; each must fail a hidden scenario.

The mutants of the class ``Value`` are complete classes. Inside them new nodes are made
with ``type(self)``, because the module-level name ``Value`` is bound to the reference
class (see ``MutantCatalogue.mutant``).
"""
import math

import numpy as np

from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.backpropagation")
mutant = catalogue.mutant


# --- worked_example_backward ----------------------------------------------------------------------

@mutant("worked_example_backward", "forgets the factor 2 from the square")
def worked_example_backward(x, y, theta1, theta2):
    c2 = theta2 * x + theta1 - y
    return {"y_hat": theta2 * x + theta1, "loss": c2 ** 2, "dl_dtheta1": c2, "dl_dtheta2": c2 * x}


@mutant("worked_example_backward", "forgets the local derivative x of c1 = theta2 * x")
def worked_example_backward(x, y, theta1, theta2):  # noqa: F811
    c2 = theta2 * x + theta1 - y
    return {"y_hat": theta2 * x + theta1, "loss": c2 ** 2, "dl_dtheta1": 2 * c2, "dl_dtheta2": 2 * c2}


@mutant("worked_example_backward", "sign error: differentiates (y - y_hat) as if it were y_hat - y")
def worked_example_backward(x, y, theta1, theta2):  # noqa: F811
    c2 = y - (theta2 * x + theta1)
    return {"y_hat": theta2 * x + theta1, "loss": c2 ** 2, "dl_dtheta1": 2 * c2, "dl_dtheta2": 2 * c2 * x}


@mutant("worked_example_backward", "multiplies by theta2 instead of x (the wrong input of the product)")
def worked_example_backward(x, y, theta1, theta2):  # noqa: F811
    c2 = theta2 * x + theta1 - y
    return {"y_hat": theta2 * x + theta1, "loss": c2 ** 2, "dl_dtheta1": 2 * c2, "dl_dtheta2": 2 * c2 * theta2}


# --- numerical_gradient and relative_error -----------------------------------------------------

@mutant("numerical_gradient", "forward difference (f(x + eps) - f(x)) / eps")
def numerical_gradient(f, x, eps=1e-5):
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    base = f(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        grad[index] = (f(point) - base) / eps
        point[index] = original
    return grad


@mutant("numerical_gradient", "divides the central difference by eps instead of 2 eps")
def numerical_gradient(f, x, eps=1e-5):  # noqa: F811
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        f_plus = f(point)
        point[index] = original - eps
        f_minus = f(point)
        point[index] = original
        grad[index] = (f_plus - f_minus) / eps
    return grad


@mutant("numerical_gradient", "never restores an entry, so the perturbations pile up")
def numerical_gradient(f, x, eps=1e-5):  # noqa: F811
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        f_plus = f(point)
        point[index] = original - eps
        f_minus = f(point)
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


@mutant("numerical_gradient", "perturbs the caller's array and restores it by subtraction")
def numerical_gradient(f, x, eps=1e-5):  # noqa: F811
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = f(x)
        x[index] -= 2 * eps
        f_minus = f(x)
        x[index] += eps
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


@mutant("relative_error", "absolute error: no division by the size of the vectors")
def relative_error(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


@mutant("relative_error", "divides by the norm of b only")
def relative_error(a, b):  # noqa: F811
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


@mutant("relative_error", "no guard against zero: NaN for two zero vectors")
def relative_error(a, b):  # noqa: F811
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@mutant("relative_error", "largest entry-wise difference over the largest entry")
def relative_error(a, b):  # noqa: F811
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)) + np.max(np.abs(b)), 1e-12))


# --- mlp_backward ------------------------------------------------------------------------------------

# --- softmax_cross_entropy_backward ----------------------------------------------------------------

def _checked(logits, labels):
    """The documented errors, as the reference raises them (the mutants differ elsewhere)."""
    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],) or np.any(labels < 0) \
            or np.any(labels >= logits.shape[1]):
        raise ValueError("bad shapes or labels")
    return logits, labels


@mutant("softmax_cross_entropy_backward", "gradient p - y without dividing by the batch size (the sum's gradient)")
def softmax_cross_entropy_backward(logits, labels):
    logits, labels = _checked(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), grad


@mutant("softmax_cross_entropy_backward", "softmax straight from the definition: overflows for logits of 1000")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    logits, labels = _checked(logits, labels)
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = float(-np.log(p[rows, labels]).mean())
        p[rows, labels] -= 1.0
        return loss, p / len(labels)


@mutant("softmax_cross_entropy_backward", "shifts the logits but takes log of the probability: inf when it underflows")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    logits, labels = _checked(logits, labels)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = exp / exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    with np.errstate(divide="ignore"):
        loss = float(-np.log(p[rows, labels]).mean())
    grad = p.copy()
    grad[rows, labels] -= 1.0
    return loss, grad / len(labels)


@mutant("softmax_cross_entropy_backward", "only the true class's logit gets a gradient, -(1 - p_y) / N")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    logits, labels = _checked(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.zeros_like(logits)
    grad[rows, labels] = np.exp(log_p[rows, labels]) - 1.0
    return float(-log_p[rows, labels].mean()), grad / len(labels)


@mutant("softmax_cross_entropy_backward", "no checks: labels of shape (N, 1) broadcast and a label -1 wraps around")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    logits = np.asarray(logits, dtype=float)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    rows = np.arange(log_p.shape[0])
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), grad / log_p.shape[0]


@mutant("softmax_cross_entropy_backward", "keeps float32 for float32 logits")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    _checked(logits, labels)
    labels = np.asarray(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), grad / len(labels)


@mutant("softmax_cross_entropy_backward", "subtracts the row's largest logit from the caller's array in place")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    _checked(logits, labels)
    labels = np.asarray(labels)
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), (grad / len(labels)).astype(float)


# --- mlp_backward ----------------------------------------------------------------------------------

def _forward(x, y, params, activation, head):
    """The forward pass with the documented checks, as the reference does it."""
    if activation not in ("tanh", "relu") or head not in ("mse", "softmax_ce"):
        raise ValueError(activation)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != params["W1"].shape[1]:
        raise ValueError("x")
    if np.shape(y) != ((x.shape[0], params["W2"].shape[0]) if head == "mse" else (x.shape[0],)):
        raise ValueError("y")
    z1 = x @ params["W1"].T + params["b1"]
    h = np.tanh(z1) if activation == "tanh" else np.maximum(z1, 0.0)
    return x, z1, h, h @ params["W2"].T + params["b2"]


def _head(out, y, head):
    """The loss and its gradient at the outputs, as the reference computes them."""
    if head == "mse":
        return float(np.mean((out - y) ** 2)), 2.0 * (out - y) / out.size
    return softmax_cross_entropy_backward(out, y)


@mutant("mlp_backward", "an unknown head runs the softmax cross-entropy instead of raising ValueError")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    known = head if head == "mse" else "softmax_ce"
    x, z1, h, out = _forward(x, y, params, activation, known)
    loss, d_out = _head(out, y, known)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "forgets to divide by the number of entries in the mean")
def mlp_backward(x, y, params, activation="tanh", head="mse"):
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    if head == "mse":
        d_out = 2.0 * (out - y)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "tanh derivative taken at the wrong place: 1 - z1^2 instead of 1 - tanh(z1)^2")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    d_z1 = (d_out @ params["W2"]) * ((1 - z1 ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "W2's gradient uses the pre-activation z1 instead of the layer output")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ z1, "b2": d_out.sum(0)}


@mutant("mlp_backward", "bias gradients averaged over the batch instead of summed")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.mean(0), "W2": d_out.T @ h, "b2": d_out.mean(0)}


@mutant("mlp_backward", "skips the activation's derivative (treats the hidden layer as linear)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    d_z1 = d_out @ params["W2"]
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "classification head: softmax minus one-hot, not divided by the batch size")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    if head == "softmax_ce":
        d_out = d_out * len(y)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "no shape checks: targets of shape (N, 1) broadcast against (N, d_out)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    if activation not in ("tanh", "relu") or head not in ("mse", "softmax_ce"):
        raise ValueError(activation)
    z1 = x @ params["W1"].T + params["b1"]
    h = np.tanh(z1) if activation == "tanh" else np.maximum(z1, 0.0)
    out = h @ params["W2"].T + params["b2"]
    loss, d_out = _head(out, y, head)
    if head == "mse":
        d_out = 2.0 * (out - y) / (out - y).size
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 > 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


@mutant("mlp_backward", "ReLU's derivative taken as 1 at exactly 0 (z >= 0)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    x, z1, h, out = _forward(x, y, params, activation, head)
    loss, d_out = _head(out, y, head)
    d_z1 = (d_out @ params["W2"]) * ((1 - h ** 2) if activation == "tanh" else (z1 >= 0).astype(float))
    return loss, {"W1": d_z1.T @ x, "b1": d_z1.sum(0), "W2": d_out.T @ h, "b2": d_out.sum(0)}


# --- Value ---------------------------------------------------------------------------------------------

@mutant("Value", "+ overwrites the parents' gradients instead of adding to them")
class Value:
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
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


@mutant("Value", "* sends each operand its own value instead of the other's")
class Value:  # noqa: F811
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
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


@mutant("Value", "tanh's derivative computed from the input: 1 - x^2 instead of 1 - tanh(x)^2")
class Value:  # noqa: F811
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        out = type(self)(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - self.data ** 2) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
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


@mutant("Value", "backward recurses into the parents without a topological order")
class Value:  # noqa: F811
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        def propagate(node):
            node._backward()
            for parent in node._parents:
                propagate(parent)
        self.grad = 1.0
        propagate(self)

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


@mutant("Value", "backward visits the graph breadth-first from the output (right for trees and a * a + a, wrong when a node is reached by a short and a long path)")
class Value:  # noqa: F811
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, seen, queue = [], {id(self)}, [self]
        while queue:  # breadth-first from the output: a node may run before all its users
            node = queue.pop(0)
            order.append(node)
            for parent in node._parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    queue.append(parent)
        self.grad = 1.0
        for node in order:
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


@mutant("Value", "backward forgets to seed the output's gradient with 1")
class Value:  # noqa: F811
    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)
        visit(self)
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


# --- optimizers ----------------------------------------------------------------------------------------

@mutant("sgd_step", "sign error: gradient ascent")
def sgd_step(theta, grad, state, lr):
    return theta + lr * grad, dict(state)


@mutant("sgd_step", "forgets the learning rate")
def sgd_step(theta, grad, state, lr):  # noqa: F811
    return theta - grad, dict(state)


@mutant("sgd_step", "drops the state: returns an empty dict whatever it was given")
def sgd_step(theta, grad, state, lr):  # noqa: F811
    return theta - lr * grad, {}


@mutant("sgd_step", "updates the parameters in place")
def sgd_step(theta, grad, state, lr):  # noqa: F811
    theta -= lr * grad
    return theta, state


@mutant("momentum_step", "averages instead of accumulating: v <- beta v + (1 - beta) g")
def momentum_step(theta, grad, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(theta)) + (1 - beta) * grad
    return theta - lr * v, {"v": v}


@mutant("momentum_step", "steps with the old velocity, before adding the new gradient")
def momentum_step(theta, grad, state, lr, beta=0.9):  # noqa: F811
    old = state.get("v", np.zeros_like(theta))
    return theta - lr * old, {"v": beta * old + grad}


@mutant("momentum_step", "forgets beta: the velocity never decays")
def momentum_step(theta, grad, state, lr, beta=0.9):  # noqa: F811
    v = state.get("v", np.zeros_like(theta)) + grad
    return theta - lr * v, {"v": v}


@mutant("momentum_step", "updates the stored velocity in place")
def momentum_step(theta, grad, state, lr, beta=0.9):  # noqa: F811
    if "v" not in state:
        state["v"] = np.zeros_like(theta)
    state["v"] *= beta
    state["v"] += grad
    return theta - lr * state["v"], {"v": state["v"].copy()}


@mutant("rmsprop_step", "eps inside the square root")
def rmsprop_step(theta, grad, state, lr, gamma=0.9, eps=1e-8):
    s = gamma * state.get("s", np.zeros_like(theta)) + (1 - gamma) * grad * grad
    return theta - lr * grad / np.sqrt(s + eps), {"s": s}


@mutant("rmsprop_step", "forgets the factor (1 - gamma) on the new squared gradient")
def rmsprop_step(theta, grad, state, lr, gamma=0.9, eps=1e-8):  # noqa: F811
    s = gamma * state.get("s", np.zeros_like(theta)) + grad * grad
    return theta - lr * grad / (eps + np.sqrt(s)), {"s": s}


@mutant("rmsprop_step", "divides by s instead of its square root")
def rmsprop_step(theta, grad, state, lr, gamma=0.9, eps=1e-8):  # noqa: F811
    s = gamma * state.get("s", np.zeros_like(theta)) + (1 - gamma) * grad * grad
    return theta - lr * grad / (eps + s), {"s": s}


@mutant("rmsprop_step", "uses the old s (before this step's gradient) in the update")
def rmsprop_step(theta, grad, state, lr, gamma=0.9, eps=1e-8):  # noqa: F811
    old = state.get("s", np.zeros_like(theta))
    s = gamma * old + (1 - gamma) * grad * grad
    with np.errstate(all="ignore"):
        return theta - lr * grad / (eps + np.sqrt(old)), {"s": s}


@mutant("adam_step", "no bias correction")
def adam_step(theta, grad, state, lr, gamma_v=0.9, gamma_s=0.999, eps=1e-8):
    k = state.get("k", 0) + 1
    v = gamma_v * state.get("v", np.zeros_like(theta)) + (1 - gamma_v) * grad
    s = gamma_s * state.get("s", np.zeros_like(theta)) + (1 - gamma_s) * grad * grad
    return theta - lr * v / (eps + np.sqrt(s)), {"v": v, "s": s, "k": k}


@mutant("adam_step", "bias correction with the old step count (divides by zero on the first step)")
def adam_step(theta, grad, state, lr, gamma_v=0.9, gamma_s=0.999, eps=1e-8):  # noqa: F811
    k = state.get("k", 0)
    v = gamma_v * state.get("v", np.zeros_like(theta)) + (1 - gamma_v) * grad
    s = gamma_s * state.get("s", np.zeros_like(theta)) + (1 - gamma_s) * grad * grad
    with np.errstate(all="ignore"):
        v_hat, s_hat = v / (1 - gamma_v ** k), s / (1 - gamma_s ** k)
        return theta - lr * v_hat / (eps + np.sqrt(s_hat)), {"v": v, "s": s, "k": k + 1}


@mutant("adam_step", "the two decay rates swapped")
def adam_step(theta, grad, state, lr, gamma_v=0.9, gamma_s=0.999, eps=1e-8):  # noqa: F811
    k = state.get("k", 0) + 1
    v = gamma_s * state.get("v", np.zeros_like(theta)) + (1 - gamma_s) * grad
    s = gamma_v * state.get("s", np.zeros_like(theta)) + (1 - gamma_v) * grad * grad
    v_hat, s_hat = v / (1 - gamma_s ** k), s / (1 - gamma_v ** k)
    return theta - lr * v_hat / (eps + np.sqrt(s_hat)), {"v": v, "s": s, "k": k}


@mutant("adam_step", "steps with the raw gradient instead of the first moment")
def adam_step(theta, grad, state, lr, gamma_v=0.9, gamma_s=0.999, eps=1e-8):  # noqa: F811
    k = state.get("k", 0) + 1
    v = gamma_v * state.get("v", np.zeros_like(theta)) + (1 - gamma_v) * grad
    s = gamma_s * state.get("s", np.zeros_like(theta)) + (1 - gamma_s) * grad * grad
    s_hat = s / (1 - gamma_s ** k)
    return theta - lr * grad / (eps + np.sqrt(s_hat)), {"v": v, "s": s, "k": k}


# --- train ----------------------------------------------------------------------------------------------

@mutant("train", "records the loss after each step instead of before it")
def train(params, loss_and_grads, step, n_steps, **options):
    if n_steps < 0:
        raise ValueError("n_steps")
    current, states, losses = dict(params), {key: {} for key in params}, []
    for _ in range(n_steps):
        _, grads = loss_and_grads(current)
        for key in current:
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
        losses.append(loss_and_grads(current)[0])
    return current, np.array(losses, dtype=float)


@mutant("train", "one optimizer state shared by all parameters")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    current, state, losses = dict(params), {}, np.zeros(n_steps)
    for k in range(n_steps):
        losses[k], grads = loss_and_grads(current)
        for key in current:
            current[key], state = step(current[key], grads[key], state, **options)
    return current, losses


@mutant("train", "starts every step from an empty state (momentum never builds up)")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    current, losses = dict(params), np.zeros(n_steps)
    for k in range(n_steps):
        losses[k], grads = loss_and_grads(current)
        for key in current:
            current[key], _ = step(current[key], grads[key], {}, **options)
    return current, losses


@mutant("train", "updates the caller's dict in place and returns it")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    states, losses = {key: {} for key in params}, np.zeros(n_steps)
    for k in range(n_steps):
        losses[k], grads = loss_and_grads(params)
        for key in params:
            params[key], states[key] = step(params[key], grads[key], states[key], **options)
    return params, losses


@mutant("train", "recomputes the gradients after each parameter's update (a sweep, not a step)")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    current, states, losses = dict(params), {key: {} for key in params}, np.zeros(n_steps)
    for k in range(n_steps):
        losses[k] = loss_and_grads(current)[0]
        for key in current:
            grads = loss_and_grads(current)[1]
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
    return current, losses


@mutant("train", "no check of n_steps: a negative count runs zero steps")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    current, states, losses = dict(params), {key: {} for key in params}, []
    for _ in range(n_steps):
        loss, grads = loss_and_grads(current)
        losses.append(loss)
        for key in current:
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
    return current, np.array(losses, dtype=float)


@mutant("train", "makes the array of losses without asking for float64, so float32 losses stay float32")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    current, states, losses = dict(params), {key: {} for key in params}, []
    for _ in range(n_steps):
        loss, grads = loss_and_grads(current)
        losses.append(loss)
        for key in current:
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
    return current, np.array(losses)


@mutant("train", "returns the losses as a Python list instead of an array")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    if n_steps < 0:
        raise ValueError("n_steps")
    current, states, losses = dict(params), {key: {} for key in params}, []
    for _ in range(n_steps):
        loss, grads = loss_and_grads(current)
        losses.append(float(loss))
        for key in current:
            current[key], states[key] = step(current[key], grads[key], states[key], **options)
    return current, losses
