"""The shared cache (django-redis), with an atomic counter for rate limits.

With IGNORE_EXCEPTIONS (settings.CACHES) a Redis that cannot be reached, or refuses writes
(READONLY after a failover, OOM, MISCONF), is a miss, not an error: reads return nothing,
writes are dropped and django-redis logs each ignored error. What the cache holds for the API
only saves work (kept API key grants, rate-limit counts), so an outage costs it speed and rate
limiting, not answers; django-allauth's rate limits fail closed instead (sign-in, sign-up and
password reset are refused with the 429 page). /healthz reports the cache down.
"""

import socket

from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.cache import omit_exception
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What django-redis's own client treats as the cache being out of service.
OUT_OF_SERVICE = (RedisConnectionError, RedisTimeoutError, ResponseError, socket.timeout)


class RedisCache(DjangoRedisCache):
    @omit_exception(return_value=None)
    def count(self, key, timeout, version=None) -> int | None:
        """Add one to the counter `key` (created at 0, kept `timeout` seconds) and return it:
        INCR and EXPIRE in one MULTI/EXEC, one round trip, atomic across processes. None when
        Redis is out of service (and django-redis ignores errors)."""
        client = self.client.get_client(write=True)
        key = self.client.make_key(key, version=version)
        try:
            with client.pipeline() as pipe:
                value, _ = pipe.incr(key).expire(key, timeout).execute()
        except OUT_OF_SERVICE as error:
            raise ConnectionInterrupted(connection=client) from error
        return value


def count(cache, key: str, timeout: int) -> int | None:
    """Add one to the counter `key` in `cache` and return it, or None if the cache is out of
    reach; any Django cache will do (the embedded default's in-memory cache adds and increments
    under its lock)."""
    if isinstance(cache, RedisCache):
        return cache.count(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first of a new one...
        return 1 if cache.add(key, 1, timeout) else cache.incr(key)  # ...or another's was
