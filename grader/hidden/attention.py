"""Hidden scenarios for lecture 05, attention and transformers.

Every scenario builds its own seeded inputs and returns plain data (numpy arrays, numbers,
strings, booleans). Tensors are float64 unless a scenario says otherwise, so the results of
a correct implementation agree with the reference to rounding.
"""
import math
from contextlib import contextmanager

import numpy as np
import torch
from torch.nn import functional as F

from grader.hidden import ScenarioBook, error_name, factories

book = ScenarioBook()

EXERCISE_KINDS = {
    "softmax": "P",                       # the shift is derived; the all -inf slice is a decision to implement
    "scaled_dot_product_attention": "P",  # the table gives the formula; where and how to mask is left open
    "self_attention": "P",                # the projections are given; the padding mask and its checks are designed
    "positional_encoding": "T",           # the formula is the content
    "causal_mask": "P",                   # j <= i is given; the sliding window and its boundary are designed
    "multi_head_attention": "P",          # the table gives the steps; the head split and torch's layout are designed
    "transformer_block": "P",             # the formula is given; the modules are derived from torch's names
    "tiny_transformer": "P",              # the table is given; the buffer, the mask and the checks are designed
    "masked_cross_entropy": "P",          # the cross-entropy is known; masking, stability and the errors are designed
    "greedy_decode": "D",                 # a decoding loop specified by behaviour only
    "encoder_decoder": "D",               # a model designed from the student's modules, specified by behaviour
}
LOOSE = {"rtol": 1e-5, "atol": 1e-6}  # float32 models


def _randn(seed: int, *shape: int, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(5000 + seed), dtype=dtype)


@contextmanager
def _one_thread():
    """Tiny models run far faster on one thread, above all on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _np(tensor) -> np.ndarray:
    return tensor.detach().numpy()


# --- softmax ---------------------------------------------------------------------------------------

@book.scenario("softmax")
def softmax_rows(softmax):
    """a (4, 5) tensor along the last axis (the default dim)"""
    return _np(softmax(_randn(1, 4, 5)))


@book.scenario("softmax",
               hint="normalize along the dimension given")
def softmax_axes(softmax):
    """a (2, 3, 4) tensor along dim 0, dim 1 and dim -2"""
    x = _randn(2, 2, 3, 4)
    return [_np(softmax(x, 0)), _np(softmax(x, 1)), _np(softmax(x, dim=-2))]


@book.scenario("softmax")
def softmax_vector(softmax):
    """a 1-D tensor of 6 scores"""
    return _np(softmax(torch.tensor([0.5, -1.0, 2.0, 2.0, 0.0, 3.5], dtype=torch.float64)))


@book.scenario("softmax",
               hint="shift each slice by its own maximum before exponentiating")
def softmax_large(softmax):
    """very large and very negative scores in float32 (no overflow, no 0/0)"""
    x = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1003.0], [89.0, 95.0, 0.0]])
    return _np(softmax(x)).astype(np.float64)


@book.scenario("softmax",
               hint="a slice of minus infinity only gives zeros, not NaN")
def softmax_minus_infinity(softmax):
    """rows with some -inf entries and a row of -inf only (zeros, not NaN)"""
    inf = float("inf")
    x = torch.tensor([[0.5, -inf, 1.5, -inf], [-inf, -inf, -inf, -inf], [-inf, 2.0, -inf, -inf]], dtype=torch.float64)
    return _np(softmax(x))


@book.scenario("softmax")
def softmax_minus_infinity_columns(softmax):
    """-inf entries along dim 0 (a column of -inf only gives zeros)"""
    inf = float("inf")
    x = torch.tensor([[-inf, 1.0], [-inf, 3.0], [-inf, -inf]], dtype=torch.float64)
    return _np(softmax(x, 0))


@book.scenario("softmax",
               hint="keep the input's dtype")
def softmax_dtypes(softmax):
    """the dtype of the result for float32 and float64 inputs"""
    return [str(softmax(_randn(3, 2, 3, dtype=torch.float32)).dtype), str(softmax(_randn(4, 2, 3)).dtype)]


@book.scenario("softmax",
               hint="do not modify the input")
def softmax_input_unchanged(softmax):
    """the input tensor is not modified"""
    x = _randn(5, 3, 4) * 10
    softmax(x)
    softmax(x, 0)
    return _np(x)


# --- scaled dot-product attention ------------------------------------------------------------------

def _attention(attention, seed, batch, n_q, n_k, d_q, d_v, mask=None, dtype=torch.float64):
    q, k, v = _randn(seed, *batch, n_q, d_q, dtype=dtype), _randn(seed + 1, *batch, n_k, d_q, dtype=dtype), \
        _randn(seed + 2, *batch, n_k, d_v, dtype=dtype)
    out, weights = attention(q, k, v) if mask is None else attention(q, k, v, mask)
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("scaled_dot_product_attention",
               hint="divide the scores by the square root of the queries' dimension")
def sdpa_single(scaled_dot_product_attention):
    """3 queries, 5 keys, D_Q = 4, D_V = 2, no batch dimension"""
    return _attention(scaled_dot_product_attention, 10, (), 3, 5, 4, 2)


@book.scenario("scaled_dot_product_attention")
def sdpa_scale(scaled_dot_product_attention):
    """D_Q = 9 and D_V = 1 (the scores are divided by sqrt(D_Q) = 3, not by sqrt(D_V) or D_Q)"""
    return _attention(scaled_dot_product_attention, 11, (), 4, 6, 9, 1)


@book.scenario("scaled_dot_product_attention")
def sdpa_batched(scaled_dot_product_attention):
    """two batch dimensions (2, 3), 4 queries, 6 keys"""
    return _attention(scaled_dot_product_attention, 12, (2, 3), 4, 6, 8, 5)


@book.scenario("scaled_dot_product_attention",
               hint="softmax over the keys, and transpose the last two axes only")
def sdpa_one_key(scaled_dot_product_attention):
    """a single key (every weight is 1)"""
    return _attention(scaled_dot_product_attention, 13, (2,), 3, 1, 4, 3)


@book.scenario("scaled_dot_product_attention")
def sdpa_mask_broadcast(scaled_dot_product_attention):
    """a (4, 6) mask broadcast over a batch of 2 (True = may attend)"""
    mask = torch.rand((4, 6), generator=torch.Generator().manual_seed(14)) < 0.5
    mask[:, 2] = True
    return _attention(scaled_dot_product_attention, 14, (2,), 4, 6, 3, 2, mask)


@book.scenario("scaled_dot_product_attention")
def sdpa_mask_full_shape(scaled_dot_product_attention):
    """a mask of the full shape (2, 5, 5), a lower-triangular one and its transpose"""
    lower = torch.ones(5, 5, dtype=torch.bool).tril()
    return _attention(scaled_dot_product_attention, 15, (2,), 5, 5, 4, 3, torch.stack([lower, lower.T]))


@book.scenario("scaled_dot_product_attention",
               hint="mask scores before the softmax, and a query with no allowed key gets zeros")
def sdpa_fully_masked_row(scaled_dot_product_attention):
    """a query with no allowed key gets zero weights and a zero output"""
    mask = torch.tensor([[True, False, True], [False, False, False], [False, True, False]])
    return _attention(scaled_dot_product_attention, 16, (), 3, 3, 2, 2, mask)


@book.scenario("scaled_dot_product_attention",
               hint="keep the course's mask convention: True means the position may be attended to")
def sdpa_all_true_mask(scaled_dot_product_attention):
    """an all-True mask gives the same result as no mask"""
    return _attention(scaled_dot_product_attention, 17, (), 3, 4, 2, 2, torch.ones(3, 4, dtype=torch.bool))


@book.scenario("scaled_dot_product_attention", **LOOSE)
def sdpa_float32(scaled_dot_product_attention):
    """float32 inputs with large scores: the result stays float32 and finite"""
    result = _attention(scaled_dot_product_attention, 18, (), 4, 5, 16, 3, dtype=torch.float32)
    return {"dtypes": [str(result[key].dtype) for key in ("output", "weights")],
            "output": result["output"].astype(np.float64), "weights": result["weights"].astype(np.float64)}


@book.scenario("scaled_dot_product_attention",
               hint="check that the dimensions of queries, keys and values agree before computing")
def sdpa_errors(scaled_dot_product_attention):
    """mismatched D_Q of queries and keys, and more keys than values (must raise ValueError)"""
    return [error_name(scaled_dot_product_attention, _randn(19, 3, 4), _randn(20, 5, 3), _randn(21, 5, 2)),
            error_name(scaled_dot_product_attention, _randn(19, 3, 4), _randn(20, 5, 4), _randn(21, 6, 2)),
            error_name(scaled_dot_product_attention, _randn(19, 2, 3, 4), _randn(20, 2, 5, 4), _randn(21, 2, 4, 2))]


@book.scenario("scaled_dot_product_attention")
def sdpa_inputs_unchanged(scaled_dot_product_attention):
    """the queries, keys, values and mask are not modified"""
    q, k, v = _randn(22, 3, 4), _randn(23, 5, 4), _randn(24, 5, 2)
    mask = torch.ones(3, 5, dtype=torch.bool).tril()
    scaled_dot_product_attention(q, k, v, mask)
    return [_np(q), _np(k), _np(v), _np(mask)]


# --- self-attention ----------------------------------------------------------------------------------

def _projections(seed, d_x, d_q, d_v):
    return _randn(seed, d_x, d_q), _randn(seed + 1, d_x, d_q), _randn(seed + 2, d_x, d_v)


@book.scenario("self_attention",
               hint="queries come from the query weights, keys from the key weights")
def self_attention_single(self_attention):
    """5 vectors of dimension 4, D_Q = 3, D_V = 2"""
    out, weights = self_attention(_randn(30, 5, 4), *_projections(31, 4, 3, 2))
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("self_attention")
def self_attention_batched(self_attention):
    """a batch of 3 sequences of 4 vectors, D_X = 6, D_Q = 5, D_V = 7"""
    out, weights = self_attention(_randn(32, 3, 4, 6), *_projections(33, 6, 5, 7))
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("self_attention",
               hint="apply the mask")
def self_attention_masked(self_attention):
    """a causal (lower-triangular) mask on 6 positions"""
    mask = torch.ones(6, 6, dtype=torch.bool).tril()
    out, weights = self_attention(_randn(35, 2, 6, 3), *_projections(36, 3, 4, 2), mask)
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("self_attention",
               hint="the values are the projected inputs")
def self_attention_roles(self_attention):
    """W_Q, W_K and W_V play different roles (queries X W_Q, keys X W_K, values X W_V)"""
    x = _randn(38, 4, 3)
    w_q, w_k, w_v = _randn(39, 3, 3), 3 * _randn(40, 3, 3), _randn(41, 3, 3)
    out, weights = self_attention(x, w_q, w_k, w_v)
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("self_attention",
               hint="check the orientation of the projection matrices")
def self_attention_error(self_attention):
    """W_Q and W_K with different numbers of columns (must raise ValueError)"""
    return error_name(self_attention, _randn(42, 5, 4), _randn(43, 4, 3), _randn(44, 4, 2), _randn(45, 4, 2))


@book.scenario("self_attention")
def self_attention_inputs_unchanged(self_attention):
    """x and the projection matrices are not modified"""
    x, projections = _randn(46, 5, 4), _projections(47, 4, 3, 2)
    self_attention(x, *projections)
    return [_np(x)] + [_np(w) for w in projections]


@book.scenario("self_attention")
def self_attention_equivariance(self_attention):
    """permuting the inputs permutes the outputs (permutation equivariance)"""
    x, projections = _randn(48, 6, 4), _projections(49, 4, 4, 3)
    order = torch.tensor([3, 0, 5, 1, 4, 2])
    difference = self_attention(x[order], *projections)[0] - self_attention(x, *projections)[0][order]
    return bool(difference.abs().max() < 1e-10)


# --- causal mask -----------------------------------------------------------------------------------

def _padded(seed: int, lengths: list[int], n: int, d_x: int = 4) -> torch.Tensor:
    """A batch (B, n, d_x) whose rows after each length hold large junk (what padding must not leak)."""
    x = _randn(seed, len(lengths), n, d_x)
    for row, length in enumerate(lengths):
        x[row, length:] = 50.0
    return x


@book.scenario("self_attention",
               hint="padding is a set of keys no query may look at: mask the columns beyond each length")
def self_attention_lengths(self_attention):
    """lengths 5, 2 and 3 in a batch of 5 positions: each sequence's real rows equal it run alone"""
    x, weights = _padded(140, [5, 2, 3], 5), _projections(141, 4, 3, 2)
    out, attention = self_attention(x, *weights, lengths=torch.tensor([5, 2, 3]))
    alone = [self_attention(x[row, :length], *weights)[0] for row, length in enumerate([5, 2, 3])]
    return {"real rows": [_np(out[row, :length]) for row, length in enumerate([5, 2, 3])],
            "alone": [_np(a) for a in alone], "weights": _np(attention)}


@book.scenario("self_attention",
               hint="combine the mask given with the padding: a key must be allowed by both")
def self_attention_lengths_and_mask(self_attention):
    """lengths 4 and 2 together with a causal (4, 4) mask"""
    x, weights = _padded(142, [4, 2], 4), _projections(143, 4, 3, 3)
    out, attention = self_attention(x, *weights, torch.ones(4, 4, dtype=torch.bool).tril(), torch.tensor([4, 2]))
    return {"output": _np(out), "weights": _np(attention)}


@book.scenario("self_attention",
               hint="check the lengths: one per sequence, each between 1 and the number of positions")
def self_attention_length_errors(self_attention):
    """lengths of the wrong shape, of 0, beyond N, and for inputs without a batch axis (each raises ValueError)"""
    x, weights = _randn(144, 2, 3, 4), _projections(145, 4, 3, 2)
    return {"3 lengths for 2 sequences": error_name(self_attention, x, *weights, None, torch.tensor([1, 2, 3])),
            "lengths (2, 1)": error_name(self_attention, x, *weights, None, torch.tensor([[1], [2]])),
            "a length of 0": error_name(self_attention, x, *weights, None, torch.tensor([0, 2])),
            "a length of 4 > 3": error_name(self_attention, x, *weights, None, torch.tensor([4, 2])),
            "2-D inputs": error_name(self_attention, x[0], *weights, None, torch.tensor([2])),
            "full lengths": error_name(self_attention, x, *weights, None, torch.tensor([3, 3])),
            "a length of 1": error_name(self_attention, x, *weights, None, torch.tensor([1, 3]))}


@book.scenario("causal_mask",
               hint="position i may see positions up to and including i, with True meaning allowed")
def causal_values(causal_mask):
    """causal_mask(n) for n = 1, 2, 5"""
    return [_np(causal_mask(n)) for n in (1, 2, 5)]


@book.scenario("causal_mask",
               hint="the mask is boolean")
def causal_dtype(causal_mask):
    """the dtype is torch.bool"""
    return str(causal_mask(4).dtype)


@book.scenario("causal_mask")
def causal_empty(causal_mask):
    """causal_mask(0) is an empty (0, 0) tensor"""
    return list(causal_mask(0).shape)


@book.scenario("causal_mask",
               hint="a negative length is an error")
def causal_negative(causal_mask):
    """a negative length (must raise ValueError)"""
    return [error_name(causal_mask, -1), error_name(causal_mask, -5)]


# --- positional encoding ----------------------------------------------------------------------------

@book.scenario("positional_encoding", **LOOSE,
               hint="check which function takes even dimensions, the exponent of the frequencies, and that positions start at 0")
def pe_small(positional_encoding):
    """3 positions of dimension 4"""
    return _np(positional_encoding(3, 4)).astype(np.float64)


@book.scenario("positional_encoding", **LOOSE)
def pe_default_base(positional_encoding):
    """40 positions of dimension 16 with the default base 10000"""
    return _np(positional_encoding(40, 16)).astype(np.float64)


@book.scenario("positional_encoding", **LOOSE)
def pe_odd(positional_encoding):
    """odd dimensions 7 and 1 (the last column is a sine)"""
    return [_np(positional_encoding(30, 7)).astype(np.float64), _np(positional_encoding(5, 1)).astype(np.float64)]


@book.scenario("positional_encoding", **LOOSE,
               hint="use the base argument given")
def pe_base(positional_encoding):
    """the bases 2 and 100 on 12 positions of dimension 6"""
    return [_np(positional_encoding(12, 6, 2.0)).astype(np.float64),
            _np(positional_encoding(12, 6, base=100.0)).astype(np.float64)]


@book.scenario("positional_encoding", rtol=0.0, atol=2e-6,
               hint="compute in float64 and convert at the end")
def pe_far_positions(positional_encoding):
    """positions up to 5000 (float64 arithmetic before the final float32)"""
    return _np(positional_encoding(5001, 8)[-3:]).astype(np.float64)


@book.scenario("positional_encoding",
               hint="return float32, and handle an odd dimension")
def pe_dtype_and_shape(positional_encoding):
    """the dtype (float32) and shapes, including zero positions"""
    return [str(positional_encoding(3, 4).dtype), list(positional_encoding(0, 6).shape),
            list(positional_encoding(9, 5).shape)]


@book.scenario("positional_encoding")
def pe_errors(positional_encoding):
    """dim = 0 and a negative number of positions (must raise ValueError)"""
    return [error_name(positional_encoding, 5, 0), error_name(positional_encoding, -1, 4),
            error_name(positional_encoding, 4, -2)]


# --- multi-head attention ----------------------------------------------------------------------------

def _mha_state(seed: int, embed_dim: int, dtype=torch.float64) -> dict[str, torch.Tensor]:
    shapes = {"in_proj_weight": (3 * embed_dim, embed_dim), "in_proj_bias": (3 * embed_dim,),
              "out_proj.weight": (embed_dim, embed_dim), "out_proj.bias": (embed_dim,)}
    return {name: 0.5 * _randn(seed + i, *shape, dtype=dtype) for i, (name, shape) in enumerate(shapes.items())}


def _loaded_mha(MultiHeadAttention, seed, embed_dim, num_heads):
    torch.manual_seed(0)
    module = MultiHeadAttention(embed_dim, num_heads).double()
    module.load_state_dict(_mha_state(seed, embed_dim))
    return module


def _mha_result(out_and_weights):
    out, weights = out_and_weights
    return {"output": _np(out), "weights": _np(weights)}


@book.scenario("MultiHeadAttention")
def mha_parameters(MultiHeadAttention):
    """the names and shapes of the parameters, and the attributes embed_dim and num_heads"""
    torch.manual_seed(0)
    module = MultiHeadAttention(12, 3)
    return {"shapes": {name: list(p.shape) for name, p in module.named_parameters()},
            "attributes": [module.embed_dim, module.num_heads]}


@book.scenario("MultiHeadAttention",
               hint="start the biases at zero and the input projection with the documented initialization")
def mha_initialization(MultiHeadAttention):
    """biases start at zero and in_proj_weight is Xavier-uniform"""
    torch.manual_seed(0)
    module = MultiHeadAttention(16, 4)
    bound = math.sqrt(6 / (16 + 48))
    weight = module.in_proj_weight.detach()
    return {"biases zero": bool((module.in_proj_bias == 0).all() and (module.out_proj.bias == 0).all()),
            "within the Xavier bound": bool(weight.abs().max() <= bound),
            "spread like Xavier": bool(abs(weight.std().item() - bound / math.sqrt(3)) < 0.15 * bound)}


@book.scenario("MultiHeadAttention",
               hint="the embedding size must split evenly into heads: otherwise raise")
def mha_not_divisible(MultiHeadAttention):
    """embed_dim not divisible by num_heads (must raise ValueError)"""
    return [error_name(MultiHeadAttention, 8, 3), error_name(MultiHeadAttention, 10, 4)]


@book.scenario("MultiHeadAttention",
               hint="check the head split (reshape then transpose), the scale by the head size, the value projection and the output projection")
def mha_cross_attention(MultiHeadAttention):
    """cross-attention: 4 queries, 6 keys and values, E = 8, 2 heads, fixed weights"""
    module = _loaded_mha(MultiHeadAttention, 60, 8, 2)
    return _mha_result(module(_randn(61, 3, 4, 8), _randn(62, 3, 6, 8), _randn(63, 3, 6, 8)))


@book.scenario("MultiHeadAttention",
               hint="keep the course's mask convention: True means the position may be attended to")
def mha_self_attention_causal(MultiHeadAttention):
    """causal self-attention with a (5, 5) mask, E = 12, 3 heads"""
    module = _loaded_mha(MultiHeadAttention, 64, 12, 3)
    x = _randn(65, 2, 5, 12)
    return _mha_result(module(x, x, x, torch.ones(5, 5, dtype=torch.bool).tril()))


@book.scenario("MultiHeadAttention")
def mha_batch_mask(MultiHeadAttention):
    """a mask of shape (B, 1, N_Q, N_K), different for each sequence"""
    module = _loaded_mha(MultiHeadAttention, 66, 8, 4)
    mask = torch.rand((2, 1, 3, 4), generator=torch.Generator().manual_seed(67)) < 0.6
    mask[..., 0] = True
    return _mha_result(module(_randn(68, 2, 3, 8), _randn(69, 2, 4, 8), _randn(70, 2, 4, 8), mask))


@book.scenario("MultiHeadAttention")
def mha_one_head_and_many(MultiHeadAttention):
    """one head (D_h = E) and E heads (D_h = 1), E = 6"""
    results = []
    for heads in (1, 6):
        module = _loaded_mha(MultiHeadAttention, 71, 6, heads)
        x = _randn(72, 2, 4, 6)
        results.append(_mha_result(module(x, x, x)))
    return results


@book.scenario("MultiHeadAttention")
def mha_different_key_and_value(MultiHeadAttention):
    """keys and values from different inputs (each goes through its own projection)"""
    module = _loaded_mha(MultiHeadAttention, 73, 8, 2)
    x = _randn(74, 1, 3, 8)
    return _mha_result(module(x, x, _randn(75, 1, 3, 8)))


@book.scenario("MultiHeadAttention",
               hint="do not detach anything: every parameter needs its gradient")
def mha_gradients(MultiHeadAttention):
    """gradients reach every parameter and the inputs are not modified"""
    module = _loaded_mha(MultiHeadAttention, 76, 8, 2)
    x = _randn(77, 2, 3, 8)
    before = x.clone()
    out, _ = module(x, x, x)
    out.square().sum().backward()
    return {"gradient norms": [float(p.grad.norm()) if p.grad is not None else 0.0 for _, p in module.named_parameters()],
            "input": _np(x), "unchanged": bool(torch.equal(x, before))}


# --- transformer block --------------------------------------------------------------------------------

BLOCK_NAMES = ["attention.in_proj_weight", "attention.in_proj_bias", "attention.out_proj.weight",
               "attention.out_proj.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
               "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias"]


def _random_state(module: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Seeded weights drawn in the order of the parameter names (not of their creation in __init__)."""
    generator = torch.Generator().manual_seed(seed)
    return {name: (1.0 if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight" else 0.0)
            + 0.4 * torch.randn(value.shape, generator=generator, dtype=torch.float64)
            for name, value in sorted(module.state_dict().items())}


def _loaded_block(TransformerBlock, seed, embed_dim, heads, mlp_dim):
    torch.manual_seed(0)
    block = TransformerBlock(embed_dim, heads, mlp_dim).double()
    block.load_state_dict(_random_state(block, seed))
    return block


@book.scenario("TransformerBlock")
def block_parameters(TransformerBlock):
    """the names and shapes of the parameters of TransformerBlock(8, 2, 16)"""
    torch.manual_seed(0)
    return {name: list(p.shape) for name, p in TransformerBlock(8, 2, 16).named_parameters()}


@book.scenario("TransformerBlock",
               hint="pre-norm: each sub-layer reads its own normalized input and adds its output to the un-normalized input")
def block_forward(TransformerBlock):
    """random weights, E = 8, 2 heads, MLP width 16, no mask"""
    block = _loaded_block(TransformerBlock, 80, 8, 2, 16)
    return _np(block(_randn(81, 3, 5, 8)))


@book.scenario("TransformerBlock",
               hint="pass the mask on to the attention")
def block_causal(TransformerBlock):
    """random weights with a causal mask, E = 12, 3 heads, MLP width 24"""
    block = _loaded_block(TransformerBlock, 82, 12, 3, 24)
    return _np(block(_randn(83, 2, 6, 12), torch.ones(6, 6, dtype=torch.bool).tril()))


@book.scenario("TransformerBlock")
def block_mask_argument(TransformerBlock):
    """a mask that lets every position see only itself (the attention output is its own value)"""
    block = _loaded_block(TransformerBlock, 84, 8, 4, 8)
    return _np(block(_randn(85, 2, 4, 8), mask=torch.eye(4, dtype=torch.bool)))


@book.scenario("TransformerBlock",
               hint="build new tensors: the input must not change")
def block_input_unchanged(TransformerBlock):
    """the input x is not modified"""
    block = _loaded_block(TransformerBlock, 86, 8, 2, 16)
    x = _randn(87, 2, 3, 8)
    block(x)
    return _np(x)


# --- tiny transformer ----------------------------------------------------------------------------------

def _loaded_model(TinyTransformer, seed, **sizes):
    torch.manual_seed(0)
    model = TinyTransformer(11, 12, **sizes).double()
    model.load_state_dict(_random_state(model, seed))
    return model


def _tokens(seed: int, batch: int, length: int) -> torch.Tensor:
    return torch.randint(0, 11, (batch, length), generator=torch.Generator().manual_seed(seed))


@book.scenario("TinyTransformer",
               hint="positional encodings are fixed, not a learned parameter or state entry")
def tiny_parameters(TinyTransformer):
    """the names and shapes of the parameters (default sizes), and no positions in the state dict"""
    torch.manual_seed(0)
    model = TinyTransformer(11, 16)
    return {"parameters": {name: list(p.shape) for name, p in model.named_parameters()},
            "state dict keys": sorted(model.state_dict())}


@book.scenario("TinyTransformer", **LOOSE)
def tiny_positions_buffer(TinyTransformer):
    """the buffer positions holds the sinusoidal encodings of shape (max_len, embed_dim)"""
    torch.manual_seed(0)
    model = TinyTransformer(5, 9, 6, 2, 8, 1)
    return {"buffers": sorted(name for name, _ in model.named_buffers()),
            "positions": _np(model.positions).astype(np.float64)}


@book.scenario("TinyTransformer",
               hint="apply every block, in order")
def tiny_logits(TinyTransformer):
    """logits for 3 sequences of 10 tokens with random weights (E = 16, 2 heads, 2 blocks)"""
    model = _loaded_model(TinyTransformer, 90, embed_dim=16, num_heads=2, mlp_dim=32, num_layers=2)
    return _np(model(_tokens(91, 3, 10)))


@book.scenario("TinyTransformer")
def tiny_three_layers(TinyTransformer):
    """three blocks applied in order, sequences of max_len = 12 tokens"""
    model = _loaded_model(TinyTransformer, 92, embed_dim=8, num_heads=4, mlp_dim=8, num_layers=3)
    return _np(model(_tokens(93, 2, 12)))


@book.scenario("TinyTransformer",
               hint="add the positional encodings, keep the final layer norm, do not rescale the embeddings")
def tiny_single_token(TinyTransformer):
    """sequences of a single token"""
    model = _loaded_model(TinyTransformer, 94, embed_dim=8, num_heads=2, mlp_dim=8, num_layers=1)
    return _np(model(_tokens(95, 4, 1)))


@book.scenario("TinyTransformer",
               hint="a language model needs the causal mask")
def tiny_causal(TinyTransformer):
    """changing the last tokens leaves the logits of earlier positions unchanged"""
    model = _loaded_model(TinyTransformer, 96, embed_dim=8, num_heads=2, mlp_dim=16, num_layers=2)
    tokens = _tokens(97, 2, 9)
    changed = tokens.clone()
    changed[:, 5:] = (changed[:, 5:] + 3) % 11
    return bool(torch.allclose(model(tokens)[:, :5], model(changed)[:, :5], rtol=1e-9, atol=1e-9))


@book.scenario("TinyTransformer",
               hint="a sequence longer than the maximum length is an error")
def tiny_too_long(TinyTransformer):
    """a sequence longer than max_len (must raise ValueError)"""
    torch.manual_seed(0)
    return error_name(TinyTransformer(11, 12, 8, 2, 8, 1), _tokens(98, 1, 13))


@book.scenario("TinyTransformer")
def tiny_learns(TinyTransformer):
    """20 seeded Adam steps on 16 fixed sequences cut the loss on them by more than half"""
    tokens = _tokens(99, 16, 6)
    torch.manual_seed(0)
    model = TinyTransformer(11, 6, 16, 2, 32, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    losses = []
    with _one_thread():
        for _ in range(20):
            loss = F.cross_entropy(model(tokens[:, :-1]).flatten(0, 1), tokens[:, 1:].flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return bool(losses[-1] < 0.5 * losses[0])


# --- the visible tests' own cases (the grader judges only scenarios) -----------------------------

@book.scenario("softmax", rtol=1e-5, atol=1e-7)
def softmax_visible_cases(softmax):
    """the visible test's cases: [[1, 2, 3], [0, 0, 0]] on both axes, [1000, 1001, 1002], -inf rows"""
    inf = float("inf")
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    cases = [softmax(x), softmax(x, 0), softmax(torch.tensor([1000.0, 1001.0, 1002.0])),
             softmax(torch.tensor([[0.5, -inf, 1.5], [-inf, -inf, -inf]]))]
    return [_np(case).astype(np.float64) for case in cases]


@book.scenario("scaled_dot_product_attention", rtol=1e-5, atol=1e-7)
def sdpa_visible_cases(scaled_dot_product_attention):
    """the visible test's cases: 2 queries and 3 keys in 2-D, and a (4, 6) mask on (2, 3) batches"""
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    v = torch.tensor([[1.0], [10.0], [100.0]])
    small = scaled_dot_product_attention(q, k, v)
    mask = torch.rand((4, 6), generator=torch.Generator().manual_seed(100)) < 0.5
    mask[:, 0] = True
    batched = _attention(scaled_dot_product_attention, 101, (2, 3), 4, 6, 8, 5, mask)
    return {"small": [_np(small[0]).astype(np.float64), _np(small[1]).astype(np.float64)], "batched": batched}


@book.scenario("self_attention")
def self_attention_visible_cases(self_attention):
    """the visible test's cases: X (5, 4) with W_Q, W_K (4, 3) and W_V (4, 2), and a batch of 2"""
    single = self_attention(_randn(102, 5, 4), *_projections(103, 4, 3, 2))
    batched = self_attention(_randn(104, 2, 5, 4), *_projections(105, 4, 3, 3))
    padded = self_attention(_padded(146, [5, 3], 5), *_projections(147, 4, 3, 2), lengths=torch.tensor([5, 3]))
    return [_np(single[0]), _np(single[1]), _np(batched[0]), _np(padded[0]), _np(padded[1])]


@book.scenario("causal_mask")
def causal_visible_cases(causal_mask):
    """the visible test's cases: causal_mask(3), causal_mask(0), causal_mask(4, window=2)"""
    return [_np(causal_mask(3)), list(causal_mask(0).shape), error_name(causal_mask, -1),
            _np(causal_mask(4, window=2)), error_name(causal_mask, 3, 0)]


@book.scenario("causal_mask",
               hint="a window of w lets position i see itself and the w - 1 positions before it")
def causal_windows(causal_mask):
    """sliding windows: causal_mask(6, window=w) for w = 1, 3, 6 and 9, and window=None given explicitly"""
    return {f"window {w}": _np(causal_mask(6, window=w)) for w in (1, 3, 6, 9)} | {
        "None": _np(causal_mask(5, None)), "positional 2": _np(causal_mask(5, 2))}


@book.scenario("causal_mask",
               hint="a window must be at least 1; check the arguments before building the mask")
def causal_window_errors(causal_mask):
    """a window of 0 or -2 (each raises ValueError), also for n = 0; the dtype with a window"""
    return {"window 0": error_name(causal_mask, 4, 0), "window -2": error_name(causal_mask, 4, -2),
            "n 0, window 0": error_name(causal_mask, 0, 0), "dtype": str(causal_mask(4, window=2).dtype),
            "n 0, window 3": list(causal_mask(0, 3).shape)}


@book.scenario("positional_encoding", **LOOSE)
def pe_visible_cases(positional_encoding):
    """the visible test's cases: (3, 4), (50, 7), base 2 and dim = 0"""
    return [_np(positional_encoding(3, 4)).astype(np.float64), _np(positional_encoding(50, 7)).astype(np.float64),
            _np(positional_encoding(4, 2, 2.0)).astype(np.float64), error_name(positional_encoding, 5, 0)]


@book.scenario("MultiHeadAttention", **LOOSE)
def mha_visible_cases(MultiHeadAttention):
    """the visible test's cases: E = 8 with 2 heads (cross-attention and a causal mask), E = 8 with 3 heads"""
    torch.manual_seed(0)
    module = MultiHeadAttention(8, 2)
    module.load_state_dict({name: value.float() for name, value in _mha_state(106, 8).items()})
    cross = module(_randn(107, 3, 4, 8, dtype=torch.float32), _randn(108, 3, 6, 8, dtype=torch.float32),
                   _randn(109, 3, 6, 8, dtype=torch.float32))
    x = _randn(110, 2, 5, 8, dtype=torch.float32)
    causal = module(x, x, x, torch.ones(5, 5, dtype=torch.bool).tril())[0]
    return {"cross": [_np(t).astype(np.float64) for t in cross], "causal": _np(causal).astype(np.float64),
            "not divisible": error_name(MultiHeadAttention, 8, 3)}


@book.scenario("TransformerBlock", **LOOSE)
def block_visible_cases(TransformerBlock):
    """the visible test's cases: TransformerBlock(8, 2, 16) in float32, without and with a causal mask"""
    torch.manual_seed(0)
    block = TransformerBlock(8, 2, 16)
    block.load_state_dict({name: value.float() for name, value in _random_state(block, 111).items()})
    x = _randn(112, 3, 5, 8, dtype=torch.float32)
    return [_np(block(x)).astype(np.float64), _np(block(x, torch.ones(5, 5, dtype=torch.bool).tril())).astype(np.float64)]


@book.scenario("TinyTransformer", **LOOSE)
def tiny_visible_cases(TinyTransformer):
    """the visible test's cases: TinyTransformer(11, 16, 16, 2, 32, 2) in float32 on 3 sequences of 10 tokens"""
    torch.manual_seed(0)
    model = TinyTransformer(11, 16, 16, 2, 32, 2)
    model.load_state_dict({name: value.float() for name, value in _random_state(model, 113).items()})
    return {"count": sum(p.numel() for p in model.parameters()), "logits": _np(model(_tokens(114, 3, 10))).astype(np.float64),
            "too long": error_name(model, torch.zeros(1, 17, dtype=torch.int64))}


# --- the fully masked row, where torch gives NaN and this course gives zeros ---------------------------

@book.scenario("MultiHeadAttention",
               hint="a query with no allowed key gets zero weights, so its output is the output projection's bias")
def mha_fully_masked_row(MultiHeadAttention):
    """a query whose keys are all masked: zero weights and the output bias b_o, not NaN"""
    module = _loaded_mha(MultiHeadAttention, 115, 8, 2)
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[1] = False
    return _mha_result(module(_randn(116, 2, 3, 8), _randn(117, 2, 4, 8), _randn(118, 2, 4, 8), mask))


# --- masked cross-entropy ------------------------------------------------------------------------------

def _scored(seed: int, *shape: int, vocab: int, ignored: float = 0.3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(6000 + seed)
    targets = torch.randint(0, vocab, shape, generator=generator)
    targets[torch.rand(shape, generator=generator) < ignored] = -100
    targets.view(-1)[0] = 0  # at least one scored position
    return targets


@book.scenario("masked_cross_entropy",
               hint="average over the scored positions only, not over every position")
def mce_sorter_batch(masked_cross_entropy):
    """logits (4, 6, 11) with a third of the targets ignored (-100)"""
    return masked_cross_entropy(_randn(120, 4, 6, 11), _scored(121, 4, 6, vocab=11)).item()


@book.scenario("masked_cross_entropy")
def mce_sorter_layout(masked_cross_entropy):
    """the sorter's layout: the first half of every row ignored"""
    targets = torch.randint(0, 11, (3, 8), generator=torch.Generator().manual_seed(122))
    targets[:, :4] = -100
    return masked_cross_entropy(_randn(123, 3, 8, 11), targets).item()


@book.scenario("masked_cross_entropy")
def mce_flat(masked_cross_entropy):
    """flat logits (7, 5) with targets (7,), none ignored"""
    return masked_cross_entropy(_randn(124, 7, 5), torch.tensor([0, 4, 2, 2, 1, 3, 0])).item()


@book.scenario("masked_cross_entropy",
               hint="skip the positions whose target is the ignore value given, not always minus one hundred")
def mce_ignore_index(masked_cross_entropy):
    """another ignore_index (0 is ignored, -100 would be an error)"""
    targets = torch.tensor([[0, 3, 1], [2, 0, 0]])
    return masked_cross_entropy(_randn(125, 2, 3, 4), targets, ignore_index=0).item()


@book.scenario("masked_cross_entropy", rtol=1e-5, atol=1e-4,
               hint="subtract each row's largest logit before exponentiating")
def mce_extreme_logits(masked_cross_entropy):
    """float32 logits of +-1000: finite and exact (2000 for the wrong class, 0 for the right one)"""
    logits = torch.tensor([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 999.0]])
    values = [masked_cross_entropy(logits[i:i + 1], torch.tensor([target])).item()
              for i, target in enumerate([1, 0, 2])]
    return values


@book.scenario("masked_cross_entropy", rtol=1e-5, atol=1e-4,
               hint="shift each row by its own largest logit, not by one maximum for the whole batch")
def mce_rows_far_apart(masked_cross_entropy):
    """float32 rows whose logits lie 2000 apart, in one batch (each row finite and exact)"""
    logits = torch.tensor([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1003.0]])
    return masked_cross_entropy(logits, torch.tensor([0, 2])).item()


@book.scenario("masked_cross_entropy",
               hint="return a tensor that keeps the gradient, in the logits' dtype")
def mce_returns(masked_cross_entropy):
    """a 0-dimensional tensor in the logits' dtype (float32 and float64) whose gradient is softmax minus one-hot"""
    found = {}
    for dtype in (torch.float32, torch.float64):
        logits = _randn(126, 2, 3, 5, dtype=dtype).requires_grad_()
        targets = _scored(127, 2, 3, vocab=5)
        loss = masked_cross_entropy(logits, targets)
        loss.backward()
        found[str(dtype)] = {"type": type(loss).__name__, "dtype": str(loss.dtype), "shape": list(loss.shape),
                             "gradient": logits.grad.double().numpy()}
    return found


@book.scenario("masked_cross_entropy",
               hint="check the shapes and the targets before computing: nothing may broadcast")
def mce_errors(masked_cross_entropy):
    """mismatched shapes (also broadcastable ones), no scored position, a target out of range"""
    logits = _randn(128, 2, 3, 5)
    return {"targets (2, 1)": error_name(masked_cross_entropy, logits, torch.zeros(2, 1, dtype=torch.int64)),
            "targets (3, 2)": error_name(masked_cross_entropy, logits, torch.zeros(3, 2, dtype=torch.int64)),
            "targets (2, 3, 5)": error_name(masked_cross_entropy, logits, torch.zeros(2, 3, 5, dtype=torch.int64)),
            "all ignored": error_name(masked_cross_entropy, logits, torch.full((2, 3), -100)),
            "target 5 of 5 classes": error_name(masked_cross_entropy, logits, torch.tensor([[0, 1, 5], [0, 0, 0]])),
            "target -1": error_name(masked_cross_entropy, logits, torch.tensor([[0, 1, -1], [0, 0, 0]]))}


@book.scenario("masked_cross_entropy",
               hint="do not modify the logits or the targets")
def mce_inputs_unchanged(masked_cross_entropy):
    """the logits and the targets are left as they were"""
    logits, targets = _randn(129, 3, 4, 6), _scored(130, 3, 4, vocab=6)
    logits_before, targets_before = logits.clone(), targets.clone()
    masked_cross_entropy(logits, targets)
    return [bool(torch.equal(logits, logits_before)), bool(torch.equal(targets, targets_before))]


# --- greedy decoding -----------------------------------------------------------------------------------

class _Counter(torch.nn.Module):
    """A fake language model: the next token's logits favour (sum of the tokens so far + shift) mod V.

    In training mode it favours a different token, so a decoder that forgets eval() is seen; it
    records whether gradients were being recorded at each call.
    """

    def __init__(self, vocab: int = 7, shift: int = 1):
        super().__init__()
        self.vocab, self.shift = vocab, shift
        self.weight = torch.nn.Parameter(torch.ones(()))
        self.grad_enabled: list[bool] = []

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        favourite = (tokens.cumsum(dim=1) + self.shift + (3 if self.training else 0)) % self.vocab
        return self.weight * torch.nn.functional.one_hot(favourite, self.vocab).double()


@book.scenario("greedy_decode",
               hint="feed every token written so far back in, and take the most likely token at the last position")
def greedy_counter(greedy_decode):
    """a fake model whose next token depends on the whole prefix: 5 new tokens for 3 prefixes"""
    prefix = torch.tensor([[1, 2], [0, 0], [6, 3]])
    written = greedy_decode(_Counter().eval(), prefix, 5)
    return {"tokens": _np(written), "dtype": str(written.dtype)}


@book.scenario("greedy_decode",
               hint="switch a module to evaluation mode while decoding and back to its mode afterwards")
def greedy_modes(greedy_decode):
    """a model in training mode is decoded in eval mode and left in training mode (and eval stays eval)"""
    found = []
    for training in (True, False):
        model = _Counter().train(training)
        written = greedy_decode(model, torch.tensor([[2, 5]]), 3)
        found.append({"tokens": _np(written), "training afterwards": model.training})
    return found


@book.scenario("greedy_decode",
               hint="decode without recording gradients")
def greedy_no_grad(greedy_decode):
    """no gradient is recorded while decoding (torch.no_grad)"""
    model = _Counter().eval()
    greedy_decode(model, torch.tensor([[1]]), 3)
    return {"any call with gradients": any(model.grad_enabled), "calls": len(model.grad_enabled) > 0}


@book.scenario("greedy_decode")
def greedy_plain_callable(greedy_decode):
    """a plain function (not a module), as the encoder-decoder's lambda is; a 1-token prefix"""
    model = _Counter(vocab=5, shift=2).eval()
    return _np(greedy_decode(lambda tokens: model(tokens), torch.tensor([[4], [1]]), 4))


@book.scenario("greedy_decode",
               hint="ties go to the lowest token id, as argmax gives them")
def greedy_ties(greedy_decode):
    """every logit equal: the lowest token id wins each step"""
    flat = lambda tokens: torch.zeros(tokens.shape[0], tokens.shape[1], 6)  # noqa: E731
    return _np(greedy_decode(flat, torch.tensor([[3, 3]]), 3))


@book.scenario("greedy_decode",
               hint="return only the new tokens, and an empty result when asked for none")
def greedy_zero_new(greedy_decode):
    """n_new = 0 gives an empty (B, 0) int64 tensor"""
    written = greedy_decode(_Counter().eval(), torch.tensor([[1, 2], [3, 4]]), 0)
    return {"shape": list(written.shape), "dtype": str(written.dtype)}


@book.scenario("greedy_decode",
               hint="check the number of tokens and the shape of the prefix before decoding")
def greedy_errors(greedy_decode):
    """a negative n_new, a 1-D prefix and an empty prefix (each raises ValueError)"""
    model = _Counter().eval()
    return {"n_new = -1": error_name(greedy_decode, model, torch.tensor([[1]]), -1),
            "1-D prefix": error_name(greedy_decode, model, torch.tensor([1, 2]), 2),
            "empty prefix": error_name(greedy_decode, model, torch.zeros(2, 0, dtype=torch.int64), 2)}


@book.scenario("greedy_decode",
               hint="do not modify the prefix")
def greedy_prefix_unchanged(greedy_decode):
    """the prefix is left as it was and is not part of the result"""
    prefix = torch.tensor([[1, 2, 3], [4, 5, 6]])
    written = greedy_decode(_Counter().eval(), prefix, 2)
    return {"prefix": _np(prefix), "shape": list(written.shape)}


# --- the encoder-decoder: judged by behaviour, since its architecture is the student's ------------------

def _encoder_decoder(EncoderDecoder, vocab=7, max_len=6, **sizes):
    torch.manual_seed(0)
    sizes = {"embed_dim": 16, "num_heads": 2, "mlp_dim": 32, "num_layers": 1} | sizes
    return EncoderDecoder(vocab, max_len, **sizes).double().eval()


def _ids(seed: int, batch: int, length: int, vocab: int = 7) -> torch.Tensor:
    return torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(7000 + seed))


@book.scenario("EncoderDecoder",
               hint="one logit per target position and per vocabulary entry")
def ed_shapes(EncoderDecoder):
    """logits' shape and dtype for sources and targets of different lengths, default sizes and small ones"""
    found = []
    for sizes in ({}, {"embed_dim": 8, "num_heads": 4, "mlp_dim": 8, "num_layers": 2}):
        torch.manual_seed(0)
        model = EncoderDecoder(9, 7, **sizes)
        with torch.no_grad():
            logits = model(_ids(1, 3, 7, 9), _ids(2, 3, 4, 9))
        found.append({"shape": list(logits.shape), "dtype": str(logits.dtype), "finite": bool(logits.isfinite().all())})
    return found


@book.scenario("EncoderDecoder",
               hint="the decoder's self-attention needs the causal mask")
def ed_causal(EncoderDecoder):
    """changing later target tokens leaves the logits of earlier target positions unchanged"""
    model = _encoder_decoder(EncoderDecoder)
    source, target = _ids(3, 2, 5), _ids(4, 2, 6)
    changed = target.clone()
    changed[:, 3:] = (changed[:, 3:] + 2) % 7
    with torch.no_grad():
        return bool(torch.allclose(model(source, target)[:, :3], model(source, changed)[:, :3], rtol=1e-9, atol=1e-9))


@book.scenario("EncoderDecoder",
               hint="every target position must read the source through cross-attention")
def ed_reads_every_source_token(EncoderDecoder):
    """changing any one source token changes the logits at every target position"""
    model = _encoder_decoder(EncoderDecoder)
    source, target = _ids(5, 1, 5), _ids(6, 1, 4)
    found = []
    with torch.no_grad():
        before = model(source, target)
        for i in range(5):
            changed = source.clone()
            changed[0, i] = (changed[0, i] + 1) % 7
            found.append(bool(((model(changed, target) - before).abs().amax(dim=-1) > 1e-9).all()))
    return found


@book.scenario("EncoderDecoder",
               hint="add positional encodings to the source and to the target")
def ed_knows_order(EncoderDecoder):
    """swapping two source tokens, or two earlier target tokens, changes the logits (the model knows positions)"""
    model = _encoder_decoder(EncoderDecoder)
    source, target = torch.tensor([[1, 4, 2, 5]]), torch.tensor([[3, 6, 0]])
    with torch.no_grad():
        before = model(source, target)
        swapped_source = model(torch.tensor([[4, 1, 2, 5]]), target)
        swapped_target = model(source, torch.tensor([[6, 3, 0]]))
    return {"source": bool((swapped_source[0, -1] - before[0, -1]).abs().max() > 1e-9),
            "target": bool((swapped_target[0, -1] - before[0, -1]).abs().max() > 1e-9)}


@book.scenario("EncoderDecoder",
               hint="each sequence of a batch is processed on its own")
def ed_batch_rows_independent(EncoderDecoder):
    """the logits of a batch equal those of its rows run one at a time"""
    model = _encoder_decoder(EncoderDecoder)
    source, target = _ids(7, 3, 4), _ids(8, 3, 5)
    with torch.no_grad():
        together = model(source, target)
        alone = torch.cat([model(source[i:i + 1], target[i:i + 1]) for i in range(3)])
    return bool(torch.allclose(together, alone, rtol=1e-9, atol=1e-9))


@book.scenario("EncoderDecoder",
               hint="build the model from your MultiHeadAttention, for the decoder's self- and cross-attention")
def ed_uses_multi_head_attention(EncoderDecoder):
    """the model holds MultiHeadAttention modules with the number of heads given"""
    torch.manual_seed(0)
    model = EncoderDecoder(7, 6, 16, 4, 32, 2)
    heads = [m.num_heads for m in model.modules() if type(m).__name__ == "MultiHeadAttention"]
    return {"at least two (self- and cross-attention)": len(heads) >= 2, "heads": sorted(set(heads))}


@book.scenario("EncoderDecoder",
               hint="a source or target longer than the maximum length, or batches of different sizes, is an error")
def ed_errors(EncoderDecoder):
    """a source or a target longer than max_len, and batches of different sizes (each raises ValueError)"""
    model = _encoder_decoder(EncoderDecoder)
    return {"source of 7": error_name(model, _ids(9, 2, 7), _ids(10, 2, 3)),
            "target of 7": error_name(model, _ids(9, 2, 3), _ids(10, 2, 7)),
            "2 sources, 3 targets": error_name(model, _ids(9, 2, 3), _ids(10, 3, 3)),
            "source and target of max_len": error_name(model, _ids(9, 2, 6), _ids(10, 2, 6))}


@book.scenario("EncoderDecoder",
               hint="do not modify the token tensors")
def ed_inputs_unchanged(EncoderDecoder):
    """the source and target tensors are left as they were"""
    model = _encoder_decoder(EncoderDecoder)
    source, target = _ids(11, 2, 4), _ids(12, 2, 3)
    with torch.no_grad():
        model(source, target)
    return [_np(source), _np(target)]


@book.scenario("EncoderDecoder",
               hint="the model must be able to learn to copy: check that the gradient reaches the parameters")
def ed_learns_to_copy(EncoderDecoder):
    """40 seeded Adam steps on 16 fixed copy pairs cut the loss on them by more than half"""
    source = _ids(13, 16, 4, vocab=6)
    target_in = torch.cat([torch.full((16, 1), 6), source[:, :-1]], dim=1)
    torch.manual_seed(0)
    model = EncoderDecoder(7, 4, 16, 2, 32, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    with _one_thread():
        for _ in range(40):
            loss = F.cross_entropy(model(source, target_in).flatten(0, 1), source.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return bool(losses[-1] < 0.5 * losses[0])


def _attention_weights(model: torch.nn.Module, source: torch.Tensor, target: torch.Tensor) -> list:
    """The weights returned by every MultiHeadAttention call of one forward pass."""
    found = []

    def record(module, inputs, output):
        if isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], torch.Tensor):
            found.append(output[1].detach())
    handles = [m.register_forward_hook(record) for m in model.modules() if type(m).__name__ == "MultiHeadAttention"]
    try:
        with torch.no_grad():
            model(source, target)
    finally:
        for handle in handles:
            handle.remove()
    return found


@book.scenario("EncoderDecoder",
               hint="cross-attention has no mask and reads the encoder's output at every source position")
def ed_cross_attention_unmasked(EncoderDecoder):
    """a MultiHeadAttention call weighs every source position for every target position, none with weight 0
    (5 source and 3 target tokens, then 3 and 5)"""
    model = _encoder_decoder(EncoderDecoder)
    found = []
    for n_source, n_target in ((5, 3), (3, 5)):
        weights = _attention_weights(model, _ids(14, 2, n_source), _ids(15, 2, n_target))
        cross = [w for w in weights if tuple(w.shape) == (2, 2, n_target, n_source)]
        found.append({"weights (B, H, N_T, N_S)": bool(cross), "none zero": any(bool((w > 0).all()) for w in cross)})
    return found


def _copy_loss(EncoderDecoder) -> tuple:
    torch.manual_seed(0)
    model = EncoderDecoder(7, 6, 16, 2, 32, 2).double()
    logits = model(_ids(16, 3, 5), _ids(17, 3, 4))
    return model, F.cross_entropy(logits.flatten(0, 1), _ids(18, 3, 4).flatten())


factories.trains_every_parameter(book, "EncoderDecoder", _copy_loss,
                                 "one backward pass through a cross-entropy gives every parameter tensor a gradient, "
                                 "the encoder's included (2 layers)",
                                 hint="the encoder learns through cross-attention: do not detach its output")


@book.scenario("EncoderDecoder",
               hint="the number of layers asked for is the depth of the encoder and of the decoder")
def ed_num_layers(EncoderDecoder):
    """num_layers = 2 and 3 hold twice and three times as many MultiHeadAttention modules as num_layers = 1"""
    counts = []
    for layers in (1, 2, 3):
        torch.manual_seed(0)
        model = EncoderDecoder(7, 6, 8, 2, 8, layers)
        counts.append(sum(type(m).__name__ == "MultiHeadAttention" for m in model.modules()))
    return {"twice": counts[1] == 2 * counts[0], "three times": counts[2] == 3 * counts[0]}


@book.scenario("masked_cross_entropy", rtol=1e-5, atol=1e-7)
def mce_visible_cases(masked_cross_entropy):
    """the visible test's cases: logits (2, 4, 5) with ignored targets, [1000, -1000, 0], ignore_index = 0"""
    logits = torch.randn((2, 4, 5), generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([[-100, -100, 3, 0], [-100, -100, 1, 4]])
    leaf = logits.clone().requires_grad_()
    loss = masked_cross_entropy(leaf, targets)
    loss.backward()
    return {"loss": loss.item(), "gradient": _np(leaf.grad).astype(np.float64),
            "extreme": masked_cross_entropy(torch.tensor([[1000.0, -1000.0, 0.0]]), torch.tensor([1])).item(),
            "ignore 0": masked_cross_entropy(logits, torch.tensor([[0, 1, 2, 3], [0, 0, 0, 0]]), 0).item(),
            "targets (2, 1)": error_name(masked_cross_entropy, logits, torch.zeros(2, 1, dtype=torch.int64)),
            "all ignored": error_name(masked_cross_entropy, logits, torch.full((2, 4), -100))}


class _AddOne(torch.nn.Module):
    def forward(self, tokens):
        return F.one_hot((tokens + (5 if self.training else 1)) % 10, 10).float()


@book.scenario("greedy_decode")
def greedy_visible_cases(greedy_decode):
    """the visible test's cases: a model that adds 1 in eval mode, from 3 and 8, in training mode before"""
    model = _AddOne().train()
    prefix = torch.tensor([[3], [8]])
    written = greedy_decode(model, prefix, 4)
    return {"tokens": _np(written), "dtype": str(written.dtype), "training afterwards": model.training,
            "prefix": _np(prefix), "none": list(greedy_decode(model, prefix, 0).shape),
            "n_new = -1": error_name(greedy_decode, model, prefix, -1)}


@book.scenario("EncoderDecoder")
def ed_visible_cases(EncoderDecoder):
    """the visible test's cases: EncoderDecoder(11, 8, 16, 2, 32, 1) on 3 sources of 8 tokens and targets of 5"""
    torch.manual_seed(0)
    model = EncoderDecoder(11, 8, 16, 2, 32, 1).eval()
    source = torch.randint(0, 11, (3, 8), generator=torch.Generator().manual_seed(2))
    target = torch.randint(0, 11, (3, 5), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        logits = model(source, target)
        later = target.clone()
        later[:, 3:] = (later[:, 3:] + 1) % 11
        changed = source.clone()
        changed[:, 6] = (changed[:, 6] + 1) % 11
        found = {"shape": list(logits.shape), "dtype": str(logits.dtype),
                 "causal": bool(torch.allclose(model(source, later)[:, :3], logits[:, :3], rtol=1e-5, atol=1e-6)),
                 "reads source token 6 everywhere": bool(((model(changed, target) - logits).abs().amax(dim=-1) > 1e-6).all()),
                 "source order matters": bool((model(source[:, [1, 0, 2, 3, 4, 5, 6, 7]], target) - logits).abs().max() > 1e-6)}
    found["too long"] = error_name(model, torch.zeros(1, 9, dtype=torch.int64), torch.zeros(1, 2, dtype=torch.int64))
    return found


# --- the shared factories: returned dtypes and documented errors ------------------------------------------

factories.returned_dtype(book, "masked_cross_entropy",
                         lambda: (_randn(131, 3, 4, dtype=torch.float32), _scored(132, 3, vocab=4)),
                         "float32 logits give a float32 loss", rtol=1e-5, atol=1e-6)
factories.returned_dtype(book, "greedy_decode",
                         lambda: (_Counter(vocab=4).eval(), torch.tensor([[1, 2, 3], [0, 0, 0]]), 3),
                         "the written tokens are an int64 tensor")
factories.raises(book, "causal_mask", {"n = -1": lambda: (-1,), "n = 2, window 0": lambda: (2, 0),
                                       "n = 2, window -1": lambda: (2, -1)})
