"""The periodic check for runs the broker lost or whose worker vanished.

A run `queued` longer than RUN_QUEUED_LIMIT_S (its message was lost, e.g. Redis restarted
empty), or longer than RUN_UNSENT_LIMIT_S if it never reached the broker (no task id), or
`running` longer than RUN_RUNNING_LIMIT_S (its worker vanished, or was killed at the hard time
limit) is sent again, as long as it has been sent fewer than RUN_MAX_ATTEMPTS times; after that
it is marked failed with the reason. Celery beat runs this every RUN_CHECK_INTERVAL_S;
`manage.py requeue_stale_runs` runs it by hand.
"""
import datetime as dt
import functools
import logging
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from planner.models import Run
from planner.runs.queueing import send_run

logger = logging.getLogger(__name__)


@dataclass
class StaleRunsReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def requeue_stale_runs(
    *,
    queued_limit_s: float | None = None,
    running_limit_s: float | None = None,
    max_attempts: int | None = None,
    now: dt.datetime | None = None,
) -> StaleRunsReport:
    """Re-send or fail every stale run; returns the ids of each."""
    queued_limit_s = settings.RUN_QUEUED_LIMIT_S if queued_limit_s is None else queued_limit_s
    running_limit_s = settings.RUN_RUNNING_LIMIT_S if running_limit_s is None else running_limit_s
    max_attempts = settings.RUN_MAX_ATTEMPTS if max_attempts is None else max_attempts
    now = now or timezone.now()
    stale_queued = Q(status=Run.Status.QUEUED, queued_at__lte=now - dt.timedelta(
        seconds=queued_limit_s))
    stale_running = Q(status=Run.Status.RUNNING, started_at__lte=now - dt.timedelta(
        seconds=running_limit_s))
    # Never sent (the broker was down when it was queued: no task id): no need to wait long.
    unsent_limit_s = min(settings.RUN_UNSENT_LIMIT_S, queued_limit_s)
    stale_queued |= Q(status=Run.Status.QUEUED, task_id="", queued_at__lte=now - dt.timedelta(
        seconds=unsent_limit_s))
    report = StaleRunsReport()
    candidates = Run.objects.filter(stale_queued | stale_running).order_by("pk")
    for run_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            # Re-check under the row lock: a worker may have claimed or finished it meanwhile.
            run = (
                Run.objects.select_for_update(skip_locked=True)
                .filter(stale_queued | stale_running, pk=run_id)
                .first()
            )
            if run is None:
                continue
            if run.status == Run.Status.QUEUED and not run.task_id:
                reason = "never reached the broker (it was down when the run was queued)"
            elif run.status == Run.Status.QUEUED:
                reason = (f"queued for more than {queued_limit_s:g} s "
                          "(the broker lost its message, or no worker took it)")
            else:
                reason = (f"running for more than {running_limit_s:g} s (its worker vanished "
                          "or was stopped at the hard time limit)")
            if run.attempts >= max_attempts:
                run.status = Run.Status.FAILED
                run.error = f"gave up after {run.attempts} attempts: {reason}"
                run.finished_at = now
                run.save(update_fields=["status", "error", "finished_at"])
                report.failed.append(run.pk)
                logger.error("run %s failed: %s", run.pk, run.error)
                continue
            run.attempts += 1
            run.status = Run.Status.QUEUED
            run.queued_at = now
            run.started_at = None
            run.progress = {}
            run.task_id = ""  # set again once the broker has the new message
            run.save(update_fields=["attempts", "status", "queued_at", "started_at", "progress",
                                    "task_id"])
            transaction.on_commit(functools.partial(send_run, run.pk, run.attempts))
            report.requeued.append(run.pk)
            logger.warning("run %s re-queued (attempt %s): %s", run.pk, run.attempts, reason)
    return report


@shared_task
def requeue_stale_runs_task() -> dict:
    """Celery beat's periodic check (settings.CELERY_BEAT_SCHEDULE)."""
    report = requeue_stale_runs()
    return {"requeued": report.requeued, "failed": report.failed}
