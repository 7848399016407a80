"""Fixtures of the contract tests: the live schema over a seeded catalog, a staff token and
real rows for path parameters."""
import pytest
import schemathesis


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handlers close DB
    connections, the test's own included; Django's test client disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(transactional_db, settings, wsgi_keeps_the_test_connection):
    """Autocommit as in production: a refused statement does not poison later requests."""
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    from config.wsgi import application

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture
def staff_token(transactional_db, django_user_model) -> str:
    from rest_framework.authtoken.models import Token

    staff = django_user_model.objects.create_superuser("contract", password="contract-pass-123")
    return Token.objects.create(user=staff).key


@pytest.fixture
def real_ids(api_schema, staff_token) -> dict[str, dict[str, object]]:
    """Path parameters of objects that exist: half the generated requests use them, so PUT,
    PATCH, runs, BOM and share links are exercised on real rows, not only as 404s."""
    from rest_framework.authtoken.models import Token

    from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
    from planner import solver
    from planner.models import Run, Scenario
    from tests.api.test_solve_api import STUDY_PROBLEM

    owner = Token.objects.get(key=staff_token).user
    scenario = Scenario.objects.create(name="contract", owner=owner, problem=STUDY_PROBLEM)
    run = Run.objects.create(
        scenario=scenario, problem=STUDY_PROBLEM, result=solver.solve(STUDY_PROBLEM),
        status="succeeded",
    )
    rows = {
        "/api/v1/accelerators/": Accelerator, "/api/v1/server-models/": ServerModel,
        "/api/v1/rack-types/": RackType, "/api/v1/model-classes/": ModelClass,
        "/api/v1/performance-profiles/": PerformanceProfile,
    }
    ids: dict[str, dict[str, object]] = {
        prefix: {"id": model.objects.order_by("pk").first().pk} for prefix, model in rows.items()
    }
    # Version 1 of the scenario: its history record from the create above.
    ids["/api/v1/scenarios/"] = {"id": scenario.pk, "version": 1}
    ids["/api/v1/runs/"] = {"id": run.pk}
    ids["/api/v1/shared/"] = {"token": scenario.share_token}
    return ids
