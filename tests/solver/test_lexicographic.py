"""Every objective breaks ties by fewest racks, then least power (brute force on tiny halls)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from planner.solver import solve
from tests.solver.test_hall import TOL, feasible_layouts, instances


def lexicographic_best(data: dict[str, Any]) -> tuple[float, int, float] | None:
    """(objective, racks, watts), each level optimal given the ones before it."""
    sense = -1 if data["objective"] == "max_sessions" else 1
    keyed = [(sense * value, used, watts) for value, used, watts in feasible_layouts(data)]
    if not keyed:
        return None
    best = min(keyed[i][0] for i in range(len(keyed)))
    level = [k for k in keyed if k[0] <= best + TOL * max(1.0, abs(best))]
    racks = min(k[1] for k in level)
    watts = min(k[2] for k in level if k[1] == racks)
    return sense * best, racks, watts


def layout_key(data: dict[str, Any], result: dict[str, Any]) -> tuple[float, int, float]:
    """(objective, racks used, server watts) of a result; watts recounted (totals round)."""
    power = {server["name"]: server["power_w"] for server in data["servers"]}
    watts = sum(
        group["count"] * item["count"] * power[item["server"]]
        for group in result["racks"]
        for item in group["servers"]
    )
    return result["objective"], result["totals"]["racks_used"], watts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_compact_is_lexicographically_optimal(data: dict[str, Any]) -> None:
    expected = lexicographic_best(data)
    assume(expected is not None)
    result = solve({**data, "method": "compact"})
    assert result["status"] == "optimal"
    objective, racks, watts = layout_key(data, result)
    assert objective == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
    assert racks == expected[1]
    assert watts == pytest.approx(expected[2], rel=1e-6, abs=1e-3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_patterns_never_beat_the_brute_force_and_hold_the_objective(data: dict[str, Any]) -> None:
    expected = lexicographic_best(data)
    assume(expected is not None)
    result = solve({**data, "method": "patterns"})
    assume(result["status"] == "optimal")
    objective, racks, _ = layout_key(data, result)
    assert objective == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
    assert racks >= expected[1]


def campus(objective: str) -> dict[str, Any]:
    """1,200 racks of 30 kW (40U, 29 kW usable) and two catalog servers: 8x MI300X (8U, 6,697 W)
    and AmpereOne A192 (1U, 577 W); 164 sessions of Llama 3.1 405B and 400 of Llama 3.1 8B."""
    return {
        "rack_types": [
            {"name": "campus-42u-30kw", "u": 42, "power_kw": 30, "reserved_u": 2,
             "reserved_kw": 1.0, "count": 1200}
        ],
        "servers": [
            {"name": "ampereone-a192", "u": 1, "power_w": 577, "cost_usd": 30000,
             "sessions": {"llama-3.1-8b": 8}},
            {"name": "8x-mi300x", "u": 8, "power_w": 6697, "cost_usd": 250000,
             "sessions": {"llama-3.1-8b": 8, "llama-3.1-70b": 8, "llama-3.1-405b": 2}},
        ],
        "demand": {"llama-3.1-405b": {"min": 164}, "llama-3.1-8b": {"min": 400}},
        "objective": objective,
    }


@pytest.mark.parametrize("objective", ["min_power", "min_cost"])
def test_campus_min_power_packs_the_fewest_racks(objective: str) -> None:
    result = solve(campus(objective), time_limit_s=30)
    assert result["status"] == "optimal"
    # 82 MI300X (4 a rack: 32U, 26.8 kW) and 50 AmpereOne: 21 racks is the least possible, as
    # min_racks proves on the same hall.
    fewest = solve(campus("min_racks"), time_limit_s=30)
    assert fewest["objective"] == 21
    assert result["totals"]["racks_used"] == 21
    assert result["totals"]["by_server"] == {"ampereone-a192": 50, "8x-mi300x": 82}
    # Never a rack group drawn with servers but count 0, nor one counted as used but empty.
    assert all(group["count"] > 0 for group in result["racks"])
    assert json.dumps(result)  # plain JSON
