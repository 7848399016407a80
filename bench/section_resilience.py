"""Layouts that survive a failure (issue 14): the solver's time and gap with ``resilience`` or
``power_trains`` asked for, beside the plain problem, at 1,000 and 5,000 racks.

Instances come from the seeded generator ``planner.solver.generate`` (seed 0, every model with a
demand minimum is the constraint resilience tightens). Each row is one solve with the default
``method: exact`` under a time limit (short runs): status, wall time, proven gap, and the
sessions the layout keeps after its worst single rack, server and (with trains) power-train
loss, summed over the models with a minimum, against the sum of those minimums.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from planner.solver import solve
from planner.solver.generate import generate_problem

TITLE = "Resilience: N+1 racks, servers and power trains at hall scale (issue 14)"

SIZES = ((1000, 40, 6), (5000, 60, 8))
QUICK_SIZES = ((100, 20, 6),)
#: Power trains in the train rows: a hall on four trains, any one of which may be lost.
TRAINS = 4
#: (label, problem fields) of each row.
KINDS = (
    ("none", {"resilience": "none"}),
    ("n_plus_1_rack", {"resilience": "n_plus_1_rack"}),
    ("n_plus_1_server", {"resilience": "n_plus_1_server"}),
    (f"power_trains {TRAINS}", {"power_trains": {"count": TRAINS}}),
)
TIME_LIMIT_S = 60.0
QUICK_LIMIT_S = 10.0


def _pct(gap: float | None) -> str:
    return "–" if gap is None else f"{100 * gap:.3f} %"


def _kept(data: dict[str, Any], result: dict[str, Any], key: str) -> str:
    mins = {m: d["min"] for m, d in data["demand"].items() if d.get("min", 0) > 0}
    exposure = result.get("exposure") or {}
    if not exposure or any(key not in exposure[m] for m in mins):
        return "–"
    kept = sum(exposure[m][key] for m in mins)
    return f"{kept:,} / {sum(mins.values()):,}"


def _row(size: tuple[int, int, int], kind: tuple[str, dict[str, Any]], limit: float) -> str:
    label, fields = kind
    data = dict(generate_problem(*size, seed=0), **fields)
    start = time.perf_counter()
    result = solve(data, time_limit_s=limit)
    seconds = time.perf_counter() - start
    objective = result.get("objective")
    return (
        f"| {size[0]:,}, {size[1]}, {size[2]} | `{label}` | {result['status']} "
        f"({result.get('algorithm')}) | {seconds:.2f} s | {_pct(result.get('gap'))} "
        f"| {'–' if objective is None else f'{objective:,.0f}'} "
        f"| {_kept(data, result, 'after_worst_rack')} "
        f"| {_kept(data, result, 'after_worst_server')} "
        f"| {_kept(data, result, 'after_worst_train')} |"
    )


def run(quick: bool) -> str:
    sizes = QUICK_SIZES if quick else SIZES
    limit = QUICK_LIMIT_S if quick else TIME_LIMIT_S
    lines = [
        f"Seeded instances (`planner.solver.generate`, seed 0, objective `max_sessions`), one "
        f"solve each with `method: exact` and a {limit:g} s limit. Gaps are proven (the pattern "
        "LP bound with the minimums raised to what every resilient layout must serve before a "
        "loss). Kept = sessions left after the worst single loss, summed over the models with a "
        "minimum / the sum of those minimums.",
        "",
        "| racks, SKUs, models | resilience | status (algorithm) | time | gap | objective "
        "(sessions) | kept after worst rack | kept after worst server | kept after worst train |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(size, kind, limit) for size in sizes for kind in KINDS]
    loadavg = Path("/proc/loadavg")
    load = " / ".join(loadavg.read_text().split()[:3]) if loadavg.exists() else "unknown"
    lines += [
        "",
        f"Load average (1 / 5 / 15 min) at the end of the run: {load} on 2 cores, so times "
        "are inflated; compare rows of the same run.",
    ]
    lines += [
        "",
        "Resilience splits every (server, model) pair into its own server so that a pattern says "
        "which model each rack serves, and adds the loss rows to the integer program over the "
        f"patterns (planner/solver/resilience.py). `power_trains {TRAINS}`: racks on {TRAINS} "
        "trains chosen by the solver, every minimum kept after losing any one train; the "
        "integer program counts each pattern's racks per train (planner/solver/trains.py). "
        "The machine is shared; re-run with `python -m bench resilience`.",
    ]
    return "\n".join(lines)
