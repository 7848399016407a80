"""Fixtures for the fault tests: a private Redis, worker subprocesses on the test database."""

import pytest

from bench.processes import Worker, database_url
from tests.conftest import configure_celery, require_service


@pytest.fixture
def postgres_url(transactional_db):
    from django.db import connection

    require_service("PostgreSQL", connection.vendor == "postgresql",
                    "worker subprocesses need a database they can share (set DATABASE_URL)")
    return database_url(connection.settings_dict)


@pytest.fixture
def broker(eager_celery, private_redis):
    """Send tasks from this process to the private Redis (not eagerly)."""
    app = eager_celery

    saved = app.conf.broker_url

    def point(url: str) -> None:
        # Forget this app's pool (kombu keeps one per broker URL, shared: never close it here).
        app._after_fork()
        configure_celery(app, broker_url=url)

    configure_celery(app, task_always_eager=False)
    point(private_redis.url)
    yield private_redis
    point(saved)


@pytest.fixture
def workers(broker, postgres_url, tmp_path):
    """start(name, **env) -> a running Worker; every one is stopped at the end."""
    started: list[Worker] = []

    def start(name: str, **env: str) -> Worker:
        worker = Worker(name, broker.url, postgres_url, tmp_path, **env)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
