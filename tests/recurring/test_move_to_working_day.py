"""A standing order's dates on a weekend or a public holiday move to the next working day when the customer asks:
the run keeps its own date (its identity) and gets the day it was moved to, so re-runs, a clock jump, a change of
the option, skips and the notice email all stay exactly once, and no two orders fall on one day."""

import datetime as dt
from functools import partial

import pytest

from autosales.core import clock
from autosales.inventory.delivery_dates import ShippingCalendar, next_delivery_day
from autosales.inventory.models import Warehouse
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from autosales.recurring.models import Run
from autosales.recurring.schedule import Schedule, rule_for
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.selectors import demand_forecast, upcoming_occurrences
from autosales.recurring.services import occurrence_skip, standing_order_reschedule
from tests.factories import make_checkout
from tests.recurring.conftest import days, make_standing_order

US_CENTER = ShippingCalendar(
    warehouse_id=1,
    code="CHI",
    priority=1,
    time_zone="America/Chicago",
    working_days=frozenset(range(1, 6)),
    cutoff=dt.time(14),
    holiday_country="US",
)
SUNDAY_JANUARY_31 = dt.date(2027, 1, 31)
MONDAY_FEBRUARY_1 = dt.date(2027, 2, 1)


def _moving(rule: str, start: dt.date, **extra) -> Schedule:
    return Schedule(
        rule=rule,
        start=start,
        timezone="America/Chicago",
        next_delivery_day=partial(next_delivery_day, calendars={1: US_CENTER}),
        **extra,
    )


# --- the moving itself ---


def test_a_saturday_moves_to_the_monday_and_is_due_on_it():
    schedule = _moving("FREQ=MONTHLY;BYMONTHDAY=2", dt.date(2027, 1, 2))

    assert schedule.moved_to(dt.date(2027, 1, 2)) == dt.date(2027, 1, 4)  # Saturday -> Monday
    assert schedule.moved_to(dt.date(2027, 2, 2)) is None  # a Tuesday stays
    # due at 06:00 Chicago on the Monday, the day its order is for
    assert schedule.due_at(dt.date(2027, 1, 2)) == dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)
    assert schedule.delivery_date(dt.date(2027, 2, 2)) == dt.date(2027, 2, 2)


def test_a_public_holiday_of_the_centers_country_moves_to_the_next_working_day():
    thanksgiving = _moving("FREQ=MONTHLY;BYMONTHDAY=25", dt.date(2027, 11, 25))
    independence = _moving("FREQ=MONTHLY;BYMONTHDAY=4", dt.date(2027, 7, 4))

    assert thanksgiving.moved_to(dt.date(2027, 11, 25)) == dt.date(2027, 11, 26)  # Thursday holiday -> Friday
    # Sunday July 4th, then Monday the 5th is the holiday observed: Tuesday
    assert independence.moved_to(dt.date(2027, 7, 4)) == dt.date(2027, 7, 6)


def test_the_last_day_of_a_month_on_a_weekend_moves_into_the_next_month():
    schedule = _moving(rule_for(every=1, unit="month", day_of_month=31), dt.date(2027, 1, 31))

    dates = schedule.dates(through=dt.date(2027, 8, 31))

    moved = {day: schedule.moved_to(day) for day in dates if schedule.moved_to(day)}
    assert moved == {
        dt.date(2027, 1, 31): dt.date(2027, 2, 1),  # Sunday
        dt.date(2027, 2, 28): dt.date(2027, 3, 1),  # Sunday
        dt.date(2027, 5, 31): dt.date(2027, 6, 1),  # Memorial Day
        dt.date(2027, 7, 31): dt.date(2027, 8, 2),  # Saturday
    }


def test_a_date_is_not_moved_onto_or_past_the_next_date_of_the_rule():
    daily = _moving("FREQ=DAILY", dt.date(2027, 1, 1))
    saturday_and_monday = _moving("FREQ=WEEKLY;BYDAY=SA,MO", dt.date(2027, 1, 1))
    friday_and_saturday = _moving("FREQ=WEEKLY;BYDAY=FR,SA", dt.date(2027, 1, 1))

    # a daily order keeps its weekend dates: Monday already has its own order
    assert daily.moved_to(dt.date(2027, 1, 2)) is None and daily.moved_to(dt.date(2027, 1, 3)) is None
    assert saturday_and_monday.moved_to(dt.date(2027, 1, 2)) is None  # never two orders on Monday
    assert friday_and_saturday.moved_to(dt.date(2027, 1, 2)) == dt.date(2027, 1, 4)  # next Friday is later


@pytest.mark.parametrize(
    "rule",
    ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=FR,SA,SU", "FREQ=MONTHLY;BYMONTHDAY=1,2,3,25", "FREQ=WEEKLY;BYDAY=SA"],
)
def test_moved_days_stay_in_order_one_per_date_and_never_on_one_day(rule):
    schedule = _moving(rule, dt.date(2027, 1, 1))

    dates = schedule.dates(through=dt.date(2027, 12, 31))
    delivered = [schedule.delivery_date(day) for day in dates]

    assert delivered == sorted(set(delivered))  # strictly increasing: no two on one day, none swapped
    assert all(d >= day for d, day in zip(delivered, dates, strict=True))


def test_without_the_option_nothing_moves():
    schedule = Schedule(rule="FREQ=MONTHLY;BYMONTHDAY=2", start=dt.date(2027, 1, 2), timezone="America/Chicago")

    assert schedule.moved_to(dt.date(2027, 1, 2)) is None
    assert schedule.due_at(dt.date(2027, 1, 2)) == dt.datetime(2027, 1, 2, 12, tzinfo=dt.UTC)


# --- the scheduler: once per date, on the day it was moved to ---


@pytest.fixture
def us_center(bulbs):
    Warehouse.objects.update(holiday_country="US")
    return bulbs


def _tick(*moments: dt.datetime) -> list[dict]:
    events = []
    for moment in moments:
        clock.set_now(moment)
        events += scheduler_tick(now=moment).events
    return events


def _noon(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def test_moved_dates_are_placed_once_each_through_re_runs_and_a_clock_jump(us_center):
    standing_order = make_standing_order(us_center, every=1, day=31, move_to_working_day=True)

    # the Sunday's order is not placed on the Sunday, but on the Monday, and once however often the scheduler runs
    _tick(_noon(2027, 1, 31))
    assert not Order.objects.exists()
    _tick(_noon(2027, 2, 1), _noon(2027, 2, 1), _noon(2027, 2, 2))
    # then the scheduler is down until June 3rd, and runs twice
    events = _tick(_noon(2027, 6, 3), _noon(2027, 6, 3))

    runs = list(Run.objects.filter(standing_order=standing_order).order_by("scheduled_for"))
    assert [(r.scheduled_for, r.moved_to) for r in runs] == [
        (dt.date(2027, 1, 31), dt.date(2027, 2, 1)),
        (dt.date(2027, 2, 28), dt.date(2027, 3, 1)),
        (dt.date(2027, 3, 31), None),
        (dt.date(2027, 4, 30), None),
        (dt.date(2027, 5, 31), dt.date(2027, 6, 1)),  # Memorial Day: ordered for Tuesday
    ]
    assert all(r.status == Run.Status.PLACED for r in runs)
    # 06:00 in Chicago on the day it was moved to (daylight-saving time in June)
    assert runs[0].due_at == _noon(2027, 2, 1) and runs[-1].due_at == dt.datetime(2027, 6, 1, 11, tzinfo=dt.UTC)
    assert Order.objects.count() == 5
    assert [e["moved_to"] for e in events if e["type"] == "placed"] == ["2027-03-01", None, None, "2027-06-01"]


def test_the_lead_time_counts_back_from_the_day_it_was_moved_to(us_center):
    # given a Chicago center shipping Monday to Friday before 14:00, and ground taking up to 2 carrier days
    Warehouse.objects.update(time_zone="America/Chicago", working_days="12345", cutoff_time=dt.time(14))
    method = us_center.shipping_method
    method.transit_days_min, method.transit_days_max = 1, 2
    method.save()
    staying = make_standing_order(us_center, every=1, day=31)
    moving = make_standing_order(us_center, every=1, day=31, move_to_working_day=True)

    _tick(_noon(2027, 1, 26))

    # to arrive by Sunday the 31st it ships Wednesday the 27th; by Monday February 1st, Thursday the 28th
    assert Run.objects.get(standing_order=staying).due_at == _noon(2027, 1, 27)
    assert Run.objects.get(standing_order=moving).due_at == _noon(2027, 1, 28)


def test_the_notice_goes_out_notice_days_before_the_moved_date_once_and_names_both_days(us_center):
    make_standing_order(us_center, every=1, day=31, notice_days=3, move_to_working_day=True)

    # due Monday February 1 at 12:00 UTC: three days before is Friday the 29th, not Thursday the 28th
    _tick(_noon(2027, 1, 28))
    assert not OutboxEmail.objects.filter(template="recurring/notice").exists()
    _tick(*days(_noon(2027, 1, 29), _noon(2027, 2, 3)))

    notices = OutboxEmail.objects.filter(template="recurring/notice")
    assert notices.count() == 1
    outbox_deliver_pass()
    body = notices.get().body_text
    assert "Monday, February 1, 2027" in body and "Moved from Sunday, January 31" in body
    assert Order.objects.count() == 1


def test_changing_the_option_moves_the_run_it_does_not_add_one(us_center):
    standing_order = make_standing_order(us_center, every=1, day=31, notice_days=3)
    _tick(_noon(2027, 1, 28))  # the Sunday's run is made and its notice sent
    run = Run.objects.get(standing_order=standing_order)
    assert run.moved_to is None and run.due_at == _noon(2027, 1, 31)

    def reschedule(move: bool) -> None:
        standing_order.refresh_from_db()
        standing_order_reschedule(
            standing_order=standing_order,
            actor=us_center.user,
            rule=standing_order.rule,
            start_date=SUNDAY_JANUARY_31,
            move_to_working_day=move,
        )

    reschedule(True)
    run.refresh_from_db()
    assert (run.moved_to, run.due_at, run.next_attempt_at) == (MONDAY_FEBRUARY_1, _noon(2027, 2, 1), _noon(2027, 2, 1))
    reschedule(False)
    reschedule(True)
    _tick(*days(_noon(2027, 1, 29), _noon(2027, 2, 2)))

    run = Run.objects.get(standing_order=standing_order)  # still the one run of the Sunday
    assert run.moved_to == MONDAY_FEBRUARY_1 and run.status == Run.Status.PLACED
    assert Order.objects.count() == 1
    assert OutboxEmail.objects.filter(template="recurring/notice").count() == 1  # not sent again
    change = standing_order.changes.filter(kind="rescheduled").first()
    assert change.data["before"]["move_to_working_day"] is False and change.data["after"]["move_to_working_day"]


def test_a_moved_date_is_skipped_by_its_own_date_and_nothing_is_ordered(us_center):
    standing_order = make_standing_order(us_center, every=1, day=31, move_to_working_day=True)

    run = occurrence_skip(standing_order=standing_order, actor=us_center.user, day=SUNDAY_JANUARY_31)
    _tick(*days(_noon(2027, 1, 28), _noon(2027, 2, 2)))

    assert run.moved_to == MONDAY_FEBRUARY_1
    assert Run.objects.get(standing_order=standing_order).status == Run.Status.SKIPPED
    assert not Order.objects.exists()


def test_the_next_dates_and_the_forecast_show_the_moved_days(us_center):
    standing_order = make_standing_order(us_center, every=1, day=31, move_to_working_day=True)

    upcoming = upcoming_occurrences(standing_order=standing_order, count=3)
    forecast = demand_forecast(weeks=2, today=dt.date(2027, 1, 25))

    assert [(o.date, o.moved_to) for o in upcoming] == [
        (SUNDAY_JANUARY_31, MONDAY_FEBRUARY_1),
        (dt.date(2027, 2, 28), dt.date(2027, 3, 1)),
        (dt.date(2027, 3, 31), None),
    ]
    assert upcoming[0].no_delivery == "" and upcoming[0].due_at == _noon(2027, 2, 1)
    # the Sunday's 1,000 bulbs count in the week of Monday February 1st
    assert forecast.rows[0].weeks == (0, 1000)


def test_a_spanish_customers_notice_says_the_date_moved_in_spanish(db, at_start):
    spanish = make_checkout(stock=5000, price="2.50", language="es")
    make_standing_order(spanish, every=1, day=31, notice_days=3, move_to_working_day=True)

    _tick(_noon(2027, 1, 29))
    outbox_deliver_pass()

    body = OutboxEmail.objects.get(template="recurring/notice").body_text
    assert "(Trasladado del domingo, enero 31, fin de semana o festivo, al siguiente día hábil.)" in body
    assert "lunes, febrero 1, 2027" in body and "Moved from" not in body
