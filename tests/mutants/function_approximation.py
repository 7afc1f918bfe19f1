"""Plausible wrong answers to lecture 01's exercises; each must fail a hidden scenario.

Helpers a mutant calls (``sigmoid``, ``dense_layer``) are the reference's (see
``MutantCatalogue.mutant``), so each mutant isolates one mistake. A multi-line exercise has
one private implementation with the mistakes as keyword switches (``_cross_validate_ridge``,
``_train_classifier``, ``_select_learning_rate``), and each mutant calls it with one switch set.
"""
import numpy as np

from solutions.function_approximation import (  # noqa: F401
    dense_layer, ridge_fit, sgd_step, sigmoid, sigmoid_step, sinusoidal_features)
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.function_approximation")
mutant = catalogue.mutant


# --- sinusoidal_features ---------------------------------------------------------------------

@mutant("sinusoidal_features", "off by one: frequencies 0..d-1 instead of 1..d")
def sinusoidal_features(x, n_features):
    return np.sin(np.pi * np.asarray(x)[:, None] * np.arange(n_features)[None, :])


@mutant("sinusoidal_features", "wrong axis: features in rows, points in columns")
def sinusoidal_features(x, n_features):  # noqa: F811
    return np.sin(np.pi * np.arange(1, n_features + 1)[:, None] * np.asarray(x)[None, :])


@mutant("sinusoidal_features", "forgets pi: sin(i x)")
def sinusoidal_features(x, n_features):  # noqa: F811
    return np.sin(np.asarray(x)[:, None] * np.arange(1, n_features + 1)[None, :])


# --- ridge_fit ---------------------------------------------------------------------------------

@mutant("ridge_fit", "sign error: subtracts the penalty (the notes' typo)")
def ridge_fit(features, targets, l2):
    return np.linalg.solve(features.T @ features - l2 * np.eye(features.shape[1]), features.T @ targets)


@mutant("ridge_fit", "ignores the penalty: ordinary least squares")
def ridge_fit(features, targets, l2):  # noqa: F811
    return np.linalg.lstsq(features, targets, rcond=None)[0]


@mutant("ridge_fit", "penalty added to every entry of the Gram matrix, not its diagonal")
def ridge_fit(features, targets, l2):  # noqa: F811
    return np.linalg.solve(features.T @ features + l2, features.T @ targets)


@mutant("ridge_fit", "penalty scaled by the number of points")
def ridge_fit(features, targets, l2):  # noqa: F811
    n, d = features.shape
    return np.linalg.solve(features.T @ features + n * l2 * np.eye(d), features.T @ targets)


# --- activations -----------------------------------------------------------------------------

@mutant("sigmoid", "unstable formula exp(z) / (1 + exp(z)): NaN for large z")
def sigmoid(z):  # noqa: F811
    return np.exp(z) / (1.0 + np.exp(z))


@mutant("sigmoid", "sign error: 1 / (1 + exp(z))")
def sigmoid(z):  # noqa: F811
    return 1.0 / (1.0 + np.exp(z))


@mutant("sigmoid", "tanh instead of the logistic function")
def sigmoid(z):  # noqa: F811
    return np.tanh(z)


@mutant("relu", "leaky: 0.01 z for negative z")
def relu(z):
    return np.where(z > 0, z, 0.01 * z)


@mutant("relu", "absolute value")
def relu(z):  # noqa: F811
    return np.abs(z)


@mutant("relu", "minimum instead of maximum")
def relu(z):  # noqa: F811
    return np.minimum(z, 0.0)


@mutant("sigmoid_derivative", "sigmoid(z) * (1 + sigmoid(z))")
def sigmoid_derivative(z):
    return sigmoid(z) * (1.0 + sigmoid(z))


@mutant("sigmoid_derivative", "z * (1 - z): the formula applied to z instead of sigmoid(z)")
def sigmoid_derivative(z):  # noqa: F811
    return z * (1.0 - z)


@mutant("sigmoid_derivative", "the sigmoid itself")
def sigmoid_derivative(z):  # noqa: F811
    return sigmoid(z)


@mutant("tanh_derivative", "1 - tanh(z), the square forgotten")
def tanh_derivative(z):
    return 1.0 - np.tanh(z)


@mutant("tanh_derivative", "1 - z^2")
def tanh_derivative(z):  # noqa: F811
    return 1.0 - z ** 2


@mutant("tanh_derivative", "1 + tanh(z)^2")
def tanh_derivative(z):  # noqa: F811
    return 1.0 + np.tanh(z) ** 2


@mutant("relu_derivative", "1 at z = 0 (uses >=)")
def relu_derivative(z):
    return (np.asarray(z) >= 0).astype(float)


@mutant("relu_derivative", "returns ReLU instead of its derivative")
def relu_derivative(z):  # noqa: F811
    return np.maximum(z, 0.0)


@mutant("relu_derivative", "booleans instead of floats")
def relu_derivative(z):  # noqa: F811
    return np.asarray(z) > 0


@mutant("relu", "clips the caller's array in place instead of returning a new one")
def relu(z):  # noqa: F811
    z = np.asarray(z)
    z[z < 0] = 0.0
    return z


@mutant("sigmoid", "keeps the input's dtype: an integer array gives an integer (0 or 1) result")
def sigmoid(z):  # noqa: F811
    z = np.asarray(z)
    out = np.empty_like(z)
    out[...] = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    return out


# --- dense_layer ---------------------------------------------------------------------------------

@mutant("dense_layer", "missing bias")
def dense_layer(x, W, b, activation):  # noqa: F811
    if x.shape[-1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError("shapes do not fit")
    return activation(x @ W.T)


@mutant("dense_layer", "activation applied before the bias")
def dense_layer(x, W, b, activation):  # noqa: F811
    if x.shape[-1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError("shapes do not fit")
    return activation(x @ W.T) + b


@mutant("dense_layer", "no shape checks (a wrong bias broadcasts silently)")
def dense_layer(x, W, b, activation):  # noqa: F811
    return activation(x @ W.T + b)


@mutant("dense_layer", "x @ W instead of x @ W.T (works only for square W)")
def dense_layer(x, W, b, activation):  # noqa: F811
    if b.shape != (W.shape[0],):
        raise ValueError("shapes do not fit")
    return activation(x @ W + b)


# --- mlp_forward -------------------------------------------------------------------------------

@mutant("mlp_forward", "no hidden non-linearity")
def mlp_forward(x, params, activation):
    hidden = dense_layer(x, params["W1"], params["b1"], lambda a: a)
    return dense_layer(hidden, params["W2"], params["b2"], lambda a: a)


@mutant("mlp_forward", "activation applied to the output too")
def mlp_forward(x, params, activation):  # noqa: F811
    hidden = dense_layer(x, params["W1"], params["b1"], activation)
    return dense_layer(hidden, params["W2"], params["b2"], activation)


@mutant("mlp_forward", "forgets the output bias b2")
def mlp_forward(x, params, activation):  # noqa: F811
    hidden = dense_layer(x, params["W1"], params["b1"], activation)
    return hidden @ params["W2"].T


# --- losses ----------------------------------------------------------------------------------------

@mutant("mse_loss", "sum instead of mean")
def mse_loss(y_pred, y):
    return float(np.sum((y_pred - y) ** 2))


@mutant("mse_loss", "mean absolute error")
def mse_loss(y_pred, y):  # noqa: F811
    return float(np.mean(np.abs(y_pred - y)))


@mutant("mse_loss", "root of the mean squared error")
def mse_loss(y_pred, y):  # noqa: F811
    return float(np.sqrt(np.mean((y_pred - y) ** 2)))


@mutant("binary_cross_entropy", "naive log(sigmoid): infinite or NaN for extreme logits")
def binary_cross_entropy(logits, y):
    p = 1.0 / (1.0 + np.exp(-logits))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@mutant("binary_cross_entropy", "clips the probability to [1e-12, 1 - 1e-12] before the log: wrong for large logits")
def binary_cross_entropy(logits, y):  # noqa: F811
    p = np.clip(1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500))), 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@mutant("sigmoid_derivative", "the quotient exp(-z) / (1 + exp(-z))^2: NaN for very negative z")
def sigmoid_derivative(z):  # noqa: F811
    e = np.exp(-np.asarray(z, dtype=float))
    return e / (1.0 + e) ** 2


@mutant("binary_cross_entropy", "sign error on the z * y term")
def binary_cross_entropy(logits, y):  # noqa: F811
    return float(np.mean(np.maximum(logits, 0) + logits * y + np.log1p(np.exp(-np.abs(logits)))))


@mutant("binary_cross_entropy", "sum instead of mean")
def binary_cross_entropy(logits, y):  # noqa: F811
    return float(np.sum(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))))


@mutant("binary_cross_entropy", "labels swapped: computes the loss of 1 - y")
def binary_cross_entropy(logits, y):  # noqa: F811
    return float(np.mean(np.maximum(logits, 0) - logits * (1 - y) + np.log1p(np.exp(-np.abs(logits)))))


# --- sgd_step ------------------------------------------------------------------------------------

@mutant("sgd_step", "sign error: gradient ascent")
def sgd_step(params, grads, lr):
    return {name: value + lr * grads[name] for name, value in params.items()}


@mutant("sgd_step", "updates the arrays in place")
def sgd_step(params, grads, lr):  # noqa: F811
    for name in params:
        params[name] -= lr * grads[name]
    return params


@mutant("sgd_step", "forgets the learning rate")
def sgd_step(params, grads, lr):  # noqa: F811
    return {name: value - grads[name] for name, value in params.items()}


# --- sigmoid_step and sum_of_steps ------------------------------------------------------------------

@mutant("sigmoid_step", "takes the location as one number: an array of locations does not broadcast")
def sigmoid_step(x, location, steepness):  # noqa: F811
    return sigmoid(steepness * (np.asarray(x, dtype=float) - float(np.ravel(location)[0])))


@mutant("sigmoid_step", "sign error in the location: a step at -location")
def sigmoid_step(x, location, steepness):  # noqa: F811
    return sigmoid(steepness * (x + location))


@mutant("sigmoid_step", "bias not scaled by the steepness: sigmoid(w x - s)")
def sigmoid_step(x, location, steepness):  # noqa: F811
    return sigmoid(steepness * x - location)


@mutant("sigmoid_step", "a falling step: sigmoid(w (s - x))")
def sigmoid_step(x, location, steepness):  # noqa: F811
    return sigmoid(steepness * (location - x))


@mutant("sum_of_steps", "off by one: steps placed at the knots t_k instead of half-way")
def sum_of_steps(f, x, n_steps, steepness):
    knots = np.linspace(0.0, 1.0, n_steps + 1)
    values = f(knots)
    return values[0] + sigmoid_step(np.asarray(x)[:, None], knots[1:], steepness) @ np.diff(values)


@mutant("sum_of_steps", "missing bias: forgets the starting value f(t_0)")
def sum_of_steps(f, x, n_steps, steepness):  # noqa: F811
    knots = np.linspace(0.0, 1.0, n_steps + 1)
    values = f(knots)
    centres = (knots[:-1] + knots[1:]) / 2
    return sigmoid_step(np.asarray(x)[:, None], centres, steepness) @ np.diff(values)


@mutant("sum_of_steps", "heights f(t_k) instead of the differences")
def sum_of_steps(f, x, n_steps, steepness):  # noqa: F811
    knots = np.linspace(0.0, 1.0, n_steps + 1)
    values = f(knots)
    centres = (knots[:-1] + knots[1:]) / 2
    return values[0] + sigmoid_step(np.asarray(x)[:, None], centres, steepness) @ values[1:]


@mutant("sum_of_steps", "knots k / (n + 1): the interval cut into the wrong number of pieces")
def sum_of_steps(f, x, n_steps, steepness):  # noqa: F811
    knots = np.arange(n_steps + 1) / (n_steps + 1)
    values = f(knots)
    centres = (knots[:-1] + knots[1:]) / 2
    return values[0] + sigmoid_step(np.asarray(x)[:, None], centres, steepness) @ np.diff(values)


# --- cross_validate_ridge ----------------------------------------------------------------------

def _cross_validate_ridge(x, y, n_features, l2_values, n_folds, *, sort_by_x=False, check_n_folds=True,
                          floor_sized_folds=False, interleaved_folds=False, training_error=False, pooled=False,
                          return_index=False, ties_to_last=False, numpy_float=False):
    """The reference's cross-validation, with the mistakes of the mutants below as switches."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if sort_by_x:
        order = np.argsort(x)
        x, y = x[order], y[order]
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or (check_n_folds and not 2 <= n_folds <= n) or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    if floor_sized_folds:
        size = n // n_folds
        folds = [np.arange(k * size, (k + 1) * size) for k in range(n_folds)]
    elif interleaved_folds:
        folds = [np.arange(n)[k::n_folds] for k in range(n_folds)]
    else:
        folds = np.array_split(np.arange(n), n_folds)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in folds:
            if len(fold) == 0:  # only without the check of n_folds: an empty fold adds nothing
                continue
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            scored = train if training_error else fold
            squared_errors = (phi[scored] @ theta - y[scored]) ** 2
            errors[i] += np.sum(squared_errors) if pooled else np.mean(squared_errors)
    errors /= n if pooled else n_folds
    if return_index:
        return float(np.argmin(errors)), errors
    best = len(errors) - 1 - int(np.argmin(errors[::-1])) if ties_to_last else np.argmin(errors)
    return (l2_values[best] if numpy_float else float(l2_values[best])), errors


@mutant("cross_validate_ridge", "pools the held-out squared errors (folds weighted by their size)")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, pooled=True)


@mutant("cross_validate_ridge", "folds of n // k points: the remainder is never held out")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, floor_sized_folds=True)


@mutant("cross_validate_ridge", "measures the error on the training part instead of the held-out fold")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, training_error=True)


@mutant("cross_validate_ridge", "interleaved folds x[k::n_folds] instead of contiguous blocks")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, interleaved_folds=True)


@mutant("cross_validate_ridge", "returns the index of the best penalty, not its value")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, return_index=True)


@mutant("cross_validate_ridge", "ties go to the last penalty listed")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, ties_to_last=True)


@mutant("cross_validate_ridge", "no check of n_folds: one fold trains on nothing, too many folds are empty")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, check_n_folds=False)


@mutant("cross_validate_ridge", "sorts the data by x before cutting the folds")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, sort_by_x=True)


@mutant("cross_validate_ridge", "returns the best penalty as a numpy float64, not a Python float")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    return _cross_validate_ridge(x, y, n_features, l2_values, n_folds, numpy_float=True)


# --- softmax and cross_entropy --------------------------------------------------------------------

@mutant("softmax", "the formula as written: exp of large logits overflows (NaN at 1000)")
def softmax(logits):
    e = np.exp(np.asarray(logits, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


@mutant("softmax", "normalizes over the whole array instead of each row")
def softmax(logits):  # noqa: F811
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()


@mutant("softmax", "normalizes along axis 0 (the examples) instead of the classes")
def softmax(logits):  # noqa: F811
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@mutant("softmax", "shifts by the row's minimum: exp of the largest difference overflows")
def softmax(logits):  # noqa: F811
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.min(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@mutant("softmax", "keeps the input's dtype: float32 in, float32 out")
def softmax(logits):  # noqa: F811
    z = np.asarray(logits)
    z = z.astype(float) if z.dtype.kind in "iu" else z
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@mutant("softmax", "subtracts the maximum in place: the caller's logits change")
def softmax(logits):  # noqa: F811
    z = np.asarray(logits)
    if z.dtype.kind == "f":
        z -= z.max(axis=-1, keepdims=True)
    else:
        z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@mutant("softmax", "clips the logits to +-500 instead of shifting: a constant added to a row matters")
def softmax(logits):  # noqa: F811
    e = np.exp(np.clip(np.asarray(logits, dtype=float), -500, 500))
    return e / e.sum(axis=-1, keepdims=True)


def _checked(logits, labels):
    z = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if z.ndim != 2 or labels.shape != (z.shape[0],) or labels.min() < 0 or labels.max() >= z.shape[1]:
        raise ValueError("bad arguments")
    return z, labels


@mutant("cross_entropy", "log of the softmax probability: log 0 = -inf for unlikely labels at +-1000")
def cross_entropy(logits, labels):
    z, labels = _checked(logits, labels)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


@mutant("cross_entropy", "sum over the examples instead of the mean")
def cross_entropy(logits, labels):  # noqa: F811
    z, labels = _checked(logits, labels)
    top = z.max(axis=1)
    return float(np.sum(top + np.log(np.exp(z - top[:, None]).sum(axis=1)) - z[np.arange(len(labels)), labels]))


@mutant("cross_entropy", "no label checks: a negative label indexes from the end, (N, 1) labels broadcast")
def cross_entropy(logits, labels):  # noqa: F811
    z = np.asarray(logits, dtype=float)
    top = z.max(axis=1)
    return float(np.mean(top + np.log(np.exp(z - top[:, None]).sum(axis=1)) - z[np.arange(len(z)), labels]))


@mutant("cross_entropy", "checks only the upper end of the label range (negative labels wrap around)")
def cross_entropy(logits, labels):  # noqa: F811
    z = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if z.ndim != 2 or labels.shape != (z.shape[0],) or labels.max() >= z.shape[1]:
        raise ValueError("bad arguments")
    top = z.max(axis=1)
    return float(np.mean(top + np.log(np.exp(z - top[:, None]).sum(axis=1)) - z[np.arange(len(z)), labels]))


@mutant("cross_entropy", "picks columns with z[:, labels]: an N x N block averaged")
def cross_entropy(logits, labels):  # noqa: F811
    z, labels = _checked(logits, labels)
    top = z.max(axis=1)
    return float(np.mean((top + np.log(np.exp(z - top[:, None]).sum(axis=1)))[:, None] - z[:, labels]))


@mutant("cross_entropy", "log-sum-exp without the shift: overflows at 1000")
def cross_entropy(logits, labels):  # noqa: F811
    z, labels = _checked(logits, labels)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))


@mutant("cross_entropy", "returns a numpy float64, not a Python float")
def cross_entropy(logits, labels):  # noqa: F811
    z, labels = _checked(logits, labels)
    top = z.max(axis=1)
    return np.mean(top + np.log(np.exp(z - top[:, None]).sum(axis=1)) - z[np.arange(len(labels)), labels])


# --- train_classifier ---------------------------------------------------------------------------------

def _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch, *,
                      check_arguments=True, copy_params=True, never_shuffle=False, shuffle_once=False,
                      unseeded=False, with_replacement=False, drop_last=False, full_batch=False,
                      stale_gradient=False, plain_mean_loss=False, count_from_zero=False, report_first=False):
    """The reference's training loop, with the mistakes of the mutants below as switches."""
    if check_arguments and (len(x) != len(labels) or batch_size < 1 or epochs < 0):
        raise ValueError("bad arguments")
    rng = np.random.default_rng(seed)
    n = len(labels)
    if copy_params:
        params = {k: np.array(v, dtype=float) for k, v in params.items()}
    if shuffle_once:
        first_order = rng.permutation(n)
    losses, pending = [], None
    for epoch in range(1, epochs + 1):
        if report_first and on_epoch is not None:
            on_epoch(epoch, params, losses[-1] if losses else float("nan"))
        if never_shuffle:
            order = np.arange(n)
        elif shuffle_once:
            order = first_order
        elif unseeded:
            order = np.random.permutation(n)
        elif with_replacement:
            order = rng.integers(0, n, size=n)
        else:
            order = rng.permutation(n)
        if drop_last and n >= batch_size:
            order = order[: n // batch_size * batch_size]
        step = len(order) if full_batch else batch_size
        total, batch_losses = 0.0, []
        for start in range(0, len(order), step):
            batch = order[start:start + step]
            loss, grads = loss_and_gradients(params, x[batch], labels[batch])
            total += loss * len(batch)
            batch_losses.append(loss)
            if stale_gradient:
                if pending is not None:
                    params = sgd_step(params, pending, lr)
                pending = grads
            else:
                params = sgd_step(params, grads, lr)
        losses.append(float(np.mean(batch_losses)) if plain_mean_loss else total / len(order))
        if on_epoch is not None and not report_first:
            on_epoch(epoch - 1 if count_from_zero else epoch, params, losses[-1])
    return params, losses


@mutant("train_classifier", "never shuffles: the batches come in the given order every epoch")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             never_shuffle=True)


@mutant("train_classifier", "shuffles once: the same order in every epoch")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             shuffle_once=True)


@mutant("train_classifier", "drops the last, smaller batch (N // B batches)")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             drop_last=True)


@mutant("train_classifier", "samples batches with replacement: some examples twice, others never")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             with_replacement=True)


@mutant("train_classifier", "the epoch's loss is the plain mean of the batch losses (a small last batch counts fully)")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             plain_mean_loss=True)


@mutant("train_classifier", "unseeded generator: a different result on every call")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             unseeded=True)


@mutant("train_classifier", "on_epoch counts epochs from 0")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             count_from_zero=True)


@mutant("train_classifier", "on_epoch called at the start of each epoch, before its steps")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             report_first=True)


@mutant("train_classifier", "one full-batch step per epoch instead of one step per batch")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             full_batch=True)


@mutant("train_classifier", "returns the caller's dict when there is nothing to train, and checks nothing")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             check_arguments=False, copy_params=False)


@mutant("train_classifier", "steps with the gradient of the previous batch (computed before the last update)")
def train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch=None):  # noqa: F811
    return _train_classifier(params, loss_and_gradients, x, labels, lr, epochs, batch_size, seed, on_epoch,
                             stale_gradient=True)


# --- select_learning_rate -----------------------------------------------------------------------------

def _select_learning_rate(train, learning_rates, evaluate, *, numpy_values=False, sort_first=False, nan_wins=False,
                          lowest_wins=False):
    """The reference's selection, with the mistakes of the mutants below as switches."""
    if numpy_values:
        learning_rates = np.asarray(learning_rates, dtype=float)
    else:
        learning_rates = [float(lr) for lr in learning_rates]
    if sort_first:
        learning_rates = sorted(learning_rates)
    if len(learning_rates) == 0:
        raise ValueError("no learning rates")
    trained = [train(lr) for lr in learning_rates]
    scores = [np.float64(evaluate(model)) if numpy_values else float(evaluate(model)) for model in trained]
    if nan_wins:
        best = int(np.argmax(scores))
    elif lowest_wins:
        best = int(np.nanargmin(scores)) if not all(np.isnan(scores)) else 0
    else:
        ranked = [-np.inf if np.isnan(s) else s for s in scores]
        best = int(np.argmax(ranked))
    return learning_rates[best], scores, trained[best]


@mutant("select_learning_rate", "np.argmax on the raw scores: a NaN wins")
def select_learning_rate(train, learning_rates, evaluate):
    return _select_learning_rate(train, learning_rates, evaluate, nan_wins=True)


@mutant("select_learning_rate", "keeps the lowest score, as if it were a loss")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    return _select_learning_rate(train, learning_rates, evaluate, lowest_wins=True)


@mutant("select_learning_rate", "ties go to the last one listed (>= in the comparison)")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    learning_rates = [float(lr) for lr in learning_rates]
    if not learning_rates:
        raise ValueError("no learning rates")
    best, scores, models = 0, [], []
    for i, lr in enumerate(learning_rates):
        models.append(train(lr))
        scores.append(float(evaluate(models[-1])))
        if not np.isnan(scores[-1]) and (np.isnan(scores[best]) or scores[-1] >= scores[best]):
            best = i
    return learning_rates[best], scores, models[best]


@mutant("select_learning_rate", "retrains the best learning rate at the end instead of keeping its model")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    learning_rates = [float(lr) for lr in learning_rates]
    if not learning_rates:
        raise ValueError("no learning rates")
    scores = [float(evaluate(train(lr))) for lr in learning_rates]
    ranked = [-np.inf if np.isnan(s) else s for s in scores]
    best = int(np.argmax(ranked))
    return learning_rates[best], scores, train(learning_rates[best])


@mutant("select_learning_rate", "sorts the learning rates first: the scores come back in sorted order")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    return _select_learning_rate(train, learning_rates, evaluate, sort_first=True)


@mutant("select_learning_rate", "returns the numpy learning rate and numpy scores")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    return _select_learning_rate(train, learning_rates, evaluate, numpy_values=True)


@mutant("select_learning_rate", "the running best starts at 0: negative scores never win")
def select_learning_rate(train, learning_rates, evaluate):  # noqa: F811
    learning_rates = [float(lr) for lr in learning_rates]
    if not learning_rates:
        raise ValueError("no learning rates")
    best, best_score, scores, models = 0, 0.0, [], []
    for i, lr in enumerate(learning_rates):
        models.append(train(lr))
        scores.append(float(evaluate(models[-1])))
        if scores[-1] > best_score:
            best, best_score = i, scores[-1]
    return learning_rates[best], scores, models[best]


# --- mistakes an independent student made that passed the first scenarios ------------------

@mutant("sigmoid", "clips z to [-30, 30] before the naive formula: the negative tail loses its accuracy")
def sigmoid(z):  # noqa: F811
    z = np.clip(np.asarray(z, dtype=np.float64), -30.0, 30.0)
    return 1.0 / (1.0 + np.exp(-z))


@mutant("sigmoid", "the naive formula: right values, but exp overflows (with a warning) for z = -1000")
def sigmoid(z):  # noqa: F811
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@mutant("tanh_derivative", "1 / cosh(z)^2: right values, but cosh overflows (with a warning) for |z| = 1000")
def tanh_derivative(z):  # noqa: F811
    return 1.0 / np.cosh(np.asarray(z, dtype=np.float64)) ** 2


@mutant("dense_layer", "no float cast: integer inputs give an integer array")
def dense_layer(x, W, b, activation):  # noqa: F811
    if x.shape[-1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError("shapes")
    return activation(x @ W.T + b)


@mutant("mlp_forward", "writes the layers out without dense_layer's checks: a bias of shape (1,) broadcasts")
def mlp_forward(x, params, activation):  # noqa: F811
    hidden = activation(np.asarray(x, dtype=float) @ params["W1"].T + params["b1"])
    return hidden @ params["W2"].T + params["b2"]


@mutant("mse_loss", "returns a numpy float64 scalar instead of a Python float")
def mse_loss(y_pred, y):  # noqa: F811
    return np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2)
