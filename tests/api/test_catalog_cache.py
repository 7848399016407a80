"""Versioned catalog caching: a write is visible on the very next read, whatever made it (API,
ORM/admin, import, seed load, migration); ETags and 304s; the fewest queries."""
import io

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory.models import Accelerator, RackType, ServerModel

RACKS = "/api/v1/rack-types"


@pytest.fixture
def editor_client(catalog_editor):
    client = APIClient()
    client.force_authenticate(catalog_editor)
    return client


def rack_budgets(client) -> dict[str, float]:
    response = client.get(RACKS)
    assert response.status_code == 200
    return {row["name"]: row["budget_kw"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_an_api_write_is_visible_on_the_next_read(api_client, editor_client, seed_catalog):
    rack = RackType.objects.get(name="std-42u")
    before = rack_budgets(api_client)
    assert rack_budgets(api_client) == before  # served from the cache now
    changed = editor_client.patch(f"{RACKS}/{rack.pk}", {"budget_kw": 17.5}, format="json")
    assert changed.status_code == 200
    assert rack_budgets(api_client)[rack.name] == 17.5
    detail = api_client.get(f"{RACKS}/{rack.pk}").json()
    assert detail["budget_kw"] == 17.5
    created = editor_client.post(RACKS, {"name": "tall-48u", "u_height": 48, "budget_kw": 20.0,
                                         "reserved_u": 2, "reserved_kw": 1.0}, format="json")
    assert created.status_code == 201
    assert "tall-48u" in rack_budgets(api_client)
    assert editor_client.delete(f"{RACKS}/{created.json()['id']}").status_code == 204
    assert "tall-48u" not in rack_budgets(api_client)
    assert api_client.get(f"{RACKS}/{created.json()['id']}").status_code == 404


@pytest.mark.django_db
def test_orm_writes_any_field_and_related_rows_invalidate(api_client, seed_catalog):
    """Receivers cover every inventory model and field (admin edits go through save())."""
    server = ServerModel.objects.select_related("accelerator").get(name="ampereone-a192")
    first = api_client.get(f"/api/v1/server-models/{server.pk}").json()
    server.notes = "re-measured"
    server.save()
    assert api_client.get(f"/api/v1/server-models/{server.pk}").json()["notes"] == "re-measured"
    accelerator = server.accelerator
    accelerator.name = accelerator.name + "-renamed"
    accelerator.save()
    again = api_client.get(f"/api/v1/server-models/{server.pk}").json()
    assert again["accelerator"] == accelerator.name != first["accelerator"]


@pytest.mark.django_db
def test_imports_seed_loads_and_migrations_invalidate(api_client, editor_client, seed_catalog):
    rack = RackType.objects.get(name="std-42u")
    rack_budgets(api_client)
    csv = (f"table,name,u_height,budget_kw,reserved_u,reserved_kw\n"
           f"rack_types,{rack.name},42,9.5,2,1.0\n").encode()
    file = io.BytesIO(csv)
    file.name = "catalog.csv"
    imported = editor_client.post("/api/v1/import/catalog", {"file": file}, format="multipart")
    assert imported.status_code == 200, imported.json()
    assert rack_budgets(api_client)[rack.name] == 9.5
    call_command("loadcatalog", verbosity=0)  # the seed's figure comes back
    assert rack_budgets(api_client)[rack.name] == rack.budget_kw
    # A migration may change rows without model signals: post_migrate bumps the version.
    RackType.objects.filter(pk=rack.pk).update(budget_kw=11.0)  # no signal: still cached
    assert rack_budgets(api_client)[rack.name] == rack.budget_kw
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert rack_budgets(api_client)[rack.name] == 11.0


@pytest.mark.django_db
def test_etag_and_304_before_any_query(api_client, editor_client, seed_catalog):
    first = api_client.get("/api/v1/accelerators")
    etag = first["ETag"]
    assert etag.startswith('"catalog-') and first["Last-Modified"]
    assert first["Cache-Control"] == "no-cache"
    with CaptureQueriesContext(connection) as queries:
        again = api_client.get("/api/v1/accelerators", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content and again["ETag"] == etag
    assert len(queries) == 0
    # Another URL (a filter, a page) has its own ETag.
    assert api_client.get("/api/v1/accelerators?kind=gpu")["ETag"] != etag
    accelerator = Accelerator.objects.first()
    assert editor_client.patch(f"/api/v1/accelerators/{accelerator.pk}", {"tdp_w": 999},
                               format="json").status_code == 200
    after = api_client.get("/api/v1/accelerators", HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag


@pytest.mark.django_db
def test_query_counts(api_client, user, seed_catalog, django_assert_num_queries, settings):
    # The view's own path, sessions in the database (the read cache: test_read_cache.py).
    settings.READ_CACHE = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    with django_assert_num_queries(2):  # a miss: the page and its count
        api_client.get("/api/v1/server-models")
    with django_assert_num_queries(0):  # a hit, anonymous: nothing
        assert api_client.get("/api/v1/server-models").status_code == 200
    with django_assert_num_queries(2):  # another query string is another entry
        assert api_client.get("/api/v1/server-models?ordering=-power_w").status_code == 200
    session = APIClient()
    session.force_login(user)
    with django_assert_num_queries(1):  # a hit, logged in: the session only (throttle bucket)
        assert session.get("/api/v1/server-models").status_code == 200



@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accelerators", "server-models", "rack-types",
                                  "model-classes", "performance-profiles"])
def test_uncached_catalog_reads_query_once_per_page(api_client, seed_catalog,
                                                    django_assert_num_queries, settings, name):
    """Without either cache, a list is its page and its count and a row is one query, however
    many rows the seed catalog holds (no query per row)."""
    settings.READ_CACHE = False
    settings.CATALOG_CACHE = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    with django_assert_num_queries(2):
        listed = api_client.get(f"/api/v1/{name}")
    assert listed.status_code == 200 and listed.json()["count"] > 1
    with django_assert_num_queries(1):
        row = api_client.get(f"/api/v1/{name}/{listed.json()['results'][0]['id']}")
    assert row.status_code == 200

@pytest.mark.django_db
def test_answers_without_a_cache_and_with_a_broken_one(api_client, seed_catalog, settings):
    rack = RackType.objects.get(name="std-42u")
    settings.CATALOG_CACHE = False
    assert "ETag" in api_client.get(RACKS)  # a digest of the body (ConditionalGetMiddleware)
    RackType.objects.filter(pk=rack.pk).update(budget_kw=13.0)
    assert rack_budgets(api_client)[rack.name] == 13.0
    settings.CATALOG_CACHE = True
    settings.CACHES = {
        **settings.CACHES,
        "catalog": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://127.0.0.1:1/0"},  # nothing listens there
    }
    assert rack_budgets(api_client)[rack.name] == 13.0


@pytest.mark.django_db
def test_browsable_api_is_not_served_from_the_cache(api_client, user, seed_catalog):
    api_client.force_login(user)
    html = api_client.get(RACKS, HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and user.username.encode() in html.content
    assert not html["ETag"].startswith('"catalog-')


@pytest.mark.django_db
def test_catalog_reads_are_throttled_by_session_user_and_bad_tokens_refused(user, settings):
    """Catalog reads skip loading the user, not the throttles: a session's user has the user
    rate in their own bucket, anonymous callers the anonymous one; a bad token is a 401."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "4/minute"},
    }
    session = APIClient()
    session.force_login(user)
    for _ in range(4):
        assert session.get(RACKS).status_code == 200
    assert session.get(RACKS).status_code == 429
    anonymous = APIClient()
    for _ in range(2):
        assert anonymous.get(RACKS).status_code == 200
    assert anonymous.get(RACKS).status_code == 429
    bad_token = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert bad_token.get(RACKS).status_code == 401
