"""Layout grouping, gap formula, the independent checker and the non-layout statuses."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

import planner.solver.runner as runner
from planner.solver import RESULT_SCHEMA, check_layout, solve, validate_problem
from planner.solver.layout import RackFill, build_result, gap, number
from planner.solver.outcome import Outcome

RACK = {"name": "std", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0, "count": 4}
SERVER = {"name": "a", "u": 1, "power_w": 577, "cost_usd": 100, "sessions": {"x": 64, "y": 32}}
OTHER = {"name": "b", "u": 2, "power_w": 1000, "sessions": {"x": 100}}


def data() -> dict[str, Any]:
    return {"rack_types": [dict(RACK)], "servers": [dict(SERVER), dict(OTHER)]}


def test_gap_formula() -> None:
    assert gap(0, 0) == 0.0
    assert gap(100, 110) == pytest.approx(0.1)
    assert gap(-50, -40) == pytest.approx(0.2)
    assert gap(0, 5) == pytest.approx(5e9)
    assert gap(None, 5) is None and gap(5, None) is None


def test_number_rounding() -> None:
    assert number(1216.0000000001) == 1216 and isinstance(number(1216.0), int)
    assert number(0.1 + 0.2) == 0.3
    assert number(None) is None


def test_grouping_counts_identical_racks_and_lists_empty_ones() -> None:
    problem = validate_problem(data())
    racks = [
        RackFill(0, ((0, "x", 10),)),
        RackFill(0, ((1, "x", 2), (0, "y", 3))),
        RackFill(0, ((0, "x", 10),)),
    ]
    result = build_result(problem, "optimal", racks, bound=None)
    jsonschema.validate(result, RESULT_SCHEMA)
    assert check_layout(problem, result) == []
    groups = [
        (g["count"], [(s["server"], s["model"], s["count"]) for s in g["servers"]])
        for g in result["racks"]
    ]
    assert groups == [
        (2, [("a", "x", 10)]),  # 5770 W
        (1, [("a", "y", 3), ("b", "x", 2)]),  # 3731 W
        (1, []),  # the fourth rack, unused
    ]
    assert result["totals"]["racks"] == 4 and result["totals"]["racks_used"] == 3
    assert result["totals"]["cost_usd"] is None  # server b has no price
    assert result["sessions"] == {"x": 2 * 640 + 200, "y": 96}
    assert result["objective"] == 2 * 640 + 200 + 96


def test_feasible_result_reports_bound_and_gap() -> None:
    problem = validate_problem(data())
    racks = [RackFill(0, ((0, "x", 10),))]
    result = build_result(problem, "feasible", racks, bound=800.0)
    assert result["objective"] == 640 and result["bound"] == 800
    assert result["gap"] == pytest.approx(0.25)
    # Solver noise may put the bound on the wrong side of the objective; it is clamped.
    assert build_result(problem, "feasible", racks, bound=639.9999)["bound"] == 640
    jsonschema.validate(result, RESULT_SCHEMA)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r["racks"][0]["servers"][0].update(count=41), "U"),
        (lambda r: r["racks"][0]["servers"][0].update(count=20, sessions=1280), "W in a"),
        (lambda r: r["racks"][0].update(count=5), "lists 5 racks"),
        (lambda r: r["racks"][0]["servers"][0].update(model="z"), "does not list model"),
        (lambda r: r["racks"][0]["servers"][0].update(server="nope"), "unknown server"),
        (lambda r: r["racks"][0].update(rack_type="nope"), "unknown rack type"),
        (lambda r: r["sessions"].update(x=1), "sessions['x']"),
        (lambda r: r.update(objective=1), "objective"),
        (lambda r: r["totals"].update(servers=1), "totals.servers"),
        (lambda r: r["racks"][0].update(used_u=1), "used_u"),
    ],
)
def test_check_layout_catches_violations(change: Any, fragment: str) -> None:
    raw = data()
    result = solve(raw)
    assert check_layout(raw, result) == []
    broken = copy.deepcopy(result)
    change(broken)
    violations = check_layout(raw, broken)
    assert any(fragment in v for v in violations), violations


def test_check_layout_global_limits() -> None:
    raw = data()
    raw["servers"][0]["available"] = 30
    raw["hall_power_kw"] = 30
    raw["demand"] = {"y": {"min": 10}}
    result = solve(raw)
    assert check_layout(raw, result) == []
    raw["servers"][0]["available"] = 1
    raw["hall_power_kw"] = 1
    raw["demand"] = {"y": {"min": 10**6}}
    violations = check_layout(raw, result)
    assert any("available" in v for v in violations)
    assert any("hall" in v for v in violations)
    assert any("min 1000000" in v for v in violations)


def test_unknown_status_when_no_layout_before_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_layout(problem: Any, *, deadline: float, emit: Any) -> Outcome:
        return Outcome("unknown", None, 1234.5, "no layout found before the time limit")

    monkeypatch.setattr(runner, "solve_exact", no_layout)
    result = solve(data())
    jsonschema.validate(result, RESULT_SCHEMA)
    assert result["status"] == "unknown" and result["bound"] == 1234.5
    assert result["racks"] == [] and "time limit" in result["reason"]


def test_a_layout_failing_the_check_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    def overfull(problem: Any, *, deadline: float, emit: Any) -> Outcome:
        return Outcome("optimal", (RackFill(0, ((0, "x", 41),)),), None)

    monkeypatch.setattr(runner, "solve_exact", overfull)
    result = solve(data())
    jsonschema.validate(result, RESULT_SCHEMA)
    assert result["status"] == "unknown" and result["racks"] == []
    assert "failed verification" in result["reason"] and result["violations"]


# --- Figures reports read from the result (usable U and kW, sessions, totals by server and model)

HALF = {"name": "half", "u": 42, "power_kw": 10, "reserved_u": 2, "reserved_kw": 1.0,
        "feeds": "2N", "derating_pct": 80, "count": 3}
PLAIN = {"name": "plain", "u": 48, "power_kw": 12.5, "reserved_u": 0, "reserved_kw": 1.0,
         "count": 2}
SMALL = {"name": "small", "u": 1, "power_w": 400, "sessions": {"x": 10, "y": 4}}


def figures(rack: dict, servers: list[dict], **top: Any) -> dict[str, Any]:
    result = solve({"rack_types": [rack], "servers": servers, **top})
    assert result["status"] == "optimal"
    assert check_layout({"rack_types": [rack], "servers": servers, **top}, result) == []
    jsonschema.validate(result, RESULT_SCHEMA)
    return result


def test_usable_kw_is_what_the_solver_allowed_after_feeds_derating_and_reserve() -> None:
    # 2N: one 5 kW feed carries the load, derated to 80 % = 4 kW, less 1 kW reserved = 3 kW.
    result = figures(HALF, [SMALL])
    [group] = result["racks"]
    assert group["usable_kw"] == 3.0 and group["usable_u"] == 40
    assert group["used_kw"] == 2.8 and group["free_kw"] == 0.2  # 7 x 400 W
    assert group["sessions"] == 70 and group["count"] == 3
    assert group["free_kw"] == round(group["usable_kw"] - group["used_kw"], 3)
    assert result["totals"]["usable_kw"] == 9.0 and result["totals"]["usable_u"] == 120


def test_usable_kw_follows_a_tighter_cooling_limit() -> None:
    # Cooling removes 3.5 kW, of which the reserve takes 1 kW: 2.5 kW beats the 3 kW feed share.
    result = figures(dict(HALF, cooling_kw=3.5), [SMALL])
    [group] = result["racks"]
    assert group["usable_kw"] == 2.5 and group["used_kw"] == 2.4 and group["free_kw"] == 0.1
    # Cooling above the feed share does not raise it.
    result = figures(dict(HALF, cooling_kw=8), [SMALL])
    assert result["racks"][0]["usable_kw"] == 3.0


def test_totals_by_server_and_model_over_rack_types() -> None:
    big = {"name": "big", "u": 2, "power_w": 1000, "sessions": {"x": 30}, "available": 3}
    data = {"rack_types": [HALF, PLAIN], "servers": [SMALL, big],
            "demand": {"y": {"min": 8}}}
    result = solve(data)
    assert result["status"] == "optimal" and check_layout(data, result) == []
    totals = result["totals"]
    assert totals["usable_u"] == 3 * 40 + 2 * 48
    assert totals["usable_kw"] == 3 * 3.0 + 2 * 11.5
    rows = totals["by_server_model"]
    assert rows == sorted(rows, key=lambda r: (r["server"], r["model"]))
    assert all(r["servers"] > 0 for r in rows)
    assert {r["server"] for r in rows} <= {"small", "big"}
    for name in ("small", "big"):
        assert sum(r["servers"] for r in rows if r["server"] == name) == totals["by_server"][name]
    assert sum(r["sessions"] for r in rows) == totals["sessions"]
    for model, served in result["sessions"].items():
        assert sum(r["sessions"] for r in rows if r["model"] == model) == served
    assert sum(g["count"] * g["sessions"] for g in result["racks"]) == totals["sessions"]


def test_check_layout_catches_wrong_usable_figures() -> None:
    data = {"rack_types": [HALF], "servers": [SMALL]}
    result = solve(data)
    bad = copy.deepcopy(result)
    bad["racks"][0]["usable_kw"] = 9.0  # power_kw - reserved_kw: ignores 2N and derating
    bad["racks"][0]["sessions"] += 1
    bad["totals"]["usable_kw"] = 27.0
    bad["totals"]["by_server_model"] = []
    violations = check_layout(data, bad)
    assert any("usable_kw 9.0" in v for v in violations)
    assert any("racks[0]: sessions" in v for v in violations)
    assert any("totals.usable_kw" in v for v in violations)
    assert any("totals.by_server_model" in v for v in violations)
    # Results stored before these figures existed still pass.
    old = copy.deepcopy(result)
    for group in old["racks"]:
        for key in ("usable_u", "usable_kw", "sessions"):
            del group[key]
    for key in ("usable_u", "usable_kw", "by_server_model"):
        del old["totals"][key]
    assert check_layout(data, old) == []
    jsonschema.validate(old, RESULT_SCHEMA)


def test_results_without_a_layout_keep_totals_null() -> None:
    result = solve({"rack_types": [HALF], "servers": [SMALL], "demand": {"x": {"min": 10**6}}})
    assert result["status"] == "infeasible" and result["totals"] is None and result["racks"] == []
