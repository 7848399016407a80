"""Throttle history as an array of doubles (config/throttling.py): same counts as DRF's list."""
import time
from array import array

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

URL = "/api/v1/rack-types"
KEY = "throttle_anon_127.0.0.1"  # DRF's key for an anonymous caller at the test client's address


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "3/minute"},
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.mark.django_db
def test_every_request_is_logged_in_an_array_and_the_fourth_is_refused(three_a_minute):
    client = APIClient()
    for logged in range(1, 4):
        assert client.get(URL).status_code == 200
        history = caches["default"].get(KEY)
        assert isinstance(history, array) and len(history) == logged
        assert list(history) == sorted(history, reverse=True)  # newest first, as DRF keeps it
    refused = client.get(URL)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert len(caches["default"].get(KEY)) == 3  # a refused request is not logged (DRF)


@pytest.mark.django_db
def test_a_list_kept_before_still_counts_and_old_entries_leave_the_window(three_a_minute):
    now = time.time()
    caches["default"].set(KEY, [now - 5, now - 10, now - 61])  # DRF's own list, one expired
    client = APIClient()
    assert client.get(URL).status_code == 200  # two in the window, so a third is allowed
    history = caches["default"].get(KEY)
    assert isinstance(history, array) and len(history) == 3 and history[-1] == now - 10
    assert client.get(URL).status_code == 429


@pytest.mark.django_db
def test_a_throttle_looks_the_default_cache_up_once(three_a_minute, monkeypatch):
    """One lookup per throttle for its get and set (DRF's proxy looks it up on each use); the
    local cache takes the throttle's keys unchecked (config/local_cache.py)."""
    from config import throttling
    from config.local_cache import LocalCache

    assert isinstance(caches["default"], LocalCache)
    lookups = []
    real = throttling.caches

    class Counting:
        def __getitem__(self, alias):
            lookups.append(alias)
            return real[alias]

    monkeypatch.setattr(throttling, "caches", Counting())
    assert APIClient().get(URL).status_code == 200
    assert lookups == ["default", "default"]  # each throttle's get and set share one lookup
    assert len(caches["default"].get(KEY)) == 1
