"""The one bridge from catalog rows to a plain problem v1 for the pure solver.

Catalog fields keep their names in the problem where they mean the same thing (`name`,
`power_w`, `reserved_u`, `reserved_kw`). Three differ, because problem format v1 is a public
contract older than the catalog and written for hand-made files:

- `RackType.u_height`, `ServerModel.u_height` -> `u`: a problem row has only one height;
- `RackType.budget_kw` -> `power_kw`: the rack's power capacity, before reserve, feeds and
  derating are taken off;
- `ServerModel.price_usd` (a Decimal) -> `cost_usd` (a number): the `min_cost` objective's
  unit, and JSON has no decimals.
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from inventory.models import Cooling, ModelClass, PerformanceProfile, RackType, ServerModel
from planner import solver
from planner.bridge.figures import capacity_figure
from planner.capacity import (
    WORKLOAD_DEFAULTS,
    Workload,
    defaults,
    is_whole_bits,
    sessions_from_request_rate,
)


def rack_type_entry(rack: RackType, count: int = 1) -> dict:
    return {
        "name": rack.name,
        "u": rack.u_height,
        "power_kw": rack.budget_kw,
        "reserved_u": rack.reserved_u,
        "reserved_kw": rack.reserved_kw,
        "count": count,
        "derating_pct": rack.derating_pct,
        "feeds": rack.feeds,
        "cooling_kw": rack.cooling_kw,
        "max_weight_kg": rack.max_weight_kg,
    }


@dataclass(frozen=True)
class RackUsable:
    """What one rack of a type offers the solver: U and kW after reserve, feeds, derating and
    cooling, by the solver's own rule (`planner.solver.RackType`)."""

    usable_u: int
    usable_kw: float


def rack_usable(rack: RackType) -> RackUsable:
    """The usable U and kW of one catalog rack type, as the solver will see them."""
    entry = rack_type_entry(rack)
    parsed = solver.validate_problem(
        {"rack_types": [entry], "servers": [], "demand": {}, "objective": "max_sessions"}
    ).rack_types[0]
    return RackUsable(usable_u=parsed.usable_u, usable_kw=round(parsed.usable_w / 1000.0, 3))


def server_entry(server: ServerModel, sessions: dict[str, int]) -> dict:
    return {
        "name": server.name,
        "u": server.u_height,
        "power_w": server.power_w,
        "available": None,
        "cost_usd": float(server.price_usd) if server.price_usd is not None else None,
        "weight_kg": server.weight_kg,
        "sessions": sessions,
        # What a buyer orders besides the chassis; the solver ignores x- fields, the BOM reads it.
        "x-accelerator": {
            "name": server.accelerator.name,
            "count": server.accelerator_count,
        },
    }


def profile_sessions(
    server: ServerModel,
    models: Iterable[ModelClass],
    precision_bits: int,
    slo_tps: float,
) -> dict[str, PerformanceProfile]:
    """The catalog's profiles of `server` for `models` at a precision and SLO, by model name."""
    if not is_whole_bits(precision_bits):
        return {}  # profiles are stored at whole bits; ternary weights have none
    profiles = PerformanceProfile.objects.filter(
        server_model=server,
        model_class__in=list(models),
        precision_bits=precision_bits,
        slo_tps=slo_tps,
    ).select_related("model_class")
    return {profile.model_class.name: profile for profile in profiles}


def single_model_problem(
    rack: RackType, server: ServerModel, model: ModelClass, sessions_per_server: int
) -> dict:
    """One rack filled with one server SKU serving one model: the seed study's question."""
    return {
        "rack_types": [rack_type_entry(rack)],
        "servers": [server_entry(server, {model.name: sessions_per_server})],
        "demand": {model.name: {"min": 0, "max": None, "weight": 1.0}},
        "hall_power_kw": None,
        "objective": "max_sessions",
    }


class ScenarioSpecError(ValueError):
    """A scenario spec that does not build a problem; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


SPEC_SCHEMA = json.loads(
    (Path(__file__).resolve().parent / "schema" / "scenario-spec-v1.schema.json").read_text(
        encoding="utf-8"
    )
)
#: The most models a scenario spec takes (its schema's limit).
SPEC_MAX_MODELS = SPEC_SCHEMA["properties"]["models"]["maxItems"]
SPEC_DEFAULTS = {
    "slo_tps": defaults.DEFAULT_SLO_TPS,
    "precision_bits": defaults.DEFAULT_PRECISION_BITS,
    "context_tokens": defaults.DEFAULT_CONTEXT_TOKENS,
    "capacity_policy": defaults.SPEC_POLICY_WHEN_ABSENT,
    "objective": "max_sessions",
    "hall_power_kw": None,
    "power_basis": "nameplate",
    "power_headroom_pct": 0.0,
}


def validate_spec(spec: object) -> dict:
    """Check a scenario spec's shape and catalog names; return it with defaults filled in."""
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(SPEC_SCHEMA)
    for error in sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path)):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        ).lstrip(".")
        errors.setdefault(path or "spec", []).append(error.message)
    if errors:
        raise ScenarioSpecError(errors)
    spec = {**SPEC_DEFAULTS, **spec}
    lookups = [
        ("rack_types", "rack_type", RackType),
        ("servers", "server_model", ServerModel),
        ("models", "model_class", ModelClass),
    ]
    for section, key, model in lookups:
        names = [item[key] for item in spec[section]]
        known = set(model.objects.filter(name__in=names).values_list("name", flat=True))
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name not in known:
                errors.setdefault(f"{section}[{i}].{key}", []).append(
                    f"no {model._meta.verbose_name} named {name!r} in the catalog"
                )
            elif name in seen:
                errors.setdefault(f"{section}[{i}].{key}", []).append(f"{name!r} is listed twice")
            seen.add(name)
    if not errors:
        errors.update(_placement_errors(spec))
    for i, item in enumerate(spec["models"]):
        if item.get("max") is not None and item["max"] < item.get("min", 0):
            errors.setdefault(f"models[{i}].max", []).append("max must not be below min")
    trains = spec.get("power_trains")
    racks = sum(item.get("count", 1) for item in spec["rack_types"])
    if trains is not None and trains["count"] > racks:
        errors.setdefault("power_trains.count", []).append(
            f"{trains['count']} power trains need at least as many racks; the spec has {racks}"
        )
    if errors:
        raise ScenarioSpecError(errors)
    return spec


def _placement_errors(spec: dict) -> dict[str, list[str]]:
    """Catalog facts problem v1 cannot express per rack type, refused here: a liquid-cooled
    server needs every rack type of the spec to be direct-liquid cooled (the solver may put any
    server in any rack), and a rack weight limit needs every server's weight."""
    errors: dict[str, list[str]] = {}
    racks = list(RackType.objects.filter(name__in=[r["rack_type"] for r in spec["rack_types"]]))
    servers = ServerModel.objects.in_bulk(
        [s["server_model"] for s in spec["servers"]], field_name="name"
    )
    not_liquid = [r.name for r in racks if r.cooling != RackType.RackCooling.DIRECT_LIQUID]
    weight_limited = [r.name for r in racks if r.max_weight_kg is not None]
    for i, item in enumerate(spec["servers"]):
        server = servers[item["server_model"]]
        if server.cooling == Cooling.LIQUID and not_liquid:
            errors.setdefault(f"servers[{i}].server_model", []).append(
                f"{server.name!r} is liquid-cooled; rack type(s) {', '.join(not_liquid)} are "
                "not direct-liquid cooled"
            )
        if server.weight_kg is None and weight_limited:
            errors.setdefault(f"servers[{i}].server_model", []).append(
                f"{server.name!r} has no weight_kg; rack type(s) {', '.join(weight_limited)} "
                "have a weight limit"
            )
    return errors


def scenario_problem(scenario) -> dict:
    """The problem to solve now: built from the spec and today's catalog, or the raw one."""
    if scenario.spec is not None:
        return build_problem(scenario.spec)
    return scenario.problem


def build_problem(spec: dict) -> dict:
    """Turn a scenario spec into a problem v1, filling each server's sessions per model.

    Sessions come from the catalog's measured profiles where they apply and from the capacity
    model otherwise (`capacity_figure`); each figure's label and explanation travel with the
    problem under `x-capacity`, which the solver ignores and the pages show. Each server's
    planned power follows the spec's `power_basis` (ServerModel.planning_power_w), labelled
    under `x-power`.
    """
    spec = validate_spec(spec)
    racks = RackType.objects.in_bulk(
        [r["rack_type"] for r in spec["rack_types"]], field_name="name"
    )
    servers = ServerModel.objects.select_related("accelerator").in_bulk(
        [s["server_model"] for s in spec["servers"]], field_name="name"
    )
    models = ModelClass.objects.in_bulk(
        [m["model_class"] for m in spec["models"]], field_name="name"
    )
    workloads = {m["model_class"]: model_workload(spec, m) for m in spec["models"]}
    capacity: dict[str, dict[str, dict]] = {}
    power: dict[str, dict] = {}
    server_entries = []
    for item in spec["servers"]:
        server = servers[item["server_model"]]
        sessions: dict[str, int] = {}
        capacity[server.name] = {}
        for entry in spec["models"]:
            model = models[entry["model_class"]]
            figure = capacity_figure(
                server,
                model,
                precision_bits=spec["precision_bits"],
                slo_tps=float(entry.get("slo_tps", spec["slo_tps"])),
                context_tokens=spec["context_tokens"],
                policy=spec["capacity_policy"],
                workload=workloads[model.name] if spec["capacity_policy"] == "calibrated" else None,
            )
            capacity[server.name][model.name] = {
                "sessions": figure.sessions,
                "label": figure.label,
                "binding_limit": figure.binding_limit,
                "explanation": figure.explanation,
                # An estimate's sessions at its typical error either way (summary.sessions_range).
                **({} if figure.sessions_low is None else {
                    "sessions_low": figure.sessions_low,
                    "sessions_high": figure.sessions_high,
                }),
            }  # fmt: skip
            if figure.sessions > 0:
                sessions[model.name] = figure.sessions
        watts, power_label = server.planning_power_w(
            spec["power_basis"], float(spec["power_headroom_pct"])
        )
        power[server.name] = {"power_w": watts, "basis": power_label}
        server_entries.append(
            {**server_entry(server, sessions), "available": item.get("available"),
             "power_w": watts}
        )
    problem = {
        "rack_types": [
            rack_type_entry(racks[r["rack_type"]], r.get("count", 1)) for r in spec["rack_types"]
        ],
        "servers": server_entries,
        "demand": {
            m["model_class"]: {
                "min": demand_min_sessions(m, workloads[m["model_class"]]),
                "max": m.get("max"),
                "weight": m.get("weight", 1.0),
            }
            for m in spec["models"]
        },
        "hall_power_kw": spec["hall_power_kw"],
        "objective": spec["objective"],
        "x-capacity": {
            "policy": spec["capacity_policy"],
            "slo_tps": spec["slo_tps"],
            "precision_bits": spec["precision_bits"],
            "context_tokens": spec["context_tokens"],
            "figures": capacity,
        },
        "x-power": {
            "basis": spec["power_basis"],
            "headroom_pct": spec["power_headroom_pct"],
            "servers": power,
        },
    }
    # Old specs (no calibrated policy, no request rates) keep their problem byte for byte.
    if sizes_by_requests(spec):
        problem["x-capacity"]["workloads"] = workload_figures(spec, workloads)
    for key in ("resilience", "power_trains", "budget_usd", "budget_basis"):
        # Problem v1 fields added later; a spec that leaves them out builds the same problem.
        if spec.get(key) is not None:
            problem[key] = spec[key]
    if spec.get("tco") is not None:
        # The cost settings travel as given; absent fields keep their defaults (docs/tco.md).
        problem["tco"] = dict(spec["tco"])
    return problem


def sizes_by_requests(spec: dict) -> bool:
    """Whether a spec (defaults filled in) sizes its models by their requests: the calibrated
    policy, or a model's demand stated as requests/s."""
    return spec["capacity_policy"] == "calibrated" or any(
        m.get("requests_per_second") is not None for m in spec["models"]
    )


def workload_figures(spec: dict, workloads: dict[str, Workload] | None = None) -> dict[str, dict]:
    """Each model's workload as a problem's `x-capacity.workloads` records it, from a spec
    with its defaults filled in (`SPEC_DEFAULTS`); `workloads` (by model) when already built."""
    figures = {}
    for entry in spec["models"]:
        name = entry["model_class"]
        w = workloads[name] if workloads is not None else model_workload(spec, entry)
        figures[name] = {
            "input_tokens": w.input_tokens,
            "output_tokens": w.output_tokens,
            "slo_tps": w.slo_tps,
            "ttft_s": w.ttft_s,
            "kv_precision_bits": w.kv_precision_bits,
            "prefix_cache_hit_rate": w.prefix_cache_hit_rate,
            "requests_per_second": entry.get("requests_per_second"),
            "min_sessions": demand_min_sessions(entry, w),
            # Only when chosen: problems of specs that never name an engine stay as they were.
            **({"serving_stack": w.serving_stack} if "serving_stack" in entry else {}),
        }
    return figures


def model_workload(spec: dict, entry: dict) -> Workload:
    """One model's workload: its own fields, else the spec's, else `WORKLOAD_DEFAULTS`. A spec
    that gives only the legacy `context_tokens` keeps its meaning: input + output = context."""
    fields = {
        "slo_tps": float(entry.get("slo_tps", spec["slo_tps"])),
        "ttft_s": entry.get("ttft_s"),
        "kv_precision_bits": entry.get("kv_precision_bits", WORKLOAD_DEFAULTS.kv_precision_bits),
        "prefix_cache_hit_rate": entry.get("prefix_cache_hit_rate", 0.0),
        "serving_stack": entry.get("serving_stack", WORKLOAD_DEFAULTS.serving_stack),
    }
    if "input_tokens" in entry or "output_tokens" in entry:
        return Workload(
            input_tokens=entry.get("input_tokens", WORKLOAD_DEFAULTS.input_tokens),
            output_tokens=entry.get("output_tokens", WORKLOAD_DEFAULTS.output_tokens),
            **fields,
        )
    return Workload.from_context(spec["context_tokens"], **fields)


def demand_min_sessions(entry: dict, workload: Workload) -> int:
    """The model's minimum sessions: `min`, raised to the Little's-law sessions of
    `requests_per_second` (rate x (TTFT target + output tokens / SLO)) when given."""
    base = entry.get("min", 0)
    rate = entry.get("requests_per_second")
    if rate is None:
        return base
    return max(base, math.ceil(sessions_from_request_rate(rate, workload) - 1e-9))
