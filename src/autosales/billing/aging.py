"""Aging of receivables: what each customer owes on open invoices, by days past the due date on a given day
(current, 1-30, 31-60, 61-90, over 90), for every customer in one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.utils.translation import gettext_noop

from autosales.billing.models import Invoice
from autosales.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, quantize

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
# The words are marked for translation (gettext_noop): the PDF translates them, the back office shows them as they are.
BUCKET_LABELS = {
    "current": gettext_noop("Current"),
    "days_1_30": "1–30",
    "days_31_60": "31–60",
    "days_61_90": "61–90",
    "over_90": gettext_noop("Over 90"),
}


@dataclass(frozen=True)
class AgingRow:
    organization_id: int
    organization_public_id: str
    organization_name: str
    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    credit_hold: bool

    @property
    def total(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90

    @property
    def overdue(self) -> Decimal:
        return self.total - self.current

    def buckets(self) -> list[Decimal]:
        return [getattr(self, name) for name in BUCKETS]


def _bucket_conditions(on: dt.date) -> dict[str, Q]:
    def days(n: int) -> dt.date:
        return on - dt.timedelta(days=n)

    return {
        "current": Q(due_date__gte=on),
        "days_1_30": Q(due_date__lt=on, due_date__gte=days(30)),
        "days_31_60": Q(due_date__lt=days(30), due_date__gte=days(60)),
        "days_61_90": Q(due_date__lt=days(60), due_date__gte=days(90)),
        "over_90": Q(due_date__lt=days(90)),
    }


def bucket_of(*, due_date: dt.date, on: dt.date) -> str:
    late = (on - due_date).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "days_1_30"
    if late <= 60:
        return "days_31_60"
    if late <= 90:
        return "days_61_90"
    return "over_90"


def aging_rows(*, on: dt.date, organization_ids: list[int] | None = None, overdue_only: bool = False) -> list[AgingRow]:
    """Each customer with open invoices, its open balance per bucket on `on`, largest total first (one query)."""
    left = F("total") - F("amount_settled")
    money = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    sums = {
        name: Sum(Case(When(condition, then=left), default=Value(Decimal(0)), output_field=money))
        for name, condition in _bucket_conditions(on).items()
    }
    queryset = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN)
    if organization_ids is not None:
        queryset = queryset.filter(organization_id__in=organization_ids)
    if overdue_only:
        queryset = queryset.filter(due_date__lt=on)
    rows = (
        queryset.values(
            "organization_id",
            "organization__public_id",
            "organization__name",
            "organization__currency",
            "organization__credit_hold",
        )
        .annotate(**sums)
        .order_by("organization__name", "organization_id")
    )
    result = []
    for row in rows:
        currency = row["organization__currency"]
        amounts = {name: quantize(Decimal(row[name] or 0), currency) for name in BUCKETS}
        result.append(
            AgingRow(
                organization_id=row["organization_id"],
                organization_public_id=row["organization__public_id"],
                organization_name=row["organization__name"],
                currency=currency,
                credit_hold=row["organization__credit_hold"],
                **amounts,
            )
        )
    return result


def aging_totals(rows: list[AgingRow]) -> dict[str, Decimal]:
    return {name: sum((getattr(row, name) for row in rows), Decimal(0)) for name in [*BUCKETS, "total"]}
