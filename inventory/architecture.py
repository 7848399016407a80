"""Parameter counts recomputed from a model's architecture figures (docs/catalog.md).

Counts the weight matrices: embeddings, attention (grouped-query or multi-head latent), dense
gated FFNs, experts and their routers. Norms and biases are left out (well under 1 % for every
catalog model). The figures are read off any object with ModelClass's field names, so the same
arithmetic checks seed rows and unsaved forms.
"""
from dataclasses import dataclass
from typing import Protocol


class Architecture(Protocol):
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    vocab_size: int | None
    tied_embeddings: bool
    intermediate_size: int | None
    expert_count: int | None
    experts_per_token: int | None
    shared_expert_count: int
    moe_intermediate_size: int | None
    first_dense_layers: int
    moe_layer_step: int
    kv_lora_rank: int | None
    q_lora_rank: int | None
    qk_rope_head_dim: int | None
    v_head_dim: int | None


@dataclass(frozen=True)
class ParameterCount:
    total: int
    active: int  # per token: used experts, attention, one embedding matrix (the output one)


def attention_parameters(m: Architecture) -> int:
    """Weights of one layer's attention block."""
    h = m.hidden_size
    v_dim = m.v_head_dim or m.head_dim
    if m.kv_lora_rank is None:
        q_k_v = h * m.attention_heads * m.head_dim + h * m.kv_heads * (m.head_dim + v_dim)
        return q_k_v + m.attention_heads * v_dim * h
    # Multi-head latent attention (DeepSeek-V3 config names in comments).
    rope = m.qk_rope_head_dim or 0
    qk_dim = m.head_dim + rope  # qk_nope_head_dim + qk_rope_head_dim
    if m.q_lora_rank:
        query = h * m.q_lora_rank + m.q_lora_rank * m.attention_heads * qk_dim
    else:
        query = h * m.attention_heads * qk_dim
    kv_down = h * (m.kv_lora_rank + rope)  # kv_a_proj_with_mqa
    kv_up = m.kv_lora_rank * m.attention_heads * (m.head_dim + v_dim)  # kv_b_proj
    return query + kv_down + kv_up + m.attention_heads * v_dim * h


def is_moe_layer(m: Architecture, index: int) -> bool:
    if m.expert_count is None or index < m.first_dense_layers:
        return False
    return (index + 1) % (m.moe_layer_step or 1) == 0


def parameter_count(m: Architecture) -> ParameterCount:
    """Total and per-token parameters of a model from its architecture figures."""
    h = m.hidden_size
    gated_ffn = 3  # gate, up and down projections (SwiGLU / GeGLU): every catalog model
    embedding = (m.vocab_size or 0) * h
    total = embedding * (1 if m.tied_embeddings else 2)
    active = embedding
    for index in range(m.layers):
        attention = attention_parameters(m)
        total += attention
        active += attention
        if is_moe_layer(m, index):
            expert = gated_ffn * h * m.moe_intermediate_size
            router = h * m.expert_count
            total += expert * (m.expert_count + m.shared_expert_count) + router
            active += expert * (m.experts_per_token + m.shared_expert_count) + router
        elif m.intermediate_size:
            dense = gated_ffn * h * m.intermediate_size
            total += dense
            active += dense
    return ParameterCount(total=total, active=active)
