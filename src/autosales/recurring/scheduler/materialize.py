"""Pass 1: the run rows of every occurrence that is due or inside its notice window.

It also moves a standing order's status with its calendar: a pause with an end date ends on that date (local
midnight), and a standing order whose schedule has no more dates ends once its last runs are done (placed,
skipped or finally failed), not when they are made, so the last date is noticed, listed and skippable.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from autosales.core import clock
from autosales.recurring.lead_time import MAX_LEAD_DAYS, LeadTimes, lead_times
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.schedule import ScheduleError
from autosales.recurring.scheduler.result import PassResult
from autosales.recurring.selectors import is_paused_on, occurrence_skips, schedule_broken
from autosales.recurring.transitions import OPEN_RUN_STATUSES, standing_order_transition

# Standing orders materialized per transaction: their runs are written with one insert.
MATERIALIZE_CHUNK = 100
# A standing order whose schedule is complete ends once its last runs are done: it is looked at again this long
# after the last of them is due.
END_CHECK_DELAY = dt.timedelta(minutes=1)


def runs_materialize(*, now: dt.datetime | None = None, limit: int = 1000) -> PassResult:
    """Creates the run rows of every occurrence that is due or inside its notice window; returns how many."""
    now = now or clock.now()
    result = PassResult()
    handled = 0
    lead = lead_times()  # before any transaction: shared through the cache, read once for the pass
    while handled < limit:
        size = min(MATERIALIZE_CHUNK, limit - handled)
        with transaction.atomic():
            chunk = _due_for_materialize(now=now, size=size)
            _materialize_chunk(chunk, now=now, result=result, lead=lead)
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


def _materialize_chunk(
    standing_orders: list[StandingOrder], *, now: dt.datetime, result: PassResult, lead: LeadTimes
) -> None:
    """Writes the runs of locked standing orders with one query per table, not per row."""
    if not standing_orders:
        return
    skips = occurrence_skips(standing_orders=standing_orders)
    open_runs = _open_runs_by_standing_order(standing_orders)
    plans = [
        (standing_order, _materialize_plan(standing_order, now=now, skipped=skips[standing_order.pk], lead=lead))
        for standing_order in standing_orders
    ]
    days = {day for _, plan in plans for day, _, _ in plan.runs}
    # Dates the customer skipped ahead of time already have their row: leave it as it is.
    existing = set(
        Run.objects.filter(
            standing_order__in=standing_orders, kind=Run.Kind.OCCURRENCE, scheduled_for__in=days
        ).values_list("standing_order_id", "scheduled_for")
    )
    created_at = clock.now()
    rows = [
        _new_run(standing_order, day=day, moved_to=moved_to, due_at=due_at, created_at=created_at)
        for standing_order, plan in plans
        for day, moved_to, due_at in plan.runs
        if (standing_order.pk, day) not in existing
    ]
    Run.objects.bulk_create(rows)
    result.items += len(rows)
    for row in rows:
        if row.status == Run.Status.SCHEDULED:
            open_runs[row.standing_order_id].append(row.next_attempt_at)
    ending = []
    # One update per distinct new bookmark: standing orders due together usually move to the same one.
    bookmarks: dict[tuple, list[int]] = defaultdict(list)
    for standing_order, plan in plans:
        next_at = plan.next_materialize_at
        if plan.complete:
            if open_runs.get(standing_order.pk):
                # The last dates are made but not yet done: look again once the last of them is due.
                next_at = max(max(open_runs[standing_order.pk]), now) + END_CHECK_DELAY
            else:
                ending.append(standing_order)
        standing_order.materialized_through = plan.through
        standing_order.next_materialize_at = next_at
        standing_order.updated_at = created_at
        bookmarks[(plan.through, next_at)].append(standing_order.pk)
    for (through, next_at), pks in bookmarks.items():
        StandingOrder.objects.filter(pk__in=pks).update(
            materialized_through=through, next_materialize_at=next_at, updated_at=created_at
        )
    for standing_order in ending:
        standing_order_transition(
            standing_order=standing_order, to=StandingOrder.Status.ENDED, data={"reason": "schedule complete"}
        )
        result.events.append({"type": "ended", "standing_order": standing_order.public_id})
    for standing_order, plan in plans:
        if standing_order in ending or plan.resume_at is None or plan.resume_at > now:
            continue
        standing_order.paused_until = None
        standing_order_transition(
            standing_order=standing_order, to=StandingOrder.Status.ACTIVE, data={"reason": "pause ended"}
        )


def _new_run(
    standing_order: StandingOrder,
    *,
    day: dt.date,
    moved_to: dt.date | None,
    due_at: dt.datetime,
    created_at: dt.datetime,
) -> Run:
    """The run of one date (its order moved to a working day, if so): scheduled, or skipped when the date falls
    inside the pause."""
    paused = is_paused_on(standing_order, day)
    return Run(
        standing_order=standing_order,
        scheduled_for=day,
        moved_to=moved_to,
        due_at=due_at,
        status=Run.Status.SKIPPED if paused else Run.Status.SCHEDULED,
        skip_reason="paused" if paused else "",
        next_attempt_at=None if paused else due_at,
        created_at=created_at,
        updated_at=created_at,
    )


def _open_runs_by_standing_order(standing_orders: list[StandingOrder]) -> dict[int, list[dt.datetime]]:
    """When each open run (one that may still become an order) is next tried, by standing order: one query."""
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    for pk, next_attempt_at, due_at, claimed_until in Run.objects.filter(
        standing_order__in=standing_orders, status__in=OPEN_RUN_STATUSES
    ).values_list("standing_order_id", "next_attempt_at", "due_at", "claimed_until"):
        found[pk].append(max(moment for moment in (next_attempt_at, due_at, claimed_until) if moment is not None))
    return found


@dataclass(frozen=True)
class _MaterializePlan:
    runs: list[tuple[dt.date, dt.date | None, dt.datetime]]  # (occurrence date, moved to, due at) up to the window
    through: dt.date | None  # the new bookmark
    next_materialize_at: dt.datetime | None  # the next date's notice moment, or the end of the pause if sooner
    complete: bool  # no date after the bookmark: the standing order ends once its open runs are done
    resume_at: dt.datetime | None  # when a pause with an end date ends (midnight of that date, local time)


def _materialize_plan(standing_order: StandingOrder, *, now: dt.datetime, skipped, lead: LeadTimes) -> _MaterializePlan:
    """The occurrences of one standing order that need their run now, and where its bookmark moves (no writes)."""
    schedule = lead.schedule(standing_order)
    horizon = now + dt.timedelta(days=standing_order.notice_days)  # occurrences due up to here get their rows
    after = standing_order.materialized_through or (standing_order.start_date - dt.timedelta(days=1))
    resume_at = None
    if standing_order.status == StandingOrder.Status.PAUSED and standing_order.paused_until is not None:
        midnight = dt.datetime.combine(standing_order.paused_until, dt.time(), tzinfo=ZoneInfo(standing_order.timezone))
        resume_at = midnight.astimezone(dt.UTC)
    try:
        # Due times come before the date by its delivery lead time, and differ by less than two days more in any
        # time zone.
        near = schedule.dates(
            after=after, through=horizon.date() + dt.timedelta(days=2 + MAX_LEAD_DAYS), skipped=skipped
        )
        due = [(day, schedule.moved_to(day), schedule.due_at(day)) for day in near]
        runs = [(day, moved_to, due_at) for day, moved_to, due_at in due if due_at <= horizon]
        later = [day for day, _, due_at in due if due_at > horizon]
        if not later:
            later = schedule.next_dates(after=near[-1] if near else after, count=1, skipped=skipped)
    except ScheduleError as error:
        # Nothing is made for it and the pass goes on; a change of its schedule sets it going again.
        schedule_broken(standing_order, error)
        return _MaterializePlan(
            runs=[],
            through=standing_order.materialized_through,
            next_materialize_at=None,
            complete=False,
            resume_at=None,
        )
    next_materialize_at = schedule.due_at(later[0]) - dt.timedelta(days=standing_order.notice_days) if later else None
    if resume_at is not None and resume_at > now and (next_materialize_at is None or resume_at < next_materialize_at):
        next_materialize_at = resume_at
    return _MaterializePlan(
        runs=runs,
        through=runs[-1][0] if runs else after,
        next_materialize_at=next_materialize_at,
        complete=not later,
        resume_at=resume_at,
    )
