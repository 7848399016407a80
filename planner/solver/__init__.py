"""Rack-packing solver (pure Python; no Django or Celery imports).

Public API:

* :func:`validate_problem` - JSON-like data -> :class:`Problem`, or :class:`ProblemError`;
* :func:`solve` - problem -> result dict (format v1); never raises on bad input;
* :func:`check_layout` - independent verification of a result;
* :data:`PROBLEM_SCHEMA`, :data:`RESULT_SCHEMA`, :func:`load_schema` - the JSON Schemas;
* size limits and the time budget (:mod:`planner.solver.limits`): :data:`HARD_LIMITS`,
  :func:`limit_errors`, :func:`problem_sizes`, :data:`DEFAULT_TIME_LIMIT_S`,
  :func:`time_budget_s`;
* what a method hands back (:mod:`planner.solver.outcome`): :class:`Outcome`, :class:`RackFill`.

The formats are described in ``docs/problem-format.md``.
"""

from .check import check_layout
from .layout import LAYOUT_STATUSES, has_layout
from .limits import (
    DEFAULT_TIME_LIMIT_S,
    HARD_LIMITS,
    LIMIT_SETTINGS,
    hard_limit_errors,
    limit_errors,
    problem_sizes,
    time_budget_s,
)
from .outcome import ExactOutcome, Outcome, RackFill
from .problem import Demand, Problem, ProblemError, RackType, Server, validate_problem
from .runner import solve
from .schemas import PROBLEM_SCHEMA, RESULT_SCHEMA, load_schema

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "HARD_LIMITS",
    "LAYOUT_STATUSES",
    "LIMIT_SETTINGS",
    "PROBLEM_SCHEMA",
    "RESULT_SCHEMA",
    "Demand",
    "ExactOutcome",
    "Outcome",
    "Problem",
    "ProblemError",
    "RackFill",
    "RackType",
    "Server",
    "check_layout",
    "hard_limit_errors",
    "has_layout",
    "limit_errors",
    "load_schema",
    "problem_sizes",
    "solve",
    "time_budget_s",
    "validate_problem",
]
