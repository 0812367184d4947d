"""The customer follows the order: each shipment with its carrier and tracking link, what is still to come and
what is backordered, on the order page and in the orders API; the page's queries do not grow with shipments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_checkout, place_test_order, ship_test_order

pytestmark = pytest.mark.django_db


def test_the_order_page_shows_shipments_tracking_and_the_backorder(client):
    checkout = make_checkout(stock=4, has_account_terms=True, credit_limit=100_000)
    order = place_test_order(checkout, quantity=10, kind="account", backorder=True)
    client.force_login(checkout.user)
    url = f"/orders/{order.public_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)

    shipment = ship_test_order(order, units=1, tracking="1ZAAA")
    for n in range(3):
        ship_test_order(order, units=1, tracking=f"1ZB{n}")
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()

    assert shipment.number in page
    assert 'href="https://www.ups.com/track?tracknum=1ZAAA"' in page
    assert "6 backordered: ships when stock arrives" in page
    assert len(after) <= len(before) + 2  # the shipments and their lines, whatever their number
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert len(again) == len(after)


def test_the_orders_api_lists_shipments_and_backordered_units(client):
    checkout = make_checkout(stock=2, has_account_terms=True, credit_limit=100_000)
    order = place_test_order(checkout, quantity=5, kind="account", backorder=True)
    ship_test_order(order, units=2, tracking="1ZAPI")
    client.force_login(checkout.user)

    body = client.get(f"/api/v1/orders/{order.public_id}").json()

    [shipment] = body["shipments"]
    assert shipment["tracking_url"] == "https://www.ups.com/track?tracknum=1ZAPI"
    assert shipment["lines"] == [{"sku": checkout.variant.sku, "quantity": 2}]
    assert body["lines"][0]["quantity_backordered"] == 3
    listed = client.get("/api/v1/orders").json()["items"][0]
    assert listed["shipments"][0]["number"] == shipment["number"]
