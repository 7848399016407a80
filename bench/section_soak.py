"""Soak (issue 16): mixed traffic through a worker kill -9 and a Redis restart.

gunicorn (production settings) on PostgreSQL, a private redis-server, TWO `celery worker`
processes (prefork, --concurrency=2 as in docker-compose.yml) and `celery beat` (the periodic
`requeue_stale_runs` check, as in production). A Python load generator (threads, http.client,
bounded by time and by a request count) sends a fixed mix: catalog, scenario and run reads,
run creation (POST /api/v1/scenarios/{id}/runs), sweeps (the scenario page's sweep form, POST
/scenarios/{id}/sweeps/, 4 runs each) and their status, anonymous share-page views (/s/<token>/)
and /healthz. Mid-way one worker is killed with kill -9 (its whole process group) and started
again 10 s later, as compose's restart policy or `scripts/supervise` would; later Redis is
stopped, kept down, and started again, empty (it keeps nothing on disk), on the same port.

After the traffic stops the soak drains: it waits until every run of the soak is finished,
for at most the drain period, while beat keeps running the check. A run still queued or
running then is *lost*. A run with more than one completion (a transition into succeeded or
failed, or a second result written) is *duplicated*: a PostgreSQL trigger, installed for the
soak and dropped after it, records every change of a run's status, claim or result, so a
completion the application overwrote would still be seen.

Answers: 2xx/3xx are fine; 429 and 503 from a request started while Redis was down (or within
a grace period after it came back) are documented answers to an outage; anything else, and
any connection error or time-out, is an error.

Length: SOAK_SECONDS (traffic; default 300, --quick 120), SOAK_OUTAGE_S (default 20),
SOAK_DRAIN_S (default 180), SOAK_CLIENTS (threads, default 4), SOAK_MAX_REQUESTS (default
50,000), SOAK_WORKER_CONCURRENCY (default 2); SOAK_LOGS=<folder> keeps the gunicorn, worker and
beat logs. Needs PostgreSQL (DATABASE_URL) and redis-server.
"""
from __future__ import annotations

import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable

TITLE = "Soak: mixed traffic through a worker kill and a Redis restart (issue 16)"

#: Requests started this long after Redis is back may still see the outage (reconnects).
OUTAGE_GRACE_S = 10.0
DOCUMENTED_OUTAGE_STATUSES = frozenset({429, 503})
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
COMPLETED = frozenset({"succeeded", "failed"})
#: The run the killed worker is solving (bench.problems.hard_problem: HiGHS stays busy).
SLOW_SOLVE_S = 15.0

#: (endpoint label, weight): the share of requests each gets.
MIX = (
    ("catalog list", 20),
    ("scenario read", 12),
    ("run read", 18),
    ("run creation", 12),
    ("sweep creation", 3),
    ("sweep status", 8),
    ("share page", 15),
    ("health", 4),
)

# The soak's changes to a run (status, claim, result), recorded by PostgreSQL itself.
EVENT_TABLE = "bench_soak_run_event"
TRIGGER_SQL = f"""
CREATE TABLE {EVENT_TABLE} (
    id bigserial PRIMARY KEY, run_id bigint NOT NULL, old_status text, new_status text,
    claimed boolean NOT NULL, result_written boolean NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION {EVENT_TABLE}() RETURNS trigger AS $$
BEGIN
    INSERT INTO {EVENT_TABLE} (run_id, old_status, new_status, claimed, result_written)
    VALUES (NEW.id, OLD.status, NEW.status,
            NEW.started_at IS DISTINCT FROM OLD.started_at AND NEW.status = 'running',
            NEW.result IS NOT NULL AND NEW.result IS DISTINCT FROM OLD.result);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {EVENT_TABLE} AFTER UPDATE ON {{table}} FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.started_at IS DISTINCT FROM NEW.started_at
          OR OLD.result IS DISTINCT FROM NEW.result)
    EXECUTE FUNCTION {EVENT_TABLE}();
"""
DROP_SQL = f"""
DROP TRIGGER IF EXISTS {EVENT_TABLE} ON {{table}};
DROP FUNCTION IF EXISTS {EVENT_TABLE}();
DROP TABLE IF EXISTS {EVENT_TABLE};
"""


# --- bookkeeping (pure: tested in tests/bench/test_soak.py) ---------------------------------

def in_outage(started_s: float, elapsed_s: float, outage: tuple[float, float] | None,
              grace_s: float = OUTAGE_GRACE_S) -> bool:
    """Was a request (started at `started_s`, answered `elapsed_s` later) in flight while Redis
    was down (from outage[0] to outage[1], plus the grace period for reconnects)?"""
    return (outage is not None and started_s <= outage[1] + grace_s
            and started_s + elapsed_s >= outage[0])


def classify(status: int | None, started_s: float, elapsed_s: float,
             outage: tuple[float, float] | None) -> str:
    """'ok' (2xx/3xx), 'documented' (429/503 in flight during the outage) or 'error' (anything
    else; a connection error or time-out has no status)."""
    if status is not None and 200 <= status < 400:
        return "ok"
    if status in DOCUMENTED_OUTAGE_STATUSES and in_outage(started_s, elapsed_s, outage):
        return "documented"
    return "error"


def percentile_ms(durations_s: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile in ms (nan for no samples)."""
    ordered = sorted(durations_s)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1] * 1000


def request_table(records: Iterable[tuple[str, float, float, int | None]],
                  outage: tuple[float, float] | None) -> dict[str, dict]:
    """Per endpoint, from (endpoint, started_s, elapsed_s, status or None) records: requests,
    ok, documented outage answers, errors by status ('no answer' for None), p50/p95."""
    grouped: dict[str, list] = defaultdict(list)
    for record in records:
        grouped[record[0]].append(record)
    table = {}
    for endpoint, rows in grouped.items():
        kinds = Counter()
        during = 0
        errors: Counter = Counter()
        documented: Counter = Counter()
        for _, started_s, elapsed_s, status in rows:
            kind = classify(status, started_s, elapsed_s, outage)
            during += in_outage(started_s, elapsed_s, outage, grace_s=0.0)
            kinds[kind] += 1
            if kind == "error":
                errors["no answer" if status is None else status] += 1
            elif kind == "documented":
                documented[status] += 1
        elapsed = [row[2] for row in rows]
        table[endpoint] = {
            "requests": len(rows), "during_outage": during, "ok": kinds["ok"],
            "documented": dict(documented),
            "errors": dict(errors), "p50_ms": percentile_ms(elapsed, 50),
            "p95_ms": percentile_ms(elapsed, 95),
        }
    return table


def run_books(runs: Iterable[dict], events: Iterable[dict]) -> dict:
    """Runs queued / finished / lost / duplicated.

    `runs`: {"id", "status"} per run the soak created. `events`: {"run_id", "old_status",
    "new_status", "claimed", "result_written"} per recorded change. Lost: not finished
    (queued or running) after the drain. Duplicated: more than one completion (a change from a
    non-final status into succeeded or failed) or more than one result written. Claims beyond
    the first are re-solves after a lost worker or message, harmless while one result is kept.
    """
    completions: Counter = Counter()
    results: Counter = Counter()
    claims: Counter = Counter()
    for event in events:
        run_id = event["run_id"]
        if event["new_status"] in COMPLETED and event["old_status"] not in TERMINAL:
            completions[run_id] += 1
        if event["result_written"]:
            results[run_id] += 1
        if event["claimed"]:
            claims[run_id] += 1
    statuses = Counter()
    lost = []
    for run in runs:
        statuses[run["status"]] += 1
        if run["status"] not in TERMINAL:
            lost.append(run["id"])
    duplicated = sorted({run_id for run_id, n in completions.items() if n > 1}
                        | {run_id for run_id, n in results.items() if n > 1})
    return {
        "queued": sum(statuses.values()),
        "finished": sum(statuses[s] for s in TERMINAL),
        "succeeded": statuses["succeeded"],
        "failed": statuses["failed"],
        "lost": lost,
        "duplicated": duplicated,
        "claimed_again": sum(1 for n in claims.values() if n > 1),
    }


def log_summary(web_log: str, worker_logs: str) -> dict:
    """What the processes logged about the faults (counts)."""
    not_sent = len(re.findall(r"^run \d+ not sent", web_log, re.M)) + sum(
        len(ids.split(",")) for ids in re.findall(r"^sweep runs \[([\d, ]+)\] not sent",
                                                   web_log, re.M))
    return {
        "server_errors": web_log.count("Internal Server Error"),
        "not_sent": not_sent,
        "requeued": len(re.findall(r"run \d+ re-queued \(attempt", worker_logs)),
        "cache_down": web_log.count("catalog cache unavailable"),
    }


def slow_books(run_id: int, runs: list[dict], events: list[dict]) -> str:
    """The slow run's story: its claims and its end."""
    status = next((run["status"] for run in runs if run["id"] == run_id), "missing")
    mine = [e for e in events if e["run_id"] == run_id]
    claims = sum(1 for e in mine if e["claimed"])
    results = sum(1 for e in mine if e["result_written"])
    attempts = next((run.get("attempts", 1) for run in runs if run["id"] == run_id), 0)
    how = ("its message delivered again after the visibility timeout" if attempts == 1
           else f"re-sent by the periodic check (send {attempts})")
    return (f"run {run_id} claimed {claims} time(s), {results} result(s) written, now "
            f"{status}; recovered by {how}")


def start_slow_run(traffic: Traffic, scenario_id: int, workers: list) -> tuple[int, object]:
    """Queue a slow run through the API; returns it and the worker that is solving it."""
    import json

    from bench.processes import wait_for
    from planner.models import Run

    started = time.monotonic()
    status, _, body = traffic.request("POST", f"/api/v1/scenarios/{scenario_id}/runs",
                                      json_body=True)
    with traffic.lock:
        traffic.records.append(("run creation", started - traffic.t0,
                                time.monotonic() - started, status))
    assert status == 202, (status, body[:300])
    run_id = json.loads(body)["id"]

    def solving_worker():
        run = Run.objects.filter(pk=run_id).values("status", "task_id").first()
        if run["status"] != Run.Status.RUNNING or not run["task_id"]:
            return None
        return next((w for w in workers if run["task_id"] in w.output()), None)

    return run_id, wait_for(solving_worker, 30, f"a worker to start solving run {run_id}")


# --- the soak --------------------------------------------------------------------------------

def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


class Traffic:
    """Client threads: a weighted mix of requests until told to stop or out of budget."""

    def __init__(self, base: str, paths: dict, session: str, csrf: str, max_requests: int,
                 think_s: float, seed: int = 16) -> None:
        import random
        import threading

        self.host_port = base.removeprefix("http://")
        self.paths = paths
        self.session, self.csrf = session, csrf
        self.max_requests = max_requests
        self.think_s = think_s
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.records: list[tuple[str, float, float, int | None]] = []
        self.created_runs: list[int] = [paths["first_run"]]
        self.sweeps: list[int] = []
        self.t0 = time.monotonic()
        self.threads: list[threading.Thread] = []

    def request(self, method: str, path: str, *, auth: bool = True, form: str = "",
                json_body: bool = False) -> tuple[int | None, dict, bytes]:
        import http.client

        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        if auth:
            headers["Cookie"] = f"sessionid={self.session}; csrftoken={self.csrf}"
            headers["X-CSRFToken"] = self.csrf
        body = None
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = form.encode()
        elif json_body:
            headers["Content-Type"] = "application/json"
            body = b"{}"
        connection = http.client.HTTPConnection(self.host_port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except OSError:
            return None, {}, b""
        finally:
            connection.close()

    def one(self, endpoint: str) -> None:
        import json
        import re

        paths = self.paths
        with self.lock:
            run_id = self.random.choice(self.created_runs[-200:])
            sweep_id = self.random.choice(self.sweeps) if self.sweeps else None
        if endpoint == "sweep status" and sweep_id is None:
            endpoint = "sweep creation"
        started = time.monotonic()
        location = ""
        if endpoint == "catalog list":
            status, headers, body = self.request("GET", "/api/v1/server-models")
        elif endpoint == "scenario read":
            status, headers, body = self.request("GET", f"/api/v1/scenarios/{paths['runs_on']}")
        elif endpoint == "run read":
            status, headers, body = self.request("GET", f"/api/v1/runs/{run_id}")
        elif endpoint == "run creation":
            status, headers, body = self.request(
                "POST", f"/api/v1/scenarios/{paths['runs_on']}/runs", json_body=True)
            if status == 202:
                with self.lock:
                    self.created_runs.append(json.loads(body)["id"])
        elif endpoint == "sweep creation":
            status, headers, body = self.request(
                "POST", f"/scenarios/{paths['sweeps_on']}/sweeps/",
                form="parameter=rack_budget_kw&values=11.5%2C+24&servers=each")
            location = headers.get("Location", "")
            found = re.fullmatch(r"/sweeps/(\d+)/", location)
            if status == 302 and found:
                with self.lock:
                    self.sweeps.append(int(found.group(1)))
            elif status == 302:
                status = 0  # redirected back with a form error: the sweep was not started
        elif endpoint == "sweep status":
            status, headers, body = self.request("GET", f"/sweeps/{sweep_id}/status.json")
        elif endpoint == "share page":
            status, headers, body = self.request("GET", f"/s/{paths['token']}/", auth=False)
        else:
            status, headers, body = self.request("GET", "/healthz", auth=False)
        elapsed = time.monotonic() - started
        with self.lock:
            self.records.append((endpoint, started - self.t0, elapsed, status))

    def client(self, rng_seed: int) -> None:
        import random

        rng = random.Random(rng_seed)
        labels = [label for label, _ in MIX]
        weights = [weight for _, weight in MIX]
        while not self.stop.is_set():
            with self.lock:
                if len(self.records) >= self.max_requests:
                    return
            self.one(rng.choices(labels, weights)[0])
            self.stop.wait(self.think_s)

    def start(self, clients: int) -> None:
        import threading

        self.t0 = time.monotonic()
        for i in range(clients):
            thread = threading.Thread(target=self.client, args=(i,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.2-1b"}, {"model_class": "llama-3.1-70b"}],
}


def run(quick: bool) -> str:  # noqa: PLR0915 - one timeline, read top to bottom
    import secrets
    import shutil
    import tempfile
    from pathlib import Path

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.problems import hard_problem
    from bench.processes import (
        Gunicorn,
        PrivateRedis,
        Worker,
        celery_process,
        database_url,
        wait_for,
    )
    from bench.section_fanout import STUDY_PROBLEM
    from bench.section_load import login_session
    from planner.models import Run, Scenario

    if connection.vendor != "postgresql":
        return "Skipped: set DATABASE_URL to PostgreSQL (workers and gunicorn share it)."
    if not shutil.which("redis-server"):
        return "Skipped: redis-server is not installed."
    seconds = env_float("SOAK_SECONDS", 120 if quick else 300)
    outage_s = env_float("SOAK_OUTAGE_S", 20)
    drain_s = env_float("SOAK_DRAIN_S", 180)
    clients = int(env_float("SOAK_CLIENTS", 4))
    max_requests = int(env_float("SOAK_MAX_REQUESTS", 50_000))
    concurrency = int(env_float("SOAK_WORKER_CONCURRENCY", 2))
    think_s = 0.05
    kill_at, restart_at = 0.25 * seconds, 0.25 * seconds + 10
    down_at = 0.55 * seconds
    assert down_at + outage_s < seconds, "SOAK_OUTAGE_S must end before the traffic does"

    # Runs are milliseconds long here, so the periodic check's limits can be short (production
    # keeps an hour for queued runs): messages Redis lost are re-sent within a minute.
    check = {"RUN_CHECK_INTERVAL_S": "10", "RUN_UNSENT_LIMIT_S": "10",
             "RUN_QUEUED_LIMIT_S": "60", "RUN_RUNNING_LIMIT_S": "60",
             # A killed worker's unacknowledged messages come back after 30 s, not 11 min.
             "CELERY_VISIBILITY_TIMEOUT_S": "30", "CELERY_UNACKED_RESTORE_INTERVAL_S": "2"}

    user, _ = get_user_model().objects.get_or_create(username="bench-soak")
    Scenario.objects.filter(owner=user).delete()
    runs_on = Scenario.objects.create(name="soak runs", owner=user, problem=STUDY_PROBLEM)
    sweeps_on = Scenario.objects.create(name="soak sweeps", owner=user, spec=SPEC)
    slow = Scenario.objects.create(name="soak slow", owner=user,
                                   problem=hard_problem(SLOW_SOLVE_S))
    first_run = Run.objects.create(scenario=runs_on, problem=STUDY_PROBLEM,
                                   status=Run.Status.SUCCEEDED)
    session, csrf = login_session(user), secrets.token_hex(16)
    db_url = database_url(connection.settings_dict)
    table = Run._meta.db_table
    timeline: list[tuple[float, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(DROP_SQL.format(table=table))
        cursor.execute(TRIGGER_SQL.format(table=table))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            redis_server = PrivateRedis(workdir)
            redis_server.start()
            workers = [Worker(f"soak{i}", redis_server.url, db_url, workdir,
                              concurrency=concurrency, **check) for i in (1, 2)]
            beat = celery_process(["beat", "--schedule", str(workdir / "beat-schedule")],
                                  redis_server.url, db_url, workdir / "beat.log", **check)
            web = Gunicorn(settings.SECRET_KEY, db_url, redis_server.url, workdir,
                           THROTTLE_ANON="1000000/minute", THROTTLE_USER="1000000/minute")
            traffic = Traffic(web.base, {"runs_on": runs_on.pk, "sweeps_on": sweeps_on.pk,
                                         "token": runs_on.share_token, "first_run": first_run.pk},
                              session, csrf, max_requests, think_s)
            outage = None
            killed_worker = workers[0]
            try:
                for worker in workers:
                    worker.wait_ready()
                web.wait_ready()
                traffic.start(clients)
                note = timeline.append

                def at(offset_s: float) -> None:
                    while traffic.now() < offset_s and not traffic.stop.is_set():
                        time.sleep(0.1)

                at(kill_at - 5)
                # A slow run, so that the kill -9 hits a worker in the middle of a solve.
                slow_run, victim = start_slow_run(traffic, slow.pk, workers)
                note((traffic.now(), f"run {slow_run} ({SLOW_SOLVE_S:g} s solve) queued; "
                                     f"{victim.name} claimed it"))
                at(kill_at)
                index = workers.index(victim)
                killed_worker = victim
                victim.kill_all()
                note((traffic.now(), f"worker {victim.name} (pid {victim.process.pid}) killed "
                                     f"with kill -9, its pool with it, while solving run "
                                     f"{slow_run}"))
                at(restart_at)
                workers[index] = Worker(f"{victim.name}b", redis_server.url, db_url, workdir,
                                        concurrency=concurrency, **check)
                note((traffic.now(), f"worker {victim.name} started again (new process "
                                     f"{workers[index].name}), as a supervisor would"))
                pids_before = {w.name: w.process.pid for w in workers}
                at(down_at)
                outage_start = traffic.now()  # before the stop: requests may meet it at once
                redis_server.stop()
                note((outage_start, "Redis stopped"))
                at(down_at + outage_s)
                redis_server.start()
                outage = (outage_start, traffic.now())
                note((outage[1], "Redis started again, empty, after "
                                 f"{outage[1] - outage_start:.1f} s"))
                at(seconds)
                traffic.finish()
                note((traffic.now(), f"traffic stopped ({len(traffic.records):,} requests)"))
                ids = Run.objects.filter(scenario__owner=user).exclude(pk=first_run.pk)
                drain_started = time.monotonic()
                try:
                    wait_for(lambda: not ids.exclude(status__in=TERMINAL).exists(), drain_s,
                             "the runs to finish", interval_s=1)
                except AssertionError:
                    pass
                drained_s = time.monotonic() - drain_started
                note((traffic.now(), f"drain over after {drained_s:.0f} s"))
                alive = {w.name: w.alive() for w in workers}
                same_pid = all(w.process.pid == pids_before[w.name] and w.alive()
                               for w in workers)
                beat_alive = beat.poll() is None
                died_logs = [w.name for w in workers if "Unrecoverable error" in w.output()]
                restored = sum(w.output().count("Restoring") for w in workers)
            finally:
                traffic.finish()
                web.stop()
                for worker in workers:
                    worker.stop()
                if beat.poll() is None:
                    beat.terminate()
                    beat.wait(timeout=15)
                redis_server.stop()
                beat_log = (workdir / "beat.log").read_text(errors="replace")
                if os.environ.get("SOAK_LOGS"):  # keep the processes' logs to read later
                    keep = Path(os.environ["SOAK_LOGS"])
                    keep.mkdir(parents=True, exist_ok=True)
                    for log in workdir.glob("*.log"):
                        shutil.copy(log, keep / log.name)
                # What the server logged when it answered 5xx: the cause, for the report.
                logs = log_summary(web.log.read_text(errors="replace"),
                                   "".join(w.output() for w in [*workers, killed_worker]))
        rows = list(ids.values("id", "status", "error", "attempts"))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT run_id, old_status, new_status, claimed, result_written "
                           f"FROM {EVENT_TABLE}")
            events = [dict(zip(("run_id", "old_status", "new_status", "claimed",
                                "result_written"), row, strict=True))
                      for row in cursor.fetchall()]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(DROP_SQL.format(table=table))
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=session).delete()

    books = run_books(rows, events)
    checks_sent = beat_log.count("requeue_stale_runs_task")
    failed_errors = Counter(row["error"][:80] for row in rows if row["status"] == "failed")
    requests = request_table(traffic.records, outage)
    Scenario.objects.filter(owner=user).delete()
    return report(
        requests=requests, books=books, timeline=timeline, seconds=seconds, outage_s=outage_s,
        drain_s=drain_s, drained_s=drained_s, clients=clients, concurrency=concurrency,
        alive=alive, same_pid=same_pid, beat_alive=beat_alive, died_logs=died_logs,
        restored=restored, checks_sent=checks_sent, failed_errors=failed_errors,
        created_202=sum(1 for r in traffic.records if r[0] == "run creation" and r[3] == 202),
        sweeps=len(traffic.sweeps), think_s=think_s, logs=logs,
        slow=slow_books(slow_run, rows, events),
    )


def _statuses(counts: dict) -> str:
    return ", ".join(f"{n:,} x {status}" for status, n in sorted(counts.items(), key=str)) or "0"


def report(**f) -> str:
    load = os.getloadavg()
    books = f["books"]
    requests = f["requests"]
    errors = sum(sum(row["errors"].values()) for row in requests.values())
    documented = sum(sum(row["documented"].values()) for row in requests.values())
    total = sum(row["requests"] for row in requests.values())
    lines = [
        f"{f['seconds']:.0f} s of traffic from {f['clients']} client threads (Python http.client, "
        f"{f['think_s'] * 1000:.0f} ms pause between a thread's requests, one connection per "
        "request) against gunicorn (production settings, sync workers) + PostgreSQL + a private "
        f"redis-server + two `celery worker` processes (prefork, --concurrency="
        f"{f['concurrency']}) + `celery beat` running the periodic `requeue_stale_runs` check "
        "every 10 s (limits: unsent 10 s, queued 60 s, running 60 s; visibility timeout 30 s: "
        "the soak's solves take milliseconds). Throttles set out of the way, as in the load "
        f"test. Drain: up to {f['drain_s']:.0f} s after the traffic, beat still running; "
        f"everything was finished after {f['drained_s']:.0f} s. "
        f"Machine shared with other developers' work: load average {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at the end, on {os.cpu_count()} cores.",
        "",
        "Timeline (s from the first request):",
        "",
        *[f"- {t:.1f} s: {what}" for t, what in f["timeline"]],
        "",
        "| endpoint | requests | in flight while Redis was down | ok | 429/503 in the outage "
        "| errors | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for endpoint, _ in MIX:
        row = requests.get(endpoint)
        if row:
            lines.append(
                f"| {endpoint} | {row['requests']:,} | {row['during_outage']:,} | {row['ok']:,} | "
                f"{_statuses(row['documented'])} | {_statuses(row['errors'])} | "
                f"{row['p50_ms']:,.1f} | {row['p95_ms']:,.1f} |")
    lost, duplicated = books["lost"], books["duplicated"]
    met = not errors and not lost and not duplicated and not books["failed"]
    lines += [
        "",
        f"- Requests: {total:,}; errors other than documented outage answers: **{errors:,}** "
        f"(target 0); documented 429/503 during the outage: {documented:,}.",
        f"- Runs queued: **{books['queued']:,}** ({f['created_202']:,} answered 202 by run "
        f"creation, the rest from {f['sweeps']:,} sweeps); finished: **{books['finished']:,}** "
        f"({books['succeeded']:,} succeeded, {books['failed']:,} failed"
        + (f": {dict(f['failed_errors'])}" if f["failed_errors"] else "")
        + f"); lost: **{len(lost)}**{' ' + str(lost[:20]) if lost else ''} (target 0); "
        f"duplicated: **{len(duplicated)}**{' ' + str(duplicated[:20]) if duplicated else ''} "
        "(target 0).",
        f"- Runs claimed more than once (solved again after the kill or the restart; one "
        f"result kept): {books['claimed_again']:,}. Workers' 'Restoring unacknowledged "
        f"message' log lines (a worker losing Redis while holding messages): {f['restored']}.",
        f"- Workers after the Redis restart: alive {f['alive']}, same processes as before it: "
        f"{'yes' if f['same_pid'] else 'NO'}; 'Unrecoverable error' in a worker log: "
        f"{f['died_logs'] or 'none'}; beat alive at the end: "
        f"{'yes' if f['beat_alive'] else 'NO'}, checks it sent: {f['checks_sent']}.",
        f"- Target (0 errors besides documented outage answers, 0 lost, 0 duplicated, every run "
        f"succeeded): **{'met' if met else 'NOT met'}**.",
        f"- The run being solved by the killed worker: {f['slow']}.",
        f"- Logs: {f['logs']['server_errors']} 'Internal Server Error' in gunicorn's; runs not "
        f"sent because Redis was down: {f['logs']['not_sent']} (queued, sent later by the "
        f"check); runs re-queued by the check: {f['logs']['requeued']}; catalog reads served "
        f"from the database while the cache was down: {f['logs']['cache_down']}.",
        "- Status 0 in the errors: a sweep form answered with a redirect back to the scenario "
        "(a form error), so no sweep was started; 'no answer': a connection error or a 30 s "
        "time-out.",
    ]
    return "\n".join(lines)
