"""Where the timeline's system entries come from: the events the other apps already write.

The other apps never call the CRM; `crm.timeline_sync` reads their event rows. Each source is a
`TimelineSource`: a name, a function giving the rows written since a moment, and a function turning a batch of
those rows into activities, each with a `source_key` naming the row ("order_event:42").

Adding a source is one `TimelineSource` appended to
`SOURCES` below, reading that app's rows through its models or selectors: the cursor, the overlap, the batching
and the exactly-once insert are the sync's (crm/timeline.py), not the source's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from autosales.billing.models import AccountEvent, Invoice, PaymentReceived
from autosales.crm.models import Activity, ActivityKind, Contact
from autosales.customers.models import Membership, Organization
from autosales.fulfillment.models import Shipment, ShipmentStatus
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
# is cancelled or refunded; a card's capture (placed -> paid) tells sales nothing, and its shipping and delivery
# are the shipments' own entries (below). A move to shipped with a reason (the rest of it cancelled) stays.
PLACED = (OrderStatus.PLACED, OrderStatus.ON_ACCOUNT)
QUIET = (OrderStatus.PAID, OrderStatus.PENDING_PAYMENT)
SHIPMENTS_TELL = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
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
            if to in QUIET or to in PLACED or (to in SHIPMENTS_TELL and not event.data.get("reason")):
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
        Shipment: lambda ids: Shipment.objects.filter(pk__in=ids).values_list("pk", "order__organization_id"),
        Invoice: lambda ids: Invoice.objects.filter(pk__in=ids).values_list("pk", "organization_id"),
        Organization: lambda ids: Organization.objects.filter(pk__in=ids).values_list("pk", "pk"),
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


# --- shipments (fulfillment) ---


def _shipment_rows(since):
    queryset = Shipment.objects.all()
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.select_related("order").order_by("created_at", "pk")


def _shipment_data(shipment: Shipment) -> dict:
    order = shipment.order
    return {"order": order.public_id, "number": order.number_display, "shipment": shipment.number}


def _shipment_activities(shipments: Sequence[Shipment]) -> Iterable[Activity]:
    for shipment in shipments:
        parcels = f"{shipment.parcels} parcels" if shipment.parcels > 1 else "1 parcel"
        yield Activity(
            organization_id=shipment.order.organization_id,
            author_id=shipment.created_by_id,
            at=shipment.shipped_at,
            kind=ActivityKind.SHIPMENT,
            subject=f"Shipment {shipment.number} of order {shipment.order.number_display} shipped"[:300],
            body=f"{shipment.carrier_name} {shipment.tracking_number}, {parcels}.",
            data={**_shipment_data(shipment), "status": ShipmentStatus.SHIPPED, "tracking_url": shipment.tracking_url},
            source_key=f"shipment_shipped:{shipment.pk}",
        )


# A delivery may be recorded after the fact (a carrier's file): the cursor walks by the moment it was recorded.
def _delivery_rows(since):
    queryset = Shipment.objects.filter(status=ShipmentStatus.DELIVERED, delivered_at__isnull=False)
    if since is not None:
        queryset = queryset.filter(updated_at__gt=since)
    return queryset.select_related("order").order_by("updated_at", "pk")


def _delivery_activities(shipments: Sequence[Shipment]) -> Iterable[Activity]:
    for shipment in shipments:
        yield Activity(
            organization_id=shipment.order.organization_id,
            at=shipment.delivered_at,
            kind=ActivityKind.SHIPMENT,
            subject=f"Shipment {shipment.number} of order {shipment.order.number_display} delivered"[:300],
            body=f"{shipment.carrier_name} {shipment.tracking_number}.",
            data={**_shipment_data(shipment), "status": ShipmentStatus.DELIVERED},
            source_key=f"shipment_delivered:{shipment.pk}",
        )


# --- billing: invoices, credit notes, payments received, reminders and credit hold ---


def _invoice_rows(since):
    # A card order's receipt is issued already paid: the order's own entry tells it.
    queryset = Invoice.objects.exclude(source=Invoice.Source.RECEIPT)
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.select_related("order", "credited_invoice").order_by("created_at", "pk")


def _invoice_activities(invoices: Sequence[Invoice]) -> Iterable[Activity]:
    for invoice in invoices:
        data = {"invoice": invoice.public_id, "invoice_number": invoice.number, "document": invoice.kind}
        if invoice.order_id:
            data |= {"order": invoice.order.public_id, "number": invoice.order.number_display}
        if invoice.is_credit_note:
            against = invoice.credited_invoice.number if invoice.credited_invoice_id else ""
            subject = f"Credit note {invoice.number} for {invoice.total_money}" + (f" on {against}" if against else "")
            body = invoice.reason
        else:
            subject = f"Invoice {invoice.number} issued for {invoice.total_money}"
            body = f"Due {invoice.due_date:%b %d, %Y}" + (f" ({invoice.terms_label})." if invoice.terms_label else ".")
            if invoice.customer_reference:
                body += f" PO / reference {invoice.customer_reference}."
        yield Activity(
            organization_id=invoice.organization_id,
            author_id=invoice.issued_by_id,
            at=invoice.issued_at,
            kind=ActivityKind.INVOICE,
            subject=subject[:300],
            body=body[:2000],
            data=data,
            source_key=f"invoice:{invoice.pk}",
        )


def _payment_rows(since):
    # A card payment in the store is the order's own (placed and paid by card).
    queryset = PaymentReceived.objects.exclude(method=PaymentReceived.Method.CARD)
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.order_by("created_at", "pk")


def _payment_activities(payments: Sequence[PaymentReceived]) -> Iterable[Activity]:
    for payment in payments:
        details = [f"Received {payment.received_on:%b %d, %Y}"]
        if payment.reference:
            details.append(f"reference {payment.reference}")
        if payment.payer:
            details.append(f"from {payment.payer}")
        yield Activity(
            organization_id=payment.organization_id,
            author_id=payment.recorded_by_id,
            at=payment.created_at,
            kind=ActivityKind.PAYMENT,
            subject=f"Payment of {payment.amount_money} by {payment.get_method_display().lower()}"[:300],
            body=(", ".join(details) + ".")[:2000],
            data={"payment": payment.public_id, "method": payment.method},
            source_key=f"payment_received:{payment.pk}",
        )


# Statements are monthly routine (their email is on the timeline as an email from the shop).
ACCOUNT_EVENT_KINDS = (
    AccountEvent.Kind.REMINDER,
    AccountEvent.Kind.CREDIT_HOLD,
    AccountEvent.Kind.CREDIT_RELEASED,
)


def _account_event_rows(since):
    queryset = AccountEvent.objects.filter(kind__in=ACCOUNT_EVENT_KINDS)
    if since is not None:
        queryset = queryset.filter(created_at__gt=since)
    return queryset.select_related("invoice").order_by("created_at", "pk")


def _account_event_activities(events: Sequence[AccountEvent]) -> Iterable[Activity]:
    for event in events:
        data = {"account_event": event.kind}
        if event.invoice_id:
            data |= {"invoice": event.invoice.public_id, "invoice_number": event.invoice.number}
        yield Activity(
            organization_id=event.organization_id,
            at=event.at,
            kind=ActivityKind.ACCOUNT,
            subject=event.message[:300],
            data=data,
            source_key=f"account_event:{event.pk}",
        )


SOURCES: list[TimelineSource] = [
    TimelineSource("order_events", _order_event_rows, "created_at", _order_event_activities),
    TimelineSource("standing_order_changes", _change_rows, "created_at", _change_activities),
    TimelineSource("standing_order_failed_runs", _failed_run_rows, "processed_at", _failed_run_activities),
    TimelineSource("emails_sent", _sent_email_rows, "sent_at", _sent_email_activities),
    TimelineSource("shipments_shipped", _shipment_rows, "created_at", _shipment_activities),
    TimelineSource("shipments_delivered", _delivery_rows, "updated_at", _delivery_activities),
    TimelineSource("invoices", _invoice_rows, "created_at", _invoice_activities),
    TimelineSource("payments_received", _payment_rows, "created_at", _payment_activities),
    TimelineSource("account_events", _account_event_rows, "created_at", _account_event_activities),
]
