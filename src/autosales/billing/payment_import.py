"""Importing a bank export of payments received (CSV: date, amount, reference, payer).

Each row is matched to a customer and its invoices:
1. invoice numbers in the reference (`INV-2027-000123`): those invoices are settled first;
2. else the reference equal to an invoice's PO / customer reference: that invoice;
3. else the payer equal to a customer's name (one customer only): its open invoices, oldest due first.
What a matched payment leaves over settles the customer's other open invoices oldest first, then stays as credit.
Rows that match no customer are listed as unmatched for staff to record by hand. Importing the same file again
records nothing twice (each row's payment carries a key made from the row). A row that is not valid (a bad
date or amount) is reported with its line; by default then nothing is imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db.models import Q
from tqdm import tqdm

from autosales.billing.config import setting
from autosales.billing.errors import BillingError
from autosales.billing.models import Invoice, PaymentReceived, UnmatchedPayment
from autosales.billing.payments_received import AllocationRequest, amount_clean, payment_allocate, payment_record
from autosales.core.errors import DomainError
from autosales.customers.models import Organization

COLUMNS = ("date", "amount", "reference", "payer")
OPTIONAL = ("method",)
PROGRESS_MIN_ROWS = 200


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.reason}" if self.column else f"line {self.line}: {self.reason}"


@dataclass
class ImportOutcome:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    unmatched: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False


class PaymentsFileRejected(DomainError):
    def __init__(self, errors: list[RowProblem]):
        super().__init__(
            BillingError.BAD_AMOUNT, f"{len(errors)} problem(s) in the file; nothing was imported.", "file"
        )
        self.errors = errors


@dataclass(frozen=True)
class _Row:
    line: int
    date: dt.date
    amount: str
    reference: str
    payer: str
    method: str
    key: str


def _rows(data: bytes) -> tuple[list[_Row], list[RowProblem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PaymentsFileRejected([RowProblem(1, "", "the file is not UTF-8 text (save it as CSV UTF-8)")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if missing or unknown:
        raise PaymentsFileRejected(
            [RowProblem(1, c, "missing column") for c in missing]
            + [RowProblem(1, c, f"unknown column (expected: {', '.join(COLUMNS + OPTIONAL)})") for c in unknown]
        )
    rows, problems, seen = [], [], Counter()
    try:
        for index, record in enumerate(reader, start=2):
            cells = {k.strip(): (v or "").strip() for k, v in record.items() if k}
            if not any(cells.values()):
                continue
            try:
                date = dt.date.fromisoformat(cells["date"])
            except ValueError:
                problems.append(RowProblem(index, "date", f"not a date (YYYY-MM-DD): {cells['date']!r}"))
                continue
            try:
                amount_clean(cells["amount"], currency=settings.CURRENCY)
            except DomainError as exc:
                problems.append(RowProblem(index, "amount", exc.message))
                continue
            method = cells.get("method") or PaymentReceived.Method.BANK_TRANSFER
            if method not in (PaymentReceived.Method.BANK_TRANSFER, PaymentReceived.Method.CHEQUE):
                problems.append(RowProblem(index, "method", "bank_transfer or cheque"))
                continue
            identity = "|".join([cells["date"], cells["amount"], cells["reference"], cells["payer"]])
            seen[identity] += 1
            digest = hashlib.sha256(f"{identity}|{seen[identity]}".encode()).hexdigest()[:40]
            rows.append(
                _Row(
                    index,
                    date,
                    cells["amount"],
                    cells["reference"][:140],
                    cells["payer"][:200],
                    method,
                    f"import-{digest}",
                )
            )
    except csv.Error as exc:
        raise PaymentsFileRejected([RowProblem(reader.line_num, "", f"not valid CSV: {exc}")]) from None
    return rows, problems


def _invoice_numbers(reference: str) -> list[str]:
    prefix = re.escape(setting("BILLING_INVOICE_PREFIX"))
    return list(dict.fromkeys(m.upper() for m in re.findall(rf"{prefix}-\d{{4}}-\d{{6}}", reference, flags=re.I)))


@dataclass(frozen=True)
class Match:
    organization: Organization
    invoices: list[Invoice]


def row_match(*, reference: str, payer: str) -> Match | None:
    """The customer (and invoices) a bank row pays, by invoice number, then PO reference, then payer name."""
    numbers = _invoice_numbers(reference)
    if numbers:
        invoices = list(
            Invoice.objects.filter(kind=Invoice.Kind.INVOICE, number__in=numbers).select_related("organization")
        )
        organizations = {i.organization_id for i in invoices}
        if len(organizations) == 1:
            return Match(organization=invoices[0].organization, invoices=invoices)
    if reference:
        invoices = list(
            Invoice.objects.filter(
                kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, customer_reference__iexact=reference
            ).select_related("organization")
        )
        if len({i.organization_id for i in invoices}) == 1:
            return Match(organization=invoices[0].organization, invoices=invoices)
    if payer:
        organizations = list(Organization.objects.filter(Q(name__iexact=payer) & Q(has_account_terms=True))[:2])
        if len(organizations) == 1:
            return Match(organization=organizations[0], invoices=[])
    return None


def payments_import(
    *, data: bytes, dry_run: bool = False, skip_invalid: bool = False, actor=None, progress: IO[str] | None = None
) -> ImportOutcome:
    """Records and allocates each matched row once; returns what happened, the unmatched rows and the row errors.
    Raises PaymentsFileRejected for an unusable file, or for row errors unless `skip_invalid`."""
    rows, problems = _rows(data)
    if problems and not skip_invalid:
        raise PaymentsFileRejected(problems)
    outcome = ImportOutcome(rows=len(rows) + len(problems), errors=problems, dry_run=dry_run)
    bar = (
        tqdm(total=len(rows), desc="payments", unit=" rows", file=progress, mininterval=0.5)
        if progress is not None and len(rows) >= PROGRESS_MIN_ROWS
        else nullcontext(None)
    )
    with bar as ticker:
        for row in rows:
            _import_row(row, outcome=outcome, dry_run=dry_run, actor=actor)
            if ticker is not None:
                ticker.update(1)
    return outcome


def _import_row(row: _Row, *, outcome: ImportOutcome, dry_run: bool, actor) -> None:
    if PaymentReceived.objects.filter(idempotency_key=row.key).exists():
        outcome.already += 1  # imported before (its invoices may be paid now, so it is not matched again)
        return
    match = row_match(reference=row.reference, payer=row.payer)
    if match is None:
        if not dry_run:
            UnmatchedPayment.objects.get_or_create(
                key=row.key,
                defaults={
                    "received_on": row.date,
                    "amount": amount_clean(row.amount, currency=settings.CURRENCY),
                    "currency": settings.CURRENCY,
                    "reference": row.reference,
                    "payer": row.payer,
                    "method": row.method,
                },
            )
        outcome.unmatched.append(
            (row.line, {"date": row.date, "amount": row.amount, "reference": row.reference, "payer": row.payer})
        )
        return
    organization = match.organization
    if dry_run:
        outcome.recorded += 1
        return
    amount = amount_clean(row.amount, currency=organization.currency)
    wanted, left = [], amount
    for invoice in sorted(match.invoices, key=lambda i: (i.due_date, i.pk)):
        share = min(left, invoice.balance.amount) if invoice.status == Invoice.Status.OPEN else Decimal(0)
        if share > 0:
            wanted.append(AllocationRequest(invoice_number=invoice.number, amount=str(share)))
            left -= share
    try:
        payment = payment_record(
            organization=organization,
            method=row.method,
            amount=amount,
            received_on=row.date,
            reference=row.reference,
            payer=row.payer,
            actor=actor,
            allocations=wanted or None,
            idempotency_key=row.key,
        )
        if wanted and payment.unallocated.amount > 0:
            payment_allocate(payment=payment, actor=actor)
    except DomainError as exc:
        outcome.errors.append(RowProblem(row.line, exc.field or "", exc.message))
        return
    outcome.recorded += 1


def unmatched_payment_assign(*, row: UnmatchedPayment, organization: Organization, actor=None) -> PaymentReceived:
    """Records an unmatched bank row as the customer's payment (allocated oldest first), once."""
    if row.payment_id is not None:
        return row.payment
    payment = payment_record(
        organization=organization,
        method=row.method,
        amount=row.amount,
        received_on=row.received_on,
        reference=row.reference,
        payer=row.payer,
        actor=actor,
        idempotency_key=row.key,
    )
    UnmatchedPayment.objects.filter(pk=row.pk, payment__isnull=True).update(payment=payment)
    return payment
