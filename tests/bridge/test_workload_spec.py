"""Scenario spec v1's workload fields: per-model request shape, TTFT, KV precision and demand
as requests/s (Little's law), validated with field paths; old specs keep their problems."""
import math

import pytest
from django.urls import reverse

from planner.bridge.problems import ScenarioSpecError, build_problem, validate_spec

BASE = {
    "rack_types": [{"rack_type": "std-42u"}],
    "servers": [{"server_model": "8x-h100-sxm"}, {"server_model": "8x-l40s"}],
    "models": [{"model_class": "llama-3.1-8b"}],
}


@pytest.mark.django_db
def test_old_spec_problem_is_unchanged_by_the_new_fields(seed_catalog):
    problem = build_problem(BASE)
    assert "workloads" not in problem["x-capacity"]
    assert problem["x-capacity"]["policy"] == "study"  # a spec without a policy keeps its meaning
    assert problem["demand"] == {"llama-3.1-8b": {"min": 0, "max": None, "weight": 1.0}}


@pytest.mark.django_db
def test_calibrated_spec_uses_each_models_workload(seed_catalog):
    def spec(inputs: int, outputs: int) -> dict:
        model = {"model_class": "llama-3.1-8b", "input_tokens": inputs, "output_tokens": outputs}
        return {**BASE, "capacity_policy": "calibrated", "models": [model]}

    short, long = spec(256, 128), spec(16000, 512)
    s = build_problem(short)["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-8b"]
    lo = build_problem(long)["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-8b"]
    assert s["label"] == lo["label"] == "estimated"
    assert s["sessions"] > lo["sessions"] > 0
    work = build_problem(long)["x-capacity"]["workloads"]["llama-3.1-8b"]
    assert (work["input_tokens"], work["output_tokens"]) == (16000, 512)


@pytest.mark.django_db
def test_requests_per_second_becomes_minimum_sessions_by_littles_law(seed_catalog):
    spec = {**BASE, "capacity_policy": "calibrated", "slo_tps": 20,
            "models": [{"model_class": "llama-3.1-8b", "output_tokens": 300, "ttft_s": 1.0,
                        "requests_per_second": 12.5, "min": 10}]}  # fmt: skip
    problem = build_problem(spec)
    expected = math.ceil(12.5 * (1.0 + 300 / 20))  # 200 sessions in flight
    assert problem["demand"]["llama-3.1-8b"]["min"] == expected
    work = problem["x-capacity"]["workloads"]["llama-3.1-8b"]
    assert work["requests_per_second"] == 12.5 and work["min_sessions"] == expected


@pytest.mark.django_db
def test_a_chosen_engine_reaches_the_problem_and_an_unchosen_one_leaves_it_as_it_was(seed_catalog):
    # Short requests: the decode rate binds (not memory), so the engine's cost shows.
    spec = {**BASE, "capacity_policy": "calibrated",
            "models": [{"model_class": "llama-3.1-8b", "input_tokens": 256,
                        "output_tokens": 128}]}  # fmt: skip
    plain = build_problem(spec)
    assert "serving_stack" not in plain["x-capacity"]["workloads"]["llama-3.1-8b"]
    spec["models"][0]["serving_stack"] = "tensorrt-llm"
    trt = build_problem(spec)
    assert trt["x-capacity"]["workloads"]["llama-3.1-8b"]["serving_stack"] == "tensorrt-llm"
    sessions = {s["name"]: s["sessions"]["llama-3.1-8b"] for s in trt["servers"]}
    before = {s["name"]: s["sessions"]["llama-3.1-8b"] for s in plain["servers"]}
    assert all(sessions[name] >= before[name] for name in before)
    assert sessions != before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("input_tokens", -1), ("output_tokens", 0), ("ttft_s", 0), ("kv_precision_bits", 5),
     ("prefix_cache_hit_rate", 1.0), ("requests_per_second", -2), ("slo_tps", 0),
     ("serving_stack", "triton")],
)  # fmt: skip
def test_bad_workload_fields_name_their_path(seed_catalog, field, value):
    spec = {**BASE, "models": [{"model_class": "llama-3.1-8b", field: value}]}
    with pytest.raises(ScenarioSpecError) as caught:
        validate_spec(spec)
    assert f"models[0].{field}" in caught.value.errors


@pytest.mark.django_db
def test_api_scenario_with_a_bad_workload_field_is_a_400(api_client, seed_catalog, user):
    api_client.force_authenticate(user)
    spec = {**BASE, "models": [{"model_class": "llama-3.1-8b", "ttft_s": -1}]}
    response = api_client.post("/api/v1/scenarios/", {"name": "bad", "spec": spec}, format="json")
    assert response.status_code == 400
    assert "ttft_s" in str(response.json())


@pytest.mark.django_db
def test_editor_defaults_to_calibrated_and_puts_workload_errors_beside_fields(
    client, user, seed_catalog
):
    from inventory.models import ModelClass
    from tests.pages.helpers import form_data

    client.force_login(user)
    logged_in = client
    page = logged_in.get(reverse("planner:scenario-new"))
    assert page.context["form"]["capacity_policy"].initial == "calibrated"
    model = ModelClass.objects.get(name="llama-3.1-8b")
    data = form_data(**{f"model_{model.pk}_output_tokens": "0",
                        f"model_{model.pk}_ttft_s": "-3"})  # fmt: skip
    response = logged_in.post(reverse("planner:scenario-new"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert f"model_{model.pk}_output_tokens" in form.errors
    assert f"model_{model.pk}_ttft_s" in form.errors
    assert 'value="-3"' in response.content.decode()  # what was typed is kept


def test_schema_defaults_and_choices_are_planner_capacity_defaults():
    from planner.bridge.problems import SPEC_SCHEMA
    from planner.capacity import defaults

    props = SPEC_SCHEMA["properties"]
    assert props["slo_tps"]["default"] == defaults.DEFAULT_SLO_TPS
    assert props["precision_bits"]["default"] == defaults.DEFAULT_PRECISION_BITS
    assert tuple(props["precision_bits"]["enum"]) == defaults.PRECISIONS_BITS
    assert props["context_tokens"]["default"] == defaults.DEFAULT_CONTEXT_TOKENS
    assert props["capacity_policy"]["default"] == defaults.SPEC_POLICY_WHEN_ABSENT
    model = props["models"]["items"]["properties"]
    assert tuple(model["kv_precision_bits"]["enum"]) == defaults.KV_PRECISIONS_BITS
    assert tuple(model["serving_stack"]["enum"]) == defaults.SERVING_STACKS
    assert model["serving_stack"]["default"] == defaults.DEFAULT_SERVING_STACK


@pytest.mark.django_db
def test_ternary_weights_in_a_spec_and_the_editor(client, user, seed_catalog):
    from planner.models import Scenario
    from tests.pages.helpers import form_data

    spec = {**BASE, "capacity_policy": "calibrated", "precision_bits": 1.58}
    problem = build_problem(spec)
    assert problem["x-capacity"]["precision_bits"] == 1.58
    ternary = problem["x-capacity"]["figures"]["8x-h100-sxm"]["llama-3.1-8b"]["sessions"]
    eight = build_problem({**spec, "precision_bits": 8})["x-capacity"]["figures"]
    assert ternary >= eight["8x-h100-sxm"]["llama-3.1-8b"]["sessions"] > 0
    with pytest.raises(ScenarioSpecError) as caught:
        validate_spec({**BASE, "precision_bits": 2.5})
    assert "precision_bits" in caught.value.errors
    client.force_login(user)
    page = client.get(reverse("planner:scenario-new")).content.decode()
    assert "1.58-bit (ternary)" in page
    response = client.post(reverse("planner:scenario-new"), form_data(precision_bits="2.5"))
    assert response.status_code == 200 and "precision_bits" in response.context["form"].errors
    saved = client.post(
        reverse("planner:scenario-new"),
        form_data(name="Ternary", precision_bits="1.58", capacity_policy="calibrated"),
    )
    assert saved.status_code == 302
    assert Scenario.objects.get(name="Ternary").spec["precision_bits"] == 1.58


@pytest.mark.django_db
def test_the_editor_saves_the_serving_engine_and_shows_it_again(client, user, seed_catalog):
    from planner.models import Scenario
    from tests.pages.helpers import form_data

    client.force_login(user)
    page = client.get(reverse("planner:scenario-new")).content.decode()
    assert "TensorRT-LLM" in page and "Serving engine" in page
    bad = client.post(reverse("planner:scenario-new"), form_data(serving_stack="triton"))
    assert bad.status_code == 200 and "serving_stack" in bad.context["form"].errors
    plain = client.post(reverse("planner:scenario-new"), form_data(name="Plain",
                        capacity_policy="calibrated", serving_stack="vllm"))  # fmt: skip
    assert plain.status_code == 302
    # The default engine writes nothing: such a spec keeps the shape it had before.
    assert all("serving_stack" not in m for m in Scenario.objects.get(name="Plain").spec["models"])
    saved = client.post(reverse("planner:scenario-new"), form_data(name="TRT",
                        capacity_policy="calibrated", serving_stack="tensorrt-llm"))  # fmt: skip
    assert saved.status_code == 302
    scenario = Scenario.objects.get(name="TRT")
    assert {m["serving_stack"] for m in scenario.spec["models"]} == {"tensorrt-llm"}
    edit = client.get(reverse("planner:scenario-edit", args=[scenario.pk]))
    assert edit.context["form"]["serving_stack"].value() == "tensorrt-llm"
