"""Scenario CRUD, share links, duplicates, runs: idempotency, cancel, statistics; tokens."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from planner.models import Run, Scenario
from tests.api.test_solve_api import STUDY_PROBLEM


@pytest.fixture
def scenario(user):
    return Scenario.objects.create(name="study", owner=user, problem=STUDY_PROBLEM)


@pytest.fixture
def other_client(api_client, django_user_model):
    other = django_user_model.objects.create_user("other", password="another-long-password")
    api_client.force_authenticate(other)
    return api_client


@pytest.mark.django_db
def test_list_shows_only_own_scenarios(user_client, scenario, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x-long-password-1")
    Scenario.objects.create(name="theirs", owner=stranger, problem=STUDY_PROBLEM)
    names = [s["name"] for s in user_client.get("/api/v1/scenarios").json()["results"]]
    assert names == ["study"]


@pytest.mark.django_db
def test_owner_updates_and_deletes(user_client, scenario):
    url = f"/api/v1/scenarios/{scenario.pk}"
    response = user_client.patch(url, {"description": "new words"}, format="json")
    assert response.status_code == 200 and response.json()["description"] == "new words"
    response = user_client.put(url, {"name": "renamed", "problem": STUDY_PROBLEM}, format="json")
    assert response.status_code == 200, response.json()
    scenario.refresh_from_db()
    assert scenario.name == "renamed"
    bad = user_client.patch(url, {"problem": {"rack_types": []}}, format="json")
    assert bad.status_code == 400 and "problem.rack_types" in bad.json()["errors"]
    assert user_client.delete(url).status_code == 204
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


@pytest.mark.django_db
def test_others_cannot_edit_delete_share_or_cancel(other_client, scenario):
    run = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    url = f"/api/v1/scenarios/{scenario.pk}"
    assert other_client.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert other_client.delete(url).status_code == 404
    assert other_client.post(f"{url}/share").status_code == 404
    assert other_client.delete(f"/api/v1/runs/{run.pk}").status_code == 404
    scenario.refresh_from_db()
    run.refresh_from_db()
    assert scenario.name == "study" and run.status == "queued"


@pytest.mark.django_db
def test_staff_may_edit_any_scenario(api_client, scenario, django_user_model):
    staff = django_user_model.objects.create_user("boss", password="x-long-password-2",
                                                  is_staff=True)
    api_client.force_authenticate(staff)
    response = api_client.patch(f"/api/v1/scenarios/{scenario.pk}", {"name": "checked"},
                                format="json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_duplicate_copies_without_runs_and_with_a_new_token(user_client, scenario):
    Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    response = user_client.post(f"/api/v1/scenarios/{scenario.pk}/duplicate")
    assert response.status_code == 201
    copy = Scenario.objects.get(pk=response.json()["id"])
    assert response["Location"].endswith(f"/api/v1/scenarios/{copy.pk}")
    assert copy.name == "study (copy)" and copy.problem == STUDY_PROBLEM
    assert copy.share_token != scenario.share_token and copy.runs.count() == 0


@pytest.mark.django_db
def test_share_link_reads_anonymously_and_reshare_kills_it(api_client, user, scenario):
    Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    old = scenario.share_token
    body = api_client.get(f"/api/v1/shared/{old}").json()
    assert body["name"] == "study" and "owner" not in body
    assert len(api_client.get(f"/api/v1/shared/{old}/runs").json()["results"]) == 1
    assert api_client.get(f"/api/v1/scenarios/{scenario.pk}").status_code == 401
    api_client.force_authenticate(user)
    new = api_client.post(f"/api/v1/scenarios/{scenario.pk}/share").json()["share_token"]
    assert new != old
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/v1/shared/{old}").status_code == 404
    assert api_client.get(f"/api/v1/shared/{old}/runs").status_code == 404
    assert api_client.get(f"/api/v1/shared/{new}").status_code == 200


@pytest.mark.django_db
def test_idempotency_key_returns_the_first_run(user_client, scenario):
    first = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs",
                             HTTP_IDEMPOTENCY_KEY="order-42")
    again = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs",
                             HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert first["Location"] == again["Location"]
    other = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs",
                             HTTP_IDEMPOTENCY_KEY="order-43")
    plain = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs")
    assert len({first.json()["id"], other.json()["id"], plain.json()["id"]}) == 3
    assert scenario.runs.count() == 3
    too_long = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs",
                                HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()["errors"]


@pytest.mark.django_db
def test_run_shows_statistics(user_client, scenario, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        location = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs")["Location"]
    run = user_client.get(location).json()
    assert run["statistics"]["objective"] == 1216
    assert run["statistics"]["gap"] == 0 and run["statistics"]["bound"] == 1216
    assert run["progress"]["phase"] == "done" and run["duration_s"] is not None
    assert run["result"]["racks"]


@pytest.mark.django_db
def test_cancel_a_queued_run_and_the_worker_skips_it(user_client, scenario):
    from planner import tasks

    run_id = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs").json()["id"]
    response = user_client.delete(f"/api/v1/runs/{run_id}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert tasks.solve_run(run_id) == "cancelled"
    assert Run.objects.get(pk=run_id).result is None
    again = user_client.post(f"/api/v1/runs/{run_id}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]


@pytest.mark.django_db
def test_a_run_cancelled_while_solving_stays_cancelled(scenario, monkeypatch):
    """The cancel lands mid-solve: the next progress report stops it, nothing is stored."""
    from planner import solver, tasks
    from planner.runs.queueing import cancel_run

    run = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    real_solve = solver.solve

    def solve_then_cancel(problem, progress, **options):
        def cancelling_progress(report):
            if report["phase"] == "solve":
                cancel_run(Run.objects.get(pk=run.pk))
            progress(report)

        return real_solve(problem, progress=cancelling_progress, **options)

    monkeypatch.setattr(solver, "solve", solve_then_cancel)
    assert tasks.solve_run(run.pk) == "cancelled"
    run.refresh_from_db()
    assert run.status == "cancelled" and run.result is None


@pytest.mark.django_db
def test_problem_size_limit_is_a_400_naming_it(user_client, api_client, settings):
    settings.PROBLEM_LIMITS = {**settings.PROBLEM_LIMITS, "racks": 3}
    big = {**STUDY_PROBLEM, "rack_types": [{**STUDY_PROBLEM["rack_types"][0], "count": 4}]}
    response = user_client.post("/api/v1/scenarios", {"name": "big", "problem": big},
                                format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["problem.rack_types"]
    assert "the limit is 3 (PROBLEM_MAX_RACKS)" in message
    solve = api_client.post("/api/v1/solve", big, format="json")
    assert solve.status_code == 400 and "PROBLEM_MAX_RACKS" in solve.json()["detail"]


@pytest.mark.django_db
def test_token_auth_and_createtoken(api_client, user, capsys):
    call_command("createtoken", "planner")
    key = capsys.readouterr().out.strip()
    assert len(key) == 40
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/scenarios").status_code == 200
    call_command("createtoken", "planner")
    assert capsys.readouterr().out.strip() == key
    with pytest.raises(CommandError, match="no user named"):
        call_command("createtoken", "nobody")
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.get("/api/v1/scenarios")
    assert response.status_code == 401 and response.json()["errors"] == {}
