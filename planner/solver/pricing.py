"""Exact pricing of one rack: a bounded knapsack over U and watts, by a Pareto dynamic program.

Column generation (:mod:`planner.solver.columns`) asks, every round and for every rack type,
for the pattern (SKU counts of one rack) of largest profit ``sum_j profit[j] * a[j]`` with
``sum_j u[j] a[j] <= U`` (an integer, at most a few dozen), ``sum_j w[j] a[j] <= W`` (watts,
continuous) and ``0 <= a[j] <= ub[j]``. A MILP per rack type took ~70 ms and was most of the
solver's time; this program solves the same problem exactly in a few milliseconds.

States are partial patterns ``(U used, W used, profit)``; SKUs are added one at a time with every
count that fits, and a state is dropped when another uses no more U, no more watts and earns at
least as much (it can be completed in every way the dropped one can, so the optimum survives).
Because U is a small integer, the dominance test is two cumulative maxima over a (U level x
states sorted by watts) table, all in numpy.

Before the program runs, a SKU is dropped when another is no larger, draws no more and earns at
least as much, with no stock cap below what fits of it alone: any pattern can swap the dropped
SKU's servers for the other's and stay feasible and as profitable, so the optimum is unchanged.

Weight limits (a third continuous capacity) are not handled here: :func:`solve_knapsack`
returns ``None`` and the caller uses its MILP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest usable U the table handles; taller racks (none in any catalog) go to the MILP.
MAX_LEVELS = 256
#: Slack on the watts row, absolute and relative: the same rounding noise
#: :meth:`planner.solver.problem.Problem.max_in_rack` forgives, far inside the checker's 1e-6.
WATT_ABS_TOL = 1e-7
WATT_REL_TOL = 1e-9
#: Weights of U against watts in the completion bounds (see solve_knapsack).
BLEND = (0.0, 0.25, 0.5, 0.75, 1.0)
#: States kept in the table at most; a pricing that would need more goes to the MILP.
MAX_STATES = 60_000
#: From this many states on, dominance is checked level by level (:func:`_prune_by_level`).
STAIRCASE_MIN_STATES = 2_000


@dataclass(frozen=True)
class Knapsack:
    """One rack's pricing problem (arrays indexed like the instance's SKUs)."""

    usable_u: int
    usable_w: float
    u: np.ndarray  # int U per server
    w: np.ndarray  # watts per server
    ub: np.ndarray  # most servers of each SKU in this rack (stock and the rack's limits)
    alone: np.ndarray  # most servers of each SKU that fit in the empty rack (no stock)


@dataclass(frozen=True)
class Priced:
    """The best pattern (counts per SKU) and its profit, plus runners-up with theirs."""

    counts: np.ndarray
    value: float
    others: list[tuple[np.ndarray, float]]


def undominated(ks: Knapsack, cand: np.ndarray, profit: np.ndarray) -> np.ndarray:
    """``cand`` without SKUs that another candidate can always replace (see module docstring)."""
    if len(cand) <= 1:
        return cand
    u, w, p = ks.u[cand], ks.w[cand], profit[cand]
    free = ks.ub[cand] >= ks.alone[cand]  # no stock cap below what fits alone
    # i replaces j when u_i <= u_j, w_i <= w_j, p_i >= p_j, i has no binding stock cap, and
    # (strictly better somewhere or earlier in order, so that of two equals one stays).
    le = (u[:, None] <= u[None, :]) & (w[:, None] <= w[None, :]) & (p[:, None] >= p[None, :])
    strict = (u[:, None] < u[None, :]) | (w[:, None] < w[None, :]) | (p[:, None] > p[None, :])
    order = np.arange(len(cand))
    earlier = order[:, None] < order[None, :]
    beats = le & free[:, None] & (strict | earlier)
    np.fill_diagonal(beats, False)
    return cand[~beats.any(axis=0)]


def _prune(us: np.ndarray, ws: np.ndarray, ps: np.ndarray, levels: int) -> np.ndarray:
    """Indices of the states no other state dominates (no more U, no more W, as much profit).

    Of equal states the first in (watts, -profit, U) order stays; the indices come in that order.
    """
    n = len(us)
    if n <= 1:
        return np.arange(n)
    if n > STAIRCASE_MIN_STATES:
        return _prune_by_level(us, ws, ps, levels)
    order = np.lexsort((us, -ps, ws))  # watts ascending, then profit descending, then U
    u_o, p_o = us[order], ps[order]
    table = np.full((levels, n), -np.inf)
    table[u_o, np.arange(n)] = p_o
    np.maximum.accumulate(table, axis=1, out=table)
    np.maximum.accumulate(table, axis=0, out=table)
    # Best profit among the states before each one (fewer or equal watts) at U <= its U.
    before = np.full(n, -np.inf)
    before[1:] = table[u_o[1:], np.arange(n - 1)]
    keep = before < p_o
    return order[keep]


def _prune_by_level(us: np.ndarray, ws: np.ndarray, ps: np.ndarray, levels: int) -> np.ndarray:
    """:func:`_prune` for large frontiers, same answer: U levels in turn, each state checked
    against the earlier ones of its level and a staircase of the survivors of lower levels.

    The (U level x states) table costs levels x states; the staircase (the states kept so far
    whose profit beats every one before them in watts order) holds a few thousand at most, so
    this is about twice as fast from a few thousand states on (pricing on 5,000-rack halls).
    """
    order = np.lexsort((us, -ps, ws))
    u_o, p_o = us[order], ps[order]
    keep = np.zeros(len(us), dtype=bool)
    stair_pos = np.zeros(0, dtype=np.int64)  # positions in ``order``, ascending
    stair_p = np.zeros(0)  # best profit up to each of them (strictly rising)
    by_level = np.argsort(u_o, kind="stable")  # positions, level by level, each ascending
    starts = np.searchsorted(u_o[by_level], np.arange(levels + 1))
    for u in range(levels):
        idx = by_level[starts[u] : starts[u + 1]]
        if len(idx) == 0:
            continue
        p_l = p_o[idx]
        before = np.empty_like(p_l)  # best profit before each state: its level...
        before[0] = -np.inf
        np.maximum.accumulate(p_l[:-1], out=before[1:])
        if len(stair_pos):  # ... and the lower levels
            k = np.searchsorted(stair_pos, idx) - 1
            np.maximum(before, np.where(k >= 0, stair_p[np.maximum(k, 0)], -np.inf), out=before)
        ok = before < p_l
        keep[idx[ok]] = True
        pos = np.concatenate([stair_pos, idx[ok]])
        merged = np.argsort(pos, kind="stable")
        pos, best = pos[merged], np.maximum.accumulate(np.concatenate([stair_p, p_l[ok]])[merged])
        rising = np.empty(len(best), dtype=bool)
        rising[0] = True
        rising[1:] = best[1:] > best[:-1]
        stair_pos, stair_p = pos[rising], best[rising]
    return order[keep]


def _greedy_value(ks: Knapsack, profit: np.ndarray, order: np.ndarray) -> float:
    """Profit of a greedy fill in ``order``: a feasible pattern, so a floor for pruning."""
    left_u, left_w, value = ks.usable_u, ks.usable_w, 0.0
    for j in order:
        k = min(int(ks.ub[j]), left_u // int(ks.u[j]), int(left_w // ks.w[j]))
        if k > 0:
            left_u -= k * int(ks.u[j])
            left_w -= k * float(ks.w[j])
            value += k * float(profit[j])
    return value


def solve_knapsack(
    ks: Knapsack,
    profit: np.ndarray,
    cand: np.ndarray,
    alternatives: int = 4,
    known: np.ndarray | None = None,
) -> Priced | None:
    """Maximise ``profit @ a`` over one rack; ``cand`` are the SKUs with positive profit.

    Returns a :class:`Priced` (exact optimum; up to ``alternatives`` runners-up, each a
    different undominated pattern), or ``None`` when the table would be too large (use the MILP).

    Besides dominance, a state is dropped when even its completion bound (the best profit per
    share of the rack times the share left, among the SKUs still to add, for a few blends of U
    and watts into one share) cannot lift it to the best complete pattern seen: it cannot lead
    to the optimum. That makes the frontier small when SKUs go in by falling profit density.
    ``known`` (patterns x SKUs) are patterns that fit this rack, e.g. the columns column
    generation already has: the best of them, kept to ``cand``, counts as a pattern seen from
    the start, so states that cannot beat it go at once (on some halls the frontier reached tens
    of thousands of states without it). The optimum is unchanged: its own states can always
    reach its profit, which is at least that pattern's.
    """
    n_sku = len(profit)
    if ks.usable_u + 1 > MAX_LEVELS:
        return None
    cand = np.asarray(cand, dtype=np.int64)
    # Known patterns without their non-candidate SKUs still fit and are made of candidates.
    seen = 0.0
    if known is not None and len(known):
        seen = float((known[:, cand] @ profit[cand]).max())
    cand = undominated(ks, cand, profit)
    cap_w = ks.usable_w + WATT_ABS_TOL + WATT_REL_TOL * abs(ks.usable_w)
    levels = ks.usable_u + 1
    # Densest first (profit per share of the rack, the scarcer of U and watts), so the SKUs
    # left to add are the least dense and the completion bounds are tight.
    share = np.maximum(ks.u[cand] / max(ks.usable_u, 1), ks.w[cand] / max(ks.usable_w, 1e-9))
    cand = cand[np.lexsort((cand, -profit[cand] / share))]
    # Completion bounds: for a weight l in BLEND, every SKU uses l*u/U + (1-l)*w/W of a mixed
    # "share" of the rack, so the SKUs still to add earn at most their best profit per share
    # times the share left. l = 1 and l = 0 are the U-only and watts-only bounds; the blends
    # in between come close to the two-row LP bound, at the cost of a few vector operations.
    blend = np.array(BLEND)[:, None]
    use = blend * ks.u[cand] / ks.usable_u + (1 - blend) * ks.w[cand] / max(ks.usable_w, 1e-9)
    dens = profit[cand][None, :] / use
    # Best density among SKUs col.. (suffix maxima, per blend), 0 past the end.
    rest = np.concatenate(
        [np.maximum.accumulate(dens[:, ::-1], axis=1)[:, ::-1], np.zeros((len(BLEND), 1))], axis=1
    )
    floor = max(_greedy_value(ks, profit, cand), seen)
    slack = 1e-12 * max(1.0, floor)
    us = np.zeros(1, dtype=np.int64)
    ws = np.zeros(1)
    ps = np.zeros(1)
    counts = np.zeros((1, len(cand)), dtype=np.int32)
    for col, j in enumerate(cand):
        uj, wj, pj = int(ks.u[j]), float(ks.w[j]), float(profit[j])
        kmax = int(min(ks.ub[j], ks.usable_u // uj))
        if kmax <= 0:
            continue
        ks_ = np.arange(kmax + 1)
        nu = (us[:, None] + ks_[None, :] * uj).ravel()
        nw = (ws[:, None] + ks_[None, :] * wj).ravel()
        fit = (nu <= ks.usable_u) & (nw <= cap_w)
        src = np.repeat(np.arange(len(us)), kmax + 1)[fit]
        k_of = np.tile(ks_, len(us))[fit]
        nu, nw = nu[fit], nw[fit]
        np_ = ps[src] + k_of * pj
        floor = max(floor, float(np_.max()))
        left = blend * ((ks.usable_u - nu) / ks.usable_u)[None, :] + (1 - blend) * (
            np.maximum(cap_w - nw, 0.0) / max(ks.usable_w, 1e-9)
        )[None, :]
        hope = np_ + (rest[:, col + 1 : col + 2] * left).min(axis=0)
        alive = hope >= floor - slack
        src, k_of, nu, nw, np_ = src[alive], k_of[alive], nu[alive], nw[alive], np_[alive]
        if len(nu) > MAX_STATES:
            return None
        keep = _prune(nu, nw, np_, levels)
        us, ws, ps = nu[keep], nw[keep], np_[keep]
        counts = counts[src[keep]]
        counts[:, col] = k_of[keep]
    ranked = np.argsort(-ps, kind="stable")
    full = []
    for i in ranked[: 1 + alternatives]:
        a = np.zeros(n_sku, dtype=np.int64)
        a[cand] = counts[i]
        full.append((a, float(ps[i])))
    best, value = full[0]
    return Priced(best, value, [x for x in full[1:] if x[1] > 0])
