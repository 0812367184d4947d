"""When a standing order ends, and when a pause ends: the materialize pass."""

import datetime as dt

from autosales.core import clock
from autosales.orders.models import Order
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.selectors import next_order_dates, upcoming_occurrences
from autosales.recurring.services import standing_order_pause
from tests.recurring.conftest import days, make_standing_order


def tick_until(until: dt.datetime, *, step=dt.timedelta(days=1)):
    for moment in days(clock.now(), until, step=step):
        clock.set_now(moment)
        scheduler_tick(now=moment)


def test_a_standing_order_stays_active_with_its_last_date_until_that_order_is_placed_then_ends(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), end_date=dt.date(2027, 3, 1))

    tick_until(dt.datetime(2027, 2, 27, 12, tzinfo=dt.UTC))  # the 1 March run is made (inside its notice window)

    standing_order.refresh_from_db()
    assert Run.objects.filter(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1)).exists()
    assert standing_order.status == StandingOrder.Status.ACTIVE
    assert [o.date for o in upcoming_occurrences(standing_order=standing_order)] == [dt.date(2027, 3, 1)]
    assert next_order_dates(standing_orders=[standing_order])[standing_order.pk] == dt.date(2027, 3, 1)

    tick_until(dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC), step=dt.timedelta(hours=1))

    standing_order.refresh_from_db()
    assert standing_order.status == StandingOrder.Status.ENDED
    assert Order.objects.count() == 2
    ended = Change.objects.get(standing_order=standing_order, kind="ended")
    assert ended.created_at >= Run.objects.get(scheduled_for=dt.date(2027, 3, 1)).processed_at


def test_a_pause_that_ends_inside_the_next_dates_notice_window_resumes_on_its_last_day(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    standing_order_pause(standing_order=standing_order, actor=bulbs.user, until=dt.date(2027, 2, 27))

    # 1 March is due at 12:00 UTC; its notice window opens on 26 February, the pause ends on the 27th (Chicago):
    # daily ticks up to the window, hourly through it.
    tick_until(dt.datetime(2027, 2, 25, 12, tzinfo=dt.UTC))
    tick_until(dt.datetime(2027, 2, 27, 7, tzinfo=dt.UTC), step=dt.timedelta(hours=1))

    standing_order.refresh_from_db()
    assert standing_order.status == StandingOrder.Status.ACTIVE
    assert standing_order.paused_until is None
    march = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1))
    assert march.status == Run.Status.SCHEDULED and march.notice_sent_at is not None


def test_a_standing_order_whose_last_run_is_being_retried_ends_when_that_run_finally_fails(bulbs):
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), max_occurrences=1, token="tok_decline"
    )

    tick_until(dt.datetime(2027, 2, 5, 12, tzinfo=dt.UTC))  # declined on the 1st, 2nd and 4th: tried again on the 6th

    last = Run.objects.get(standing_order=standing_order)
    assert last.status == Run.Status.RETRYING
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ACTIVE

    tick_until(dt.datetime(2027, 2, 7, 12, tzinfo=dt.UTC))

    assert Run.objects.get(pk=last.pk).status == Run.Status.FAILED
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ENDED
