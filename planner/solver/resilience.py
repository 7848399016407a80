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

Both are exact (a layout meets them iff it survives every single loss of that kind).

A third failure domain is the hall's power trains (``power_trains: {"count": K}``): each rack
hangs on one of ``K`` trains, chosen by the solver, and after losing any one train every model
still meets its minimum: ``sessions(m) - sessions of m on train k >= min(m)`` for every ``k``.
It combines with ``resilience`` (each loss is survived on its own, not both at once). The
compact method assigns each physical rack a train; the pattern method splits each pattern's rack
count by train (:mod:`planner.solver.trains`); the greedy fill spreads its racks over the trains
(:func:`assign_trains`) and raises the minimums until the worst train loss keeps them. The bounds
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
#: Exposure keys of each failure kind asked for (see :func:`asked`).
KEYS = {
    "n_plus_1_rack": "after_worst_rack",
    "n_plus_1_server": "after_worst_server",
    "power_trains": "after_worst_train",
}


def asked(problem: Problem) -> list[str]:
    """The failure kinds the layout must survive: ``resilience`` and/or ``power_trains``."""
    out = [] if problem.resilience == "none" else [problem.resilience]
    if problem.power_trains is not None:
        out.append("power_trains")
    return out


def failure_words(problem: Problem) -> str:
    """What the layout must survive, in words: "any one rack or any one of 3 power trains"."""
    words = [FAILURE_WORDS[k] for k in asked(problem) if k in FAILURE_WORDS]
    if problem.power_trains is not None:
        words.append(f"any one of {problem.power_trains} power trains")
    return " or ".join(words)


def train_loads(problem: Problem, racks: Iterable[RackFill]) -> dict[int, dict[str, int]]:
    """Sessions per model on each power train; a rack on no train counts as on train 0, as the
    result's rack groups show it (methods always assign one)."""
    out: dict[int, dict[str, int]] = {}
    for rack in racks:
        load = out.setdefault(rack.train or 0, {})
        for s, m, k in rack.items:
            load[m] = load.get(m, 0) + k * problem.servers[s].sessions_for(m)
    return out


def exposure(problem: Problem, racks: Iterable[RackFill]) -> dict[str, dict[str, int]]:
    """Per model (every model of the problem, sorted): sessions served and what is left after the
    worst loss of one rack and of one server, and of one power train when the problem has them
    (``after_worst_train``)."""
    racks = list(racks)
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
    out = {
        m: {
            "sessions": total[m],
            "after_worst_rack": total[m] - worst_rack[m],
            "after_worst_server": total[m] - worst_server[m],
        }
        for m in problem.models
    }
    if problem.power_trains is not None:
        loads = train_loads(problem, racks).values()
        for m in problem.models:
            out[m]["after_worst_train"] = total[m] - max((ld.get(m, 0) for ld in loads), default=0)
    return out


def shortfalls(problem: Problem, racks: Iterable[RackFill]) -> list[str]:
    """Models whose minimum the worst single loss of an asked kind would break (empty: none)."""
    kinds = asked(problem)
    if not kinds:
        return []
    left = exposure(problem, racks)
    return [m for m, lo in problem.mins.items() if any(left[m][KEYS[k]] < lo for k in kinds)]


def hopeless(problem: Problem) -> bool:
    """A hall of one rack cannot lose it and keep a minimum above 0."""
    racks = sum(r.count for r in problem.rack_types)
    return problem.resilience == "n_plus_1_rack" and racks <= 1 and bool(problem.mins)


def raised_mins(problem: Problem) -> dict[str, int]:
    """Minimums every resilient layout meets before any loss: a valid relaxation for bounds.

    A model with ``min > 0`` is served by at least one server, which serves at least the fewest
    sessions any fitting SKU gives it; losing it must leave ``min``. For a rack loss, the worst
    rack holds at least the average over the hall's racks, so ``sessions * (1 - 1/racks) >= min``
    as well. For ``K`` power trains the worst train carries at least the average, so
    ``sessions * (1 - 1/K) >= min``, and the train of any one server loses at least its sessions.
    """
    if not asked(problem):
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
        if problem.power_trains is not None:
            k = problem.power_trains
            raised = max(raised, math.ceil(lo * k / (k - 1) - 1e-9))
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
            out.append(RackFill.of(rack.rack_type, counts, rack.train))
        return tuple(out)

    def forward(self, racks: Sequence[RackFill]) -> tuple[RackFill, ...]:
        """Racks of the original problem as racks of the split one (to seed patterns)."""
        index = {key: i for i, key in enumerate(self.origin)}
        return tuple(
            RackFill.of(
                r.rack_type,
                {(index[(s, m)], m): k for s, m, k in r.items if (s, m) in index},
                r.train,
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
    return replace(problem, resilience="none", power_trains=None)


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

    With power trains, each fill's racks are spread over the trains by :func:`assign_trains`.
    Returns the racks and whether they meet every minimum after the worst loss asked for.
    """
    kinds = asked(problem)
    racks, met = fill(problem)
    if not kinds or not met:
        return assign_trains(problem, racks), met
    target = dict(problem.mins)
    for _ in range(RAISE_ROUNDS):
        racks = assign_trains(problem, racks)
        left = exposure(problem, racks)
        short = {
            m: max(lo - left[m][KEYS[k]] for k in kinds)
            for m, lo in problem.mins.items()
            if any(left[m][KEYS[k]] < lo for k in kinds)
        }
        if not short:
            return racks, True
        for m, deficit in short.items():
            target[m] += deficit
        racks, met = fill(with_mins(problem, target))
        if not met:
            return assign_trains(problem, racks), False
    racks = assign_trains(problem, racks)
    return racks, not shortfalls(problem, racks)


def assign_trains(problem: Problem, racks: Sequence[RackFill]) -> tuple[RackFill, ...]:
    """Spread racks over the power trains so the worst train loss takes little (a heuristic).

    Without trains the racks come back unchanged. Otherwise racks go, largest share of a
    minimum first, each to the train where it raises the largest share any one train holds of a
    model the least (longest-processing-time first, as in makespan scheduling); ties go to the
    train with the fewest racks. Models with a minimum are weighed; without any, every model.
    """
    k_trains = problem.power_trains
    if k_trains is None:
        return tuple(racks)
    total: dict[str, int] = {}
    for rack in racks:
        for s, m, k in rack.items:
            total[m] = total.get(m, 0) + k * problem.servers[s].sessions_for(m)
    weighed = [m for m in problem.mins if total.get(m)] or [m for m, n in total.items() if n]

    def shares(rack: RackFill) -> dict[str, float]:
        out: dict[str, float] = {}
        for s, m, k in rack.items:
            if m in weighed:
                out[m] = out.get(m, 0.0) + k * problem.servers[s].sessions_for(m) / total[m]
        return out

    order = sorted(range(len(racks)), key=lambda i: (-sum(shares(racks[i]).values()), i))
    load = [dict.fromkeys(weighed, 0.0) for _ in range(k_trains)]
    count = [0] * k_trains
    out: list[RackFill] = list(racks)
    for i in order:
        share = shares(racks[i])

        def after(t: int, share: dict[str, float] = share) -> tuple[float, int, int]:
            worst = max((load[t][m] + v for m, v in share.items()), default=0.0)
            return (worst, count[t], t)

        best = min(range(k_trains), key=after)
        for m, v in share.items():
            load[best][m] += v
        count[best] += 1
        out[i] = racks[i].on(best)
    return tuple(out)


def relaxation(problem: Problem) -> Problem:
    """A problem without resilience whose layouts include every resilient one (for bounds)."""
    return with_mins(without(problem), raised_mins(problem))
