"""Power trains from the scenario spec to the result page and the BOM: the editor's field, its
errors beside the field, the spec → problem hand-over, the train table and exposure column."""

import pytest
from django.urls import reverse

from planner.bridge.problems import ScenarioSpecError, build_problem, validate_spec
from planner.models import Scenario
from planner.reports.bom import build_bom, export_frames
from planner.reports.summary import power_trains
from planner.solver import solve
from tests.pages.helpers import form_data

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 4}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.1-8b", "min": 40}],
}


@pytest.mark.django_db
def test_spec_power_trains_travel_to_the_problem(seed_catalog):
    problem = build_problem(validate_spec({**SPEC, "power_trains": {"count": 2}}))
    assert problem["power_trains"] == {"count": 2}
    assert "power_trains" not in build_problem(validate_spec(SPEC))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trains", "message"),
    [
        ({"count": 5}, "5 power trains need at least as many racks; the spec has 4"),
        ({"count": 1}, "less than the minimum of 2"),
        ({"count": "two"}, "not of type 'integer'"),
    ],
)
def test_bad_spec_power_trains_name_the_field(seed_catalog, trains, message):
    with pytest.raises(ScenarioSpecError) as info:
        validate_spec({**SPEC, "power_trains": trains})
    assert any(message in m for m in info.value.errors["power_trains.count"]), info.value.errors


@pytest.mark.django_db
def test_editor_power_trains_go_into_the_spec_and_the_result_shows_the_trains(
    logged_in, seed_catalog, django_capture_on_commit_callbacks
):
    from inventory.models import ModelClass

    model = ModelClass.objects.get(name="llama-3.1-8b")
    data = form_data(power_trains="2", solve="1", **{f"model_{model.pk}_min": "100"})
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("planner:scenario-new"), data)
    scenario = Scenario.objects.get(name="Two racks")
    assert scenario.spec["power_trains"] == {"count": 2}
    run = scenario.runs.get()
    run.refresh_from_db()
    assert run.result["status"] in ("optimal", "feasible"), run.result
    left = run.result["exposure"]["llama-3.1-8b"]["after_worst_train"]
    assert left >= 100
    html = logged_in.get(response["Location"]).content.decode()
    exposure = html.split('id="exposure"')[1].split("</table>")[0]
    assert "losing one of 2 power trains" in exposure
    assert f'data-after="train">{left:,}<' in exposure
    table = html.split('id="power-trains"')[1].split("</table>")[0]
    assert 'data-train="1"' in table and 'data-train="2"' in table
    edit = logged_in.get(reverse("planner:scenario-edit", kwargs={"pk": scenario.pk})).content
    assert b'name="power_trains" value="2"' in edit


@pytest.mark.django_db
def test_too_many_trains_is_an_error_beside_the_field(logged_in, seed_catalog):
    html = logged_in.post(reverse("planner:scenario-new"), form_data(power_trains="3")).content
    assert b'id="id_power_trains-error"' in html
    assert b"3 power trains need at least as many racks; the spec has 2" in html
    assert not Scenario.objects.exists()
    html = logged_in.post(reverse("planner:scenario-new"), form_data(power_trains="1")).content
    assert b'id="id_power_trains-error"' in html


HALL = {
    "rack_types": [{"name": "r", "u": 10, "power_kw": 10, "count": 5}],
    "servers": [{"name": "a", "u": 2, "power_w": 1000, "sessions": {"x": 10, "y": 7}}],
    "demand": {"x": {"min": 40}, "y": {"min": 14}},
    "objective": "min_power",
    "power_trains": {"count": 2},
}


def test_train_table_and_bom_columns_add_up():
    result = solve(HALL)
    rows = power_trains(result)
    assert [r["train"] for r in rows] == [1, 2]
    assert sum(r["racks"] for r in rows) == 5
    for r in rows:
        for m, n in result["sessions"].items():
            assert r["left"][m] == n - r["sessions"].get(m, 0)
    worst = {m: min(r["left"][m] for r in rows) for m in result["sessions"]}
    assert worst == {m: e["after_worst_train"] for m, e in result["exposure"].items()}
    assert power_trains(solve({**HALL, "power_trains": None})) == []

    bom = build_bom(HALL, result)
    assert [g["racks_per_train"] for g in bom["rack_groups"]] == [
        g["trains"] for g in result["racks"]
    ]
    frames = export_frames(bom)
    assert {"racks on train 1", "racks on train 2"} <= set(frames["rack_groups"].columns)
    placed = frames["placement"]
    assert set(placed["power_train"]) <= {1, 2}
    per_train = placed.groupby("power_train")["sessions"].sum().to_dict()
    for r in rows:
        assert per_train.get(r["train"], 0) == sum(r["sessions"].values())
    plain = export_frames(build_bom(HALL, solve({**HALL, "power_trains": None})))
    assert "power_train" not in plain["placement"].columns


@pytest.mark.django_db
def test_api_refuses_bad_power_trains_with_field_errors(user_client, seed_catalog):
    spec = {**SPEC, "power_trains": {"count": 5}}
    response = user_client.post("/api/v1/scenarios", {"name": "t", "spec": spec}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any("power_trains.count" in path for path in errors), errors
    assert not Scenario.objects.exists()
    ok = {**SPEC, "power_trains": {"count": 2}}
    response = user_client.post("/api/v1/scenarios", {"name": "t", "spec": ok}, format="json")
    assert response.status_code == 201, response.json()
    assert Scenario.objects.get().spec["power_trains"] == {"count": 2}
