"""Layouts that survive one rack or one server failing (planner/solver/resilience.py), against an
independent brute force, in every method."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.solver import ProblemError, check_layout, solve, validate_problem
from tests.solver.test_properties import assert_valid, instances

TOL = 1e-6
KINDS = ("n_plus_1_rack", "n_plus_1_server")


def brute_force(data: dict[str, Any]) -> float | None:
    """Best objective over every layout that survives the loss asked for; None if none does.

    Enumerates each rack's contents as (server, model) counts, keeping per model the total, the
    most one rack holds and the most one placed server gives. Shares nothing with the solver.
    """
    servers = data["servers"]
    models = sorted({m for s in servers for m in s["sessions"]} | set(data["demand"]))
    pairs = [
        (i, models.index(m), n)
        for i, s in enumerate(servers)
        for m, n in s["sessions"].items()
        if n > 0
    ]

    def fillings(cap_u: int, cap_w: float) -> list[tuple]:
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
            top_server = [0] * len(models)
            for k, (i, m, n) in zip(counts, pairs, strict=True):
                per_server[i] += k
                per_model[m] += k * n
                if k:
                    top_server[m] = max(top_server[m], n)
            out.add((tuple(per_server), tuple(per_model), tuple(top_server)))
        return sorted(out)

    racks = []
    for rack in data["rack_types"]:
        options = fillings(
            rack["u"] - rack["reserved_u"], (rack["power_kw"] - rack["reserved_kw"]) * 1000
        )
        racks.append((options, rack["count"]))
    layouts = [[]]
    for options, count in racks:
        layouts = [
            chosen + list(combo)
            for chosen in layouts
            for combo in itertools.combinations_with_replacement(options, count)
        ]
    best = None
    for layout in layouts:
        per_server = [sum(f[0][i] for f in layout) for i in range(len(servers))]
        if any(
            s["available"] is not None and k > s["available"]
            for k, s in zip(per_server, servers, strict=True)
        ):
            continue
        power = sum(k * s["power_w"] for k, s in zip(per_server, servers, strict=True))
        if data["hall_power_kw"] is not None and power > data["hall_power_kw"] * 1000 + TOL:
            continue
        total = [sum(f[1][j] for f in layout) for j in range(len(models))]
        if data["resilience"] == "n_plus_1_rack":
            lost = [max((f[1][j] for f in layout), default=0) for j in range(len(models))]
        else:
            lost = [max((f[2][j] for f in layout), default=0) for j in range(len(models))]
        demand = {m: data["demand"].get(m, {}) for m in models}
        if any(
            total[j] - lost[j] < demand[m].get("min", 0) and demand[m].get("min", 0) > 0
            for j, m in enumerate(models)
        ):
            continue
        if data["objective"] == "max_sessions":
            value = 0.0
            for j, m in enumerate(models):
                hi = demand[m].get("max")
                value += demand[m].get("weight", 1) * (
                    total[j] if hi is None else min(hi, total[j])
                )
            best = value if best is None else max(best, value)
        else:
            if data["objective"] == "min_power":
                value = power
            else:
                value = sum(k * s["cost_usd"] for k, s in zip(per_server, servers, strict=True))
            best = value if best is None else min(best, value)
    return best


def tiny(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return {**data, "resilience": kind}


def survives_every_single_loss(data: dict[str, Any], result: dict[str, Any]) -> bool:
    """Remove each rack (or server) of the layout in turn and recount every model's sessions."""
    mins = {m: d.get("min", 0) for m, d in data["demand"].items()}
    racks = [g["servers"] for g in result["racks"] for _ in range(g["count"])]
    units = []  # what one failure takes away, as {model: sessions}
    if data["resilience"] == "n_plus_1_rack":
        for r in racks:
            lost: dict[str, int] = {}
            for e in r:
                lost[e["model"]] = lost.get(e["model"], 0) + e["sessions"]
            units.append(lost)
    else:
        for r in racks:
            for e in r:
                units.append({e["model"]: e["sessions"] // e["count"]})
    total = result["sessions"]
    for lost in units or [{}]:
        for m, lo in mins.items():
            if total.get(m, 0) - lost.get(m, 0) < lo:
                return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_count=2, max_racks=3), st.sampled_from(KINDS))
def test_compact_matches_brute_force(data: dict[str, Any], kind: str) -> None:
    data = tiny(data, kind)
    result = solve({**data, "method": "compact"})
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "infeasible", result
        assert "demand min" in result["reason"]
    else:
        assert result["status"] == "optimal", result
        assert abs(result["objective"] - expected) <= TOL * max(1.0, abs(expected))
        assert survives_every_single_loss(data, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances(max_count=2, max_racks=3),
    st.sampled_from(KINDS),
    st.sampled_from(["patterns", "greedy"]),
)
def test_patterns_and_greedy_are_resilient_with_valid_bounds(
    data: dict[str, Any], kind: str, method: str
) -> None:
    data = tiny(data, kind)
    result = solve({**data, "method": method}, time_limit_s=5)
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] in ("infeasible", "unknown"), result
        return
    if result["status"] in ("optimal", "feasible"):
        assert survives_every_single_loss(data, result)
        maximise = data["objective"] == "max_sessions"
        sign = 1 if maximise else -1
        # Never better than the best resilient layout; the bound is never worse than it.
        assert sign * (result["objective"] - expected) <= TOL * max(1.0, abs(expected))
        assert sign * (result["bound"] - expected) >= -TOL * max(1.0, abs(expected))
        if result["status"] == "optimal":
            assert abs(result["objective"] - expected) <= TOL * max(1.0, abs(expected))
    else:
        assert result["status"] in ("unknown", "infeasible") and method != "compact"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_count=3, max_racks=4, max_rack_u=12))
def test_a_rack_resilient_layout_meets_every_min_after_removing_any_rack(data):
    data = tiny(data, "n_plus_1_rack")
    for method in ("exact", "patterns", "greedy"):
        result = solve({**data, "method": method}, time_limit_s=5)
        if result["status"] in ("optimal", "feasible"):
            assert survives_every_single_loss(data, result), (method, result)


HALL = {
    "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 3}],
    "servers": [
        {"name": "a", "u": 2, "power_w": 1000, "sessions": {"x": 10, "y": 4}},
        {"name": "b", "u": 1, "power_w": 2500, "sessions": {"x": 30}},
    ],
    "demand": {"x": {"min": 40}, "y": {"min": 8}},
    "objective": "min_power",
}


def test_every_result_reports_sessions_after_the_worst_loss():
    result = solve(HALL)  # no resilience asked: 40 of x and 8 of y, packed
    assert result["resilience"] == "none"
    exposure = result["exposure"]
    assert exposure["x"]["sessions"] == 40 and exposure["y"]["sessions"] == 8
    worst_rack = max(
        sum(e["sessions"] for e in g["servers"] if e["model"] == "x") for g in result["racks"]
    )
    assert exposure["x"]["after_worst_rack"] == 40 - worst_rack
    assert exposure["y"]["after_worst_server"] == 4


@pytest.mark.parametrize("method", ["compact", "patterns", "greedy"])
def test_resilience_costs_power_and_keeps_the_mins(method):
    plain = solve({**HALL, "method": "compact"})["objective"]
    for kind in KINDS:
        result = solve({**HALL, "method": method, "resilience": kind})
        assert result["status"] in ("optimal", "feasible")
        assert result["objective"] > plain
        key = "after_worst_rack" if kind == "n_plus_1_rack" else "after_worst_server"
        assert result["exposure"]["x"][key] >= 40 and result["exposure"]["y"][key] >= 8


def test_exact_resilient_optimum_by_hand():
    # Plain: 1 b (30 x) + 1 a (10 x) + 2 a (8 y) in one rack = 5,500 W. Losing that rack loses
    # everything; the cheapest layout that survives any one rack is 9,000 W (compact proves it).
    result = solve({**HALL, "resilience": "n_plus_1_rack"})
    assert result["status"] == "optimal" and result["objective"] == 9000
    assert result["exposure"]["x"]["after_worst_rack"] >= 40


def test_minimums_that_only_fail_after_a_loss_are_named():
    one_rack = copy.deepcopy(HALL)
    one_rack["rack_types"][0]["count"] = 1
    for method in ("compact", "patterns"):
        result = solve({**one_rack, "resilience": "n_plus_1_rack", "method": method})
        assert result["status"] == "infeasible"
        assert "not after losing any one rack" in result["reason"]
    result = solve({**one_rack, "demand": {"x": {"min": 10_000}}, "resilience": "n_plus_1_rack"})
    assert result["status"] == "infeasible" and "cannot be met" in result["reason"]


def test_bad_resilience_is_a_field_error():
    with pytest.raises(ProblemError) as info:
        validate_problem({**HALL, "resilience": "n_plus_2"})
    assert "resilience" in info.value.errors


def test_shared_stock_holds_across_the_models_of_a_sku():
    data = copy.deepcopy(HALL)
    data["servers"][0]["available"] = 3
    data["servers"][1]["available"] = 2
    for method in ("compact", "patterns", "greedy"):
        result = solve({**data, "resilience": "n_plus_1_server", "method": method})
        if result["status"] in ("optimal", "feasible"):
            assert result["totals"]["by_server"]["a"] <= 3
            assert (
                check_layout(validate_problem(data | {"resilience": "n_plus_1_server"}), result)
                == []
            )
