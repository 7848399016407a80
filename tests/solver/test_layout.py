"""Layout grouping, gap formula, the independent checker and the non-layout statuses."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

import planner.solver.runner as runner
from planner.solver import RESULT_SCHEMA, check_layout, solve, validate_problem
from planner.solver.outcome import ExactOutcome
from planner.solver.layout import RackFill, build_result, gap, number

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
    def no_layout(problem: Any, *, deadline: float, emit: Any) -> ExactOutcome:
        return ExactOutcome("unknown", None, 1234.5, "no layout found before the time limit")

    monkeypatch.setattr(runner, "solve_exact", no_layout)
    result = solve(data())
    jsonschema.validate(result, RESULT_SCHEMA)
    assert result["status"] == "unknown" and result["bound"] == 1234.5
    assert result["racks"] == [] and "time limit" in result["reason"]


def test_a_layout_failing_the_check_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    def overfull(problem: Any, *, deadline: float, emit: Any) -> ExactOutcome:
        return ExactOutcome("optimal", (RackFill(0, ((0, "x", 41),)),), None)

    monkeypatch.setattr(runner, "solve_exact", overfull)
    result = solve(data())
    jsonschema.validate(result, RESULT_SCHEMA)
    assert result["status"] == "unknown" and result["racks"] == []
    assert "failed verification" in result["reason"] and result["violations"]
