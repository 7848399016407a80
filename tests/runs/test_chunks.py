"""Small sweep runs share a message (chunks); each run still has its own claim, result and
cancellation; a run costs one read and two writes."""
import copy

import pytest

from planner.models import Run, Scenario
from planner.runs import execution
from planner.runs.execution import execute_run
from planner.runs.queueing import cancel_run
from planner.runs.sweeps import CHUNK_RUNS, chunks, is_small, queue_variant_runs
from planner.solver.examples import STUDY_RACK_PROBLEM
from planner.tasks import solve_runs


def budgets(count: int) -> list[dict]:
    problems = []
    for i in range(count):
        problem = copy.deepcopy(STUDY_RACK_PROBLEM)
        problem["rack_types"][0]["power_kw"] = 5.0 + 0.5 * i
        problems.append(problem)
    return problems


def test_small_runs_travel_in_chunks_large_ones_alone():
    large = copy.deepcopy(STUDY_RACK_PROBLEM)
    large["rack_types"][0]["count"] = 40
    assert is_small(STUDY_RACK_PROBLEM) and not is_small(large)
    problems = budgets(CHUNK_RUNS + 3) + [large]
    ids = list(range(1, len(problems) + 1))
    assert chunks(ids, problems) == [[ids[-1]], ids[:CHUNK_RUNS], ids[CHUNK_RUNS:-1]]


@pytest.fixture
def scenario(user):
    return Scenario.objects.create(name="sweep", owner=user, problem=STUDY_RACK_PROBLEM)


@pytest.mark.django_db
def test_a_sweep_queues_in_one_insert_and_solves_every_run(
    scenario, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    problems = budgets(CHUNK_RUNS * 2 + 1)
    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_max_num_queries(1):
            ids = queue_variant_runs([Run(scenario=scenario, problem=p) for p in problems])
    runs = Run.objects.in_bulk(ids)
    assert all(run.status == Run.Status.SUCCEEDED for run in runs.values())
    assert [runs[i].problem["rack_types"][0]["power_kw"] for i in ids] == [
        p["rack_types"][0]["power_kw"] for p in problems
    ]
    assert len({run.task_id for run in runs.values()}) == 3  # three messages


@pytest.mark.django_db
def test_a_run_costs_one_read_and_two_writes(scenario, django_assert_num_queries):
    run = Run.objects.create(scenario=scenario, problem=STUDY_RACK_PROBLEM)
    with django_assert_num_queries(3):  # read, claim, result (no progress for a fast solve)
        assert execute_run(run.pk) == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.result["status"] == "optimal" and run.progress


@pytest.mark.django_db
def test_a_chunk_costs_three_statements_whatever_its_size(scenario, django_assert_num_queries):
    ids = [Run.objects.create(scenario=scenario, problem=p).pk for p in budgets(4)]
    with django_assert_num_queries(3):  # claim all, read the claimed, store every result
        assert solve_runs(ids + [10**9]) == [Run.Status.SUCCEEDED] * 4 + ["missing"]
    runs = Run.objects.in_bulk(ids)
    assert all(run.result["status"] == "optimal" and run.finished_at and run.progress
               for run in runs.values())


@pytest.mark.django_db
def test_a_run_cancelled_during_its_chunk_keeps_the_cancel(scenario, monkeypatch):
    """The chunk's one store is conditional on each run's claim: a run cancelled after the
    claim keeps its cancellation, the others their results."""
    first, second = (Run.objects.create(scenario=scenario, problem=p) for p in budgets(2))
    solve = execution.solver.solve

    def cancel_the_second_while_solving(problem, **kwargs):
        if problem == second.problem:
            cancel_run(Run.objects.get(pk=second.pk))
        return solve(problem, **kwargs)

    monkeypatch.setattr(execution.solver, "solve", cancel_the_second_while_solving)
    assert solve_runs([first.pk, second.pk]) == [Run.Status.SUCCEEDED, Run.Status.CANCELLED]
    second.refresh_from_db()
    assert second.status == Run.Status.CANCELLED and second.result is None


@pytest.mark.django_db
def test_a_redelivered_chunk_skips_finished_and_cancelled_runs(scenario):
    first, second, third = (Run.objects.create(scenario=scenario, problem=p, task_id="chunk")
                            for p in budgets(3))
    assert solve_runs([first.pk]) == [Run.Status.SUCCEEDED]
    stored = Run.objects.get(pk=first.pk).result
    assert cancel_run(second).status == Run.Status.CANCELLED  # not revoked: the message is shared
    assert solve_runs([first.pk, second.pk, third.pk]) == [
        Run.Status.SUCCEEDED, Run.Status.CANCELLED, Run.Status.SUCCEEDED
    ]
    assert Run.objects.get(pk=first.pk).result == stored  # solved once
    assert Run.objects.get(pk=second.pk).status == Run.Status.CANCELLED
    assert Run.objects.get(pk=third.pk).status == Run.Status.SUCCEEDED
