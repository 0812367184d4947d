"""Delivery dates: cut-off, working days, public holidays, closed days, DST, and the reverse questions, checked
against a reference that walks the calendar one day at a time."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autosales.inventory.delivery_dates import (
    NoShippingDay,
    ShippingCalendar,
    arrival_words,
    earliest_delivery_date,
    latest_order_date,
    latest_ship_date,
    promise,
    promise_combined,
    ship_words,
)
from tests.suite_runs import once

pytestmark = once

CHICAGO = "America/Chicago"


def calendar(**fields) -> ShippingCalendar:
    values = {
        "warehouse_id": 1,
        "code": "CHI",
        "priority": 0,
        "time_zone": CHICAGO,
        "working_days": frozenset({1, 2, 3, 4, 5}),
        "cutoff": dt.time(14, 0),
        "holiday_country": "US",
        "holiday_subdivision": "IL",
    }
    values.update(fields)
    return ShippingCalendar(**values)


def local(zone: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


# The reference: every rule spelled out, one day at a time, sharing no code with the module.


def _ref_ships(cal: ShippingCalendar, day: dt.date) -> bool:
    if day.isoweekday() not in cal.working_days or day in cal.closed_days:
        return False
    if cal.holiday_country:
        found = holidays.country_holidays(cal.holiday_country, subdiv=cal.holiday_subdivision or None, years=day.year)
        if day in found:
            return False
    return True


def _ref_carrier(day: dt.date, count: int) -> dt.date:
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _ref_ship_from_order_day(cal: ShippingCalendar, day: dt.date) -> dt.date:
    left = cal.handling_days
    while left:
        day += dt.timedelta(days=1)
        if _ref_ships(cal, day):
            left -= 1
    return day


def _ref_promise(cal: ShippingCalendar, moment: dt.datetime, tmin: int, tmax: int):
    zone = ZoneInfo(cal.time_zone)
    today = moment.astimezone(zone).date()
    cutoff = dt.datetime(today.year, today.month, today.day, cal.cutoff.hour, cal.cutoff.minute, tzinfo=zone)
    day = today
    if not (_ref_ships(cal, day) and moment < cutoff):
        day += dt.timedelta(days=1)
        while not _ref_ships(cal, day):
            day += dt.timedelta(days=1)
    ships = _ref_ship_from_order_day(cal, day)
    return ships, _ref_carrier(ships, tmin), _ref_carrier(ships, tmax), ships == today


def _ref_latest_ship(cal: ShippingCalendar, arrive_by: dt.date, tmax: int) -> dt.date:
    day = arrive_by
    while not (_ref_ships(cal, day) and _ref_carrier(day, tmax) <= arrive_by):
        day -= dt.timedelta(days=1)
    return day


def _ref_latest_order(cal: ShippingCalendar, arrive_by: dt.date, tmax: int) -> dt.date:
    day = arrive_by
    while not (_ref_ships(cal, day) and _ref_carrier(_ref_ship_from_order_day(cal, day), tmax) <= arrive_by):
        day -= dt.timedelta(days=1)
    return day


ZONES = [
    "UTC",
    CHICAGO,
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
]
HOLIDAYS = [("", ""), ("US", ""), ("US", "IL"), ("US", "CA"), ("DE", "BY"), ("GB", ""), ("NZ", "")]


moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 10, 1), timezones=st.just(dt.UTC))


@st.composite
def scenarios(draw):
    """A moment and a center's calendar, its closed days around that moment (where the walks go)."""
    moment = draw(moments)
    country, subdivision = draw(st.sampled_from(HOLIDAYS))
    closed = draw(st.frozensets(st.integers(-40, 40), max_size=12))
    cal = calendar(
        time_zone=draw(st.sampled_from(ZONES)),
        working_days=draw(st.frozensets(st.integers(1, 7), min_size=1)),
        cutoff=dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 59]))),
        handling_days=draw(st.integers(0, 3)),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed_days=frozenset(moment.date() + dt.timedelta(days=n) for n in closed),
    )
    return cal, moment


transits = st.tuples(st.integers(0, 6), st.integers(0, 6)).map(sorted)


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios(), transit=transits)
def test_the_promise_matches_a_day_by_day_walk(scenario, transit):
    cal, moment = scenario
    tmin, tmax = transit
    got = promise(calendar=cal, moment=moment, transit_min=tmin, transit_max=tmax)
    ships, arrives_from, arrives_to, ships_today = _ref_promise(cal, moment, tmin, tmax)
    assert (got.ships_on, got.arrives_from, got.arrives_to) == (ships, arrives_from, arrives_to)
    assert (got.time_left is not None) == ships_today
    if got.time_left is not None:
        assert got.time_left > dt.timedelta(0)


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios(), transit=transits, later=st.integers(0, 40))
def test_the_reverse_dates_match_a_day_by_day_walk(scenario, transit, later):
    cal, moment = scenario
    tmin, tmax = transit
    arrive_by = moment.date() + dt.timedelta(days=later)
    assert latest_ship_date(calendar=cal, arrive_by=arrive_by, transit_max=tmax) == _ref_latest_ship(
        cal, arrive_by, tmax
    )
    assert latest_order_date(calendar=cal, arrive_by=arrive_by, transit_max=tmax) == _ref_latest_order(
        cal, arrive_by, tmax
    )
    # and the earliest date one may ask for can be kept: the order held for it still arrives by then
    earliest = earliest_delivery_date(calendar=cal, moment=moment, transit_min=tmin, transit_max=tmax)
    held = promise(
        calendar=cal, moment=moment, transit_min=tmin, transit_max=tmax, not_before=earliest + dt.timedelta(days=later)
    )
    assert held.arrives_to <= earliest + dt.timedelta(days=later)
    assert held.ships_on >= promise(calendar=cal, moment=moment, transit_min=tmin, transit_max=tmax).ships_on


def test_an_order_before_the_cut_off_ships_today_and_says_how_long_is_left():
    # given Chicago, Tuesday March 2 2027, 11:46 local: 2 h 14 min before the 14:00 cut-off
    moment = local(CHICAGO, 2027, 3, 2, 11, 46)
    got = promise(calendar=calendar(), moment=moment, transit_min=1, transit_max=3)
    assert got.ships_on == dt.date(2027, 3, 2)
    assert ship_words(got) == "Ships today if ordered within 2 h 14 min"
    assert arrival_words(got) == "Arrives Wed, Mar 3 – Fri, Mar 5"


def test_the_cut_off_minute_itself_is_too_late():
    cal = calendar()
    before = promise(calendar=cal, moment=local(CHICAGO, 2027, 3, 2, 13, 59, 59), transit_min=1, transit_max=1)
    at = promise(calendar=cal, moment=local(CHICAGO, 2027, 3, 2, 14, 0), transit_min=1, transit_max=1)
    assert before.ships_on == dt.date(2027, 3, 2) and ship_words(before).endswith("within 1 min")
    assert at.ships_on == dt.date(2027, 3, 3) and at.time_left is None
    assert ship_words(at, today=dt.date(2027, 3, 2)) == "Ships tomorrow"


def test_friday_after_the_cut_off_ships_monday_and_transit_skips_the_weekend():
    got = promise(calendar=calendar(), moment=local(CHICAGO, 2027, 3, 5, 16, 0), transit_min=1, transit_max=2)
    assert got.ships_on == dt.date(2027, 3, 8)
    assert (got.arrives_from, got.arrives_to) == (dt.date(2027, 3, 9), dt.date(2027, 3, 10))
    assert ship_words(got, today=dt.date(2027, 3, 5)) == "Ships Mon, Mar 8"


def test_a_public_holiday_of_the_centers_country_is_not_a_shipping_day():
    # Thanksgiving 2026 is Thursday November 26
    got = promise(calendar=calendar(), moment=local(CHICAGO, 2026, 11, 25, 15, 0), transit_min=1, transit_max=1)
    assert got.ships_on == dt.date(2026, 11, 27)
    # a center without a holiday country ships that day
    plain = promise(
        calendar=calendar(holiday_country="", holiday_subdivision=""),
        moment=local(CHICAGO, 2026, 11, 25, 15, 0),
        transit_min=1,
        transit_max=1,
    )
    assert plain.ships_on == dt.date(2026, 11, 26)


def test_a_centers_own_closed_day_and_handling_days_push_the_ship_date():
    cal = calendar(closed_days=frozenset({dt.date(2027, 3, 3)}), handling_days=1)
    got = promise(calendar=cal, moment=local(CHICAGO, 2027, 3, 2, 9, 0), transit_min=0, transit_max=0)
    # ordered Tuesday before the cut-off, one handling day, Wednesday closed: ships Thursday
    assert got.ships_on == dt.date(2027, 3, 4) and got.time_left is None


def test_the_cut_off_follows_the_centers_clock_across_a_dst_change():
    # Chicago left daylight time on Sunday November 1 2026: the 14:00 cut-off is 20:00 UTC from then, not 19:00
    cal = calendar()
    got = promise(calendar=cal, moment=dt.datetime(2026, 11, 2, 19, 30, tzinfo=dt.UTC), transit_min=1, transit_max=1)
    assert got.ships_on == dt.date(2026, 11, 2)
    assert got.time_left == dt.timedelta(minutes=30)
    before_change = promise(
        calendar=cal, moment=dt.datetime(2026, 10, 30, 19, 30, tzinfo=dt.UTC), transit_min=1, transit_max=1
    )
    assert before_change.ships_on == dt.date(2026, 11, 2)  # Friday 14:30 CDT: after the cut-off


def test_a_center_that_never_ships_raises_a_clear_error_instead_of_hanging():
    with pytest.raises(NoShippingDay, match="no shipping day"):
        promise(
            calendar=calendar(working_days=frozenset()),
            moment=local(CHICAGO, 2027, 3, 2, 9),
            transit_min=1,
            transit_max=1,
        )
    closed_for_years = calendar(
        working_days=frozenset({1}),
        closed_days=frozenset(dt.date(2027, 3, 1) + dt.timedelta(weeks=n) for n in range(200)),
    )
    with pytest.raises(NoShippingDay):
        latest_ship_date(calendar=closed_for_years, arrive_by=dt.date(2030, 1, 1), transit_max=1)


def test_a_standing_orders_lead_time_counts_back_transit_holidays_and_handling():
    # to arrive by Monday November 30 2026 with up to 2 transit days: ship Wednesday 25 (Thursday is Thanksgiving,
    # Friday would arrive Tuesday), and with one handling day, order by Tuesday 24
    cal = calendar()
    assert latest_ship_date(calendar=cal, arrive_by=dt.date(2026, 11, 30), transit_max=2) == dt.date(2026, 11, 25)
    assert latest_order_date(
        calendar=calendar(handling_days=1), arrive_by=dt.date(2026, 11, 30), transit_max=2
    ) == dt.date(2026, 11, 24)


def test_an_order_from_two_centers_is_promised_when_its_last_part_ships_and_arrives():
    moment = local(CHICAGO, 2027, 3, 2, 11, 0)
    near = promise(calendar=calendar(), moment=moment, transit_min=1, transit_max=2)
    far = promise(
        calendar=calendar(warehouse_id=2, code="ATL", time_zone="America/New_York", handling_days=1),
        moment=moment,
        transit_min=1,
        transit_max=2,
    )
    both = promise_combined([near, far])
    assert both.ships_on == far.ships_on == dt.date(2027, 3, 3)
    assert (both.arrives_from, both.arrives_to) == (dt.date(2027, 3, 4), dt.date(2027, 3, 5))
    assert both.time_left is None
    assert promise_combined([]) is None
