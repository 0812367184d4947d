"""A standing order's runs are placed early enough to arrive on or before their dates, and its page says when each
upcoming run ships and arrives."""

import datetime as dt

from autosales.core import clock
from autosales.inventory.models import ClosedDay, Warehouse
from autosales.orders.models import Order
from autosales.recurring.models import Run
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.selectors import upcoming_occurrences
from tests.recurring.conftest import make_standing_order

MONDAY_MARCH_1 = dt.date(2027, 3, 1)


def _calendar(bulbs, *, transit=(1, 2), handling=0):
    Warehouse.objects.update(
        time_zone="America/Chicago",
        working_days="12345",
        cutoff_time=dt.time(14, 0),
        holiday_country="US",
        handling_days=handling,
    )
    method = bulbs.shipping_method
    method.transit_days_min, method.transit_days_max = transit
    method.save()


def test_a_run_is_due_on_the_last_day_its_order_still_arrives_by_the_date(bulbs):
    # given a Chicago center shipping Monday to Friday and up to 2 transit days
    _calendar(bulbs)
    standing_order = make_standing_order(bulbs, every=1, day=1, start=MONDAY_MARCH_1)

    # when the scheduler runs through to the date
    for moment in (dt.datetime(2027, 2, 22, 12, tzinfo=dt.UTC), dt.datetime(2027, 2, 25, 12, tzinfo=dt.UTC)):
        clock.set_now(moment)
        scheduler_tick(now=moment)

    # then the run of Monday March 1 was due Thursday February 25 at 06:00 Chicago (Friday would arrive Tuesday)
    run = Run.objects.get(standing_order=standing_order, scheduled_for=MONDAY_MARCH_1)
    assert run.due_at == dt.datetime(2027, 2, 25, 12, tzinfo=dt.UTC)
    assert run.status == Run.Status.PLACED and not run.late
    order = Order.objects.get(pk=run.order_id)
    assert order.ships_on == dt.date(2027, 2, 25)
    assert order.arrives_to <= MONDAY_MARCH_1


def test_handling_days_and_a_closed_day_move_the_run_earlier(bulbs):
    _calendar(bulbs, handling=1)
    ClosedDay.objects.create(warehouse=Warehouse.objects.get(), day=dt.date(2027, 2, 24))
    standing_order = make_standing_order(bulbs, every=1, day=1, start=MONDAY_MARCH_1)

    upcoming = upcoming_occurrences(standing_order=standing_order)

    # ship Thursday the 25th at the latest; one handling day before it, skipping the closed Wednesday: Tuesday
    first = upcoming[0]
    assert first.date == MONDAY_MARCH_1
    assert first.due_at == dt.datetime(2027, 2, 23, 12, tzinfo=dt.UTC)
    assert first.ships_on == dt.date(2027, 2, 25)
    assert first.arrives_to <= MONDAY_MARCH_1
    assert "Fri, Feb 26" in first.arrival_window_display


def test_a_new_standing_order_too_close_to_its_first_date_is_placed_now_not_in_the_past(bulbs):
    _calendar(bulbs, transit=(3, 5))
    # it is Monday January 25 2027, noon UTC; the first date is Wednesday the 27th: it cannot arrive in time
    standing_order = make_standing_order(bulbs, every=1, day=27, start=dt.date(2027, 1, 27))

    scheduler_tick(now=clock.now())

    run = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 1, 27))
    assert run.due_at >= standing_order.created_at
    assert run.status == Run.Status.PLACED and not run.late


def test_the_standing_order_page_says_when_each_run_ships_and_arrives(client, bulbs):
    _calendar(bulbs)
    standing_order = make_standing_order(bulbs, every=1, day=1, start=MONDAY_MARCH_1)
    client.force_login(bulbs.user)

    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()

    assert "Ordered Thu, Feb 25 · ships Thu, Feb 25 · arrives Fri, Feb 26 – Mon, Mar 1" in html
