"""Real processes for the fault tests and the benchmarks: a private redis-server and
`celery worker` subprocesses (never the shared Redis, which other work relies on).

Workers get their database as DATABASE_URL: under pytest the test database (its name comes
from the test's connection), so the tests that use them are transactional: rows are committed
where a worker can see them.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# The checkout (bench/ is one level down): subprocesses run its code, not an installed copy.
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class PrivateRedis:
    """A redis-server of our own on a free port, keeping nothing on disk (never the shared one)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary, "redis-server not found (.ci/run installs it)"
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        def pings() -> bool:
            try:
                return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
            except redis.RedisError:
                return False

        wait_for(pings, 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def configure_celery(app, **values) -> None:
    """Change Celery settings at run time, e.g. `task_always_eager=False`.

    Celery 5.6 (pinned: pyproject.toml) reads a setting from its Django name
    (`CELERY_TASK_ALWAYS_EAGER`) before the plain one, so both are set.
    """
    for key, value in values.items():
        app.conf[key] = value
        app.conf[f"CELERY_{key.upper()}"] = value


@contextlib.contextmanager
def private_broker(workdir: Path):
    """A PrivateRedis that this process's Celery app sends to (not eagerly); yields its URL."""
    from config.celery import app

    server = PrivateRedis(workdir)
    server.start()
    try:
        configure_celery(app, task_always_eager=False, broker_url=server.url)
        app._after_fork()  # drop connections to the old broker
        yield server.url
    finally:
        server.stop()


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


def celery_process(args: list[str], broker_url: str, db_url: str, log: Path,
                   **env: str) -> subprocess.Popen:
    """`python -m celery -A config <args>` in its own process group, logging to `log`."""
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ.update(
        DEVELOPMENT="1", DATABASE_URL=db_url, REDIS_URL=broker_url, LOG_LEVEL="INFO",
        DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1", **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel=INFO"],
        cwd=ROOT, env=environ, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class Worker:
    """`python -m celery -A config worker` in its own process group, so kill -9 takes it all."""

    def __init__(self, name: str, broker_url: str, db_url: str, logdir: Path,
                 concurrency: int = 1, **env: str):
        self.name = name
        self.log = logdir / f"{name}.log"
        self.process = celery_process(
            ["worker", "--pool=prefork", f"--concurrency={concurrency}", "--without-gossip",
             "--without-mingle", "--without-heartbeat", f"--hostname={name}@%h"],
            broker_url, db_url, self.log, **env,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 60) -> None:
        wait_for(lambda: "ready." in self.output() or self.process.poll() is not None,
                 timeout_s, f"worker {self.name} to start")
        assert self.process.poll() is None, self.output()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_all(self) -> None:
        """kill -9 the worker and its pool: what a vanished host looks like."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_all()
        else:
            try:  # pool children may outlive a dead parent
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Gunicorn:
    """gunicorn with the project's gunicorn.conf.py on a free loopback port, production settings
    (DEVELOPMENT=0, plain HTTP), on the given database and Redis; `env` overrides."""

    def __init__(self, secret_key: str, db_url: str, redis_url: str, logdir: Path,
                 **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = logdir / "gunicorn.log"
        environ = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        # Sessions made by the caller are signed with its key, so gunicorn gets the same one.
        environ.update(DEVELOPMENT="0", SECRET_KEY=secret_key, HTTPS="0",
                       ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=db_url, REDIS_URL=redis_url,
                       GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESSLOG="",
                       LOG_LEVEL="WARNING", **env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=environ,
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
        )

    def wait_ready(self, timeout_s: float = 60) -> None:
        import urllib.request

        def up() -> bool:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            try:
                return urllib.request.urlopen(f"{self.base}/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(up, timeout_s, "gunicorn to serve /healthz", interval_s=0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
