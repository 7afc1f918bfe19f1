"""Reference solutions for lecture 05, attention and transformers."""
from __future__ import annotations

import math

import torch
from torch import nn


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax of ``x`` along ``dim``; all -inf slices give zeros."""
    shift = x.amax(dim=dim, keepdim=True)
    shift = torch.where(torch.isinf(shift), torch.zeros_like(shift), shift)
    exps = torch.exp(x - shift)
    total = exps.sum(dim=dim, keepdim=True)
    return exps / torch.where(total == 0, torch.ones_like(total), total)


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention; returns the outputs and the attention weights."""
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"queries have dimension {query.shape[-1]} but keys {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{key.shape[-2]} keys but {value.shape[-2]} values")
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)
    return weights @ value, weights


def self_attention(x: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor,
                   mask: torch.Tensor | None = None,
                   lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Self-attention of the rows of ``x`` (Q = X W_Q, K = X W_K, V = X W_V); with ``lengths``,
    the padding after each sequence's length is never attended to."""
    if lengths is not None:
        if x.dim() != 3 or tuple(lengths.shape) != (x.shape[0],):
            raise ValueError(f"lengths of shape {tuple(lengths.shape)} for inputs of shape {tuple(x.shape)}")
        if (lengths < 1).any() or (lengths > x.shape[1]).any():
            raise ValueError(f"lengths must lie in 1..{x.shape[1]}")
        present = (torch.arange(x.shape[1]) < lengths[:, None])[:, None, :]
        mask = present if mask is None else mask & present
    return scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask)


def causal_mask(n: int, window: int | None = None) -> torch.Tensor:
    """Boolean (n, n) mask, True where query i may attend to key j: j <= i, and i - j < window if given."""
    if n < 0:
        raise ValueError(f"a sequence cannot have {n} positions")
    if window is not None and window < 1:
        raise ValueError(f"a window must hold at least the position itself, not {window}")
    lag = torch.arange(n)[:, None] - torch.arange(n)[None, :]
    allowed = lag >= 0
    if window is not None:
        allowed &= lag < window
    return allowed


def positional_encoding(n_positions: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """Sinusoidal positional encodings, a float32 tensor of shape (n_positions, dim)."""
    if dim < 1 or n_positions < 0:
        raise ValueError(f"cannot build {n_positions} positional encodings of dimension {dim}")
    position = torch.arange(n_positions, dtype=torch.float64)[:, None]
    frequency = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = position * frequency
    encoding = torch.zeros(n_positions, dim, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles[:, : dim // 2])
    return encoding.float()


class MultiHeadAttention(nn.Module):
    """Multi-head attention with torch.nn.MultiheadAttention's parameters and results."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)

        def heads(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            batch, length, _ = x.shape
            projected = x @ weight.T + bias
            return projected.reshape(batch, length, self.num_heads, -1).transpose(1, 2)

        outputs, weights = scaled_dot_product_attention(heads(query, w_q, b_q), heads(key, w_k, b_k),
                                                        heads(value, w_v, b_v), mask)
        merged = outputs.transpose(1, 2).reshape(query.shape[0], query.shape[1], self.embed_dim)
        return self.out_proj(merged), weights


class TransformerBlock(nn.Module):
    """A pre-norm transformer block: self-attention and an MLP, each with a residual connection."""

    def __init__(self, embed_dim: int, num_heads: int, mlp_dim: int):
        super().__init__()
        self.attention = MultiHeadAttention(embed_dim, num_heads)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim, mlp_dim), nn.ReLU(), nn.Linear(mlp_dim, embed_dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        normed = self.norm1(x)
        x = x + self.attention(normed, normed, normed, mask)[0]
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    """A decoder-only transformer: embeddings plus sinusoidal positions, causal blocks, logits."""

    def __init__(self, vocab_size: int, max_len: int, embed_dim: int = 64, num_heads: int = 4,
                 mlp_dim: int = 128, num_layers: int = 2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.register_buffer("positions", positional_encoding(max_len, embed_dim), persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(embed_dim, num_heads, mlp_dim) for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        if length > self.positions.shape[0]:
            raise ValueError(f"sequences of {length} tokens are longer than max_len {self.positions.shape[0]}")
        x = self.embedding(tokens) + self.positions[:length]
        mask = causal_mask(length).to(tokens.device)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.norm(x))


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean cross-entropy over the positions whose target is not ``ignore_index``."""
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"targets of shape {tuple(targets.shape)} do not match logits of shape {tuple(logits.shape)}")
    scored = targets != ignore_index
    if not scored.any():
        raise ValueError("no position has a target to score")
    chosen = targets[scored]
    if chosen.min() < 0 or chosen.max() >= logits.shape[-1]:
        raise ValueError(f"targets must lie in 0..{logits.shape[-1] - 1} or equal {ignore_index}")
    rows = logits[scored]
    shift = rows.amax(dim=-1, keepdim=True).detach()
    log_norm = torch.log(torch.exp(rows - shift).sum(dim=-1)) + shift[:, 0]
    return (log_norm - rows.gather(1, chosen[:, None])[:, 0]).mean()


def greedy_decode(model, prefix: torch.Tensor, n_new: int) -> torch.Tensor:
    """Append ``n_new`` tokens to ``prefix``, each the most likely next token; return the new ones."""
    if n_new < 0:
        raise ValueError(f"cannot write {n_new} tokens")
    if prefix.dim() != 2 or prefix.shape[1] == 0:
        raise ValueError(f"the prefix must have shape (B, N) with N >= 1, not {tuple(prefix.shape)}")
    is_module = isinstance(model, nn.Module)
    was_training = is_module and model.training
    if is_module:
        model.eval()
    tokens = prefix
    try:
        with torch.no_grad():
            for _ in range(n_new):
                next_token = model(tokens)[:, -1].argmax(dim=-1, keepdim=True)
                tokens = torch.cat([tokens, next_token], dim=1)
    finally:
        if is_module:
            model.train(was_training)
    return tokens[:, prefix.shape[1]:]


class EncoderDecoder(nn.Module):
    """A transformer encoder-decoder: the decoder reads the encoder's output by cross-attention."""

    def __init__(self, vocab_size: int, max_len: int, embed_dim: int = 64, num_heads: int = 4,
                 mlp_dim: int = 128, num_layers: int = 2):
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

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        n_source, n_target = source.shape[1], target.shape[1]
        if max(n_source, n_target) > self.max_len:
            raise ValueError(f"sequences of {n_source} and {n_target} tokens: at most {self.max_len} allowed")
        if source.shape[0] != target.shape[0]:
            raise ValueError(f"{source.shape[0]} sources but {target.shape[0]} targets")
        memory = self.source_embedding(source) + self.positions[:n_source]
        for block in self.encoder:
            memory = block(memory)
        memory = self.encoder_norm(memory)
        x = self.target_embedding(target) + self.positions[:n_target]
        mask = causal_mask(n_target).to(target.device)
        for block in self.decoder:
            normed = block["norm1"](x)
            x = x + block["self_attention"](normed, normed, normed, mask)[0]
            x = x + block["cross_attention"](block["norm2"](x), memory, memory)[0]
            x = x + block["mlp"](block["norm3"](x))
        return self.head(self.norm(x))
