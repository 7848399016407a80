"""Issue 4: derating, 2N feeds, cooling, weight, min_racks, size limits, the pattern and greedy
methods. Every layout is checked by ``check_layout`` and, on tiny instances, against a brute force
written from the problem statement alone."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.solver import RESULT_SCHEMA, ProblemError, check_layout, solve, validate_problem
from planner.solver.columns import build_instance, column_generation
from planner.solver.generate import BENCH_SIZES, generate_problem
from planner.solver.heuristic import greedy_fills
from planner.solver.layout import build_result, objective_value
from planner.solver.patterns import _lp_solution, _rens, _seed

TOL = 1e-6
OBJECTIVES = ("max_sessions", "min_power", "min_cost", "min_racks")


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    objective = draw(st.sampled_from(OBJECTIVES))
    models = ("a", "b")
    racks = []
    for t in range(draw(st.integers(1, 2))):
        u = draw(st.integers(2, 6))
        rack: dict[str, Any] = {
            "name": f"r{t}",
            "u": u,
            "power_kw": draw(st.sampled_from([0.6, 1.1, 2.0, 3.3])),
            "reserved_u": draw(st.integers(0, 1)),
            "reserved_kw": draw(st.sampled_from([0, 0.1])),
            "count": draw(st.integers(1, 2)),
            "derating_pct": draw(st.sampled_from([100, 80, 65.5])),
            "feeds": draw(st.sampled_from(["N", "2N"])),
            "cooling_kw": draw(st.sampled_from([None, 0.5, 1.2])),
            "max_weight_kg": draw(st.sampled_from([None, 30, 75])),
        }
        racks.append(rack)
    if sum(r["count"] for r in racks) > 3:
        racks = racks[:1]
    servers = []
    for i in range(draw(st.integers(1, 2))):
        chosen = draw(st.lists(st.sampled_from(models), unique=True, min_size=1))
        servers.append(
            {
                "name": f"s{i}",
                "u": draw(st.integers(1, 3)),
                "power_w": draw(st.sampled_from([100, 150, 250.5, 400, 577])),
                "available": draw(st.one_of(st.none(), st.integers(0, 4))),
                "cost_usd": draw(st.integers(0, 50)),
                "weight_kg": draw(st.sampled_from([5, 12.5, 30])),
                "sessions": {m: draw(st.integers(0, 20)) for m in chosen},
            }
        )
    demand = {}
    for m in models:
        if draw(st.booleans()):
            lo = draw(st.one_of(st.just(0), st.integers(1, 40)))
            hi = draw(st.one_of(st.none(), st.integers(lo, lo + 50)))
            demand[m] = {"min": lo, "max": hi, "weight": draw(st.sampled_from([0, 1, 2]))}
    for rack in racks:  # keep the reserve below every derated budget (else the input is invalid)
        share = 0.5 if rack["feeds"] == "2N" else 1.0
        budget = rack["power_kw"] * share * rack["derating_pct"] / 100
        if rack["reserved_kw"] >= min(budget, rack["cooling_kw"] or budget):
            rack["reserved_kw"] = 0
    return {
        "rack_types": racks,
        "servers": servers,
        "demand": demand,
        "hall_power_kw": draw(st.one_of(st.none(), st.sampled_from([0.6, 1.5, 4.0]))),
        "objective": objective,
    }


def brute_force(data: dict[str, Any]) -> float | None:
    """Best objective by enumerating every rack filling (None: demand cannot be met)."""
    best = None
    for value, _, _ in feasible_layouts(data):
        if data["objective"] == "max_sessions":
            best = value if best is None else max(best, value)
        else:
            best = value if best is None else min(best, value)
    return best


def feasible_layouts(data: dict[str, Any]) -> Iterator[tuple[float, int, float]]:
    """(objective, racks used, server watts) of every layout meeting every constraint."""
    servers = data["servers"]
    models = sorted({m for s in servers for m in s["sessions"]} | set(data["demand"]))
    pairs = [
        (i, models.index(m), n)
        for i, s in enumerate(servers)
        for m, n in s["sessions"].items()
        if n > 0
    ]

    def fillings(rack: dict[str, Any]) -> set[tuple[tuple[int, ...], tuple[int, ...], int]]:
        cap_u = rack["u"] - rack["reserved_u"]
        feed = rack["power_kw"] / (2 if rack["feeds"] == "2N" else 1) * rack["derating_pct"] / 100
        cap_w = (feed - rack["reserved_kw"]) * 1000
        if rack["cooling_kw"] is not None:
            cap_w = min(cap_w, (rack["cooling_kw"] - rack["reserved_kw"]) * 1000)
        cap_kg = rack["max_weight_kg"]
        out = set()
        for counts in itertools.product(
            *[range(cap_u // servers[i]["u"] + 1) for i, _, _ in pairs]
        ):
            zipped = list(zip(counts, pairs, strict=True))
            if sum(k * servers[i]["u"] for k, (i, _, _) in zipped) > cap_u:
                continue
            if sum(k * servers[i]["power_w"] for k, (i, _, _) in zipped) > cap_w + TOL:
                continue
            kg = sum(k * servers[i]["weight_kg"] for k, (i, _, _) in zipped)
            if cap_kg is not None and kg > cap_kg + TOL:
                continue
            per_server = [0] * len(servers)
            per_model = [0] * len(models)
            for k, (i, m, n) in zipped:
                per_server[i] += k
                per_model[m] += k * n
            out.add((tuple(per_server), tuple(per_model), int(any(counts))))
        return out

    states = {((0,) * len(servers), (0,) * len(models), 0)}
    for rack in data["rack_types"]:
        options = fillings(rack)
        for _ in range(rack["count"]):
            states = {
                (
                    tuple(a + b for a, b in zip(s1, s2, strict=True)),
                    tuple(a + b for a, b in zip(m1, m2, strict=True)),
                    r1 + r2,
                )
                for s1, m1, r1 in states
                for s2, m2, r2 in options
                if all(
                    srv["available"] is None or a + b <= srv["available"]
                    for a, b, srv in zip(s1, s2, servers, strict=True)
                )
            }
    objective = data["objective"]
    for per_server, per_model, used in states:
        power = sum(k * srv["power_w"] for k, srv in zip(per_server, servers, strict=True))
        if data["hall_power_kw"] is not None and power > data["hall_power_kw"] * 1000 + TOL:
            continue
        demand = {m: data["demand"].get(m, {}) for m in models}
        if any(per_model[j] < demand[m].get("min", 0) for j, m in enumerate(models)):
            continue
        if objective == "max_sessions":
            value = sum(
                demand[m].get("weight", 1)
                * (
                    per_model[j]
                    if demand[m].get("max") is None
                    else min(demand[m]["max"], per_model[j])
                )
                for j, m in enumerate(models)
            )
        elif objective == "min_power":
            value = power
        elif objective == "min_cost":
            value = sum(k * srv["cost_usd"] for k, srv in zip(per_server, servers, strict=True))
        else:
            value = used
        yield value, used, power


def solved(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    before = copy.deepcopy(data)
    result = solve(data, **kwargs)
    assert data == before
    jsonschema.validate(result, RESULT_SCHEMA)
    assert check_layout(validate_problem(data), result) == []
    if result["status"] in ("optimal", "feasible"):
        g = abs(result["bound"] - result["objective"]) / max(abs(result["objective"]), 1e-9)
        assert result["gap"] == pytest.approx(
            g if result["objective"] or result["bound"] else 0, abs=1e-8
        )
    return result


def bound_side_ok(data: dict[str, Any], bound: float, optimum: float) -> bool:
    scale = TOL * max(1.0, abs(optimum))
    if data["objective"] == "max_sessions":
        return bound >= optimum - scale
    return bound <= optimum + scale


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_method_against_brute_force(data: dict[str, Any]) -> None:
    expected = brute_force(data)
    exact = solved(data)
    assert exact["algorithm"] == "compact"
    if expected is None:
        assert exact["status"] == "infeasible" and "demand min" in exact["reason"]
    else:
        assert exact["status"] == "optimal", exact
        assert exact["objective"] == pytest.approx(expected, rel=TOL, abs=TOL)
    for method in ("patterns", "greedy"):
        result = solved(dict(data, method=method), time_limit_s=5)
        assert result["algorithm"] == method
        if expected is None:
            assert result["status"] in ("infeasible", "unknown")
            continue
        if method == "patterns":
            assert result["status"] in ("optimal", "feasible"), result
        if result["status"] not in ("optimal", "feasible"):
            continue
        # Never better than the true optimum, and the bound is on the right side of it.
        assert bound_side_ok(data, expected, result["objective"])
        assert bound_side_ok(data, result["bound"], expected)
        if result["status"] == "optimal":
            assert result["objective"] == pytest.approx(expected, rel=TOL, abs=TOL)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_pattern_method_at_hall_scale(objective: str) -> None:
    data = generate_problem(300, 15, 5, seed=3, objective=objective)
    log: list[dict[str, Any]] = []
    result = solved(data, progress=log.append)
    assert result["algorithm"] == "patterns"
    assert result["status"] in ("optimal", "feasible")
    assert result["gap"] <= 5e-3
    assert result["totals"]["racks"] == 300
    bounds = [e for e in log if e["phase"] == "bound"]
    assert bounds and all({"incumbent", "bound", "elapsed_s"} <= e.keys() for e in bounds)
    assert any(e["phase"] == "solve" and e["incumbent"] is not None for e in log)
    again = solve(data)
    for key in ("objective", "bound", "racks", "sessions"):
        assert again[key] == result[key]  # deterministic


def test_greedy_is_feasible_and_no_better_than_patterns() -> None:
    data = generate_problem(100, 20, 6, seed=1)
    greedy = solved(dict(data, method="greedy"))
    best = solved(data)
    assert greedy["status"] == "feasible"
    assert greedy["objective"] <= best["bound"] + 1e-6
    assert greedy["bound"] == pytest.approx(best["bound"], rel=1e-4)


def test_time_limited_pattern_run_is_feasible_with_an_honest_gap() -> None:
    data = generate_problem(3000, 40, 6, seed=2)
    result = solved(dict(data, method="patterns"), time_limit_s=0.5)
    assert result["status"] in ("feasible", "optimal", "unknown")
    if result["status"] != "unknown":
        assert result["bound"] >= result["objective"]


@pytest.mark.parametrize(
    ("objective", "seed", "within"),
    [("max_sessions", seed, 1e-3) for seed in range(4)]
    + [(objective, 0, None) for objective in OBJECTIVES[1:]],
)
def test_rens_rounds_the_lp_to_a_checked_layout(
    objective: str, seed: int, within: float | None
) -> None:
    """The LP optimum's best rounding (a small IP, then the greedy fill) passes the independent
    check, is on the right side of the bound and, under max_sessions at 1,000 racks, within
    0.1 % of it (the dive took hundreds of ms for that; issue 15)."""
    problem = validate_problem(generate_problem(1000, 40, 6, seed=seed, objective=objective))
    inst = build_instance(problem)
    greedy, met = greedy_fills(problem)
    _seed(inst, greedy)
    assert met  # no phase 1 needed: the greedy fill meets every minimum on these halls
    cg = column_generation(inst, phase1=False, deadline=math.inf)
    sign = -1.0 if objective == "max_sessions" else 1.0
    bound = sign * cg.bound
    fills = _rens(inst, _lp_solution(inst), math.inf)
    assert fills is not None
    result = build_result(problem, "feasible", fills, bound=bound, warnings=[])
    assert check_layout(problem, result) == []
    value = objective_value(problem, fills)
    assert sign * value >= sign * bound - TOL * abs(bound)
    if within is not None:
        assert abs(bound - value) <= within * abs(value)


RACK = {"name": "r", "u": 42, "power_kw": 10.0, "count": 2}
SRV = {"name": "s", "u": 2, "power_w": 1000.0, "weight_kg": 30, "sessions": {"m": 10}}


def small(rack: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"rack_types": [dict(RACK, **rack)], "servers": [dict(SRV)], **extra}


@pytest.mark.parametrize(
    ("rack", "per_rack"),
    [
        ({}, 10),
        ({"derating_pct": 80}, 8),
        ({"feeds": "2N"}, 5),
        ({"feeds": "2N", "derating_pct": 80}, 4),
        ({"cooling_kw": 7.5}, 7),
        ({"max_weight_kg": 200}, 6),
        ({"reserved_kw": 1.0, "derating_pct": 80}, 7),
    ],
)
@pytest.mark.parametrize("method", ["exact", "patterns", "greedy"])
def test_rack_limits(rack: dict[str, Any], per_rack: int, method: str) -> None:
    result = solved(small(rack, method=method))
    assert result["objective"] == 2 * per_rack * 10


@pytest.mark.parametrize(
    ("rack", "words"),
    [
        ({"feeds": "2N"}, "2N feeds"),
        ({"derating_pct": 50}, "derating"),
        ({"max_weight_kg": 90}, "weight"),
    ],
)
def test_infeasible_names_the_blocking_rack_limit(rack: dict[str, Any], words: str) -> None:
    result = solved(small(rack, demand={"m": {"min": 120}}))
    assert result["status"] == "infeasible"
    assert words in result["reason"] and "'m'" in result["reason"]


def test_infeasible_hall_cap_named_by_the_pattern_method() -> None:
    data = generate_problem(500, 10, 4, seed=5)
    data["demand"]["model-0"]["min"] = 10**8
    result = solved(data)
    assert result["status"] == "infeasible" and "model-0" in result["reason"]
    data["hall_power_kw"] = 1.0
    data["demand"]["model-0"]["min"] = 10_000
    result = solved(data)
    assert result["status"] == "infeasible" and "hall power cap" in result["reason"]


def test_min_racks_uses_the_fewest_racks() -> None:
    data = small({"count": 5}, objective="min_racks", demand={"m": {"min": 150}})
    for method in ("exact", "patterns", "greedy"):
        result = solved(dict(data, method=method))
        assert result["objective"] == 2 and result["objective_unit"] == "racks"
        assert result["totals"]["racks_used"] == 2


def test_validation_of_the_new_fields() -> None:
    with pytest.raises(ProblemError) as info:
        validate_problem(small({"max_weight_kg": 100}, servers=[{**SRV, "weight_kg": None}]))
    assert "when a rack type has max_weight_kg" in info.value.errors["servers[0].weight_kg"][0]
    with pytest.raises(ProblemError) as info:
        validate_problem(small({"feeds": "3N"}))
    assert "rack_types[0].feeds" in info.value.errors
    with pytest.raises(ProblemError) as info:
        validate_problem(small({"feeds": "2N", "reserved_kw": 6}))
    assert "usable feed power (5 kW" in info.value.errors["rack_types[0].reserved_kw"][0]
    with pytest.raises(ProblemError) as info:
        validate_problem(small({"derating_pct": 120}))
    assert "rack_types[0].derating_pct" in info.value.errors
    many = [dict(SRV, name=f"s{i}") for i in range(501)]
    with pytest.raises(ProblemError) as info:
        validate_problem({"rack_types": [RACK], "servers": many})
    assert "size limit: at most 500 server SKUs" in str(info.value)
    models = {f"m{i}": 1 for i in range(51)}
    with pytest.raises(ProblemError) as info:
        validate_problem({"rack_types": [RACK], "servers": [dict(SRV, sessions=models)]})
    assert "at most 50 models" in str(info.value)
    # Old files stay valid and keep their meaning.
    parsed = validate_problem({"rack_types": [RACK], "servers": [SRV]})
    assert parsed.rack_types[0].usable_w == 10_000 and parsed.rack_types[0].feeds == "N"


def test_generator_is_seeded_and_covers_the_bench_sizes() -> None:
    assert BENCH_SIZES[-1] == (20000, 100, 10)
    a, b = generate_problem(1000, 40, 6, seed=7), generate_problem(1000, 40, 6, seed=7)
    assert a == b and a != generate_problem(1000, 40, 6, seed=8)
    p = validate_problem(a)
    assert sum(r.count for r in p.rack_types) == 1000 and len(p.servers) == 40
    assert len(p.models) == 6
    assert all(r.u in (42, 48) for r in p.rack_types)
    assert all(300 <= s.power_w <= 14000 and 1 <= s.u <= 10 for s in p.servers)
