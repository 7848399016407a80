"""Pure LLM inference capacity estimator: sessions per server at a tokens/s SLO.

No Django or Celery here; plain frozen dataclasses in, a `CapacityResult` out. See
docs/capacity.md for the method and its sources. The fitting modules (`calibration`,
`evidence`) are imported by name, not from here: they need scipy.optimize, which every
start-up would otherwise pay for.
"""

from planner.capacity import defaults
from planner.capacity.defaults import DEFAULT_CONTEXT_TOKENS, DEFAULT_KV_PRECISION_BITS
from planner.capacity.energy import (
    co2_kg_per_1000_session_hours,
    co2_kg_per_day,
    energy_figures,
    kwh_per_day,
    tokens_per_joule,
    watts_per_session,
)
from planner.capacity.measurements import Uncertainty, calibrated_constants, uncertainty
from planner.capacity.memory import kv_bytes_per_token, weight_bytes
from planner.capacity.policies import sessions_at_slo
from planner.capacity.roofline import Efficiencies, default_efficiencies, replica_shape
from planner.capacity.serving import DEFAULT_MAX_SEQUENCES, Replica, ServingConstants
from planner.capacity.specs import (
    BINDING_LIMITS,
    LABELS,
    POLICIES,
    AcceleratorSpec,
    CapacityResult,
    Measurement,
    ModelSpec,
    ServerSpec,
    binding_limit_words,
)
from planner.capacity.workload import (
    KV_PRECISIONS,
    WEIGHT_PRECISIONS,
    WORKLOAD_DEFAULTS,
    Workload,
    is_whole_bits,
    parse_weight_precision,
    request_rate_from_sessions,
    sessions_from_request_rate,
)

__all__ = [
    "defaults",
    "DEFAULT_CONTEXT_TOKENS",
    "DEFAULT_KV_PRECISION_BITS",
    "DEFAULT_MAX_SEQUENCES",
    "KV_PRECISIONS",
    "WEIGHT_PRECISIONS",
    "WORKLOAD_DEFAULTS",
    "Replica",
    "ServingConstants",
    "Uncertainty",
    "Workload",
    "is_whole_bits",
    "parse_weight_precision",
    "calibrated_constants",
    "request_rate_from_sessions",
    "sessions_from_request_rate",
    "uncertainty",
    "BINDING_LIMITS",
    "binding_limit_words",
    "LABELS",
    "POLICIES",
    "AcceleratorSpec",
    "CapacityResult",
    "Efficiencies",
    "Measurement",
    "ModelSpec",
    "ServerSpec",
    "co2_kg_per_1000_session_hours",
    "co2_kg_per_day",
    "default_efficiencies",
    "energy_figures",
    "kv_bytes_per_token",
    "kwh_per_day",
    "replica_shape",
    "sessions_at_slo",
    "tokens_per_joule",
    "watts_per_session",
    "weight_bytes",
]
