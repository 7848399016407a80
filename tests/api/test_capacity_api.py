import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_capacity_returns_the_figure_its_explanation_and_energy(api_client, seed_catalog):
    response = api_client.get(
        "/api/v1/capacity",
        {"server": "8x-h100-sxm", "model": "llama-3.1-70b", "precision": 8, "slo_tps": 10,
         "context": 4096, "policy": "study"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    result = body["result"]
    assert (result["sessions"], result["label"], result["tp_degree"]) == (8, "study rule", 1)
    assert result["explanation"]
    energy = body["energy"]
    assert energy["watts_per_session"] == pytest.approx(6297 / 8)
    assert energy["kwh_per_day"] == pytest.approx(6297 * 24 / 1000)
    assert energy["co2_kg_per_day"] == pytest.approx(6297 * 24 / 1000 * 436 / 1000)
    assert energy["tokens_per_joule"] == pytest.approx(8 * 10 / 6297)
    assert body["query"]["server"] == "8x-h100-sxm"


@pytest.mark.django_db
def test_capacity_defaults_and_grid_setting(api_client, seed_catalog):
    with override_settings(GRID_CO2_G_PER_KWH=100.0):
        response = api_client.get(
            "/api/v1/capacity", {"server": "8x-l40s", "model": "llama-3.1-8b", "policy": "batched"}
        )
    body = response.json()
    assert body["query"] == {"server": "8x-l40s", "model": "llama-3.1-8b", "precision": 8,
                             "slo_tps": 10.0, "context": 4096, "policy": "batched"}
    assert body["result"]["label"] == "estimated"
    assert body["result"]["binding_limit"] in ("memory_capacity", "memory_bandwidth", "compute")
    sessions = body["result"]["sessions"]
    assert body["energy"]["grid_g_co2_per_kwh"] == 100.0
    assert body["energy"]["co2_kg_per_1000_session_hours"] == pytest.approx(
        3097 / sessions * 100 / 1000
    )


@pytest.mark.django_db
def test_capacity_zero_sessions_has_null_per_session_figures(api_client, seed_catalog):
    response = api_client.get(
        "/api/v1/capacity", {"server": "8x-l40s", "model": "llama-3.1-405b"}
    )
    body = response.json()
    assert body["result"]["sessions"] == 0
    assert body["energy"]["watts_per_session"] is None
    assert body["energy"]["co2_kg_per_1000_session_hours"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [
        ({"model": "llama-3.1-8b"}, "server"),
        ({"server": "nope", "model": "llama-3.1-8b"}, "server"),
        ({"server": "8x-l40s", "model": "llama-3.1-8b", "precision": "eight"}, "precision"),
        ({"server": "8x-l40s", "model": "llama-3.1-8b", "precision": 0}, "precision"),
        ({"server": "8x-l40s", "model": "llama-3.1-8b", "slo_tps": -5}, "slo_tps"),
        ({"server": "8x-l40s", "model": "llama-3.1-8b", "context": 0}, "context"),
        ({"server": "8x-l40s", "model": "llama-3.1-8b", "policy": "magic"}, "policy"),
        ({"server": "8x-l40s", "model": "gpt-5"}, "model"),
    ],
)
def test_bad_params_are_400_with_field_errors(api_client, seed_catalog, params, field):
    response = api_client.get("/api/v1/capacity", params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["errors"][field]
    assert body["detail"]


@pytest.mark.django_db
def test_capacity_is_in_the_openapi_schema(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    operation = response.json()["paths"]["/api/v1/capacity"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"server", "model", "precision", "slo_tps", "context", "policy"}
