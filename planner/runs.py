"""Queueing runs: the one place that turns a scenario into a Run and hands its id to Celery."""
from django.db import transaction

from planner.models import Run, Scenario
from planner.tasks import solve_run


def queue_run(scenario: Scenario) -> Run:
    """Snapshot the scenario's problem into a new queued Run and send its id to the workers.

    Raises `planner.problems.ScenarioSpecError` when a spec no longer builds (a catalog row it
    names was renamed or deleted).

    The task is sent only after the run's row is committed, so a worker never looks for a run
    that it cannot see yet.
    """
    run = Run.objects.create(scenario=scenario, problem=scenario.problem_v1())

    def send() -> None:
        async_result = solve_run.delay(run.pk)
        Run.objects.filter(pk=run.pk, task_id="").update(task_id=async_result.id or "")

    transaction.on_commit(send)
    return run
