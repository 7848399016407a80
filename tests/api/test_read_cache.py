"""The read cache (config/read_cache.py): kept answers come without a query, every write is
visible on the next read, and who may read what, the throttles and 304s hold on the fast path."""
import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config import read_cache, read_versions
from inventory import catalog_cache
from inventory.models import RackType
from planner.models import Run, Scenario
from planner.runs.execution import execute_run
from planner.solver.examples import STUDY_RACK_PROBLEM


@pytest.fixture(autouse=True)
def read_cache_on(settings):
    """As in production with Redis: answers, sessions and users in the shared cache (one
    process here, so a local one stands in for it)."""
    settings.READ_CACHE = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = settings.READ_CACHE_ALIAS
    caches[settings.READ_CACHE_ALIAS].clear()
    # A flushed cache starts each count at the first read, which keeps nothing; start them here.
    read_versions.bump(read_versions.PLANNER_GENERATION)
    catalog_cache.bump()
    yield
    caches[settings.READ_CACHE_ALIAS].clear()


@pytest.fixture
def run(user):
    scenario = Scenario.objects.create(name="study", owner=user, problem=STUDY_RACK_PROBLEM)
    return Run.objects.create(scenario=scenario, problem=STUDY_RACK_PROBLEM)


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_kept_read_costs_no_query(user, run, django_assert_num_queries):
    client = signed_in(user)
    for url in (f"/api/v1/runs/{run.pk}", f"/api/v1/scenarios/{run.scenario_id}"):
        first = client.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(0):  # session, user and answer from the cache
            again = client.get(url)
        assert again.status_code == 200 and again.content == first.content
        assert again["ETag"] == first["ETag"] and again["Content-Type"] == first["Content-Type"]


@pytest.mark.django_db
def test_a_kept_read_has_the_views_headers(user, run, seed_catalog,
                                           django_assert_num_queries):
    """The fast path sits above the frame-options and CSP middlewares: their headers are kept
    with the answer, so both paths answer with the same headers."""
    client = signed_in(user)
    for url in (f"/api/v1/runs/{run.pk}", f"/api/v1/scenarios/{run.scenario_id}",
                "/api/v1/accelerators"):
        first = client.get(url, HTTP_ACCEPT="application/json")
        assert first.status_code == 200
        assert first["X-Frame-Options"] and first["Content-Security-Policy"]
        for _ in range(2):  # the kept headers are copied: nothing added above them stays
            with django_assert_num_queries(0):
                again = client.get(url, HTTP_ACCEPT="application/json")
            assert dict(again.items()) == dict(first.items())


@pytest.mark.django_db
def test_every_write_is_visible_on_the_next_read(user, run):
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    assert client.get(url).json()["status"] == "queued"
    client.get(url)  # kept now
    execute_run(run.pk)  # a worker's claim and result: queryset updates
    solved = client.get(url).json()
    assert solved["status"] == "succeeded" and solved["statistics"]["status"] == "optimal"
    Run.objects.filter(pk=run.pk).update(progress={"phase": "bulk"})
    assert client.get(url).json()["progress"] == {"phase": "bulk"}
    run.refresh_from_db()
    run.note = "saved"
    run.save()
    assert client.get(url).json()["note"] == "saved"

    scenario_url = f"/api/v1/scenarios/{run.scenario_id}"
    client.get(scenario_url)
    patched = client.patch(scenario_url, {"description": "via the API"}, format="json")
    assert patched.status_code == 200
    assert client.get(scenario_url).json()["description"] == "via the API"
    user.username = "renamed"
    user.save()
    assert client.get(scenario_url).json()["owner"] == "renamed"
    assert client.delete(scenario_url).status_code == 204
    assert client.get(scenario_url).status_code == 404
    assert client.get(url).status_code == 404  # its runs went with it


@pytest.mark.django_db
def test_others_get_404_staff_200_anonymous_401_on_a_kept_read(user, run, django_user_model):
    url = f"/api/v1/runs/{run.pk}"
    owner = signed_in(user)
    assert owner.get(url).status_code == 200
    assert owner.get(url).status_code == 200  # kept
    caches["default"].clear()
    stranger = django_user_model.objects.create_user("stranger", password="a-long-password-1")
    assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(stranger).get(f"/api/v1/scenarios/{run.scenario_id}").status_code == 404
    assert APIClient().get(url).status_code == 401
    staff = django_user_model.objects.create_user("boss", password="a-long-password-2",
                                                  is_staff=True)
    assert signed_in(staff).get(url).status_code == 200
    # A deactivated owner's session no longer reads (the cached user row was dropped).
    user.is_active = False
    user.save()
    assert owner.get(url).status_code in {401, 403}


@pytest.mark.django_db
def test_tokens_on_the_fast_path(user, run, django_assert_num_queries):
    token = Token.objects.create(user=user)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = f"/api/v1/runs/{run.pk}"
    assert client.get(url).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
    assert APIClient(HTTP_AUTHORIZATION="Token not-a-token").get(url).status_code == 401
    token.delete()
    assert client.get(url).status_code == 401


@pytest.mark.django_db
def test_conditional_gets_and_throttles_hold_on_the_fast_path(user, run, settings):
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # kept and current
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    caches["default"].clear()
    for _ in range(3):
        assert client.get(url).status_code == 200
    throttled = client.get(url)
    assert throttled.status_code == 429 and throttled["Retry-After"]
    assert throttled.json()["detail"]


@pytest.mark.django_db
def test_catalog_reads_are_kept_and_writes_visible(seed_catalog, catalog_editor,
                                                   django_assert_num_queries):
    anonymous = APIClient()
    url = "/api/v1/rack-types"
    first = anonymous.get(url)
    with django_assert_num_queries(0):
        again = anonymous.get(url)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    rack = RackType.objects.get(name="std-42u")
    editor = APIClient()
    editor.force_authenticate(catalog_editor)
    assert editor.patch(f"{url}/{rack.pk}", {"budget_kw": 16.5}, format="json").status_code == 200
    budgets = {row["name"]: row["budget_kw"] for row in anonymous.get(url).json()["results"]}
    assert budgets["std-42u"] == 16.5


@pytest.mark.django_db
def test_reads_answer_when_the_cache_fails(user, run, settings):
    """The cache is an accelerator: pointed at a Redis that is not there, reads still answer."""
    dead = {"BACKEND": "config.redis_cache.ReusingRedisCache", "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2}}
    client = signed_in(user)
    with override_settings(CACHES={**settings.CACHES, settings.READ_CACHE_ALIAS: dead},
                           SESSION_ENGINE="django.contrib.sessions.backends.db"):
        for _ in range(2):
            answer = client.get(f"/api/v1/runs/{run.pk}")
            assert answer.status_code == 200 and answer.json()["id"] == run.pk


class CountingCache:
    """The read cache's store, counting the round trips a request makes."""

    def __init__(self, store):
        self.store, self.trips = store, []

    def get_many(self, keys, *args, **kwargs):
        self.trips.append(("get_many", tuple(keys)))
        return self.store.get_many(keys, *args, **kwargs)

    def get(self, key, *args, **kwargs):
        self.trips.append(("get", key))
        return self.store.get(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.store, name)


def keys_of_the_one_trip(client: APIClient, url: str, monkeypatch) -> list[str]:
    """Read `url` twice; the second, kept read must be the same answer in one round trip to
    the cache (a get_many): the keys it carried."""
    first = client.get(url)
    counting = CountingCache(read_versions.cache())
    monkeypatch.setattr(read_cache, "cache", lambda: counting)
    again = client.get(url)
    monkeypatch.undo()
    assert again.status_code == 200 and again.content == first.content
    assert len(counting.trips) == 1 and counting.trips[0][0] == "get_many"
    return list(counting.trips[0][1])


@pytest.mark.django_db
def test_a_known_session_reads_in_one_round_trip_without_moving_the_body(user, run,
                                                                       monkeypatch):
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    client.get(url)
    keys = keys_of_the_one_trip(client, url, monkeypatch)
    # One trip: the generation, the session and its user; the body is this process's copy.
    assert not any(key.startswith("read:entry:") for key in keys)


@pytest.mark.django_db
def test_a_signed_in_catalog_read_fetches_no_user(user, seed_catalog, monkeypatch, settings):
    """A public answer reads no user: the one trip carries the generation and the session
    only, and the signed-in caller is still counted in the user throttle (by the session)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "1000/minute",
                                                          "user": "3/minute"}}
    client = signed_in(user)
    url = "/api/v1/rack-types"
    keys = keys_of_the_one_trip(client, url, monkeypatch)
    assert not any(key.startswith("read:user:") for key in keys)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429  # the fourth read of this user in a minute


@pytest.mark.django_db
def test_a_wrong_guess_of_the_session_user_costs_a_trip_not_the_answer(user, run,
                                                                       django_user_model):
    other = django_user_model.objects.create_user("other", password="x")
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    client.get(url)
    read_cache.session_users.put(client.session.session_key, other.pk)
    assert client.get(url).status_code == 200  # the session's own user, not the guess
    intruder = signed_in(other)
    client.get(url)
    assert intruder.get(url).status_code == 404


@pytest.mark.django_db
def test_a_flushed_cache_never_revives_a_process_copy(user, run):
    """Redis restarted empty: counters start again above any number read before, so a copy
    kept under an old number is never taken for current."""
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    read_versions.cache().clear()  # a counter started from empty, as after the restart below
    read_versions.bump(read_versions.PLANNER_GENERATION)
    client.get(url)
    assert client.get(url).json()["status"] == "queued"  # kept, here and in the shared cache
    read_versions.cache().clear()
    Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED)  # bumps a fresh counter
    assert client.get(url).json()["status"] == "failed"


@pytest.mark.django_db
def test_a_kept_read_checks_the_users_record_without_unpickling_the_row(user, run,
                                                                        monkeypatch):
    """The cache keeps a user's facts apart from the pickled row: a kept read checks the
    facts, and the session's auth hash is computed once per password in this process."""
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    first = client.get(url)
    client.get(url)  # kept; the user's record and hash are known now
    rows, hashes = [], []
    monkeypatch.setattr(read_cache.CachedUser, "row",
                        lambda self: rows.append(self.pk) or pytest.fail("row unpickled"))
    original = user.__class__.get_session_auth_hash
    monkeypatch.setattr(user.__class__, "get_session_auth_hash",
                        lambda self: hashes.append(self.pk) or original(self))
    for _ in range(3):
        again = client.get(url)
        assert again.status_code == 200 and again.content == first.content
    assert rows == [] and hashes == []


@pytest.mark.django_db
def test_a_changed_password_ends_the_old_sessions_on_a_kept_read(user, run):
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # kept
    user.set_password("another-long-password-2")
    user.save()
    assert client.get(url).status_code in {401, 403}
    assert signed_in(user).get(url).status_code == 200


@pytest.mark.django_db
def test_a_user_entry_of_another_shape_is_read_from_the_database(user, run):
    """An entry this release does not read (an older release's pickled row, say) is a miss."""
    client = signed_in(user)
    url = f"/api/v1/runs/{run.pk}"
    assert client.get(url).status_code == 200
    read_versions.cache().set(read_versions.user_key(user.pk), user)
    assert client.get(url).status_code == 200
    assert read_cache.CachedUser.of(read_versions.cache().get(read_versions.user_key(user.pk)))


@pytest.mark.django_db
def test_a_view_behind_the_fast_path_gets_the_real_user(user, run, settings, django_user_model):
    """A kept read the fast path refuses (throttled, not the owner) goes to the view, which
    reads the user row, not the record."""
    client = signed_in(user)
    url = f"/api/v1/scenarios/{run.scenario_id}"
    assert client.get(url).json()["owner"] == user.username
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "1/minute"}}
    caches["default"].clear()
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and refused["Retry-After"]
    caches["default"].clear()
    stranger = django_user_model.objects.create_user("stranger", password="a-long-password-1")
    other = signed_in(stranger)
    assert other.get(url).status_code == 404  # the stranger's record is kept from now on
    caches["default"].clear()
    assert other.get(url).status_code == 404  # the record found in the trip; the view's check
