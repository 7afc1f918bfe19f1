"""Hidden scenarios for lecture 02, backpropagation and optimizers.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run. Scenarios for the class ``Value`` build expressions with the
class under test, call ``backward`` and return plain numbers.
"""
import numpy as np
import torch

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

# Each answer cell's kind (issue 23): T transcription, P partial, D design.
EXERCISE_KINDS = {
    "worked_example": "T",  # the text works every derivative out; the student codes the chain
    "gradient_check": "T",  # the central difference and the relative error are defined in the text
    "softmax_cross_entropy_backward": "D",  # the gradient is derived from the forward definition
    "mlp_backward": "D",  # forward pass and shapes only; the backward pass is derived
    "autograd": "P",  # local derivatives and the traversal are derived; the closure pattern is shown
    "sgd_momentum": "T",  # the update rules are printed
    "rmsprop_adam": "P",  # the rules are printed except Adam's bias correction, which is derived
    "training_loop": "D",  # a training loop specified by behaviour only
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(2000 + seed)


# --- worked example ------------------------------------------------------------------------------

WORKED_KEYS = ("y_hat", "loss", "dl_dtheta1", "dl_dtheta2")


def _documented(result):
    """The documented entries of worked_example_backward's dict (other entries are allowed)."""
    if not isinstance(result, dict):
        return result
    return {key: result[key] for key in WORKED_KEYS if key in result}


@book.scenario("worked_example_backward",
               hint="apply the chain rule term by term: the square's factor, the sign, and the right input of each product")
def worked_notes_numbers(worked_example_backward):
    """the notes' numbers: x = 2,500 and a prediction 42,500 below the target"""
    return _documented(worked_example_backward(2500.0, 50500.0, 500.0, 3.0))


@book.scenario("worked_example_backward")
def worked_small_numbers(worked_example_backward):
    """x = 1.5, y = -2, theta1 = 0.5, theta2 = 2 (prediction above the target)"""
    return _documented(worked_example_backward(1.5, -2.0, 0.5, 2.0))


@book.scenario("worked_example_backward")
def worked_negative_input(worked_example_backward):
    """a negative input x = -3 (the sign of dl/dtheta2 follows x)"""
    return _documented(worked_example_backward(-3.0, 4.0, 1.0, 0.25))


@book.scenario("worked_example_backward")
def worked_perfect_fit(worked_example_backward):
    """a perfect prediction: loss and both gradients are 0"""
    return _documented(worked_example_backward(2.0, 7.0, 1.0, 3.0))


@book.scenario("worked_example_backward")
def worked_arrays(worked_example_backward):
    """arrays of 6 examples at once (entry by entry, no averaging)"""
    rng = _rng(1)
    return _documented(worked_example_backward(rng.normal(size=6), rng.normal(size=6), 0.3, -1.2))


@book.scenario("worked_example_backward")
def worked_visible_cases(worked_example_backward):
    """the visible tests' cases: the notes' x = 2,500 and theta = (0, 1), small numbers, two examples"""
    return [_documented(worked_example_backward(2500.0, 45000.0, 0.0, 1.0)),
            _documented(worked_example_backward(1.0, 0.0, 1.0, 2.0)),
            _documented(worked_example_backward(np.array([1.0, -2.0]), np.array([0.0, 1.0]), 0.5, 2.0))]


@book.scenario("worked_example_backward")
def worked_array_parameters(worked_example_backward):
    """theta1 and theta2 given as arrays too (every entry is its own example); inputs unchanged"""
    rng = _rng(2)
    x, y, theta1, theta2 = (rng.normal(size=(2, 3)) for _ in range(4))
    return [_documented(worked_example_backward(x, y, theta1, theta2)), x, y, theta1, theta2]


@book.scenario("worked_example_backward")
def worked_extra_entries_allowed(worked_example_backward):
    """the documented entries are present (a dict with more entries is fine)"""
    result = worked_example_backward(1.0, 2.0, 3.0, 4.0)
    return sorted(key for key in WORKED_KEYS if isinstance(result, dict) and key in result)


# --- numerical gradient and relative error ------------------------------------------------------

@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-8,
               hint="use the central difference, divided by twice the step")
def numgrad_cubic_large_eps(numerical_gradient):
    """sum(x^3) on a 2 x 3 array with eps = 1e-3 (central differences give 3x^2 + eps^2)"""
    x = _rng(2).normal(size=(2, 3))
    return numerical_gradient(lambda v: float(np.sum(v ** 3)), x, 1e-3)


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-7,
               hint="restore each entry exactly after perturbing it")
def numgrad_coupled(numerical_gradient):
    """log-sum-exp of A x for a vector of 5 entries (every entry affects every other)"""
    rng = _rng(3)
    A, x = rng.normal(size=(4, 5)), rng.normal(size=5)
    return numerical_gradient(lambda v: float(np.log(np.sum(np.exp(A @ v)))), x)


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-7)
def numgrad_default_eps(numerical_gradient):
    """sin(x) * x^2 summed, with the default eps"""
    x = _rng(4).uniform(-2, 2, size=7)
    return numerical_gradient(lambda v: float(np.sum(np.sin(v) * v ** 2)), x)


@book.scenario("numerical_gradient", rtol=0.0, atol=0.0,
               hint="work on a copy: the caller's array must come back bit for bit unchanged")
def numgrad_leaves_input_alone(numerical_gradient):
    """the array passed in is left exactly as it was"""
    x = _rng(5).normal(size=(3, 2))
    numerical_gradient(lambda v: float(np.sum(np.cos(v))), x, 1e-4)
    return x


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-7)
def numgrad_single_entry(numerical_gradient):
    """an array with a single entry, f(v) = exp(v[0])"""
    return numerical_gradient(lambda v: float(np.exp(v[0])), np.array([0.7]))


@book.scenario("relative_error",
               hint="the error compares whole vectors through their norms")
def relerr_vectors(relative_error):
    """two nearby random vectors"""
    rng = _rng(6)
    a = rng.normal(size=8)
    return relative_error(a, a + 1e-3 * rng.normal(size=8))


@book.scenario("relative_error")
def relerr_matrices(relative_error):
    """two different 3 x 4 matrices (the norm is over every entry)"""
    rng = _rng(7)
    return relative_error(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))


@book.scenario("relative_error")
def relerr_scale_free(relative_error):
    """the same pair scaled by 1e6 gives the same relative error"""
    rng = _rng(8)
    a, b = rng.normal(size=5), rng.normal(size=5)
    return [relative_error(a, b), relative_error(1e6 * a, 1e6 * b)]


@book.scenario("relative_error",
               hint="guard against dividing by zero when both vectors vanish")
def relerr_both_zero(relative_error):
    """two zero vectors (0, not NaN)"""
    with np.errstate(all="ignore"):
        return relative_error(np.zeros(3), np.zeros(3))


@book.scenario("relative_error",
               hint="the denominator involves both vectors, so the order of the arguments does not matter")
def relerr_asymmetric_sizes(relative_error):
    """one vector ten times the other (the order of the arguments does not matter)"""
    a = np.array([1.0, -2.0, 0.5])
    return [relative_error(a, 10 * a), relative_error(10 * a, a)]


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-6)
def numgrad_visible_cases(numerical_gradient):
    """the visible tests' cases: sum(v^2) at [1, -2, 3], v[0, 0] v[1, 1] on 2 x 2, v^3 with eps = 0.1"""
    x = np.array([1.0, -2.0, 3.0])
    m = np.array([[2.0, 5.0], [-1.0, 3.0]])
    return [numerical_gradient(lambda v: float(np.sum(v ** 2)), x),
            numerical_gradient(lambda v: float(v[0, 0] * v[1, 1]), m),
            numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), 0.1), x, m]


@book.scenario("relative_error")
def relerr_visible_cases(relative_error):
    """the visible tests' cases: equal arrays, [1, 0] against [0, 1], two zero arrays"""
    results = [relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])),
               relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])), relative_error(np.zeros(3), np.zeros(3))]
    return [results, [isinstance(r, float) for r in results]]


@book.scenario("relative_error")
def relerr_tiny_norms(relative_error):
    """vectors with norms far below 1 (the floor 1e-12 only guards 0 / 0)"""
    return relative_error(np.array([1e-3, 0.0]), np.array([0.0, 2e-3]))


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-6)
def numgrad_float32_point(numerical_gradient):
    """a float32 point: the estimate is a float64 array computed in float64"""
    x = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    grad = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    return [grad, np.asarray(grad).dtype.name, x]


# --- softmax cross-entropy backward ---------------------------------------------------------------

def _logits(seed: int = 40, n: int = 6, c: int = 4, scale: float = 2.0) -> np.ndarray:
    return scale * _rng(seed).normal(size=(n, c))


def _labels(seed: int = 41, n: int = 6, c: int = 4) -> np.ndarray:
    return _rng(seed).integers(0, c, size=n)


def _torch_softmax_ce(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss and gradient of the mean cross-entropy, by torch.autograd (float64)."""
    z = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z, torch.as_tensor(np.asarray(labels), dtype=torch.long))
    loss.backward()
    return loss.item(), z.grad.numpy()


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10,
               hint="the gradient of the mean loss: softmax minus the one-hot label, divided by the batch size")
def softce_random_batch(softmax_cross_entropy_backward):
    """6 examples, 4 classes: loss and gradient"""
    return softmax_cross_entropy_backward(_logits(), _labels())


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10)
def softce_visible_cases(softmax_cross_entropy_backward):
    """the visible tests' cases: 5 examples of 4 classes (seed 3), logits of +-1000"""
    r = np.random.default_rng(3)
    logits, labels = r.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])
    huge = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    return [softmax_cross_entropy_backward(logits, labels), softmax_cross_entropy_backward(huge, np.array([1, 2])),
            error_name(softmax_cross_entropy_backward, logits, labels[:, None]),
            error_name(softmax_cross_entropy_backward, logits, np.array([0, 1, 4, 1, 2]))]


@book.scenario("softmax_cross_entropy_backward",
               hint="derive the gradient from the loss: compare it with central differences of your own loss")
def softce_agrees_with_finite_differences(softmax_cross_entropy_backward):
    """the gradient agrees with central differences of the function's own loss (relative error < 1e-6)"""
    logits, labels = _logits(42, 5, 3), _labels(43, 5, 3)
    _, grad = softmax_cross_entropy_backward(logits, labels)
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[index] = 1e-5
        numeric[index] = (softmax_cross_entropy_backward(logits + step, labels)[0]
                          - softmax_cross_entropy_backward(logits - step, labels)[0]) / 2e-5
    grad = np.asarray(grad, dtype=np.float64)
    error = np.linalg.norm(grad - numeric) / max(np.linalg.norm(grad) + np.linalg.norm(numeric), 1e-12)
    return bool(error < 1e-6)


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10,
               hint="the loss is the mean over the examples, and so is its gradient")
def softce_agrees_with_autograd(softmax_cross_entropy_backward):
    """loss and gradient equal torch.nn.functional.cross_entropy's and its autograd gradient (8 x 5)"""
    logits, labels = _logits(44, 8, 5, 3.0), _labels(45, 8, 5)
    loss, grad = softmax_cross_entropy_backward(logits, labels)
    expected_loss, expected_grad = _torch_softmax_ce(logits, labels)
    return [bool(abs(loss - expected_loss) <= 1e-9 * max(1.0, abs(expected_loss))),
            bool(np.allclose(grad, expected_grad, rtol=1e-7, atol=1e-12))]


@book.scenario("softmax_cross_entropy_backward", rtol=1e-9, atol=1e-12,
               hint="subtract each row's largest logit before exponentiating, so nothing overflows")
def softce_huge_logits(softmax_cross_entropy_backward):
    """logits of +-1000 (and a tie at the top): finite and accurate"""
    logits = np.array([[1000.0, -1000.0, 0.0, 1000.0], [-1000.0, -1000.0, -1000.0, -999.0],
                       [500.0, -500.0, 0.0, 2.0]])
    loss, grad = softmax_cross_entropy_backward(logits, np.array([1, 3, 0]))
    return [loss, grad, bool(np.isfinite(loss) and np.all(np.isfinite(grad)))]


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10,
               hint="compute log-probabilities directly: the true class's probability can underflow to 0")
def softce_confident_and_wrong(softmax_cross_entropy_backward):
    """a confidently wrong prediction (the true class 800 below the best): loss about 400"""
    logits = np.array([[800.0, 0.0, -5.0], [0.0, 1.0, 2.0]])
    return softmax_cross_entropy_backward(logits, np.array([1, 2]))


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10)
def softce_single_example(softmax_cross_entropy_backward):
    """a single example (N = 1) of 5 classes"""
    return softmax_cross_entropy_backward(_logits(46, 1, 5), np.array([4]))


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10)
def softce_single_class(softmax_cross_entropy_backward):
    """a single class (C = 1): loss 0 and gradient 0"""
    return softmax_cross_entropy_backward(np.array([[3.0], [-7.0]]), np.array([0, 0]))


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10,
               hint="the loss and the gradient are means over the batch, not sums")
def softce_mean_over_the_batch(softmax_cross_entropy_backward):
    """the same example repeated 4 times: the same loss, each row of the gradient a quarter"""
    logits, labels = _logits(47, 1, 3), np.array([2])
    one = softmax_cross_entropy_backward(logits, labels)
    four = softmax_cross_entropy_backward(np.repeat(logits, 4, axis=0), np.repeat(labels, 4))
    return [one, four]


@book.scenario("softmax_cross_entropy_backward", rtol=1e-6, atol=1e-10)
def softce_float32_logits(softmax_cross_entropy_backward):
    """float32 logits and int32 labels: a Python float loss and a float64 gradient"""
    logits = _logits(48, 4, 3).astype(np.float32)
    loss, grad = softmax_cross_entropy_backward(logits, _labels(49, 4, 3).astype(np.int32))
    return [loss, isinstance(loss, float), np.asarray(grad, dtype=np.float64), np.asarray(grad).dtype.name]


factories.invariant(book, "softmax_cross_entropy_backward", lambda: (_logits(50), _labels(51)),
                    lambda args: (args[0] + np.array([[5.0], [-300.0], [0.5], [700.0], [-2.0], [40.0]]), args[1]),
                    "a constant added to each example's logits changes neither the loss nor the gradient",
                    rtol=1e-6, atol=1e-10, hint="only the differences between an example's logits matter")
factories.inputs_unchanged(book, "softmax_cross_entropy_backward", lambda: (_logits(52), _labels(53)))
factories.raises(book, "softmax_cross_entropy_backward", {
    "labels (N, 1)": lambda: (_logits(54), _labels(55)[:, None]),
    "labels (1,)": lambda: (_logits(54), np.array([1])),
    "N - 1 labels": lambda: (_logits(54), _labels(55)[:-1]),
    "label C": lambda: (_logits(54, 3, 4), np.array([0, 4, 1])),
    "label -1": lambda: (_logits(54, 3, 4), np.array([0, -1, 1])),
    "logits (C,)": lambda: (_logits(54)[0], np.array([1])),
    "logits 3-D": lambda: (_logits(54).reshape(2, 3, 4), np.array([0, 1])),
})


# --- MLP backward ------------------------------------------------------------------------------------

def _mlp(seed: int, n: int, d_in: int, d_hidden: int, d_out: int):
    rng = _rng(seed)
    params = {"W1": rng.normal(size=(d_hidden, d_in)), "b1": rng.normal(size=d_hidden),
              "W2": rng.normal(size=(d_out, d_hidden)), "b2": rng.normal(size=d_out)}
    return rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out)), params


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9)
def mlp_tanh_batch(mlp_backward):
    """a 3-5-2 tanh network on a batch of 8"""
    x, y, params = _mlp(9, 8, 3, 5, 2)
    return mlp_backward(x, y, params, "tanh")


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9,
               hint="check the mean's factor, the activation's derivative, and which layer output feeds each weight gradient")
def mlp_relu_batch(mlp_backward):
    """a 4-6-1 ReLU network on a batch of 10"""
    x, y, params = _mlp(10, 10, 4, 6, 1)
    return mlp_backward(x, y, params, "relu")


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9)
def mlp_default_activation(mlp_backward):
    """the default activation (tanh), the notes' shapes 2-3-3"""
    x, y, params = _mlp(11, 4, 2, 3, 3)
    return mlp_backward(x, y, params)


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9,
               hint="the activation's derivative is taken at the hidden layer's pre-activation")
def mlp_single_example(mlp_backward):
    """a batch of one example (N = 1)"""
    x, y, params = _mlp(12, 1, 3, 4, 2)
    return mlp_backward(x, y, params, "tanh")


@book.scenario("mlp_backward", rtol=0.0, atol=0.0)
def mlp_leaves_params_alone(mlp_backward):
    """the parameters passed in are left unchanged"""
    x, y, params = _mlp(13, 5, 2, 4, 1)
    mlp_backward(x, y, params, "relu")
    return params


@book.scenario("mlp_backward")
def mlp_unknown_activation(mlp_backward):
    """an unknown activation name (must raise ValueError)"""
    x, y, params = _mlp(14, 3, 2, 3, 1)
    return error_name(mlp_backward, x, y, params, "swish")


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9)
def mlp_visible_cases(mlp_backward):
    """the visible tests' 2-3-2 network on 4 examples, tanh and relu"""
    rng = np.random.default_rng(5)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(2, 3)),
              "b2": rng.normal(size=2)}
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    return [mlp_backward(x, y, params, "tanh"), mlp_backward(x, y, params, "relu"),
            error_name(mlp_backward, x, y, params, "swish")]


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-9)
def mlp_relu_at_zero(mlp_backward):
    """ReLU units whose input is exactly 0 (the derivative used there is 0); loss is a Python float"""
    rng = _rng(12)
    params = {"W1": np.array([[0.0, 0.0], [1.0, -1.0], [0.0, 0.0]]), "b1": np.array([0.0, 0.5, 0.0]),
              "W2": rng.normal(size=(2, 3)), "b2": rng.normal(size=2)}
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    loss, grads = mlp_backward(x, y, params, "relu")
    return [loss, isinstance(loss, float), grads]


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-10,
               hint="for the classification head, the gradient at the logits is that of exercise 3")
def mlp_softmax_head_tanh(mlp_backward):
    """a 3-5-4 tanh classifier with the softmax cross-entropy head on a batch of 9"""
    x, _, params = _mlp(60, 9, 3, 5, 4)
    return mlp_backward(x, _rng(61).integers(0, 4, size=9), params, "tanh", "softmax_ce")


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-10)
def mlp_softmax_head_relu(mlp_backward):
    """a 2-6-3 ReLU classifier with the softmax cross-entropy head, compared with torch.autograd"""
    x, _, params = _mlp(62, 7, 2, 6, 3)
    labels = _rng(63).integers(0, 3, size=7)
    loss, grads = mlp_backward(x, labels, params, "relu", "softmax_ce")
    p = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    out = torch.relu(torch.as_tensor(x) @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
    torch.nn.functional.cross_entropy(out, torch.as_tensor(labels)).backward()
    return [loss, grads, all(np.allclose(grads[key], p[key].grad.numpy(), rtol=1e-7, atol=1e-12) for key in p)]


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-10)
def mlp_softmax_large_logits(mlp_backward):
    """the classification head with large weights (logits in the hundreds): finite and accurate"""
    x, _, params = _mlp(64, 5, 3, 4, 3)
    params = {**params, "W2": 200.0 * params["W2"]}
    return mlp_backward(x, _rng(65).integers(0, 3, size=5), params, "tanh", "softmax_ce")


@book.scenario("mlp_backward", rtol=1e-6, atol=1e-10)
def mlp_float32_inputs(mlp_backward):
    """float32 inputs and parameters: the gradients are float64 arrays, the loss a Python float"""
    x, y, params = _mlp(66, 4, 2, 3, 2)
    params32 = {key: value.astype(np.float32) for key, value in params.items()}
    loss, grads = mlp_backward(x.astype(np.float32), y.astype(np.float32), params32, "tanh")
    return [loss, isinstance(loss, float), {key: np.asarray(value).dtype.name for key, value in grads.items()},
            {key: np.asarray(value, dtype=np.float64) for key, value in grads.items()}]


@book.scenario("mlp_backward", rtol=0.0, atol=0.0)
def mlp_leaves_inputs_alone(mlp_backward):
    """x, the labels and the parameters passed in are left unchanged (classification head)"""
    x, _, params = _mlp(67, 5, 2, 4, 3)
    labels = _rng(68).integers(0, 3, size=5)
    mlp_backward(x, labels, params, "relu", "softmax_ce")
    return [x, labels, params]


factories.raises(book, "mlp_backward", {
    "swish": lambda: (*_mlp(69, 3, 2, 3, 2)[:3], "swish"),
    "hinge head": lambda: (*_mlp(69, 3, 2, 3, 2)[:3], "tanh", "hinge"),
    "hinge head, integer labels": lambda: (_mlp(69, 3, 2, 3, 2)[0], np.array([0, 1, 1]),
                                           _mlp(69, 3, 2, 3, 2)[2], "tanh", "hinge"),
    "y (N, 1)": lambda: (_mlp(69, 3, 2, 3, 2)[0], _mlp(69, 3, 2, 3, 2)[1][:, :1],
                                                     _mlp(69, 3, 2, 3, 2)[2]),
    "y (N-1, 2)": lambda: (_mlp(69, 3, 2, 3, 2)[0], _mlp(69, 3, 2, 3, 2)[1][:-1],
                                                _mlp(69, 3, 2, 3, 2)[2]),
    "labels (N, 1)": lambda: (_mlp(69, 3, 2, 3, 2)[0], np.zeros((3, 1), dtype=int),
                                                    _mlp(69, 3, 2, 3, 2)[2], "tanh", "softmax_ce"),
    "x (N, 3)": lambda: (_rng(70).normal(size=(3, 3)), *_mlp(69, 3, 2, 3, 2)[1:3]),
    "x (2,)": lambda: (_rng(70).normal(size=2), *_mlp(69, 3, 2, 3, 2)[1:3]),
})


# --- Value --------------------------------------------------------------------------------------------

def _summary(*nodes):
    return {"data": [node.data for node in nodes], "grad": [node.grad for node in nodes]}


@book.scenario("Value",
               hint="each operand's gradient uses the local derivative: for a product, the other operand's value")
def value_neuron(Value):
    """a tanh neuron tanh(x1 w1 + x2 w2 + b)"""
    x1, w1, x2, w2, b = Value(1.5), Value(-0.8), Value(-0.5), Value(0.6), Value(0.4)
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    return _summary(out, x1, w1, x2, w2, b)


@book.scenario("Value",
               hint="backward starts by setting the output's own gradient to one")
def value_reused_node(Value):
    """a node used three times: a * a + a (gradients accumulate to 2a + 1)"""
    a = Value(3.0)
    out = a * a + a
    out.backward()
    return _summary(out, a)


@book.scenario("Value",
               hint="gradients accumulate: add to a node's gradient, never overwrite it")
def value_same_node_twice(Value):
    """one node as both operands: x + x and y * y"""
    x, y = Value(-1.5), Value(2.5)
    out = (x + x) * Value(1.0) + y * y
    out.backward()
    return _summary(out, x, y)


@book.scenario("Value",
               hint="visit nodes in reverse topological order, so each node is complete before it passes its gradient on")
def value_diamond(Value):
    """a diamond: b and c both depend on an inner node m, and d = b * c (needs topological order)"""
    a = Value(0.7)
    m = a.tanh() * a  # an inner node with two consumers
    b = (m * 2.0).tanh()
    c = m * m + 1.0
    d = b * c
    e = d.tanh() * 3.0
    e.backward()
    return _summary(e, d, c, b, m, a)


@book.scenario("Value")
def value_plain_numbers(Value):
    """mixing Values with Python numbers: 2 + x, x * 4, 3 * x, 1 - x"""
    x = Value(0.25)
    out = (2 + x) * (x * 4) + 3 * x + (1 - x)
    out.backward()
    return _summary(out, x)


@book.scenario("Value")
def value_long_chain(Value):
    """a chain of 60 operations x <- tanh(0.9 x + 0.1)"""
    start = Value(0.3)
    x = start
    for _ in range(60):
        x = (x * 0.9 + 0.1).tanh()
    x.backward()
    return _summary(x, start)


@book.scenario("Value")
def value_leaf_backward(Value):
    """backward on a leaf gives it gradient 1"""
    leaf = Value(5.0)
    leaf.backward()
    return _summary(leaf)


@book.scenario("Value")
def value_forward_only(Value):
    """forward values before backward, all gradients still 0"""
    a, b = Value(-2.0), Value(0.5)
    out = (a * b + a).tanh() * b
    return _summary(out, a, b)


@book.scenario("Value")
def value_saturated_tanh(Value):
    """tanh of a large input (gradient nearly 0) and relu mixed in"""
    a, b = Value(4.0), Value(-1.0)
    out = (a * 3.0).tanh() + (a * b).relu() + (b * -2.0).relu() * a
    out.backward()
    return _summary(out, a, b)


@book.scenario("Value")
def value_visible_cases(Value):
    """the visible tests' cases: 2 + (-3), 2 + 4, 2 * (-3), tanh(0.5), a * a + a at 3"""
    a = Value(3.0)
    out = a * a + a
    out.backward()
    return [(Value(2.0) + Value(-3.0)).data, (Value(2.0) + 4).data, (Value(2.0) * Value(-3.0)).data,
            Value(0.5).tanh().data, _summary(out, a)]


@book.scenario("Value")
def value_node_structure(Value):
    """the nodes +, * and tanh build: their op label, parents and starting gradient"""
    a, b = Value(2.0), Value(-0.5)
    nodes = [a + b, a * b, a.tanh(), a + 3.0, a * 3.0]
    return [[node._op for node in nodes], [node.grad for node in nodes],
            [[parent is a or parent is b for parent in node._parents] for node in nodes],
            [[parent.data for parent in node._parents] for node in nodes]]


@book.scenario("Value",
               hint="a breadth-first walk is not a topological order when a node is reached along paths of different lengths")
def value_short_and_long_path(Value):
    """a node reached by a short and a long path: out = tanh(2 tanh(y)) + y with y = x * x"""
    x = Value(0.8)
    y = x * x
    out = ((y.tanh() * 2.0).tanh() * 1.5).tanh() + y
    out.backward()
    return _summary(out, y, x)


@book.scenario("Value")
def value_shared_subgraph(Value):
    """two outputs of one shared subgraph summed, each reached through paths of different lengths"""
    a, b = Value(0.3), Value(-1.2)
    h = (a * b + a).tanh()
    g = (h * h).tanh() * h + (h + b) * (h * a)
    g.backward()
    return _summary(g, h, a, b)


@book.scenario("sgd_step",
               hint="a gradient step goes against the gradient, scaled by the learning rate")
def sgd_visible_cases(sgd_step):
    """the visible tests' case: sgd_step([1, -1], grad [1, 2], lr 0.1) and its state"""
    return sgd_step(np.array([1.0, -1.0]), np.array([1.0, 2.0]), {}, 0.1)


@book.scenario("momentum_step")
def momentum_visible_cases(momentum_step):
    """the visible tests' cases: two steps from {}, then 5 steps with beta 0.8 on a diagonal quadratic"""
    theta, grad = np.array([1.0, -1.0]), np.array([1.0, 2.0])
    first = momentum_step(theta, grad, {}, 0.1, 0.9)
    second = momentum_step(first[0], grad, first[1], 0.1, 0.9)
    H = np.diag([1.0, 10.0])
    path, state = np.array([2.0, 1.0]), {}
    for _ in range(5):
        path, state = momentum_step(path, H @ path, state, 0.05, 0.8)
    return [first, second, path, state]


@book.scenario("rmsprop_step",
               hint="check the running average of squared gradients (its two weights, the new gradient included) and the square root")
def rmsprop_visible_cases(rmsprop_step):
    """the visible tests' cases: the first step from {}, then 6 steps with gamma 0.8 on a quadratic"""
    first = rmsprop_step(np.array([1.0, -1.0]), np.array([0.5, -20.0]), {}, 0.01, 0.9, 1e-8)
    H = np.diag([1.0, 10.0])
    theta, state = np.array([2.0, 1.0]), {}
    for _ in range(6):
        theta, state = rmsprop_step(theta, H @ theta, state, 0.05, 0.8, 1e-8)
    return [first, theta, state]


@book.scenario("adam_step",
               hint="the step uses the first-moment estimate, not the raw gradient")
def adam_visible_cases(adam_step):
    """the visible tests' cases: the first step from {}, then 6 steps with rates 0.8, 0.95"""
    first = adam_step(np.array([1.0, -1.0]), np.array([0.5, -20.0]), {}, 0.01)
    H = np.diag([1.0, 10.0])
    theta, state = np.array([2.0, 1.0]), {}
    for _ in range(6):
        theta, state = adam_step(theta, H @ theta, state, 0.05, 0.8, 0.95, 1e-8)
    return [first, theta, state]


@book.scenario("Value")
def value_operands_untouched(Value):
    """building nodes leaves the operands' data and grad alone; backward returns None and keeps data"""
    a, b = Value(1.5), Value(-2.0)
    out = (a * b + a).tanh() * 2.0
    before = [a.data, a.grad, b.data, b.grad, out.data]
    returned = out.backward()
    return [before, returned is None, [a.data, b.data, out.data]]


@book.scenario("adam_step")
def adam_step_count_is_an_int(adam_step):
    """the step count k in the state is a Python int (1, then 2)"""
    theta, grad = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    theta, state = adam_step(theta, grad, {}, 0.1)
    _, state2 = adam_step(theta, grad, state, 0.1)
    return [state2.get("k"), type(state.get("k")).__name__, type(state2.get("k")).__name__]


@book.scenario("numerical_gradient", rtol=1e-6, atol=1e-7)
def numgrad_calls_f_with_floats(numerical_gradient):
    """f receives float arrays of x's shape (a 2 x 2 point)"""
    seen = set()

    def f(v):
        seen.add((np.asarray(v).dtype.kind, np.shape(v)))
        return float(np.sum(np.cos(v)))
    grad = numerical_gradient(f, np.array([[0.5, -1.0], [2.0, 0.25]]))
    return [grad, sorted(seen)]


# --- optimizers --------------------------------------------------------------------------------------

def _quadratic_gradient(theta):
    """Gradient of 0.5 * (theta_0^2 + 10 theta_1^2 + ...) with a coupling term."""
    scales = np.arange(1, theta.size + 1, dtype=float).reshape(theta.shape) ** 2
    return scales * theta + 0.3 * np.roll(theta, 1)


def _run(step, theta, n_steps, **options):
    """Apply ``step`` n_steps times on the quadratic; return the trajectory and the last state."""
    state = {}
    path = [theta]
    for _ in range(n_steps):
        theta, state = step(theta, _quadratic_gradient(theta), state, **options)
        path.append(theta)
    return {"path": np.array(path), "state": state}


def _start(seed, shape=(3,)):
    return _rng(seed).normal(size=shape)


@book.scenario("sgd_step")
def sgd_trajectory(sgd_step):
    """8 steps with lr = 0.05 on a quadratic"""
    return _run(sgd_step, _start(20), 8, lr=0.05)


@book.scenario("sgd_step")
def sgd_matrix(sgd_step):
    """one step on a 2 x 3 parameter matrix (the state stays empty)"""
    rng = _rng(21)
    return sgd_step(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), {}, 0.3)


@book.scenario("sgd_step", hint="the returned state holds the same entries as the state passed in")
def sgd_keeps_the_state(sgd_step):
    """one step with a state that already holds entries (they come back unchanged)"""
    rng = _rng(23)
    state = {"k": 3, "note": 1.5}
    return sgd_step(rng.normal(size=3), rng.normal(size=3), state, 0.1)


@book.scenario("sgd_step", rtol=0.0, atol=0.0,
               hint="return new values; the parameters passed in must not change")
def sgd_leaves_inputs_alone(sgd_step):
    """the parameters and gradient passed in are left unchanged"""
    rng = _rng(22)
    theta, grad = rng.normal(size=4), rng.normal(size=4)
    sgd_step(theta, grad, {}, 0.5)
    return [theta, grad]


@book.scenario("momentum_step",
               hint="the velocity accumulates the decayed old velocity plus the new gradient, and the step uses the new velocity")
def momentum_trajectory(momentum_step):
    """10 steps with lr = 0.05, beta = 0.9"""
    return _run(momentum_step, _start(23), 10, lr=0.05, beta=0.9)


@book.scenario("momentum_step")
def momentum_default_beta(momentum_step):
    """6 steps with lr = 0.02 and the default beta on a 2 x 2 matrix"""
    return _run(momentum_step, _start(24, (2, 2)), 6, lr=0.02)


@book.scenario("momentum_step")
def momentum_given_state(momentum_step):
    """one step continuing from a given velocity"""
    rng = _rng(25)
    return momentum_step(rng.normal(size=3), rng.normal(size=3), {"v": rng.normal(size=3)}, 0.1, beta=0.5)


@book.scenario("momentum_step", rtol=0.0, atol=0.0,
               hint="return a new state; the state passed in must not change")
def momentum_leaves_inputs_alone(momentum_step):
    """the parameters, gradient and state passed in are left unchanged"""
    rng = _rng(26)
    theta, grad, state = rng.normal(size=3), rng.normal(size=3), {"v": rng.normal(size=3)}
    momentum_step(theta, grad, state, 0.1, beta=0.9)
    return [theta, grad, state]


@book.scenario("rmsprop_step")
def rmsprop_trajectory(rmsprop_step):
    """10 steps with lr = 0.01, gamma = 0.9"""
    return _run(rmsprop_step, _start(27), 10, lr=0.01, gamma=0.9)


@book.scenario("rmsprop_step",
               hint="eps is added to the square root, not inside it")
def rmsprop_large_eps(rmsprop_step):
    """5 steps with gamma = 0.5 and a large eps = 0.1 (eps is added to the root)"""
    return _run(rmsprop_step, _start(28), 5, lr=0.05, gamma=0.5, eps=0.1)


@book.scenario("rmsprop_step")
def rmsprop_given_state(rmsprop_step):
    """one step continuing from a given s, default gamma and eps"""
    rng = _rng(29)
    return rmsprop_step(rng.normal(size=(2, 2)), rng.normal(size=(2, 2)),
                        {"s": rng.uniform(0.1, 2.0, size=(2, 2))}, 0.01)


@book.scenario("rmsprop_step")
def rmsprop_zero_gradient(rmsprop_step):
    """a zero gradient on the first step (no division by zero, theta unchanged)"""
    with np.errstate(all="ignore"):
        return rmsprop_step(np.array([1.0, -2.0]), np.zeros(2), {}, 0.1)


@book.scenario("rmsprop_step", rtol=0.0, atol=0.0)
def rmsprop_leaves_inputs_alone(rmsprop_step):
    """the parameters, gradient and state passed in are left unchanged"""
    rng = _rng(30)
    theta, grad, state = rng.normal(size=3), rng.normal(size=3), {"s": rng.uniform(size=3)}
    rmsprop_step(theta, grad, state, 0.1, gamma=0.9)
    return [theta, grad, state]


@book.scenario("adam_step")
def adam_trajectory(adam_step):
    """12 steps with lr = 0.05 and the default decay rates"""
    return _run(adam_step, _start(31), 12, lr=0.05)


@book.scenario("adam_step")
def adam_custom_rates(adam_step):
    """6 steps with gamma_v = 0.5, gamma_s = 0.8, eps = 0.01"""
    return _run(adam_step, _start(32, (2, 2)), 6, lr=0.1, gamma_v=0.5, gamma_s=0.8, eps=0.01)


@book.scenario("adam_step",
               hint="check the bias correction (with the new step count) and which decay rate belongs to which moment")
def adam_first_step(adam_step):
    """the first step moves every entry by about lr, whatever the gradient's size"""
    return adam_step(np.zeros(4), np.array([1e-3, -5.0, 200.0, 0.5]), {}, 0.01)


@book.scenario("adam_step")
def adam_given_state(adam_step):
    """one step continuing from a state after 10 steps (k = 10)"""
    rng = _rng(33)
    state = {"v": rng.normal(size=3), "s": rng.uniform(0.1, 1.0, size=3), "k": 10}
    return adam_step(rng.normal(size=3), rng.normal(size=3), state, 0.01)


@book.scenario("adam_step", rtol=0.0, atol=0.0)
def adam_leaves_inputs_alone(adam_step):
    """the parameters, gradient and state passed in are left unchanged"""
    rng = _rng(34)
    theta, grad = rng.normal(size=3), rng.normal(size=3)
    state = {"v": rng.normal(size=3), "s": rng.uniform(size=3), "k": 3}
    adam_step(theta, grad, state, 0.1)
    return [theta, grad, state]


@book.scenario("relative_error")
def relerr_visible_random_pair(relative_error):
    """the visible test's two random 3 x 4 arrays (seed 2)"""
    a, b = np.random.default_rng(2).normal(size=(2, 3, 4))
    return relative_error(a, b)


# --- training loop -----------------------------------------------------------------------------------

def _bowl(params):
    """loss = sum(w^2) + 3 sum(b^2) (a numpy float) and its gradient."""
    loss = np.sum(params["w"] ** 2) + 3.0 * np.sum(params["b"] ** 2)
    return loss, {"w": 2.0 * params["w"], "b": 6.0 * params["b"]}


def _bowl_start():
    rng = _rng(80)
    return {"w": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}


def _plain_sgd(theta, grad, state, lr):
    return theta - lr * grad, dict(state)


def _heavy_ball(theta, grad, state, lr, beta=0.9):
    velocity = beta * state.get("v", np.zeros_like(theta)) + grad
    return theta - lr * velocity, {"v": velocity}


@book.scenario("train", hint="record the loss at the parameters each step starts from, before the update")
def train_sgd_on_a_bowl(train):
    """5 SGD steps with lr = 0.1 on a quadratic bowl of two parameters"""
    final, losses = train(_bowl_start(), _bowl, _plain_sgd, 5, lr=0.1)
    return [final, losses]


@book.scenario("train", hint="each parameter keeps its own optimizer state from one step to the next")
def train_momentum_on_a_bowl(train):
    """8 momentum steps (lr = 0.05, beta = 0.5 passed as options): states carried per parameter"""
    final, losses = train(_bowl_start(), _bowl, _heavy_ball, 8, lr=0.05, beta=0.5)
    return [final, losses]


@book.scenario("train", hint="each parameter keeps its own optimizer state, starting from an empty one")
def train_states_per_parameter(train):
    """the state each step call receives: {} first, then what that parameter's previous call returned"""
    received = {}

    def counting_step(theta, grad, state, lr):
        key = int(theta.size)  # the two parameters have different sizes
        received.setdefault(key, []).append(state.get("calls", -1))
        return theta - lr * grad, {"calls": state.get("calls", 0) + 1}

    train(_bowl_start(), _bowl, counting_step, 4, lr=0.1)
    return {str(key): calls for key, calls in sorted(received.items())}


@book.scenario("train", hint="compute the gradient at the current parameters, before moving any of them")
def train_gradients_at_the_current_parameters(train):
    """the parameters loss_and_grads is called with, step by step (all parameters updated together)"""
    seen = []

    def loss_and_grads(params):
        seen.append({key: np.array(value, copy=True) for key, value in params.items()})
        return _bowl(params)

    train(_bowl_start(), loss_and_grads, _plain_sgd, 3, lr=0.2)
    return seen[:3]


@book.scenario("train", rtol=0.0, atol=0.0, hint="return a new dict; the parameters passed in must not change")
def train_leaves_params_alone(train):
    """the dict and the arrays passed in are left unchanged, and a new dict is returned"""
    start = _bowl_start()
    keys, copies = list(start), {key: value.copy() for key, value in start.items()}
    final, _ = train(start, _bowl, _plain_sgd, 3, lr=0.1)
    return [list(start) == keys, all(np.array_equal(start[key], copies[key]) for key in keys), final is start]


@book.scenario("train")
def train_zero_steps(train):
    """n_steps = 0: the starting parameters and an empty float64 array"""
    final, losses = train(_bowl_start(), _bowl, _plain_sgd, 0, lr=0.1)
    return [final, type(losses).__name__, np.asarray(losses).shape, np.asarray(losses).dtype.name]


@book.scenario("train")
def train_losses_are_float64(train):
    """losses reported as float32 numbers come back as a float64 array of shape (n_steps,)"""
    def float32_loss(params):
        loss, grads = _bowl(params)
        return np.float32(loss), grads
    _, losses = train(_bowl_start(), float32_loss, _plain_sgd, 4, lr=0.05)
    return [np.asarray(losses).shape, np.asarray(losses).dtype.name, np.asarray(losses, dtype=np.float64)]


@book.scenario("train")
def train_step_calls(train):
    """step is called once per parameter and step: 3 parameters, 4 steps"""
    calls = []

    def loss_and_grads(params):
        return 0.0, {key: np.ones_like(value) for key, value in params.items()}

    def step(theta, grad, state, lr):
        calls.append(theta.shape)
        return theta - lr * grad, state

    start = {"a": np.zeros(1), "b": np.zeros((2, 2)), "c": np.zeros(3)}
    final, _ = train(start, loss_and_grads, step, 4, lr=0.5)
    return [sorted(calls), final]


@book.scenario("train")
def train_visible_cases(train):
    """the visible tests' cases: 3 SGD steps on a^2 + 3 b^2, 0 steps, n_steps = -1"""
    def quadratic(p):
        return float(np.sum(p["a"] ** 2) + 3 * np.sum(p["b"] ** 2)), {"a": 2 * p["a"], "b": 6 * p["b"]}

    start = {"a": np.array([1.0, -2.0]), "b": np.array([0.5])}
    final, losses = train(start, quadratic, _plain_sgd, 3, lr=0.1)
    return [final, losses, error_name(train, start, quadratic, _plain_sgd, -1, lr=0.1)]


factories.raises(book, "train", {"n_steps = -1": lambda: (_bowl_start(), _bowl, _plain_sgd, -1),
                                 "n_steps = -5": lambda: (_bowl_start(), _bowl, _plain_sgd, -5)},
                 hint="a negative number of steps is an error, not an empty run")
