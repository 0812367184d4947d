"""Pass 1: the run rows of every occurrence that is due or inside its notice window."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction

from autosales.core import clock
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.result import PassResult
from autosales.recurring.transitions import standing_order_transition

# Standing orders materialized per transaction: their runs are written with one insert.
MATERIALIZE_CHUNK = 100


def runs_materialize(*, now: dt.datetime | None = None, limit: int = 1000) -> PassResult:
    """Creates the run rows of every occurrence that is due or inside its notice window; returns how many."""
    now = now or clock.now()
    result = PassResult()
    handled = 0
    while handled < limit:
        size = min(MATERIALIZE_CHUNK, limit - handled)
        with transaction.atomic():
            chunk = _due_for_materialize(now=now, size=size)
            _materialize_chunk(chunk, now=now, result=result)
        handled += len(chunk)
        if len(chunk) < size:
            break  # nothing more is due (or the rest is locked by another worker, who does it)
    return result


def _due_for_materialize(*, now: dt.datetime, size: int) -> list[StandingOrder]:
    """Up to `size` standing orders due for materializing, locked for this transaction.

    On PostgreSQL rows another worker holds are passed over (SKIP LOCKED), so two workers split the work
    instead of queueing on the same rows; on SQLite the IMMEDIATE transaction is the only writer anyway.
    """
    due = StandingOrder.objects.filter(
        status__in=[StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED], next_materialize_at__lte=now
    ).order_by("next_materialize_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    else:
        due = due.select_for_update()
    return list(due[:size])


def _materialize_chunk(standing_orders: list[StandingOrder], *, now: dt.datetime, result: PassResult) -> None:
    """Writes the runs of locked standing orders with one query per table, not per row."""
    if not standing_orders:
        return
    plans = [(standing_order, _materialize_plan(standing_order, now=now)) for standing_order in standing_orders]
    days = {day for _, plan in plans for day, _ in plan.runs}
    # Dates the customer skipped ahead of time already have their row: leave it as it is.
    existing = set(
        Run.objects.filter(
            standing_order__in=standing_orders, kind=Run.Kind.OCCURRENCE, scheduled_for__in=days
        ).values_list("standing_order_id", "scheduled_for")
    )
    created_at = clock.now()
    rows = [
        Run(
            standing_order=standing_order,
            scheduled_for=day,
            due_at=due_at,
            status=Run.Status.SKIPPED if plan.paused(day) else Run.Status.SCHEDULED,
            skip_reason="paused" if plan.paused(day) else "",
            next_attempt_at=None if plan.paused(day) else due_at,
            created_at=created_at,
            updated_at=created_at,
        )
        for standing_order, plan in plans
        for day, due_at in plan.runs
        if (standing_order.pk, day) not in existing
    ]
    Run.objects.bulk_create(rows)
    result.items += len(rows)
    # One update per distinct new bookmark: standing orders due together usually move to the same one.
    bookmarks: dict[tuple, list[int]] = defaultdict(list)
    for standing_order, plan in plans:
        standing_order.materialized_through = plan.through
        standing_order.next_materialize_at = plan.next_materialize_at
        standing_order.updated_at = created_at
        bookmarks[(plan.through, plan.next_materialize_at)].append(standing_order.pk)
    for (through, next_at), pks in bookmarks.items():
        StandingOrder.objects.filter(pk__in=pks).update(
            materialized_through=through, next_materialize_at=next_at, updated_at=created_at
        )
    for standing_order, plan in plans:
        if plan.next_materialize_at is None:
            standing_order_transition(
                standing_order=standing_order, to=StandingOrder.Status.ENDED, data={"reason": "schedule complete"}
            )
            result.events.append({"type": "ended", "standing_order": standing_order.public_id})
        if (
            standing_order.status == StandingOrder.Status.PAUSED
            and standing_order.paused_until is not None
            and standing_order.paused_until <= clock.today(standing_order.timezone)
        ):
            standing_order.paused_until = None
            standing_order_transition(
                standing_order=standing_order, to=StandingOrder.Status.ACTIVE, data={"reason": "pause ended"}
            )


@dataclass(frozen=True)
class _MaterializePlan:
    runs: list[tuple[dt.date, dt.datetime]]  # (occurrence date, due at) up to the notice window
    through: dt.date | None  # the new bookmark
    next_materialize_at: dt.datetime | None  # None: the schedule is complete
    status: str
    paused_until: dt.date | None

    def paused(self, day: dt.date) -> bool:
        """Whether the occurrence on `day` falls inside the pause (its run is created skipped)."""
        return self.status == StandingOrder.Status.PAUSED and (self.paused_until is None or day < self.paused_until)


def _materialize_plan(standing_order: StandingOrder, *, now: dt.datetime) -> _MaterializePlan:
    """The occurrences of one standing order that need their run now, and where its bookmark moves (no writes)."""
    schedule = standing_order.schedule
    horizon = now + dt.timedelta(days=standing_order.notice_days)  # occurrences due up to here get their rows
    after = standing_order.materialized_through or (standing_order.start_date - dt.timedelta(days=1))
    runs = []
    last = after
    next_materialize_at = None  # stays None when the schedule has no occurrence after `last`
    while upcoming := schedule.next_dates(after=last, count=1):
        due_at = schedule.due_at(upcoming[0])
        if due_at > horizon:
            next_materialize_at = due_at - dt.timedelta(days=standing_order.notice_days)
            break
        last = upcoming[0]
        runs.append((last, due_at))
    return _MaterializePlan(
        runs=runs,
        through=last,
        next_materialize_at=next_materialize_at,
        status=standing_order.status,
        paused_until=standing_order.paused_until,
    )
