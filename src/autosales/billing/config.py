"""The shop's billing settings (docs/billing.md), read and checked in one place.

Each is read from the environment by `settings.py` as text; a value that does not parse is refused with the
setting's name and the reason, by the start-up check (`billing.checks`) and by the code reading it, never
replaced by the default.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from autosales.customers.reminder_schedule import reminder_days_parse

PREFIX_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,15}")
MOST_HOLD_DAYS = 3650


def prefix_parse(value) -> str:
    text = str(value)
    if not PREFIX_PATTERN.fullmatch(text):
        raise ValueError(f"{text!r} is not 1 to 16 capital letters or digits starting with a letter, e.g. INV")
    return text


def hold_days_parse(value) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number of days") from None
    if not 1 <= days <= MOST_HOLD_DAYS:
        raise ValueError(f"{days} is not between 1 and {MOST_HOLD_DAYS} days")
    return days


PARSERS = {
    "BILLING_INVOICE_PREFIX": prefix_parse,
    "BILLING_CREDIT_NOTE_PREFIX": prefix_parse,
    "BILLING_REMINDER_DAYS": reminder_days_parse,
    "BILLING_CREDIT_HOLD_AFTER_DAYS": hold_days_parse,
}


def setting_problems() -> list[str]:
    """What is wrong with the billing settings, one sentence each naming the setting; empty when all is well."""
    problems = []
    for name, parse in PARSERS.items():
        try:
            parse(getattr(settings, name))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if settings.BILLING_INVOICE_PREFIX == settings.BILLING_CREDIT_NOTE_PREFIX:
        problems.append(
            "BILLING_CREDIT_NOTE_PREFIX: is the same as BILLING_INVOICE_PREFIX; invoices and credit notes need "
            "different numbers"
        )
    return problems


def setting(name: str):
    """The setting's parsed value; ImproperlyConfigured naming it if it does not parse."""
    try:
        return PARSERS[name](getattr(settings, name))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
