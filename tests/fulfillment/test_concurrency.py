"""Two clerks (or a clerk and the API) shipping the same order at the same moment: one shipment, stock and
allocations consumed once, one email. Only PostgreSQL has the row locks that make them meet."""

import pytest

from autosales.core.errors import Conflict
from autosales.fulfillment.models import Shipment
from autosales.fulfillment.services import shipment_create, stock_receive
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderAllocation
from tests.checkout.test_concurrency import run_at_once
from tests.factories import make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db(transaction=True)


def _order(quantity, stock):
    checkout = make_checkout(stock=stock, has_account_terms=True, credit_limit=1_000_000)
    order = place_test_order(checkout, quantity=quantity, kind="account", backorder=True)
    return checkout, order, StockLevel.objects.get(variant=checkout.variant).warehouse


def test_two_clerks_shipping_the_whole_order_at_once_make_one_shipment(on_postgres):
    checkout, order, center = _order(quantity=5, stock=5)
    line = order.lines.get()
    clerks = [make_staff(), make_staff()]

    def ship(i):
        return shipment_create(
            order=order,
            warehouse=center,
            lines={line.pk: 5},
            carrier="ups",
            tracking_number=f"1Z{i}",
            actor=clerks[i % 2],
        ).pk

    results = run_at_once(4, ship)

    shipped = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(shipped) == 1 and len(refused) == 3, results
    assert Shipment.objects.count() == 1
    level = StockLevel.objects.get(variant=checkout.variant)
    assert (level.on_hand, level.allocated) == (0, 0)
    assert order.lines.get().quantity_shipped == 5
    assert not OrderAllocation.objects.exists()
    assert OutboxEmail.objects.filter(template="fulfillment/shipped").count() == 1


def test_the_same_request_twice_at_once_is_one_shipment(on_postgres):
    _, order, center = _order(quantity=6, stock=6)
    line = order.lines.get()
    clerk = make_staff()

    def ship(_):
        return shipment_create(
            order=order,
            warehouse=center,
            lines={line.pk: 2},
            carrier="fedex",
            tracking_number="794698383420",
            actor=clerk,
            idempotency_key="wms-parcel-9",
        ).pk

    results = run_at_once(4, ship)

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert order.lines.get().quantity_shipped == 2


def test_shipping_while_stock_is_received_neither_deadlocks_nor_oversells(on_postgres):
    # given an order with 3 units allocated and 3 backordered
    checkout, order, center = _order(quantity=6, stock=3)
    line = order.lines.get()

    def work(i):
        if i == 0:
            return shipment_create(
                order=order, warehouse=center, lines={line.pk: 3}, carrier="ups", tracking_number="1Z", actor=None
            ).pk
        return stock_receive(warehouse=center, quantities={checkout.variant.pk: 3}, reference="PO", actor=None).pk

    results = run_at_once(2, work)

    assert all(isinstance(r, int) for r in results), results
    line.refresh_from_db()
    level = StockLevel.objects.get(variant=checkout.variant)
    assert line.quantity_shipped == 3 and line.quantity_backordered == 0
    assert (level.on_hand, level.allocated) == (3, 3)


def test_shipping_and_account_orders_never_lock_the_customer_against_its_new_orders(on_postgres):
    # A new order of the customer checks its foreign key to the organization when it commits (FOR KEY SHARE): a
    # shipment that locked the organization FOR UPDATE before the stock deadlocked with such an order holding that
    # stock. The organization is now locked only where it is changed, and FOR NO KEY UPDATE.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, order, center = _order(quantity=2, stock=5)
    with CaptureQueriesContext(connection) as shipping:
        shipment_create(
            order=order,
            warehouse=center,
            lines={order.lines.get().pk: 2},
            carrier="ups",
            tracking_number="1Z9",
            actor=make_staff(),
        )
    with CaptureQueriesContext(connection) as ordering:
        _order(quantity=1, stock=5)
    locks = [q["sql"] for q in shipping.captured_queries + ordering.captured_queries if " FOR " in q["sql"]]
    assert locks
    for sql in locks:
        if '"customers_organization"' in sql.split(" FOR ")[0]:
            tail = sql.split(" FOR ", 1)[1]
            assert tail.startswith("NO KEY UPDATE") or '"customers_organization"' not in tail.split("OF", 1)[-1], sql
            assert tail.startswith("NO KEY UPDATE") or " OF " in f" {tail}", sql
