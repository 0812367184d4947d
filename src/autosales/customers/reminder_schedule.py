"""An overdue reminder schedule: days relative to an invoice's due date, e.g. "-3,0,7,14".

One parser for every place a schedule comes from (the organization's field, the `BILLING_REMINDER_DAYS`
setting): a schedule that does not parse is refused with the reason, never replaced by another one.
"""

from django.core.exceptions import ValidationError

# Reminders before the due date reach back at most this far (the dunning job reads a bounded set of invoices),
# and the last one comes at most a year after it.
EARLIEST_REMINDER = -30
LATEST_REMINDER = 365
MOST_REMINDERS = 12


def reminder_days_parse(text: str) -> list[int]:
    """The schedule's days, sorted; raises ValueError saying what is wrong with `text`."""
    parts = [part.strip() for part in str(text).split(",")]
    if not any(parts):
        raise ValueError("is empty: give days relative to the due date, e.g. -3,0,7,14")
    days: list[int] = []
    for part in parts:
        if not part:
            raise ValueError(f"{text!r} has an empty entry between commas")
        try:
            day = int(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a whole number of days") from None
        if day < EARLIEST_REMINDER:
            raise ValueError(f"{day} is more than {-EARLIEST_REMINDER} days before the due date")
        if day > LATEST_REMINDER:
            raise ValueError(f"{day} is more than {LATEST_REMINDER} days after the due date")
        if day in days:
            raise ValueError(f"{day} is given twice")
        days.append(day)
    if len(days) > MOST_REMINDERS:
        raise ValueError(f"has {len(days)} reminders; at most {MOST_REMINDERS}")
    return sorted(days)


def validate_reminder_days(value: str) -> None:
    """Model and form validator: a blank value means "the shop's default" and is valid."""
    if not value or not value.strip():
        return
    try:
        reminder_days_parse(value)
    except ValueError as exc:
        raise ValidationError(f"Overdue reminders: {exc}.", code="invalid") from None
