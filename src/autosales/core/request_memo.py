"""Reads remembered for the rest of one request: the shopper's organization, its price lists and prices, the cart.

A page and the helpers it calls often ask the same question several times (the organization a user acts
for, the prices of the cart's variants); `request_memoized(key, compute)` answers the later ones from
memory. The memory lives only while `RequestMemoMiddleware` handles a request, and it is emptied whenever
the request writes to the database, so a read after a write in the same request is never served from before
the write. Outside a request (jobs, commands, tests calling selectors) nothing is remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("autosales_request_memo", default=None)

_READS = ("SELECT", "SAVEPOINT", "RELEASE", "SET", "SHOW", "EXPLAIN")


def request_memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per request for `key` (and again after a write); every time outside a request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key in memo:
        return memo[key]
    value = compute()
    memo[key] = value
    return value


def _forget_on_write(execute, sql, params, many, context):
    memo = _memo.get()
    if memo and not sql.lstrip()[:9].upper().startswith(_READS):
        memo.clear()
    return execute(sql, params, many, context)


class RequestMemoMiddleware:
    """Gives each request an empty memory for `request_memoized`, forgotten on every write and at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            with connection.execute_wrapper(_forget_on_write):
                return self.get_response(request)
        finally:
            _memo.reset(token)
