"""Memory arithmetic: weight bytes, GQA-aware KV-cache bytes, sessions that fit.

Conventions: GB = 1e9 bytes (vendors' memory sizes are decimal for HBM/GDDR datasheets and the
seed study's arithmetic uses 1e9); KiB = 1024 bytes only where the reference quotes it.
"""

from __future__ import annotations

import math

from planner.capacity.defaults import DEFAULT_KV_PRECISION_BITS
from planner.capacity.specs import ModelSpec
from planner.capacity.workload import Workload

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


# --- sliding-window (local) attention ---------------------------------------------------------
# A local layer attends over only the last W tokens, so it holds and reads at most W tokens of
# KV cache; serving engines free the blocks that fall out of the window (vLLM's hybrid KV cache
# manager, v0.10+; SGLang's SWA memory pool; docs/capacity.md). Every helper below returns the
# full-attention figure itself, the very same float, for a model without a window, so the
# stored calibration and the figures of every other model stay bit for bit.


def attended_tokens(model: ModelSpec, context: float) -> float:
    """KV tokens one layer holds (and a decode step reads) when a sequence is `context` tokens
    long, averaged over the layers: global layers the whole context, local ones at most W.

    Multiplying by `kv_bytes_per_token` (which counts every layer) gives the session's bytes.
    Engines allocate whole blocks, so a local layer really holds up to W + one block (16
    tokens in vLLM) - 1; the model leaves that block out, as it leaves out the partly filled
    last block of a global layer.
    """
    local = model.local_attention_layers
    if not local:
        return context
    window = model.sliding_window_tokens
    held = (model.layers - local) * context + local * min(context, window)  # type: ignore[type-var]
    return held / model.layers


def _mean_clipped(first: float, last: float, window: float) -> float:
    """Mean of min(x, window) for x spread evenly from `first` to `last` (first < last)."""
    if last <= window:
        return (first + last) / 2
    if first >= window:
        return window
    return ((window * window - first * first) / 2 + window * (last - window)) / (last - first)


def mean_attended_tokens(model: ModelSpec, workload: Workload) -> float:
    """`attended_tokens` averaged over a request's life, as the context grows from the prompt
    to prompt + output: the mean KV a session holds under paged attention and a decode step
    reads (`Workload.mean_context_tokens`, input + output / 2, without a window).

    A local layer holds min(position, W) tokens at each position, so its mean is the mean of
    min(x, W) over the request, not min(mean, W): the latter is the larger one (min is
    concave), by up to W/2 when the context crosses W halfway. It is the aggregate that
    matters: many sessions at different stages of their requests hold the mean between them.
    """
    local = model.local_attention_layers
    if not local:
        return workload.mean_context_tokens
    first = float(workload.input_tokens)
    last = first + workload.output_tokens
    windowed = _mean_clipped(first, last, model.sliding_window_tokens)  # type: ignore[arg-type]
    held = (model.layers - local) * workload.mean_context_tokens + local * windowed
    return held / model.layers


def reserved_attended_tokens(model: ModelSpec, workload: Workload) -> float:
    """KV tokens per layer memory must hold for one session under the workload's reservation
    (`Workload.kv_tokens_reserved` without a window): the request's end for "full", its mean
    for "paged"."""
    if not model.local_attention_layers:
        return workload.kv_tokens_reserved
    if workload.kv_reservation == "full":
        return attended_tokens(model, workload.input_tokens + workload.output_tokens)
    return mean_attended_tokens(model, workload)


def prefill_attention_tokens_squared(model: ModelSpec, prompt_tokens: float) -> float:
    """Sum over layers of p^2 for a p-token prefill, the factor causal attention's FLOPs grow
    with (p^2 / 2 query-key pairs per layer, x 4 FLOP per pair and width).

    A local layer's query attends to at most W earlier tokens: W^2 / 2 pairs over the first
    W tokens, then W for each of the other p - W, so p^2 becomes W^2 + 2 W (p - W) = 2pW - W^2.
    """
    p = prompt_tokens
    local = model.local_attention_layers
    if not local:
        return model.layers * p * p
    window = model.sliding_window_tokens
    clipped = p * p if p <= window else 2 * p * window - window * window  # type: ignore[operator]
    return (model.layers - local) * p * p + local * clipped
