"""Plausible wrong answers to lecture 05's exercises; each must fail a hidden scenario.

Graded helpers a mutant calls (``softmax``, ``scaled_dot_product_attention``, ...) are the
reference's here (see ``MutantCatalogue.mutant``), so each mutant isolates one mistake. A
multi-line exercise has one private implementation with keyword switches, defaults meaning
correct (``_greedy_decode(..., feed_back=True)``), or a private base class whose methods a
mutant overrides (``_MHA``); each mutant switches on or overrides only its mistake, and the
demo class pastes a mutant's source with the helpers it uses.
"""
import contextlib
import math

import torch
from torch import nn

from solutions.attention import (MultiHeadAttention, TransformerBlock, causal_mask,  # noqa: F401
                                 positional_encoding, scaled_dot_product_attention, softmax)
from tests.mutants import MutantCatalogue

catalogue = MutantCatalogue("solutions.attention")
mutant = catalogue.mutant


# --- softmax -------------------------------------------------------------------------------------------

def _softmax(x, dim=-1, *, shift_by_max=True, global_max=False, guard=True, shift_in_place=False):
    """softmax with switchable mistakes (shared by the softmax mutants below)."""
    if global_max:
        finite = x[torch.isfinite(x)]
        exps = torch.exp(x - (finite.max() if finite.numel() else 0.0))
    elif not shift_by_max:
        exps = torch.exp(x)
    else:
        shift = x.amax(dim=dim, keepdim=True)
        if guard:  # an all -inf slice is not shifted
            shift = torch.where(torch.isinf(shift), torch.zeros_like(shift), shift)
        if shift_in_place:
            x -= shift
            exps = torch.exp(x)
        else:
            exps = torch.exp(x - shift)
    total = exps.sum(dim=dim, keepdim=True)
    if guard:  # an all -inf slice gives zeros, not 0 / 0
        total = torch.where(total == 0, torch.ones_like(total), total)
    return exps / total


@mutant("softmax", "no shift by the maximum (overflows for large scores)")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x, dim, shift_by_max=False, guard=False)  # the textbook exp(x) / sum, unguarded


@mutant("softmax", "a slice of -inf only gives NaN (no guard)")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x, dim, guard=False)


@mutant("softmax", "subtracts the maximum in place (modifies the input)")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x, dim, shift_in_place=True)


@mutant("softmax", "always normalizes along the last axis (dim ignored)")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x, -1)


@mutant("softmax", "shifts by the global maximum (underflow when rows differ a lot)")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x, dim, global_max=True)


@mutant("softmax", "returns float64 whatever the input dtype")
def softmax(x, dim=-1):  # noqa: F811
    return _softmax(x.double(), dim)


# --- scaled dot-product attention -------------------------------------------------------------------

def _attention(query, key, value, mask=None, *, check_shapes=True, transpose_batch_axes=False, scaled=True,
               scale_by_value_dim=False, scale_without_root=False, finite_fill=False, mask_inverted=False,
               zero_after_softmax=False, softmax_over_queries=False):
    """Scaled dot-product attention with switchable mistakes (shared by the mutants below)."""
    if check_shapes and (query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]):
        raise ValueError("shapes do not fit")
    scores = query @ (key.transpose(0, 1) if transpose_batch_axes else key.transpose(-2, -1))
    if scaled:
        dimension = value.shape[-1] if scale_by_value_dim else query.shape[-1]
        scores = scores / (dimension if scale_without_root else math.sqrt(dimension))
    if mask is not None and not zero_after_softmax:
        scores = scores.masked_fill(mask if mask_inverted else ~mask, -1e4 if finite_fill else float("-inf"))
    weights = softmax(scores, dim=-2 if softmax_over_queries else -1)
    if mask is not None and zero_after_softmax:
        weights = weights * mask
    return weights @ value, weights


@mutant("scaled_dot_product_attention", "no division by sqrt(D_Q)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, scaled=False)


@mutant("scaled_dot_product_attention", "divides by sqrt(D_V) (the values' dimension)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, scale_by_value_dim=True)


@mutant("scaled_dot_product_attention", "divides by D_Q instead of its square root")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, scale_without_root=True)


@mutant("scaled_dot_product_attention", "softmax over the queries (dim=-2) instead of the keys")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, softmax_over_queries=True)


@mutant("scaled_dot_product_attention", "mask convention inverted (True = blocked)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, mask_inverted=True)


@mutant("scaled_dot_product_attention", "masked weights zeroed after the softmax (rows no longer sum to 1)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, zero_after_softmax=True)


@mutant("scaled_dot_product_attention", "keys transposed with .transpose(0, 1) (wrong for batches)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, transpose_batch_axes=True)


@mutant("scaled_dot_product_attention", "no ValueError: torch's own error for mismatched shapes")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, check_shapes=False)


@mutant("scaled_dot_product_attention", "masked scores set to -1e4 instead of -inf (fully masked rows average)")
def scaled_dot_product_attention(query, key, value, mask=None):  # noqa: F811
    return _attention(query, key, value, mask, finite_fill=True)


# --- self-attention ----------------------------------------------------------------------------------

@mutant("self_attention", "queries and keys swapped (Q = X W_K, K = X W_Q)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    return scaled_dot_product_attention(x @ w_k, x @ w_q, x @ w_v, mask)


@mutant("self_attention", "projection matrices transposed (X W^T)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    return scaled_dot_product_attention(x @ w_q.T, x @ w_k.T, x @ w_v.T, mask)


@mutant("self_attention", "mask ignored")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v)


@mutant("self_attention", "the values are the inputs themselves (W_V unused when shapes allow)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    values = x if w_v.shape[0] == w_v.shape[1] else x @ w_v
    return scaled_dot_product_attention(x @ w_q, x @ w_k, values, mask)


def _padding(x, lengths):
    if x.dim() != 3 or tuple(lengths.shape) != (x.shape[0],) or (lengths < 1).any() or (lengths > x.shape[1]).any():
        raise ValueError("lengths")
    return torch.arange(x.shape[1]) < lengths[:, None]


@mutant("self_attention", "the padding masked as queries (rows) instead of as keys (columns)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    if lengths is not None:
        present = _padding(x, lengths)[:, :, None]
        mask = present if mask is None else mask & present
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask)


@mutant("self_attention", "the given mask dropped when lengths are given")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    if lengths is not None:
        mask = _padding(x, lengths)[:, None, :]
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask)


@mutant("self_attention", "one padding position too many allowed (j <= length)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    if lengths is not None:
        present = (_padding(x, lengths) | (torch.arange(x.shape[1]) == lengths[:, None]))[:, None, :]
        mask = present if mask is None else mask & present
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask)


@mutant("self_attention", "no check of the lengths (a length beyond N or of 0 accepted)")
def self_attention(x, w_q, w_k, w_v, mask=None, lengths=None):  # noqa: F811
    if lengths is not None:
        present = (torch.arange(x.shape[1]) < lengths[:, None])[:, None, :]
        mask = present if mask is None else mask & present
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask)


# --- causal mask --------------------------------------------------------------------------------------

@mutant("causal_mask", "the diagonal excluded (a position cannot see itself)")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0:
        raise ValueError("negative length")
    return torch.ones(n, n, dtype=torch.bool).tril(diagonal=-1)


@mutant("causal_mask", "upper triangle: the future is allowed, the past blocked")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0:
        raise ValueError("negative length")
    return torch.ones(n, n, dtype=torch.bool).triu()


@mutant("causal_mask", "float ones and zeros instead of booleans")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0:
        raise ValueError("negative length")
    return torch.ones(n, n).tril()


@mutant("causal_mask", "torch's MultiheadAttention convention (True = blocked)")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0:
        raise ValueError("negative length")
    return torch.ones(n, n, dtype=torch.bool).triu(diagonal=1)


@mutant("causal_mask", "the window ignored (every earlier position allowed)")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0 or (window is not None and window < 1):
        raise ValueError("bad arguments")
    return torch.ones(n, n, dtype=torch.bool).tril()


@mutant("causal_mask", "the window one too wide (i - j <= window)")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0 or (window is not None and window < 1):
        raise ValueError("bad arguments")
    lag = torch.arange(n)[:, None] - torch.arange(n)[None, :]
    return (lag >= 0) & (lag <= (n if window is None else window))


@mutant("causal_mask", "no ValueError for a window of 0")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0:
        raise ValueError("negative length")
    lag = torch.arange(n)[:, None] - torch.arange(n)[None, :]
    return (lag >= 0) & (lag < (n + 1 if window is None else window))


@mutant("causal_mask", "the window counted from the start of the sequence (j < window), not back from i")
def causal_mask(n, window=None):  # noqa: F811
    if n < 0 or (window is not None and window < 1):
        raise ValueError("bad arguments")
    allowed = torch.ones(n, n, dtype=torch.bool).tril()
    if window is not None:
        allowed[:, window:] = False
    return allowed


@mutant("causal_mask", "no ValueError for a negative length")
def causal_mask(n, window=None):  # noqa: F811
    return torch.ones(max(n, 0), max(n, 0), dtype=torch.bool).tril()


# --- positional encoding --------------------------------------------------------------------------------

def _angles(n_positions, dim, base, start=0, exponent=2.0):
    if dim < 1 or n_positions < 0:
        raise ValueError("bad sizes")
    position = torch.arange(start, start + n_positions, dtype=torch.float64)[:, None]
    return position * base ** (-exponent * torch.arange((dim + 1) // 2, dtype=torch.float64) / dim)


def _interleave(first, second, dim):
    encoding = torch.zeros(first.shape[0], dim, dtype=torch.float64)
    encoding[:, 0::2] = first
    encoding[:, 1::2] = second[:, : dim // 2]
    return encoding.float()


@mutant("positional_encoding", "sine and cosine swapped")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base)
    return _interleave(torch.cos(angles), torch.sin(angles), dim)


@mutant("positional_encoding", "exponent i / dim instead of 2i / dim")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base, exponent=1.0)
    return _interleave(torch.sin(angles), torch.cos(angles), dim)


@mutant("positional_encoding", "all sines first, then all cosines (not interleaved)")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base)
    return torch.cat([torch.sin(angles), torch.cos(angles)[:, : dim // 2]], dim=1).float()


@mutant("positional_encoding", "positions counted from 1")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base, start=1)
    return _interleave(torch.sin(angles), torch.cos(angles), dim)


@mutant("positional_encoding", "returns float64")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base)
    return _interleave(torch.sin(angles), torch.cos(angles), dim).double()


@mutant("positional_encoding", "computed in float32 (inaccurate at far positions)")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base).float()
    return _interleave(torch.sin(angles).double(), torch.cos(angles).double(), dim)


@mutant("positional_encoding", "only even dimensions work (odd ones raise an error)")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, base)[:, : dim // 2]
    return torch.stack([torch.sin(angles), torch.cos(angles)], dim=2).reshape(n_positions, dim).float()


@mutant("positional_encoding", "the base argument ignored (always 10000)")
def positional_encoding(n_positions, dim, base=10000.0):  # noqa: F811
    angles = _angles(n_positions, dim, 10000.0)
    return _interleave(torch.sin(angles), torch.cos(angles), dim)


# --- multi-head attention -------------------------------------------------------------------------------

class _MHA(nn.Module):
    """The reference's parameters, with each stage of forward a method, so a mutant overrides only its mistake."""

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError("embed_dim not divisible by num_heads")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def project(self, x, index):
        """The queries (index 0), keys (1) or values (2)."""
        weight = self.in_proj_weight.chunk(3)[index]
        return x @ weight.T + self.in_proj_bias.chunk(3)[index]

    def split(self, x):
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, -1).transpose(1, 2)

    def merge(self, x):
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], self.embed_dim)

    def output(self, out):
        return self.out_proj(self.merge(out))

    def forward(self, query, key, value, mask=None):
        out, weights = scaled_dot_product_attention(self.split(self.project(query, 0)),
                                                    self.split(self.project(key, 1)),
                                                    self.split(self.project(value, 2)), mask)
        return self.output(out), weights


@mutant("MultiHeadAttention", "heads split by reshaping to (B, H, N, D_h) without a transpose")
class MultiHeadAttention(_MHA):  # noqa: F811
    def split(self, x):
        return x.reshape(x.shape[0], self.num_heads, x.shape[1], -1)

    def merge(self, x):
        return x.reshape(x.shape[0], x.shape[2], self.embed_dim)


@mutant("MultiHeadAttention", "scores divided by sqrt(E) instead of sqrt(D_h)")
class MultiHeadAttention(_MHA):  # noqa: F811
    def project(self, x, index):
        projected = super().project(x, index)
        if index == 0:  # queries scaled so that the scores come out divided by sqrt(E)
            return projected * (math.sqrt(self.embed_dim // self.num_heads) / math.sqrt(self.embed_dim))
        return projected


@mutant("MultiHeadAttention", "output projection forgotten")
class MultiHeadAttention(_MHA):  # noqa: F811
    def output(self, out):
        return self.merge(out)


@mutant("MultiHeadAttention", "weights averaged over the heads")
class MultiHeadAttention(_MHA):  # noqa: F811
    def forward(self, query, key, value, mask=None):
        out, weights = super().forward(query, key, value, mask)
        return out, weights.mean(dim=1)


@mutant("MultiHeadAttention", "in_proj_weight applied without the transpose (x W instead of x W^T)")
class MultiHeadAttention(_MHA):  # noqa: F811
    def project(self, x, index):
        return x @ self.in_proj_weight.chunk(3)[index] + self.in_proj_bias.chunk(3)[index]


@mutant("MultiHeadAttention", "mask passed on inverted, as for torch's MultiheadAttention")
class MultiHeadAttention(_MHA):  # noqa: F811
    def forward(self, query, key, value, mask=None):
        return super().forward(query, key, value, None if mask is None else ~mask)


@mutant("MultiHeadAttention", "the key projection used for the values too")
class MultiHeadAttention(_MHA):  # noqa: F811
    def project(self, x, index):
        return super().project(x, 1 if index == 2 else index)


@mutant("MultiHeadAttention", "no ValueError when embed_dim is not divisible by num_heads")
class MultiHeadAttention(_MHA):  # noqa: F811
    def __init__(self, embed_dim, num_heads):
        super().__init__(embed_dim, embed_dim)
        self.num_heads = num_heads


@mutant("MultiHeadAttention", "in_proj_weight initialized like nn.Linear, biases random")
class MultiHeadAttention(_MHA):  # noqa: F811
    def __init__(self, embed_dim, num_heads):
        super().__init__(embed_dim, num_heads)
        self.in_proj_weight = nn.Parameter(nn.Linear(embed_dim, 3 * embed_dim).weight.detach().clone())
        self.in_proj_bias = nn.Parameter(torch.randn(3 * embed_dim) * 0.1)


@mutant("MultiHeadAttention", "projected queries detached (no gradient to W_q)")
class MultiHeadAttention(_MHA):  # noqa: F811
    def project(self, x, index):
        projected = super().project(x, index)
        return projected.detach() if index == 0 else projected


# --- transformer block ------------------------------------------------------------------------------------

class _Block(nn.Module):
    def __init__(self, embed_dim, num_heads, mlp_dim):
        super().__init__()
        self.attention = MultiHeadAttention(embed_dim, num_heads)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim, mlp_dim), nn.ReLU(), nn.Linear(mlp_dim, embed_dim))

    def attend(self, x, mask):
        return self.attention(x, x, x, mask)[0]


@mutant("TransformerBlock", "post-norm: layer norm after each residual addition")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask))
        return self.norm2(x + self.mlp(x))


@mutant("TransformerBlock", "no residual connection around the attention")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        x = self.attend(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


@mutant("TransformerBlock", "the residual adds the normalized x instead of x")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        normed = self.norm1(x)
        x = normed + self.attend(normed, mask)
        return x + self.mlp(self.norm2(x))


@mutant("TransformerBlock", "norm1 used before the MLP too (norm2 unused)")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        x = x + self.attend(self.norm1(x), mask)
        return x + self.mlp(self.norm1(x))


@mutant("TransformerBlock", "mask not passed to the attention")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        x = x + self.attend(self.norm1(x), None)
        return x + self.mlp(self.norm2(x))


@mutant("TransformerBlock", "attention and MLP applied in parallel to the same input")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        return x + self.attend(self.norm1(x), mask) + self.mlp(self.norm2(x))


@mutant("TransformerBlock", "residual added in place (x += ..., modifies the input)")
class TransformerBlock(_Block):  # noqa: F811
    def forward(self, x, mask=None):
        x += self.attend(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


# --- tiny transformer -------------------------------------------------------------------------------------

class _Tiny(nn.Module):
    """The reference's modules; its forward is _tiny_forward with no mistake switched on."""

    def __init__(self, vocab_size, max_len, embed_dim=64, num_heads=4, mlp_dim=128, num_layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.register_buffer("positions", positional_encoding(max_len, embed_dim), persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(embed_dim, num_heads, mlp_dim) for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size)

    def forward(self, tokens):
        return _tiny_forward(self, tokens)


def _tiny_forward(model, tokens, *, check_length=True, scaled_embeddings=False, positions=True, causal=True,
                  all_blocks=True, final_norm=True):
    """The decoder-only forward pass with switchable mistakes (shared by the TinyTransformer mutants below)."""
    if check_length and tokens.shape[1] > model.positions.shape[0]:
        raise ValueError("too long")
    x = model.embedding(tokens)
    if not check_length:  # without the check, a longer sequence is cut to max_len
        x = x[:, : model.positions.shape[0]]
    if scaled_embeddings:
        x = x * math.sqrt(model.embedding.embedding_dim)
    if positions:
        x = x + model.positions[: tokens.shape[1]]
    mask = causal_mask(x.shape[1]) if causal else None
    for block in model.blocks if all_blocks else model.blocks[:1]:
        x = block(x, mask)
    return model.head(model.norm(x) if final_norm else x)


@mutant("TinyTransformer", "no positional encodings added")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, positions=False)


@mutant("TinyTransformer", "no causal mask (positions see the future)")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, causal=False)


@mutant("TinyTransformer", "final layer norm skipped")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, final_norm=False)


@mutant("TinyTransformer", "only the first block applied")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, all_blocks=False)


@mutant("TinyTransformer", "positions stored as a parameter (learned, in the state dict)")
class TinyTransformer(_Tiny):  # noqa: F811
    def __init__(self, vocab_size, max_len, embed_dim=64, num_heads=4, mlp_dim=128, num_layers=2):
        super().__init__(vocab_size, max_len, embed_dim, num_heads, mlp_dim, num_layers)
        del self.positions
        self.positions = nn.Parameter(positional_encoding(max_len, embed_dim))


@mutant("TinyTransformer", "no ValueError for a sequence longer than max_len")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, check_length=False)


@mutant("TinyTransformer", "embeddings scaled by sqrt(embed_dim) (as in the original paper, not asked here)")
class TinyTransformer(_Tiny):  # noqa: F811
    def forward(self, tokens):
        return _tiny_forward(self, tokens, scaled_embeddings=True)


# --- masked cross-entropy -------------------------------------------------------------------------------

def _scored_targets(logits, targets, ignore_index, *, check_shape=True):
    if check_shape and tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError("shapes")
    scored = targets != ignore_index
    if not scored.any():
        raise ValueError("nothing scored")
    if targets[scored].min() < 0 or targets[scored].max() >= logits.shape[-1]:
        raise ValueError("range")
    return scored


@mutant("masked_cross_entropy", "divides by every position, ignored ones included")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    scored = _scored_targets(logits, targets, ignore_index)
    rows, chosen = logits[scored], targets[scored]
    losses = torch.logsumexp(rows, dim=-1) - rows.gather(1, chosen[:, None])[:, 0]
    return losses.sum() / targets.numel()


@mutant("masked_cross_entropy", "no shift by the maximum (overflows at logits of 1000)")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    scored = _scored_targets(logits, targets, ignore_index)
    rows, chosen = logits[scored], targets[scored]
    return (torch.log(torch.exp(rows).sum(dim=-1)) - rows.gather(1, chosen[:, None])[:, 0]).mean()


@mutant("masked_cross_entropy", "ignores -100 whatever ignore_index says")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    scored = _scored_targets(logits, targets, -100)
    rows, chosen = logits[scored], targets[scored]
    return (torch.logsumexp(rows, dim=-1) - rows.gather(1, chosen[:, None])[:, 0]).mean()


@mutant("masked_cross_entropy", "returns a Python float (no gradient)")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    scored = _scored_targets(logits, targets, ignore_index)
    rows, chosen = logits[scored], targets[scored]
    return (torch.logsumexp(rows, dim=-1) - rows.gather(1, chosen[:, None])[:, 0]).mean().item()


@mutant("masked_cross_entropy", "no shape check: targets that broadcast are accepted")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    targets = targets.expand(logits.shape[:-1]) if targets.dim() == logits.dim() - 1 else targets[..., 0]
    scored = _scored_targets(logits, targets, ignore_index, check_shape=False)
    rows, chosen = logits[scored], targets[scored]
    return (torch.logsumexp(rows, dim=-1) - rows.gather(1, chosen[:, None])[:, 0]).mean()


@mutant("masked_cross_entropy", "no error when every position is ignored (returns NaN)")
def masked_cross_entropy(logits, targets, ignore_index=-100):  # noqa: F811
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError("shapes")
    scored = targets != ignore_index
    rows, chosen = logits[scored], targets[scored].clamp(0, logits.shape[-1] - 1)
    return (torch.logsumexp(rows, dim=-1) - rows.gather(1, chosen[:, None])[:, 0]).mean()


# --- greedy decoding -----------------------------------------------------------------------------------

def _greedy_decode(model, prefix, n_new, *, eval_mode=True, restore_mode=True, no_grad=True, feed_back=True,
                   last_position=True, include_prefix=False):
    """The decoding loop with switchable mistakes (shared by the greedy_decode mutants below)."""
    if n_new < 0 or prefix.dim() != 2 or prefix.shape[1] == 0:
        raise ValueError("bad arguments")
    is_module = isinstance(model, nn.Module)
    was_training = is_module and model.training
    if is_module and eval_mode:
        model.eval()
    tokens = prefix
    with torch.no_grad() if no_grad else contextlib.nullcontext():
        for _ in range(n_new):
            logits = model(tokens if feed_back else prefix)
            next_token = logits[:, -1 if last_position else 0].argmax(dim=-1, keepdim=True)
            tokens = torch.cat([tokens, next_token], dim=1)
    if is_module and eval_mode and restore_mode:
        model.train(was_training)
    return tokens if include_prefix else tokens[:, prefix.shape[1]:]


@mutant("greedy_decode", "feeds only the prefix at every step (the written tokens are not fed back)")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, feed_back=False)


@mutant("greedy_decode", "decodes in the model's current mode (no eval)")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, eval_mode=False)


@mutant("greedy_decode", "leaves the model in eval mode")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, restore_mode=False)


@mutant("greedy_decode", "returns the prefix with the new tokens")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, include_prefix=True)


@mutant("greedy_decode", "records gradients while decoding")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, no_grad=False)


@mutant("greedy_decode", "reads the logits of the first position, not the last")
def greedy_decode(model, prefix, n_new):  # noqa: F811
    return _greedy_decode(model, prefix, n_new, last_position=False)


# --- the encoder-decoder -------------------------------------------------------------------------------

class _EncoderDecoder(nn.Module):
    """The reference's modules; its forward is _encoder_decoder_forward with no mistake switched on."""

    def __init__(self, vocab_size, max_len, embed_dim=64, num_heads=4, mlp_dim=128, num_layers=2):
        super().__init__()
        self.max_len = max_len
        self.source_embedding = nn.Embedding(vocab_size, embed_dim)
        self.target_embedding = nn.Embedding(vocab_size, embed_dim)
        self.register_buffer("positions", positional_encoding(max_len, embed_dim), persistent=False)
        self.encoder = nn.ModuleList(TransformerBlock(embed_dim, num_heads, mlp_dim) for _ in range(num_layers))
        self.encoder_norm = nn.LayerNorm(embed_dim)
        self.decoder = nn.ModuleList(nn.ModuleDict({
            "norm1": nn.LayerNorm(embed_dim), "self_attention": MultiHeadAttention(embed_dim, num_heads),
            "norm2": nn.LayerNorm(embed_dim), "cross_attention": MultiHeadAttention(embed_dim, num_heads),
            "norm3": nn.LayerNorm(embed_dim),
            "mlp": nn.Sequential(nn.Linear(embed_dim, mlp_dim), nn.ReLU(), nn.Linear(mlp_dim, embed_dim)),
        }) for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size)

    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target)


def _encoder_decoder_forward(model, source, target, *, check_lengths=True, source_positions=True,
                             detach_memory=False, last_state_only=False, target_positions=True, causal=True,
                             cross_reads_source=True, causal_cross_attention=False, probabilities=False):
    """The encoder-decoder's forward pass with switchable mistakes (shared by the mutants below)."""
    if check_lengths:
        if max(source.shape[1], target.shape[1]) > model.max_len or source.shape[0] != target.shape[0]:
            raise ValueError("lengths")
    else:  # without the check, sequences are cut to max_len
        source, target = source[:, : model.max_len], target[:, : model.max_len]
        if source.shape[0] != target.shape[0]:
            raise ValueError("batches")
    memory = model.source_embedding(source)
    if source_positions:
        memory = memory + model.positions[: source.shape[1]]
    for block in model.encoder:
        memory = block(memory)
    memory = model.encoder_norm(memory)
    if detach_memory:
        memory = memory.detach()
    if last_state_only:
        memory = memory[:, -1:]
    x = model.target_embedding(target)
    if target_positions:
        x = x + model.positions[: target.shape[1]]
    if not cross_reads_source:  # the decoder's own (embedded) input stands in for the encoder's output
        memory = x
    mask = causal_mask(target.shape[1]) if causal else None
    cross_mask = None
    if causal_cross_attention:
        cross_mask = torch.ones(target.shape[1], source.shape[1], dtype=torch.bool).tril()
    for block in model.decoder:
        normed = block["norm1"](x)
        x = x + block["self_attention"](normed, normed, normed, mask)[0]
        x = x + block["cross_attention"](block["norm2"](x), memory, memory, cross_mask)[0]
        x = x + block["mlp"](block["norm3"](x))
    logits = model.head(model.norm(x))
    return logits.softmax(dim=-1) if probabilities else logits


@mutant("EncoderDecoder", "no causal mask in the decoder's self-attention")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, causal=False)


@mutant("EncoderDecoder", "no positional encoding on the source")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, source_positions=False)


@mutant("EncoderDecoder", "cross-attention reads the decoder's own states (the source is never seen)")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, cross_reads_source=False)


@mutant("EncoderDecoder", "no positional encoding on the target")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, target_positions=False)


@mutant("EncoderDecoder", "returns probabilities (a softmax at the end), not logits")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, probabilities=True)


@mutant("EncoderDecoder", "no ValueError for sequences longer than max_len")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, check_lengths=False)


@mutant("EncoderDecoder", "the causal mask reused on cross-attention (target t reads source positions <= t only)")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, causal_cross_attention=True)


@mutant("EncoderDecoder", "the encoder's output detached: the encoder never learns")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, detach_memory=True)


@mutant("EncoderDecoder", "the decoder reads the last encoder state only (the seq2seq bottleneck)")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def forward(self, source, target):
        return _encoder_decoder_forward(self, source, target, last_state_only=True)


@mutant("EncoderDecoder", "num_layers sets the encoder's depth only; the decoder has one layer")
class EncoderDecoder(_EncoderDecoder):  # noqa: F811
    def __init__(self, vocab_size, max_len, embed_dim=64, num_heads=4, mlp_dim=128, num_layers=2):
        super().__init__(vocab_size, max_len, embed_dim, num_heads, mlp_dim, num_layers)
        del self.decoder[1:]
