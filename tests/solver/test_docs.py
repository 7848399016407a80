"""docs/problem-format.md must stay accurate: its JSON examples are checked against the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from planner.solver import RESULT_SCHEMA, solve, validate_problem

DOC = Path(__file__).resolve().parents[2] / "docs" / "problem-format.md"


def json_blocks() -> list[dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_doc_examples_match_the_code() -> None:
    blocks = json_blocks()
    problems = [b for b in blocks if "rack_types" in b]
    results = [b for b in blocks if "status" in b]
    assert problems and len(results) >= 2
    for result in results:
        jsonschema.validate(result, RESULT_SCHEMA)
    study = problems[0]
    validate_problem(study)
    documented = next(r for r in results if r["status"] == "optimal")
    actual = solve(study)
    actual.pop("solve_seconds")
    documented = dict(documented)
    documented.pop("solve_seconds")
    assert actual == documented


def test_doc_invalid_example_matches_the_code() -> None:
    documented = next(r for r in json_blocks() if r.get("status") == "invalid")
    study = next(b for b in json_blocks() if "rack_types" in b)
    study["objective"] = "max_profit"
    study["servers"][0]["power_w"] = -5
    actual = solve(study)
    for key in ("reason", "errors", "racks", "totals", "objective"):
        assert actual[key] == documented[key]


def test_doc_points_to_existing_schema_files() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("problem-v1.schema.json", "result-v1.schema.json"):
        assert f"planner/solver/schema/{name}" in text
        assert (DOC.parents[1] / "planner" / "solver" / "schema" / name).is_file()
