"""Rate limits: one atomic counter per client and window, in Redis or the in-memory cache."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory

from codeledger.cache import RedisCache, count
from codeledger.throttling import WindowThrottle, parse_rate


def test_redis_counts_every_request_once_across_concurrent_callers(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})  # shared server
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: count(cache, "hits", 30), range(400)))
    assert sorted(counts) == list(range(1, 401))  # no count lost, none handed out twice
    assert 0 < cache.ttl("hits") <= 30  # the window's counter expires
    assert cache.get("hits") == 400  # a plain integer, readable through the cache API


def test_the_in_memory_cache_counts_too():
    cache = LocMemCache(f"test-{uuid.uuid4()}", {})
    assert [count(cache, "hits", 30) for _ in range(3)] == [1, 2, 3]


def test_rates_are_requests_per_window():
    assert parse_rate("120/min") == (120, 60)
    assert parse_rate("6000/hour") == (6000, 3600)
    assert parse_rate("2/s") == (2, 1)


class TwoPerSecond(WindowThrottle):
    def scope(self, request):
        return "test-two-per-second", "2/s"


def test_a_client_is_refused_at_its_limit_until_the_window_turns():
    request = RequestFactory().get("/")
    time.sleep(1 - time.time() % 1)  # the start of a window: the calls below fit in it
    throttle = TwoPerSecond()
    assert [throttle.allow_request(request, None) for _ in range(3)] == [True, True, False]
    assert throttle.wait() == 1
    assert request.rate_limit == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1",
    }
    time.sleep(1 - time.time() % 1)
    assert throttle.allow_request(request, None)
