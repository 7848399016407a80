"""The Celery application.

Without REDIS_URL the settings make every task run eagerly in-process, so `make run` needs no
broker; with REDIS_URL a real worker (`celery -A config worker`) consumes the queue.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A worker solves runs and needs no URLconf, yet Celery's Django fix-up runs the system checks
# at start-up, which import every view (pandas, plotly, DRF): seconds of cold start for nothing.
# The checks run where the project is deployed and served (`manage.py migrate`, `check`,
# `runserver`, the test suite); CELERY_SKIP_CHECKS= (empty) turns them back on for a worker.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("rack_planner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
