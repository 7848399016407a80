"""Idempotent solve_run and the periodic check for stale runs (tasks run eagerly here; the
same paths through real worker processes are in tests/faults)."""
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bench.processes import free_port
from planner.models import Run, Scenario
from planner.runs.execution import solver_budget_s
from planner.runs.recovery import requeue_stale_runs
from planner.tasks import solve_run
from tests.api.test_solve_api import STUDY_PROBLEM
from tests.conftest import configure_celery

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(user):
    return Scenario.objects.create(name="study", owner=user, problem=STUDY_PROBLEM)


def stuck(scenario, status, age_s, attempts=1) -> Run:
    run = Run.objects.create(scenario=scenario, problem=scenario.problem, attempts=attempts)
    then = timezone.now() - dt.timedelta(seconds=age_s)
    started = then if status == Run.Status.RUNNING else None
    Run.objects.filter(pk=run.pk).update(status=status, queued_at=then, started_at=started)
    run.refresh_from_db()
    return run


def test_a_redelivered_task_for_a_running_run_solves_it_once(scenario):
    run = stuck(scenario, Run.Status.RUNNING, age_s=5)
    assert solve_run(run.pk, attempt=1) == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.result["objective"] == 1216
    assert run.progress["phase"] == "done"  # the last progress is stored with the result
    first_finish = run.finished_at
    # Delivered once more: the finished run is left as it is.
    assert solve_run(run.pk, attempt=1) == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.finished_at == first_finish


def test_a_superseded_message_is_skipped(scenario):
    run = stuck(scenario, Run.Status.QUEUED, age_s=5, attempts=2)
    assert solve_run(run.pk, attempt=1) == "superseded"
    assert solve_run(run.pk) == "superseded"  # a message from before attempts existed
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED


def test_stale_runs_are_requeued_and_solved(scenario, django_capture_on_commit_callbacks):
    lost_queued = stuck(scenario, Run.Status.QUEUED, age_s=7200)
    lost_running = stuck(scenario, Run.Status.RUNNING, age_s=7200)
    fresh = stuck(scenario, Run.Status.QUEUED, age_s=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = requeue_stale_runs()
    assert sorted(report.requeued) == sorted([lost_queued.pk, lost_running.pk])
    assert report.failed == []
    for run in (lost_queued, lost_running):
        run.refresh_from_db()
        assert run.status == Run.Status.SUCCEEDED  # eager: the re-send solved it
        assert run.attempts == 2
    fresh.refresh_from_db()
    assert fresh.status == Run.Status.QUEUED and fresh.attempts == 1


def test_runs_out_of_attempts_are_failed_with_the_reason(scenario, settings):
    settings.RUN_MAX_ATTEMPTS = 3
    run = stuck(scenario, Run.Status.RUNNING, age_s=7200, attempts=3)
    report = requeue_stale_runs()
    assert report.failed == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("gave up after 3 attempts: running for more than")
    assert run.finished_at is not None


def test_the_command_reports_and_validates(scenario, capsys):
    run = stuck(scenario, Run.Status.QUEUED, age_s=30)
    call_command("requeue_stale_runs", "--queued-after", "10")
    assert f"re-queued 1 run(s) [{run.pk}]" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("requeue_stale_runs", "--max-attempts", "0")


def test_a_run_queued_while_the_broker_is_down_stays_queued(
    scenario, eager_celery, user_client, django_capture_on_commit_callbacks
):
    app = eager_celery
    saved = app.conf.broker_url
    configure_celery(app, task_always_eager=False)
    app._after_fork()
    configure_celery(app, broker_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    try:
        with pytest.MonkeyPatch.context() as patch:
            # Fail fast instead of retrying the publish for seconds.
            patch.setitem(app.conf, "broker_connection_timeout", 0.5)
            patch.setitem(app.conf, "task_publish_retry", False)
            with django_capture_on_commit_callbacks(execute=True) as sent:
                response = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs")
    finally:
        app._after_fork()
        configure_celery(app, broker_url=saved)
    assert response.status_code == 202
    # The send was tried once, failed and was logged (beside it, with Redis configured, the
    # read cache's generation bump: config/read_versions.py).
    assert sum("queue_run" in callback.__qualname__ for callback in sent) == 1
    run = Run.objects.get(pk=response.json()["id"])
    assert run.status == Run.Status.QUEUED and run.task_id == ""


def test_a_sweep_started_while_the_broker_is_down_keeps_its_runs_queued(
    user, seed_catalog, eager_celery, client, django_capture_on_commit_callbacks
):
    from tests.runs.test_sweeps import SPEC

    client.force_login(user)
    scenario = Scenario.objects.create(name="hall", owner=user, spec=SPEC)
    app = eager_celery
    saved = app.conf.broker_url
    configure_celery(app, task_always_eager=False)
    app._after_fork()
    configure_celery(app, broker_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(app.conf, "broker_connection_timeout", 0.5)
            patch.setitem(app.conf, "task_publish_retry", False)
            with django_capture_on_commit_callbacks(execute=True) as sent:
                response = client.post(
                    f"/scenarios/{scenario.pk}/sweeps/",
                    {"parameter": "rack_budget_kw", "values": "11.5, 24"},
                )
    finally:
        app._after_fork()
        configure_celery(app, broker_url=saved)
    # The sweep is stored and shown (the soak saw a 500 here while Redis was down).
    assert response.status_code == 302 and response["Location"].startswith("/sweeps/")
    assert len(sent) == 1
    runs = Run.objects.filter(scenario=scenario)
    assert runs.count() == 4
    assert set(runs.values_list("status", "task_id")) == {(Run.Status.QUEUED, "")}
    # The periodic check sends them once they count as never sent.
    report = requeue_stale_runs(queued_limit_s=0)
    assert sorted(report.requeued) == sorted(runs.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("problem", "soft_limit_s", "budget_s"),
    [({"time_limit_s": 10}, 600, 10.0), ({"time_limit_s": 900}, 600, 597.0),
     ({}, 600, 60.0), ({"time_limit_s": "x"}, None, 60.0), ({"time_limit_s": 60}, 4, 2.0),
     (None, 600, 60.0)],
)
def test_solver_budget_stays_below_the_soft_limit(problem, soft_limit_s, budget_s):
    assert solver_budget_s(problem, soft_limit_s) == budget_s


def test_a_run_that_never_reached_the_broker_is_sent_soon(
    scenario, settings, django_capture_on_commit_callbacks
):
    settings.RUN_UNSENT_LIMIT_S = 60
    unsent = stuck(scenario, Run.Status.QUEUED, age_s=120)  # no task id: the send failed
    sent = stuck(scenario, Run.Status.QUEUED, age_s=120)
    Run.objects.filter(pk=sent.pk).update(task_id="a-task-the-broker-has")
    with django_capture_on_commit_callbacks(execute=True):
        report = requeue_stale_runs()
    assert report.requeued == [unsent.pk]
    unsent.refresh_from_db()
    assert unsent.status == Run.Status.SUCCEEDED and unsent.task_id
