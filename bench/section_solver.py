"""Solver at data-hall scale: the default method against greedy and the compact MILP baseline.

Instances come from the seeded generator ``planner.solver.generate`` (seed 0). For each size:
median wall time of 5 solves with the default ``method: exact`` (compact MILP for small inputs,
column generation over rack patterns above), its proven gap, the greedy fill's objective as a share
of the default method's, and the compact MILP (HiGHS, one integer variable per rack and SKU) with
a 60 s limit as the baseline. Peak memory is the process's peak RSS after the size (it only grows),
and the tracemalloc peak of Python-side allocations (numpy included) of one default solve.
"""

from __future__ import annotations

import resource
import statistics
import time
import tracemalloc
from typing import Any

from planner.solver import solve
from planner.solver.generate import BENCH_SIZES, generate_problem

TITLE = "Solver at data-hall scale (issue 4)"

RUNS = 5
BASELINE_LIMIT_S = 60.0
TIME_LIMIT_S = 60.0


def _timed(data: dict[str, Any], limit: float) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    result = solve(data, time_limit_s=limit)
    return result, time.perf_counter() - start


def _pct(gap: float | None) -> str:
    return "–" if gap is None else f"{100 * gap:.4f} %"


def _row(size: tuple[int, int, int], runs: int, baseline_limit: float) -> dict[str, Any]:
    data = generate_problem(*size, seed=0)
    times = []
    result: dict[str, Any] = {}
    for _ in range(runs):
        result, seconds = _timed(data, TIME_LIMIT_S)
        times.append(seconds)
    tracemalloc.start()
    solve(data, time_limit_s=TIME_LIMIT_S)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    greedy, greedy_s = _timed(dict(data, method="greedy"), TIME_LIMIT_S)
    compact, compact_s = _timed(dict(data, method="compact"), baseline_limit)
    ratio = None
    if greedy.get("objective") is not None and result.get("objective"):
        ratio = greedy["objective"] / result["objective"]
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size,
        "status": result["status"],
        "algorithm": result.get("algorithm"),
        "median_s": statistics.median(times),
        "objective": result.get("objective"),
        "gap": result.get("gap"),
        "greedy_ratio": ratio,
        "greedy_s": greedy_s,
        "greedy_gap": greedy.get("gap"),
        "compact_status": compact["status"],
        "compact_s": compact_s,
        "compact_gap": compact.get("gap"),
        "compact_objective": compact.get("objective"),
        "traced_mib": traced_peak / 2**20,
        "rss_mib": rss_mib,
    }


def run(quick: bool) -> str:
    sizes = BENCH_SIZES[:4] if quick else BENCH_SIZES
    runs = 1 if quick else RUNS
    baseline_limit = 10.0 if quick else BASELINE_LIMIT_S
    rows = [_row(size, runs, baseline_limit) for size in sizes]
    lines = [
        f"Seeded instances (`planner.solver.generate`, seed 0); median of {runs} solve(s) with "
        f"the default method; greedy = `method: greedy`; baseline = `method: compact` (HiGHS "
        f"MILP, one integer variable per rack and SKU) with a {baseline_limit:g} s limit. Gaps are "
        "proven: bound from an LP relaxation. Greedy ratio = greedy objective / default objective.",
        "",
        "| racks, SKUs, models | status (algorithm) | median time | gap | greedy ratio (gap) "
        "| compact baseline: status, time, gap | speed-up | peak RSS / traced |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["compact_status"] == "invalid":
            baseline = "refused (over its 200,000-variable limit)"
            speedup = "–"
        else:
            baseline = f"{r['compact_status']}, {r['compact_s']:.2f} s, {_pct(r['compact_gap'])}"
            speedup = f"{r['compact_s'] / max(r['median_s'], 1e-9):.0f}×"
        greedy = (
            "–"
            if r["greedy_ratio"] is None
            else (f"{r['greedy_ratio']:.4f} ({_pct(r['greedy_gap'])})")
        )
        lines.append(
            f"| {r['size'][0]:,}, {r['size'][1]}, {r['size'][2]} | {r['status']} "
            f"({r['algorithm']}) | {r['median_s']:.3f} s | {_pct(r['gap'])} | {greedy} "
            f"| {baseline} | {speedup} | {r['rss_mib']:.0f} MiB / {r['traced_mib']:.1f} MiB |"
        )
    lines += [
        "",
        "Targets (issue 4, 2-core machine): (1,000, 40, 6) gap ≤ 0.1 % in ≤ 1 s; (5,000, 60, 8) "
        "≤ 0.1 % in ≤ 5 s; (20,000, 100, 10) ≤ 0.5 % in ≤ 30 s; ≥ 50× faster than the compact "
        "baseline at equal or better gap on 1,000 racks; peak memory < 1 GB. The machine was "
        "shared with other jobs while measuring, so times are noisy; re-run with "
        "`python -m bench solver` on a quiet machine.",
    ]
    return "\n".join(lines)
