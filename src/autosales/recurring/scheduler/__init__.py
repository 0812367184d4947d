"""The scheduler: turns standing orders into runs, sends advance notices, and places each due run once.

Three passes, each safe to run again, on any number of workers:
1. `runs_materialize`: for standing orders whose next occurrence comes within its notice window, create
   the run rows up to that window. Standing orders are locked a chunk at a time (SKIP LOCKED on PostgreSQL,
   so a second worker takes other rows) and their runs written with one insert per chunk; a run stays
   unique per standing order, date and kind (a database constraint). Occurrences missed while the system
   was down are created too, so none is lost.
2. `notices_send`: for runs inside their notice window, write the advance-notice email to the outbox in the
   same transaction that marks the notice sent.
3. `runs_place`: claim due runs (SKIP LOCKED on PostgreSQL, a lease everywhere) and place each through
   `place_order` with an idempotency key derived from the run, so a worker that dies mid-run and a
   retry produce one order and one charge. Out of stock, declined cards and accounts on hold follow the
   standing order's policy (backorder / retry) and the dunning schedule.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Min, Q

from autosales.core import clock
from autosales.jobs.claims import claimable_filter
from autosales.recurring.models import Run
from autosales.recurring.scheduler.materialize import runs_materialize
from autosales.recurring.scheduler.notices import notices_send
from autosales.recurring.scheduler.placement import run_idempotency_key, run_lease, runs_place
from autosales.recurring.scheduler.result import PassResult
from autosales.recurring.transitions import OPEN_RUN_STATUSES

__all__ = [
    "PassResult",
    "notices_send",
    "run_idempotency_key",
    "run_lease",
    "runs_due_count",
    "runs_due_exist",
    "runs_held_until",
    "runs_materialize",
    "runs_place",
    "scheduler_tick",
]


def scheduler_tick(*, now: dt.datetime | None = None) -> PassResult:
    """One full pass: materialize, send notices, place due runs (what the job and `simulate` call)."""
    now = now or clock.now()
    total = PassResult()
    for step in (runs_materialize, notices_send, runs_place):
        part = step(now=now)
        total.items += part.items
        total.failures += part.failures
        total.events.extend(part.events)
    return total


def runs_due_count(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    return Run.objects.filter(Q(status__in=OPEN_RUN_STATUSES), next_attempt_at__lte=now).count()


def runs_held_until(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the first due run that a worker holds now becomes free again if that worker does not finish it."""
    now = now or clock.now()
    held = Run.objects.filter(Q(status__in=OPEN_RUN_STATUSES), next_attempt_at__lte=now, claimed_until__gt=now)
    return held.aggregate(first=Min("claimed_until"))["first"]


def runs_due_exist(*, now: dt.datetime | None = None) -> bool:
    """Whether some run is due and not held by a worker (more work than one batch: other workers may join in)."""
    now = now or clock.now()
    due = Run.objects.filter(Q(status__in=OPEN_RUN_STATUSES), next_attempt_at__lte=now)
    return due.filter(claimable_filter(now=now)).exists()
