"""Hidden scenarios for lecture 03, convolutional networks.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run. Arrays are float64 unless a scenario says otherwise.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(3000 + seed)


def _conv_problem(seed: int, n: int, c_in: int, h: int, w: int, c_out: int, kh: int, kw: int):
    rng = _rng(seed)
    return rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_out, c_in, kh, kw)), rng.normal(size=c_out)


# --- output size ---------------------------------------------------------------------------------

@book.scenario("conv_output_size",
               hint="the output size uses the stride and rounds down when the stride does not fit")
def size_table(conv_output_size):
    """a table of sizes, kernels, strides and paddings (floor division where the stride does not fit)"""
    cases = [(8, 3, 1, 0), (8, 3, 1, 1), (7, 3, 2, 0), (7, 3, 2, 1), (10, 4, 3, 0), (10, 5, 2, 2),
             (5, 5, 1, 0), (1, 1, 1, 0), (9, 2, 2, 0), (28, 5, 1, 2)]
    return [conv_output_size(*case) for case in cases]


@book.scenario("conv_output_size")
def size_default_arguments(conv_output_size):
    """the defaults stride = 1 and padding = 0"""
    return [conv_output_size(6, 3), conv_output_size(6, 1), conv_output_size(4, 4)]


@book.scenario("conv_output_size",
               hint="return a Python int")
def size_type(conv_output_size):
    """the size is a Python int (not a float or a numpy number)"""
    return type(conv_output_size(7, 3, 2, 1)).__name__


@book.scenario("conv_output_size",
               hint="padding counts on both sides, and a kernel that does not fit is an error")
def size_kernel_too_large(conv_output_size):
    """a kernel larger than the padded input (must raise ValueError)"""
    return [error_name(conv_output_size, 3, 5, 1, 0), error_name(conv_output_size, 3, 5, 1, 1)]


# --- naive forward and im2col forward (the same scenarios) ---------------------------------------

def _forward_scenarios(name: str) -> None:
    @book.scenario(name)
    def _basic(conv):
        """2 images, 3 -> 4 channels, 3 x 3 kernel, stride 1, no padding"""
        return conv(*_conv_problem(1, 2, 3, 6, 7, 4, 3, 3))

    @book.scenario(name)
    def _padding(conv):
        """padding 1 keeps the size of a 5 x 5 input (a 'same' convolution)"""
        return conv(*_conv_problem(2, 1, 2, 5, 5, 3, 3, 3), stride=1, padding=1)

    @book.scenario(name)
    def _stride(conv):
        """stride 2 and padding 1 on a 7 x 8 input with 2 -> 2 channels"""
        return conv(*_conv_problem(3, 2, 2, 7, 8, 2, 3, 3), stride=2, padding=1)

    @book.scenario(name,
                   hint="padding goes on every side, and windows move by the stride")
    def _rectangular(conv):
        """a rectangular 2 x 3 kernel with stride 3 and padding 2"""
        return conv(*_conv_problem(4, 3, 1, 9, 10, 2, 2, 3), stride=3, padding=2)

    @book.scenario(name,
                   hint="the layer computes a correlation (no kernel flip) and adds the bias")
    def _asymmetric_kernel(conv):
        """a single channel and an asymmetric kernel (correlation, not convolution)"""
        x = np.arange(16.0).reshape(1, 1, 4, 4) ** 1.5
        weight = np.array([[[[1.0, 2.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 3.0]]]])
        return conv(x, weight, np.array([0.5]))

    @book.scenario(name,
                   hint="sum the products over the input channels, each with its own kernel slice")
    def _one_by_one(conv):
        """a 1 x 1 convolution mixing 4 channels into 2 (no spatial extent)"""
        return conv(*_conv_problem(5, 2, 4, 3, 3, 2, 1, 1))

    @book.scenario(name)
    def _whole_image_kernel(conv):
        """a kernel as large as the image (one output pixel per channel)"""
        return conv(*_conv_problem(6, 2, 2, 4, 4, 3, 4, 4))

    @book.scenario(name,
                   hint="check that the input's channels match the weights' before computing")
    def _channel_mismatch(conv):
        """x with 3 channels but weights for 2 (must raise ValueError)"""
        x, _, _ = _conv_problem(7, 1, 3, 5, 5, 2, 3, 3)
        _, weight, bias = _conv_problem(8, 1, 2, 5, 5, 2, 3, 3)
        return error_name(conv, x, weight, bias)


_forward_scenarios("conv2d_naive")
_forward_scenarios("conv2d_im2col")


# --- backward ------------------------------------------------------------------------------------

def _backward(conv2d_backward, seed, n, c_in, h, w, c_out, kh, kw, stride, padding):
    x, weight, _ = _conv_problem(seed, n, c_in, h, w, c_out, kh, kw)
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (w + 2 * padding - kw) // stride + 1
    grad_out = _rng(seed + 50).normal(size=(n, c_out, h_out, w_out))
    grad_x, grad_weight, grad_bias = conv2d_backward(grad_out, x, weight, stride, padding)
    return {"grad_x": grad_x, "grad_weight": grad_weight, "grad_bias": grad_bias}


@book.scenario("conv2d_backward",
               hint="the weight gradient sums over every image of the batch")
def backward_basic(conv2d_backward):
    """2 images, 3 -> 4 channels, 3 x 3 kernel, stride 1, no padding"""
    return _backward(conv2d_backward, 10, 2, 3, 6, 5, 4, 3, 3, 1, 0)


@book.scenario("conv2d_backward",
               hint="the input gradient has the input's shape: cut the padding off")
def backward_padding(conv2d_backward):
    """padding 1 (the input gradient must have the input's shape, padding cut off)"""
    return _backward(conv2d_backward, 11, 2, 2, 5, 5, 3, 3, 3, 1, 1)


@book.scenario("conv2d_backward")
def backward_stride(conv2d_backward):
    """stride 2 and padding 1 on a 7 x 6 input"""
    return _backward(conv2d_backward, 12, 3, 2, 7, 6, 2, 3, 3, 2, 1)


@book.scenario("conv2d_backward",
               hint="place each window's gradient at its strided position")
def backward_rectangular(conv2d_backward):
    """a 2 x 3 kernel with stride 3 (some input pixels get no gradient)"""
    return _backward(conv2d_backward, 13, 1, 2, 8, 9, 3, 2, 3, 3, 0)


@book.scenario("conv2d_backward",
               hint="check the kernel orientation in the input gradient and that the bias gradient sums over the batch and positions")
def backward_single_channel(conv2d_backward):
    """one image, one channel, asymmetric kernel: the input gradient uses the rotated kernel"""
    x = np.zeros((1, 1, 4, 4))
    weight = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    grad_out = np.zeros((1, 1, 3, 3))
    grad_out[0, 0, 1, 1] = 1.0
    grad_x, grad_weight, grad_bias = conv2d_backward(grad_out, x, weight, 1, 0)
    return {"grad_x": grad_x, "grad_weight": grad_weight, "grad_bias": grad_bias}


# --- im2col ---------------------------------------------------------------------------------------

@book.scenario("im2col",
               hint="check the order of the rows: channel first, then the position inside the window")
def im2col_small(im2col):
    """a 1 x 2 x 3 x 3 input of distinct numbers, 2 x 2 windows"""
    return im2col(np.arange(18.0).reshape(1, 2, 3, 3), 2, 2)


@book.scenario("im2col",
               hint="windows move by the stride")
def im2col_stride_padding(im2col):
    """2 images, 3 channels, 3 x 3 windows with stride 2 and padding 1"""
    return im2col(_rng(20).normal(size=(2, 3, 5, 6)), 3, 3, 2, 1)


@book.scenario("im2col")
def im2col_rectangular(im2col):
    """a 1 x 3 window on a non-square image (column order is row by row)"""
    return im2col(_rng(21).normal(size=(1, 2, 4, 5)), 1, 3)


# --- max pooling ---------------------------------------------------------------------------------

@book.scenario("max_pool_forward",
               hint="take the maximum of each strided window")
def pool_2x2(max_pool_forward):
    """2 x 2 windows with stride 2 on 2 images of 2 channels"""
    return max_pool_forward(_rng(30).normal(size=(2, 2, 6, 6)), 2, 2)


@book.scenario("max_pool_forward",
               hint="a partial window at the border is dropped")
def pool_overlapping(max_pool_forward):
    """3 x 3 windows with stride 2 (overlapping) on a 7 x 8 input"""
    return max_pool_forward(_rng(31).normal(size=(1, 3, 7, 8)), 3, 2)


@book.scenario("max_pool_forward")
def pool_leftover(max_pool_forward):
    """2 x 2 windows with stride 2 on a 5 x 5 input (the last row and column are dropped)"""
    return max_pool_forward(_rng(32).normal(size=(1, 1, 5, 5)), 2, 2)


@book.scenario("max_pool_forward")
def pool_negative(max_pool_forward):
    """an input where every value is negative (the maximum is not 0)"""
    return max_pool_forward(-1.0 - _rng(33).uniform(size=(1, 2, 4, 4)), 2, 2)


def _pool_backward(max_pool_backward, x, size, stride, seed):
    h_out = (x.shape[2] - size) // stride + 1
    w_out = (x.shape[3] - size) // stride + 1
    grad_out = _rng(seed).normal(size=(x.shape[0], x.shape[1], h_out, w_out))
    return max_pool_backward(grad_out, x, size, stride)


@book.scenario("max_pool_backward",
               hint="the gradient goes to the window's maximum only")
def pool_back_2x2(max_pool_backward):
    """2 x 2 windows with stride 2 (each window sends its gradient to its maximum)"""
    return _pool_backward(max_pool_backward, _rng(34).normal(size=(2, 2, 6, 6)), 2, 2, 35)


@book.scenario("max_pool_backward",
               hint="overlapping windows add their gradients at a shared maximum")
def pool_back_overlapping(max_pool_backward):
    """3 x 3 windows with stride 1 (overlapping windows add up at a shared maximum)"""
    return _pool_backward(max_pool_backward, _rng(36).normal(size=(1, 2, 5, 6)), 3, 1, 37)


@book.scenario("max_pool_backward",
               hint="with tied maxima only the first one (in reading order) gets the gradient")
def pool_back_ties(max_pool_backward):
    """windows with tied maxima (only the first one in row-major order gets the gradient)"""
    x = _rng(38).integers(0, 2, size=(1, 2, 4, 6)).astype(float)
    return _pool_backward(max_pool_backward, x, 2, 2, 39)


@book.scenario("max_pool_backward")
def pool_back_leftover(max_pool_backward):
    """a 5 x 5 input with 2 x 2 windows (the dropped row and column get zero gradient)"""
    return _pool_backward(max_pool_backward, _rng(40).normal(size=(1, 1, 5, 5)), 2, 2, 41)


# --- receptive field and parameter count ---------------------------------------------------------

@book.scenario("receptive_field",
               hint="a single pixel sees a field of one pixel")
def rf_stride_one(receptive_field):
    """three 3 x 3 layers with stride 1 (the field grows by 2 each time)"""
    return receptive_field([(3, 1), (3, 1), (3, 1)])


@book.scenario("receptive_field",
               hint="the field grows by the kernel times the product of the earlier strides")
def rf_vgg_like(receptive_field):
    """conv 3/1, conv 3/1, pool 2/2, conv 3/1, conv 3/1, pool 2/2, conv 3/1"""
    return receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)])


@book.scenario("receptive_field")
def rf_strided(receptive_field):
    """a 7/2 layer, a 3/2 pool and a 5/3 layer (jumps multiply: 1, 2, 4, 12)"""
    return receptive_field([(7, 2), (3, 2), (5, 3), (3, 1)])


@book.scenario("receptive_field")
def rf_empty(receptive_field):
    """no layers at all (an empty list)"""
    return receptive_field([])


@book.scenario("receptive_field")
def rf_one_by_one(receptive_field):
    """1 x 1 layers do not grow the field"""
    return receptive_field([(1, 1), (3, 2), (1, 1), (3, 1)])


@book.scenario("conv_parameter_count",
               hint="one bias per output channel")
def params_square(conv_parameter_count):
    """square kernels of several sizes and channel counts"""
    cases = [(3, 1, 16), (3, 16, 32), (5, 3, 64), (1, 64, 16), (7, 3, 1)]
    return [conv_parameter_count(*case) for case in cases]


@book.scenario("conv_parameter_count",
               hint="a rectangular kernel has its own height and width")
def params_rectangular(conv_parameter_count):
    """rectangular kernels given as (kh, kw)"""
    cases = [((1, 3), 8, 4), ((5, 2), 3, 7), ((3, 3), 2, 2)]
    return [conv_parameter_count(*case) for case in cases]


@book.scenario("conv_parameter_count",
               hint="return a Python int")
def params_type(conv_parameter_count):
    """the count is a Python int"""
    return type(conv_parameter_count(3, 4, 5)).__name__


# --- the digits CNN --------------------------------------------------------------------------------

EXPECTED_SHAPES = {"conv1.weight": (16, 1, 3, 3), "conv1.bias": (16,), "conv2.weight": (32, 16, 3, 3),
                   "conv2.bias": (32,), "fc.weight": (10, 128), "fc.bias": (10,)}


def _fixed_weights(seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {name: 0.3 * torch.randn(shape, generator=generator) for name, shape in EXPECTED_SHAPES.items()}


def _images(seed: int, n: int) -> torch.Tensor:
    return torch.rand((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))


@book.scenario("DigitsCNN",
               hint="count the parameters: check padding of each convolution and that every layer has its bias")
def cnn_parameter_count(DigitsCNN):
    """the total number of parameters"""
    torch.manual_seed(0)
    return sum(p.numel() for p in DigitsCNN().parameters())


@book.scenario("DigitsCNN")
def cnn_parameter_shapes(DigitsCNN):
    """the names and shapes of the parameters (conv1, conv2, fc)"""
    torch.manual_seed(0)
    return {name: tuple(p.shape) for name, p in DigitsCNN().named_parameters()}


@book.scenario("DigitsCNN")
def cnn_output_shapes(DigitsCNN):
    """the output shapes for batches of 5 and of 1"""
    torch.manual_seed(0)
    model = DigitsCNN()
    with torch.no_grad():
        return [tuple(model(_images(1, 5)).shape), tuple(model(_images(2, 1)).shape)]


@book.scenario("DigitsCNN", rtol=1e-4, atol=1e-5,
               hint="check the pooling kind and the order in which features are flattened for the linear layer")
def cnn_logits_fixed_weights(DigitsCNN):
    """the logits for 6 images with fixed weights loaded by name (conv, ReLU, max pool order)"""
    torch.manual_seed(0)
    model = DigitsCNN()
    model.load_state_dict(_fixed_weights(3))
    model.eval()
    with torch.no_grad():
        return model(_images(4, 6)).numpy().astype(np.float64)


@book.scenario("DigitsCNN",
               hint="the model returns logits; the loss applies the softmax")
def cnn_learns(DigitsCNN):
    """30 seeded Adam steps on 64 digits cut the training loss by more than half"""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = torch.as_tensor(digits.images[:64] / 16.0, dtype=torch.float32)[:, None]
    labels = torch.as_tensor(digits.target[:64])
    torch.manual_seed(0)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return bool(losses[-1] < 0.5 * losses[0])


# --- one training step -----------------------------------------------------------------------------

def _tiny_problem(seed: int):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand((12, 1, 8, 8), generator=generator)
    labels = torch.randint(0, 10, (12,), generator=generator)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    return model, images, labels


@book.scenario("train_step", rtol=1e-4, atol=1e-6,
               hint="zero the gradients, compute the loss, call backward, then step the optimizer")
def step_sgd_losses(train_step):
    """5 plain-SGD steps on a linear model: the losses returned and the final weights"""
    model, images, labels = _tiny_problem(50)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = [train_step(model, optimizer, images, labels) for _ in range(5)]
    return {"losses": np.array(losses), "weight": model[1].weight.detach().numpy().astype(np.float64)}


@book.scenario("train_step", rtol=1e-4, atol=1e-6,
               hint="the loss is the cross-entropy of the raw logits")
def step_first_loss(train_step):
    """the first loss is the cross-entropy before the update"""
    model, images, labels = _tiny_problem(51)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    return train_step(model, optimizer, images, labels)


@book.scenario("train_step",
               hint="return the loss as a Python float")
def step_returns_float(train_step):
    """the loss is returned as a Python float"""
    model, images, labels = _tiny_problem(52)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return type(train_step(model, optimizer, images, labels)).__name__


@book.scenario("train_step", rtol=1e-4, atol=1e-6,
               hint="put the model in training mode before the step")
def step_dropout_model(train_step):
    """a model with dropout that was left in eval mode: the step switches it to training mode"""
    model, images, labels = _tiny_problem(53)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 10))
    model.eval()
    torch.manual_seed(7)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = train_step(model, optimizer, images, labels)
    return {"loss": loss, "training": model.training}


# --- the visible tests' cases and the docstrings' promises (inputs unchanged, channels, defaults) ---

@book.scenario("conv_output_size")
def size_visible_cases(conv_output_size):
    """the visible tests' cases: (8, 3), (8, 3, 1, 1), (8, 3, 2, 1), (10, 4, 3, 0)"""
    return [conv_output_size(8, 3), conv_output_size(8, 3, 1, 1), conv_output_size(8, 3, 2, 1),
            conv_output_size(10, 4, 3, 0)]


def _more_forward_scenarios(name: str) -> None:
    @book.scenario(name)
    def _visible(conv):
        """the visible tests' cases: the kernel [[1, 0], [0, -1]] on 0..15, and stride/padding pairs"""
        rng = np.random.default_rng(0)
        x, w, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(5, 3, 3, 2)), rng.normal(size=5)
        return [conv(np.arange(16.0).reshape(1, 1, 4, 4), np.array([[[[1.0, 0.0], [0.0, -1.0]]]]), np.array([1.0]))] + \
            [conv(x, w, b, stride, padding) for stride, padding in [(1, 0), (2, 1), (3, 2)]] + \
            [error_name(conv, x, w[:, :2], b)]

    @book.scenario(name,
                   hint="check that the input's channels match the weights' before computing")
    def _channels_broadcast(conv):
        """1-channel images with weights for 3 channels, and the reverse (ValueError, not a silent broadcast)"""
        x, w, b = _conv_problem(70, 2, 3, 5, 5, 2, 3, 3)
        return [error_name(conv, x[:, :1], w, b), error_name(conv, x, w[:, :1], b)]

    @book.scenario(name, rtol=0.0, atol=0.0)
    def _inputs_unchanged(conv):
        """x, the weights and the bias are left unchanged (with padding 1 and stride 2)"""
        x, w, b = _conv_problem(71, 2, 2, 6, 5, 3, 3, 3)
        conv(x, w, b, 2, 1)
        return [x, w, b]


for _name in ["conv2d_naive", "conv2d_im2col"]:
    _more_forward_scenarios(_name)


@book.scenario("im2col",
               hint="windows are taken row by row")
def im2col_visible_cases(im2col):
    """the visible tests' cases: the 3 x 3 image 0..8 with 2 x 2 windows, and a shape with stride 2, padding 1"""
    return [im2col(np.arange(9.0).reshape(1, 1, 3, 3), 2, 2), np.shape(im2col(np.zeros((2, 3, 5, 5)), 3, 3, 2, 1))]


@book.scenario("im2col", rtol=0.0, atol=0.0)
def im2col_inputs_unchanged(im2col):
    """x is left unchanged; the defaults are stride 1 and padding 0"""
    x = _rng(72).normal(size=(1, 2, 4, 5))
    return [im2col(x, 2, 3), x]


@book.scenario("conv2d_backward")
def backward_visible_cases(conv2d_backward):
    """the visible tests' cases: 2 x 3 x 7 x 6 input, 3 x 2 kernel, (stride, padding) (1, 0) and (2, 1)"""
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    results = []
    for stride, padding in [(1, 0), (2, 1)]:
        h_out, w_out = (7 + 2 * padding - 3) // stride + 1, (6 + 2 * padding - 2) // stride + 1
        results.append(conv2d_backward(rng.normal(size=(2, 4, h_out, w_out)), x, w, stride, padding))
    return results


@book.scenario("conv2d_backward")
def backward_defaults_and_inputs(conv2d_backward):
    """the defaults stride 1 and padding 0; grad_out, x and the weights are left unchanged"""
    x, w, _ = _conv_problem(73, 2, 2, 5, 4, 3, 2, 2)
    grad_out = _rng(74).normal(size=(2, 3, 4, 3))
    return [conv2d_backward(grad_out, x, w), grad_out, x, w]


@book.scenario("max_pool_forward")
def pool_visible_cases(max_pool_forward):
    """the visible tests' 4 x 4 example with (2, 2) and (3, 1), and the input left unchanged"""
    x = np.array([[[[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0], [0.0, -1.0, -5.0, -6.0], [-2.0, -3.0, -7.0, -8.0]]]])
    return [max_pool_forward(x, 2, 2), max_pool_forward(x, 3, 1), x]


@book.scenario("max_pool_forward")
def pool_integer_input(max_pool_forward):
    """an integer image gives a float array of its window maxima"""
    x = np.arange(32).reshape(1, 2, 4, 4) % 7
    out = max_pool_forward(x, 2, 2)
    return [out, np.asarray(out).dtype.kind]


@book.scenario("max_pool_backward")
def unpool_visible_cases(max_pool_backward):
    """the visible tests' cases: the 4 x 4 example with (2, 2) and (3, 1), four tied values; inputs unchanged"""
    x = np.array([[[[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0], [0.0, -1.0, -5.0, -6.0], [-2.0, -3.0, -7.0, -8.0]]]])
    grad = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    return [max_pool_backward(grad, x, 2, 2), max_pool_backward(grad, x, 3, 1),
            max_pool_backward(np.array([[[[1.0]]]]), np.ones((1, 1, 2, 2)), 2, 2), grad, x]


@book.scenario("receptive_field")
def field_visible_cases(receptive_field):
    """the visible tests' cases: two 3/1 layers, two 3/2 layers, conv 3, pool 2, conv 3, pool 2"""
    return [receptive_field([(3, 1), (3, 1)]), receptive_field([(3, 2), (3, 2)]),
            receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)])]


@book.scenario("conv_parameter_count")
def count_visible_cases(conv_parameter_count):
    """the visible tests' cases: (3, 1, 16), (3, 16, 32), (5, 3, 8), ((1, 3), 8, 4)"""
    return [conv_parameter_count(3, 1, 16), conv_parameter_count(3, 16, 32), conv_parameter_count(5, 3, 8),
            conv_parameter_count((1, 3), 8, 4)]


@book.scenario("DigitsCNN", rtol=1e-4, atol=1e-5,
               hint="each convolution is followed by its ReLU")
def cnn_visible_cases(DigitsCNN):
    """the visible tests' cases: shapes, 6090 parameters, and only fc's bias left when the conv biases are -100"""
    torch.manual_seed(0)
    model = DigitsCNN()
    shapes = {name: list(p.shape) for name, p in model.named_parameters()}
    with torch.no_grad():
        model.conv1.bias.fill_(-100.0)
        model.conv2.bias.fill_(-100.0)
        logits = model(_images(75, 3))
    return [shapes, sum(p.numel() for p in model.parameters()),
            (logits - model.fc.bias.detach()).abs().max().item() < 1e-6, list(logits.shape), str(logits.dtype)]


@book.scenario("train_step", rtol=1e-4, atol=1e-6,
               hint="clear old gradients before the backward pass, not after the step")
def step_stale_gradients(train_step):
    """gradients left over from an earlier backward pass are cleared before the step"""
    model, images, labels = _tiny_problem(54)
    F.cross_entropy(model(images * 3.0), (labels + 1) % 10).backward()  # stale gradients
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = train_step(model, optimizer, images, labels)
    return {"loss": loss, "weight": model[1].weight.detach().numpy().astype(np.float64),
            "bias": model[1].bias.detach().numpy().astype(np.float64)}


@book.scenario("train_step", rtol=1e-4, atol=1e-6)
def step_momentum_once(train_step):
    """one step of an optimizer with momentum: its step is taken exactly once; the batch is left unchanged"""
    model, images, labels = _tiny_problem(55)
    before = (images.clone(), labels.clone())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    losses = [train_step(model, optimizer, images, labels) for _ in range(2)]
    return {"losses": np.array(losses), "weight": model[1].weight.detach().numpy().astype(np.float64),
            "batch unchanged": bool(torch.equal(images, before[0]) and torch.equal(labels, before[1]))}


@book.scenario("train_step", rtol=1e-4, atol=1e-6)
def step_visible_cases(train_step):
    """the visible tests' case: a linear model on 16 images, lr 0.5, five steps"""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    images, labels = torch.rand(16, 1, 8, 8), torch.randint(0, 10, (16,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    return np.array([train_step(model, optimizer, images, labels) for _ in range(5)])


@book.scenario("im2col")
def im2col_window_too_large(im2col):
    """a 4 x 4 window on a 3 x 3 image without padding (must raise ValueError); with padding 1 it fits"""
    x = _rng(76).normal(size=(1, 1, 3, 3))
    return [error_name(im2col, x, 4, 4), np.shape(im2col(x, 4, 4, 1, 1))]


@book.scenario("receptive_field")
def field_types(receptive_field):
    """the entries are tuples of two Python ints; the list of layers is left unchanged"""
    layers = [(3, 1), (2, 2), (5, 3)]
    result = receptive_field(layers)
    return [[type(entry).__name__ for entry in result], [[type(v).__name__ for v in entry] for entry in result],
            layers]


@book.scenario("DigitsCNN")
def cnn_float32_and_input_unchanged(DigitsCNN):
    """float32 parameters and logits; the input batch is left unchanged"""
    torch.manual_seed(1)
    model = DigitsCNN()
    images = _images(77, 4)
    before = images.clone()
    with torch.no_grad():
        logits = model(images)
    return [sorted({str(p.dtype) for p in model.parameters()}), str(logits.dtype), bool(torch.equal(images, before))]


@book.scenario("im2col")
def im2col_keeps_float32(im2col):
    """a float32 batch gives a float32 matrix (x's float dtype)"""
    x = _rng(78).normal(size=(1, 2, 3, 4)).astype(np.float32)
    cols = im2col(x, 2, 2, 1, 1)
    return [cols, np.asarray(cols).dtype.name]


@book.scenario("conv2d_backward", rtol=1e-5, atol=1e-6)
def backward_float32_inputs(conv2d_backward):
    """float32 inputs give float64 gradients"""
    x, w, _ = _conv_problem(79, 1, 2, 4, 4, 2, 3, 3)
    grad_out = _rng(80).normal(size=(1, 2, 2, 2))
    result = conv2d_backward(grad_out.astype(np.float32), x.astype(np.float32), w.astype(np.float32))
    return [result, [np.asarray(item).dtype.name for item in result]]
