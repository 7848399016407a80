"""The ``greedy`` method: the greedy fill (:mod:`planner.solver.heuristic`), for comparison.

The greedy proves nothing; its bound comes from the pattern LP relaxation
(:func:`planner.solver.columns.lp_bound`), so its gap to the best possible answer is shown.
"""

from __future__ import annotations

from . import costs, resilience
from .columns import lp_bound
from .heuristic import greedy_fills
from .infeasibility import greedy_shortfall_reason
from .layout import model_sessions
from .outcome import Emit, Outcome
from .problem import Problem


def solve_greedy(problem: Problem, *, deadline: float, emit: Emit) -> Outcome:
    """Greedy layout; ``feasible`` with the pattern-LP bound (``optimal`` if they meet)."""
    fills, met = resilience.fill_until_survives(problem, greedy_fills)
    if not met:
        reason = greedy_shortfall_reason(problem, model_sessions(problem, fills))
        if resilience.asked(problem) and greedy_fills(problem)[1]:
            reason = (
                f"the greedy fill found no layout that survives losing "
                f"{resilience.failure_words(problem)} (it proves nothing)"
            )
        return Outcome("unknown", None, None, reason)
    if not costs.within_budget(problem, fills):
        reason = "the greedy fill found no layout within budget_usd (it proves nothing)"
        return Outcome("unknown", None, None, reason)
    # Resilient layouts are layouts of the relaxation, so its LP bounds them.
    bound = lp_bound(resilience.relaxation(problem), deadline=deadline)
    if bound is None:  # the LP ran out of time: fall back to a crude but valid bound
        bound = _crude_bound(problem)
    emit("solve", incumbent=None, bound=bound)
    return Outcome("feasible", fills, bound)


def _crude_bound(problem: Problem) -> float:
    """A valid bound without any LP: 0 for minimisation, every rack at its best for max."""
    if problem.objective != "max_sessions":
        return 0.0
    best = 0.0
    for rack in problem.rack_types:
        per_rack = 0.0
        for srv in problem.servers:
            k = problem.max_in_rack(rack, srv)
            for m, n in srv.sessions:
                per_rack = max(per_rack, k * n * problem.demand_for(m).weight)
        best += rack.count * per_rack
    return best
