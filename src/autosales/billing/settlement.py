"""Allocations: a payment or a credit note settling invoices, by hand or oldest first.

Every write here runs with the organization's row locked (`organization_lock`), the one lock all billing writes
of a customer take first, so two allocations of the same payment or to the same invoice cannot both fit.
Allocations never move the ledger balance: the payment and the credit note are entries already.
"""

from decimal import Decimal

from django.db.models import F, Q

from autosales.billing.errors import BillingError
from autosales.billing.models import Allocation, Invoice, PaymentReceived
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.customers.models import Organization

OPEN = Invoice.Status.OPEN


def organization_lock(organization_id: int) -> Organization:
    """The organization's row, locked until the transaction ends: billing's per-customer lock (taken first)."""
    return Organization.objects.select_for_update(no_key=True).get(pk=organization_id)


def _invoice_settled(invoice: Invoice, *, amount: Decimal, at) -> None:
    invoice.amount_settled += amount
    fields = ["amount_settled"]
    if invoice.amount_settled >= invoice.total:
        if invoice.is_credit_note:
            invoice.status = Invoice.Status.PAID
        else:
            paid = invoice.allocations.filter(payment__isnull=False).exists()
            invoice.status = Invoice.Status.PAID if paid else Invoice.Status.VOID
        invoice.settled_at = at
        fields += ["status", "settled_at"]
    invoice.save(update_fields=fields)


def allocation_make(
    *,
    invoice: Invoice,
    amount: Decimal,
    payment: PaymentReceived | None = None,
    credit_note: Invoice | None = None,
    by=None,
) -> Allocation:
    """Settles `amount` of the invoice from the payment or the credit note (rows read under the organization lock)."""
    if amount <= 0:
        raise DomainError(BillingError.BAD_AMOUNT, "An allocation must be more than zero.", "amount")
    if invoice.is_credit_note or invoice.status != OPEN:
        raise Conflict(BillingError.OVER_ALLOCATED, f"{invoice.number} is not an open invoice.", "invoice")
    source = payment or credit_note
    if source is None or source.organization_id != invoice.organization_id:
        raise DomainError(
            BillingError.WRONG_ORGANIZATION, "Payments and credit settle only the same customer's invoices.", "invoice"
        )
    if amount > invoice.balance.amount:
        raise Conflict(
            BillingError.OVER_ALLOCATED, f"{invoice.number} has only {invoice.balance} left to settle.", "amount"
        )
    available = payment.unallocated if payment is not None else credit_note.balance
    if amount > available.amount:
        raise Conflict(BillingError.OVER_ALLOCATED, f"Only {available} of it is left to allocate.", "amount")
    at = clock.now()
    allocation = Allocation.objects.create(
        invoice=invoice, payment=payment, credit_note=credit_note, amount=amount, at=at, by=by
    )
    if payment is not None:
        payment.amount_allocated += amount
        payment.save(update_fields=["amount_allocated"])
    else:
        _invoice_settled(credit_note, amount=amount, at=at)
    _invoice_settled(invoice, amount=amount, at=at)
    return allocation


def open_invoices(*, organization_id: int) -> list[Invoice]:
    """The organization's open invoices, oldest due first (read under its lock)."""
    return list(
        Invoice.objects.filter(organization_id=organization_id, kind=Invoice.Kind.INVOICE, status=OPEN).order_by(
            "due_date", "issued_at", "id"
        )
    )


def payment_allocate_oldest_first(*, payment: PaymentReceived, by=None) -> list[Allocation]:
    """Settles the organization's open invoices, oldest due first, with what is left of the payment."""
    allocations = []
    for invoice in open_invoices(organization_id=payment.organization_id):
        left = payment.unallocated.amount
        if left <= 0:
            break
        amount = min(left, invoice.balance.amount)
        if amount > 0:
            allocations.append(allocation_make(invoice=invoice, amount=amount, payment=payment, by=by))
    return allocations


def credits_available(*, organization_id: int) -> tuple[list[PaymentReceived], list[Invoice]]:
    """Payments not fully allocated and credit notes not fully used, oldest first (read under the lock)."""
    payments = list(
        PaymentReceived.objects.filter(organization_id=organization_id)
        .filter(amount_allocated__lt=F("amount"))
        .order_by("received_on", "id")
    )
    credit_notes = list(
        Invoice.objects.filter(Q(organization_id=organization_id, kind=Invoice.Kind.CREDIT_NOTE, status=OPEN)).order_by(
            "issued_at", "id"
        )
    )
    return payments, credit_notes


def invoice_apply_credit(*, invoice: Invoice, by=None) -> list[Allocation]:
    """Settles the invoice from the customer's unused credit: open credit notes, then unallocated payments."""
    payments, credit_notes = credits_available(organization_id=invoice.organization_id)
    allocations = []
    for source in [*credit_notes, *payments]:
        if invoice.status != OPEN:
            break
        left = source.balance.amount if isinstance(source, Invoice) else source.unallocated.amount
        amount = min(left, invoice.balance.amount)
        if amount <= 0:
            continue
        if isinstance(source, Invoice):
            allocations.append(allocation_make(invoice=invoice, amount=amount, credit_note=source, by=by))
        else:
            allocations.append(allocation_make(invoice=invoice, amount=amount, payment=source, by=by))
    return allocations
