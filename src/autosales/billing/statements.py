"""Monthly statements: a customer's opening balance, the month's invoices, credit notes and payments, the closing
balance, and the aging of what was open at the month's end (current, 1-30, 31-60, 61-90, over 90 days).

A month is the organization's calendar month in its own time zone. The figures are as they stood at the month's
end: an invoice paid later still shows as open on that month's statement. Emailed on the 1st (job
`billing.send_statements`) with its PDF, once per customer and month (an `AccountEvent` with a unique key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Sum

from autosales.billing.aging import BUCKETS, bucket_of
from autosales.billing.errors import BillingError
from autosales.billing.models import AccountEvent, Allocation, Invoice, LedgerEntry
from autosales.billing.notices import billing_contact_emails
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.money import Money, quantize
from autosales.customers.models import Organization
from autosales.notifications.attachments import attachment_reference
from autosales.notifications.services import email_queue

STATEMENT_PDF = "billing.statement_pdf"


@dataclass(frozen=True)
class StatementLine:
    date: dt.date
    kind: str
    description: str
    amount: Money
    balance: Money


@dataclass(frozen=True)
class Statement:
    organization: Organization
    year: int
    month: int
    start: dt.date
    end: dt.date  # the month's last day
    opening: Money
    closing: Money
    lines: list[StatementLine]
    aging: dict[str, Money]
    open_invoices: list[tuple[Invoice, Money, str]] = field(default_factory=list)  # (invoice, open at end, bucket)

    @property
    def invoiced(self) -> Money:
        return _total(self, LedgerEntry.Kind.INVOICE)

    @property
    def credited(self) -> Money:
        return _total(self, LedgerEntry.Kind.CREDIT_NOTE)

    @property
    def paid(self) -> Money:
        return _total(self, LedgerEntry.Kind.PAYMENT)

    @property
    def unused_credit(self) -> Money:
        owed = sum((amount.amount for amount in self.aging.values()), Decimal(0))
        return Money(owed - self.closing.amount, self.closing.currency)

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _total(statement: Statement, kind: str) -> Money:
    amount = sum((line.amount.amount for line in statement.lines if line.kind == kind), Decimal(0))
    return Money(abs(amount), statement.closing.currency)


def month_bounds(*, year: int, month: int, zone: str) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """(first day, last day, first moment, first moment of the next month) of the month in `zone`."""
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        raise DomainError(BillingError.BAD_DATE, "A statement month is YYYY-MM.", "month")
    start = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    tz = ZoneInfo(zone)
    return (
        start,
        following - dt.timedelta(days=1),
        dt.datetime.combine(start, dt.time(), tzinfo=tz),
        dt.datetime.combine(following, dt.time(), tzinfo=tz),
    )


def month_parse(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        raise DomainError(BillingError.BAD_DATE, "A statement month is YYYY-MM, e.g. 2027-03.", "month") from None
    month_bounds(year=year, month=month, zone="UTC")
    return year, month


def statement_for(*, organization: Organization, year: int, month: int) -> Statement:
    """The statement of the organization's month (four queries, whatever the activity)."""
    currency = organization.currency
    zone = organization.local_time_zone
    start, end, since, until = month_bounds(year=year, month=month, zone=zone)
    entries = LedgerEntry.objects.filter(organization=organization)
    before = entries.filter(at__lt=since).aggregate(t=Sum("amount"))["t"]
    running = quantize(Decimal(before or 0), currency)
    opening = Money(running, currency)
    lines = []
    for entry in entries.filter(at__gte=since, at__lt=until).select_related("invoice", "payment").order_by("at", "id"):
        running += entry.amount
        lines.append(
            StatementLine(
                date=entry.at.astimezone(ZoneInfo(zone)).date(),
                kind=entry.kind,
                description=entry.description,
                amount=entry.amount_money,
                balance=Money(running, currency),
            )
        )
    # What was open at the month's end: invoices issued by then, less what was allocated to them by then.
    invoices = (
        Invoice.objects.filter(organization=organization, kind=Invoice.Kind.INVOICE, issued_at__lt=until)
        .exclude(settled_at__lt=until)
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.filter(at__lt=until), to_attr="allocated_by_end")
        )
        .order_by("due_date", "id")
    )
    aging = dict.fromkeys(BUCKETS, Decimal(0))
    open_invoices = []
    for invoice in invoices:
        left = invoice.total - sum((a.amount for a in invoice.allocated_by_end), Decimal(0))
        if left <= 0:
            continue
        bucket = bucket_of(due_date=invoice.due_date, on=end)
        aging[bucket] += left
        open_invoices.append((invoice, Money(left, currency), bucket))
    return Statement(
        organization=organization,
        year=year,
        month=month,
        start=start,
        end=end,
        opening=opening,
        closing=Money(running, currency),
        lines=lines,
        aging={name: Money(amount, currency) for name, amount in aging.items()},
        open_invoices=open_invoices,
    )


def previous_month(today: dt.date) -> tuple[int, int]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.year, last.month


def statement_month(text: str, *, organization: Organization) -> tuple[int, int]:
    """The month asked for ("YYYY-MM"; DomainError if it is not one), else the organization's last full month."""
    if not text:
        return previous_month(clock.today(organization.local_time_zone))
    return month_parse(text)


def statements_send(*, today: dt.date) -> int:
    """Emails last month's statement to every account customer with activity or a balance, once each; returns
    how many were sent. Run on any day: the month after a jump of the clock is the one just ended."""
    year, month = previous_month(today)
    period = f"{year:04d}-{month:02d}"
    _start, _end, _since, until = month_bounds(year=year, month=month, zone="UTC")
    # Customers with any ledger entry before the end of the month (a day's margin for time zones east of UTC).
    candidates = list(
        Organization.objects.filter(has_account_terms=True, ledger_entries__at__lt=until + dt.timedelta(days=1))
        .distinct()
        .order_by("pk")
    )
    keys = {f"statement:{o.public_id}:{period}": o for o in candidates}
    sent_already = set(AccountEvent.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    sent = 0
    for key, organization in keys.items():
        if key in sent_already:
            continue
        statement = statement_for(organization=organization, year=year, month=month)
        if not statement.lines and not statement.closing.amount:
            continue
        recipients = billing_contact_emails(organization=organization)
        try:
            with transaction.atomic():
                AccountEvent.objects.create(
                    organization=organization,
                    kind=AccountEvent.Kind.STATEMENT,
                    key=key,
                    at=clock.now(),
                    message=f"Statement {period}: closing balance {statement.closing}",
                )
                if recipients:
                    email_queue(
                        to=recipients,
                        template="billing/statement",
                        context={
                            "organization": organization,
                            "period": period,
                            "opening": statement.opening,
                            "closing": statement.closing,
                            "invoiced": statement.invoiced,
                            "credited": statement.credited,
                            "paid": statement.paid,
                        },
                        related=organization,
                        message_id=f"billing-statement-{organization.public_id}-{period}",
                        time_zone=organization.local_time_zone,
                        language=organization.email_language,
                        first=True,
                        attachments=[
                            attachment_reference(kind=STATEMENT_PDF, reference=f"{organization.public_id}:{period}")
                        ],
                    )
        except IntegrityError:
            continue
        sent += 1
    return sent
