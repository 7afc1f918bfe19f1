"""Reference solutions for lecture 01, function approximation.

Each function has the name and signature of the notebook's exercise; the notebook's
docstrings are the specification. The grader copies each body into the nbgrader source.
"""
from collections.abc import Callable

import numpy as np


def sinusoidal_features(x: np.ndarray, n_features: int) -> np.ndarray:
    """Reference for the exercise of the same name."""
    x = np.asarray(x, dtype=float).reshape(-1)
    frequencies = np.arange(1, n_features + 1)
    return np.sin(np.pi * x[:, None] * frequencies[None, :])


def ridge_fit(features: np.ndarray, targets: np.ndarray, l2: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    n_features = features.shape[1]
    gram = features.T @ features + l2 * np.eye(n_features)
    return np.linalg.solve(gram, features.T @ targets)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def relu(z: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    return 1.0 - np.tanh(z) ** 2


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    return (np.asarray(z) > 0).astype(float)


def dense_layer(x: np.ndarray, W: np.ndarray, b: np.ndarray,
                activation: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Reference for the exercise of the same name."""
    if x.shape[-1] != W.shape[1]:
        raise ValueError(f"x has {x.shape[-1]} features but W expects {W.shape[1]} (W has shape {W.shape})")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b should have shape ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
    return np.asarray(activation(x @ W.T + b), dtype=np.float64)


def mlp_forward(x: np.ndarray, params: dict[str, np.ndarray],
                activation: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Reference for the exercise of the same name."""
    hidden = dense_layer(x, params["W1"], params["b1"], activation)
    return dense_layer(hidden, params["W2"], params["b2"], lambda h: h)


def mse_loss(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    return float(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2))


def binary_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Reference for the exercise of the same name."""
    z = np.asarray(logits, dtype=float)
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Reference for the exercise of the same name."""
    z = np.asarray(logits, dtype=float)
    labels = np.asarray(labels)
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (N, K), got {z.shape}")
    n, k = z.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits {z.shape}, got {labels.shape}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must lie in 0..{k - 1}, got values from {labels.min()} to {labels.max()}")
    top = z.max(axis=1)
    log_normalizer = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(log_normalizer - z[np.arange(n), labels]))


def sgd_step(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> dict[str, np.ndarray]:
    """Reference for the exercise of the same name."""
    return {name: value - lr * grads[name] for name, value in params.items()}


def sigmoid_step(x: np.ndarray, location: float, steepness: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    return sigmoid(steepness * (np.asarray(x, dtype=float) - location))


def sum_of_steps(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, n_steps: int,
                 steepness: float) -> np.ndarray:
    """Reference for the exercise of the same name."""
    knots = np.linspace(0.0, 1.0, n_steps + 1)
    values = f(knots)
    heights = np.diff(values)
    locations = (knots[:-1] + knots[1:]) / 2
    x = np.asarray(x, dtype=float)
    steps = sigmoid_step(x[..., None], locations, steepness)
    return values[0] + steps @ heights


def cross_validate_ridge(x: np.ndarray, y: np.ndarray, n_features: int, l2_values, n_folds: int
                         ) -> tuple[float, np.ndarray]:
    """Reference for the exercise of the same name."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    l2_values = np.asarray(l2_values, dtype=float).reshape(-1)
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x has {n} entries but y has {len(y)}")
    if not 2 <= n_folds <= n:
        raise ValueError(f"n_folds must be between 2 and {n}, got {n_folds}")
    if l2_values.size == 0:
        raise ValueError("l2_values is empty")
    phi = sinusoidal_features(x, n_features)
    folds = np.array_split(np.arange(n), n_folds)
    errors = np.zeros(l2_values.size)
    for i, l2 in enumerate(l2_values):
        for fold in folds:
            train = np.ones(n, dtype=bool)
            train[fold] = False
            theta = ridge_fit(phi[train], y[train], l2)
            errors[i] += np.mean((phi[fold] @ theta - y[fold]) ** 2)
    errors /= n_folds
    return float(l2_values[np.argmin(errors)]), errors


def train_classifier(params: dict[str, np.ndarray], loss_and_gradients: Callable, x: np.ndarray,
                     labels: np.ndarray, lr: float, epochs: int, batch_size: int, seed: int,
                     on_epoch: Callable | None = None) -> tuple[dict[str, np.ndarray], list[float]]:
    """Reference for the exercise of the same name."""
    x = np.asarray(x)
    labels = np.asarray(labels)
    if len(x) != len(labels):
        raise ValueError(f"x has {len(x)} examples but labels has {len(labels)}")
    if batch_size < 1 or epochs < 0:
        raise ValueError(f"need batch_size >= 1 and epochs >= 0, got {batch_size} and {epochs}")
    shuffler = np.random.default_rng(seed)
    n = len(labels)
    params = {name: np.array(value, dtype=float) for name, value in params.items()}
    losses = []
    for epoch in range(1, epochs + 1):
        order = shuffler.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss, grads = loss_and_gradients(params, x[batch], labels[batch])
            total += loss * len(batch)
            params = sgd_step(params, grads, lr)
        losses.append(total / n)
        if on_epoch is not None:
            on_epoch(epoch, params, losses[-1])
    return params, losses


def select_learning_rate(train: Callable, learning_rates, evaluate: Callable) -> tuple[float, list[float], object]:
    """Reference for the exercise of the same name."""
    learning_rates = [float(lr) for lr in learning_rates]
    if not learning_rates:
        raise ValueError("no learning rates to try")
    trained = [train(lr) for lr in learning_rates]
    scores = [float(evaluate(params)) for params in trained]
    ranked = [-np.inf if np.isnan(score) else score for score in scores]
    best = int(np.argmax(ranked))
    return learning_rates[best], scores, trained[best]
