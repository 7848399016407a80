"""Plain, frozen inputs and the result of the capacity estimator.

Everything here is plain data so that the Django side (catalog rows, measured profiles) can build
it with `from_mapping` and the pure core can be tested without a database. Units are in the
field names: GB means 1e9 bytes, GB/s means 1e9 bytes per second, TFLOPS means 1e12 FLOP/s.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar

Kind = Literal["gpu", "cpu"]
Policy = Literal["study", "batched", "calibrated"]
Label = Literal["measured", "study rule", "estimated"]
BindingLimit = Literal[
    "does_not_fit",
    "memory_capacity",
    "memory_bandwidth",
    "compute",
    "partitioning_rule",
    "measured",
    "decode_rate",
    "ttft",
    "serving_stack",
]

KINDS: tuple[str, ...] = ("gpu", "cpu")
POLICIES: tuple[str, ...] = ("study", "batched", "calibrated")
LABELS: tuple[str, ...] = ("measured", "study rule", "estimated")
BINDING_LIMITS: tuple[str, ...] = (
    "does_not_fit",
    "memory_capacity",
    "memory_bandwidth",
    "compute",
    "partitioning_rule",
    "measured",
    "decode_rate",
    "ttft",
    "serving_stack",
)


def binding_limit_words(limit: str) -> str:
    """A binding limit as people read it on a page: 'does_not_fit' -> 'does not fit'."""
    return "time to first token" if limit == "ttft" else limit.replace("_", " ")

_T = TypeVar("_T")


def _from_mapping(cls: type[_T], data: Mapping[str, Any], **overrides: Any) -> _T:
    """Build `cls` from a mapping, ignoring keys it does not know.

    Catalog rows carry extra columns (vendor, source, price); dropping them here keeps the
    bridge from Django a one-liner instead of a hand-written field list that drifts.
    """
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {key: value for key, value in data.items() if key in names}
    values.update(overrides)
    return cls(**values)


def _check_bits(name: str, bits: float) -> None:
    if not 1 <= bits <= 32:
        raise ValueError(f"{name} must be between 1 and 32 bits, got {bits}")


def _check_positive(owner: str, **values: float | None) -> None:
    for name, value in values.items():
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{owner}.{name} must be a positive finite number, got {value}")


@dataclass(frozen=True)
class AcceleratorSpec:
    """One GPU or CPU socket.

    `tflops_16` / `tflops_8` are dense figures (vendors often headline 2x sparse). CPUs may
    instead give cores, clock and vector FLOP per cycle, and memory channels and MT/s; when
    given, those override the TFLOPS / bandwidth fields in the batched policy.
    `bandwidth_efficiency` / `compute_efficiency` left as None use the documented defaults
    (see `planner.capacity.roofline`).
    """

    name: str
    kind: Kind
    memory_gb: float
    memory_bandwidth_gbps: float
    tflops_16: float
    tflops_8: float
    tdp_w: float
    mig_max_instances: int = 0
    mig_slice_memory_gb: float | None = None
    interconnect_gbps: float | None = None
    cores: int | None = None
    clock_ghz: float | None = None
    vector_flops_per_cycle: float | None = None
    memory_channels: int | None = None
    memory_mts: float | None = None
    bandwidth_efficiency: float | None = None
    compute_efficiency: float | None = None
    # 4-bit (FP4) dense TFLOPS where the hardware has it (Blackwell); None = no 4-bit units, so
    # 4-bit weights run at the 8-bit rate. CPUs: FLOP per cycle per core of a matrix unit
    # (Intel AMX, Arm SME) at 16-bit, which replaces the vector rate when given.
    tflops_4: float | None = None
    matrix_flops_per_cycle: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"AcceleratorSpec.kind must be one of {KINDS}, got {self.kind!r}")
        _check_positive(
            "AcceleratorSpec",
            memory_gb=self.memory_gb,
            memory_bandwidth_gbps=self.memory_bandwidth_gbps,
            mig_slice_memory_gb=self.mig_slice_memory_gb,
            interconnect_gbps=self.interconnect_gbps,
            cores=self.cores,
            clock_ghz=self.clock_ghz,
            vector_flops_per_cycle=self.vector_flops_per_cycle,
            memory_channels=self.memory_channels,
            memory_mts=self.memory_mts,
            tflops_4=self.tflops_4,
            matrix_flops_per_cycle=self.matrix_flops_per_cycle,
        )
        for name in ("tflops_16", "tflops_8", "tdp_w"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"AcceleratorSpec.{name} must be >= 0, got {value}")
        if self.mig_max_instances < 0:
            raise ValueError("AcceleratorSpec.mig_max_instances must be >= 0")
        if self.mig_slice_memory_gb is not None and self.mig_slice_memory_gb > self.memory_gb:
            raise ValueError("AcceleratorSpec.mig_slice_memory_gb cannot exceed memory_gb")
        for name in ("bandwidth_efficiency", "compute_efficiency"):
            value = getattr(self, name)
            if value is not None and not 0 < value <= 1:
                raise ValueError(f"AcceleratorSpec.{name} must be in (0, 1], got {value}")

    @property
    def smallest_mig_slice_gb(self) -> float | None:
        """Memory of the smallest MIG slice, or None without MIG.

        When the catalog leaves it empty we fall back to memory / instances, the seed study's
        80 / 7 = 11.4 GB assumption (a real H100 1g.10gb slice exposes about 10 GB).
        """
        if self.mig_max_instances <= 0:
            return None
        if self.mig_slice_memory_gb is not None:
            return self.mig_slice_memory_gb
        return self.memory_gb / self.mig_max_instances

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AcceleratorSpec:
        """Build from a catalog row or dict; unknown keys (vendor, source...) are ignored."""
        return _from_mapping(cls, data)


@dataclass(frozen=True)
class ServerSpec:
    """A server SKU: a chassis with `accelerator_count` of one accelerator."""

    name: str
    u_height: int
    power_w: float
    accelerator: AcceleratorSpec
    accelerator_count: int

    def __post_init__(self) -> None:
        if self.u_height < 1 or self.accelerator_count < 1:
            raise ValueError("ServerSpec.u_height and accelerator_count must be at least 1")
        _check_positive("ServerSpec", power_w=self.power_w)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], accelerator: AcceleratorSpec) -> ServerSpec:
        """Build from a catalog row; the accelerator is passed in already built."""
        return _from_mapping(cls, data, accelerator=accelerator)


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer's shape (Llama-style, grouped-query attention).

    Mixture-of-experts models also give `active_parameters_b` (per token), `expert_count`
    routed experts and `experts_per_token` (top-k); `shared_expert_count` experts run for every
    token and count as dense. Multi-head latent attention (DeepSeek) gives `kv_lora_rank` and
    `qk_rope_head_dim`: its KV cache holds one latent of that width per layer and token.
    Sliding-window (local) attention (gpt-oss, Gemma 2 / 3, Llama 4's chunked layers) gives
    `sliding_window_tokens` W and `sliding_window_layers`, how many of `layers` attend over only
    the last W tokens; the others attend over the whole context.
    Field names match the catalog's `ModelClass`.
    """

    name: str
    parameters_b: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    default_precision_bits: int = 8
    active_parameters_b: float | None = None
    expert_count: int | None = None
    experts_per_token: int | None = None
    shared_expert_count: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    sliding_window_tokens: int | None = None
    sliding_window_layers: int | None = None

    def __post_init__(self) -> None:
        _check_positive(
            "ModelSpec",
            sliding_window_tokens=self.sliding_window_tokens,
            parameters_b=self.parameters_b,
            active_parameters_b=self.active_parameters_b,
            expert_count=self.expert_count,
            experts_per_token=self.experts_per_token,
            kv_lora_rank=self.kv_lora_rank,
        )
        if self.active_parameters_b is not None and self.active_parameters_b > self.parameters_b:
            raise ValueError("ModelSpec.active_parameters_b cannot exceed parameters_b")
        if (self.expert_count is None) != (self.experts_per_token is None):
            raise ValueError("ModelSpec.expert_count and experts_per_token go together")
        if self.expert_count is not None and self.experts_per_token > self.expert_count:
            raise ValueError("ModelSpec.experts_per_token cannot exceed expert_count")
        for name in ("layers", "hidden_size", "attention_heads", "kv_heads", "head_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"ModelSpec.{name} must be at least 1")
        if self.kv_heads > self.attention_heads:
            raise ValueError("ModelSpec.kv_heads cannot exceed attention_heads")
        _check_bits("ModelSpec.default_precision_bits", self.default_precision_bits)
        local = self.sliding_window_layers or 0
        if local < 0 or local > self.layers:
            raise ValueError("ModelSpec.sliding_window_layers must be between 0 and layers")
        if bool(local) != (self.sliding_window_tokens is not None):
            raise ValueError(
                "ModelSpec.sliding_window_tokens and sliding_window_layers go together"
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Build from a catalog row or dict; unknown keys are ignored."""
        return _from_mapping(cls, data)

    @property
    def is_moe(self) -> bool:
        return bool(self.expert_count and self.active_parameters_b)

    @property
    def local_attention_layers(self) -> int:
        """Layers that attend over only the last `sliding_window_tokens` tokens (0: none)."""
        return self.sliding_window_layers or 0

    @property
    def compute_parameters_b(self) -> float:
        """Parameters each token multiplies through: active ones for MoE, all for dense."""
        return self.active_parameters_b or self.parameters_b


@dataclass(frozen=True)
class Measurement:
    """A measured capacity figure (a profile). Measured figures win over any estimate.

    `sessions` is per server and was sustained at `slo_tps` tokens/s per session or better.
    """

    server: str
    model: str
    precision_bits: int
    sessions: int
    slo_tps: float
    source: str = ""
    context_tokens: int | None = None  # tokens per session it was measured at; None: unstated

    def __post_init__(self) -> None:
        _check_bits("Measurement.precision_bits", self.precision_bits)
        if self.sessions < 0:
            raise ValueError("Measurement.sessions must be >= 0")
        _check_positive("Measurement", slo_tps=self.slo_tps)


def _json_number(value: Any) -> Any:
    """JSON has no infinity or NaN; an unbounded figure is reported as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class CapacityResult:
    """Sessions one server sustains for one model at an SLO, and why.

    - `sessions`: concurrent sessions per server, each at `slo_tps` tokens/s or better;
      0 = cannot serve.
    - `label`: where the figure comes from ("measured", "study rule", "estimated").
    - `binding_limit`: what stopped the count from growing (see `BINDING_LIMITS`).
    - `tp_degree`: accelerators per replica (tensor parallel); 1 for a MIG slice. When the
      weights fit nowhere, the largest degree tried.
    - `replicas_per_server`: model copies on the server (MIG slices count one each); 0 when
      the weights fit nowhere. Measured figures do not say how they were deployed: they
      report TP 1 and one replica (0 for a measured 0).
    - `mig_slices_used`: MIG slices used per accelerator (0 = MIG not used).
    - `per_session_tps`: tokens/s each session gets at that load. For "estimated" it is the
      model's prediction; for "measured" and "study rule" it is the SLO the figure was claimed
      at, i.e. a lower bound. None when sessions == 0.
    - `power_per_session_w`: server power / sessions (None when sessions == 0).
    - `weight_gb_per_replica`, `kv_gb_per_session`: whole-replica figures (KV at the full
      context, including KV heads replicated when TP exceeds the KV head count; sliding-window
      layers at most their window).
    - `bandwidth_efficiency`, `compute_efficiency`: used by the estimate (None otherwise).
    - `limits`: the figures behind each limit (sessions per server allowed by memory,
      bandwidth and compute, step-time terms...). Excluded from hashing.
    """

    server: str
    model: str
    precision_bits: int
    slo_tps: float
    context_tokens: int
    sessions: int
    label: Label
    policy: Policy
    binding_limit: BindingLimit
    tp_degree: int
    replicas_per_server: int
    mig_slices_used: int
    per_session_tps: float | None
    power_per_session_w: float | None
    weight_gb_per_replica: float
    kv_gb_per_session: float
    bandwidth_efficiency: float | None
    compute_efficiency: float | None
    source: str
    explanation: str
    limits: Mapping[str, float | int | None] = field(default_factory=dict, hash=False)
    # Calibrated estimates only: typical error (fraction) from held-out residuals of similar
    # measurements, which rows it pools, the nearest measurements, and the workload used.
    typical_error: float | None = None
    uncertainty_basis: str = ""
    evidence: tuple[str, ...] = ()
    # ... and the sessions that error in the rate means: the figure if every session's rate
    # were the typical error slower (low) or faster (high) than modelled.
    sessions_low: int | None = None
    sessions_high: int | None = None
    # A figure of 0 that a target causes: what a lone session reaches and what to change.
    advice: str = ""
    workload: Mapping[str, float | int | str | None] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "workload", MappingProxyType(dict(self.workload)))
        # A read-only view keeps the frozen promise for the one mutable-typed field.
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable dict (non-finite numbers become null)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("limits", "workload"):
                value = {key: _json_number(item) for key, item in value.items()}
            elif f.name == "evidence":
                value = list(value)
            out[f.name] = _json_number(value)
        return out

    def to_json(self) -> str:
        """`to_dict()` as a JSON string (strict: no NaN / Infinity)."""
        return json.dumps(self.to_dict(), allow_nan=False, sort_keys=True)


@lru_cache(maxsize=1024)
def accelerator_family(name: str) -> str:
    """Architecture family used to pool residuals: similar silicon and serving software."""
    # First match wins: "h20" also matches the H200 and "a10" the A100, same families.
    table = (
        ("h100", "nvidia-hopper"), ("h200", "nvidia-hopper"), ("gh200", "nvidia-hopper"),
        ("h20", "nvidia-hopper"),
        ("b200", "nvidia-blackwell"), ("b300", "nvidia-blackwell"), ("gb200", "nvidia-blackwell"),
        ("rtx-pro-6000", "nvidia-blackwell"),
        ("a100", "nvidia-ampere"), ("a10", "nvidia-ampere"),
        ("l40s", "nvidia-ada"), ("l4", "nvidia-ada"), ("rtx-6000-ada", "nvidia-ada"),
        ("t4", "nvidia-turing"), ("v100", "nvidia-volta"),
        ("mi300", "amd-cdna3"), ("mi325", "amd-cdna3"), ("mi350", "amd-cdna4"),
        ("mi355", "amd-cdna4"),
        ("mi210", "amd-cdna2"), ("mi250", "amd-cdna2"),
        ("gaudi", "intel-gaudi"),
    )  # fmt: skip
    lowered = name.lower()
    for needle, family in table:
        if needle in lowered:
            return family
    cpus = ("ampere", "xeon", "epyc", "graviton", "grace")
    return "cpu" if any(s in lowered for s in cpus) else "other"
