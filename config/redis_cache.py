"""Django's Redis cache backend, keeping one `redis.Redis` client per connection pool.

Django's client builds a new `redis.Redis` for every cache call, and its constructor fills a
table of ~170 response callbacks each time: about as much CPU as the round trip itself on a
read answered from the cache (config/read_cache.py's one call). A client is safe
to share between threads (each command takes a connection from the pool), so one per pool
index is kept. Same LOCATION and OPTIONS as django.core.cache.backends.redis.RedisCache.
Keys are not checked against memcached's limits (`validate_key`).
"""
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write: bool = False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key: str) -> None:
        """Redis takes any key. Django's check warns of keys memcached would refuse (over 250
        characters, spaces, control characters) by looking at every character of every key on
        every call: a few microseconds per key on each kept read (four keys). The tests' local
        cache still runs it."""
