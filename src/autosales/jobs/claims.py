"""Claiming rows for work, safely across many workers.

A model that holds work items inherits `Claimable` (three lease columns). A worker claims a batch
with `claim_batch(...)`, handles each row outside any transaction, and hands it back with
`claim_release(...)`, which also writes the row's outcome. On PostgreSQL the claim is
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting;
on SQLite the claim runs in one IMMEDIATE transaction (the single writer), with the same columns.
A row whose worker died keeps its lease until `claimed_until`; after that the next claim takes it
again (its `attempts` counts every claim, so a crash is an attempt too).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, models, router, transaction
from django.db.models import Q, QuerySet

from autosales.core import clock


class Claimable(models.Model):
    """Lease columns for rows that workers claim (see `claim_batch`)."""

    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


M = TypeVar("M", bound=Claimable)


def worker_id() -> str:
    """This worker's name: host, process and thread, so two threads of one process are two workers."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claimable_filter(*, now: dt.datetime) -> Q:
    """Rows nobody holds: never claimed, released, or whose lease has run out."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def claim_batch(
    *,
    queryset: QuerySet[M],
    worker: str,
    limit: int,
    lease: dt.timedelta,
    order_by: Sequence[str] = ("pk",),
    updates: dict | None = None,
) -> list[M]:
    """Claim up to `limit` rows of `queryset` that nobody holds; each row goes to exactly one worker until its lease ends.

    `updates` are extra column values written with the claim (e.g. a status). Returns the claimed
    rows as the claim left them, in `order_by` order (ascending fields only). One statement whatever the
    batch: `UPDATE ... WHERE pk IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING ...`, its own
    transaction on PostgreSQL (one round trip).
    """
    if limit <= 0:
        return []
    if any(name.startswith("-") for name in order_by):
        raise ValueError("claim_batch orders by ascending fields only")
    model = queryset.model
    now = clock.now()
    db = router.db_for_write(model)
    connection = connections[db]
    candidates = queryset.using(db).filter(claimable_filter(now=now)).order_by(*order_by)
    values = {"claimed_by": worker, "claimed_until": now + lease, **(updates or {})}
    quote = connection.ops.quote_name
    assignments, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    attempts = quote(model._meta.get_field("attempts").column)
    assignments.append(f"{attempts} = {attempts} + 1")
    fields = model._meta.concrete_fields
    chosen_sql, chosen_params = candidates.values("pk")[:limit].query.get_compiler(db).as_sql()
    table = quote(model._meta.db_table)
    skip_locked = connection.features.has_select_for_update_skip_locked
    if skip_locked:
        # Rows another worker is claiming right now are passed over, not waited for.
        chosen_sql += " " + connection.ops.for_update_sql(skip_locked=True, of=(table,))
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} WHERE {quote(model._meta.pk.column)} IN ({chosen_sql}) "
        f"RETURNING {', '.join(quote(field.column) for field in fields)}"
    )
    claim = model._default_manager.db_manager(db).raw(sql, [*params, *chosen_params])
    if skip_locked:
        # PostgreSQL: the one statement is atomic by itself; no BEGIN and COMMIT round trips around it.
        claimed = list(claim)
    else:
        # SQLite: in an IMMEDIATE transaction, the single writer's lock taken up front; read to the end inside
        # it, as SQLite writes RETURNING rows as they are read.
        with transaction.atomic(using=db):
            claimed = list(claim)
    return sorted(claimed, key=lambda row: tuple(_sortable(getattr(row, name)) for name in order_by))


def _sortable(value) -> tuple:
    return (value is not None, value)


def claim_release(*, instance: M, worker: str, updates: dict | None = None) -> bool:
    """Hand a claimed row back with its outcome; False (and nothing written) when the lease was lost to another worker."""
    model = type(instance)
    fields = {"claimed_by": "", "claimed_until": None, **(updates or {})}
    if "updated_at" in {f.name for f in model._meta.concrete_fields} and "updated_at" not in fields:
        fields["updated_at"] = clock.now()
    changed = model._default_manager.filter(pk=instance.pk, claimed_by=worker).update(**fields)
    if changed:
        for name, value in fields.items():
            setattr(instance, name, value)
    return bool(changed)


def claims_extend(*, model: type[M], pks: Sequence, worker: str, lease: dt.timedelta) -> set:
    """Push this worker's lease on several rows further out with one statement; returns the pks it still holds."""
    if not pks:
        return set()
    until = clock.now() + lease
    pks = list(pks)
    if model._default_manager.filter(pk__in=pks, claimed_by=worker).update(claimed_until=until) == len(pks):
        return set(pks)
    # Some were taken over by another worker after their lease ran out (rare): which are still ours?
    return set(model._default_manager.filter(pk__in=pks, claimed_by=worker).values_list("pk", flat=True))


def claim_extend(*, instance: M, worker: str, lease: dt.timedelta) -> bool:
    """Push this worker's lease on a row further out (for long work); False when the lease was lost."""
    until = clock.now() + lease
    changed = type(instance)._default_manager.filter(pk=instance.pk, claimed_by=worker).update(claimed_until=until)
    if changed:
        instance.claimed_until = until
    return bool(changed)


def claims_write_each(
    *,
    model: type[M],
    worker: str,
    fields: Sequence[str],
    rows: dict,
    common: dict | None = None,
    where_in: dict[str, Sequence] | None = None,
) -> int:
    """Writes each row's own values (`rows`: pk -> values of `fields`) and the `common` ones to the rows this worker
    holds, with one statement whatever their number; returns how many rows were written.

    `UPDATE ... FROM (VALUES (pk, ...), ...) AS v WHERE pk = v.column1 AND claimed_by = worker`: the outcomes of a
    batch in one round trip, without building a CASE per row and column. `where_in`: columns the rows must also
    have one of the given values in (e.g. the statuses a move may start from).
    """
    if not rows:
        return 0
    db = router.db_for_write(model)
    connection = connections[db]
    quote = connection.ops.quote_name
    meta = model._meta
    own = [meta.pk, *(meta.get_field(name) for name in fields)]

    def placeholder(field) -> str:
        # PostgreSQL types a VALUES list from its values, which may all be NULL or text: say what each column is.
        return f"CAST(%s AS {field.cast_db_type(connection)})" if connection.vendor == "postgresql" else "%s"

    row = "(" + ", ".join(placeholder(field) for field in own) + ")"
    params = []
    for pk, values in rows.items():
        params.extend(
            field.get_db_prep_save(value, connection) for field, value in zip(own, (pk, *values), strict=True)
        )
    # A VALUES list's columns are column1, column2, ... on PostgreSQL and SQLite alike.
    names = [f"column{n + 1}" for n in range(len(own))]
    assignments = [f"{quote(field.column)} = v.{name}" for field, name in zip(own[1:], names[1:], strict=True)]
    set_params = []
    for name, value in (common or {}).items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        set_params.append(field.get_db_prep_save(value, connection))
    table = quote(meta.db_table)
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} FROM (VALUES {', '.join([row] * len(rows))}) AS v "
        f"WHERE {table}.{quote(meta.pk.column)} = v.column1 "
        f"AND {table}.{quote(meta.get_field('claimed_by').column)} = %s"
    )
    where_params = []
    for name, allowed in (where_in or {}).items():
        field = meta.get_field(name)
        sql += f" AND {table}.{quote(field.column)} IN ({', '.join(['%s'] * len(allowed))})"
        where_params.extend(field.get_db_prep_value(value, connection) for value in allowed)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *params, worker, *where_params])
        return cursor.rowcount


class BatchPace:
    """How long one item takes on this worker (a moving average), to claim batches that fit well inside a lease.

    A batch is sized so that it takes about a quarter of the lease at the pace seen so far, at most `cap` items:
    a worker renews its lease long before it runs out, a slow item (a slow gateway or mail server) makes the
    next batches smaller, and a worker that dies holds back at most one small batch for one lease.
    """

    def __init__(self, *, first_guess_seconds: float = 0.5) -> None:
        self.seconds_each = first_guess_seconds
        self._lock = threading.Lock()

    def batch_size(self, *, lease: dt.timedelta, cap: int) -> int:
        fits = lease.total_seconds() / 4 / max(self.seconds_each, 1e-3)
        return max(1, min(cap, int(fits)))

    def observe(self, *, items: int, seconds: float) -> None:
        if items <= 0:
            return
        with self._lock:
            self.seconds_each = 0.7 * self.seconds_each + 0.3 * (seconds / items)
