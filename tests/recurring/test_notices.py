"""Advance notices: one before every date that will be ordered, the last one of an ending schedule included."""

import datetime as dt

from autosales.core import clock
from autosales.notifications.models import OutboxEmail
from autosales.recurring.models import Run
from autosales.recurring.scheduler import scheduler_tick
from tests.recurring.conftest import days, make_standing_order


def test_the_last_date_of_a_schedule_ending_after_n_orders_gets_its_notice(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), max_occurrences=2)

    for moment in days(clock.now(), dt.datetime(2027, 3, 1, 13, tzinfo=dt.UTC)):
        clock.set_now(moment)
        scheduler_tick(now=moment)

    runs = Run.objects.filter(standing_order=standing_order).order_by("scheduled_for")
    assert [(r.scheduled_for, r.status) for r in runs] == [
        (dt.date(2027, 2, 1), "placed"),
        (dt.date(2027, 3, 1), "placed"),
    ]
    assert all(r.notice_sent_at is not None and r.notice_sent_at < r.due_at for r in runs)
    assert OutboxEmail.objects.filter(template="recurring/notice").count() == 2


def test_the_last_date_of_a_schedule_ending_on_a_date_gets_its_notice(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), end_date=dt.date(2027, 3, 1))

    for moment in days(clock.now(), dt.datetime(2027, 3, 1, 11, tzinfo=dt.UTC)):
        clock.set_now(moment)
        scheduler_tick(now=moment)

    last = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1))
    assert last.notice_sent_at is not None
