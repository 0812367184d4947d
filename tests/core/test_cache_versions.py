"""Values cached under the data's version tokens: shared by every request, and copied into each process's memory,
which serves them again until the data changes."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from autosales.core import cache_versions
from autosales.core.cache_versions import CATALOG, PRICES, _LocalCopies, cached_for_versions, versions_bump
from autosales.core.request_memo import RequestMemoMiddleware

pytestmark = pytest.mark.django_db


def in_a_request(view):
    """Runs `view()` as a request does (outside the test's transaction, so what it builds is shared)."""
    seen = {}

    def get_response(request):
        seen["value"] = view()
        return HttpResponse()

    RequestMemoMiddleware(get_response)(RequestFactory().get("/"))
    return seen["value"]


class Builds:
    """A build function that counts its calls and answers a fresh mutable value each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"built": self.calls, "rows": [1, 2, 3]}


def fetch(build, *, parts=("page", 1), kinds=(CATALOG,)):
    return in_a_request(lambda: cached_for_versions(name="test-grid", parts=parts, kinds=kinds, build=build))


def test_a_value_is_built_once_and_then_served_from_this_process_without_the_shared_cache():
    build = Builds()
    first = fetch(build)

    # when the shared cache loses every entry but the version tokens
    tokens = {key: cache.get(key) for key in (f"version:{kind}" for kind in cache_versions.KINDS)}
    cache.clear()
    cache.set_many(tokens, timeout=None)
    again = fetch(build)

    # then the process's copy answers: nothing was built again
    assert first == again == {"built": 1, "rows": [1, 2, 3]}
    assert build.calls == 1


def test_a_change_of_the_data_is_seen_by_the_next_request_in_every_process():
    build = Builds()
    fetch(build)
    other_kind = fetch(build, kinds=(PRICES,))
    assert other_kind["built"] == 2

    # when a catalog change commits (any process: the token lives in the shared cache)
    versions_bump(CATALOG)

    # then the catalog value is built again, the price one is still current
    assert fetch(build)["built"] == 3
    assert fetch(build, kinds=(PRICES,))["built"] == 2
    assert build.calls == 3


def test_a_reader_that_changes_its_value_changes_nothing_for_the_next_reader():
    build = Builds()
    mine = fetch(build)
    mine["rows"].append(4)
    mine["built"] = "changed"

    assert fetch(build) == {"built": 1, "rows": [1, 2, 3]}


def test_copies_are_evicted_least_recently_used_first_within_the_byte_budget():
    copies = _LocalCopies(max_bytes=3_000, seconds=60)
    for n in range(3):
        copies.put(f"key{n}", "x" * 900)
    copies.get("key0")  # used again: key1 is now the least recently used

    copies.put("key3", "y" * 900)

    assert copies.get("key1") is cache_versions._MISSING
    assert copies.get("key0") == "x" * 900
    assert copies.get("key2") == "x" * 900
    assert copies.get("key3") == "y" * 900


def test_a_copy_is_kept_no_longer_than_its_time_and_a_large_value_not_at_all():
    copies = _LocalCopies(max_bytes=1_000_000, seconds=0)
    copies.put("old", "value")
    assert copies.get("old") is cache_versions._MISSING

    copies = _LocalCopies(max_bytes=1_000_000, seconds=60)
    copies.put("large", "z" * (cache_versions._LOCAL_LARGEST + 1))
    assert copies.get("large") is cache_versions._MISSING


def test_a_value_built_inside_an_open_transaction_is_kept_neither_shared_nor_in_memory():
    build = Builds()
    # outside a request, the test's own transaction is open: the value may yet roll back
    cached_for_versions(name="test-grid", parts=("open",), kinds=(CATALOG,), build=build)
    cached_for_versions(name="test-grid", parts=("open",), kinds=(CATALOG,), build=build)
    assert build.calls == 2
