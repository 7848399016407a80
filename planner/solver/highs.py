"""HiGHS through its own binding (highspy), with the part of scipy's interface the solver uses.

Why not ``scipy.optimize``: importing it costs ~0.6 s per process (it pulls in scipy.special,
linalg, fft and sparse) and every `manage.py solve` paid it at start-up (issue 15); highspy is
the same HiGHS engine, maintained by the HiGHS team, and imports in ~0.1 s beyond numpy.

What is here, and only this: ``milp`` and ``linprog(method="highs")`` with scipy's statuses,
messages, result attributes and dual signs (scipy's ``_milp.py``, ``_linprog_highs.py`` and
``_highspy/_highs_wrapper.py``, 1.13-1.17: the row marginals are HiGHS's row duals as they are),
``Bounds`` and ``LinearConstraint``, and a small sparse matrix (``coo_array``, ``csr_array``,
``hstack``, ``vstack``) with the operations the call sites use, so that scipy.sparse is not
imported either. Nothing here validates more than the call sites need: the inputs are the
solver's own arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from highspy import _core

INF = _core.kHighsInf
_Status = _core.HighsModelStatus

#: HiGHS model status -> (scipy status, scipy's message prefix), as scipy's
#: ``_highs_to_scipy_status_message``: 0 optimal, 1 limit reached, 2 infeasible, 3 unbounded,
#: 4 other.
_SCIPY_STATUS = {
    None: (4, "HiGHS did not provide a status code. "),
    _Status.kNotset: (4, ""),
    _Status.kLoadError: (4, ""),
    _Status.kModelError: (2, ""),
    _Status.kPresolveError: (4, ""),
    _Status.kSolveError: (4, ""),
    _Status.kPostsolveError: (4, ""),
    _Status.kModelEmpty: (4, ""),
    _Status.kObjectiveBound: (4, ""),
    _Status.kObjectiveTarget: (4, ""),
    _Status.kOptimal: (0, "Optimization terminated successfully. "),
    _Status.kTimeLimit: (1, "Time limit reached. "),
    _Status.kIterationLimit: (1, "Iteration limit reached. "),
    _Status.kInfeasible: (2, "The problem is infeasible. "),
    _Status.kUnbounded: (3, "The problem is unbounded. "),
    _Status.kUnboundedOrInfeasible: (4, "The problem is unbounded or infeasible. "),
}
_UNRECOGNISED = (4, "The HiGHS status code was not recognized. ")
#: Limits after which a MIP may still hold an incumbent (scipy returns it).
_MIP_LIMITS = (_Status.kTimeLimit, _Status.kIterationLimit, _Status.kSolutionLimit)
#: scipy's linprog feasibility check tolerance on the returned point (its ``tol`` default).
LINPROG_TOL = 1e-9


class OptimizeResult(dict):
    """A dict whose keys are also attributes, like scipy's."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


# --- a small sparse matrix: triplets in, compressed columns out --------------------------------


class SparseMatrix:
    """A matrix kept as (row, column, value) triplets; duplicates add up, as in scipy.

    Only what the solver does with its matrices: stack them, transpose, multiply a vector,
    and hand HiGHS compressed columns.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                 shape: tuple[int, int]) -> None:
        self.rows = np.asarray(rows, dtype=np.int64).ravel()
        self.cols = np.asarray(cols, dtype=np.int64).ravel()
        self.vals = np.asarray(vals, dtype=np.float64).ravel()
        self.shape = (int(shape[0]), int(shape[1]))
        if not len(self.rows) == len(self.cols) == len(self.vals):
            raise ValueError("row, column and value arrays differ in length")
        if len(self.rows) and (
            self.rows.min() < 0 or self.cols.min() < 0
            or self.rows.max() >= self.shape[0] or self.cols.max() >= self.shape[1]
        ):
            raise ValueError("an index is outside the matrix shape")

    @classmethod
    def from_dense(cls, dense: Any) -> SparseMatrix:
        a = np.atleast_2d(np.asarray(dense, dtype=np.float64))
        if a.ndim != 2:
            raise ValueError("a matrix must be two-dimensional")
        r, c = np.nonzero(a)
        return cls(r, c, a[r, c], a.shape)

    @property
    def T(self) -> SparseMatrix:  # noqa: N802 - scipy's name
        return SparseMatrix(self.cols, self.rows, self.vals, self.shape[::-1])

    def tocsr(self) -> SparseMatrix:
        """scipy's conversion call, kept so call sites read the same; the layout is internal."""
        return self

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        np.add.at(out, (self.rows, self.cols), self.vals)
        return out

    def __matmul__(self, vector: Any) -> np.ndarray:
        v = np.asarray(vector, dtype=np.float64)
        if v.ndim != 1 or len(v) != self.shape[1]:
            raise ValueError(f"cannot multiply a {self.shape} matrix by shape {v.shape}")
        return np.bincount(self.rows, weights=self.vals * v[self.cols], minlength=self.shape[0])

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, index, value) by column, duplicates summed and zeros dropped, for HiGHS."""
        n_rows, n_cols = self.shape
        key = self.cols * max(1, n_rows) + self.rows
        unique, inverse = np.unique(key, return_inverse=True)
        vals = np.bincount(inverse, weights=self.vals, minlength=len(unique))
        keep = vals != 0.0
        unique, vals = unique[keep], vals[keep]
        cols, rows = np.divmod(unique, max(1, n_rows))
        start = np.zeros(n_cols + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=n_cols), out=start[1:])
        return start, rows.astype(np.int32), vals


def _as_sparse(a: Any) -> SparseMatrix:
    return a if isinstance(a, SparseMatrix) else SparseMatrix.from_dense(a)


def coo_array(arg: Any, shape: tuple[int, int] | None = None) -> SparseMatrix:
    """``coo_array((values, (rows, cols)), shape=...)`` or an all-zero ``coo_array((m, n))``."""
    if isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[1], tuple):
        vals, (rows, cols) = arg
        if shape is None:
            shape = (int(np.max(rows, initial=-1)) + 1, int(np.max(cols, initial=-1)) + 1)
        return SparseMatrix(rows, cols, vals, shape)
    if isinstance(arg, tuple) and len(arg) == 2 and all(np.isscalar(k) for k in arg):
        return SparseMatrix(np.zeros(0), np.zeros(0), np.zeros(0), arg)
    return _as_sparse(arg)


def csr_array(arg: Any) -> SparseMatrix:
    """A sparse copy of a dense matrix (or of a sparse one)."""
    return coo_array(arg)


def hstack(blocks: Sequence[Any], format: str | None = None) -> SparseMatrix:  # noqa: A002
    """Blocks side by side (``format`` is accepted for scipy's signature and ignored)."""
    parts = [_as_sparse(b) for b in blocks]
    if len({p.shape[0] for p in parts}) > 1:
        raise ValueError("blocks of hstack have different row counts")
    offsets = np.cumsum([0] + [p.shape[1] for p in parts])
    return SparseMatrix(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.cols + off for p, off in zip(parts, offsets, strict=False)]),
        np.concatenate([p.vals for p in parts]),
        (parts[0].shape[0], int(offsets[-1])),
    )


def vstack(blocks: Sequence[Any], format: str | None = None) -> SparseMatrix:  # noqa: A002
    """Blocks one above the other (``format`` is accepted and ignored)."""
    return hstack([_as_sparse(b).T for b in blocks]).T


# --- scipy.optimize's containers ----------------------------------------------------------------


class Bounds:
    """``lb <= x <= ub``, scalars broadcast (scipy.optimize.Bounds)."""

    def __init__(self, lb: Any = -np.inf, ub: Any = np.inf) -> None:
        self.lb = lb
        self.ub = ub


class LinearConstraint:
    """``lb <= A @ x <= ub`` (scipy.optimize.LinearConstraint); A dense or sparse."""

    def __init__(self, A: Any, lb: Any = -np.inf, ub: Any = np.inf) -> None:  # noqa: N803
        self.A = _as_sparse(A)
        m = self.A.shape[0]
        self.lb = np.broadcast_to(np.asarray(lb, dtype=np.float64), (m,)).copy()
        self.ub = np.broadcast_to(np.asarray(ub, dtype=np.float64), (m,)).copy()


# --- solving ------------------------------------------------------------------------------------


def _finite(a: np.ndarray) -> np.ndarray:
    """numpy infinities as HiGHS's (scipy's ``_replace_inf``)."""
    a = np.array(a, dtype=np.float64)
    infs = np.isinf(a)
    a[infs] = np.sign(a[infs]) * INF
    return a


def _options(highs: Any, options: dict[str, Any]) -> None:
    for key, value in options.items():
        if value is None:
            continue
        if key in ("presolve", "parallel") and isinstance(value, bool):
            value = "on" if value else "off"  # HiGHS takes these as strings
        if highs.setOptionValue(key, value) != _core.HighsStatus.kOk:
            raise ValueError(f"HiGHS refused option {key}={value!r}")


def _run(
    c: np.ndarray, a: SparseMatrix, row_lo: np.ndarray, row_hi: np.ndarray,
    lb: np.ndarray, ub: np.ndarray, integrality: np.ndarray | None, options: dict[str, Any],
) -> dict[str, Any]:
    """scipy's ``_highs_wrapper``: one HiGHS solve, its model status, solution and duals."""
    n_col, n_row = len(c), len(row_hi)
    is_mip = integrality is not None and bool(np.any(integrality))
    lp = _core.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = _finite(lb)
    lp.col_upper_ = _finite(ub)
    lp.row_lower_ = _finite(row_lo)
    lp.row_upper_ = _finite(row_hi)
    start, index, value = a.csc()
    lp.a_matrix_.format_ = _core.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if is_mip:
        kinds = [_core.HighsVarType(k) for k in range(5)]  # the binding takes enums, not ints
        lp.integrality_ = [kinds[k] for k in np.asarray(integrality, dtype=np.int64).tolist()]
    highs = _core._Highs()
    # Quiet before anything else, so that not even HiGHS's banner reaches stdout.
    highs.setOptionValue("output_flag", bool(options.get("log_to_console", False)))
    _options(highs, options)
    if highs.passModel(lp) == _core.HighsStatus.kError:
        return {"status": _Status.kModelError, "message": highs.modelStatusToString(
            _Status.kModelError), "x": None, "fun": None}
    if highs.run() == _core.HighsStatus.kError:
        status = highs.getModelStatus()
        return {"status": status, "message": highs.modelStatusToString(status),
                "x": None, "fun": None}
    status = highs.getModelStatus()
    info = highs.getInfo()
    mip_failed = status not in (_Status.kOptimal, *_MIP_LIMITS) or (
        status in _MIP_LIMITS and info.objective_function_value == INF
    )
    if (is_mip and mip_failed) or (not is_mip and status != _Status.kOptimal):
        return {
            "status": status,
            "message": f"model_status is {highs.modelStatusToString(status)}; primal_status is "
            f"{highs.solutionStatusToString(info.primal_solution_status)}",
            "x": None,
            "fun": None,
            "nit": info.simplex_iteration_count or info.ipm_iteration_count,
        }
    solution = highs.getSolution()
    out = {
        "status": status,
        "message": highs.modelStatusToString(status),
        "x": np.array(solution.col_value),
        "fun": info.objective_function_value,
        "row_value": np.array(solution.row_value),
        "nit": info.simplex_iteration_count or info.ipm_iteration_count,
    }
    if is_mip:
        out.update(mip_node_count=info.mip_node_count, mip_dual_bound=info.mip_dual_bound,
                   mip_gap=info.mip_gap)
    else:
        # Bound marginals by basis status, as scipy reads them.
        col_status = np.array([int(s) for s in highs.getBasis().col_status])
        col_dual = np.array(solution.col_dual)
        out["row_dual"] = np.array(solution.row_dual)
        out["marg_lower"] = np.where(col_status == int(_core.HighsBasisStatus.kLower),
                                     col_dual, 0.0)
        out["marg_upper"] = np.where(col_status == int(_core.HighsBasisStatus.kUpper),
                                     col_dual, 0.0)
    return out


def _scipy_status(res: dict[str, Any]) -> tuple[int, str]:
    status, prefix = _SCIPY_STATUS.get(res["status"], _UNRECOGNISED)
    code = None if res["status"] is None else int(res["status"])
    return status, f"{prefix}(HiGHS Status {code}: {res['message']})"


def milp(
    c: Any,
    *,
    integrality: Any = None,
    bounds: Bounds | None = None,
    constraints: LinearConstraint | Sequence[LinearConstraint] | None = None,
    options: dict[str, Any] | None = None,
) -> OptimizeResult:
    """Minimise ``c @ x`` (scipy.optimize.milp): options ``disp``, ``presolve``, ``time_limit``
    (s), ``node_limit`` and ``mip_rel_gap``; result ``status``, ``success``, ``message``, ``x``,
    ``fun``, ``mip_node_count``, ``mip_dual_bound``, ``mip_gap``."""
    c = np.atleast_1d(np.asarray(c, dtype=np.float64))
    n = len(c)
    integ = np.broadcast_to(0 if integrality is None else integrality, (n,)).astype(np.uint8)
    bounds = bounds or Bounds(0.0, np.inf)
    lb = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,))
    ub = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,))
    if isinstance(constraints, LinearConstraint):
        constraints = [constraints]
    constraints = list(constraints or [])
    if constraints:
        a = vstack([k.A for k in constraints])
        row_lo = np.concatenate([k.lb for k in constraints])
        row_hi = np.concatenate([k.ub for k in constraints])
    else:
        a, row_lo, row_hi = coo_array((0, n)), np.zeros(0), np.zeros(0)
    if a.shape != (len(row_lo), n):
        raise ValueError("The shape of `A` must be (len(b_l), len(c)).")
    options = dict(options or {})
    unknown = set(options) - {"disp", "presolve", "time_limit", "node_limit", "mip_rel_gap"}
    if unknown:
        raise ValueError(f"unsupported milp options: {sorted(unknown)}")
    highs_options = {"log_to_console": options.pop("disp", False),
                     "mip_max_nodes": options.pop("node_limit", None), **options}
    res = _run(c, a, row_lo, row_hi, lb, ub, integ, highs_options)
    status, message = _scipy_status(res)
    return OptimizeResult(
        status=status,
        message=message,
        success=status == 0,
        x=res["x"],
        fun=res["fun"],
        mip_node_count=res.get("mip_node_count"),
        mip_dual_bound=res.get("mip_dual_bound"),
        mip_gap=res.get("mip_gap"),
    )


def linprog(
    c: Any,
    A_ub: Any = None,  # noqa: N803 - scipy's names
    b_ub: Any = None,
    A_eq: Any = None,  # noqa: N803
    b_eq: Any = None,
    bounds: Any = (0, None),
    method: str = "highs",
    options: dict[str, Any] | None = None,
) -> OptimizeResult:
    """Minimise ``c @ x`` subject to ``A_ub @ x <= b_ub``, ``A_eq @ x == b_eq`` and bounds
    (scipy.optimize.linprog with ``method="highs"``; ``bounds`` a pair or one per variable,
    None for no bound). Options ``time_limit`` (s), ``presolve``, ``disp``. The result carries
    ``ineqlin``/``eqlin``/``lower``/``upper`` with ``residual`` and ``marginals`` (the
    sensitivity of ``fun`` to each right-hand side or bound: HiGHS's duals, scipy's signs)."""
    if method != "highs":
        raise ValueError(f"only method='highs' is available, not {method!r}")
    c = np.atleast_1d(np.asarray(c, dtype=np.float64))
    n = len(c)
    bnd = np.array(bounds, dtype=object)
    bnd = np.broadcast_to(bnd.reshape(-1, 2) if bnd.size != 2 else bnd.reshape(1, 2), (n, 2))
    lb = np.array([-np.inf if v is None else float(v) for v in bnd[:, 0]])
    ub = np.array([np.inf if v is None else float(v) for v in bnd[:, 1]])
    a_ub = coo_array((0, n)) if A_ub is None else _as_sparse(A_ub)
    a_eq = coo_array((0, n)) if A_eq is None else _as_sparse(A_eq)
    b_ub = np.zeros(0) if b_ub is None else np.atleast_1d(np.asarray(b_ub, dtype=np.float64))
    b_eq = np.zeros(0) if b_eq is None else np.atleast_1d(np.asarray(b_eq, dtype=np.float64))
    if a_ub.shape != (len(b_ub), n) or a_eq.shape != (len(b_eq), n):
        raise ValueError("constraint matrices and right-hand sides do not match `c`")
    options = dict(options or {})
    unknown = set(options) - {"disp", "presolve", "time_limit"}
    if unknown:
        raise ValueError(f"unsupported linprog options: {sorted(unknown)}")
    disp = options.pop("disp", False)
    highs_options = {
        "presolve": options.pop("presolve", True),
        "time_limit": options.pop("time_limit", None),
        "log_to_console": disp,
        "output_flag": disp,
        "simplex_strategy": 1,  # dual simplex, as scipy's linprog sets it
    }
    a = vstack([a_ub, a_eq])
    row_lo = np.concatenate([np.full(len(b_ub), -np.inf), b_eq])
    row_hi = np.concatenate([b_ub, b_eq])
    res = _run(c, a, row_lo, row_hi, lb, ub, None, highs_options)
    status, message = _scipy_status(res)
    x = res["x"]
    m_ub = len(b_ub)
    slack = con = None
    marginals: dict[str, np.ndarray | None] = dict.fromkeys(("ub", "eq", "lower", "upper"))
    if x is not None:
        slack = b_ub - res["row_value"][:m_ub]
        con = b_eq - res["row_value"][m_ub:]
        marginals.update(ub=res["row_dual"][:m_ub], eq=res["row_dual"][m_ub:],
                         lower=res["marg_lower"], upper=res["marg_upper"])
    status, message = _check_result(x, res["fun"], status, message, slack, con, lb, ub)
    return OptimizeResult(
        x=x,
        fun=res["fun"],
        slack=slack,
        con=con,
        ineqlin=OptimizeResult(residual=slack, marginals=marginals["ub"]),
        eqlin=OptimizeResult(residual=con, marginals=marginals["eq"]),
        lower=OptimizeResult(residual=None if x is None else x - lb,
                             marginals=marginals["lower"]),
        upper=OptimizeResult(residual=None if x is None else ub - x,
                             marginals=marginals["upper"]),
        status=status,
        success=status == 0,
        message=message,
        nit=res.get("nit", 0),
    )


def _check_result(
    x: np.ndarray | None, fun: float | None, status: int, message: str,
    slack: np.ndarray | None, con: np.ndarray | None, lb: np.ndarray, ub: np.ndarray,
) -> tuple[int, str]:
    """scipy's ``_check_result``: an "optimal" point that breaks a row or bound is status 4."""
    if x is None:
        if status == 0:
            return 4, "The solver did not provide a solution nor did it report a failure."
        return status, message
    tol = LINPROG_TOL
    if np.isnan(x).any() or np.isnan(fun) or np.isnan(slack).any() or np.isnan(con).any():
        feasible = False
    else:
        feasible = bool(
            np.all((x >= lb - tol) & (x <= ub + tol))
            and (status == 3 or not (slack < -tol).any())
            and (status == 3 or not (np.abs(con) > tol).any())
        )
    if status == 0 and not feasible:
        return 4, (f"The solution does not satisfy the constraints within the required "
                   f"tolerance of {tol:.2E}, yet no errors were raised and there is no "
                   "certificate of infeasibility or unboundedness.")
    if status == 2 and feasible:
        return 4, ("The solution is feasible, but the solver did not report that the solution "
                   "was optimal.")
    return status, message
