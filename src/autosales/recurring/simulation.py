"""What the standing orders will do: the scheduler, the notices and the outbox run hour by hour on a moved clock.

`simulate` changes the database it runs on (orders are placed, stock allocated, emails queued): callers run
it on a scratch copy (see the `simulate` command), never on the live database. Emails are delivered into the
copy's mailbox, never over SMTP.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.test.utils import override_settings

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.recurring.scheduler import scheduler_tick

STEP = dt.timedelta(hours=1)


@dataclass
class SimulationSummary:
    counts: Counter = field(default_factory=Counter)
    days: int = 0


def simulate(*, until: dt.date, start: dt.datetime | None = None) -> Iterator[dict]:
    """Yields one event dict per thing that happens (`type`, `date`, `at`, ...) from `start` until the end of `until`.

    Event types: placed, notice, payment_failed, out_of_stock, failed, retry, skipped, ended, email.
    """
    moment = (start or clock.now()).replace(minute=0, second=0, microsecond=0)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if end <= moment:
        return
    with override_settings(EMAIL_URL="mailbox://"):
        while moment < end:
            clock.set_now(moment)
            for event in scheduler_tick(now=moment).events:
                yield {"date": moment.date().isoformat(), "at": moment.isoformat(), **event}
            yield from _emails_sent(moment)
            moment += STEP
    clock.set_now(None)


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
