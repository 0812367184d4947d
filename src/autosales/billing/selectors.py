"""Reads of billing: a customer's invoices and credit notes, one document, the account's standing, payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils.translation import pgettext_lazy

from autosales.billing.errors import BillingError
from autosales.billing.ledger import amount_sum
from autosales.billing.models import Allocation, Invoice, InvoiceLine, LedgerEntry, PaymentReceived
from autosales.core import clock
from autosales.core.errors import NotFound
from autosales.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, Money, quantize
from autosales.customers.models import Organization
from autosales.orders.selectors import account_exposure

OPEN, PAID, VOID = Invoice.Status.OPEN, Invoice.Status.PAID, Invoice.Status.VOID
# What a customer filters its documents by: open, overdue (open past its due date), paid, credit notes.
FILTERS = {
    "open": pgettext_lazy("invoices", "Open"),
    "overdue": pgettext_lazy("invoices", "Overdue"),
    "paid": pgettext_lazy("invoices", "Paid"),
    "credit_notes": pgettext_lazy("invoices", "Credit notes"),
}


def shop_today() -> dt.date:
    return clock.today(settings.SHOP_TIME_ZONE)


def _state(queryset: QuerySet[Invoice], state: str) -> QuerySet[Invoice]:
    if state == "open":
        return queryset.filter(kind=Invoice.Kind.INVOICE, status=OPEN)
    if state == "overdue":
        return queryset.filter(kind=Invoice.Kind.INVOICE, status=OPEN, due_date__lt=shop_today())
    if state == "paid":
        return queryset.filter(kind=Invoice.Kind.INVOICE, status__in=[PAID, VOID])
    if state == "credit_notes":
        return queryset.filter(kind=Invoice.Kind.CREDIT_NOTE)
    return queryset


def documents_for_organization(*, organization: Organization, state: str = "") -> QuerySet[Invoice]:
    """The organization's invoices and credit notes, newest first, by state (see FILTERS); a fixed query count."""
    return _state(Invoice.objects.filter(organization=organization), state).select_related("order")


def documents_for_staff(*, state: str = "", organization: Organization | None = None, query: str = "") -> QuerySet:
    """Every invoice and credit note (or one customer's), by state, searched by number or customer name."""
    queryset = Invoice.objects.all()
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    query = " ".join(query.split())
    if query:
        queryset = queryset.filter(Q(number__icontains=query) | Q(organization__name__icontains=query))
    return _state(queryset, state).select_related("organization", "order")


def _detail(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return queryset.select_related("organization", "order", "credited_invoice").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("id")),
        Prefetch("allocations", queryset=Allocation.objects.select_related("payment", "credit_note")),
        "credit_notes",
    )


def document_for_customer(*, public_id: str, organization: Organization) -> Invoice:
    """The organization's invoice or credit note with this public id; NotFound if it is not theirs."""
    invoice = _detail(Invoice.objects.filter(public_id=public_id, organization=organization)).first()
    if invoice is None:
        raise NotFound(BillingError.NOT_FOUND, "No such invoice.", "invoice")
    return invoice


def document_for_staff(*, public_id: str) -> Invoice:
    invoice = _detail(Invoice.objects.filter(public_id=public_id)).first()
    if invoice is None:
        raise NotFound(BillingError.NOT_FOUND, "No such invoice.", "invoice")
    return invoice


def payments_for_organization(*, organization: Organization) -> QuerySet[PaymentReceived]:
    return PaymentReceived.objects.filter(organization=organization)


def ledger_for_organization(*, organization: Organization) -> list[tuple[LedgerEntry, Money]]:
    """The organization's ledger, oldest first, each entry with the running balance after it."""
    running = Decimal(0)
    rows = []
    for entry in LedgerEntry.objects.filter(organization=organization).select_related("invoice", "payment"):
        running += entry.amount
        rows.append((entry, Money(running, entry.currency)))
    return rows


@dataclass(frozen=True)
class AccountStanding:
    """Where a customer's account stands: what it owes, what is overdue, its unused credit and what it may still
    charge to its account."""

    balance: Money
    open_invoices: Money
    overdue: Money
    unused_credit: Money
    credit_limit: Money
    available_credit: Money
    credit_hold: bool
    has_terms: bool


def account_standing(*, organization: Organization) -> AccountStanding:
    """A fixed number of queries whatever the number of invoices."""
    currency = organization.currency
    today = shop_today()
    left = F("total") - F("amount_settled")
    money = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)

    def part(condition: Q) -> Sum:
        return Sum(Case(When(condition, then=left), default=Value(Decimal(0)), output_field=money))

    invoice = Q(kind=Invoice.Kind.INVOICE)
    sums = Invoice.objects.filter(organization=organization, status=OPEN).aggregate(
        owed=part(invoice),
        overdue=part(invoice & Q(due_date__lt=today)),
        credit_notes=part(Q(kind=Invoice.Kind.CREDIT_NOTE)),
    )
    owed, overdue, credit_notes = (
        quantize(Decimal(sums[k] or 0), currency) for k in ("owed", "overdue", "credit_notes")
    )
    payments = amount_sum(
        PaymentReceived.objects.filter(organization=organization),
        F("amount") - F("amount_allocated"),
        currency=currency,
    )
    limit = Money(organization.credit_limit, currency)
    available = max(limit - account_exposure(organization=organization), Money.zero(currency))
    return AccountStanding(
        balance=Money(organization.account_balance, currency),
        open_invoices=Money(owed, currency),
        overdue=Money(overdue, currency),
        unused_credit=Money(credit_notes + payments, currency),
        credit_limit=limit,
        available_credit=available if organization.has_account_terms else Money.zero(currency),
        credit_hold=organization.credit_hold,
        has_terms=organization.has_account_terms,
    )
