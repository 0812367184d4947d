"""The API refuses a quantity that is not whole packs at or above the variant's minimum: the cart, the checkout
(given lines or the cart) and standing orders answer 400 naming the field, and change nothing."""

import datetime as dt
import json

import pytest

from autosales.cart.models import CartLine
from autosales.core import clock
from autosales.orders.models import Order
from autosales.recurring.models import StandingOrder
from tests.factories import make_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    clock.set_now(dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC))
    checkout = make_checkout(stock=500, has_account_terms=True, credit_limit="100000")
    checkout.variant.sku, checkout.variant.pack_size, checkout.variant.min_quantity = "LED-A19-9W", 12, 24
    checkout.variant.save()
    client.force_login(checkout.user)
    yield checkout
    clock.reset()


def _send(client, method, url, body, **headers):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers)


def _checkout_body(checkout, **changes) -> dict:
    body = {
        "lines": [{"sku": checkout.variant.sku, "quantity": 30}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "account", "token": ""},
    }
    body.update(changes)
    return body


def _error(response) -> tuple[int, str, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["errors"][0]["field"], body["errors"][0]["message"]


def test_the_cart_api_refuses_a_quantity_between_packs_or_below_the_minimum(client, buyer):
    added = _send(client, "post", "/api/v1/cart/lines", {"sku": "LED-A19-9W", "quantity": 30})
    assert _error(added) == (
        400,
        "quantity_not_orderable",
        "quantity",
        "LED-A19-9W is sold in packs of 12: 24 or 36, not 30.",
    )
    below = _send(client, "post", "/api/v1/cart/lines", {"sku": "LED-A19-9W", "quantity": 12})
    assert _error(below)[2:] == ("quantity", "LED-A19-9W has a minimum order of 24, not 12.")
    assert not CartLine.objects.exists()
    assert _send(client, "post", "/api/v1/cart/lines", {"sku": "LED-A19-9W", "quantity": 24}).status_code == 201
    changed = _send(client, "patch", "/api/v1/cart/lines/LED-A19-9W", {"quantity": 25})
    assert _error(changed)[:3] == (400, "quantity_not_orderable", "quantity")
    assert CartLine.objects.get().quantity == 24


def test_checkout_refuses_given_lines_that_are_not_whole_packs(client, buyer):
    response = _send(client, "post", "/api/v1/checkout", _checkout_body(buyer), HTTP_IDEMPOTENCY_KEY="k-1")
    assert _error(response)[:3] == (400, "quantity_not_orderable", "lines[0].quantity")
    assert not Order.objects.exists()
    ordered = _send(
        client,
        "post",
        "/api/v1/checkout",
        _checkout_body(buyer, lines=[{"sku": "LED-A19-9W", "quantity": 36}]),
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert ordered.status_code == 201, ordered.content


def test_checkout_of_a_cart_line_from_before_the_pack_size_is_refused(client, buyer):
    buyer.variant.pack_size, buyer.variant.min_quantity = 1, 1
    buyer.variant.save()
    assert _send(client, "post", "/api/v1/cart/lines", {"sku": "LED-A19-9W", "quantity": 30}).status_code == 201
    buyer.variant.pack_size = 12
    buyer.variant.save()
    body = _checkout_body(buyer)
    del body["lines"]
    response = _send(client, "post", "/api/v1/checkout", body, HTTP_IDEMPOTENCY_KEY="k-3")
    assert _error(response)[:3] == (400, "quantity_not_orderable", "lines[0].quantity")
    assert not Order.objects.exists()
    assert CartLine.objects.get().quantity == 30


def test_a_standing_order_line_must_be_whole_packs(client, buyer):
    body = {
        "lines": [{"sku": "LED-A19-9W", "quantity": 1000}],
        "schedule": {"every": 2, "unit": "month", "day_of_month": 31, "start_date": "2027-01-31"},
        "shipping_address": buyer.address.public_id,
        "shipping_method": buyer.shipping_method.code,
        "payment": {"kind": "account"},
    }
    response = _send(client, "post", "/api/v1/standing-orders", body)
    assert _error(response) == (
        400,
        "quantity_not_orderable",
        "lines.0.quantity",
        "LED-A19-9W is sold in packs of 12: 996 or 1,008, not 1,000.",
    )
    assert not StandingOrder.objects.exists()
    body["lines"] = [{"sku": "LED-A19-9W", "quantity": 1008}]
    assert _send(client, "post", "/api/v1/standing-orders", body).status_code == 201
