"""Django's Redis cache, keeping one redis-py client per connection pool instead of building one per call.

Django's RedisCacheClient makes a new `redis.Redis` object for every cache call; redis-py 8 fills
a table of response callbacks in each, about a tenth of a millisecond that every cached page paid
once per read. A client is thread-safe and holds no connection of its own (the pool does, and
starts afresh in a forked process), so one per pool serves every call of the process.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
