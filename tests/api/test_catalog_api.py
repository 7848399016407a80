import pytest


@pytest.mark.django_db
def test_catalog_is_readable_anonymously(api_client, seed_catalog):
    for path, name in [
        ("/api/v1/accelerators", "nvidia-l40s"),
        ("/api/v1/server-models", "8x-h100-sxm"),
        ("/api/v1/rack-types", "std-42u"),
        ("/api/v1/model-classes", "llama-3.1-405b"),
    ]:
        response = api_client.get(path)
        assert response.status_code == 200, path
        assert name in {row["name"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_profiles_filter_by_basis(api_client, seed_catalog):
    response = api_client.get("/api/v1/performance-profiles?basis=measured")
    rows = response.json()["results"]
    assert rows and {row["basis"] for row in rows} == {"measured"}
    assert {row["server_model"] for row in rows} == {
        "ampereone-a192", "dgx-h100", "8x-l40s-3497w", "dgx-a100"
    }


@pytest.mark.django_db
def test_catalog_is_read_only_for_anonymous(api_client, seed_catalog):
    response = api_client.post("/api/v1/rack-types", {"name": "x"}, format="json")
    assert response.status_code in (401, 403, 405)


@pytest.mark.django_db
def test_schema_is_served(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/solve" in schema["paths"]
    assert "/api/v1/scenarios/{id}/runs" in schema["paths"]
