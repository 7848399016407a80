"""The ``patterns`` method for whole halls: an integer program over rack patterns.

Identical racks are interchangeable, so a layout is described by **patterns** (the SKU counts of
one rack of a given type) and how many racks use each pattern, as in cutting stock. Column
generation (:mod:`planner.solver.columns`) solves the LP relaxation over all patterns and proves
the bound; this module turns the patterns it generated into a layout.

The LP optimum rounded down and completed by the greedy fill is the first incumbent (it needs no
MILP, so it is there even when time is short); the best rounding of the LP optimum (RENS, a small
IP over the LP's fractional racks and the servers' models, see :func:`_rens`) is the second. While
the gap to the LP bound is above ``ENLARGE_GAP``, an integer program over the generated patterns
(integer ``x`` and ``z``) then improves the layout: first a dive (the LP's whole racks are kept
as lower bounds, the IP decides the rest), then, if HiGHS has time to pass its root, the full
IP, and once more after enlarging the pattern set with patterns priced under perturbed duals.
The greedy fill (:mod:`planner.solver.heuristic`) is always a candidate and seeds the patterns.
The result is ``optimal`` only when the incumbent meets the LP bound (after rounding the bound
when every objective coefficient is integral).

A demand minimum that even the LP relaxation cannot meet (phase 1: minimise the artificial
shortfall) proves infeasibility; re-running phase 1 with the hall cap or availability dropped names
the blocking constraint (:mod:`planner.solver.infeasibility` words it).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import costs, resilience, trains
from .columns import TOL, Instance, Master, build_instance, column_generation
from .heuristic import greedy_fills
from .highs import Bounds, LinearConstraint, coo_array, hstack, milp, vstack
from .infeasibility import (
    budget_reason,
    relaxation_reason,
    survival_reason,
    unservable_reason,
)
from .layout import objective_value
from .outcome import Emit, ModelDealer, Outcome, RackFill
from .problem import Problem

#: The IP over patterns stops at this relative gap (to its own, restricted, bound).
IP_REL_GAP = 2e-4
#: Share of the time left after the greedy fill that column generation leaves to the IP.
IP_SHARE = 0.4
#: Share of the time left that the dive (the IP with the LP's whole racks held) gets first.
DIVE_SHARE = 0.6
#: Share of the time left that RENS (the best rounding of the LP's fractional racks) may take;
#: it needs a few hundredths of a second at 1,000 racks and stops at :data:`IP_REL_GAP`.
RENS_SHARE = 0.3
#: The full IP starts only with the time of this many master LPs of its size left.
FULL_IP_ROOT_LPS = 100
#: A tie-break level starts only with the time of this many master LPs of its size left.
TIDY_ROOT_LPS = 20
#: Time the tie-break leaves for the layout's expansion, formatting and check: a fixed part
#: and a part per rack (about twice what they take on a quiet machine).
TIDY_RESERVE_S = 0.1
TIDY_RESERVE_S_PER_RACK = 2e-4
#: The tie-break (fewest racks, then least power) runs only with this many seconds left after
#: its pattern top-up, so that it never pushes a solve past its time limit.
TIDY_MIN_S = 0.05
#: Above this relative gap to the LP bound the IPs over the patterns run (the dive, then the full
#: IP, then the full IP on an enlarged pattern set); at or below it the layout is kept. RENS
#: usually lands within 0.06 % at 1,000 racks and the dive often halves that when it has time.
ENLARGE_GAP = 2e-4


def solve_patterns(problem: Problem, *, deadline: float, emit: Emit) -> Outcome:
    """Solve by column generation + IP over patterns (see the module docstring)."""
    sign = -1.0 if problem.objective == "max_sessions" else 1.0
    if resilience.asked(problem):
        return _solve_resilient(problem, deadline=deadline, emit=emit)
    inst = build_instance(problem)
    if not inst.offers_every_min():
        return Outcome("infeasible", None, None, _infeasible_reason(problem))

    def report(lp_val: float, bound: float) -> None:
        emit(
            "bound",
            incumbent=None,
            bound=sign * bound if math.isfinite(bound) else None,
            lp=sign * lp_val,
        )

    # The greedy fill is cheap and always a candidate: it rescues instances where the restricted
    # pattern set has no integer layout, its racks seed the pattern set, and when it meets every
    # minimum it proves the LP feasible, so phase 1 is not needed.
    greedy, met = greedy_fills(problem)
    met = met and costs.within_budget(problem, greedy)
    _seed(inst, greedy)
    if inst.mins and not met and inst.phase1_meets_mins(deadline) is False:
        return Outcome("infeasible", None, None, _infeasible_reason(problem))
    cg = column_generation(inst, phase1=False, deadline=_cg_deadline(deadline), on_round=report)
    if cg.bound is None:
        return Outcome("unknown", None, None, "the pattern LP could not be solved in time")
    bound_min = cg.bound  # minimisation form
    if not math.isfinite(bound_min):
        return Outcome("unknown", None, None, "no valid bound from the pattern LP in time")
    if _integral_objective(problem, inst):
        bound_min = math.ceil(bound_min - 1e-6)
    best_x, best_val = None, math.inf
    if met:
        best_x, best_val = greedy, sign * objective_value(problem, greedy)
    lp_x = _lp_solution(inst)
    floor = _lp_floor(inst, lp_x)
    # Two quick incumbents before the dive: the LP rounded down and completed greedily (no
    # MILP), then the best rounding of the LP's fractional racks (a small IP, see _rens).
    for near in (_rounded(inst, lp_x), _rens(inst, lp_x, deadline)):
        if near is None:
            continue
        val = sign * objective_value(problem, near)
        if val < best_val - 1e-9:
            best_x, best_val = near, val
            emit("solve", incumbent=sign * best_val, bound=sign * bound_min)
    attempts = [floor, None, None] if floor else [None, None]
    for attempt, fixed in enumerate(attempts):
        if best_x is not None and best_val - bound_min <= ENLARGE_GAP * max(1.0, abs(best_val)):
            break
        x = None
        if fixed:
            # The dive is small once HiGHS's presolve has fixed the LP's whole racks; if it
            # finds nothing in its share, it gets the rest rather than the full IP.
            x, _ = _ip(inst, deadline, share=DIVE_SHARE, floor=fixed)
            if x is None and time.perf_counter() < deadline:
                x, _ = _ip(inst, deadline, share=1.0, floor=fixed)
        elif _full_ip_fits(inst, deadline):
            x, _ = _ip(inst, deadline, share=1.0)
        if x is not None:
            fills = _fills(inst, x)
            val = sign * objective_value(problem, fills)
            if val < best_val - 1e-9:
                best_x, best_val = fills, val
            emit("solve", incumbent=sign * best_val, bound=sign * bound_min)
        if best_x is not None and best_val - bound_min <= ENLARGE_GAP * max(1.0, abs(best_val)):
            break
        if time.perf_counter() >= deadline:
            break
        if attempt > 0 and not _enlarge(inst, deadline):
            break
    if best_x is None:
        return Outcome("unknown", None, sign * bound_min, "no integer layout over patterns")
    closed = best_val - bound_min <= TOL * max(1.0, abs(best_val))
    # The tie-break leaves time to expand, format and check a layout of thousands of racks
    # after it (the limit is on the whole solve): TIDY_RESERVE_S plus TIDY_RESERVE_S_PER_RACK
    # for every rack, at most half of what is left.
    now = time.perf_counter()
    left = max(0.0, deadline - now)
    racks = sum(r.count for r in problem.rack_types)
    reserve = min(0.5 * left, TIDY_RESERVE_S + TIDY_RESERVE_S_PER_RACK * racks)
    tidy_until = now + left - reserve
    tidier = _lexicographic(inst, best_x, best_val, sign, tidy_until)
    if tidier is not None:
        best_x = tidier
        emit("tidy", incumbent=sign * best_val, bound=sign * bound_min)
    return Outcome("optimal" if closed else "feasible", best_x, sign * bound_min)


def _full_ip_fits(inst: Instance, deadline: float) -> bool:
    """Whether the full IP over the patterns has time to get past its root.

    HiGHS checks its time limit between nodes, not in presolve, the root LP and the root
    heuristics; on a hall that part alone is worth about a hundred master LPs, and running it
    with less time left would overrun the solve's limit (the dive keeps the layout anytime).
    """
    columns = len(inst.patterns) + len(inst.pairs)
    return deadline - time.perf_counter() >= FULL_IP_ROOT_LPS * inst.lp_s_per_col * columns


def _cg_deadline(deadline: float) -> float:
    """When column generation must stop: it leaves :data:`IP_SHARE` of the time to the IP.

    Without an integer layout over its patterns the bound alone is no answer; stopped early,
    column generation still hands over a valid (Lagrangian) bound.
    """
    now = time.perf_counter()
    return now + (1.0 - IP_SHARE) * max(0.0, deadline - now)


def _seed(inst: Instance, fills: tuple[RackFill, ...]) -> None:
    """Add the patterns of the given racks (once each) to the pattern set."""
    pos = {s: j for j, s in enumerate(inst.skus)}
    for fill in dict.fromkeys(fills):
        counts = [0] * len(inst.skus)
        for s, _, k in fill.items:
            counts[pos[s]] += k
        inst.add(fill.rack_type, counts)


def _top_up(inst: Instance, used: Sequence[tuple[int, tuple[int, ...]]]) -> None:
    """Add, for every pattern the incumbent ``used`` and every SKU, the pattern with that SKU
    filling what the rack has left.

    Column generation prices patterns for the objective alone, which leaves out the dense
    mixed racks the tie-break needs (four 8U servers and three 1U ones in the leftover U).
    Only the incumbent's patterns are topped up: with column generation adding several
    patterns a round, topping up all of them made the tie-break's IP too large to finish.
    """
    problem = inst.problem
    servers = [problem.servers[s] for s in inst.skus]
    for t, counts in dict.fromkeys(used):
        rack = problem.rack_types[t]
        used = dict(
            used_u=sum(k * srv.u for k, srv in zip(counts, servers, strict=True)),
            used_w=sum(k * srv.power_w for k, srv in zip(counts, servers, strict=True)),
            used_kg=sum(k * (srv.weight_kg or 0.0) for k, srv in zip(counts, servers, strict=True)),
        )
        for j, srv in enumerate(servers):
            room = min(problem.max_in_rack(rack, srv, **used), int(inst.ub[t, j]) - counts[j])
            if room > 0:
                topped = list(counts)
                topped[j] += int(room)
                inst.add(t, topped)


def _layout_key(problem: Problem, fills: Sequence[RackFill]) -> tuple[int, float]:
    """(racks used, server watts): the tie-break levels after the objective."""
    watts = sum(k * problem.servers[s].power_w for fill in fills for s, _, k in fill.items)
    return sum(1 for fill in fills if fill.items), watts


def _lexicographic(
    inst: Instance, fills: tuple[RackFill, ...], value: float, sign: float, deadline: float
) -> tuple[RackFill, ...] | None:
    """Among pattern layouts as good as ``fills`` (objective ``value``, minimisation form), the
    fewest racks, then the least server power: two more IPs over the generated patterns (every
    single-SKU rack at its fullest is among them) with the earlier levels held.

    Returns a better layout, or None. The levels are optimal over the generated patterns, which
    is what the method proves for its objective too.
    """
    problem = inst.problem
    remaining = deadline - time.perf_counter()
    if remaining <= TIDY_MIN_S or not inst.patterns:
        return None
    pos = {s: j for j, s in enumerate(inst.skus)}
    used = []
    for fill in dict.fromkeys(fills):
        counts = [0] * len(inst.skus)
        for s, _, k in fill.items:
            counts[pos[s]] += k
        used.append((fill.rack_type, tuple(counts)))
    _top_up(inst, used)
    if deadline - time.perf_counter() <= TIDY_MIN_S:
        return None
    master = Master(inst, phase1=False)
    cost, a_ub, b_ub, a_eq, upper = master.build(with_art=False)
    n = len(cost)
    racks = np.zeros(n)
    racks[: master.n_pat] = 1.0
    watts = np.zeros(n)
    for col, (_, counts) in enumerate(inst.patterns):
        watts[col] = float(np.array(counts, dtype=float) @ master.sku_w)
    integrality = np.zeros(n)
    integrality[: master.n_pat + master.n_pair] = 1
    base = [LinearConstraint(a_eq, 0.0, 0.0)]
    if master.n_ub:
        base.append(LinearConstraint(a_ub, -np.inf, b_ub))
    held = [LinearConstraint(cost.reshape(1, -1), -np.inf, value + 1e-7 * max(1.0, abs(value)))]

    # HiGHS checks its time limit between nodes, not during presolve and the root LP, so a
    # level starts only with time for many master LPs of this size.
    root_s = TIDY_ROOT_LPS * inst.lp_s_per_col * n

    def solve_level(objective: np.ndarray, rows: list, share: float) -> np.ndarray | None:
        left = deadline - time.perf_counter()
        if left <= max(0.01, root_s / share):
            return None
        res = milp(
            c=objective,
            integrality=integrality,
            bounds=Bounds(np.zeros(n), upper),
            constraints=base + rows,
            options={"time_limit": max(1e-3, share * left), "mip_rel_gap": 0.0, "disp": False},
        )
        if res.x is None:
            return None
        x = np.array(res.x)
        x[integrality == 1] = np.round(x[integrality == 1])
        return x

    first = solve_level(racks, held, 0.5)
    if first is None:
        return None
    rack_count = float(racks @ first)
    best = first
    second = solve_level(
        watts, [*held, LinearConstraint(racks.reshape(1, -1), -np.inf, rack_count + 0.5)], 1.0
    )
    if second is not None:
        best = second
    candidate = _fills(inst, best)
    worse = sign * objective_value(problem, candidate) > value + 1e-9 * max(1.0, abs(value))
    if worse or _layout_key(problem, candidate) >= _layout_key(problem, fills):
        return None
    return candidate


def _lp_solution(inst: Instance) -> np.ndarray | None:
    """The master LP's optimum over the current patterns (None when it is not solved)."""
    solved = Master(inst, phase1=False).solve_lp()
    return None if solved is None else solved[1]


def _rounded(inst: Instance, x: np.ndarray | None) -> tuple[RackFill, ...] | None:
    """The LP optimum rounded down and completed by the greedy fill: an incumbent in
    milliseconds that does not wait for HiGHS (whose IP may not get past its root in time).

    Whole racks of each pattern are kept; each SKU's servers serve the models the LP gave them,
    rounded down to what the kept racks hold; the greedy fill then meets what is left of the
    minimums and fills the racks left. ``None`` when that misses a minimum or the budget.
    """
    if x is None:
        return None
    problem = inst.problem
    n_pat = len(inst.patterns)
    whole = np.floor(x + 1e-9)
    held = np.zeros(len(inst.skus))
    for i, (_, counts) in enumerate(inst.patterns):
        held += whole[i] * np.asarray(counts, dtype=float)
    pos = {s: j for j, s in enumerate(inst.skus)}
    # Servers of a SKU beyond what the kept racks hold come off its least-used models.
    by_sku: dict[int, list[int]] = {}
    for k, (s, _, _) in enumerate(inst.pairs):
        by_sku.setdefault(s, []).append(n_pat + k)
    for s, cols in by_sku.items():
        extra = whole[cols].sum() - held[pos[s]]
        for col in sorted(cols, key=lambda c: (x[c], c)):
            if extra <= 0:
                break
            take = min(extra, whole[col])
            whole[col] -= take
            extra -= take
    start = _fills(inst, whole)
    fills, met = greedy_fills(problem, start=start)
    if not met or not costs.within_budget(problem, fills):
        return None
    return fills


def _rens(inst: Instance, x: np.ndarray | None, deadline: float) -> tuple[RackFill, ...] | None:
    """The best layout near the LP optimum ``x``: every pattern's rack count between its LP
    value rounded down and up (patterns the LP leaves out stay out), every (SKU, model) server
    count a whole number, then the greedy fill on the racks that leaves empty.

    This is RENS (relaxation enforced neighbourhood search): with the LP's whole racks held the
    IP decides only the few fractional patterns and the model of each server, so HiGHS solves it
    in tens of milliseconds at 1,000 racks, where the dive over all patterns took hundreds and,
    starved of time, kept the rounded-down LP (0.17 % short on a varied hall, issue 15). Servers
    may stay out of a model here (a ``>=`` instead of ``=`` on the SKU rows; the fill leaves
    them out), so that rounding a pattern up never forces its servers onto a model. ``None``
    when the IP finds nothing in its :data:`RENS_SHARE` of the time left, or the completed
    layout misses a minimum or the budget.
    """
    if x is None or not inst.patterns:
        return None
    problem = inst.problem
    master = Master(inst, phase1=False)
    cost, a_ub, b_ub, a_eq, upper = master.build(with_art=False)
    n = len(cost)
    n_pat = master.n_pat
    lower = np.zeros(n)
    upper = upper.copy()
    lower[:n_pat] = np.floor(x[:n_pat] + 1e-6)
    upper[:n_pat] = np.maximum(lower[:n_pat], np.ceil(x[:n_pat] - 1e-6))
    integrality = np.zeros(n)
    integrality[: n_pat + master.n_pair] = 1
    cons = [LinearConstraint(a_eq, 0.0, np.inf)]
    if master.n_ub:
        cons.append(LinearConstraint(a_ub, -np.inf, b_ub))
    seconds = RENS_SHARE * (deadline - time.perf_counter())
    if seconds <= 0:
        return None
    res = _milp(cost, integrality, Bounds(lower, upper), cons, seconds)
    if res.x is None:
        return None
    near = np.array(res.x)
    near[integrality == 1] = np.round(near[integrality == 1])
    fills, met = greedy_fills(problem, start=_fills(inst, near))
    if not met or not costs.within_budget(problem, fills):
        return None
    return fills


def _lp_floor(inst: Instance, x: np.ndarray | None) -> dict[tuple[int, tuple[int, ...]], int]:
    """Whole racks of each pattern in the LP optimum ``x`` (empty when the LP is not solved)."""
    if x is None:
        return {}
    return {
        key: int(math.floor(x[i] + 1e-9)) for i, key in enumerate(inst.patterns) if x[i] >= 1 - 1e-9
    }


def _enlarge(inst: Instance, deadline: float) -> bool:
    """Add patterns: the best knapsack fills for random-free, deterministic dual perturbations.

    Prices every rack type against the LP duals with each SKU's profit nudged down in turn, which
    yields near-optimal alternative patterns the IP can combine. Returns whether any was new.
    """
    master = Master(inst, phase1=False)
    solved = master.solve_lp()
    if solved is None:
        return False
    _, _, duals = solved
    base = duals["eq"].copy()
    added = False
    for j in range(len(inst.skus)):
        if time.perf_counter() >= deadline:
            break
        duals["eq"] = base.copy()
        duals["eq"][j] -= abs(base[j]) * 0.05 + 1e-6
        for t, counts, _, _ in master.price(duals, deadline):
            added |= inst.add(t, counts)
    return added


def _infeasible_reason(problem: Problem) -> str:
    """Name the model(s) whose minimum fails and the constraint group that blocks it."""
    simple = unservable_reason(problem)
    if simple is not None:
        return simple
    deadline = time.perf_counter() + 5.0
    if problem.budget_usd is not None:
        free = replace(problem, budget_usd=None)
        if build_instance(free).phase1_meets_mins(deadline) is True:
            return budget_reason(problem)
        problem = free
    return relaxation_reason(problem, functools.partial(_lp_meets_mins, problem, deadline))


def _lp_meets_mins(
    problem: Problem, deadline: float, *, hall: bool = True, avail: bool = True
) -> bool:
    """Does the pattern LP meet every minimum with the hall cap or stock rows dropped?"""
    return build_instance(problem, hall=hall, avail=avail).phase1_meets_mins(deadline) is True


def _ip(
    inst: Instance, deadline: float, share: float = 1.0, floor: dict | None = None
) -> tuple[np.ndarray | None, bool]:
    """Integer program over the current patterns.

    ``floor`` maps patterns to a minimum rack count (a dive: keep the LP's whole racks and let the
    IP decide only the fractional remainder), which makes hall-scale IPs small.
    """
    master = Master(inst, phase1=False)
    cost, a_ub, b_ub, a_eq, upper = master.build(with_art=False)
    n = len(cost)
    if n == 0:
        return np.zeros(0), True
    lower = np.zeros(n)
    for key, k in (floor or {}).items():
        lower[inst.patterns.index(key)] = k
    integrality = np.zeros(n)
    integrality[: master.n_pat + master.n_pair] = 1
    cons = [LinearConstraint(a_eq, 0.0, 0.0)]
    if master.n_ub:
        cons.append(LinearConstraint(a_ub, -np.inf, b_ub))
    seconds = share * (deadline - time.perf_counter())
    res = _milp(cost, integrality, Bounds(lower, upper), cons, seconds)
    if res.x is None:
        return None, False
    x = np.array(res.x)
    x[integrality == 1] = np.round(x[integrality == 1])
    return x, res.status == 0


def _milp(cost: np.ndarray, integrality: np.ndarray, bounds: Bounds, cons: list, seconds: float):
    """HiGHS on an integer program over patterns, to :data:`IP_REL_GAP`, within ``seconds``."""
    options = {"time_limit": max(1e-3, seconds), "mip_rel_gap": IP_REL_GAP, "disp": False}
    return milp(c=cost, integrality=integrality, bounds=bounds, constraints=cons, options=options)


def _fills(
    inst: Instance, x: np.ndarray, by_train: np.ndarray | None = None
) -> tuple[RackFill, ...]:
    """Expand pattern counts into racks and deal the models out rack by rack (input order).

    ``by_train[p, k]``, when given, is how many racks of pattern ``p`` hang on power train ``k``.
    """
    n_pat = len(inst.patterns)
    dealer = ModelDealer(
        (s, m, int(x[n_pat + k])) for k, (s, m, _) in enumerate(inst.pairs)
    )
    order = sorted(range(n_pat), key=lambda i: (inst.patterns[i][0], i))
    fills = []
    for i in order:
        t, counts = inst.patterns[i]
        needs = [(inst.skus[j], need) for j, need in enumerate(counts) if need]
        # Racks per power train when trains are split, else all on no train.
        groups: list[tuple[int | None, int]] = [(None, int(x[i]))]
        if by_train is not None:
            groups = [(k, int(c)) for k, c in enumerate(by_train[i]) if int(c) > 0]
        for train, left in groups:
            while left > 0:
                items: dict[tuple[int, str], int] = {}
                # Racks that every SKU's current model covers get identical items: deal them at
                # once (a hall of thousands of racks has few such runs), else one rack at a time.
                run = min([left, *(dealer.runs(s, need) for s, need in needs)])
                if run > 1:
                    for s, need in needs:
                        dealer.deal_many(s, need, run, items)
                else:
                    run = 1
                    for s, need in needs:
                        dealer.deal(s, need, items)
                left -= run
                # Servers of the pattern that no model needs are left out (they earn nothing).
                if items:
                    fills.extend([RackFill.of(t, items, train)] * run)
    return tuple(fills)


def _integral_objective(problem: Problem, inst: Instance) -> bool:
    """True when every layout's objective is an integer (so a bound may be rounded)."""
    obj = problem.objective
    if obj == "min_racks":
        return True
    if obj == "min_power":
        return all(float(problem.servers[s].power_w).is_integer() for s in inst.skus)
    if obj == "min_cost":
        return all(float(problem.servers[s].cost_usd or 0).is_integer() for s in inst.skus)
    if obj == "min_tco":
        return False
    return all(float(w).is_integer() for w in inst.weights.values())




def _solve_resilient(problem: Problem, *, deadline: float, emit: Emit) -> Outcome:
    """Patterns that carry their models, and the worst single loss as extra rows.

    The pattern LP runs on the split problem (one model per server, so a pattern says what each
    rack serves) with the minimums raised to :func:`resilience.raised_mins`, a relaxation every
    resilient layout satisfies, so its bound is valid. The IP over the generated patterns adds
    the exact loss rows (:func:`_ip_resilient`).
    """
    sign = -1.0 if problem.objective == "max_sessions" else 1.0
    if resilience.hopeless(problem):
        return Outcome("infeasible", None, None, _resilient_reason(problem, deadline))
    parts = resilience.split(problem)
    work = parts.problem
    inst = build_instance(work)
    if not inst.offers_every_min():
        return Outcome("infeasible", None, None, _infeasible_reason(resilience.without(problem)))
    inst.mins = {m: lo for m, lo in resilience.raised_mins(problem).items() if m in inst.mins}
    greedy, survives = resilience.fill_until_survives(problem, greedy_fills)
    survives = survives and costs.within_budget(problem, greedy)
    _seed(inst, parts.forward(greedy))
    if inst.mins and not survives and inst.phase1_meets_mins(deadline) is False:
        return Outcome("infeasible", None, None, _resilient_reason(problem, deadline))

    def report(lp_val: float, bound: float) -> None:
        emit("bound", incumbent=None, bound=sign * bound if math.isfinite(bound) else None,
             lp=sign * lp_val)

    cg = column_generation(inst, phase1=False, deadline=deadline, on_round=report)
    if cg.bound is None or not math.isfinite(cg.bound):
        return Outcome("unknown", None, None, "no valid bound from the pattern LP in time")
    bound_min = cg.bound
    if _integral_objective(work, inst):
        bound_min = math.ceil(bound_min - 1e-6)
    best, best_val = None, math.inf
    if survives:
        best, best_val = greedy, sign * objective_value(problem, greedy)
    floor = _lp_floor(inst, _lp_solution(inst))
    for attempt, fixed in enumerate([floor, None, None] if floor else [None, None]):
        share = 0.5 if attempt == 0 else 1.0

        def ip(work: Problem = problem, share: float = share, fixed: dict | None = fixed):
            x, by_train = _ip_resilient(work, inst, parts.shared_stock, deadline, share, fixed)
            return None if x is None else parts.back(_fills(inst, x, by_train))

        if trains.exact_fits(problem, inst):
            fills = ip()
        else:  # too many patterns x trains for the exact rows: spread racks, raise minimums
            fills = trains.raise_until_spread(
                problem, inst, lambda: ip(replace(problem, power_trains=None)), deadline
            )
        if fills is not None:
            val = sign * objective_value(problem, fills)
            if val < best_val - 1e-9 and not resilience.shortfalls(problem, fills):
                best, best_val = fills, val
            emit("solve", incumbent=sign * best_val, bound=sign * bound_min)
        if best is not None and best_val - bound_min <= ENLARGE_GAP * max(1.0, abs(best_val)):
            break
        if time.perf_counter() >= deadline or (attempt > 0 and not _enlarge(inst, deadline)):
            break
    if best is None:
        if inst.phase1_meets_mins(deadline) is False:
            return Outcome("infeasible", None, None, _resilient_reason(problem, deadline))
        return Outcome("unknown", None, sign * bound_min, "no resilient layout over patterns")
    closed = best_val - bound_min <= TOL * max(1.0, abs(best_val))
    return Outcome("optimal" if closed else "feasible", best, sign * bound_min)


def _resilient_reason(problem: Problem, deadline: float) -> str:
    """The plain minimums' reason if even they fail, else the loss that cannot be survived."""
    plain = resilience.without(problem)
    if build_instance(plain).phase1_meets_mins(deadline) is False:
        return _infeasible_reason(plain)
    return survival_reason(problem)


def _ip_resilient(
    problem: Problem,
    inst: Instance,
    shared_stock: list[tuple[int, list[int]]],
    deadline: float,
    share: float,
    floor: dict | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The IP over patterns with the exact loss rows of ``problem.resilience`` added, and the
    power-train rows of :mod:`planner.solver.trains` (then also returns racks per pattern and
    train).

    Rack: a binary ``used[p]`` per pattern, ``x[p] <= count * used[p]`` and, per model with a
    minimum, ``a[m,p] * used[p] - sessions(m) <= -min(m)``. Server: a binary per (pair) of such a
    model, ``z[k] <= most * used[k]`` and ``sessions per server * used[k] - sessions(m) <=
    -min(m)``. The SKU stock shared by its pairs is a row over the patterns.
    """
    master = Master(inst, phase1=False)
    cost, a_ub, b_ub, a_eq, upper = master.build(with_art=False)
    n = len(cost)
    if n == 0:
        return np.zeros(0), None
    work = inst.problem
    n_pat = master.n_pat
    mins = problem.mins
    pair_cols = {m: [] for m in mins}
    for k, (_, m, sess) in enumerate(inst.pairs):
        if m in pair_cols:
            pair_cols[m].append((n_pat + k, float(sess)))
    sess_of = [work.servers[sku].sessions[0] for sku in inst.skus]  # (model, sessions) per SKU
    rows: list[tuple[list[int], list[float], float]] = []  # (cols, coefs, upper) of new rows
    extra = 0
    if problem.resilience == "n_plus_1_rack":
        extra = n_pat
        for i, (t, counts) in enumerate(inst.patterns):
            used = n + i
            rows.append(([i, used], [1.0, -float(work.rack_types[t].count)], 0.0))
            per_model: dict[str, float] = {}
            for j, c in enumerate(counts):
                if c:
                    m, sess = sess_of[j]
                    per_model[m] = per_model.get(m, 0.0) + c * sess
            for m, a in per_model.items():
                if m in mins and pair_cols[m]:
                    cols = [col for col, _ in pair_cols[m]]
                    coefs = [-sess for _, sess in pair_cols[m]]
                    rows.append(([used, *cols], [a, *coefs], -float(mins[m])))
    elif problem.resilience == "n_plus_1_server":
        chosen = [(col, sess, m) for m, cols in pair_cols.items() for col, sess in cols]
        extra = len(chosen)
        sku_pos = {s: j for j, s in enumerate(inst.skus)}
        for i, (col, sess, m) in enumerate(chosen):
            used = n + i
            j = sku_pos[inst.pairs[col - n_pat][0]]
            most = float(sum(work.rack_types[t].count * inst.ub[t, j] for t in inst.types))
            rows.append(([col, used], [1.0, -most], 0.0))
            cols = [c for c, _ in pair_cols[m]]
            coefs = [-s for _, s in pair_cols[m]]
            rows.append(([used, *cols], [sess, *coefs], -float(mins[m])))
    pos = {s: j for j, s in enumerate(inst.skus)}
    for available, members in shared_stock:
        cols, coefs = [], []
        for i, (_, counts) in enumerate(inst.patterns):
            c = sum(counts[pos[s]] for s in members if s in pos)
            if c:
                cols.append(i)
                coefs.append(float(c))
        if cols:
            rows.append((cols, coefs, float(available)))
    k_trains = problem.power_trains or 0
    first = n + extra
    if k_trains:
        train_rows, n_train = trains.pattern_rows(inst, mins, pair_cols, first, k_trains)
        rows += train_rows
        extra += n_train
    width = n + extra
    ri, ci, v = [], [], []
    for r, (cols, coefs, _) in enumerate(rows):
        ri += [r] * len(cols)
        ci += cols
        v += coefs
    new = coo_array((v, (ri, ci)), shape=(len(rows), width)).tocsr()
    pad = lambda a: hstack([a, coo_array((a.shape[0], extra))]).tocsr()  # noqa: E731
    cons = [LinearConstraint(pad(a_eq), 0.0, 0.0)]
    stacked = vstack([pad(a_ub), new]).tocsr() if master.n_ub else new
    highs = np.concatenate([b_ub, [hi for _, _, hi in rows]]) if master.n_ub else np.array(
        [hi for _, _, hi in rows]
    )
    if stacked.shape[0]:
        cons.append(LinearConstraint(stacked, -np.inf, highs))
    lower = np.zeros(width)
    for key, k in (floor or {}).items():
        lower[inst.patterns.index(key)] = k
    integrality = np.zeros(width)
    integrality[: n_pat + master.n_pair] = 1
    integrality[n:] = 1
    extra_ub = np.ones(extra)
    extra_ub[first - n :] = np.inf  # racks of a pattern on a train; bounded by x[p]
    bounds = Bounds(lower, np.concatenate([upper, extra_ub]))
    budget = share * (deadline - time.perf_counter())
    res = _milp(np.concatenate([cost, np.zeros(extra)]), integrality, bounds, cons, budget)
    if res.x is None:
        return None, None
    x = np.array(res.x[:n])
    x[integrality[:n] == 1] = np.round(x[integrality[:n] == 1])
    by_train = trains.split_counts(res.x, first, n_pat, k_trains) if k_trains else None
    return x, by_train
