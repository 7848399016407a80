"""Hand-checked solves: the seed rack study and small mixed cases."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from planner.solver import RESULT_SCHEMA, check_layout, solve, validate_problem

STD_RACK = {
    "name": "std-42u",
    "u": 42,
    "power_kw": 12.5,
    "reserved_u": 2,
    "reserved_kw": 1.0,
    "count": 1,
}
SMALL = ("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b")
AMPERE = {
    "name": "ampereone-a192",
    "u": 1,
    "power_w": 577,
    "available": None,
    "cost_usd": None,
    "sessions": {"llama-3.2-1b": 64, "llama-3.2-3b": 32, "llama-3.1-8b": 8},
}
L40S = {
    "name": "8x-l40s",
    "u": 4,
    "power_w": 3097,
    "sessions": {"llama-3.2-1b": 8, "llama-3.2-3b": 8, "llama-3.1-8b": 8, "llama-3.1-70b": 4},
}
H100 = {
    "name": "8x-h100",
    "u": 8,
    "power_w": 6297,
    "sessions": {
        "llama-3.2-1b": 56,
        "llama-3.2-3b": 56,
        "llama-3.1-8b": 56,
        "llama-3.1-70b": 8,
        "llama-3.1-405b": 1,
    },
}


def run(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Solve and assert the invariants every result must satisfy."""
    before = copy.deepcopy(data)
    result = solve(data, **kwargs)
    assert data == before, "solve() must not mutate its input"
    jsonschema.validate(result, RESULT_SCHEMA)
    if result["status"] not in ("invalid",):
        assert check_layout(validate_problem(data), result) == []
    return result


def problem(
    servers: list[dict[str, Any]],
    racks: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {"rack_types": racks or [dict(STD_RACK)], "servers": servers, **extra}


def only(model: str, models: tuple[str, ...]) -> dict[str, Any]:
    """Demand that makes ``model`` the only one worth serving."""
    return {m: {"weight": 1.0 if m == model else 0.0} for m in models}


def placements(result: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Total servers per (server, model) over all racks."""
    out: dict[tuple[str, str], int] = {}
    for group in result["racks"]:
        for entry in group["servers"]:
            key = (entry["server"], entry["model"])
            out[key] = out.get(key, 0) + entry["count"] * group["count"]
    return out


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (
            AMPERE,
            {"llama-3.2-1b": (19, 1216), "llama-3.2-3b": (19, 608), "llama-3.1-8b": (19, 152)},
        ),
        (
            L40S,
            {
                "llama-3.2-1b": (3, 24),
                "llama-3.2-3b": (3, 24),
                "llama-3.1-8b": (3, 24),
                "llama-3.1-70b": (3, 12),
            },
        ),
        (
            H100,
            {
                "llama-3.2-1b": (1, 56),
                "llama-3.2-3b": (1, 56),
                "llama-3.1-8b": (1, 56),
                "llama-3.1-70b": (1, 8),
                "llama-3.1-405b": (1, 1),
            },
        ),
    ],
)
def test_seed_rack_study(server: dict[str, Any], expected: dict[str, tuple[int, int]]) -> None:
    models = tuple(server["sessions"])
    for model, (count, sessions) in expected.items():
        result = run(problem([server], demand=only(model, models)))
        assert result["status"] == "optimal"
        assert result["objective"] == sessions
        assert result["bound"] == sessions and result["gap"] == 0.0
        assert result["sessions"][model] == sessions
        assert placements(result) == {(server["name"], model): count}
        assert result["totals"]["servers"] == count


def test_study_result_matches_documented_example() -> None:
    data = problem(
        [AMPERE],
        demand={"llama-3.2-1b": {"min": 0, "max": None, "weight": 1.0}},
        hall_power_kw=None,
        objective="max_sessions",
    )
    result = run(data)
    assert result["objective"] == 1216
    assert result["racks"] == [
        {
            "rack_type": "std-42u",
            "count": 1,
            "servers": [
                {"server": "ampereone-a192", "model": "llama-3.2-1b", "count": 19, "sessions": 1216}
            ],
            "sessions": 1216,
            "used_u": 19,
            "used_kw": 10.963,
            "usable_u": 40,
            "usable_kw": 11.5,
            "free_u": 21,
            "free_kw": 0.537,
        }
    ]
    assert result["sessions"] == {"llama-3.1-8b": 0, "llama-3.2-1b": 1216, "llama-3.2-3b": 0}
    assert result["totals"] == {
        "racks": 1,
        "racks_used": 1,
        "servers": 19,
        "u": 19,
        "power_kw": 10.963,
        "cost_usd": None,
        "sessions": 1216,
        "by_server": {"ampereone-a192": 19},
        "usable_u": 40,
        "usable_kw": 11.5,
        "by_server_model": [
            {"server": "ampereone-a192", "model": "llama-3.2-1b", "servers": 19, "sessions": 1216}
        ],
    }
    assert result["objective_name"] == "max_sessions" and result["objective_unit"] == "sessions"
    assert result["warnings"] == []


U_HEAVY = {"name": "u-heavy", "u": 2, "power_w": 200, "sessions": {"m": 10}}
W_HEAVY = {"name": "w-heavy", "u": 1, "power_w": 1000, "sessions": {"m": 20}}


def test_u_bound_and_power_bound() -> None:
    # 40 U / 11500 W usable. u-heavy alone is U-bound: 20 servers (4 kW).
    result = run(problem([U_HEAVY]))
    assert placements(result) == {("u-heavy", "m"): 20} and result["objective"] == 200
    assert result["racks"][0]["free_u"] == 0
    # w-heavy alone is power-bound: 11 servers (11 U).
    result = run(problem([W_HEAVY]))
    assert placements(result) == {("w-heavy", "m"): 11} and result["objective"] == 220
    # Together both limits bind: 16 + 8 (40 U, 11.2 kW) = 320 beats every other mix.
    result = run(problem([U_HEAVY, W_HEAVY]))
    assert result["objective"] == 320
    assert placements(result) == {("u-heavy", "m"): 16, ("w-heavy", "m"): 8}


def test_availability_cap() -> None:
    capped = dict(AMPERE, available=10)
    result = run(problem([capped], demand=only("llama-3.2-1b", SMALL)))
    assert result["objective"] == 640
    assert result["totals"]["by_server"] == {"ampereone-a192": 10}
    # Availability counts over all racks, not per rack.
    racks = [dict(STD_RACK, count=3)]
    result = run(problem([capped], racks, demand=only("llama-3.2-1b", SMALL)))
    assert result["totals"]["servers"] == 10
    zero = dict(AMPERE, available=0)
    result = run(problem([zero]))
    assert result["status"] == "optimal" and result["objective"] == 0


def test_hall_power_cap() -> None:
    racks = [dict(STD_RACK, count=2)]
    result = run(problem([AMPERE], racks, demand=only("llama-3.2-1b", SMALL)))
    assert result["totals"]["servers"] == 38 and result["objective"] == 2432
    result = run(problem([AMPERE], racks, demand=only("llama-3.2-1b", SMALL), hall_power_kw=15))
    assert result["totals"]["servers"] == 25  # 15000 / 577 = 25.99
    assert result["objective"] == 1600
    assert result["totals"]["power_kw"] == 14.425


CHEAP = {"name": "cheap", "u": 1, "power_w": 400, "cost_usd": 1000, "sessions": {"m": 30}}
FRUGAL = {"name": "frugal", "u": 2, "power_w": 700, "cost_usd": 3000, "sessions": {"m": 60}}


def test_min_power_meets_demand_with_least_power() -> None:
    # 100 sessions: 4 cheap = 1600 W, cheap+2 cheap+frugal = 1500 W, 2 frugal = 1400 W.
    data = problem([CHEAP, FRUGAL], demand={"m": {"min": 100}}, objective="min_power")
    result = run(data)
    assert result["status"] == "optimal" and result["objective"] == 1400
    assert result["objective_unit"] == "W"
    assert placements(result) == {("frugal", "m"): 2}
    assert result["sessions"] == {"m": 120}


def test_min_cost_picks_cheapest_servers() -> None:
    # 4 cheap = 4000 USD, cheap x2 + frugal = 5000, 2 frugal = 6000.
    data = problem([CHEAP, FRUGAL], demand={"m": {"min": 100}}, objective="min_cost")
    result = run(data)
    assert result["objective"] == 4000 and result["objective_unit"] == "USD"
    assert placements(result) == {("cheap", "m"): 4}
    assert result["totals"]["cost_usd"] == 4000


def test_min_cost_ignores_free_servers_it_does_not_need() -> None:
    free = {"name": "free", "u": 1, "power_w": 300, "cost_usd": 0, "sessions": {"other": 5}}
    data = problem([CHEAP, free], demand={"m": {"min": 30}}, objective="min_cost")
    result = run(data)
    assert placements(result) == {("cheap", "m"): 1}


def test_min_objectives_without_minimums_place_nothing() -> None:
    for objective in ("min_power", "min_cost"):
        result = run(problem([CHEAP], objective=objective))
        assert result["status"] == "optimal" and result["objective"] == 0
        assert result["totals"]["servers"] == 0
        assert result["racks"] == [
            {
                "rack_type": "std-42u",
                "count": 1,
                "servers": [],
                "sessions": 0,
                "used_u": 0,
                "used_kw": 0.0,
                "usable_u": 40,
                "usable_kw": 11.5,
                "free_u": 40,
                "free_kw": 11.5,
            }
        ]


def test_max_caps_counted_sessions() -> None:
    # 19 servers; 1b capped at 500: 8 on 1b (512 raw, 500 counted) + 11 on 3b (352) = 852.
    data = problem([AMPERE], demand={"llama-3.2-1b": {"max": 500}, "llama-3.1-8b": {"weight": 0}})
    result = run(data)
    assert result["objective"] == 852
    assert placements(result) == {
        ("ampereone-a192", "llama-3.2-1b"): 8,
        ("ampereone-a192", "llama-3.2-3b"): 11,
    }
    assert result["sessions"]["llama-3.2-1b"] == 512
    assert result["counted_sessions"]["llama-3.2-1b"] == 500
    assert result["counted_sessions"]["llama-3.2-3b"] == 352


def test_max_cap_does_not_pad_with_useless_servers() -> None:
    # Only 1b counts and only 500 of it: 8 servers suffice; the other 11 would be wasted power.
    demand = {
        "llama-3.2-1b": {"max": 500},
        "llama-3.2-3b": {"weight": 0},
        "llama-3.1-8b": {"weight": 0},
    }
    result = run(problem([AMPERE], demand=demand))
    assert result["objective"] == 500
    assert placements(result) == {("ampereone-a192", "llama-3.2-1b"): 8}
    # max 0 means the model earns nothing at all.
    demand["llama-3.2-1b"]["max"] = 0
    result = run(problem([AMPERE], demand=demand))
    assert result["objective"] == 0 and result["totals"]["servers"] == 0


def test_weights() -> None:
    # 8b: 8 sessions x 10 = 80 per server beats 1b: 64 x 0.1 = 6.4.
    demand = {
        "llama-3.2-1b": {"weight": 0.1},
        "llama-3.2-3b": {"weight": 0},
        "llama-3.1-8b": {"weight": 10},
    }
    result = run(problem([AMPERE], demand=demand))
    assert result["objective"] == 1520
    assert placements(result) == {("ampereone-a192", "llama-3.1-8b"): 19}
    demand["llama-3.2-1b"]["weight"] = 0.15  # 9.6 vs 80: still 8b
    demand["llama-3.1-8b"]["weight"] = 1.0  # 8 vs 9.6: now 1b
    result = run(problem([AMPERE], demand=demand))
    assert result["objective"] == pytest.approx(19 * 64 * 0.15)
    assert placements(result) == {("ampereone-a192", "llama-3.2-1b"): 19}


def test_multiple_rack_types_and_counts_are_grouped() -> None:
    small = {"name": "small-24u", "u": 24, "power_kw": 5, "count": 3}
    tiny = {"name": "tiny-6u", "u": 6, "power_kw": 3, "reserved_u": 1, "count": 2}
    racks = [dict(STD_RACK, count=2), small, tiny]
    result = run(problem([H100], racks, demand=only("llama-3.2-1b", tuple(H100["sessions"]))))
    # H100 (8 U, 6297 W): 1 per std rack; none in small (5 kW) or tiny (5 U usable).
    assert result["objective"] == 112
    assert [(g["rack_type"], g["count"], len(g["servers"])) for g in result["racks"]] == [
        ("std-42u", 2, 1),
        ("small-24u", 3, 0),
        ("tiny-6u", 2, 0),
    ]
    assert result["totals"]["racks"] == 7 and result["totals"]["racks_used"] == 2
    assert result["warnings"] == []  # the H100 fits the std rack, so it is not flagged

    result = run(problem([AMPERE], racks, demand=only("llama-3.2-1b", SMALL)))
    # std: 19 each; small: 24 U, 5000/577 = 8; tiny: 5 U, 3000/577 = 5.
    assert result["totals"]["servers"] == 2 * 19 + 3 * 8 + 2 * 5
    assert [(g["rack_type"], g["count"], g["used_u"]) for g in result["racks"]] == [
        ("std-42u", 2, 19),
        ("small-24u", 3, 8),
        ("tiny-6u", 2, 5),
    ]


def test_mixed_contents_order_is_deterministic() -> None:
    racks = [dict(STD_RACK, count=3)]
    demand = {"llama-3.2-1b": {"min": 500}, "llama-3.1-70b": {"min": 20}}
    data = problem([AMPERE, L40S, H100], racks, demand=demand)
    first = run(data)
    second = run(copy.deepcopy(data))
    first.pop("solve_seconds")
    second.pop("solve_seconds")
    assert first == second
    powers = [g["used_kw"] for g in first["racks"]]
    assert powers == sorted(powers, reverse=True)


def test_infeasible_demand_names_model_and_rack_budget() -> None:
    result = run(problem([AMPERE], demand={"llama-3.2-1b": {"min": 2000}}))
    assert result["status"] == "infeasible"
    assert "'llama-3.2-1b'" in result["reason"]
    assert "at most 1216 sessions" in result["reason"]
    assert "rack power budgets" in result["reason"]
    assert result["racks"] == [] and result["objective"] is None


def test_infeasible_by_u() -> None:
    tall = {"name": "tall", "u": 4, "power_w": 100, "sessions": {"m": 1}}
    result = run(problem([tall], demand={"m": {"min": 11}}))
    assert result["status"] == "infeasible"
    assert "rack U budgets" in result["reason"] and "at most 10" in result["reason"]


def test_infeasible_by_hall_cap() -> None:
    racks = [dict(STD_RACK, count=2)]
    data = problem([AMPERE], racks, demand={"llama-3.2-1b": {"min": 1500}}, hall_power_kw=10)
    result = run(data)
    assert result["status"] == "infeasible"
    assert "hall power cap (10 kW)" in result["reason"] and "'llama-3.2-1b'" in result["reason"]


def test_infeasible_by_availability() -> None:
    data = problem([dict(AMPERE, available=5)], demand={"llama-3.2-1b": {"min": 1000}})
    result = run(data)
    assert result["status"] == "infeasible"
    assert "availability" in result["reason"] and "at most 320" in result["reason"]


def test_infeasible_jointly() -> None:
    # 16 servers for each alone; 32 do not fit the 11.5 kW rack (19 do).
    data = problem([AMPERE], demand={"llama-3.2-1b": {"min": 1000}, "llama-3.2-3b": {"min": 500}})
    result = run(data)
    assert result["status"] == "infeasible"
    assert "'llama-3.2-1b', 'llama-3.2-3b'" in result["reason"]
    assert "together" in result["reason"] and "rack power budgets" in result["reason"]


def test_infeasible_model_nobody_serves() -> None:
    result = run(problem([AMPERE], demand={"mistral-7b": {"min": 1}}))
    assert result["status"] == "infeasible"
    assert "'mistral-7b'" in result["reason"] and "no server offers" in result["reason"]
    result = run(problem([H100], [dict(STD_RACK, u=8)], demand={"llama-3.1-8b": {"min": 1}}))
    assert "fits in any rack type" in result["reason"]


def test_demand_min_is_enforced_under_max_sessions() -> None:
    demand = {"llama-3.1-8b": {"min": 40}}
    result = run(problem([AMPERE], demand=demand))
    # 5 servers on 8b are forced; the other 14 go to 1b.
    assert placements(result) == {
        ("ampereone-a192", "llama-3.1-8b"): 5,
        ("ampereone-a192", "llama-3.2-1b"): 14,
    }
    assert result["objective"] == 40 + 14 * 64


def test_no_servers_or_no_useful_servers() -> None:
    result = run(problem([]))
    assert result["status"] == "optimal" and result["objective"] == 0 and result["gap"] == 0.0
    useless = {"name": "idle", "u": 1, "power_w": 100, "sessions": {"m": 0}}
    result = run(problem([useless, dict(H100, name="big")], [dict(STD_RACK, u=8)]))
    assert result["status"] == "optimal" and result["objective"] == 0
    assert any("'idle' offers no sessions" in w for w in result["warnings"])
    assert any("'big'" in w and "fits in no rack type" in w for w in result["warnings"])


def test_progress_callback() -> None:
    events: list[dict[str, Any]] = []
    run(problem([AMPERE]), progress=events.append)
    assert events[0]["phase"] == "start" and events[-1]["phase"] == "done"
    assert events[-1]["status"] == "optimal" and events[-1]["incumbent"] == 1216
    for event in events:
        assert {"phase", "incumbent", "bound", "elapsed_s"} <= set(event)
    events.clear()
    solve({"bad": 1}, progress=events.append)
    assert [e["phase"] for e in events] == ["start", "done"]
    assert events[-1]["status"] == "invalid"


def test_progress_exception_propagates() -> None:
    def abort(event: dict[str, Any]) -> None:
        if event["phase"] == "solve":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        solve(problem([AMPERE]), progress=abort)


def test_accepts_problem_instance_and_time_limit() -> None:
    parsed = validate_problem(problem([AMPERE], time_limit_s=30))
    result = run(problem([AMPERE]), time_limit_s=5)
    assert solve(parsed)["objective"] == result["objective"] == 1216


def test_over_the_size_limit_is_invalid_and_names_the_limit() -> None:
    result = run(problem([AMPERE], [dict(STD_RACK, count=1_000_000)]))
    assert result["status"] == "invalid"
    assert "at most 100000 racks" in result["errors"]["rack_types"][0]


def test_too_large_for_the_compact_method_is_invalid() -> None:
    servers = [dict(AMPERE, name=f"ampere-{i}") for i in range(3)]
    result = run(problem(servers, [dict(STD_RACK, count=99_000)], method="compact"))
    assert result["status"] == "invalid" and "method" in result["errors"]


def test_time_limit_reports_feasible_or_unknown_with_bound() -> None:
    # Many racks, several SKUs and models with awkward numbers: HiGHS will not prove optimality
    # in 10 ms, but must still return a valid answer.
    servers = [
        {
            "name": f"s{i}",
            "u": 1 + i % 3,
            "power_w": 313 + 97 * i,
            "sessions": {f"m{j}": 7 + (i * 5 + j * 3) % 11 for j in range(4)},
        }
        for i in range(6)
    ]
    demand = {f"m{j}": {"max": 900 + 37 * j, "weight": 1 + j / 7} for j in range(4)}
    racks = [dict(STD_RACK, count=12, power_kw=7.3), dict(STD_RACK, name="b", u=30, count=9)]
    result = run(problem(servers, racks, demand=demand), time_limit_s=0.01)
    assert result["status"] in ("optimal", "feasible", "unknown")
    if result["status"] == "feasible":
        assert result["bound"] >= result["objective"]
        expected = abs(result["bound"] - result["objective"]) / max(abs(result["objective"]), 1e-9)
        assert result["gap"] == pytest.approx(expected, abs=1e-8)
