"""Memory arithmetic: weight bytes, GQA-aware KV-cache bytes, sessions that fit.

Conventions: GB = 1e9 bytes (vendors' memory sizes are decimal for HBM/GDDR datasheets and the
seed study's arithmetic uses 1e9); KiB = 1024 bytes only where the reference quotes it.
"""

from __future__ import annotations

import math

from planner.capacity.defaults import DEFAULT_KV_PRECISION_BITS
from planner.capacity.specs import ModelSpec

GB = 1e9

# Tensor-parallel degrees we consider: attention heads and FFN widths of the models we plan for
# divide evenly by powers of two, and serving stacks (vLLM, TensorRT-LLM) use 1/2/4/8 per node.
TP_DEGREES: tuple[int, ...] = (1, 2, 4, 8)



def weight_bytes(model: ModelSpec, precision_bits: float, weight_overhead: float = 0.0) -> float:
    """Bytes of weights: parameters x bits / 8, plus a format overhead fraction.

    `weight_overhead` models block-quantisation scales, e.g. GGUF Q8_0 stores 8.5 bits per
    weight, so 8-bit with overhead 0.0625; Q4_0 stores 4.5 bits, overhead 0.125.
    """
    if weight_overhead < 0:
        raise ValueError("weight_overhead must be >= 0")
    return model.parameters_b * GB * precision_bits / 8 * (1 + weight_overhead)


def kv_heads_per_device(model: ModelSpec, tp_degree: int = 1) -> int:
    """KV heads each device holds under tensor parallelism.

    With grouped-query attention a KV head cannot be split, so when TP exceeds the KV head
    count the heads are replicated: ceil(kv_heads / tp) (as in microsoft/vidur's planner).
    """
    return math.ceil(model.kv_heads / tp_degree)


def kv_bytes_per_token(
    model: ModelSpec, kv_precision_bits: float = DEFAULT_KV_PRECISION_BITS, tp_degree: int = 1
) -> float:
    """KV-cache bytes one token occupies on one device: 2 (K and V) x layers x KV heads x dim.

    Using `kv_heads` rather than `attention_heads` matters: Llama 3 has 8 KV heads, so a
    calculator that forgets GQA overcounts 3-16x.
    """
    return (
        2
        * model.layers
        * kv_heads_per_device(model, tp_degree)
        * model.head_dim
        * kv_precision_bits
        / 8
    )


def sessions_fitting_in_memory(
    memory_gb: float,
    weight_bytes_per_device: float,
    kv_bytes_per_session_per_device: float,
    memory_margin: float,
) -> int:
    """Whole sessions whose KV cache fits beside the weights; -1 when the weights do not fit.

    The margin reserves room for activations, CUDA graphs and fragmentation (0.10 as in
    vidur's memory planner). -1 lets callers tell "weights do not fit" from "weights fit but
    not even one session's KV cache" (0).
    """
    usable = memory_gb * GB * (1 - memory_margin)
    free = usable - weight_bytes_per_device
    if free < 0:
        return -1
    return math.floor(free / kv_bytes_per_session_per_device)
