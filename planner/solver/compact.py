"""The ``compact`` method: one mixed-integer program solved by HiGHS (``scipy.optimize.milp``).

Formulation. Every rack type with at least one server that fits in it is expanded into its
``count`` physical racks. Which model a server serves does not change its U or power, so the
rack-level and model-level decisions are separate integer variables:

* ``y[r,s]`` = number of servers of SKU ``s`` in rack ``r``;
* ``z[s,m]`` = number of servers of SKU ``s`` (over all racks) that serve model ``m``, for each
  model ``s`` offers with a positive number of sessions;
* ``sum_m z[s,m] = sum_r y[r,s]`` (every placed server serves exactly one model).

That needs racks x SKUs + SKUs x models variables instead of racks x SKUs x models, and solved
a mixed benchmark catalogue up to 10x faster than a per-rack-per-model form. Constraints:

* per rack: ``sum u_s y <= u - reserved_u`` and ``sum power_w y <= usable_w`` (power after
  feeds, derating and reserves, or cooling if tighter), ``sum weight_kg y <= max_weight_kg``;
* per SKU with ``available``: ``sum_r y[r,s] <= available``;
* hall: ``sum power_w y <= hall_power_kw*1000``;
* per model with ``min > 0``: ``sum_s sessions[s][m] z[s,m] >= min``.

For ``max_sessions`` a model with a ``max`` gets a continuous variable ``c[m] <= max`` with
``c[m] <= sum sessions z``; its weight goes on ``c[m]``, so sessions beyond ``max`` earn nothing.
Models without a max put their weight straight on ``z``.

Only variables that can matter are created: models that are irrelevant to the objective and have
no minimum (weight 0 or max 0 under max_sessions; every min-0 model under min_power/min_cost) get
no variables, since placing a server for them can only cost power or money.

After a proven optimum, two more MILPs break ties lexicographically ("tidy"): the fewest racks
with the objective held at its optimum, then the least server power with both held, so equally
good layouts without sprawl or pointless servers win.

This module returns physical racks (:class:`~planner.solver.outcome.RackFill`) in an
:class:`~planner.solver.outcome.Outcome`; grouping them into the result format is
:mod:`planner.solver.layout`'s job. When the minimums are infeasible, :func:`diagnose` re-solves
small MILPs with constraint groups dropped and lets :mod:`planner.solver.infeasibility` word it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import costs, resilience
from .columns import lp_bound
from .highs import Bounds, LinearConstraint, coo_array, milp
from .infeasibility import (
    budget_reason,
    culprit,
    joint_reason,
    shortfall_reason,
    survival_reason,
    unservable_reason,
)
from .outcome import Emit, ModelDealer, Outcome, RackFill
from .problem import Problem, ProblemError, RackType

#: Above this many integer variables the compact method refuses the problem (the build alone
#: would take long and HiGHS would rarely prove anything); ``patterns`` handles such halls.
MAX_VARIABLES = 200_000

#: Relative gap at which HiGHS stops. HiGHS's default (1e-4) would let "optimal" be ~0.01 % off,
#: which is visible on large session counts, so ask for (practically) exact optimality.
MIP_REL_GAP = 1e-9

#: Order identical racks by descending power with explicit constraints? Measured on mixed
#: catalogues (5-80 racks per type) this made HiGHS 1.5-50x slower than leaving identical racks
#: to its own symmetry detection, so it is off; kept switchable for future formulations.
SYMMETRY_BREAKING = False

@dataclass(frozen=True)
class _MilpRun:
    status: str  # optimal / feasible / infeasible / unknown
    x: np.ndarray | None  # integer parts rounded
    fun: float | None
    dual_bound: float | None
    message: str


def _check_size(size: int) -> None:
    """Refuse a formulation of more than :data:`MAX_VARIABLES` variables, before building it."""
    if size > MAX_VARIABLES:
        raise ProblemError(
            {
                "method": [
                    f"the exact method handles at most {MAX_VARIABLES} variables (about "
                    f"racks x server SKUs, times 1 + K with K power trains); this problem needs "
                    f"{size} (lower rack counts or "
                    "offer fewer servers)"
                ]
            }
        )


class _Formulation:
    """Variables and constraints of one MILP; objectives are supplied per solve.

    Columns, in order: ``y[r,s]`` (integer), ``z[s,m]`` (integer), ``c[m]`` (continuous), then
    for ``min_racks`` one binary "rack r holds servers" per rack. The keyword flags drop groups
    of constraints (the diagnosis re-solves without them to name the one that bites).
    """

    def __init__(
        self,
        problem: Problem,
        models: Collection[str],
        *,
        mins: Mapping[str, int],
        caps: Mapping[str, int] | None = None,
        rack_u: bool = True,
        rack_w: bool = True,
        rack_kg: bool = True,
        avail: bool = True,
        hall: bool = True,
        var_cap: int | None = None,
        symmetry: bool = SYMMETRY_BREAKING,
        rack_used: bool = False,
        survive: str = "none",
        shared_stock: Sequence[tuple[int, list[int]]] = (),
        trains: int | None = None,
    ) -> None:
        self.problem = problem
        self.trains = trains
        self.rack_u, self.rack_w, self.rack_kg, self.avail = rack_u, rack_w, rack_kg, avail
        self.models, self.mins, self.caps = list(models), dict(mins), dict(caps or {})
        # (server, model, sessions) assignments that can matter.
        pairs = [
            (s, m, n)
            for s, srv in enumerate(problem.servers)
            for m, n in srv.sessions
            if m in models and n > 0 and not (avail and srv.available == 0)
        ]
        type_skus = [
            self._fitting(rack, sorted({s for s, _, _ in pairs}), var_cap)
            for rack in problem.rack_types
        ]
        # With power trains every rack variable is split by train, plus a binary per rack/train.
        per_rack = 1 + (trains or 0)
        _check_size(
            len(pairs)
            + len(caps or ())
            + sum(
                r.count * (len(f) * per_rack + (trains or 0))
                for r, f in zip(problem.rack_types, type_skus, strict=True)
            )
        )
        self._ub: list[float] = []
        self._sess: list[float] = []
        rack_cols, sku_y = self._add_rack_columns(type_skus)
        self._add_model_columns(pairs, sku_y)
        self._add_cap_columns(caps or {})
        self.used_cols = [self._add_column(1.0) for _ in rack_cols] if rack_used else []
        self.survive = survive
        self.shared_stock = tuple(shared_stock)
        res_mins = [m for m, lo in mins.items() if lo > 0 and m in self.model_cols]
        # Resilience (see planner.solver.resilience): the worst rack's sessions per model, or a
        # "pair in use" binary per (SKU, model) pair of a model with a minimum.
        self.worst_col = {m: self._add_column(np.inf) for m in res_mins} if survive == (
            "n_plus_1_rack"
        ) else {}
        self.pair_used_col = {
            k: self._add_column(1.0)
            for k, (_, m) in enumerate(self.z_cols)
            if survive == "n_plus_1_server" and m in res_mins
        }
        # Power trains: "rack r on train k" binaries and each y split by train (_train_rows).
        k_trains = trains if trains and res_mins else 0
        self.on_train = [[self._add_column(1.0) for _ in range(k_trains)] for _ in rack_cols]
        self.y_train = [
            [self._add_column(self._ub[j]) for _ in range(k_trains)] for j in range(self.n_y)
        ]
        self._set_coefficients()
        self.integrality[list(self.pair_used_col.values())] = 1
        self.integrality[[c for cols in self.on_train for c in cols]] = 1
        self.tco_objective = self.costs("tco")

        self._ri: list[int] = []
        self._ci: list[int] = []
        self._v: list[float] = []
        self._lo: list[float] = []
        self._hi: list[float] = []
        self._rack_rows(rack_cols, rack_used, symmetry)
        self._sku_rows(sku_y)
        if hall and problem.hall_w is not None and self.n_y:
            all_y = list(range(self.n_y))
            self._row(all_y, self.power[all_y], -np.inf, problem.hall_w)
        self._demand_rows(mins)
        self._resilience_rows(mins, rack_cols, sku_y, shared_stock)
        self._train_rows(mins, rack_cols)
        if problem.budget_usd is not None and self.n:
            budget = self.costs(problem.budget_basis)
            cols = list(np.nonzero(budget)[0])
            self._row(cols, budget[cols], -np.inf, problem.budget_usd)

    def costs(self, basis: str) -> np.ndarray:
        """USD per column (servers; used racks when they are modelled) under ``basis``."""
        out = np.zeros(self.n)
        settings = self.problem.tco
        out[: self.n_y] = [
            costs.server_usd(self.problem.servers[s], settings, basis) for _, s in self.y_cols
        ]
        for r, col in enumerate(self.used_cols):
            rack = self.problem.rack_types[self.rack_type_of[r]]
            out[col] = costs.rack_usd(rack, settings, basis)
        return out

    def _resilience_rows(
        self,
        mins: Mapping[str, int],
        rack_cols: list[list[int]],
        sku_y: Mapping[int, list[int]],
        shared_stock: Sequence[tuple[int, list[int]]],
    ) -> None:
        """Rows of ``survive`` on a split problem (one model per SKU, planner.solver.resilience)."""
        servers, inf = self.problem.servers, np.inf
        for m, t in self.worst_col.items():
            for cols in rack_cols:
                mine = [j for j in cols if servers[self.y_cols[j][1]].sessions_for(m) > 0]
                if mine:
                    coefs = [servers[self.y_cols[j][1]].sessions_for(m) for j in mine]
                    self._row([*mine, t], [*coefs, -1.0], -inf, 0.0)
            cols = self.model_cols[m]
            self._row([*cols, t], [*self.sessions[cols], -1.0], mins[m], inf)
        for k, b in self.pair_used_col.items():
            j = self.n_y + k
            m = self.z_cols[k][1]
            self._row([j, b], [1.0, -self.ub[j]], -inf, 0.0)
            cols = self.model_cols[m]
            self._row([b, *cols], [self.sessions[j], *(-self.sessions[cols])], -inf, -mins[m])
        for available, members in shared_stock:
            ys = [j for s in members for j in sku_y.get(s, [])]
            if self.avail and ys:
                self._row(ys, np.ones(len(ys)), -inf, available)

    def _train_rows(self, mins: Mapping[str, int], rack_cols: list[list[int]]) -> None:
        """Power trains on a split problem: every rack on one train, its servers with it, and per
        model with a minimum and train ``k``: ``sessions on k - sessions(m) <= -min(m)``.

        ``y[r,s] = sum_k y[r,s,k]`` with ``y[r,s,k] <= most * on[r,k]``. Identical racks are
        interchangeable and so are the trains, so racks of a type take trains in order and the
        first rack is on train 0 (symmetry breaking that cuts no layout off).
        """
        if not any(self.on_train):
            return
        inf, servers = np.inf, self.problem.servers
        k_trains = len(self.on_train[0])
        for r, cols in enumerate(self.on_train):
            self._row(cols, np.ones(k_trains), 1.0, 1.0)
            if r + 1 < len(self.on_train) and self.rack_type_of[r + 1] == self.rack_type_of[r]:
                order = np.arange(k_trains, dtype=float)
                self._row([*cols, *self.on_train[r + 1]], [*order, *(-order)], -inf, 0.0)
        self._row([self.on_train[0][0]], np.ones(1), 1.0, 1.0)
        for j, (r, _) in enumerate(self.y_cols):
            split = self.y_train[j]
            self._row([j, *split], [1.0, *(-np.ones(k_trains))], 0.0, 0.0)
            for k, col in enumerate(split):
                self._row([col, self.on_train[r][k]], [1.0, -self.ub[j]], -inf, 0.0)
        for m, lo in mins.items():
            if lo <= 0 or m not in self.model_cols:
                continue
            served = self.model_cols[m]
            mine = [j for j, (_, s) in enumerate(self.y_cols) if servers[s].sessions_for(m) > 0]
            for k in range(k_trains):
                cols = [self.y_train[j][k] for j in mine]
                coefs = [servers[self.y_cols[j][1]].sessions_for(m) for j in mine]
                self._row([*cols, *served], [*coefs, *(-self.sessions[served])], -inf, -lo)

    def _fitting(
        self, rack: RackType, skus: list[int], var_cap: int | None
    ) -> list[tuple[int, int]]:
        """``(sku, most servers of it in one rack)`` for the SKUs that fit ``rack`` at all."""
        out = []
        for s in skus:
            srv = self.problem.servers[s]
            bound = self.problem.max_in_rack(
                rack, srv, u=self.rack_u, power=self.rack_w, weight=self.rack_kg
            )
            if self.avail and srv.available is not None:
                bound = min(bound, srv.available)
            if var_cap is not None:
                bound = min(bound, var_cap)
            # Every caller dropping all limits passes var_cap, so the bound is finite.
            if math.isfinite(bound) and bound > 0:
                out.append((s, int(bound)))
        return out

    def _add_column(self, ub: float, sessions: float = 0.0) -> int:
        self._ub.append(ub)
        self._sess.append(sessions)
        return len(self._ub) - 1

    def _add_rack_columns(
        self, type_skus: list[list[tuple[int, int]]]
    ) -> tuple[list[list[int]], dict[int, list[int]]]:
        """``y[r,s]`` for every physical rack of a type something fits in.

        Returns the columns of each rack and the columns of each SKU.
        """
        self.rack_type_of: list[int] = []
        self.y_cols: list[tuple[int, int]] = []  # (rack, server)
        rack_cols: list[list[int]] = []
        sku_y: dict[int, list[int]] = {}
        for t, fitting in enumerate(type_skus):
            if not fitting:
                continue
            for _ in range(self.problem.rack_types[t].count):
                r = len(self.rack_type_of)
                self.rack_type_of.append(t)
                rack_cols.append([])
                for s, bound in fitting:
                    j = self._add_column(bound)
                    rack_cols[r].append(j)
                    sku_y.setdefault(s, []).append(j)
                    self.y_cols.append((r, s))
        self.n_y = len(self.y_cols)
        return rack_cols, sku_y

    def _add_model_columns(
        self, pairs: list[tuple[int, str, int]], sku_y: Mapping[int, list[int]]
    ) -> None:
        """``z[s,m]`` per (SKU, model); a SKU that fits in no rack cannot serve a model either."""
        self.z_cols: list[tuple[int, str]] = []
        for s, m, n in pairs:
            if s not in sku_y:
                continue
            self.z_cols.append((s, m))
            self._add_column(sum(self._ub[j] for j in sku_y[s]), n)
        self.n_int = len(self._ub)
        self.model_cols: dict[str, list[int]] = {}
        for k, (_, m) in enumerate(self.z_cols):
            self.model_cols.setdefault(m, []).append(self.n_y + k)

    def _add_cap_columns(self, caps: Mapping[str, int]) -> None:
        """``c[m] <= max`` for each capped model that has servers."""
        self.cap_col: dict[str, int] = {}
        for m, cap in caps.items():
            if m in self.model_cols:
                self.cap_col[m] = self._add_column(cap)

    def _set_coefficients(self) -> None:
        """Bounds, integrality and the per-column figures the objectives and rows use."""
        servers = self.problem.servers
        self.n = len(self._ub)
        self.lb = np.zeros(self.n)
        self.ub = np.array(self._ub, dtype=float)
        self.sessions = np.array(self._sess, dtype=float)
        self.power = np.zeros(self.n)
        self.power[: self.n_y] = [servers[s].power_w for _, s in self.y_cols]
        self.cost = np.zeros(self.n)
        self.cost[: self.n_y] = [servers[s].cost_usd or 0.0 for _, s in self.y_cols]
        self._u = np.array([servers[s].u for _, s in self.y_cols], dtype=float)
        self._kg = np.array([servers[s].weight_kg or 0.0 for _, s in self.y_cols], dtype=float)
        self.integrality = np.zeros(self.n)
        self.integrality[: self.n_int] = 1
        self.integrality[self.used_cols] = 1
        self.racks_objective = np.zeros(self.n)
        self.racks_objective[self.used_cols] = 1.0

    def _rack_rows(self, rack_cols: list[list[int]], rack_used: bool, symmetry: bool) -> None:
        """Per physical rack: U (or U with the "used" binary), power, weight, symmetry order."""
        u, kg, inf = self._u, self._kg, np.inf
        for r, cols in enumerate(rack_cols):
            t = self.rack_type_of[r]
            rack = self.problem.rack_types[t]
            if rack_used:
                # Servers only in a used rack; with rack_u relaxed, var bounds keep this finite.
                big = rack.usable_u if self.rack_u else float(sum(u[j] * self.ub[j] for j in cols))
                self._row([*cols, self.used_cols[r]], [*u[cols], -big], -inf, 0.0)
            elif self.rack_u:
                self._row(cols, u[cols], -inf, rack.usable_u)
            if self.rack_w:
                self._row(cols, self.power[cols], -inf, rack.usable_w)
            if self.rack_kg and rack.max_weight_kg is not None:
                self._row(cols, kg[cols], -inf, rack.max_weight_kg)
            if symmetry and r + 1 < len(rack_cols) and self.rack_type_of[r + 1] == t:
                nxt = rack_cols[r + 1]
                coefs = np.concatenate([self.power[cols], -self.power[nxt]])
                self._row(cols + nxt, coefs, 0.0, inf)

    def _sku_rows(self, sku_y: Mapping[int, list[int]]) -> None:
        """Per SKU: every placed server serves one model; stock."""
        for s, ys in sku_y.items():
            zs = [self.n_y + k for k, (zs_, _) in enumerate(self.z_cols) if zs_ == s]
            self._row(ys + zs, np.concatenate([np.ones(len(ys)), -np.ones(len(zs))]), 0.0, 0.0)
            available = self.problem.servers[s].available
            if self.avail and available is not None:
                self._row(ys, np.ones(len(ys)), -np.inf, available)

    def _demand_rows(self, mins: Mapping[str, int]) -> None:
        """Demand minimums, and ``c[m] <= sessions of m`` for capped models."""
        self.infeasible_mins = [m for m, lo in mins.items() if lo > 0 and m not in self.model_cols]
        for m, lo in mins.items():
            if lo > 0 and m in self.model_cols:
                cols = self.model_cols[m]
                self._row(cols, self.sessions[cols], lo, np.inf)
        for m, j in self.cap_col.items():
            cols = self.model_cols[m]
            self._row([j, *cols], np.concatenate([[1.0], -self.sessions[cols]]), -np.inf, 0.0)

    def _row(self, cols: list[int], coefs: np.ndarray, lo: float, hi: float) -> None:
        r = len(self._lo)
        self._ri.extend([r] * len(cols))
        self._ci.extend(cols)
        self._v.extend(float(v) for v in coefs)
        self._lo.append(lo)
        self._hi.append(hi)

    def sessions_objective(self, weight: Mapping[str, float]) -> np.ndarray:
        """``-sum weight * sessions`` (minimisation form), through ``c[m]`` for capped models."""
        out = np.zeros(self.n)
        for m, cols in self.model_cols.items():
            if m in self.cap_col:
                out[self.cap_col[m]] = -weight[m]
            else:
                out[cols] = -weight[m] * self.sessions[cols]
        return out

    def run(
        self,
        objective: np.ndarray,
        time_limit: float,
        extra: tuple[np.ndarray, float, float] | None = None,
        extras: Sequence[tuple[np.ndarray, float, float]] = (),
    ) -> _MilpRun:
        """Minimise ``objective`` (plus optional extra dense rows ``lo <= a @ v <= hi``)."""
        if self.infeasible_mins:
            return _MilpRun("infeasible", None, None, None, "a demand minimum has no variables")
        if self.n == 0:
            # Nothing can be placed; the empty layout is the only one and it is feasible.
            return _MilpRun("optimal", np.zeros(0), 0.0, 0.0, "no variables")
        constraints = []
        if self._lo:
            shape = (len(self._lo), self.n)
            a = coo_array((self._v, (self._ri, self._ci)), shape=shape).tocsr()
            constraints.append(LinearConstraint(a, self._lo, self._hi))
        for row, lo, hi in [*([extra] if extra is not None else []), *extras]:
            constraints.append(LinearConstraint(row.reshape(1, -1), lo, hi))
        res = milp(
            c=objective,
            integrality=self.integrality,
            bounds=Bounds(self.lb, self.ub),
            constraints=constraints,
            options={
                "time_limit": max(time_limit, 1e-3),
                "mip_rel_gap": MIP_REL_GAP,
                "presolve": True,
                "disp": False,
            },
        )
        x = None
        if res.x is not None:
            x = np.array(res.x, dtype=float)
            ints = self.integrality == 1
            x[ints] = np.round(x[ints])
        fun = None if x is None else float(objective @ x)
        dual = getattr(res, "mip_dual_bound", None)
        dual = None if dual is None or not np.isfinite(dual) else float(dual)
        if res.status == 0:
            status = "optimal"
        elif res.status == 2:
            status = "infeasible"
        elif x is not None:
            status = "feasible"
        else:
            status = "unknown"
        return _MilpRun(status, x, fun, dual, str(res.message))

    def value(self, objective: np.ndarray, x: np.ndarray) -> float:
        """``objective @ x`` with each ``c[m]`` replaced by what the integer part earns.

        The continuous ``c[m]`` may sit a tolerance below ``min(sessions, max)``; comparing
        layouts on the integer part alone avoids mistaking that noise for a difference.
        """
        plain = np.ones(self.n, dtype=bool)
        plain[list(self.cap_col.values())] = False
        total = float(objective[plain] @ x[plain])
        for m, j in self.cap_col.items():
            cols = self.model_cols[m]
            earned = min(float(self.sessions[cols] @ x[cols]), float(self.ub[j]))
            total += float(objective[j]) * earned
        return total

    def fills(self, x: np.ndarray) -> tuple[RackFill, ...]:
        """Turn a solution into one :class:`RackFill` per expanded rack.

        The MILP decides how many servers of each SKU go in each rack (``y``) and how many of
        each SKU serve each model (``z``), which is all the constraints depend on. Models are
        dealt out to the placed servers rack by rack in input order, so each model's servers
        stay together in as few racks as possible.
        """
        dealer = ModelDealer(
            (s, m, int(x[self.n_y + k])) for k, (s, m) in enumerate(self.z_cols)
        )
        items: list[dict[tuple[int, str], int]] = [{} for _ in self.rack_type_of]
        for j, (r, s) in enumerate(self.y_cols):
            # Servers left undealt would mean y and z disagree; the layout check reports that.
            dealer.deal(s, int(x[j]), items[r])
        # Without train columns (no minimum to keep) the caller spreads the racks.
        trains = [int(np.argmax(x[cols])) if cols else None for cols in self.on_train]
        return tuple(
            RackFill.of(t, it, train)
            for t, it, train in zip(self.rack_type_of, items, trains, strict=True)
        )



def solve_exact(problem: Problem, *, deadline: float, emit: Emit) -> Outcome:
    """Solve ``problem`` to optimality (or until ``deadline``, a ``time.perf_counter()`` value).

    ``emit(phase, incumbent=..., bound=...)`` is called after each MILP for progress reporting.
    Raises :class:`ProblemError` (field ``method``) if the instance is too large for this method.
    """
    objective = problem.objective
    caps: dict[str, int] = {}
    if objective == "max_sessions":
        for d in problem.demand:
            if d.max is not None and d.weight > 0:
                caps[d.model] = d.max
    original, parts = problem, None
    if resilience.asked(problem):
        # Rack, server and train losses depend on which model each server serves in which rack.
        parts = resilience.split(problem)
        problem = parts.problem
    priced_racks = costs.rack_costs_matter(problem) and (
        objective == "min_tco" or problem.budget_usd is not None
    )
    form = _Formulation(
        problem,
        problem.relevant_models,
        mins=problem.mins,
        caps=caps,
        rack_used=objective == "min_racks" or priced_racks,
        survive=problem.resilience,
        shared_stock=parts.shared_stock if parts else (),
        trains=problem.power_trains,
    )

    if objective == "max_sessions":
        primary = form.sessions_objective({m: problem.demand_for(m).weight for m in problem.models})
        sign = -1.0  # the MILP minimises -objective
    elif objective == "min_power":
        primary, sign = form.power, 1.0
    elif objective == "min_racks":
        primary, sign = form.racks_objective, 1.0
    elif objective == "min_tco":
        primary, sign = form.tco_objective, 1.0
    else:
        primary, sign = form.cost, 1.0

    start = time.perf_counter()
    run = form.run(primary, deadline - start)
    bound = None if run.dual_bound is None else sign * run.dual_bound
    incumbent = None if run.fun is None else sign * run.fun
    emit("solve", incumbent=incumbent, bound=bound)

    if run.status == "infeasible":
        emit("diagnose", incumbent=None, bound=None)
        # Proving which constraint bites needs a few more small MILPs; allow them a moment even
        # when the main solve used the whole budget, since the explanation is the whole answer.
        until = max(deadline, time.perf_counter() + 2.0)
        plain = replace(resilience.without(original), budget_usd=None)
        if _jointly(plain, until):
            budgeted = replace(plain, budget_usd=original.budget_usd)
            if parts is not None and _jointly(budgeted, until):
                return Outcome("infeasible", None, None, survival_reason(original))
            return Outcome("infeasible", None, None, budget_reason(original))
        return Outcome("infeasible", None, None, diagnose(plain, deadline=until))
    if run.x is None:
        return Outcome(
            "unknown",
            None,
            bound,
            f"no layout found before the time limit ({run.message})",
        )

    if parts is not None and run.status != "optimal" and bound is not None:
        # HiGHS's bound on a resilient hall of identical racks is weak; the pattern LP of the
        # relaxation (planner.solver.resilience) is valid too, so keep the better of the two.
        relaxed = lp_bound(resilience.relaxation(original), deadline=time.perf_counter() + 2.0)
        if relaxed is not None:
            if objective == "min_racks":
                relaxed = math.ceil(relaxed - 1e-6)
            bound = min(bound, relaxed) if sign < 0 else max(bound, relaxed)
    fills = form.fills(run.x)
    if run.status == "optimal" and form.n_y:
        better = _lexicographic(problem, form, primary, run, start, deadline)
        if better is not None:
            fills = better
        emit("tidy", incumbent=incumbent, bound=bound)
    racks = parts.back(fills) if parts else fills
    if original.power_trains is not None and any(r.train is None for r in racks):
        racks = resilience.assign_trains(original, racks)
    return Outcome(run.status, racks, bound)


def _lexicographic(
    problem: Problem,
    form: _Formulation,
    primary: np.ndarray,
    run: _MilpRun,
    start: float,
    deadline: float,
) -> tuple[RackFill, ...] | None:
    """Among layouts as good as ``run``'s optimum, the fewest racks, then the least power.

    A second formulation of the same problem with a "rack used" binary per rack (the primary
    one has none unless the objective is min_racks) solves two more MILPs: racks with the
    primary objective held at its optimum, then server power with both held. Without this,
    min_power spreads one server per rack, max_sessions fills racks with servers whose sessions
    do not count (beyond ``max``) and min_cost keeps zero-cost servers it does not need. An
    answer is used only if it is truly no worse on every earlier level (checked on the rounded
    solution); ``None`` keeps the first layout.
    """
    now = time.perf_counter()
    # A generous but bounded budget: the tie-break must not dominate the solve time.
    budget = min(deadline - now, max(1.0, now - start))
    if budget <= 0.01 or run.fun is None or run.x is None:
        return None
    fun = form.value(primary, run.x)
    tol = 1e-7 * max(1.0, abs(fun))
    lex = _Formulation(
        problem,
        form.models,
        mins=form.mins,
        caps=form.caps,
        rack_used=True,
        survive=form.survive,
        shared_stock=form.shared_stock,
        trains=form.trains,
    )
    # The rack-used columns come last, so the primary objective only needs zeros appended.
    held = np.concatenate([primary, np.zeros(lex.n - form.n)])
    first = (held, -np.inf, fun + tol)
    racks_now = _used(form.fills(run.x))
    step = lex.run(lex.racks_objective, budget / 2, extras=[first])
    if step.x is None or lex.value(held, step.x) > fun + 1e-9 * max(1.0, abs(fun)):
        return None
    racks = float(lex.racks_objective @ step.x)
    if racks > racks_now:
        return None
    power = lex.power
    best = step.x
    budget = min(deadline - time.perf_counter(), budget / 2)
    if budget > 0.01:
        last = lex.run(power, budget, extras=[first, (lex.racks_objective, -np.inf, racks + 0.5)])
        if (
            last.x is not None
            and lex.value(held, last.x) <= fun + 1e-9 * max(1.0, abs(fun))
            and float(lex.racks_objective @ last.x) <= racks + 1e-9
            and float(power @ last.x) < float(power @ best)
        ):
            best = last.x
    fills = lex.fills(best)
    if (_used(fills), float(power @ best)) >= (racks_now, float(form.power @ run.x)):
        return None
    return fills


def _used(fills: Sequence[RackFill]) -> int:
    return sum(1 for fill in fills if fill.items)


def diagnose(problem: Problem, *, deadline: float) -> str:
    """Explain why the demand minimums cannot be met, naming the model and the constraint."""
    simple = unservable_reason(problem)
    if simple is not None:
        return simple
    for m, lo in problem.mins.items():
        best = _best_alone(problem, m, lo, deadline)
        if best is None:
            break
        if best < lo - 1e-6:
            meetable = functools.partial(_reaches, problem, m, lo, deadline)
            return shortfall_reason(m, lo, best, culprit(problem, meetable))
    return joint_reason(problem, functools.partial(_jointly, problem, deadline))


def _best_alone(
    problem: Problem, model: str, lo: int, deadline: float, **relax: bool
) -> float | None:
    """Most sessions of ``model`` alone, capped at its min (reaching the cap means "meetable")."""
    form = _Formulation(problem, [model], mins={}, caps={model: lo}, var_cap=lo, **relax)
    obj = np.zeros(form.n)
    if model in form.cap_col:
        obj[form.cap_col[model]] = -1.0
    run = form.run(obj, deadline - time.perf_counter())
    if run.status != "optimal" or run.x is None:
        return None
    return -float(obj @ run.x)


def _reaches(problem: Problem, model: str, lo: int, deadline: float, **relax: bool) -> bool:
    value = _best_alone(problem, model, lo, deadline, **relax)
    return value is not None and value >= lo - 1e-6


def _jointly(problem: Problem, deadline: float, **relax: bool) -> bool:
    """Can every demand minimum be met at once with the ``relax`` groups dropped?"""
    mins = problem.mins
    cap = max(mins.values(), default=0)
    form = _Formulation(problem, list(mins), mins=mins, var_cap=cap, **relax)
    run = form.run(np.zeros(form.n), deadline - time.perf_counter())
    return run.status in ("optimal", "feasible")
