"""One error shape for every 4xx; throttles; body size limits."""
import pytest
from rest_framework.test import APIClient

from planner.models import Scenario
from tests.api.test_solve_api import STUDY_PROBLEM


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


@pytest.mark.django_db
def test_every_4xx_has_the_error_shape(user_client, seed_catalog):
    api_client = APIClient()
    assert_error_shape(api_client.get("/api/v1/nothing-here"), 404)
    assert_error_shape(api_client.get("/api/v1/rack-types/99999"), 404)
    assert_error_shape(api_client.get("/api/v1/scenarios"), 401)
    assert_error_shape(api_client.delete("/api/v1/solve"), 405)
    assert_error_shape(
        api_client.post("/api/v1/solve", "<xml/>", content_type="application/xml"), 415
    )
    body = assert_error_shape(
        api_client.post("/api/v1/solve", "{not json", content_type="application/json"), 400
    )
    assert "JSON parse error" in body["detail"]
    body = assert_error_shape(
        user_client.post("/api/v1/scenarios", {"name": ""}, format="json"), 400
    )
    assert body["errors"]["name"]
    body = assert_error_shape(
        api_client.get("/api/v1/accelerators?memory_gb_min=lots"), 400
    )
    assert "memory_gb" in body["errors"]


@pytest.mark.django_db
def test_integer_beyond_the_database_is_a_400_not_a_500(api_client, seed_catalog):
    big = 10**30
    response = api_client.get(f"/api/v1/server-models?u_height={big}")
    assert response.status_code in (200, 400)
    assert api_client.get(f"/api/v1/rack-types/{big}").status_code == 404


@pytest.mark.django_db
def test_control_characters_are_refused(api_client, catalog_editor, seed_catalog):
    api_client.force_authenticate(catalog_editor)
    response = api_client.post(
        "/api/v1/rack-types", {"name": "bad\x00rack", "u_height": 42, "budget_kw": 10},
        format="json",
    )
    # NUL never reaches a serializer: the hardened JSON parser refuses the body (config/parsers.py).
    body = assert_error_shape(response, 400)
    assert "NUL" in body["detail"]
    response = api_client.post(
        "/api/v1/rack-types", {"name": "bad\x07rack", "u_height": 42, "budget_kw": 10},
        format="json",
    )
    assert assert_error_shape(response, 400)["errors"]["name"]


@pytest.mark.django_db
def test_throttles_answer_429_in_the_error_shape(user_client, settings):
    api_client = APIClient()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }
    for _ in range(3):
        assert api_client.get("/api/v1/rack-types").status_code == 200
    body = assert_error_shape(api_client.get("/api/v1/rack-types"), 429)
    assert "throttled" in body["detail"].lower()
    for _ in range(5):
        assert user_client.get("/api/v1/scenarios").status_code == 200
    assert_error_shape(user_client.get("/api/v1/scenarios"), 429)


@pytest.mark.django_db
def test_body_over_the_limit_is_413(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    padded = {**STUDY_PROBLEM, "x-padding": "p" * 2000}
    body = assert_error_shape(user_client.post("/api/v1/solve", padded, format="json"), 413)
    assert "too large" in body["detail"]


@pytest.mark.django_db
def test_nul_in_scenario_text_or_json_is_a_400(user_client):
    response = user_client.post(
        "/api/v1/scenarios", {"name": "a\x00b", "problem": STUDY_PROBLEM}, format="json"
    )
    assert "NUL" in assert_error_shape(response, 400)["detail"]
    nul_model = {**STUDY_PROBLEM, "demand": {"llama\x00": {"min": 0}}}
    response = user_client.post(
        "/api/v1/scenarios", {"name": "nul", "problem": nul_model}, format="json"
    )
    assert "NUL" in assert_error_shape(response, 400)["detail"]
    assert not Scenario.objects.exists()
