"""What is waiting to be invoiced: shipments of account orders, orders invoiced at placement, card orders'
receipts (per order, or per shipment's capture), and customers' months. Each read returns only sources without their invoice, so the job that issues
them finds nothing left once they are issued (and the invoice's unique source makes a second issue impossible).
This is the one module of billing that reads fulfillment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, Sum

from autosales.billing.issuing import ShippedLine, WhatShipped
from autosales.billing.models import Invoice, InvoiceLine
from autosales.customers.models import Organization
from autosales.fulfillment.models import CaptureStatus, Shipment, ShipmentLine
from autosales.orders.models import Order, OrderLine, OrderStatus, PaymentKind
from autosales.orders.selectors import ACCOUNT_OPEN

S = OrderStatus
# Card orders whose money is taken: their receipt is due.
CARD_PAID = frozenset({S.PAID, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED})


def _invoiced(source: str, field: str = "public_id"):
    return Exists(Invoice.objects.filter(source=source, source_id=OuterRef(field)))


def shipments_to_invoice(*, limit: int = 200) -> list[WhatShipped]:
    """Shipments of on-account orders of customers invoiced per shipment that have no invoice yet, oldest first."""
    return _what_shipped(
        Shipment.objects.filter(order__payment_kind=PaymentKind.ACCOUNT, order__organization__invoicing="per_shipment")
        .exclude(_invoiced(Invoice.Source.SHIPMENT))
        .order_by("shipped_at", "id")[:limit]
    )


def card_shipments_to_receipt(*, limit: int = 200) -> list[WhatShipped]:
    """Shipments of card orders captured per shipment (PAYMENT_CAPTURE_AT_SHIPMENT) whose capture is taken and that
    have no receipt yet, in the order they were captured: one paid receipt per capture."""
    return _what_shipped(
        Shipment.objects.filter(order__payment_kind=PaymentKind.CARD, capture_status=CaptureStatus.CAPTURED)
        .exclude(_invoiced(Invoice.Source.RECEIPT))
        .order_by("captured_at", "id")[:limit]
    )


def _what_shipped(shipments) -> list[WhatShipped]:
    shipments = list(shipments)
    lines: dict[int, list[ShippedLine]] = {}
    for line in ShipmentLine.objects.filter(shipment__in=shipments).order_by("id"):
        lines.setdefault(line.shipment_id, []).append(
            ShippedLine(order_line_id=line.order_line_id, quantity=line.quantity)
        )
    return [
        WhatShipped(
            order_id=shipment.order_id,
            lines=tuple(lines.get(shipment.pk, ())),
            shipped_at=shipment.shipped_at,
            reference=shipment.number,
            shipment_id=shipment.public_id,
            captured=shipment.capture_amount if shipment.capture_status == CaptureStatus.CAPTURED else None,
        )
        for shipment in shipments
    ]


def _uninvoiced_lines():
    return Exists(OrderLine.objects.filter(order=OuterRef("pk"), quantity_invoiced__lt=F("quantity")))


def orders_to_invoice(*, limit: int = 200) -> list[Order]:
    """On-account orders of customers invoiced per order (at placement) that have no invoice yet."""
    return list(
        Order.objects.filter(
            payment_kind=PaymentKind.ACCOUNT, status__in=ACCOUNT_OPEN, organization__invoicing="per_order"
        )
        .exclude(_invoiced(Invoice.Source.ORDER))
        .filter(_uninvoiced_lines())
        .order_by("placed_at", "id")[:limit]
    )


def card_orders_to_receipt(*, limit: int = 200) -> list[Order]:
    """Card orders whose money is taken at once (not per shipment) and that have no receipt yet."""
    captured_per_shipment = Exists(
        Shipment.objects.filter(order=OuterRef("pk")).exclude(capture_status=CaptureStatus.NONE)
    )
    return list(
        Order.objects.filter(payment_kind=PaymentKind.CARD, status__in=CARD_PAID)
        .exclude(captured_per_shipment)
        .exclude(_invoiced(Invoice.Source.RECEIPT))
        .filter(_uninvoiced_lines())
        .order_by("placed_at", "id")[:limit]
    )


@dataclass(frozen=True)
class MonthDue:
    organization: Organization
    year: int
    month: int
    orders: list[Order]


def months_to_invoice(*, today: dt.date, start_of_month: dt.datetime) -> list[MonthDue]:
    """Customers invoiced monthly with account orders placed before this month (`start_of_month`, the shop's
    midnight of the 1st) still to invoice: last month's invoice of each, if it was not issued yet."""
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    source_id = f"{{}}:{last.year:04d}-{last.month:02d}"
    orders = list(
        Order.objects.filter(
            Q(payment_kind=PaymentKind.ACCOUNT, status__in=ACCOUNT_OPEN, organization__invoicing="monthly"),
            placed_at__lt=start_of_month,
        )
        .filter(_uninvoiced_lines())
        .select_related("organization")
        .order_by("organization_id", "placed_at", "id")
    )
    by_organization: dict[int, list[Order]] = {}
    for order in orders:
        by_organization.setdefault(order.organization_id, []).append(order)
    issued = set(
        Invoice.objects.filter(
            source=Invoice.Source.MONTHLY,
            source_id__in=[source_id.format(o[0].organization.public_id) for o in by_organization.values()],
        ).values_list("source_id", flat=True)
    )
    return [
        MonthDue(organization=group[0].organization, year=last.year, month=last.month, orders=group)
        for group in by_organization.values()
        if source_id.format(group[0].organization.public_id) not in issued
    ]


@dataclass(frozen=True)
class CancelledRemainder:
    invoice: Invoice
    invoice_line_id: int
    order_line_id: int
    units: int  # cancelled units not credited yet
    cancelled: int  # all cancelled units of the order line (the credit's source id)
    order_cancelled: bool  # the whole order: its invoice's shipping is credited too


def cancelled_to_credit(*, limit: int = 200) -> list[CancelledRemainder]:
    """Invoiced units whose order line was later cancelled (an unshipped remainder, or the whole order, of an
    order invoiced at placement or monthly) and that no credit note has credited yet."""
    lines = (
        InvoiceLine.objects.filter(
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__source__in=[Invoice.Source.ORDER, Invoice.Source.MONTHLY],
        )
        .filter(Q(order_line__quantity_cancelled__gt=0) | Q(order_line__order__status=OrderStatus.CANCELLED))
        .select_related("invoice", "order_line", "order_line__order")
        .order_by("id")[: limit * 4]
    )
    lines = list(lines)
    credited = {
        row["order_line_id"]: row["units"]
        for row in InvoiceLine.objects.filter(
            invoice__kind=Invoice.Kind.CREDIT_NOTE, order_line_id__in=[line.order_line_id for line in lines]
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    }
    due = []
    for line in lines:
        order_line = line.order_line
        cancelled = (
            order_line.quantity if order_line.order.status == OrderStatus.CANCELLED else order_line.quantity_cancelled
        )
        units = min(cancelled, line.quantity) - credited.get(line.order_line_id, 0)
        if units > 0:
            due.append(
                CancelledRemainder(
                    invoice=line.invoice,
                    invoice_line_id=line.pk,
                    order_line_id=line.order_line_id,
                    units=units,
                    cancelled=cancelled,
                    order_cancelled=order_line.order.status == OrderStatus.CANCELLED,
                )
            )
    return due[:limit]
