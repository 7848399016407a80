"""The min_tco objective and the budget_usd cap (planner/solver/costs.py) against a brute force,
in every method, and the TCO report agreeing with the solver's objective."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.reports.tco import compute_tco
from planner.solver import ProblemError, solve, validate_problem
from tests.solver.test_properties import assert_valid, instances

TOL = 1e-6
HOURS = 8760


def server_life_usd(server: dict, tco: dict, basis: str) -> float:
    bought = server["cost_usd"] + tco.get("network_usd_per_server", 0)
    if basis == "capex":
        return bought
    years, share = tco.get("years", 3), tco.get("maintenance_share_per_year", 0.1)
    energy = server["power_w"] / 1000 * tco.get("pue", 1.58) * HOURS * years
    return bought * (1 + years * share) + energy * tco.get("electricity_usd_per_kwh", 0.0806)


def rack_life_usd(rack: dict, tco: dict, basis: str) -> float:
    bought = tco.get("rack_usd_per_position", 0) + tco.get("rack_usd_per_kw", 0) * rack["power_kw"]
    if basis == "capex":
        return bought
    return bought * (1 + tco.get("years", 3) * tco.get("maintenance_share_per_year", 0.1))


def brute_force(data: dict[str, Any]) -> float | None:
    """Best objective over every layout within the budget meeting every min; None if none.

    Written from docs/tco.md and the problem statement; shares nothing with the solver.
    """
    servers, tco = data["servers"], data.get("tco", {})
    basis = data.get("budget_basis", "tco")
    models = sorted({m for s in servers for m in s["sessions"]} | set(data["demand"]))
    pairs = [
        (i, models.index(m), n)
        for i, s in enumerate(servers)
        for m, n in s["sessions"].items()
        if n > 0
    ]

    def fillings(rack: dict) -> list[tuple]:
        cap_u = rack["u"] - rack["reserved_u"]
        cap_w = (rack["power_kw"] - rack["reserved_kw"]) * 1000
        out = set()
        for counts in itertools.product(
            *[range(cap_u // servers[i]["u"] + 1) for i, _, _ in pairs]
        ):
            per_server, per_model = [0] * len(servers), [0] * len(models)
            for k, (i, m, n) in zip(counts, pairs, strict=True):
                per_server[i] += k
                per_model[m] += k * n
            u = sum(k * s["u"] for k, s in zip(per_server, servers, strict=True))
            w = sum(k * s["power_w"] for k, s in zip(per_server, servers, strict=True))
            if u > cap_u or w > cap_w + TOL:
                continue
            used = any(per_server)
            life = sum(
                k * server_life_usd(s, tco, "tco") for k, s in zip(per_server, servers, strict=True)
            )
            spend = sum(
                k * server_life_usd(s, tco, basis) for k, s in zip(per_server, servers, strict=True)
            )
            if used:
                life += rack_life_usd(rack, tco, "tco")
                spend += rack_life_usd(rack, tco, basis)
            out.add((tuple(per_server), tuple(per_model), w, life, spend))
        return sorted(out)

    layouts = [[]]
    for rack in data["rack_types"]:
        options = fillings(rack)
        layouts = [
            chosen + list(c)
            for chosen in layouts
            for c in itertools.combinations_with_replacement(options, rack["count"])
        ]
    best = None
    for layout in layouts:
        per_server = [sum(f[0][i] for f in layout) for i in range(len(servers))]
        if any(
            s["available"] is not None and k > s["available"]
            for k, s in zip(per_server, servers, strict=True)
        ):
            continue
        power = sum(f[2] for f in layout)
        if data["hall_power_kw"] is not None and power > data["hall_power_kw"] * 1000 + TOL:
            continue
        if data.get("budget_usd") is not None and sum(f[4] for f in layout) > data["budget_usd"] * (
            1 + 1e-9
        ):
            continue
        total = [sum(f[1][j] for f in layout) for j in range(len(models))]
        demand = {m: data["demand"].get(m, {}) for m in models}
        if any(total[j] < demand[m].get("min", 0) for j, m in enumerate(models)):
            continue
        if data["objective"] == "max_sessions":
            value = sum(
                demand[m].get("weight", 1)
                * (total[j] if demand[m].get("max") is None else min(total[j], demand[m]["max"]))
                for j, m in enumerate(models)
            )
            best = value if best is None else max(best, value)
        else:
            value = sum(f[3] for f in layout)
            best = value if best is None else min(best, value)
    return best


@st.composite
def priced(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(instances(max_count=2, max_racks=3))
    for server in data["servers"]:
        server["cost_usd"] = draw(st.integers(0, 50))
    data["tco"] = {
        "electricity_usd_per_kwh": draw(st.sampled_from([0.0, 0.05, 0.2])),
        "pue": draw(st.sampled_from([1.0, 1.5])),
        "years": draw(st.sampled_from([1, 3])),
        "maintenance_share_per_year": draw(st.sampled_from([0.0, 0.1])),
        "rack_usd_per_position": draw(st.sampled_from([0, 7, 100])),
        "network_usd_per_server": draw(st.sampled_from([0, 3])),
    }
    if draw(st.booleans()):
        data["objective"] = "min_tco"
    else:
        data["objective"] = "max_sessions"
        data["budget_usd"] = draw(st.sampled_from([20, 80, 400, 3000]))
        data["budget_basis"] = draw(st.sampled_from(["tco", "capex"]))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced())
def test_compact_matches_brute_force(data: dict[str, Any]) -> None:
    result = solve({**data, "method": "compact"})
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "infeasible", result
    else:
        assert result["status"] == "optimal", result
        assert abs(result["objective"] - expected) <= 1e-6 * max(1.0, abs(expected))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced(), st.sampled_from(["patterns", "greedy"]))
def test_patterns_and_greedy_keep_the_budget_with_valid_bounds(data, method) -> None:
    result = solve({**data, "method": method}, time_limit_s=5)
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] in ("infeasible", "unknown")
        return
    if result["status"] in ("optimal", "feasible"):
        sign = 1 if data["objective"] == "max_sessions" else -1
        scale = max(1.0, abs(expected))
        assert sign * (result["objective"] - expected) <= 1e-6 * scale
        assert sign * (result["bound"] - expected) >= -1e-6 * scale


HALL = {
    "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 3}],
    "servers": [
        {"name": "a", "u": 2, "power_w": 1000, "cost_usd": 5000, "sessions": {"x": 10, "y": 4}},
        {"name": "b", "u": 1, "power_w": 2500, "cost_usd": 9000, "sessions": {"x": 30}},
    ],
    "demand": {"x": {"min": 40}, "y": {"min": 8}},
    "tco": {"rack_usd_per_position": 3000, "electricity_usd_per_kwh": 0.1, "pue": 1.5},
}


def test_min_tco_by_hand_and_the_report_agrees():
    result = solve({**HALL, "objective": "min_tco"})
    assert result["status"] == "optimal" and result["objective_unit"] == "USD"
    # 1 b + 3 a in one rack: capex 9,000 + 15,000 + 3,000 rack = 27,000, maintenance 3 x 10 %;
    # energy 5.5 kW x 1.5 x 8,760 h x 3 years x $0.10 = 21,681.
    assert result["totals"]["by_server"] == {"a": 3, "b": 1}
    assert result["objective"] == pytest.approx(27_000 * 1.3 + 21_681)
    assert compute_tco(HALL, result)["total"]["tco_usd"] == pytest.approx(result["objective"])


def test_budget_caps_sessions_and_names_itself_when_too_small():
    rich = solve({**HALL, "budget_usd": 1_000_000})
    poor = solve({**HALL, "budget_usd": 60_000})
    assert poor["status"] == "optimal" and poor["objective"] < rich["objective"]
    capex = solve({**HALL, "budget_usd": 60_000, "budget_basis": "capex"})
    assert capex["objective"] >= poor["objective"]  # capex alone is less than the TCO
    broke = solve({**HALL, "budget_usd": 20_000})
    assert broke["status"] == "infeasible" and "budget_usd" in broke["reason"]


def test_costs_need_server_prices():
    unpriced = {**HALL, "servers": [{**HALL["servers"][0], "cost_usd": None}, HALL["servers"][1]]}
    for extra in ({"objective": "min_tco"}, {"budget_usd": 10}):
        with pytest.raises(ProblemError) as info:
            validate_problem({**unpriced, **extra})
        assert "servers[0].cost_usd" in info.value.errors
