"""API reads served from a shared cache as early as a request allows (issue 15).

A catalog, scenario or run read that a view has answered once is kept, rendered, in the
shared cache (settings.READ_CACHE_ALIAS: Redis) under the request's URL and `Accept` header.
`ReadCacheMiddleware`, placed right after the session and authentication middlewares,
answers the next identical GET from there without the middlewares below it, URL resolution,
DRF, a serializer or a query, when all of this holds:

* **It is current.** Each entry carries the *generation* it was read under: a counter in the
  same cache that every write to the rows behind it increments after it commits
  (`catalog:version` for the catalog, inventory/catalog_cache.py; `read:gen:planner` for
  scenarios and runs: their saves, deletes and queryset updates, see `VersionedQuerySet`).
  The generation is read before the view reads the database, so an entry is never newer than
  its number says, and a write is visible on the next read.
* **The caller may see it.** Entries of scenarios and runs carry their owner's id; the caller
  must be that user or staff (the rule of `planner.access.is_owner`), else the view answers
  (404 for others, 401 for anonymous). Catalog entries are public.
* **The caller is who they say.** A session's user comes from the cache
  (`CachedAuthenticationMiddleware`: the session's auth hash is checked as Django checks it);
  a `Token` header is looked up in the cache. Anything else (another scheme, an unknown
  token, a stale session) goes to the view, which answers as ever.
* **The throttles allow it.** The fast path counts the request in the same throttles as the
  views (settings.REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES); a throttled caller is passed to
  the view, which answers the 429 with its `Retry-After`.

Headers added by the middlewares above this one (ETag and 304 from ConditionalGetMiddleware,
security headers, `Vary: Cookie`) are added to both paths alike; the headers set below it (the
view's type, `Vary: Accept`, the catalog's ETag and Last-Modified; the frame options and CSP
middlewares', which depend on settings only for a JSON answer) are stored with the body. The
middlewares skipped on the fast path do nothing else for such a GET: the change history and
django-axes act on writes and logins, and no API read reads or adds a message.

Everything here is an accelerator: without a shared cache (READ_CACHE off) or when the cache
fails, requests take the ordinary path. Writes that bypass both model signals and the querysets
(raw SQL) are seen after READ_CACHE_TIMEOUT_S at the latest; a user or token changed that way
after READ_CACHE_AUTH_TIMEOUT_S.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
import re
import time
from collections.abc import Callable
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBSession
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.http.response import ResponseHeaders
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings

from config.read_versions import (
    USER_RECORD,
    bump,
    cache,
    enabled,
    remember_user,
    token_key,
    user_key,
)

logger = logging.getLogger(__name__)
#: The session backend whose users the cache may stand in for (ModelBackend.get_user: the
#: row by id, active users only).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
#: The view's mark on a response that may be kept: the owner's id, or PUBLIC.
RESPONSE_ATTRIBUTE = "read_cache_owner"
PUBLIC = "public"
#: Entries' key prefix; a new one when what an entry holds changes (v2: the headers of the
#: middlewares below this one), so a deploy never answers from an older release's entries.
ENTRY_PREFIX = "read:entry:v2:"


NOT_FETCHED = object()


class SessionHashes:
    """This process's session auth hashes by (secret key, password hash): the HMAC Django
    computes on every signed-in request (`get_session_auth_hash`, a function of the two), once
    per user and key. Bounded: the oldest go first."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.hashes: dict[tuple[str, str], str] = {}

    def of(self, user: CachedUser) -> str:
        key = (settings.SECRET_KEY, user.password)
        found = self.hashes.get(key)
        if found is None:
            found = self.hashes[key] = user.row().get_session_auth_hash()
            if len(self.hashes) > self.size:
                del self.hashes[next(iter(self.hashes))]
        return found


session_hashes = SessionHashes()


class CachedUser:
    """A user as the cache keeps it (read_versions.user_record): what a kept read checks, and
    the row, unpickled on the first `row()` only (a kept read never asks for it)."""

    __slots__ = ("pk", "is_active", "is_staff", "password", "_blob", "_row")
    is_authenticated = True
    is_anonymous = False

    def __init__(self, record: tuple, row=None) -> None:
        _, self.pk, self.is_active, self.is_staff, self.password, self._blob = record
        self._row = row

    @classmethod
    def of(cls, record: object) -> CachedUser | None:
        """The record's user; None for no record or one this release does not read."""
        if (isinstance(record, tuple) and len(record) == 6 and record[0] == USER_RECORD):
            return cls(record)
        return None

    def row(self):
        if self._row is None:
            self._row = pickle.loads(self._blob)  # noqa: S301 - our own cache's record
        return self._row


def cached_session_user(request: HttpRequest, record=NOT_FETCHED) -> CachedUser | None:
    """The session's user from the cache when the session still proves it (same checks as
    `django.contrib.auth.get_user` for ModelBackend); None sends the caller the usual way.
    `record`: the cache's entry for the session's user id, when the caller fetched it already."""
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None or session.get(auth.BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return None
    if MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return None
    if record is NOT_FETCHED:
        record = cache().get(user_key(user_id))
    user = CachedUser.of(record)
    if user is None or str(user.pk) != str(user_id) or not user.is_active:
        return None
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, session_hashes.of(user)):
        return None  # Django's get_user decides (key fallbacks, flushing the session)
    return user


def session_user(request: HttpRequest):
    if not hasattr(request, "_cached_user"):
        user = None
        if enabled():
            try:
                cached = cached_session_user(request)
                user = cached.row() if cached is not None else None
            except Exception:  # noqa: BLE001 - the cache is an accelerator
                logger.warning("read cache: session user lookup failed", exc_info=True)
        if user is None:
            user = auth.get_user(request)
            if enabled() and user.is_authenticated:
                try:
                    remember_user(user)
                except Exception:  # noqa: BLE001
                    logger.warning("read cache: could not keep a user", exc_info=True)
        request._cached_user = user
    return request._cached_user


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, with the session's user row kept in the shared cache
    (dropped on every save or delete of the user)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: session_user(request))


def token_user(header: str) -> CachedUser | None:
    """The active user of `Authorization: Token <key>`, or None (the view then answers)."""
    from_header = header.split()
    if len(from_header) != 2 or from_header[0].lower() != "token":
        return None
    return user_of_token(from_header[1])


def user_of_token(key: str) -> CachedUser | None:
    """The active user a token key names, through the cache; None for no such token."""
    store = cache()
    user_id = store.get(token_key(key))
    user = CachedUser.of(store.get(user_key(user_id))) if user_id is not None else None
    if user is None:
        token = auth_token_model().objects.select_related("user").filter(key=key).first()
        if token is None:
            return None
        store.set(token_key(key), token.user.pk, timeout=settings.READ_CACHE_AUTH_TIMEOUT_S)
        user = CachedUser(remember_user(token.user), row=token.user)
    return user if user.is_active else None


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the token's user kept in the shared cache (dropped when
    the token or the user is saved or deleted). An unknown token or inactive user is answered
    by DRF's own checks, with its messages."""

    def authenticate_credentials(self, key: str):
        if enabled():
            try:
                cached = user_of_token(key)
            except Exception:  # noqa: BLE001 - the cache is an accelerator
                logger.warning("read cache: token lookup failed", exc_info=True)
                cached = None
            if cached is not None:
                user = cached.row()
                return user, auth_token_model()(key=key, user=user)
        return super().authenticate_credentials(key)


@lru_cache(maxsize=1)
def auth_token_model() -> type[Model]:
    return apps.get_model("authtoken", "Token")


# ---- the cached answers ----------------------------------------------------------------------

def allow(response: HttpResponse, owner_id: int | None = None) -> HttpResponse:
    """Mark a view's 200 answer as one the middleware may keep: readable by `owner_id` (and
    staff) only, or by anyone when None."""
    setattr(response, RESPONSE_ATTRIBUTE, PUBLIC if owner_id is None else owner_id)
    return response


@lru_cache(maxsize=1)
def routes() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(pattern), generation)
            for pattern, generation in settings.READ_CACHE_ROUTES]


def route_of(path: str) -> str | None:
    for pattern, generation in routes():
        if pattern.match(path):
            return generation
    return None


class SessionUsers:
    """Which user id each session key of this process's recent callers named: a guess, so
    that the user's cache entry can be fetched in the same round trip as the session. A guess
    is only ever used after the session fetched with it confirms it, so a stale one costs one
    more round trip, never a wrong user. Bounded: the oldest guesses go first."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.user_ids: dict[str, object] = {}

    def get(self, session_key: str) -> object:
        return self.user_ids.get(session_key)

    def put(self, session_key: str, user_id: object) -> None:
        self.user_ids.pop(session_key, None)
        self.user_ids[session_key] = user_id
        if len(self.user_ids) > self.size:
            del self.user_ids[next(iter(self.user_ids))]


session_users = SessionUsers()


class LocalEntries:
    """This process's copies of kept answers: a current one (same generation as the shared
    cache's counter, read in the request's one round trip) is answered without moving its body
    through Redis again. A copy lives no longer than the shared entry it copies
    (`expires_at`, READ_CACHE_TIMEOUT_S), so writes that bump no generation are seen as late
    as with the shared cache alone, never later. Bounded: the oldest go first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.entries: dict[str, dict] = {}

    def get(self, key: str) -> dict | None:
        entry = self.entries.get(key)
        if entry is not None and entry["expires_at"] <= time.time():
            del self.entries[key]
            return None
        return entry

    def put(self, key: str, entry: dict) -> None:
        if "expires_at" not in entry:  # kept by an older release: no expiry to honour
            return
        self.entries.pop(key, None)
        self.entries[key] = entry
        if len(self.entries) > self.size:
            del self.entries[next(iter(self.entries))]

    def clear(self) -> None:
        self.entries.clear()


local_entries = LocalEntries()


def preloadable_session_key(session) -> str | None:
    """The cache key of a not yet loaded session of Django's cached_db engine kept in the read
    cache's own store (settings: SESSION_CACHE_ALIAS = READ_CACHE_ALIAS), else None."""
    if not isinstance(session, CachedDBSession) or not session.session_key:
        return None
    if settings.SESSION_CACHE_ALIAS != settings.READ_CACHE_ALIAS:
        return None
    if getattr(session, "_session_cache", None) is not None:
        return None  # loaded already
    return session.cache_key


def seed_session(session, data: object) -> None:
    """Give a session the data its engine would have read from the same cache entry
    (cached_db's `load`); on a miss the engine reads the database itself, as ever."""
    if isinstance(data, dict):
        session._session_cache = data


def entry_key(request: HttpRequest) -> str:
    """The entry of this host, path, query and `Accept`. The host as the request names it:
    what `get_host()` answers once it has checked it against ALLOWED_HOSTS, which
    CommonMiddleware (above) did already; a host it would refuse never reaches a view that
    keeps an answer. The path and query as they came, without `get_full_path`'s quoting."""
    meta = request.META
    digest = hashlib.sha256(
        "\x00".join([request._get_raw_host(), meta.get("SCRIPT_NAME", ""), request.path_info,
                     meta.get("QUERY_STRING", ""), meta.get("HTTP_ACCEPT", "")]).encode("utf-8")
    ).hexdigest()[:32]
    return f"{ENTRY_PREFIX}{digest}"


def throttles_allow(request: HttpRequest, user) -> bool:
    """The views' throttles, counting this request (rest_framework's own classes)."""
    drf_request = Request(request)
    if user is not None:
        # The throttle's caller is this user (config/throttling.py). Set on the DRF request
        # only: a CachedUser must never become the Django request's user, which a view
        # answering after a refusal would read.
        drf_request._user = user
    return all(throttle().allow_request(drf_request, None)
               for throttle in api_settings.DEFAULT_THROTTLE_CLASSES)


class KeptHeaders(ResponseHeaders):
    """A kept answer's headers, checked (encoding, no newlines) once per entry in this process
    rather than one by one on every answer: Django's ResponseHeaders, filled from the checked
    mapping it built the first time (a copy: the middlewares above add their own headers)."""

    def __init__(self, checked: dict) -> None:
        self._store = dict(checked)

    @classmethod
    def of(cls, entry: dict) -> KeptHeaders:
        checked = entry.get("checked_headers")
        if checked is None:  # this process's copy keeps it (LocalEntries: the same dict)
            checked = entry["checked_headers"] = ResponseHeaders(entry["headers"])._store
        return cls(checked)


class ReadCacheMiddleware:
    """Answer kept GETs of READ_CACHE_ROUTES (module doc); keep the views' marked answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not enabled():
            return self.get_response(request)
        generation_key = route_of(request.path_info)
        if generation_key is None:
            return self.get_response(request)
        key = entry_key(request)
        try:
            found, user_id = self.fetch(request, generation_key, key)
            caller = None
            if user_id is not None and not hasattr(request, "_cached_user"):
                caller = cached_session_user(request, found.get(user_key(user_id)))
            generation = found.get(generation_key)
            entry = found.get(key)
            if generation is not None and entry and entry["generation"] == generation:
                answer = self.answer(request, entry, caller)
                if answer is not None:
                    return answer
            if caller is not None and not hasattr(request, "_cached_user"):
                request._cached_user = caller.row()  # the view's user, without a trip
        except Exception:  # noqa: BLE001 - the cache is an accelerator; answer without it
            logger.warning("read cache unavailable; answering from the view", exc_info=True)
            return self.get_response(request)
        response = self.get_response(request)
        self.keep(response, key, generation_key, generation)
        return response

    def fetch(self, request: HttpRequest, generation_key: str, key: str) -> tuple[dict, object]:
        """The generation, the kept answer, the session and the session's user in one round
        trip when this process has seen the session before (`session_users`), else two; and
        the session's user id (None: anonymous, or a token caller)."""
        local = local_entries.get(key)
        keys = [generation_key] if local is not None else [generation_key, key]
        # A public answer (the catalog's) needs no user: `answer` reads none, and the throttle
        # finds the caller's id in the session. A URL's answers are all public or all owned.
        public = local is not None and local["owner"] == PUBLIC
        session = None if "HTTP_AUTHORIZATION" in request.META else request.session
        session_cache_key = preloadable_session_key(session)
        guessed_user_id = None
        if session_cache_key is not None:
            keys.append(session_cache_key)
            guessed_user_id = None if public else session_users.get(session.session_key)
            if guessed_user_id is not None:
                keys.append(user_key(guessed_user_id))
        store = cache()
        found = store.get_many(keys)
        self.current_entry(found, generation_key, key, local)
        if session is None:
            return found, None
        if session_cache_key is not None:
            seed_session(session, found.get(session_cache_key))
        user_id = session.get(auth.SESSION_KEY)
        if user_id is None or public:
            return found, None
        if user_id != guessed_user_id:  # a session new to this process, or a guess gone stale
            session_users.put(session.session_key, user_id)
            found[user_key(user_id)] = store.get(user_key(user_id))
        return found, user_id

    @staticmethod
    def current_entry(found: dict, generation_key: str, key: str, local: dict | None) -> None:
        """Put the answer kept under the current generation in `found[key]`: this process's
        copy when it is current (the round trip then carried only the small keys), else the
        shared cache's, fetched now if the round trip did not carry it."""
        generation = found.get(generation_key)
        if local is not None and local["generation"] == generation:
            found[key] = local
            return
        if local is not None:
            found[key] = cache().get(key)
        entry = found.get(key)
        if entry and entry["generation"] == generation:
            local_entries.put(key, entry)

    def answer(self, request: HttpRequest, entry: dict,
               caller: CachedUser | None = None) -> HttpResponse | None:
        """The kept answer if this caller may have it now (`caller`: the session's user as
        the cache keeps it, when the session proved it)."""
        header = request.META.get("HTTP_AUTHORIZATION")
        if header:
            user = token_user(header)
            if user is None:
                return None
        elif entry["owner"] == PUBLIC:
            user = None  # a public read needs no user (the throttle finds the caller itself)
        else:
            user = caller if caller is not None else request.user
        if entry["owner"] != PUBLIC and not (
            user is not None and user.is_authenticated
            and (user.is_staff or user.pk == entry["owner"])
        ):
            return None
        if not throttles_allow(request, user):
            return None
        response = HttpResponse(entry["body"], status=200)
        response.headers = KeptHeaders.of(entry)
        return response

    def keep(self, response: HttpResponse, key: str, generation_key: str,
             generation: int | None) -> None:
        owner = getattr(response, RESPONSE_ATTRIBUTE, None)
        if owner is None or response.status_code != 200 or response.streaming:
            return
        if not response.get("Content-Type", "").startswith("application/json"):
            return
        try:
            if generation is None:  # a fresh cache: start counting, keep the next answer
                bump(generation_key)
                return
            entry = {"generation": generation, "owner": owner, "body": response.content,
                     "headers": dict(response.items()),
                     "expires_at": time.time() + settings.READ_CACHE_TIMEOUT_S}
            cache().set(key, entry, timeout=settings.READ_CACHE_TIMEOUT_S)
            local_entries.put(key, entry)
        except Exception:  # noqa: BLE001
            logger.warning("read cache: could not keep an answer", exc_info=True)


