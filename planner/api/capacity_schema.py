"""The OpenAPI schema of `GET /api/v1/capacity`'s answer, read off the pure core's types.

`CapacityResult` (planner.capacity.specs) is the one home of a capacity result's fields; this
module turns its type hints into a JSON schema, so a field added there is documented here
without a second list to keep in step. Numbers that may not be finite are written as null by
`CapacityResult.to_dict`, so every number is nullable.
"""

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from planner.capacity.energy import ENERGY_FIGURES
from planner.capacity.specs import CapacityResult

_SCALARS = {str: {"type": "string"}, int: {"type": "integer"}, bool: {"type": "boolean"}}


def json_schema(hint: Any) -> dict:
    """A JSON schema (OpenAPI 3.0 dialect) for one type hint of the capacity result."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is float:
        return {"type": "number", "nullable": True}
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if origin is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        present = [arg for arg in args if arg is not type(None)]
        schema = json_schema(present[0]) if len(present) == 1 else {}
        return {**schema, "nullable": True}
    if origin is tuple:
        return {"type": "array", "items": json_schema(args[0])}
    if origin in (dict, Mapping) or hint is Mapping:
        return {"type": "object", "additionalProperties": True}
    raise TypeError(f"no JSON schema for {hint!r}")


def capacity_result_schema() -> dict:
    """Every field of `CapacityResult.to_dict()`, typed, all of them always present."""
    hints = typing.get_type_hints(CapacityResult)
    fields = [f.name for f in dataclasses.fields(CapacityResult)]
    return {
        "type": "object",
        "properties": {name: json_schema(hints[name]) for name in fields},
        "required": fields,
    }


def capacity_response_schema() -> dict:
    """`{query, result, energy}`: the query as understood, the result, its energy figures."""
    number = {"type": "number", "nullable": True}
    energy = ["server_power_w", "grid_g_co2_per_kwh", *ENERGY_FIGURES]
    return {
        "type": "object",
        "properties": {
            "query": {
                "type": "object",
                "additionalProperties": True,
                "description": "The query parameters with their defaults filled in.",
            },
            "result": capacity_result_schema(),
            "energy": {
                "type": "object",
                "properties": {name: dict(number) for name in energy},
                "required": energy,
            },
        },
        "required": ["query", "result", "energy"],
    }
