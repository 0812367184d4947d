"""The Redis cache the shop uses with REDIS_URL: Django's, keeping one client per connection pool."""

import threading
import uuid

import pytest

from autosales.core.cache_redis import SharedClientRedisCache
from tests.jobs.test_celery import redis_reachable

# A database of its own on the Redis CI starts, and a prefix per test run: nothing of anyone else's is touched.
LOCATION = "redis://127.0.0.1:6379/13"


@pytest.fixture
def cache():
    if not redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it; run `redis-server` to try locally)")
    cache = SharedClientRedisCache(LOCATION, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}", "TIMEOUT": 60})
    yield cache
    cache.delete_many(["a", "b", "counter", "added"])


def test_it_answers_as_djangos_redis_cache_does(cache):
    cache.set("a", {"units": 3}, 60)
    cache.set_many({"b": [1, 2]}, 60)
    assert cache.get("a") == {"units": 3} and cache.get_many(["a", "b", "missing"]) == {"a": {"units": 3}, "b": [1, 2]}
    assert cache.get("missing", "default") == "default"
    assert cache.add("added", 1, 60) and not cache.add("added", 2, 60) and cache.get("added") == 1
    cache.set("counter", 1, 60)
    assert cache.incr("counter") == 2
    cache.delete("a")
    assert cache.get("a") is None


def test_every_call_and_thread_shares_one_client_per_pool(cache):
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first and cache._cache.get_client() is first
    seen, errors = set(), []

    def work(n):
        try:
            for i in range(50):
                cache.set(f"t{n}", i, 60)
                assert cache.get(f"t{n}") == i
            seen.add(id(cache._cache.get_client()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache.delete_many([f"t{n}" for n in range(8)])
    assert not errors and seen == {id(first)}
