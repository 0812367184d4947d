import calendar
import datetime as dt
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from autosales.recurring.schedule import HORIZON, Schedule, ScheduleError, rule_expand, rule_for, rule_validate
from tests.suite_runs import once


def reference_monthly(start: dt.date, every: int, day: int, through: dt.date) -> list[dt.date]:
    """Every `every` months from the start month, on `day` or the month's last day if shorter."""
    result = []
    year, month = start.year, start.month
    while True:
        last = calendar.monthrange(year, month)[1]
        candidate = dt.date(year, month, min(day, last))
        if candidate > through:
            return result
        if candidate >= start:
            result.append(candidate)
        month += every
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def reference_weekly(start: dt.date, every: int, weekday: int, through: dt.date) -> list[dt.date]:
    """RFC 5545: weeks (Monday to Sunday) are counted from the start's week; days before the start don't count."""
    start_monday = start - dt.timedelta(days=start.weekday())
    result = []
    week = 0
    while True:
        day = start_monday + dt.timedelta(weeks=week, days=weekday)
        if day > through:
            return result
        if day >= start:
            result.append(day)
        week += every


def test_bulbs_every_two_months_from_january_31st_for_two_years():
    schedule = Schedule(rule=rule_for(every=2, unit="month", day_of_month=31), start=dt.date(2027, 1, 31))
    dates = schedule.dates(through=dt.date(2029, 1, 30))
    assert dates == [
        dt.date(2027, 1, 31),
        dt.date(2027, 3, 31),
        dt.date(2027, 5, 31),
        dt.date(2027, 7, 31),
        dt.date(2027, 9, 30),
        dt.date(2027, 11, 30),
        dt.date(2028, 1, 31),
        dt.date(2028, 3, 31),
        dt.date(2028, 5, 31),
        dt.date(2028, 7, 31),
        dt.date(2028, 9, 30),
        dt.date(2028, 11, 30),
    ]


def test_the_30th_falls_on_february_29th_in_a_leap_year():
    schedule = Schedule(rule=rule_for(every=1, unit="month", day_of_month=30), start=dt.date(2028, 1, 30))
    assert schedule.dates(through=dt.date(2028, 3, 31)) == [
        dt.date(2028, 1, 30),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 30),
    ]


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    every=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=31),
)
def test_monthly_expansion_matches_the_reference(start, every, day):
    through = start + dt.timedelta(days=3 * 366)
    schedule = Schedule(rule=rule_for(every=every, unit="month", day_of_month=day), start=start)
    expected = reference_monthly(start, every, day, through)
    got = schedule.dates(through=through)
    # dateutil counts intervals from the start month, as the reference does; a start after the day in its
    # month begins with the next matching month of the cycle.
    assert got == expected


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    every=st.integers(min_value=1, max_value=8),
    weekday=st.integers(min_value=0, max_value=6),
)
def test_weekly_expansion_matches_the_reference(start, every, weekday):
    through = start + dt.timedelta(days=400)
    schedule = Schedule(rule=rule_for(every=every, unit="week", weekday=weekday), start=start)
    assert schedule.dates(through=through) == reference_weekly(start, every, weekday, through)


@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    zone=st.sampled_from(["America/Chicago", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
)
def test_due_time_is_the_same_local_time_whatever_daylight_saving_does(day, zone):
    schedule = Schedule(rule="FREQ=DAILY", start=dt.date(2020, 1, 1), timezone=zone, run_time=dt.time(6, 0))
    local = schedule.due_at(day).astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (day, dt.time(6, 0))


def test_dst_change_moves_no_occurrence():
    # US daylight saving starts on 14 March 2027 and ends on 7 November 2027.
    schedule = Schedule(
        rule=rule_for(every=1, unit="week", weekday=6), start=dt.date(2027, 3, 7), timezone="America/Chicago"
    )
    dates = schedule.dates(through=dt.date(2027, 3, 21))
    assert dates == [dt.date(2027, 3, 7), dt.date(2027, 3, 14), dt.date(2027, 3, 21)]
    assert [schedule.due_at(d).hour for d in dates] == [12, 11, 11]  # 06:00 CST, then 06:00 CDT, in UTC


def test_end_after_n_orders_or_on_a_date():
    rule = rule_for(every=1, unit="month", day_of_month=15)
    by_count = Schedule(rule=rule, start=dt.date(2027, 1, 1), max_occurrences=3)
    by_date = Schedule(rule=rule, start=dt.date(2027, 1, 1), end_date=dt.date(2027, 2, 15))
    assert by_count.dates(through=dt.date(2030, 1, 1)) == [
        dt.date(2027, 1, 15),
        dt.date(2027, 2, 15),
        dt.date(2027, 3, 15),
    ]
    assert by_date.dates(through=dt.date(2030, 1, 1)) == [dt.date(2027, 1, 15), dt.date(2027, 2, 15)]
    assert by_count.next_dates(after=dt.date(2027, 2, 15), count=5) == [dt.date(2027, 3, 15)]


def test_next_dates_and_occurs_on():
    schedule = Schedule(rule=rule_for(every=2, unit="week", weekday=0), start=dt.date(2027, 1, 4))
    assert schedule.next_dates(after=dt.date(2027, 1, 4), count=2) == [dt.date(2027, 1, 18), dt.date(2027, 2, 1)]
    assert schedule.occurs_on(dt.date(2027, 1, 18))
    assert not schedule.occurs_on(dt.date(2027, 1, 11))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("", "required"),
        ("FREQ=HOURLY", "at most one order a day"),
        ("FREQ=MONTHLY;COUNT=3", "cannot be part of the rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=x", "BYMONTHDAY takes numbers"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY takes weekdays"),
        ("FREQ", "Not a RRULE part"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no date within"),
    ],
)
def test_bad_rules_are_refused_with_the_field_and_the_reason(rule, reason):
    with pytest.raises(ScheduleError) as caught:
        rule_validate(rule)
    assert caught.value.field == "rule"
    assert reason in caught.value.message


def test_rule_for_refuses_bad_choices():
    with pytest.raises(ScheduleError) as caught:
        rule_for(every=0, unit="month", day_of_month=1)
    assert caught.value.field == "every"
    with pytest.raises(ScheduleError) as caught:
        rule_for(every=1, unit="fortnight")
    assert caught.value.field == "unit"


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be"),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL must be"),
        ("FREQ=WEEKLY;INTERVAL=1000000", "INTERVAL must be"),
        ("FREQ=MONTHLY;INTERVAL=2;INTERVAL=3", "more than once"),
        ("FREQ=MONTHLY;BYEASTER=0", "not supported"),
        ("FREQ=YEARLY;BYWEEKNO=20", "not supported"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "no date within"),
        ("FREQ=MONTHLY;INTERVAL=12;BYMONTH=7", "no date within"),
    ],
)
def test_rules_that_would_hang_or_never_order_are_refused_naming_the_rule(rule, reason):
    with pytest.raises(ScheduleError) as caught:
        rule_validate(rule, start=dt.date(2027, 1, 25))
    assert caught.value.field == "rule"
    assert reason in caught.value.message


def test_an_impossible_rule_is_refused_after_examining_a_bounded_number_of_dates():
    rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"

    expansion = rule_expand(rule, start=dt.date(2027, 1, 25), limit=1)

    assert expansion.dates == ()
    # dateutil walks every day to the year 9999 (about three million) before giving up on this rule.
    assert expansion.examined <= HORIZON.days + 1
    with pytest.raises(ScheduleError):
        rule_validate(rule, start=dt.date(2027, 1, 25))


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=-1",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=SECONDLY",
        "nonsense",
    ],
)
def test_a_stored_bad_rule_raises_a_schedule_error_instead_of_hanging(rule):
    schedule = Schedule(rule=rule, start=dt.date(2027, 1, 25))
    with pytest.raises(ScheduleError):
        schedule.next_dates(after=dt.date(2027, 1, 25), count=3)
    with pytest.raises(ScheduleError):
        schedule.dates(through=dt.date(2028, 1, 1))


def test_an_end_after_n_orders_goes_on_past_skipped_dates():
    schedule = Schedule(rule="FREQ=WEEKLY;BYDAY=MO", start=dt.date(2027, 2, 1), max_occurrences=4)
    skipped = {dt.date(2027, 2, 8)}

    dates = schedule.dates(through=dt.date(2027, 12, 31), skipped=skipped.__contains__)

    assert dates == [dt.date(2027, 2, 1), dt.date(2027, 2, 8), dt.date(2027, 2, 15), dt.date(2027, 2, 22),
                     dt.date(2027, 3, 1)]  # fmt: skip
    assert schedule.next_dates(after=dt.date(2027, 2, 22), count=5, skipped=skipped.__contains__) == [
        dt.date(2027, 3, 1)
    ]
    assert schedule.occurs_on(dt.date(2027, 3, 1), skipped=skipped.__contains__)
    assert not schedule.occurs_on(dt.date(2027, 3, 1))


RULE_PARTS = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]), "INTERVAL": st.integers(1, 4)},
    optional={
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True),
        "BYMONTHDAY": st.lists(st.integers(1, 31) | st.integers(-31, -1), min_size=1, max_size=3, unique=True),
        "BYDAY": st.lists(
            st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, max_size=3, unique=True
        ),
        "BYSETPOS": st.lists(st.integers(1, 3) | st.integers(-3, -1), min_size=1, max_size=2, unique=True),
        "WKST": st.sampled_from(["MO", "SU", "WE"]),
    },
)


@once
@settings(deadline=None)  # a busy machine must not fail a correctness property on time
@given(
    parts=RULE_PARTS,
    ordinal=st.none() | st.integers(-5, 5).filter(bool),
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
)
def test_expansion_matches_dateutil_for_every_supported_part(parts, ordinal, start):
    parts = dict(parts)
    if parts["FREQ"] == "WEEKLY":
        parts.pop("BYMONTHDAY", None)
    if ordinal is not None and parts["FREQ"] in ("MONTHLY", "YEARLY") and "BYDAY" in parts:
        parts["BYDAY"] = [f"{ordinal}{day}" for day in parts["BYDAY"]]
    if not {"BYMONTH", "BYMONTHDAY", "BYDAY"} & parts.keys():
        parts.pop("BYSETPOS", None)
    rule = ";".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in parts.items())
    through = start + dt.timedelta(days=3 * 366)

    got = rule_expand(rule, start=start, through=through, limit=10_000).dates

    if got:  # dateutil would loop to the year 9999 on a rule without dates: compare only rules with some
        dates = rrule.rrulestr(f"RRULE:{rule}", dtstart=dt.datetime.combine(start, dt.time()))
        reference = [moment.date() for moment in islice(dates, len(got) + 1)]
        assert list(got) == [day for day in reference if day <= through], rule


def test_dates_at_the_end_of_the_calendar_are_refused_not_an_overflow():
    with pytest.raises(ScheduleError):
        rule_validate("FREQ=DAILY", start=dt.date(9999, 12, 31))
    with pytest.raises(ScheduleError):
        Schedule(rule="FREQ=DAILY", start=dt.date(9999, 12, 30)).next_dates(after=dt.date(9999, 12, 29), count=2)
