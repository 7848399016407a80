"""planner.solver.infeasibility: one wording of "why no layout" for every method."""

from __future__ import annotations

import pytest

from planner.solver import solve, validate_problem
from planner.solver.infeasibility import (
    culprit,
    greedy_shortfall_reason,
    problem_warnings,
    unservable_reason,
)

RACK = {"name": "r", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0, "count": 2}
SRV = {"name": "s", "u": 1, "power_w": 500, "available": 30, "sessions": {"m": 10}}


def problem(**changes: object):
    data = {"rack_types": [dict(RACK)], "servers": [dict(SRV)], "hall_power_kw": 20,
            "demand": {"m": {"min": 100}}}
    data.update(changes)
    return validate_problem(data)


def test_unservable_reasons() -> None:
    assert unservable_reason(problem()) is None
    offered_by_none = problem(demand={"x": {"min": 1}})
    assert unservable_reason(offered_by_none) == (
        "demand min of model 'x' (1 session) cannot be met: no server offers sessions of that model"
    )
    out_of_stock = problem(servers=[dict(SRV, available=0)])
    assert "every server offering it has available = 0" in unservable_reason(out_of_stock)
    too_big = problem(servers=[dict(SRV, u=41)])
    assert "no server offering it fits in any rack type" in unservable_reason(too_big)


def oracle(*works: frozenset[str]):
    """A meetable(**relax): yes exactly when the dropped groups include one of ``works``."""

    def meetable(**relax: bool) -> bool:
        dropped = {name for name, keep in relax.items() if not keep}
        return any(group <= dropped for group in works)

    return meetable


@pytest.mark.parametrize(
    ("works", "named"),
    [
        ({"hall"}, "hall power cap (20 kW)"),
        ({"avail"}, "server availability limits"),
        ({"hall", "avail"}, "hall power cap (20 kW) and server availability limits together"),
        ({"rack_w"}, "rack power budgets (power_kw - reserved_kw)"),
        ({"rack_u"}, "rack U budgets (u - reserved_u)"),
        ({"rack_u", "rack_w"}, "rack U and power budgets"),
        (None, "rack U/power budgets, server availability limits and hall power cap (20 kW) "
               "together"),
    ],
)
def test_culprit_order(works: set[str] | None, named: str) -> None:
    meetable = oracle() if works is None else oracle(frozenset(works))
    assert culprit(problem(), meetable) == named


def test_culprit_without_rack_relaxations_names_the_rack_budgets() -> None:
    meetable = oracle(frozenset({"rack_w"}))
    assert culprit(problem(), meetable, rack_limits=False) == (
        "rack U, power, cooling and weight budgets (even as an LP relaxation)"
    )


@pytest.mark.parametrize("method", ["compact", "patterns"])
def test_every_method_names_the_hall_cap_alike(method: str) -> None:
    # 42 servers of 500 W fit the two racks (23 each) but draw 21 kW, over the 20 kW hall cap.
    data = problem(demand={"m": {"min": 420}}).to_dict()
    data["method"] = method
    data["servers"][0]["available"] = None
    result = solve(data)
    assert result["status"] == "infeasible"
    assert result["reason"].startswith("demand min of model 'm'")
    assert "hall power cap (20 kW)" in result["reason"]


def test_greedy_shortfall_and_warnings() -> None:
    p = problem(demand={"m": {"min": 100}, "n": {"min": 0}})
    assert greedy_shortfall_reason(p, {"m": 40}) == (
        "the greedy fill did not meet the demand min of 'm'; try method exact"
    )
    assert problem_warnings(p) == ["demand lists model 'n' but no server offers sessions of it"]
