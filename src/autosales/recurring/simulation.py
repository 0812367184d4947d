"""What the standing orders will do: the scheduler, the notices and the outbox run on a moved clock.

The clock jumps from one moment something is due to the next (a run, a retry, a notice, an email), so a
year with a handful of standing orders takes seconds, and each run happens exactly at its due time.

`simulate` changes the database it runs on (orders are placed, stock allocated, emails queued): callers run
it on a scratch copy (see the `simulate` command), never on the live database. Emails are delivered into the
copy's mailbox, never over SMTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Min
from django.test.utils import override_settings

from autosales.core import clock
from autosales.jobs.registry import JobResult, registered_jobs
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.scheduler.notices import NOTICED_STATUSES
from autosales.recurring.simulated_fulfillment import (
    HANDLING,
    RECEIVING_EVERY,
    TRANSIT,
    deliver_due,
    next_fulfillment_moment,
    receive_suggested,
    ship_due,
)
from autosales.recurring.transitions import OPEN_RUN_STATUSES

# Never step by less than this, so a moment that keeps coming back cannot stall the simulation.
MIN_STEP = dt.timedelta(seconds=1)
# Other apps' daily work that each day the simulation stops on runs too, by job name (the registry spares
# recurring importing them): billing's invoices, overdue reminders and credit holds, monthly statements, and the
# CRM's automation rules.
# The simulation also stops on the days they say they have work (`JobSpec.work_due`: a reminder's day, a hold,
# the 1st of a month), so each shows on its own day; on other days nothing is due and nothing is skipped.
DAILY_JOBS = ("billing.issue_invoices", "billing.dunning", "billing.send_statements", "crm.automation")


def simulate(
    *,
    until: dt.date,
    time_zone: str,
    start: dt.datetime | None = None,
    shipping: bool = True,
    receive_stock: bool = False,
    handling: dt.timedelta = HANDLING,
    transit: dt.timedelta = TRANSIT,
) -> Iterator[dict]:
    """Yields one event dict per thing that happens (`type`, `date`, `at`, ...) from `start` until the end of `until`.

    `until` ends at midnight in `time_zone`, and each event's `date` and `at` (ISO 8601 with its offset) are
    local to it. Event types: placed, notice, payment_failed, out_of_stock, failed, retry, skipped, ended, email,
    job (another app's daily job that did something, e.g. billing's invoices, reminders, credit holds),
    and with `shipping` (orders leave `handling` after they are placed, arrive `transit` later): shipped,
    delivered; with `receive_stock` (the forecast's suggested quantities, every week from the start): received.
    """
    zone = ZoneInfo(time_zone)
    moment = start or clock.now()
    end = day_start(until + dt.timedelta(days=1), zone)
    if end <= moment:
        return
    jobs = registered_jobs()
    daily = [jobs[name] for name in DAILY_JOBS if name in jobs]
    last_day = None
    next_receipt = moment if receive_stock else None
    with override_settings(EMAIL_URL="mailbox://"):
        while moment is not None and moment < end:
            clock.set_now(moment)
            local = moment.astimezone(zone)
            stamp = {"date": local.date().isoformat(), "at": local.isoformat()}
            if next_receipt is not None and moment >= next_receipt:
                for event in receive_suggested(now=moment, today=local.date()):
                    yield {**stamp, **event}
                next_receipt = moment + RECEIVING_EVERY
            for event in scheduler_tick(now=moment).events:
                yield {**stamp, **event}
            if shipping:
                for event in (*ship_due(now=moment, handling=handling), *deliver_due(now=moment, transit=transit)):
                    yield {**stamp, **event}
            if daily and local.date() != last_day:
                last_day = local.date()
                yield from _daily_jobs(local, daily)
            yield from _emails_sent(local)
            candidates = [next_moment(), next_receipt]
            if shipping:
                candidates.append(next_fulfillment_moment(handling=handling, transit=transit))
            candidates += [spec.work_due(moment) for spec in daily if spec.work_due is not None]
            candidates = [c for c in candidates if c is not None]
            moment = max(min(candidates), moment + MIN_STEP) if candidates else None
    clock.set_now(None)


def _daily_jobs(local: dt.datetime, specs) -> Iterator[dict]:
    """Runs each daily job once for the day; an event for each that did something, and the events it reports (the
    CRM's automatic tasks and emails, each with its rule)."""
    for spec in specs:
        result = spec.func()
        items = result.items if isinstance(result, JobResult) else int(result or 0)
        if isinstance(result, JobResult):
            for event in result.events:
                yield {"date": local.date().isoformat(), "at": local.isoformat(), **event}
        if items:
            yield {
                "type": "job",
                "date": local.date().isoformat(),
                "at": local.isoformat(),
                "job": spec.name,
                "items": items,
                "reason": f"{spec.name}: {items}",
            }


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight at the start of `day` in `zone`, in UTC (the first moment of that local day)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def next_moment() -> dt.datetime | None:
    """The earliest moment the scheduler has something to do: materialize, notify, place or retry a run."""
    candidates = [
        StandingOrder.objects.filter(
            status__in=[StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED], next_materialize_at__isnull=False
        ).aggregate(at=Min("next_materialize_at"))["at"],
        Run.objects.filter(status__in=OPEN_RUN_STATUSES, next_attempt_at__isnull=False).aggregate(
            at=Min("next_attempt_at")
        )["at"],
    ]
    waiting = Run.objects.filter(
        status=Run.Status.SCHEDULED,
        kind=Run.Kind.OCCURRENCE,
        notice_sent_at__isnull=True,
        standing_order__status__in=NOTICED_STATUSES,
        standing_order__notice_days__gt=0,
    ).values_list("due_at", "standing_order__notice_days")
    candidates += [due_at - dt.timedelta(days=notice_days) for due_at, notice_days in waiting]
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None


def _emails_sent(moment: dt.datetime) -> Iterator[dict]:
    pending = set(OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).values_list("pk", flat=True))
    if not pending:
        return
    outbox_deliver_pass()
    for email in OutboxEmail.objects.filter(pk__in=pending, status=OutboxEmail.Status.SENT).order_by("pk"):
        yield {
            "type": "email",
            "date": moment.date().isoformat(),
            "at": moment.isoformat(),
            "to": email.to,
            "subject": email.subject,
            "template": email.template,
        }
