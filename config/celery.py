"""The Celery application.

Without REDIS_URL the settings make every task run eagerly in-process, so `make run` needs no
broker; with REDIS_URL a real worker (`celery -A config worker`) consumes the queue.
"""
import os

from celery import Celery
from celery.signals import task_prerun
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A worker solves runs and needs no URLconf, yet Celery's Django fix-up runs the system checks
# at start-up, which import every view (pandas, plotly, DRF): seconds of cold start for nothing.
# The checks run where the project is deployed and served (`manage.py migrate`, `check`,
# `runserver`, the test suite); CELERY_SKIP_CHECKS= (empty) turns them back on for a worker.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("rack_planner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def drop_broken_database_connections(**kwargs) -> None:
    """Before each task, as Django does before each request: close a kept connection that is
    past CONN_MAX_AGE, or that no longer answers (PostgreSQL restarted since the last task),
    so the task opens a new one instead of failing on it. Connections are kept between tasks
    for CELERY_DB_REUSE_MAX tasks (settings)."""
    if kwargs.get("task") is not None and getattr(kwargs["task"].request, "is_eager", False):
        return  # in-process (no REDIS_URL): the request's own connection
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None and not connection.is_usable():
            connection.close()
