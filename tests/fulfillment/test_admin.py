"""The admin: managers assign clerks to centers; shipments and receipts are listed and shown, never edited there."""

import pytest

from autosales.customers.staff_roles import FULFILLMENT, MANAGER
from autosales.fulfillment.services import shipment_create, stock_receive
from autosales.inventory.models import StockLevel
from tests.factories import make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db


def test_managers_see_shipments_and_receipts_and_assign_centers(client):
    checkout = make_checkout(stock=5, has_account_terms=True, credit_limit=100_000)
    order = place_test_order(checkout, quantity=2, kind="account")
    center = StockLevel.objects.get(variant=checkout.variant).warehouse
    shipment = shipment_create(
        order=order, warehouse=center, lines={order.lines.get().pk: 2}, carrier="ups", tracking_number="1Z", actor=None
    )
    receipt = stock_receive(warehouse=center, quantities={checkout.variant.pk: 3}, reference="PO-1", actor=None)
    client.force_login(make_staff(group=MANAGER))

    for url in (
        "/admin/fulfillment/shipment/",
        f"/admin/fulfillment/shipment/{shipment.pk}/change/",
        "/admin/fulfillment/stockreceipt/",
        f"/admin/fulfillment/stockreceipt/{receipt.pk}/change/",
        "/admin/fulfillment/centerassignment/add/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/fulfillment/shipment/add/").status_code == 403  # only shipment_create makes one


def test_a_clerk_cannot_assign_centers(client):
    client.force_login(make_staff(group=FULFILLMENT))
    assert client.get("/admin/fulfillment/centerassignment/add/").status_code == 403
