"""Celery tasks: thin wrappers that load by id, call the pure solver and store the result."""
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from planner import solver
from planner.models import Run

logger = logging.getLogger(__name__)


class RunCancelled(Exception):
    """Raised from the progress callback when the run was cancelled meanwhile."""


@shared_task(acks_late=True, reject_on_worker_lost=True)
def solve_run(run_id: int) -> str:
    """Solve a stored run's problem and save its layout.

    Idempotent: a run that already finished is left as it is, so a redelivered task stores
    one result. A failure inside the solver marks the run failed with the message.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            logger.warning("solve_run: run %s does not exist", run_id)
            return "missing"
        if run.is_finished:
            return run.status
        run.status = Run.Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])

    def report(progress: dict) -> None:
        # Zero rows updated: the run was cancelled; raising ends the solve at this phase.
        if not Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(progress=progress):
            raise RunCancelled(run_id)

    try:
        result = solver.solve(run.problem, progress=report)
    except RunCancelled:
        return Run.Status.CANCELLED
    except Exception as exc:  # noqa: BLE001 - any solver failure must end up on the run
        logger.exception("solve_run: run %s failed", run_id)
        Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
            status=Run.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        return Run.Status.FAILED

    status = Run.Status.SUCCEEDED
    error = ""
    # No layout at all (bad problem, or the time limit ran out before a first layout): the
    # run failed with the solver's reason. Infeasible is an answer, and the run succeeded.
    if result.get("status") in {"invalid", "unknown"}:
        status = Run.Status.FAILED
        error = result.get("reason") or f"solver status {result.get('status')}"
    # Only a run still running takes the result: a cancelled one stays cancelled.
    stored = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
        status=status, result=result, error=error, finished_at=timezone.now()
    )
    return status if stored else Run.Status.CANCELLED
