"""What the scheduler costs: a few statements per batch, whatever its number of runs, and each run's place_order,
which reads nothing the batch read already (the variants, prices and tax rates, who gets the confirmation)."""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection

from autosales.core import clock
from autosales.orders.models import Order
from autosales.pricing.tax import tax_rate_for
from autosales.recurring.models import Run
from autosales.recurring.scheduler import placement as scheduler_placement
from autosales.recurring.scheduler import runs_materialize, runs_place
from tests.factories import make_checkout
from tests.recurring.conftest import START, make_standing_order

# transaction=True: atomic blocks are real transactions, as in a worker, not savepoints inside the test's.
pytestmark = pytest.mark.django_db(transaction=True)

# Statements of a batch on top of its runs: the claim, the standing orders, their lines, their organizations'
# ordering contacts, orders left by a crashed worker, the requests of the new tries, the variants, price lists and
# prices they are priced with, the outcomes of the placed runs (which hand their claims back).
PER_BATCH = 10
# Statements of one placed run on top of its place_order: none, its outcome is written with the batch's.
PER_RUN = 0
# Statements of one run's place_order (a card order): the claim of its key, the stock rows locked and allocated,
# the order, its lines, their allocations and its pending payment; the gateway; the order's move, its confirmation
# email and trail, the payment's result and the attempt finished. No read of a variant, a price, a tax rate or
# the recipients: the batch read them.
PLACE_ORDER = 13


def _place_batch(count: int, monkeypatch) -> tuple[int, Counter]:
    """(runs placed, statements in and out of place_order) for one runs_place over `count` due runs."""
    clock.set_now(START)
    checkout = make_checkout(stock=100_000, price="1.00")
    standing_orders = [
        make_standing_order(checkout, quantity=10, every=1, day=1, start=dt.date(2027, 2, 1)) for _ in range(count)
    ]
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    clock.set_now(due)
    runs_materialize(now=due)
    # As a running worker has it: the destination's tax rates shared through the cache, the content types known.
    tax_rate_for(country=checkout.address.country.code, region=checkout.address.region)
    statements: Counter = Counter()
    where = ["scheduler"]
    real_place_order = scheduler_placement.place_order

    def counted_place_order(**kwargs):
        where[0] = "place_order"
        try:
            return real_place_order(**kwargs)
        finally:
            where[0] = "scheduler"

    def tally(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):  # transaction control, sent as a statement on SQLite only
            statements[where[0]] += 1
        return execute(sql, params, many, context)

    monkeypatch.setattr(scheduler_placement, "place_order", counted_place_order)
    with connection.execute_wrapper(tally):
        result = runs_place(now=due, limit=count, worker="statements-worker")
    placed = Run.objects.filter(standing_order__in=standing_orders, status=Run.Status.PLACED).count()
    assert result.items == placed
    assert Order.objects.filter(organization=checkout.organization).count() == placed
    return placed, statements


def test_a_placed_run_costs_its_place_order_and_a_batch_a_fixed_few_statements(monkeypatch):
    small_placed, small = _place_batch(3, monkeypatch)
    large_placed, large = _place_batch(30, monkeypatch)

    assert (small_placed, large_placed) == (3, 30)
    # The scheduler's own statements: a constant per batch, the same for 3 runs as for 30.
    assert small["scheduler"] - PER_RUN * 3 == large["scheduler"] - PER_RUN * 30
    assert small["scheduler"] - PER_RUN * 3 <= PER_BATCH
    # So each run costs its place_order and a share of the batch's few, less the larger the batch.
    assert large["scheduler"] <= PER_RUN * 30 + PER_BATCH
    # And each place_order reads nothing the batch read.
    assert large["place_order"] <= PLACE_ORDER * 30
