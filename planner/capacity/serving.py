"""The calibrated serving model: per-session decode rate, time to first token and sessions at
an SLO for one model replica, with prefill, KV precision, mixture-of-experts and TP traffic.

For a replica of `t` devices holding `b` running sessions, per device and per decode step:

    weights read  = (dense params + routed expert params x touched(b)) x bits / 8 / t
    touched(b)    = 1 - (1 - k / E) ^ b      expected share of the E routed experts that at
                                             least one of b tokens picks (top-k routing)
    KV read       = b x mean context x KV bytes per token per device
    decode FLOPs  = b x (2 x active params + 4 x layers x context x heads x head_dim) / t
    prefill FLOPs = b / output x (2 x active params x p + 2 x layers x p^2 x heads x head_dim) / t
                    (p = prompt tokens not served by the prefix cache; each request's prefill
                    is paid once and spread over its output tokens)
    sliding-window layers (window W) hold, read and attend over min(context, W) tokens, and
    their prefill p^2 is 2pW - W^2 when p > W (`planner.capacity.memory`)
    memory time   = bytes / (bandwidth x bandwidth efficiency)
    compute time  = decode FLOPs / (peak x eff(b)) + prefill FLOPs / (peak x eff_max)
    eff(b)        = eff_max x b / (b + half_batch)        (GEMMs run far below peak at small b)
    TP time       = 2 x layers all-reduces of (b + prefill tokens per step) x hidden x 2 B:
                    2 (t - 1) / t x size / link + all-reduce latency          (t > 1 only)
    step          = max(memory, compute) + TP time + step overhead   (chunked prefill shares
                    the step: weights are read once for decode and prefill tokens together;
                    on CPUs memory + compute, since the same cores stream and multiply)

A static-batch benchmark (prefill of the whole batch, then decode) adds prefill to the step
instead of overlapping it (`overlap_prefill=False`). Per-session tokens/s = 1 / step. Time to
first token = the request's own prefill at the replica's compute rate, stretched by the share
of compute the running sessions' prefills already take (a queue in front of it), plus one step.

Every term is non-decreasing in b, so the per-session rate falls with b and the largest b at an
SLO is a monotone search. `ServingConstants` holds the few global constants fitted by
`planner.capacity.evidence` on published measurements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache

from planner.capacity.memory import (
    GB,
    kv_heads_per_device,
    mean_attended_tokens,
    prefill_attention_tokens_squared,
    reserved_attended_tokens,
)
from planner.capacity.specs import AcceleratorSpec, ModelSpec, accelerator_family
from planner.capacity.workload import Workload, request_rate_from_sessions

DEFAULT_INTERCONNECT_GBPS = 64.0  # no NVLink figure: PCIe Gen5 x16 per direction
ACTIVATION_BYTES = 2
ALL_REDUCES_PER_LAYER = 2
# Serving stacks cap running sequences per replica (vLLM max_num_seqs 256 by default in v0,
# 1,024 in recent releases; TensorRT-LLM max_batch_size); a planner setting, not physics.
DEFAULT_MAX_SEQUENCES = 1024
BATCH_LIMIT = 1_000_000


# Which constant holds each engine's cost per running sequence (defaults.SERVING_STACKS).
_SEQUENCE_OVERHEAD_FIELDS = {
    "vllm": "per_sequence_overhead_s",
    "tensorrt-llm": "tensorrt_llm_sequence_overhead_s",
}


@dataclass(frozen=True)
class ServingConstants:
    """Global constants of the serving model (fitted; see docs/capacity.md)."""

    gpu_bandwidth_efficiency: float = 0.8
    gpu_compute_efficiency: float = 0.6
    half_batch: float = 16.0
    step_overhead_s: float = 0.002
    all_reduce_latency_s: float = 2e-5
    # Routed-expert GEMMs (grouped, gathered tokens, uneven expert load, routing) reach only
    # this share of a dense GEMM's efficiency at the same rows per expert.
    moe_efficiency: float = 0.5
    # Reading routed experts at decode runs below a dense layer's bandwidth: each expert's
    # slice is a small grouped GEMM over a few gathered tokens, behind routing and token
    # permutation (vLLM's fused MoE kernel); this share of the dense bandwidth efficiency.
    moe_bandwidth_efficiency: float = 1.0
    # ... and the smaller one expert's matrices, the further below: a grouped GEMM over a
    # few tokens pays per-expert tile and launch costs that a large expert amortises. The
    # share is moe_bandwidth_efficiency x s / (s + moe_half_expert_mb), s = one expert's
    # weights in one layer on one device, MB (fine-grained experts: Qwen3 ~9 MB at 16 bits,
    # Mixtral ~350 MB).
    moe_half_expert_mb: float = 1.0
    # Prefill GEMMs run over thousands of rows: their own (higher) share of peak.
    prefill_efficiency: float = 0.6
    # Host-side cost per running sequence per step (scheduling, sampling, detokenising) of a
    # Python-scheduled engine (vLLM, SGLang) ...
    per_sequence_overhead_s: float = 1e-5
    # ... and of TensorRT-LLM, whose batch manager and sampling run in C++.
    tensorrt_llm_sequence_overhead_s: float = 1e-5
    # Time to first token that no compute term covers: the request's path through the front
    # end, tokeniser and scheduler before its prefill, and its wait for a batch slot; fitted
    # on measured mean first-token times (0 where none is fitted).
    first_token_overhead_s: float = 0.0
    cpu_bandwidth_efficiency: float = 0.4
    cpu_compute_efficiency: float = 0.05
    # AMD Instinct (CDNA) GPUs under ROCm: the same serving stacks (vLLM) reach a different
    # share of the datasheet peaks than on CUDA (kernels, RCCL, HIP graphs), so their
    # bandwidth, compute and prefill efficiencies are the GPU ones times this factor.
    # Fitted on AMD rows of the fitting split; 1 (the CUDA efficiencies) without such rows.
    rocm_efficiency: float = 1.0

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def sequence_overhead_s(self, serving_stack: str) -> float:
        """Host-side cost per running sequence per step of the engine `serving_stack`."""
        return getattr(self, _SEQUENCE_OVERHEAD_FIELDS[serving_stack])


@dataclass(frozen=True)
class Replica:
    """One model replica: `tp_degree` devices of `accelerator`, weights and KV spread over them."""

    accelerator: AcceleratorSpec
    model: ModelSpec
    tp_degree: int
    weight_bits: float
    weight_overhead: float = 0.0
    # Latent-attention models served with data-parallel attention (SGLang
    # --enable-dp-attention, TensorRT-LLM enable_attention_dp): each rank runs attention for
    # its own share of the sequences, so a sequence's latent KV cache lives on one rank
    # instead of on every one; the experts stay tensor / expert parallel.
    attention_data_parallel: bool = False
    # The small-GEMM floor (`half_batch` rows' worth of FLOPs per weight touched) was fitted
    # on GPUs whose FLOPS per byte of bandwidth lie in a measured band; this scales the peak
    # that floor is charged at, e.g. to hold it at the band's edge for a GPU far below it
    # (`measurements.floor_peak_scale`). 1 charges it at the device's own peak.
    floor_peak_scale: float = 1.0

    # --- hardware peaks -------------------------------------------------------------
    @property
    def bandwidth_gbps(self) -> float:
        acc = self.accelerator
        if acc.kind == "cpu" and acc.memory_channels and acc.memory_mts:
            return acc.memory_channels * acc.memory_mts * 8 / 1000
        return acc.memory_bandwidth_gbps

    # Cached: a replica is immutable, and a capacity search asks for its step time at a dozen
    # batch sizes (the every-pair capacity page: hundreds of thousands of steps).
    @cached_property
    def peak_tflops(self) -> float:
        """Dense peak at the weight precision: FP4 only where the device has 4-bit units,
        8 bits and below at the 8-bit rate, else 16-bit; CPUs from cores x clock x FLOP/cycle
        (a matrix unit's when given)."""
        acc = self.accelerator
        rate_4 = acc.tflops_4
        if (
            acc.kind == "cpu"
            and acc.cores
            and acc.clock_ghz
            and (acc.matrix_flops_per_cycle or acc.vector_flops_per_cycle)
        ):
            per_cycle = acc.matrix_flops_per_cycle or acc.vector_flops_per_cycle
            rate_16 = acc.cores * acc.clock_ghz * per_cycle / 1000  # type: ignore[operator]
            rate_8 = 2 * rate_16
        else:
            rate_16, rate_8 = acc.tflops_16, acc.tflops_8
        if self.weight_bits <= 4 and rate_4:
            return max(rate_4, rate_8, rate_16)
        if self.weight_bits <= 8:
            return max(rate_8, rate_16)
        return rate_16

    # --- bytes ------------------------------------------------------------------------
    @property
    def bytes_per_weight(self) -> float:
        return self.weight_bits / 8 * (1 + self.weight_overhead)

    @property
    def weight_bytes_per_device(self) -> float:
        return self.model.parameters_b * GB * self.bytes_per_weight / self.tp_degree

    def expert_split_b(self) -> tuple[float, float]:
        """(dense, routed-expert) parameters in billions; routed experts are sized from
        total - active = (E - k) x one expert's parameters over all layers."""
        return self._expert_split_b

    @cached_property
    def _expert_split_b(self) -> tuple[float, float]:
        m = self.model
        if not m.is_moe:
            return m.parameters_b, 0.0
        inactive = m.parameters_b - m.active_parameters_b  # type: ignore[operator]
        per_expert = inactive / (m.expert_count - m.experts_per_token)  # type: ignore[operator]
        routed = per_expert * m.expert_count  # type: ignore[operator]
        return m.parameters_b - routed, routed

    def experts_touched_share(self, tokens: float) -> float:
        """Expected share of routed experts at least one of `tokens` tokens is routed to."""
        m = self.model
        if not m.is_moe:
            return 1.0
        return 1.0 - (1.0 - m.experts_per_token / m.expert_count) ** max(tokens, 0.0)  # type: ignore[operator]

    def weights_read_per_device(self, tokens: float) -> float:
        return self._weights_read_at(self.experts_touched_share(tokens))

    def _weights_read_at(self, share: float) -> float:
        """Weight bytes one device reads in a step that touches `share` of the experts."""
        dense, routed = self.expert_split_b()
        params = dense + routed * share
        return params * GB * self.bytes_per_weight / self.tp_degree

    def kv_bytes_per_token_per_device(self, kv_bits: float) -> float:
        m = self.model
        if m.kv_lora_rank:
            # Latent attention caches one compressed latent (plus the rope key) per layer,
            # replicated on every TP rank; with data-parallel attention, on one rank only
            # (per device: the average over the replica's sequences).
            latent = m.layers * (m.kv_lora_rank + (m.qk_rope_head_dim or 0)) * kv_bits / 8
            return latent / self.tp_degree if self.attention_data_parallel else latent
        return 2 * m.layers * kv_heads_per_device(m, self.tp_degree) * m.head_dim * kv_bits / 8

    def expert_bytes_per_layer_per_device(self) -> float:
        """Bytes of one routed expert in one layer on one device (experts split like TP)."""
        m = self.model
        if not m.is_moe:
            return 0.0
        _, routed = self.expert_split_b()
        per_expert = routed / m.expert_count  # type: ignore[operator]
        return per_expert * GB * self.bytes_per_weight / m.layers / self.tp_degree

    def routed_active_parameters_b(self) -> float:
        """Routed-expert parameters one token multiplies through (k experts)."""
        m = self.model
        if not m.is_moe:
            return 0.0
        _, routed = self.expert_split_b()
        return routed * m.experts_per_token / m.expert_count  # type: ignore[operator]

    def _stack_factor(self, k: ServingConstants) -> float:
        """Share of the CUDA-fitted GPU efficiencies this device's software stack reaches."""
        return k.rocm_efficiency if self._runs_rocm else 1.0

    @cached_property
    def _runs_rocm(self) -> bool:
        return accelerator_family(self.accelerator.name).startswith("amd-")

    def _prefill_efficiency(self, k: ServingConstants) -> float:
        if self.accelerator.kind == "cpu":
            return k.cpu_compute_efficiency
        return min(1.0, k.prefill_efficiency * self._stack_factor(k))

    @staticmethod
    def _batch_efficiency(tokens: float, peak_efficiency: float, k: ServingConstants) -> float:
        """Achieved share of peak for a GEMM over `tokens` rows: eff_max x n / (n + n_half)."""
        return peak_efficiency * tokens / (tokens + k.half_batch)

    # --- memory -----------------------------------------------------------------------
    def kv_bytes_per_session_per_device(self, workload: Workload) -> float:
        """KV cache one session holds on one device under the workload's reservation
        (sliding-window layers at most their window)."""
        return reserved_attended_tokens(self.model, workload) * self.kv_bytes_per_token_per_device(
            workload.kv_precision_bits
        )

    def sessions_by_memory(self, workload: Workload, memory_margin: float = 0.10) -> int:
        """Sessions whose KV cache fits beside the weights; -1 when the weights do not fit."""
        free = self.accelerator.memory_gb * GB * (1 - memory_margin) - self.weight_bytes_per_device
        if free < 0:
            return -1
        per_session = self.kv_bytes_per_session_per_device(workload)
        return math.floor(free / per_session) if per_session > 0 else BATCH_LIMIT

    # --- time -------------------------------------------------------------------------
    def _efficiencies(self, k: ServingConstants) -> tuple[float, float]:
        if self.accelerator.kind == "cpu":
            return k.cpu_bandwidth_efficiency, k.cpu_compute_efficiency
        factor = self._stack_factor(k)
        return (
            min(1.0, k.gpu_bandwidth_efficiency * factor),
            min(1.0, k.gpu_compute_efficiency * factor),
        )

    def step_terms(
        self, batch: float, workload: Workload, k: ServingConstants, overlap_prefill: bool = True
    ) -> dict[str, float]:
        """The decode step's terms in seconds for `batch` running sessions."""
        m, t = self.model, self.tp_degree
        bw_eff, c_eff = self._efficiencies(k)
        active = m.compute_parameters_b * 1e9
        # Mean KV tokens per layer a step reads: the mean context, a local layer's clipped at
        # its window (memory.mean_attended_tokens).
        context = mean_attended_tokens(m, workload)
        p = workload.prefill_tokens
        attn_width = m.attention_heads * m.head_dim
        kv_read = batch * context * self.kv_bytes_per_token_per_device(workload.kv_precision_bits)
        dense, routed = self.expert_split_b()
        share = self.experts_touched_share(batch)
        routed_read = routed * share * GB * self.bytes_per_weight / t
        dense_read = self._weights_read_at(share) - routed_read
        moe_bw = 1.0
        if self.accelerator.kind == "gpu" and m.is_moe:
            expert_mb = self.expert_bytes_per_layer_per_device() / 1e6
            moe_bw = k.moe_bandwidth_efficiency * expert_mb / (expert_mb + k.moe_half_expert_mb)
        memory_s = (dense_read + kv_read + routed_read / moe_bw) / (
            self.bandwidth_gbps * GB * bw_eff
        )
        peak = self.peak_tflops * 1e12
        # Small GEMMs run below peak: a GEMM over n rows of a weight matrix takes as long as
        # n + half_batch rows would at the peak efficiency. Summed over the weights a step
        # touches, that is 2 x (active x b + touched params x half_batch) FLOP-equivalents;
        # for a mixture of experts the touched params are the dense ones plus the experts hit.
        routed_active = self.routed_active_parameters_b() * 1e9
        touched = (dense + routed * share) * 1e9
        attention_flops = batch * 4 * m.layers * context * attn_width / t
        # CPUs: too few measurements to fit a batch curve, so a flat compute efficiency.
        half = k.half_batch if self.accelerator.kind == "gpu" else 0.0
        decode_s = 0.0
        if batch > 0:
            dense_equiv = 2 * ((active - routed_active) * batch + dense * 1e9 * half) / t
            expert_fixed = 2 * (touched - dense * 1e9) * half / t
            expert_flops = 2 * routed_active * batch / t
            decode_s = (dense_equiv + attention_flops + expert_fixed) / (peak * c_eff)
            decode_s += expert_flops / (peak * c_eff * k.moe_efficiency)
            if self.floor_peak_scale != 1.0:
                # The floor's FLOP-equivalents (touched params x half_batch) at the scaled
                # peak; the branch keeps the default arithmetic bit for bit.
                floor_flops = 2 * touched * half / t
                decode_s -= floor_flops / (peak * c_eff) * (1.0 - 1.0 / self.floor_peak_scale)
        # Each request's prefill is paid once, spread over its output tokens (chunked prefill).
        prefill_s = batch / workload.output_tokens * self.prefill_s(workload, k)
        comm_s = 0.0
        if t > 1:
            link = (self.accelerator.interconnect_gbps or DEFAULT_INTERCONNECT_GBPS) * GB
            tokens = batch + batch * p / workload.output_tokens
            size = tokens * m.hidden_size * ACTIVATION_BYTES
            per_reduce = 2 * (t - 1) / t * size / link + k.all_reduce_latency_s
            comm_s = m.layers * ALL_REDUCES_PER_LAYER * per_reduce
        if self.accelerator.kind == "cpu":
            # A CPU's cores both stream the weights and multiply them (llama.cpp, PyTorch
            # CPU kernels): memory and compute time add up instead of hiding each other.
            busy = memory_s + decode_s + prefill_s
        elif overlap_prefill:
            busy = max(memory_s, decode_s + prefill_s)
        else:
            busy = max(memory_s, decode_s) + prefill_s
        per_sequence_s = k.sequence_overhead_s(workload.serving_stack)
        return {
            "memory_s": memory_s,
            "decode_compute_s": decode_s,
            "prefill_compute_s": prefill_s,
            "comm_s": comm_s,
            "overhead_s": k.step_overhead_s + batch * per_sequence_s,
            "step_s": busy + comm_s + k.step_overhead_s + batch * per_sequence_s,
        }

    def rate_per_session(
        self, batch: float, workload: Workload, k: ServingConstants, overlap_prefill: bool = True
    ) -> float:
        return 1.0 / self.step_terms(batch, workload, k, overlap_prefill)["step_s"]

    def prefill_s(self, workload: Workload, k: ServingConstants) -> float:
        """One request's prefill alone on the replica: linear layers plus attention over the
        prompt tokens that need it, at the prefill efficiency."""
        m = self.model
        p = workload.prefill_tokens
        attn_width = m.attention_heads * m.head_dim
        attention = 2 * prefill_attention_tokens_squared(m, p) * attn_width
        flops = 2 * m.compute_parameters_b * 1e9 * p + attention
        return flops / (self.tp_degree * self.peak_tflops * 1e12 * self._prefill_efficiency(k))

    def ttft_s(
        self,
        batch: float,
        workload: Workload,
        k: ServingConstants,
        requests_per_s: float | None = None,
    ) -> float:
        """Time to first token at `batch` running sessions: the fitted front-end overhead,
        the request's own prefill, slowed by the share of the replica's compute the other
        requests' prefills take (the queue in front of it), plus one decode step.

        The others' prefills arrive at `requests_per_s`. By default that is the rate `batch`
        sessions stand for at the SLO (`request_rate_from_sessions`, the same Little's law
        that turns a planner's requests/s into sessions), not the rate a closed-loop benchmark
        would send a replica that decodes faster than the SLO: charging a faster replica for
        the extra requests it would only see there made faster hardware hold fewer sessions
        under a first-token target. A measured row passes its own arrival rate."""
        if requests_per_s is None:
            requests_per_s = request_rate_from_sessions(batch, workload)
        own = self.prefill_s(workload, k)
        busy = requests_per_s * own
        step_s = self.step_terms(batch, workload, k)["step_s"]
        return k.first_token_overhead_s + own / max(1e-6, 1.0 - busy) + step_s

    def sessions_at(
        self,
        workload: Workload,
        k: ServingConstants,
        *,
        max_sequences: int = DEFAULT_MAX_SEQUENCES,
        memory_margin: float = 0.10,
        overlap_prefill: bool = True,
    ) -> tuple[int, str]:
        """Largest whole number of sessions meeting the rate (and TTFT) targets, and the limit
        that binds: memory_capacity, decode_rate, ttft, serving_stack, does_not_fit."""
        return _sessions_at(self, workload, k, max_sequences, memory_margin, overlap_prefill)

    def _search_sessions(
        self,
        workload: Workload,
        k: ServingConstants,
        max_sequences: int,
        memory_margin: float,
        overlap_prefill: bool,
    ) -> tuple[int, str]:
        """`sessions_at` worked out: a bisection on the monotone rate and first-token time."""
        by_memory = self.sessions_by_memory(workload, memory_margin)
        if by_memory < 0:
            return 0, "does_not_fit"
        cap = min(by_memory, max_sequences)

        def ok(b: int) -> bool:
            if self.rate_per_session(b, workload, k, overlap_prefill) < workload.slo_tps:
                return False
            return workload.ttft_s is None or self.ttft_s(b, workload, k) <= workload.ttft_s

        if cap < 1 or not ok(1):
            if cap < 1:
                return 0, "memory_capacity"
            rate_ok = self.rate_per_session(1, workload, k, overlap_prefill) >= workload.slo_tps
            return 0, "decode_rate" if not rate_ok else "ttft"
        if ok(cap):
            return cap, "memory_capacity" if by_memory <= max_sequences else "serving_stack"
        low, high = self._bracket(ok, cap, workload, k, overlap_prefill)
        while high - low > 1:
            mid = (low + high) // 2
            if ok(mid):
                low = mid
            else:
                high = mid
        rate_ok = self.rate_per_session(high, workload, k, overlap_prefill) >= workload.slo_tps
        return low, "ttft" if rate_ok else "decode_rate"

    def _bracket(
        self,
        ok: Callable[[int], bool],
        cap: int,
        workload: Workload,
        k: ServingConstants,
        overlap_prefill: bool,
    ) -> tuple[int, int]:
        """A narrow (low, high) with ok(low) and not ok(high), given ok(1) and not ok(cap).

        The step time is close to linear in the batch (weights once, KV and FLOPs per
        sequence), so the batch where the line through the steps at 1 and at `cap` reaches
        the SLO's step is usually within a few sessions of the answer; galloping from that
        guess keeps the bracket exact wherever the guess is off (the bisection after it
        finds the same boundary as one over [1, cap]: 6.8 step evaluations per search
        against 8.6 on random catalog pairs, early exits included)."""
        first = self.step_terms(1, workload, k, overlap_prefill)["step_s"]
        last = self.step_terms(cap, workload, k, overlap_prefill)["step_s"]
        target = 1.0 / workload.slo_tps
        share = (target - first) / (last - first) if last > first else 0.0
        guess = min(cap - 1, max(1, 1 + int(share * (cap - 1))))
        low, high = 1, cap
        if ok(guess):
            low, reach = guess, 1
            while low + reach < high and ok(low + reach):
                low, reach = low + reach, reach * 2
            high = min(high, low + reach)
        else:
            high, reach = guess, 1
            while high - reach > low and not ok(high - reach):
                high, reach = high - reach, reach * 2
            low = max(low, high - reach)
        return low, high

    def batch_at_rate(
        self, rate: float, workload: Workload, k: ServingConstants, overlap_prefill: bool = True
    ) -> float:
        """Continuous batch at which the per-session rate equals `rate` (no memory cap):
        the model's estimate of sessions at that SLO, for comparison with a measurement."""
        if self.rate_per_session(1e-3, workload, k, overlap_prefill) <= rate:
            return 1e-3
        low, high = 1e-3, 1.0
        while self.rate_per_session(high, workload, k, overlap_prefill) > rate:
            low, high = high, high * 2
            if high > BATCH_LIMIT:
                return float(BATCH_LIMIT)
        for _ in range(60):
            mid = math.sqrt(low * high)
            if self.rate_per_session(mid, workload, k, overlap_prefill) > rate:
                low = mid
            else:
                high = mid
        return math.sqrt(low * high)


# A replica, workload and constants are immutable values, so a search's answer is too. Servers
# with 1, 2, 4 or 8 of one accelerator ask for the same replicas (TP 1 on every one of them),
# and a figure's uncertainty range asks again at nearby SLOs: the every-pair capacity page
# asked 28,646 times for 12,194 distinct answers (6,498 figures, December 2026).
@lru_cache(maxsize=65_536)
def _sessions_at(
    replica: Replica,
    workload: Workload,
    k: ServingConstants,
    max_sequences: int,
    memory_margin: float,
    overlap_prefill: bool,
) -> tuple[int, str]:
    return replica._search_sessions(workload, k, max_sequences, memory_margin, overlap_prefill)
