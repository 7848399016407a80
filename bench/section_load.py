"""Bounded load test: wrk against gunicorn + PostgreSQL on loopback.

gunicorn runs with production settings (DEVELOPMENT=0, DEBUG off, plain HTTP on loopback) and
its own config (gunicorn.conf.py: 2 x cores + 1 sync workers); a private redis-server and one
Celery worker take the runs the load test creates. Each endpoint gets the same fixed wrk run
(2 threads, 10 connections); `/livez`, a bare Django JSON view measured in the same run, is the
yardstick: the target is zero errors and read p95 within 1.5x of it (issue 15). Needs PostgreSQL
(DATABASE_URL), redis-server and wrk (apt-get install wrk).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

TITLE = "Load test: gunicorn + PostgreSQL (wrk, loopback)"
READ_TARGET = 1.5
BARE = "bare Django JSON view"
#: The worst read's p95 ratio last recorded in docs/benchmarks.md: the worst of three runs on
#: 2026-12-04 22:32-22:37 UTC (2.06x at 02:58 that day; 6.58x on 2026-11-22 before issue 15).
PREVIOUS_WORST_READ = 1.53
ROOT = Path(__file__).resolve().parent.parent

LUA = """
wrk.method = "{method}"
wrk.headers["Cookie"] = "sessionid={session}; csrftoken={csrf}"
wrk.headers["X-CSRFToken"] = "{csrf}"
wrk.headers["Accept"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %.1f %.1f %.1f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def login_session(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend a password login records: the first that authenticates (django-axes' backend,
    # first in the list, only refuses locked-out logins and cannot load a user).
    session[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if not path.startswith("axes.")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def wrk(url: str, method: str, seconds: int, session: str, csrf: str, workdir: Path) -> dict:
    script = workdir / f"{method}.lua"
    script.write_text(LUA.format(method=method, session=session, csrf=csrf))
    completed = subprocess.run(
        ["wrk", "-t2", "-c10", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    found = re.search(r"^RESULT (.*)$", completed.stdout, re.M)
    assert found, completed.stdout + completed.stderr
    values = [float(v) for v in found.group(1).split()]
    requests, duration_us, *errors, p50, p95, p99 = values
    return {
        "rps": requests / (duration_us / 1e6),
        "requests": int(requests),
        "errors": int(sum(errors)),  # socket errors, timeouts and non-2xx/3xx statuses
        "p50_ms": p50 / 1000, "p95_ms": p95 / 1000, "p99_ms": p99 / 1000,
    }


def run(quick: bool) -> str:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.processes import Gunicorn, PrivateRedis, Worker, database_url
    from bench.section_fanout import STUDY_PROBLEM
    from planner.models import Run, Scenario

    if connection.vendor != "postgresql":
        return "Skipped: set DATABASE_URL to PostgreSQL."
    if not shutil.which("wrk"):
        return "Skipped: wrk is not installed (apt-get install wrk)."
    seconds = 3 if quick else 7  # 12 endpoints x 7 s + 5 s warm-up: 90 s of load

    user, _ = get_user_model().objects.get_or_create(username="bench-load")
    Scenario.objects.filter(owner=user).delete()
    scenario = Scenario.objects.create(name="load", owner=user, problem=STUDY_PROBLEM)
    polled = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    session, csrf = login_session(user), secrets.token_hex(16)
    db_url = database_url(connection.settings_dict)
    measured = [
        ("health (database + broker)", "GET", "/healthz"),
        ("catalog read: server models", "GET", "/api/v1/server-models"),
        ("catalog read: accelerators", "GET", "/api/v1/accelerators"),
        ("scenario read", "GET", f"/api/v1/scenarios/{scenario.pk}"),
        ("run polling", "GET", f"/api/v1/runs/{polled.pk}"),
    ]
    # The yardstick before every endpoint and once more after the last: the machine's other
    # work drifts within a run, so each endpoint is also set against the bare view measured
    # next to it.
    targets = []
    for number, target in enumerate(measured, start=1):
        targets += [(f"{BARE} #{number}", "GET", "/livez"), target]
    targets += [(f"{BARE} #{len(measured) + 1}", "GET", "/livez"),
                ("run creation (queues a solve)", "POST", f"/api/v1/scenarios/{scenario.pk}/runs")]
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_server = PrivateRedis(workdir)
        redis_server.start()
        worker = Worker("load", redis_server.url, db_url, workdir)
        # Capacity is measured, not the throttles (their 429s would count as errors). Per
        # second: the throttles still count every request, over a history of one second (a
        # per-minute rate this high would keep ~20,000 timestamps per caller, copied on every
        # request: a cost no real rate has).
        web = Gunicorn(settings.SECRET_KEY, db_url, redis_server.url, workdir,
                       THROTTLE_ANON="1000000/second", THROTTLE_USER="1000000/second")
        base = web.base
        try:
            worker.wait_ready()
            web.wait_ready()
            # Warm-up, not recorded: every gunicorn worker's first requests, and each read's
            # first answer (kept by the read cache for the next ones).
            for path in dict.fromkeys(path for _, method, path in targets if method == "GET"):
                wrk(base + path, "GET", 1, session, csrf, workdir)
            for label, method, path in targets:
                figures[label] = wrk(base + path, method, seconds, session, csrf, workdir)
            created = Run.objects.filter(scenario=scenario).count() - 1
        finally:
            web.stop()
            worker.stop()
            redis_server.stop()
            Scenario.objects.filter(owner=user).delete()
            from django.contrib.sessions.models import Session

            Session.objects.filter(session_key=session).delete()

    workers = 2 * (os.cpu_count() or 1) + 1
    load = os.getloadavg()
    # Strict: against the lowest p95 any bare measurement had, so a stall caused by the
    # machine's other work cannot flatter the reads. Adjacent: against the lower of the bare
    # measurements just before and just after the endpoint (the same minutes of machine load).
    labels = list(figures)
    bare_labels = [label for label in labels if label.startswith(BARE)]
    bare_p95 = min(figures[label]["p95_ms"] for label in bare_labels)

    def adjacent_bare_p95(label: str) -> float:
        at = labels.index(label)
        near = [labels[i] for i in (at - 1, at + 1)
                if 0 <= i < len(labels) and labels[i].startswith(BARE)]
        return min(figures[other]["p95_ms"] for other in near)

    lines = [
        f"wrk, 2 threads x 10 connections, {seconds} s per endpoint, one endpoint after "
        f"another in one run, the bare view before each and after the last; gunicorn with "
        f"{workers} sync workers, production settings, "
        "PostgreSQL, a private Redis and one Celery worker solving the created runs; throttles "
        "set out of the way (THROTTLE_ANON/THROTTLE_USER 1000000/second: every request is still "
        "counted). wrk, gunicorn, the worker and PostgreSQL share the machine's "
        f"{os.cpu_count()} cores (and other developers' work; load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when done), so the figures are a floor.",
        "",
        "| endpoint | req/s | p50 (ms) | p95 (ms) | p99 (ms) | errors | p95 / lowest bare p95 "
        "| p95 / adjacent bare p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, fig in figures.items():
        adjacent = ("-" if label.startswith(BARE)
                    else f"{fig['p95_ms'] / adjacent_bare_p95(label):.2f}x")
        lines.append(
            f"| {label} | {fig['rps']:.0f} | {fig['p50_ms']:.1f} | {fig['p95_ms']:.1f} | "
            f"{fig['p99_ms']:.1f} | {fig['errors']} / {fig['requests']} | "
            f"{fig['p95_ms'] / bare_p95:.2f}x | {adjacent} |"
        )
    reads = [label for label in figures if "read" in label or "polling" in label]
    worst = max(figures[label]["p95_ms"] / bare_p95 for label in reads)
    worst_adjacent = max(figures[label]["p95_ms"] / adjacent_bare_p95(label) for label in reads)
    errors = sum(fig["errors"] for fig in figures.values())

    def verdict(ratio: float) -> str:
        return "met" if ratio <= READ_TARGET else "NOT met"

    lines += [
        "",
        f"- Errors: **{errors}** in total (target 0).",
        f"- Reads' p95 at most **{worst:.2f}x** the lowest bare p95 of {bare_p95:.1f} ms "
        f"({verdict(worst)}), at most **{worst_adjacent:.2f}x** the bare p95 measured next to "
        f"each ({verdict(worst_adjacent)}); target <= {READ_TARGET}x (issue 15; last recorded: "
        f"{PREVIOUS_WORST_READ}x).",
        f"- Run creation queued {created} runs in {seconds} s.",
    ]
    return "\n".join(lines)
