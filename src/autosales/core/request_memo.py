"""Reads remembered for the rest of one request: the shopper's organization, its price lists and prices, the cart.

A page and the helpers it calls often ask the same question several times (the organization a user acts
for, the prices of the cart's variants); `request_memoized(key, compute)` answers the later ones from
memory. The memory lives only while `RequestMemoMiddleware` handles a request, and it is emptied whenever
the request writes to the database, so a read after a write in the same request is never served from before
the write. Reads made inside a transaction the request opened are not remembered: that transaction may still
roll back what they saw. Outside a request (jobs, commands, tests calling selectors) nothing is remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


@dataclass
class _Scope:
    depth: int  # how many transactions were open when the request began (tests run inside one)
    values: dict = field(default_factory=dict)


_memo: ContextVar[_Scope | None] = ContextVar("autosales_request_memo", default=None)

_READS = ("SELECT", "SAVEPOINT", "RELEASE", "SET", "SHOW", "EXPLAIN")


def request_memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per request for `key` (and again after a write); every time outside a request."""
    scope = _memo.get()
    if scope is None:
        return compute()
    if key in scope.values:
        return scope.values[key]
    value = compute()
    if not in_open_transaction():
        scope.values[key] = value
    return value


def in_open_transaction() -> bool:
    """Whether this request (outside a request: anybody) has a transaction open, whose reads may yet roll back."""
    scope = _memo.get()
    return len(connection.atomic_blocks) > (scope.depth if scope is not None else 0)


def _forget_on_write(execute, sql, params, many, context):
    scope = _memo.get()
    if scope is not None and scope.values and not sql.lstrip()[:9].upper().startswith(_READS):
        scope.values.clear()
    return execute(sql, params, many, context)


class RequestMemoMiddleware:
    """Gives each request an empty memory for `request_memoized`, forgotten on every write and at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set(_Scope(depth=len(connection.atomic_blocks)))
        try:
            with connection.execute_wrapper(_forget_on_write):
                return self.get_response(request)
        finally:
            _memo.reset(token)
