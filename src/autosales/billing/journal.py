"""The accounting journal of a period, for the shop's bookkeeping: each invoice, credit note and payment of the
ledger as balanced double-entry lines (debits equal credits per document).

    invoice:      Dr receivable (total)     Cr sales (lines), Cr shipping (shipping), Cr tax (tax)
    credit note:  the invoice's lines reversed
    payment:      Dr bank (or card clearing) Cr receivable

The account codes are settings (`BILLING_JOURNAL_ACCOUNTS`), so they match the shop's chart of accounts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from autosales.billing.models import LedgerEntry, PaymentReceived

COLUMNS = ["date", "journal", "document", "customer", "account", "description", "debit", "credit", "currency"]
DEFAULT_ACCOUNTS = {
    "receivable": "1200",
    "bank": "1000",
    "card_clearing": "1010",
    "sales": "4000",
    "shipping": "4100",
    "tax": "2200",
}


def _accounts() -> dict[str, str]:
    return {**DEFAULT_ACCOUNTS, **getattr(settings, "BILLING_JOURNAL_ACCOUNTS", {})}


def journal_lines(*, start: dt.date, end: dt.date) -> Iterator[list]:
    """The journal lines of the ledger entries dated from `start` to `end` (shop dates, inclusive)."""
    zone = ZoneInfo(settings.SHOP_TIME_ZONE)
    since = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    accounts = _accounts()
    entries = (
        LedgerEntry.objects.filter(at__gte=since, at__lt=until)
        .select_related("organization", "invoice", "payment")
        .order_by("at", "id")
    )
    for entry in entries.iterator(chunk_size=500):
        day = entry.at.astimezone(zone).date().isoformat()
        customer = entry.organization.name
        if entry.invoice_id:
            invoice = entry.invoice
            credit_note = entry.kind == LedgerEntry.Kind.CREDIT_NOTE
            journal = "sales"
            parts = [
                (accounts["receivable"], "Receivable", invoice.total),
                (accounts["sales"], "Sales", -invoice.subtotal),
                (accounts["shipping"], "Shipping", -invoice.shipping),
                (accounts["tax"], invoice.tax_name or "Tax", -invoice.tax),
            ]
            document = invoice.number
            for account, label, amount in parts:
                if not amount:
                    continue
                signed = -amount if credit_note else amount
                yield _line(day, journal, document, customer, account, label, signed, entry.currency)
        else:
            payment = entry.payment
            cash = accounts["card_clearing"] if payment.method == PaymentReceived.Method.CARD else accounts["bank"]
            label = f"{payment.get_method_display()} {payment.reference}".strip()
            yield _line(day, "receipts", payment.public_id, customer, cash, label, payment.amount, entry.currency)
            yield _line(
                day,
                "receipts",
                payment.public_id,
                customer,
                accounts["receivable"],
                label,
                -payment.amount,
                entry.currency,
            )


def _line(day, journal, document, customer, account, description, signed: Decimal, currency) -> list:
    debit, credit = (signed, Decimal(0)) if signed > 0 else (Decimal(0), -signed)
    return [day, journal, document, customer, account, description, f"{debit:.2f}", f"{credit:.2f}", currency]


def journal_csv(*, start: dt.date, end: dt.date, out: io.TextIOBase) -> int:
    """Writes the period's journal as CSV to `out`; returns the number of lines."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for line in journal_lines(start=start, end=end):
        writer.writerow(line)
        count += 1
    return count
