"""Hostile input gets a clear 4xx, never a 500, and nothing is stored half-way."""
import json

import pytest

from bench.problems import hard_problem
from planner.models import Run, Scenario
from tests.api.test_solve_api import STUDY_PROBLEM

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "'; DROP TABLE planner_scenario; --",
    "1 OR 1=1",
    '" OR ""="',
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "../../etc/passwd",
]
ODD_TEXT = ["ünïcødé ✓ 漢字 🚀", "tab\tnew\nline\rreturn", "\u202eRTL", ""]
# Control characters other than tab and line breaks cannot go into an XLSX export: refused.
CONTROL_TEXT = ["bell\x07esc\x1b[31m", "form\x0cfeed", "del\x7f"]


@pytest.fixture
def no_raise(client, user_client):
    # A 500 must show up as a response here, not as an exception in the test.
    client.raise_request_exception = False
    user_client.raise_request_exception = False


def problem_with_names(text: str) -> dict:
    problem = json.loads(json.dumps(STUDY_PROBLEM))
    problem["rack_types"][0]["name"] = f"rack {text}"
    server = problem["servers"][0]
    server["name"] = f"server {text}"
    server["sessions"] = {f"model {text}": 64}
    problem["demand"] = {f"model {text}": {"min": 0, "max": None, "weight": 1.0}}
    return problem


def post_json(client, url: str, body: str):
    return client.post(url, body, content_type="application/json")


def test_oversized_body_is_refused_with_413(no_raise, client, user_client, settings):
    body = json.dumps({**STUDY_PROBLEM, "pad": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    for c, url in [(client, "/api/v1/solve"), (user_client, "/api/v1/scenarios")]:
        response = post_json(c, url, body)
        assert response.status_code == 413
        assert "too large" in response.json()["detail"]
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_refused(no_raise, client, user_client, depth):
    nested = "[" * depth + "]" * depth
    response = post_json(client, "/api/v1/solve", nested)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    response = post_json(user_client, "/api/v1/scenarios", f'{{"name": "n", "problem": {nested}}}')
    assert response.status_code == 400
    assert not Scenario.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", json.dumps(STUDY_PROBLEM)), ("application/xml", "<problem/>"),
     ("application/x-yaml", "a: 1"), ("application/json", "{not json"),
     ("application/json", b'{"name": "\xff\xfe"}'), ("application/json", "")],
)
def test_wrong_or_broken_content_is_refused(no_raise, client, user_client, content_type, body):
    for c, url in [(client, "/api/v1/solve"), (user_client, "/api/v1/scenarios")]:
        response = c.post(url, body, content_type=content_type)
        assert 400 <= response.status_code < 500, response.content
        assert response.json()
    assert not Scenario.objects.exists()


@pytest.mark.parametrize(
    "replace", [("577", "NaN"), ("577", "Infinity"), ("577", "-577"), ("577", "1e999"),
                ("577", "9" * 5000), ("12.5", "-12.5"), ('"u": 42', '"u": -42'),
                ('"u": 42', '"u": 4.2'),
                ("577", '"577"'), ("577", "true"), ("577", "null")],
)
def test_bad_numbers_are_refused(no_raise, client, user_client, replace):
    body = json.dumps(STUDY_PROBLEM).replace(*replace, 1)
    response = post_json(client, "/api/v1/solve", body)
    assert response.status_code == 400, response.content
    scenario_body = f'{{"name": "n", "problem": {body}}}'
    response = post_json(user_client, "/api/v1/scenarios", scenario_body)
    assert response.status_code == 400, response.content
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"])
def test_unstorable_strings_are_refused(no_raise, client, user_client, text):
    problem = problem_with_names(text)
    for body in (
        json.dumps(problem),
        json.dumps({"name": "ok", "problem": problem}),
        json.dumps({"name": text, "problem": STUDY_PROBLEM}),
        json.dumps({"name": "ok", "description": text, "problem": STUDY_PROBLEM}),
    ):
        response = post_json(user_client, "/api/v1/scenarios", body)
        assert response.status_code == 400, response.content
    assert post_json(client, "/api/v1/solve", json.dumps(problem)).status_code == 400
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("text", CONTROL_TEXT)
def test_control_characters_in_text_fields_are_refused(no_raise, user_client, text):
    body = json.dumps({"name": f"n {text}", "description": text, "problem": STUDY_PROBLEM})
    response = post_json(user_client, "/api/v1/scenarios", body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["name"] == ["Must not contain control characters."]
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("text", INJECTIONS + ODD_TEXT)
def test_text_fields_store_exactly_and_render_escaped(
    no_raise, user_client, text, django_capture_on_commit_callbacks, settings
):
    problem = problem_with_names(text)
    response = post_json(
        user_client, "/api/v1/scenarios",
        json.dumps({"name": f"n {text}", "description": text, "problem": problem}),
    )
    assert response.status_code == 201, response.content
    scenario = Scenario.objects.get(pk=response.json()["id"])
    # DRF trims surrounding whitespace of plain text fields; nothing else changes.
    assert scenario.name == f"n {text}".strip() and scenario.description == text.strip()
    assert scenario.problem["servers"][0]["name"] == f"server {text}"
    assert Scenario.objects.count() == 1  # the injection did nothing else

    with django_capture_on_commit_callbacks(execute=True):
        queued = user_client.post(f"/api/v1/scenarios/{scenario.pk}/runs")
    assert queued.status_code == 202
    run = Run.objects.get(pk=queued.json()["id"])
    assert run.status == Run.Status.SUCCEEDED, run.error

    for url in ["/", scenario.get_share_path()]:
        page = user_client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        for raw in ("<script>alert", "<img src=x"):  # markup from users is never markup
            assert raw not in html
        assert settings.SECRET_KEY not in html  # template syntax in data is just text
    if "<script>" in text:
        page = user_client.get(scenario.get_share_path()).content.decode()
        assert "&lt;script&gt;alert" in page


def test_a_problem_too_large_for_the_solver_is_a_400(no_raise, client):
    problem = json.loads(json.dumps(STUDY_PROBLEM))
    problem["rack_types"][0]["count"] = 10**9
    response = post_json(client, "/api/v1/solve", json.dumps(problem))
    assert response.status_code == 400
    assert "limit" in response.json()["detail"]


def test_many_servers_are_solved_or_refused_never_a_500(no_raise, client):
    problem = json.loads(json.dumps(STUDY_PROBLEM))
    problem["servers"] = [dict(problem["servers"][0], name=f"s{i}") for i in range(3000)]
    response = post_json(client, "/api/v1/solve", json.dumps(problem))
    assert response.status_code in {200, 400}


def test_a_synchronous_solve_is_capped(no_raise, client, settings):
    settings.SYNC_SOLVE_TIME_LIMIT_S = 1.0
    response = post_json(client, "/api/v1/solve", json.dumps(hard_problem(86400)))
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "feasible" and result["solve_seconds"] < 5


@pytest.mark.parametrize(
    "url",
    ["/api/v1/runs/abc", "/api/v1/runs/99999999999999999999999",
     "/api/v1/scenarios/99999999999999999999999", "/api/v1/scenarios/-1/runs",
     "/s/" + "x" * 500 + "/", "/api/v1/server-models?ordering=%00",
     "/api/v1/server-models?limit=-1&offset=99999999999999999999",
     "/api/v1/scenarios?limit=abc"],
)
def test_odd_urls_are_4xx_or_ok(no_raise, user_client, url):
    assert user_client.get(url).status_code < 500
