"""Issuing invoices: what shipped (or what was ordered) becomes a numbered invoice, once.

Contract:
- One source (a shipment, an order, a card order's receipt, a customer's month) gets at most one invoice: the
  pair (source, source id) is unique, and issuing looks for it under the customer's lock before issuing.
- In one transaction, with the order's row locked first (as fulfillment locks it), then the customer's row (the
  lock every billing write of a customer takes), then the year's counter row: the number, the
  invoice and its lines, the units invoiced on each order line, the order's invoiced total, the ledger entry,
  the use of any credit the customer has, and the email with the PDF. A failure leaves none of it, and gives the
  number back, so numbers have no gaps.
- Amounts add up: an order invoiced in several parts (shipments) is charged its shipping on the first part and
  its tax in proportion to the cumulative subtotal, so the parts sum to the order's total to the cent.
- An issued invoice never changes; corrections are credit notes (`credit_notes.py`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F

from autosales.billing.errors import BillingError
from autosales.billing.ledger import ledger_record_invoice, ledger_record_payment
from autosales.billing.models import Invoice, InvoiceLine, PaymentReceived
from autosales.billing.notices import invoice_email_queue
from autosales.billing.numbering import number_take
from autosales.billing.payments_received import amount_clean
from autosales.billing.settlement import allocation_make, invoice_apply_credit, organization_lock
from autosales.billing.terms import due_date_for
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.core.money import quantize
from autosales.customers.models import Organization
from autosales.customers.selectors import default_address_for
from autosales.orders.models import Order, OrderLine, PaymentKind


@dataclass(frozen=True)
class ShippedLine:
    order_line_id: int
    quantity: int


@dataclass(frozen=True)
class WhatShipped:
    """A shipment as billing needs it: which units of which order lines left, when, under what reference."""

    order_id: int
    lines: tuple[ShippedLine, ...]
    shipped_at: dt.datetime
    reference: str
    shipment_id: str  # the source id: one invoice per shipment
    captured: Decimal | None = None  # a card order's shipment: what its capture took (its receipt's total)


def _shop_today() -> dt.date:
    return clock.today(settings.SHOP_TIME_ZONE)


def _part(whole: Decimal, numerator: Decimal, denominator: Decimal, currency: str) -> Decimal:
    if denominator == 0 or numerator >= denominator:
        return whole if numerator >= denominator else Decimal(0)
    return quantize(whole * numerator / denominator, currency)


def _bill_to(organization: Organization) -> str:
    rows = [organization.name]
    address = default_address_for(organization=organization)
    if address is not None:
        rows += [row for row in address.lines() if row != organization.name]
    if organization.tax_id:
        rows.append(f"Tax id: {organization.tax_id}")
    return "\n".join(rows)


@dataclass
class _Draft:
    lines: list[InvoiceLine]
    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    tax_name: str
    order_invoiced: dict[int, Decimal]  # order id -> amount added to its invoiced total
    line_quantities: dict[int, int]  # order line id -> units invoiced now


def _draft(*, orders: dict[int, Order], units: dict[int, dict[int, int]], currency: str) -> _Draft:
    """The lines and amounts of invoicing `units` (order id -> order line id -> quantity) of the locked `orders`."""
    draft = _Draft(
        lines=[],
        subtotal=Decimal(0),
        tax=Decimal(0),
        shipping=Decimal(0),
        tax_name="",
        order_invoiced={},
        line_quantities={},
    )
    tax_names = []
    for order_id, wanted in units.items():
        order = orders[order_id]
        order_lines = {line.pk: line for line in order.lines.all()}
        sub_before = sub_after = Decimal(0)
        first_part = all(line.quantity_invoiced == 0 for line in order_lines.values())
        order_sub = Decimal(0)
        for line in order_lines.values():
            now_qty = wanted.get(line.pk, 0)
            if line.quantity_invoiced + now_qty > line.quantity:
                raise Conflict(
                    BillingError.OVER_INVOICED,
                    f"{line.sku}: {now_qty} more would invoice more than the {line.quantity} ordered "
                    f"({line.quantity_invoiced} invoiced already).",
                    "quantity",
                )
            before = _part(line.line_total, Decimal(line.quantity_invoiced), Decimal(line.quantity), currency)
            after = _part(line.line_total, Decimal(line.quantity_invoiced + now_qty), Decimal(line.quantity), currency)
            sub_before += before
            sub_after += after
            if now_qty:
                draft.lines.append(
                    InvoiceLine(
                        order_line=line,
                        sku=line.sku,
                        description=line.name if len(units) == 1 else f"{line.name} (order {order.number_display})",
                        quantity=now_qty,
                        unit_price=line.unit_price,
                        line_total=after - before,
                    )
                )
                draft.line_quantities[line.pk] = now_qty
        unknown = set(wanted) - set(order_lines)
        if unknown:
            raise DomainError(BillingError.NOTHING_TO_INVOICE, "A shipped line is not a line of its order.", "lines")
        order_sub = order.subtotal
        tax = _part(order.tax, sub_after, order_sub, currency) - _part(order.tax, sub_before, order_sub, currency)
        shipping = order.shipping if first_part else Decimal(0)
        part = (sub_after - sub_before) + tax + shipping
        draft.subtotal += sub_after - sub_before
        draft.tax += tax
        draft.shipping += shipping
        draft.order_invoiced[order.pk] = part
        if order.tax_name:
            tax_names.append(order.tax_name)
    draft.tax_name = ", ".join(dict.fromkeys(tax_names))
    if not draft.lines:
        raise DomainError(BillingError.NOTHING_TO_INVOICE, "There is nothing left to invoice.", "lines")
    return draft


def _issue(
    *,
    organization: Organization,
    draft: _Draft,
    source: str,
    source_id: str,
    order: Order | None,
    actor=None,
    currency: str,
    customer_reference: str = "",
    ship_to: str = "",
    shipment_reference: str = "",
    shipped_at: dt.datetime | None = None,
) -> Invoice:
    """Numbers and writes the invoice, its lines, the order bookkeeping and the ledger entry (lock held)."""
    now = clock.now()
    today = _shop_today()
    taken = number_take(kind=Invoice.Kind.INVOICE, year=today.year)
    total = draft.subtotal + draft.tax + draft.shipping
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE,
        number=taken.number,
        year=taken.year,
        sequence=taken.sequence,
        organization=organization,
        order=order,
        source=source,
        source_id=source_id,
        currency=currency,
        subtotal=draft.subtotal,
        tax=draft.tax,
        shipping=draft.shipping,
        total=total,
        tax_name=draft.tax_name,
        customer_reference=customer_reference,
        bill_to=_bill_to(organization),
        ship_to=ship_to,
        terms_label=organization.terms_label if source != Invoice.Source.RECEIPT else "Paid by card",
        issue_date=today,
        due_date=today
        if source == Invoice.Source.RECEIPT
        else due_date_for(organization=organization, issue_date=today),
        issued_at=now,
        shipment_reference=shipment_reference,
        shipped_at=shipped_at,
        issued_by=actor,
        status=Invoice.Status.OPEN if total > 0 else Invoice.Status.PAID,
        settled_at=None if total > 0 else now,
    )
    for line in draft.lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(draft.lines)
    lines = {line.pk: line for line in OrderLine.objects.filter(pk__in=draft.line_quantities)}
    for line_id, quantity in draft.line_quantities.items():
        lines[line_id].quantity_invoiced += quantity
    OrderLine.objects.bulk_update(lines.values(), ["quantity_invoiced"])
    for order_id, amount in draft.order_invoiced.items():
        Order.objects.filter(pk=order_id).update(invoiced_total=F("invoiced_total") + amount)
    ledger_record_invoice(invoice=invoice)
    return invoice


def _existing(source: str, source_id: str) -> Invoice | None:
    return Invoice.objects.filter(source=source, source_id=source_id).first()


def _order_locked(order_id: int) -> Order:
    # The order's row alone (no join: on PostgreSQL a joined row would be locked too, out of turn).
    return Order.objects.select_for_update().get(pk=order_id)


def _shipment_draft(order: Order, shipped: WhatShipped) -> _Draft:
    """The lines of what one shipment of `order` carried (a quantity below 1 refused)."""
    units: dict[int, int] = defaultdict(int)
    for line in shipped.lines:
        if line.quantity < 1:
            raise DomainError(BillingError.BAD_AMOUNT, "A shipped quantity must be at least 1.", "quantity")
        units[line.order_line_id] += line.quantity
    return _draft(orders={order.pk: order}, units={order.pk: dict(units)}, currency=order.currency)


def _issue_for_shipment(
    *, organization: Organization, order: Order, draft: _Draft, shipped: WhatShipped, source: str, actor
) -> Invoice:
    """Issues the invoice or receipt of one shipment, with the order's reference and the parcel's ship-to."""
    return _issue(
        organization=organization,
        draft=draft,
        source=source,
        source_id=shipped.shipment_id,
        order=order,
        actor=actor,
        currency=order.currency,
        customer_reference=order.customer_reference,
        ship_to="\n".join(order.address_lines()),
        shipment_reference=shipped.reference,
        shipped_at=shipped.shipped_at,
    )


def invoice_issue_for_shipment(*, shipped: WhatShipped, actor=None) -> Invoice:
    """The invoice of one shipment of an on-account order: issued once, whatever the retries."""
    order = Order.objects.only("organization_id").get(pk=shipped.order_id)
    with transaction.atomic():
        # Locks in the order fulfillment takes them (the order, then its customer), so the two never deadlock.
        order = _order_locked(shipped.order_id)
        organization = organization_lock(order.organization_id)
        existing = _existing(Invoice.Source.SHIPMENT, shipped.shipment_id)
        if existing is not None:
            return existing
        if order.payment_kind != PaymentKind.ACCOUNT:
            raise DomainError(
                BillingError.NOT_ACCOUNT_ORDER, "Only orders on account are invoiced per shipment.", "order"
            )
        draft = _shipment_draft(order, shipped)
        invoice = _issue_for_shipment(
            organization=organization,
            order=order,
            draft=draft,
            shipped=shipped,
            source=Invoice.Source.SHIPMENT,
            actor=actor,
        )
        invoice_apply_credit(invoice=invoice, by=actor)
        invoice_email_queue(invoice=invoice)
    return invoice


def _match_capture(draft: _Draft, *, order: Order, captured: Decimal) -> None:
    """Makes a per-shipment receipt's total what its capture took (fulfillment.capture's rule shares the order's
    shipping and tax out by the goods' share rather than charging shipping on the first part): shipping by the
    cumulative goods' share, tax the rest, so the receipts of an order add up to its total as the captures do."""
    goods = draft.subtotal
    goods_before = sum(
        (_part(line.line_total, Decimal(line.quantity_invoiced), Decimal(line.quantity), order.currency))
        for line in order.lines.all()
    )
    subtotal = Decimal(order.subtotal)
    shipping = _part(order.shipping, goods_before + goods, subtotal, order.currency) - _part(
        order.shipping, goods_before, subtotal, order.currency
    )
    tax = captured - goods - shipping
    if tax < 0:  # a cent of rounding: the capture's share was smaller than the shipping's running share
        shipping, tax = shipping + tax, Decimal(0)
    draft.shipping, draft.tax = shipping, tax
    draft.order_invoiced[order.pk] = captured


def invoice_issue_card_receipt_for_shipment(*, shipped: WhatShipped, actor=None) -> Invoice:
    """The paid receipt of one captured shipment of a card order (PAYMENT_CAPTURE_AT_SHIPMENT): its units, for what
    the capture took; once per shipment, whatever the retries."""
    if shipped.captured is None:
        raise DomainError(BillingError.NOTHING_TO_INVOICE, "The shipment's capture is not taken yet.", "shipment")
    with transaction.atomic():
        order = _order_locked(shipped.order_id)
        organization = organization_lock(order.organization_id)
        existing = _existing(Invoice.Source.RECEIPT, shipped.shipment_id)
        if existing is not None:
            return existing
        if order.payment_kind != PaymentKind.CARD:
            raise DomainError(BillingError.NOT_ACCOUNT_ORDER, "Only card orders get receipts.", "order")
        draft = _shipment_draft(order, shipped)
        _match_capture(draft, order=order, captured=Decimal(shipped.captured))
        invoice = _issue_for_shipment(
            organization=organization,
            order=order,
            draft=draft,
            shipped=shipped,
            source=Invoice.Source.RECEIPT,
            actor=actor,
        )
        _settle_by_card(
            invoice, organization=organization, reference=f"Order {order.number_display}, {shipped.reference}", by=actor
        )
        invoice_email_queue(invoice=invoice)
    return invoice


def _settle_by_card(invoice: Invoice, *, organization: Organization, reference: str, by) -> None:
    """A receipt is paid: the card payment that paid it, in the ledger, allocated to it."""
    if invoice.total <= 0:
        invoice_apply_credit(invoice=invoice, by=by)
        return
    payment = PaymentReceived.objects.create(
        organization=organization,
        method=PaymentReceived.Method.CARD,
        currency=invoice.currency,
        amount=invoice.total,
        received_on=invoice.issue_date,
        reference=reference,
        payer=organization.name,
    )
    ledger_record_payment(payment=payment, at=invoice.issued_at)
    allocation_make(invoice=invoice, amount=invoice.total, payment=payment, by=by)


def _remaining_units(order: Order) -> dict[int, int]:
    return {
        line.pk: line.quantity - line.quantity_invoiced
        for line in order.lines.all()
        if line.quantity > line.quantity_invoiced
    }


def invoice_issue_for_order(*, order: Order, actor=None) -> Invoice:
    """The invoice of a whole order (customers invoiced per order), or the paid receipt of a card order; once."""
    receipt = order.payment_kind == PaymentKind.CARD
    source = Invoice.Source.RECEIPT if receipt else Invoice.Source.ORDER
    with transaction.atomic():
        order = _order_locked(order.pk)
        organization = organization_lock(order.organization_id)
        existing = _existing(source, order.public_id)
        if existing is not None:
            return existing
        draft = _draft(orders={order.pk: order}, units={order.pk: _remaining_units(order)}, currency=order.currency)
        invoice = _issue(
            organization=organization,
            draft=draft,
            source=source,
            source_id=order.public_id,
            order=order,
            actor=actor,
            currency=order.currency,
            customer_reference=order.customer_reference,
            ship_to="\n".join(order.address_lines()),
        )
        if receipt:
            _settle_by_card(invoice, organization=organization, reference=f"Order {order.number_display}", by=actor)
        else:
            invoice_apply_credit(invoice=invoice, by=actor)
        invoice_email_queue(invoice=invoice)
    return invoice


def invoice_issue_monthly(
    *, organization: Organization, year: int, month: int, orders: list[Order], actor=None
) -> Invoice:
    """One invoice for everything not yet invoiced of the customer's account `orders` of that month; once."""
    source_id = f"{organization.public_id}:{year:04d}-{month:02d}"
    with transaction.atomic():
        locked = {
            o.pk: o for o in Order.objects.select_for_update().filter(pk__in=[o.pk for o in orders]).order_by("pk")
        }
        organization = organization_lock(organization.pk)
        existing = _existing(Invoice.Source.MONTHLY, source_id)
        if existing is not None:
            return existing
        units = {pk: _remaining_units(o) for pk, o in locked.items()}
        units = {pk: u for pk, u in units.items() if u}
        currency = organization.currency
        draft = _draft(orders=locked, units=units, currency=currency)
        references = sorted({o.customer_reference for pk, o in locked.items() if pk in units and o.customer_reference})
        invoice = _issue(
            organization=organization,
            draft=draft,
            source=Invoice.Source.MONTHLY,
            source_id=source_id,
            order=None,
            actor=actor,
            currency=currency,
            customer_reference=", ".join(references)[:100],
        )
        invoice_apply_credit(invoice=invoice, by=actor)
        invoice_email_queue(invoice=invoice)
    return invoice


MANUAL_DESCRIPTION_LIMIT = 420


def invoice_issue_manual(*, organization: Organization, description: str, amount, key: str, actor=None) -> Invoice:
    """An invoice of one line no order has (a fee: restocking, late payment, a service) charged by staff to an
    on-account customer, due on its terms. Once per `key` (the form's, so a double submit issues one invoice)."""
    description = " ".join(str(description or "").split())
    if not description:
        raise DomainError(BillingError.NOTHING_TO_INVOICE, "Say what the charge is for.", "description")
    if len(description) > MANUAL_DESCRIPTION_LIMIT:
        raise DomainError(
            BillingError.NOTHING_TO_INVOICE,
            f"The description is longer than {MANUAL_DESCRIPTION_LIMIT} characters.",
            "description",
        )
    amount = amount_clean(amount, currency=organization.currency)
    key = str(key or "").strip()
    if not key or len(key) > 48:
        raise DomainError(BillingError.IDEMPOTENCY_MISMATCH, "The form's key is missing; load the page again.", "key")
    source_id = f"{organization.public_id}:{key}"
    with transaction.atomic():
        organization = organization_lock(organization.pk)
        existing = _existing(Invoice.Source.MANUAL, source_id)
        if existing is not None:
            return existing
        if not organization.has_account_terms:
            raise DomainError(
                BillingError.NOT_ACCOUNT_ORDER,
                "Only customers with account terms can be charged on account.",
                "organization",
            )
        draft = _Draft(
            lines=[
                InvoiceLine(description=description, quantity=1, unit_price=amount, line_total=amount),
            ],
            subtotal=amount,
            tax=Decimal(0),
            shipping=Decimal(0),
            tax_name="",
            order_invoiced={},
            line_quantities={},
        )
        invoice = _issue(
            organization=organization,
            draft=draft,
            source=Invoice.Source.MANUAL,
            source_id=source_id,
            order=None,
            actor=actor,
            currency=organization.currency,
        )
        invoice_apply_credit(invoice=invoice, by=actor)
        invoice_email_queue(invoice=invoice)
    return invoice
