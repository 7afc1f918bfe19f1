"""Hidden scenarios for lecture 01, function approximation.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run.
"""
import numpy as np

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(1000 + seed)


# --- sinusoidal features -------------------------------------------------------------------

@book.scenario("sinusoidal_features",
               hint="check the range of frequencies: count them from the documented first one")
def features_random_points(sinusoidal_features):
    """17 random points in [-1, 1] with 7 features"""
    return sinusoidal_features(_rng(1).uniform(-1, 1, size=17), 7)


@book.scenario("sinusoidal_features")
def features_one_feature(sinusoidal_features):
    """a single feature on a grid (frequency 1 means sin(pi x))"""
    return sinusoidal_features(np.linspace(0, 2, 9), 1)


@book.scenario("sinusoidal_features")
def features_single_point(sinusoidal_features):
    """one point x = 0.25 with 4 features (the result is a 1 x 4 matrix)"""
    return sinusoidal_features(np.array([0.25]), 4)


# --- ridge regression ----------------------------------------------------------------------

def _regression_problem(seed: int, n: int = 30, d: int = 6):
    rng = _rng(seed)
    features = rng.normal(size=(n, d))
    targets = features @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return features, targets


@book.scenario("ridge_fit", rtol=1e-5)
def ridge_no_penalty(ridge_fit):
    """30 x 6 random features with l2 = 0 (ordinary least squares)"""
    return ridge_fit(*_regression_problem(2), 0.0)


@book.scenario("ridge_fit", rtol=1e-5,
               hint="the penalty is added to the diagonal of the Gram matrix only, unscaled, with a plus sign")
def ridge_small_penalty(ridge_fit):
    """30 x 6 random features with l2 = 0.5"""
    return ridge_fit(*_regression_problem(3), 0.5)


@book.scenario("ridge_fit", rtol=1e-5)
def ridge_large_penalty(ridge_fit):
    """random features with l2 = 1000 (weights shrink towards zero)"""
    return ridge_fit(*_regression_problem(4, n=12, d=3), 1000.0)


@book.scenario("ridge_fit", rtol=1e-5)
def ridge_more_features_than_points(ridge_fit):
    """8 points and 20 features with l2 = 0.1 (only the penalty makes it solvable)"""
    return ridge_fit(*_regression_problem(5, n=8, d=20), 0.1)


# --- activations and their derivatives ------------------------------------------------------

def _pre_activations() -> np.ndarray:
    return np.concatenate([_rng(6).normal(scale=3, size=20), [0.0, -0.0, 1e-9, -1e-9]])


EXTREMES = np.array([-1000.0, -40.0, 40.0, 1000.0])

for _name in ["sigmoid", "relu", "sigmoid_derivative", "tanh_derivative", "relu_derivative"]:
    @book.scenario(_name,
                   hint="the derivative is one minus the square of tanh, evaluated at the input")
    def _random_values(function):
        """24 values around zero, including exactly 0"""
        return function(_pre_activations())

    @book.scenario(_name,
                   hint="return the derivative (not the function) as a float array of the input's shape")
    def _matrix(function):
        """a 3 x 4 matrix (the shape is kept)"""
        return function(_rng(7).normal(size=(3, 4)))

    @book.scenario(_name,
                   hint="the formula must not overflow for large positive or negative inputs")
    def _extremes(function):
        """very large and very negative inputs (no NaN, no overflow)"""
        with np.errstate(over="ignore", invalid="ignore"):
            return function(EXTREMES.copy())


# --- dense layer and MLP ---------------------------------------------------------------------

def _layer(seed: int, n: int, d_in: int, d_out: int):
    rng = _rng(seed)
    return rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)


@book.scenario("dense_layer",
               hint="the activation applies to the affine map, after the bias is added")
def dense_batch_tanh(dense_layer):
    """a batch of 5 inputs in R^4, 3 tanh units"""
    return dense_layer(*_layer(8, 5, 4, 3), np.tanh)


@book.scenario("dense_layer",
               hint="check the bias and the orientation of the weight matrix")
def dense_identity(dense_layer):
    """a batch of 6 inputs in R^2, 3 units, identity activation (shows the bias)"""
    return dense_layer(*_layer(9, 6, 2, 3), lambda a: a)


@book.scenario("dense_layer")
def dense_single_vector(dense_layer):
    """a single input vector of shape (2,) (the notes' x in R^2, W1 in R^{3x2})"""
    x, W, b = _layer(10, 1, 2, 3)
    return dense_layer(x[0], W, b, np.tanh)


@book.scenario("dense_layer")
def dense_wrong_input_size(dense_layer):
    """inputs with 3 features for a W of shape (4, 2) (must raise ValueError)"""
    x, _, _ = _layer(11, 5, 3, 4)
    _, W, b = _layer(12, 5, 2, 4)
    return error_name(dense_layer, x, W, b, np.tanh)


@book.scenario("dense_layer",
               hint="check the shapes of the weights and the bias before computing: silent broadcasting hides a mistake")
def dense_wrong_bias(dense_layer):
    """a bias of shape (1,) for a W of shape (4, 3) (must raise ValueError, not broadcast)"""
    x, W, _ = _layer(13, 5, 3, 4)
    return error_name(dense_layer, x, W, np.zeros(1), np.tanh)


def _mlp(seed: int, n: int, d_in: int, d_hidden: int, d_out: int):
    rng = _rng(seed)
    params = {"W1": rng.normal(size=(d_hidden, d_in)), "b1": rng.normal(size=d_hidden),
              "W2": rng.normal(size=(d_out, d_hidden)), "b2": rng.normal(size=d_out)}
    return rng.normal(size=(n, d_in)), params


@book.scenario("mlp_forward",
               hint="the hidden layer needs its non-linearity, the output layer none, and both layers their bias")
def mlp_tanh(mlp_forward):
    """a 2-5-3 network with tanh on a batch of 7"""
    return mlp_forward(*_mlp(14, 7, 2, 5, 3), np.tanh)


@book.scenario("mlp_forward")
def mlp_relu(mlp_forward):
    """a 4-8-1 network with ReLU on a batch of 10"""
    return mlp_forward(*_mlp(15, 10, 4, 8, 1), lambda a: np.maximum(a, 0.0))


@book.scenario("mlp_forward")
def mlp_single_vector(mlp_forward):
    """the notes' shapes: x in R^2, 3 hidden units, 3 outputs, a single vector"""
    x, params = _mlp(16, 1, 2, 3, 3)
    return mlp_forward(x[0], params, np.tanh)


@book.scenario("mlp_forward")
def mlp_mismatched_shapes(mlp_forward):
    """W2 of shape (3, 4) after 5 hidden units (must raise ValueError)"""
    x, params = _mlp(17, 4, 2, 5, 3)
    params["W2"] = np.ones((3, 4))
    return error_name(mlp_forward, x, params, np.tanh)


# --- losses --------------------------------------------------------------------------------

@book.scenario("mse_loss",
               hint="the loss is the mean of the squared differences (not a sum, an absolute value or a root)")
def mse_vectors(mse_loss):
    """two random vectors of length 50"""
    rng = _rng(18)
    return mse_loss(rng.normal(size=50), rng.normal(size=50))


@book.scenario("mse_loss")
def mse_matrices(mse_loss):
    """4 x 3 predictions and targets (the mean is over every entry)"""
    rng = _rng(19)
    return mse_loss(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))


@book.scenario("mse_loss")
def mse_perfect(mse_loss):
    """a perfect prediction (loss 0)"""
    y = _rng(20).normal(size=6)
    return mse_loss(y.copy(), y)


@book.scenario("binary_cross_entropy",
               hint="check the sign of the logit-times-label term and which label means the positive class")
def bce_moderate(binary_cross_entropy):
    """40 moderate logits with 0/1 labels"""
    rng = _rng(21)
    return binary_cross_entropy(rng.normal(scale=2, size=40), rng.integers(0, 2, size=40).astype(float))


@book.scenario("binary_cross_entropy",
               hint="large logits need a stable form of log-sigmoid; average over the examples, do not sum")
def bce_extreme_logits(binary_cross_entropy):
    """logits of +-800, right and wrong (must stay finite: about 400)"""
    with np.errstate(all="ignore"):
        return binary_cross_entropy(np.array([800.0, -800.0, 800.0, -800.0]), np.array([1.0, 0.0, 0.0, 1.0]))


@book.scenario("binary_cross_entropy")
def bce_confident_and_right(binary_cross_entropy):
    """logits of +-40 on the right side (loss close to 0, not NaN)"""
    with np.errstate(all="ignore"):
        return binary_cross_entropy(np.array([40.0, -40.0]), np.array([1.0, 0.0]))


@book.scenario("binary_cross_entropy")
def bce_soft_labels(binary_cross_entropy):
    """labels in [0, 1] that are not 0 or 1"""
    rng = _rng(22)
    return binary_cross_entropy(rng.normal(size=(5, 2)), rng.uniform(size=(5, 2)))


# --- SGD -----------------------------------------------------------------------------------

def _params_and_grads(seed: int):
    rng = _rng(seed)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3)}
    grads = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3)}
    return params, grads


@book.scenario("sgd_step",
               hint="a gradient step goes against the gradient")
def sgd_one_step(sgd_step):
    """one step with lr = 0.1 on a W1/b1 pair"""
    return sgd_step(*_params_and_grads(23), 0.1)


@book.scenario("sgd_step",
               hint="return new arrays; the parameters passed in must not change")
def sgd_leaves_inputs_alone(sgd_step):
    """the parameters passed in are left unchanged"""
    params, grads = _params_and_grads(24)
    sgd_step(params, grads, 0.5)
    return params


@book.scenario("sgd_step",
               hint="the step is the gradient scaled by the learning rate")
def sgd_zero_rate(sgd_step):
    """lr = 0 gives back the same values"""
    return sgd_step(*_params_and_grads(25), 0.0)


# --- the visible tests' cases and the docstrings' promises (dtype, inputs, arguments) -------

def _with_dtype(result):
    """The result and its dtype ("float64"), so an int array, a float32 array or a list cannot pass."""
    return [result, np.asarray(result).dtype.name]


@book.scenario("sinusoidal_features", atol=1e-9)
def features_visible_cases(sinusoidal_features):
    """the visible tests' cases: x = [0, 0.5, 1/6] with 3 features, 4 points with 2 features"""
    return [_with_dtype(sinusoidal_features(np.array([0.0, 0.5, 1.0 / 6.0]), 3)),
            _with_dtype(sinusoidal_features(np.linspace(0, 1, 4), 2))]


@book.scenario("sinusoidal_features", atol=1e-9,
               hint="one row per point, one column per feature, with the factor pi in the argument")
def features_integer_inputs_unchanged(sinusoidal_features):
    """integer inputs give a float matrix; x is not modified"""
    x = np.array([0, 1, 2, -1])
    return [_with_dtype(sinusoidal_features(x, 3)), x]


@book.scenario("ridge_fit", rtol=1e-5)
def ridge_visible_cases(ridge_fit):
    """the visible tests' 3 x 2 example with l2 = 0 and 1, and identity features"""
    phi, y = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0])
    return [_with_dtype(ridge_fit(phi, y, 0.0)), ridge_fit(phi, y, 1.0),
            ridge_fit(np.eye(3), np.array([2.0, 4.0, 6.0]), 1.0), phi, y]


for _name in ["sigmoid", "relu", "sigmoid_derivative", "tanh_derivative", "relu_derivative"]:
    @book.scenario(_name, atol=1e-7)
    def _visible_cases(function):
        """the visible tests' cases [-2, 0, 3], [-1000, 1000] and a 2 x 3 array of ones"""
        with np.errstate(over="ignore"):
            return [_with_dtype(function(np.array([-2.0, 0.0, 3.0]))),
                    function(np.array([-1000.0, 1000.0])), np.shape(function(np.ones((2, 3))))]

    if _name != "tanh_derivative":  # its docstring promises float64 for float64 or integer input only
        @book.scenario(_name,
                       hint="return a new array; the input must not change")
        def _float32_input(function):
            """a float32 input still gives a float64 array"""
            return _with_dtype(function(np.array([-1.5, 0.0, 2.5], dtype=np.float32)))

    @book.scenario(_name,
                   hint="the result is a float64 array whatever the input's dtype")
    def _integers_unchanged(function):
        """an integer array gives floats, and the input is not modified"""
        z = np.array([[-3, 0, 2], [5, -1, 1]])
        return [_with_dtype(function(z)), z]


@book.scenario("dense_layer")
def dense_visible_cases(dense_layer):
    """the visible tests' 3 x 2 layer on two inputs and on a single vector"""
    W, b = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]), np.array([0.5, 0.0, -1.0])
    x = np.array([[1.0, 1.0], [2.0, -1.0]])
    return [_with_dtype(dense_layer(x, W, b, lambda a: a)), dense_layer(x, W, b, np.tanh),
            dense_layer(np.array([1.0, 1.0]), W, b, np.tanh),
            error_name(dense_layer, np.ones((2, 3)), W, b, np.tanh), x, W, b]


@book.scenario("dense_layer")
def dense_bias_shapes(dense_layer):
    """biases of shape (4, 1), (1, 4) and (3,) for 4 units, and a single input of the wrong size"""
    x, W, b = _layer(30, 5, 3, 4)
    return [error_name(dense_layer, x, W, b[:, None], np.tanh), error_name(dense_layer, x, W, b[None, :], np.tanh),
            error_name(dense_layer, x, W, b[:3], np.tanh), error_name(dense_layer, x[0, :2], W, b, np.tanh)]


@book.scenario("mlp_forward")
def mlp_visible_cases(mlp_forward):
    """the visible tests' 2-3-1 network: ReLU on two inputs, tanh on zeros and on one input"""
    params = {"W1": np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]), "b1": np.array([0.5, 0.0, -1.0]),
              "W2": np.array([[1.0, 1.0, 1.0]]), "b2": np.array([10.0])}
    x = np.array([[1.0, 1.0], [2.0, -1.0]])
    return [_with_dtype(mlp_forward(x, params, lambda a: np.maximum(a, 0.0))),
            mlp_forward(np.zeros((4, 2)), params, np.tanh), mlp_forward(np.zeros(2), params, np.tanh), x, params]


@book.scenario("mse_loss")
def mse_visible_cases(mse_loss):
    """the visible tests' cases, each a Python float"""
    results = [mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])), mse_loss(np.ones((2, 2)), np.zeros((2, 2)))]
    return [results, [isinstance(r, float) for r in results]]


@book.scenario("binary_cross_entropy")
def bce_visible_cases(binary_cross_entropy):
    """the visible tests' cases, each a Python float, and integer labels"""
    with np.errstate(all="ignore"):
        results = [binary_cross_entropy(np.array([0.0]), np.array([1.0])),
                   binary_cross_entropy(np.array([2.0, -1.0]), np.array([1.0, 0.0])),
                   binary_cross_entropy(np.array([-1000.0]), np.array([1.0])),
                   binary_cross_entropy(np.array([3, -2, 0]), np.array([1, 1, 0]))]
    return [results, [isinstance(r, float) for r in results]]


@book.scenario("sgd_step")
def sgd_visible_cases(sgd_step):
    """the visible tests' case; params and grads are left unchanged"""
    params = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
    grads = {"w": np.array([10.0, -10.0]), "b": np.array([1.0])}
    return [sgd_step(params, grads, 0.1), params, grads]


@book.scenario("sigmoid_step", atol=1e-9,
               hint="check the sign of the location term and that the whole argument is scaled by the steepness")
def step_visible_cases(sigmoid_step):
    """the visible tests' cases: a step at its own location, a steep step seen from 0 and 1"""
    return [_with_dtype(sigmoid_step(np.array([0.3]), 0.3, 50.0)), sigmoid_step(np.array([0.0, 1.0]), 0.5, 1000.0)]


@book.scenario("sigmoid_step",
               hint="the locations may be an array that broadcasts against the inputs")
def step_array_location(sigmoid_step):
    """an array of locations broadcast against a column of x (the result is 5 x 3)"""
    x = np.linspace(0, 1, 5)[:, None]
    locations = np.array([0.2, 0.5, 0.8])
    return [sigmoid_step(x, locations, 8.0), x, locations]


@book.scenario("sum_of_steps", rtol=1e-5, atol=1e-6,
               hint="check the knots and that each step's height is a difference of function values")
def steps_visible_cases(sum_of_steps):
    """the visible tests' cases: one step for 2x, 50 steps for sin; x is left unchanged"""
    x = np.linspace(0, 1, 201)
    return [_with_dtype(sum_of_steps(lambda t: 2 * t, np.array([0.0, 0.5, 1.0]), 1, 1000.0)),
            sum_of_steps(np.sin, x, 50, 2000.0), x]


# --- universal approximation ----------------------------------------------------------------

@book.scenario("sigmoid_step")
def step_grid(sigmoid_step):
    """a step at 0.3 with steepness 50 on a grid over [0, 1]"""
    return sigmoid_step(np.linspace(0, 1, 21), 0.3, 50.0)


@book.scenario("sigmoid_step")
def step_negative_location(sigmoid_step):
    """a gentle step at -0.5 with steepness 2"""
    return sigmoid_step(np.linspace(-2, 2, 9), -0.5, 2.0)


@book.scenario("sigmoid_step")
def step_very_steep(sigmoid_step):
    """a step at 0.5 with steepness 10,000 (a near-perfect step, no NaN)"""
    with np.errstate(all="ignore"):
        return sigmoid_step(np.array([0.0, 0.49, 0.5, 0.51, 1.0]), 0.5, 1e4)


def _target(x):
    return np.sin(2 * np.pi * x) + x ** 2


@book.scenario("sum_of_steps", rtol=1e-5)
def steps_sine(sum_of_steps):
    """sin(2 pi x) + x^2 with 10 steps of steepness 200"""
    return sum_of_steps(_target, np.linspace(0, 1, 41), 10, 200.0)


@book.scenario("sum_of_steps", rtol=1e-5,
               hint="the sum starts from the function's value at the left end (the bias)")
def steps_single(sum_of_steps):
    """a single step (n_steps = 1) for f(x) = 3x + 1"""
    return sum_of_steps(lambda x: 3 * x + 1, np.linspace(0, 1, 11), 1, 30.0)


@book.scenario("sum_of_steps", rtol=1e-5)
def steps_constant_offset(sum_of_steps):
    """f(x) = cos(3x) + 5 with 25 steps (the value at 0 sets the offset)"""
    return sum_of_steps(lambda x: np.cos(3 * x) + 5, np.linspace(0, 1, 33), 25, 500.0)


@book.scenario("mlp_forward")
def mlp_notes_shapes_relu(mlp_forward):
    """the notes' shapes (W1 3 x 2, W2 3 x 3) with ReLU, two rows and a single input"""
    params = {"W1": np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]), "b1": np.array([0.5, 0.0, -1.0]),
              "W2": np.array([[1.0, 1.0, 1.0], [1.0, 2.0, -1.0], [0.0, -1.0, 1.0]]),
              "b2": np.array([10.0, 0.0, -1.0])}
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    return [mlp_forward(np.array([[1.0, 1.0], [2.0, -1.0]]), params, relu),
            np.shape(mlp_forward(np.zeros((4, 2)), params, np.tanh)),
            mlp_forward(np.zeros(2), params, np.tanh)]


# --- cross_validate_ridge ----------------------------------------------------------------------

def _cv_data(seed: int, n: int):
    rng = _rng(seed)
    x = rng.uniform(0, 1, size=n)  # not sorted: the folds follow the given order
    y = np.sin(2 * np.pi * x) * np.exp(-2 * x) + 0.2 * rng.normal(size=n)
    return x, y


def _cv(cross_validate_ridge, *args):
    best, errors = cross_validate_ridge(*args)
    return [best, type(best).__name__, np.asarray(errors), np.asarray(errors).dtype.name]


_L2_GRID = [1e-6, 1e-3, 1e-2, 0.1, 1.0, 10.0]


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10)
def cv_visible_example(cross_validate_ridge):
    """the visible 4-point example (folds 0-1 and 2-3) and the exact two-feature data"""
    x = np.array([0.5, 0.5, 1.0 / 6.0, 1.0 / 6.0])
    y = np.array([1.0, 3.0, 0.0, 1.0])
    grid = np.linspace(0.05, 0.95, 12)
    exact = np.sin(np.pi * grid) + 0.5 * np.sin(2 * np.pi * grid)
    return [_cv(cross_validate_ridge, x, y, 1, [0.0, 1.0], 2),
            _cv(cross_validate_ridge, grid, exact, 2, [100.0, 0.0, 1.0], 3),
            _cv(cross_validate_ridge, grid, np.zeros(12), 2, [5.0, 0.0], 3)]


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10)
def cv_equal_folds(cross_validate_ridge):
    """24 noisy points, 6 features, 4 folds of 6, six penalties"""
    return _cv(cross_validate_ridge, *_cv_data(20, 24), 6, _L2_GRID, 4)


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10,
               hint="each fold's error counts equally, and folds differ in size by at most one point")
def cv_unequal_folds(cross_validate_ridge):
    """23 points in 5 folds (sizes 5, 5, 5, 4, 4): each fold's error counts equally"""
    return _cv(cross_validate_ridge, *_cv_data(21, 23), 5, _L2_GRID, 5)


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10,
               hint="measure the error on the held-out fold, and return the penalty as a plain Python float")
def cv_leave_one_out(cross_validate_ridge):
    """leave-one-out: 9 points in 9 folds, as an array of penalties"""
    return _cv(cross_validate_ridge, *_cv_data(22, 9), 3, np.array([0.0, 0.05, 0.5, 5.0]), 9)


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10)
def cv_two_folds_one_penalty(cross_validate_ridge):
    """two folds of an odd number of points (6 and 5), a single penalty, many features"""
    return _cv(cross_validate_ridge, *_cv_data(23, 11), 12, [0.3], 2)


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10,
               hint="folds are consecutive blocks of the data in the order given")
def cv_order_matters(cross_validate_ridge):
    """the same points sorted and reversed give different folds and errors"""
    x, y = _cv_data(24, 15)
    order = np.argsort(x)
    return [_cv(cross_validate_ridge, x[order], y[order], 4, _L2_GRID, 3),
            _cv(cross_validate_ridge, x[order][::-1], y[order][::-1], 4, _L2_GRID, 3)]


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10,
               hint="return the penalty's value, not its position; a tie goes to the first penalty listed")
def cv_ties_go_to_the_first(cross_validate_ridge):
    """all-zero targets: every penalty ties at error 0, the first listed wins"""
    x, _ = _cv_data(25, 10)
    return [_cv(cross_validate_ridge, x, np.zeros(10), 3, [5.0, 0.5, 0.0, 2.0], 5),
            _cv(cross_validate_ridge, x, np.zeros(10), 3, [0.0, 5.0], 5)]


@book.scenario("cross_validate_ridge", rtol=1e-6, atol=1e-10)
def cv_best_is_not_the_first(cross_validate_ridge):
    """the best penalty in the middle of an unsorted list (the value is returned, not its index)"""
    return _cv(cross_validate_ridge, *_cv_data(26, 20), 10, [100.0, 0.0, 0.3, 1e-4, 30.0], 4)


@book.scenario("cross_validate_ridge",
               hint="check the arguments first, and keep the data in the order given")
def cv_errors(cross_validate_ridge):
    """ValueError for 1 fold, more folds than points, no penalties, or x and y of different lengths"""
    x, y = _cv_data(27, 6)
    return [error_name(cross_validate_ridge, x, y, 2, [0.1], 1),
            error_name(cross_validate_ridge, x, y, 2, [0.1], 7),
            error_name(cross_validate_ridge, x, y, 2, [], 3),
            error_name(cross_validate_ridge, x, y[:5], 2, [0.1], 3),
            error_name(cross_validate_ridge, x, y, 2, [0.1], 6)]


@book.scenario("cross_validate_ridge")
def cv_inputs_unchanged(cross_validate_ridge):
    """x, y and the list of penalties are left as they were"""
    x, y = _cv_data(28, 12)
    l2_values = np.array([1.0, 0.1, 0.01])
    cross_validate_ridge(x, y, 4, l2_values, 3)
    return [x, y, l2_values]
