"""The shared cache (CACHE_URL): django-redis with an atomic counter; a Redis out of reach is a
miss, not an error, and one that does not answer is skipped for a while."""

import logging
import os
import signal
import time
import uuid

import pytest
import redis

from codeledger.cache import RedisCache, count
from localservices import RedisServer
from tests.conftest import cache_options, make_user, redis_caches

PRODUCTION_OPTIONS = cache_options()


def test_the_cache_stores_counts_and_values(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})  # shared server
    assert cache.add("hits", 0, 60) and not cache.add("hits", 5, 60)
    assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
    assert count(cache, "hits", 60) == 4  # the counter and the cache API agree
    cache.set("history", [1.5, 2.5], 60)
    assert cache.get_many(["hits", "history", "none"]) == {"hits": 4, "history": [1.5, 2.5]}
    assert cache.delete("history") and cache.get("history", "gone") == "gone"


def test_a_redis_out_of_reach_is_a_miss_not_an_error():
    cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": PRODUCTION_OPTIONS})  # nobody there
    began = time.monotonic()
    assert cache.get("anything", "default") == "default"
    assert not cache.set("anything", 1, 60)
    assert cache.add("anything", 1, 60) is None
    assert count(cache, "hits", 60) is None  # no count: the throttle lets the request through
    assert time.monotonic() - began < 2  # refused connections fail fast


@pytest.mark.redis  # a server of its own
@pytest.mark.elasticsearch  # /healthz must find only the cache down
def test_a_redis_that_refuses_writes_is_out_of_service_too(services_dir, settings, db, client):
    """READONLY after a failover, OOM, MISCONF: Redis answers, with errors. The counter is
    ignored like a lost connection, and /healthz (which writes) reports the cache down."""
    full = RedisServer(base=services_dir / f"redis-{uuid.uuid4().hex[:8]}")
    full.start()
    try:
        redis.Redis.from_url(full.url).config_set("maxmemory", 1)  # noeviction: writes fail
        cache = RedisCache(full.url, {"OPTIONS": PRODUCTION_OPTIONS})
        assert count(cache, "hits", 60) is None
        assert cache.get("anything") is None
        settings.CACHES = redis_caches(full.url)
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["failing"] == ["cache"]
        assert "OutOfMemoryError" in health.json()["checks"]["cache"]["detail"]
    finally:
        full.stop()


def test_sign_in_is_refused_readably_while_the_cache_is_out_of_reach(settings, db, client):
    """django-allauth's sign-in rate limit needs the cache and fails closed (a guard against
    guessing passwords): a readable 429 page, not a server error."""
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")
    make_user("reader")
    response = client.post("/accounts/login/", {"login": "reader", "password": "pw-reader"})
    assert response.status_code == 429
    assert "too many" in response.content.decode().lower()


def test_a_redis_that_does_not_answer_costs_one_timeout_not_one_per_call(hung_redis, caplog):
    """Without the breaker every call would wait for the timeout on a fresh connection (three
    calls for a keyed API request); with it, one call waits and the others fail at once, without
    touching the server, and the outage is logged once."""
    cache = RedisCache(hung_redis.url, {"OPTIONS": cache_options(timeout=0.2, retry_after=60)})
    with caplog.at_level(logging.WARNING, logger="codeledger.cache"):
        assert cache.get("grant", "missing") == "missing"
        assert count(cache, "hits", 60) is None
        assert not cache.set("grant", 1, 60)
        assert cache.get("grant") is None
    assert hung_redis.connections == 1
    skipping = [r for r in caplog.records if "did not answer" in r.getMessage()]
    assert len(skipping) == 1 and "skip it for 60 s" in skipping[0].getMessage()


@pytest.mark.redis  # a server of its own
def test_the_cache_tries_a_hung_redis_again_and_recovers(services_dir):
    """A real Redis, hung (SIGSTOP) and then resumed: while it hangs, calls are misses; after
    CACHE_RETRY_AFTER the next call reaches it again and finds what was stored before."""
    server = RedisServer(base=services_dir / f"redis-{uuid.uuid4().hex[:8]}")
    server.start()
    try:
        cache = RedisCache(server.url, {"OPTIONS": cache_options(timeout=0.2, retry_after=0.5)})
        assert cache.set("kept", "value", 60)
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            assert cache.get("kept") is None  # the timeout: the breaker opens
            assert count(cache, "hits", 60) is None  # at once
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        assert cache.get("kept") is None  # still skipped: the pause is not over
        time.sleep(0.6)
        assert cache.get("kept") == "value"
        assert count(cache, "hits", 60) == 1
    finally:
        server.stop()


@pytest.mark.redis  # a server of its own
def test_a_redis_that_refuses_or_restarts_is_used_again_at_once(services_dir):
    """Errors that come at once cost no wait, so they do not open the breaker: a Redis that is
    down (connections refused) and back, or restarted under pooled connections, is used again
    by the very next call."""
    server = RedisServer(base=services_dir / f"redis-{uuid.uuid4().hex[:8]}")
    server.start()
    try:
        cache = RedisCache(server.url, {"OPTIONS": cache_options(timeout=0.2, retry_after=60)})
        assert cache.set("kept", "value", 60)
        server.stop()
        assert cache.get("kept") is None  # refused: a miss
        server.start()  # same port, empty (no persistence)
        assert cache.set("again", "value", 60) and cache.get("again") == "value"
        server.stop()
        server.start()
        assert cache.get("again") is None and count(cache, "hits", 60) == 1
    finally:
        server.stop()
