"""Decode-step roofline for one model replica under continuous batching.

With continuous batching every active session gets one token per decode step, so per-session
tokens/s = 1 / step time, and

    step(b) = max(compute(b), bytes(b) / (bandwidth x bw_eff)) + tp_comm(b)

where, per device of a replica with TP degree t,
    compute(b)  = 2 x params / t x b / (peak TFLOPS at the precision x compute_eff)
    bytes(b)    = weights / t (read once per step) + b x KV bytes of one session (full context;
                  sliding-window layers at most their window)
    tp_comm(b)  = 2 (t-1)/t x layers x 2 all-reduces x hidden x b x 2 B / interconnect
                  + layers x 2 x 5 us latency                      (only when t > 1)

Every term is non-decreasing and linear in b, so "largest b meeting the SLO" is a monotone
search, and since max(x, y) + c <= T iff x + c <= T and y + c <= T, the batch the SLO allows
is the minimum of the batch the bandwidth term allows and the batch the compute term allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from planner.capacity.defaults import DEFAULT_CONTEXT_TOKENS
from planner.capacity.memory import (
    attended_tokens,
    kv_bytes_per_token,
    sessions_fitting_in_memory,
    weight_bytes,
)
from planner.capacity.specs import AcceleratorSpec, ModelSpec, ServerSpec

# Defaults from cli99/llm-analysis (0.7 of peak FLOPS; memory up to 0.9 of peak bandwidth,
# we take 0.8 to stay on the cautious side of what vLLM/TensorRT-LLM decode kernels reach).
GPU_DEFAULT_BANDWIDTH_EFFICIENCY = 0.8
GPU_DEFAULT_COMPUTE_EFFICIENCY = 0.7
# CPUs: deliberately low. The seed study's measured AmpereOne sessions sit far below the CPU's
# bandwidth roofline (llama.cpp-style batching, attention over the KV cache, thread sync), so
# peak-based figures would promise several times too much. These are rounded from a
# least-squares fit to the seed's three AmpereOne figures at the default 4,096-token context
# (bandwidth 0.43, compute 0.041); `fit_efficiencies`, fed by measured profiles, replaces them.
CPU_DEFAULT_BANDWIDTH_EFFICIENCY = 0.4
CPU_DEFAULT_COMPUTE_EFFICIENCY = 0.04

# No NVLink given: PCIe Gen5 x16 moves about 64 GB/s per direction.
DEFAULT_INTERCONNECT_GBPS = 64.0
# Per all-reduce launch + synchronisation latency (NCCL small-message latency is a few us).
ALL_REDUCE_LATENCY_S = 5e-6
ALL_REDUCES_PER_LAYER = 2  # one after attention, one after the MLP (Megatron-style TP)
ACTIVATION_BYTES = 2  # activations travel at 16-bit whatever the weight precision

# Upper bound for batch searches: far above anything memory allows, keeps searches finite.
BATCH_CAP = 1_000_000_000


class Efficiencies(NamedTuple):
    """Fractions of peak memory bandwidth and peak compute a decode step achieves."""

    bandwidth: float
    compute: float


class StepTime(NamedTuple):
    """Decode step time for a batch, split into its terms (seconds)."""

    compute_s: float
    memory_s: float
    comm_s: float

    @property
    def total_s(self) -> float:
        return max(self.compute_s, self.memory_s) + self.comm_s


def default_efficiencies(kind: str) -> Efficiencies:
    """Documented defaults for an accelerator kind."""
    if kind == "cpu":
        return Efficiencies(CPU_DEFAULT_BANDWIDTH_EFFICIENCY, CPU_DEFAULT_COMPUTE_EFFICIENCY)
    return Efficiencies(GPU_DEFAULT_BANDWIDTH_EFFICIENCY, GPU_DEFAULT_COMPUTE_EFFICIENCY)


def resolve_efficiencies(accelerator: AcceleratorSpec) -> Efficiencies:
    """The accelerator's own (calibrated) efficiencies, each falling back to the default."""
    default = default_efficiencies(accelerator.kind)
    return Efficiencies(
        accelerator.bandwidth_efficiency or default.bandwidth,
        accelerator.compute_efficiency or default.compute,
    )


def peak_bandwidth_gbps(accelerator: AcceleratorSpec) -> float:
    """Peak memory bandwidth. CPUs with channels and MT/s: channels x MT/s x 8 bytes."""
    if accelerator.kind == "cpu" and accelerator.memory_channels and accelerator.memory_mts:
        return accelerator.memory_channels * accelerator.memory_mts * 8 / 1000
    return accelerator.memory_bandwidth_gbps


def peak_tflops(accelerator: AcceleratorSpec, precision_bits: float) -> float:
    """Dense peak TFLOPS usable for weights at `precision_bits`.

    - <= 8 bits: the 8-bit rate (4-bit too: there is no 4-bit field, and W4 kernels dequantise
      to 8 or 16 bits), but never below the 16-bit rate, since 8-bit weights can always be
      run through 16-bit units; this also keeps "lower precision never lowers capacity" true.
    - 9-16 bits: the 16-bit rate; above 16 bits: half of it (TF32/FP32 paths).
    CPUs with cores, clock and vector FLOP/cycle: 16-bit peak = cores x GHz x FLOP/cycle, and
    8-bit twice that (int8 dot-product instructions), overriding the TFLOPS fields.
    """
    acc = accelerator
    if acc.kind == "cpu" and acc.cores and acc.clock_ghz and acc.vector_flops_per_cycle:
        rate_16 = acc.cores * acc.clock_ghz * acc.vector_flops_per_cycle / 1000
        rate_8 = 2 * rate_16
    else:
        rate_16, rate_8 = acc.tflops_16, acc.tflops_8
    if precision_bits <= 8:
        rate = max(rate_8, rate_16)
    elif precision_bits <= 16:
        rate = rate_16
    else:
        rate = rate_16 / 2
    if rate <= 0:
        raise ValueError(f"{acc.name}: no compute figure for {precision_bits}-bit weights")
    return rate


@dataclass(frozen=True)
class ReplicaShape:
    """One model replica's per-device figures: `tp_degree` accelerators, or one MIG slice.

    All byte and FLOP figures are per device (per slice under MIG); the server holds
    `replicas_per_server` identical replicas.
    """

    tp_degree: int
    mig_slices_per_accelerator: int
    replicas_per_server: int
    memory_gb: float
    bandwidth_gbps: float
    tflops: float
    interconnect_gbps: float
    efficiencies: Efficiencies
    weight_bytes_per_device: float
    kv_bytes_per_session_per_device: float
    flops_per_token_per_device: float
    comm_bytes_per_token: float
    comm_latency_s: float

    def step_time(self, batch: float) -> StepTime:
        """Decode step time with `batch` active sessions (float allowed, for fitting)."""
        compute = (
            batch
            * self.flops_per_token_per_device
            / (self.tflops * 1e12 * self.efficiencies.compute)
        )
        moved = self.weight_bytes_per_device + batch * self.kv_bytes_per_session_per_device
        memory = moved / (self.bandwidth_gbps * 1e9 * self.efficiencies.bandwidth)
        comm = 0.0
        if self.tp_degree > 1:
            comm = batch * self.comm_bytes_per_token / (self.interconnect_gbps * 1e9)
            comm += self.comm_latency_s
        return StepTime(compute, memory, comm)

    def tokens_per_second_per_session(self, batch: float) -> float:
        """Each active session gets one token per step."""
        return 1.0 / self.step_time(batch).total_s

    def memory_limit(self, memory_margin: float) -> int:
        """Sessions per replica the memory holds; -1 when the weights do not fit."""
        return sessions_fitting_in_memory(
            self.memory_gb,
            self.weight_bytes_per_device,
            self.kv_bytes_per_session_per_device,
            memory_margin,
        )

    # Both limits compare the rate as it is reported (1 / step), not the step with 1 / SLO:
    # in floating point the two can disagree at the edge (a step of exactly 1 / 26.25 s is
    # reported as 26.249999999999996 tok/s).
    def bandwidth_limit(self, slo_tps: float) -> int:
        """Largest batch whose memory-traffic term (plus TP comm) meets the SLO."""
        return largest_batch(lambda b: 1.0 / _memory_and_comm(self.step_time(b)) >= slo_tps)

    def compute_limit(self, slo_tps: float) -> int:
        """Largest batch whose compute term (plus TP comm) meets the SLO."""
        return largest_batch(lambda b: 1.0 / _compute_and_comm(self.step_time(b)) >= slo_tps)


def _memory_and_comm(step: StepTime) -> float:
    return step.memory_s + step.comm_s


def _compute_and_comm(step: StepTime) -> float:
    return step.compute_s + step.comm_s


def largest_batch(ok: Callable[[int], bool], cap: int = BATCH_CAP) -> int:
    """Largest integer b in [0, cap] with ok(b), for a predicate true up to a point then false.

    Exponential then binary search: O(log b) evaluations, exact on integers, and it does not
    depend on inverting the step-time formula (so any monotone term can be added later).
    """
    if not ok(1):
        return 0
    low, high = 1, 2
    while high < cap and ok(high):
        low, high = high, min(2 * high, cap)
    if high >= cap and ok(cap):
        return cap
    while high - low > 1:  # invariant: ok(low), not ok(high)
        middle = (low + high) // 2
        if ok(middle):
            low = middle
        else:
            high = middle
    return low


def replica_shape(
    server: ServerSpec,
    model: ModelSpec,
    *,
    precision_bits: float,
    tp_degree: int = 1,
    mig: bool = False,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    kv_precision_bits: float = 16,
    weight_overhead: float = 0.0,
    efficiencies: Efficiencies | None = None,
) -> ReplicaShape:
    """Per-device figures of one replica on `server`.

    MIG (`mig=True`, TP 1): a smallest slice gets 1/instances of the bandwidth and compute (a
    1g slice has 1/7 of the SMs and roughly 1/8 of the memory system) and the slice memory.
    """
    acc = server.accelerator
    if tp_degree < 1 or tp_degree > server.accelerator_count:
        raise ValueError(f"TP degree {tp_degree} does not fit {server.accelerator_count} devices")
    effs = efficiencies or resolve_efficiencies(acc)
    bandwidth = peak_bandwidth_gbps(acc)
    tflops = peak_tflops(acc, precision_bits)
    memory = acc.memory_gb
    slices = 0
    replicas = server.accelerator_count // tp_degree
    if mig:
        slice_memory = acc.smallest_mig_slice_gb
        if slice_memory is None or tp_degree != 1:
            raise ValueError(f"{acc.name}: MIG needs mig_max_instances > 0 and TP 1")
        slices = acc.mig_max_instances
        memory, bandwidth, tflops = slice_memory, bandwidth / slices, tflops / slices
        replicas = server.accelerator_count * slices
    kv_per_token = kv_bytes_per_token(model, kv_precision_bits, tp_degree)
    comm_bytes = (
        2
        * (tp_degree - 1)
        / tp_degree
        * model.layers
        * ALL_REDUCES_PER_LAYER
        * model.hidden_size
        * ACTIVATION_BYTES
    )
    return ReplicaShape(
        tp_degree=tp_degree,
        mig_slices_per_accelerator=slices,
        replicas_per_server=replicas,
        memory_gb=memory,
        bandwidth_gbps=bandwidth,
        tflops=tflops,
        interconnect_gbps=acc.interconnect_gbps or DEFAULT_INTERCONNECT_GBPS,
        efficiencies=effs,
        weight_bytes_per_device=weight_bytes(model, precision_bits, weight_overhead) / tp_degree,
        # Sliding-window layers hold at most their window (memory.attended_tokens).
        kv_bytes_per_session_per_device=kv_per_token * attended_tokens(model, context_tokens),
        flops_per_token_per_device=2 * model.parameters_b * 1e9 / tp_degree,
        comm_bytes_per_token=comm_bytes,
        comm_latency_s=model.layers * ALL_REDUCES_PER_LAYER * ALL_REDUCE_LATENCY_S,
    )
