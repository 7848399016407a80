"""Size limits and the time budget: the solver's one home for both.

Size limits come in two strengths that share one code path (:func:`problem_sizes` counts,
:func:`exceeded` compares):

* the solver's **hard maximums** (:data:`HARD_LIMITS`, documented in docs/problem-format.md,
  "Size limits"), which bound the memory and time of every method; :func:`hard_limit_errors`
  words them as "size limit: ..." and ``validate_problem`` enforces them;
* stricter **deployment limits** a caller passes in (the API reads them from the environment,
  see :data:`LIMIT_SETTINGS`); :func:`limit_errors` words them naming the setting, so an
  operator can tell which variable to raise.

The time budget (:data:`DEFAULT_TIME_LIMIT_S`, :func:`time_budget_s`) is what ``solve()``, the
worker and the synchronous API all use to turn a requested limit and a cap into seconds.

Pure: no Django; the deployment limits arrive as a plain dict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

#: Documented hard maximums per limit key (docs/problem-format.md, "Size limits"). They bound
#: memory and time of every method; the hall-scale issue asked for at least 20,000 racks, 200 SKUs
#: and 20 models.
MAX_RACKS = 100_000
MAX_RACK_TYPES = 100
MAX_SERVERS = 500
MAX_MODELS = 50
HARD_LIMITS: dict[str, int] = {
    "rack_types": MAX_RACK_TYPES,
    "racks": MAX_RACKS,
    "servers": MAX_SERVERS,
    "models": MAX_MODELS,
}

#: Limit key -> environment variable that sets the deployment limit (config/settings.py).
LIMIT_SETTINGS: dict[str, str] = {
    "rack_types": "PROBLEM_MAX_RACK_TYPES",
    "racks": "PROBLEM_MAX_RACKS",
    "servers": "PROBLEM_MAX_SERVERS",
    "models": "PROBLEM_MAX_MODELS",
}

#: Limit key -> the field path the hard-limit message is reported under. Models are named by
#: servers and demand alike, so that message goes on the root rather than on either list.
_HARD_PATHS = {"rack_types": "rack_types", "racks": "rack_types", "servers": "servers",
               "models": "(root)"}
_HARD_WORDS = {
    "rack_types": "rack types",
    "racks": "racks in total (sum of count)",
    "servers": "server SKUs",
    "models": "models (named by servers and demand)",
}
_SETTING_WORDS = {
    "rack_types": "rack types",
    "racks": "racks (sum of rack_types[].count)",
    "servers": "server SKUs",
    "models": "models (named in demand or any server's sessions)",
}

#: Budget in seconds when neither the caller nor the problem sets ``time_limit_s``.
DEFAULT_TIME_LIMIT_S = 60.0


def problem_sizes(problem: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    """What each limit counts in a (schema-valid) problem v1: limit key -> (field path, size)."""
    rack_types = problem.get("rack_types") or []
    models = set(problem.get("demand") or {})
    for server in problem.get("servers") or []:
        models.update(server.get("sessions") or {})
    return {
        "rack_types": ("rack_types", len(rack_types)),
        "racks": ("rack_types", sum(int(r.get("count", 1)) for r in rack_types)),
        "servers": ("servers", len(problem.get("servers") or [])),
        "models": ("demand", len(models)),
    }


def exceeded(
    problem: Mapping[str, Any], limits: Mapping[str, int | None]
) -> list[tuple[str, str, int, int]]:
    """``(limit key, field path, size, limit)`` for every limit the problem exceeds, in key order.

    A limit that is missing or ``None`` in ``limits`` is not checked.
    """
    out = []
    for key, (path, size) in problem_sizes(problem).items():
        limit = limits.get(key)
        if limit is not None and size > limit:
            out.append((key, path, size, limit))
    return out


def hard_limit_errors(problem: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{field path: [message]}`` for every hard maximum exceeded (``size limit: ...``)."""
    errors: dict[str, list[str]] = {}
    for key, _, size, limit in exceeded(problem, HARD_LIMITS):
        errors.setdefault(_HARD_PATHS[key], []).append(
            f"size limit: at most {limit} {_HARD_WORDS[key]}, got {size}"
        )
    return errors


def limit_errors(
    problem: Mapping[str, Any], limits: Mapping[str, int | None]
) -> dict[str, list[str]]:
    """``{field path: [message]}`` for every deployment limit exceeded; empty when it fits.

    Each message names the environment variable of :data:`LIMIT_SETTINGS` that sets the limit, e.g.
    ``too many racks (sum of rack_types[].count): 5000; the limit is 2000 (PROBLEM_MAX_RACKS)``.
    """
    errors: dict[str, list[str]] = {}
    for key, path, size, limit in exceeded(problem, limits):
        errors.setdefault(path, []).append(
            f"too many {_SETTING_WORDS[key]}: {size}; the limit is {limit} ({LIMIT_SETTINGS[key]})"
        )
    return errors


def is_time_limit(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a usable time limit: a finite number > 0 (``bool`` is not a number)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def time_budget_s(requested: object, cap_s: float | None = None, margin_s: float = 0.0) -> float:
    """Seconds a solve may take.

    ``requested`` (typically the problem's ``time_limit_s``) counts when :func:`is_time_limit`
    accepts it; anything else (``None``, a string, 0, NaN) means :data:`DEFAULT_TIME_LIMIT_S`.
    A ``cap_s`` (a worker's soft time limit, the synchronous API's ceiling) then caps the budget
    at ``cap_s - margin_s``, the margin leaving time to store the result, but never below
    ``cap_s / 2`` so that a margin as large as the cap still leaves a usable budget. A ``cap_s``
    of ``None`` or 0 means no cap.
    """
    budget = float(requested) if is_time_limit(requested) else DEFAULT_TIME_LIMIT_S
    if cap_s:
        budget = min(budget, max(cap_s - margin_s, cap_s / 2))
    return budget
