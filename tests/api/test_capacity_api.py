import jsonschema
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
                             "slo_tps": 10.0, "context": 4096, "policy": "batched",
                             "kv_precision": 16, "prefix_cache_hit_rate": 0.0,
                             "serving_stack": "vllm", "max_sequences": 1024}
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
    assert names == {"server", "model", "precision", "slo_tps", "context", "policy",
                     "input_tokens", "output_tokens", "ttft_s", "kv_precision",
                     "prefix_cache_hit_rate", "serving_stack", "max_sequences"}


@pytest.mark.django_db
def test_capacity_defaults_to_the_calibrated_policy_with_uncertainty(api_client, seed_catalog):
    # At 20 tok/s the decode rate binds (at 10 the KV cache does, and both ends are equal).
    query = {"server": "8x-h100-sxm", "model": "llama-3.1-70b", "slo_tps": 20}
    response = api_client.get("/api/v1/capacity", query)
    assert response.status_code == 200
    body = response.json()
    assert body["query"]["policy"] == "calibrated"
    result = body["result"]
    assert result["policy"] == "calibrated" and result["label"] == "estimated"
    assert result["sessions"] > 8  # far above the study's one session per GPU
    assert 0 < result["typical_error"] < 2
    # The sessions that error means, around the figure, and said in the explanation.
    assert result["sessions_low"] <= result["sessions"] <= result["sessions_high"]
    assert result["sessions_low"] < result["sessions_high"]
    assert f"{result['sessions_low']:,} to {result['sessions_high']:,} sessions" in (
        result["explanation"]
    )
    assert len(result["evidence"]) == 3 and all("http" in e for e in result["evidence"])
    assert result["workload"]["input_tokens"] == 1024
    assert result["workload"]["output_tokens"] == 256
    assert "Typical error" in result["explanation"]


@pytest.mark.django_db
def test_capacity_workload_parameters_change_the_figure(api_client, seed_catalog):
    base = {"server": "8x-h100-sxm", "model": "llama-3.1-8b", "policy": "calibrated"}
    short = api_client.get("/api/v1/capacity", {**base, "input_tokens": 256}).json()
    long = api_client.get("/api/v1/capacity", {**base, "input_tokens": 8192}).json()
    fp8_kv = api_client.get(
        "/api/v1/capacity", {**base, "input_tokens": 8192, "kv_precision": 8}
    ).json()
    assert short["result"]["sessions"] > long["result"]["sessions"]
    assert fp8_kv["result"]["sessions"] > long["result"]["sessions"]
    strict = api_client.get("/api/v1/capacity", {**base, "ttft_s": 0.05}).json()
    loose = api_client.get("/api/v1/capacity", {**base, "ttft_s": 5}).json()
    assert strict["result"]["sessions"] <= loose["result"]["sessions"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"input_tokens": -1}, "input_tokens"),
        ({"output_tokens": 0}, "output_tokens"),
        ({"ttft_s": 0}, "ttft_s"),
        ({"kv_precision": 5}, "kv_precision"),
        ({"prefix_cache_hit_rate": 1.0}, "prefix_cache_hit_rate"),
        ({"serving_stack": "triton"}, "serving_stack"),
        ({"max_sequences": 0}, "max_sequences"),
        ({"policy": "guess"}, "policy"),
    ],
)
def test_bad_workload_params_are_400_with_field_errors(api_client, seed_catalog, params, field):
    response = api_client.get(
        "/api/v1/capacity", {"server": "8x-h100-sxm", "model": "llama-3.1-8b", **params}
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_the_serving_engine_reaches_the_estimate(api_client, seed_catalog):
    query = {"server": "8x-h100-sxm", "model": "llama-3.1-8b"}
    default = api_client.get("/api/v1/capacity", query).json()
    trt = api_client.get("/api/v1/capacity", {**query, "serving_stack": "tensorrt-llm"}).json()
    assert default["query"]["serving_stack"] == "vllm"
    assert default["result"]["workload"]["serving_stack"] == "vllm"
    assert trt["result"]["workload"]["serving_stack"] == "tensorrt-llm"
    assert "served by TensorRT-LLM" in trt["result"]["explanation"]
    assert "served by vLLM / SGLang" in default["result"]["explanation"]
    # TensorRT-LLM's fitted cost per running sequence is the smaller one (docs/capacity.md):
    # at the hundreds of sessions an H100 server holds, it sustains more of them.
    assert trt["result"]["sessions"] > default["result"]["sessions"]


@pytest.mark.django_db
@pytest.mark.parametrize("written", ["1.58", "ternary", " Ternary "])
def test_ternary_weights_through_the_api(api_client, seed_catalog, written):
    query = {"server": "8x-h100-sxm", "model": "llama-3.1-70b", "precision": written}
    response = api_client.get("/api/v1/capacity", query)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["query"]["precision"] == 1.58
    ternary = body["result"]["sessions"]
    eight = api_client.get(
        "/api/v1/capacity", {"server": "8x-h100-sxm", "model": "llama-3.1-70b", "precision": 8}
    ).json()
    assert eight["query"]["precision"] == 8 and isinstance(eight["query"]["precision"], int)
    # Ternary weights are a fifth of 8-bit ones: never fewer sessions.
    assert ternary >= eight["result"]["sessions"] > 0
    assert "1.58-bit" in body["result"]["explanation"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["2.5", "0", "33", "abc", "nan", "-8", "true"])
def test_bad_precision_is_a_400_that_says_what_is_accepted(api_client, seed_catalog, bad):
    response = api_client.get(
        "/api/v1/capacity", {"server": "8x-h100-sxm", "model": "llama-3.1-8b", "precision": bad}
    )
    assert response.status_code == 400
    body = response.json()
    assert "ternary" in body["errors"]["precision"][0]


def _json_schema(openapi: object) -> object:
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, for jsonschema to check with."""
    if isinstance(openapi, dict):
        schema = {key: _json_schema(value) for key, value in openapi.items() if key != "nullable"}
        if openapi.get("nullable"):
            if "type" in schema:
                schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        return schema
    if isinstance(openapi, list):
        return [_json_schema(item) for item in openapi]
    return openapi


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"server": "8x-h100-sxm", "model": "llama-3.1-70b"},  # calibrated, with its range
        {"server": "ampereone-a192", "model": "llama-3.2-1b", "policy": "study"},  # measured
        {"server": "8x-l40s", "model": "llama-3.1-405b"},  # does not fit: nulls
    ],
)
def test_the_schema_documents_every_field_of_the_answer(api_client, seed_catalog, query):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    answer = schema["paths"]["/api/v1/capacity"]["get"]["responses"]["200"]
    documented = answer["content"]["application/json"]["schema"]
    body = api_client.get("/api/v1/capacity", query).json()
    jsonschema.validate(body, _json_schema(documented))
    assert set(documented["properties"]["result"]["properties"]) == set(body["result"])
    assert set(documented["properties"]["energy"]["properties"]) == set(body["energy"])
