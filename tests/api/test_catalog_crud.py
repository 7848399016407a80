"""Catalog CRUD: filters, ordering, model permissions, 409 on deleting rows in use."""
import pytest

from inventory.models import Accelerator, RackType, ServerModel
from planner.models import Scenario

NEW_RACK = {"name": "tall-48u", "u_height": 48, "budget_kw": 20.0, "reserved_u": 2,
            "reserved_kw": 1.0}


@pytest.fixture
def editor_client(api_client, catalog_editor):
    api_client.force_authenticate(catalog_editor)
    return api_client


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_filters_by_vendor_kind_and_ranges(api_client, seed_catalog):
    gpus = names(api_client.get("/api/v1/accelerators?kind=gpu"))
    assert gpus and all(Accelerator.objects.get(name=n).kind == "gpu" for n in gpus)
    big = names(api_client.get("/api/v1/accelerators?memory_gb_min=64"))
    assert big and all(Accelerator.objects.get(name=n).memory_gb >= 64 for n in big)
    nvidia = names(api_client.get("/api/v1/accelerators?vendor=NVIDIA"))
    assert nvidia and all(Accelerator.objects.get(name=n).vendor.lower() == "nvidia"
                          for n in nvidia)
    low = names(api_client.get("/api/v1/server-models?power_w_max=1000"))
    assert "ampereone-a192" in low
    assert all(ServerModel.objects.get(name=n).power_w <= 1000 for n in low)
    four_u = names(api_client.get("/api/v1/server-models?u_height=4"))
    assert four_u and all(ServerModel.objects.get(name=n).u_height == 4 for n in four_u)
    by_memory = names(api_client.get("/api/v1/server-models?memory_gb_min=80&accelerator_kind=gpu"))
    assert "8x-h100-sxm" in by_memory and "ampereone-a192" not in by_memory
    small = names(api_client.get("/api/v1/model-classes?size_class=0"))
    assert small and "llama-3.1-405b" not in small
    profiles = api_client.get("/api/v1/performance-profiles?size_class=3&sessions_at_slo_min=1")
    assert all(row["sessions_at_slo"] >= 1 for row in profiles.json()["results"])


@pytest.mark.django_db
def test_ordering(api_client, seed_catalog):
    ordered = names(api_client.get("/api/v1/server-models?ordering=-power_w"))
    powers = [ServerModel.objects.get(name=n).power_w for n in ordered]
    assert powers == sorted(powers, reverse=True)


@pytest.mark.django_db
def test_bad_filter_value_is_a_400_in_the_error_shape(api_client, seed_catalog):
    response = api_client.get("/api/v1/accelerators?kind=tpu")
    assert response.status_code == 400
    body = response.json()
    assert "kind" in body["errors"] and body["detail"]


@pytest.mark.django_db
def test_writes_need_model_permissions(api_client, user, seed_catalog):
    assert api_client.post("/api/v1/rack-types", NEW_RACK, format="json").status_code == 401
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/rack-types", NEW_RACK, format="json")
    assert response.status_code == 403
    assert response.json()["errors"] == {} and response.json()["detail"]
    assert not RackType.objects.filter(name="tall-48u").exists()


@pytest.mark.django_db
def test_editor_creates_updates_and_deletes(editor_client, seed_catalog):
    response = editor_client.post("/api/v1/rack-types", NEW_RACK, format="json")
    assert response.status_code == 201, response.json()
    rack_id = response.json()["id"]
    response = editor_client.patch(f"/api/v1/rack-types/{rack_id}", {"budget_kw": 25},
                                   format="json")
    assert response.status_code == 200 and response.json()["budget_kw"] == 25
    assert editor_client.delete(f"/api/v1/rack-types/{rack_id}").status_code == 204
    assert not RackType.objects.filter(pk=rack_id).exists()


@pytest.mark.django_db
def test_model_clean_runs_on_writes(editor_client, seed_catalog):
    rack = RackType.objects.get(name="std-42u")
    response = editor_client.patch(f"/api/v1/rack-types/{rack.pk}", {"reserved_u": 42},
                                   format="json")
    assert response.status_code == 400
    assert "reserved_u" in response.json()["errors"]


@pytest.mark.django_db
def test_deleting_a_row_a_scenario_uses_is_409_with_the_scenarios(editor_client, seed_catalog,
                                                                   user):
    scenario = Scenario.objects.create(name="uses h100", owner=user, spec={
        "rack_types": [{"rack_type": "std-42u"}],
        "servers": [{"server_model": "8x-h100-sxm"}],
        "models": [{"model_class": "llama-3.1-70b"}],
    })
    for path, model, name in [
        ("server-models", ServerModel, "8x-h100-sxm"),
        ("rack-types", RackType, "std-42u"),
    ]:
        row = model.objects.get(name=name)
        response = editor_client.delete(f"/api/v1/{path}/{row.pk}")
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["used_by"] == [{"type": "scenario", "id": scenario.pk, "name": "uses h100"}]
        assert name in body["detail"]
        assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_raw_problem_does_not_hold_catalog_rows(editor_client, seed_catalog, user):
    from tests.api.test_solve_api import STUDY_PROBLEM

    Scenario.objects.create(name="raw", owner=user, problem=STUDY_PROBLEM)
    server = ServerModel.objects.get(name="ampereone-a192")
    assert editor_client.delete(f"/api/v1/server-models/{server.pk}").status_code == 204


@pytest.mark.django_db
def test_deleting_an_accelerator_a_server_uses_is_409(editor_client, seed_catalog):
    h100 = ServerModel.objects.get(name="8x-h100-sxm").accelerator
    response = editor_client.delete(f"/api/v1/accelerators/{h100.pk}")
    assert response.status_code == 409
    used_by = response.json()["used_by"]
    assert {"type": "servermodel", "id": ServerModel.objects.get(name="8x-h100-sxm").pk,
            "name": "8x-h100-sxm"} in used_by
    assert Accelerator.objects.filter(pk=h100.pk).exists()


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


@pytest.fixture
def spec_scenario(user, seed_catalog):
    return Scenario.objects.create(name="uses std rack", owner=user, spec={
        "rack_types": [{"rack_type": "std-42u"}],
        "servers": [{"server_model": "ampereone-a192"}],
        "models": [{"model_class": "llama-3.2-1b"}],
    })


@pytest.mark.django_db
def test_renaming_a_row_a_scenario_names_is_409(editor_client, spec_scenario):
    rack = RackType.objects.get(name="std-42u")
    response = editor_client.patch(f"/api/v1/rack-types/{rack.pk}", {"name": "renamed"},
                                   format="json")
    assert response.status_code == 409
    assert response.json()["used_by"][0]["id"] == spec_scenario.pk
    rack.refresh_from_db()
    assert rack.name == "std-42u"
    same_name = editor_client.patch(f"/api/v1/rack-types/{rack.pk}",
                                    {"name": "std-42u", "budget_kw": 13}, format="json")
    assert same_name.status_code == 200


@pytest.mark.django_db
def test_admin_refuses_deleting_a_row_a_scenario_uses(client, spec_scenario, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(admin_user)
    rack = RackType.objects.get(name="std-42u")
    url = f"/admin/inventory/racktype/{rack.pk}/delete/"
    page = client.get(url)
    assert page.status_code == 200 and "uses std rack" in page.content.decode()
    response = client.post(url, {"post": "yes"})
    assert response.status_code in (200, 403)
    assert RackType.objects.filter(pk=rack.pk).exists()
