"""shipment_create: partial shipments, two centers, never more than allocated, stock and allocations consumed
once, the order's status and trail, idempotent replays."""

import datetime as dt

import pytest

from autosales.core.errors import Conflict, DomainError
from autosales.fulfillment.models import Shipment, ShipmentStatus
from autosales.fulfillment.services import shipment_mark_delivered
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderAllocation, OrderStatus
from tests.factories import make_checkout, make_staff, make_warehouse, place_test_order, ship_test_order

pytestmark = pytest.mark.django_db


def _checkout(stock):
    return make_checkout(stock=stock, has_account_terms=True, credit_limit=100_000)


def test_a_partial_shipment_then_the_rest():
    # given an order of 10 units allocated at one center
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=10, kind="account")
    level = StockLevel.objects.get(variant=checkout.variant)

    first = ship_test_order(order, warehouse=level.warehouse, units=4)

    order.refresh_from_db()
    level.refresh_from_db()
    line = order.lines.get()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert (level.on_hand, level.allocated) == (6, 6)
    assert line.quantity_shipped == 4
    assert OrderAllocation.objects.get(line=line).quantity == 6
    assert first.number == f"SH-{order.number_display}-1" and first.status == ShipmentStatus.SHIPPED
    assert order.events.filter(kind="shipped", data__shipment=first.number).exists()

    second = ship_test_order(order, warehouse=level.warehouse, units=6, tracking_number="1Z999AA10123456785")

    order.refresh_from_db()
    level.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert (level.on_hand, level.allocated) == (0, 0)
    assert not OrderAllocation.objects.filter(line__order=order).exists()
    assert second.number.endswith("-2")
    # one shipping confirmation per shipment
    assert OutboxEmail.objects.filter(template="fulfillment/shipped").count() == 2


def test_never_more_than_allocated_and_nothing_changes():
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=3, kind="account")
    level = StockLevel.objects.get(variant=checkout.variant)

    with pytest.raises(Conflict) as refused:
        ship_test_order(order, warehouse=level.warehouse, units=4)

    line = order.lines.get()
    assert refused.value.field == f"lines.{line.pk}"
    assert "3 allocated" in refused.value.message
    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (10, 3)
    assert not Shipment.objects.exists()
    assert not OutboxEmail.objects.filter(template="fulfillment/shipped").exists()


def test_an_order_split_across_two_centers_ships_from_each():
    # given 5 units at the first center and 5 at the second, an order of 8 takes 5 + 3
    checkout = _checkout(stock=5)
    first_center = StockLevel.objects.get(variant=checkout.variant).warehouse
    second_center = make_warehouse(code="EAST", priority=5)
    StockLevel.objects.create(warehouse=second_center, variant=checkout.variant, on_hand=5)
    order = place_test_order(checkout, quantity=8, kind="account")

    with pytest.raises(Conflict):
        ship_test_order(order, warehouse=first_center, units=6)  # only 5 are allocated there
    ship_test_order(order, warehouse=first_center, units=5)
    ship_test_order(order, warehouse=second_center, units=3, tracking_number="794698383420", carrier="fedex")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert StockLevel.objects.get(warehouse=second_center).on_hand == 2
    assert StockLevel.objects.get(warehouse=second_center).allocated == 0
    assert sorted(order.shipments.values_list("warehouse__code", flat=True)) == sorted([first_center.code, "EAST"])


def test_same_key_same_request_is_the_same_shipment_and_another_request_is_refused():
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=5, kind="account")
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    clerk = make_staff()

    first = ship_test_order(order, warehouse=warehouse, units=2, idempotency_key="wms-1", actor=clerk)
    again = ship_test_order(order, warehouse=warehouse, units=2, idempotency_key="wms-1", actor=clerk)
    assert again.pk == first.pk
    with pytest.raises(Conflict) as refused:
        ship_test_order(order, warehouse=warehouse, units=3, idempotency_key="wms-1", actor=clerk)
    assert refused.value.field == "idempotency_key"
    assert order.lines.get().quantity_shipped == 2
    assert Shipment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"carrier": "pigeon"}, "carrier"),
        ({"tracking_number": "  "}, "tracking_number"),
        ({"parcels": 0}, "parcels"),
        ({"weight_grams": -5}, "weight_grams"),
        ({"lines": {}}, "lines"),
        ({"shipped_at": dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.UTC)}, "shipped_at"),  # before the order
    ],
)
def test_bad_input_names_the_field(overrides, field):
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=2, kind="account")
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    with pytest.raises(DomainError) as refused:
        ship_test_order(order, warehouse=warehouse, units=1, **overrides)
    assert refused.value.field == field
    assert not Shipment.objects.exists()


def test_a_line_of_another_order_is_refused():
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=2, kind="account")
    other = place_test_order(checkout, quantity=2, kind="account")
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    foreign = other.lines.get()
    with pytest.raises(DomainError) as refused:
        ship_test_order(order, warehouse=warehouse, units=1, lines={foreign.pk: 1})
    assert refused.value.field == f"lines.{foreign.pk}"


def test_delivered_when_every_shipment_arrived():
    checkout = _checkout(stock=10)
    order = place_test_order(checkout, quantity=4, kind="account")
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    first = ship_test_order(order, warehouse=warehouse, units=2)
    second = ship_test_order(order, warehouse=warehouse, units=2, tracking_number="1Z2")

    shipment_mark_delivered(shipment=first, actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    shipment_mark_delivered(shipment=second, actor=None)
    shipment_mark_delivered(shipment=second, actor=None)  # a repeated tracking event changes nothing
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.events.filter(kind="delivered").count() == 2
