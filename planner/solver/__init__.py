"""Rack-packing solver (pure Python; no Django or Celery imports).

Public API:

* :func:`validate_problem` - JSON-like data -> :class:`Problem`, or :class:`ProblemError`;
* :func:`solve` - problem -> result dict (format v1); never raises on bad input;
* :func:`check_layout` - independent verification of a result;
* :data:`PROBLEM_SCHEMA`, :data:`RESULT_SCHEMA`, :func:`load_schema` - the JSON Schemas.

The formats are described in ``docs/problem-format.md``.
"""

from .check import check_layout
from .problem import Demand, Problem, ProblemError, RackType, Server, validate_problem
from .runner import DEFAULT_TIME_LIMIT_S, solve
from .schemas import PROBLEM_SCHEMA, RESULT_SCHEMA, load_schema

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "PROBLEM_SCHEMA",
    "RESULT_SCHEMA",
    "Demand",
    "Problem",
    "ProblemError",
    "RackType",
    "Server",
    "check_layout",
    "load_schema",
    "solve",
    "validate_problem",
]
