"""Queueing and cancelling runs: the one place that turns a scenario into a Run and hands its
id to Celery, and the one place that revokes it."""
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from planner import solver
from planner.bridge.problems import scenario_problem, validate_spec
from planner.history import current_version
from planner.models import Run, Scenario
from planner.reports.inputs import default_run_name
from planner.runs.execution import solver_budget_s
from planner.tasks import solve_run

logger = logging.getLogger(__name__)


def send_run(run_id: int, attempt: int) -> None:
    """Send a run's id to the workers as its `attempt`-th send.

    A broker that is down must not lose the run or fail the request that queued it: the run
    stays `queued` in the database and requeue_stale_runs sends it again later.
    """
    try:
        async_result = solve_run.apply_async((run_id,), {"attempt": attempt})
    except Exception:  # noqa: BLE001 - kombu/redis raise many kinds; the check retries
        logger.warning("run %s not sent (broker unavailable); the periodic check will retry",
                       run_id, exc_info=True)
        return
    Run.objects.filter(pk=run_id).update(task_id=async_result.id or "")



def check_problem_limits(problem: dict) -> None:
    """Raise `solver.ProblemError` naming each size limit (settings.PROBLEM_LIMITS) exceeded."""
    errors = solver.limit_errors(problem, settings.PROBLEM_LIMITS)
    if errors:
        raise solver.ProblemError(errors)


def run_settings(problem: dict) -> dict:
    """The solver settings a run is queued with (kept on the run beside its spec)."""
    return {
        "time_limit_s": solver_budget_s(problem, settings.CELERY_TASK_SOFT_TIME_LIMIT),
        "method": problem.get("method", "exact"),
    }


def queue_run(
    scenario: Scenario,
    *,
    requested_by=None,
    idempotency_key: str = "",
    name: str = "",
    note: str = "",
) -> Run:
    """Snapshot the scenario's problem into a new queued Run and send its id to the workers.

    With an `idempotency_key`, a run already queued for the same scenario, user and key is
    returned instead (also when two retries race: the database's unique constraint decides).

    Raises `planner.bridge.problems.ScenarioSpecError` when a spec no longer builds (a catalog
    row it names was renamed or deleted) and `solver.ProblemError` when the problem is too large.

    The task is sent only after the run's row is committed, so a worker never looks for a run
    that it cannot see yet.
    """
    user = requested_by if requested_by is not None and requested_by.is_authenticated else None
    if idempotency_key:
        earlier = Run.objects.filter(
            scenario=scenario, requested_by=user, idempotency_key=idempotency_key
        ).first()
        if earlier is not None:
            return earlier
    problem = scenario_problem(scenario)
    check_problem_limits(problem)
    spec = validate_spec(scenario.spec) if scenario.spec is not None else None
    try:
        with transaction.atomic():
            run = Run.objects.create(
                scenario=scenario,
                problem=problem,
                spec=spec,
                solver_settings=run_settings(problem),
                name=(name.strip() or default_run_name(spec, problem))[:200],
                note=note.strip(),
                requested_by=user,
                idempotency_key=idempotency_key,
                scenario_version=current_version(scenario),
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        return Run.objects.get(
            scenario=scenario, requested_by=user, idempotency_key=idempotency_key
        )

    transaction.on_commit(lambda: send_run(run.pk, run.attempts))
    return run


class RunAlreadyFinished(Exception):
    pass


def cancel_run(run: Run) -> Run:
    """Mark a queued or running run cancelled and revoke its task.

    The database is updated first, so a worker that picks the task up later skips it (it
    only starts queued runs) and a solve that ends after the cancel does not overwrite it
    (tasks.py stores results only on runs still running). A running task is also terminated.
    Raises `RunAlreadyFinished` for a run that has ended.
    """
    was_running = run.status == Run.Status.RUNNING
    updated = Run.objects.filter(
        pk=run.pk, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]
    ).update(status=Run.Status.CANCELLED, finished_at=timezone.now(), error="Cancelled.")
    run.refresh_from_db()
    if not updated:
        raise RunAlreadyFinished(f"run {run.pk} already {run.status}")
    # A sweep's small runs share a message (planner.runs.sweeps.chunks): revoking or
    # terminating it would take the other runs with it. The worker skips a cancelled run, and
    # a small run that is already solving ends within milliseconds, its result discarded.
    shared = bool(run.task_id) and Run.objects.filter(task_id=run.task_id).exclude(
        pk=run.pk).exists()
    if run.task_id and not shared:
        try:
            solve_run.app.control.revoke(run.task_id, terminate=was_running, signal="SIGTERM")
        except Exception:  # noqa: BLE001 - the run is cancelled in the database regardless
            logger.warning("cancel_run: could not revoke task %s", run.task_id, exc_info=True)
    return run
