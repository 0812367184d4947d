"""Pass 2: one advance-notice email per scheduled run inside its notice window."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from autosales.checkout.placement import LineRequest
from autosales.checkout.pricing import quote
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.notifications.services import email_queue
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.placement import standing_lines
from autosales.recurring.scheduler.recipients import absolute_link, standing_order_recipients
from autosales.recurring.scheduler.result import PassResult

NOTICED_STATUSES = (StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED)


def _estimate(standing_order: StandingOrder, lines: list[LineRequest]):
    try:
        return quote(
            organization=standing_order.organization,
            lines=lines,
            shipping_method=standing_order.shipping_method,
            shipping_address=standing_order.shipping_address,
        )
    except DomainError:
        return None


def notices_send(*, now: dt.datetime | None = None, limit: int = 500) -> PassResult:
    """Writes one advance-notice email per scheduled run inside its standing order's notice window."""
    now = now or clock.now()
    result = PassResult()
    candidates = (
        Run.objects.filter(
            status=Run.Status.SCHEDULED,
            kind=Run.Kind.OCCURRENCE,
            notice_sent_at__isnull=True,
            due_at__gt=now,
            # A scheduled run of a paused standing order is a date after the pause: it will be ordered.
            standing_order__status__in=NOTICED_STATUSES,
            standing_order__notice_days__gt=0,
        )
        .select_related("standing_order")
        .order_by("due_at")[:limit]
    )
    for run in list(candidates):
        if run.due_at - dt.timedelta(days=run.standing_order.notice_days) > now:
            continue
        with transaction.atomic():
            locked = (
                Run.objects.select_for_update(of=("self",))
                .select_related(
                    "standing_order__organization",
                    "standing_order__created_by",
                    "standing_order__shipping_address",
                    "standing_order__shipping_method",
                )
                .filter(pk=run.pk, notice_sent_at__isnull=True, status=Run.Status.SCHEDULED)
                .first()
            )
            if locked is None:
                continue
            standing_order = locked.standing_order
            recipients = standing_order_recipients(standing_order)
            if recipients:
                lines = standing_lines(standing_order)
                estimate = _estimate(standing_order, lines)
                email_queue(
                    to=recipients,
                    template="recurring/notice",
                    context={
                        "standing_order": standing_order,
                        "run": locked,
                        "date": locked.delivery_date,
                        # The date of the rule when its order was moved to the next working day, else None.
                        "moved_from": locked.scheduled_for if locked.moved_to else None,
                        "quote": estimate,
                        "manage_url": absolute_link(f"/standing-orders/{standing_order.public_id}/"),
                    },
                    related=locked,
                    message_id=f"notice-{standing_order.public_id}-{locked.scheduled_for:%Y%m%d}",
                    time_zone=standing_order.organization.local_time_zone,
                    language=standing_order.organization.email_language,
                )
            locked.notice_sent_at = now
            locked.save(update_fields=["notice_sent_at"])
            result.items += 1
            result.events.append(
                {
                    "type": "notice",
                    "standing_order": standing_order.public_id,
                    "scheduled_for": locked.scheduled_for.isoformat(),
                    "moved_to": locked.moved_to.isoformat() if locked.moved_to else None,
                    "to": recipients,
                }
            )
    return result
