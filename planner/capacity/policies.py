"""Sessions per server at an SLO: measured figures, the seed study's rule, or the roofline.

`sessions_at_slo` is the one entry point. Order of precedence: a measured figure that applies
wins; otherwise the chosen policy:

- "study": the seed rack study's rule (one session per model replica, MIG slices count as
  replicas, CPUs only from measurements). Reproduces the study's figures exactly.
- "batched": continuous-batching roofline (see `planner.capacity.roofline`) over TP degrees
  1/2/4/8 and MIG slices, keeping the configuration with the most sessions per server.
- "calibrated": the serving model of `planner.capacity.serving` (prefill, KV precision,
  mixture-of-experts, TTFT) with constants fitted on published measurements
  (`planner.capacity.evidence`), over TP degrees 1/2/4/8; each figure carries its typical
  error and the nearest measurements. The default for new scenarios and the API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from planner.capacity.defaults import (
    DEFAULT_CONTEXT_TOKENS,
    SERVING_STACK_NAMES,
    UNSTATED_CONTEXT_LIMIT,
    WEIGHT_PRECISIONS_BITS,
)
from planner.capacity.measurements import (
    calibrated_constants,
    extrapolation,
    first_token_typical_error,
    floor_peak_scale,
    measured_gpu_flop_per_byte,
    uncertainty,
)
from planner.capacity.memory import (
    DEFAULT_KV_PRECISION_BITS,
    GB,
    TP_DEGREES,
    attended_tokens,
    kv_bytes_per_token,
    weight_bytes,
)
from planner.capacity.roofline import ReplicaShape, replica_shape
from planner.capacity.serving import DEFAULT_MAX_SEQUENCES, Replica, ServingConstants
from planner.capacity.specs import (
    POLICIES,
    BindingLimit,
    CapacityResult,
    Measurement,
    ModelSpec,
    ServerSpec,
    binding_limit_words,
)
from planner.capacity.workload import Workload


def sessions_at_slo(
    server: ServerSpec,
    model: ModelSpec,
    precision_bits: int = 8,
    slo_tps: float = 10.0,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    policy: str = "study",
    measured: Measurement | None = None,
    kv_precision_bits: int | None = None,
    memory_margin: float = 0.10,
    weight_overhead: float = 0.0,
    workload: Workload | None = None,
    max_sequences: int = DEFAULT_MAX_SEQUENCES,
) -> CapacityResult:
    """Concurrent sessions one `server` sustains for `model` at `slo_tps` tokens/s each.

    `measured` (a profile for this server and model) wins when it applies: same precision
    and measured at an SLO at least as strict as `slo_tps`; otherwise it is ignored and the
    explanation says why. `kv_precision_bits` None means 16-bit KV cache. `context_tokens`
    is the KV cache reserved per session and, conservatively, also the context every step
    reads. `memory_margin` is the fraction of device memory kept free. `weight_overhead` is a
    format's extra bytes per weight (GGUF Q8_0: 0.0625).

    The "calibrated" policy reads `workload` (input / output tokens, TTFT target, KV
    precision, prefix-cache hits); without one it builds it from `context_tokens` (input =
    context - default output), `slo_tps` and `kv_precision_bits`. Its SLO is the workload's.
    `max_sequences` is the serving stack's cap on running sequences per replica.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if not 1 <= precision_bits <= 32:
        raise ValueError(f"precision_bits must be between 1 and 32, got {precision_bits}")
    if workload is not None:
        slo_tps = workload.slo_tps
    if not (slo_tps > 0 and math.isfinite(slo_tps)):
        raise ValueError(f"slo_tps must be a positive number, got {slo_tps}")
    if context_tokens < 1:
        raise ValueError("context_tokens must be at least 1")
    if not 0 <= memory_margin < 1:
        raise ValueError("memory_margin must be in [0, 1)")
    if weight_overhead < 0:
        raise ValueError("weight_overhead must be >= 0")
    kv_bits = DEFAULT_KV_PRECISION_BITS if kv_precision_bits is None else kv_precision_bits
    if not 1 <= kv_bits <= 32:
        raise ValueError(f"kv_precision_bits must be between 1 and 32, got {kv_bits}")

    query = _Query(
        server, model, precision_bits, slo_tps, context_tokens, policy, kv_bits,
        memory_margin, weight_overhead,
    )  # fmt: skip
    note = ""
    if measured is not None:
        if measured.server != server.name or measured.model != model.name:
            raise ValueError(
                f"measurement is for {measured.server} / {measured.model}, "
                f"not {server.name} / {model.name}"
            )
        if measured.precision_bits != precision_bits:
            note = (
                f" A measured figure exists at {measured.precision_bits}-bit, not "
                f"{precision_bits}-bit, so it was not used."
            )
        elif measured.slo_tps < slo_tps:
            note = (
                f" A measured figure exists at {measured.slo_tps:g} tok/s, a looser SLO than "
                f"{slo_tps:g} tok/s, so it was not used."
            )
        else:
            return _measured(query, measured)
    if policy == "study":
        result = _study(query)
    elif policy == "batched":
        result = _batched(query)
    else:
        if workload is None:
            workload = Workload.from_context(
                context_tokens, slo_tps=slo_tps, kv_precision_bits=int(kv_bits)
            )
        result = _calibrated(query, workload, max_sequences)
    if note:
        result = replace(result, explanation=result.explanation + note)
    return result


@dataclass(frozen=True)
class _Query:
    """The validated arguments, passed around as one value."""

    server: ServerSpec
    model: ModelSpec
    precision_bits: int
    slo_tps: float
    context_tokens: int
    policy: str
    kv_bits: float
    memory_margin: float
    weight_overhead: float

    @property
    def weights(self) -> float:
        return weight_bytes(self.model, self.precision_bits, self.weight_overhead)

    def kv_gb_per_session(self, tp_degree: int) -> float:
        """Whole-replica KV cache of one full-context session, GB (local layers at most W)."""
        per_device = kv_bytes_per_token(self.model, self.kv_bits, tp_degree)
        return per_device * tp_degree * attended_tokens(self.model, self.context_tokens) / GB

    def describe(self) -> str:
        return (
            f"{self.model.name} at {self.precision_bits}-bit on {self.server.name} "
            f"({self.server.accelerator_count} x {self.server.accelerator.name})"
        )


def _result(
    q: _Query,
    *,
    sessions: int,
    label: str,
    binding: BindingLimit,
    tp_degree: int,
    replicas: int,
    mig_slices: int,
    per_session_tps: float | None,
    efficiencies: tuple[float, float] | None,
    source: str,
    explanation: str,
    limits: dict[str, float | int | None],
) -> CapacityResult:
    """Common result construction (per-session power and KV figures are derived here)."""
    return CapacityResult(
        server=q.server.name,
        model=q.model.name,
        precision_bits=q.precision_bits,
        slo_tps=q.slo_tps,
        context_tokens=q.context_tokens,
        sessions=sessions,
        label=label,  # type: ignore[arg-type]
        policy=q.policy,  # type: ignore[arg-type]
        binding_limit=binding,
        tp_degree=tp_degree,
        replicas_per_server=replicas,
        mig_slices_used=mig_slices,
        per_session_tps=per_session_tps if sessions > 0 else None,
        power_per_session_w=q.server.power_w / sessions if sessions > 0 else None,
        weight_gb_per_replica=q.weights / GB,
        kv_gb_per_session=q.kv_gb_per_session(tp_degree),
        bandwidth_efficiency=efficiencies[0] if efficiencies else None,
        compute_efficiency=efficiencies[1] if efficiencies else None,
        source=source,
        explanation=explanation,
        limits=limits,
    )


def _measured(q: _Query, m: Measurement) -> CapacityResult:
    text = (
        f"Measured: {m.sessions} sessions at >= {m.slo_tps:g} tok/s for {q.describe()}."
        if m.sessions
        else f"Measured: {q.describe()} cannot hold {m.slo_tps:g} tok/s per session."
    )
    if m.context_tokens is None:
        text += (
            f" The source states no context length: the figure stands for requests of up to "
            f"{UNSTATED_CONTEXT_LIMIT:,} tokens; longer ones get an estimate."
        )
    else:
        text += f" Measured at {m.context_tokens:,} tokens per session."
    return _result(
        q,
        sessions=m.sessions,
        label="measured",
        binding="measured",
        tp_degree=1,
        replicas=1 if m.sessions else 0,
        mig_slices=0,
        per_session_tps=m.slo_tps,
        efficiencies=None,
        source=m.source or "measured profile",
        explanation=text,
        limits={"measured_sessions": m.sessions, "measured_slo_tps": m.slo_tps},
    )


STUDY_SOURCE = (
    "Seed rack study 003 (Ampere, 'LLMs: Bigger is Not Always Better', 2024-12-18): one "
    "session per GPU or GPU group; MIG gives one session per slice; CPUs from measurements."
)


def _study(q: _Query) -> CapacityResult:
    """The seed study's rule, exactly: weights only (no KV, no margin), one session each."""
    acc = q.server.accelerator
    weights_gb = q.weights / GB
    if acc.kind == "cpu":
        return _result(
            q,
            sessions=0,
            label="study rule",
            binding="does_not_fit",
            tp_degree=1,
            replicas=0,
            mig_slices=0,
            per_session_tps=None,
            efficiencies=None,
            source=STUDY_SOURCE,
            explanation=(
                f"Study rule: CPU figures come only from measurements, and there is no "
                f"measured figure that applies to {q.describe()} at {q.slo_tps:g} tok/s, "
                f"so no sessions."
            ),
            limits={"weights_gb": weights_gb},
        )

    slice_gb = acc.smallest_mig_slice_gb
    if slice_gb is not None and weights_gb <= slice_gb:
        slices = acc.mig_max_instances
        replicas = q.server.accelerator_count * slices
        return _result(
            q,
            sessions=replicas,
            label="study rule",
            binding="partitioning_rule",
            tp_degree=1,
            replicas=replicas,
            mig_slices=slices,
            per_session_tps=q.slo_tps,
            efficiencies=None,
            source=STUDY_SOURCE,
            explanation=(
                f"Study rule with MIG: {weights_gb:.2f} GB of weights fit one MIG slice of "
                f"{slice_gb:.2f} GB, so each of {q.server.accelerator_count} GPUs runs "
                f"{slices} replicas at one session each: {replicas} sessions."
            ),
            limits={"weights_gb": weights_gb, "mig_slice_memory_gb": slice_gb},
        )

    for tp in TP_DEGREES:
        if tp > q.server.accelerator_count:
            break
        if tp * acc.memory_gb >= weights_gb:
            replicas = q.server.accelerator_count // tp
            group = "one GPU" if tp == 1 else f"a group of {tp} GPUs ({tp * acc.memory_gb:g} GB)"
            mig_note = (
                f" MIG is not used: the weights exceed a {slice_gb:.2f} GB slice."
                if slice_gb is not None
                else ""
            )
            return _result(
                q,
                sessions=replicas,
                label="study rule",
                binding="partitioning_rule",
                tp_degree=tp,
                replicas=replicas,
                mig_slices=0,
                per_session_tps=q.slo_tps,
                efficiencies=None,
                source=STUDY_SOURCE,
                explanation=(
                    f"Study rule: one session per replica. {weights_gb:.2f} GB of weights fit "
                    f"{group}; {q.server.accelerator_count} GPUs give {replicas} replicas, "
                    f"{replicas} sessions.{mig_note}"
                ),
                limits={"weights_gb": weights_gb, "memory_per_replica_gb": tp * acc.memory_gb},
            )

    largest = max(tp for tp in TP_DEGREES if tp <= q.server.accelerator_count)
    return _result(
        q,
        sessions=0,
        label="study rule",
        binding="does_not_fit",
        tp_degree=largest,
        replicas=0,
        mig_slices=0,
        per_session_tps=None,
        efficiencies=None,
        source=STUDY_SOURCE,
        explanation=(
            f"Study rule: {weights_gb:.2f} GB of weights do not fit even {largest} GPUs "
            f"({largest * acc.memory_gb:g} GB), so no sessions."
        ),
        limits={"weights_gb": weights_gb, "memory_per_replica_gb": largest * acc.memory_gb},
    )


@dataclass(frozen=True)
class _Option:
    """One configuration's outcome in the batched policy."""

    shape: ReplicaShape
    by_memory: int  # per replica; -1 = weights do not fit
    by_bandwidth: int
    by_compute: int

    @property
    def per_replica(self) -> int:
        return max(0, min(self.by_memory, self.by_bandwidth, self.by_compute))

    @property
    def per_server(self) -> int:
        return self.per_replica * self.shape.replicas_per_server

    @property
    def accelerators_per_replica(self) -> float:
        slices = self.shape.mig_slices_per_accelerator
        return 1 / slices if slices else float(self.shape.tp_degree)

    @property
    def binding(self) -> BindingLimit:
        # Ties go to the harder limit first: memory is a wall, bandwidth the usual decode
        # bottleneck, compute last.
        if self.by_memory < 0:
            return "does_not_fit"
        candidates: list[tuple[int, BindingLimit]] = [
            (self.by_memory, "memory_capacity"),
            (self.by_bandwidth, "memory_bandwidth"),
            (self.by_compute, "compute"),
        ]
        low = min(value for value, _ in candidates)
        return next(name for value, name in candidates if value == low)

    def rank(self) -> tuple[int, bool, float]:
        """Most sessions; then a configuration that at least fits; then fewer devices.

        When nothing fits, the largest replica is the one worth showing (closest to fitting).
        """
        fits = self.by_memory >= 0
        size = self.accelerators_per_replica
        return (self.per_server, fits, -size if fits else size)


def _batched(q: _Query) -> CapacityResult:
    acc = q.server.accelerator
    options: list[_Option] = []
    configs = [(tp, False) for tp in TP_DEGREES if tp <= q.server.accelerator_count]
    if acc.mig_max_instances > 0:
        configs.append((1, True))
    for tp, mig in configs:
        shape = replica_shape(
            q.server,
            q.model,
            precision_bits=q.precision_bits,
            tp_degree=tp,
            mig=mig,
            context_tokens=q.context_tokens,
            kv_precision_bits=q.kv_bits,
            weight_overhead=q.weight_overhead,
        )
        options.append(
            _Option(
                shape,
                shape.memory_limit(q.memory_margin),
                shape.bandwidth_limit(q.slo_tps),
                shape.compute_limit(q.slo_tps),
            )
        )
    best = max(options, key=_Option.rank)
    shape = best.shape
    per_replica = best.per_replica
    sessions = best.per_server
    step = shape.step_time(max(per_replica, 1))
    # No replica can be built when the weights do not fit: report 0, as the study policy does.
    replicas = shape.replicas_per_server if best.by_memory >= 0 else 0
    limits: dict[str, float | int | None] = {
        "sessions_by_memory": max(best.by_memory, 0) * shape.replicas_per_server,
        "sessions_by_bandwidth": best.by_bandwidth * shape.replicas_per_server,
        "sessions_by_compute": best.by_compute * shape.replicas_per_server,
        "sessions_per_replica": per_replica,
        "usable_memory_gb_per_device": shape.memory_gb * (1 - q.memory_margin),
        "weight_gb_per_device": shape.weight_bytes_per_device / GB,
        "kv_gb_per_session_per_device": shape.kv_bytes_per_session_per_device / GB,
        "peak_bandwidth_gbps_per_device": shape.bandwidth_gbps,
        "peak_tflops_per_device": shape.tflops,
        "step_time_s": step.total_s,
        "step_compute_s": step.compute_s,
        "step_memory_s": step.memory_s,
        "step_comm_s": step.comm_s,
    }
    return _result(
        q,
        sessions=sessions,
        label="estimated",
        binding=best.binding,
        tp_degree=shape.tp_degree,
        replicas=replicas,
        mig_slices=shape.mig_slices_per_accelerator,
        per_session_tps=1.0 / step.total_s,
        efficiencies=tuple(shape.efficiencies),  # type: ignore[arg-type]
        source=(
            "Estimated: continuous-batching roofline (memory after a "
            f"{q.memory_margin:.0%} margin, GQA KV cache at {q.kv_bits:g}-bit, "
            f"{q.context_tokens} tokens per session; efficiencies bandwidth "
            f"{shape.efficiencies.bandwidth:g}, compute {shape.efficiencies.compute:g})."
        ),
        explanation=_batched_explanation(q, best, options),
        limits=limits,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _config_name(shape: ReplicaShape) -> str:
    if shape.mig_slices_per_accelerator:
        return f"MIG, {shape.mig_slices_per_accelerator} slices per accelerator"
    if shape.tp_degree == 1:
        return "one accelerator per replica"
    return f"TP {shape.tp_degree} (accelerators per replica)"


def _batched_explanation(q: _Query, best: _Option, options: list[_Option]) -> str:
    shape = best.shape
    head = f"Estimated (batched roofline) for {q.describe()} at >= {q.slo_tps:g} tok/s: "
    if best.by_memory < 0:
        return head + (
            f"the weights ({q.weights / GB:.2f} GB) do not fit in any configuration "
            f"after a {q.memory_margin:.0%} memory margin, so no sessions."
        )
    step = shape.step_time(max(best.per_replica, 1))
    usable_gb = shape.memory_gb * (1 - q.memory_margin)
    text = head + (
        f"{_config_name(shape)}, {_count(shape.replicas_per_server, 'replica')}. "
        f"Per replica, memory holds {best.by_memory} sessions ({usable_gb:.2f} GB "
        f"usable per device, {shape.weight_bytes_per_device / GB:.2f} GB weights, "
        f"{shape.kv_bytes_per_session_per_device / GB:.3f} GB KV per session), bandwidth "
        f"allows {best.by_bandwidth} and compute {best.by_compute}. "
    )
    if best.per_replica == 0:
        text += (
            f"Even one session gets only {1 / step.total_s:.1f} tok/s "
            f"({best.binding.replace('_', ' ')} bound), so no sessions."
        )
    else:
        text += (
            f"{best.binding.replace('_', ' ').capitalize()} binds at {best.per_replica} "
            f"sessions per replica = {best.per_server} per server; a step takes "
            f"{step.total_s * 1e3:.2f} ms (compute {step.compute_s * 1e3:.2f}, memory "
            f"{step.memory_s * 1e3:.2f}, TP comm {step.comm_s * 1e3:.2f}) = "
            f"{1 / step.total_s:.1f} tok/s per session."
        )
    others = sorted(
        (o for o in options if o is not best and o.per_server > 0),
        key=_Option.rank,
        reverse=True,
    )
    if others:
        runner = others[0]
        text += f" Next best: {_config_name(runner.shape)}, {runner.per_server} sessions."
    return text


def _sessions_range(
    replica: Replica,
    workload: Workload,
    constants: ServingConstants,
    typical_error: float,
    max_sequences: int,
    q: _Query,
    replicas: int,
) -> tuple[int, int, str]:
    """Sessions per server on the same layout if each session's rate were `typical_error`
    slower or faster than modelled: the sessions at an SLO that much stricter or looser, and
    the range in words. Where the SLO is close to a replica's single-stream speed, the low end
    falls to 0: the figure is fragile there, and the range says so. For an extrapolated GPU
    the high end also covers the small-GEMM floor held at the measured band."""

    def at(slo_tps: float) -> int:
        per_replica, _ = replica.sessions_at(
            workload.with_slo(slo_tps), constants, max_sequences=max_sequences,
            memory_margin=q.memory_margin,
        )  # fmt: skip
        return per_replica * replicas

    factor = 1 + typical_error
    low, high = at(workload.slo_tps * factor), at(workload.slo_tps / factor)
    words = _range_words(low, high)
    held = _sessions_with_floor_held(replica, workload, constants, max_sequences, q, replicas)
    if held is not None:
        high = max(high, held)
        words += _floor_held_words(held, low, high)
    return low, high, words


def _sessions_with_floor_held(
    replica: Replica,
    workload: Workload,
    constants: ServingConstants,
    max_sequences: int,
    q: _Query,
    replicas: int,
) -> int | None:
    """For a GPU far below the measured FLOPS-per-byte band, sessions per server on the same
    layout with the small-GEMM floor charged as if it sat at the band's edge instead of
    extrapolated to it (None for any other accelerator). Nothing measured says which of the
    two readings holds, so the range spans both."""
    scale = floor_peak_scale(replica.accelerator)
    if scale == 1.0:
        return None
    per_replica, _ = replace(replica, floor_peak_scale=scale).sessions_at(
        workload, constants, max_sequences=max_sequences, memory_margin=q.memory_margin
    )
    return per_replica * replicas


def _floor_held_words(held: int, low: int, high: int) -> str:
    """The other reading of an extrapolated GPU, and the range spanning both, in words."""
    edge, _ = measured_gpu_flop_per_byte()
    return (
        f"; {held:,} with the small-batch floor held at the {edge:,.0f} FLOP per byte of the "
        f"least compute-rich GPU measured instead of extrapolated (range shown: {low:,} to "
        f"{high:,}, both readings)"
    )


def _range_words(low: int, high: int) -> str:
    """The sessions range for the explanation."""
    if low == high:
        return f": {low:,} sessions per server either way"
    return f": {low:,} to {high:,} sessions per server if the rate is that far off"


def _closest_layout(
    q: _Query, workload: Workload, constants: ServingConstants, layouts: list[Replica]
) -> tuple[int, int, str, Replica] | None:
    """When no layout holds a session, the one that comes closest among those whose weights
    and one session fit: the fastest lone session, or, where lone sessions are fast enough
    everywhere and the first-token target is what stops them, the soonest first token. Its
    figure is what the planner needs to relax a target or pick other hardware (None when no
    layout fits a session at all). Ties go to fewer accelerators per replica, then plain TP."""
    fitting = [r for r in layouts if r.sessions_by_memory(workload, q.memory_margin) >= 1]
    if not fitting:
        return None
    rated = [(r.rate_per_session(1, workload, constants), r) for r in fitting]
    fast = [r for rate, r in rated if rate >= workload.slo_tps]
    if fast and workload.ttft_s is not None:
        soonest = min(fast, key=lambda r: (r.ttft_s(1, workload, constants), r.tp_degree))
        return 0, 0, "ttft", soonest
    if fast:
        return None  # a lone session meets every target: something else stops the layouts
    _, fastest = min(rated, key=lambda rated_layout: (-rated_layout[0], rated_layout[1].tp_degree))
    return 0, 0, "decode_rate", fastest


def _zero_advice(
    sessions: int, binding: str, rate: float, ttft_s: float, workload: Workload
) -> str:
    """What to do when a target leaves no session at all."""
    if sessions:
        return ""
    if binding == "ttft" and workload.ttft_s is not None:
        return (
            f"First token in {ttft_s:.2f} s at best (target {workload.ttft_s:g} s, a lone "
            "request on the layout shown): relax the target, shorten the prompts or pick "
            "faster hardware."
        )
    if binding == "decode_rate":
        return (
            f"A lone session gets {rate:.1f} tok/s at best (SLO {workload.slo_tps:g}, on the "
            "layout shown): lower the SLO or the weight precision, or pick faster hardware."
        )
    return ""


def _fitting_precision_advice(q: _Query) -> str:
    """What to do when the weights fit no replica: the highest lower weight precision at which
    they fit the whole server as one replica, or, if none does, that the server is too small."""
    usable_gb = q.server.accelerator.memory_gb * (1 - q.memory_margin) * q.server.accelerator_count
    # Ternary weights are a training choice (BitNet), not a quantisation of another model.
    lower = sorted((b for b in WEIGHT_PRECISIONS_BITS if 4 <= b < q.precision_bits), reverse=True)
    for bits in lower:
        gb = weight_bytes(q.model, bits, q.weight_overhead) / GB
        if gb <= usable_gb:
            return (
                f"At {bits}-bit weights ({gb:,.1f} GB) they fit: ask for {bits}-bit weights, "
                "or pick a server with more accelerator memory."
            )
    smallest = min(lower, default=q.precision_bits)
    gb = weight_bytes(q.model, smallest, q.weight_overhead) / GB
    return (
        f"Even at {smallest}-bit ({gb:,.1f} GB) they need more than this server's "
        f"{usable_gb:,.1f} GB: pick a server with more or larger accelerators."
    )


def _ttft_error() -> str:
    """The first-token figure's typical error, for the explanation (none without a table)."""
    error = first_token_typical_error()
    return "" if error is None else f" (typical error ±{error:.0%})"


def _calibrated(q: _Query, workload: Workload, max_sequences: int) -> CapacityResult:
    """The calibrated serving model over TP 1/2/4/8 (and, for latent-attention models, TP
    with data-parallel attention): the most sessions per server wins; ties go to fewer
    accelerators per replica, then to plain TP."""
    constants = calibrated_constants()
    acc = q.server.accelerator
    best: tuple[int, int, str, Replica] | None = None  # (per server, per replica, binding, r)
    configs = [
        (tp, dp) for tp in TP_DEGREES if tp <= q.server.accelerator_count
        for dp in (False, True) if not dp or (tp > 1 and q.model.kv_lora_rank)
    ]  # fmt: skip
    layouts = [
        Replica(acc, q.model, tp, q.precision_bits, q.weight_overhead, dp) for tp, dp in configs
    ]
    for replica in layouts:
        tp = replica.tp_degree
        per_replica, binding = replica.sessions_at(
            workload, constants, max_sequences=max_sequences, memory_margin=q.memory_margin
        )
        per_server = per_replica * (q.server.accelerator_count // tp)
        if best is None or per_server > best[0] or (best[2] == "does_not_fit" and per_replica):
            best = (per_server, per_replica, binding, replica)
    assert best is not None
    if best[0] == 0:
        best = _closest_layout(q, workload, constants, layouts) or best
    sessions, per_replica, binding, replica = best
    tp = replica.tp_degree
    replicas = q.server.accelerator_count // tp if binding != "does_not_fit" else 0
    load = max(per_replica, 1)
    terms = replica.step_terms(load, workload, constants)
    rate = 1.0 / terms["step_s"]
    ttft = replica.ttft_s(load, workload, constants)
    # "Does not fit" is memory arithmetic on the weights alone, not a fitted estimate: no
    # typical error and no evidence to quote (the result keeps its defaults).
    spread = None if binding == "does_not_fit" else uncertainty(
        acc.name, q.model, q.precision_bits, extrapolation(acc)
    )
    low, high, range_words = (
        (None, None, "") if spread is None
        else _sessions_range(
            replica, workload, constants, spread.typical_error, max_sequences, q, replicas
        )
    )  # fmt: skip
    by_memory = replica.sessions_by_memory(workload, q.memory_margin)
    limits: dict[str, float | int | None] = {
        "sessions_per_replica": per_replica,
        "sessions_by_memory": max(by_memory, 0) * (q.server.accelerator_count // tp),
        "max_sequences_per_replica": max_sequences,
        "weight_gb_per_device": replica.weight_bytes_per_device / GB,
        "kv_gb_per_session_per_device": replica.kv_bytes_per_session_per_device(workload) / GB,
        "ttft_s": ttft,
        **{f"step_{name}": value for name, value in terms.items()},
    }
    advice = _zero_advice(sessions, binding, rate, ttft, workload)
    size = f"TP {tp}" if tp > 1 else "one accelerator per replica"
    if replica.attention_data_parallel:
        size += " with data-parallel attention (each sequence's latent KV cache on one rank)"
    if spread is None:
        text = (
            f"Estimated (calibrated serving model) for {q.describe()}: the weights "
            f"({replica.weight_bytes_per_device * tp / GB:,.1f} GB) do not fit any replica "
            f"after a {q.memory_margin:.0%} memory margin, so no sessions. "
            f"{_fitting_precision_advice(q)}"
        )
    else:
        text = (
            f"Estimated (calibrated serving model) for {q.describe()}, {workload.input_tokens} "
            f"prompt + {workload.output_tokens} output tokens per request, KV cache at "
            f"{workload.kv_precision_bits}-bit, served by "
            f"{SERVING_STACK_NAMES[workload.serving_stack]}: {size}, {replicas} replica(s) of "
            f"{per_replica} sessions = {sessions} per server at {rate:.1f} tok/s each "
            f"(>= {workload.slo_tps:g}), time to first token {ttft:.2f} s{_ttft_error()}; "
            f"binding: {binding_limit_words(binding)}."
            f"{' ' + advice if advice else ''}"
            f" Typical error ±{spread.typical_error:.0%} ({spread.basis}){range_words}."
        )
    return replace(
        _result(
            q,
            sessions=sessions,
            label="estimated",
            binding=binding,  # type: ignore[arg-type]
            tp_degree=tp,
            replicas=replicas,
            mig_slices=0,
            per_session_tps=rate,
            efficiencies=(constants.gpu_bandwidth_efficiency, constants.gpu_compute_efficiency)
            if acc.kind == "gpu"
            else (constants.cpu_bandwidth_efficiency, constants.cpu_compute_efficiency),
            source=(
                "Estimated: calibrated serving model (docs/capacity.md), constants fitted on "
                "published measurements (planner/capacity/data/measurements.json)."
            ),
            explanation=text,
            limits=limits,
        ),
        **({} if spread is None else {
            "typical_error": spread.typical_error,
            "uncertainty_basis": spread.basis,
            "evidence": spread.nearest,
            "sessions_low": low,
            "sessions_high": high,
            "advice": advice,
        }),
        workload={
            "input_tokens": workload.input_tokens,
            "output_tokens": workload.output_tokens,
            "slo_tps": workload.slo_tps,
            "ttft_s": workload.ttft_s,
            "kv_precision_bits": workload.kv_precision_bits,
            "prefix_cache_hit_rate": workload.prefix_cache_hit_rate,
            "kv_reservation": workload.kv_reservation,
            "serving_stack": workload.serving_stack,
        },
        kv_gb_per_session=replica.kv_bytes_per_session_per_device(workload) * tp / GB,
        context_tokens=int(round(workload.input_tokens + workload.output_tokens)),
    )
