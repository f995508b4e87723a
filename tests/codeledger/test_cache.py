"""The Redis cache (CACHE_URL): Django's behaviour, one redis-py client per pool."""

import uuid

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from codeledger.cache import RedisCache


def test_the_cache_stores_counts_and_values_and_reuses_its_client(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})  # shared server
    assert cache.add("hits", 0, 60) and not cache.add("hits", 5, 60)
    assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
    cache.set("history", [1.5, 2.5], 60)
    assert cache.get_many(["hits", "history", "none"]) == {"hits": 3, "history": [1.5, 2.5]}
    assert cache.delete("history") and cache.get("history", "gone") == "gone"
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=False)
    # Django's own backend builds a client per call: the one difference.
    django = DjangoRedisCache(redis_url, {})
    assert django._cache.get_client() is not django._cache.get_client()
