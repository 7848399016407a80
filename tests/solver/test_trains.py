"""Layouts that survive losing one power train of K (``power_trains``), against an independent
brute force, in every method; the result's train split and exposure; the feed-loss rule."""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from planner.solver import ProblemError, check_layout, solve, trains, validate_problem
from planner.solver.check import _feed_w
from tests.solver.test_properties import assert_valid, instances

TOL = 1e-6
#: The most rack fillings or layouts x train assignments the brute force walks through.
MAX_ENUMERATED = 300_000


def brute_force(data: dict[str, Any]) -> float | None:
    """Best objective over every layout and every assignment of its racks to the trains such
    that each min survives losing any one train; None if none does.

    Enumerates each rack's contents as (server, model) counts, then every train for every rack
    (K ** racks). Shares nothing with the solver.
    """
    k_trains = data["power_trains"]["count"]
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
        ranges = [range(cap_u // servers[i]["u"] + 1) for i, _, _ in pairs]
        # An oracle for small halls only: a draw whose enumeration would take minutes (seen:
        # a CI run stuck here for over ten) is rejected, not solved.
        if math.prod(len(r) for r in ranges) > MAX_ENUMERATED:
            reject()
        for counts in itertools.product(*ranges):
            picked = list(zip(counts, pairs, strict=True))
            if sum(k * servers[i]["u"] for k, (i, _, _) in picked) > cap_u:
                continue
            if sum(k * servers[i]["power_w"] for k, (i, _, _) in picked) > cap_w + TOL:
                continue
            per_server = [0] * len(servers)
            per_model = [0] * len(models)
            for k, (i, m, n) in picked:
                per_server[i] += k
                per_model[m] += k * n
            out.add((tuple(per_server), tuple(per_model)))
        return sorted(out)

    layouts: list[list[tuple]] = [[]]
    for rack in data["rack_types"]:
        options = fillings(
            rack["u"] - rack["reserved_u"], (rack["power_kw"] - rack["reserved_kw"]) * 1000
        )
        if len(layouts) * math.comb(len(options) + rack["count"] - 1, rack["count"]) * (
            k_trains ** (len(layouts[0]) + rack["count"])
        ) > MAX_ENUMERATED:
            reject()
        layouts = [
            chosen + list(combo)
            for chosen in layouts
            for combo in itertools.combinations_with_replacement(options, rack["count"])
        ]
    demand = {m: data["demand"].get(m, {}) for m in models}
    mins = [demand[m].get("min", 0) for m in models]
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
        survives = False
        for assignment in itertools.product(range(k_trains), repeat=len(layout)):
            lost = [[0] * len(models) for _ in range(k_trains)]
            for f, k in zip(layout, assignment, strict=True):
                for j in range(len(models)):
                    lost[k][j] += f[1][j]
            if all(
                total[j] - lost[k][j] >= mins[j]
                for k in range(k_trains)
                for j in range(len(models))
                if mins[j] > 0
            ):
                survives = True
                break
        if not survives:
            continue
        if data["objective"] == "max_sessions":
            value = 0.0
            for j, m in enumerate(models):
                hi = demand[m].get("max")
                counted = total[j] if hi is None else min(hi, total[j])
                value += demand[m].get("weight", 1) * counted
            best = value if best is None else max(best, value)
        else:
            if data["objective"] == "min_power":
                value = power
            else:
                value = sum(k * s["cost_usd"] for k, s in zip(per_server, servers, strict=True))
            best = value if best is None else min(best, value)
    return best


def with_trains(data: dict[str, Any], k: int) -> dict[str, Any]:
    racks = sum(r["count"] for r in data["rack_types"])
    return {**data, "power_trains": {"count": max(2, min(k, racks))}}


@st.composite
def train_instances(draw: st.DrawFn, **kwargs: Any) -> dict[str, Any]:
    """Random tiny halls of at least two racks on 2-3 trains, with minimums small enough that
    surviving a train loss is often possible (the shared generator's mostly are not)."""
    data = draw(instances(**kwargs))
    if sum(r["count"] for r in data["rack_types"]) < 2:
        data["rack_types"] = [{**data["rack_types"][0], "count": 2}]
    if not any(d["min"] > 0 for d in data["demand"].values()):
        data["demand"]["a"] = {"min": 1, "max": None, "weight": 1}
    for m, d in data["demand"].items():
        if d["min"] > 0:
            d["min"] = draw(st.integers(1, 12))
            if d["max"] is not None:
                d["max"] = max(d["max"], d["min"])
            # A model with a minimum is offered by the smallest server, so a layout often exists.
            small = min(data["servers"], key=lambda s: s["power_w"])
            small["sessions"][m] = max(small["sessions"].get(m, 0), draw(st.integers(1, 12)))
            small["available"] = None
    return with_trains(data, draw(st.integers(2, 3)))


def survives_every_train_loss(data: dict[str, Any], result: dict[str, Any]) -> bool:
    """Remove each train in turn (its racks, from the groups' train split) and recount."""
    k_trains = data["power_trains"]["count"]
    mins = {m: d.get("min", 0) for m, d in data["demand"].items()}
    on = [dict.fromkeys(result["sessions"], 0) for _ in range(k_trains)]
    for group in result["racks"]:
        assert sum(group["trains"]) == group["count"]
        for e in group["servers"]:
            for k, c in enumerate(group["trains"]):
                on[k][e["model"]] += c * e["sessions"]
    return all(
        result["sessions"].get(m, 0) - lost.get(m, 0) >= lo for lost in on for m, lo in mins.items()
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_instances(max_count=2, max_racks=3, max_rack_u=9))
def test_compact_matches_brute_force(data: dict[str, Any]) -> None:
    result = solve({**data, "method": "compact"})
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "infeasible", result
        assert "demand min" in result["reason"]
    else:
        assert result["status"] == "optimal", result
        assert abs(result["objective"] - expected) <= TOL * max(1.0, abs(expected))
        assert survives_every_train_loss(data, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    train_instances(max_count=2, max_racks=3, max_rack_u=9),
    st.sampled_from(["patterns", "greedy"]),
)
def test_patterns_and_greedy_survive_with_valid_bounds(data: dict[str, Any], method: str) -> None:
    result = solve({**data, "method": method}, time_limit_s=5)
    assert_valid(data, result)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] in ("infeasible", "unknown"), result
        return
    if result["status"] in ("optimal", "feasible"):
        assert survives_every_train_loss(data, result)
        sign = 1 if data["objective"] == "max_sessions" else -1
        # Never better than the best train-resilient layout; the bound never worse than it.
        assert sign * (result["objective"] - expected) <= TOL * max(1.0, abs(expected))
        assert sign * (result["bound"] - expected) >= -TOL * max(1.0, abs(expected))
        if result["status"] == "optimal":
            assert abs(result["objective"] - expected) <= TOL * max(1.0, abs(expected))
    else:
        assert result["status"] == "unknown", result


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_instances(max_count=2, max_racks=3, max_rack_u=9))
def test_patterns_spread_and_raise_survive_with_valid_bounds(data: dict[str, Any]) -> None:
    """The hall-scale path of the pattern method (IP without train rows, racks spread over the
    trains, minimums raised), forced on tiny halls: feasible layouts survive, never beat the
    brute force, and the bound stays valid."""
    limit = trains.EXACT_MAX_COLUMNS
    trains.EXACT_MAX_COLUMNS = 0
    try:
        result = solve({**data, "method": "patterns"}, time_limit_s=5)
    finally:
        trains.EXACT_MAX_COLUMNS = limit
    assert_valid(data, result)
    expected = brute_force(data)
    if result["status"] in ("optimal", "feasible"):
        assert expected is not None
        assert survives_every_train_loss(data, result)
        sign = 1 if data["objective"] == "max_sessions" else -1
        assert sign * (result["objective"] - expected) <= TOL * max(1.0, abs(expected))
        assert sign * (result["bound"] - expected) >= -TOL * max(1.0, abs(expected))
    else:
        assert result["status"] in ("infeasible", "unknown"), result


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_instances(max_count=3, max_racks=5, max_rack_u=12))
def test_a_train_resilient_layout_meets_every_min_after_removing_any_train(data):
    for method in ("exact", "patterns", "greedy"):
        result = solve({**data, "method": method}, time_limit_s=5)
        if result["status"] in ("optimal", "feasible"):
            assert survives_every_train_loss(data, result), (method, result)
            for m, lo in validate_problem(data).mins.items():
                assert result["exposure"][m]["after_worst_train"] >= lo


HALL = {
    "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 4}],
    "servers": [
        {"name": "a", "u": 2, "power_w": 1000, "sessions": {"x": 10, "y": 7}},
        {"name": "b", "u": 1, "power_w": 400, "sessions": {"x": 3}},
    ],
    "demand": {"x": {"min": 40}, "y": {"min": 14}},
    "objective": "min_power",
}


def test_two_trains_double_the_minimums_by_hand():
    # Plain: 4 a for x + 2 a for y = 6,000 W. Losing one of two trains must leave 40 x and 14 y,
    # so each train alone carries them: 8 a for x, 4 a for y (b's 133 W/session loses to a's 100).
    plain = solve({**HALL, "method": "compact"})
    assert plain["objective"] == 6000
    result = solve({**HALL, "power_trains": {"count": 2}, "method": "compact"})
    assert result["status"] == "optimal" and result["objective"] == 12000
    assert result["power_trains"] == 2
    assert all(len(g["trains"]) == 2 and sum(g["trains"]) == g["count"] for g in result["racks"])
    assert result["exposure"]["x"]["after_worst_train"] == 40
    assert result["exposure"]["y"]["after_worst_train"] == 14


@pytest.mark.parametrize("method", ["compact", "patterns", "greedy"])
def test_more_trains_cost_less_and_every_method_survives(method):
    # With K trains the hall needs sessions * (1 - 1/K) >= min: 4 trains need less than 2.
    two = solve({**HALL, "power_trains": {"count": 2}, "method": method}, time_limit_s=10)
    four = solve({**HALL, "power_trains": {"count": 4}, "method": method}, time_limit_s=10)
    for data, result in ((HALL | {"power_trains": {"count": 2}}, two),
                         (HALL | {"power_trains": {"count": 4}}, four)):
        assert result["status"] in ("optimal", "feasible"), result
        assert_valid(data, result)
        assert survives_every_train_loss(data, result)
    if method != "greedy":
        assert four["objective"] < two["objective"]


def test_every_result_without_trains_is_unchanged():
    result = solve(HALL)
    assert "power_trains" not in result
    assert all("trains" not in g for g in result["racks"])
    assert all("after_worst_train" not in e for e in result["exposure"].values())


def test_trains_combine_with_rack_resilience():
    data = {**HALL, "power_trains": {"count": 2}, "resilience": "n_plus_1_rack"}
    for method in ("compact", "patterns", "greedy"):
        result = solve({**data, "method": method}, time_limit_s=10)
        assert result["status"] in ("optimal", "feasible"), (method, result)
        assert_valid(data, result)
        assert survives_every_train_loss(data, result)
        assert result["exposure"]["x"]["after_worst_rack"] >= 40


def test_check_layout_rejects_a_layout_that_does_not_survive():
    data = {**HALL, "power_trains": {"count": 2}}
    result = solve({**data, "method": "compact"})
    assert check_layout(validate_problem(data), result) == []
    broken = copy.deepcopy(result)
    # Put every rack on train 0: losing it loses everything.
    for group in broken["racks"]:
        group["trains"] = [group["count"], 0]
    problems = check_layout(validate_problem(data), broken)
    assert any("after the worst power train loss" in p for p in problems), problems
    assert any("after_worst_train" in p for p in problems), problems
    bad_split = copy.deepcopy(result)
    bad_split["racks"][0]["trains"] = [9, 9]
    assert any("add up to" in p for p in check_layout(validate_problem(data), bad_split))
    missing = copy.deepcopy(result)
    del missing["racks"][0]["trains"]
    assert any("trains must list 2" in p for p in check_layout(validate_problem(data), missing))


def test_one_train_too_few_to_survive_is_named():
    data = {**HALL, "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 2}],
            "demand": {"x": {"min": 100}}, "power_trains": {"count": 2}}
    for method in ("compact", "patterns"):
        result = solve({**data, "method": method}, time_limit_s=10)
        assert result["status"] == "infeasible", result
        assert "not after losing any one of 2 power trains" in result["reason"], result["reason"]
    greedy = solve({**data, "method": "greedy"}, time_limit_s=10)
    assert greedy["status"] == "unknown"
    assert "any one of 2 power trains" in greedy["reason"]


@pytest.mark.parametrize(
    ("trains", "field", "message"),
    [
        ({"count": 1}, "power_trains.count", "must be >= 2"),
        ({"count": 9}, "power_trains.count", "at most the hall's racks (4)"),
        ({"count": 2.5}, "power_trains.count", "must be an integer"),
        ({}, "power_trains.count", "is required"),
        ({"count": 2, "kw": 5}, "power_trains.kw", "unknown field"),
        (3, "power_trains", "must be an object or null"),
    ],
)
def test_bad_power_trains_are_field_errors(trains, field, message):
    with pytest.raises(ProblemError) as info:
        validate_problem({**HALL, "power_trains": trains})
    assert any(message in m for m in info.value.errors[field]), info.value.errors
    result = solve({**HALL, "power_trains": trains})
    assert result["status"] == "invalid" and field in result["errors"]


def test_power_trains_round_trip():
    problem = validate_problem({**HALL, "power_trains": {"count": 3}})
    assert problem.power_trains == 3
    assert problem.to_dict()["power_trains"] == {"count": 3}
    assert validate_problem(problem.to_dict()) == problem
    assert validate_problem(HALL).to_dict()["power_trains"] is None


@pytest.mark.parametrize(
    ("power_kw", "feeds", "derating_pct", "reserved_kw", "usable_w"),
    [(10, "2N", 100, 0, 5000), (10, "2N", 80, 1, 3000), (10, "N", 80, 1, 7000)],
)
def test_a_2n_rack_fits_its_whole_load_on_the_surviving_feed(
    power_kw, feeds, derating_pct, reserved_kw, usable_w
):
    """Feed loss: a 2N rack's servers may draw only what one feed carries (after derating and
    the reserve), so losing either feed leaves the whole rack powered. This is the usable-kW rule
    the solver already applies (no separate feed-loss constraint is needed): the most it places
    in such a rack is what one feed carries."""
    rack = {
        "name": "r", "u": 42, "power_kw": power_kw, "feeds": feeds,
        "derating_pct": derating_pct, "reserved_kw": reserved_kw, "count": 1,
    }
    problem = validate_problem({"rack_types": [rack], "servers": HALL["servers"]})
    assert problem.rack_types[0].usable_w == usable_w == _feed_w(problem.rack_types[0])
    one_feed_w = power_kw * 1000 * (0.5 if feeds == "2N" else 1.0) * derating_pct / 100
    assert problem.rack_types[0].usable_w + reserved_kw * 1000 <= one_feed_w
    watts = {"name": "w", "u": 1, "power_w": 250, "sessions": {"x": 1}}
    result = solve({"rack_types": [rack], "servers": [watts], "objective": "max_sessions"})
    # The most the solver places is what one feed carries (derated, less the reserve).
    assert result["totals"]["power_kw"] * 1000 == usable_w
