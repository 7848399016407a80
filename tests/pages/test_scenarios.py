"""Scenario pages (planner/pages/scenarios.py): the editor, the owner's page, sharing and
duplicating, through Django's test client."""


import pytest
from django.urls import reverse

from inventory.models import RackType
from planner.models import Run, Scenario
from tests.pages.helpers import embedded_json, form_data, study_spec


@pytest.mark.django_db
def test_editor_needs_login(client, seed_catalog):
    response = client.get(reverse("planner:scenario-new"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_editor_shows_what_each_rack_leaves_for_servers(logged_in, seed_catalog):
    """A 2N, derated rack's provisioned budget is not what servers may draw: the editor shows
    both, as the solver counts them (RackType.usable_kw)."""
    html = logged_in.get(reverse("planner:scenario-new")).content.decode()
    rack = RackType.objects.get(name="42u-17kw-2n")
    row = html[html.index(f"<th scope=\"row\">{rack.name}</th>"):]
    row = row[: row.index("</tr>")]
    assert "42.50 kW" in row and "2N feeds · 80 % derating" in row
    assert f"{rack.usable_u}U · {rack.usable_kw:g} kW" in row


@pytest.mark.django_db
def test_editor_saves_a_spec_and_solves(
    logged_in, seed_catalog, user, django_capture_on_commit_callbacks
):
    page = logged_in.get(reverse("planner:scenario-new"))
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("planner:scenario-new"), form_data(solve="1"))
    scenario = Scenario.objects.get(name="Two racks")
    assert scenario.owner == user
    assert scenario.spec["rack_types"] == [{"rack_type": "std-42u", "count": 2}]
    from inventory.seed import seed_data

    study = seed_data()["study"]
    assert [s["server_model"] for s in scenario.spec["servers"]] == study["server_models"]
    assert [m["model_class"] for m in scenario.spec["models"]] == study["model_classes"]
    run = scenario.runs.get()
    assert response["Location"] == reverse("planner:run", kwargs={"pk": run.pk})
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED  # eager task ran on commit
    html = logged_in.get(response["Location"]).content.decode()
    figure = embedded_json(html, f"run-{run.pk}-sessions-data")
    # Two racks of the seed hall: the solver fills both with AmpereOne serving the 1B model.
    assert {t["name"]: sum(t["y"]) for t in figure["data"]} == {"ampereone-a192": 2432}
    assert 'class="count">× 2</span>' in html
    assert "bananas per day" in html
    assert f"/runs/{run.pk}/bom.csv" in html


@pytest.mark.django_db
def test_validation_errors_keep_what_was_typed(logged_in, seed_catalog):
    from inventory.models import ModelClass

    model = ModelClass.objects.get(name="llama-3.1-8b")
    data = form_data(
        name="Kept name",
        description="typed text",
        **{f"model_{model.pk}_min": "50", f"model_{model.pk}_max": "10"},
    )
    response = logged_in.post(reverse("planner:scenario-new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "max must not be below min" in html
    assert f'id="id_model_{model.pk}_max-error"' in html
    assert 'value="Kept name"' in html and "typed text" in html
    assert f'name="model_{model.pk}_min" value="50"' in html
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_empty_sections_are_form_errors(logged_in, seed_catalog):
    from inventory.models import RackType

    data = form_data(**{f"rack_{r.pk}_count": "0" for r in RackType.objects.all()})
    html = logged_in.post(reverse("planner:scenario-new"), data).content.decode()
    assert "Give at least one rack type a count above 0." in html
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_edit_is_owner_only(client, seed_catalog, user, django_user_model):
    scenario = Scenario.objects.create(name="Mine", owner=user, spec=study_spec())
    other = django_user_model.objects.create_user("other", password="another-long-password")
    client.force_login(other)
    assert (
        client.get(reverse("planner:scenario-edit", kwargs={"pk": scenario.pk})).status_code == 404
    )
    assert (
        client.post(reverse("planner:scenario-solve", kwargs={"pk": scenario.pk})).status_code
        == 404
    )
    client.force_login(user)
    page = client.get(reverse("planner:scenario-edit", kwargs={"pk": scenario.pk}))
    assert page.status_code == 200
    assert 'value="Mine"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_shared_view_duplicate_and_regenerate(client, seed_catalog, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    scenario = Scenario.objects.create(name="Hall", owner=owner, spec=study_spec(2))
    run = queue_run(scenario)
    old_path = scenario.get_share_path()
    # Anonymous: the shared view shows the latest run read-only, and opens its run page.
    html = client.get(old_path).content.decode()
    assert "Duplicate to edit" in html and f"run-{run.pk}-sessions-data" in html
    assert client.get(reverse("planner:run", kwargs={"pk": run.pk})).status_code == 200
    response = client.post(
        reverse("planner:shared-duplicate", kwargs={"token": scenario.share_token})
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    viewer = django_user_model.objects.create_user("viewer", password="a-long-test-password")
    client.force_login(viewer)
    response = client.post(
        reverse("planner:shared-duplicate", kwargs={"token": scenario.share_token})
    )
    copy = Scenario.objects.get(owner=viewer)
    assert copy.spec == scenario.spec and copy.share_token != scenario.share_token
    assert response["Location"] == reverse("planner:scenario-edit", kwargs={"pk": copy.pk})
    # The owner regenerates the token: the old link is gone, and so is the access it gave.
    client.force_login(owner)
    client.post(reverse("planner:scenario-regenerate-token", kwargs={"pk": scenario.pk}))
    client.force_login(viewer)
    assert client.get(old_path).status_code == 404
    assert client.get(reverse("planner:run", kwargs={"pk": run.pk})).status_code == 404
    scenario.refresh_from_db()
    assert client.get(scenario.get_share_path()).status_code == 200


@pytest.mark.django_db
def test_editor_cost_settings_go_into_the_spec_and_come_back(logged_in, seed_catalog):
    data = form_data(tco_electricity_usd_per_kwh="0.2", tco_years="5")
    logged_in.post(reverse("planner:scenario-new"), data)
    scenario = Scenario.objects.get(name="Two racks")
    assert scenario.spec["tco"] == {"electricity_usd_per_kwh": 0.2, "years": 5.0}
    html = logged_in.get(reverse("planner:scenario-edit", kwargs={"pk": scenario.pk})).content
    assert b'name="tco_years" value="5.0"' in html
    assert b'placeholder="1.58"' in html  # the PUE default shows where nothing was typed
    plain = form_data(name="Plain")
    logged_in.post(reverse("planner:scenario-new"), plain)
    assert "tco" not in Scenario.objects.get(name="Plain").spec


@pytest.mark.django_db
def test_bad_cost_setting_is_an_error_beside_its_field(logged_in, seed_catalog):
    html = logged_in.post(reverse("planner:scenario-new"), form_data(tco_pue="0.5")).content
    assert b'id="id_tco_pue-error"' in html
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_editor_resilience_goes_into_the_spec_and_the_result_shows_the_exposure(
    logged_in, seed_catalog, django_capture_on_commit_callbacks
):
    from inventory.models import ModelClass

    model = ModelClass.objects.get(name="llama-3.1-8b")
    data = form_data(resilience="n_plus_1_rack", solve="1",
                     **{f"model_{model.pk}_min": "100"})
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("planner:scenario-new"), data)
    scenario = Scenario.objects.get(name="Two racks")
    assert scenario.spec["resilience"] == "n_plus_1_rack"
    run = scenario.runs.get()
    run.refresh_from_db()
    exposure = run.result["exposure"]["llama-3.1-8b"]
    assert exposure["after_worst_rack"] >= 100
    html = logged_in.get(response["Location"]).content.decode()
    table = html.split('id="exposure"')[1].split("</table>")[0]
    assert "planned for: n_plus_1_rack" in table
    assert f'data-after="rack">{exposure["after_worst_rack"]:,}<' in table


@pytest.mark.django_db
def test_scenario_summary_reads_in_a_planners_words(logged_in, seed_catalog, user):
    spec = {**study_spec(), "slo_tps": 12.5, "objective": "min_power", "hall_power_kw": 1500}
    scenario = Scenario.objects.create(name="Words", owner=user, spec=spec)
    html = logged_in.get(reverse("planner:scenario", args=[scenario.pk])).content.decode()
    assert "≥ 12.5 tokens/s per session" in html
    assert "<dd>least power, hall cap 1,500 kW</dd>" in html
    # Sized by sessions under the study rule: no request shape to show.
    assert 'data-summary="requests"' not in html


def test_scenario_summary_shows_the_requests_a_calibrated_spec_sizes_by(
    logged_in, seed_catalog, user
):
    spec = {**study_spec(), "capacity_policy": "calibrated"}
    shape = {"input_tokens": 2000, "output_tokens": 300}
    spec["models"] = [
        {**spec["models"][0], **shape, "ttft_s": 1.5, "serving_stack": "tensorrt-llm"},
        {**spec["models"][1], **shape},
    ]
    scenario = Scenario.objects.create(name="Requests", owner=user, spec=spec)
    html = logged_in.get(reverse("planner:scenario", args=[scenario.pk])).content.decode()
    assert (
        '<dd data-summary="requests">llama-3.1-8b: 2,000 + 300, first token ≤ 1.5 s, '
        "TensorRT-LLM; llama-3.1-70b: 2,000 + 300 tokens</dd>"
    ) in html


@pytest.mark.django_db
def test_editing_keeps_what_the_editor_has_no_field_for(logged_in, seed_catalog, user):
    """A scenario made through the API with its own context, per-model SLOs, prefix-cache hit
    rates and mixed KV precisions loses none of them when saved unchanged in the editor; a
    changed KV setting then applies to every model."""
    spec = {
        "version": 1,
        "rack_types": [{"rack_type": "std-42u", "count": 1}],
        "servers": [{"server_model": "8x-h100-sxm"}],
        "models": [
            {"model_class": "llama-3.1-8b", "min": 0, "slo_tps": 25, "prefix_cache_hit_rate": 0.5,
             "kv_precision_bits": 8},
            {"model_class": "llama-3.1-70b", "min": 0, "serving_stack": "tensorrt-llm"},
        ],
        "capacity_policy": "calibrated",
        "context_tokens": 8192,
    }
    scenario = Scenario.objects.create(name="From the API", owner=user, spec=spec)
    edit = reverse("planner:scenario-edit", kwargs={"pk": scenario.pk})
    page = logged_in.get(edit)
    assert 'name="context_tokens" value="8192"' in page.content.decode()
    form = page.context["form"]
    posted = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        posted[name] = "on" if value is True else value
    response = logged_in.post(edit, posted)
    assert response.status_code == 302, response.content.decode()[:2000]
    scenario.refresh_from_db()
    assert scenario.spec["context_tokens"] == 8192
    models = {m["model_class"]: m for m in scenario.spec["models"]}
    assert models["llama-3.1-8b"]["slo_tps"] == 25
    assert models["llama-3.1-8b"]["prefix_cache_hit_rate"] == 0.5
    assert models["llama-3.1-8b"]["kv_precision_bits"] == 8
    assert "kv_precision_bits" not in models["llama-3.1-70b"]
    assert models["llama-3.1-70b"]["serving_stack"] == "tensorrt-llm"
    assert "serving_stack" not in models["llama-3.1-8b"]

    logged_in.post(edit, {**posted, "kv_precision_bits": "4"})
    scenario.refresh_from_db()
    assert {m["kv_precision_bits"] for m in scenario.spec["models"]} == {4}


@pytest.mark.django_db
def test_new_scenario_sizes_by_the_documented_request(logged_in, seed_catalog):
    """A new scenario starts at 1,024 prompt + 256 output tokens per request, as the capacity
    page and the API do; the context setting is shown and saved."""
    from planner.bridge.problems import model_workload, validate_spec
    from planner.capacity import Workload

    form = logged_in.get(reverse("planner:scenario-new")).context["form"]
    model_8b = next(m for m in form.models if m.name == "llama-3.1-8b")
    assert form[f"model_{model_8b.pk}_input_tokens"].value() == 1024
    assert form[f"model_{model_8b.pk}_output_tokens"].value() == 256
    assert form["context_tokens"].value() == 4096
    data = form_data(capacity_policy="calibrated", context_tokens="8192")
    data[f"model_{model_8b.pk}_input_tokens"] = "1024"
    data[f"model_{model_8b.pk}_output_tokens"] = "256"
    logged_in.post(reverse("planner:scenario-new"), data)
    spec = validate_spec(Scenario.objects.get(name="Two racks").spec)
    assert spec["context_tokens"] == 8192
    entry = next(m for m in spec["models"] if m["model_class"] == "llama-3.1-8b")
    workload = model_workload(spec, entry)
    assert (workload.input_tokens, workload.output_tokens) == (
        Workload().input_tokens, Workload().output_tokens)
    other = next(m for m in spec["models"] if m["model_class"] == "llama-3.1-70b")
    blank = model_workload(spec, other)  # blank prompt and output: the context, as documented
    assert blank.input_tokens + blank.output_tokens == 8192


CAPACITY_QUERY = {
    "accelerator": "nvidia-h200-sxm", "per_server": "8", "min_params_b": "60",
    "max_params_b": "80", "slo_tps": "20", "input_tokens": "2048", "output_tokens": "512",
    "kv_precision": "8", "precision": "8",
}


@pytest.mark.django_db
def test_plan_racks_with_the_capacity_pages_servers_and_models(logged_in, seed_catalog):
    """"Plan racks with these" opens the editor with the capacity page's servers, models,
    settings and request; the scenario it saves sizes each server by the page's figures."""
    from urllib.parse import urlencode

    from planner.bridge.problems import build_problem, validate_spec

    capacity = logged_in.get(reverse("planner:capacity"), CAPACITY_QUERY)
    link = capacity.content.decode()
    assert 'id="plan-racks"' in link
    assert f"{reverse('planner:scenario-new')}?{urlencode(CAPACITY_QUERY)}".replace(
        "&", "&amp;") in link
    page = logged_in.get(reverse("planner:scenario-new"), CAPACITY_QUERY)
    form = page.context["form"]
    from inventory.models import ModelClass

    in_range = [m.name for m in ModelClass.objects.filter(
        parameters_b__gte=60, parameters_b__lte=80).order_by("parameters_b", "id")]
    assert "llama-3.1-70b" in in_range and "qwen2.5-72b" in in_range
    assert (f"From the capacity page: its 2 servers and {len(in_range)} models ticked"
            in page.content.decode())
    posted = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None and value is not False:
            posted[name] = "on" if value is True else value
    logged_in.post(reverse("planner:scenario-new"), {**posted, "name": "From capacity"})
    spec = validate_spec(Scenario.objects.get(name="From capacity").spec)
    assert sorted(s["server_model"] for s in spec["servers"]) == ["8x-h200-sxm", "dgx-h200"]
    assert sorted(m["model_class"] for m in spec["models"]) == sorted(in_range)
    assert spec["slo_tps"] == 20 and spec["capacity_policy"] == "calibrated"
    assert {(m["input_tokens"], m["output_tokens"], m["kv_precision_bits"])
            for m in spec["models"]} == {(2048, 512, 8)}
    problem = build_problem(spec)
    cells = {(row["server"].name, cell["model"]): cell["sessions"]
             for row in capacity.context["rows"] for cell in row["cells"]}
    assert len(cells) == 2 * len(in_range)
    for server in problem["servers"]:
        for model, sessions in server["sessions"].items():
            assert sessions == cells[(server["name"], model)], (server["name"], model)


@pytest.mark.django_db
def test_plan_racks_with_more_models_than_a_scenario_takes(logged_in, seed_catalog):
    page = logged_in.get(reverse("planner:scenario-new"), {"all": "on"}).content.decode()
    assert "a scenario takes at most 20, so the 20 smallest are ticked" in page
    bad = logged_in.get(reverse("planner:scenario-new"), {"slo_tps": "-1"})
    assert bad.status_code == 200
    assert "The capacity settings in the link are not valid" in bad.content.decode()
    assert 'id="editor-preset"' not in bad.content.decode()
