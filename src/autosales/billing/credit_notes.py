"""Credit notes: the one way to correct an issued invoice (returns, price adjustments, a cancelled remainder).

A credit note is numbered in its own gapless series (`CN-2027-000001`), written to the ledger (- its total), set
against the invoice it corrects as far as that invoice is still open, and what is left of it stays as credit
that the customer's next invoices use. All of an invoice's credit notes never exceed its total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from autosales.billing.dunning import credit_hold_review
from autosales.billing.errors import BillingError
from autosales.billing.ledger import amount_sum, ledger_record_invoice
from autosales.billing.models import Invoice, InvoiceLine
from autosales.billing.notices import invoice_email_queue
from autosales.billing.numbering import number_take
from autosales.billing.settlement import allocation_make, organization_lock
from autosales.core import clock, ids
from autosales.core.errors import Conflict, DomainError
from autosales.core.money import quantize


@dataclass(frozen=True)
class CreditLine:
    """Units of an invoice line given back (`invoice_line_id`), or an amount off (`description` and `amount`)."""

    invoice_line_id: int | None = None
    quantity: int = 0
    description: str = ""
    amount: Decimal | None = None


def _lines(invoice: Invoice, requested: list[CreditLine]) -> list[InvoiceLine]:
    invoice_lines = {line.pk: line for line in invoice.lines.all()}
    credited = {
        row["order_line_id"]: row["q"]
        for row in InvoiceLine.objects.filter(invoice__credited_invoice=invoice, order_line__isnull=False)
        .values("order_line_id")
        .annotate(q=Sum("quantity"))
    }
    lines = []
    for index, wanted in enumerate(requested):
        field = f"lines[{index}]"
        if wanted.invoice_line_id is not None:
            line = invoice_lines.get(wanted.invoice_line_id)
            if line is None:
                raise DomainError(BillingError.NOT_FOUND, f"{invoice.number} has no such line.", field)
            left = line.quantity - credited.get(line.order_line_id, 0)
            if not 1 <= wanted.quantity <= left:
                raise DomainError(
                    BillingError.CREDIT_OVER_INVOICE,
                    f"{line.sku}: between 1 and {left} units can be credited.",
                    f"{field}.quantity",
                )
            amount = quantize(line.line_total * wanted.quantity / line.quantity, invoice.currency)
            lines.append(
                InvoiceLine(
                    order_line_id=line.order_line_id,
                    sku=line.sku,
                    description=line.description,
                    quantity=wanted.quantity,
                    unit_price=line.unit_price,
                    line_total=amount,
                )
            )
        else:
            try:
                amount = quantize(Decimal(wanted.amount), invoice.currency)
            except (InvalidOperation, TypeError):
                raise DomainError(BillingError.BAD_AMOUNT, "Not an amount.", f"{field}.amount") from None
            if amount <= 0:
                raise DomainError(BillingError.BAD_AMOUNT, "A credit must be more than zero.", f"{field}.amount")
            description = " ".join(wanted.description.split())[:420]
            if not description:
                raise DomainError(BillingError.BAD_AMOUNT, "Say what the credit is for.", f"{field}.description")
            lines.append(InvoiceLine(description=description, quantity=1, unit_price=amount, line_total=amount))
    return lines


def credit_note_issue(
    *,
    invoice: Invoice,
    lines: list[CreditLine],
    reason: str,
    credit_shipping: bool = False,
    actor=None,
    source_id: str = "",
) -> Invoice:
    """Issues a credit note against `invoice`: the lines (with their share of tax), its shipping when asked.
    `source_id`: what it is issued for, when that must be credited once (a cancelled remainder); a second call
    with it returns the first credit note."""
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(BillingError.BAD_AMOUNT, "A credit note needs a reason.", "reason")
    if invoice.is_credit_note:
        raise DomainError(
            BillingError.NOT_FOUND, "A credit note corrects an invoice, not another credit note.", "invoice"
        )
    with transaction.atomic():
        organization = organization_lock(invoice.organization_id)
        if source_id:
            existing = Invoice.objects.filter(source=Invoice.Source.CREDIT, source_id=source_id).first()
            if existing is not None:
                return existing
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        credit_lines = _lines(invoice, lines)
        if not credit_lines and not credit_shipping:
            raise DomainError(BillingError.NOTHING_TO_INVOICE, "Choose lines or an amount to credit.", "lines")
        subtotal = sum((line.line_total for line in credit_lines), Decimal(0))
        tax = quantize(invoice.tax * subtotal / invoice.subtotal, invoice.currency) if invoice.subtotal else Decimal(0)
        shipping = invoice.shipping if credit_shipping else Decimal(0)
        total = subtotal + tax + shipping
        credited_before = amount_sum(invoice.credit_notes.all(), "total", currency=invoice.currency)
        if credited_before + total > invoice.total:
            raise Conflict(
                BillingError.CREDIT_OVER_INVOICE,
                f"{invoice.number} has {invoice.total - credited_before} left to credit; this would be {total}.",
                "lines",
            )
        now = clock.now()
        today = clock.today(settings.SHOP_TIME_ZONE)
        taken = number_take(kind=Invoice.Kind.CREDIT_NOTE, year=today.year)
        note = Invoice.objects.create(
            kind=Invoice.Kind.CREDIT_NOTE,
            number=taken.number,
            year=taken.year,
            sequence=taken.sequence,
            organization=organization,
            order=invoice.order,
            source=Invoice.Source.CREDIT,
            source_id=source_id or ids.public_id(),
            credited_invoice=invoice,
            reason=reason,
            currency=invoice.currency,
            subtotal=subtotal,
            tax=tax,
            shipping=shipping,
            total=total,
            tax_name=invoice.tax_name,
            customer_reference=invoice.customer_reference,
            bill_to=invoice.bill_to,
            ship_to=invoice.ship_to,
            terms_label="",
            issue_date=today,
            due_date=today,
            issued_at=now,
            issued_by=actor,
        )
        for line in credit_lines:
            line.invoice = note
        InvoiceLine.objects.bulk_create(credit_lines)
        ledger_record_invoice(invoice=note)
        if invoice.status == Invoice.Status.OPEN and total > 0:
            allocation_make(invoice=invoice, amount=min(total, invoice.balance.amount), credit_note=note, by=actor)
        invoice_email_queue(invoice=note)
        if organization.credit_hold:
            credit_hold_review(organization_id=organization.pk, today=today)
    return note
