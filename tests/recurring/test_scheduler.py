import datetime as dt

import pytest

from autosales.core import clock
from autosales.jobs.claims import claim_batch
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import Notification, OutboxEmail
from autosales.orders.models import Order, OrderSource
from autosales.payments.models import Payment
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler import placement as scheduler_placement
from autosales.recurring.scheduler import run_lease, runs_materialize, runs_place, scheduler_tick
from autosales.recurring.services import standing_order_update
from tests.factories import make_staff
from tests.recurring.conftest import START, WorkerDied, days, make_standing_order


def run_daily(until: dt.datetime, *, start: dt.datetime | None = None) -> list[dict]:
    events = []
    for moment in days(start or clock.now(), until):
        clock.set_now(moment)
        events += scheduler_tick(now=moment).events
    return events


def test_1000_bulbs_every_two_months_from_january_31st_for_two_years_is_exactly_12_orders(bulbs):
    standing_order = make_standing_order(bulbs)

    run_daily(dt.datetime(2029, 1, 30, 12, tzinfo=dt.UTC))

    orders = Order.objects.filter(organization=bulbs.organization).order_by("placed_at")
    assert orders.count() == 12
    placed_on = [o.placed_at.astimezone(dt.timezone(dt.timedelta(hours=-6))).date() for o in orders]
    assert [d.isoformat() for d in placed_on] == [
        "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31", "2027-09-30", "2027-11-30",
        "2028-01-31", "2028-03-31", "2028-05-31", "2028-07-31", "2028-09-30", "2028-11-30",
    ]  # fmt: skip
    assert all(o.source == OrderSource.STANDING_ORDER for o in orders)
    assert {line.quantity for o in orders for line in o.lines.all()} == {1000}
    runs = Run.objects.filter(standing_order=standing_order, status=Run.Status.PLACED)
    assert runs.count() == 12
    assert not runs.filter(late=True).exists()
    # The next date, 31 January 2029, is inside its notice window: its run exists and waits.
    assert Run.objects.get(standing_order=standing_order, status=Run.Status.SCHEDULED).scheduled_for == dt.date(
        2029, 1, 31
    )
    assert Payment.objects.filter(order__in=orders).count() == 12


def test_running_the_scheduler_again_places_nothing_more(bulbs):
    make_standing_order(bulbs)
    run_daily(dt.datetime(2027, 2, 2, 12, tzinfo=dt.UTC))
    assert Order.objects.count() == 1

    for _ in range(3):
        scheduler_tick()

    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_a_worker_killed_mid_batch_leaves_runs_that_are_placed_once_after_the_lease(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    clock.set_now(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))
    runs_materialize()
    # A worker claims the run and dies before doing anything.
    claimed = claim_batch(
        queryset=Run.objects.filter(status=Run.Status.SCHEDULED), worker="dead-worker", limit=10, lease=run_lease()
    )
    assert len(claimed) == 1
    scheduler_tick()
    assert Order.objects.count() == 0, "a claimed run is left alone while its lease lasts"

    clock.advance(run_lease() + dt.timedelta(seconds=1))
    scheduler_tick()

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    assert Order.objects.count() == 1


def test_a_worker_killed_after_placing_but_before_recording_does_not_order_twice(bulbs, monkeypatch):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    clock.set_now(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))
    runs_materialize()
    # Mock: the worker dies right after checkout placed the order, before the run is recorded.
    real_place_order = scheduler_placement.place_order

    def place_then_die(**kwargs):
        real_place_order(**kwargs)
        raise WorkerDied

    monkeypatch.setattr(scheduler_placement, "place_order", place_then_die)
    with pytest.raises(WorkerDied):
        runs_place()
    monkeypatch.setattr(scheduler_placement, "place_order", real_place_order)
    assert Order.objects.count() == 1

    clock.advance(run_lease() + dt.timedelta(seconds=1))
    scheduler_tick()

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert run.order.standing_order_run_id == run.pk
    assert standing_order.runs.count() == 1


def test_occurrences_missed_during_downtime_are_each_placed_once_and_marked_late(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))

    # Nothing runs from 25 January until 10 April.
    clock.set_now(dt.datetime(2027, 4, 10, 12, tzinfo=dt.UTC))
    events = scheduler_tick().events

    runs = list(Run.objects.filter(standing_order=standing_order).order_by("scheduled_for"))
    assert [r.scheduled_for for r in runs] == [dt.date(2027, 2, 1), dt.date(2027, 3, 1), dt.date(2027, 4, 1)]
    assert all(r.status == Run.Status.PLACED and r.late for r in runs)
    assert Order.objects.count() == 3
    assert [e["late"] for e in events if e["type"] == "placed"] == [True, True, True]


def test_advance_notice_is_emailed_notice_days_before_each_run_once(bulbs):
    make_standing_order(bulbs, notice_days=3)

    run_daily(dt.datetime(2027, 1, 27, 12, tzinfo=dt.UTC))
    assert not OutboxEmail.objects.filter(template="recurring/notice").exists()

    # Due 31 January 06:00 in Chicago (12:00 UTC): the notice goes three days before, then never again.
    run_daily(dt.datetime(2027, 1, 30, 12, tzinfo=dt.UTC), start=dt.datetime(2027, 1, 28, 12, tzinfo=dt.UTC))

    notices = OutboxEmail.objects.filter(template="recurring/notice")
    assert notices.count() == 1
    outbox_deliver_pass()  # the email is rendered when it is delivered
    notice = notices.get()
    assert notice.to == [bulbs.user.email]
    assert "January 31, 2027" in notice.body_text
    assert "1000 x" in notice.body_text
    assert "Estimated total" in notice.body_text
    assert "/standing-orders/" in notice.body_text


def test_declined_card_retries_on_the_dunning_schedule_emails_alerts_and_goes_on(bulbs):
    salesperson = make_staff(username="rep")
    bulbs.organization.salesperson = salesperson
    bulbs.organization.save()
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_decline")

    run_daily(dt.datetime(2027, 2, 10, 12, tzinfo=dt.UTC))

    run = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 2, 1))
    assert run.status == Run.Status.FAILED
    assert run.failures == 4  # the first try and the retries after 1, 3 and 5 days
    assert Order.objects.count() == 0
    assert OutboxEmail.objects.filter(template="recurring/payment_failed").count() == 3
    assert OutboxEmail.objects.filter(template="recurring/failed").count() == 1
    assert Notification.objects.filter(user=salesperson).count() == 4

    # The customer fixes the card; the standing order goes on with its next date.
    standing_order_update(standing_order=standing_order, actor=bulbs.user, payment_token="tok_approve")
    run_daily(dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 11, 12, tzinfo=dt.UTC))
    assert Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1)).status == "placed"
    assert Order.objects.count() == 1


def test_a_retry_after_a_decline_charges_once_when_it_succeeds(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_decline")
    run_daily(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))
    assert Run.objects.get().status == Run.Status.RETRYING

    standing_order_update(standing_order=standing_order, actor=bulbs.user, payment_token="tok_approve")
    run_daily(dt.datetime(2027, 2, 5, 13, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 2, 13, tzinfo=dt.UTC))

    run = Run.objects.get()
    assert run.status == Run.Status.PLACED
    assert Order.objects.count() == 1
    assert Payment.objects.filter(status__in=["authorized", "captured"]).count() == 1


def test_out_of_stock_backorder_places_everything_and_the_rest_ships_when_received(bulbs):
    from autosales.fulfillment.services import stock_receive
    from autosales.inventory.models import StockLevel

    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=600)
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))

    run_daily(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))

    # one order for all 1,000: 600 allocated, 400 backordered on its line; no second run
    order = Order.objects.get()
    line = order.lines.get()
    assert (line.quantity, line.quantity_backordered) == (1000, 400)
    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    assert run.backordered == [{"variant_id": bulbs.variant.pk, "quantity": 400}]
    email = OutboxEmail.objects.get(template="recurring/backordered")
    assert "400 of 1000 backordered" in email.context["reason"]

    level = StockLevel.objects.get(variant=bulbs.variant)
    stock_receive(warehouse=level.warehouse, quantities={bulbs.variant.pk: 400}, reference="PO-1", actor=None)

    line.refresh_from_db()
    assert line.quantity_backordered == 0
    assert Order.objects.count() == 1


def test_out_of_stock_retry_policy_waits_then_fails_and_goes_on(bulbs):
    from autosales.inventory.models import StockLevel

    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=10)
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), stock_policy="retry", stock_retry_days=2
    )

    run_daily(dt.datetime(2027, 2, 5, 13, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.FAILED
    assert run.failure_code == "insufficient_stock"
    assert Order.objects.count() == 0
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ACTIVE


def test_account_on_credit_hold_fails_the_run_through_dunning(bulbs):
    organization = bulbs.organization
    organization.has_account_terms = True
    organization.credit_limit = 1_000_000
    organization.save()
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), kind="account")
    organization.credit_hold = True
    organization.save()

    run_daily(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC), start=dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.RETRYING
    assert run.failure_code == "account_credit_hold"
    assert run.next_attempt_at.date() == dt.date(2027, 2, 2)


def test_end_after_n_orders_ends_the_standing_order(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), max_occurrences=2)

    run_daily(dt.datetime(2027, 4, 5, 12, tzinfo=dt.UTC))

    assert Order.objects.count() == 2
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ENDED


def test_start_is_the_test_start():
    assert START.date() == dt.date(2027, 1, 25)


def test_a_worker_killed_mid_batch_after_placing_some_runs_leaves_their_orders_to_be_recorded_once(bulbs, monkeypatch):
    # given two runs due, claimed in one batch
    first = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    second = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    clock.set_now(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))
    runs_materialize()
    # Mock: the worker dies while placing the second run, after the first run's order was placed (its outcome is
    # written with the batch's, so it is not recorded yet).
    real_place_order = scheduler_placement.place_order
    calls = []

    def die_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerDied
        return real_place_order(**kwargs)

    monkeypatch.setattr(scheduler_placement, "place_order", die_on_second)
    with pytest.raises(WorkerDied):
        runs_place()
    monkeypatch.setattr(scheduler_placement, "place_order", real_place_order)
    assert Order.objects.count() == 1
    assert not Run.objects.filter(status=Run.Status.PLACED).exists()

    # when the lease has run out and the scheduler runs again
    clock.advance(run_lease() + dt.timedelta(seconds=1))
    scheduler_tick()

    # then each run has exactly one order: the first one's is found and recorded, the second is placed
    assert Order.objects.count() == 2 and Payment.objects.count() == 2
    for standing_order in (first, second):
        run = Run.objects.get(standing_order=standing_order)
        assert run.status == Run.Status.PLACED and run.order.standing_order_run_id == run.pk
