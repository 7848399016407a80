"""Scenario and run reads: `?fields=`, conditional GETs, and the fewest queries."""
import pytest
from rest_framework.test import APIClient

from planner import solver
from planner.models import Run, Scenario
from planner.solver.examples import STUDY_RACK_PROBLEM


@pytest.fixture
def solved_run(user):
    scenario = Scenario.objects.create(name="study", owner=user, problem=STUDY_RACK_PROBLEM)
    return Run.objects.create(scenario=scenario, problem=STUDY_RACK_PROBLEM,
                              status=Run.Status.SUCCEEDED, result=solver.solve(STUDY_RACK_PROBLEM))


@pytest.mark.django_db
def test_fields_keeps_only_what_is_asked(user_client, solved_run, seed_catalog):
    url = f"/api/v1/runs/{solved_run.pk}"
    assert "result" in user_client.get(url).json()
    polled = user_client.get(url + "?fields=status,progress").json()
    assert polled == {"status": "succeeded", "progress": {}}
    racks = user_client.get("/api/v1/rack-types?fields=name").json()["results"]
    assert racks and all(set(row) == {"name"} for row in racks)
    scenario = user_client.get(f"/api/v1/scenarios/{solved_run.scenario_id}?fields=id,name")
    assert scenario.json() == {"id": solved_run.scenario_id, "name": "study"}
    listed = user_client.get("/api/v1/scenarios?fields=name").json()["results"]
    assert listed == [{"name": "study"}]


@pytest.mark.django_db
def test_unknown_fields_are_a_400_and_writes_ignore_the_parameter(user_client, solved_run):
    bad = user_client.get(f"/api/v1/runs/{solved_run.pk}?fields=status,layout")
    assert bad.status_code == 400
    assert "layout" in bad.json()["errors"]["fields"][0]
    url = f"/api/v1/scenarios/{solved_run.scenario_id}?fields=name"
    patched = user_client.patch(url, {"description": "d"}, format="json")
    assert patched.status_code == 200 and patched.json()["description"] == "d"


@pytest.mark.django_db
def test_unchanged_reads_answer_304(user_client, solved_run):
    url = f"/api/v1/runs/{solved_run.pk}"
    first = user_client.get(url)
    assert first["ETag"]
    assert user_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    Run.objects.filter(pk=solved_run.pk).update(progress={"phase": "x"})
    changed = user_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["progress"] == {"phase": "x"}


@pytest.mark.django_db
def test_read_query_counts(user, solved_run, django_assert_num_queries, settings):
    # The view's own path, sessions in the database (the read cache: test_read_cache.py).
    settings.READ_CACHE = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = APIClient()
    client.force_login(user)
    with django_assert_num_queries(3):  # session, user, the run with its scenario
        assert client.get(f"/api/v1/runs/{solved_run.pk}").status_code == 200
    with django_assert_num_queries(3):  # session, user, the scenario with its owner
        assert client.get(f"/api/v1/scenarios/{solved_run.scenario_id}").status_code == 200
