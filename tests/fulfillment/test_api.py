"""The fulfillment API: staff tokens only, limited to the caller's centers; the queue in a fixed number of
queries; shipments once per Idempotency-Key; bad input a 4xx naming the field."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.customers.staff_roles import FULFILLMENT
from autosales.customers.tokens import token_create
from autosales.fulfillment.models import CenterAssignment, Shipment
from autosales.inventory.models import StockLevel
from autosales.orders.models import OrderStatus
from tests.factories import make_checkout, make_member, make_staff, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    checkout = make_checkout(stock=100, has_account_terms=True, credit_limit=1_000_000)
    checkout.center = StockLevel.objects.get(variant=checkout.variant).warehouse
    return checkout


@pytest.fixture
def clerk():
    user = make_staff(group=FULFILLMENT)
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}", "user": user}


def _post(client, url, body, auth, **headers):
    headers = {k: v for k, v in {**auth, **headers}.items() if k != "user"}
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _get(client, url, auth):
    return client.get(url, **{k: v for k, v in auth.items() if k != "user"})


def _ship_body(order, center, units=1, **overrides):
    body = {
        "order": order.number_display,
        "center": center.code,
        "lines": [{"sku": order.lines.get().sku, "quantity": units}],
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
    }
    body.update(overrides)
    return body


def test_the_queue_lists_orders_ready_at_the_center_oldest_first(client, shop, clerk):
    first = place_test_order(shop, quantity=2, kind="account")
    second = place_test_order(shop, quantity=3, kind="account")
    body = _get(client, f"/api/v1/fulfillment/orders?center={shop.center.code}", clerk).json()
    assert [o["public_id"] for o in body["items"]] == [first.public_id, second.public_id]
    line = body["items"][0]["lines"][0]
    assert line["allocated_here"] == 2 and line["quantity_shipped"] == 0 and line["line_id"] == first.lines.get().pk


def test_the_queue_query_count_does_not_grow_with_the_orders(client, shop, clerk):
    place_test_order(shop, quantity=1, kind="account")
    url = f"/api/v1/fulfillment/orders?center={shop.center.code}"
    _get(client, url, clerk)
    with CaptureQueriesContext(connection) as one:
        assert _get(client, url, clerk).status_code == 200
    for _ in range(5):
        place_test_order(shop, quantity=1, kind="account")
    with CaptureQueriesContext(connection) as six:
        assert len(_get(client, url, clerk).json()["items"]) == 6
    assert len(six) == len(one)


def test_ship_through_the_api_once_per_key(client, shop, clerk):
    order = place_test_order(shop, quantity=3, kind="account")
    body = _ship_body(order, shop.center, units=2)

    first = _post(client, "/api/v1/shipments", body, clerk, HTTP_IDEMPOTENCY_KEY="parcel-1")
    again = _post(client, "/api/v1/shipments", body, clerk, HTTP_IDEMPOTENCY_KEY="parcel-1")
    other = _post(client, "/api/v1/shipments", {**body, "tracking_number": "X"}, clerk, HTTP_IDEMPOTENCY_KEY="parcel-1")

    assert first.status_code == 201, first.content
    shipment = first.json()
    assert shipment["order_status"] == OrderStatus.PARTIALLY_SHIPPED
    assert shipment["tracking_url"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert again.status_code == 201 and again.json()["public_id"] == shipment["public_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "idempotency_key"
    assert Shipment.objects.count() == 1

    delivered = _post(client, f"/api/v1/shipments/{shipment['public_id']}/delivered", {}, clerk)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"carrier": "pigeon"}, 400, "carrier"),
        ({"center": "NOPE"}, 400, "center"),
        ({"order": "ZZZZ-ZZZZ-ZZ"}, 404, "order"),
        ({"lines": [{"sku": "NOT-ON-ORDER", "quantity": 1}]}, 400, "lines[0].sku"),
        ({"lines": [{"sku": "LINE", "quantity": 50}]}, 409, "lines[0].quantity"),
        ({"lines": [{"sku": "LINE", "quantity": 0}]}, 422, "lines.0.quantity"),
        ({"parcels": 0}, 422, "parcels"),
        ({"tracking_number": ""}, 422, "tracking_number"),
    ],
)
def test_bad_shipments_are_refused_naming_the_field(client, shop, clerk, change, status, field):
    order = place_test_order(shop, quantity=3, kind="account")
    body = _ship_body(order, shop.center)
    if "lines" in change:
        change = {
            "lines": [
                {**line, "sku": order.lines.get().sku if line["sku"] == "LINE" else line["sku"]}
                for line in change["lines"]
            ]
        }
    response = _post(client, "/api/v1/shipments", {**body, **change}, clerk, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == status, response.content
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(f == field or f.endswith(field) for f in fields), fields
    assert not Shipment.objects.exists()


def test_a_shipment_needs_an_idempotency_key(client, shop, clerk):
    order = place_test_order(shop, quantity=1, kind="account")
    response = _post(client, "/api/v1/shipments", _ship_body(order, shop.center), clerk)
    assert response.status_code == 422
    assert "Idempotency-Key" in json.dumps(response.json()["errors"])


def test_customers_and_other_staff_are_refused(client, shop):
    order = place_test_order(shop, quantity=1, kind="account")
    for user in (make_member(organization=shop.organization), make_staff()):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}
        assert _get(client, f"/api/v1/fulfillment/orders?center={shop.center.code}", auth).status_code == 403
        response = _post(client, "/api/v1/shipments", _ship_body(order, shop.center), auth, HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 403


def test_a_clerk_assigned_to_one_center_is_refused_at_another(client, shop, clerk):
    CenterAssignment.objects.create(user=clerk["user"], warehouse=make_warehouse(code="EAST"))
    response = _get(client, f"/api/v1/fulfillment/orders?center={shop.center.code}", clerk)
    assert response.status_code == 403 and response.json()["errors"][0]["field"] == "center"
    assert _get(client, "/api/v1/fulfillment/orders?center=EAST", clerk).status_code == 200


def test_a_receipt_through_the_api_fills_a_backorder(client, shop, clerk):
    order = place_test_order(shop, quantity=120, kind="account", backorder=True)
    assert order.lines.get().quantity_backordered == 20
    body = {"center": shop.center.code, "reference": "ASN-5", "lines": [{"sku": shop.variant.sku, "quantity": 30}]}
    response = _post(client, "/api/v1/stock/receipts", body, clerk)
    assert response.status_code == 201, response.content
    assert response.json()["lines"] == [{"sku": shop.variant.sku, "quantity": 30, "allocated_to_backorders": 20}]
    assert order.lines.get().quantity_backordered == 0

    bad = _post(client, "/api/v1/stock/receipts", {**body, "lines": [{"sku": "NOPE", "quantity": 1}]}, clerk)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("lines.0.sku")


def test_a_receipt_sent_again_with_its_key_is_received_once(client, shop, clerk):
    body = {"center": shop.center.code, "reference": "ASN-9", "lines": [{"sku": shop.variant.sku, "quantity": 5}]}
    first = _post(client, "/api/v1/stock/receipts", body, clerk, HTTP_IDEMPOTENCY_KEY="asn-9")
    again = _post(client, "/api/v1/stock/receipts", body, clerk, HTTP_IDEMPOTENCY_KEY="asn-9")
    other = _post(
        client,
        "/api/v1/stock/receipts",
        {**body, "lines": [{"sku": shop.variant.sku, "quantity": 6}]},
        clerk,
        HTTP_IDEMPOTENCY_KEY="asn-9",
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["public_id"] == first.json()["public_id"] and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "idempotency_key"
    assert StockLevel.objects.get(variant=shop.variant).on_hand == 105
