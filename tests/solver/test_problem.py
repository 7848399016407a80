"""Problem methods that every method shares: what fits a rack, relevant models, minimums."""

from __future__ import annotations

import math

from planner.solver import validate_problem

RACK = {"name": "r", "u": 42, "power_kw": 12.5, "reserved_u": 2, "reserved_kw": 1.0}
SRV = {"name": "s", "u": 1, "power_w": 577, "sessions": {"a": 64}}


def one(rack: dict | None = None, server: dict | None = None, **top: object):
    problem = validate_problem(
        {"rack_types": [dict(RACK, **(rack or {}))], "servers": [dict(SRV, **(server or {}))],
         **top}
    )
    return problem, problem.rack_types[0], problem.servers[0]


def test_max_in_rack_takes_the_tightest_limit() -> None:
    problem, rack, srv = one()
    assert problem.max_in_rack(rack, srv) == 19  # 11500 W / 577 W; 40 U would take 40
    problem, rack, srv = one(server={"u": 4, "power_w": 100})
    assert problem.max_in_rack(rack, srv) == 10  # 40 U / 4 U
    # 2N and derating: 12.5 x 0.5 x 0.8 - 1 = 4 kW.
    problem, rack, srv = one(rack={"feeds": "2N", "derating_pct": 80}, server={"power_w": 500})
    assert problem.max_in_rack(rack, srv) == 8
    problem, rack, srv = one(rack={"cooling_kw": 3.0}, server={"power_w": 500})
    assert problem.max_in_rack(rack, srv) == 4  # (3 - 1) kW of cooling
    problem, rack, srv = one(rack={"max_weight_kg": 100}, server={"weight_kg": 30})
    assert problem.max_in_rack(rack, srv) == 3


def test_max_in_rack_counts_what_is_already_in_the_rack() -> None:
    problem, rack, srv = one()
    assert problem.max_in_rack(rack, srv, used_w=577 * 18) == 1
    assert problem.max_in_rack(rack, srv, used_w=11500) == 0
    assert problem.max_in_rack(rack, srv, used_u=40) == 0
    # Division noise: 11500 / 575 is 19.999999999999996 in floating point.
    problem, rack, srv = one(server={"power_w": 575})
    assert problem.max_in_rack(rack, srv) == 20


def test_max_in_rack_can_drop_limits_for_the_diagnosis() -> None:
    problem, rack, srv = one(rack={"max_weight_kg": 100}, server={"weight_kg": 30})
    assert problem.max_in_rack(rack, srv, weight=False) == 19
    assert problem.max_in_rack(rack, srv, weight=False, power=False) == 40
    assert problem.max_in_rack(rack, srv, u=False, power=False) == 3
    assert problem.max_in_rack(rack, srv, u=False, power=False, weight=False) == math.inf


def test_fits_somewhere() -> None:
    problem, _, srv = one(server={"u": 41})
    assert not problem.fits_somewhere(srv)
    problem, _, srv = one()
    assert problem.fits_somewhere(srv)


def test_relevant_models_and_mins() -> None:
    problem, _, _ = one(
        server={"sessions": {"a": 1, "b": 1, "c": 1, "d": 1}},
        demand={"b": {"weight": 0}, "c": {"max": 0}, "d": {"min": 5, "weight": 0}},
    )
    assert problem.relevant_models == ("a", "d")
    assert problem.mins == {"d": 5}
    problem, _, _ = one(
        server={"sessions": {"a": 1, "d": 1}}, demand={"d": {"min": 5}}, objective="min_power"
    )
    assert problem.relevant_models == ("d",)  # under min_* only a minimum is worth a server
