"""A solve through a real Celery worker consuming a real Redis broker (not eager)."""
import os

import pytest

from tests.api.test_solve_api import STUDY_PROBLEM
from tests.conftest import require_service


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_run_is_solved_by_a_real_worker(eager_celery, user):
    url = redis_url()
    require_service("Redis", url is not None, "set REDIS_URL to a running Redis")
    from celery.contrib.testing.worker import start_worker

    from planner.models import Run, Scenario
    from planner.runs.queueing import queue_run

    app = eager_celery
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app.conf.result_backend = None
    scenario = Scenario.objects.create(name="worker", owner=user, problem=STUDY_PROBLEM)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        run = queue_run(scenario)
        import time

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.is_finished:
                break
            time.sleep(0.2)
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.result["objective"] == 1216
    assert run.task_id
