"""The greedy rack fill: a quick, never-proven layout.

Shared by two methods: ``greedy`` returns it as its layout (:mod:`planner.solver.greedy`), and
``patterns`` uses it as a candidate and to seed its pattern set (:mod:`planner.solver.patterns`).

Rule: (server, model) assignments are ranked by weighted sessions per watt, then per U. Racks
are filled type by type in input order; in each rack the best-ranked assignment that still fits
(U, power after derating/redundancy/cooling, weight, stock, hall cap) is added as many times as
useful, then the next. The demand minimums are served first (phase 1, ranked by plain sessions per
watt); under ``max_sessions`` the racks that are left are then filled for the objective (phase 2,
sessions beyond a model's ``max`` earn nothing and are not added). A filled rack is repeated as
often as stock, hall cap and remaining need allow, so a hall of 20,000 racks takes a few hundred
steps.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .outcome import RackFill
from .problem import Problem

#: One rack's contents while it is being filled: ``{(server index, model): servers}``.
Items = dict[tuple[int, str], int]


def greedy_fills(
    problem: Problem, start: Sequence[RackFill] = ()
) -> tuple[tuple[RackFill, ...], bool]:
    """The greedy layout and whether it meets every demand minimum.

    ``start`` racks are placed first as they are (the pattern method's rounded LP layout); the
    greedy fill then completes the minimums and the objective with the racks, stock and hall
    power they leave.
    """
    greedy = _Greedy(problem)
    for fill, rep in Counter(start).items():
        items = {(s, m): k for s, m, k in fill.items}
        used_w = sum(k * problem.servers[s].power_w for s, _, k in fill.items)
        greedy.commit(fill.rack_type, items, used_w, rep)
    return greedy.run()


class _Greedy:
    """State of one greedy fill: stock, hall power and racks left, sessions served so far."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.models = set(problem.relevant_models)
        self.pairs = [
            (s, m, n)
            for s, srv in enumerate(problem.servers)
            for m, n in srv.sessions
            if m in self.models and n > 0 and srv.available != 0
        ]
        self.stock = {s: srv.available for s, srv in enumerate(problem.servers)}
        self.hall_left = problem.hall_w if problem.hall_w is not None else math.inf
        self.served = dict.fromkeys(problem.models, 0)
        self.racks_left = [r.count for r in problem.rack_types]
        self.fills: list[RackFill] = []

    def run(self) -> tuple[tuple[RackFill, ...], bool]:
        problem = self.problem
        self.fill_phase(1)
        met = all(self.served.get(d.model, 0) >= d.min for d in problem.demand)
        if problem.objective == "max_sessions" and met:
            self.fill_phase(2)
        return tuple(self.fills), met

    def rank(self, weighted: bool) -> list[tuple[int, str, int]]:
        """Assignments, best (weighted) sessions per watt first, then per U."""

        def key(p: tuple[int, str, int]) -> tuple:
            s, m, n = p
            srv = self.problem.servers[s]
            w = self.problem.demand_for(m).weight if weighted else 1.0
            return (-w * n / srv.power_w, -w * n / srv.u, s, m)

        return sorted(self.pairs, key=key)

    def need(self, m: str, phase: int) -> float:
        """Sessions of ``m`` still worth adding: to its min (phase 1), to its max (phase 2)."""
        d = self.problem.demand_for(m)
        if phase == 1:
            return max(0, d.min - self.served[m])
        if d.weight <= 0:
            return 0
        return math.inf if d.max is None else max(0, d.max - self.served[m])

    def fill_phase(self, phase: int) -> None:
        order = self.rank(weighted=phase == 2)
        for t in range(len(self.problem.rack_types)):
            while self.racks_left[t] > 0:
                if not any(self.need(m, phase) > 0 for m in self.models):
                    return
                items, used_w = self.fill_rack(t, order, phase)
                if not items:
                    break
                self.commit(t, items, used_w, self.repeats(t, items, used_w, phase))

    def fill_rack(
        self, t: int, order: list[tuple[int, str, int]], phase: int
    ) -> tuple[Items, float]:
        """Fill one rack of type ``t``: its contents and the watts they draw."""
        problem = self.problem
        rack = problem.rack_types[t]
        used_u, used_w, used_kg = 0, 0.0, 0.0
        items: Items = {}
        for s, m, n in order:
            want = self.need(m, phase) - sum(
                k * problem.servers[s2].sessions_for(m2) for (s2, m2), k in items.items() if m2 == m
            )
            if want <= 0:
                continue
            srv = problem.servers[s]
            k = problem.max_in_rack(rack, srv, used_u=used_u, used_w=used_w, used_kg=used_kg)
            if self.stock[s] is not None:
                k = min(k, self.stock[s] - sum(c for (s2, _), c in items.items() if s2 == s))
            if self.hall_left != math.inf:
                k = min(k, math.floor((self.hall_left - used_w) / srv.power_w + 1e-9))
            if want != math.inf:
                k = min(k, math.ceil(want / n))
            if k <= 0:
                continue
            items[(s, m)] = items.get((s, m), 0) + k
            used_u += k * srv.u
            used_w += k * srv.power_w
            used_kg += k * (srv.weight_kg or 0.0)
        return items, used_w

    def repeats(self, t: int, items: Items, used_w: float, phase: int) -> int:
        """How many racks of type ``t`` may take these contents: stock, hall and need allow."""
        rep = self.racks_left[t]
        for s, k in _per_sku(items).items():
            if self.stock[s] is not None:
                rep = min(rep, self.stock[s] // k)
        if used_w > 0 and self.hall_left != math.inf:
            rep = min(rep, math.floor(self.hall_left / used_w + 1e-9))
        for m, n in self._per_model(items).items():
            left = self.need(m, phase)
            if left != math.inf:
                rep = min(rep, max(1, math.floor(left / n)))
        return max(1, rep)

    def commit(self, t: int, items: Items, used_w: float, rep: int) -> None:
        """Place ``rep`` racks of type ``t`` holding ``items``."""
        for s, k in _per_sku(items).items():
            if self.stock[s] is not None:
                self.stock[s] -= k * rep
        for m, n in self._per_model(items).items():
            self.served[m] += n * rep
        self.hall_left -= used_w * rep
        self.racks_left[t] -= rep
        self.fills.extend([RackFill.of(t, items)] * rep)

    def _per_model(self, items: Items) -> dict[str, int]:
        out: dict[str, int] = {}
        for (s, m), k in items.items():
            out[m] = out.get(m, 0) + k * self.problem.servers[s].sessions_for(m)
        return out


def _per_sku(items: Items) -> dict[int, int]:
    out: dict[int, int] = {}
    for (s, _), k in items.items():
        out[s] = out.get(s, 0) + k
    return out
