"""Goods in from the back office: typed lines or a CSV, each problem named, nothing received on any problem;
a receipt fills the orders waiting for its SKUs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from autosales.fulfillment.models import StockReceipt
from autosales.inventory.models import StockLevel
from autosales.orders.models import OrderAllocation, OrderLine
from tests.factories import make_checkout, make_product, make_staff, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db

RECEIVE = "/backoffice/fulfillment/receive/"


@pytest.fixture
def clerk(client):
    user = make_staff(group="fulfillment")
    client.force_login(user)
    return user


@pytest.fixture
def skus():
    make_warehouse(code="EAST")
    first = make_product(stock=0).variants.get()
    second = make_product(stock=5).variants.get()
    return first, second


def _on_hand(variant) -> int:
    return StockLevel.objects.get(variant=variant, warehouse__code="EAST").on_hand


def _backordered(checkout, *, quantity: int, short: int):
    """An order of `quantity` of which `short` units wait for stock: as if they were found damaged after it
    was placed (their allocation and stock written off)."""
    order = place_test_order(checkout, quantity=quantity)
    line = order.lines.get()
    if short == quantity:
        OrderAllocation.objects.filter(line=line).delete()
    else:
        OrderAllocation.objects.filter(line=line).update(quantity=F("quantity") - short)
    StockLevel.objects.filter(variant=checkout.variant).update(
        on_hand=F("on_hand") - short, allocated=F("allocated") - short
    )
    OrderLine.objects.filter(pk=line.pk).update(quantity_backordered=short)
    return order


def test_typed_lines_are_received_with_the_reference(client, clerk, skus):
    first, second = skus
    response = client.post(
        RECEIVE,
        {
            "center": "EAST",
            "reference": "PO-4410",
            "sku_1": first.sku,
            "quantity_1": "40",
            "sku_2": second.sku,
            "quantity_2": "7",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{RECEIVE}?center=EAST"
    assert (_on_hand(first), _on_hand(second)) == (40, 12)
    receipt = StockReceipt.objects.get()
    assert receipt.reference == "PO-4410" and receipt.received_by == clerk
    page = client.get(response["Location"]).content.decode()
    assert "Received 47 units of 2 SKU(s) (PO-4410)." in page
    assert f"40 × {first.sku}" in page  # in the recent receipts


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"sku_2": "NO-SUCH", "quantity_2": "3"}, "sku_2: No product with SKU &quot;NO-SUCH&quot;."),
        ({"sku_2": "", "quantity_2": "3"}, "sku_2: Enter the SKU received."),
        ({"quantity_2": ""}, "quantity_2: Enter how many units of it were received."),
        ({"quantity_2": "0"}, "quantity_2: Ensure this value is greater than or equal to 1."),
        ({"quantity_2": "many"}, "quantity_2: Enter a whole number."),
    ],
)
def test_a_bad_line_names_its_field_and_nothing_is_received(client, clerk, skus, row, message):
    first, second = skus
    data = {"center": "EAST", "sku_1": first.sku, "quantity_1": "4", "sku_2": second.sku, "quantity_2": "2"} | row
    response = client.post(RECEIVE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (_on_hand(first), _on_hand(second)) == (0, 5)
    assert not StockReceipt.objects.exists()


def test_an_empty_form_asks_for_a_line(client, clerk, skus):
    response = client.post(RECEIVE, {"center": "EAST", "reference": "x"})
    assert response.status_code == 400
    assert "Enter at least one SKU and its quantity." in response.content.decode()


def test_a_csv_makes_one_receipt_per_reference(client, clerk, skus):
    first, second = skus
    data = f"sku,quantity,reference\n{first.sku},10,DN-1\n{second.sku},3,DN-2\n{first.sku},5,DN-1\n".encode()
    response = client.post(
        f"{RECEIVE}csv/", {"center": "EAST", "file": SimpleUploadedFile("goods-in.csv", data, "text/csv")}
    )
    assert response.status_code == 302
    assert (_on_hand(first), _on_hand(second)) == (15, 8)
    assert sorted(StockReceipt.objects.values_list("reference", flat=True)) == ["DN-1", "DN-2"]
    assert "Received 18 units of 2 SKU(s) (DN-1, DN-2)." in client.get(response["Location"]).content.decode()


def test_a_csv_with_any_bad_row_lists_every_problem_and_receives_nothing(client, clerk, skus):
    first, second = skus
    data = (
        f"sku,quantity,reference\n{first.sku},10,DN-1\nNOPE,3,DN-1\n{second.sku},-2,DN-2\n{second.sku},,DN-2\n".encode()
    )
    response = client.post(f"{RECEIVE}csv/", {"center": "EAST", "file": SimpleUploadedFile("in.csv", data)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "3 problem(s) on 3 line(s); nothing was imported." in html
    assert "line 3, column sku: no product with SKU &quot;NOPE&quot;" in html
    assert "line 4, column quantity: must not be negative: &quot;-2&quot;" in html
    assert "line 5, column quantity: required" in html
    assert (_on_hand(first), _on_hand(second)) == (0, 5)
    assert not StockReceipt.objects.exists()


def test_a_csv_with_an_unknown_column_is_refused(client, clerk, skus):
    data = b"sku,qty\nX,1\n"
    response = client.post(f"{RECEIVE}csv/", {"center": "EAST", "file": SimpleUploadedFile("in.csv", data)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 1, column qty: unknown column" in html and "line 1, column quantity: missing column" in html


def test_a_receipt_fills_the_backorder_which_then_waits_in_the_queue(client, clerk):
    make_warehouse(code="EAST")
    checkout = make_checkout(stock=5)
    order = _backordered(checkout, quantity=5, short=5)
    assert order.number_display not in client.get("/backoffice/fulfillment/?center=EAST").content.decode()
    response = client.post(RECEIVE, {"center": "EAST", "sku_1": checkout.variant.sku, "quantity_1": "8"}, follow=True)
    assert "5 of them went to backordered orders, which are now in the queue." in response.content.decode()
    line = order.lines.get()
    assert line.quantity_backordered == 0
    assert order.number_display in client.get("/backoffice/fulfillment/?center=EAST").content.decode()


def test_salespeople_cannot_receive(client, skus):
    first, _ = skus
    client.force_login(make_staff(group="salesperson"))
    assert client.get(RECEIVE).status_code == 403
    assert client.post(RECEIVE, {"center": "EAST", "sku_1": first.sku, "quantity_1": "1"}).status_code == 403
    assert _on_hand(first) == 0


def test_a_csv_naming_the_center_on_each_row_is_taken_for_that_center_only(client, clerk, skus):
    first, _ = skus
    make_warehouse(code="WEST")
    data = f"center,sku,quantity,reference\nEAST,{first.sku},4,DN-9\nWEST,{first.sku},6,DN-9\n".encode()
    response = client.post(f"{RECEIVE}csv/", {"center": "EAST", "file": SimpleUploadedFile("in.csv", data)})
    assert response.status_code == 400
    assert "line 3, column center: &quot;WEST&quot; is another center: this file is received at EAST" in (
        response.content.decode()
    )
    assert not StockReceipt.objects.exists()
    data = f"center,sku,quantity,reference\neast,{first.sku},4,DN-9\n".encode()
    response = client.post(f"{RECEIVE}csv/", {"center": "EAST", "file": SimpleUploadedFile("in.csv", data)})
    assert response.status_code == 302 and _on_hand(first) == 4


def _receive_page_queries(client, receipts: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from autosales.fulfillment.services import stock_receive
    from autosales.inventory.models import Warehouse

    east = Warehouse.objects.get(code="EAST")
    for n in range(receipts):
        variants = [make_product(stock=0).variants.get() for _ in range(2)]
        stock_receive(warehouse=east, quantities={v.pk: 5 for v in variants}, reference=f"DN-{n}", actor=None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(RECEIVE, {"center": "EAST"}).status_code == 200
    return len(queries)


def test_the_receive_page_query_count_does_not_grow_with_the_receipts(client, clerk):
    make_warehouse(code="EAST")
    assert _receive_page_queries(client, 1) == _receive_page_queries(client, 8)
