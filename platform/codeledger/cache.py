"""Django's Redis cache, with one redis-py client per connection pool instead of one per call,
and an atomic counter for rate limits.

Django's RedisCacheClient.get_client builds a new `redis.Redis` for every cache call, and
redis-py sets up its response callbacks in each: about half of what a call cost here. A client
is thread-safe and owns no connection (its pool does), so one per pool serves every call.
django-redis does the same, but would replace the backend for this one difference.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients

    def count(self, key, timeout, version=None) -> int:
        """Add one to the counter `key` (created at 0, kept `timeout` seconds) and return it:
        INCR and EXPIRE in one MULTI/EXEC, one round trip, atomic across processes."""
        key = self.make_and_validate_key(key, version=version)
        with self._cache.get_client(key, write=True).pipeline() as pipe:
            count, _ = pipe.incr(key).expire(key, timeout).execute()
        return count


def count(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` in `cache` and return it; any Django cache will do (the
    embedded default's in-memory cache adds and increments under its lock)."""
    if isinstance(cache, RedisCache):
        return cache.count(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first of a new one...
        return 1 if cache.add(key, 1, timeout) else cache.incr(key)  # ...or another's was
