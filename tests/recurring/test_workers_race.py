"""Two scheduler workers at once on PostgreSQL: every due run becomes exactly one order and one charge."""

import datetime as dt
import threading

import pytest
from django.db import connection

from autosales.checkout import attempts as checkout_attempts
from autosales.core import clock
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from autosales.payments.models import Payment
from autosales.payments.providers.test_gateway import TestGateway
from autosales.recurring.models import Run
from autosales.recurring.scheduler import run_lease, runs_materialize, runs_place
from tests.factories import make_checkout
from tests.recurring.conftest import START, make_standing_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_two_workers_place_each_due_run_exactly_once(on_postgres):
    clock.set_now(START)
    checkout = make_checkout(stock=100_000, price="1.00")
    standing_orders = [
        make_standing_order(checkout, quantity=10, every=1, day=1, start=dt.date(2027, 2, 1)) for _ in range(60)
    ]
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    clock.set_now(due)
    runs_materialize(now=due)
    assert Run.objects.filter(status=Run.Status.SCHEDULED).count() == 60

    barrier = threading.Barrier(2)
    placed_by = {}

    def worker(name):
        try:
            barrier.wait()
            total = 0
            while True:
                result = runs_place(now=due, limit=7, worker=name)
                if result.items == 0:
                    break
                total += result.items
            placed_by[name] = total
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(placed_by.values()) == 60
    assert all(count > 0 for count in placed_by.values()), f"both workers took part: {placed_by}"
    assert Run.objects.filter(status=Run.Status.PLACED).count() == 60
    assert Order.objects.count() == 60
    assert Order.objects.values("standing_order_run_id").distinct().count() == 60
    assert Payment.objects.count() == 60
    assert {so.runs.get().order_id is not None for so in standing_orders} == {True}


def test_a_run_whose_lease_ran_out_mid_batch_is_placed_once_by_whichever_worker_holds_it(on_postgres, monkeypatch):
    clock.set_now(START)
    checkout = make_checkout(stock=100_000, price="1.00")
    for _ in range(2):
        make_standing_order(checkout, quantity=10, every=1, day=1, start=dt.date(2027, 2, 1))
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    clock.set_now(due)
    runs_materialize(now=due)
    # A twin checkout answers "still in progress" at once instead of after 15 seconds of real time.
    monkeypatch.setattr(checkout_attempts, "WAIT_SECONDS", 0)

    # Mock: worker A's gateway is slow. The first authorization takes four and a half minutes of the batch's
    # five-minute lease; during the second one the lease runs out and worker B makes a pass.
    real_authorize = TestGateway.authorize
    calls = []

    def slow_authorize(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 1:
            clock.set_now(due + dt.timedelta(minutes=4, seconds=30))
        elif len(calls) == 2:
            clock.set_now(due + run_lease() + dt.timedelta(seconds=1))
            worker_b = threading.Thread(target=_pass, args=("worker-b",))
            worker_b.start()
            worker_b.join()
        return real_authorize(self, **kwargs)

    def _pass(name):
        try:
            runs_place(worker=name)
        finally:
            connection.close()

    monkeypatch.setattr(TestGateway, "authorize", slow_authorize)
    runs_place(limit=2, worker="worker-a")

    assert Order.objects.count() == 2
    assert Order.objects.values("standing_order_run_id").distinct().count() == 2
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.PLACED}
    assert not OutboxEmail.objects.filter(template="recurring/failed").exists()
    assert Payment.objects.count() == 2
