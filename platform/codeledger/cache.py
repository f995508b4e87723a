"""The shared cache (django-redis), with an atomic counter for rate limits.

With IGNORE_EXCEPTIONS (settings.CACHES) an unreachable Redis is a miss, not an error: reads
return nothing, writes are dropped and django-redis logs each ignored error. What the cache
holds only saves work (kept API key grants, rate-limit counts), so an outage costs speed and
rate limiting, never an answer; /healthz reports the cache down.
"""

from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.cache import omit_exception
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class RedisCache(DjangoRedisCache):
    @omit_exception(return_value=None)
    def count(self, key, timeout, version=None) -> int | None:
        """Add one to the counter `key` (created at 0, kept `timeout` seconds) and return it:
        INCR and EXPIRE in one MULTI/EXEC, one round trip, atomic across processes. None when
        Redis cannot be reached (and django-redis ignores errors)."""
        client = self.client.get_client(write=True)
        key = self.client.make_key(key, version=version)
        try:
            with client.pipeline() as pipe:
                value, _ = pipe.incr(key).expire(key, timeout).execute()
        except (RedisConnectionError, RedisTimeoutError) as error:  # as django-redis's client
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
