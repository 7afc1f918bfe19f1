"""Hidden scenarios for lecture 04, recurrent networks and LSTMs.

Every scenario builds its own seeded inputs, so a function that modifies its arguments
cannot affect the next run. Arrays are float64 unless a scenario says otherwise; torch models
are built here (never with the student's classes) except in the CharLSTM scenarios.
"""
import numpy as np
import torch
from torch import nn

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

# Each answer cell's kind (tests/test_exercise_kinds.py): T transcription, P partial, D design.
EXERCISE_KINDS = {
    "rnn_step": "P",          # the batch (row) form, the dtype and the shape checks are designed
    "rnn_forward": "P",       # the loop is short; the state's shape rules and T = 0 are designed
    "softmax_readout": "D",   # the gradient p - onehot through W_hy is derived, masking and stability designed
    "rnn_backward": "P",      # the per-sequence formulas are given; the batch form and the carry are designed
    "clip_grad_norm": "T",    # the clipping rule is printed
    "train_rnn": "D",         # a numpy training loop specified by behaviour only
    "lstm_step": "P",         # the gate equations are given; the layout and a stable sigmoid are designed
    "lstm_backward": "D",     # the backward pass through the gates is derived from the forward pass
    "char_lstm": "P",         # parameter names are fixed; the modules and the data flow are designed
    "lm_train_step": "P",     # a training step specified by behaviour (order, mode, clipping)
    "sample": "P",            # the draw is prescribed; state carrying and modes are designed
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(4000 + seed)


def _rnn_problem(seed: int, n: int, t: int, d: int, h: int, scale: float = 0.5):
    rng = _rng(seed)
    return {"x": rng.normal(size=(n, t, d)), "h0": rng.normal(size=(n, h)) * 0.5,
            "W_xh": rng.normal(size=(h, d)) * scale, "W_hh": rng.normal(size=(h, h)) * scale,
            "b": rng.normal(size=h) * 0.3}


def _forward(p) -> np.ndarray:
    """The hidden states of the vanilla RNN, computed here (not with the student's code)."""
    h, states = p["h0"], []
    for t in range(p["x"].shape[1]):
        h = np.tanh(p["x"][:, t] @ p["W_xh"].T + h @ p["W_hh"].T + p["b"])
        states.append(h)
    return np.stack(states, axis=1) if states else np.zeros((p["x"].shape[0], 0, p["h0"].shape[1]))


def _copies(p: dict) -> dict:
    return {key: value.copy() for key, value in p.items()}


# --- rnn_step ------------------------------------------------------------------------------------

def _step_args(p):
    return p["x"][:, 0].copy(), p["h0"], p["W_xh"], p["W_hh"], p["b"]


@book.scenario("rnn_step",
               hint="check which weight multiplies the input and which the previous state")
def step_basic(rnn_step):
    """3 sequences, 4 input features, 5 hidden units (W_xh is not square)"""
    return rnn_step(*_step_args(_rnn_problem(1, 3, 1, 4, 5)))


@book.scenario("rnn_step")
def step_single(rnn_step):
    """a single sequence (N = 1) with 2 features and 3 hidden units"""
    return rnn_step(*_step_args(_rnn_problem(2, 1, 1, 2, 3)))


@book.scenario("rnn_step",
               hint="the new state is the tanh of the affine map, bias included")
def step_zero_inputs(rnn_step):
    """zero input and zero state: the result is tanh(b) in every row"""
    p = _rnn_problem(3, 4, 1, 3, 3)
    return rnn_step(np.zeros((4, 3)), np.zeros((4, 3)), p["W_xh"], p["W_hh"], p["b"])


@book.scenario("rnn_step")
def step_roles(rnn_step):
    """zero input: only W_hh h_prev + b counts; zero state: only W_xh x_t + b counts"""
    p = _rnn_problem(4, 2, 1, 3, 4)
    x, h, W_xh, W_hh, b = _step_args(p)
    return [rnn_step(np.zeros_like(x), h, W_xh, W_hh, b), rnn_step(x, np.zeros_like(h), W_xh, W_hh, b)]


@book.scenario("rnn_step")
def step_saturated(rnn_step):
    """large weights: pre-activations near +-50 give values within [-1, 1], no NaN"""
    return rnn_step(*_step_args(_rnn_problem(5, 3, 1, 4, 4, scale=20.0)))


@book.scenario("rnn_step",
               hint="return a new float64 state; the previous state must not change")
def step_dtype_and_inputs(rnn_step):
    """the result is float64 and no input is modified"""
    p = _rnn_problem(6, 2, 1, 3, 3)
    args = _step_args(p)
    before = [a.copy() for a in args]
    out = rnn_step(*args)
    return {"dtype": str(np.asarray(out).dtype), "inputs": list(args), "expected_inputs": before}


@book.scenario("rnn_step",
               hint="check that the input's features match the weights before computing")
def step_mismatch(rnn_step):
    """x_t with 3 features but W_xh for 4 (must raise ValueError)"""
    p = _rnn_problem(7, 2, 1, 4, 3)
    return error_name(rnn_step, np.ones((2, 3)), p["h0"], p["W_xh"], p["W_hh"], p["b"])


factories.raises(book, "rnn_step", {
    "h_prev (1, H), N = 3": lambda: (_step_args(_rnn_problem(8, 3, 1, 2, 4))[0], np.zeros((1, 4)),
                                          *_step_args(_rnn_problem(8, 3, 1, 2, 4))[2:]),
    "h_prev (N, H - 1)": lambda: (_step_args(_rnn_problem(8, 3, 1, 2, 4))[0], np.zeros((3, 3)),
                                              *_step_args(_rnn_problem(8, 3, 1, 2, 4))[2:]),
    "b (1,)": lambda: (*_step_args(_rnn_problem(8, 3, 1, 2, 4))[:4], np.ones(1)),
    "b (1, H)": lambda: (*_step_args(_rnn_problem(8, 3, 1, 2, 4))[:4], np.ones((1, 4))),
}, "a state or a bias of a shape numpy would broadcast (must raise ValueError)")
factories.returned_dtype(book, "rnn_step", lambda: tuple(a.astype(np.float32) for a in _step_args(_rnn_problem(9, 2, 1, 3, 3))),
                         "float32 inputs give a float64 array", rtol=1e-5, atol=1e-6)
factories.returned_dtype(book, "rnn_step", lambda: (np.eye(3, dtype=np.int64)[:2], np.zeros((2, 4), dtype=np.int64),
                                                    np.ones((4, 3), dtype=np.int64), np.eye(4, dtype=np.int64),
                                                    np.arange(4)),
                         "integer inputs give a float64 array")
factories.inputs_unchanged(book, "rnn_step", lambda: _step_args(_rnn_problem(16, 2, 1, 3, 3)))


# --- rnn_forward ---------------------------------------------------------------------------------

def _forward_args(p):
    return p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b"]


@book.scenario("rnn_forward",
               hint="carry the state from step to step, in time order")
def forward_basic(rnn_forward):
    """2 sequences of 5 steps, 3 features, 4 hidden units"""
    return rnn_forward(*_forward_args(_rnn_problem(10, 2, 5, 3, 4)))


@book.scenario("rnn_forward",
               hint="start from the given initial state and return the states after each step")
def forward_one_step(rnn_forward):
    """a single time step (T = 1)"""
    return rnn_forward(*_forward_args(_rnn_problem(11, 3, 1, 2, 3)))


@book.scenario("rnn_forward",
               hint="the result is batch first: sequences, then time, then hidden units")
def forward_empty(rnn_forward):
    """no time steps (T = 0): an array of shape (N, 0, H)"""
    return np.asarray(rnn_forward(*_forward_args(_rnn_problem(12, 2, 0, 3, 4)))).shape


@book.scenario("rnn_forward")
def forward_long_nonsquare(rnn_forward):
    """4 sequences of 12 steps with more features than hidden units (6 and 2)"""
    return rnn_forward(*_forward_args(_rnn_problem(13, 4, 12, 6, 2)))


@book.scenario("rnn_forward")
def forward_initial_state(rnn_forward):
    """the initial state matters: the same inputs from h0 and from zeros"""
    p = _rnn_problem(14, 2, 4, 3, 3, scale=1.0)
    return [rnn_forward(*_forward_args(p)), rnn_forward(p["x"], np.zeros_like(p["h0"]), p["W_xh"], p["W_hh"], p["b"])]


@book.scenario("rnn_forward")
def forward_inputs_unchanged(rnn_forward):
    """no input is modified, and the result is float64"""
    p = _rnn_problem(15, 2, 3, 2, 3)
    before = _copies(p)
    out = rnn_forward(*_forward_args(p))
    return {"dtype": str(np.asarray(out).dtype), "inputs": p, "expected": before}


factories.raises(book, "rnn_forward", {
    "h0 (1, H), N = 3": lambda: (_rnn_problem(17, 3, 4, 2, 3)["x"], np.zeros((1, 3)),
                                                  *_forward_args(_rnn_problem(17, 3, 4, 2, 3))[2:]),
    "h0 (1, H), T = 0": lambda: (_rnn_problem(17, 3, 0, 2, 3)["x"], np.zeros((1, 3)),
                                                             *_forward_args(_rnn_problem(17, 3, 0, 2, 3))[2:]),
    "h0 (4, H), N = 3": lambda: (_rnn_problem(17, 3, 4, 2, 3)["x"], np.zeros((4, 3)),
                                                 *_forward_args(_rnn_problem(17, 3, 4, 2, 3))[2:]),
}, "initial states that do not match the sequences (must raise ValueError)")
factories.returned_dtype(book, "rnn_forward", lambda: tuple(a.astype(np.float32) for a in _forward_args(_rnn_problem(18, 2, 3, 2, 3))),
                         "float32 inputs give a float64 array", rtol=1e-5, atol=1e-6)


# --- rnn_backward --------------------------------------------------------------------------------

def _backward(rnn_backward, seed, n, t, d, h, scale=0.5, last_only=False):
    p = _rnn_problem(seed, n, t, d, h, scale)
    hs = _forward(p)
    grad_hs = _rng(seed + 100).normal(size=hs.shape)
    if last_only:
        grad_hs[:, :-1] = 0.0
    grads = rnn_backward(grad_hs, p["x"], p["h0"], hs, p["W_xh"], p["W_hh"])
    return {key: np.asarray(value) for key, value in dict(grads).items()}


@book.scenario("rnn_backward", rtol=1e-6, atol=1e-9,
               hint="carry the gradient back through every time step, not just one")
def backward_basic(rnn_backward):
    """2 sequences of 4 steps, 3 features, 5 hidden units, a loss on every hidden state"""
    return _backward(rnn_backward, 20, 2, 4, 3, 5)


@book.scenario("rnn_backward", rtol=1e-6, atol=1e-9)
def backward_last_only(rnn_backward):
    """a loss on the last hidden state only (many to one): gradients flow back through time"""
    return _backward(rnn_backward, 21, 3, 6, 2, 4, scale=0.8, last_only=True)


@book.scenario("rnn_backward", rtol=1e-6, atol=1e-9,
               hint="check the tanh derivative (at the new state), the previous state in the recurrent weight gradient, and transposes")
def backward_one_step(rnn_backward):
    """a single time step (the gradient to h0 goes through W_hh once)"""
    return _backward(rnn_backward, 22, 2, 1, 3, 3)


@book.scenario("rnn_backward", rtol=1e-6, atol=1e-9)
def backward_nonsquare(rnn_backward):
    """more features than hidden units (7 and 2), one sequence of 5 steps"""
    return _backward(rnn_backward, 23, 1, 5, 7, 2)


@book.scenario("rnn_backward", rtol=1e-6, atol=1e-9)
def backward_long(rnn_backward):
    """4 sequences of 15 steps with large recurrent weights"""
    return _backward(rnn_backward, 24, 4, 15, 3, 4, scale=1.2)


@book.scenario("rnn_backward",
               hint="the gradients passed in must not change")
def backward_inputs_unchanged(rnn_backward):
    """no input is modified"""
    p = _rnn_problem(25, 2, 3, 2, 3)
    hs = _forward(p)
    grad_hs = _rng(125).normal(size=hs.shape)
    args = [grad_hs, p["x"], p["h0"], hs, p["W_xh"], p["W_hh"]]
    before = [a.copy() for a in args]
    rnn_backward(*args)
    return {"inputs": args, "expected": before}


# --- clip_grad_norm ------------------------------------------------------------------------------

def _grads(seed: int, scale: float):
    rng = _rng(seed)
    return [rng.normal(size=(3, 4)) * scale, rng.normal(size=5) * scale, rng.normal(size=(2, 2, 2)) * scale]


def _clip(clip_grad_norm, grads, max_norm):
    clipped, norm = clip_grad_norm(grads, max_norm)
    return {"clipped": [np.asarray(g) for g in clipped], "norm": norm}


@book.scenario("clip_grad_norm",
               hint="clip by the global norm of all arrays together, with one common factor")
def clip_above(clip_grad_norm):
    """three arrays whose global norm (about 8) is above max_norm = 1: all scaled by one factor"""
    return _clip(clip_grad_norm, _grads(30, 1.0), 1.0)


@book.scenario("clip_grad_norm",
               hint="the norm is the square root of the summed squares, and small gradients are left alone")
def clip_below(clip_grad_norm):
    """a global norm below max_norm: returned unchanged, with its norm"""
    return _clip(clip_grad_norm, _grads(31, 0.1), 5.0)


@book.scenario("clip_grad_norm")
def clip_global_not_per_array(clip_grad_norm):
    """each array alone is below max_norm, together they are above (the norm is global)"""
    return _clip(clip_grad_norm, [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])], 4.0)


@book.scenario("clip_grad_norm",
               hint="return the norm before clipping, and rescale whole arrays rather than clipping entries")
def clip_l2_not_squared(clip_grad_norm):
    """norm 5 with max_norm 2.5: the L2 norm sqrt(sum g^2), not sum g^2 (factor 1/2, not 1/10)"""
    return _clip(clip_grad_norm, [np.array([3.0, 4.0])], 2.5)


@book.scenario("clip_grad_norm")
def clip_exactly_at(clip_grad_norm):
    """a norm exactly equal to max_norm, and a norm of 0 (no NaN)"""
    return [_clip(clip_grad_norm, [np.array([0.6, 0.8])], 1.0), _clip(clip_grad_norm, [np.zeros(3)], 1.0)]


@book.scenario("clip_grad_norm")
def clip_single_and_empty(clip_grad_norm):
    """one matrix, and an empty list (norm 0)"""
    return [_clip(clip_grad_norm, [np.arange(6.0).reshape(2, 3)], 3.0), _clip(clip_grad_norm, [], 1.0)]


@book.scenario("clip_grad_norm",
               hint="return new arrays and the norm as a Python float; the inputs must not change")
def clip_not_in_place(clip_grad_norm):
    """the input arrays are not modified and the norm is a Python float"""
    grads = _grads(32, 2.0)
    before = [g.copy() for g in grads]
    _, norm = clip_grad_norm(grads, 1.0)
    return {"inputs": grads, "expected": before, "norm type": type(norm).__name__}


@book.scenario("clip_grad_norm",
               hint="a maximum norm that is not positive is an error")
def clip_bad_max_norm(clip_grad_norm):
    """max_norm = 0 and max_norm = -1 (must raise ValueError)"""
    return [error_name(clip_grad_norm, _grads(33, 1.0), 0.0), error_name(clip_grad_norm, _grads(33, 1.0), -1.0)]


factories.inputs_unchanged(book, "clip_grad_norm", lambda: (_grads(34, 0.1), 5.0),
                           "a norm below max_norm: a new list of new arrays, the caller's arrays unchanged",
                           hint="return new arrays even when nothing needs clipping", nested=True)
factories.returned_dtype(book, "clip_grad_norm", lambda: ([g.astype(np.float32) for g in _grads(35, 1.0)], 1.0),
                         "float32 gradients above max_norm give float64 arrays and a Python float",
                         rtol=1e-5, atol=1e-7, nested=True)
factories.returned_dtype(book, "clip_grad_norm", lambda: ([g.astype(np.float32) for g in _grads(36, 0.1)], 5.0),
                         "float32 gradients below max_norm give float64 arrays and a Python float",
                         rtol=1e-5, atol=1e-7, nested=True)


# --- lstm_step -----------------------------------------------------------------------------------

def _lstm_problem(seed: int, n: int, d: int, h: int, scale: float = 0.5):
    rng = _rng(seed)
    return {"x_t": rng.normal(size=(n, d)), "h_prev": rng.normal(size=(n, h)) * 0.5,
            "c_prev": rng.normal(size=(n, h)), "weight_ih": rng.normal(size=(4 * h, d)) * scale,
            "weight_hh": rng.normal(size=(4 * h, h)) * scale, "bias_ih": rng.normal(size=4 * h) * scale,
            "bias_hh": rng.normal(size=4 * h) * scale}


def _lstm(lstm_step, p):
    h, c = lstm_step(**p)
    return {"h": np.asarray(h), "c": np.asarray(c)}


@book.scenario("lstm_step",
               hint="check the gate order, which gate gets tanh, both biases, and the returned order of the states")
def lstm_basic(lstm_step):
    """3 sequences, 4 input features, 5 hidden units"""
    return _lstm(lstm_step, _lstm_problem(40, 3, 4, 5))


@book.scenario("lstm_step")
def lstm_nonsquare(lstm_step):
    """one sequence, 6 features, 2 hidden units"""
    return _lstm(lstm_step, _lstm_problem(41, 1, 6, 2))


@book.scenario("lstm_step")
def lstm_gate_order(lstm_step):
    """only one gate's bias is large at a time (rows ordered i, f, g, o as in torch)"""
    results = []
    for gate in range(4):
        p = _lstm_problem(42, 2, 3, 3, scale=0.1)
        p["bias_ih"] = p["bias_ih"].copy()
        p["bias_ih"][gate * 3:(gate + 1) * 3] += 4.0
        results.append(_lstm(lstm_step, p))
    return results


@book.scenario("lstm_step")
def lstm_two_biases(lstm_step):
    """bias_ih and bias_hh differ and both count"""
    p = _lstm_problem(43, 2, 3, 4)
    p["bias_hh"] = np.linspace(-2, 2, 16)
    return _lstm(lstm_step, p)


@book.scenario("lstm_step")
def lstm_saturated(lstm_step):
    """huge weights (pre-activations in the hundreds): no overflow, no NaN"""
    return _lstm(lstm_step, _lstm_problem(44, 3, 4, 3, scale=80.0))


@book.scenario("lstm_step")
def lstm_zero_state(lstm_step):
    """zero h_prev and c_prev (the first step of a sequence)"""
    p = _lstm_problem(45, 2, 3, 3)
    p["h_prev"], p["c_prev"] = np.zeros((2, 3)), np.zeros((2, 3))
    return _lstm(lstm_step, p)


@book.scenario("lstm_step",
               hint="return new states; the previous cell state must not change")
def lstm_inputs_unchanged(lstm_step):
    """no input is modified; h and c are float64"""
    p = _lstm_problem(46, 2, 3, 4)
    before = _copies(p)
    h, c = lstm_step(**p)
    return {"inputs": p, "expected": before, "dtypes": [str(np.asarray(h).dtype), str(np.asarray(c).dtype)]}


@book.scenario("lstm_step", rtol=1e-5, atol=1e-6)
def lstm_matches_torch_cell(lstm_step):
    """two steps with the weights of a seeded torch.nn.LSTMCell"""
    torch.manual_seed(47)
    cell = nn.LSTMCell(3, 4).double()
    params = {name: p.detach().numpy() for name, p in cell.named_parameters()}
    x = _rng(47).normal(size=(2, 2, 3))
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    out = []
    for t in range(2):
        h, c = lstm_step(x[:, t], h, c, **params)
        out.append([np.asarray(h), np.asarray(c)])
    return out


factories.returned_dtype(book, "lstm_step", lambda: tuple(a.astype(np.float32) for a in _lstm_problem(49, 2, 3, 4).values()),
                         "float32 inputs and weights give float64 states (h, c)", rtol=1e-5, atol=1e-6, nested=True)


# --- CharLSTM ------------------------------------------------------------------------------------

def _tokens(seed: int, n: int, t: int, vocab: int) -> torch.Tensor:
    return torch.randint(0, vocab, (n, t), generator=torch.Generator().manual_seed(seed))


def _load_fixed(model: nn.Module, seed: int, scale: float = 0.4) -> None:
    """Seeded weights drawn in the order of the parameter names (not of their creation in __init__)."""
    generator = torch.Generator().manual_seed(seed)
    state = {name: scale * torch.randn(p.shape, generator=generator) for name, p in sorted(model.state_dict().items())}
    model.load_state_dict(state)


@book.scenario("CharLSTM")
def char_parameter_shapes(CharLSTM):
    """parameter names and shapes with the default sizes (vocabulary 10)"""
    torch.manual_seed(0)
    return {name: tuple(p.shape) for name, p in CharLSTM(10).named_parameters()}


@book.scenario("CharLSTM",
               hint="the number of layers given must reach the LSTM")
def char_parameter_shapes_custom(CharLSTM):
    """parameter names and shapes for vocabulary 7, embedding 5, hidden 6, two layers"""
    torch.manual_seed(0)
    return {name: tuple(p.shape) for name, p in CharLSTM(7, 5, 6, 2).named_parameters()}


@book.scenario("CharLSTM",
               hint="check the batch and time axes: batch first, one prediction per time step")
def char_output_shapes(CharLSTM):
    """shapes of the logits and of the state (h, c) for 3 sequences of 9 characters"""
    torch.manual_seed(0)
    model = CharLSTM(11, 4, 8)
    with torch.no_grad():
        logits, (h, c) = model(_tokens(1, 3, 9, 11))
    return [tuple(logits.shape), tuple(h.shape), tuple(c.shape)]


@book.scenario("CharLSTM", rtol=1e-4, atol=1e-5,
               hint="the read-out is a linear layer straight on the LSTM's outputs")
def char_fixed_weights(CharLSTM):
    """logits and final state for fixed weights loaded by name (embedding, lstm, head)"""
    torch.manual_seed(0)
    model = CharLSTM(9, 4, 5)
    _load_fixed(model, 3)
    with torch.no_grad():
        logits, (h, c) = model(_tokens(2, 2, 6, 9))
    return [t.numpy().astype(np.float64) for t in (logits, h, c)]


@book.scenario("CharLSTM", rtol=1e-4, atol=1e-5,
               hint="use the state passed in; start from zeros only when none is given")
def char_state_carried(CharLSTM):
    """reading 8 characters at once equals reading 5, then 3 starting from the returned state"""
    torch.manual_seed(0)
    model = CharLSTM(6, 3, 4, 2)
    _load_fixed(model, 4)
    tokens = _tokens(5, 2, 8, 6)
    with torch.no_grad():
        whole, _ = model(tokens)
        _, state = model(tokens[:, :5])
        rest, _ = model(tokens[:, 5:], state)
    return [whole[:, 5:].numpy().astype(np.float64), rest.numpy().astype(np.float64)]


@book.scenario("CharLSTM",
               hint="the model returns logits; the loss applies the softmax")
def char_learns(CharLSTM):
    """60 Adam steps on a repeating pattern bring the loss below 0.3"""
    torch.manual_seed(0)
    model = CharLSTM(4, 8, 16)
    tokens = torch.tensor([[0, 1, 2, 3, 2, 1] * 4])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        logits, _ = model(tokens[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 4), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return bool(loss.item() < 0.3)


# --- lm_train_step -------------------------------------------------------------------------------

class _TinyLM(nn.Module):
    """A small recurrent language model with the interface of CharLSTM (and optional dropout)."""

    def __init__(self, vocab: int = 6, hidden: int = 5, dropout: float = 0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 4)
        self.rnn = nn.GRU(4, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        outputs, state = self.rnn(self.embedding(tokens), state)
        return self.head(self.dropout(outputs)), state


def _lm_problem(seed: int, dropout: float = 0.0):
    torch.manual_seed(seed)
    model = _TinyLM(dropout=dropout)
    tokens = _tokens(seed, 3, 9, 6)
    return model, tokens[:, :-1], tokens[:, 1:]


def _weights(model: nn.Module) -> dict:
    return {name: p.detach().numpy().astype(np.float64) for name, p in model.named_parameters()}


@book.scenario("lm_train_step", rtol=1e-4, atol=1e-6,
               hint="flatten the targets in the same order as the logits")
def train_no_clipping(lm_train_step):
    """4 SGD steps with max_norm = 100 (no clipping): losses, norms and final weights"""
    model, inputs, targets = _lm_problem(50)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    results = [lm_train_step(model, optimizer, inputs, targets, 100.0) for _ in range(4)]
    return {"losses": [r[0] for r in results], "norms": [r[1] for r in results], "weights": _weights(model)}


@book.scenario("lm_train_step", rtol=1e-4, atol=1e-6,
               hint="clip the global gradient norm after backward and before the optimizer's step")
def train_with_clipping(lm_train_step):
    """3 SGD steps with max_norm = 0.05 (clipping active): the norm before clipping, the clipped update"""
    model, inputs, targets = _lm_problem(51)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    results = [lm_train_step(model, optimizer, inputs, targets, 0.05) for _ in range(3)]
    return {"losses": [r[0] for r in results], "norms": [r[1] for r in results], "weights": _weights(model)}


@book.scenario("lm_train_step",
               hint="return the loss and the norm as Python floats")
def train_types(lm_train_step):
    """the loss and the norm are returned as Python floats"""
    model, inputs, targets = _lm_problem(52)
    loss, norm = lm_train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), inputs, targets, 1.0)
    return [type(loss).__name__, type(norm).__name__]


@book.scenario("lm_train_step", rtol=1e-4, atol=1e-6,
               hint="zero the gradients every step, and average the loss over characters")
def train_single_sequence(lm_train_step):
    """one sequence of 12 characters, Adam, max_norm 1"""
    torch.manual_seed(53)
    model = _TinyLM(vocab=5, hidden=3)
    tokens = _tokens(53, 1, 13, 5)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    results = [lm_train_step(model, optimizer, tokens[:, :-1], tokens[:, 1:], 1.0) for _ in range(3)]
    return {"results": results, "weights": _weights(model)}


@book.scenario("lm_train_step", rtol=1e-4, atol=1e-6,
               hint="put the model in training mode before the step")
def train_dropout_mode(lm_train_step):
    """a model with dropout left in eval mode: the step switches it to training mode"""
    model, inputs, targets = _lm_problem(54, dropout=0.5)
    model.eval()
    torch.manual_seed(7)
    loss, norm = lm_train_step(model, torch.optim.SGD(model.parameters(), lr=0.5), inputs, targets, 10.0)
    return {"loss": loss, "norm": norm, "training": model.training}


@book.scenario("lm_train_step")
def train_learns(lm_train_step):
    """40 Adam steps on one batch bring the loss below 60 % of its first value"""
    model, inputs, targets = _lm_problem(55)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = [lm_train_step(model, optimizer, inputs, targets, 1.0)[0] for _ in range(40)]
    return bool(losses[-1] < 0.6 * losses[0])


# --- sample --------------------------------------------------------------------------------------

def _sampling_model(seed: int, dropout: float = 0.0, scale: float = 0.4) -> nn.Module:
    torch.manual_seed(seed)
    model = _TinyLM(vocab=7, hidden=6, dropout=dropout)
    _load_fixed(model, seed, scale)
    return model


def _draw(sample, model, prompt, length, temperature, seed):
    torch.manual_seed(999)  # a function that ignores the generator draws from here instead
    return sample(model, prompt, length, temperature, torch.Generator().manual_seed(seed))


@book.scenario("sample",
               hint="feed the whole prompt and carry the state through every generated character")
def sample_basic(sample):
    """20 characters at temperature 0.8 after the prompt [1, 2, 3]"""
    return _draw(sample, _sampling_model(60), [1, 2, 3], 20, 0.8, 0)


@book.scenario("sample")
def sample_temperatures(sample):
    """the same prompt and seed at temperatures 0.05 (nearly greedy), 1 and 5 (nearly uniform)"""
    model = _sampling_model(61)
    return [_draw(sample, model, [0, 4], 25, temperature, 1) for temperature in (0.05, 1.0, 5.0)]


@book.scenario("sample",
               hint="divide the logits by the temperature")
def sample_prompt_matters(sample):
    """prompts that end with the same character but differ before it (the state must carry)"""
    model = _sampling_model(62)
    return [_draw(sample, model, prompt, 15, 0.5, 2) for prompt in ([3], [5, 5, 5, 3], [0, 1, 2, 6, 3])]


@book.scenario("sample",
               hint="draw from the distribution with the generator given, do not take the most likely character")
def sample_lengths(sample):
    """length 0 gives an empty list; length 1 one character"""
    model = _sampling_model(63)
    return [_draw(sample, model, [2], 0, 1.0, 3), _draw(sample, model, [2], 1, 1.0, 3)]


@book.scenario("sample",
               hint="return only the new characters, as a list of Python ints")
def sample_types(sample):
    """a list of Python ints"""
    out = _draw(sample, _sampling_model(64), [1], 5, 1.0, 4)
    return [type(out).__name__, [type(token).__name__ for token in out]]


@book.scenario("sample",
               hint="put the model in evaluation mode while sampling")
def sample_eval_mode(sample):
    """a model with dropout left in training mode: sampling switches it to eval mode"""
    model = _sampling_model(65, dropout=0.5)
    model.train()
    out = _draw(sample, model, [1, 2], 12, 1.0, 5)
    return {"sample": out, "training": model.training}


@book.scenario("sample",
               hint="read the whole prompt once and carry the state through every draw; do not re-read a window from zeros")
def sample_long_memory(sample):
    """a model with long memory (weights 2.5 times larger): 30 characters after a 12-character prompt, two seeds"""
    model = _sampling_model(67, scale=1.0)
    prompt = [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1]
    return [_draw(sample, model, prompt, 30, 1.0, seed) for seed in (6, 7)]


@book.scenario("sample",
               hint="a temperature that is not positive and an empty prompt are errors")
def sample_errors(sample):
    """temperature 0 or negative, and an empty prompt (must raise ValueError)"""
    model = _sampling_model(66)
    generator = torch.Generator().manual_seed(0)
    return [error_name(sample, model, [1], 5, 0.0, generator), error_name(sample, model, [1], 5, -1.0, generator),
            error_name(sample, model, [], 5, 1.0, generator)]


# --- added by a student-perspective review ---------------------------------------------------------

@book.scenario("lstm_step")
def lstm_no_overflow(lstm_step):
    """pre-activations of -1000 and +1000 under np.errstate(over="raise"): a stable sigmoid does not overflow"""
    p = _lstm_problem(48, 2, 3, 3, scale=0.01)
    p["bias_ih"] = np.tile([-1000.0, 1000.0, -1000.0], 4)
    with np.errstate(over="raise"):
        try:
            return _lstm(lstm_step, p)
        except FloatingPointError:
            return "FloatingPointError"


# --- softmax_readout -----------------------------------------------------------------------------

def _readout_problem(seed: int, n: int, t: int, h: int, v: int, missing: float = 0.3, scale: float = 1.0):
    rng = _rng(seed)
    targets = rng.integers(0, v, (n, t))
    targets[rng.random((n, t)) < missing] = -1
    targets.flat[0] = 0  # at least one position with a target
    return (rng.normal(size=(n, t, h)), rng.normal(size=(v, h)) * scale, rng.normal(size=v), targets)


def _readout(softmax_readout, args):
    loss, grads = softmax_readout(*args)
    return {"loss": loss, **{key: np.asarray(grads[key]) for key in ("hs", "W_hy", "b_y")}}


def _torch_readout(hs, W_hy, b_y, targets):
    """Loss and gradients by autograd (the check of the reference itself, see tests)."""
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (hs, W_hy, b_y)]
    counted = torch.tensor(targets >= 0)
    loss = nn.functional.cross_entropy((tensors[0] @ tensors[1].T + tensors[2])[counted], torch.tensor(targets)[counted])
    loss.backward()
    return {"loss": loss.item(), **{key: t.grad.numpy() for key, t in zip(("hs", "W_hy", "b_y"), tensors)}}


@book.scenario("softmax_readout", rtol=1e-6, atol=1e-10,
               hint="the gradient at the logits is the softmax minus the one-hot target, divided by the number of scored positions")
def readout_basic(softmax_readout):
    """3 sequences of 4 steps, 5 hidden units, 6 classes, some positions without a target"""
    return _readout(softmax_readout, _readout_problem(70, 3, 4, 5, 6))


@book.scenario("softmax_readout", rtol=1e-6, atol=1e-10,
               hint="positions without a target add nothing to the loss, the gradients or the count")
def readout_last_only(softmax_readout):
    """a target at the last step only (many to one): zero gradient into every other state"""
    hs, W_hy, b_y, _ = _readout_problem(71, 4, 5, 3, 4)
    targets = -np.ones((4, 5), dtype=np.int64)
    targets[:, -1] = [0, 3, 1, 3]
    return _readout(softmax_readout, (hs, W_hy, b_y, targets))


@book.scenario("softmax_readout", rtol=1e-6, atol=1e-10,
               hint="the loss is a mean over the scored positions, not a sum")
def readout_all_scored(softmax_readout):
    """every position has a target (a language model's case); W_hy is not square"""
    return _readout(softmax_readout, _readout_problem(72, 2, 6, 3, 7, missing=0.0))


@book.scenario("softmax_readout", rtol=1e-6, atol=1e-10)
def readout_single(softmax_readout):
    """one sequence, one step, two classes"""
    return _readout(softmax_readout, _readout_problem(73, 1, 1, 2, 2, missing=0.0))


@book.scenario("softmax_readout", rtol=1e-9, atol=1e-12,
               hint="subtract the largest logit before exponentiating (a stable log-softmax)")
def readout_extreme_logits(softmax_readout):
    """logits of +-1e4: the loss is 2e4 at a wrong confident position and 0 at a right one, gradients finite"""
    hs = np.array([[[1e4], [1e4]]])
    W_hy, b_y = np.array([[1.0], [-1.0]]), np.zeros(2)
    return _readout(softmax_readout, (hs, W_hy, b_y, np.array([[1, 0]])))


factories.quiet(book, "softmax_readout", lambda: _readout_problem(74, 2, 3, 2, 3, scale=1e4),
                "logits in the ten thousands: no overflow or invalid-value warning")
factories.invariant(book, "softmax_readout", lambda: _readout_problem(75, 2, 3, 4, 3),
                    lambda args: (args[0], args[1], args[2] + 50.0, args[3]),
                    "a constant added to every logit (through b_y) changes neither the loss nor the gradients",
                    rtol=1e-6, atol=1e-9, hint="the softmax does not change when every logit moves by the same amount")
factories.inputs_unchanged(book, "softmax_readout", lambda: _readout_problem(76, 2, 3, 2, 3))
factories.returned_dtype(book, "softmax_readout",
                         lambda: tuple(a.astype(np.float32) if a.dtype.kind == "f" else a for a in _readout_problem(77, 2, 2, 3, 3)),
                         "float32 states and weights: the loss is a Python float, the gradients float64",
                         rtol=1e-4, atol=1e-6)


@book.scenario("softmax_readout", hint="return the loss as a Python float and the gradients as float64 arrays")
def readout_types(softmax_readout):
    """float32 states and weights: the loss is a Python float and each gradient a float64 array of its parameter's shape"""
    loss, grads = softmax_readout(*(a.astype(np.float32) if a.dtype.kind == "f" else a for a in _readout_problem(78, 2, 3, 4, 5)))
    return {"loss": type(loss).__name__,
            "grads": {key: [str(np.asarray(grads[key]).dtype), list(np.shape(grads[key]))] for key in ("hs", "W_hy", "b_y")}}


factories.raises(book, "softmax_readout", {
    "targets (N, T - 1)": lambda: (*_readout_problem(79, 2, 3, 2, 3)[:3], np.zeros((2, 2), dtype=np.int64)),
    "targets (1, T)": lambda: (*_readout_problem(79, 2, 3, 2, 3)[:3], np.zeros((1, 3), dtype=np.int64)),
    "a target = V": lambda: (*_readout_problem(79, 2, 3, 2, 3)[:3], np.full((2, 3), 3)),
    "a target = -2": lambda: (*_readout_problem(79, 2, 3, 2, 3)[:3], np.array([[0, 1, -2], [2, -1, 0]])),
    "all targets -1": lambda: (*_readout_problem(79, 2, 3, 2, 3)[:3], -np.ones((2, 3), dtype=np.int64)),
}, "targets of the wrong shape, out of range, or all missing (must raise ValueError)",
    hint="check the targets' shape and range before computing")


# --- lstm_backward -------------------------------------------------------------------------------

LSTM_KEYS = ("x_t", "h_prev", "c_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _lstm_backward_problem(seed: int, n: int, d: int, h: int, scale: float = 0.5):
    p = _lstm_problem(seed, n, d, h, scale)
    rng = _rng(seed + 500)
    return {"grad_h": rng.normal(size=(n, h)), "grad_c": rng.normal(size=(n, h)), **p}


def _lstm_grads(lstm_backward, p):
    grads = lstm_backward(**p)
    return {key: np.asarray(grads[key]) for key in LSTM_KEYS}


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="the cell state reaches the loss directly and through the output gate's tanh: add both paths")
def lstm_backward_basic(lstm_backward):
    """3 sequences, 4 input features, 5 hidden units, gradients into both h and c"""
    return _lstm_grads(lstm_backward, _lstm_backward_problem(80, 3, 4, 5))


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="each gate needs its own derivative, sigmoid or tanh, in torch's order of the gates")
def lstm_backward_h_only(lstm_backward):
    """a gradient into h only (grad_c = 0): only the path through the output gate and tanh(c)"""
    p = _lstm_backward_problem(81, 2, 3, 4)
    p["grad_c"] = np.zeros_like(p["grad_c"])
    return _lstm_grads(lstm_backward, p)


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="a gradient at the cell state goes back through the forget gate and into the input, forget and candidate gates")
def lstm_backward_c_only(lstm_backward):
    """a gradient into c only (grad_h = 0): the output gate gets no gradient"""
    p = _lstm_backward_problem(82, 2, 3, 4)
    p["grad_h"] = np.zeros_like(p["grad_h"])
    return _lstm_grads(lstm_backward, p)


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="sum the parameter gradients over the sequences of the batch")
def lstm_backward_nonsquare(lstm_backward):
    """one sequence, 6 features, 2 hidden units; then 5 sequences, 1 feature, 3 units"""
    return [_lstm_grads(lstm_backward, _lstm_backward_problem(83, 1, 6, 2)),
            _lstm_grads(lstm_backward, _lstm_backward_problem(84, 5, 1, 3))]


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="both biases receive the same gradient, that of the pre-activations")
def lstm_backward_biases(lstm_backward):
    """bias_ih and bias_hh differ: each gets the gradient of the summed pre-activation"""
    p = _lstm_backward_problem(85, 3, 2, 3)
    p["bias_hh"] = np.linspace(-2, 2, 12)
    return _lstm_grads(lstm_backward, p)


@book.scenario("lstm_backward", rtol=1e-5, atol=1e-9)
def lstm_backward_matches_torch(lstm_backward):
    """two chained steps of a seeded torch.nn.LSTMCell, backward through both with the second's gradients carried"""
    torch.manual_seed(86)
    cell = nn.LSTMCell(3, 4).double()
    params = {name: p.detach().numpy() for name, p in cell.named_parameters()}
    rng = _rng(86)
    x = rng.normal(size=(2, 2, 3))
    h1 = c1 = np.zeros((2, 4))
    h0, c0 = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    states = [(h0, c0)]
    for t in range(2):  # forward in torch, float64
        with torch.no_grad():
            h1, c1 = (v.numpy() for v in cell(torch.as_tensor(x[:, t]), tuple(torch.as_tensor(a) for a in states[-1])))
        states.append((h1, c1))
    grad_h, grad_c = rng.normal(size=(2, 4)), np.zeros((2, 4))
    second = lstm_backward(grad_h, grad_c, x[:, 1], *states[1], **params)
    first = lstm_backward(np.asarray(second["h_prev"]), np.asarray(second["c_prev"]), x[:, 0], *states[0], **params)
    return [{key: np.asarray(g[key]) for key in LSTM_KEYS} for g in (second, first)]


@book.scenario("lstm_backward", rtol=1e-6, atol=1e-9,
               hint="use a sigmoid that does not overflow; saturated gates pass (almost) no gradient")
def lstm_backward_saturated(lstm_backward):
    """pre-activations of -1000 and +1000: finite gradients, zero where the gates saturate"""
    p = _lstm_backward_problem(87, 2, 3, 3, scale=0.01)
    p["bias_ih"] = np.tile([-1000.0, 1000.0, -1000.0], 4)
    return _lstm_grads(lstm_backward, p)


factories.quiet(book, "lstm_backward", lambda: tuple(_lstm_backward_problem(88, 2, 3, 3, scale=300.0).values()),
                "weights in the hundreds (pre-activations in the thousands): no overflow warning")
factories.inputs_unchanged(book, "lstm_backward", lambda: tuple(_lstm_backward_problem(89, 2, 3, 4).values()))


@book.scenario("lstm_backward", hint="return a dict of float64 arrays, one per input, of that input's shape")
def lstm_backward_types(lstm_backward):
    """float32 inputs: the keys, dtypes (float64) and shapes of the returned gradients"""
    grads = lstm_backward(**{key: value.astype(np.float32) for key, value in _lstm_backward_problem(90, 2, 3, 4).items()})
    return {key: [str(np.asarray(value).dtype), list(np.shape(value))] for key, value in sorted(dict(grads).items())}


factories.raises(book, "lstm_backward", {
    "grad_h (1, H)": lambda: tuple({**_lstm_backward_problem(91, 3, 2, 4),
                                                   "grad_h": np.ones((1, 4))}.values()),
    "grad_c (1, H)": lambda: tuple({**_lstm_backward_problem(91, 3, 2, 4),
                                                   "grad_c": np.ones((1, 4))}.values()),
    "grad_h (N, 1)": lambda: tuple({**_lstm_backward_problem(91, 3, 2, 4), "grad_h": np.ones((3, 1))}.values()),
}, "incoming gradients of a shape numpy would broadcast (must raise ValueError)")


# --- train_rnn -----------------------------------------------------------------------------------

PARAM_NAMES = ("W_xh", "W_hh", "b", "W_hy", "b_y")


def _train_params(seed: int, d: int, h: int, v: int, scale: float = 0.5) -> dict:
    rng = _rng(seed)
    return {"W_xh": rng.normal(size=(h, d)) * scale, "W_hh": rng.normal(size=(h, h)) * scale,
            "b": rng.normal(size=h) * 0.1, "W_hy": rng.normal(size=(v, h)) * scale, "b_y": rng.normal(size=v) * 0.1}


def _train_batch(seed: int, n: int, t: int, d: int, v: int, missing: float = 0.3):
    rng = _rng(seed)
    targets = rng.integers(0, v, (n, t))
    targets[rng.random((n, t)) < missing] = -1
    targets[0, -1] = 0
    return rng.normal(size=(n, t, d)), targets


def _trained(train_rnn, params, batches, lr, max_norm=None):
    history = train_rnn(params, batches, lr, max_norm)
    return {"history": [list(step) for step in history], "params": {k: params[k] for k in PARAM_NAMES}}


@book.scenario("train_rnn", rtol=1e-6, atol=1e-9,
               hint="one gradient step per batch on every parameter, loss recorded before the update")
def train_rnn_one_step(train_rnn):
    """one batch, no clipping: the loss, the norm and the parameters after one step"""
    return _trained(train_rnn, _train_params(100, 3, 4, 2), [_train_batch(101, 3, 5, 3, 2)], 0.1)


@book.scenario("train_rnn", rtol=1e-6, atol=1e-9,
               hint="start every batch from a zero state, and let the shapes follow the batch")
def train_rnn_varying_batches(train_rnn):
    """three batches of different sizes and lengths, no clipping"""
    batches = [_train_batch(102, 2, 4, 3, 3), _train_batch(103, 5, 2, 3, 3), _train_batch(104, 1, 6, 3, 3)]
    return _trained(train_rnn, _train_params(105, 3, 4, 3), batches, 0.2)


@book.scenario("train_rnn", rtol=1e-6, atol=1e-9,
               hint="clip the five gradients together, by their global norm, and record the norm before clipping")
def train_rnn_clipped(train_rnn):
    """three steps with max_norm = 0.05 (every step clipped)"""
    batches = [_train_batch(106 + i, 3, 4, 2, 3) for i in range(3)]
    return _trained(train_rnn, _train_params(109, 2, 5, 3, scale=1.5), batches, 0.5, 0.05)


@book.scenario("train_rnn", rtol=1e-6, atol=1e-9,
               hint="clip only when the gradient norm is above the limit")
def train_rnn_clip_inactive(train_rnn):
    """max_norm = 1e6 gives the same steps as no clipping"""
    batches = [_train_batch(110 + i, 2, 3, 2, 2) for i in range(2)]
    return [_trained(train_rnn, _train_params(112, 2, 3, 2), batches, 0.3, 1e6),
            _trained(train_rnn, _train_params(112, 2, 3, 2), batches, 0.3)]


@book.scenario("train_rnn", hint="update the arrays of params in place; do not replace them")
def train_rnn_in_place(train_rnn):
    """after training, params holds the same array objects (updated), and the batches are unchanged"""
    params = _train_params(113, 2, 3, 2)
    arrays = dict(params)
    batches = [_train_batch(114, 2, 3, 2, 2)]
    before = [tuple(a.copy() for a in batch) for batch in batches]
    train_rnn(params, batches, 0.1)
    return {"same arrays": [params[k] is arrays[k] for k in PARAM_NAMES],
            "changed": [not np.allclose(params[k], _train_params(113, 2, 3, 2)[k]) for k in PARAM_NAMES],
            "batches unchanged": all(np.array_equal(a, b) for batch, old in zip(batches, before) for a, b in zip(batch, old))}


@book.scenario("train_rnn", hint="return a list with one pair of Python floats per batch")
def train_rnn_history(train_rnn):
    """a generator of 4 batches: 4 (loss, norm) pairs of Python floats; no batches: an empty list"""
    history = train_rnn(_train_params(115, 2, 3, 2), (_train_batch(116 + i, 2, 3, 2, 2) for i in range(4)), 0.1, 1.0)
    empty = train_rnn(_train_params(115, 2, 3, 2), [], 0.1)
    return {"length": len(history), "types": [[type(v).__name__ for v in step] for step in history],
            "empty": list(empty)}


@book.scenario("train_rnn", hint="stop after a step whose loss is not finite, without updating")
def train_rnn_stops_on_nan(train_rnn):
    """a NaN in W_hy: one step recorded, then training stops and no parameter changes"""
    params = _train_params(120, 2, 3, 2)
    params["W_hy"][0, 0] = np.nan
    with np.errstate(invalid="ignore"):
        history = train_rnn(params, [_train_batch(121 + i, 2, 3, 2, 2) for i in range(3)], 0.1)
    return {"steps": len(history), "loss is finite": [bool(np.isfinite(step[0])) for step in history],
            "W_xh": params["W_xh"]}


@book.scenario("train_rnn", hint="gradient descent moves against the gradient; the loss must fall")
def train_rnn_learns(train_rnn):
    """60 steps on a short recall task (3 steps): the loss falls below half its first value"""
    from course.recurrent_networks import recall_task, rnn_parameters
    params = rnn_parameters(8, 16, 4, seed=0)
    history = train_rnn(params, [recall_task(32, 3, np.random.default_rng(i)) for i in range(60)], 0.5, 1.0)
    return bool(np.mean([loss for loss, _ in history[-10:]]) < 0.5 * history[0][0])


factories.raises(book, "train_rnn", {
    "lr = 0": lambda: (_train_params(122, 2, 3, 2), [_train_batch(123, 2, 3, 2, 2)], 0.0),
    "lr = -0.1": lambda: (_train_params(122, 2, 3, 2), [_train_batch(123, 2, 3, 2, 2)], -0.1),
    "max_norm = 0": lambda: (_train_params(122, 2, 3, 2), [_train_batch(123, 2, 3, 2, 2)], 0.1, 0.0),
    "max_norm 0, no batch": lambda: (_train_params(122, 2, 3, 2), [], 0.1, 0.0),
    "lr 0, no batch": lambda: (_train_params(122, 2, 3, 2), [], 0.0),
}, "a learning rate or max_norm that is not positive (must raise ValueError, even with no batches)",
    hint="check the learning rate and the clipping limit before the first step")


@book.scenario("CharLSTM", hint="keep torch's default float32 parameters")
def char_dtype_and_causality(CharLSTM):
    """float32 logits, and changing the character at position 5 leaves the logits before it unchanged"""
    torch.manual_seed(0)
    model = CharLSTM(6, 3, 4)
    _load_fixed(model, 6)
    tokens = _tokens(7, 2, 8, 6)
    changed = tokens.clone()
    changed[:, 5] = (changed[:, 5] + 1) % 6
    with torch.no_grad():
        logits, _ = model(tokens)
        other, _ = model(changed)
    return {"dtype": str(logits.dtype), "before 5 unchanged": bool(torch.equal(logits[:, :5], other[:, :5]))}
