"""The Celery application.

Without REDIS_URL the settings make every task run eagerly in-process, so `make run` needs no
broker; with REDIS_URL a real worker (`celery -A config worker`) consumes the queue.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rack_planner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
