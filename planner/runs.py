"""Queueing runs: the one place that turns a scenario into a Run and hands its id to Celery."""
import logging

from django.db import transaction

from planner.models import Run, Scenario
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


def queue_run(scenario: Scenario) -> Run:
    """Snapshot the scenario's problem into a new queued Run and send its id to the workers.

    The task is sent only after the run's row is committed, so a worker never looks for a run
    that it cannot see yet.
    """
    run = Run.objects.create(scenario=scenario, problem=scenario.problem)
    transaction.on_commit(lambda: send_run(run.pk, run.attempts))
    return run
