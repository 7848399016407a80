import pytest

from planner.models import Run, Scenario
from tests.api.test_solve_api import STUDY_PROBLEM


@pytest.fixture
def scenario(user):
    return Scenario.objects.create(name="study", owner=user, problem=STUDY_PROBLEM)


@pytest.mark.django_db
def test_create_scenario(user_client, user):
    response = user_client.post(
        "/api/v1/scenarios", {"name": "Study rack", "problem": STUDY_PROBLEM}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    scenario = Scenario.objects.get(pk=body["id"])
    assert scenario.owner == user
    assert body["share_url"].endswith(f"/s/{scenario.share_token}/")
    assert len(scenario.share_token) >= 20


@pytest.mark.django_db
def test_create_scenario_rejects_invalid_problem_and_stores_nothing(user_client):
    bad = {**STUDY_PROBLEM, "objective": "max_fun"}
    response = user_client.post("/api/v1/scenarios", {"name": "bad", "problem": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "problem.objective": [
            "must be one of: max_sessions, min_power, min_cost, min_racks, min_tco"
        ]
    }
    assert Scenario.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_cannot_create(api_client):
    response = api_client.post(
        "/api/v1/scenarios", {"name": "x", "problem": STUDY_PROBLEM}, format="json"
    )
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_queue_run_answers_202_and_solves(
    user_client, scenario, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs")
    assert response.status_code == 202
    location = response["Location"]
    assert location.endswith(f"/api/v1/runs/{response.json()['id']}")
    run = user_client.get(location).json()
    assert run["status"] == "succeeded"
    assert run["result"]["objective"] == 1216
    assert run["started_at"] and run["finished_at"]


@pytest.mark.django_db
def test_run_keeps_the_problem_it_solved(user_client, scenario, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs").json()["id"]
    scenario.problem = {**STUDY_PROBLEM, "hall_power_kw": 1.0}
    scenario.save()
    assert Run.objects.get(pk=run_id).problem == STUDY_PROBLEM


@pytest.mark.django_db
def test_other_users_cannot_see_a_scenario(api_client, scenario, django_user_model):
    other = django_user_model.objects.create_user("other", password="another-long-password")
    api_client.force_authenticate(other)
    assert api_client.get(f"/api/v1/scenarios/{scenario.pk}").status_code == 404
    assert api_client.post(f"/api/v1/scenarios/{scenario.pk}/runs").status_code == 404


@pytest.mark.django_db
def test_solver_failure_marks_run_failed_and_keeps_scenario(scenario, monkeypatch):
    from planner import solver, tasks

    def explode(*args, **kwargs):
        raise RuntimeError("HiGHS fell over")

    monkeypatch.setattr(solver, "solve", explode)
    run = Run.objects.create(scenario=scenario, problem=scenario.problem)
    tasks.solve_run(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "HiGHS fell over" in run.error
    assert Scenario.objects.filter(pk=scenario.pk).exists()


@pytest.mark.django_db
def test_solve_run_is_idempotent(scenario):
    from planner import tasks

    run = Run.objects.create(scenario=scenario, problem=scenario.problem)
    tasks.solve_run(run.pk)
    run.refresh_from_db()
    finished_at = run.finished_at
    assert tasks.solve_run(run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.finished_at == finished_at
