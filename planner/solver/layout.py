"""Result format v1: turn physical racks into grouped, totalled result dicts.

Independent of how the racks were found, so every solution method shares it. The figures that
reports need (usable U and kW per rack after feeds, derating, cooling and reserves; sessions per
rack; hall totals by server and model) are written here once, from the same
:class:`~planner.solver.problem.RackType` properties the methods obey, so pages, charts, the bill
of materials and the API read them instead of re-deriving the rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .costs import layout_usd
from .outcome import RackFill
from .problem import Problem
from .resilience import exposure

RESULT_STATUSES = ("optimal", "feasible", "infeasible", "invalid", "unknown")
#: The statuses whose result carries a layout (rack groups and totals).
LAYOUT_STATUSES = ("optimal", "feasible")


def has_layout(result: object) -> bool:
    """Whether a result v1 carries a layout: the one test pages, reports and the API use."""
    return (
        isinstance(result, Mapping)
        and result.get("status") in LAYOUT_STATUSES
        and bool(result.get("totals"))
    )
OBJECTIVE_UNITS = {
    "max_sessions": "sessions",
    "min_power": "W",
    "min_cost": "USD",
    "min_racks": "racks",
    "min_tco": "USD",
}


def number(x: float | None, digits: int = 6) -> int | float | None:
    """Round for output; integral values become ``int`` so JSON shows ``1216``, not ``1216.0``."""
    if x is None:
        return None
    r = round(float(x), digits)
    if r == int(r):
        return int(r)
    return r


def gap(objective: float | None, bound: float | None) -> float | None:
    """``|bound - objective| / max(|objective|, 1e-9)``; 0 when both are 0; None if either is."""
    if objective is None or bound is None:
        return None
    if objective == 0 and bound == 0:
        return 0.0
    return abs(bound - objective) / max(abs(objective), 1e-9)


def model_sessions(problem: Problem, racks: Iterable[RackFill]) -> dict[str, int]:
    """Raw sessions served per model (every model of the problem, sorted by name)."""
    out = dict.fromkeys(problem.models, 0)
    for rack in racks:
        for s, m, k in rack.items:
            out[m] += k * problem.servers[s].sessions_for(m)
    return out


def counted(problem: Problem, sessions: Mapping[str, int]) -> dict[str, int]:
    """Sessions that count toward max_sessions: ``min(raw, max)`` per model."""
    out = {}
    for m, n in sessions.items():
        cap = problem.demand_for(m).max
        out[m] = n if cap is None else min(n, cap)
    return out


def objective_value(problem: Problem, racks: Sequence[RackFill]) -> float:
    """The objective of a layout, in the unit of ``problem.objective``."""
    if problem.objective == "max_sessions":
        capped = counted(problem, model_sessions(problem, racks))
        return sum(problem.demand_for(m).weight * n for m, n in capped.items())
    if problem.objective == "min_racks":
        return float(sum(1 for rack in racks if rack.items))
    if problem.objective == "min_tco":
        return layout_usd(problem, racks, "tco")
    total = 0.0
    for rack in racks:
        for s, _, k in rack.items:
            srv = problem.servers[s]
            total += k * (srv.power_w if problem.objective == "min_power" else srv.cost_usd or 0.0)
    return total


def _groups(problem: Problem, racks: Sequence[RackFill]) -> list[dict[str, Any]]:
    """Group identical racks; order: rack type input order, then power, U and contents descending.

    Types that the method did not expand (no server fits) and unused racks appear as a group with
    an empty ``servers`` list, so the rack counts always add up to the hall's racks.

    With power trains every group also says how many of its racks hang on each train
    (``trains``, one count per train). Racks the method left empty carry no load, so they are
    spread to even out the racks per train.
    """
    k_trains = problem.power_trains or 0
    per_type: list[Counter[tuple[tuple[int, str, int], ...]]] = [
        Counter() for _ in problem.rack_types
    ]
    on_train: list[dict[tuple, list[int]]] = [{} for _ in problem.rack_types]
    racks_per_train = [0] * k_trains
    for rack in racks:
        key = tuple(sorted(rack.items))
        per_type[rack.rack_type][key] += 1
        if k_trains:
            train = rack.train if rack.train is not None else 0
            on_train[rack.rack_type].setdefault(key, [0] * k_trains)[train] += 1
            racks_per_train[train] += 1
    out = []
    for t, rack_type in enumerate(problem.rack_types):
        contents = per_type[t]
        empty = rack_type.count - sum(contents.values())
        if empty > 0:
            contents[()] += empty
            if k_trains:
                split = on_train[t].setdefault((), [0] * k_trains)
                for _ in range(empty):
                    fewest = min(range(k_trains), key=lambda k: (racks_per_train[k], k))
                    split[fewest] += 1
                    racks_per_train[fewest] += 1
        cap_w = rack_type.usable_w
        rows = []
        for items, count in contents.items():
            used_u = sum(k * problem.servers[s].u for s, _, k in items)
            used_w = sum(k * problem.servers[s].power_w for s, _, k in items)
            key = (-used_w, -used_u, tuple((s, m, -k) for s, m, k in items))
            rows.append((key, items, count, used_u, used_w))
        rows.sort(key=lambda row: row[0])
        for _, items, count, used_u, used_w in rows:
            servers = [
                {
                    "server": problem.servers[s].name,
                    "model": m,
                    "count": k,
                    "sessions": k * problem.servers[s].sessions_for(m),
                }
                for s, m, k in items
            ]
            out.append(
                {
                    "rack_type": rack_type.name,
                    "count": count,
                    "servers": servers,
                    "sessions": sum(entry["sessions"] for entry in servers),
                    "used_u": used_u,
                    "used_kw": round(used_w / 1000.0, 3),
                    "usable_u": rack_type.usable_u,
                    "usable_kw": round(cap_w / 1000.0, 3),
                    "free_u": rack_type.usable_u - used_u,
                    "free_kw": max(0.0, round((cap_w - used_w) / 1000.0, 3)),
                }
            )
            if k_trains:
                out[-1]["trains"] = list(on_train[t][items])
    return out


def _by_server_model(problem: Problem, racks: Sequence[RackFill]) -> list[dict[str, Any]]:
    """Hall totals per (server, model) actually placed, sorted by server name then model."""
    servers: Counter[tuple[str, str]] = Counter()
    sessions: Counter[tuple[str, str]] = Counter()
    for rack in racks:
        for s, m, k in rack.items:
            srv = problem.servers[s]
            servers[(srv.name, m)] += k
            sessions[(srv.name, m)] += k * srv.sessions_for(m)
    return [
        {"server": name, "model": m, "servers": n, "sessions": sessions[(name, m)]}
        for (name, m), n in sorted(servers.items())
        if n > 0
    ]


def _totals(problem: Problem, racks: Sequence[RackFill], sessions: int) -> dict[str, Any]:
    by_server = dict.fromkeys((s.name for s in problem.servers), 0)
    u = 0
    power_w = 0.0
    cost: float | None = 0.0
    used = 0
    for rack in racks:
        used += bool(rack.items)
        for s, _, k in rack.items:
            srv = problem.servers[s]
            by_server[srv.name] += k
            u += k * srv.u
            power_w += k * srv.power_w
            # A placed server without a price makes the total unknown rather than wrong.
            cost = None if cost is None or srv.cost_usd is None else cost + k * srv.cost_usd
    return {
        "racks": sum(r.count for r in problem.rack_types),
        "racks_used": used,
        "servers": sum(by_server.values()),
        "u": u,
        "power_kw": round(power_w / 1000.0, 3),
        "cost_usd": number(cost, 2),
        "sessions": sessions,
        "by_server": by_server,
        "usable_u": sum(r.count * r.usable_u for r in problem.rack_types),
        "usable_kw": round(sum(r.count * r.usable_w for r in problem.rack_types) / 1000.0, 3),
        "by_server_model": _by_server_model(problem, racks),
    }


def empty_result(
    status: str,
    *,
    reason: str,
    problem: Problem | None = None,
    errors: Mapping[str, list[str]] | None = None,
    bound: float | None = None,
    warnings: Sequence[str] = (),
    solve_seconds: float = 0.0,
) -> dict[str, Any]:
    """A result without a layout: infeasible, invalid or unknown."""
    result: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "method": None if problem is None else problem.method,
        "objective_name": None if problem is None else problem.objective,
        "objective_unit": None if problem is None else OBJECTIVE_UNITS[problem.objective],
        "objective": None,
        "bound": number(bound),
        "gap": None,
        "racks": [],
        "sessions": {},
        "counted_sessions": {},
        "totals": None,
        "warnings": list(warnings),
        "solve_seconds": round(solve_seconds, 4),
    }
    if errors is not None:
        result["errors"] = {k: list(v) for k, v in errors.items()}
    return result


def build_result(
    problem: Problem,
    status: str,
    racks: Sequence[RackFill],
    *,
    bound: float | None,
    warnings: Sequence[str] = (),
    solve_seconds: float = 0.0,
) -> dict[str, Any]:
    """Result dict for a layout (status optimal or feasible).

    The objective is recomputed from the integer layout rather than taken from the solver, so it
    carries no floating-point noise. For a proven optimum the bound is the objective itself;
    otherwise the solver's bound is clamped to never look better than what was achieved would
    allow (tolerance noise can put it a hair on the wrong side).
    """
    objective = objective_value(problem, racks)
    if status == "optimal" or bound is None:
        bound = objective
    elif problem.objective == "max_sessions":
        bound = max(bound, objective)
    else:
        bound = min(bound, objective)
    objective_out, bound_out = number(objective), number(bound)
    sessions = model_sessions(problem, racks)
    g = gap(objective_out, bound_out)
    result = {
        "status": status,
        "method": problem.method,
        "objective_name": problem.objective,
        "objective_unit": OBJECTIVE_UNITS[problem.objective],
        "objective": objective_out,
        "bound": bound_out,
        "gap": None if g is None else round(g, 9),
        "racks": _groups(problem, racks),
        "sessions": sessions,
        "counted_sessions": counted(problem, sessions),
        "totals": _totals(problem, racks, sum(sessions.values())),
        "resilience": problem.resilience,
        "exposure": exposure(problem, racks),
        "warnings": list(warnings),
        "solve_seconds": round(solve_seconds, 4),
    }
    if problem.power_trains is not None:
        # Only then: results of problems without trains stay as they were.
        result["power_trains"] = problem.power_trains
    return result
