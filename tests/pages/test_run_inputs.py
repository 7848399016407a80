"""Runs keep and show what they solved: the spec and settings snapshot, name, note, history."""

import pytest
from django.urls import reverse

from planner.models import Scenario
from planner.reports.inputs import differing_inputs, run_inputs
from planner.runs.queueing import queue_run
from tests.pages.helpers import study_spec


def test_differing_inputs_lists_only_what_differs():
    spec = {**study_spec(), "slo_tps": 10, "precision_bits": 8, "objective": "max_sessions"}
    problem = {"rack_types": [], "servers": []}
    a = run_inputs(spec, problem)
    b = run_inputs({**spec, "slo_tps": 20}, problem)
    c = run_inputs({**spec, "precision_bits": 4}, problem)
    rows = differing_inputs([a, b, c])
    assert [row["key"] for row in rows] == ["slo_tps", "precision_bits"]
    assert rows[0]["values"] == ["≥ 10 tokens/s", "≥ 20 tokens/s", "≥ 10 tokens/s"]
    assert rows[1]["values"] == ["8-bit", "8-bit", "4-bit"]
    assert differing_inputs([a, a]) == []


def test_a_calibrated_run_says_what_requests_it_sized_for():
    shape = {"input_tokens": 1024, "output_tokens": 256, "ttft_s": None, "kv_precision_bits": 16,
             "prefix_cache_hit_rate": 0.0, "requests_per_second": None}
    problem = {"rack_types": [], "servers": [], "x-capacity": {
        "policy": "calibrated", "workloads": {"a": shape, "b": dict(shape)}}}
    assert run_inputs(None, problem)["workload"] == "1,024 + 256"
    problem["x-capacity"]["workloads"]["b"] = {
        **shape, "input_tokens": 30000, "ttft_s": 2, "kv_precision_bits": 8,
        "prefix_cache_hit_rate": 0.5, "requests_per_second": 12.5,
        "serving_stack": "tensorrt-llm"}
    assert run_inputs(None, problem)["workload"] == (
        "a: 1,024 + 256; b: 30,000 + 256, first token ≤ 2 s, 8-bit KV, 50% prefix-cache hits, "
        "TensorRT-LLM, 12.5 requests/s")
    # Runs from before the calibrated policy carry no workloads and list no such input.
    assert "workload" not in run_inputs(None, {"rack_types": [], "servers": []})


@pytest.mark.django_db(transaction=True)
def test_run_keeps_its_spec_when_the_scenario_changes(client, seed_catalog, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="Hall A", owner=owner, spec=study_spec(2))
    first = queue_run(scenario, note="baseline at the study's SLO")
    scenario.spec = {**study_spec(2), "slo_tps": 20}
    scenario.save()
    second = queue_run(scenario, name="faster sessions")
    first.refresh_from_db()
    assert first.spec["slo_tps"] == 10 and second.spec["slo_tps"] == 20
    assert first.name == "SLO 10 · 8-bit · most sessions · 2 racks"
    assert first.solver_settings["time_limit_s"] > 0
    html = client.get(reverse("planner:run", kwargs={"pk": first.pk})).content.decode()
    assert 'data-input="slo_tps">≥ 10 tokens/s' in html
    # Progress in the objective's unit, with the gap explained.
    status = client.get(reverse("planner:run-status", kwargs={"pk": first.pk})).json()
    assert status["view"]["best"].endswith(" sessions") and status["view"]["gap_pct"] == 0
    assert "best " + status["view"]["best"] in html and "proven optimal" in html
    assert "baseline at the study&#x27;s SLO" in html
    # The scenario's history lists both runs with their key inputs.
    html = client.get(reverse("planner:scenario", kwargs={"pk": scenario.pk})).content.decode()
    assert "faster sessions" in html and "≥ 20 tokens/s" in html and "≥ 10 tokens/s" in html
    # The owner renames a run.
    client.post(
        reverse("planner:run-rename", kwargs={"pk": first.pk}), {"name": "base", "note": "n"}
    )
    first.refresh_from_db()
    assert (first.name, first.note) == ("base", "n")
    # The API carries the same (new fields only).
    api = client.get(f"/api/v1/runs/{first.pk}").json()
    assert api["spec"]["slo_tps"] == 10 and api["name"] == "base" and api["outcome"] == "succeeded"
    assert api["settings"]["method"] == "exact"


@pytest.mark.django_db(transaction=True)
def test_compare_three_runs_shows_the_inputs_that_differ(
    client, seed_catalog, django_user_model
):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="Hall A - 20x 15 kW", owner=owner, spec=study_spec(2))
    runs = []
    for change in ({}, {"slo_tps": 20}, {"precision_bits": 4}):
        scenario.spec = {**study_spec(2), **change}
        scenario.save()
        runs.append(queue_run(scenario))
    ids = ",".join(str(run.pk) for run in runs)
    html = client.get(f"{reverse('planner:compare')}?runs={ids}").content.decode()
    table = html.split('id="compare-inputs"')[1].split("</table>")[0]
    assert 'data-input="slo_tps"' in table and 'data-input="precision_bits"' in table
    assert 'data-input="racks"' not in table
    assert "≥ 20 tokens/s" in table and "4-bit" in table
    # Labels tell the runs apart by name, not only by the scenario's name.
    assert "SLO 20 · 8-bit" in html and "SLO 10 · 4-bit" in html
