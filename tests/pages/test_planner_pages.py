"""Scenario editor, run, result, shared view and compare pages through Django's test client."""

import json
import re

import pytest
from django.urls import reverse

from inventory.seed import seed_data
from planner.models import Run, Scenario


def form_data(**overrides) -> dict:
    """The editor filled in for the seed study's hall: its rack (2 of them), servers and models
    ticked, every other catalog row left out."""
    from inventory.models import ModelClass, RackType, ServerModel
    from inventory.seed import seed_data

    study = seed_data()["study"]
    data = {
        "name": "Two racks",
        "description": "",
        "slo_tps": "10",
        "precision_bits": "8",
        "capacity_policy": "study",
        "objective": "max_sessions",
        "hall_power_kw": "",
    }
    for rack in RackType.objects.all():
        data[f"rack_{rack.pk}_count"] = "2" if rack.name == study["rack_type"] else "0"
    for server in ServerModel.objects.all():
        if server.name in study["server_models"]:
            data[f"server_{server.pk}_use"] = "on"
        data[f"server_{server.pk}_available"] = ""
    for model in ModelClass.objects.all():
        if model.name in study["model_classes"]:
            data[f"model_{model.pk}_use"] = "on"
        data[f"model_{model.pk}_min"] = "0"
        data[f"model_{model.pk}_max"] = ""
        data[f"model_{model.pk}_weight"] = "1"
    data.update(overrides)
    return data


def embedded_json(html: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_editor_needs_login(client, seed_catalog):
    response = client.get(reverse("planner:scenario-new"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


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


def study_spec(count: int = 1) -> dict:
    return {
        "rack_types": [{"rack_type": "std-42u", "count": count}],
        "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
        "models": [{"model_class": "llama-3.1-8b", "min": 100}, {"model_class": "llama-3.1-70b"}],
    }


@pytest.mark.django_db(transaction=True)
def test_solved_run_status_and_bom(client, seed_catalog, django_user_model):
    from planner.runs import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="S", owner=owner, spec=study_spec(3))
    run = queue_run(scenario)  # no transaction: the eager task runs at once
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    status = client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).json()
    assert status["finished"] is True and status["status"] == "succeeded"
    assert status["progress"]["phase"] == "done"
    body = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "csv"}))
    lines = body.content.decode().strip().splitlines()
    assert lines[0].startswith("section,server,count")
    placed = run.result["totals"]["by_server"]
    for name, count in placed.items():
        if count:
            assert any(line.startswith(f"servers,{name},{count},") for line in lines)
    xlsx = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "xlsx"}))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.logout()
    assert client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_shared_view_duplicate_and_regenerate(client, seed_catalog, django_user_model):
    from planner.runs import queue_run

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


@pytest.mark.django_db(transaction=True)
def test_compare_two_runs(client, seed_catalog, django_user_model):
    from planner.runs import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    one = queue_run(Scenario.objects.create(name="One", owner=owner, spec=study_spec(1)))
    two = queue_run(Scenario.objects.create(name="Two", owner=owner, spec=study_spec(2)))
    html = client.get(f"{reverse('planner:compare')}?runs={one.pk},{two.pk}").content.decode()
    sessions = embedded_json(html, "compare-sessions-data")
    assert len(sessions["data"]) == 2
    one.refresh_from_db()
    two.refresh_from_db()
    totals = [sum(trace["y"]) for trace in sessions["data"]]
    assert totals == [one.result["totals"]["sessions"], two.result["totals"]["sessions"]]
    per_kw = embedded_json(html, "compare-per-kw-data")["data"][0]["y"]
    assert per_kw[0] == pytest.approx(
        one.result["totals"]["sessions"] / one.result["totals"]["power_kw"], rel=1e-3
    )
    too_many = client.get(f"{reverse('planner:compare')}?runs=" + ",".join(map(str, range(1, 40))))
    assert "Compare at most 6 runs." in too_many.content.decode()
    # Someone who may not see the runs gets no comparison.
    client.logout()
    html = client.get(f"{reverse('planner:compare')}?runs={one.pk},{two.pk}").content.decode()
    assert "compare-sessions-data" not in html
    assert client.get(f"{reverse('planner:compare')}?runs=a,b").status_code == 200


@pytest.mark.django_db
def test_home_lists_my_scenarios(logged_in, seed_catalog, user):
    Scenario.objects.create(name="Visible one", owner=user, spec=study_spec())
    html = logged_in.get("/").content.decode()
    assert "Visible one" in html and reverse("planner:scenario-new") in html


@pytest.mark.django_db(transaction=True)
def test_failed_run_shows_the_reason(client, seed_catalog, django_user_model):
    from planner.runs import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    # Least cost needs server prices; the seed catalog has none, so the solver refuses.
    spec = {**study_spec(), "objective": "min_cost"}
    run = queue_run(Scenario.objects.create(name="No prices", owner=owner, spec=spec))
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    status = client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).json()
    assert status["finished"] and "cost_usd" in status["error"]
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert "No layout:" in html and "cost_usd" in html
