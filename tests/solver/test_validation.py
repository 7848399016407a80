"""Validation of problem format v1: field paths, messages, defaults and the schema files."""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from planner.solver import (
    PROBLEM_SCHEMA,
    RESULT_SCHEMA,
    Problem,
    ProblemError,
    load_schema,
    solve,
    validate_problem,
)


def base() -> dict[str, Any]:
    return {
        "rack_types": [
            {
                "name": "std-42u",
                "u": 42,
                "power_kw": 12.5,
                "reserved_u": 2,
                "reserved_kw": 1.0,
                "count": 1,
            }
        ],
        "servers": [
            {
                "name": "ampereone-a192",
                "u": 1,
                "power_w": 577,
                "available": None,
                "cost_usd": None,
                "sessions": {"llama-3.2-1b": 64, "llama-3.2-3b": 32, "llama-3.1-8b": 8},
            }
        ],
        "demand": {"llama-3.2-1b": {"min": 0, "max": None, "weight": 1.0}},
        "hall_power_kw": None,
        "objective": "max_sessions",
    }


def errors_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ProblemError) as info:
        validate_problem(data)
    err = info.value
    assert err.errors, "ProblemError must carry errors"
    reason = str(err)
    assert "\n" not in reason and reason.startswith("invalid problem")
    # solve() must report the same thing instead of raising.
    result = solve(data)
    assert result["status"] == "invalid"
    assert result["errors"] == err.errors
    assert result["reason"] == reason
    jsonschema.validate(result, RESULT_SCHEMA)
    return err.errors


def mutate(path: list[Any], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    data = base()
    target = data
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def test_schemas_are_valid_and_loadable() -> None:
    jsonschema.Draft202012Validator.check_schema(PROBLEM_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(RESULT_SCHEMA)
    assert load_schema("problem") == PROBLEM_SCHEMA
    assert load_schema("result-v1") == RESULT_SCHEMA
    assert load_schema("problem-v1.schema.json") == PROBLEM_SCHEMA
    fresh = load_schema("problem")
    fresh["title"] = "changed"
    assert PROBLEM_SCHEMA["title"] != "changed"
    with pytest.raises(ValueError):
        load_schema("nope")


def test_valid_problem_parses_into_frozen_dataclasses() -> None:
    problem = validate_problem(base())
    assert isinstance(problem, Problem)
    rack = problem.rack_types[0]
    assert (rack.usable_u, rack.usable_w) == (40, 11500.0)
    server = problem.servers[0]
    assert server.sessions_for("llama-3.2-3b") == 32
    assert server.sessions_for("unknown") == 0
    assert problem.demand_for("llama-3.1-8b").weight == 1.0
    assert problem.models == ("llama-3.1-8b", "llama-3.2-1b", "llama-3.2-3b")
    with pytest.raises(AttributeError):
        problem.objective = "min_power"  # type: ignore[misc]
    hash(problem)
    # to_dict round-trips and spells out defaults.
    again = validate_problem(problem.to_dict())
    assert again == problem
    assert validate_problem(problem) == problem


def test_defaults() -> None:
    data = {
        "rack_types": [{"name": "r", "u": 10, "power_kw": 5}],
        "servers": [{"name": "s", "u": 1.0, "power_w": 100, "sessions": {"m": 2}}],
    }
    problem = validate_problem(data)
    rack = problem.rack_types[0]
    assert (rack.reserved_u, rack.reserved_kw, rack.count) == (0, 0.0, 1)
    assert problem.servers[0].u == 1 and isinstance(problem.servers[0].u, int)
    assert problem.servers[0].available is None and problem.servers[0].cost_usd is None
    assert problem.objective == "max_sessions" and problem.method == "exact"
    assert problem.hall_power_kw is None and problem.demand == ()
    assert problem.demand_for("m").min == 0 and problem.demand_for("m").max is None


def test_optional_fields_and_annotations_are_accepted() -> None:
    data = base()
    data["time_limit_s"] = 5
    data["method"] = "exact"
    data["version"] = 1
    data["x-note"] = {"anything": [1, 2]}
    data["servers"][0]["x-vendor"] = "Ampere"
    assert validate_problem(data).time_limit_s == 5.0


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        (["servers", 0, "power_w"], -5, "servers[0].power_w", "> 0"),
        (["servers", 0, "power_w"], 0, "servers[0].power_w", "> 0"),
        (["servers", 0, "u"], 1.5, "servers[0].u", "integer"),
        (["servers", 0, "u"], "1", "servers[0].u", "integer"),
        (["servers", 0, "u"], True, "servers[0].u", "integer"),
        (["servers", 0, "available"], -1, "servers[0].available", ">= 0"),
        (["servers", 0, "cost_usd"], -1, "servers[0].cost_usd", ">= 0"),
        (
            ["servers", 0, "sessions", "llama-3.2-1b"],
            -1,
            'servers[0].sessions["llama-3.2-1b"]',
            ">= 0",
        ),
        (
            ["servers", 0, "sessions", "llama-3.2-1b"],
            2.5,
            'servers[0].sessions["llama-3.2-1b"]',
            "integer",
        ),
        (["servers", 0, "sessions"], [], "servers[0].sessions", "object"),
        (["servers", 0, "name"], "", "servers[0].name", "empty"),
        (["rack_types", 0, "reserved_u"], 42, "rack_types[0].reserved_u", "less than u"),
        (["rack_types", 0, "reserved_kw"], 12.5, "rack_types[0].reserved_kw", "less than power_kw"),
        (["rack_types", 0, "count"], 0, "rack_types[0].count", ">= 1"),
        (["rack_types", 0, "count"], 2.5, "rack_types[0].count", "integer"),
        (["rack_types", 0, "power_kw"], "12", "rack_types[0].power_kw", "number"),
        (["rack_types"], [], "rack_types", "at least 1"),
        (["rack_types"], {}, "rack_types", "array"),
        (["objective"], "max_profit", "objective", "one of"),
        (["method"], "simplex", "method", "one of"),
        (["hall_power_kw"], 0, "hall_power_kw", "> 0"),
        (["time_limit_s"], 0, "time_limit_s", "> 0"),
        (["demand", "llama-3.2-1b", "min"], -3, 'demand["llama-3.2-1b"].min', ">= 0"),
        (["demand", "llama-3.2-1b", "weight"], -1, 'demand["llama-3.2-1b"].weight', ">= 0"),
        (["demand", "llama-3.2-1b", "max"], 1.5, 'demand["llama-3.2-1b"].max', "integer"),
        (["demand", "llama-3.2-1b"], 5, 'demand["llama-3.2-1b"]', "object"),
        (
            ["demand", "llama-3.2-1b", "maximum"],
            5,
            'demand["llama-3.2-1b"].maximum',
            "unknown field",
        ),
        (["hall_power_KW"], 5, "hall_power_KW", "unknown field"),
        (["servers", 0, "power_w"], float("nan"), "servers[0].power_w", "finite"),
        (["servers", 0, "power_w"], math.inf, "servers[0].power_w", "finite"),
        (["servers", 0, "power_w"], Decimal("577"), "servers[0].power_w", "JSON value"),
        (["servers", 0, "sessions"], {1: 5}, "servers[0].sessions", "keys must be strings"),
        (["servers", 0, "sessions"], {"": 5}, "servers[0].sessions", "non-empty"),
        (["servers"], ({"name": "x"},), "servers", "JSON value"),
        (
            ["servers", 0, "sessions", "llama-3.2-1b"],
            {1, 2},
            'servers[0].sessions["llama-3.2-1b"]',
            "JSON value",
        ),
        (["rack_types", 0, "u"], 10**12, "rack_types[0].u", "<="),
    ],
)
def test_invalid_field(path: list[Any], value: Any, field: str, fragment: str) -> None:
    errors = errors_of(mutate(path, value))
    assert field in errors, errors
    assert any(fragment in message for message in errors[field]), errors[field]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (["servers", 0, "power_w"], "servers[0].power_w"),
        (["servers", 0, "sessions"], "servers[0].sessions"),
        (["rack_types", 0, "u"], "rack_types[0].u"),
        (["rack_types"], "rack_types"),
        (["servers"], "servers"),
    ],
)
def test_missing_field(path: list[Any], field: str) -> None:
    errors = errors_of(mutate(path, delete=True))
    assert errors[field] == ["is required"]


def test_not_an_object() -> None:
    for data in ([], "x", None, 3):
        assert "(root)" in errors_of(data)


def test_several_errors_are_all_reported() -> None:
    data = base()
    data["servers"][0]["power_w"] = -1
    data["rack_types"][0]["u"] = "tall"
    errors = errors_of(data)
    assert set(errors) >= {"servers[0].power_w", "rack_types[0].u"}
    assert "more error" in ProblemError(errors).reason


def test_duplicate_names() -> None:
    data = base()
    data["servers"].append(copy.deepcopy(data["servers"][0]))
    data["rack_types"].append(copy.deepcopy(data["rack_types"][0]))
    errors = errors_of(data)
    assert "duplicate name" in errors["servers[1].name"][0]
    assert "rack_types[0]" in errors["rack_types[1].name"][0]


def test_min_above_max() -> None:
    data = mutate(["demand", "llama-3.2-1b"], {"min": 10, "max": 5})
    assert errors_of(data)['demand["llama-3.2-1b"].max'] == ["must be >= min (10)"]


def test_min_cost_requires_every_cost() -> None:
    data = base()
    data["objective"] = "min_cost"
    errors = errors_of(data)
    assert list(errors) == ["servers[0].cost_usd"]
    assert "min_cost" in errors["servers[0].cost_usd"][0]
    data["servers"][0]["cost_usd"] = 0
    validate_problem(data)


def test_identifier_keys_use_dot_paths() -> None:
    data = mutate(["demand", "gpt_small"], {"min": -1})
    assert "demand.gpt_small.min" in errors_of(data)


def test_bad_time_limit_argument_is_invalid_not_raised() -> None:
    for bad in (0, -1, math.nan, "5", True):
        result = solve(base(), time_limit_s=bad)
        assert result["status"] == "invalid"
        assert "time_limit_s" in result["errors"]


def test_problem_error_is_json_friendly() -> None:
    data = mutate(["servers", 0, "power_w"], -5)
    result = solve(data)
    json.dumps(result)
    assert result["racks"] == [] and result["objective"] is None and result["totals"] is None


def test_malformed_problem_instance_is_invalid_not_raised() -> None:
    from planner.solver import RackType, Server

    broken = Problem(
        rack_types=(RackType("r", 10, 5.0),),
        servers=(Server("s", 1, 100.0, sessions=5),),  # type: ignore[arg-type]
    )
    result = solve(broken)
    assert result["status"] == "invalid" and "(root)" in result["errors"]
    fine = Problem(
        rack_types=(RackType("r", 10, 5.0),), servers=(Server("s", 1, 100.0, (("m", 2),)),)
    )
    assert solve(fine)["objective"] == 20
