"""Sweep fan-out: a 1,000-variant sweep of a small scenario through real Celery workers.

The variants differ in the rack's power budget (kW). They are queued the way a sweep queues
its variants (planner.runs.sweeps.queue_variant_runs: one INSERT, small runs sent in chunks)
and solved by `celery worker` subprocesses with 1 and 2 pool processes on a private
redis-server and the configured PostgreSQL; the same variants are also solved one after
another in this process, with no Celery and no database, and by two forked processes in
halves (the machine's own ratio in that round: the ceiling for the workers' one). Needs
PostgreSQL (DATABASE_URL) and redis-server.
"""
from __future__ import annotations

import copy
import os
import statistics
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

from planner.solver.examples import STUDY_RACK_PROBLEM as STUDY_PROBLEM

TITLE = "Sweep fan-out through Celery workers"
#: Recorded in docs/benchmarks.md before the chunked, poll-free fan-out (2026-12-01, chunks of
#: 8, a claim and a store per run; 1.36x, 20.6 ms and 3.14 s on 2026-11-22 before issue 15's
#: work began), and the last committed run before this one (2026-12-04 06:46 UTC, another
#: machine of the same kind: worst of 8 rounds, median 1.79x).
PREVIOUS = {"scaling": 1.38, "overhead_ms": 34.6, "queue_s": 2.50}
# The previous run of this section: 2026-12-04 22:38 UTC, on a 2-core AMD EPYC machine.
LAST_RUN_SCALING = 1.55
LAST_RUN_MEDIAN = 1.77

#: Rounds of (1 process, 2 processes), one after the other; the worst ratio is reported.
ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "8"))


def variants(count: int) -> list[dict]:
    """The seed study's rack with budgets from 5 kW up in 10 W steps."""
    out = []
    for i in range(count):
        problem = copy.deepcopy(STUDY_PROBLEM)
        problem["rack_types"][0]["power_kw"] = round(5.0 + 0.01 * i, 3)
        out.append(problem)
    return out


def in_process(problems: list[dict]) -> float:
    from planner import solver

    started = time.perf_counter()
    for problem in problems:
        assert solver.solve(problem)["status"] == "optimal"
    return time.perf_counter() - started


def plain_processes(problems: list[dict], processes: int) -> float:
    """Wall time of `processes` forked processes, no Celery and no database, solving the
    variants in equal shares: 1 then 2 of them, back to back, is what the machine itself gives
    two processes at that moment (the ceiling for the workers' ratio; a shared host's other
    tenants move it)."""
    shares = [problems[i::processes] for i in range(processes)]
    with get_context("fork").Pool(processes) as pool:
        pool.map(in_process, [share[:10] for share in shares])  # warm-up: imports, HiGHS
        started = time.perf_counter()
        pool.map(in_process, shares)
        return time.perf_counter() - started


def through_workers(problems: list[dict], concurrency: int, broker_url: str, db_url: str,
                    logdir: Path) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from bench.processes import Worker, wait_for
    from planner.models import Run, Scenario
    from planner.runs.sweeps import queue_variant_runs

    owner, _ = get_user_model().objects.get_or_create(username="bench-fanout")
    Scenario.objects.filter(owner=owner).delete()
    scenario = Scenario.objects.create(name="fan-out", owner=owner, problem=problems[0])
    worker = Worker(f"fanout{concurrency}", broker_url, db_url, logdir, concurrency=concurrency)
    try:
        worker.wait_ready()
        started_at = timezone.now()
        started = time.perf_counter()
        with transaction.atomic():  # the sends go out when this commits
            ids = queue_variant_runs([Run(scenario=scenario, problem=p) for p in problems])
        queued = time.perf_counter()
        # The wall time is read from the runs' own finish stamps, not from when this loop saw
        # them, so the poll can be rare and cheap: a frequent poll (an IN list of 1,000 ids
        # every 20 ms) took CPU from the two worker processes that one process leaves free.
        unfinished = Run.objects.filter(scenario=scenario).exclude(
            status__in=["succeeded", "failed"])
        wait_for(lambda: not unfinished.exists(), 1800, "the sweep to finish", interval_s=0.25)
        rows = list(Run.objects.filter(pk__in=ids).values(
            "status", "queued_at", "started_at", "finished_at", "task_id",
            "result__solve_seconds"))
        wall = (max(r["finished_at"] for r in rows) - started_at).total_seconds()
    finally:
        worker.stop()
        Scenario.objects.filter(owner=owner).delete()
    assert all(row["status"] == "succeeded" for row in rows)
    in_task = [(r["finished_at"] - r["started_at"]).total_seconds() for r in rows]
    waited = [(r["started_at"] - r["queued_at"]).total_seconds() for r in rows]
    return {"wall_s": wall, "queue_s": queued - started, "in_task_s": statistics.mean(in_task),
            # The solver's own time for each run, in the worker under the same machine load.
            "solve_s": statistics.mean(float(r["result__solve_seconds"] or 0) for r in rows),
            "wait_median_s": statistics.median(waited), "wait_max_s": max(waited),
            "messages": len({r["task_id"] for r in rows})}


def run(quick: bool) -> str:
    import django

    django.setup()
    from django.db import connection

    from bench.processes import database_url, private_broker
    from planner.runs.sweeps import CHUNK_RUNS

    count = 100 if quick else 1000
    if connection.vendor != "postgresql":
        return "Skipped: set DATABASE_URL to PostgreSQL (worker processes share the database)."
    problems = variants(count)
    in_process(problems[:20])  # warm-up: imports, HiGHS
    solo_s = in_process(problems)
    per_solve_s = solo_s / count

    rounds = []
    with tempfile.TemporaryDirectory() as tmp, private_broker(Path(tmp)) as broker_url:
        db_url = database_url(connection.settings_dict)
        for _ in range(ROUNDS):
            rounds.append({
                concurrency: through_workers(problems, concurrency, broker_url, db_url,
                                             Path(tmp))
                for concurrency in (1, 2)
            })
            rounds[-1]["plain"] = (plain_processes(problems, 1)
                                   / plain_processes(problems, 2))
    load = os.getloadavg()
    ratios = [r[1]["wall_s"] / r[2]["wall_s"] for r in rounds]
    # The table shows the round that scaled worst: a lucky round must not stand for the rest.
    worst = ratios.index(min(ratios))
    results = rounds[worst]
    ceilings = [r.pop("plain") for r in rounds]
    ceiling = ceilings[worst]

    lines = [
        f"A {count}-variant sweep of the seed study's rack (budget 5.00 kW upwards in 10 W "
        "steps), queued as a sweep queues its variants (`queue_variant_runs`: one INSERT, small "
        "runs sent in chunks of "
        f"{CHUNK_RUNS} per message) and solved by a `celery worker` subprocess (prefork, "
        "prefetch 1) on a private redis-server and PostgreSQL; wall time from the start of "
        "queueing until the last run is stored. Machine: "
        f"{os.cpu_count()} cores shared with other work (load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when done), so treat the figures as a "
        "floor.",
        "",
        "| how | wall (s) | runs/s | per run (ms) | overhead per run vs in-process (ms) |",
        "|---|---:|---:|---:|---:|",
        f"| in one process, no Celery/DB | {solo_s:.2f} | {count / solo_s:.1f} | "
        f"{per_solve_s * 1000:.1f} | - |",
    ]
    for concurrency, figures in results.items():
        per_run_s = figures["wall_s"] / count
        # The work a pool process spends per run, beyond the solve itself.
        overhead_ms = (per_run_s * concurrency - per_solve_s) * 1000
        lines.append(
            f"| worker, {concurrency} process{'es' if concurrency > 1 else ''} | "
            f"{figures['wall_s']:.2f} | {count / figures['wall_s']:.1f} | "
            f"{per_run_s * 1000:.1f} | {overhead_ms:.1f} |"
        )
    scaling = results[1]["wall_s"] / results[2]["wall_s"]
    overhead_1 = (results[1]["wall_s"] / count - per_solve_s) * 1000
    lines += [
        "",
        f"- Scaling ratio, 2 processes vs 1, worst of {ROUNDS} rounds (this table): "
        f"**{scaling:.2f}x** (target >= 1.8x; before: {PREVIOUS['scaling']:.2f}x; last run: "
        f"{LAST_RUN_SCALING:.2f}x worst of 8, median {LAST_RUN_MEDIAN:.2f}x); "
        f"every round: {', '.join(f'{r:.2f}x' for r in ratios)} (median "
        f"{statistics.median(ratios):.2f}x).",
        f"- The machine's own ratio in each round (the same variants solved by one forked "
        f"process, then at once by two in halves; no Celery, no database): "
        f"{', '.join(f'{c:.2f}x' for c in ceilings)}; the workers reached "
        f"{scaling / ceiling:.0%} of it in the round shown.",
        f"- Overhead per run, 1 process: **{overhead_1:.1f} ms** (target <= 10 ms; before: "
        f"{PREVIOUS['overhead_ms']:.1f} ms).",
        f"- Queueing {count} runs (rows + messages, one transaction): "
        f"{results[1]['queue_s']:.2f} s with 1 process, {results[2]['queue_s']:.2f} s with 2 "
        f"(before: {PREVIOUS['queue_s']:.2f} s); {results[1]['messages']} messages.",
        f"- Time a run waited in the queue (queued to claimed), median / longest: "
        f"{results[1]['wait_median_s']:.2f} / {results[1]['wait_max_s']:.2f} s (1 process), "
        f"{results[2]['wait_median_s']:.2f} / {results[2]['wait_max_s']:.2f} s (2 processes).",
        "- Overhead per run measured against the solves in the same run (the solver's own "
        "`solve_seconds` in the workers, under the same machine load): "
        + ", ".join(
            f"{(figures['wall_s'] / count * concurrency - figures['solve_s']) * 1000:.1f} ms "
            f"with {concurrency} process{'es' if concurrency > 1 else ''} (solves "
            f"{figures['solve_s'] * 1000:.1f} ms)"
            for concurrency, figures in results.items()
        ) + ".",
        f"- Mean time inside the task (claim to stored result; a chunk's runs are claimed "
        f"together and stored together): "
        f"{results[1]['in_task_s'] * 1000:.1f} ms (1 process), "
        f"{results[2]['in_task_s'] * 1000:.1f} ms (2 processes); "
        f"the solve alone is {per_solve_s * 1000:.1f} ms.",
        "- Overhead per run = wall per run x processes - in-process solve time: the broker "
        "round trip (shared by a chunk), the run's writes (claim, result; no progress writes "
        "for sub-second solves) and Celery's own bookkeeping.",
    ]
    return "\n".join(lines)
