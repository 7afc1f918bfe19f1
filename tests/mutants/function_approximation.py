"""Plausible wrong answers to lecture 01's exercises; each must fail a hidden scenario.

Helpers a mutant calls (``sigmoid``, ``dense_layer``) are the reference's (see
``MutantCatalogue.mutant``), so each mutant isolates one mistake.
"""
import numpy as np

from solutions.function_approximation import (  # noqa: F401
    dense_layer, ridge_fit, sigmoid, sigmoid_step, sinusoidal_features)
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

@mutant("cross_validate_ridge", "pools the held-out squared errors (folds weighted by their size)")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.sum((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "folds of n // k points: the remainder is never held out")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    size = n // n_folds
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for k in range(n_folds):
            fold = np.arange(k * size, (k + 1) * size)
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "measures the error on the training part instead of the held-out fold")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[train] @ theta - y[train]) ** 2)
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "interleaved folds x[k::n_folds] instead of contiguous blocks")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for k in range(n_folds):
            fold = np.arange(n)[k::n_folds]
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "returns the index of the best penalty, not its value")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return float(np.argmin(errors)), errors


@mutant("cross_validate_ridge", "ties go to the last penalty listed")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    last = len(errors) - 1 - int(np.argmin(errors[::-1]))
    return float(l2_values[last]), errors


@mutant("cross_validate_ridge", "no check of n_folds: one fold trains on nothing, too many folds are empty")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2) if len(fold) else 0.0
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "sorts the data by x before cutting the folds")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    order = np.argsort(x)
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


@mutant("cross_validate_ridge", "returns the best penalty as a numpy float64, not a Python float")
def cross_validate_ridge(x, y, n_features, l2_values, n_folds):  # noqa: F811
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n or not 2 <= n_folds <= n or l2_values.size == 0:
        raise ValueError("bad arguments")
    phi = sinusoidal_features(x, n_features)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in np.array_split(np.arange(n), n_folds):
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return l2_values[np.argmin(errors)], errors
