"""The shared cache (django-redis), with an atomic counter for rate limits.

With IGNORE_EXCEPTIONS (settings.CACHES) a Redis that cannot be reached, or refuses writes
(READONLY after a failover, OOM, MISCONF), is a miss, not an error: reads return nothing,
writes are dropped and django-redis logs each ignored error. What the cache holds for the API
only saves work (kept API key grants, rate-limit counts), so an outage costs it speed and rate
limiting, not answers; django-allauth's rate limits fail closed instead (sign-in, sign-up and
password reset are refused with the 429 page). /healthz reports the cache down.

A Redis that does not answer at all (hung, or its packets dropped) would cost every cache call
the socket timeout (CACHE_TIMEOUT): up to three a request. So each process's connection pool
has a circuit breaker (CircuitBreakingPool, settings.CACHES): after a timeout, calls fail at
once for CACHE_RETRY_AFTER seconds, then the next call tries Redis again. Errors that come fast
(a refused or reset connection, LOADING, a wrong password, OOM) cost no wait and do not open
it. Neither redis-py nor django-redis has a breaker; a breaker library would still need these
same hooks into redis-py's connections, so it is written here.
"""

import logging
import socket
import time
from contextlib import contextmanager

from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.cache import omit_exception
from django_redis.exceptions import ConnectionInterrupted
from redis.connection import Connection, ConnectionPool, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What django-redis's own client treats as the cache being out of service.
OUT_OF_SERVICE = (RedisConnectionError, RedisTimeoutError, ResponseError, socket.timeout)
# Of those, the ones that cost a wait: Redis did not answer within CACHE_TIMEOUT.
NOT_ANSWERING = (RedisTimeoutError, socket.timeout)

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Open for `retry_after` seconds after Redis did not answer in time: calls then fail at once
    (ConnectionError, which django-redis ignores like any outage) instead of each waiting for
    the timeout. The first call after that tries Redis again; a failure opens it again."""

    def __init__(self, retry_after: float, server: str):
        self.retry_after, self.server = retry_after, server
        self.open_until = 0.0

    def check(self) -> None:
        if time.monotonic() < self.open_until:
            raise RedisConnectionError(
                f"Redis at {self.server} is skipped for {self.retry_after:g} s after it did "
                "not answer (CACHE_RETRY_AFTER)"
            )

    @contextmanager
    def watching(self):
        try:
            yield
        except NOT_ANSWERING as error:
            if time.monotonic() >= self.open_until:
                log.warning(
                    "Redis at %s did not answer (%s: %s); cache calls skip it for %g s",
                    self.server,
                    type(error).__name__,
                    error,
                    self.retry_after,
                )
            self.open_until = time.monotonic() + self.retry_after
            raise


class _Breaking:
    """A redis-py connection that asks its pool's breaker before talking to Redis and tells it
    when Redis did not answer."""

    breaker: CircuitBreaker

    def connect(self):
        self.breaker.check()
        with self.breaker.watching():
            super().connect()

    def send_packed_command(self, command, check_health=True):
        self.breaker.check()  # connected already: this is where an open breaker stops a call
        with self.breaker.watching():
            super().send_packed_command(command, check_health=check_health)

    def read_response(self, *args, **kwargs):
        with self.breaker.watching():
            return super().read_response(*args, **kwargs)


class _BreakingConnection(_Breaking, Connection):
    pass


class _BreakingSSLConnection(_Breaking, SSLConnection):
    pass


class _BreakingUnixConnection(_Breaking, UnixDomainSocketConnection):
    pass


BREAKING = {
    Connection: _BreakingConnection,
    SSLConnection: _BreakingSSLConnection,
    UnixDomainSocketConnection: _BreakingUnixConnection,
}


class CircuitBreakingPool(ConnectionPool):
    """The cache's connection pool (redis://, rediss:// or unix://), one breaker per pool: per
    process and Redis server."""

    def __init__(self, connection_class=Connection, retry_after: float = 5.0, **kwargs):
        server = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port', 6379)}"
        self.breaker = CircuitBreaker(retry_after, server)
        super().__init__(connection_class=BREAKING[connection_class], **kwargs)

    def make_connection(self):
        connection = super().make_connection()
        connection.breaker = self.breaker
        return connection


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
