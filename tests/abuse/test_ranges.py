"""Numbers no column can hold, and answers in a format nobody can read: 4xx JSON, never a 500.

These run on whichever database the suite has (SQLite by default, PostgreSQL with
DATABASE_URL); .ci/run runs them on both.
"""
import django_filters
import pytest

from inventory.api.urls import router

pytestmark = pytest.mark.django_db

HOSTILE = ["1e308", "-1e308", "9223372036854775808", "-9223372036854775809", "2147483648",
           "-2147483649", "1e999999", "NaN", "Infinity", "-Infinity", "1e-999999",
           "99999999999999999999.5", "9" * 5000]


def numeric_parameters() -> list[tuple[str, list[str]]]:
    """(list URL, its numeric query parameters) for every catalog list."""
    out = []
    for prefix, viewset, _ in router.registry:
        filterset = viewset.filterset_class
        params: list[str] = []
        for name, filter_ in filterset.base_filters.items():
            if isinstance(filter_, django_filters.RangeFilter):
                params += [f"{name}_min", f"{name}_max"]
            elif isinstance(filter_, django_filters.NumberFilter):
                params.append(name)
        out.append((f"/api/v1/{prefix}", params))
    return out


@pytest.fixture
def no_raise(client):
    client.raise_request_exception = False
    return client


@pytest.fixture(autouse=True)
def no_throttle(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }


def assert_4xx_json_or_ok(response) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        body = response.json()
        assert body["errors"], body  # a field message, not just a detail


@pytest.mark.parametrize(("url", "params"), numeric_parameters())
def test_every_numeric_filter_refuses_numbers_beyond_its_column(seed_catalog, no_raise, url,
                                                               params):
    assert params, f"{url} has numeric filters"
    for param in params:
        for value in HOSTILE:
            assert_4xx_json_or_ok(no_raise.get(url, {param: value}))
    # Both ends of a range together are one BETWEEN, which SQLite overflowed on.
    ranges = sorted({p[:-4] for p in params if p.endswith("_min")})
    for name in ranges:
        for low, high in [("0", "9223372036854775808"), ("-9223372036854775809", "0"),
                          ("1e308", "1e308")]:
            response = no_raise.get(url, {f"{name}_min": low, f"{name}_max": high})
            assert_4xx_json_or_ok(response)


def test_an_integer_filter_beyond_its_column_is_a_400_naming_it(seed_catalog, no_raise):
    for query in ["sessions_at_slo_min=1e308", "sessions_at_slo_min=9223372036854775808",
                  "sessions_at_slo_max=9223372036854775808",
                  "sessions_at_slo_min=0&sessions_at_slo_max=9223372036854775808"]:
        response = no_raise.get(f"/api/v1/performance-profiles?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"] == {
            "sessions_at_slo": ["Ensure this value is less than or equal to 2147483647."]
        }
    ok = no_raise.get("/api/v1/performance-profiles?sessions_at_slo_min=0"
                      "&sessions_at_slo_max=2147483647")
    assert ok.status_code == 200 and ok.json()["count"] > 0


@pytest.mark.parametrize("query", ["limit=99999999999999999999", "limit=1e308",
                                   "offset=9223372036854775808", "offset=-1",
                                   "offset=99999999999999999999&limit=99999999999999999999"])
def test_page_bounds_are_cut_not_sent_to_the_database(seed_catalog, no_raise, query):
    response = no_raise.get(f"/api/v1/server-models?{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 1000


@pytest.fixture
def run_with_layout(user):
    from planner import solver
    from planner.models import Run, Scenario
    from tests.api.test_solve_api import STUDY_PROBLEM

    scenario = Scenario.objects.create(name="bom", owner=user, problem=STUDY_PROBLEM)
    return Run.objects.create(scenario=scenario, problem=STUDY_PROBLEM,
                              result=solver.solve(STUDY_PROBLEM), status="succeeded")


@pytest.mark.parametrize("suffix", ["bom?format=csv", "bom.csv?format=csv", "bom.xlsx",
                                    "bom?format=xlsx", "bom.csv?format=xlsx", "bom.pdf"])
def test_options_and_errors_are_json_whatever_format_is_asked(user_client, run_with_layout,
                                                              suffix):
    user_client.raise_request_exception = False
    for method in ["options", "post", "put", "patch", "delete"]:
        response = getattr(user_client, method)(f"/api/v1/runs/{run_with_layout.pk}/{suffix}")
        assert response.status_code < 500, method
        assert response["Content-Type"] == "application/json", method
        assert "Content-Disposition" not in response
        body = response.json()
        if suffix == "bom.pdf":  # no such format
            assert response.status_code == 404 and body["detail"]
        elif method == "options":
            assert response.status_code == 200 and body["name"]
        else:
            assert response.status_code == 405 and body["detail"], method
    if suffix != "bom.pdf":  # the file itself still comes in its format
        response = user_client.get(f"/api/v1/runs/{run_with_layout.pk}/{suffix}")
        assert response.status_code == 200
        assert response["Content-Type"] != "application/json"


def test_errors_are_json_even_for_the_browsable_api(user_client):
    response = user_client.post("/api/v1/scenarios?format=api", {"name": ""}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["name"]
    assert user_client.options("/api/v1/scenarios?format=api")["Content-Type"] == (
        "application/json"
    )
