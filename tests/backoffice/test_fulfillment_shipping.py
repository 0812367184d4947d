"""Shipping from the order's fulfillment page: lines and quantities (partial), carrier, tracking, parcels,
weight; errors on the form naming the field; a double submit ships once; delivered; cancel the rest."""

import re

import pytest

from autosales.checkout.placement import LineRequest
from autosales.fulfillment.models import CenterAssignment, Shipment, ShipmentStatus
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order, OrderStatus
from tests.factories import make_checkout, make_product, make_staff, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db


def _page(order) -> str:
    return f"/backoffice/fulfillment/orders/{order.public_id}/"


def _form(html: str, center: str) -> dict:
    """The ship form of `center` as the page shows it: its hidden fields and default quantities."""
    start = html.index(f'aria-label="Ship from {center}"')
    form = html[start : html.index("</form>", start)]
    values = dict(re.findall(r'name="(center|idempotency_key|qty_\d+)"[^>]*?value="([^"]*)"', form))
    values.update({"carrier": "ups", "tracking_number": "1Z999AA10123456784", "parcels": "1", "weight_kg": "2.5"})
    return values


@pytest.fixture
def order():
    make_warehouse(code="EAST")
    checkout = make_checkout(stock=20)
    return place_test_order(checkout, quantity=5)


@pytest.fixture
def clerk(client):
    user = make_staff(group="fulfillment")
    client.force_login(user)
    return user


def test_the_form_offers_everything_allocated_at_the_center(client, clerk, order):
    html = client.get(_page(order)).content.decode()
    line = order.lines.get()
    form = _form(html, "EAST")
    assert form[f"qty_{line.pk}"] == "5"
    assert form["center"] == "EAST" and form["idempotency_key"].startswith("web-")
    assert "UPS" in html and "FedEx" in html  # carriers from the registry


def test_a_clerk_ships_part_of_an_order_and_the_customer_is_emailed(client, clerk, order):
    line = order.lines.get()
    form = _form(client.get(_page(order)).content.decode(), "EAST") | {f"qty_{line.pk}": "2"}
    response = client.post(f"{_page(order)}ship/", form)
    assert response.status_code == 302 and response["Location"] == f"{_page(order)}?center=EAST"
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number, shipment.parcels, shipment.weight_grams) == (
        "ups",
        "1Z999AA10123456784",
        1,
        2500,
    )
    assert shipment.created_by == clerk
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED and line.quantity_shipped == 2
    assert OutboxEmail.objects.filter(template="fulfillment/shipped").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert f"Shipment {shipment.number}: 2 units left EAST with UPS" in page
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in page
    assert _form(page, "EAST")[f"qty_{line.pk}"] == "3"  # what is left is offered next


def test_a_double_submit_ships_once(client, clerk, order):
    form = _form(client.get(_page(order)).content.decode(), "EAST")
    first = client.post(f"{_page(order)}ship/", form)
    second = client.post(f"{_page(order)}ship/", form)
    assert first.status_code == second.status_code == 302
    assert Shipment.objects.filter(order=order).count() == 1
    assert OutboxEmail.objects.filter(template="fulfillment/shipped").count() == 1
    assert StockLevel.objects.get(variant=order.lines.get().variant).on_hand == 15


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tracking_number": ""}, "tracking_number: This field is required."),
        ({"carrier": "pigeon"}, "carrier: Select a valid choice."),
        ({"parcels": "0"}, "parcels: Ensure this value is greater than or equal to 1."),
        ({"weight_kg": "heavy"}, "weight_kg: Enter a number."),
        ("qty", ": Ensure this value is less than or equal to 5."),
        ("nothing", "Ship at least one unit."),
    ],
)
def test_bad_input_is_shown_on_the_form_naming_the_field_and_ships_nothing(client, clerk, order, change, message):
    line = order.lines.get()
    form = _form(client.get(_page(order)).content.decode(), "EAST")
    if change == "qty":
        change = {f"qty_{line.pk}": "6"}
    elif change == "nothing":
        change = {f"qty_{line.pk}": "0"}
    response = client.post(f"{_page(order)}ship/", form | change)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Shipment.objects.exists()
    # the page keeps the key: correcting and sending again ships once
    assert form["idempotency_key"] in response.content.decode()


def test_an_order_that_cannot_ship_says_why_with_a_409(client, clerk, order):
    form = _form(client.get(_page(order)).content.decode(), "EAST")
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PLACED)  # authorized only, captured at order
    response = client.post(f"{_page(order)}ship/", form)
    assert response.status_code == 409
    assert "nothing of it can ship" in response.content.decode()
    assert not Shipment.objects.exists()


def test_an_order_split_over_two_centers_ships_from_each(client, clerk):
    make_warehouse(code="EAST", priority=0)
    west = make_warehouse(code="WEST", priority=1)
    checkout = make_checkout(stock=20)
    tube = make_product(stock=20, warehouse=west).variants.get()
    order = place_test_order(
        checkout,
        lines=[LineRequest(variant_id=checkout.variant.pk, quantity=2), LineRequest(variant_id=tube.pk, quantity=1)],
    )
    html = client.get(_page(order)).content.decode()
    assert client.post(f"{_page(order)}ship/", _form(html, "EAST")).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    html = client.get(_page(order)).content.decode()
    assert 'aria-label="Ship from EAST"' not in html  # nothing left there
    assert client.post(f"{_page(order)}ship/", _form(html, "WEST")).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert sorted(Shipment.objects.filter(order=order).values_list("warehouse__code", flat=True)) == ["EAST", "WEST"]


def test_a_clerk_assigned_to_one_center_cannot_ship_from_another(client, clerk, order):
    west = make_warehouse(code="WEST")
    CenterAssignment.objects.create(user=clerk, warehouse=west)
    html = client.get(_page(order)).content.decode()
    assert 'aria-label="Ship from EAST"' not in html
    line = order.lines.get()
    form = {"center": "EAST", "idempotency_key": "web-x", f"qty_{line.pk}": "1", "carrier": "ups"}
    response = client.post(f"{_page(order)}ship/", form | {"tracking_number": "1Z", "parcels": "1"}, follow=True)
    assert "center: nothing of order" in response.content.decode()
    assert not Shipment.objects.exists()


def test_salespeople_cannot_ship(client, order):
    client.force_login(make_staff(group="salesperson"))
    assert client.get(_page(order)).status_code == 403
    assert client.post(f"{_page(order)}ship/", {"center": "EAST"}).status_code == 403


def test_mark_delivered_moves_a_fully_shipped_order_to_delivered(client, clerk, order):
    client.post(f"{_page(order)}ship/", _form(client.get(_page(order)).content.decode(), "EAST"))
    shipment = Shipment.objects.get(order=order)
    response = client.post(f"/backoffice/fulfillment/shipments/{shipment.public_id}/delivered/", {"delivered_on": ""})
    assert response.status_code == 302
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and order.status == OrderStatus.DELIVERED


def test_a_delivery_before_the_shipment_left_is_refused_naming_the_field(client, clerk, order):
    client.post(f"{_page(order)}ship/", _form(client.get(_page(order)).content.decode(), "EAST"))
    shipment = Shipment.objects.get(order=order)
    response = client.post(
        f"/backoffice/fulfillment/shipments/{shipment.public_id}/delivered/", {"delivered_on": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "delivered_on: A shipment cannot arrive before it left." in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED


def test_cancel_the_unshipped_remainder_with_a_reason(client, clerk, order):
    line = order.lines.get()
    form = _form(client.get(_page(order)).content.decode(), "EAST") | {f"qty_{line.pk}": "2"}
    client.post(f"{_page(order)}ship/", form)
    response = client.post(f"{_page(order)}cancel-rest/", {"reason": "  "})
    assert response.status_code == 400 and "reason: This field is required." in response.content.decode()
    response = client.post(f"{_page(order)}cancel-rest/", {"reason": "Discontinued by the maker"})
    assert response.status_code == 302
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity_shipped, line.quantity_cancelled) == (2, 3)
    assert order.status == OrderStatus.SHIPPED
    assert StockLevel.objects.get(variant=line.variant).allocated == 0
    assert OutboxEmail.objects.filter(template="fulfillment/remainder_cancelled").count() == 1
    assert "Cancel the unshipped remainder" not in client.get(_page(order)).content.decode()


def test_the_order_page_links_its_pick_list_and_packing_slip_at_each_center(client, clerk, order):
    html = client.get(_page(order)).content.decode()
    slip = f"/backoffice/fulfillment/packing-slips.pdf?center=EAST&amp;order={order.public_id}"
    assert slip in html and f"/backoffice/fulfillment/pick-list.pdf?center=EAST&amp;order={order.public_id}" in html
    response = client.get(slip.replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_a_shipped_form_sent_again_with_other_quantities_ships_nothing_more_and_says_so(client, clerk, order):
    line = order.lines.get()
    form = _form(client.get(_page(order)).content.decode(), "EAST") | {f"qty_{line.pk}": "2"}
    client.post(f"{_page(order)}ship/", form)
    response = client.post(f"{_page(order)}ship/", form | {f"qty_{line.pk}": "3"})  # back button, changed, sent
    assert response.status_code == 409
    html = response.content.decode()
    assert "This form was sent already, for a shipment with other quantities." in html
    assert _form(html, "EAST")["idempotency_key"] != form["idempotency_key"]
    assert Shipment.objects.filter(order=order).count() == 1


def test_a_form_for_units_shipped_meanwhile_by_someone_else_says_so(client, clerk, order):
    from autosales.fulfillment.services import shipment_create
    from autosales.inventory.models import Warehouse

    line = order.lines.get()
    form = _form(client.get(_page(order)).content.decode(), "EAST")
    shipment_create(  # another clerk, or the warehouse system, ships it all first
        order=order,
        warehouse=Warehouse.objects.get(code="EAST"),
        lines={line.pk: 5},
        carrier="fedex",
        tracking_number="794698383420",
        actor=make_staff(group="fulfillment"),
    )
    response = client.post(f"{_page(order)}ship/", form, follow=True)
    assert "center: nothing of order" in response.content.decode()
    assert Shipment.objects.filter(order=order).count() == 1
