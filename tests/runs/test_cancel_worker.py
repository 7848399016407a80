"""Cancelling a running run through a real Celery worker (prefork) terminates its task.

The solve is replaced by one that sleeps without reporting progress: a real solve of a small
problem ends in milliseconds, and a sleeping task can only be stopped by terminating its
process, which is what this checks (the marker file is written only if it ran to the end).
"""
import time
from pathlib import Path

import pytest

from tests.api.test_solve_api import STUDY_PROBLEM
from tests.conftest import require_service
from tests.runs.test_celery_worker import redis_url

SLEEP_S = 6.0


def slow_solve(problem, progress=None, marker=None):
    # No progress reports: only terminating the process stops this.
    time.sleep(SLEEP_S)
    Path(marker).write_text("finished")
    return {}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_cancel_terminates_a_running_task(eager_celery, user, monkeypatch, tmp_path):
    url = redis_url()
    require_service("Redis", url is not None, "set REDIS_URL to a running Redis")
    from celery.contrib.testing.worker import start_worker

    from planner import solver
    from planner.models import Run, Scenario
    from planner.runs.queueing import cancel_run, queue_run

    marker = tmp_path / "finished"
    monkeypatch.setattr(
        solver,
        "solve",
        lambda problem, progress=None, **options: slow_solve(problem, progress, marker),
    )
    app = eager_celery
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app.conf.result_backend = None
    scenario = Scenario.objects.create(name="slow", owner=user, problem=STUDY_PROBLEM)
    with start_worker(app, pool="prefork", concurrency=1, perform_ping_check=False,
                      shutdown_timeout=20):
        run = queue_run(scenario)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == Run.Status.RUNNING and run.task_id:
                break
            time.sleep(0.1)
        assert run.status == Run.Status.RUNNING
        cancel_run(run)
        time.sleep(SLEEP_S + 2)
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert not marker.exists(), "the task ran to the end: it was not terminated"
