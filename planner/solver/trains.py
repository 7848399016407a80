"""Power trains in the pattern method: each pattern's rack count split by train.

A hall with ``power_trains: {"count": K}`` hangs every rack on one of ``K`` trains and must keep
every demand minimum after losing any one train (the rule and the other methods:
:mod:`planner.solver.resilience`). Identical racks are interchangeable, so over patterns the
only decision is how many racks of each pattern go on each train. The integer program over
patterns (:func:`planner.solver.patterns._ip_resilient`, on the split problem where each server
serves one model, so a pattern knows its sessions per model) gets, per pattern ``p`` and train
``k``, an integer ``x[p,k] >= 0`` and the rows

* ``x[p] = sum_k x[p,k]`` (written as two inequalities);
* per model ``m`` with a minimum and train ``k``:
  ``sum_p a[m,p] x[p,k] - sessions(m) <= -min(m)``, where ``sessions(m)`` is the sum of the
  (SKU, model) pair columns, i.e. what the hall serves of ``m``;
* ``sum_p x[p,k] >= sum_p x[p,k+1]`` (trains are interchangeable; ordering them by rack count
  cuts no layout off).

This is exact for the patterns at hand; the bound comes from the pattern LP under
:func:`planner.solver.resilience.raised_mins`, which every train-resilient layout meets.

At hall scale the patterns times the trains make thousands of integer columns and HiGHS rarely
finds an integer point in time (5,000 racks: 2,300 patterns x 4 trains, none found in 12 s), so
above :data:`EXACT_MAX_COLUMNS` the method instead solves the IP without the train rows (its
minimums are already raised to ``min x K / (K - 1)``), spreads the racks over the trains
(:func:`planner.solver.resilience.assign_trains`) and raises the minimums of the models a train
loss breaks by what it took, until the layout survives (:func:`raise_until_spread`). The layout
then survives exactly; only optimality over the patterns is given up, and the gap says by how
much at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from . import resilience
from .columns import Instance
from .outcome import RackFill
from .problem import Problem

#: Above this many (pattern, train) columns the pattern method spreads and raises instead of
#: solving the exact train rows (see the module docstring).
EXACT_MAX_COLUMNS = 4000

#: A row of the IP: ``(columns, coefficients, upper bound)`` of ``coefs @ x[cols] <= upper``.
Row = tuple[list[int], list[float], float]


def pattern_rows(
    inst: Instance,
    mins: Mapping[str, int],
    pair_cols: Mapping[str, Sequence[tuple[int, float]]],
    first: int,
    k_trains: int,
) -> tuple[list[Row], int]:
    """The train rows above, with the ``x[p,k]`` columns numbered from ``first`` (pattern-major).

    ``pair_cols`` maps each model with a minimum to its ``(pair column, sessions per server)``.
    Returns the rows and the number of new columns.
    """
    work = inst.problem
    n_pat = len(inst.patterns)
    rows: list[Row] = []
    for p in range(n_pat):
        split = [first + p * k_trains + k for k in range(k_trains)]
        rows.append(([p, *split], [1.0, *[-1.0] * k_trains], 0.0))
        rows.append(([p, *split], [-1.0, *[1.0] * k_trains], 0.0))
    per_model: dict[str, list[tuple[int, float]]] = {m: [] for m in mins}
    for p, (_, counts) in enumerate(inst.patterns):
        sessions: dict[str, float] = {}
        for j, c in enumerate(counts):
            if c:
                # On the split problem each SKU serves one model.
                m, n = work.servers[inst.skus[j]].sessions[0]
                sessions[m] = sessions.get(m, 0.0) + c * n
        for m, a in sessions.items():
            if m in per_model:
                per_model[m].append((p, a))
    for m, lo in mins.items():
        if lo <= 0 or not pair_cols.get(m):
            continue
        served_cols = [col for col, _ in pair_cols[m]]
        served = [-sess for _, sess in pair_cols[m]]
        for k in range(k_trains):
            cols = [first + p * k_trains + k for p, _ in per_model[m]]
            coefs = [a for _, a in per_model[m]]
            rows.append(([*cols, *served_cols], [*coefs, *served], -float(lo)))
    for k in range(k_trains - 1):
        cols = [first + p * k_trains + k for p in range(n_pat)]
        nxt = [first + p * k_trains + k + 1 for p in range(n_pat)]
        rows.append(([*cols, *nxt], [-1.0] * n_pat + [1.0] * n_pat, 0.0))
    return rows, n_pat * k_trains


def exact_fits(problem: Problem, inst: Instance) -> bool:
    """Whether the exact train rows are used: no trains, or few enough (pattern, train) pairs."""
    k_trains = problem.power_trains
    return k_trains is None or len(inst.patterns) * k_trains <= EXACT_MAX_COLUMNS


def raise_until_spread(
    problem: Problem,
    inst: Instance,
    solve: Callable[[], tuple[RackFill, ...] | None],
    deadline: float,
) -> tuple[RackFill, ...] | None:
    """Solve (the IP without train rows), spread the racks over the trains, and raise the
    instance's minimums of the models the worst train loss leaves short, until the layout
    survives every train loss; ``None`` if the IP fails or time or rounds run out.

    ``inst.mins`` is restored afterwards (the bound was proven with the valid raised minimums).
    """
    saved = dict(inst.mins)
    try:
        for _ in range(resilience.RAISE_ROUNDS):
            fills = solve()
            if fills is None:
                return None
            fills = resilience.assign_trains(problem, fills)
            left = resilience.exposure(problem, fills)
            short = {
                m: lo - left[m]["after_worst_train"]
                for m, lo in problem.mins.items()
                if left[m]["after_worst_train"] < lo
            }
            if not short:
                return fills
            if time.perf_counter() >= deadline:
                return None
            for m, deficit in short.items():
                inst.mins[m] = inst.mins.get(m, problem.mins[m]) + deficit
        return None
    finally:
        inst.mins = saved


def split_counts(x: np.ndarray, first: int, n_pat: int, k_trains: int) -> np.ndarray:
    """Racks of each pattern on each train, ``[pattern, train]``, from the IP's solution."""
    block = np.asarray(x[first : first + n_pat * k_trains], dtype=float)
    return np.round(block).astype(np.int64).reshape(n_pat, k_trains)
