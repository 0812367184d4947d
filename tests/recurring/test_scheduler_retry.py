"""Passing problems of a standing-order run are retried; refusals follow dunning; the rest is final."""

import datetime as dt

from django.conf import settings

from autosales.checkout.attempts import LEASE as CHECKOUT_LEASE
from autosales.checkout.expiry import checkouts_expire_stale
from autosales.core import clock
from autosales.customers.services import address_update
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from autosales.payments.models import TestGatewayCharge
from autosales.payments.providers.base import FailureKind, ProviderError
from autosales.payments.providers.test_gateway import TestGateway
from autosales.recurring.models import Run
from autosales.recurring.scheduler import runs_materialize, runs_place
from autosales.recurring.scheduler.retry import Outcome, run_checkout_lease, run_retry_decision
from autosales.recurring.services import standing_order_update
from tests.recurring.conftest import make_standing_order

DUE = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)  # 06:00 in Chicago on 1 February


def _runner_minutes(minutes: int, *, expiry: bool = True) -> None:
    """The job runner comes by every minute, a little after it: first the checkout expiry, then the scheduler."""
    for minute in range(1, minutes + 1):
        clock.set_now(DUE + dt.timedelta(minutes=minute, seconds=20))
        if expiry:
            checkouts_expire_stale()
        clock.set_now(DUE + dt.timedelta(minutes=minute, seconds=30))
        runs_place()


def _first_try(bulbs, **extra):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), **extra)
    clock.set_now(DUE)
    runs_materialize()
    events = runs_place().events
    return standing_order, events


def test_a_lost_gateway_answer_is_retried_with_the_same_key_before_the_checkout_expires(bulbs):
    # tok_network_error: the gateway authorizes, then its answer is lost on the way back.
    standing_order, events = _first_try(bulbs, token="tok_network_error")
    assert [e["type"] for e in events] == ["retry"]

    _runner_minutes(30)

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    assert Order.objects.count() == 1
    charges = TestGatewayCharge.objects.all()
    assert [c.status for c in charges] == [TestGatewayCharge.Status.CAPTURED]
    assert not OutboxEmail.objects.filter(template="recurring/failed").exists()


def test_a_gateway_outage_longer_than_the_checkout_lifetime_starts_a_new_try_and_charges_once(bulbs, monkeypatch):
    # Mock: the gateway makes each authorization but every answer is lost for the first 20 minutes.
    real_authorize = TestGateway.authorize

    def authorize_then_lose_the_answer(self, **kwargs):
        result = real_authorize(self, **kwargs)
        if clock.now() < DUE + dt.timedelta(minutes=20):
            raise ProviderError(FailureKind.NETWORK, "timed out")
        return result

    monkeypatch.setattr(TestGateway, "authorize", authorize_then_lose_the_answer)
    standing_order, _ = _first_try(bulbs)

    _runner_minutes(45)

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    assert Order.objects.count() == 1
    statuses = sorted(c.status for c in TestGatewayCharge.objects.all())
    # The expired try's sale was given back in full (the shop captures at order): one charge kept.
    assert statuses == [TestGatewayCharge.Status.CAPTURED, TestGatewayCharge.Status.REFUNDED]
    assert not OutboxEmail.objects.filter(template__in=["recurring/failed", "recurring/payment_failed"]).exists()


def test_renaming_the_standing_order_between_two_tries_does_not_fail_the_run(bulbs):
    standing_order, _ = _first_try(bulbs, token="tok_network_error", name="Depot bulbs")

    # The name goes into the order's customer reference, so it changes the checkout request.
    standing_order_update(standing_order=standing_order, actor=bulbs.user, name="Depot bulbs, north")
    _runner_minutes(20, expiry=False)

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    order = Order.objects.get()
    assert order.customer_reference == "Depot bulbs"  # the try that began before the change
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.CAPTURED
    assert not OutboxEmail.objects.filter(template="recurring/failed").exists()


def test_an_address_book_edit_between_two_sends_of_a_try_does_not_change_its_order(bulbs):
    standing_order, _ = _first_try(bulbs, token="tok_network_error")

    address = bulbs.address
    address_update(
        address=address,
        fields={"name": address.name, "line1": "1 Depot Road", "city": "Peoria", "region": "IL",
                "postal_code": "61602", "country": "US"},
    )  # fmt: skip
    _runner_minutes(10, expiry=False)

    assert Run.objects.get(standing_order=standing_order).status == Run.Status.PLACED
    order = Order.objects.get()
    assert (order.ship_line1 != "1 Depot Road", order.ship_city) == (True, "Springfield")  # as when the try began
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.CAPTURED


def test_a_change_after_a_finished_try_applies_to_the_next_try(bulbs):
    standing_order, _ = _first_try(bulbs, token="tok_decline", name="Depot bulbs")
    assert Run.objects.get().status == Run.Status.RETRYING

    standing_order_update(
        standing_order=standing_order, actor=bulbs.user, payment_token="tok_approve", name="Depot bulbs, north"
    )
    clock.set_now(DUE + dt.timedelta(days=1, minutes=1))
    runs_place()

    run = Run.objects.get()
    assert run.status == Run.Status.PLACED
    assert run.order.customer_reference == "Depot bulbs, north"


def _due_run(bulbs, **extra) -> Run:
    make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), **extra)
    clock.set_now(DUE)
    runs_materialize()
    return Run.objects.select_related("standing_order").get()


def test_the_policy_retries_passing_problems_soon_and_within_the_same_try_when_checkout_may_hold_an_order(bulbs):
    run = _due_run(bulbs)

    lost = run_retry_decision(run=run, code="payment_network_error", now=DUE)
    in_progress = run_retry_decision(run=run, code="checkout_in_progress", now=DUE)
    expired = run_retry_decision(run=run, code="checkout_expired", now=DUE)
    reused = run_retry_decision(run=run, code="idempotency_key_reused", now=DUE)

    assert (lost.outcome, lost.same_try, lost.counts) == (Outcome.RETRY, True, False)
    assert DUE < lost.retry_at < DUE + dt.timedelta(minutes=settings.CHECKOUT_PENDING_TTL_MINUTES / 2)
    assert (in_progress.outcome, in_progress.same_try) == (Outcome.RETRY, True)
    assert (expired.outcome, expired.same_try) == (Outcome.RETRY, False)
    assert (reused.outcome, reused.same_try) == (Outcome.RETRY, False)
    assert reused.retry_at > DUE + dt.timedelta(minutes=settings.CHECKOUT_PENDING_TTL_MINUTES)


def test_the_policy_gives_up_on_passing_problems_after_a_day(bulbs):
    run = _due_run(bulbs)
    run.retrying_since = DUE

    still = run_retry_decision(run=run, code="payment_network_error", now=DUE + dt.timedelta(hours=23))
    given_up = run_retry_decision(run=run, code="payment_network_error", now=DUE + dt.timedelta(hours=24))

    assert still.outcome == Outcome.RETRY
    assert given_up.final and given_up.counts


def test_the_policy_steps_payment_refusals_through_dunning_then_fails(bulbs):
    run = _due_run(bulbs)

    steps = []
    for failures in range(4):
        run.failures = failures
        steps.append(run_retry_decision(run=run, code="card_declined", now=DUE))

    assert [s.outcome for s in steps] == [Outcome.DUNNING] * 3 + [Outcome.FINAL]
    assert [s.retry_at.date() for s in steps[:3]] == [dt.date(2027, 2, 2), dt.date(2027, 2, 4), dt.date(2027, 2, 6)]
    assert not any(s.same_try for s in steps)


def test_the_policy_waits_for_stock_for_the_retry_days_and_fails_anything_else_at_once(bulbs):
    run = _due_run(bulbs, stock_retry_days=2)

    waiting = run_retry_decision(run=run, code="insufficient_stock", now=DUE)
    too_late = run_retry_decision(run=run, code="insufficient_stock", now=DUE + dt.timedelta(days=1, minutes=1))
    not_sold = run_retry_decision(run=run, code="variant_not_for_sale", now=DUE)

    assert (waiting.outcome, waiting.retry_at) == (Outcome.OUT_OF_STOCK, DUE + dt.timedelta(days=1))
    assert too_late.final
    assert not_sold.final


def test_a_runs_checkout_comes_free_with_the_workers_lease_when_that_is_shorter(bulbs, settings):
    # A worker that dies half-way through a run's checkout holds its key no longer than its runs: another worker
    # takes the checkout over when it takes the runs over (tests/recurring/test_worker_killed.py kills one).
    run = _due_run(bulbs)
    settings.JOBS_LEASE_SECONDS = 6
    assert run_checkout_lease() == dt.timedelta(seconds=6)
    in_progress = run_retry_decision(run=run, code="checkout_in_progress", now=DUE)
    assert in_progress.retry_at == DUE + dt.timedelta(seconds=12)
    settings.JOBS_LEASE_SECONDS = 300
    assert run_checkout_lease() == CHECKOUT_LEASE == dt.timedelta(seconds=60)
    assert run_retry_decision(run=run, code="checkout_in_progress", now=DUE).retry_at == DUE + 2 * CHECKOUT_LEASE
