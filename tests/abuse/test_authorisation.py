"""Another user can neither read a private scenario nor change, delete or run someone else's."""
import json

import pytest

from planner.models import Run, Scenario
from tests.api.test_solve_api import STUDY_PROBLEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(user):
    scenario = Scenario.objects.create(name="mine", owner=user, problem=STUDY_PROBLEM)
    run = Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM)
    return scenario, run


@pytest.fixture
def intruder(django_user_model):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("intruder", password="x" * 20))
    return client


def test_another_user_cannot_read_it(mine, intruder):
    scenario, run = mine
    assert intruder.get(f"/api/v1/scenarios/{scenario.pk}").status_code == 404
    assert intruder.get(f"/api/v1/scenarios/{scenario.pk}/runs").status_code == 404
    assert intruder.get(f"/api/v1/runs/{run.pk}").status_code == 404
    listed = intruder.get("/api/v1/scenarios").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert scenario.pk not in [row["id"] for row in rows]


def test_another_user_cannot_change_delete_or_run_it(mine, intruder):
    scenario, run = mine
    changed = {"name": "taken", "problem": STUDY_PROBLEM}
    url = f"/api/v1/scenarios/{scenario.pk}"
    for response in (
        intruder.put(url, changed, format="json"),
        intruder.patch(url, {"name": "taken"}, format="json"),
        intruder.delete(url),
        intruder.post(f"{url}/runs"),
        intruder.delete(f"/api/v1/runs/{run.pk}"),
    ):
        assert response.status_code in {403, 404, 405}, response.content
    scenario.refresh_from_db()
    assert scenario.name == "mine"
    assert scenario.runs.count() == 1


def test_anonymous_users_get_nothing(mine, api_client):
    scenario, run = mine
    assert api_client.get(f"/api/v1/scenarios/{scenario.pk}").status_code in {401, 403}
    assert api_client.get(f"/api/v1/runs/{run.pk}").status_code in {401, 403}
    response = api_client.post("/api/v1/scenarios", json.dumps({"name": "x", "problem": {}}),
                               content_type="application/json")
    assert response.status_code in {401, 403}
    assert Scenario.objects.count() == 1


def test_the_share_link_shows_it_and_a_guessed_one_does_not(mine, client):
    scenario, _ = mine
    assert client.get(scenario.get_share_path()).status_code == 200
    assert client.get("/s/not-the-token/").status_code == 404
    assert client.get(f"/s/{scenario.pk}/").status_code == 404
