"""When a standing order repeats: an RFC 5545 RRULE, expanded here with python-dateutil's reading of the standard.

The expansion is our own so that it can be bounded: dateutil's iterator walks day by day to the year 9999 on a
rule without dates and never ends on INTERVAL=0. The tests check it against dateutil for every supported part.

Occurrences are calendar dates in the standing order's time zone; each is due at a fixed local time on
that date, so a change of daylight-saving time moves nothing a customer can see.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dates import WEEKDAYS as WEEKDAYS_TRANSLATED
from django.utils.translation import get_language, gettext, ngettext

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.timezones import is_zone_name

UNITS = ("week", "month")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A standing order repeats at most daily: anything finer is refused. The largest interval of each keeps the
# dates of a rule at most about four years apart.
MAX_INTERVAL = {"DAILY": 366, "WEEKLY": 52, "MONTHLY": 52, "YEARLY": 4}
_SET_SEPARATELY = {"DTSTART", "COUNT", "UNTIL", "BYHOUR", "BYMINUTE", "BYSECOND"}
_SUPPORTED = {"FREQ", "INTERVAL", "WKST", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS"}
# How far an expansion looks for the next date: a rule without a date this long after its start (or after its
# previous date) has no more dates. It bounds the work of every expansion, whatever the rule.
HORIZON = dt.timedelta(days=5 * 366)
# The most dates one expansion returns (an end after N orders is at most 1,000 orders plus the skipped dates).
MAX_DATES = 5000
_LAST_YEAR = dt.MAXYEAR - 10


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


def rule_validate(rule: str, *, start: dt.date | None = None) -> str:
    """The rule, upper-cased and without an 'RRULE:' prefix, if it is one a standing order may follow.

    The one check of a rule, for the pages, the API and the services: parts the product supports, an interval
    from 1 to its maximum, and a first date within `HORIZON` of `start` (today when not given), found with
    bounded work.
    """
    text = _rule_text(rule)
    if not text:
        raise ScheduleError("rule_required", "A repeat rule is required.", "rule")
    if _first_date(text, start or clock.today()) is None:
        raise ScheduleError(
            "invalid_rule",
            f"The repeat rule gives no date within {HORIZON.days // 366} years of the first date.",
            "rule",
        )
    return text


@lru_cache(maxsize=2048)
def _first_date(text: str, start: dt.date) -> dt.date | None:
    first = rule_expand(text, start=start, limit=1).dates
    return first[0] if first else None


def _rule_text(rule: str) -> str:
    return (rule or "").strip().upper().removeprefix("RRULE:")


def _invalid(message: str) -> ScheduleError:
    return ScheduleError("invalid_rule", message, "rule")


@dataclass(frozen=True)
class _Rule:
    """A parsed rule; the parts a rule leaves out are filled in from the start date (RFC 5545, as dateutil does)."""

    freq: str
    interval: int
    wkst: int
    bymonth: frozenset[int] | None
    bymonthday: frozenset[int] | None
    byweekday: frozenset[int] | None  # plain weekdays: every Monday
    bynweekday: frozenset[tuple[int, int]] | None  # numbered weekdays: (weekday, n), the 1st Monday, the last Friday
    bysetpos: tuple[int, ...] | None

    def filled_in(self, start: dt.date) -> _Rule:
        if self.bymonthday or self.byweekday or self.bynweekday:
            return self
        if self.freq == "YEARLY":
            bymonth = self.bymonth or frozenset({start.month})
            return replace(self, bymonth=bymonth, bymonthday=frozenset({start.day}))
        if self.freq == "MONTHLY":
            return replace(self, bymonthday=frozenset({start.day}))
        if self.freq == "WEEKLY":
            return replace(self, byweekday=frozenset({start.weekday()}))
        return self


def _numbers(name: str, value: str, low: int, high: int, *, signed: bool = False) -> frozenset[int]:
    numbers = set()
    for item in value.split(","):
        digits = item[1:] if signed and item[:1] in "+-" else item
        if not digits.isdigit() or not low <= int(digits) <= high:
            sign = "±" if signed else ""
            raise _invalid(f"{name} takes numbers from {sign}{low} to {sign}{high}, not {item!r}.")
        numbers.add(-int(digits) if item.startswith("-") else int(digits))
    return frozenset(numbers)


@lru_cache(maxsize=2048)
def _parse(text: str) -> _Rule:
    if len(text) > 500:
        raise ScheduleError("rule_too_long", "The repeat rule is longer than 500 characters.", "rule")
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            raise _invalid(f"Not a RRULE part: {part!r}.")
        if name in parts:
            raise _invalid(f"{name} is given more than once.")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in MAX_INTERVAL:
        raise _invalid("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (at most one order a day).")
    set_separately = sorted(_SET_SEPARATELY & parts.keys())
    if set_separately:
        raise _invalid(
            f"{', '.join(set_separately)} cannot be part of the rule: the start, the end and the time of day are "
            "set separately."
        )
    unknown = sorted(parts.keys() - _SUPPORTED)
    if unknown:
        raise _invalid(f"{', '.join(unknown)} is not supported; a rule may use {', '.join(sorted(_SUPPORTED))}.")
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL[freq]:
        raise _invalid(f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL[freq]} with FREQ={freq}.")
    wkst = parts.get("WKST", "MO")
    if wkst not in WEEKDAYS:
        raise _invalid(f"WKST must be one of {', '.join(WEEKDAYS)}.")
    bymonth = _numbers("BYMONTH", parts["BYMONTH"], 1, 12) if "BYMONTH" in parts else None
    bymonthday = _numbers("BYMONTHDAY", parts["BYMONTHDAY"], 1, 31, signed=True) if "BYMONTHDAY" in parts else None
    if bymonthday and freq == "WEEKLY":
        raise _invalid("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    byweekday, bynweekday = _weekdays(parts.get("BYDAY"), freq=freq, bymonth=bymonth)
    bysetpos = None
    if "BYSETPOS" in parts:
        if not (bymonth or bymonthday or byweekday or bynweekday):
            raise _invalid("BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to pick from.")
        bysetpos = tuple(sorted(_numbers("BYSETPOS", parts["BYSETPOS"], 1, 366, signed=True)))
    return _Rule(
        freq=freq,
        interval=int(interval),
        wkst=WEEKDAYS.index(wkst),
        bymonth=bymonth,
        bymonthday=bymonthday,
        byweekday=byweekday,
        bynweekday=bynweekday,
        bysetpos=bysetpos,
    )


def _weekdays(value: str | None, *, freq: str, bymonth) -> tuple[frozenset | None, frozenset | None]:
    if value is None:
        return None, None
    plain, numbered = set(), set()
    highest = 53 if freq == "YEARLY" and not bymonth else 5
    for item in value.split(","):
        code, number = item[-2:], item[:-2]
        if code not in WEEKDAYS:
            raise _invalid(f"BYDAY takes weekdays (MO to SU, e.g. 1MO or -1FR), not {item!r}.")
        if not number:
            plain.add(WEEKDAYS.index(code))
            continue
        if freq not in ("MONTHLY", "YEARLY"):
            raise _invalid(f"A numbered weekday ({item}) needs FREQ=MONTHLY or FREQ=YEARLY.")
        n = _numbers("The number of a weekday", number, 1, highest, signed=True)
        numbered.add((WEEKDAYS.index(code), next(iter(n))))
    if plain and numbered:
        raise _invalid("BYDAY takes either weekdays (MO) or numbered weekdays (1MO), not both.")
    return frozenset(plain) or None, frozenset(numbered) or None


@dataclass(frozen=True)
class Expansion:
    dates: tuple[dt.date, ...]
    examined: int  # candidate dates looked at: the work the expansion did


def rule_expand(
    rule: str, *, start: dt.date, after: dt.date | None = None, through: dt.date | None = None, limit: int
) -> Expansion:
    """Up to `limit` dates of `rule` from `start`, later than `after` and up to `through` (each optional).

    The one expansion of rules: it stops at `limit` dates (at most MAX_DATES), at `through`, and when no date
    comes within HORIZON of the previous one (or of where it began looking), so no rule costs more than about
    HORIZON days of candidates per date found.
    """
    work = [0]
    found = []
    for day in _rule_dates(rule, start=start, after=after, work=work):
        if (through is not None and day > through) or len(found) >= min(limit, MAX_DATES):
            break
        found.append(day)
    return Expansion(dates=tuple(found), examined=work[0])


def _rule_dates(rule: str, *, start: dt.date, after: dt.date | None, work: list[int]) -> Iterator[dt.date]:
    parsed = _parse(_rule_text(rule)).filled_in(start)
    return _occurrences(parsed, start=start, begin=max(start, after + _DAY) if after else start, work=work)


_DAY = dt.timedelta(days=1)


def _occurrences(rule: _Rule, *, start: dt.date, begin: dt.date, work: list[int]) -> Iterator[dt.date]:
    """The dates of `rule` from `begin` on, period by period; ends after HORIZON without a date."""
    if begin.year > _LAST_YEAR:
        return
    give_up = begin + HORIZON
    for period in _periods(rule, start=start, begin=begin):
        if period[0] > give_up or period[0].year > _LAST_YEAR:
            return
        work[0] += len(period)
        for day in _pick(rule, period):
            if day >= begin:
                give_up = day + HORIZON
                yield day


def _periods(rule: _Rule, *, start: dt.date, begin: dt.date) -> Iterator[list[dt.date]]:
    """The candidate days of each period the interval visits (a day, a week, a month, a year), from the one
    holding `begin`; the first week starts at `start`, as dateutil has it."""
    step = rule.interval
    if rule.freq == "DAILY":
        k = -(-(begin - start).days // step)
        day = start + dt.timedelta(days=k * step)
        while True:
            yield [day]
            day += dt.timedelta(days=step)
    elif rule.freq == "WEEKLY":
        first = start - dt.timedelta(days=(start.weekday() - rule.wkst) % 7)
        k = max(0, (begin - first).days // 7 // step)
        while True:
            monday = first + dt.timedelta(weeks=k * step)
            yield [d for d in (monday + dt.timedelta(days=i) for i in range(7)) if d >= start]
            k += 1
    elif rule.freq == "MONTHLY":
        months = start.year * 12 + start.month - 1
        k = max(0, (begin.year * 12 + begin.month - 1 - months) // step)
        while True:
            year, month = divmod(months + k * step, 12)
            length = calendar.monthrange(year, month + 1)[1]
            yield [dt.date(year, month + 1, d) for d in range(1, length + 1)]
            k += 1
    else:
        k = max(0, (begin.year - start.year) // step)
        while True:
            year = start.year + k * step
            first = dt.date(year, 1, 1)
            yield [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]
            k += 1


def _pick(rule: _Rule, period: list[dt.date]) -> list[dt.date]:
    days = [day for day in period if _matches(rule, day)]
    if rule.bysetpos is None:
        return days
    picked = {days[pos - 1 if pos > 0 else pos] for pos in rule.bysetpos if -len(days) <= pos <= len(days) and pos}
    return sorted(picked)


def _matches(rule: _Rule, day: dt.date) -> bool:
    if rule.bymonth and day.month not in rule.bymonth:
        return False
    if rule.bymonthday:
        length = calendar.monthrange(day.year, day.month)[1]
        if day.day not in rule.bymonthday and day.day - length - 1 not in rule.bymonthday:
            return False
    if rule.byweekday and day.weekday() not in rule.byweekday:
        return False
    if rule.bynweekday:
        if rule.freq == "MONTHLY" or rule.bymonth:
            index, length = day.day - 1, calendar.monthrange(day.year, day.month)[1]
        else:
            index, length = day.timetuple().tm_yday - 1, 365 + calendar.isleap(day.year)
        weekday = day.weekday()
        if (weekday, index // 7 + 1) not in rule.bynweekday and (weekday, -((length - 1 - index) // 7) - 1) not in (
            rule.bynweekday
        ):
            return False
    return True


def timezone_validate(name: str) -> str:
    if not is_zone_name(name):
        raise ScheduleError("invalid_timezone", f"Unknown time zone: {name!r}.", "timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError("invalid_timezone", f"Unknown time zone: {name!r}.", "timezone") from exc
    return name


Skipped = Callable[[dt.date], bool]


@dataclass(frozen=True)
class Schedule:
    """A repeat rule anchored at a start date, with an optional end: a last date, or a number of orders.

    An end after N orders is not part of the rule's expansion: the dates go on until N of them are not
    skipped (`skipped` tells which are), so a skipped date moves the end one date further.
    """

    rule: str
    start: dt.date
    timezone: str = "UTC"
    run_time: dt.time = dt.time(6, 0)
    end_date: dt.date | None = None
    max_occurrences: int | None = None
    # When the order of a date is placed, if not at `run_time` on the date itself: early enough to arrive by
    # it (recurring.lead_time); compared by nobody, it only moves `due_at`.
    placement_at: Callable[[dt.date], dt.datetime] | None = field(default=None, compare=False, repr=False)
    # The next delivery day on or after a date (inventory.delivery_dates.next_delivery_day) when the customer asked
    # for dates on a weekend or holiday to move to the next working day; None: every order is for its own date.
    next_delivery_day: Callable[[dt.date], dt.date] | None = field(default=None, compare=False, repr=False)

    def _through(self, through: dt.date | None) -> dt.date | None:
        if self.end_date is None:
            return through
        return self.end_date if through is None else min(through, self.end_date)

    def _expand(self, *, after: dt.date | None, through: dt.date | None, limit: int, skipped: Skipped | None):
        rule_validate(self.rule, start=self.start)  # a rule stored before it was checked is an error, not a hang
        through = self._through(through)
        if self.max_occurrences is None:
            return list(rule_expand(self.rule, start=self.start, after=after, through=through, limit=limit).dates)
        # Counting orders needs the dates from the start: N of them plus the skipped ones.
        result, ordered = [], 0
        for day in _rule_dates(self.rule, start=self.start, after=None, work=[0]):
            if ordered >= self.max_occurrences or len(result) >= min(limit, MAX_DATES):
                break
            if through is not None and day > through:
                break
            if after is None or day > after:
                result.append(day)
            if skipped is None or not skipped(day):
                ordered += 1
        return result

    def dates(self, *, through: dt.date, after: dt.date | None = None, skipped: Skipped | None = None) -> list[dt.date]:
        """Occurrence dates from the start up to and including `through`, later than `after` if given."""
        return self._expand(after=after, through=through, limit=MAX_DATES, skipped=skipped)

    def next_dates(self, *, after: dt.date, count: int, skipped: Skipped | None = None) -> list[dt.date]:
        """The next `count` occurrence dates strictly after `after` (fewer if the schedule ends)."""
        return self._expand(after=after, through=None, limit=count, skipped=skipped)

    def occurs_on(self, day: dt.date, *, skipped: Skipped | None = None) -> bool:
        return self._expand(after=day - _DAY, through=day, limit=1, skipped=skipped) == [day]

    def moved_to(self, day: dt.date) -> dt.date | None:
        """The delivery day the order of the occurrence on `day` is moved to, or None when it stays on `day`.

        With `next_delivery_day`, a date nothing is delivered on (a weekend, a public holiday) moves to the next
        day that is one, unless that day is on or after the rule's next date (a daily rule's Saturday and Sunday):
        then it keeps its own date. So each rule date keeps one order, the orders stay in the rule's order, and no
        two fall on the same day. The end of the schedule does not stop a move: the order of a last date on a
        Saturday is delivered on the Monday after it.
        """
        if self.next_delivery_day is None:
            return None
        target = self.next_delivery_day(day)
        if target <= day:
            return None
        following = rule_expand(self.rule, start=self.start, after=day, limit=1).dates
        if following and following[0] <= target:
            return None
        return target

    def delivery_date(self, day: dt.date) -> dt.date:
        """The day the order of the occurrence on `day` is for: the day it is moved to, or `day` itself."""
        return self.moved_to(day) or day

    def due_at(self, day: dt.date) -> dt.datetime:
        """The UTC moment the occurrence on `day` is due: `run_time` on its delivery date (`delivery_date`) in the
        schedule's zone, or the moment `placement_at` gives for that date (a delivery lead time)."""
        day = self.delivery_date(day)
        if self.placement_at is not None:
            return self.placement_at(day)
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


def day_of_month_words(n: int) -> str:
    """The day of the month as the active language says it after "on the": "29th" in English, "29" otherwise."""
    return ordinal(n) if (get_language() or "en").startswith("en") else str(n)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _every(unit: str, every: int) -> str:
    """ "Every month", "Every 2 weeks": the repeat of a rule, in the active language."""
    words = {
        "DAILY": ngettext("Every day", "Every %(count)s days", every),
        "WEEKLY": ngettext("Every week", "Every %(count)s weeks", every),
        "MONTHLY": ngettext("Every month", "Every %(count)s months", every),
        "YEARLY": ngettext("Every year", "Every %(count)s years", every),
    }[unit]
    return words % {"count": every}


_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def rule_describe(rule: str) -> str:
    """The rule in words for people, in the active language: "Every 2 months on the 31st (the last day in shorter
    months)"."""
    try:
        rule_validate(rule)
    except ScheduleError:
        return gettext("Schedule needs attention (%(rule)s)") % {"rule": _rule_text(rule)[:100]}
    parts = rule_parts(rule)
    if parts is None:
        text = (rule or "").strip().upper().removeprefix("RRULE:")
        fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
        every = fields.get("INTERVAL", "1")
        if fields.get("FREQ") in _FREQS and set(fields) <= {"FREQ", "INTERVAL"} and every.isdigit():
            return _every(fields["FREQ"], int(every))
        return gettext("Custom: %(rule)s") % {"rule": text}
    if parts.unit == "week":
        return gettext("%(every)s on %(weekday)s") % {
            "every": _every("WEEKLY", parts.every),
            "weekday": WEEKDAYS_TRANSLATED[parts.weekday],
        }
    n = parts.day_of_month
    day = {"every": _every("MONTHLY", parts.every), "day": day_of_month_words(n)}
    if n > 28:
        return gettext("%(every)s on the %(day)s (the last day in shorter months)") % day
    return gettext("%(every)s on the %(day)s") % day
