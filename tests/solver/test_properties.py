"""Property tests: random instances against an independent brute force and the layout checker."""

from __future__ import annotations

import itertools
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.solver import RESULT_SCHEMA, check_layout, solve, validate_problem

OBJECTIVES = ("max_sessions", "min_power", "min_cost")
TOL = 1e-6


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    models: tuple[str, ...] = ("a", "b"),
    max_types: int = 2,
    max_count: int = 2,
    max_servers: int = 2,
    max_rack_u: int = 6,
    max_racks: int | None = 3,
) -> dict[str, Any]:
    objective = draw(st.sampled_from(OBJECTIVES))
    racks = []
    for t in range(draw(st.integers(1, max_types))):
        u = draw(st.integers(1, max_rack_u))
        power_kw = draw(st.sampled_from([0.3, 0.5, 1.1, 2.0, 3.3]))
        racks.append(
            {
                "name": f"r{t}",
                "u": u,
                "power_kw": power_kw,
                "reserved_u": draw(st.integers(0, min(u - 1, 1))),
                # 0.3 - 0.1 = 0.19999999999999998: exercises float noise in the budgets.
                "reserved_kw": draw(st.sampled_from([0, 0.1, 0.2])),
                "count": draw(st.integers(1, max_count)),
            }
        )
    if max_racks is not None and sum(r["count"] for r in racks) > max_racks:
        for r in racks:
            r["count"] = 1
        racks = racks[:max_racks]
    servers = []
    for i in range(draw(st.integers(1, max_servers))):
        chosen = draw(st.lists(st.sampled_from(models), unique=True, max_size=len(models)))
        need_cost = objective == "min_cost"
        servers.append(
            {
                "name": f"s{i}",
                "u": draw(st.integers(1, 3)),
                "power_w": draw(st.sampled_from([100, 150, 200, 250.5, 400, 577, 900, 1200])),
                "available": draw(st.one_of(st.none(), st.integers(0, 4))),
                "cost_usd": draw(
                    st.integers(0, 50) if need_cost else st.one_of(st.none(), st.integers(0, 50))
                ),
                "sessions": {m: draw(st.integers(0, 20)) for m in chosen},
            }
        )
    demand = {}
    for m in models:
        if draw(st.booleans()):
            lo = draw(st.one_of(st.just(0), st.integers(1, 40)))
            hi = draw(st.one_of(st.none(), st.integers(lo, lo + 50)))
            weight = draw(st.sampled_from([0, 0.5, 1, 2, 3]))
            demand[m] = {"min": lo, "max": hi, "weight": weight}
    hall = draw(st.one_of(st.none(), st.sampled_from([0.25, 0.6, 1.5, 4.0])))
    return {
        "rack_types": racks,
        "servers": servers,
        "demand": demand,
        "hall_power_kw": hall,
        "objective": objective,
    }


def brute_force(data: dict[str, Any]) -> float | None:
    """Best objective by enumerating every rack filling; None if the demand cannot be met.

    Written from the problem statement only: it shares nothing with the solver.
    """
    servers = data["servers"]
    models = sorted({m for s in servers for m in s["sessions"]} | set(data["demand"]))
    pairs = [
        (i, models.index(m), n)
        for i, s in enumerate(servers)
        for m, n in s["sessions"].items()
        if n > 0  # a server serving a 0-session model only costs U, power and money
    ]

    def fillings(cap_u: int, cap_w: float) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Distinct (servers per SKU, sessions per model) of one rack."""
        out = set()
        bounds = [range(cap_u // servers[i]["u"] + 1) for i, _, _ in pairs]
        for counts in itertools.product(*bounds):
            used_u = sum(k * servers[i]["u"] for k, (i, _, _) in zip(counts, pairs, strict=True))
            used_w = sum(
                k * servers[i]["power_w"] for k, (i, _, _) in zip(counts, pairs, strict=True)
            )
            if used_u > cap_u or used_w > cap_w + TOL:
                continue
            per_server = [0] * len(servers)
            per_model = [0] * len(models)
            for k, (i, m, n) in zip(counts, pairs, strict=True):
                per_server[i] += k
                per_model[m] += k * n
            out.add((tuple(per_server), tuple(per_model)))
        return out

    states = {((0,) * len(servers), (0,) * len(models))}
    for rack in data["rack_types"]:
        cap_u = rack["u"] - rack["reserved_u"]
        cap_w = (rack["power_kw"] - rack["reserved_kw"]) * 1000
        options = fillings(cap_u, cap_w)
        for _ in range(rack["count"]):
            states = {
                (
                    tuple(a + b for a, b in zip(s1, s2, strict=True)),
                    tuple(a + b for a, b in zip(m1, m2, strict=True)),
                )
                for s1, m1 in states
                for s2, m2 in options
            }
            states = {
                (s, m)
                for s, m in states
                if all(
                    srv["available"] is None or k <= srv["available"]
                    for k, srv in zip(s, servers, strict=True)
                )
            }

    best = None
    for per_server, per_model in states:
        power = sum(k * srv["power_w"] for k, srv in zip(per_server, servers, strict=True))
        if data["hall_power_kw"] is not None and power > data["hall_power_kw"] * 1000 + TOL:
            continue
        demand = {m: data["demand"].get(m, {}) for m in models}
        if any(per_model[j] < demand[m].get("min", 0) for j, m in enumerate(models)):
            continue
        if data["objective"] == "max_sessions":
            value = 0.0
            for j, m in enumerate(models):
                hi = demand[m].get("max")
                value += demand[m].get("weight", 1) * (
                    per_model[j] if hi is None else min(hi, per_model[j])
                )
            best = value if best is None else max(best, value)
        else:
            if data["objective"] == "min_power":
                value = power
            else:
                value = sum(k * srv["cost_usd"] for k, srv in zip(per_server, servers, strict=True))
            best = value if best is None else min(best, value)
    return best


def assert_valid(data: dict[str, Any], result: dict[str, Any]) -> None:
    jsonschema.validate(result, RESULT_SCHEMA)
    assert check_layout(validate_problem(data), result) == []


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_exact_matches_brute_force(data: dict[str, Any]) -> None:
    result = solve(data)
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "infeasible", result
        assert "demand min" in result["reason"]
    else:
        assert result["status"] == "optimal", result
        assert abs(result["objective"] - expected) <= TOL * max(1.0, abs(expected)), (
            result["objective"],
            expected,
        )
        assert result["gap"] == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances(
        models=("a", "b", "c"),
        max_types=3,
        max_count=4,
        max_servers=4,
        max_rack_u=42,
        max_racks=None,
    )
)
def test_layouts_never_break_a_limit(data: dict[str, Any]) -> None:
    result = solve(data, time_limit_s=2)
    assert result["status"] in ("optimal", "feasible", "infeasible", "unknown")
    assert_valid(data, result)
    for group in result["racks"]:
        rack = next(r for r in data["rack_types"] if r["name"] == group["rack_type"])
        assert group["used_u"] <= rack["u"] - rack["reserved_u"]
        assert group["used_kw"] <= rack["power_kw"] - rack["reserved_kw"] + 1e-3


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 50)
    | st.floats(allow_nan=True)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_any_input_gives_a_result_not_an_exception(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    """Replace one random node of a valid problem by random JSON: solve() must answer."""
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            paths.append((node, key))
            if isinstance(value, (dict, list)):
                walk(value)

    walk(data)
    container, key = draw.draw(st.sampled_from(paths))
    container[key] = draw.draw(JSON)
    result = solve(data, time_limit_s=2)
    jsonschema.validate(result, RESULT_SCHEMA)
    if result["status"] == "invalid":
        assert result["errors"] and all(result["errors"].values())
    else:
        assert check_layout(validate_problem(data), result) == []
