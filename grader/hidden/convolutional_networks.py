"""Hidden scenarios for lecture 03, convolutional networks.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run. Arrays are float64 unless a scenario says otherwise.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from grader.hidden import ScenarioBook, error_name, factories

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


@book.scenario("conv_output_size",
               hint="the size is a floor division: a kernel that overhangs by less than one stride still does not fit")
def size_kernel_overhangs_with_a_stride(conv_output_size):
    """a kernel that overhangs the input by less than one stride (must raise ValueError)"""
    return [error_name(conv_output_size, 2, 3, 2, 0), error_name(conv_output_size, 3, 5, 3, 0)]


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


# --- the input gradient of a strided layer as a transposed convolution ------------------------------

def _strided_problem(seed: int, n: int, c_in: int, size: tuple[int, int], c_out: int, kernel: tuple[int, int],
                     stride: int, padding: int):
    """(grad_out, weight, input_size, stride, padding) for a layer with these sizes."""
    rng = _rng(seed)
    outputs = [(s + 2 * padding - k) // stride + 1 for s, k in zip(size, kernel)]
    return (rng.normal(size=(n, c_out, *outputs)), rng.normal(size=(c_out, c_in, *kernel)), size, stride, padding)


def _strided_scenario(seed: int, description: str, sizes: tuple, hint: str | None = None) -> None:
    def run(conv2d_backward_strided):
        return conv2d_backward_strided(*_strided_problem(seed, *sizes))
    run.__doc__ = description
    book.scenario("conv2d_backward_strided", hint=hint)(run)


_strided_scenario(90, "stride 2, padding 1, a 7 x 6 input and a 3 x 2 kernel, 3 -> 4 channels",
                  (2, 3, (7, 6), 4, (3, 2), 2, 1), hint="the stride spreads each upstream value out before the kernel is applied")
_strided_scenario(91, "stride 3 without padding where the windows cover every row (9 x 9, kernel 3)",
                  (1, 2, (9, 9), 2, (3, 3), 3, 0))
_strided_scenario(92, "stride 3 on a 10 x 11 input: the last row and columns are read by no window (zero gradient)",
                  (2, 2, (10, 11), 3, (3, 3), 3, 0),
                  hint="rows and columns no window reads get a zero gradient, and the result has the input's size")
_strided_scenario(93, "stride 1 with padding 2 (the full correlation, padding cut off)",
                  (2, 2, (5, 6), 3, (3, 3), 1, 2), hint="the input gradient has the input's shape: cut the padding off")
_strided_scenario(94, "a 1 x 1 kernel with stride 2: only every other pixel gets a gradient",
                  (1, 3, (6, 5), 2, (1, 1), 2, 0))
_strided_scenario(95, "stride 2 with a 4 x 4 kernel and padding 1, one image, 1 -> 1 channel",
                  (1, 1, (8, 8), 1, (4, 4), 2, 1), hint="check the kernel's orientation: the input gradient uses it rotated by 180 degrees")
_strided_scenario(96, "stride 2, padding 3 larger than the kernel's reach (3 x 3), a 5 x 4 input",
                  (2, 2, (5, 4), 3, (3, 3), 2, 3))


@book.scenario("conv2d_backward_strided")
def strided_visible_cases(conv2d_backward_strided):
    """the visible tests' cases: (7, 6) kernel 3 x 2 stride 2 padding 1, (10, 9) kernel 3 stride 3, (8, 8) kernel 1 stride 2"""
    rng = np.random.default_rng(2)
    results = []
    for size, kernel, stride, padding in [((7, 6), (3, 2), 2, 1), ((10, 9), (3, 3), 3, 0), ((8, 8), (1, 1), 2, 0)]:
        outputs = [(s + 2 * padding - k) // stride + 1 for s, k in zip(size, kernel)]
        weight = rng.normal(size=(4, 3, *kernel))
        results.append(conv2d_backward_strided(rng.normal(size=(2, 4, *outputs)), weight, size, stride, padding))
    return results


@book.scenario("conv2d_backward_strided")
def strided_defaults(conv2d_backward_strided):
    """the defaults stride 1 and padding 0"""
    grad_out, weight, size, _, _ = _strided_problem(97, 2, 2, (5, 5), 3, (2, 3), 1, 0)
    return conv2d_backward_strided(grad_out, weight, size)


factories.returned_dtype(book, "conv2d_backward_strided",
                         lambda: tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a
                                       for a in _strided_problem(98, 1, 2, (7, 7), 2, (3, 3), 2, 1)),
                         "float32 grad_out and weights give a float64 array", rtol=1e-5, atol=1e-6)
factories.inputs_unchanged(book, "conv2d_backward_strided", lambda: _strided_problem(99, 2, 2, (7, 6), 3, (3, 3), 2, 1))
factories.raises(book, "conv2d_backward_strided", {
    "G 1 channel, 3 kernels": lambda: (_strided_problem(100, 1, 2, (6, 6), 3, (3, 3), 2, 1)[0][:, :1],
                                                     *_strided_problem(100, 1, 2, (6, 6), 3, (3, 3), 2, 1)[1:]),
    "G 3 channels, 1 kernel": lambda: (_rng(101).normal(size=(1, 3, 3, 3)),
                                                     _rng(102).normal(size=(1, 2, 3, 3)), (6, 6), 2, 1),
    "9 rows, not 6": lambda: (*_strided_problem(103, 1, 2, (6, 6), 2, (3, 3), 2, 1)[:2], (9, 6), 2, 1),
    "5 columns, not 7": lambda: (*_strided_problem(104, 1, 2, (7, 7), 2, (3, 3), 2, 0)[:2], (7, 5), 2, 0),
    "8 x 8 fits":
        lambda: (*_strided_problem(105, 1, 2, (7, 7), 2, (3, 3), 2, 0)[:2], (8, 8), 2, 0),
}, hint="check that the upstream gradient and the input size fit the layer: mismatched shapes must not broadcast silently")


_FORBIDDEN = ("conv2d_backward", "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d",
              "torch.autograd.grad", "torch.Tensor.backward")


def _refuse(name: str):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"{name} is not to be called by conv2d_backward_strided")
    return refuse


@book.scenario("conv2d_backward_strided",
               hint="build it from a stride-1 forward convolution, not from your loop-based backward pass or autograd")
def strided_is_a_forward_convolution(conv2d_backward_strided):
    """computed without conv2d_backward, torch's conv_transpose2d or autograd (as the docstring says)"""
    namespace = conv2d_backward_strided.__globals__
    saved = {"conv2d_backward": namespace.get("conv2d_backward"),
             "conv_transpose2d": F.conv_transpose2d, "torch.conv_transpose2d": torch.conv_transpose2d,
             "grad": torch.autograd.grad, "backward": torch.Tensor.backward}
    try:
        if "conv2d_backward" in namespace:
            namespace["conv2d_backward"] = _refuse("conv2d_backward")
        F.conv_transpose2d = _refuse("conv_transpose2d")
        torch.conv_transpose2d = _refuse("torch.conv_transpose2d")
        torch.autograd.grad = _refuse("torch.autograd.grad")
        torch.Tensor.backward = _refuse("Tensor.backward")
        return conv2d_backward_strided(*_strided_problem(106, 2, 2, (7, 8), 3, (3, 3), 2, 1))
    finally:
        if saved["conv2d_backward"] is not None:
            namespace["conv2d_backward"] = saved["conv2d_backward"]
        F.conv_transpose2d = saved["conv_transpose2d"]
        torch.conv_transpose2d = saved["torch.conv_transpose2d"]
        torch.autograd.grad = saved["grad"]
        torch.Tensor.backward = saved["backward"]


# --- multiply-adds ---------------------------------------------------------------------------------

@book.scenario("conv_multiply_adds",
               hint="every output value of every output channel reads every weight of its kernel once")
def macs_table(conv_multiply_adds):
    """a table of kernels, channels and output sizes (square and rectangular)"""
    cases = [(3, 1, 16, 8), (3, 16, 32, 4), (1, 128, 10, 1), (5, 3, 8, (6, 4)), ((1, 3), 8, 4, (5, 7)),
             ((3, 2), 2, 5, 3), (7, 3, 64, 112)]
    return [conv_multiply_adds(*case) for case in cases]


@book.scenario("conv_multiply_adds")
def macs_type_and_zero_channels(conv_multiply_adds):
    """the count is a Python int, also when the sizes come as numpy ints"""
    result = conv_multiply_adds(np.int64(3), np.int64(4), np.int64(5), (np.int64(6), np.int64(7)))
    return [result, type(result).__name__, type(conv_multiply_adds(3, 2, 2, 2)).__name__]


@book.scenario("conv_multiply_adds")
def macs_visible_cases(conv_multiply_adds):
    """the visible tests' cases"""
    return [conv_multiply_adds(3, 1, 16, 8), conv_multiply_adds(1, 128, 10, 1), conv_multiply_adds((1, 3), 8, 4, (5, 7))]


# --- the training loop with early stopping ----------------------------------------------------------

def _loop_data(seed: int, n_train: int = 12, n_val: int = 8, features: int = 4):
    """A tiny classification problem: (train, val) pairs of float32 inputs and int64 labels of 3 classes."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_train + n_val, features, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def _linear(seed: int, features: int = 4, classes: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(features, classes)


def _plain(history) -> dict:
    """The promised keys of a history dict as plain data."""
    return {key: history[key] for key in ("train_loss", "val_loss", "val_accuracy", "best_epoch")}


class _Scripted(torch.optim.Optimizer):
    """An 'optimizer' whose k-th step sets the weight of a bias-free linear layer to script[k]."""

    def __init__(self, params, script: list[list[list[float]]]):
        super().__init__(params, {})
        self.script, self.steps = script, 0

    @torch.no_grad()
    def step(self, closure=None):
        weight = self.param_groups[0]["params"][0]
        weight.copy_(torch.tensor(self.script[min(self.steps, len(self.script) - 1)]))
        self.steps += 1


def _scripted_run(train_with_early_stopping, margins: list[float], max_epochs: int, patience: int):
    """Full-batch training whose validation loss after epoch e is set by margins[e] (lower is better):
    the weight after epoch e is [[0], [-margin]] on a constant input of class 0, so the loss is
    softplus(-margin). Returns the history, the final weight, the steps taken and the mode."""
    model = nn.Linear(1, 2, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    script = [[[0.0], [-margin]] for margin in margins]
    optimizer = _Scripted(model.parameters(), script)
    ones, zeros = torch.ones(4, 1), torch.zeros(4, dtype=torch.long)
    history = train_with_early_stopping(model, optimizer, (ones, zeros), (ones[:2], zeros[:2]), max_epochs, patience,
                                        batch_size=4, generator=torch.Generator().manual_seed(0))
    return {"history": _plain(history), "weight": model.weight.detach().numpy().astype(np.float64),
            "steps": optimizer.steps, "training": model.training}


@book.scenario("train_with_early_stopping", rtol=1e-5, atol=1e-7,
               hint="an epoch counts as an improvement only if its validation loss is strictly lower than the best so far")
def loop_patience_and_ties(train_with_early_stopping):
    """scripted validation losses with a tie: the best epoch, when training stops (patience 3), the weights kept"""
    return _scripted_run(train_with_early_stopping, [0.0, 1.0, 0.5, 1.0, 0.8, 3.0, 4.0, 5.0], 8, 3)


@book.scenario("train_with_early_stopping", rtol=1e-5, atol=1e-7,
               hint="keep a copy of the best weights, not a reference to the live parameters")
def loop_restores_a_copy(train_with_early_stopping):
    """the best epoch is the first; later epochs change the weights, the model returns with the first epoch's"""
    return _scripted_run(train_with_early_stopping, [2.0, 1.0, 0.5, 0.2], 10, 3)


@book.scenario("train_with_early_stopping", rtol=1e-5, atol=1e-7,
               hint="stop after patience epochs without improvement, counting from the best epoch")
def loop_patience_one(train_with_early_stopping):
    """patience 1 stops at the first epoch that does not improve"""
    return _scripted_run(train_with_early_stopping, [1.0, 2.0, 1.5, 3.0, 4.0], 5, 1)


@book.scenario("train_with_early_stopping", rtol=1e-5, atol=1e-7,
               hint="patience counts consecutive epochs without improvement: an improvement starts the count again")
def loop_patience_restarts(train_with_early_stopping):
    """improvements every other epoch, then two worse epochs: patience 2 stops only after those two"""
    return _scripted_run(train_with_early_stopping, [1.0, 0.5, 2.0, 1.5, 3.0, 2.5, 4.0, 3.5, 3.0, 2.0, 5.0], 11, 2)


@book.scenario("train_with_early_stopping", rtol=1e-5, atol=1e-7)
def loop_max_epochs(train_with_early_stopping):
    """always improving: max_epochs epochs, the last one best"""
    return _scripted_run(train_with_early_stopping, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 4, 2)


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6,
               hint="the training loss of an epoch is measured on each batch before its step; validation comes after the epoch")
def loop_full_batch_sgd(train_with_early_stopping):
    """full-batch SGD on a linear model: the history and the weights kept, compared epoch by epoch"""
    train, val = _loop_data(1)
    model = _linear(1)
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.5), train, val, 6, 3,
                                        batch_size=12, generator=torch.Generator().manual_seed(0))
    return {"history": _plain(history), "weight": model.weight.detach().numpy().astype(np.float64),
            "bias": model.bias.detach().numpy().astype(np.float64)}


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6,
               hint="the epoch's training loss averages over examples: a smaller last batch weighs less")
def loop_loss_weighted_by_batch_size(train_with_early_stopping):
    """10 examples in batches of 4, 4 and 2 with lr 0 (weights fixed): the training loss is the data's mean loss"""
    train, val = _loop_data(2, n_train=10)
    train = (train[0] * 3.0, train[1])  # larger inputs: the batches' losses differ clearly
    model = _linear(2)
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.0), train, val, 2, 1,
                                        batch_size=4, generator=torch.Generator().manual_seed(3))
    return _plain(history)


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6,
               hint="clear the gradients before every backward pass: torch adds them up")
def loop_stale_gradients(train_with_early_stopping):
    """gradients left in the parameters before the call, and 3 full-batch steps: each step uses its batch's gradient alone"""
    train, val = _loop_data(4)
    model = _linear(4)
    F.cross_entropy(model(train[0] * 5.0), (train[1] + 1) % 3).backward()  # stale gradients
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.3), train, val, 3, 5,
                                        batch_size=64, generator=torch.Generator().manual_seed(0))
    return {"history": _plain(history), "weight": model.weight.detach().numpy().astype(np.float64)}


class _Recorder(nn.Module):
    """A linear model with dropout that records, for every call, its mode and the inputs' first column."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(4, 3)
        self.calls: list[tuple[bool, list[float]]] = []

    def forward(self, x):
        self.calls.append((self.training, x[:, 0].tolist()))
        return self.linear(self.dropout(x))


@book.scenario("train_with_early_stopping",
               hint="train in training mode, validate in evaluation mode, and use every training example once per epoch")
def loop_modes_and_epochs(train_with_early_stopping):
    """a model left in eval mode, 10 examples in batches of 4: per epoch, the training-mode inputs are the training set once, in batches of 4, 4, 2"""
    train, val = _loop_data(5, n_train=10)
    model = _Recorder(5)
    model.eval()
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.1), train, val, 3, 3,
                                        batch_size=4, generator=torch.Generator().manual_seed(1))
    epochs = len(history["val_loss"])
    training_calls = [values for training, values in model.calls if training]
    eval_values = sorted(v for training, values in model.calls if not training for v in values)
    per_epoch = [sorted(v for values in training_calls[3 * e:3 * e + 3] for v in values) for e in range(epochs)]
    return {"epochs": epochs, "batch sizes": sorted(len(values) for values in training_calls),
            "training inputs per epoch": [np.round(values, 5) for values in per_epoch],
            "validation inputs seen in eval mode": sorted(set(np.round(val[0][:, 0].tolist(), 5)) - set(np.round(eval_values, 5))) == [],
            "training mode at the end": model.training}


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6,
               hint="apply augment to every training batch and train on what it returns; never to validation images")
def loop_augment(train_with_early_stopping):
    """augment replaces each training batch by zeros (lr 0): it is called once per batch, on training inputs only, and its output is what the loss sees"""
    train, val = _loop_data(6, n_train=10)
    seen = []

    def augment(images):
        seen.append(images.shape[0])
        return torch.zeros_like(images)

    model = _linear(6)
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.0), train, val, 2, 2,
                                        batch_size=5, generator=torch.Generator().manual_seed(2), augment=augment)
    return {"history": _plain(history), "augment calls": seen}


@book.scenario("train_with_early_stopping")
def loop_types_and_inputs(train_with_early_stopping):
    """the history's types (lists of Python floats, an int), and the data tensors left unchanged"""
    train, val = _loop_data(7)
    before = [t.clone() for t in (*train, *val)]
    model = _linear(7)
    history = train_with_early_stopping(model, torch.optim.Adam(model.parameters(), lr=0.1), train, val, 3, 2,
                                        batch_size=5, generator=torch.Generator().manual_seed(0))
    return {"types": {key: [type(v).__name__ for v in history[key]] for key in ("train_loss", "val_loss", "val_accuracy")},
            "best_epoch": type(history["best_epoch"]).__name__,
            "data unchanged": all(torch.equal(a, b) for a, b in zip(before, (*train, *val)))}


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6,
               hint="the accuracy is the share of validation inputs whose largest logit is the label")
def loop_accuracy_values(train_with_early_stopping):
    """the validation accuracy after each of 3 full-batch epochs"""
    train, val = _loop_data(8, n_val=16)
    model = _linear(8)
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=1.0), train, val, 3, 3,
                                        batch_size=12, generator=torch.Generator().manual_seed(0))
    return {"val_accuracy": history["val_accuracy"], "val_loss": history["val_loss"]}


def _loop_args(seed: int, **changes):
    train, val = _loop_data(seed)
    model = _linear(seed)
    args = {"model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "train": train, "val": val,
            "max_epochs": 2, "patience": 1}
    args.update(changes)
    return tuple(args.values())


factories.raises(book, "train_with_early_stopping", {
    "max_epochs 0": lambda: _loop_args(9, max_epochs=0),
    "patience 0": lambda: _loop_args(9, patience=0),
    "batch_size 0": lambda: _loop_args(9, batch_size=0),
    "train labels short": lambda: _loop_args(9, train=(_loop_data(9)[0][0], _loop_data(9)[0][1][:-1])),
    "val inputs short": lambda: _loop_args(9, val=(_loop_data(9)[1][0][:-1], _loop_data(9)[1][1])),
}, hint="check the arguments the docstring lists under Raises before training")


@book.scenario("train_with_early_stopping")
def loop_visible_cases(train_with_early_stopping):
    """the visible tests' case: a linear model on 40 random images with random labels, SGD lr 0.5, patience 3, batches of 8"""
    generator = torch.Generator().manual_seed(0)
    train = (torch.rand(40, 1, 8, 8, generator=generator), torch.randint(0, 10, (40,), generator=generator))
    val = (torch.rand(20, 1, 8, 8, generator=generator), torch.randint(0, 10, (20,), generator=generator))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.5), train, val, 30, 3, 8,
                                        torch.Generator().manual_seed(1))
    with torch.no_grad():
        kept = F.cross_entropy(model(val[0]), val[1]).item()
    epochs, best = len(history["val_loss"]), history["best_epoch"]
    # the batches' order is the implementation's own: compare only what every correct loop shares
    return {"stopped early": epochs < 30, "stopped patience epochs after the best": epochs == best + 1 + 3,
            "best epoch has the lowest loss": best == int(np.argmin(history["val_loss"])),
            "kept the best weights": abs(kept - history["val_loss"][best]) < 1e-5, "training": model.training}


# Each answer cell's kind (issue #23): T transcription, P partial, D design.
EXERCISE_KINDS = {
    "conv2d_forward": "T",           # the formula and the loops are printed
    "conv2d_im2col": "P",            # the layout is prescribed; building it without a loop over positions is not
    "conv2d_backward": "P",          # the three sums are derived in the text; computing them (overlaps, padding) is left
    "conv2d_backward_strided": "D",  # from the forward pass and M^T only: dilation, padding, rotation, channel swap
    "max_pool": "T",                 # the forward maximum and the routing rule are printed
    "counting": "P",                 # the receptive-field and parameter formulas are printed; multiply-adds are not
    "digits_cnn": "T",               # the architecture is a table
    "train_with_early_stopping": "D",  # a training loop specified by behaviour
}


def _training_orders(model: "_Recorder", epochs: int, batches: int) -> list[list[float]]:
    """The first input column of the training-mode calls, epoch by epoch, in the order they came."""
    calls = [values for training, values in model.calls if training]
    return [[v for values in calls[batches * e:batches * (e + 1)] for v in values] for e in range(epochs)]


@book.scenario("train_with_early_stopping",
               hint="draw a new random order of the training examples in every epoch")
def loop_new_order_every_epoch(train_with_early_stopping):
    """3 epochs of 12 examples in batches of 4, with a generator and with None: each epoch's order differs from the others"""
    results = {}
    for label, generator in (("given generator", torch.Generator().manual_seed(4)), ("generator None", None)):
        torch.manual_seed(11)
        train, val = _loop_data(10)
        model = _Recorder(10)
        train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.0), train, val, 3, 3, 4, generator)
        orders = _training_orders(model, 3, 3)
        results[label] = {"epochs": len(orders), "each a permutation": all(sorted(o) == sorted(train[0][:, 0].tolist()) for o in orders),
                          "orders differ": len({tuple(o) for o in orders}) == 3}
    return results


@book.scenario("train_with_early_stopping", rtol=1e-4, atol=1e-6)
def loop_default_batch_size(train_with_early_stopping):
    """the default batch size 32 on 40 examples (batches of 32 and 8) with lr 0: the training loss is the data's mean loss"""
    train, val = _loop_data(12, n_train=40)
    train = (train[0] * 3.0, train[1])
    model = _Recorder(12)
    history = train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.0), train, val, 1, 1)
    return {"batch sizes": sorted(len(values) for training, values in model.calls if training),
            "epochs": len(history["val_loss"])}


# --- the returned dtype for float32 and integer inputs (the docstrings promise float64) -----------------

def _float32(arrays: tuple) -> tuple:
    return tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in arrays)


for _name in ("conv2d_naive", "conv2d_im2col"):
    factories.returned_dtype(book, _name, lambda: (*_float32(_conv_problem(110, 2, 2, 5, 6, 3, 3, 3)), 2, 1),
                             "float32 images, weights and bias give a float64 array", rtol=1e-5, atol=1e-5)
factories.returned_dtype(book, "max_pool_forward", lambda: (_float32((_rng(111).normal(size=(2, 2, 5, 4)),))[0], 2, 1),
                         "float32 maps give a float64 array", rtol=1e-6, atol=1e-6)
factories.returned_dtype(book, "max_pool_backward",
                         lambda: (_rng(112).normal(size=(1, 2, 2, 2)).astype(np.float32),
                                  _rng(113).normal(size=(1, 2, 4, 4)).astype(np.float32), 2, 2),
                         "float32 upstream gradients and maps give a float64 array", rtol=1e-6, atol=1e-6)


@book.scenario("train_with_early_stopping",
               hint="draw the order of the training examples with the generator you are given")
def loop_generator_decides_the_order(train_with_early_stopping):
    """two runs with equally seeded generators but different global seeds visit the examples in the same orders"""
    orders = []
    for global_seed in (21, 22):
        train, val = _loop_data(13)
        model = _Recorder(13)
        torch.manual_seed(global_seed)
        train_with_early_stopping(model, torch.optim.SGD(model.parameters(), lr=0.0), train, val, 2, 2, 4,
                                  torch.Generator().manual_seed(5))
        orders.append(_training_orders(model, 2, 3))
    return {"same orders": orders[0] == orders[1], "epochs": len(orders[0])}
