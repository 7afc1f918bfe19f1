"""Hidden scenarios for lecture 02, backpropagation and optimizers.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run. Scenarios for the class ``Value`` build expressions with the
class under test, call ``backward`` and return plain numbers.
"""
import numpy as np

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()


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
