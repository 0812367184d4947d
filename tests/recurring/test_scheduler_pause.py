"""A paused or cancelled standing order places nothing, not even runs that were waiting to retry."""

import datetime as dt

from autosales.core import clock
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order
from autosales.recurring.models import Run
from autosales.recurring.scheduler import runs_materialize, runs_place, scheduler_tick
from autosales.recurring.services import standing_order_pause, standing_order_resume, standing_order_update
from tests.recurring.conftest import days, make_standing_order

DUE = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)  # 06:00 in Chicago on 1 February


def _daily(start: dt.datetime, until: dt.datetime) -> None:
    for moment in days(start, until):
        clock.set_now(moment)
        scheduler_tick(now=moment)


def test_a_run_waiting_on_dunning_is_not_placed_while_paused_and_stays_skipped_after_resume(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_decline")
    _daily(DUE, DUE)
    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.RETRYING

    # The customer fixes the card, then pauses until further notice; the dunning retries come due meanwhile.
    standing_order_update(standing_order=standing_order, actor=bulbs.user, payment_token="tok_approve")
    standing_order_pause(standing_order=standing_order, actor=bulbs.user)
    _daily(DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=10))

    assert Order.objects.count() == 0
    run.refresh_from_db()
    assert run.status == Run.Status.SKIPPED
    assert run.skip_reason == "paused"

    standing_order_resume(standing_order=standing_order, actor=bulbs.user)
    _daily(DUE + dt.timedelta(days=11), DUE + dt.timedelta(days=28, hours=1))

    run.refresh_from_db()
    assert run.status == Run.Status.SKIPPED  # its date passed during the pause
    march = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1))
    assert march.status == Run.Status.PLACED
    assert Order.objects.count() == 1


def test_a_run_waiting_for_stock_is_not_placed_while_paused(bulbs):
    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=10)
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), stock_policy="retry", stock_retry_days=5
    )
    _daily(DUE, DUE)
    assert Run.objects.get(standing_order=standing_order).status == Run.Status.RETRYING

    standing_order_pause(standing_order=standing_order, actor=bulbs.user, until=dt.date(2027, 2, 20))
    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=5000)
    _daily(DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=5))

    assert Order.objects.count() == 0
    assert Run.objects.get(standing_order=standing_order).status == Run.Status.SKIPPED


def test_the_occurrence_on_the_day_a_pause_ends_is_placed(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    standing_order_pause(standing_order=standing_order, actor=bulbs.user, until=dt.date(2027, 3, 1))
    clock.set_now(dt.datetime(2027, 2, 27, 12, tzinfo=dt.UTC))
    runs_materialize()

    # 1 March, 06:00 in Chicago: the run is due before a materialize pass has lifted the pause.
    clock.set_now(dt.datetime(2027, 3, 1, 12, 30, tzinfo=dt.UTC))
    runs_place()

    assert Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1)).status == "placed"
    assert Order.objects.count() == 1
