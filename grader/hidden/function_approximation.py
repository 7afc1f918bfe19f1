"""Hidden scenarios for lecture 01, function approximation.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run.
"""
import numpy as np

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

# Each answer cell's kind (tests/test_exercise_kinds.py): T transcription, P partial, D design.
EXERCISE_KINDS = {
    "sinusoidal_features": "T",    # the feature definition is the content
    "ridge_fit": "T",              # the closed form is derived in the text
    "cross_validate_ridge": "P",   # the folds are defined; the loop and the bookkeeping are designed
    "activations": "P",            # the derivatives are derived, overflow is avoided by design
    "dense_layer": "P",            # the batch form and the shape checks are designed
    "mlp_forward": "T",            # a composition of two layers
    "losses": "P",                 # BCE's stable form is derived from a behaviour (finite at +-1000)
    "softmax_cross_entropy": "P",  # the formulas are given; the stable computation is derived
    "sgd_step": "T",               # the update rule is the content
    "train_classifier": "D",       # a training loop specified by behaviour only
    "select_learning_rate": "D",   # a model selection specified by behaviour only
    "steps": "P",                  # the staircase is described; weights and bias are derived
}


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


@book.scenario("sigmoid", rtol=1e-9, atol=0.0,
               hint="far in the negative tail the value is tiny but not zero: compute it without cancellation or clipping")
def sigmoid_negative_tail(sigmoid):
    """z = -40, -100, -700: tiny probabilities, accurate relative to their size"""
    with np.errstate(all="ignore"):
        return sigmoid(np.array([-40.0, -100.0, -700.0]))


for _name in ["sigmoid", "sigmoid_derivative", "tanh_derivative"]:
    factories.quiet(book, _name, lambda: (EXTREMES.copy(),),
                    "z = +-1000 and +-40 without an overflow warning (the form is safe at both signs)")


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


factories.raises(book, "mlp_forward", {
    "b1 of shape (1,)": lambda: (_mlp(18, 4, 2, 5, 3)[0], {**_mlp(18, 4, 2, 5, 3)[1], "b1": np.zeros(1)}, np.tanh),
    "b2 of shape (1,)": lambda: (_mlp(18, 4, 2, 5, 3)[0], {**_mlp(18, 4, 2, 5, 3)[1], "b2": np.zeros(1)}, np.tanh),
}, "biases of shape (1,) that numpy would broadcast (must raise ValueError)")
factories.returned_dtype(book, "dense_layer", lambda: (np.arange(6).reshape(2, 3), np.ones((2, 3), dtype=int),
                                                       np.array([1, -1]), lambda a: a),
                         "integer x, W and b with the identity activation give a float64 array")


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


@book.scenario("binary_cross_entropy", rtol=1e-9,
               hint="1 - sigmoid(z) rounds to 0 long before z overflows: rewrite the loss in terms of z")
def bce_where_one_minus_sigmoid_rounds_to_zero(binary_cross_entropy):
    """logits 40, 37.5 with label 0 and -40, -745.5 with label 1 (each costs about |z|)"""
    with np.errstate(all="ignore"):
        return binary_cross_entropy(np.array([40.0, 37.5, -40.0, -745.5]), np.array([0.0, 0.0, 1.0, 1.0]))


@book.scenario("binary_cross_entropy")
def bce_soft_labels(binary_cross_entropy):
    """labels in [0, 1] that are not 0 or 1"""
    rng = _rng(22)
    return binary_cross_entropy(rng.normal(size=(5, 2)), rng.uniform(size=(5, 2)))


factories.returned_dtype(book, "mse_loss", lambda: (_rng(23).normal(size=6), _rng(24).normal(size=6)),
                         "the loss is a Python float, not a numpy scalar")
factories.returned_dtype(book, "binary_cross_entropy", lambda: (_rng(25).normal(size=6), np.ones(6)),
                         "the loss is a Python float, not a numpy scalar")


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


# --- softmax and cross-entropy ---------------------------------------------------------------

def _logits(seed: int = 40, n: int = 6, k: int = 5) -> np.ndarray:
    return _rng(seed).normal(scale=3, size=(n, k))


def _labels(seed: int = 41, n: int = 6, k: int = 5) -> np.ndarray:
    return _rng(seed).integers(0, k, size=n)


_EXTREME_ROWS = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0],
                          [-1000.0, 1000.0, 0.0], [-800.0, -999.0, -1000.0]])


@book.scenario("softmax", rtol=1e-9, atol=1e-12,
               hint="normalize each row over the last axis, so that every row sums to one")
def softmax_batch(softmax):
    """a batch of 6 rows of 5 moderate logits"""
    return _with_dtype(softmax(_logits()))


@book.scenario("softmax", rtol=1e-9, atol=1e-12,
               hint="exponentiate only numbers that cannot overflow: only differences of logits matter")
def softmax_extremes(softmax):
    """rows with logits of +-1000 (finite, no NaN, accurate)"""
    with np.errstate(all="ignore"):
        return softmax(_EXTREME_ROWS.copy())


@book.scenario("softmax", rtol=1e-9, atol=1e-300)
def softmax_tiny_probabilities(softmax):
    """probabilities as small as exp(-700) keep their relative accuracy"""
    with np.errstate(all="ignore"):
        return softmax(np.array([[0.0, -700.0, -300.0], [700.0, 0.0, 400.0]]))


@book.scenario("softmax", rtol=1e-9, atol=1e-12,
               hint="the last axis holds the classes: a single vector and a 3-D batch work the same way")
def softmax_shapes(softmax):
    """a single vector (K,), a 3-D batch (2, 3, 4) and a single class (K = 1)"""
    return [softmax(np.array([1.0, 2.0, 3.0])), softmax(_rng(42).normal(size=(2, 3, 4))),
            softmax(np.array([[5.0], [-3.0]]))]


factories.returned_dtype(book, "softmax", lambda: (_logits(43).astype(np.float32),),
                         "float32 logits give a float64 array", rtol=1e-6)
factories.returned_dtype(book, "softmax", lambda: (np.array([[3, 1, -2], [0, 0, 700]]),),
                         "integer logits give a float64 array", rtol=1e-9)
factories.inputs_unchanged(book, "softmax", lambda: (_logits(44),))
factories.invariant(book, "softmax", lambda: (_logits(45),),
                    lambda args: (args[0] + _rng(46).uniform(-600, 600, size=(6, 1)),),
                    "adding a different constant (up to +-600) to each row changes nothing", rtol=1e-9, atol=1e-12,
                    hint="only differences of logits matter: a constant added to a row must not change it")


@book.scenario("softmax", rtol=1e-9, atol=1e-12)
def softmax_visible_cases(softmax):
    """the visible tests' cases: rows (0, log 3) and (1, 1), the vector (1000, 0, -1000), (502, 501)"""
    with np.errstate(all="ignore"):
        return [_with_dtype(softmax(np.array([[0.0, np.log(3.0)], [1.0, 1.0]]))),
                softmax(np.array([1000.0, 0.0, -1000.0])), softmax(np.array([502.0, 501.0]))]


def _ce(cross_entropy, logits, labels):
    result = cross_entropy(logits, labels)
    return [result, type(result).__name__]


@book.scenario("cross_entropy", rtol=1e-9,
               hint="the loss of a row is minus the log-probability of its own label, averaged over rows")
def ce_batch(cross_entropy):
    """6 examples with 5 moderate logits each"""
    return _ce(cross_entropy, _logits(), _labels())


@book.scenario("cross_entropy", rtol=1e-9,
               hint="compute log-sum-exp without overflow, and never take the log of a probability that underflowed")
def ce_extremes(cross_entropy):
    """logits of +-1000, labels on the likely and on the unlikely class (finite, accurate)"""
    with np.errstate(all="ignore"):
        return _ce(cross_entropy, _EXTREME_ROWS.copy(), np.array([2, 0, 1, 0, 2]))


@book.scenario("cross_entropy", rtol=1e-9)
def ce_confident_and_right(cross_entropy):
    """confident right answers (margins of 40 and 800): a loss close to 0, not NaN"""
    with np.errstate(all="ignore"):
        return _ce(cross_entropy, np.array([[40.0, 0.0], [0.0, 800.0], [-5.0, 35.0]]), np.array([0, 1, 1]))


@book.scenario("cross_entropy", rtol=1e-9,
               hint="with two classes the loss is the binary cross-entropy of the difference of the logits")
def ce_two_classes_is_bce(cross_entropy):
    """K = 2 with the first logit 0 (the binary case), a single example, and K = 1 (loss 0)"""
    z = _rng(47).normal(scale=4, size=8)
    labels = _rng(48).integers(0, 2, size=8)
    return [cross_entropy(np.stack([np.zeros(8), z], axis=1), labels), cross_entropy(np.array([[2.0, -1.0, 0.5]]), np.array([2])),
            cross_entropy(np.array([[3.0], [-7.0]]), np.array([0, 0]))]


factories.returned_dtype(book, "cross_entropy", lambda: (_logits(49).astype(np.float32), _labels(49)),
                         "float32 logits still give a Python float", rtol=1e-5)
factories.returned_dtype(book, "cross_entropy", lambda: (np.array([[3, 1, -2], [0, 0, 900]]), np.array([1, 0])),
                         "integer logits give a Python float", rtol=1e-9)
factories.inputs_unchanged(book, "cross_entropy", lambda: (_logits(50), _labels(50)))
factories.invariant(book, "cross_entropy", lambda: (_logits(51), _labels(51)),
                    lambda args: (args[0] + _rng(52).uniform(-900, 900, size=(6, 1)), args[1]),
                    "adding a different constant (up to +-900) to each row changes nothing", rtol=1e-9)
factories.raises(book, "cross_entropy", {
    "label equal to K": lambda: (np.zeros((3, 4)), np.array([0, 1, 4])),
    "negative label": lambda: (np.zeros((3, 4)), np.array([0, -1, 2])),
    "labels of shape (N, 1)": lambda: (np.zeros((3, 4)), np.array([[0], [1], [2]])),
    "one label for three rows": lambda: (np.zeros((3, 4)), np.array([1])),
    "four labels for three rows": lambda: (np.zeros((3, 4)), np.array([0, 1, 2, 3])),
    "1-D logits": lambda: (np.zeros(4), np.array([1])),
    "3-D logits": lambda: (np.zeros((2, 3, 4)), np.array([0, 1])),
    "valid labels": lambda: (np.zeros((3, 4)), np.array([0, 3, 2])),
}, hint="check the labels' shape and range before indexing: numpy broadcasts and wraps negative indices silently")


@book.scenario("cross_entropy", rtol=1e-9)
def ce_visible_cases(cross_entropy):
    """the visible tests' cases: rows (0, log 3) and (1, 1), the row (0, -1000), zeros"""
    with np.errstate(all="ignore"):
        return [_ce(cross_entropy, np.array([[0.0, np.log(3.0)], [1.0, 1.0]]), np.array([1, 0])),
                _ce(cross_entropy, np.array([[0.0, -1000.0]]), np.array([1])),
                _ce(cross_entropy, np.zeros((2, 3)), np.array([0, 2])),
                error_name(cross_entropy, np.zeros((3, 4)), np.array([0, 1, 4])),
                error_name(cross_entropy, np.zeros((3, 4)), np.array([[0], [1], [2]]))]


# --- train_classifier: a recording gradient function shows what the loop did --------------------

class _Recorder:
    """Least squares on a line, w * x[:, 1] ~ labels; column 0 of x names each example.

    Records, for every call, the examples of the batch, whether their labels came with them,
    the parameter it was evaluated at, and the loss it returned."""

    def __init__(self):
        self.batches, self.labels_match, self.at, self.losses = [], [], [], []

    def __call__(self, params, x_batch, labels_batch):
        names = np.asarray(x_batch)[:, 0].astype(int)
        self.batches.append(names)
        self.labels_match.append(bool(np.allclose(labels_batch, _line_labels(names))))
        w = np.asarray(params["w"], dtype=float).copy()
        self.at.append(w)
        error = w[0] * np.asarray(x_batch)[:, 1] - labels_batch
        loss = float(np.mean(error ** 2))
        self.losses.append(loss)
        return loss, {"w": np.array([2 * np.mean(error * np.asarray(x_batch)[:, 1])])}


def _line_data(n: int):
    names = np.arange(n, dtype=float)
    x = np.stack([names, np.sin(names)], axis=1)
    return x, _line_labels(names.astype(int))


def _line_labels(names):
    return 2.0 * np.sin(np.asarray(names, dtype=float)) + 0.5


def _epochs_of(recorder: _Recorder, n: int, batch_size: int) -> list[list[np.ndarray]]:
    per_epoch = -(-n // batch_size)
    return [recorder.batches[i:i + per_epoch] for i in range(0, len(recorder.batches), per_epoch)]


def _train_recorded(train_classifier, n=23, batch_size=5, epochs=3, seed=7, lr=0.2, on_epoch=None):
    recorder = _Recorder()
    x, labels = _line_data(n)
    params, losses = train_classifier({"w": np.array([0.0])}, recorder, x, labels, lr, epochs, batch_size, seed, on_epoch)
    return recorder, params, losses


@book.scenario("train_classifier",
               hint="in every epoch use each example exactly once, in batches of the batch size; only one batch may be smaller")
def train_batches_cover_each_epoch(train_classifier):
    """N = 23, B = 5, 3 epochs: 5 batches per epoch, sizes 5, 5, 5, 5, 3, each example once per epoch"""
    recorder, _, _ = _train_recorded(train_classifier)
    epochs = _epochs_of(recorder, 23, 5)
    return {"calls": len(recorder.batches),
            "sorted batch sizes per epoch": [sorted(len(b) for b in epoch) for epoch in epochs],
            "each example once per epoch": [sorted(np.concatenate(epoch).tolist()) == list(range(23)) for epoch in epochs],
            "labels travel with their examples": all(recorder.labels_match)}


@book.scenario("train_classifier",
               hint="shuffle the examples anew in every epoch, with a generator made from the seed")
def train_order_is_shuffled(train_classifier):
    """the order is random (not 0..N-1) and differs between epochs"""
    recorder, _, _ = _train_recorded(train_classifier, n=30, batch_size=4, epochs=3)
    orders = [np.concatenate(epoch) for epoch in _epochs_of(recorder, 30, 4)]
    return {"first epoch in the given order": bool(np.array_equal(orders[0], np.arange(30))),
            "epoch 2 repeats epoch 1": bool(np.array_equal(orders[0], orders[1])),
            "epoch 3 repeats epoch 2": bool(np.array_equal(orders[1], orders[2]))}


def _replay(recorder: _Recorder, lr: float) -> tuple[list[float], list[float]]:
    """Where each gradient should have been evaluated, replaying the recorded batches."""
    x, labels = _line_data(1 + max(int(b.max()) for b in recorder.batches))
    w, expected_at = 0.0, []
    for names in recorder.batches:
        expected_at.append(w)
        error = w * x[names, 1] - labels[names]
        w -= lr * 2 * np.mean(error * x[names, 1])
    return expected_at, [w]


@book.scenario("train_classifier",
               hint="take one SGD step per batch, with the gradient at the current parameters and the given learning rate")
def train_steps_follow_the_gradients(train_classifier):
    """every batch's gradient is taken at the current parameters and followed with lr (replayed)"""
    recorder, params, _ = _train_recorded(train_classifier, lr=0.3)
    expected_at, expected_end = _replay(recorder, 0.3)
    return {"evaluated at the current parameters": bool(np.allclose([w[0] for w in recorder.at], expected_at, atol=1e-12)),
            "final parameters": bool(np.allclose(params["w"], expected_end, atol=1e-12)),
            "returned keys": sorted(params), "returned dtype": np.asarray(params["w"]).dtype.name}


@book.scenario("train_classifier",
               hint="an epoch's loss weights each batch's mean loss by the batch's size")
def train_losses_are_weighted_means(train_classifier):
    """losses[e] is the size-weighted mean of epoch e's batch losses, as Python floats"""
    recorder, _, losses = _train_recorded(train_classifier, n=22, batch_size=8, epochs=4)
    expected = []
    for start in range(0, len(recorder.batches), 3):
        sizes = [len(b) for b in recorder.batches[start:start + 3]]
        expected.append(float(np.dot(sizes, recorder.losses[start:start + 3]) / 22))
    return {"count": len(losses), "python floats": all(type(v) is float for v in losses),
            "match": bool(len(losses) == len(expected) and np.allclose(losses, expected, rtol=1e-12, atol=1e-15))}


@book.scenario("train_classifier",
               hint="take all randomness from a generator made from the seed inside the function, not from a global one")
def train_is_reproducible(train_classifier):
    """the same seed gives the same batches and result; another seed gives another order"""
    np.random.seed(1)  # numpy's global generator in two different states: a loop that uses it does not repeat
    first, params_1, losses_1 = _train_recorded(train_classifier, seed=3)
    np.random.seed(2)
    second, params_2, losses_2 = _train_recorded(train_classifier, seed=3)
    other, _, _ = _train_recorded(train_classifier, seed=4)
    same = all(np.array_equal(a, b) for a, b in zip(first.batches, second.batches))
    return {"same seed, same batches": bool(same and len(first.batches) == len(second.batches)),
            "same seed, same result": bool(np.array_equal(params_1["w"], params_2["w"]) and losses_1 == losses_2),
            "other seed, other order": not all(np.array_equal(a, b) for a, b in zip(first.batches, other.batches))}


@book.scenario("train_classifier",
               hint="call the callback after each epoch's last step, with epochs counted from 1 and that epoch's loss")
def train_callback_timing(train_classifier):
    """on_epoch runs once after each epoch (1, 2, 3), with that epoch's end parameters and loss"""
    seen = []

    def on_epoch(epoch, params, loss):
        seen.append((epoch, float(np.asarray(params["w"])[0]), loss))

    recorder, params, losses = _train_recorded(train_classifier, n=13, batch_size=4, epochs=3, on_epoch=on_epoch)
    ends = [w[0] for w in recorder.at[4::4]] + [float(params["w"][0])]  # parameters at each epoch's end
    return {"epochs": [s[0] for s in seen],
            "parameters at the end of the epoch": bool(len(seen) == 3 and np.allclose([s[1] for s in seen], ends, atol=1e-12)),
            "the epoch's loss": bool(len(seen) == 3 and [s[2] for s in seen] == losses)}


@book.scenario("train_classifier",
               hint="return new arrays and leave the caller's dict and arrays alone")
def train_inputs_unchanged(train_classifier):
    """the starting dict, its arrays, x and labels are left as they were; new arrays come back"""
    start = {"w": np.array([0.25])}
    x, labels = _line_data(9)
    x_before, labels_before = x.copy(), labels.copy()
    params, _ = train_classifier(start, _Recorder(), x, labels, 0.1, 2, 4, 0)
    params_0, losses_0 = train_classifier(start, _Recorder(), x, labels, 0.1, 0, 4, 0)
    return {"start": start["w"], "same dict": params is start, "same array": params["w"] is start["w"],
            "x and labels": bool(np.array_equal(x, x_before) and np.array_equal(labels, labels_before)),
            "zero epochs": [params_0["w"], losses_0, params_0 is start, params_0["w"] is start["w"]]}


@book.scenario("train_classifier",
               hint="a batch larger than the data set is the whole data set; a batch of 1 is one example")
def train_batch_size_extremes(train_classifier):
    """B = 1 (N steps per epoch) and B > N (one batch of all N per epoch)"""
    one, _, _ = _train_recorded(train_classifier, n=7, batch_size=1, epochs=2)
    big, _, _ = _train_recorded(train_classifier, n=7, batch_size=50, epochs=2)
    return {"B = 1": [len(b) for b in one.batches], "B > N": [len(b) for b in big.batches],
            "B = 1 covers": sorted(np.concatenate(one.batches[:7]).tolist()) == list(range(7))}


factories.raises(book, "train_classifier", {
    "labels one short": lambda: ({"w": np.array([0.0])}, _Recorder(), *_shorter_labels(), 0.1, 1, 2, 0),
    "batch_size 0": lambda: ({"w": np.array([0.0])}, _Recorder(), *_line_data(5), 0.1, 1, 0, 0),
    "epochs -1": lambda: ({"w": np.array([0.0])}, _Recorder(), *_line_data(5), 0.1, -1, 2, 0),
    "valid arguments": lambda: ({"w": np.array([0.0])}, _Recorder(), *_line_data(5), 0.1, 1, 2, 0),
}, hint="check the arguments first: the lengths must match, the batch size must be positive, the epochs not negative")


def _shorter_labels():
    x, labels = _line_data(6)
    return x, labels[:5]


@book.scenario("train_classifier",
               hint="each batch gives one step; check that every step uses the learning rate and the batch's gradient")
def train_learns_three_blobs(train_classifier):
    """a softmax classifier on three seeded blobs: loss falls, held-out accuracy above 90 %"""
    from course.function_approximation import classifier_loss_and_gradients, init_linear_classifier
    rng = _rng(60)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = rng.integers(0, 3, size=240)
    x = centres[labels] + 0.6 * rng.normal(size=(240, 2))
    params, losses = train_classifier(init_linear_classifier(2, 3), classifier_loss_and_gradients,
                                      x[:160], labels[:160], 0.5, 8, 16, 1)
    held_out = float(np.mean(np.argmax(x[160:] @ params["W"].T + params["b"], axis=1) == labels[160:]))
    return {"loss falls": bool(losses[-1] < 0.5 * losses[0]), "held-out accuracy above 0.9": held_out > 0.9,
            "epochs": len(losses)}


@book.scenario("train_classifier")
def train_visible_case(train_classifier):
    """the visible test's case: N = 10, B = 4, 3 epochs, with a callback"""
    seen = []
    recorder, params, losses = _train_recorded(train_classifier, n=10, batch_size=4, epochs=3, seed=0, lr=0.5,
                                               on_epoch=lambda epoch, p, loss: seen.append(epoch))
    epochs = _epochs_of(recorder, 10, 4)
    return {"sizes": [sorted(len(b) for b in e) for e in epochs], "callback": seen,
            "covers": [sorted(np.concatenate(e).tolist()) == list(range(10)) for e in epochs],
            "falls": bool(losses[-1] < losses[0])}


# --- select_learning_rate ------------------------------------------------------------------------

def _selection(select_learning_rate, scores: dict, learning_rates):
    trained, evaluated = [], []

    def train(lr):
        model = {"lr": float(lr), "serial": len(trained)}
        trained.append(float(lr))
        return model

    def evaluate(model):
        evaluated.append(model["lr"])
        return scores[model["lr"]]

    best, all_scores, model = select_learning_rate(train, learning_rates, evaluate)
    return {"best": best, "best type": type(best).__name__, "scores": list(all_scores),
            "score types": [type(s).__name__ for s in all_scores], "model": model,
            "trained": sorted(trained), "evaluated": sorted(evaluated)}


@book.scenario("select_learning_rate",
               hint="keep the learning rate with the highest score, not the lowest")
def select_clear_winner(select_learning_rate):
    """five learning rates with distinct scores, the best in the middle"""
    scores = {0.001: 0.3, 0.01: 0.6, 0.1: 0.93, 0.3: 0.91, 1.0: 0.2}
    return _selection(select_learning_rate, scores, [0.001, 0.01, 0.1, 0.3, 1.0])


@book.scenario("select_learning_rate",
               hint="a NaN score must never win over a number: comparisons with NaN are always false")
def select_nan_never_wins(select_learning_rate):
    """NaN scores (diverged runs) first, in the middle and last: a number always wins"""
    nan = float("nan")
    return [_selection(select_learning_rate, {3.0: nan, 0.1: 0.5, 0.01: 0.7, 1.0: nan}, [3.0, 0.1, 0.01, 1.0]),
            _selection(select_learning_rate, {1.0: 0.1, 2.0: nan}, [1.0, 2.0])]


@book.scenario("select_learning_rate",
               hint="ties go to the learning rate listed first, also when every run failed")
def select_ties(select_learning_rate):
    """ties go to the first listed; all NaN gives the first learning rate"""
    nan = float("nan")
    return [_selection(select_learning_rate, {0.3: 0.8, 0.1: 0.9, 0.03: 0.9}, [0.3, 0.1, 0.03]),
            _selection(select_learning_rate, {0.5: nan, 0.05: nan}, [0.5, 0.05])]


@book.scenario("select_learning_rate",
               hint="return the model train returned for the best rate, its score list in the given order, and a Python float")
def select_unsorted_array(select_learning_rate):
    """an unsorted numpy array of learning rates; the returned model is the very object trained"""
    return _selection(select_learning_rate, {1.0: 0.5, 0.01: 0.8, 0.1: 0.95}, np.array([1.0, 0.01, 0.1]))


@book.scenario("select_learning_rate",
               hint="train exactly once per learning rate and evaluate each trained model once")
def select_calls(select_learning_rate):
    """train is called once per learning rate and evaluate once per model, even for one rate"""
    return [_selection(select_learning_rate, {0.2: 0.4}, [0.2]),
            _selection(select_learning_rate, {0.2: 0.4, 0.4: 0.6, 0.8: 0.5}, [0.2, 0.4, 0.8])]


@book.scenario("select_learning_rate",
               hint="scores may be negative (e.g. minus a loss): compare them with each other, not with 0")
def select_negative_scores(select_learning_rate):
    """negative scores (minus a validation loss): the largest still wins"""
    return _selection(select_learning_rate, {0.1: -0.5, 0.01: -0.2, 1.0: -3.0}, [0.1, 0.01, 1.0])


@book.scenario("select_learning_rate")
def select_errors(select_learning_rate):
    """ValueError for an empty list or array of learning rates"""
    return [error_name(select_learning_rate, lambda lr: lr, [], lambda model: 0.0),
            error_name(select_learning_rate, lambda lr: lr, np.array([]), lambda model: 0.0)]


@book.scenario("select_learning_rate")
def select_visible_case(select_learning_rate):
    """the visible test's case: 0.1 and 0.3 tie, 1.0 diverged"""
    return _selection(select_learning_rate, {0.01: 0.5, 0.1: 0.9, 1.0: float("nan"), 0.3: 0.9}, [0.01, 1.0, 0.1, 0.3])
