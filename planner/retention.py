"""Deleting a scenario is soft: out of sight at once, restorable by its owner for
SCENARIO_RETENTION_DAYS, then purged (scenario, runs, sweeps and history) by
`manage.py purge_deleted_scenarios` or the beat task below.

A deleted scenario is gone from every list, page, share link and queue (the default manager
hides it, planner/models.py); its queued and running runs are cancelled when it is deleted, as
they were when deleting took the runs with it.
"""
import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from config.celery import app
from planner.models import Run, Scenario
from planner.runs.queueing import RunAlreadyFinished, cancel_run

logger = logging.getLogger(__name__)


def retention(days: float | None = None) -> dt.timedelta:
    return dt.timedelta(days=settings.SCENARIO_RETENTION_DAYS if days is None else days)


def purge_after(scenario: Scenario) -> dt.datetime | None:
    """When a deleted scenario will be purged."""
    return scenario.deleted_at + retention() if scenario.deleted_at else None


def deleted_visible_to(user: Any) -> QuerySet[Scenario]:
    """The deleted scenarios `user` may restore (their own; staff: all), latest first."""
    if not user.is_authenticated:
        return Scenario.all_objects.none()
    deleted = Scenario.all_objects.filter(deleted_at__isnull=False).order_by("-deleted_at", "-id")
    return deleted if user.is_staff else deleted.filter(owner=user)


def owned_deleted_scenario(user: Any, pk: int) -> Scenario:
    """A deleted scenario the user may restore; 404 otherwise (also when it is not deleted)."""
    scenario = get_object_or_404(deleted_visible_to(user), pk=pk)
    if scenario.deleted_at is None:
        raise Http404("Not deleted")
    return scenario


def soft_delete(scenario: Scenario, user: Any = None) -> Scenario:
    """Mark the scenario deleted (a version of its history) and cancel its unfinished runs."""
    with transaction.atomic():
        scenario.deleted_at = timezone.now()
        scenario._change_reason = "Deleted"
        if user is not None and user.is_authenticated:
            scenario._history_user = user
        scenario.save(update_fields=["deleted_at", "updated_at"])
    unfinished = Run.objects.filter(
        scenario=scenario, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]
    )
    for run in unfinished:
        try:
            cancel_run(run)
        except RunAlreadyFinished:  # it ended meanwhile: nothing to stop
            pass
    return scenario


def undelete(scenario: Scenario, user: Any = None) -> Scenario:
    """Bring a deleted scenario back, as it was (a version of its history)."""
    scenario.deleted_at = None
    scenario._change_reason = "Restored from deleted"
    if user is not None and user.is_authenticated:
        scenario._history_user = user
    scenario.save(update_fields=["deleted_at", "updated_at"])
    return scenario


def purge_deleted_scenarios(
    now: dt.datetime | None = None, *, days: float | None = None, dry_run: bool = False
) -> list[int]:
    """Delete for good every scenario deleted longer ago than the retention period (`days`,
    default SCENARIO_RETENTION_DAYS), with its runs, sweeps and history. Returns the ids
    purged (or, with `dry_run`, those that would be)."""
    cutoff = (now or timezone.now()) - retention(days)
    ids = list(
        Scenario.all_objects.filter(deleted_at__lte=cutoff).values_list("pk", flat=True)
    )
    if not ids or dry_run:
        return ids
    with transaction.atomic():
        Scenario.all_objects.filter(pk__in=ids).delete()
        # The history goes too: purging means the scenario's content is no longer kept.
        Scenario.history.filter(id__in=ids).delete()
    logger.info("purged %d deleted scenario(s): %s", len(ids), ids)
    return ids


@app.task
def purge_deleted_scenarios_task() -> list[int]:
    """Celery beat entry (settings.CELERY_BEAT_SCHEDULE)."""
    return purge_deleted_scenarios()
