"""Greedy fill, for comparison with the exact methods (``"method": "greedy"``).

Rule: (server, model) assignments are ranked by weighted sessions per watt, then per U. Racks
are filled type by type in input order; in each rack the best-ranked assignment that still fits
(U, power after derating/redundancy/cooling, weight, stock, hall cap) is added as many times as
useful, then the next. The demand minimums are served first (phase 1, ranked by plain sessions per
watt); under ``max_sessions`` the racks that are left are then filled for the objective (phase 2,
sessions beyond a model's ``max`` earn nothing and are not added). A filled rack is repeated as
often as stock, hall cap and remaining need allow, so a hall of 20,000 racks takes a few hundred
steps. The greedy proves nothing: its bound comes from the pattern LP relaxation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .exact import ExactOutcome
from .layout import RackFill
from .patterns import lp_bound, relevant_models
from .problem import Problem

Emit = Callable[..., None]


def _fit(problem: Problem, t: int, s: int, used_u: int, used_w: float, used_kg: float) -> int:
    rack, srv = problem.rack_types[t], problem.servers[s]
    k = (rack.usable_u - used_u) // srv.u
    k = min(k, math.floor((rack.usable_w - used_w) / srv.power_w + 1e-9))
    if rack.max_weight_kg is not None and srv.weight_kg:
        k = min(k, math.floor((rack.max_weight_kg - used_kg) / srv.weight_kg + 1e-9))
    return max(0, k)


def greedy_fills(problem: Problem) -> tuple[tuple[RackFill, ...], bool]:
    """The greedy layout and whether it meets every demand minimum."""
    models = set(relevant_models(problem))
    pairs = [
        (s, m, n)
        for s, srv in enumerate(problem.servers)
        for m, n in srv.sessions
        if m in models and n > 0 and srv.available != 0
    ]
    stock = {s: srv.available for s, srv in enumerate(problem.servers)}
    hall_left = problem.hall_w if problem.hall_w is not None else math.inf
    served = dict.fromkeys(problem.models, 0)
    racks_left = [r.count for r in problem.rack_types]
    fills: list[RackFill] = []

    def rank(weighted: bool) -> list[tuple[int, str, int]]:
        def key(p: tuple[int, str, int]) -> tuple:
            s, m, n = p
            srv = problem.servers[s]
            w = problem.demand_for(m).weight if weighted else 1.0
            return (-w * n / srv.power_w, -w * n / srv.u, s, m)

        return sorted(pairs, key=key)

    def need(m: str, phase: int) -> float:
        d = problem.demand_for(m)
        if phase == 1:
            return max(0, d.min - served[m])
        if d.weight <= 0:
            return 0
        return math.inf if d.max is None else max(0, d.max - served[m])

    def fill_phase(phase: int) -> None:
        nonlocal hall_left
        order = rank(weighted=phase == 2)
        for t in range(len(problem.rack_types)):
            while racks_left[t] > 0:
                if not any(need(m, phase) > 0 for m in models):
                    return
                used_u, used_w, used_kg = 0, 0.0, 0.0
                items: dict[tuple[int, str], int] = {}
                for s, m, n in order:
                    want = need(m, phase) - sum(
                        k * problem.servers[s2].sessions_for(m2)
                        for (s2, m2), k in items.items()
                        if m2 == m
                    )
                    if want <= 0:
                        continue
                    srv = problem.servers[s]
                    k = _fit(problem, t, s, used_u, used_w, used_kg)
                    if stock[s] is not None:
                        k = min(k, stock[s] - sum(c for (s2, _), c in items.items() if s2 == s))
                    if hall_left != math.inf:
                        k = min(k, math.floor((hall_left - used_w) / srv.power_w + 1e-9))
                    if want != math.inf:
                        k = min(k, math.ceil(want / n))
                    if k <= 0:
                        continue
                    items[(s, m)] = items.get((s, m), 0) + k
                    used_u += k * srv.u
                    used_w += k * srv.power_w
                    used_kg += k * (srv.weight_kg or 0.0)
                if not items:
                    break
                # Repeat this rack while every limit and every model's need allow it.
                rep = racks_left[t]
                per_sku: dict[int, int] = {}
                per_model: dict[str, int] = {}
                for (s, m), k in items.items():
                    per_sku[s] = per_sku.get(s, 0) + k
                    per_model[m] = per_model.get(m, 0) + k * problem.servers[s].sessions_for(m)
                for s, k in per_sku.items():
                    if stock[s] is not None:
                        rep = min(rep, stock[s] // k)
                if used_w > 0 and hall_left != math.inf:
                    rep = min(rep, math.floor(hall_left / used_w + 1e-9))
                for m, n in per_model.items():
                    left = need(m, phase)
                    if left != math.inf:
                        rep = min(rep, max(1, math.floor(left / n)))
                rep = max(1, rep)
                for s, k in per_sku.items():
                    if stock[s] is not None:
                        stock[s] -= k * rep
                for m, n in per_model.items():
                    served[m] += n * rep
                hall_left -= used_w * rep
                racks_left[t] -= rep
                key = tuple(sorted((s, m, k) for (s, m), k in items.items()))
                fills.extend([RackFill(t, key)] * rep)

    fill_phase(1)
    met = all(served.get(d.model, 0) >= d.min for d in problem.demand)
    if problem.objective == "max_sessions" and met:
        fill_phase(2)
    return tuple(fills), met


def solve_greedy(problem: Problem, *, deadline: float, emit: Emit) -> ExactOutcome:
    """Greedy layout; ``feasible`` with the pattern-LP bound (``optimal`` if they meet)."""
    fills, met = greedy_fills(problem)
    if not met:
        short = [
            d.model
            for d in problem.demand
            if sum(
                k * problem.servers[s].sessions_for(d.model)
                for f in fills
                for s, m, k in f.items
                if m == d.model
            )
            < d.min
        ]
        names = ", ".join(repr(m) for m in short)
        return ExactOutcome(
            "unknown",
            None,
            None,
            f"the greedy fill did not meet the demand min of {names}; try method exact",
        )
    bound = lp_bound(problem, deadline=deadline)
    if bound is None:  # the LP ran out of time: fall back to a crude but valid bound
        bound = _crude_bound(problem)
    emit("solve", incumbent=None, bound=bound)
    return ExactOutcome("feasible", fills, bound)


def _crude_bound(problem: Problem) -> float:
    """A valid bound without any LP: 0 for minimisation, every rack at its best for max."""
    if problem.objective != "max_sessions":
        return 0.0
    best = 0.0
    for t, rack in enumerate(problem.rack_types):
        per_rack = 0.0
        for s, srv in enumerate(problem.servers):
            k = _fit(problem, t, s, 0, 0.0, 0.0)
            for m, n in srv.sessions:
                per_rack = max(per_rack, k * n * problem.demand_for(m).weight)
        best += rack.count * per_rack
    return best
