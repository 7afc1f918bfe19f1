"""Plausible wrong answers to lecture 02's exercises; each must fail a hidden scenario.

A multi-line exercise has one private implementation with the mistakes as keyword switches
(``_mlp_backward``, ``_train``...), and each mutant calls it with one switch set. The mutants
of the class ``Value`` subclass ``_Value``, a copy of the reference engine, and override only
their mistake. Inside them new nodes are made with ``type(self)``, because the module-level
name ``Value`` is bound to the reference class (see ``MutantCatalogue.mutant``).
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

def _numerical_gradient(f, x, eps, *, forward_difference=False, divide_by_eps=False, restore=True):
    """The reference's central difference, with the mistakes of the mutants below as switches."""
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    if forward_difference:
        base = f(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + eps
        f_plus = f(point)
        if forward_difference:
            f_minus, width = base, eps
        else:
            point[index] = original - eps
            f_minus, width = f(point), 2 * eps
        if restore:
            point[index] = original
        grad[index] = (f_plus - f_minus) / (eps if divide_by_eps else width)
    return grad


@mutant("numerical_gradient", "forward difference (f(x + eps) - f(x)) / eps")
def numerical_gradient(f, x, eps=1e-5):
    return _numerical_gradient(f, x, eps, forward_difference=True)


@mutant("numerical_gradient", "divides the central difference by eps instead of 2 eps")
def numerical_gradient(f, x, eps=1e-5):  # noqa: F811
    return _numerical_gradient(f, x, eps, divide_by_eps=True)


@mutant("numerical_gradient", "never restores an entry, so the perturbations pile up")
def numerical_gradient(f, x, eps=1e-5):  # noqa: F811
    return _numerical_gradient(f, x, eps, restore=False)


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


# --- softmax_cross_entropy_backward ----------------------------------------------------------------

def _checked(logits, labels):
    """The documented errors, as the reference raises them (the mutants differ elsewhere)."""
    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],) or np.any(labels < 0) \
            or np.any(labels >= logits.shape[1]):
        raise ValueError("bad shapes or labels")
    return logits, labels


def _softmax_cross_entropy_backward(logits, labels, *, checks=True, float64=True, batch_mean=True,
                                    true_class_only=False):
    """The reference's loss and gradient, with the mistakes of the mutants below as switches.

    The last axis holds the classes (the reference's axis 1 once the checks passed), so that
    without the checks a 1-D or 3-D input goes wherever numpy takes it.
    """
    if checks:
        _checked(logits, labels)
    if float64:
        logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    n = log_p.shape[0]
    rows = np.arange(n)
    if true_class_only:
        grad = np.zeros_like(log_p)
        grad[rows, labels] = np.exp(log_p[rows, labels]) - 1.0
    else:
        grad = np.exp(log_p)
        grad[rows, labels] -= 1.0
    loss = float(-log_p[rows, labels].mean())
    return loss, (grad / n if batch_mean else grad)


@mutant("softmax_cross_entropy_backward", "gradient p - y without dividing by the batch size (the sum's gradient)")
def softmax_cross_entropy_backward(logits, labels):
    return _softmax_cross_entropy_backward(logits, labels, batch_mean=False)


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
    return _softmax_cross_entropy_backward(logits, labels, true_class_only=True)


@mutant("softmax_cross_entropy_backward", "no checks: labels of shape (N, 1) broadcast and a label -1 wraps around")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    return _softmax_cross_entropy_backward(logits, labels, checks=False)


@mutant("softmax_cross_entropy_backward", "keeps float32 for float32 logits")
def softmax_cross_entropy_backward(logits, labels):  # noqa: F811
    return _softmax_cross_entropy_backward(logits, labels, float64=False)


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

def _mlp_backward(x, y, params, activation, head, *, unknown_head_is_ce=False, shape_checks=True, mse_mean=True,
                  ce_batch_mean=True, tanh_from_z1=False, relu_one_at_zero=False, linear_hidden=False,
                  w2_from_z1=False, bias_mean=False):
    """The reference's forward and backward pass, with the mistakes of the mutants below as switches."""
    if unknown_head_is_ce and head != "mse":
        head = "softmax_ce"
    if activation not in ("tanh", "relu") or head not in ("mse", "softmax_ce"):
        raise ValueError(activation)
    if shape_checks:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != params["W1"].shape[1]:
            raise ValueError("x")
        if np.shape(y) != ((x.shape[0], params["W2"].shape[0]) if head == "mse" else (x.shape[0],)):
            raise ValueError("y")
    z1 = x @ params["W1"].T + params["b1"]
    h = np.tanh(z1) if activation == "tanh" else np.maximum(z1, 0.0)
    out = h @ params["W2"].T + params["b2"]
    if head == "mse":
        residual = out - y
        loss = float(np.mean(residual ** 2))
        d_out = 2.0 * residual / residual.size if mse_mean else 2.0 * residual
    else:
        loss, d_out = softmax_cross_entropy_backward(out, y)
        if not ce_batch_mean:
            d_out = d_out * len(y)
    d_h = d_out @ params["W2"]
    if activation == "tanh":
        local = 1 - z1 ** 2 if tanh_from_z1 else 1 - h ** 2
    else:
        local = ((z1 >= 0) if relu_one_at_zero else (z1 > 0)).astype(float)
    d_z1 = d_h if linear_hidden else d_h * local
    grad_W2 = d_out.T @ (z1 if w2_from_z1 else h)
    if bias_mean:
        grad_b1, grad_b2 = d_z1.mean(axis=0), d_out.mean(axis=0)
    else:
        grad_b1, grad_b2 = d_z1.sum(axis=0), d_out.sum(axis=0)
    return loss, {"W1": d_z1.T @ x, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}


@mutant("mlp_backward", "an unknown head runs the softmax cross-entropy instead of raising ValueError")
def mlp_backward(x, y, params, activation="tanh", head="mse"):
    return _mlp_backward(x, y, params, activation, head, unknown_head_is_ce=True)


@mutant("mlp_backward", "forgets to divide by the number of entries in the mean")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, mse_mean=False)


@mutant("mlp_backward", "tanh derivative taken at the wrong place: 1 - z1^2 instead of 1 - tanh(z1)^2")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, tanh_from_z1=True)


@mutant("mlp_backward", "W2's gradient uses the pre-activation z1 instead of the layer output")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, w2_from_z1=True)


@mutant("mlp_backward", "bias gradients averaged over the batch instead of summed")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, bias_mean=True)


@mutant("mlp_backward", "skips the activation's derivative (treats the hidden layer as linear)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, linear_hidden=True)


@mutant("mlp_backward", "classification head: softmax minus one-hot, not divided by the batch size")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, ce_batch_mean=False)


@mutant("mlp_backward", "no shape checks: targets of shape (N, 1) broadcast against (N, d_out)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, shape_checks=False)


@mutant("mlp_backward", "ReLU's derivative taken as 1 at exactly 0 (z >= 0)")
def mlp_backward(x, y, params, activation="tanh", head="mse"):  # noqa: F811
    return _mlp_backward(x, y, params, activation, head, relu_one_at_zero=True)


# --- Value ---------------------------------------------------------------------------------------------

class _Value:
    """The reference's engine, with the order of the backward pass as a method of its own, so that a
    mutant overrides only its mistake. New nodes are made with ``type(self)``: the mutant's class."""

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

    def _order(self):
        """Every node of the graph, each before the nodes it was computed from (reversed topological order)."""
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)
        visit(self)
        return list(reversed(order))

    def backward(self):
        order = self._order()
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


@mutant("Value", "+ overwrites the parents' gradients instead of adding to them")
class Value(_Value):

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad
        out._backward = _backward
        return out


@mutant("Value", "* sends each operand its own value instead of the other's")
class Value(_Value):  # noqa: F811

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad
        out._backward = _backward
        return out


@mutant("Value", "tanh's derivative computed from the input: 1 - x^2 instead of 1 - tanh(x)^2")
class Value(_Value):  # noqa: F811

    def tanh(self):
        out = type(self)(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - self.data ** 2) * out.grad
        out._backward = _backward
        return out


@mutant("Value", "backward recurses into the parents without a topological order")
class Value(_Value):  # noqa: F811

    def backward(self):
        def propagate(node):
            node._backward()
            for parent in node._parents:
                propagate(parent)
        self.grad = 1.0
        propagate(self)


@mutant("Value", "backward visits the graph breadth-first from the output (right for trees and a * a + a, wrong when a node is reached by a short and a long path)")
class Value(_Value):  # noqa: F811

    def _order(self):
        order, seen, queue = [], {id(self)}, [self]
        while queue:  # breadth-first from the output: a node may run before all its users
            node = queue.pop(0)
            order.append(node)
            for parent in node._parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    queue.append(parent)
        return order


@mutant("Value", "backward forgets to seed the output's gradient with 1")
class Value(_Value):  # noqa: F811

    def backward(self):
        for node in self._order():
            node._backward()


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

def _train(params, loss_and_grads, step, n_steps, options, *, check=True, in_place=False, shared_state=False,
           fresh_state=False, sweep=False, loss_after_step=False, float64_losses=True, list_of_losses=False):
    """The reference's training loop, with the mistakes of the mutants below as switches."""
    if check and n_steps < 0:
        raise ValueError("n_steps")
    current = params if in_place else dict(params)
    states, shared, losses = {key: {} for key in current}, {}, []
    for _ in range(n_steps):
        loss, grads = loss_and_grads(current)
        if not loss_after_step:
            losses.append(loss)
        for key in current:
            if sweep:
                grads = loss_and_grads(current)[1]
            if shared_state:
                current[key], shared = step(current[key], grads[key], shared, **options)
            elif fresh_state:
                current[key], _ = step(current[key], grads[key], {}, **options)
            else:
                current[key], states[key] = step(current[key], grads[key], states[key], **options)
        if loss_after_step:
            losses.append(loss_and_grads(current)[0])
    if list_of_losses:
        return current, [float(loss) for loss in losses]
    return current, np.array(losses, dtype=float) if float64_losses else np.array(losses)


@mutant("train", "records the loss after each step instead of before it")
def train(params, loss_and_grads, step, n_steps, **options):
    return _train(params, loss_and_grads, step, n_steps, options, loss_after_step=True)


@mutant("train", "one optimizer state shared by all parameters")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, shared_state=True)


@mutant("train", "starts every step from an empty state (momentum never builds up)")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, fresh_state=True)


@mutant("train", "updates the caller's dict in place and returns it")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, in_place=True)


@mutant("train", "recomputes the gradients after each parameter's update (a sweep, not a step)")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, sweep=True)


@mutant("train", "no check of n_steps: a negative count runs zero steps")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, check=False)


@mutant("train", "makes the array of losses without asking for float64, so float32 losses stay float32")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, float64_losses=False)


@mutant("train", "returns the losses as a Python list instead of an array")
def train(params, loss_and_grads, step, n_steps, **options):  # noqa: F811
    return _train(params, loss_and_grads, step, n_steps, options, list_of_losses=True)
