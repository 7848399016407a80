"""Exact pricing by dynamic program (planner.solver.pricing) against HiGHS and a brute force,
and the Lagrangian bound of column generation against the compact method's proven optimum at
every round (the bound must hold whenever the time limit stops column generation)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.solver import solve, validate_problem
from planner.solver.columns import build_instance, column_generation
from planner.solver.generate import generate_problem
from planner.solver.pricing import (
    Knapsack,
    _prune,
    _prune_by_level,
    solve_knapsack,
    undominated,
)


@st.composite
def knapsacks(draw: st.DrawFn, max_skus: int = 7) -> tuple[Knapsack, np.ndarray]:
    usable_u = draw(st.integers(1, 48))
    usable_w = float(draw(st.sampled_from([250.0, 1_150.5, 8_000.0, 17_300.0, 40_000.0])))
    n = draw(st.integers(1, max_skus))
    u = np.array([draw(st.sampled_from([1, 1, 2, 4, 6, 8, 10])) for _ in range(n)])
    w = np.array([draw(st.sampled_from([100.0, 250.5, 577.0, 1_200.0, 6_697.0, 10_200.0]))
                  for _ in range(n)])
    alone = np.array([max(0, min(usable_u // uj, math.floor(usable_w / wj + 1e-9)))
                      for uj, wj in zip(u, w, strict=True)])
    # Some SKUs with a stock cap below what fits alone (they may not be swapped away).
    ub = np.array([min(a, draw(st.sampled_from([a, a, 0, 1, 3]))) for a in alone])
    # Profits: ties, negatives and near-equal densities are where pruning could go wrong.
    profit = np.array([draw(st.sampled_from([-1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 7.25, 13.0, 40.0]))
                       for _ in range(n)])
    return Knapsack(usable_u, usable_w, u, w, ub, alone), profit


def milp_value(ks: Knapsack, profit: np.ndarray, cand: np.ndarray) -> float:
    res = milp(
        -profit[cand],
        integrality=np.ones(len(cand)),
        bounds=Bounds(0, ks.ub[cand].astype(float)),
        constraints=[LinearConstraint(np.vstack([ks.u[cand], ks.w[cand]]), -np.inf,
                                      [ks.usable_u, ks.usable_w])],
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0
    return -float(res.fun)


def brute_value(ks: Knapsack, profit: np.ndarray, cand: np.ndarray) -> float:
    best = 0.0
    for counts in itertools.product(*(range(int(ks.ub[j]) + 1) for j in cand)):
        a = np.array(counts)
        if a @ ks.u[cand] <= ks.usable_u and a @ ks.w[cand] <= ks.usable_w + 1e-9:
            best = max(best, float(a @ profit[cand]))
    return best


def candidates(ks: Knapsack, profit: np.ndarray) -> np.ndarray:
    return np.array([j for j in range(len(profit)) if profit[j] > 0 and ks.ub[j] > 0], dtype=int)


def assert_fits(ks: Knapsack, a: np.ndarray) -> None:
    assert (a >= 0).all() and (a <= ks.ub).all()
    assert a @ ks.u <= ks.usable_u
    assert a @ ks.w <= ks.usable_w * (1 + 1e-9) + 1e-6


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(knapsacks())
def test_dynamic_program_equals_the_milp(case: tuple[Knapsack, np.ndarray]) -> None:
    ks, profit = case
    cand = candidates(ks, profit)
    if len(cand) == 0:
        return
    priced = solve_knapsack(ks, profit, cand)
    assert priced is not None
    assert_fits(ks, priced.counts)
    assert priced.value == pytest.approx(float(priced.counts @ profit), rel=1e-12, abs=1e-12)
    assert priced.value == pytest.approx(milp_value(ks, profit, cand), rel=1e-9, abs=1e-9)
    for a, value in priced.others:  # runners-up are real patterns, never better than the best
        assert_fits(ks, a)
        assert value <= priced.value + 1e-9


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(knapsacks())
def test_known_patterns_prune_but_keep_the_optimum(case: tuple[Knapsack, np.ndarray]) -> None:
    """Known patterns (here the optimum itself, found first without them, and every SKU alone
    at its fullest, non-candidates included) only prune: the optimum's profit stays."""
    ks, profit = case
    cand = candidates(ks, profit)
    if len(cand) == 0:
        return
    plain = solve_knapsack(ks, profit, cand)
    alone = np.diag(np.minimum(ks.ub, ks.alone))
    known = np.vstack([plain.counts, alone])
    for rows in (known, alone, known[:1]):
        priced = solve_knapsack(ks, profit, cand, known=rows)
        assert priced is not None
        assert_fits(ks, priced.counts)
        assert priced.value == pytest.approx(plain.value, rel=1e-12, abs=1e-12)
        assert priced.value == pytest.approx(float(priced.counts @ profit), rel=1e-12, abs=1e-12)
    # A known pattern's SKUs outside the candidates do not count (nor lift the floor).
    fewer = cand[1:]
    if len(fewer):
        priced = solve_knapsack(ks, profit, fewer, known=known)
        expected = solve_knapsack(ks, profit, fewer)
        assert priced.value == pytest.approx(expected.value, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_dominance_by_level_equals_the_table(seed: int) -> None:
    """The level-by-level dominance check keeps exactly the table's states, in its order, ties
    (equal U, watts or profit) included."""
    rng = np.random.default_rng(seed)
    n, levels = int(rng.integers(1, 3_000)), int(rng.integers(1, 49))
    us = rng.integers(0, levels, n)
    ws = rng.integers(0, 40, n) * 250.5
    ps = rng.integers(0, 30, n) * 1.25
    order = np.lexsort((us, -ps, ws))
    table = _prune(us[:1_000], ws[:1_000], ps[:1_000], levels)  # below the switch: the table
    assert np.array_equal(_prune_by_level(us[:1_000], ws[:1_000], ps[:1_000], levels), table)
    kept = _prune_by_level(us, ws, ps, levels)
    # Against the definition: nothing kept is dominated by an earlier state, all others are.
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    for i in range(n):
        earlier = (rank < rank[i]) & (us <= us[i]) & (ps >= ps[i])
        assert earlier.any() != (i in set(kept.tolist()))
    assert np.array_equal(kept, order[np.isin(order, kept)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(knapsacks(max_skus=4))
def test_dynamic_program_equals_the_brute_force(case: tuple[Knapsack, np.ndarray]) -> None:
    ks, profit = case
    cand = candidates(ks, profit)
    if len(cand) == 0 or math.prod(int(ks.ub[j]) + 1 for j in cand) > 20_000:
        return
    priced = solve_knapsack(ks, profit, cand)
    assert priced.value == pytest.approx(brute_value(ks, profit, cand), rel=1e-9, abs=1e-9)


def test_dominated_skus_go_unless_their_rival_is_short_of_stock() -> None:
    # SKU 1 is SKU 0 made worse (more U, more watts, less profit); SKU 2 equals SKU 0.
    u, w = np.array([1, 2, 1]), np.array([500.0, 600.0, 500.0])
    profit = np.array([10.0, 9.0, 10.0])
    free = Knapsack(10, 5_000.0, u, w, ub=np.array([10, 5, 10]), alone=np.array([10, 5, 10]))
    assert undominated(free, np.arange(3), profit).tolist() == [0]
    # With SKU 0 capped at 2 in stock, SKU 2 (its equal, uncapped) still replaces SKU 1.
    capped = Knapsack(10, 5_000.0, u, w, ub=np.array([2, 5, 10]), alone=np.array([10, 5, 10]))
    kept = undominated(capped, np.arange(3), profit).tolist()
    assert 2 in kept and 1 not in kept
    # Nobody uncapped can replace SKU 1 when both rivals are capped: it must stay.
    both = Knapsack(10, 5_000.0, u, w, ub=np.array([2, 5, 2]), alone=np.array([10, 5, 10]))
    assert undominated(both, np.arange(3), profit).tolist() == [0, 1, 2]
    priced = solve_knapsack(both, profit, np.arange(3))
    # 2 + 2 of the capped 1U SKUs and 3 of the 2U one: 10 U, 3,800 W, 67 of profit.
    assert priced.value == pytest.approx(67.0)


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bound_holds_at_every_round(seed: int) -> None:
    """Every round's bound (not only the converged one) is on the safe side of the optimum."""
    data = generate_problem(10, 6, 3, seed=seed)
    exact = solve({**data, "method": "compact"}, time_limit_s=60)
    assert exact["status"] == "optimal"
    problem = validate_problem(data)
    inst = build_instance(problem)
    seen: list[float] = []
    column_generation(inst, phase1=False, deadline=math.inf,
                      on_round=lambda lp, bound: seen.append(bound))
    bounds = [-b for b in seen if math.isfinite(b)]  # max_sessions: minimisation form negated
    assert bounds, "no round produced a bound"
    tol = 1e-6 * max(1.0, abs(exact["objective"]))
    assert all(b >= exact["objective"] - tol for b in bounds)
