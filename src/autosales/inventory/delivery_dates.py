"""Delivery dates: when an order placed now leaves a distribution center, and when it arrives.

A center ships on its working days that are neither public holidays (the `holidays` package, for its country
and subdivision) nor its own closed days. An order placed on such a day before the center's cut-off (local
time) counts for that day, otherwise for the next such day; it ships `handling_days` shipping days later. The
carrier then takes the shipping method's transit days, counted in carrier working days (Monday to Friday):
an order shipped on a Friday with 1 to 2 transit days arrives Monday to Tuesday.

The reverse answers two more questions: the latest day an order may be placed (and ship) to arrive by a
given date (a standing order's lead time, a requested delivery date), and the earliest date a customer may
ask for. An order allocated from several centers is promised when its last part ships and arrives.

Everything here is computed from a `ShippingCalendar` (a center's rules as plain values, cached per
center) and the transit days, which the caller takes from its shipping method: no query, no import of
pricing. Every walk over days is bounded: a center that never ships raises NoShippingDay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils import dateformat
from django.utils.translation import gettext, gettext_lazy

from autosales.core import clock
from autosales.core.cache_versions import DELIVERY, cached_for_versions
from autosales.core.errors import Conflict
from autosales.core.timezones import time_zone_or_shop
from autosales.inventory.models import ClosedDay, Warehouse

# The farthest a walk over days looks (two years): a center with no shipping day in it never ships.
SEARCH_DAYS = 731
CARRIER_WORKING_DAYS = frozenset(range(1, 6))  # ISO weekdays Monday to Friday
NO_SHIPPING_DAY = "no_shipping_day"


class NoShippingDay(Conflict):
    """A center's calendar has no shipping day within SEARCH_DAYS (no working days, or closed throughout)."""

    def __init__(self, calendar: ShippingCalendar, start: dt.date):
        super().__init__(
            NO_SHIPPING_DAY,
            f"Distribution center {calendar.code or calendar.warehouse_id} has no shipping day within "
            f"{SEARCH_DAYS} days of {start:%Y-%m-%d}: check its working days and closed days.",
            "warehouse",
        )


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year).keys())


@dataclass(frozen=True)
class ShippingCalendar:
    """One center's shipping rules as plain values (picklable, cached per center)."""

    warehouse_id: int
    code: str
    priority: int
    time_zone: str
    working_days: frozenset[int]  # ISO weekdays, 1 Monday … 7 Sunday
    cutoff: dt.time
    handling_days: int = 0
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed_days: frozenset[dt.date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def ships_on(self, day: dt.date) -> bool:
        """Whether the center ships on `day`: a working day, no public holiday, not one of its closed days."""
        return (
            day.isoweekday() in self.working_days
            and day not in self.closed_days
            and day not in _public_holidays(self.holiday_country, self.holiday_subdivision, day.year)
        )

    def cutoff_at(self, day: dt.date) -> dt.datetime:
        """The moment (UTC) of the cut-off on `day`, local time (on a DST change, zoneinfo's first reading)."""
        return dt.datetime.combine(day, self.cutoff, tzinfo=self.zone).astimezone(dt.UTC)

    def next_shipping_day(self, day: dt.date, *, after: bool = False) -> dt.date:
        """`day` (or the first day after it, with `after`) if the center ships then, else the next day it does."""
        candidate = day + dt.timedelta(days=1) if after else day
        for _ in range(SEARCH_DAYS):
            if self.ships_on(candidate):
                return candidate
            candidate += dt.timedelta(days=1)
        raise NoShippingDay(self, day)

    def previous_shipping_day(self, day: dt.date) -> dt.date:
        """`day` if the center ships then, else the last day before it that it does."""
        candidate = day
        for _ in range(SEARCH_DAYS):
            if self.ships_on(candidate):
                return candidate
            candidate -= dt.timedelta(days=1)
        raise NoShippingDay(self, day)

    def add_shipping_days(self, day: dt.date, count: int) -> dt.date:
        """The shipping day `count` shipping days after the shipping day `day`."""
        for _ in range(count):
            day = self.next_shipping_day(day, after=True)
        return day

    def order_day(self, moment: dt.datetime) -> dt.date:
        """The shipping day an order placed at `moment` counts for: today before the cut-off, else the next."""
        today = moment.astimezone(self.zone).date()
        if self.ships_on(today) and moment < self.cutoff_at(today):
            return today
        return self.next_shipping_day(today, after=True)


def calendar_of(warehouse: Warehouse, *, closed_days: Iterable[dt.date] = ()) -> ShippingCalendar:
    return ShippingCalendar(
        warehouse_id=warehouse.pk,
        code=warehouse.code,
        priority=warehouse.priority,
        time_zone=time_zone_or_shop(warehouse.time_zone),
        working_days=frozenset(int(d) for d in warehouse.working_days),
        cutoff=warehouse.cutoff_time,
        handling_days=warehouse.handling_days,
        holiday_country=warehouse.holiday_country,
        holiday_subdivision=warehouse.holiday_subdivision,
        closed_days=frozenset(closed_days),
    )


def _calendars_build() -> dict[int, ShippingCalendar]:
    warehouses = list(Warehouse.objects.filter(is_active=True))
    closed: dict[int, set[dt.date]] = {w.pk: set() for w in warehouses}
    # Closed days from a year back (a standing order's past runs) on: older ones change nothing anyone sees.
    since = clock.today() - dt.timedelta(days=366)
    for warehouse_id, day in ClosedDay.objects.filter(warehouse__in=warehouses, day__gte=since).values_list(
        "warehouse_id", "day"
    ):
        closed[warehouse_id].add(day)
    return {w.pk: calendar_of(w, closed_days=closed[w.pk]) for w in warehouses}


def shipping_calendars() -> dict[int, ShippingCalendar]:
    """The calendar of every active center by warehouse id: two queries, shared through the cache until a
    center or its closed days change (the DELIVERY version)."""
    return cached_for_versions(name="shipping_calendars", parts=(), kinds=(DELIVERY,), build=_calendars_build)


def carrier_days_add(day: dt.date, count: int) -> dt.date:
    """`count` carrier working days (Monday to Friday) after `day`; 0 is `day` itself."""
    for _ in range(count):
        day += dt.timedelta(days=1)
        while day.isoweekday() not in CARRIER_WORKING_DAYS:
            day += dt.timedelta(days=1)
    return day


def carrier_days_back(day: dt.date, count: int) -> dt.date:
    """The latest day from which `count` carrier working days end on `day` or earlier (the inverse of
    carrier_days_add: a parcel handed over on a Saturday or Sunday travels from the Monday)."""
    if not count:
        return day
    while day.isoweekday() not in CARRIER_WORKING_DAYS:
        day -= dt.timedelta(days=1)  # arriving by a weekend day is arriving by the Friday before
    for _ in range(count - 1):
        day -= dt.timedelta(days=1)
        while day.isoweekday() not in CARRIER_WORKING_DAYS:
            day -= dt.timedelta(days=1)
    return day - dt.timedelta(days=1)


@dataclass(frozen=True)
class Promise:
    """What an order placed at `ordered_at` is promised: when it ships and the days it arrives between."""

    ordered_at: dt.datetime
    ships_on: dt.date
    arrives_from: dt.date
    arrives_to: dt.date
    # While an order placed now still ships today: the cut-off it must beat; otherwise None.
    ships_today_until: dt.datetime | None = None

    @property
    def time_left(self) -> dt.timedelta | None:
        return self.ships_today_until - self.ordered_at if self.ships_today_until else None


def promise(
    *,
    calendar: ShippingCalendar,
    moment: dt.datetime,
    transit_min: int,
    transit_max: int,
    not_before: dt.date | None = None,
) -> Promise:
    """The promise of one center for an order placed at `moment`; `not_before`: a delivery date asked for, later than
    possible, which holds the shipment back until the latest shipping day that still arrives by it."""
    order_day = calendar.order_day(moment)
    ships_on = calendar.add_shipping_days(order_day, calendar.handling_days)
    if not_before is not None:
        held = latest_ship_date(calendar=calendar, arrive_by=not_before, transit_max=transit_max)
        ships_on = max(ships_on, held)
    local_today = moment.astimezone(calendar.zone).date()
    until = calendar.cutoff_at(order_day) if ships_on == order_day == local_today else None
    return Promise(
        ordered_at=moment,
        ships_on=ships_on,
        arrives_from=carrier_days_add(ships_on, transit_min),
        arrives_to=carrier_days_add(ships_on, transit_max),
        ships_today_until=until,
    )


def latest_ship_date(*, calendar: ShippingCalendar, arrive_by: dt.date, transit_max: int) -> dt.date:
    """The last shipping day from which the slowest transit still arrives on or before `arrive_by`."""
    return calendar.previous_shipping_day(carrier_days_back(arrive_by, transit_max))


def latest_order_date(*, calendar: ShippingCalendar, arrive_by: dt.date, transit_max: int) -> dt.date:
    """The last day an order placed before the cut-off still ships in time to arrive on or before `arrive_by`
    (handling days included): a standing order's run is placed on it."""
    day = calendar.previous_shipping_day(
        latest_ship_date(calendar=calendar, arrive_by=arrive_by, transit_max=transit_max)
    )
    for _ in range(calendar.handling_days):
        day = calendar.previous_shipping_day(day - dt.timedelta(days=1))
    return day


def earliest_delivery_date(
    *, calendar: ShippingCalendar, moment: dt.datetime, transit_min: int, transit_max: int
) -> dt.date:
    """The earliest date a customer may ask delivery for: the last day of the window of an order placed now."""
    return promise(calendar=calendar, moment=moment, transit_min=transit_min, transit_max=transit_max).arrives_to


def promise_combined(promises: Iterable[Promise]) -> Promise | None:
    """An order shipped from several centers is complete when its last part ships and arrives."""
    promises = list(promises)
    if not promises:
        return None
    last = max(promises, key=lambda p: (p.ships_on, p.arrives_to))
    ships_today = all(p.ships_today_until is not None for p in promises)
    return Promise(
        ordered_at=last.ordered_at,
        ships_on=max(p.ships_on for p in promises),
        arrives_from=max(p.arrives_from for p in promises),
        arrives_to=max(p.arrives_to for p in promises),
        ships_today_until=min(p.ships_today_until for p in promises) if ships_today else None,
    )


def promise_for_warehouses(
    *,
    calendars: Mapping[int, ShippingCalendar],
    warehouse_ids: Iterable[int],
    moment: dt.datetime,
    transit_min: int,
    transit_max: int,
    not_before: dt.date | None = None,
) -> Promise | None:
    """The promise of an order whose units come from these centers (the allocation plan's); None when none."""
    return promise_combined(
        promise(
            calendar=calendars[warehouse_id],
            moment=moment,
            transit_min=transit_min,
            transit_max=transit_max,
            not_before=not_before,
        )
        for warehouse_id in sorted(set(warehouse_ids))
        if warehouse_id in calendars
    )


def warehouses_for(
    *,
    calendars: Mapping[int, ShippingCalendar],
    available: Mapping[int, Mapping[int, int]],
    quantities: Mapping[int, int],
) -> set[int] | None:
    """The centers the units would be allocated from, by the allocation's rule (priority, then code): given the
    units available per variant and warehouse; None when some variant has not enough units anywhere."""
    used: set[int] = set()
    for variant_id, wanted in quantities.items():
        if wanted <= 0:
            continue
        rows = sorted(
            (
                (calendars[w].priority, calendars[w].code, w, units)
                for w, units in available.get(variant_id, {}).items()
                if w in calendars and units > 0
            )
        )
        remaining = wanted
        for _, _, warehouse_id, units in rows:
            used.add(warehouse_id)
            remaining -= min(units, remaining)
            if not remaining:
                break
        if remaining:
            return None
    return used


# In words, as the product page, the cart and checkout show it.


def duration_words(delta: dt.timedelta) -> str:
    """ "2 h 14 min", "45 min", "3 h" (whole minutes, rounded down; at least 1 min)."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def date_words(day: dt.date) -> str:
    """ "Tue, Mar 3", in the active language."""
    return dateformat.format(day, "D, M j")


def ship_words(promise: Promise, *, today: dt.date | None = None) -> str:
    """ "Ships today if ordered within 2 h 14 min", else "Ships tomorrow" or "Ships Mon, Mar 2" (in the active
    language)."""
    if promise.time_left is not None:
        return gettext("Ships today if ordered within %(time)s") % {"time": duration_words(promise.time_left)}
    if today is not None and promise.ships_on == today + dt.timedelta(days=1):
        return gettext("Ships tomorrow")
    return gettext("Ships %(date)s") % {"date": date_words(promise.ships_on)}


def arrival_words(promise: Promise) -> str:
    """ "Arrives Tue, Mar 3 – Thu, Mar 5", or "Arrives Tue, Mar 3" when the window is one day (in the active
    language)."""
    if promise.arrives_from == promise.arrives_to:
        return gettext("Arrives %(date)s") % {"date": date_words(promise.arrives_from)}
    return gettext("Arrives %(start)s – %(end)s") % {
        "start": date_words(promise.arrives_from),
        "end": date_words(promise.arrives_to),
    }


def _holiday_name(day: dt.date, calendars: Iterable[ShippingCalendar]) -> str:
    for calendar in calendars:
        if calendar.holiday_country and day in _public_holidays(
            calendar.holiday_country, calendar.holiday_subdivision, day.year
        ):
            names = holidays.country_holidays(
                calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=day.year
            )
            return names.get(day) or "a public holiday"
    return ""


_A_WEEKDAY = (
    gettext_lazy("a Monday"),
    gettext_lazy("a Tuesday"),
    gettext_lazy("a Wednesday"),
    gettext_lazy("a Thursday"),
    gettext_lazy("a Friday"),
    gettext_lazy("a Saturday"),
    gettext_lazy("a Sunday"),
)


def delivery_day_problem(day: dt.date, *, calendars: Mapping[int, ShippingCalendar]) -> str:
    """Why nothing is delivered on `day` ("a Saturday", "Christmas Day, a public holiday"), or "" if carriers
    deliver then: carriers work Monday to Friday, and not on the public holidays of the centers' regions."""
    if day.isoweekday() not in CARRIER_WORKING_DAYS:
        return str(_A_WEEKDAY[day.weekday()])
    name = _holiday_name(day, calendars.values())
    return gettext("%(holiday)s, a public holiday") % {"holiday": name} if name else ""


def next_delivery_day(day: dt.date, *, calendars: Mapping[int, ShippingCalendar]) -> dt.date:
    """`day` if carriers deliver then, else the next day they do (bounded like every walk here)."""
    candidate = day
    for _ in range(SEARCH_DAYS):
        if not delivery_day_problem(candidate, calendars=calendars):
            return candidate
        candidate += dt.timedelta(days=1)
    return day
