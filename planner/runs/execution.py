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


#: What a claim reads of a run (the result and the error are never needed to solve it).
CLAIM_FIELDS = ("id", "status", "attempts", "problem")


def claim(run_id: int, attempt: int | None, run: Run | None = None) -> tuple[Run | None, str]:
    """Mark the run running for this execution, or say why it must not be solved.

    One read (none when the caller read `run` already) and one conditional write: the UPDATE
    claims the run only if it is still queued or running (a redelivery takes it over) and this
    message is its latest send; the claim's `started_at` is its fencing token.
    """
    if run is None:
        run = Run.objects.filter(pk=run_id).only(*CLAIM_FIELDS).first()
    if run is None:
        logger.warning("solve_run: run %s does not exist", run_id)
        return None, "missing"
    if run.is_finished:
        return None, run.status
    if (attempt or 1) < run.attempts:
        return None, "superseded"
    started_at = timezone.now()
    claimed = Run.objects.filter(
        pk=run_id,
        status__in=[Run.Status.QUEUED, Run.Status.RUNNING],
        attempts__lte=attempt or 1,
    ).update(status=Run.Status.RUNNING, started_at=started_at, progress={})
    if not claimed:  # cancelled, finished or re-sent since the read
        return None, outcome_of(run_id)
    if run.status == Run.Status.RUNNING:
        logger.warning("solve_run: run %s was left running by a lost worker; solving again",
                       run_id)
    run.status, run.started_at = Run.Status.RUNNING, started_at
    return run, Run.Status.RUNNING


def execute_runs(run_ids: list[int]) -> list[str]:
    """A chunk of first sends (planner.tasks.solve_runs) in three statements whatever its size:
    one UPDATE claims every run still queued (or left running by a lost worker) under one
    `started_at`, one SELECT reads the claimed problems, and after the solves one UPDATE stores
    every result, conditional on the claim as for `execute_run` (exactly one result: a run
    cancelled, re-sent or taken over meanwhile keeps what it has)."""
    started_at = timezone.now()
    Run.objects.filter(
        pk__in=run_ids, status__in=[Run.Status.QUEUED, Run.Status.RUNNING], attempts__lte=1
    ).update(status=Run.Status.RUNNING, started_at=started_at, progress={})
    runs = Run.objects.only(*CLAIM_FIELDS, "started_at").in_bulk(run_ids)
    outcomes: dict[int, str] = {}
    solved: list[Run] = []
    for run_id in run_ids:
        run = runs.get(run_id)
        if run is None:
            logger.warning("solve_runs: run %s does not exist", run_id)
            outcomes[run_id] = "missing"
        elif run.status == Run.Status.RUNNING and run.started_at == started_at:
            outcome = solve_claimed(run)
            if outcome is None:
                solved.append(run)
            else:
                outcomes[run_id] = outcome
        elif run.is_finished:
            outcomes[run_id] = run.status
        else:  # re-sent (a later attempt owns it) or claimed by another delivery since
            outcomes[run_id] = "superseded"
    if solved:
        finished_at = timezone.now()
        for run in solved:
            run.finished_at = finished_at
        mine = Run.objects.filter(status=Run.Status.RUNNING, started_at=started_at)
        stored = mine.bulk_update(solved, ["status", "result", "error", "progress",
                                           "finished_at"])
        kept = {run.pk for run in solved}
        if stored != len(solved):  # some were cancelled or taken over meanwhile: which?
            kept = set(Run.objects.filter(pk__in=kept, started_at=started_at,
                                          finished_at=finished_at).values_list("pk", flat=True))
        for run in solved:
            if run.pk in kept:
                outcomes[run.pk] = run.status
            else:
                logger.warning("solve_runs: run %s was cancelled or taken over; result "
                               "discarded", run.pk)
                outcomes[run.pk] = outcome_of(run.pk)
    return [outcomes[run_id] for run_id in run_ids]


def solve_claimed(run: Run) -> str | None:
    """Solve a run claimed by a chunk and set its outcome fields (status, result, error,
    progress) on `run` for the chunk's one UPDATE; or, when the run was cancelled or taken
    over during the solve (a progress write found no row), return its outcome."""
    mine = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, started_at=run.started_at)
    latest: dict = {}
    try:
        result = solver.solve(run.problem,
                              time_limit_s=solver_budget_s(run.problem,
                                                           settings.CELERY_TASK_SOFT_TIME_LIMIT),
                              progress=progress_writer(mine, run.pk, latest))
    except RunCancelled:
        return outcome_of(run.pk)
    except Exception as exc:  # noqa: BLE001 - any solver failure (the soft limit too) ends up on the run
        logger.exception("solve_runs: run %s failed", run.pk)
        run.status, run.result, run.error = Run.Status.FAILED, None, failure_reason(exc)
        run.progress = latest
        return None
    run.status, run.error = outcome_status(result)
    run.result, run.progress = result, latest
    return None


def progress_writer(mine, run_id: int, latest: dict):
    """The solver's progress callback: keeps the latest report and writes it at most every
    PROGRESS_INTERVAL_S (a sub-second solve writes none; the last one goes with the result)."""
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

    return report


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return (f"the solve exceeded the worker's time limit of "
                f"{settings.CELERY_TASK_SOFT_TIME_LIMIT} s (SOLVE_SOFT_TIME_LIMIT_S)")
    return f"{type(exc).__name__}: {exc}"


def outcome_status(result: dict) -> tuple[str, str]:
    """(status, error) of a finished solve. No layout at all (bad problem, or the time limit
    ran out before a first layout): the run failed with the solver's reason. Infeasible is an
    answer, and the run succeeded."""
    if result.get("status") in {"invalid", "unknown"}:
        return Run.Status.FAILED, result.get("reason") or f"solver status {result.get('status')}"
    return Run.Status.SUCCEEDED, ""


def execute_run(run_id: int, attempt: int | None = None) -> str:
    """Solve a stored run's problem and save its layout (see the module doc for idempotency).

    A failure inside the solver marks the run failed with the message.
    """
    run, outcome = claim(run_id, attempt)
    if run is None:
        return outcome
    # Only the current claim may write: a takeover or the periodic check changes started_at.
    mine = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, started_at=run.started_at)
    latest: dict = {}
    try:
        result = solver.solve(
            run.problem,
            time_limit_s=solver_budget_s(run.problem, settings.CELERY_TASK_SOFT_TIME_LIMIT),
            progress=progress_writer(mine, run_id, latest),
        )
    except RunCancelled:
        return outcome_of(run_id)
    except Exception as exc:  # noqa: BLE001 - any solver failure (the soft limit too) ends up on the run
        logger.exception("solve_run: run %s failed", run_id)
        stored = mine.update(status=Run.Status.FAILED, error=failure_reason(exc),
                             progress=latest, finished_at=timezone.now())
        return Run.Status.FAILED if stored else outcome_of(run_id)
    status, error = outcome_status(result)
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
