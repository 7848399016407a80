"""Generations of what API reads are cached under, and the receivers that bump them.

The read cache (config/read_cache.py) keeps a rendered answer under the generation it was read
under. This module is what writers need, and nothing of the web side: every save, delete and
queryset update of a scenario or a run increments `read:gen:planner` when it commits (model
signals and `VersionedQuerySet`), so a worker's claim, progress or result, and an edit through
the API, a page or the admin, make the next read miss. A user's or token's save or delete drops
its cached row. A cache outage never fails a write (entries expire after READ_CACHE_TIMEOUT_S).
"""
from __future__ import annotations

import hashlib
import logging
import pickle
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

PLANNER_GENERATION = "read:gen:planner"


def enabled() -> bool:
    return bool(getattr(settings, "READ_CACHE", False))


def cache():
    return caches[settings.READ_CACHE_ALIAS]


# ---- generations -------------------------------------------------------------------------

def first_generation() -> int:
    """Where a counter starts in an empty cache (first use, or Redis restarted or flushed):
    the clock in microseconds, far above any count reached before, so a number read under an
    earlier counter is never current again (web processes keep copies of answers by number,
    config/read_cache.py)."""
    return time.time_ns() // 1000


def increment(key: str, store=None) -> None:
    """Count `key` up by one, starting it at `first_generation` when the cache has none."""
    store = store if store is not None else cache()
    try:
        store.incr(key)
    except ValueError:  # no counter yet: start one
        if not store.add(key, first_generation(), timeout=None):
            store.incr(key)


def bump(key: str) -> None:
    """A new generation: every entry read under an older one is stale."""
    try:
        increment(key)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write
        logger.warning("read cache: could not bump %s", key, exc_info=True)


def bump_after_write(key: str = PLANNER_GENERATION) -> None:
    """Bump now and, inside a transaction, again when it commits: a read between the two may
    keep the old rows under the new number, and the second bump retires them. Outside one the
    write is committed already, and one bump does."""
    if not enabled():
        return
    bump(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: bump(key))


class VersionedQuerySet(QuerySet):
    """A queryset whose bulk updates bump the planner generation (saves and deletes send
    signals, which `connect` handles): a worker's claim, progress and result reach the next
    read of the run."""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if count:
            bump_after_write()
        return count

    update.alters_data = True


def row_changed(sender: type[Model], **kwargs: Any) -> None:
    bump_after_write()


def user_key(user_id: object) -> str:
    """Where a user's record is kept (v2: `user_record`'s tuple, no longer the pickled row)."""
    return f"read:user:v2:{user_id}"


def token_key(key: str) -> str:
    return "read:token:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def user_record(user) -> tuple:
    """What the cache keeps of a user: the facts a kept read checks (id, active, staff, the
    password hash its sessions are proved against) and the row pickled apart, unpickled only
    when a view needs the user (config/read_cache.py's CachedUser)."""
    return (USER_RECORD, user.pk, user.is_active, bool(getattr(user, "is_staff", False)),
            user.password, pickle.dumps(user, pickle.HIGHEST_PROTOCOL))


USER_RECORD = "user:v1"


def remember_user(user) -> tuple:
    record = user_record(user)
    cache().set(user_key(user.pk), record, timeout=settings.READ_CACHE_AUTH_TIMEOUT_S)
    return record


def forget_user(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """post_save / post_delete of a user: drop the cached row now and after the commit (and
    retire cached scenario reads, which show the owner's name)."""
    def forget() -> None:
        try:
            cache().delete(user_key(instance.pk))
        except Exception:  # noqa: BLE001
            logger.warning("read cache: could not forget user %s", instance.pk, exc_info=True)

    if enabled():
        forget()
        transaction.on_commit(forget)
        bump_after_write()


def forget_token(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    def forget() -> None:
        try:
            cache().delete(token_key(instance.key))
        except Exception:  # noqa: BLE001
            logger.warning("read cache: could not forget a token", exc_info=True)

    if enabled():
        forget()
        transaction.on_commit(forget)


def connect(user_model: type[Model], planner_models: list[type[Model]]) -> None:
    """Connect the receivers (from PlannerConfig.ready)."""
    for model in planner_models:
        post_save.connect(row_changed, sender=model, dispatch_uid=f"read-cache-{model.__name__}")
        post_delete.connect(row_changed, sender=model,
                            dispatch_uid=f"read-cache-del-{model.__name__}")
    post_save.connect(forget_user, sender=user_model, dispatch_uid="read-cache-user")
    post_delete.connect(forget_user, sender=user_model, dispatch_uid="read-cache-user-del")
    post_save.connect(forget_token, sender="authtoken.Token", dispatch_uid="read-cache-token")
    post_delete.connect(forget_token, sender="authtoken.Token",
                        dispatch_uid="read-cache-token-del")
