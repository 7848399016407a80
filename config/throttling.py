"""DRF throttles whose rates are read when a request comes in, not when the class is defined.

DRF's own classes copy the rates at import time, so a changed setting (tests, a reloaded
config) would be ignored.

They also find the caller without loading the user row when the view has not loaded it
(catalog reads: anyone reads, so they skip authentication): a session's user id is read from
the session, which lives on the server and cannot be forged. A token still authenticates
(the token row says whose it is), and a bad token is still a 401.

Each caller's log of request times is kept as an array of doubles instead of DRF's list of
floats (`CompactHistory`): the same times, the same sliding window and the same counts, but the
cache pickles it as one block of bytes on each request instead of one object per logged request
(a caller near 1200/minute: about 30 us of pickling per request down to about 4).
"""
from array import array

from django.contrib.auth import SESSION_KEY
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.utils.functional import cached_property
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


def caller_id(request: Request) -> str | None:
    """The signed-in user's id, or None for an anonymous caller."""
    # META and the session read from Django's request: DRF's hands them over only after its
    # own attribute lookup failed (an AttributeError raised and caught, each time).
    django_request = request._request
    resolve = (
        "_user" in request.__dict__  # the view authenticated already
        or "HTTP_AUTHORIZATION" in django_request.META
        or any(isinstance(a, ForcedAuthentication) for a in request.authenticators)  # tests
    )
    if resolve:
        user = request.user
        return str(user.pk) if user and user.is_authenticated else None
    return django_request.session.get(SESSION_KEY)


class CompactHistory:
    """DRF's sliding-window throttle, its history (newest first) an `array("d")`: the list
    operations DRF uses (insert, pop, [-1], len) work on it unchanged.

    The default cache is looked up once per throttle (one request): DRF's class attribute is
    Django's proxy, which looks the backend up again on each use (a context-local lookup),
    the get and the set of every counted request."""

    history: array | list

    @cached_property
    def cache(self):
        return caches[DEFAULT_CACHE_ALIAS]

    def throttle_success(self) -> bool:
        if not isinstance(self.history, array):
            self.history = array("d", self.history)  # a new caller, or a list kept before
        return super().throttle_success()


class AnonThrottle(CompactHistory, AnonRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view) -> str | None:
        if caller_id(request) is not None:
            return None  # signed in: the user throttle applies
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(CompactHistory, UserRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view) -> str | None:
        ident = caller_id(request) or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
