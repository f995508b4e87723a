"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client builds a new `redis.Redis` for every cache call, and
redis-py sets up its response callbacks in each: about half of what a call cost here (the search
API's throttle makes two calls per request; py-spy on a gunicorn worker put a fifth of a
suggest request in them). A client is thread-safe and owns no connection (its pool does), so
one per pool serves every call. django-redis does the same, but would replace the backend for
this one difference.
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
