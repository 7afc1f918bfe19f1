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

from grader.hidden import ScenarioBook, error_name

book = ScenarioBook()
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
    return [_np(single[0]), _np(single[1]), _np(batched[0])]


@book.scenario("causal_mask")
def causal_visible_cases(causal_mask):
    """the visible test's cases: causal_mask(3) and causal_mask(0)"""
    return [_np(causal_mask(3)), list(causal_mask(0).shape), error_name(causal_mask, -1)]


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
