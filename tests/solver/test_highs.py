"""planner.solver.highs (HiGHS through highspy) against scipy.optimize, which wraps the same
engine: statuses, objective values, points and LP duals on seeded random LPs and MILPs, the
infeasible, unbounded and time-limit cases, and the small sparse matrix against dense numpy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize as sp
from scipy import sparse

from planner.solver import highs

SEEDS = range(40)


def random_lp(seed: int) -> dict:
    """A bounded-below LP with random real data: nondegenerate with probability one, so its
    optimal duals are unique and both wrappers must report the same ones."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    m_ub = int(rng.integers(0, 6))
    m_eq = int(rng.integers(0, 3))
    a_ub = rng.uniform(-1.0, 3.0, (m_ub, n)) * (rng.random((m_ub, n)) < 0.7)
    x0 = rng.uniform(0.0, 2.0, n)  # a feasible point, so most instances are feasible
    b_ub = a_ub @ x0 + rng.uniform(0.1, 2.0, m_ub)
    a_eq = rng.uniform(-1.0, 2.0, (m_eq, n))
    b_eq = a_eq @ x0
    upper = np.where(rng.random(n) < 0.5, rng.uniform(2.5, 6.0, n), np.inf)
    c = rng.uniform(-3.0, 2.0, n)
    return {"c": c, "a_ub": a_ub, "b_ub": b_ub, "a_eq": a_eq, "b_eq": b_eq, "upper": upper}


def solve_lp(module, lp: dict):
    m_ub, m_eq = len(lp["b_ub"]), len(lp["b_eq"])
    return module.linprog(
        lp["c"],
        A_ub=lp["a_ub"] if m_ub else None,
        b_ub=lp["b_ub"] if m_ub else None,
        A_eq=lp["a_eq"] if m_eq else None,
        b_eq=lp["b_eq"] if m_eq else None,
        bounds=np.column_stack([np.zeros(len(lp["c"])), lp["upper"]]),
        method="highs",
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_lp_matches_scipy_including_duals(seed: int) -> None:
    lp = random_lp(seed)
    ours, theirs = solve_lp(highs, lp), solve_lp(sp, lp)
    assert ours.status == theirs.status
    assert ours.success == theirs.success
    if theirs.status != 0:
        assert ours.x is None and ours.fun is None
        return
    assert ours.fun == pytest.approx(theirs.fun, rel=1e-7, abs=1e-7)
    np.testing.assert_allclose(ours.x, theirs.x, atol=1e-6)
    for part in ("ineqlin", "eqlin", "lower", "upper"):
        np.testing.assert_allclose(ours[part].marginals, theirs[part].marginals, atol=1e-6)
        np.testing.assert_allclose(ours[part].residual, theirs[part].residual, atol=1e-6)


def test_lp_duals_are_the_sensitivity_of_the_optimum() -> None:
    """Independently of scipy: the marginals price each right-hand side and bound (strong
    duality and stationarity), with the sign of a minimisation (<= rows priced <= 0)."""
    checked = 0
    for seed in SEEDS:
        lp = random_lp(seed)
        res = solve_lp(highs, lp)
        if res.status != 0:
            continue
        checked += 1
        y_ub, y_eq = res.ineqlin.marginals, res.eqlin.marginals
        lower, upper = res.lower.marginals, res.upper.marginals
        assert np.all(y_ub <= 1e-9)
        assert np.all(lower >= -1e-9) and np.all(upper <= 1e-9)
        stationarity = lp["c"] - lp["a_ub"].T @ y_ub - lp["a_eq"].T @ y_eq - lower - upper
        np.testing.assert_allclose(stationarity, 0.0, atol=1e-7)
        finite = np.isfinite(lp["upper"])
        dual = lp["b_ub"] @ y_ub + lp["b_eq"] @ y_eq + lp["upper"][finite] @ upper[finite]
        assert dual == pytest.approx(res.fun, rel=1e-7, abs=1e-7)
        assert np.all(upper[~finite] == 0.0)
    assert checked >= len(SEEDS) // 2  # the instances are mostly feasible by construction


def random_milp(seed: int) -> dict:
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(2, 10))
    m = int(rng.integers(1, 5))
    a = rng.integers(0, 9, (m, n)).astype(float)
    lo = np.where(rng.random(m) < 0.3, rng.integers(1, 6, m).astype(float), -np.inf)
    hi = rng.integers(5, 30, m).astype(float)
    integrality = (rng.random(n) < 0.7).astype(int)
    upper = rng.integers(1, 6, n).astype(float)
    return {"c": -rng.integers(1, 20, n).astype(float), "a": a, "lo": lo, "hi": hi,
            "integrality": integrality, "upper": upper}


def solve_milp(module, p: dict, dense: bool, **options):
    a = p["a"]
    if not dense:
        a = sparse.csr_array(a) if module is sp else highs.csr_array(a)
    return module.milp(
        c=p["c"],
        integrality=p["integrality"],
        bounds=module.Bounds(np.zeros(len(p["c"])), p["upper"]),
        constraints=[module.LinearConstraint(a, p["lo"], p["hi"])],
        options={"mip_rel_gap": 0.0, "disp": False, "presolve": True, **options},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_milp_matches_scipy(seed: int) -> None:
    p = random_milp(seed)
    ours = solve_milp(highs, p, dense=seed % 2 == 0)
    theirs = solve_milp(sp, p, dense=seed % 2 == 1)
    assert (ours.status, ours.success) == (theirs.status, theirs.success)
    if theirs.x is None:
        assert ours.x is None and ours.fun is None and ours.mip_dual_bound is None
        return
    # Optimal to HiGHS's feasibility and integrality tolerances (1e-6), which move the last
    # digits between versions (scipy bundles its own HiGHS); the dual bound is a bound.
    assert ours.fun == pytest.approx(theirs.fun, abs=1e-5)
    assert ours.mip_dual_bound == pytest.approx(theirs.mip_dual_bound, abs=1e-5)
    assert ours.mip_dual_bound <= ours.fun + 1e-5
    assert ours.mip_gap == pytest.approx(theirs.mip_gap, abs=1e-6)
    x = ours.x
    ints = p["integrality"] == 1
    np.testing.assert_allclose(x[ints], np.round(x[ints]), atol=1e-6)
    row = p["a"] @ x
    assert np.all(row <= p["hi"] + 1e-6) and np.all(row >= p["lo"] - 1e-6)
    assert p["c"] @ x == pytest.approx(ours.fun, abs=1e-6)


def test_infeasible_and_unbounded_statuses_match_scipy() -> None:
    infeasible = {"c": np.array([1.0, 1.0]), "a_ub": np.array([[1.0, 1.0]]),
                  "b_ub": np.array([-1.0]), "a_eq": np.zeros((0, 2)), "b_eq": np.zeros(0),
                  "upper": np.array([np.inf, np.inf])}
    unbounded = {**infeasible, "c": np.array([-1.0, 0.0]), "b_ub": np.array([1.0]),
                 "a_ub": np.array([[0.0, 1.0]])}
    for lp, expected in ((infeasible, 2), (unbounded, 3)):
        ours, theirs = solve_lp(highs, lp), solve_lp(sp, lp)
        assert ours.status == theirs.status == expected
        assert not ours.success and ours.x is None
        assert ours.message.split("(")[0] == theirs.message.split("(")[0]
    for p in (
        {"c": np.array([1.0, 1.0]), "a": np.array([[2.0, 2.0]]), "lo": np.array([3.0]),
         "hi": np.array([3.0]), "integrality": np.array([1, 1]), "upper": np.array([5.0, 5.0])},
        {"c": np.array([-1.0, 0.0]), "a": np.array([[0.0, 1.0]]), "lo": np.array([-np.inf]),
         "hi": np.array([1.0]), "integrality": np.array([1, 0]),
         "upper": np.array([np.inf, np.inf])},
    ):
        ours, theirs = solve_milp(highs, p, True), solve_milp(sp, p, True)
        assert ours.status == theirs.status != 0
        assert ours.x is None and theirs.x is None


def market_split(seed: int, rows: int = 4, cols: int = 40) -> dict:
    """Cornuéjols-Dawande market split: tiny, and far beyond a few milliseconds of branching."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, (rows, cols)).astype(float)
    d = np.floor(a.sum(axis=1) / 2)
    return {"c": np.zeros(cols), "a": a, "lo": d, "hi": d, "integrality": np.ones(cols, int),
            "upper": np.ones(cols)}


def test_time_limit_is_status_1_as_in_scipy() -> None:
    p = market_split(7)
    ours = solve_milp(highs, p, True, time_limit=0.2)
    theirs = solve_milp(sp, p, True, time_limit=0.2)
    assert ours.status == theirs.status == 1
    assert "Time limit reached" in ours.message
    if ours.x is not None:  # an incumbent found in time is returned, as scipy does
        np.testing.assert_allclose(p["a"] @ ours.x, p["hi"], atol=1e-6)


def test_node_limit_and_unknown_options() -> None:
    p = market_split(3)
    res = solve_milp(highs, p, True, node_limit=1, time_limit=10.0)
    assert res.status == solve_milp(sp, p, True, node_limit=1, time_limit=10.0).status
    with pytest.raises(ValueError, match="unsupported"):
        solve_milp(highs, p, True, threads=2)


def test_sparse_helper_matches_dense_numpy() -> None:
    rng = np.random.default_rng(5)
    for _ in range(30):
        m, n = (int(k) for k in rng.integers(1, 7, 2))
        dense = rng.integers(-2, 3, (m, n)) * (rng.random((m, n)) < 0.5)
        r, c = np.nonzero(np.ones((m, n)))
        # Triplets with duplicates and explicit zeros add up as in scipy.
        coo = highs.coo_array((np.concatenate([dense[r, c], np.zeros(len(r))]),
                               (np.concatenate([r, r]), np.concatenate([c, c]))), shape=(m, n))
        np.testing.assert_array_equal(coo.toarray(), dense)
        other = rng.integers(-2, 3, (m, 3))
        wide = highs.hstack([highs.csr_array(dense), other, highs.coo_array((m, 2))],
                            format="csr")
        np.testing.assert_array_equal(wide.toarray(), np.hstack([dense, other, np.zeros((m, 2))]))
        tall = highs.vstack([coo, highs.csr_array(np.ones((2, n)))]).tocsr()
        np.testing.assert_array_equal(tall.toarray(), np.vstack([dense, np.ones((2, n))]))
        v = rng.normal(size=n)
        np.testing.assert_allclose(coo @ v, dense @ v)
        w = rng.normal(size=m)
        np.testing.assert_allclose(coo.T @ w, dense.T @ w)
        start, index, value = coo.csc()
        ref = sparse.csc_array(dense)
        ref.eliminate_zeros()
        ref.sort_indices()
        np.testing.assert_array_equal(start, ref.indptr)
        np.testing.assert_array_equal(index, ref.indices)
        np.testing.assert_array_equal(value, ref.data)
    with pytest.raises(ValueError):
        highs.coo_array(([1.0], ([3], [0])), shape=(2, 2))
