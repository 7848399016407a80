"""Infeasibility diagnosis (planner/solver/diagnosis.py) against a brute force on tiny halls."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from planner.solver import RESULT_SCHEMA, solve
from planner.solver.diagnosis import MAX_EXTRA_RACKS
from tests.solver.test_hall import brute_force, instances


def alone(data: dict[str, Any], model: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["demand"] = {model: {"min": 0, "max": None, "weight": 1}}
    out["objective"] = "max_sessions"
    for server in out["servers"]:
        server["sessions"] = {m: n for m, n in server["sessions"].items() if m == model}
    return out


def feasible(data: dict[str, Any]) -> bool:
    return brute_force(data) is not None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_diagnosis_matches_brute_force(data: dict[str, Any]) -> None:
    assume(brute_force(data) is None and any(d.get("min", 0) for d in data["demand"].values()))
    result = solve(data)
    assert result["status"] == "infeasible"
    import jsonschema

    jsonschema.validate(result, RESULT_SCHEMA)
    diagnosis = result["diagnosis"]
    assert diagnosis["complete"]
    mins = {m: d["min"] for m, d in data["demand"].items() if d.get("min", 0) > 0}
    assert [e["model"] for e in diagnosis["models"]] == [m for m in data["demand"] if m in mins]
    for entry in diagnosis["models"]:
        assert entry["alone"] == brute_force(alone(data, entry["model"]))
    for change in diagnosis["changes"]:
        if change["change"] == "more_racks":
            # The fewest racks of that type: one fewer is still infeasible.
            def with_count(n: int, name: str = change["rack_type"]) -> dict[str, Any]:
                out = copy.deepcopy(data)
                for rack in out["rack_types"]:
                    if rack["name"] == name:
                        rack["count"] = n
                return out

            if change["to"] <= 6:  # the brute force enumerates every rack: keep it tiny
                assert feasible(with_count(change["to"]))
                assert not feasible(with_count(change["to"] - 1))
        elif change["change"] == "hall_cap":
            raised = {**data, "hall_power_kw": change["to_kw"] + 1e-9}
            assert feasible(raised)
            assert not feasible({**data, "hall_power_kw": change["to_kw"] - 1e-3})
        else:
            model = change["model"]
            lowered = copy.deepcopy(data)
            lowered["demand"][model]["min"] = change["to"]
            assert feasible(lowered)
            lowered["demand"][model]["min"] = change["to"] + 1
            assert not feasible(lowered)


def twenty_rack_hall() -> dict[str, Any]:
    return {
        "rack_types": [
            {"name": "std-42u", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0,
             "count": 20}
        ],
        "servers": [
            {"name": "gpu", "u": 8, "power_w": 10200, "sessions": {"big": 8, "mid": 40}},
            {"name": "cpu", "u": 1, "power_w": 577, "sessions": {"small": 16, "mid": 1}},
        ],
        "demand": {"big": {"min": 300}, "mid": {"min": 200}, "small": {"min": 1000}},
        "hall_power_kw": 150,
        "objective": "max_sessions",
    }


def test_twenty_rack_hall_names_power_and_the_fixes() -> None:
    result = solve(twenty_rack_hall())
    diagnosis = result["diagnosis"]
    big = diagnosis["models"][0]
    # 20 racks x one 10.2 kW GPU server (11.5 kW usable) x 8 sessions = 160; the hall cap of
    # 150 kW allows 14 such servers = 112 sessions: the hall cap binds before rack power.
    assert (big["model"], big["alone"], big["binding"]) == ("big", 112, "hall cap")
    # Neither more racks nor a higher cap alone meets every minimum: only a lower one does.
    assert [(c["change"], c["to"]) for c in diagnosis["changes"]] == [("lower_min", 48)]
    assert "big needs at least 300 sessions" in diagnosis["text"]
    # Without the cap, rack power binds, and 23 more racks (or a lower minimum) fix it.
    uncapped = {**twenty_rack_hall(), "hall_power_kw": None}
    diagnosis = solve(uncapped)["diagnosis"]
    assert diagnosis["models"][0]["binding"] == "power"
    assert [c["text"] for c in diagnosis["changes"]] == [
        "add 23 racks of std-42u (20 → 43)",
        "lower the minimum of big from 300 to 104 sessions",
    ]
    # With racks to spare, the hall cap is what to raise: to the least power meeting every min.
    roomy = twenty_rack_hall()
    roomy["rack_types"][0]["count"] = 60
    change = solve(roomy)["diagnosis"]["changes"][0]
    # 38 GPU servers for big (8 each), 5 for mid (40 each), 63 CPU servers for small (16 each).
    assert change["change"] == "hall_cap" and change["to_kw"] == pytest.approx(
        43 * 10.2 + 63 * 0.577
    )


def test_no_diagnosis_when_asked_not_to() -> None:
    result = solve(twenty_rack_hall(), diagnose=False)
    assert result["status"] == "infeasible" and "diagnosis" not in result


def test_racks_search_gives_up_beyond_its_cap() -> None:
    data = twenty_rack_hall()
    data["rack_types"][0]["count"] = 1
    data["hall_power_kw"] = None
    data["demand"] = {"big": {"min": 8 * (MAX_EXTRA_RACKS + 2)}}
    result = solve(data, time_limit_s=5)
    assert all(c["change"] != "more_racks" for c in result["diagnosis"]["changes"])
    assert result["diagnosis"]["models"][0]["alone"] == 8


def test_a_minimum_no_server_can_serve_is_diagnosed_not_raised() -> None:
    """Found by hypothesis: a model that no server serves has no servers to power when the
    diagnosis relaxes the racks' power."""
    problem = {
        "rack_types": [{"name": f"r{i}", "u": 1, "power_kw": 0.3, "reserved_u": 0,
                        "reserved_kw": 0, "count": 1} for i in range(2)],
        "servers": [{"name": "s0", "u": 1, "power_w": 100, "available": None,
                     "cost_usd": None, "sessions": {}}],
        "demand": {"b": {"min": 1, "max": None, "weight": 0}},
        "hall_power_kw": None,
        "objective": "max_sessions",
    }
    result = solve(problem, time_limit_s=2)
    assert result["status"] == "infeasible"
    assert result["diagnosis"]
