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
three) capacity rows, solved exactly by the dynamic program of :mod:`planner.solver.pricing` (a
HiGHS MILP where a weight limit applies).

Column generation solves the LP relaxation over all patterns. Every round prices every rack type
exactly, at duals smoothed towards the best Lagrangian duals so far, and adds the best patterns
(with runners-up and greedy fills) whose reduced cost at the LP duals is negative. The
Lagrangian bound (:meth:`Master.lagrangian`) at every priced dual point is a valid bound on the
full LP, hence on every integer layout; at convergence it equals the LP. The MILP's proven dual
bound stands for "best reduced cost" where it prices, so the bound stays valid even when a
pricing solve is cut short.

Phase 1 (``phase1=True``) minimises the artificial shortfall of the demand minimums instead:
a shortfall left at convergence proves them infeasible even as an LP.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import costs
from .highs import Bounds, LinearConstraint, coo_array, csr_array, hstack, linprog, milp
from .pricing import Knapsack, solve_knapsack
from .problem import Problem

#: Relative tolerance on reduced costs and on "gap closed".
TOL = 1e-9
#: Column generation stops when the LP and its Lagrangian bound are this close (relative). At
#: 1e-4 the bound stayed up to 0.01 % above the LP, half of the worst proven gap at 1,000 racks;
#: the few rounds that close it to 2e-5 take a few tens of ms there.
CG_STOP_GAP = 2e-5
#: Pricing knapsacks stop at this relative gap; their proven dual bound (not the column found)
#: enters the Lagrangian bound, so the bound stays valid.
KNAPSACK_REL_GAP = 1e-4
#: Weight of the stability centre's duals in the smoothed duals column generation prices at.
SMOOTHING = 0.5
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
    knapsacks: dict[int, Knapsack | None] = field(default_factory=dict)
    lp_s_per_col: float = 0.0  # latest master LP, seconds per column

    def knapsack(self, t: int) -> Knapsack | None:
        """Rack type ``t``'s pricing data for the dynamic program, or ``None`` when a weight
        limit applies to some SKU (a third capacity: the MILP prices that rack type)."""
        if t not in self.knapsacks:
            rack = self.problem.rack_types[t]
            servers = [self.problem.servers[s] for s in self.skus]
            weighed = rack.max_weight_kg is not None and any(s.weight_kg for s in servers)
            self.knapsacks[t] = None if weighed else Knapsack(
                usable_u=rack.usable_u,
                usable_w=rack.usable_w,
                u=np.array([s.u for s in servers], dtype=np.int64),
                w=np.array([s.power_w for s in servers], dtype=float),
                ub=self.ub[t].copy(),
                alone=np.array([self.problem.max_in_rack(rack, s) for s in servers]),
            )
        return self.knapsacks[t]

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

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """The patterns as arrays: rack type per pattern and counts (patterns x SKUs).

        Grown from the rows added since the last call, so building the master each round costs
        numpy work on new patterns only, not a Python loop over all of them.
        """
        have = len(self._types)
        if have < len(self.patterns):
            new = self.patterns[have:]
            self._types = np.concatenate([self._types, [t for t, _ in new]]).astype(np.int64)
            rows = np.array([c for _, c in new], dtype=float).reshape(len(new), len(self.skus))
            self._counts = np.vstack([self._counts, rows])
        return self._types, self._counts

    def __post_init__(self) -> None:
        self._types = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros((0, len(self.skus)))

    def most_servers(self) -> np.ndarray:
        """Most servers of each SKU any layout can place (racks x fit, capped by stock)."""
        counts = np.array([self.problem.rack_types[t].count for t in self.types], dtype=float)
        most = np.zeros(len(self.skus))
        if self.types:
            most = counts @ self.ub[self.types].astype(float)
        for j, s in enumerate(self.skus):
            available = self.problem.servers[s].available
            if self.avail and available is not None:
                most[j] = min(most[j], available)
        return most


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
        # What a server and a used rack cost (min_tco, budget_usd; planner.solver.costs).
        self.sku_tco = np.array([costs.server_usd(srv[s], p.tco) for s in inst.skus])
        self.has_budget = p.budget_usd is not None
        self.sku_budget = np.array(
            [costs.server_usd(srv[s], p.tco, p.budget_basis) for s in inst.skus]
        )
        # Row layout of A_ub: types | avail | hall | mins | caps | budget.
        self.r_type = 0
        self.r_avail = len(inst.types)
        self.r_hall = self.r_avail + len(self.avail_rows)
        self.has_hall = inst.hall and p.hall_w is not None
        self.r_min = self.r_hall + (1 if self.has_hall else 0)
        self.r_cap = self.r_min + len(self.min_models)
        self.r_budget = self.r_cap + len(self.cap_models)
        self.n_ub = self.r_budget + (1 if self.has_budget else 0)

    def rack_budget(self, t: int) -> float:
        """What one used rack of type ``t`` adds to the budget row."""
        p = self.inst.problem
        return costs.rack_usd(p.rack_types[t], p.tco, p.budget_basis)

    def sku_cost_coef(self) -> np.ndarray:
        """Objective per placed server of each SKU (minimisation form)."""
        if self.phase1:
            return np.zeros(self.n_sku)
        obj = self.inst.problem.objective
        if obj == "min_power":
            return self.sku_w.copy()
        if obj == "min_cost":
            return self.sku_cost.copy()
        if obj == "min_tco":
            return self.sku_tco.copy()
        return np.zeros(self.n_sku)

    def rack_cost(self, t: int) -> float:
        """Objective of one used rack of type ``t`` (minimisation form)."""
        if self.phase1:
            return 0.0
        p = self.inst.problem
        if p.objective == "min_racks":
            return 1.0
        if p.objective == "min_tco":
            return costs.rack_usd(p.rack_types[t], p.tco)
        return 0.0

    def build(self, *, with_art: bool) -> tuple:
        """``(cost, a_ub, b_ub, a_eq, upper)`` of the master over the current patterns.

        Columns: patterns | (SKU, model) pairs | capped models | artificials. The pattern block
        is numpy work on the pattern matrix; the rest does not change between rounds and is
        built once per master.
        """
        inst = self.inst
        types, a = inst.matrix()
        n_pat = len(types)
        if getattr(self, "_fixed", None) is None or self._fixed[0] != with_art:
            self._fixed = (with_art, *self._build_fixed(with_art))
        _, f_cost, f_ub, f_eq, f_upper, b_ub = self._fixed
        self.n_pat = n_pat
        n = n_pat + len(f_cost)
        type_rc = np.array([self.rack_cost(t) for t in range(len(inst.problem.rack_types))])
        cost = np.concatenate([a @ self.sku_cost_coef() + type_rc[types], f_cost])
        block = np.zeros((self.n_ub, n_pat))
        type_row = np.array([self.type_pos.get(t, 0) for t in range(len(type_rc))])
        block[self.r_type + type_row[types], np.arange(n_pat)] = 1.0
        if self.avail_rows:
            block[self.r_avail : self.r_avail + len(self.avail_rows)] = a[:, self.avail_rows].T
        if self.has_hall:
            block[self.r_hall] = a @ self.sku_w
        if self.has_budget:
            rack_b = np.array([self.rack_budget(t) for t in range(len(type_rc))])
            block[self.r_budget] = a @ self.sku_budget + rack_b[types]
        a_ub = hstack([csr_array(block), f_ub], format="csr")
        a_eq = hstack([csr_array(a.T), f_eq], format="csr")
        upper = np.concatenate([np.full(n_pat, np.inf), f_upper])
        self.n_cols = n
        return cost, a_ub, b_ub, a_eq, upper

    def _build_fixed(self, with_art: bool) -> tuple:
        """The columns after the patterns (pairs, caps, artificials) and the right-hand side."""
        inst, p = self.inst, self.inst.problem
        n_pair = len(inst.pairs)
        n_cap = len(self.cap_models)
        n_art = len(self.min_models) if with_art else 0
        n = n_pair + n_cap + n_art
        self.n_pair, self.n_cap, self.n_art = n_pair, n_cap, n_art
        cost = np.zeros(n)
        ri, ci, v = [], [], []
        ei, ej, ev = [], [], []
        min_row = {m: self.r_min + k for k, m in enumerate(self.min_models)}
        cap_row = {m: self.r_cap + k for k, m in enumerate(self.cap_models)}
        obj = p.objective
        for k, (s, m, sess) in enumerate(inst.pairs):
            col = k
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
            col = n_pair + k
            ri.append(cap_row[m])
            ci.append(col)
            v.append(1.0)
            if not self.phase1:
                cost[col] = -inst.weights[m]
        for k, m in enumerate(self.min_models[:n_art]):
            col = n_pair + n_cap + k
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
        if self.has_budget:
            b_ub[self.r_budget] = p.budget_usd
        for k, m in enumerate(self.min_models):
            b_ub[self.r_min + k] = -inst.mins[m]
        a_ub = coo_array((v, (ri, ci)), shape=(self.n_ub, n)).tocsr()
        a_eq = coo_array((ev, (ei, ej)), shape=(self.n_sku, n)).tocsr()
        upper = np.full(n, np.inf)
        for k, m in enumerate(self.cap_models):
            upper[n_pair + k] = inst.caps[m]
        # Finite bounds every optimal layout meets, for the Lagrangian bound (see lagrangian):
        # servers of a SKU serving one model <= all that can be placed; shortfall <= minimum.
        most = inst.most_servers()
        self.bound_of = upper.copy()
        for k, (s, _, _) in enumerate(inst.pairs):
            self.bound_of[k] = most[self.sku_pos[s]]
        for k, m in enumerate(self.min_models[:n_art]):
            self.bound_of[n_pair + n_cap + k] = inst.mins[m]
        return cost, a_ub, a_eq, upper, b_ub

    def solve_lp(self) -> tuple[float, np.ndarray, dict[str, np.ndarray]] | None:
        started = time.perf_counter()
        try:
            return self._solve_lp()
        finally:
            # Seconds per column of the latest (largest) master LP: the IP steps use it to tell
            # whether HiGHS can get past its root LP (where it does not check its time limit)
            # in the time they have.
            per_col = (time.perf_counter() - started) / max(1, getattr(self, "n_cols", 1))
            self.inst.lp_s_per_col = per_col

    def _solve_lp(self) -> tuple[float, np.ndarray, dict[str, np.ndarray]] | None:
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

    def profit(self, duals: dict[str, np.ndarray]) -> np.ndarray:
        """What one placed server of each SKU earns under ``duals`` (pricing's knapsack profit)."""
        lam_ub, lam_eq = duals["ub"], duals["eq"]
        h = self.sku_cost_coef() - lam_eq
        for k, j in enumerate(self.avail_rows):
            h[j] -= lam_ub[self.r_avail + k]
        if self.has_hall:
            h -= lam_ub[self.r_hall] * self.sku_w
        if self.has_budget:
            h -= lam_ub[self.r_budget] * self.sku_budget
        return -h

    def reduced_cost(self, duals: dict[str, np.ndarray], t: int, counts: Sequence[int]) -> float:
        """Reduced cost of the pattern ``counts`` of rack type ``t`` under ``duals``."""
        lam_ub = duals["ub"]
        rc = self.rack_cost(t) - lam_ub[self.r_type + self.type_pos[t]]
        if self.has_budget:
            rc -= lam_ub[self.r_budget] * self.rack_budget(t)
        return rc - float(self.profit(duals) @ np.asarray(counts, dtype=float))

    def lagrangian(
        self, duals: dict[str, np.ndarray], priced: list[tuple[int, list[int], float, float]]
    ) -> float:
        """The Lagrangian bound at ``duals`` (any duals of the right signs, not only the LP's).

        Every row but the racks-per-type rows is relaxed with its dual; what is left splits into
        the rack types (each at most ``count`` racks of its best pattern, whose proven lower
        reduced cost ``priced`` holds) and the other columns, each between 0 and a bound every
        optimal layout meets (:attr:`bound_of`). So the bound is valid at every round and at
        smoothed duals, and equals the LP at the LP's optimum once no pattern prices out.
        """
        y = np.minimum(duals["ub"], 0.0)  # rows are <=: their duals are <= 0 (clip noise)
        lam = duals["eq"]
        _, f_cost, f_ub, f_eq, _, b_ub = self._fixed
        n_types = len(self.inst.types)
        value = float(y[n_types:] @ b_ub[n_types:])
        rc = f_cost - f_ub.T @ y - f_eq.T @ lam
        value += float(np.sum(self.bound_of * np.minimum(rc, 0.0)))
        for t, _, _, lower in priced:
            # ``lower`` includes the type row's dual; the relaxation keeps that row instead.
            free = lower + duals["ub"][self.r_type + self.type_pos[t]]
            value += self.inst.problem.rack_types[t].count * min(0.0, free)
        return value

    def price(
        self,
        duals: dict[str, np.ndarray],
        deadline: float,
        exact: bool = True,
        extra: list[tuple[int, list[int], float]] | None = None,
    ) -> list[tuple[int, list[int], float, float]]:
        """Best pattern per rack type: ``(type, counts, reduced cost, proven lower bound)``.

        With ``extra``, runner-up patterns of the exact pricing are appended to it as
        ``(type, counts, reduced cost)``: more columns per round, fewer rounds.
        """
        inst = self.inst
        lam_ub = duals["ub"]
        profit = self.profit(duals)
        out = []
        for t in inst.types:
            lam_t = lam_ub[self.r_type + self.type_pos[t]]
            rc = self.rack_cost(t)
            if self.has_budget:
                rc -= lam_ub[self.r_budget] * self.rack_budget(t)
            if exact:
                counts, value, upper, others = _knapsack(inst, t, profit, deadline)
                # Every non-empty pattern of type t has reduced cost >= rc - lam_t - upper.
                out.append((t, counts, rc - lam_t - value, rc - lam_t - upper))
                if extra is not None:
                    extra.extend((t, c, rc - lam_t - v) for c, v in others)
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
) -> tuple[list[int], float, float, list[tuple[list[int], float]]]:
    """Maximise ``profit @ a`` over one rack of type ``t``.

    Returns (counts, value, proven upper bound, runners-up as (counts, value)). The dynamic
    program of :mod:`planner.solver.pricing` solves it exactly; a HiGHS MILP stands in where it
    does not apply (weight limits) and proves its bound with its dual bound.
    """
    rack = inst.problem.rack_types[t]
    srv = inst.problem.servers
    scale = max(1.0, float(np.abs(profit).max()) if len(profit) else 1.0)
    cand = [j for j in range(len(inst.skus)) if inst.ub[t, j] > 0 and profit[j] > TOL * scale]
    counts = [0] * len(inst.skus)
    if not cand:
        return counts, 0.0, 0.0, []
    ks = inst.knapsack(t)
    priced = None
    if ks is not None:
        types, patterns = inst.matrix()
        priced = solve_knapsack(ks, profit, np.array(cand), known=patterns[types == t])
    if priced is not None:
        # Exact up to float rounding of the sums: the slack keeps the bound on the safe side.
        slack = 1e-9 * max(1.0, abs(priced.value)) + TOL * scale * max(1, rack.usable_u)
        others = [(a.tolist(), v) for a, v in priced.others]
        return priced.counts.tolist(), priced.value, priced.value + slack, others
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
            [],
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
    return counts, value, max(value, upper), []


@dataclass
class CgResult:
    lp: float | None  # restricted master LP value (minimisation form)
    bound: float | None  # valid lower bound on the full LP (minimisation form)
    art: float  # phase 1: remaining shortfall
    rounds: int


def column_generation(
    inst: Instance, *, phase1: bool, deadline: float, on_round: Callable | None = None
) -> CgResult:
    """Column generation with exact pricing every round and Wentges dual smoothing.

    Each round solves the restricted master LP and prices every rack type exactly at duals
    smoothed towards the best Lagrangian duals so far (the stability centre): column generation
    on cutting-stock masters is degenerate, the LP duals jump, and pricing at them alone spends
    most rounds in a slow tail. A column is added when its reduced cost at the LP duals is
    negative; when no smoothed column is (a mis-price) the round prices again at the LP duals.
    The Lagrangian bound at every priced dual point is valid (:meth:`Master.lagrangian`), so
    the bound is honest whenever the time limit stops the loop; a mis-price improves it.
    """
    master = Master(inst, phase1)
    bound = -math.inf
    lp_val = None
    center: dict[str, np.ndarray] | None = None
    rounds = 0
    total_racks = sum(inst.problem.rack_types[t].count for t in inst.types)
    for rounds in range(1, MAX_ROUNDS + 1):
        solved = master.solve_lp()
        if solved is None:
            return CgResult(None, None, math.inf, rounds)
        lp_val, x, duals = solved
        scale = max(1.0, abs(lp_val) / max(1, total_racks))
        added = False
        alpha = SMOOTHING if center is not None else 0.0
        while True:
            at = duals if alpha == 0.0 else {
                k: alpha * center[k] + (1.0 - alpha) * duals[k] for k in duals
            }
            extra: list[tuple[int, list[int], float]] = []
            priced = master.price(at, deadline, extra=extra)
            lagrange = master.lagrangian(at, priced)
            if lagrange > bound:
                bound, center = lagrange, at
            if center is None:
                center = at
            found = [(t, c) for t, c, _, _ in priced] + [(t, c) for t, c, _ in extra]
            if alpha == 0.0:
                found += [(t, c) for t, c, _, _ in master.price(duals, deadline, exact=False)]
            for t, counts in found:
                if master.reduced_cost(duals, t, counts) < -1e-7 * scale and inst.add(t, counts):
                    added = True
            if added or alpha == 0.0 or time.perf_counter() >= deadline:
                break
            alpha = 0.0  # a mis-price: price at the LP duals themselves
        if on_round is not None:
            on_round(lp_val, bound)
        # Stop once the Lagrangian bound is within CG_STOP_GAP of the LP: the bound stays valid,
        # and the tail of column generation is where most of its rounds go.
        closed = lp_val - bound <= CG_STOP_GAP * max(1.0, abs(lp_val)) or (
            phase1 and lp_val <= 1e-9
        )
        if not added or closed or time.perf_counter() >= deadline:
            break
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


