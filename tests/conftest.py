"""Shared fixtures.

Services: tests that need PostgreSQL or Redis call `require_service(...)`. Where the service is
absent they skip, except under REQUIRE_SERVICES=1 (CI), where they fail.
"""
import os
import shutil

import pytest

from bench.processes import PrivateRedis, configure_celery


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(name: str, available: bool, why: str) -> None:
    if available:
        return
    message = f"{name} is not available: {why}"
    if services_required():
        pytest.fail(f"{message} (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own on a free port (fault and cache tests restart it)."""
    require_service("redis-server", shutil.which("redis-server") is not None,
                    "install redis-server (.ci/run does)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def quick_password_hasher():
    """Hash test passwords with MD5: the production hasher (PBKDF2, a million rounds) costs
    0.5-1.5 s per user created or logged in, and the suite does that hundreds of times.
    Deployments keep Django's default hashers (config/settings.py sets none)."""
    from django.test.utils import override_settings

    quick = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    quick.enable()
    yield
    quick.disable()


@pytest.fixture(autouse=True)
def eager_celery():
    """Run tasks in-process unless a test asks for a real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    configure_celery(app, task_always_eager=True)
    yield app
    configure_celery(app, task_always_eager=previous)


@pytest.fixture
def seed_catalog(db):
    from inventory.seed import load_seed_catalog

    return load_seed_catalog()


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user("planner", password="a-long-test-password")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user_client(api_client, user):
    api_client.force_authenticate(user)
    return api_client


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def catalog_editor(db, django_user_model):
    """A user with every inventory add/change/delete permission."""
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", password="a-long-test-password")
    editor.user_permissions.set(
        Permission.objects.filter(content_type__app_label="inventory").exclude(
            codename__startswith="view_"
        )
    )
    return editor


@pytest.fixture(autouse=True)
def catalog_cache_on(settings):
    """Catalog reads are cached in every test (one process: the cache may be local), and each
    test starts at a new catalog version, so no answer cached by another test is served."""
    from inventory import catalog_cache

    settings.CATALOG_CACHE = True
    catalog_cache.bump()
    yield
