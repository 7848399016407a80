"""Fixtures for the fault tests: a private Redis, worker subprocesses on the test database."""
import shutil

import pytest

from bench.processes import PrivateRedis, Worker, database_url
from tests.conftest import require_service


@pytest.fixture
def private_redis(tmp_path):
    require_service("redis-server", shutil.which("redis-server") is not None,
                    "install redis-server (.ci/run does)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


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

    def point(url: str | None) -> None:
        # Forget this app's pool (kombu keeps one per broker URL, shared: never close it here).
        # Producers use broker_write_url before broker_url (which Celery 5.6 reads from the
        # Django settings however it is set here).
        app._after_fork()
        app.conf.broker_write_url = url

    app.conf.task_always_eager = False
    point(private_redis.url)
    yield private_redis
    point(None)


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
