"""The pattern LP: column generation over rack patterns, and the bound it proves.

Shared by the ``patterns`` method (which then solves an integer program over the patterns found
here, see :mod:`planner.solver.patterns`) and the ``greedy`` method (whose bound this is).

Identical racks are interchangeable, so a layout is described by **patterns** (the SKU counts of
one rack of a given type) and how many racks use each pattern, as in cutting stock. The master
problem has

* ``x[p] >= 0`` racks filled with pattern ``p`` (of rack type ``t(p)``, SKU counts ``a[p,s]``);
* ``z[s,m] >= 0`` servers of SKU ``s`` serving model ``m`` (as in the compact method);
* ``c[m]`` counted sessions of a model with a ``max`` (max_sessions only);

and the rows ``sum_{p of t} x[p] <= count[t]`` (racks per type), ``sum_p a[p,s] x[p] =
sum_m z[s,m]`` (every placed server serves one model), availability, the hall cap and the demand
minimums. U, power (after derating and redundancy), cooling and weight are per-rack limits: they
live inside the patterns, so the pricing problem is a bounded integer knapsack with those (up to
three) capacity rows, solved exactly by HiGHS.

Column generation solves the LP relaxation over all patterns. At every iteration the Lagrangian
(Farley) bound ``LP(restricted) + sum_t count[t] * min(0, best reduced cost of type t)`` is a
valid bound on the full LP, hence on every integer layout; at convergence it equals the LP. The
knapsack's own proven dual bound is used for "best reduced cost", so the bound stays valid even
when a pricing solve is cut short. A greedy knapsack proposes columns first (three rankings per
rack type); the exact knapsacks run only when it finds none, so only they prove convergence.

Phase 1 (``phase1=True``) minimises the artificial shortfall of the demand minimums instead:
a shortfall left at convergence proves them infeasible even as an LP.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

from .problem import Problem

#: Relative tolerance on reduced costs and on "gap closed".
TOL = 1e-9
#: Column generation stops when the LP and its Lagrangian bound are this close (relative).
CG_STOP_GAP = 1e-4
#: Pricing knapsacks stop at this relative gap; their proven dual bound (not the column found)
#: enters the Lagrangian bound, so the bound stays valid.
KNAPSACK_REL_GAP = 1e-4
#: Upper limit on column-generation rounds (each prices every rack type once).
MAX_ROUNDS = 500


@dataclass
class Instance:
    problem: Problem
    types: list[int]  # rack-type indices with something that fits
    skus: list[int]  # SKU indices with at least one relevant (model, sessions) pair
    pairs: list[tuple[int, str, int]]  # (sku, model, sessions per server)
    ub: np.ndarray  # [type, sku] most servers of a SKU in one rack
    mins: dict[str, int]
    caps: dict[str, int]
    weights: dict[str, float]
    hall: bool = True
    avail: bool = True
    patterns: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    seen: set[tuple[int, tuple[int, ...]]] = field(default_factory=set)

    def offers_every_min(self) -> bool:
        """Whether every model with a minimum has at least one (SKU, model) pair that fits."""
        offered = {m for _, m, _ in self.pairs}
        return all(m in offered for m in self.mins)

    def phase1_meets_mins(self, deadline: float) -> bool | None:
        """Phase 1: ``True`` when the LP meets every minimum, ``False`` when it proves they
        cannot be, ``None`` when the LP could not be solved."""
        cg = column_generation(self, phase1=True, deadline=deadline)
        if cg.lp is None:
            return None
        return cg.art <= 1e-6 * max(1, sum(self.mins.values()))

    def add(self, ti: int, counts: Sequence[int]) -> bool:
        key = (ti, tuple(int(c) for c in counts))
        if key in self.seen or not any(key[1]):
            return False
        self.seen.add(key)
        self.patterns.append(key)
        return True


def build_instance(problem: Problem, *, hall: bool = True, avail: bool = True) -> Instance:
    """The pattern LP of ``problem`` (its relevant models and minimums), with starting patterns.

    ``hall`` or ``avail`` set to ``False`` drops the hall cap or the stock rows (diagnosis).
    """
    servers = problem.servers
    models = problem.relevant_models
    pairs = [
        (s, m, n)
        for s, srv in enumerate(servers)
        for m, n in srv.sessions
        if m in models and n > 0 and srv.available != 0
    ]
    skus = sorted({s for s, _, _ in pairs})
    ub = np.zeros((len(problem.rack_types), len(skus)), dtype=np.int64)
    for t, rack in enumerate(problem.rack_types):
        for j, s in enumerate(skus):
            srv = servers[s]
            k = problem.max_in_rack(rack, srv)
            if srv.available is not None:
                k = min(k, srv.available)
            ub[t, j] = k
    types = [t for t in range(len(problem.rack_types)) if ub[t].any()]
    fitting = {skus[j] for t in types for j in range(len(skus)) if ub[t, j] > 0}
    pairs = [p for p in pairs if p[0] in fitting]
    caps = {}
    if problem.objective == "max_sessions":
        caps = {
            d.model: d.max
            for d in problem.demand
            if d.max is not None and d.weight > 0 and any(p[1] == d.model for p in pairs)
        }
    weights = {m: problem.demand_for(m).weight for m in problem.models}
    inst = Instance(
        problem, types, skus, pairs, ub, problem.mins, caps, weights, hall=hall, avail=avail
    )
    # Start with every single-SKU rack at its fullest, so each SKU is usable from round one, and
    # with a lone server of each SKU, which lets the IP use up the last watts of a hall cap.
    for fill in (lambda k: k, lambda k: 1):
        for t in types:
            for j in range(len(skus)):
                if ub[t, j] > 0:
                    counts = [0] * len(skus)
                    counts[j] = int(fill(ub[t, j]))
                    inst.add(t, counts)
    return inst


class Master:
    """The restricted master LP / IP over ``inst.patterns`` (rebuilt on demand, it is small)."""

    def __init__(self, inst: Instance, phase1: bool) -> None:
        self.inst = inst
        self.phase1 = phase1
        p = inst.problem
        srv = p.servers
        self.n_sku = len(inst.skus)
        self.sku_w = np.array([srv[s].power_w for s in inst.skus])
        self.sku_cost = np.array([srv[s].cost_usd or 0.0 for s in inst.skus])
        self.sku_pos = {s: j for j, s in enumerate(inst.skus)}
        self.type_pos = {t: i for i, t in enumerate(inst.types)}
        self.avail_rows = [
            j for j, s in enumerate(inst.skus) if inst.avail and srv[s].available is not None
        ]
        self.min_models = [m for m, lo in inst.mins.items() if lo > 0]
        self.cap_models = list(inst.caps)
        # Row layout of A_ub: types | avail | hall | mins | caps.
        self.r_type = 0
        self.r_avail = len(inst.types)
        self.r_hall = self.r_avail + len(self.avail_rows)
        self.has_hall = inst.hall and p.hall_w is not None
        self.r_min = self.r_hall + (1 if self.has_hall else 0)
        self.r_cap = self.r_min + len(self.min_models)
        self.n_ub = self.r_cap + len(self.cap_models)

    def sku_cost_coef(self) -> np.ndarray:
        """Objective per placed server of each SKU (minimisation form)."""
        if self.phase1:
            return np.zeros(self.n_sku)
        obj = self.inst.problem.objective
        if obj == "min_power":
            return self.sku_w.copy()
        if obj == "min_cost":
            return self.sku_cost.copy()
        return np.zeros(self.n_sku)

    def rack_cost(self) -> float:
        return 1.0 if (not self.phase1 and self.inst.problem.objective == "min_racks") else 0.0

    def build(self, *, with_art: bool) -> tuple:
        inst, p = self.inst, self.inst.problem
        n_pat = len(inst.patterns)
        n_pair = len(inst.pairs)
        n_cap = len(self.cap_models)
        n_art = len(self.min_models) if with_art else 0
        n = n_pat + n_pair + n_cap + n_art
        self.n_pat, self.n_pair, self.n_cap, self.n_art = n_pat, n_pair, n_cap, n_art
        cost = np.zeros(n)
        ri, ci, v = [], [], []
        ei, ej, ev = [], [], []
        sku_c = self.sku_cost_coef()
        rc = self.rack_cost()
        avail_row = {j: self.r_avail + k for k, j in enumerate(self.avail_rows)}
        for col, (t, counts) in enumerate(inst.patterns):
            a = np.array(counts, dtype=float)
            cost[col] = float(a @ sku_c) + rc
            ri.append(self.r_type + self.type_pos[t])
            ci.append(col)
            v.append(1.0)
            for j in np.nonzero(a)[0]:
                ei.append(j)
                ej.append(col)
                ev.append(a[j])
                if j in avail_row:
                    ri.append(avail_row[j])
                    ci.append(col)
                    v.append(a[j])
            if self.has_hall:
                ri.append(self.r_hall)
                ci.append(col)
                v.append(float(a @ self.sku_w))
        min_row = {m: self.r_min + k for k, m in enumerate(self.min_models)}
        cap_row = {m: self.r_cap + k for k, m in enumerate(self.cap_models)}
        obj = p.objective
        for k, (s, m, sess) in enumerate(inst.pairs):
            col = n_pat + k
            ei.append(self.sku_pos[s])
            ej.append(col)
            ev.append(-1.0)
            if m in min_row:
                ri.append(min_row[m])
                ci.append(col)
                v.append(-float(sess))
            if m in cap_row:
                ri.append(cap_row[m])
                ci.append(col)
                v.append(-float(sess))
            elif obj == "max_sessions" and not self.phase1:
                cost[col] = -inst.weights[m] * sess
        for k, m in enumerate(self.cap_models):
            col = n_pat + n_pair + k
            ri.append(cap_row[m])
            ci.append(col)
            v.append(1.0)
            if not self.phase1:
                cost[col] = -inst.weights[m]
        for k, m in enumerate(self.min_models[:n_art]):
            col = n_pat + n_pair + n_cap + k
            ri.append(min_row[m])
            ci.append(col)
            v.append(-1.0)
            cost[col] = 1.0 if self.phase1 else 0.0
        b_ub = np.zeros(self.n_ub)
        for t, i in self.type_pos.items():
            b_ub[self.r_type + i] = p.rack_types[t].count
        for k, j in enumerate(self.avail_rows):
            b_ub[self.r_avail + k] = p.servers[inst.skus[j]].available
        if self.has_hall:
            b_ub[self.r_hall] = p.hall_w
        for k, m in enumerate(self.min_models):
            b_ub[self.r_min + k] = -inst.mins[m]
        a_ub = coo_array((v, (ri, ci)), shape=(self.n_ub, n)).tocsr()
        a_eq = coo_array((ev, (ei, ej)), shape=(self.n_sku, n)).tocsr()
        upper = np.full(n, np.inf)
        for k, m in enumerate(self.cap_models):
            upper[n_pat + n_pair + k] = inst.caps[m]
        return cost, a_ub, b_ub, a_eq, upper

    def solve_lp(self) -> tuple[float, np.ndarray, dict[str, np.ndarray]] | None:
        cost, a_ub, b_ub, a_eq, upper = self.build(with_art=self.phase1)
        if len(cost) == 0:  # nothing can be placed: the empty layout, all duals 0
            return 0.0, np.zeros(0), {"ub": np.zeros(self.n_ub), "eq": np.zeros(self.n_sku)}
        res = linprog(
            cost,
            A_ub=a_ub if self.n_ub else None,
            b_ub=b_ub if self.n_ub else None,
            A_eq=a_eq,
            b_eq=np.zeros(self.n_sku),
            bounds=np.column_stack([np.zeros(len(cost)), upper]),
            method="highs",
        )
        if res.status != 0:
            return None
        duals = {
            "ub": np.asarray(res.ineqlin.marginals) if self.n_ub else np.zeros(0),
            "eq": np.asarray(res.eqlin.marginals),
        }
        return float(res.fun), np.asarray(res.x), duals

    def price(
        self, duals: dict[str, np.ndarray], deadline: float, exact: bool = True
    ) -> list[tuple[int, list[int], float, float]]:
        """Best pattern per rack type: ``(type, counts, reduced cost, proven lower bound)``."""
        inst = self.inst
        lam_ub, lam_eq = duals["ub"], duals["eq"]
        h = self.sku_cost_coef() - lam_eq
        for k, j in enumerate(self.avail_rows):
            h[j] -= lam_ub[self.r_avail + k]
        if self.has_hall:
            h -= lam_ub[self.r_hall] * self.sku_w
        profit = -h
        out = []
        rc = self.rack_cost()
        for t in inst.types:
            lam_t = lam_ub[self.r_type + self.type_pos[t]]
            if exact:
                counts, value, upper = _knapsack(inst, t, profit, deadline)
                # Every non-empty pattern of type t has reduced cost >= rc - lam_t - upper.
                out.append((t, counts, rc - lam_t - value, rc - lam_t - upper))
                continue
            for mode in range(3):
                counts, value = _greedy_knapsack(inst, t, profit, mode)
                out.append((t, counts, rc - lam_t - value, -math.inf))
        return out


def _greedy_knapsack(
    inst: Instance, t: int, profit: np.ndarray, mode: int = 0
) -> tuple[list[int], float]:
    """Quick pricing heuristic: best profit per share of the scarcest rack resource first.

    ``mode`` 1 and 2 rank by profit per watt and per U instead, for alternative columns.
    """
    problem = inst.problem
    rack = problem.rack_types[t]
    srv = problem.servers
    cand = [j for j in range(len(inst.skus)) if inst.ub[t, j] > 0 and profit[j] > 0]

    def density(j: int) -> float:
        s = srv[inst.skus[j]]
        if mode == 1:
            return profit[j] / s.power_w
        if mode == 2:
            return profit[j] / s.u
        share = max(s.u / max(rack.usable_u, 1e-9), s.power_w / max(rack.usable_w, 1e-9))
        return profit[j] / share

    counts = [0] * len(inst.skus)
    used_u, used_w, used_kg = 0, 0.0, 0.0
    for j in sorted(cand, key=lambda j: (-density(j), j)):
        s = srv[inst.skus[j]]
        room = problem.max_in_rack(rack, s, used_u=used_u, used_w=used_w, used_kg=used_kg)
        k = int(min(int(inst.ub[t, j]), room))
        if k > 0:
            counts[j] = k
            used_u += k * s.u
            used_w += k * s.power_w
            used_kg += k * (s.weight_kg or 0.0)
    return counts, float(profit @ np.array(counts, dtype=float))


def _knapsack(
    inst: Instance, t: int, profit: np.ndarray, deadline: float
) -> tuple[list[int], float, float]:
    """Maximise ``profit @ a`` over one rack of type ``t``: (counts, value, proven upper bound)."""
    rack = inst.problem.rack_types[t]
    srv = inst.problem.servers
    scale = max(1.0, float(np.abs(profit).max()) if len(profit) else 1.0)
    cand = [j for j in range(len(inst.skus)) if inst.ub[t, j] > 0 and profit[j] > TOL * scale]
    counts = [0] * len(inst.skus)
    if not cand:
        return counts, 0.0, 0.0
    u = np.array([srv[inst.skus[j]].u for j in cand], dtype=float)
    w = np.array([srv[inst.skus[j]].power_w for j in cand])
    rows = [u, w]
    caps = [rack.usable_u, rack.usable_w]
    if rack.max_weight_kg is not None:
        rows.append(np.array([srv[inst.skus[j]].weight_kg or 0.0 for j in cand]))
        caps.append(rack.max_weight_kg)
    c = -profit[cand]
    res = milp(
        c=c,
        integrality=np.ones(len(cand)),
        bounds=Bounds(np.zeros(len(cand)), inst.ub[t, cand].astype(float)),
        constraints=[LinearConstraint(np.vstack(rows), -np.inf, np.array(caps, dtype=float))],
        options={
            "time_limit": max(1e-3, deadline - time.perf_counter()),
            "mip_rel_gap": KNAPSACK_REL_GAP,
        },
    )
    if res.x is None:
        # Only the LP bound is known; no column, but a valid bound.
        lp = linprog(
            c,
            A_ub=np.vstack(rows),
            b_ub=np.array(caps, dtype=float),
            bounds=np.column_stack([np.zeros(len(cand)), inst.ub[t, cand]]),
            method="highs",
        )
        return (
            counts,
            0.0,
            float(-lp.fun) if lp.status == 0 else float(profit[cand] @ inst.ub[t, cand]),
        )
    x = np.round(res.x).astype(int)
    for j, k in zip(cand, x, strict=True):
        counts[j] = int(k)
    value = float(profit @ np.array(counts, dtype=float))
    # The proven upper bound is HiGHS's dual bound: with a relative gap tolerance, "optimal"
    # only means within KNAPSACK_REL_GAP, so the incumbent's value alone would not be a bound.
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and math.isfinite(dual):
        upper = -float(dual)
    elif res.status == 0:
        upper = value + KNAPSACK_REL_GAP * abs(value) + TOL * scale
    else:
        upper = math.inf
    return counts, value, max(value, upper)


@dataclass
class CgResult:
    lp: float | None  # restricted master LP value (minimisation form)
    bound: float | None  # valid lower bound on the full LP (minimisation form)
    art: float  # phase 1: remaining shortfall
    rounds: int


def column_generation(
    inst: Instance, *, phase1: bool, deadline: float, on_round: Callable | None = None
) -> CgResult:
    master = Master(inst, phase1)
    bound = -math.inf
    lp_val = None
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        solved = master.solve_lp()
        if solved is None:
            return CgResult(None, None, math.inf, rounds)
        lp_val, x, duals = solved
        total_racks = sum(inst.problem.rack_types[t].count for t in inst.types)
        scale = max(1.0, abs(lp_val) / max(1, total_racks))
        # A cheap heuristic column is good enough to make progress; the exact knapsacks run
        # only when it finds none, and only they can prove convergence and improve the bound.
        added = False
        for t, counts, reduced, _ in master.price(duals, deadline, exact=False):
            if reduced < -1e-7 * scale and inst.add(t, counts):
                added = True
        if not added:
            priced = master.price(duals, deadline)
            lagrange = lp_val + sum(
                inst.problem.rack_types[t].count * min(0.0, lower) for t, _, _, lower in priced
            )
            bound = max(bound, lagrange)
            for t, counts, reduced, _ in priced:
                if reduced < -1e-7 * scale and inst.add(t, counts):
                    added = True
        if on_round is not None:
            on_round(lp_val, bound)
        # Stop once the Lagrangian bound is within CG_STOP_GAP of the LP: the bound stays valid,
        # and the tail of column generation is where most of its rounds go.
        closed = lp_val - bound <= CG_STOP_GAP * max(1.0, abs(lp_val)) or (
            phase1 and lp_val <= 1e-9
        )
        if not added or closed or time.perf_counter() >= deadline:
            break
    if lp_val is not None and not math.isfinite(bound) and not phase1:
        # Stopped (time limit) before any exact pricing round: one is needed for a valid bound.
        priced = master.price(duals, time.perf_counter() + 5.0)
        bound = lp_val + sum(
            inst.problem.rack_types[t].count * min(0.0, lower) for t, _, _, lower in priced
        )
    art = 0.0
    if phase1 and lp_val is not None:
        art = lp_val
    return CgResult(lp_val, min(bound, lp_val) if lp_val is not None else None, art, rounds)


def lp_bound(problem: Problem, *, deadline: float) -> float | None:
    """Valid bound (objective's own sense) from the pattern LP relaxation, or None."""
    inst = build_instance(problem)
    mins = inst.mins
    if not inst.offers_every_min():
        return None
    if mins:
        cg = column_generation(inst, phase1=True, deadline=deadline)
        if cg.lp is None or cg.art > 1e-6:
            return None
    cg = column_generation(inst, phase1=False, deadline=deadline)
    if cg.bound is None:
        return None
    sign = -1.0 if problem.objective == "max_sessions" else 1.0
    return sign * cg.bound


