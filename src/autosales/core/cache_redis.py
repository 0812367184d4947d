"""Django's Redis cache, keeping one Redis client per connection pool.

Django's client makes a new `redis.Redis` object for every cache call, which costs as much CPU as the call itself
(about 50 µs each, measured here), and a page makes several calls (the session, the cache versions, the
fragments, the store visit). A `redis.Redis` may be shared between threads (each command takes a connection from
the pool and gives it back), so one per pool is kept instead. Everything else is Django's.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _SharedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            # Two threads may both make one the first time: either serves, the last one stays.
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClients
