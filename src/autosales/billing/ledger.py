"""The per-customer ledger: every invoice, credit note and payment is one entry; the balance is their sum.

`Organization.account_balance` holds that sum for the credit-limit check; it is moved in the same transaction as
the entry is written, by an UPDATE that also locks the organization row (so checkout's credit check, which locks
that row first, sees either both or neither).
"""

from decimal import Decimal

from django.db.models import F, Sum

from autosales.billing.models import Invoice, LedgerEntry, PaymentReceived
from autosales.core.money import Money, quantize
from autosales.customers.models import Organization


def _entry_write(*, entry: LedgerEntry) -> LedgerEntry:
    entry.save()
    Organization.objects.filter(pk=entry.organization_id).update(account_balance=F("account_balance") + entry.amount)
    return entry


def ledger_record_invoice(*, invoice: Invoice) -> LedgerEntry:
    """The invoice (+ its total) or the credit note (- its total) as an entry of its organization's ledger."""
    sign = -1 if invoice.is_credit_note else 1
    return _entry_write(
        entry=LedgerEntry(
            organization_id=invoice.organization_id,
            kind=LedgerEntry.Kind.CREDIT_NOTE if invoice.is_credit_note else LedgerEntry.Kind.INVOICE,
            currency=invoice.currency,
            amount=sign * invoice.total,
            at=invoice.issued_at,
            invoice=invoice,
            description=f"{invoice.kind_label} {invoice.number}",
        )
    )


def ledger_record_payment(*, payment: PaymentReceived, at) -> LedgerEntry:
    """The payment received (- its amount) as an entry of its organization's ledger."""
    reference = f" {payment.reference}" if payment.reference else ""
    return _entry_write(
        entry=LedgerEntry(
            organization_id=payment.organization_id,
            kind=LedgerEntry.Kind.PAYMENT,
            currency=payment.currency,
            amount=-payment.amount,
            at=at,
            payment=payment,
            description=f"Payment ({payment.get_method_display().lower()}){reference}"[:200],
        )
    )


def amount_sum(queryset, expression, *, currency: str) -> Decimal:
    """The sum of `expression` over `queryset` in the currency's minor unit (SQLite sums decimals as floats)."""
    total = queryset.aggregate(total=Sum(expression))["total"]
    return quantize(Decimal(total or 0), currency)


def ledger_balance(*, organization: Organization) -> Money:
    """The sum of the organization's ledger entries (what `account_balance` keeps)."""
    currency = organization.currency
    return Money(
        amount_sum(LedgerEntry.objects.filter(organization=organization), "amount", currency=currency), currency
    )
