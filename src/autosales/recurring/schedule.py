"""When a standing order repeats: an RFC 5545 RRULE expanded with python-dateutil.

Occurrences are calendar dates in the standing order's time zone; each is due at a fixed local time on
that date, so a change of daylight-saving time moves nothing a customer can see.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as du

from autosales.core.errors import DomainError
from autosales.core.timezones import is_zone_name

UNITS = ("week", "month")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A standing order repeats at most daily: anything finer is refused.
_ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_FORBIDDEN_PARTS = {"DTSTART", "COUNT", "UNTIL", "BYHOUR", "BYMINUTE", "BYSECOND"}


class ScheduleError(DomainError):
    pass


def rule_for(*, every: int, unit: str, weekday: int | None = None, day_of_month: int | None = None) -> str:
    """The RRULE for 'every N weeks on a weekday' or 'every N months on a day of the month'.

    A day of the month past the 28th falls on the last day of shorter months (the 31st becomes the 30th
    in April and the 28th or 29th in February), which is what a customer who says "the 31st" means.
    """
    if not isinstance(every, int) or not 1 <= every <= 52:
        raise ScheduleError("invalid_interval", "The interval must be a whole number from 1 to 52.", "every")
    if unit == "week":
        if weekday is None or not 0 <= weekday <= 6:
            raise ScheduleError("invalid_weekday", "Choose a weekday (Monday to Sunday).", "weekday")
        return f"FREQ=WEEKLY;INTERVAL={every};BYDAY={WEEKDAYS[weekday]}"
    if unit == "month":
        if day_of_month is None or not 1 <= day_of_month <= 31:
            raise ScheduleError("invalid_day", "The day of the month must be from 1 to 31.", "day_of_month")
        if day_of_month <= 28:
            return f"FREQ=MONTHLY;INTERVAL={every};BYMONTHDAY={day_of_month}"
        days = ",".join(str(d) for d in range(28, day_of_month + 1))
        return f"FREQ=MONTHLY;INTERVAL={every};BYMONTHDAY={days};BYSETPOS=-1"
    raise ScheduleError("invalid_unit", f"The unit must be one of: {', '.join(UNITS)}.", "unit")


def rule_validate(rule: str) -> str:
    """The rule, upper-cased and without an 'RRULE:' prefix, if it is one a standing order may follow."""
    text = (rule or "").strip().upper().removeprefix("RRULE:")
    if not text:
        raise ScheduleError("rule_required", "A repeat rule is required.", "rule")
    if len(text) > 500:
        raise ScheduleError("rule_too_long", "The repeat rule is longer than 500 characters.", "rule")
    parts = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            raise ScheduleError("invalid_rule", f"Not a RRULE part: {part!r}.", "rule")
        parts[name] = value
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise ScheduleError(
            "invalid_rule", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (at most one order a day).", "rule"
        )
    forbidden = sorted(_FORBIDDEN_PARTS & parts.keys())
    if forbidden:
        raise ScheduleError(
            "invalid_rule",
            f"{', '.join(forbidden)} cannot be part of the rule: the start, the end and the time of day are set separately.",
            "rule",
        )
    try:
        parsed = du.rrulestr(f"RRULE:{text}", dtstart=dt.datetime(2000, 1, 1))
        first = parsed.after(dt.datetime(2000, 1, 1), inc=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise ScheduleError("invalid_rule", f"The repeat rule is not valid: {exc}.", "rule") from exc
    if first is None:
        raise ScheduleError("invalid_rule", "The repeat rule never produces a date.", "rule")
    return text


def timezone_validate(name: str) -> str:
    if not is_zone_name(name):
        raise ScheduleError("invalid_timezone", f"Unknown time zone: {name!r}.", "timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError("invalid_timezone", f"Unknown time zone: {name!r}.", "timezone") from exc
    return name


@dataclass(frozen=True)
class Schedule:
    """A repeat rule anchored at a start date, with an optional end (a last date or a number of orders)."""

    rule: str
    start: dt.date
    timezone: str = "UTC"
    run_time: dt.time = dt.time(6, 0)
    end_date: dt.date | None = None
    max_occurrences: int | None = None

    @cached_property
    def _rrule(self) -> du.rrule:
        base = du.rrulestr(f"RRULE:{rule_validate(self.rule)}", dtstart=dt.datetime.combine(self.start, dt.time()))
        until = dt.datetime.combine(self.end_date, dt.time()) if self.end_date else None
        return base.replace(count=self.max_occurrences, until=until)

    def dates(self, *, through: dt.date, after: dt.date | None = None) -> list[dt.date]:
        """Occurrence dates from the start up to and including `through`, later than `after` if given."""
        low = dt.datetime.combine(after, dt.time()) if after else None
        result = []
        for moment in self._rrule:
            day = moment.date()
            if day > through:
                break
            if low is None or moment > low:
                result.append(day)
        return result

    def next_dates(self, *, after: dt.date, count: int) -> list[dt.date]:
        """The next `count` occurrence dates strictly after `after` (fewer if the schedule ends)."""
        result = []
        moment = dt.datetime.combine(after, dt.time())
        while len(result) < count:
            moment = self._rrule.after(moment)
            if moment is None:
                break
            result.append(moment.date())
        return result

    def occurs_on(self, day: dt.date) -> bool:
        moment = dt.datetime.combine(day, dt.time())
        return self._rrule.after(moment, inc=True) == moment

    def due_at(self, day: dt.date) -> dt.datetime:
        """The UTC moment the occurrence on `day` is due: `run_time` on that date in the schedule's zone."""
        local = dt.datetime.combine(day, self.run_time, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(dt.UTC)


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class RuleParts:
    """A rule that `rule_for` can build: every N weeks on a weekday, or every N months on a day of the month."""

    every: int
    unit: str
    weekday: int | None = None
    day_of_month: int | None = None


def rule_parts(rule: str) -> RuleParts | None:
    """The simple form of `rule` when it is one `rule_for` builds (so a form can show it), else None."""
    text = (rule or "").strip().upper().removeprefix("RRULE:")
    try:
        parts = dict(part.split("=", 1) for part in text.split(";"))
        has_interval = "INTERVAL" in parts
        every = int(parts.pop("INTERVAL", "1"))
    except ValueError:
        return None
    freq = parts.pop("FREQ", "")
    if freq == "WEEKLY" and set(parts) == {"BYDAY"} and parts["BYDAY"] in WEEKDAYS:
        found = RuleParts(every=every, unit="week", weekday=WEEKDAYS.index(parts["BYDAY"]))
    elif freq == "MONTHLY" and set(parts) == {"BYMONTHDAY"} and parts["BYMONTHDAY"].isdigit():
        found = RuleParts(every=every, unit="month", day_of_month=int(parts["BYMONTHDAY"]))
    elif freq == "MONTHLY" and set(parts) == {"BYMONTHDAY", "BYSETPOS"} and parts["BYSETPOS"] == "-1":
        days = parts["BYMONTHDAY"].split(",")
        if not all(d.isdigit() for d in days) or not days:
            return None
        found = RuleParts(every=every, unit="month", day_of_month=int(days[-1]))
    else:
        return None
    try:
        same = rule_for(every=found.every, unit=found.unit, weekday=found.weekday, day_of_month=found.day_of_month)
    except ScheduleError:
        return None
    if not has_interval:
        same = same.replace(";INTERVAL=1", "")
    return found if same == text else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_FREQ_WORDS = {
    "DAILY": ("day", "days"),
    "WEEKLY": ("week", "weeks"),
    "MONTHLY": ("month", "months"),
    "YEARLY": ("year", "years"),
}


def rule_describe(rule: str) -> str:
    """The rule in words for people: "Every 2 months on the 31st (the last day in shorter months)"."""
    parts = rule_parts(rule)
    if parts is None:
        text = (rule or "").strip().upper().removeprefix("RRULE:")
        fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
        words = _FREQ_WORDS.get(fields.get("FREQ", ""))
        every = fields.get("INTERVAL", "1")
        if words and set(fields) <= {"FREQ", "INTERVAL"} and every.isdigit():
            return f"Every {words[0]}" if every == "1" else f"Every {every} {words[1]}"
        return f"Custom: {text}"
    if parts.unit == "week":
        period = "week" if parts.every == 1 else f"{parts.every} weeks"
        return f"Every {period} on {WEEKDAY_NAMES[parts.weekday]}"
    period = "month" if parts.every == 1 else f"{parts.every} months"
    text = f"Every {period} on the {_ordinal(parts.day_of_month)}"
    if parts.day_of_month > 28:
        text += " (the last day in shorter months)"
    return text
