"""POST /api/v1/checkout: one order per Idempotency-Key, clear refusals, every payment outcome."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from autosales.cart.models import CartLine
from autosales.customers.models import Address
from autosales.customers.tokens import token_create
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderStatus
from autosales.payments.models import Payment, TestGatewayCharge
from autosales.pricing.models import Price
from tests.factories import make_address, make_checkout, make_tax_rate, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkout"


def _body(checkout, *, quantity=2, token="tok_approve", kind="card", **changes) -> dict:
    body = {
        "lines": [{"sku": checkout.variant.sku, "quantity": quantity}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": kind, "token": token if kind == "card" else ""},
    }
    body.update(changes)
    return body


def _post(client, body, *, key="key-1", auth=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {auth}"
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_a_buyer_places_an_order_by_token_and_gets_its_number_totals_and_lines(client):
    checkout = make_checkout()
    make_tax_rate(country="US", region="IL", rate_percent="6.25")
    response = _post(client, _body(checkout, customer_reference="PO-1"), auth=token_create(user=checkout.user))
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get()
    assert body["public_id"] == order.public_id
    assert body["number"] == order.number_display
    assert body["status"] == OrderStatus.PAID
    assert body["total"] == {"amount": "26.25", "currency": "USD"}
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [(checkout.variant.sku, 2)]
    assert body["shipping_address"]["line1"] == checkout.address.line1
    assert body["customer_reference"] == "PO-1"
    assert body["url"].endswith(f"/orders/{order.public_id}/")
    assert order.source == "api"


def test_a_replay_with_the_same_key_returns_the_same_order_and_charges_once(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    first = _post(client, _body(checkout))
    second = _post(client, _body(checkout))
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 2


def test_the_same_key_with_a_different_body_is_refused_and_changes_nothing(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    _post(client, _body(checkout, quantity=1))
    response = _post(client, _body(checkout, quantity=3))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_reused"
    assert body["errors"][0]["field"] == "idempotency_key"
    assert Order.objects.get().lines.get().quantity == 1
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 1


def test_the_idempotency_key_is_required(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout), key=None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Order.objects.exists()


def test_a_declined_card_is_a_clear_4xx_with_no_order_and_no_held_stock(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, token="tok_decline"))
    assert response.status_code == 400
    assert response.json()["code"] == "card_declined"
    assert "declined" in response.json()["message"]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_insufficient_funds_is_a_clear_4xx(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, token="tok_insufficient_funds"))
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_funds"
    assert not Order.objects.exists()


def test_a_lost_gateway_answer_is_a_503_and_the_retry_with_the_same_key_charges_once(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    lost = _post(client, _body(checkout, token="tok_network_error"), key="k-lost")
    assert lost.status_code == 503
    assert "not be charged twice" in lost.json()["message"]
    retry = _post(client, _body(checkout, token="tok_network_error"), key="k-lost")
    assert retry.status_code == 201, retry.content
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1
    assert Payment.objects.count() == 1


def test_a_request_lost_on_the_way_is_retried_safely(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    assert _post(client, _body(checkout, token="tok_timeout_then_approve"), key="k2").status_code == 503
    assert _post(client, _body(checkout, token="tok_timeout_then_approve"), key="k2").status_code == 201
    assert TestGatewayCharge.objects.filter(status=TestGatewayCharge.Status.CAPTURED).count() == 1


def test_charge_to_account_within_the_credit_limit(client):
    checkout = make_checkout(has_account_terms=True, credit_limit=Decimal("1000"))
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, kind="account"))
    assert response.status_code == 201
    assert response.json()["status"] == OrderStatus.ON_ACCOUNT


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({}, "account_no_terms"),
        ({"has_account_terms": True, "credit_limit": Decimal("1000"), "credit_hold": True}, "account_credit_hold"),
        ({"has_account_terms": True, "credit_limit": Decimal("10")}, "account_credit_limit"),
    ],
)
def test_charge_to_account_is_refused_with_the_reason(client, terms, code):
    checkout = make_checkout(**terms)
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, kind="account"))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "payment"
    assert not Order.objects.exists()


def test_an_inline_address_is_used_without_changing_the_address_book(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    address = {
        "name": "Dock 4",
        "line1": "9 Port Rd",
        "city": "Chicago",
        "region": "IL",
        "postal_code": "60601",
        "country": "US",
    }
    response = _post(client, _body(checkout, shipping_address=address))
    assert response.status_code == 201, response.content
    assert response.json()["shipping_address"]["line1"] == "9 Port Rd"
    assert Address.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        (
            {
                "shipping_address": {
                    "name": "X",
                    "line1": "1 A St",
                    "city": "C",
                    "region": "IL",
                    "postal_code": "nope",
                    "country": "US",
                }
            },
            400,
            "shipping_address.postal_code",
        ),
        (
            {
                "shipping_address": {
                    "name": "X",
                    "line1": "1 A St",
                    "city": "C",
                    "postal_code": "12345",
                    "country": "ZZ",
                }
            },
            400,
            "shipping_address.country",
        ),
        ({"shipping_method": "teleport"}, 400, "shipping_method"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 400, "lines[0].sku"),
        ({"lines": [{"sku": "X", "quantity": 0}]}, 422, "lines.0.quantity"),
        ({"lines": []}, 400, "lines"),
        ({"payment": {"kind": "cash"}}, 422, "payment.kind"),
        ({"payment": {"kind": "card", "token": ""}}, 400, "payment.token"),
        ({"expected_total": {"amount": "lots", "currency": "USD"}}, 422, "expected_total.amount"),
        ({"expected_total": {"amount": "25.00", "currency": "dollars"}}, 422, "expected_total.currency"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(client, change, status, field):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, **change))
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_another_organizations_address_is_a_404(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, shipping_address={"id": make_address().public_id}))
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "shipping_address.id"
    assert not Order.objects.exists()


def test_more_than_is_available_is_refused(client):
    checkout = make_checkout(stock=3)
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, quantity=4))
    assert 400 <= response.status_code < 500
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_without_lines_the_callers_cart_is_ordered_and_leaves_the_cart(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post(
        "/api/v1/cart/lines",
        data=json.dumps({"sku": checkout.variant.sku, "quantity": 3}),
        content_type="application/json",
    )
    body = _body(checkout)
    del body["lines"]
    response = _post(client, body)
    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["quantity"] == 3
    assert not CartLine.objects.exists()


def test_anonymous_callers_and_users_without_an_organization_cannot_check_out(client):
    checkout = make_checkout()
    assert _post(client, _body(checkout)).status_code == 401
    client.force_login(make_user())
    response = _post(
        client,
        _body(
            checkout,
            shipping_address={
                "name": "X",
                "line1": "1 A St",
                "city": "C",
                "region": "IL",
                "postal_code": "62701",
                "country": "US",
            },
        ),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "checkout_no_organization"
    assert not Order.objects.exists()


def test_a_cart_checkout_replayed_after_it_succeeded_answers_the_same_status_and_body(client):
    # given a buyer who ordered their cart (the order empties it)
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post(
        "/api/v1/cart/lines",
        data=json.dumps({"sku": checkout.variant.sku, "quantity": 2}),
        content_type="application/json",
    )
    body = _body(checkout)
    del body["lines"]
    first = _post(client, body, key="cart-key")
    assert first.status_code == 201, first.content
    # when the same request is sent again (the client never saw the answer), after the order moved on
    Order.objects.update(status=OrderStatus.SHIPPED)
    again = _post(client, body, key="cart-key")
    # then it gets the first answer again: the same status code and the same body, and nothing more happens
    assert again.status_code == 201, again.content
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1


def test_a_cart_checkout_replayed_with_a_different_body_is_refused(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post(
        "/api/v1/cart/lines",
        data=json.dumps({"sku": checkout.variant.sku, "quantity": 2}),
        content_type="application/json",
    )
    body = _body(checkout)
    del body["lines"]
    assert _post(client, body, key="cart-key").status_code == 201
    response = _post(client, {**body, "customer_reference": "PO-2"}, key="cart-key")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_twins_get_one_201_and_all_the_same_body(on_postgres, transactional_db):
    threads = 4
    # given a buyer with a token (separate connections need committed data)
    checkout = make_checkout()
    raw = token_create(user=checkout.user)
    barrier = threading.Barrier(threads)
    results = []

    def submit():
        try:
            barrier.wait()
            results.append(_post(Client(), _body(checkout), key="twins", auth=raw))
        finally:
            connection.close()

    # when the same submission arrives several times at the same moment
    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # then every answer is the first one: the same status code and body (the paid order), one order, one charge
    assert [r.status_code for r in results] == [201] * threads, [r.content for r in results]
    assert len({r.content for r in results}) == 1
    assert results[0].json()["status"] == OrderStatus.PAID
    assert sum(1 for r in results if r.has_header("Idempotent-Replayed")) == threads - 1
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1


def test_an_expected_total_that_no_longer_holds_is_a_409_with_the_new_figures_and_changes_nothing(client):
    # given the buyer saw 2 x $10.00 + $5.00 shipping = $25.00, then the price went up to $12.00
    checkout = make_checkout()
    client.force_login(checkout.user)
    Price.objects.filter(variant=checkout.variant).update(amount=Decimal("12.00"))
    # when they check out expecting $25.00
    response = _post(client, _body(checkout, expected_total={"amount": "25.00", "currency": "USD"}), key="k-exp")
    # then it is refused with the new figures, and nothing is held or charged
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "price_changed"
    assert body["errors"][0]["field"] == "expected_total"
    assert body["quote"]["total"] == {"amount": "29.00", "currency": "USD"}
    assert body["quote"]["subtotal"] == {"amount": "24.00", "currency": "USD"}
    assert body["quote"]["lines"][0]["unit_price"] == {"amount": "12.00", "currency": "USD"}
    assert not Order.objects.exists() and not TestGatewayCharge.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    # and accepting the new total with the same key places the order
    accepted = _post(client, _body(checkout, expected_total={"amount": "29.00", "currency": "USD"}), key="k-exp")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["total"] == {"amount": "29.00", "currency": "USD"}


def test_a_matching_expected_total_places_the_order(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = _post(client, _body(checkout, expected_total={"amount": "25.00", "currency": "USD"}))
    assert response.status_code == 201, response.content
