"""Celery tasks: thin entry points. The work is in `planner.runs.execution`; the periodic check
for lost runs is `planner.runs.recovery.requeue_stale_runs_task`."""
from celery import shared_task

from planner.runs.execution import execute_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def solve_run(run_id: int, attempt: int | None = None) -> str:
    """Solve a stored run's problem and save its layout (idempotent: see planner.runs.execution).

    A failure inside the solver marks the run failed with the message.
    """
    return execute_run(run_id, attempt)
