"""What a planner states about one model's traffic.

`WORKLOAD_DEFAULTS` is a `Workload` built from `planner.capacity.defaults` (the one home of
the capacity defaults): 1,024 prompt and 256 generated tokens per request, 10 tokens/s per
session, no time-to-first-token target, a 16-bit KV cache and no prefix-cache hits.
`DEFAULT_CONTEXT_TOKENS` (4,096) is the legacy single figure of older specs and of the `study`
/ `batched` policies: the KV cache reserved per session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from planner.capacity import defaults

# Weight precisions a planner may choose; 1.58 is ternary (BitNet b1.58-style) weights.
WEIGHT_PRECISIONS: tuple[float, ...] = defaults.WEIGHT_PRECISIONS_BITS
KV_PRECISIONS: tuple[int, ...] = defaults.KV_PRECISIONS_BITS


def parse_weight_precision(value: object) -> int | float:
    """A weight precision as a planner may write it: a whole number of bits from 1 to 32
    (8, "8", 8.0), or ternary weights as 1.58 or "ternary". Whole numbers come back as int
    (old specs and queries keep their meaning), ternary as 1.58; anything else is a
    ValueError whose message says what is accepted."""
    accepted = (
        f"a whole number of bits from {defaults.PRECISION_BITS_MIN} to "
        f"{defaults.PRECISION_BITS_MAX}, or {defaults.TERNARY_BITS:g} / "
        f"{defaults.TERNARY_NAME!r} for ternary weights"
    )
    if isinstance(value, bool):
        raise ValueError(f"weight precision must be {accepted}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text == defaults.TERNARY_NAME:
            return defaults.TERNARY_BITS
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"weight precision must be {accepted}; got {value!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"weight precision must be {accepted}; got {value!r}")
    if math.isclose(value, defaults.TERNARY_BITS, abs_tol=1e-9):
        return defaults.TERNARY_BITS
    in_range = defaults.PRECISION_BITS_MIN <= value <= defaults.PRECISION_BITS_MAX
    if float(value).is_integer() and in_range:
        return int(value)
    raise ValueError(f"weight precision must be {accepted}; got {value!r}")


def is_whole_bits(precision_bits: float) -> bool:
    """Catalog profiles are stored at whole bits; ternary weights have none to look up."""
    return float(precision_bits).is_integer()


@dataclass(frozen=True)
class Workload:
    """Mean request shape and service targets for one model.

    - `input_tokens` / `output_tokens`: mean prompt and generated tokens per request.
    - `slo_tps`: decode rate each session must get, tokens/s.
    - `ttft_s`: optional time-to-first-token target, seconds (None = no target).
    - `kv_precision_bits`: KV-cache precision (16, 8 or 4), independent of the weights.
    - `prefix_cache_hit_rate`: share of prompt tokens served from the prefix cache (no prefill).
    - `kv_reservation`: "paged" sizes the KV cache at the mean occupancy of a request over its
      life (input + output / 2, as paged attention allocates blocks as tokens arrive); "full"
      reserves input + output for every session.
    - `serving_stack`: the engine ("vllm" or "tensorrt-llm"; `defaults.SERVING_STACKS`).
    """

    input_tokens: int = defaults.DEFAULT_INPUT_TOKENS
    output_tokens: int = defaults.DEFAULT_OUTPUT_TOKENS
    slo_tps: float = defaults.DEFAULT_SLO_TPS
    ttft_s: float | None = defaults.DEFAULT_TTFT_S
    kv_precision_bits: int = defaults.DEFAULT_KV_PRECISION_BITS
    prefix_cache_hit_rate: float = defaults.DEFAULT_PREFIX_CACHE_HIT_RATE
    kv_reservation: str = "paged"
    serving_stack: str = defaults.DEFAULT_SERVING_STACK

    def __post_init__(self) -> None:
        if self.input_tokens < 0 or self.output_tokens < 1:
            raise ValueError("input_tokens must be >= 0 and output_tokens >= 1")
        if not (self.slo_tps > 0 and math.isfinite(self.slo_tps)):
            raise ValueError(f"slo_tps must be a positive number, got {self.slo_tps}")
        if self.ttft_s is not None and not (self.ttft_s > 0 and math.isfinite(self.ttft_s)):
            raise ValueError(f"ttft_s must be a positive number of seconds, got {self.ttft_s}")
        if self.kv_precision_bits not in KV_PRECISIONS:
            raise ValueError(f"kv_precision_bits must be one of {KV_PRECISIONS}")
        if not 0 <= self.prefix_cache_hit_rate < 1:
            raise ValueError("prefix_cache_hit_rate must be in [0, 1)")
        if self.kv_reservation not in ("paged", "full"):
            raise ValueError("kv_reservation must be 'paged' or 'full'")
        if self.serving_stack not in defaults.SERVING_STACKS:
            raise ValueError(f"serving_stack must be one of {', '.join(defaults.SERVING_STACKS)}")

    @property
    def prefill_tokens(self) -> float:
        """Prompt tokens that need prefill compute (the rest come from the prefix cache)."""
        return self.input_tokens * (1 - self.prefix_cache_hit_rate)

    @property
    def mean_context_tokens(self) -> float:
        """Mean tokens in a session's KV cache over its life: input + output / 2."""
        return self.input_tokens + self.output_tokens / 2

    @property
    def kv_tokens_reserved(self) -> float:
        """KV tokens memory must hold per session under the chosen reservation."""
        if self.kv_reservation == "full":
            return float(self.input_tokens + self.output_tokens)
        return self.mean_context_tokens

    def with_slo(self, slo_tps: float) -> Workload:
        return replace(self, slo_tps=slo_tps)

    @classmethod
    def from_context(cls, context_tokens: int, **fields: object) -> Workload:
        """A legacy `context_tokens` figure as a workload: the output default stays and the
        prompt takes the rest (at least one token), so input + output = context."""
        output = int(fields.pop("output_tokens", WORKLOAD_DEFAULTS.output_tokens))  # type: ignore[arg-type]
        output = min(output, max(1, context_tokens - 1))
        return cls(input_tokens=max(1, context_tokens - output), output_tokens=output, **fields)  # type: ignore[arg-type]


def sessions_from_request_rate(
    requests_per_second: float, workload: Workload, ttft_s: float | None = None
) -> float:
    """Little's law: sessions in flight = arrival rate x time in the system, where a request
    stays for its time to first token plus output tokens / per-session rate."""
    if requests_per_second < 0:
        raise ValueError("requests_per_second must be >= 0")
    wait = ttft_s if ttft_s is not None else (workload.ttft_s or 0.0)
    return requests_per_second * (wait + workload.output_tokens / workload.slo_tps)


def request_rate_from_sessions(sessions: float, workload: Workload) -> float:
    """Little's law the other way: the arrival rate, requests/s, that `sessions` in flight
    stand for when each request stays its time to first token (the target, or none) plus
    output tokens at the SLO rate; the inverse of `sessions_from_request_rate`."""
    if sessions < 0:
        raise ValueError("sessions must be >= 0")
    wait = workload.ttft_s or 0.0
    return sessions / (wait + workload.output_tokens / workload.slo_tps)


WORKLOAD_DEFAULTS = Workload()
