"""Exact method: a mixed-integer program solved by HiGHS through ``scipy.optimize.milp``.

Formulation. Every rack type with at least one server that fits in it is expanded into its
``count`` physical racks. Which model a server serves does not change its U or power, so the
rack-level and model-level decisions are separate integer variables:

* ``y[r,s]`` = number of servers of SKU ``s`` in rack ``r``;
* ``z[s,m]`` = number of servers of SKU ``s`` (over all racks) that serve model ``m``, for each
  model ``s`` offers with a positive number of sessions;
* ``sum_m z[s,m] = sum_r y[r,s]`` (every placed server serves exactly one model).

That needs racks x SKUs + SKUs x models variables instead of racks x SKUs x models, and solved
a mixed benchmark catalogue up to 10x faster than a per-rack-per-model form. Constraints:

* per rack: ``sum u_s y <= u - reserved_u`` and ``sum power_w y <= (power_kw - reserved_kw)*1000``;
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

This module returns physical racks (:class:`RackFill`); grouping them into the result format is
:mod:`planner.solver.layout`'s job, so another method (e.g. column generation over rack patterns)
can produce :class:`RackFill` lists and reuse it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from .layout import RackFill
from .problem import Problem, ProblemError, fit_count

#: Above this many integer variables the exact method refuses the problem (the build alone
#: would take long and HiGHS would rarely prove anything); a pattern-based method is planned.
MAX_VARIABLES = 200_000

#: Relative gap at which HiGHS stops. HiGHS's default (1e-4) would let "optimal" be ~0.01 % off,
#: which is visible on large session counts, so ask for (practically) exact optimality.
MIP_REL_GAP = 1e-9

#: Order identical racks by descending power with explicit constraints? Measured on mixed
#: catalogues (5-80 racks per type) this made HiGHS 1.5-50x slower than leaving identical racks
#: to its own symmetry detection, so it is off; kept switchable for future formulations.
SYMMETRY_BREAKING = False

Emit = Callable[..., None]


@dataclass(frozen=True)
class ExactOutcome:
    """What a method hands to the layout step.

    ``status`` is optimal / feasible / infeasible / unknown. ``racks`` lists the expanded racks
    (types without any fitting server are left out; the layout adds them as empty racks) or is
    ``None`` when there is no layout. ``bound`` is the solver's proven bound on the objective, in
    the objective's own sense and unit. ``reason`` explains infeasible / unknown.
    """

    status: str
    racks: tuple[RackFill, ...] | None
    bound: float | None
    reason: str | None = None


@dataclass(frozen=True)
class _MilpRun:
    status: str  # optimal / feasible / infeasible / unknown
    x: np.ndarray | None  # integer parts rounded
    fun: float | None
    dual_bound: float | None
    message: str


class _Formulation:
    """Variables and constraints of one MILP; objectives are supplied per solve.

    Columns, in order: ``y[r,s]`` (integer), ``z[s,m]`` (integer), ``c[m]`` (continuous).
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
    ) -> None:
        self.problem = problem
        self.models, self.mins, self.caps = list(models), dict(mins), dict(caps or {})
        servers = problem.servers
        # (server, model, sessions) assignments that can matter.
        pairs = [
            (s, m, n)
            for s, srv in enumerate(servers)
            for m, n in srv.sessions
            if m in models and n > 0 and not (avail and srv.available == 0)
        ]
        skus = sorted({s for s, _, _ in pairs})

        def per_rack_ub(t: int, s: int) -> int:
            rack, srv = problem.rack_types[t], servers[s]
            bounds = []
            if rack_u:
                bounds.append(rack.usable_u // srv.u)
            if rack_w:
                bounds.append(math.floor(rack.usable_w / srv.power_w + 1e-9))
            if rack_kg and rack.max_weight_kg is not None and srv.weight_kg:
                bounds.append(math.floor(rack.max_weight_kg / srv.weight_kg + 1e-9))
            if avail and srv.available is not None:
                bounds.append(srv.available)
            if var_cap is not None:
                bounds.append(var_cap)
            # Every caller relaxing all limits passes var_cap, so this is finite.
            return min(bounds) if bounds else 0

        type_skus = []
        size = len(pairs) + len(caps or ())
        for t, rack in enumerate(problem.rack_types):
            fitting = [(s, ub) for s in skus if (ub := per_rack_ub(t, s)) > 0]
            type_skus.append(fitting)
            size += rack.count * len(fitting) if fitting else 0
        if size > MAX_VARIABLES:
            raise ProblemError(
                {
                    "method": [
                        f"the exact method handles at most {MAX_VARIABLES} variables (about "
                        f"racks x server SKUs); this problem needs {size} (lower rack counts or "
                        "offer fewer servers)"
                    ]
                }
            )

        self.rack_type_of: list[int] = []
        self.y_cols: list[tuple[int, int]] = []  # (rack, server)
        ub: list[float] = []
        rack_cols: list[list[int]] = []
        sku_y: dict[int, list[int]] = {}
        for t, fitting in enumerate(type_skus):
            if not fitting:
                continue
            for _ in range(problem.rack_types[t].count):
                r = len(self.rack_type_of)
                self.rack_type_of.append(t)
                rack_cols.append([])
                for s, b in fitting:
                    j = len(self.y_cols)
                    rack_cols[r].append(j)
                    sku_y.setdefault(s, []).append(j)
                    self.y_cols.append((r, s))
                    ub.append(b)
        self.n_y = len(self.y_cols)

        # A SKU that fits in no rack cannot be assigned a model either.
        self.z_cols: list[tuple[int, str]] = []
        sess: list[float] = [0.0] * self.n_y
        for s, m, n in pairs:
            if s not in sku_y:
                continue
            self.z_cols.append((s, m))
            sess.append(n)
            ub.append(sum(ub[j] for j in sku_y[s]))
        self.n_int = len(ub)
        self.model_cols: dict[str, list[int]] = {}
        for k, (_, m) in enumerate(self.z_cols):
            self.model_cols.setdefault(m, []).append(self.n_y + k)

        self.cap_col: dict[str, int] = {}
        for m, cap in (caps or {}).items():
            if m in self.model_cols:
                self.cap_col[m] = len(ub)
                ub.append(cap)
                sess.append(0.0)
        # min_racks: a binary "rack r holds servers" per rack, forced up by its U row.
        self.used_cols: list[int] = []
        if rack_used:
            for _ in rack_cols:
                self.used_cols.append(len(ub))
                ub.append(1.0)
                sess.append(0.0)
        self.n = len(ub)
        self.lb = np.zeros(self.n)
        self.ub = np.array(ub, dtype=float)
        self.sessions = np.array(sess, dtype=float)
        self.power = np.zeros(self.n)
        self.power[: self.n_y] = [servers[s].power_w for _, s in self.y_cols]
        self.cost = np.zeros(self.n)
        self.cost[: self.n_y] = [servers[s].cost_usd or 0.0 for _, s in self.y_cols]
        u = np.array([servers[s].u for _, s in self.y_cols], dtype=float)
        kg = np.array([servers[s].weight_kg or 0.0 for _, s in self.y_cols], dtype=float)
        self.integrality = np.zeros(self.n)
        self.integrality[: self.n_int] = 1
        self.integrality[self.used_cols] = 1
        self.racks_objective = np.zeros(self.n)
        self.racks_objective[self.used_cols] = 1.0

        self._ri: list[int] = []
        self._ci: list[int] = []
        self._v: list[float] = []
        self._lo: list[float] = []
        self._hi: list[float] = []

        inf = np.inf
        for r, cols in enumerate(rack_cols):
            t = self.rack_type_of[r]
            rack = problem.rack_types[t]
            if rack_used:
                # Servers only in a used rack; with rack_u relaxed, var bounds keep this finite.
                big = rack.usable_u if rack_u else float(sum(u[j] * ub[j] for j in cols))
                self._row([*cols, self.used_cols[r]], [*u[cols], -big], -inf, 0.0)
            elif rack_u:
                self._row(cols, u[cols], -inf, rack.usable_u)
            if rack_w:
                self._row(cols, self.power[cols], -inf, rack.usable_w)
            if rack_kg and rack.max_weight_kg is not None:
                self._row(cols, kg[cols], -inf, rack.max_weight_kg)
            if symmetry and r + 1 < len(rack_cols) and self.rack_type_of[r + 1] == t:
                nxt = rack_cols[r + 1]
                coefs = np.concatenate([self.power[cols], -self.power[nxt]])
                self._row(cols + nxt, coefs, 0.0, inf)
        for s, ys in sku_y.items():
            zs = [self.n_y + k for k, (zs_, _) in enumerate(self.z_cols) if zs_ == s]
            # Each placed server serves exactly one model.
            self._row(ys + zs, np.concatenate([np.ones(len(ys)), -np.ones(len(zs))]), 0.0, 0.0)
            if avail and servers[s].available is not None:
                self._row(ys, np.ones(len(ys)), -inf, servers[s].available)
        cap_w = problem.hall_w
        if hall and cap_w is not None and self.n_y:
            all_y = list(range(self.n_y))
            self._row(all_y, self.power[all_y], -inf, cap_w)
        self.infeasible_mins = [m for m, lo in mins.items() if lo > 0 and m not in self.model_cols]
        for m, lo in mins.items():
            if lo > 0 and m in self.model_cols:
                cols = self.model_cols[m]
                self._row(cols, self.sessions[cols], lo, inf)
        for m, j in self.cap_col.items():
            cols = self.model_cols[m]
            self._row([j, *cols], np.concatenate([[1.0], -self.sessions[cols]]), -inf, 0.0)

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
        queues: dict[int, list[list]] = {}
        for k, (s, m) in enumerate(self.z_cols):
            n = int(x[self.n_y + k])
            if n > 0:
                queues.setdefault(s, []).append([m, n])
        items: list[dict[tuple[int, str], int]] = [{} for _ in self.rack_type_of]
        for j, (r, s) in enumerate(self.y_cols):
            need = int(x[j])
            queue = queues.get(s, [])
            while need > 0 and queue:
                m, left = queue[0]
                take = min(need, left)
                items[r][(s, m)] = items[r].get((s, m), 0) + take
                need -= take
                queue[0][1] -= take
                if queue[0][1] == 0:
                    queue.pop(0)
            # need > 0 here would mean y and z disagree; the layout check reports the shortfall.
        return tuple(
            RackFill(t, tuple(sorted((s, m, k) for (s, m), k in it.items())))
            for t, it in zip(self.rack_type_of, items, strict=True)
        )


def _relevant_models(problem: Problem) -> list[str]:
    out = []
    for m in problem.models:
        d = problem.demand_for(m)
        if d.min > 0:
            out.append(m)
        elif problem.objective == "max_sessions" and d.weight > 0 and d.max != 0:
            out.append(m)
    return out


def _mins(problem: Problem) -> dict[str, int]:
    return {d.model: d.min for d in problem.demand if d.min > 0}


def solve_exact(problem: Problem, *, deadline: float, emit: Emit) -> ExactOutcome:
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
    form = _Formulation(
        problem,
        _relevant_models(problem),
        mins=_mins(problem),
        caps=caps,
        rack_used=objective == "min_racks",
    )

    if objective == "max_sessions":
        primary = form.sessions_objective({m: problem.demand_for(m).weight for m in problem.models})
        sign = -1.0  # the MILP minimises -objective
    elif objective == "min_power":
        primary, sign = form.power, 1.0
    elif objective == "min_racks":
        primary, sign = form.racks_objective, 1.0
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
        reason = diagnose(problem, deadline=max(deadline, time.perf_counter() + 2.0))
        return ExactOutcome("infeasible", None, None, reason)
    if run.x is None:
        return ExactOutcome(
            "unknown",
            None,
            bound,
            f"no layout found before the time limit ({run.message})",
        )

    fills = form.fills(run.x)
    if run.status == "optimal" and form.n_y:
        better = _lexicographic(problem, form, primary, run, start, deadline)
        if better is not None:
            fills = better
        emit("tidy", incumbent=incumbent, bound=bound)
    return ExactOutcome(run.status, fills, bound)


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


def _sessions(n: int) -> str:
    return f"{n} session" if n == 1 else f"{n} sessions"


def trivial_reason(problem: Problem) -> str | None:
    """A demand min that no placeable server can serve at all, explained; else None."""
    for m, lo in _mins(problem).items():
        offering = [s for s in problem.servers if s.sessions_for(m) > 0]
        head = f"demand min of model {m!r} ({_sessions(lo)}) cannot be met"
        if not offering:
            return f"{head}: no server offers sessions of that model"
        if all(s.available == 0 for s in offering):
            return f"{head}: every server offering it has available = 0"
        if not any(
            fit_count(rack, s) > 0
            for s in problem.servers
            if s.sessions_for(m) > 0 and s.available != 0
            for rack in problem.rack_types
        ):
            return f"{head}: no server offering it fits in any rack type's usable U and power"
    return None


def diagnose(problem: Problem, *, deadline: float) -> str:
    """Explain why the demand minimums cannot be met, naming the model and the constraint."""
    mins = _mins(problem)
    simple = trivial_reason(problem)
    if simple is not None:
        return simple

    def best_alone(m: str, **relax: bool) -> float | None:
        # Maximise sessions of m alone, capped at its min: reaching the cap means "meetable".
        lo = mins[m]
        form = _Formulation(problem, [m], mins={}, caps={m: lo}, var_cap=lo, **relax)
        obj = np.zeros(form.n)
        if m in form.cap_col:
            obj[form.cap_col[m]] = -1.0
        run = form.run(obj, deadline - time.perf_counter())
        if run.status != "optimal" or run.x is None:
            return None
        return -float(obj @ run.x)

    for m, lo in mins.items():
        best = best_alone(m)
        if best is None:
            break
        if best < lo - 1e-6:
            culprit = _culprit(problem, functools.partial(_reaches, best_alone, m, lo))
            return (
                f"demand min of model {m!r} ({_sessions(lo)}) cannot be met: at most "
                f"{_sessions(int(round(best)))} fit under the {culprit}"
            )

    def jointly(**relax: bool) -> bool:
        cap = max(mins.values(), default=0)
        form = _Formulation(problem, list(mins), mins=mins, var_cap=cap, **relax)
        return form.run(np.zeros(form.n), deadline - time.perf_counter()).status in (
            "optimal",
            "feasible",
        )

    names = ", ".join(repr(m) for m in mins)
    if len(mins) > 1:
        return f"demand mins of models {names} cannot all be met together under the " + _culprit(
            problem, jointly
        )
    return f"demand min of model {names} cannot be met under the rack, availability and hall limits"


def _reaches(best: Callable[..., float | None], model: str, target: int, **relax: bool) -> bool:
    value = best(model, **relax)
    return value is not None and value >= target - 1e-6


def _power_text(problem: Problem) -> str:
    """Name the rack power constraint the way the input states it."""
    extras = []
    if any(r.derating_pct != 100 for r in problem.rack_types):
        extras.append("derating")
    if any(r.feeds == "2N" for r in problem.rack_types):
        extras.append("2N feeds")
    if any(r.cooling_kw is not None for r in problem.rack_types):
        extras.append("cooling_kw")
    if not extras:
        return "rack power budgets (power_kw - reserved_kw)"
    return f"rack power budgets (power_kw after {', '.join(extras)}, less reserved_kw)"


def _culprit(problem: Problem, meetable: Callable[..., bool]) -> str:
    """Name the smallest group of constraints whose removal makes the demand meetable."""
    has_hall = problem.hall_power_kw is not None
    has_avail = any(s.available is not None for s in problem.servers)
    hall_txt = f"hall power cap ({problem.hall_power_kw or 0:g} kW)"
    avail_txt = "server availability limits"
    if has_hall and meetable(hall=False):
        return hall_txt
    if has_avail and meetable(avail=False):
        return avail_txt
    if has_hall and has_avail and meetable(hall=False, avail=False):
        return f"{hall_txt} and {avail_txt} together"
    if meetable(rack_w=False):
        return _power_text(problem)
    if meetable(rack_u=False):
        return "rack U budgets (u - reserved_u)"
    if any(r.max_weight_kg is not None for r in problem.rack_types) and meetable(rack_kg=False):
        return "rack weight limits (max_weight_kg)"
    if not (has_hall or has_avail) or meetable(rack_u=False, rack_w=False):
        return "rack U and power budgets"
    parts = ["rack U/power budgets"]
    if has_avail:
        parts.append(avail_txt)
    if has_hall:
        parts.append(hall_txt)
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) + " together"
