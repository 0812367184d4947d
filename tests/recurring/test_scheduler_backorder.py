"""Short stock under the backorder policy: the order takes every unit, what is not in stock backordered on it."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from autosales.recurring.models import Run
from autosales.recurring.scheduler import placement as scheduler_placement
from autosales.recurring.scheduler import run_lease, runs_materialize, runs_place
from tests.recurring.conftest import WorkerDied, make_standing_order


def test_a_crash_after_placing_still_records_the_backorder_once(bulbs, monkeypatch):
    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=600)
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    clock.set_now(due)
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
    runs_place()

    run = Run.objects.get(standing_order=standing_order)
    assert run.status == Run.Status.PLACED
    line = run.order.lines.get()
    assert (line.quantity, line.quantity_backordered) == (1000, 400)
    assert run.backordered == [{"variant_id": bulbs.variant.pk, "quantity": 400}]
    assert Order.objects.count() == 1
    assert OutboxEmail.objects.filter(template="recurring/backordered").count() == 1
    assert not Run.objects.filter(kind=Run.Kind.BACKORDER).exists()
