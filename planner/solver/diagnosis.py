"""What an infeasible demand would need: per model, how far the hall falls short and why, and the
smallest cheap change that makes the whole problem feasible.

Pure. Everything here is a handful of ordinary solves of variants of the problem, through the
``solve`` function the caller hands in (the runner passes its own, with ``diagnose=False`` so a
variant never diagnoses itself):

* **alone**: per model with a demand, the most sessions the hall could deliver if that model alone
  were served (every other model dropped, this one unbounded), and the **binding** constraint: of
  rack U, rack power, cooling, weight, stock (``available``) and the hall cap, the one whose
  removal raises that figure the most (none raising it alone: ``"U and power"`` together);
* **changes**: each of these that makes the problem feasible, with its size:
  more racks of one type (the fewest, by bisection up to the most servers a layout without a
  spare one can hold; feasibility only grows with racks), a higher hall cap (the least server
  power meeting every minimum, which is exactly the cap needed), a lower minimum of one model
  (the most of it the hall serves while every other minimum holds).

The result's ``diagnosis`` (result v1, optional) is this dict; ``text`` is the page's sentence.
It complements :mod:`planner.solver.infeasibility`, which words the one-line ``reason``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Any

from .problem import Problem

Solve = Callable[[dict[str, Any], float], dict[str, Any]]

#: The constraints a model's hall-alone figure can be bound by, in the order they are tried.
CONSTRAINTS = ("U", "power", "cooling", "weight", "stock", "hall cap")
#: Racks of one type the search may add, at most (per type): beyond it the change is not cheap.
MAX_EXTRA_RACKS = 20_000
FEASIBLE = ("optimal", "feasible")


def _left(deadline: float) -> float:
    return deadline - time.perf_counter()


def _alone(data: dict[str, Any], model: str) -> dict[str, Any]:
    """The problem with only `model` served, without a minimum or a maximum, most sessions."""
    out = copy.deepcopy(data)
    out["demand"] = {model: {"min": 0, "max": None, "weight": 1.0}}
    out["objective"] = "max_sessions"
    for server in out["servers"]:
        server["sessions"] = {m: n for m, n in server["sessions"].items() if m == model}
    return out


def _relaxed(data: dict[str, Any], problem: Problem, constraint: str) -> dict[str, Any] | None:
    """`data` without one kind of constraint (None when the problem has none of that kind)."""
    out = copy.deepcopy(data)
    racks = out["rack_types"]
    if constraint == "U":
        for rack, spec in zip(racks, problem.rack_types, strict=True):
            # Enough U for as many servers as power (and weight) allow: U no longer binds.
            most = max(
                (math.floor(spec.usable_w / s.power_w + 1e-9) * s.u for s in problem.servers),
                default=0,
            )
            rack["u"] = spec.reserved_u + max(spec.usable_u, most) + 1
    elif constraint == "power":
        for rack, spec in zip(racks, problem.rack_types, strict=True):
            needed_w = max(((spec.usable_u // s.u) * s.power_w for s in problem.servers),
                           default=0)  # no server serves the model: nothing to power
            share = (0.5 if spec.feeds == "2N" else 1.0) * spec.derating_pct / 100.0
            rack["power_kw"] = max(
                spec.power_kw, (needed_w / 1000.0 + spec.reserved_kw) / share + 0.001
            )
            if spec.cooling_kw is not None:
                rack["cooling_kw"] = spec.cooling_kw  # cooling is a constraint of its own
    elif constraint == "cooling":
        if all(r.cooling_kw is None for r in problem.rack_types):
            return None
        for rack in racks:
            rack["cooling_kw"] = None
    elif constraint == "weight":
        if all(r.max_weight_kg is None for r in problem.rack_types):
            return None
        for rack in racks:
            rack["max_weight_kg"] = None
    elif constraint == "stock":
        if all(s.available is None for s in problem.servers):
            return None
        for server in out["servers"]:
            server["available"] = None
    elif constraint == "hall cap":
        if problem.hall_power_kw is None:
            return None
        out["hall_power_kw"] = None
    return out


def _sessions(result: dict[str, Any]) -> int | None:
    if result.get("status") not in FEASIBLE:
        return None
    return int(sum((result.get("counted_sessions") or result.get("sessions") or {}).values()))


def _feasible(solve: Solve, data: dict[str, Any], deadline: float) -> bool | None:
    """Whether `data` has a layout (None: the time ran out before an answer)."""
    if _left(deadline) <= 0:
        return None
    status = solve(data, max(_left(deadline), 0.05)).get("status")
    if status in FEASIBLE:
        return True
    return False if status == "infeasible" else None


def model_alone(
    problem: Problem, solve: Solve, model: str, deadline: float
) -> dict[str, Any] | None:
    """`{"model", "min", "alone", "binding", "relaxed"}` for one model, or None (out of time)."""
    data = problem.to_dict()
    base = _alone(data, model)
    if _left(deadline) <= 0:
        return None
    alone = _sessions(solve(base, max(_left(deadline), 0.05)))
    if alone is None:
        return None
    gains: dict[str, int] = {}
    for constraint in CONSTRAINTS:
        relaxed = _relaxed(base, problem, constraint)
        if relaxed is None or _left(deadline) <= 0:
            continue
        value = _sessions(solve(relaxed, max(_left(deadline), 0.05)))
        if value is not None and value > alone:
            gains[constraint] = value
    binding = max(gains, key=lambda c: gains[c]) if gains else "U and power"
    if alone == 0 and not any(s.sessions_for(model) > 0 for s in problem.servers):
        binding = "no server offers it"
    elif alone == 0 and not any(
        problem.max_in_rack(r, s) > 0 and s.sessions_for(model) > 0
        for r in problem.rack_types
        for s in problem.servers
    ):
        binding = "no server offering it fits a rack"
    return {
        "model": model,
        "min": problem.demand_for(model).min,
        "alone": alone,
        "binding": binding,
        "relaxed": gains,
    }


def servers_needed_at_most(problem: Problem) -> int:
    """An upper bound on the servers of any layout that meets every minimum and has no server
    to spare: per model, ceil(min / the fewest sessions a server gives it)."""
    total = 0
    for model, lo in problem.mins.items():
        offers = [s.sessions_for(model) for s in problem.servers if s.sessions_for(model) > 0]
        total += math.ceil(lo / min(offers)) if offers else 0
    return total


def more_racks(
    problem: Problem, solve: Solve, index: int, deadline: float
) -> int | None:
    """The fewest racks of `problem.rack_types[index]` to add for a layout (None: none found).

    A layout without a spare server has at most `servers_needed_at_most` servers, so never
    needs more extra racks than that: one solve with that many extra says whether any number
    helps, then bisection finds the fewest (feasibility only grows with racks).
    """
    data = problem.to_dict()
    count = problem.rack_types[index].count

    def with_extra(extra: int) -> bool | None:
        variant = copy.deepcopy(data)
        variant["rack_types"][index]["count"] = count + extra
        return _feasible(solve, variant, deadline)

    high = min(MAX_EXTRA_RACKS, max(1, servers_needed_at_most(problem)))
    if with_extra(high) is not True:
        return None
    low = 0  # infeasible by assumption
    while high - low > 1:
        middle = (low + high) // 2
        answer = with_extra(middle)
        if answer is None:
            return high  # enough, if perhaps not the fewest
        if answer:
            high = middle
        else:
            low = middle
    return high


def hall_cap_needed(problem: Problem, solve: Solve, deadline: float) -> float | None:
    """The least hall cap (kW) with a layout: least server power without the cap (None: no cap
    helps, or out of time)."""
    if problem.hall_power_kw is None or _left(deadline) <= 0:
        return None
    data = problem.to_dict()
    data["hall_power_kw"] = None
    data["objective"] = "min_power"
    result = solve(data, max(_left(deadline), 0.05))
    if result.get("status") != "optimal" or result.get("objective") is None:
        return None
    return float(result["objective"]) / 1000.0  # watts, unrounded (totals round to 1 W)


def lower_min(problem: Problem, solve: Solve, model: str, deadline: float) -> int | None:
    """The most sessions of `model` the hall serves with every other minimum met (None: the
    other minimums alone cannot be met, or out of time)."""
    if _left(deadline) <= 0:
        return None
    data = problem.to_dict()
    data["objective"] = "max_sessions"
    # Only `model` counts: every other model (listed or not) weighs nothing, its minimum kept.
    for name in problem.models:
        demand = data["demand"].setdefault(name, {"min": 0, "max": None})
        demand["weight"] = 1.0 if name == model else 0.0
        if name == model:
            demand["min"], demand["max"] = 0, None
    result = solve(data, max(_left(deadline), 0.05))
    if result.get("status") not in FEASIBLE:
        return None
    return int((result.get("sessions") or {}).get(model, 0))


def _n(value: float) -> str:
    return f"{value:,.0f}"


def diagnose_infeasible(problem: Problem, solve: Solve, *, deadline: float) -> dict[str, Any]:
    """The diagnosis of an infeasible `problem` (see the module doc), within `deadline`."""
    short = [d for d in problem.demand if d.min > 0]
    models = []
    for demand in short:
        entry = model_alone(problem, solve, demand.model, deadline)
        if entry is not None:
            models.append(entry)
    changes: list[dict[str, Any]] = []
    for i, rack in enumerate(problem.rack_types):
        extra = more_racks(problem, solve, i, deadline)
        if extra is not None:
            changes.append(
                {
                    "change": "more_racks",
                    "rack_type": rack.name,
                    "add": extra,
                    "to": rack.count + extra,
                    "text": f"add {_n(extra)} rack{'s' if extra != 1 else ''} of {rack.name} "
                    f"({_n(rack.count)} → {_n(rack.count + extra)})",
                }
            )
    cap = hall_cap_needed(problem, solve, deadline)
    if cap is not None and problem.hall_power_kw is not None and cap > problem.hall_power_kw:
        changes.append(
            {
                "change": "hall_cap",
                "from_kw": problem.hall_power_kw,
                "to_kw": cap,
                "text": f"raise the hall cap from {problem.hall_power_kw:,.6g} kW to "
                f"{cap:,.6g} kW",
            }
        )
    for demand in short:
        most = lower_min(problem, solve, demand.model, deadline)
        if most is not None and most < demand.min:
            changes.append(
                {
                    "change": "lower_min",
                    "model": demand.model,
                    "from": demand.min,
                    "to": most,
                    "text": f"lower the minimum of {demand.model} from {_n(demand.min)} to "
                    f"{_n(most)} sessions",
                }
            )
    return {
        "models": models,
        "changes": changes,
        "complete": _left(deadline) > 0,
        "text": diagnosis_text(models, changes),
    }


def diagnosis_text(models: list[dict[str, Any]], changes: list[dict[str, Any]]) -> str:
    """One paragraph: what each short model could get alone and why, then the fixes found."""
    parts = []
    for entry in models:
        verdict = "short" if entry["alone"] < entry["min"] else "enough alone"
        parts.append(
            f"{entry['model']} needs at least {_n(entry['min'])} sessions; served alone the hall "
            f"delivers at most {_n(entry['alone'])} ({verdict}; {entry['binding']} binds)."
        )
    if changes:
        parts.append("Smallest changes that make it feasible: " + "; or ".join(
            c["text"] for c in changes
        ) + ".")
    else:
        parts.append("No single cheap change (more racks of one type, a higher hall cap, a lower "
                     "minimum) was found that makes it feasible.")
    return " ".join(parts)
