"""``solve()``: validation, method dispatch, result formatting and self-check in one call."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .check import check_layout
from .compact import solve_exact
from .diagnosis import diagnose_infeasible
from .greedy import solve_greedy
from .infeasibility import problem_warnings, verification_reason
from .layout import build_result, empty_result, number
from .limits import is_time_limit, time_budget_s
from .outcome import Outcome
from .patterns import solve_patterns
from .problem import Problem, ProblemError, validate_problem

#: ``method: exact`` uses the compact MILP up to this many (rack, SKU) variables and the pattern
#: method above it. The compact MILP proves optimality quickly on a few racks, but identical racks
#: make it drown in symmetry beyond (see docs/benchmarks.md).
AUTO_COMPACT_MAX_VARS = 400

#: An infeasible demand's diagnosis (diagnosis.py) gets the rest of the budget, and at least this
#: many seconds, since the explanation is the whole answer.
DIAGNOSIS_MIN_S = 2.0


def choose_algorithm(problem: Problem) -> str:
    """The algorithm ``solve`` runs: ``compact``, ``patterns`` or ``greedy``."""
    if problem.method != "exact":
        return problem.method
    size = sum(
        rack.count * sum(1 for srv in problem.servers if problem.max_in_rack(rack, srv) > 0)
        for rack in problem.rack_types
    )
    return "compact" if size <= AUTO_COMPACT_MAX_VARS else "patterns"


Progress = Callable[[dict[str, Any]], None]


def solve(
    data: dict[str, Any] | Problem,
    *,
    time_limit_s: float | None = None,
    progress: Progress | None = None,
    diagnose: bool = True,
) -> dict[str, Any]:
    """Solve a format-v1 problem and return a format-v1 result dict.

    An infeasible result carries ``diagnosis`` (see diagnosis.py) unless ``diagnose`` is false.

    Never raises on bad input: invalid data gives ``status == "invalid"`` with ``errors``.
    ``time_limit_s`` overrides the problem's own ``time_limit_s``; without either the budget is
    :data:`planner.solver.limits.DEFAULT_TIME_LIMIT_S`. ``progress`` is called with
    ``{"phase", "incumbent", "bound", "elapsed_s"}`` dicts, at least at ``"start"`` and
    ``"done"`` (the latter also has ``"status"``); an exception raised by it propagates, which
    lets a caller abort between phases. Apart from ``solve_seconds`` the result depends only on
    the input, unless the time limit cuts a solve short.
    """
    t0 = time.perf_counter()

    def emit(
        phase: str, *, incumbent: float | None = None, bound: float | None = None, **extra: Any
    ) -> None:
        if progress is not None:
            progress(
                {
                    "phase": phase,
                    "incumbent": number(incumbent),
                    "bound": number(bound),
                    "elapsed_s": round(time.perf_counter() - t0, 4),
                    **extra,
                }
            )

    def finish(result: dict[str, Any]) -> dict[str, Any]:
        result["solve_seconds"] = round(time.perf_counter() - t0, 4)
        emit("done", incumbent=result["objective"], bound=result["bound"], status=result["status"])
        return result

    emit("start")
    try:
        problem = validate_problem(data)
        limit = _time_limit(time_limit_s, problem)
    except ProblemError as exc:
        return finish(empty_result("invalid", reason=exc.reason, errors=exc.errors))

    warnings = problem_warnings(problem)
    algorithm = choose_algorithm(problem)
    method = {"compact": solve_exact, "patterns": solve_patterns, "greedy": solve_greedy}
    try:
        outcome = method[algorithm](problem, deadline=t0 + limit, emit=emit)
    except ProblemError as exc:  # too large for the method
        return finish(
            empty_result(
                "invalid", reason=exc.reason, errors=exc.errors, problem=problem, warnings=warnings
            )
        )

    result = _result(problem, outcome, algorithm, warnings)
    if result["status"] == "infeasible" and diagnose:
        emit("diagnose")
        result["diagnosis"] = diagnose_infeasible(
            problem,
            _inner_solve,
            deadline=max(t0 + limit, time.perf_counter() + DIAGNOSIS_MIN_S),
        )
    return finish(result)


def _result(problem: Problem, outcome: Outcome, algorithm: str, warnings: list[str]) -> dict:
    """Format a method's outcome, refusing a layout that fails the independent check."""
    if outcome.racks is None:
        result = empty_result(
            outcome.status,
            reason=outcome.reason or outcome.status,
            problem=problem,
            bound=outcome.bound,
            warnings=warnings,
        )
        result["algorithm"] = algorithm
        return result

    result = build_result(
        problem, outcome.status, outcome.racks, bound=outcome.bound, warnings=warnings
    )
    result["algorithm"] = algorithm
    violations = check_layout(problem, result)
    if violations:
        # Should never happen; refuse to hand out a layout that breaks a constraint.
        reason = verification_reason(violations)
        result = empty_result("unknown", reason=reason, problem=problem, warnings=warnings)
        result["algorithm"] = algorithm
        result["violations"] = violations
    return result


def _inner_solve(data: dict[str, Any], time_limit_s: float) -> dict[str, Any]:
    """One variant of a problem being diagnosed: solved plainly, never diagnosed itself."""
    return solve(data, time_limit_s=time_limit_s, diagnose=False)


def _time_limit(argument: float | None, problem: Problem) -> float:
    """The budget: the argument if given (it must be a usable limit), else the problem's own."""
    if argument is None:
        return time_budget_s(problem.time_limit_s)
    if not is_time_limit(argument):
        raise ProblemError({"time_limit_s": [f"must be a number > 0 (got {argument!r})"]})
    return float(argument)
