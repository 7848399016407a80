"""What a worker does with a run: claim it, call the pure solver, store the result.

`planner.tasks.solve_run` is the thin Celery task around `execute_run`.

Nothing is lost and nothing is stored twice, whatever the broker does:

* each send of a run carries its attempt number; a message older than the run's latest send is
  superseded and skipped (requeue_stale_runs re-sent the run);
* the current message finding its run `running` is a redelivery: the worker that had it died
  (acks_late + reject_on_worker_lost, or the visibility timeout), so this task takes it over;
* a claim stamps `started_at`, and a result is stored only by the claim that is still current
  (a conditional UPDATE), so a run ends with exactly one result even if an old claim lives on;
* a cancelled run is no longer `running`: the next progress write finds no row, which ends the
  solve, and a late result never overwrites the cancellation.
"""
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from planner import solver
from planner.models import Run

logger = logging.getLogger(__name__)

#: Time the task keeps for itself below the soft limit (the solver may overrun its budget by
#: up to 2 s to explain an infeasible demand, then the result is stored).
SOFT_LIMIT_MARGIN_S = 3.0
PROGRESS_INTERVAL_S = 1.0


class RunCancelled(Exception):
    """Raised from the progress callback when the run was cancelled (or taken over) meanwhile."""


def solver_budget_s(problem: object, soft_limit_s: float | None) -> float:
    """The worker's budget: the problem's own time limit, capped below the soft limit by the
    margin the task keeps to store its result (the rule is `solver.time_budget_s`)."""
    requested = problem.get("time_limit_s") if isinstance(problem, dict) else None
    return solver.time_budget_s(requested, soft_limit_s, SOFT_LIMIT_MARGIN_S)


def claim(run_id: int, attempt: int | None) -> tuple[Run | None, str]:
    """Mark the run running for this execution, or say why it must not be solved."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            logger.warning("solve_run: run %s does not exist", run_id)
            return None, "missing"
        if run.is_finished:
            return None, run.status
        if (attempt or 1) < run.attempts:
            return None, "superseded"
        if run.status == Run.Status.RUNNING:
            logger.warning("solve_run: run %s was left running by a lost worker; solving again",
                           run_id)
        run.status = Run.Status.RUNNING
        run.started_at = timezone.now()
        run.progress = {}
        run.save(update_fields=["status", "started_at", "progress"])
    return run, Run.Status.RUNNING


def execute_run(run_id: int, attempt: int | None = None) -> str:
    """Solve a stored run's problem and save its layout (see the module doc for idempotency).

    A failure inside the solver marks the run failed with the message.
    """
    run, outcome = claim(run_id, attempt)
    if run is None:
        return outcome
    # Only the current claim may write: a takeover or the periodic check changes started_at.
    mine = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, started_at=run.started_at)

    # Progress is written at most every PROGRESS_INTERVAL_S (a small solve would otherwise
    # spend more time writing progress rows than solving); the last one goes with the result.
    latest: dict = {}
    written_at = time.monotonic()

    def report(progress: dict) -> None:
        nonlocal written_at
        latest.clear()
        latest.update(progress)
        if time.monotonic() - written_at >= PROGRESS_INTERVAL_S:
            written_at = time.monotonic()
            # No row updated: the run was cancelled or taken over; stop solving for it.
            if not mine.update(progress=progress):
                raise RunCancelled(run_id)

    soft_limit_s = settings.CELERY_TASK_SOFT_TIME_LIMIT
    try:
        result = solver.solve(
            run.problem,
            time_limit_s=solver_budget_s(run.problem, soft_limit_s),
            progress=report,
        )
    except RunCancelled:
        return outcome_of(run_id)
    except SoftTimeLimitExceeded:
        logger.error("solve_run: run %s exceeded the soft time limit", run_id)
        stored = mine.update(
            status=Run.Status.FAILED,
            error=f"the solve exceeded the worker's time limit of {soft_limit_s} s "
            "(SOLVE_SOFT_TIME_LIMIT_S)",
            progress=latest,
            finished_at=timezone.now(),
        )
        return Run.Status.FAILED if stored else outcome_of(run_id)
    except Exception as exc:  # noqa: BLE001 - any solver failure must end up on the run
        logger.exception("solve_run: run %s failed", run_id)
        stored = mine.update(
            status=Run.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            progress=latest,
            finished_at=timezone.now(),
        )
        return Run.Status.FAILED if stored else outcome_of(run_id)

    status = Run.Status.SUCCEEDED
    error = ""
    # No layout at all (bad problem, or the time limit ran out before a first layout): the
    # run failed with the solver's reason. Infeasible is an answer, and the run succeeded.
    if result.get("status") in {"invalid", "unknown"}:
        status = Run.Status.FAILED
        error = result.get("reason") or f"solver status {result.get('status')}"
    stored = mine.update(
        status=status, result=result, error=error, progress=latest, finished_at=timezone.now()
    )
    if not stored:
        logger.warning("solve_run: run %s was cancelled or taken over; result discarded", run_id)
        return outcome_of(run_id)
    return status


def outcome_of(run_id: int) -> str:
    """What became of a run this execution no longer owns: cancelled, or superseded."""
    status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
    return Run.Status.CANCELLED if status == Run.Status.CANCELLED else "superseded"
