"""planner.solver.limits: one code path for the hard size limits and the deployment limits, and
the one time budget the solver, the worker and the synchronous API share."""

from __future__ import annotations

import math

import pytest

from planner.solver import ProblemError, validate_problem
from planner.solver.limits import (
    DEFAULT_TIME_LIMIT_S,
    HARD_LIMITS,
    MAX_RACKS,
    exceeded,
    hard_limit_errors,
    limit_errors,
    problem_sizes,
    time_budget_s,
)

RACK = {"name": "r", "u": 42, "power_kw": 10, "count": 3}
SRV = {"name": "s", "u": 1, "power_w": 500, "sessions": {"a": 1, "b": 2}}


def hall(racks: int = 3, types: int = 1, servers: int = 1) -> dict:
    return {
        "rack_types": [dict(RACK, name=f"r{i}", count=racks) for i in range(types)],
        "servers": [dict(SRV, name=f"s{i}") for i in range(servers)],
        "demand": {"c": {"min": 0}},
    }


def test_problem_sizes_count_what_each_limit_names() -> None:
    assert problem_sizes(hall(racks=4, types=2, servers=3)) == {
        "rack_types": ("rack_types", 2),
        "racks": ("rack_types", 8),
        "servers": ("servers", 3),
        "models": ("demand", 3),  # a and b from sessions, c from demand
    }


def test_deployment_limit_messages_name_the_setting() -> None:
    errors = limit_errors(hall(racks=5), {"racks": 3, "servers": 10})
    assert errors == {
        "rack_types": [
            "too many racks (sum of rack_types[].count): 5; the limit is 3 (PROBLEM_MAX_RACKS)"
        ]
    }
    assert limit_errors(hall(racks=5), {"racks": None}) == {}
    assert limit_errors(hall(servers=3), {"servers": 2})["servers"] == [
        "too many server SKUs: 3; the limit is 2 (PROBLEM_MAX_SERVERS)"
    ]


def test_hard_limits_use_the_same_comparison_with_their_own_wording() -> None:
    big = hall(racks=MAX_RACKS + 1)
    assert exceeded(big, HARD_LIMITS) == [("racks", "rack_types", MAX_RACKS + 1, MAX_RACKS)]
    assert hard_limit_errors(big) == {
        "rack_types": [
            f"size limit: at most {MAX_RACKS} racks in total (sum of count), got {MAX_RACKS + 1}"
        ]
    }
    with pytest.raises(ProblemError) as info:
        validate_problem(big)
    assert info.value.errors == hard_limit_errors(big)


def test_too_many_models_is_reported_on_the_root() -> None:
    many = dict(SRV, sessions={f"m{i}": 1 for i in range(HARD_LIMITS["models"] + 1)})
    errors = hard_limit_errors({"rack_types": [RACK], "servers": [many]})
    assert list(errors) == ["(root)"] and "at most 50 models" in errors["(root)"][0]


@pytest.mark.parametrize(
    ("requested", "cap_s", "margin_s", "budget_s"),
    [
        # The worker: the problem's own limit, kept below the soft limit less a margin.
        (10, 600, 3.0, 10.0),
        (900, 600, 3.0, 597.0),
        (None, 600, 3.0, DEFAULT_TIME_LIMIT_S),
        ("x", None, 3.0, DEFAULT_TIME_LIMIT_S),
        (60, 4, 3.0, 2.0),  # a margin near the cap still leaves half of it
        # The synchronous API: capped at its ceiling, no margin.
        (None, 20, 0.0, 20.0),
        (5, 20, 0.0, 5.0),
        # Not a usable limit: the default.
        (True, None, 0.0, DEFAULT_TIME_LIMIT_S),
        (0, None, 0.0, DEFAULT_TIME_LIMIT_S),
        (math.nan, None, 0.0, DEFAULT_TIME_LIMIT_S),
        (math.inf, 30, 0.0, 30.0),
    ],
)
def test_time_budget(
    requested: object, cap_s: float | None, margin_s: float, budget_s: float
) -> None:
    assert time_budget_s(requested, cap_s, margin_s) == budget_s
