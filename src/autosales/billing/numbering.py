"""Invoice and credit-note numbers: sequential and without gaps per series and year (`INV-2027-000123`).

The number is taken inside the issuing transaction from the series' counter row, locked until that transaction
ends: a second issuer waits, and an issue that rolls back gives its number back with everything else. So the
numbers of a year are 1, 2, 3, ... with no gap and no duplicate, however many issue at once.
"""

from dataclasses import dataclass

from autosales.billing.config import setting
from autosales.billing.models import Invoice, NumberCounter


@dataclass(frozen=True)
class IssuedNumber:
    number: str
    year: int
    sequence: int


def series_prefix(kind: str) -> str:
    if kind == Invoice.Kind.CREDIT_NOTE:
        return setting("BILLING_CREDIT_NOTE_PREFIX")
    return setting("BILLING_INVOICE_PREFIX")


def number_take(*, kind: str, year: int) -> IssuedNumber:
    """The next number of `kind`'s series in `year`; call inside the issuing transaction (the counter stays locked)."""
    # The year's row is created once, whoever comes first; the others' insert does nothing.
    NumberCounter.objects.bulk_create([NumberCounter(series=kind, year=year, last=0)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(series=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return IssuedNumber(number=f"{series_prefix(kind)}-{year}-{counter.last:06d}", year=year, sequence=counter.last)
