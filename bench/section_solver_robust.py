"""Solver on many halls, not one: median and worst over seeds and mixes (issue 15).

For each size, CASES instances from `planner.solver.generate` with seeds 0..CASES-1, each also
varied beyond its seed (`vary`): rack and hall budgets scaled, stock caps scaled or added, demand
minimums scaled (or dropped), a few SKUs beyond the ones every model needs removed, model
weights reshuffled. Each instance is solved with the default method at its budget (1 s at
1,000 racks, 5 s at 5,000), at a quarter of it, and once at REFERENCE_FACTOR x the budget for
the best known layout; "best known" is the largest objective any of the three found.
Reported: the proven gap at the budget (target: worst <= 0.1 %), and the objective at a
quarter of the budget as a share of the best known (target: worst >= 99 %).
"""
from __future__ import annotations

import copy
import os
import random
import statistics
import time
from typing import Any

from planner.solver import solve
from planner.solver.generate import generate_problem

TITLE = "Solver on many halls: median and worst over seeds and mixes (issue 15)"
#: (racks, SKUs, models) -> budget (s), the issue's targets.
SIZES = {(1000, 40, 6): 1.0, (5000, 60, 8): 5.0}
CASES = 20
REFERENCE_FACTOR = 4.0
GAP_TARGET = 0.001
ANYTIME_TARGET = 0.99


def vary(problem: dict[str, Any], case: int) -> tuple[dict[str, Any], str]:
    """The instance with its budgets, caps, minimums, SKU and model mixes varied; a label."""
    rng = random.Random(f"vary-{case}")
    out = copy.deepcopy(problem)
    budget = rng.choice([0.7, 0.85, 1.0, 1.15, 1.3])
    for rack in out["rack_types"]:
        rack["power_kw"] = round(rack["power_kw"] * budget, 3)
    if out.get("hall_power_kw"):
        out["hall_power_kw"] = round(out["hall_power_kw"] * rng.choice([0.8, 0.9, 1.0, 1.2]), 1)
    caps = rng.choice([0.5, 1.0, 2.0])
    racks = sum(r["count"] for r in out["rack_types"])
    for server in out["servers"]:
        if server["available"] is not None:
            server["available"] = max(1, int(server["available"] * caps))
        elif rng.random() < 0.2:
            server["available"] = rng.randint(racks // 2 + 1, 4 * racks)
    minimums = rng.choice([0.0, 0.5, 1.0, 1.5])
    for entry in out["demand"].values():
        if "min" in entry:
            entry["min"] = int(entry["min"] * minimums)
        entry["weight"] = rng.choice([0.5, 1, 1, 2, 3])
    models = len(out["demand"])
    # The first `models` SKUs are the ones each model is sure to have; drop up to 20 % of the rest.
    spare = out["servers"][models:]
    dropped = set(rng.sample(range(len(spare)), k=rng.randint(0, len(spare) // 5)))
    out["servers"] = out["servers"][:models] + [s for i, s in enumerate(spare) if i not in dropped]
    label = (f"budget x{budget:g}, caps x{caps:g}, minimums x{minimums:g}, "
             f"{len(out['servers'])} SKUs")
    return out, label


def timed(problem: dict[str, Any], limit_s: float) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = solve(problem, time_limit_s=limit_s)
    return result, time.perf_counter() - started


def case_figures(size: tuple[int, int, int], budget_s: float, case: int) -> dict[str, Any]:
    problem, label = vary(generate_problem(*size, seed=case), case)
    at_budget, seconds = timed(problem, budget_s)
    quarter, _ = timed(problem, budget_s / 4)
    reference, _ = timed(problem, budget_s * REFERENCE_FACTOR)
    objectives = [r.get("objective") for r in (at_budget, quarter, reference)
                  if r.get("objective") is not None]
    best = max(objectives) if objectives else None
    share = (quarter["objective"] / best if best and quarter.get("objective") is not None
             else None)
    return {
        "case": case, "label": label, "status": at_budget["status"],
        "algorithm": at_budget.get("algorithm"), "seconds": seconds,
        "gap": at_budget.get("gap"), "quarter_share": share,
        "reference_gap": reference.get("gap"),
    }


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.3f} %"


def run(quick: bool) -> str:
    cases = 3 if quick else CASES
    lines = [
        f"{cases} instances per size (seeds 0-{cases - 1}, each varied beyond its seed: budgets, "
        "stock caps, demand minimums, SKU and model mixes; see the module docstring); default "
        f"method; best known = the largest objective at the budget, a quarter of it or "
        f"{REFERENCE_FACTOR:g}x it. Gaps are the solver's proven ones.",
        "",
        "| racks, SKUs, models | budget | proven gap at budget: median / worst | within 0.1 % | "
        "quarter budget vs best known: median / worst | within 1 % | infeasible |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    worst_rows = []
    for size, budget_s in SIZES.items():
        rows = [case_figures(size, budget_s, case) for case in range(cases)]
        solved = [r for r in rows if r["gap"] is not None]
        gaps = [r["gap"] for r in solved]
        shares = [r["quarter_share"] for r in rows if r["quarter_share"] is not None]
        infeasible = sum(1 for r in rows if r["status"] == "infeasible")
        lines.append(
            f"| {size[0]:,}, {size[1]}, {size[2]} | {budget_s:g} s | "
            f"{pct(statistics.median(gaps)) if gaps else '–'} / {pct(max(gaps)) if gaps else '–'}"
            f" | {sum(g <= GAP_TARGET for g in gaps)} / {len(gaps)} | "
            f"{pct(statistics.median(shares)) if shares else '–'} / "
            f"{pct(min(shares)) if shares else '–'} | "
            f"{sum(s >= ANYTIME_TARGET for s in shares)} / {len(shares)} | {infeasible} |"
        )
        if solved:
            worst = max(solved, key=lambda r: r["gap"])
            worst_rows.append(
                f"- Worst gap at {size[0]:,} racks: case {worst['case']} ({worst['label']}): "
                f"{pct(worst['gap'])} in {worst['seconds']:.2f} s ({worst['status']}, "
                f"{worst['algorithm']}); its gap at {REFERENCE_FACTOR:g}x the budget: "
                f"{pct(worst['reference_gap'])}."
            )
    load = os.getloadavg()
    lines += ["", *worst_rows,
              f"- Load average when done: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on "
              f"{os.cpu_count()} cores: budgets are wall time, so a busy machine leaves the "
              "solver a fraction of them."]
    return "\n".join(lines)
