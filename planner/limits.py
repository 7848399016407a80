"""Problem size limits the API enforces before a problem is stored, solved or queued.

The exact solver refuses problems above 200 000 variables only after building them; these
limits (settings.PROBLEM_LIMITS, from the environment) refuse oversized input up front with a
message that names the limit and its setting. Pure: the limits come in as a plain dict.
"""
from typing import Any

# limit key -> environment variable that sets it (config/settings.py).
SETTINGS = {
    "rack_types": "PROBLEM_MAX_RACK_TYPES",
    "racks": "PROBLEM_MAX_RACKS",
    "servers": "PROBLEM_MAX_SERVERS",
    "models": "PROBLEM_MAX_MODELS",
}


def problem_sizes(problem: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """What each limit counts in a (schema-valid) problem v1: limit -> (field path, size)."""
    models = set(problem.get("demand") or {})
    for server in problem.get("servers", []):
        models.update(server.get("sessions", {}))
    return {
        "rack_types": ("rack_types", len(problem.get("rack_types", []))),
        "racks": ("rack_types", sum(r.get("count", 1) for r in problem.get("rack_types", []))),
        "servers": ("servers", len(problem.get("servers", []))),
        "models": ("demand", len(models)),
    }


def limit_errors(problem: dict[str, Any], limits: dict[str, int]) -> dict[str, list[str]]:
    """`{field path: [message]}` for every limit the problem exceeds; empty when it fits."""
    errors: dict[str, list[str]] = {}
    what = {
        "rack_types": "rack types",
        "racks": "racks (sum of rack_types[].count)",
        "servers": "server SKUs",
        "models": "models (named in demand or any server's sessions)",
    }
    for key, (path, size) in problem_sizes(problem).items():
        limit = limits.get(key)
        if limit is not None and size > limit:
            errors.setdefault(path, []).append(
                f"too many {what[key]}: {size}; the limit is {limit} ({SETTINGS[key]})"
            )
    return errors
