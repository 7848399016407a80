"""Layouts that survive a failure: what each model keeps after the worst single loss.

Two failure kinds, each a ``resilience`` value of problem format v1:

* ``n_plus_1_rack``: after losing any one rack, every model still meets its ``min``, i.e. for
  each model ``m``, ``sessions(m) - max over racks of sessions of m in that rack >= min(m)``;
* ``n_plus_1_server``: the same after losing any one server:
  ``sessions(m) - max over placed servers serving m of their sessions >= min(m)``.

Every result reports, per model, the sessions left after the worst loss of each kind
(:func:`exposure`), whether or not resilience was asked for.

The methods need to know which model each server serves **in which rack**, which the plain
formulations leave to the model dealer. :func:`split` makes that a decision: each (server SKU,
model) pair becomes a server of its own that serves only that model, so rack contents (a
compact rack variable, a pattern) carry their models. A stock limit ``available`` of the SKU is
then shared by its pairs (:attr:`Split.shared_stock`). The formulations add, per model with a
minimum:

* rack: a continuous ``T[m]`` with ``sessions of m in rack r <= T[m]`` for every rack (compact)
  or ``a[m,p] * used[p] <= sessions(m) - min(m)`` for every pattern, with a binary ``used[p]``
  that every rack of pattern ``p`` needs (patterns), and ``sessions(m) - T[m] >= min(m)``;
* server: a binary ``used[s,m]`` per pair that every server of the pair needs and
  ``sessions per server * used[s,m] <= sessions(m) - min(m)``.

Both are exact (a layout meets them iff it survives every single loss of that kind). The bounds
the methods prove stay valid: a resilient layout is a layout of the relaxed problem whose
minimums are raised to :func:`raised_mins`, so the pattern LP with those minimums bounds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from .outcome import RackFill
from .problem import Demand, Problem, Server

#: A fill heuristic: problem -> (racks, whether every minimum is met).
Fill = Callable[[Problem], tuple[tuple[RackFill, ...], bool]]
#: Rounds of raising the minimums in :func:`fill_until_survives`.
RAISE_ROUNDS = 20

RESILIENCE = ("none", "n_plus_1_rack", "n_plus_1_server")
#: What a layout must survive, as written in reasons and docs.
FAILURE_WORDS = {"n_plus_1_rack": "any one rack", "n_plus_1_server": "any one server"}


def exposure(problem: Problem, racks: Iterable[RackFill]) -> dict[str, dict[str, int]]:
    """Per model (every model of the problem, sorted): sessions served and what is left after the
    worst loss of one rack and of one server."""
    total = dict.fromkeys(problem.models, 0)
    worst_rack = dict.fromkeys(problem.models, 0)
    worst_server = dict.fromkeys(problem.models, 0)
    for rack in racks:
        in_rack: dict[str, int] = {}
        for s, m, k in rack.items:
            n = problem.servers[s].sessions_for(m)
            in_rack[m] = in_rack.get(m, 0) + k * n
            if k > 0:
                worst_server[m] = max(worst_server[m], n)
        for m, n in in_rack.items():
            total[m] += n
            worst_rack[m] = max(worst_rack[m], n)
    return {
        m: {
            "sessions": total[m],
            "after_worst_rack": total[m] - worst_rack[m],
            "after_worst_server": total[m] - worst_server[m],
        }
        for m in problem.models
    }


def shortfalls(problem: Problem, racks: Iterable[RackFill]) -> list[str]:
    """Models whose minimum the worst single loss of the asked kind would break (empty: none)."""
    if problem.resilience == "none":
        return []
    key = "after_worst_rack" if problem.resilience == "n_plus_1_rack" else "after_worst_server"
    left = exposure(problem, racks)
    return [m for m, lo in problem.mins.items() if left[m][key] < lo]


def hopeless(problem: Problem) -> bool:
    """A hall of one rack cannot lose it and keep a minimum above 0."""
    racks = sum(r.count for r in problem.rack_types)
    return problem.resilience == "n_plus_1_rack" and racks <= 1 and bool(problem.mins)


def raised_mins(problem: Problem) -> dict[str, int]:
    """Minimums every resilient layout meets before any loss: a valid relaxation for bounds.

    A model with ``min > 0`` is served by at least one server, which serves at least the fewest
    sessions any fitting SKU gives it; losing it must leave ``min``. For a rack loss, the worst
    rack holds at least the average over the hall's racks, so ``sessions * (1 - 1/racks) >= min``
    as well.
    """
    if problem.resilience == "none":
        return dict(problem.mins)
    racks = sum(r.count for r in problem.rack_types)
    out = {}
    for m, lo in problem.mins.items():
        offers = [
            srv.sessions_for(m)
            for srv in problem.servers
            if srv.sessions_for(m) > 0 and srv.available != 0 and problem.fits_somewhere(srv)
        ]
        least = min(offers, default=0)
        raised = lo + least
        if problem.resilience == "n_plus_1_rack" and racks > 1:
            raised = max(raised, math.ceil(lo * racks / (racks - 1) - 1e-9))
        out[m] = raised
    return out


@dataclass(frozen=True)
class Split:
    """The problem with one server per (SKU, model) pair; ``origin[i]`` = (SKU index, model)."""

    problem: Problem
    origin: tuple[tuple[int, str], ...]

    @property
    def shared_stock(self) -> list[tuple[int, list[int]]]:
        """``(available, pair servers)`` for every SKU with a stock limit split over pairs."""
        groups: dict[int, list[int]] = {}
        for i, (s, _) in enumerate(self.origin):
            groups.setdefault(s, []).append(i)
        out = []
        for members in groups.values():
            available = self.problem.servers[members[0]].available
            if available is not None and len(members) > 1:
                out.append((available, members))
        return out

    def back(self, racks: Sequence[RackFill]) -> tuple[RackFill, ...]:
        """Racks of the split problem as racks of the original one."""
        out = []
        for rack in racks:
            counts: dict[tuple[int, str], int] = {}
            for i, _, k in rack.items:
                key = self.origin[i]
                counts[key] = counts.get(key, 0) + k
            out.append(RackFill.of(rack.rack_type, counts))
        return tuple(out)

    def forward(self, racks: Sequence[RackFill]) -> tuple[RackFill, ...]:
        """Racks of the original problem as racks of the split one (to seed patterns)."""
        index = {key: i for i, key in enumerate(self.origin)}
        return tuple(
            RackFill.of(
                r.rack_type, {(index[(s, m)], m): k for s, m, k in r.items if (s, m) in index}
            )
            for r in racks
        )


def split(problem: Problem) -> Split:
    """One server per (SKU, model with sessions) pair, serving only that model (see above)."""
    servers: list[Server] = []
    origin: list[tuple[int, str]] = []
    for s, srv in enumerate(problem.servers):
        for m, n in srv.sessions:
            if n <= 0:
                continue
            servers.append(replace(srv, name=f"{srv.name}\u241f{m}", sessions=((m, n),)))
            origin.append((s, m))
    return Split(replace(problem, servers=tuple(servers)), tuple(origin))


def without(problem: Problem) -> Problem:
    """The same problem with no failure to survive (for diagnosing the minimums themselves)."""
    return replace(problem, resilience="none")


def with_mins(problem: Problem, mins: dict[str, int]) -> Problem:
    """The problem with other minimums (a cap below a new minimum is lifted to it)."""
    listed = {d.model for d in problem.demand}
    demand = [
        replace(
            d,
            min=mins.get(d.model, d.min),
            max=None if d.max is None else max(d.max, mins.get(d.model, d.min)),
        )
        for d in problem.demand
    ]
    demand += [Demand(m, min=lo) for m, lo in mins.items() if m not in listed]
    return replace(problem, demand=tuple(demand))


def fill_until_survives(problem: Problem, fill: Fill) -> tuple[tuple[RackFill, ...], bool]:
    """A heuristic resilient layout: fill, then raise each short model's minimum by what the worst
    loss took below it, and fill again, until the layout survives (or the fill fails).

    Returns the racks and whether they meet every minimum after the worst loss asked for.
    """
    racks, met = fill(problem)
    if problem.resilience == "none" or not met:
        return racks, met
    key = "after_worst_rack" if problem.resilience == "n_plus_1_rack" else "after_worst_server"
    target = dict(problem.mins)
    for _ in range(RAISE_ROUNDS):
        left = exposure(problem, racks)
        short = {m: lo - left[m][key] for m, lo in problem.mins.items() if left[m][key] < lo}
        if not short:
            return racks, True
        for m, deficit in short.items():
            target[m] += deficit
        racks, met = fill(with_mins(problem, target))
        if not met:
            return racks, False
    return racks, not shortfalls(problem, racks)


def relaxation(problem: Problem) -> Problem:
    """A problem without resilience whose layouts include every resilient one (for bounds)."""
    return with_mins(without(problem), raised_mins(problem))
