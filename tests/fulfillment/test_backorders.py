"""Backorders: an order placed beyond stock keeps the rest on its lines; a receipt fills it, oldest order first."""

import pytest

from autosales.core.errors import DomainError
from autosales.fulfillment.models import StockReceipt
from autosales.fulfillment.receiving import backorders_allocate
from autosales.fulfillment.services import shipment_create, stock_receive
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderAllocation, OrderStatus
from tests.factories import make_checkout, make_staff, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db


def _checkout(stock):
    return make_checkout(stock=stock, has_account_terms=True, credit_limit=100_000)


def test_placing_with_backorder_allocates_what_there_is_and_backorders_the_rest():
    checkout = _checkout(stock=3)
    order = place_test_order(checkout, quantity=5, kind="account", backorder=True)

    line = order.lines.get()
    assert (line.quantity, line.quantity_backordered) == (5, 2)
    assert OrderAllocation.objects.get(line=line).quantity == 3
    assert order.events.filter(kind="backordered", data__lines={line.sku: 2}).exists()


def test_a_receipt_fills_backorders_oldest_order_first_and_they_ship():
    # given two orders waiting: the older for 4 units, the newer for 3, and nothing in stock
    checkout = _checkout(stock=0)
    older = place_test_order(checkout, quantity=4, kind="account", backorder=True)
    newer = place_test_order(checkout, quantity=3, kind="account", backorder=True)
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    clerk = make_staff()

    # when 5 units arrive
    receipt = stock_receive(warehouse=warehouse, quantities={checkout.variant.pk: 5}, reference="PO-77", actor=clerk)

    # then the older order gets all 4, the newer 1, and 2 stay backordered
    older_line, newer_line = older.lines.get(), newer.lines.get()
    assert older_line.quantity_backordered == 0 and newer_line.quantity_backordered == 2
    assert OrderAllocation.objects.get(line=older_line).quantity == 4
    assert OrderAllocation.objects.get(line=newer_line).quantity == 1
    level = StockLevel.objects.get(variant=checkout.variant)
    assert (level.on_hand, level.allocated) == (5, 5)
    assert receipt.lines.get().allocated_to_backorders == 5
    assert older.events.filter(kind="allocated", data__receipt="PO-77").exists()

    # and the newer order ships its one unit, its email saying 2 are still backordered
    shipment_create(
        order=newer,
        warehouse=warehouse,
        lines={newer_line.pk: 1},
        carrier="usps",
        tracking_number="9400100000000000000000",
        actor=clerk,
    )
    newer.refresh_from_db()
    assert newer.status == OrderStatus.PARTIALLY_SHIPPED
    email = OutboxEmail.objects.get(template="fulfillment/shipped")
    assert email.context["to_come"] == [
        {"sku": newer_line.sku, "name": newer_line.name, "quantity": 2, "backordered": 2}
    ]


def test_a_receipt_at_a_new_center_creates_its_stock_row():
    checkout = _checkout(stock=0)
    order = place_test_order(checkout, quantity=2, kind="account", backorder=True)
    center = make_warehouse(code="WEST")

    stock_receive(warehouse=center, quantities={checkout.variant.pk: 10}, reference="", actor=None)

    level = StockLevel.objects.get(warehouse=center, variant=checkout.variant)
    assert (level.on_hand, level.allocated) == (10, 2)
    assert order.lines.get().quantity_backordered == 0


@pytest.mark.parametrize(
    ("quantities", "field"),
    [
        ({}, "lines"),
        ({"VARIANT": 0}, "lines.VARIANT"),
        ({"VARIANT": -1}, "lines.VARIANT"),
        ({999_999: 1}, "lines.999999"),
    ],
)
def test_bad_receipts_name_the_field_and_change_nothing(quantities, field):
    checkout = _checkout(stock=1)
    warehouse = StockLevel.objects.get(variant=checkout.variant).warehouse
    vid = checkout.variant.pk
    quantities = {(vid if k == "VARIANT" else k): v for k, v in quantities.items()}
    field = field.replace("VARIANT", str(vid))
    with pytest.raises(DomainError) as refused:
        stock_receive(warehouse=warehouse, quantities=quantities, reference="x", actor=None)
    assert refused.value.field == field
    assert not StockReceipt.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).on_hand == 1


def test_the_job_gives_free_stock_to_waiting_orders():
    # given an order backordered, then stock added by hand (the admin's stock form)
    checkout = _checkout(stock=0)
    order = place_test_order(checkout, quantity=3, kind="account", backorder=True)
    StockLevel.objects.filter(variant=checkout.variant).update(on_hand=2)

    assert backorders_allocate() == 2
    assert backorders_allocate() == 0
    assert order.lines.get().quantity_backordered == 1
