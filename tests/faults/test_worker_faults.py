"""Runs survive dead workers, a restarted broker and solves longer than the time limit.

Real processes throughout: `celery worker` subprocesses, a private redis-server, PostgreSQL.
"""
import os
import signal

import pytest
from django.db import connection

from bench.problems import hard_problem
from bench.processes import wait_for
from planner.models import Run, Scenario
from planner.runs.queueing import queue_run
from planner.solver import check_layout
from tests.api.test_solve_api import STUDY_PROBLEM

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Messages of a vanished worker come back after 2 s, checked every second.
FAST_REDELIVERY = {"CELERY_VISIBILITY_TIMEOUT_S": "2", "CELERY_UNACKED_RESTORE_INTERVAL_S": "1"}


def status_of(run: Run) -> str:
    run.refresh_from_db()
    return run.status


def finished(run: Run, timeout_s: float = 60) -> Run:
    wait_for(lambda: status_of(run) in {Run.Status.SUCCEEDED, Run.Status.FAILED}, timeout_s,
             f"run {run.pk} to finish")
    return run


def assert_one_valid_result(run: Run) -> None:
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.result["status"] in {"optimal", "feasible"}
    assert run.result["racks"], "a run ends with its layout"
    assert check_layout(run.problem, run.result) == []
    assert run.finished_at and run.started_at and run.finished_at > run.started_at


def pool_child_pids(worker_pid: int) -> list[int]:
    children = f"/proc/{worker_pid}/task/{worker_pid}/children"
    with open(children) as handle:
        return [int(pid) for pid in handle.read().split()]


def test_kill_9_mid_solve_the_run_finishes_once_on_another_worker(workers, user):
    scenario = Scenario.objects.create(name="hard", owner=user, problem=hard_problem(3.0))
    first = workers("first", **FAST_REDELIVERY)
    run = queue_run(scenario)
    wait_for(lambda: status_of(run) == Run.Status.RUNNING, 30, "the first worker to claim it")

    # 1. The pool process dies mid-solve: reject_on_worker_lost puts the message back at once,
    #    and the worker's fresh pool process takes the run over.
    claimed_at = run.started_at
    [child] = pool_child_pids(first.process.pid)
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: status_of(run) == Run.Status.RUNNING and run.started_at != claimed_at,
             30, "the restarted pool process to take the run over")

    # 2. The whole worker vanishes mid-solve (kill -9 of its process group): its message is
    #    unacknowledged and returns after the visibility timeout to a second worker.
    first.kill_all()
    second = workers("second", **FAST_REDELIVERY)
    finished(run)
    assert_one_valid_result(run)
    assert run.attempts == 1  # recovered by the broker alone, no periodic re-send needed
    assert "took over" in second.output() or "solving again" in second.output()
    assert second.alive()


def test_broker_restart_with_runs_queued_every_run_finishes(workers, broker, user):
    from planner.runs.recovery import requeue_stale_runs

    hard = Scenario.objects.create(name="busy", owner=user, problem=hard_problem(3.0))
    easy = Scenario.objects.create(name="easy", owner=user, problem=STUDY_PROBLEM)
    worker = workers("only")
    busy = queue_run(hard)
    wait_for(lambda: status_of(busy) == Run.Status.RUNNING, 30, "the worker to be busy")
    waiting = [queue_run(easy) for _ in range(3)]  # sit in Redis: the one process is busy

    broker.stop()  # Redis keeps nothing on disk: the queued messages are gone
    while_down = queue_run(easy)  # the broker is down: queued in the database only
    broker.start()

    after = queue_run(easy)
    finished(after)
    finished(busy)
    # The messages the broker lost: the periodic check sends those runs again.
    report = requeue_stale_runs(queued_limit_s=0)
    assert sorted(report.requeued) == sorted(r.pk for r in [*waiting, while_down])
    for run in [busy, *waiting, while_down, after]:
        finished(run)
        assert_one_valid_result(run)
    assert {r.attempts for r in [*waiting, while_down]} == {2}
    assert worker.alive()


def test_solve_over_the_time_limit_ends_feasible_and_the_worker_lives_on(workers, user):
    # The problem asks for 60 s; the worker's soft limit is 5 s, so the solver gets less and
    # stops with its best layout.
    worker = workers("limited", SOLVE_SOFT_TIME_LIMIT_S="5")
    slow = queue_run(Scenario.objects.create(name="slow", owner=user,
                                             problem=hard_problem(60.0)))
    finished(slow, timeout_s=30)
    assert_one_valid_result(slow)
    assert slow.result["status"] == "feasible"
    assert slow.duration_s < 5

    quick = queue_run(Scenario.objects.create(name="quick", owner=user, problem=STUDY_PROBLEM))
    finished(quick)
    assert_one_valid_result(quick)
    assert quick.result["objective"] == 1216
    assert worker.alive()


def test_beat_runs_the_periodic_check_and_lost_runs_finish(workers, broker, postgres_url,
                                                          tmp_path, user):
    from bench.processes import celery_process

    # Every second; a run that never reached the broker counts as lost after 1 s.
    check = {"RUN_CHECK_INTERVAL_S": "1", "RUN_UNSENT_LIMIT_S": "1"}
    worker = workers("checked", **check)
    scenario = Scenario.objects.create(name="lost", owner=user, problem=STUDY_PROBLEM)
    lost = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)  # never sent
    beat = celery_process(["beat", "--schedule", str(tmp_path / "beat-schedule")], broker.url,
                          postgres_url, tmp_path / "beat.log", **check)
    try:
        finished(lost, timeout_s=60)
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        beat.wait(timeout=15)
    assert_one_valid_result(lost)
    assert lost.attempts == 2
    assert "requeue_stale_runs_task" in worker.output()


def worker_backends() -> set[int]:
    """PostgreSQL backends on this database other than the test's own: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return {pid for (pid,) in cursor.fetchall()}


def test_a_worker_keeps_its_database_connection_and_replaces_a_broken_one(workers, user):
    scenario = Scenario.objects.create(name="study", owner=user, problem=STUDY_PROBLEM)
    workers("keeper")
    assert_one_valid_result(finished(queue_run(scenario)))
    kept = worker_backends()
    assert kept, "the worker's connection stays open after its task"
    assert_one_valid_result(finished(queue_run(scenario)))
    assert worker_backends() == kept, "the next task reuses it (CELERY_DB_REUSE_MAX)"

    with connection.cursor() as cursor:  # what a PostgreSQL restart does to the worker
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                       "pid = ANY(%s)", [list(kept)])
    wait_for(lambda: not worker_backends() & kept, 10, "the worker's backend to end")
    assert_one_valid_result(finished(queue_run(scenario)))
    assert worker_backends() - kept, "the task opened a new connection"
