"""Where the timeline's system entries come from: the events the other apps already write.

The other apps never call the CRM; `crm.timeline_sync` reads their event rows. Each source is a
`TimelineSource`: a name, a function giving the rows written since a moment, and a function turning a batch of
those rows into activities, each with a `source_key` naming the row ("order_event:42").

Adding a source (shipments, invoices, payments received, store visits, ...) is one `TimelineSource` appended to
`SOURCES` below, reading that app's rows through its models or selectors: the cursor, the overlap, the batching
and the exactly-once insert are the sync's (crm/timeline.py), not the source's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from autosales.crm.models import Activity, ActivityKind, Contact
from autosales.customers.models import Membership
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order, OrderEvent, OrderStatus
from autosales.recurring.models import Change, Run, StandingOrder


@dataclass(frozen=True)
class TimelineSource:
    name: str
    # Rows of the source written after `since` (None: all of them), ordered by (moment, pk).
    rows: Callable[[dt.datetime | None], QuerySet]
    # The field holding the moment a row was written (or became final); the cursor advances by it.
    moment_field: str
    # The activities of a batch of rows (rows that concern no organization give none).
    activities: Callable[[Sequence], Iterable[Activity]]


# --- orders ---

ORDER_EVENT_KINDS = (OrderEvent.Kind.STATUS_CHANGED, OrderEvent.Kind.NOTE)
# An order is on the timeline from the move that makes it an order (out of awaiting payment), and again when it
# ships, arrives, is cancelled or refunded; a card's capture (placed -> paid) tells sales nothing.
PLACED = (OrderStatus.PLACED, OrderStatus.ON_ACCOUNT)
QUIET = (OrderStatus.PAID, OrderStatus.PENDING_PAYMENT)
_STATUS_LABELS = dict(OrderStatus.choices)


def _order_event_rows(since):
    queryset = OrderEvent.objects.filter(kind__in=ORDER_EVENT_KINDS)
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.select_related("order").order_by("created_at", "pk")


def _order_event_activities(events: Sequence[OrderEvent]) -> Iterable[Activity]:
    for event in events:
        order = event.order
        data = {"order": order.public_id, "number": order.number_display, "event": event.kind}
        to = event.data.get("to", "")
        if event.kind == OrderEvent.Kind.STATUS_CHANGED and to in PLACED and event.data.get("from") not in PLACED:
            subject = f"Order {order.number_display} placed for {order.total_money}"
            body = f"Placed via {order.get_source_display().lower()}, {order.get_payment_kind_display().lower()}."
            if order.standing_order_run_id:
                body += " From a standing order."
            data["status"] = to
            data["placed"] = True
        elif event.kind == OrderEvent.Kind.STATUS_CHANGED:
            if to in QUIET or to in PLACED:
                continue
            subject = f"Order {order.number_display}: {_STATUS_LABELS.get(to, to).lower()}"
            body = event.data.get("reason", "")
            data["status"] = to
        else:
            subject = f"Order {order.number_display}: note"
            body = event.data.get("text", "") or event.data.get("note", "")
        yield Activity(
            organization_id=order.organization_id,
            author_id=event.actor_id,
            at=event.at,
            kind=ActivityKind.ORDER,
            subject=subject[:300],
            body=body,
            data=data,
            source_key=f"order_event:{event.pk}",
        )


# --- standing orders ---

_CHANGE_LABELS = {
    "created": "set up",
    "lines_changed": "lines changed",
    "updated": "changed",
    "rescheduled": "schedule changed",
    "skipped": "date skipped",
    "unskipped": "skipped date restored",
    "pause_changed": "paused or resumed",
    "cancelled": "cancelled",
}


def _change_rows(since):
    queryset = Change.objects.all()
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.select_related("standing_order").order_by("created_at", "pk")


def _standing_order_name(standing_order: StandingOrder) -> str:
    return standing_order.name or f"Standing order {standing_order.public_id[:6].upper()}"


def _change_activities(changes: Sequence[Change]) -> Iterable[Activity]:
    for change in changes:
        standing_order = change.standing_order
        label = _CHANGE_LABELS.get(change.kind, change.kind.replace("_", " "))
        details = ", ".join(f"{k}: {v}" for k, v in sorted(change.data.items()) if not isinstance(v, (dict, list)))
        yield Activity(
            organization_id=standing_order.organization_id,
            author_id=change.actor_id,
            at=change.created_at,
            kind=ActivityKind.STANDING_ORDER,
            subject=f"{_standing_order_name(standing_order)}: {label}"[:300],
            body=details[:2000],
            data={"standing_order": standing_order.public_id, "change": change.kind},
            source_key=f"so_change:{change.pk}",
        )


def _failed_run_rows(since):
    queryset = Run.objects.filter(status=Run.Status.FAILED, processed_at__isnull=False)
    if since is not None:
        queryset = queryset.filter(processed_at__gt=since)
    return queryset.select_related("standing_order").order_by("processed_at", "pk")


def _failed_run_activities(runs: Sequence[Run]) -> Iterable[Activity]:
    for run in runs:
        standing_order = run.standing_order
        yield Activity(
            organization_id=standing_order.organization_id,
            at=run.processed_at,
            kind=ActivityKind.STANDING_ORDER,
            subject=f"{_standing_order_name(standing_order)}: the order of {run.scheduled_for:%b %d, %Y} failed"[:300],
            body=run.last_error[:2000],
            data={
                "standing_order": standing_order.public_id,
                "run_date": run.scheduled_for.isoformat(),
                "failure_code": run.failure_code,
                "failed": True,
            },
            source_key=f"so_run_failed:{run.pk}",
        )


# --- emails the shop sent ---


# Emails written from a profile (crm.outreach) are on the timeline from the moment they are written.
ALREADY_ON_THE_TIMELINE = ("crm/message",)


def _sent_email_rows(since):
    queryset = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, sent_at__isnull=False).exclude(
        template__in=ALREADY_ON_THE_TIMELINE
    )
    if since is not None:
        queryset = queryset.filter(sent_at__gt=since)
    return queryset.select_related("related_type").order_by("sent_at", "pk")


def _organizations_of_emails(emails: Sequence[OutboxEmail]) -> dict[int, int]:
    """email pk -> organization id: from the object the email is about, else from a recipient who is a contact
    or a member (only when the address belongs to one organization)."""
    result: dict[int, int] = {}
    by_model: dict[type, dict[str, list[int]]] = {}
    for email in emails:
        if email.related_type_id and email.related_id:
            model = email.related_type.model_class()
            by_model.setdefault(model, {}).setdefault(email.related_id, []).append(email.pk)
    lookups = {
        Order: lambda ids: Order.objects.filter(pk__in=ids).values_list("pk", "organization_id"),
        Run: lambda ids: Run.objects.filter(pk__in=ids).values_list("pk", "standing_order__organization_id"),
        StandingOrder: lambda ids: StandingOrder.objects.filter(pk__in=ids).values_list("pk", "organization_id"),
    }
    for model, ids in by_model.items():
        lookup = lookups.get(model)
        if lookup is None:
            continue
        for pk, organization_id in lookup([i for i in ids if i.isdigit()]):
            for email_pk in ids.get(str(pk), []):
                result[email_pk] = organization_id
    addresses = {a.lower() for e in emails if e.pk not in result for a in e.to}
    if addresses:
        owners: dict[str, set[int]] = {}
        for address, organization_id in Contact.objects.filter(email__in=addresses).values_list(
            "email", "organization_id"
        ):
            owners.setdefault(address.lower(), set()).add(organization_id)
        for address, organization_id in Membership.objects.filter(user__email__in=addresses).values_list(
            "user__email", "organization_id"
        ):
            owners.setdefault(address.lower(), set()).add(organization_id)
        for email in emails:
            if email.pk in result:
                continue
            found = set().union(*(owners.get(a.lower(), set()) for a in email.to)) if email.to else set()
            if len(found) == 1:
                result[email.pk] = found.pop()
    return result


def _sent_email_activities(emails: Sequence[OutboxEmail]) -> Iterable[Activity]:
    organizations = _organizations_of_emails(emails)
    for email in emails:
        organization_id = organizations.get(email.pk)
        if organization_id is None or email.sensitive:  # a security email's content is its recipient's alone
            continue
        yield Activity(
            organization_id=organization_id,
            at=email.sent_at,
            kind=ActivityKind.EMAIL_SENT,
            subject=(email.subject or email.template)[:300],
            body=f"To {email.to_display}",
            data={"outbox": email.public_id, "template": email.template, "to": email.to},
            source_key=f"outbox:{email.pk}",
        )


SOURCES: list[TimelineSource] = [
    TimelineSource("order_events", _order_event_rows, "created_at", _order_event_activities),
    TimelineSource("standing_order_changes", _change_rows, "created_at", _change_activities),
    TimelineSource("standing_order_failed_runs", _failed_run_rows, "processed_at", _failed_run_activities),
    TimelineSource("emails_sent", _sent_email_rows, "sent_at", _sent_email_activities),
]
