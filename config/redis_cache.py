"""Django's Redis cache backend, keeping one `redis.Redis` client per connection pool, and
answering `get_many` on a connection of the calling thread's own.

Django's client builds a new `redis.Redis` for every cache call, and its constructor fills a
table of ~170 response callbacks each time: about as much CPU as the round trip itself on a
read answered from the cache (config/read_cache.py's one call). A client is safe
to share between threads (each command takes a connection from the pool), so one per pool
index is kept. Same LOCATION and OPTIONS as django.core.cache.backends.redis.RedisCache.
Keys are not checked against memcached's limits (`validate_key`).

`get_many` is the read cache's one round trip on every kept API read (issue 15). Through
`redis.Redis.mget` it costs about as much CPU again in redis-py as on the wire: taking a
connection from the pool and giving it back (a lock, a readiness poll of the socket and
redis-py's connection-count bookkeeping), the retry wrapper and the reply callbacks. Here it
is one MGET sent and read on a connection this thread keeps for itself (`DirectConnections`:
per thread, made again after a fork), with the pool's own connection settings; any failure
drops the connection, and a connection found closed (Redis restarted, an idle timeout) is
replaced and the command sent once more. Every other command goes through the pool as before.
"""
import os
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError


class DirectConnections(threading.local):
    """This thread's own connections, one per pool index, each with the process that made it
    (a forked worker never writes on its parent's socket)."""

    def __init__(self) -> None:
        self.by_index: dict[int, tuple[int, object]] = {}


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._direct = DirectConnections()

    def get_client(self, key=None, *, write: bool = False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool_at(index)
            )
        return client

    def _get_connection_pool_at(self, index: int):
        """Django's `_get_connection_pool` for a given index (it picks one itself)."""
        if index not in self._pools:
            self._pools[index] = self._pool_class.from_url(
                self._servers[index], **self._pool_options
            )
        return self._pools[index]

    def _direct_connection(self, index: int) -> tuple[object, bool]:
        """This thread's connection for pool `index`, and whether it served a command before
        (False: made now, connected by its first command)."""
        pid = os.getpid()
        held = self._direct.by_index.get(index)
        if held is not None and held[0] == pid:
            return held[1], True
        pool = self._get_connection_pool_at(index)
        connection = pool.connection_class(**pool.connection_kwargs)
        self._direct.by_index[index] = (pid, connection)
        return connection, False

    def _mget(self, index: int, keys: list) -> list:
        connection, reused = self._direct_connection(index)
        try:
            return self._command(connection, keys)
        except BaseException as error:
            del self._direct.by_index[index]  # the next call starts on a new connection
            if not reused or not isinstance(error, RedisConnectionError):
                raise
        # A connection that served before was found closed (Redis restarted, an idle
        # timeout): once more on a new one. MGET changes nothing, so sending it twice is
        # harmless; a second failure is the caller's.
        connection, _ = self._direct_connection(index)
        try:
            return self._command(connection, keys)
        except BaseException:
            del self._direct.by_index[index]
            raise

    @staticmethod
    def _command(connection, keys: list) -> list:
        try:
            connection.send_command("MGET", *keys, check_health=False)
            return connection.read_response()
        except BaseException:
            connection.disconnect()  # never leave a half-read reply on the socket
            raise

    def get_many(self, keys):
        keys = list(keys)
        if not keys:
            return {}
        values = self._mget(self._get_connection_pool_index(False), keys)
        return {k: self._serializer.loads(v) for k, v in zip(keys, values, strict=True)
                if v is not None}


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key: str) -> None:
        """Redis takes any key. Django's check warns of keys memcached would refuse (over 250
        characters, spaces, control characters) by looking at every character of every key on
        every call: a few microseconds per key on each kept read (four keys). The local cache
        skips it too (config/local_cache.py)."""
