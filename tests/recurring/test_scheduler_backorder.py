"""Short stock under the backorder policy: what is available is ordered now, the rest by a backorder run."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderLine
from autosales.recurring.models import Run
from autosales.recurring.scheduler import LEASE, runs_materialize, runs_place
from autosales.recurring.scheduler import placement as scheduler_placement
from tests.recurring.conftest import WorkerDied, make_standing_order


def test_a_crash_after_placing_the_available_part_still_backorders_the_rest(bulbs, monkeypatch):
    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=600)
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    clock.set_now(due)
    runs_materialize()

    # Mock: the worker dies right after checkout placed the order for the 600 units in stock,
    # before the run and its backorder run are recorded.
    real_place_order = scheduler_placement.place_order

    def place_then_die(**kwargs):
        order = real_place_order(**kwargs)
        if sum(line.quantity for line in kwargs["lines"]) < 1000:
            raise WorkerDied
        return order

    monkeypatch.setattr(scheduler_placement, "place_order", place_then_die)
    with pytest.raises(WorkerDied):
        runs_place()
    monkeypatch.setattr(scheduler_placement, "place_order", real_place_order)
    assert Order.objects.count() == 1

    clock.advance(LEASE + dt.timedelta(seconds=1))
    runs_place()

    run = Run.objects.get(standing_order=standing_order, kind=Run.Kind.OCCURRENCE)
    assert run.status == Run.Status.PLACED
    assert run.order.lines.get().quantity == 600
    backorder = Run.objects.get(standing_order=standing_order, kind=Run.Kind.BACKORDER)
    assert backorder.lines == [{"variant_id": bulbs.variant.pk, "quantity": 400}]
    assert run.backordered == backorder.lines

    StockLevel.objects.filter(variant=bulbs.variant).update(on_hand=1000)  # 600 allocated + 400 arrive
    clock.set_now(due + dt.timedelta(days=1, hours=1))
    runs_place()

    backorder.refresh_from_db()
    assert backorder.status == Run.Status.PLACED
    assert Order.objects.count() == 2
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 1000
