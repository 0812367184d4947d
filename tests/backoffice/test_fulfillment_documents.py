"""Pick lists and packing slips: PDFs of a batch of the queue's orders, read back as text."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from autosales.checkout.placement import LineRequest
from autosales.fulfillment.documents import _latin1
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order
from tests.factories import make_checkout, make_product, make_staff, make_warehouse, place_test_order
from tests.suite_runs import once

pytestmark = pytest.mark.django_db

PICK_LIST = "/backoffice/fulfillment/pick-list.pdf"
PACKING_SLIPS = "/backoffice/fulfillment/packing-slips.pdf"


def _pages(response) -> list[str]:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return [page.extract_text() for page in reader.pages]


@pytest.fixture
def batch():
    """Two orders at EAST (one also has a line at WEST), with bins."""
    east = make_warehouse(code="EAST", name="East DC", priority=0)
    west = make_warehouse(code="WEST", name="West DC", priority=1)
    checkout = make_checkout(stock=100)
    lamp = make_product(name="Desk lamp", stock=50, warehouse=east).variants.get()
    tube = make_product(name="Tube", stock=50, warehouse=west).variants.get()
    StockLevel.objects.filter(variant=checkout.variant).update(bin="B-02")
    StockLevel.objects.filter(variant=lamp).update(bin="A-01")
    first = place_test_order(
        checkout,
        lines=[
            LineRequest(variant_id=checkout.variant.pk, quantity=3),
            LineRequest(variant_id=lamp.pk, quantity=1),
            LineRequest(variant_id=tube.pk, quantity=4),
        ],
        customer_reference="PO-7781",
    )
    second = place_test_order(checkout, quantity=2)
    return checkout, lamp, tube, first, second


def test_the_pick_list_walks_bins_then_skus_with_each_orders_units(client, batch):
    checkout, lamp, tube, first, second = batch
    client.force_login(make_staff(group="fulfillment"))
    response = client.get(PICK_LIST, {"center": "EAST", "order": [first.public_id, second.public_id]})
    assert response.status_code == 200
    text = "\n".join(_pages(response))
    assert "Pick list - EAST East DC" in text
    assert "2 order(s), 6 unit(s)" in text
    # bin A-01 (the lamp) comes before bin B-02 (the bulbs); the bulbs are 5 units for two orders
    assert text.index("A-01") < text.index("B-02")
    assert lamp.sku in text and checkout.variant.sku in text
    assert f"{first.number_display} x3, {second.number_display} x2" in text
    assert tube.sku not in text  # allocated at WEST, not picked here


def test_packing_slips_have_a_page_per_order_with_the_address_and_what_is_still_to_come(client, batch):
    _, _, tube, first, second = batch
    client.force_login(make_staff(group="manager"))
    response = client.get(PACKING_SLIPS, {"center": "EAST", "order": [first.public_id, second.public_id]})
    pages = _pages(response)
    assert len(pages) == 2
    assert f"Packing slip - order {first.number_display}" in pages[0]
    assert "PO-7781" in pages[0]
    assert first.ship_name in pages[0] and first.ship_line1 in pages[0]
    assert "Ships from East DC (EAST)" in pages[0]
    # the tube is on the order but ships from WEST: 0 in this parcel, 4 still to come
    tube_row = next(line for line in pages[0].splitlines() if tube.sku in line)
    assert tube_row.split()[-3:] == ["4", "0", "4"]
    assert f"Packing slip - order {second.number_display}" in pages[1]


def test_the_requested_delivery_date_is_on_the_pick_list_and_the_packing_slip(client, batch):
    _, _, _, first, second = batch
    Order.objects.filter(pk=first.pk).update(requested_delivery_date=dt.date(2031, 3, 14))
    client.force_login(make_staff(group="fulfillment"))
    chosen = {"center": "EAST", "order": [first.public_id, second.public_id]}

    # a table cell wraps its text over lines: read the words
    pick_list = " ".join(" ".join(_pages(client.get(PICK_LIST, chosen))).split())
    slips = [" ".join(page.split()) for page in _pages(client.get(PACKING_SLIPS, chosen))]

    assert pick_list.count("requested delivery Fri 2031-03-14") == 1  # the first order's, not the second's
    assert "requested delivery Fri 2031-03-14" in slips[0]
    assert "requested delivery" not in slips[1]


def test_orders_not_waiting_at_the_center_are_left_out_and_an_empty_batch_is_refused(client, batch):
    *_, first, second = batch
    client.force_login(make_staff(group="fulfillment"))
    text = "\n".join(_pages(client.get(PICK_LIST, {"center": "WEST", "order": [first.public_id, second.public_id]})))
    assert "1 order(s), 4 unit(s)" in text and second.number_display not in text

    response = client.get(PICK_LIST, {"center": "WEST", "order": [second.public_id]})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/fulfillment/?center=WEST"
    page = client.get(response["Location"]).content.decode()
    assert "order: none of these orders is waiting at WEST any more." in page

    response = client.get(PICK_LIST, {"center": "EAST"}, follow=True)
    assert "order: tick the orders to print." in response.content.decode()
    response = client.get(PICK_LIST, {"center": "MOON", "order": [first.public_id]}, follow=True)
    assert "center: choose a distribution center." in response.content.decode()


def test_salespeople_cannot_print(client, batch):
    *_, first, _second = batch
    client.force_login(make_staff(group="salesperson"))
    assert client.get(PICK_LIST, {"center": "EAST", "order": [first.public_id]}).status_code == 403


@once
def test_text_outside_latin1_is_spelled_plainly():
    assert _latin1("Dvořák — 2 × “LED” …") == 'Dvorák - 2 x "LED" ...'
    assert _latin1("Café") == "Café"
    assert _latin1("電球") == "??"
