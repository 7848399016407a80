"""The Redis cache backend (config/redis_cache.py) against a private redis-server: `get_many`
answers as Django's does on a connection of the thread's own, survives a restarted Redis,
fails (for the read cache to answer from the view) while Redis is away, and the read cache's
fast path answers through it."""
import threading

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from config import read_versions
from config.redis_cache import ReusingRedisCache
from planner.models import Run, Scenario
from planner.solver.examples import STUDY_RACK_PROBLEM


@pytest.fixture
def store(private_redis):
    backend = ReusingRedisCache(private_redis.url, {"KEY_PREFIX": "t",
                                                    "OPTIONS": {"socket_connect_timeout": 0.5}})
    yield backend
    backend.close()


def test_get_many_answers_as_the_pool_does(store):
    store.set("a", {"x": 1})
    store.set("b", 2)
    assert store.get_many(["a", "missing", "b"]) == {"a": {"x": 1}, "b": 2}
    client = store._cache.get_client()
    keys = [store.make_and_validate_key(k) for k in ("a", "missing", "b")]
    through_pool = zip(keys, client.mget(keys), strict=True)
    assert store._cache.get_many(keys) == {
        k: store._cache._serializer.loads(v) for k, v in through_pool if v
    }
    assert store.get_many([]) == {}


def test_each_thread_has_its_own_connection(store):
    store.set("a", 1)
    seen = []

    def read() -> None:
        assert store.get_many(["a"]) == {"a": 1}
        seen.append(store._cache._direct.by_index[0][1])

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read()
    assert len({id(connection) for connection in seen}) == 3


def test_a_forked_process_makes_its_own_connection(store, monkeypatch):
    store.set("a", 1)
    store.get_many(["a"])
    parent = store._cache._direct.by_index[0][1]
    monkeypatch.setattr("config.redis_cache.os.getpid", lambda: -1)
    assert store.get_many(["a"]) == {"a": 1}
    assert store._cache._direct.by_index[0][1] is not parent
    assert parent.is_connected  # the parent's socket is left alone


def test_a_restarted_redis_and_one_away(store, private_redis):
    store.set("a", 1)
    assert store.get_many(["a"]) == {"a": 1}
    private_redis.stop()
    private_redis.start()  # same port, empty: the kept connection is closed
    store.set("a", 2)
    assert store.get_many(["a"]) == {"a": 2}  # sent again on a new connection
    private_redis.stop()
    with pytest.raises(RedisConnectionError):
        store.get_many(["a"])
    with pytest.raises(RedisConnectionError):
        store.get_many(["a"])
    private_redis.start()
    store.set("a", 3)
    assert store.get_many(["a"]) == {"a": 3}


@pytest.mark.django_db
def test_kept_reads_through_redis(private_redis, user, settings, django_assert_num_queries):
    """The read cache as in production: sessions, users and answers in Redis, one MGET."""
    shared = {"BACKEND": "config.redis_cache.ReusingRedisCache", "LOCATION": private_redis.url,
              "KEY_PREFIX": "rack-planner"}
    with override_settings(CACHES={**settings.CACHES, settings.READ_CACHE_ALIAS: shared},
                           READ_CACHE=True,
                           SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
                           SESSION_CACHE_ALIAS=settings.READ_CACHE_ALIAS):
        read_versions.bump(read_versions.PLANNER_GENERATION)
        scenario = Scenario.objects.create(name="s", owner=user, problem=STUDY_RACK_PROBLEM)
        run = Run.objects.create(scenario=scenario, problem=STUDY_RACK_PROBLEM)
        client = APIClient()
        client.force_login(user)
        url = f"/api/v1/runs/{run.pk}"
        first = client.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.status_code == 200 and again.content == first.content
        assert redis.Redis.from_url(private_redis.url).keys("rack-planner:*read:entry:*")
        Run.objects.filter(pk=run.pk).update(note="changed")
        assert client.get(url).json()["note"] == "changed"
        assert APIClient().get(url).status_code == 401
        caches[settings.READ_CACHE_ALIAS].clear()
