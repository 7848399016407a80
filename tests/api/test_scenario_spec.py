"""Scenarios in catalog terms: the spec builds a problem v1 from profiles and the capacity model."""

import pytest

from planner.bridge.problems import ScenarioSpecError, build_problem
from planner.models import Scenario

STUDY_SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.1-8b"}, {"model_class": "llama-3.1-70b"}],
}


@pytest.mark.django_db
def test_spec_builds_problem_with_labelled_figures(seed_catalog):
    problem = build_problem(STUDY_SPEC)
    by_name = {server["name"]: server for server in problem["servers"]}
    assert by_name["ampereone-a192"]["sessions"] == {"llama-3.1-8b": 8}
    assert by_name["8x-h100-sxm"]["sessions"] == {"llama-3.1-8b": 56, "llama-3.1-70b": 8}
    figures = problem["x-capacity"]["figures"]
    assert figures["ampereone-a192"]["llama-3.1-8b"]["label"] == "measured"
    assert figures["8x-h100-sxm"]["llama-3.1-70b"]["label"] == "study rule"
    assert problem["rack_types"][0]["count"] == 2


@pytest.mark.django_db
def test_higher_slo_drops_measured_cpu_figure_under_study_policy(seed_catalog):
    problem = build_problem({**STUDY_SPEC, "slo_tps": 20})
    by_name = {server["name"]: server for server in problem["servers"]}
    # The AmpereOne figures were measured at 10 tok/s: they do not vouch for 20 tok/s.
    assert by_name["ampereone-a192"]["sessions"] == {}


@pytest.mark.django_db
def test_batched_policy_estimates(seed_catalog):
    problem = build_problem({**STUDY_SPEC, "capacity_policy": "batched", "slo_tps": 20})
    figures = problem["x-capacity"]["figures"]
    assert figures["8x-h100-sxm"]["llama-3.1-8b"]["label"] == "estimated"
    assert figures["8x-h100-sxm"]["llama-3.1-8b"]["sessions"] > 56


@pytest.mark.django_db
def test_unknown_names_are_field_errors(seed_catalog):
    spec = {**STUDY_SPEC, "servers": [{"server_model": "nope"}]}
    with pytest.raises(ScenarioSpecError) as info:
        build_problem(spec)
    assert "servers[0].server_model" in info.value.errors


@pytest.mark.django_db
def test_api_creates_spec_scenario_and_solves_it(
    user_client, seed_catalog, django_capture_on_commit_callbacks
):
    response = user_client.post(
        "/api/v1/scenarios", {"name": "two racks", "spec": STUDY_SPEC}, format="json"
    )
    assert response.status_code == 201, response.json()
    scenario_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 202
    run = user_client.get(response["Location"]).json()
    assert run["status"] == "succeeded", run
    # Two racks of 11.5 kW: 8B on AmpereOne gives 8 sessions per 577 W; H100 gives 56 per
    # 6,297 W; the solver picks the best mix and both models count with weight 1.
    assert run["result"]["objective"] > 0


@pytest.mark.django_db
def test_api_rejects_both_or_neither(user_client, seed_catalog):
    from tests.api.test_solve_api import STUDY_PROBLEM

    both = {"name": "x", "spec": STUDY_SPEC, "problem": STUDY_PROBLEM}
    assert user_client.post("/api/v1/scenarios", both, format="json").status_code == 400
    neither = {"name": "x"}
    assert user_client.post("/api/v1/scenarios", neither, format="json").status_code == 400
    bad = {"name": "x", "spec": {**STUDY_SPEC, "precision_bits": 3}}
    response = user_client.post("/api/v1/scenarios", bad, format="json")
    assert response.status_code == 400
    assert "spec.precision_bits" in response.json()["errors"]
    assert Scenario.objects.count() == 0
