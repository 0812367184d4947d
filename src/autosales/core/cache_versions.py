"""Version tokens for cached pages: a fragment cached under the current tokens is current, whatever the process.

The store caches what every shopper sees alike (a category's product grid for a price list, a product's
variant table) in Django's cache under a key that holds the tokens of the data it shows. A write that changes
such data replaces the token when it commits (`versions_bump`), so the next request builds the
fragment again; the old entries are never read again and expire. A token is a fresh random value, never a
counter: a token lost with the cache (a restart, an eviction) comes back as a new value, never an old one.

Kinds of data:
- CATALOG: products, variants, categories, search text (the catalog app, its admin and imports);
- PRICES: prices and price lists (the pricing admin, the product import);
- STOCK: stock as the store shows it, in words ("In stock", "Only a few left", "Out of stock") and which centers
  can ship it (for delivery dates). An order's allocation or release bumps it only when that changes for one of
  its variants (inventory.services), so the catalog pages stay cached through a day of orders; exact units for
  business customers are filled into the cached pages per request (storefront.stock_counts). The stock import,
  receiving and the inventory admin always bump it;
- DELIVERY: the distribution centers' shipping calendars and the shipping methods' transit days (the
  warehouse, closed-day and shipping-method admin).

A reader takes the tokens before it reads the database (`versions_current`), so a fragment is never stored
under a token newer than its data.

Since a key names the tokens of its data, what it holds never changes: each process also keeps a copy of the
values it read or built (`_LocalCopies`, pickled, a bounded LRU of `LOCAL_BYTES`, each copy for at most
`LOCAL_SECONDS`), and the next request with the same key takes it from memory instead of the shared cache. The
tokens themselves are read from the shared cache once per request, so a change committed by any process is seen
by the next request of every process.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import translation

from autosales.core.request_memo import in_open_transaction, request_memoized

log = logging.getLogger(__name__)

T = TypeVar("T")
_MISSING = object()

CATALOG = "catalog"
PRICES = "prices"
STOCK = "stock"
DELIVERY = "delivery"
KINDS = (CATALOG, PRICES, STOCK, DELIVERY)


def _key(kind: str) -> str:
    return f"version:{kind}"


def _tokens() -> dict[str, str]:
    keys = [_key(kind) for kind in KINDS]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(8), timeout=None)
            found[key] = cache.get(key)
    return {kind: str(found[_key(kind)]) for kind in KINDS}


def versions_current(*kinds: str) -> str:
    """The current tokens of `kinds`, as one string for a cache key (read once per request, one cache round trip)."""
    tokens = request_memoized("cache_versions", _tokens)
    return ".".join(tokens[kind] for kind in kinds)


def _replace(kinds: tuple[str, ...]) -> None:
    try:
        cache.set_many({_key(kind): secrets.token_hex(8) for kind in kinds}, timeout=None)
    except Exception:
        # The cache is away (Redis restarting): what it held is gone or expires within CACHE_SECONDS.
        log.exception("could not replace the cache versions %s", kinds)


def versions_bump(*kinds: str) -> None:
    """Give `kinds` new tokens now and again when the caller's transaction commits.

    The second time is what matters: a request that read the database before the commit may have cached
    what it saw under the token of the first. The first makes a change visible at once to reads in the
    same transaction (and to tests, whose transaction never commits).
    """
    _replace(kinds)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _replace(kinds))


class VersionsBumpingAdmin:
    """A ModelAdmin mixin: every save, delete and bulk action bumps `cache_versions` after it commits."""

    cache_versions: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        versions_bump(*self.cache_versions)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        versions_bump(*self.cache_versions)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        versions_bump(*self.cache_versions)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        versions_bump(*self.cache_versions)

    def response_action(self, request, queryset):
        response = super().response_action(request, queryset)
        versions_bump(*self.cache_versions)
        return response


# A process's copies of versioned values: at most this many bytes (pickled), each kept at most this long (a value
# built from the clock as well as the data, like a delivery date, is then no older than in the shared cache).
LOCAL_BYTES = 16 * 1024 * 1024
LOCAL_SECONDS = 60.0
_LOCAL_LARGEST = LOCAL_BYTES // 16  # a value larger than this is left to the shared cache alone


class _LocalCopies:
    """Pickled copies of versioned values in this process, least recently used evicted first. A copy is unpickled
    for each reader, so a caller that changes what it got changes nothing for the next one. Thread-safe."""

    def __init__(self, *, max_bytes: int, seconds: float):
        self.max_bytes = max_bytes
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return _MISSING
            if entry[0] <= time.monotonic():
                self._drop(key)
                return _MISSING
            self._entries.move_to_end(key)
        return pickle.loads(entry[1])

    def put(self, key: str, value) -> None:
        try:
            data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        except Exception:
            return  # the shared cache says why, if it cannot take it either
        if len(data) > _LOCAL_LARGEST:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.seconds, data)
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self._bytes -= len(self._entries.pop(key)[1])


_local = _LocalCopies(max_bytes=LOCAL_BYTES, seconds=LOCAL_SECONDS)


def versions_key(*, name: str, parts: tuple, kinds: tuple[str, ...]) -> str | None:
    """The key of what `name` shows for `parts` in the active language while `kinds` are unchanged (the key
    `cached_for_versions` stores it under; a rendered fragment of it may be kept under the same); None when the
    cache is not answering, so nothing built then is shared."""
    try:
        versions = versions_current(*kinds)
    except Exception:
        log.warning("the cache is not answering; building %s without it", name, exc_info=True)
        return None
    digest = hashlib.sha256(repr((parts, translation.get_language(), versions)).encode()).hexdigest()[:32]
    return f"{name}:{digest}"


def cached_for_versions(*, name: str, parts: tuple, kinds: tuple[str, ...], build: Callable[[], T]) -> T:
    """`build()`, shared through the cache by every request with the same `parts` while `kinds` are unchanged.

    `parts` must hold everything the value depends on besides the data of `kinds` (the page, the price lists);
    the active language is part of the key too, since a rendered value has its words and money in it.
    When the cache is away, the value is built every time: slower, never wrong. A value built inside a
    transaction that is still open is not shared (it may show what that transaction will roll back).
    """
    key = versions_key(name=name, parts=parts, kinds=kinds)
    if key is None:
        return build()
    value = _local.get(key)
    if value is not _MISSING:
        return value
    try:
        value = cache.get(key, _MISSING)
    except Exception:
        log.warning("the cache is not answering; building %s without it", name, exc_info=True)
        value = _MISSING
    if value is not _MISSING:
        _local.put(key, value)
        return value
    value = build()
    if in_open_transaction():
        return value  # built from data that may yet roll back: never shared
    try:
        cache.set(key, value)
    except Exception:
        log.warning("could not cache %s", name, exc_info=True)
    _local.put(key, value)
    return value
