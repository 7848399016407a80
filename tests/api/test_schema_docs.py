"""The OpenAPI schema documents errors and files; the docs pages use local static files."""
import pytest


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_documents_errors_and_files(schema):
    paths = schema["paths"]
    delete = paths["/api/v1/server-models/{id}"]["delete"]["responses"]
    assert {"204", "409", "401", "403", "404"} <= set(delete)
    assert delete["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Conflict")
    bom = paths["/api/v1/runs/{id}/bom"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(bom)
    assert "/api/v1/runs/{id}/bom.{file_format}" in paths
    runs = paths["/api/v1/scenarios/{id}/runs"]["post"]
    assert "202" in runs["responses"] and "400" in runs["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in runs["parameters"])
    assert "/api/v1/import/catalog" in paths and "/api/v1/shared/{token}/runs" in paths
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "errors"}


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_assets_from_local_static(client, page):
    html = client.get(page).content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html
