"""Pattern method for whole halls: column generation over rack patterns, then an integer program.

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

Then an integer program over the generated patterns (integer ``x`` and ``z``) gives the layout:
first a dive (the LP's whole racks are kept as lower bounds, the IP decides the rest), then, if
the gap to the LP bound is still above ``ENLARGE_GAP``, the full IP, and once more after enlarging
the pattern set with patterns priced under perturbed duals. The greedy fill (``greedy.py``) is
always a candidate and seeds the patterns. The result is ``optimal`` only when the incumbent meets
the LP bound (after rounding the bound when every objective coefficient is integral).

A demand minimum that even the LP relaxation cannot meet (phase 1: minimise the artificial
shortfall) proves infeasibility; re-running phase 1 with the hall cap or availability dropped names
the blocking constraint.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

from .exact import ExactOutcome, trivial_reason
from .layout import RackFill, objective_value
from .problem import Problem

Emit = Callable[..., None]

#: Relative tolerance on reduced costs and on "gap closed".
TOL = 1e-9
#: The IP over patterns stops at this relative gap (to its own, restricted, bound).
IP_REL_GAP = 2e-4
#: Above this relative gap after the IP, enlarge the pattern set and run the IP again.
ENLARGE_GAP = 5e-4
#: Column generation stops when the LP and its Lagrangian bound are this close (relative).
CG_STOP_GAP = 1e-4
#: Pricing knapsacks stop at this relative gap; their proven dual bound (not the column found)
#: enters the Lagrangian bound, so the bound stays valid.
KNAPSACK_REL_GAP = 1e-4
#: Upper limit on column-generation rounds (each prices every rack type once).
MAX_ROUNDS = 500


@dataclass
class _Instance:
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

    def add(self, ti: int, counts: Sequence[int]) -> bool:
        key = (ti, tuple(int(c) for c in counts))
        if key in self.seen or not any(key[1]):
            return False
        self.seen.add(key)
        self.patterns.append(key)
        return True


def _instance(problem: Problem, models: Sequence[str], mins: Mapping[str, int]) -> _Instance:
    servers = problem.servers
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
            k = min(rack.usable_u // srv.u, math.floor(rack.usable_w / srv.power_w + 1e-9))
            if rack.max_weight_kg is not None and srv.weight_kg:
                k = min(k, math.floor(rack.max_weight_kg / srv.weight_kg + 1e-9))
            if srv.available is not None:
                k = min(k, srv.available)
            ub[t, j] = max(0, k)
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
    inst = _Instance(problem, types, skus, pairs, ub, dict(mins), caps, weights)
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


class _Master:
    """The restricted master LP / IP over ``inst.patterns`` (rebuilt on demand, it is small)."""

    def __init__(self, inst: _Instance, phase1: bool) -> None:
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
    inst: _Instance, t: int, profit: np.ndarray, mode: int = 0
) -> tuple[list[int], float]:
    """Quick pricing heuristic: best profit per share of the scarcest rack resource first.

    ``mode`` 1 and 2 rank by profit per watt and per U instead, for alternative columns.
    """
    rack = inst.problem.rack_types[t]
    srv = inst.problem.servers
    left_u, left_w = float(rack.usable_u), rack.usable_w
    left_kg = rack.max_weight_kg if rack.max_weight_kg is not None else math.inf
    cand = [j for j in range(len(inst.skus)) if inst.ub[t, j] > 0 and profit[j] > 0]

    def density(j: int) -> float:
        s = srv[inst.skus[j]]
        if mode == 1:
            return profit[j] / s.power_w
        if mode == 2:
            return profit[j] / s.u
        share = max(s.u / max(left_u, 1e-9), s.power_w / max(left_w, 1e-9))
        return profit[j] / share

    counts = [0] * len(inst.skus)
    for j in sorted(cand, key=lambda j: (-density(j), j)):
        s = srv[inst.skus[j]]
        k = min(int(inst.ub[t, j]), int(left_u // s.u), math.floor(left_w / s.power_w + 1e-9))
        if s.weight_kg and left_kg != math.inf:
            k = min(k, math.floor(left_kg / s.weight_kg + 1e-9))
        if k > 0:
            counts[j] = k
            left_u -= k * s.u
            left_w -= k * s.power_w
            left_kg -= k * (s.weight_kg or 0.0)
    return counts, float(profit @ np.array(counts, dtype=float))


def _knapsack(
    inst: _Instance, t: int, profit: np.ndarray, deadline: float
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
class _CgResult:
    lp: float | None  # restricted master LP value (minimisation form)
    bound: float | None  # valid lower bound on the full LP (minimisation form)
    art: float  # phase 1: remaining shortfall
    rounds: int


def _column_generation(
    inst: _Instance, *, phase1: bool, deadline: float, on_round: Callable | None = None
) -> _CgResult:
    master = _Master(inst, phase1)
    bound = -math.inf
    lp_val = None
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        solved = master.solve_lp()
        if solved is None:
            return _CgResult(None, None, math.inf, rounds)
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
    return _CgResult(lp_val, min(bound, lp_val) if lp_val is not None else None, art, rounds)


def _ip(
    inst: _Instance, deadline: float, share: float = 1.0, floor: dict | None = None
) -> tuple[np.ndarray | None, bool]:
    """Integer program over the current patterns.

    ``floor`` maps patterns to a minimum rack count (a dive: keep the LP's whole racks and let the
    IP decide only the fractional remainder), which makes hall-scale IPs small.
    """
    master = _Master(inst, phase1=False)
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
    res = milp(
        c=cost,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        constraints=cons,
        options={
            "time_limit": max(1e-3, share * (deadline - time.perf_counter())),
            "mip_rel_gap": IP_REL_GAP,
            "disp": False,
        },
    )
    if res.x is None:
        return None, False
    x = np.array(res.x)
    x[integrality == 1] = np.round(x[integrality == 1])
    return x, res.status == 0


def _fills(inst: _Instance, x: np.ndarray) -> tuple[RackFill, ...]:
    """Expand pattern counts into racks and deal the models out rack by rack (input order)."""
    n_pat = len(inst.patterns)
    queues: dict[int, list[list]] = {}
    for k, (s, m, _) in enumerate(inst.pairs):
        cnt = int(x[n_pat + k])
        if cnt > 0:
            queues.setdefault(s, []).append([m, cnt])
    order = sorted(range(n_pat), key=lambda i: (inst.patterns[i][0], i))
    fills = []
    for i in order:
        t, counts = inst.patterns[i]
        for _ in range(int(x[i])):
            items: dict[tuple[int, str], int] = {}
            for j, need in enumerate(counts):
                s = inst.skus[j]
                queue = queues.get(s, [])
                while need > 0 and queue:
                    m, left = queue[0]
                    take = min(need, left)
                    items[(s, m)] = items.get((s, m), 0) + take
                    need -= take
                    queue[0][1] -= take
                    if queue[0][1] == 0:
                        queue.pop(0)
                # Servers of the pattern that no model needs are left out (they earn nothing).
            if items:
                fills.append(RackFill(t, tuple(sorted((s, m, k) for (s, m), k in items.items()))))
    return tuple(fills)


def _integral_objective(problem: Problem, inst: _Instance) -> bool:
    """True when every layout's objective is an integer (so a bound may be rounded)."""
    obj = problem.objective
    if obj == "min_racks":
        return True
    if obj == "min_power":
        return all(float(problem.servers[s].power_w).is_integer() for s in inst.skus)
    if obj == "min_cost":
        return all(float(problem.servers[s].cost_usd or 0).is_integer() for s in inst.skus)
    return all(float(w).is_integer() for w in inst.weights.values())


def relevant_models(problem: Problem) -> list[str]:
    out = []
    for m in problem.models:
        d = problem.demand_for(m)
        if d.min > 0 or (problem.objective == "max_sessions" and d.weight > 0 and d.max != 0):
            out.append(m)
    return out


def lp_bound(problem: Problem, *, deadline: float) -> float | None:
    """Valid bound (objective's own sense) from the pattern LP relaxation, or None."""
    mins = {d.model: d.min for d in problem.demand if d.min > 0}
    inst = _instance(problem, relevant_models(problem), mins)
    if any(m not in {p[1] for p in inst.pairs} for m in mins):
        return None
    if mins:
        cg = _column_generation(inst, phase1=True, deadline=deadline)
        if cg.lp is None or cg.art > 1e-6:
            return None
    cg = _column_generation(inst, phase1=False, deadline=deadline)
    if cg.bound is None:
        return None
    sign = -1.0 if problem.objective == "max_sessions" else 1.0
    return sign * cg.bound


def solve_patterns(problem: Problem, *, deadline: float, emit: Emit) -> ExactOutcome:
    """Solve by column generation + IP over patterns (see the module docstring)."""
    sign = -1.0 if problem.objective == "max_sessions" else 1.0
    mins = {d.model: d.min for d in problem.demand if d.min > 0}
    inst = _instance(problem, relevant_models(problem), mins)
    offered = {p[1] for p in inst.pairs}
    if any(m not in offered for m in mins):
        return ExactOutcome("infeasible", None, None, _infeasible_reason(problem, inst))

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
    from .greedy import greedy_fills  # greedy imports this module for its LP bound

    greedy, met = greedy_fills(problem)
    for fill in dict.fromkeys(greedy):
        counts = [0] * len(inst.skus)
        pos = {s: j for j, s in enumerate(inst.skus)}
        for s, _, k in fill.items:
            counts[pos[s]] += k
        inst.add(fill.rack_type, counts)
    if mins and not met:
        cg = _column_generation(inst, phase1=True, deadline=deadline)
        if cg.lp is not None and cg.art > 1e-6 * max(1, sum(mins.values())):
            return ExactOutcome("infeasible", None, None, _infeasible_reason(problem, inst))
    cg = _column_generation(inst, phase1=False, deadline=deadline, on_round=report)
    if cg.bound is None:
        return ExactOutcome("unknown", None, None, "the pattern LP could not be solved in time")
    bound_min = cg.bound  # minimisation form
    if not math.isfinite(bound_min):
        return ExactOutcome("unknown", None, None, "no valid bound from the pattern LP in time")
    integral = _integral_objective(problem, inst)
    if integral:
        bound_min = math.ceil(bound_min - 1e-6)
    best_x, best_val = None, math.inf
    if met:
        best_x, best_val = greedy, sign * objective_value(problem, greedy)
    floor = _lp_floor(inst)
    attempts = [floor, None, None] if floor else [None, None]
    for attempt, fixed in enumerate(attempts):
        x, _ = _ip(inst, deadline, share=0.5 if attempt == 0 else 1.0, floor=fixed)
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
        return ExactOutcome("unknown", None, sign * bound_min, "no integer layout over patterns")
    closed = best_val - bound_min <= TOL * max(1.0, abs(best_val))
    tidier = _lexicographic(inst, best_x, best_val, sign, deadline)
    if tidier is not None:
        best_x = tidier
        emit("tidy", incumbent=sign * best_val, bound=sign * bound_min)
    return ExactOutcome("optimal" if closed else "feasible", best_x, sign * bound_min)


def _top_up(inst: _Instance) -> None:
    """Add, for every pattern and SKU, the pattern with that SKU filling what the rack has left.

    Column generation prices patterns for the objective alone, which leaves out the dense
    mixed racks the tie-break needs (four 8U servers and three 1U ones in the leftover U).
    """
    problem = inst.problem
    servers = [problem.servers[s] for s in inst.skus]
    for t, counts in list(inst.patterns):
        rack = problem.rack_types[t]
        used_u = sum(k * srv.u for k, srv in zip(counts, servers, strict=True))
        used_w = sum(k * srv.power_w for k, srv in zip(counts, servers, strict=True))
        used_kg = sum(k * (srv.weight_kg or 0.0) for k, srv in zip(counts, servers, strict=True))
        for j, srv in enumerate(servers):
            room = min(
                (rack.usable_u - used_u) // srv.u,
                math.floor((rack.usable_w - used_w) / srv.power_w + 1e-9),
                int(inst.ub[t, j]) - counts[j],
            )
            if rack.max_weight_kg is not None and srv.weight_kg:
                room = min(room, math.floor((rack.max_weight_kg - used_kg) / srv.weight_kg + 1e-9))
            if room > 0:
                topped = list(counts)
                topped[j] += room
                inst.add(t, topped)


def _layout_key(problem: Problem, fills: Sequence[RackFill]) -> tuple[int, float]:
    """(racks used, server watts): the tie-break levels after the objective."""
    watts = sum(k * problem.servers[s].power_w for fill in fills for s, _, k in fill.items)
    return sum(1 for fill in fills if fill.items), watts


def _lexicographic(
    inst: _Instance, fills: tuple[RackFill, ...], value: float, sign: float, deadline: float
) -> tuple[RackFill, ...] | None:
    """Among pattern layouts as good as ``fills`` (objective ``value``, minimisation form), the
    fewest racks, then the least server power: two more IPs over the generated patterns (every
    single-SKU rack at its fullest is among them) with the earlier levels held.

    Returns a better layout, or None. The levels are optimal over the generated patterns, which
    is what the method proves for its objective too.
    """
    problem = inst.problem
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05 or not inst.patterns:
        return None
    _top_up(inst)
    master = _Master(inst, phase1=False)
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

    def solve_level(objective: np.ndarray, rows: list, share: float) -> np.ndarray | None:
        left = deadline - time.perf_counter()
        if left <= 0.01:
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


def _lp_floor(inst: _Instance) -> dict[tuple[int, tuple[int, ...]], int]:
    """Whole racks of each pattern in the LP optimum (empty when the LP is not solved)."""
    solved = _Master(inst, phase1=False).solve_lp()
    if solved is None:
        return {}
    _, x, _ = solved
    return {
        key: int(math.floor(x[i] + 1e-9)) for i, key in enumerate(inst.patterns) if x[i] >= 1 - 1e-9
    }


def _enlarge(inst: _Instance, deadline: float) -> bool:
    """Add patterns: the best knapsack fills for random-free, deterministic dual perturbations.

    Prices every rack type against the LP duals with each SKU's profit nudged down in turn, which
    yields near-optimal alternative patterns the IP can combine. Returns whether any was new.
    """
    master = _Master(inst, phase1=False)
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


def _infeasible_reason(problem: Problem, inst: _Instance) -> str:
    """Name the model(s) whose minimum fails and the constraint group that blocks it."""
    simple = trivial_reason(problem)
    if simple is not None:
        return simple
    names = ", ".join(repr(m) for m in inst.mins)
    deadline = time.perf_counter() + 5.0

    def meetable(**relax: bool) -> bool:
        trial = _instance(problem, relevant_models(problem), inst.mins)
        trial.hall = relax.get("hall", True)
        trial.avail = relax.get("avail", True)
        cg = _column_generation(trial, phase1=True, deadline=deadline)
        return cg.lp is not None and cg.art <= 1e-6 * max(1, sum(inst.mins.values()))

    head = (
        f"demand mins of models {names} cannot all be met"
        if len(inst.mins) > 1
        else (f"demand min of model {names} cannot be met")
    )
    if problem.hall_power_kw is not None and meetable(hall=False):
        return f"{head} under the hall power cap ({problem.hall_power_kw:g} kW)"
    if any(s.available is not None for s in problem.servers) and meetable(avail=False):
        return f"{head} under the server availability limits"
    return f"{head} under the rack U, power, cooling and weight budgets (even as an LP relaxation)"
