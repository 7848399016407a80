"""Loading of the JSON Schema files that define the problem and result formats.

The schema files live next to this module (``schema/*.schema.json``) so that they ship with the
package and can be served as-is by the web side.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

_SCHEMA_FILES = {
    "problem": "problem-v1.schema.json",
    "problem-v1": "problem-v1.schema.json",
    "result": "result-v1.schema.json",
    "result-v1": "result-v1.schema.json",
}


@cache
def _load_text(filename: str) -> str:
    return (resources.files(__package__) / "schema" / filename).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Return a fresh copy of a bundled JSON Schema.

    ``name`` is ``"problem"`` / ``"problem-v1"`` or ``"result"`` / ``"result-v1"``; a file name
    such as ``"problem-v1.schema.json"`` also works. A new dict is returned on every call so that
    callers may mutate it without affecting the module-level constants.
    """
    filename = _SCHEMA_FILES.get(name)
    if filename is None:
        if name in _SCHEMA_FILES.values():
            filename = name
        else:
            known = ", ".join(sorted(_SCHEMA_FILES))
            raise ValueError(f"unknown schema {name!r}; expected one of: {known}")
    return json.loads(_load_text(filename))


PROBLEM_SCHEMA: dict[str, Any] = load_schema("problem")
RESULT_SCHEMA: dict[str, Any] = load_schema("result")
