"""Celery tasks: thin entry points. The work is in `planner.runs.execution`; the periodic check
for lost runs is `planner.runs.recovery.requeue_stale_runs_task`."""
from config.celery import app
from planner.runs.execution import execute_run, execute_runs


@app.task(acks_late=True, reject_on_worker_lost=True)
def solve_run(run_id: int, attempt: int | None = None) -> str:
    """Solve a stored run's problem and save its layout (idempotent: see planner.runs.execution).

    A failure inside the solver marks the run failed with the message.
    """
    return execute_run(run_id, attempt)


@app.task(acks_late=True, reject_on_worker_lost=True)
def solve_runs(run_ids: list[int]) -> list[str]:
    """Several small runs of a sweep in one message (planner.runs.sweeps.chunks), read in one
    query; each is claimed, solved and stored on its own, as by `solve_run`, so a redelivered chunk
    skips the runs already finished. Only first sends are chunked: a re-send is a `solve_run`
    with its attempt, which supersedes the chunk for that run."""
    return execute_runs(run_ids)
