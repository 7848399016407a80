"""Versioned caching of catalog reads.

Every catalog answer is cached under the catalog's **version**, a counter in the catalog cache
(settings.CATALOG_CACHE_ALIAS: Redis when REDIS_URL or CACHE_REDIS_URL is set, so every web
process sees the same number). Any write to any `inventory` model (save or delete, whatever
its fields: receivers are connected for the whole app, not per field set), a catalog import or
load (they save rows), and every migration bump it, so the next read misses and is rebuilt
from the database. Nothing is ever invalidated key by key.

A write bumps the version at once and again when its transaction commits: a read that runs
between the two could cache the old rows under the new number, and the second bump retires it.

The version also makes the ETag: `"catalog-<version>-<digest of the request>"`, so a client
that sends it back in `If-None-Match` gets a 304 without a single query. Entries expire after
CATALOG_CACHE_TIMEOUT_S anyway, which bounds how long a bump lost to a cache outage can leave
an old answer in place.

Caching is on when the cache is shared between processes (settings.CATALOG_CACHE): per-process
memory would let one web process serve rows another has just changed.
"""
import hashlib
import logging
import time
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from config.read_versions import increment

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
MODIFIED_KEY = "catalog:modified"
APP_LABEL = "inventory"


def cache():
    return caches[settings.CATALOG_CACHE_ALIAS]


def enabled() -> bool:
    return bool(settings.CATALOG_CACHE)


def bump() -> None:
    """A new catalog version: every cached answer and ETag so far is stale."""
    store = cache()
    try:
        increment(VERSION_KEY, store)
        store.set(MODIFIED_KEY, time.time(), timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write; see timeout
        logger.warning("catalog cache: could not bump the version", exc_info=True)


def bump_now_and_on_commit() -> None:
    bump()
    transaction.on_commit(bump)


def row_changed(sender: type[Model], **kwargs: Any) -> None:
    """post_save / post_delete / m2m_changed receiver for every model (filters by app)."""
    if sender._meta.app_label == APP_LABEL:
        bump_now_and_on_commit()


def migrated(sender: Any, **kwargs: Any) -> None:
    """post_migrate receiver: a migration may have changed rows without signals."""
    bump()


def connect() -> None:
    """Connect the receivers (from InventoryConfig.ready)."""
    post_save.connect(row_changed, dispatch_uid="catalog-cache-save")
    post_delete.connect(row_changed, dispatch_uid="catalog-cache-delete")
    m2m_changed.connect(row_changed, dispatch_uid="catalog-cache-m2m")
    post_migrate.connect(migrated, dispatch_uid="catalog-cache-migrate")


def request_digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:24]


def lookup(digest: str) -> tuple[str, Any, str | None]:
    """(ETag, cached data or None, Last-Modified or None) for a request's digest, in one cache
    round trip."""
    data_key = f"catalog:data:{digest}"
    found = cache().get_many([VERSION_KEY, MODIFIED_KEY, data_key])
    version = found.get(VERSION_KEY)
    if version is None:  # fresh cache: start the count so that the ETag means something
        bump()
        version = cache().get(VERSION_KEY, 0)
    entry = found.get(data_key)
    data = entry[1] if isinstance(entry, tuple) and entry[0] == version else None
    modified = found.get(MODIFIED_KEY)
    last_modified = formatdate(modified, usegmt=True) if modified else None
    return f'"catalog-{version}-{digest}"', data, last_modified


def store(digest: str, etag: str, data: Any) -> None:
    version = int(etag.split("-")[1])
    cache().set(f"catalog:data:{digest}", (version, data),
                timeout=settings.CATALOG_CACHE_TIMEOUT_S)
