"""A `--concurrency=2` worker lives through Redis restarts and outages (real processes).

Whatever its pool is doing when Redis goes away (one process solving and one idle, both
solving, both idle) the same worker process, same pid, reconnects and finishes every run with
one result each. Redis keeps nothing on disk here, so messages sitting in it are lost with it:
the periodic check (`requeue_stale_runs`) sends those runs again, as beat does in production.
"""
import time

import pytest

from bench.problems import hard_problem
from bench.processes import wait_for
from planner.models import Run, Scenario
from planner.runs.queueing import queue_run
from planner.runs.recovery import requeue_stale_runs
from tests.api.test_solve_api import STUDY_PROBLEM
from tests.faults.test_worker_faults import assert_one_valid_result, finished, status_of

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# A solve long enough to be under way across the restart, short enough to keep the test quick.
BUSY_S = 4.0


@pytest.fixture
def two_process_worker(workers):
    return workers("pair", concurrency=2)


@pytest.fixture
def scenarios(user):
    return {
        "hard": Scenario.objects.create(name="hard", owner=user, problem=hard_problem(BUSY_S)),
        "easy": Scenario.objects.create(name="easy", owner=user, problem=STUDY_PROBLEM),
    }


def start_solving(scenarios, count: int) -> list[Run]:
    runs = [queue_run(scenarios["hard"]) for _ in range(count)]
    for run in runs:
        wait_for(lambda run=run: status_of(run) == Run.Status.RUNNING, 30, "a solve to start")
    return runs


def survives(worker, broker, earlier: list[Run], scenarios, outage_s: float = 0.0) -> None:
    """After a restart: the same worker process finishes every earlier run and new ones."""
    pid = worker.process.pid
    queued_during = []
    if outage_s:
        deadline = time.monotonic() + outage_s
        while time.monotonic() < deadline:  # runs asked for while Redis is down
            queued_during.append(queue_run(scenarios["easy"]))
            time.sleep(min(outage_s / 3, max(0.0, deadline - time.monotonic())))
    broker.start()
    # Fail fast (with its log) if the worker died instead of reconnecting.
    wait_for(lambda: worker.output().count("Connected to") >= 2 or not worker.alive(), 30,
             "the worker to reconnect")
    assert worker.alive(), worker.output()
    after = [queue_run(scenarios["easy"]) for _ in range(2)]
    for run in after:
        finished(run, timeout_s=60)
    # Messages Redis held when it stopped are gone; beat's check sends those runs again.
    requeue_stale_runs(queued_limit_s=0)
    for run in [*earlier, *queued_during, *after]:
        finished(run, timeout_s=60)
        assert_one_valid_result(run)
    assert worker.alive(), worker.output()
    assert worker.process.pid == pid
    assert "Unrecoverable error" not in worker.output()


def test_one_busy_one_idle(two_process_worker, broker, scenarios):
    [busy] = start_solving(scenarios, 1)
    broker.stop()
    survives(two_process_worker, broker, [busy], scenarios)


def test_both_busy(two_process_worker, broker, scenarios):
    busy = start_solving(scenarios, 2)
    broker.stop()
    survives(two_process_worker, broker, busy, scenarios)


def test_both_idle(two_process_worker, broker, scenarios):
    broker.stop()
    survives(two_process_worker, broker, [], scenarios)


def test_outage_of_30_s_with_runs_queued_during_it(two_process_worker, broker, scenarios):
    [busy] = start_solving(scenarios, 1)
    broker.stop()
    survives(two_process_worker, broker, [busy], scenarios, outage_s=30.0)
