"""API reads in-process: CPU time per request against the bare view (issue 15).

The load test (section_load.py) times the reads through gunicorn and wrk, whose percentiles on
a shared machine move with everything else running on it. This section times the same four
reads and the same bare view (`/livez`) inside one process, through Django's WSGI handler with
every middleware, as the load test's requests arrive (session cookie, `Accept:
application/json`): the process's own CPU time per request, which other work on the machine
changes far less. It runs in a child process with production settings (DEVELOPMENT=0, DEBUG
off), a private redis-server as the shared cache (so the read cache is on, as in production)
and PostgreSQL (DATABASE_URL); throttles set as in the load test (every request counted).
The endpoints are interleaved, several rounds, and each figure is the lowest round's mean.
Informative: issue 15's target is judged on the load test's p95.
"""
from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "API reads in-process: CPU time per request against the bare view"
BARE = "bare Django JSON view"
ROOT = Path(__file__).resolve().parent.parent


def measure(requests_per_round: int, rounds: int) -> dict:
    """In the child: {label: (cpu_us, wall_us)} per request, the lowest round of each."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler

    from bench.section_fanout import STUDY_PROBLEM
    from bench.section_load import login_session
    from planner.models import Run, Scenario

    user, _ = get_user_model().objects.get_or_create(username="bench-reads")
    Scenario.objects.filter(owner=user).delete()
    scenario = Scenario.objects.create(name="reads", owner=user, problem=STUDY_PROBLEM)
    polled = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    session = login_session(user)
    paths = {
        BARE: "/livez",
        "catalog read: server models": "/api/v1/server-models",
        "catalog read: accelerators": "/api/v1/accelerators",
        "scenario read": f"/api/v1/scenarios/{scenario.pk}",
        "run polling": f"/api/v1/runs/{polled.pk}",
    }
    app = WSGIHandler()
    cookie = f"sessionid={session}; csrftoken={secrets.token_hex(16)}"
    statuses = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        statuses.append(status)

    def get(path: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": cookie, "HTTP_ACCEPT": "application/json",
        }
        b"".join(app(environ, start_response))

    try:
        for path in paths.values():  # warm-up: each read's first answer is kept by the cache
            for _ in range(20):
                get(path)
        assert set(statuses) == {"200 OK"}, sorted(set(statuses))
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            for label, path in paths.items():
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(requests_per_round):
                    get(path)
                figure = ((time.process_time() - cpu) / requests_per_round * 1e6,
                          (time.perf_counter() - wall) / requests_per_round * 1e6)
                kept = best.get(label, figure)
                best[label] = (min(kept[0], figure[0]), min(kept[1], figure[1]))
        assert set(statuses) == {"200 OK"}, sorted(set(statuses))
        return best
    finally:
        Scenario.objects.filter(owner=user).delete()
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=session).delete()


def run(quick: bool) -> str:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench.processes import PrivateRedis, database_url

    if connection.vendor != "postgresql":
        return "Skipped: set DATABASE_URL to PostgreSQL."
    requests_per_round, rounds = (100, 3) if quick else (300, 7)
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = PrivateRedis(Path(tmp))
        redis_server.start()
        try:
            environ = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
            environ.update(DEVELOPMENT="0", SECRET_KEY=settings.SECRET_KEY, HTTPS="0",
                           ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="WARNING",
                           DATABASE_URL=database_url(connection.settings_dict),
                           REDIS_URL=redis_server.url,
                           THROTTLE_ANON="1000000/second", THROTTLE_USER="1000000/second")
            completed = subprocess.run(
                [sys.executable, "-m", "bench.section_reads", str(requests_per_round),
                 str(rounds)],
                cwd=ROOT, env=environ, capture_output=True, text=True, timeout=1800,
            )
        finally:
            redis_server.stop()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    bare_cpu, bare_wall = figures[BARE]
    load = os.getloadavg()
    lines = [
        f"{rounds} rounds of {requests_per_round} GETs per endpoint, interleaved, in one "
        "process through Django's WSGI handler (every middleware; no network, no gunicorn); "
        "production settings, a private Redis as the shared cache, PostgreSQL; each figure is "
        "the lowest round's mean (CPU and wall each). CPU is the process's own (user + system) "
        "time, its side of the round trips to Redis included; the wait for Redis is in wall "
        "only. Load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when done.",
        "",
        "| endpoint | CPU per request (us) | x bare | wall per request (us) | x bare |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, (cpu, wall) in figures.items():
        lines.append(f"| {label} | {cpu:.0f} | {cpu / bare_cpu:.2f}x | {wall:.0f} | "
                     f"{wall / bare_wall:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
