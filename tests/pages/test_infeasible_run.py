"""An infeasible run reads "infeasible" everywhere and shows its diagnosis."""

import pytest
from django.urls import reverse

from planner.models import Run, Scenario
from planner.runs.queueing import queue_run


def twenty_rack_spec() -> dict:
    return {
        "rack_types": [{"rack_type": "std-42u", "count": 20}],
        "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
        "models": [
            {"model_class": "llama-3.1-8b", "min": 2000},
            {"model_class": "llama-3.1-70b", "min": 5000},
        ],
    }


@pytest.mark.django_db(transaction=True)
def test_infeasible_run_reads_infeasible_and_explains(client, seed_catalog, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="Hall A", owner=owner, spec=twenty_rack_spec())
    run = queue_run(scenario)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED and run.outcome == "infeasible"
    status = client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).json()
    assert status["status"] == "succeeded" and status["outcome"] == "infeasible"
    assert status["outcome_label"] == "Infeasible"
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert 'data-state="infeasible">Infeasible<' in html
    assert 'id="diagnosis-models"' in html and 'data-model="llama-3.1-70b"' in html
    assert "llama-3.1-70b needs at least 5,000 sessions" in html
    assert 'data-change="more_racks"' in html and 'data-change="lower_min"' in html
    page = client.get(reverse("planner:scenario", kwargs={"pk": scenario.pk})).content.decode()
    assert 'data-outcome="infeasible"' in page and "Succeeded" not in page
    api = client.get(f"/api/v1/runs/{run.pk}").json()
    assert api["status"] == "succeeded" and api["outcome"] == "infeasible"
    assert api["result"]["diagnosis"]["models"][1]["model"] == "llama-3.1-70b"
