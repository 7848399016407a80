"""Django's local-memory cache without memcached's key checks.

The default cache keeps the throttles' request logs (config/throttling.py) when no Redis is
shared: a get and a set on every API request. Django's `validate_key` warns of keys memcached
would refuse by looking at every character of every key on every call, about a fifth of a
throttle's work; memory takes any key (as Redis does: config/redis_cache.py), and this project
runs on no memcached.
"""
from django.core.cache.backends.locmem import LocMemCache


class LocalCache(LocMemCache):
    def validate_key(self, key: str) -> None:
        """Any key will do (module doc)."""
