"""Backorders from the cart (Product.allows_backorder): the cart, checkout, confirmation page and email say what
ships now and what later; a product that does not allow it stays a stop at "Only N available"."""

import re

import pytest

from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderEvent
from tests.factories import make_checkout

pytestmark = pytest.mark.django_db


def _checkout_to_review(client, checkout):
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_approve", "customer_reference": ""})
    return client.get("/checkout/review/")


def test_a_product_that_may_be_backordered_is_ordered_beyond_its_stock_and_the_customer_is_told(client, smtp_server):
    # given a product with 3 in stock that may be backordered, and a buyer who wants 5
    checkout = make_checkout(stock=3)
    checkout.product.allows_backorder = True
    checkout.product.save()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "5"})

    # then the cart lets them check out and says what ships when
    cart = client.get("/cart/").content.decode()
    assert "3 ship now; 2 backordered: ship when stock arrives." in cart
    assert "Check out" in cart and "Only 3 available" not in cart
    assert "2 backordered" in client.get("/checkout/address/").content.decode()

    # and the review says so too
    review = _checkout_to_review(client, checkout)
    assert f"Backordered: 2 × {checkout.variant.sku}." in review.content.decode()

    # when they confirm
    confirm = re.search(r'name="confirm" value="([^"]+)"', review.content.decode()).group(1)
    placed = client.post("/checkout/confirm/", {"confirm": confirm})
    assert placed.status_code == 302, placed.content.decode()[:800]

    # then the order holds 3 allocated units and 2 backordered, and the confirmation page and email say it
    order = Order.objects.get(organization=checkout.organization)
    line = order.lines.get()
    assert (line.quantity, line.quantity_backordered) == (5, 2)
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 3
    assert order.events.filter(kind=OrderEvent.Kind.BACKORDERED).exists()
    assert "2 backordered: ship when stock arrives" in client.get(placed["Location"]).content.decode()
    [message] = [m for m in smtp_server.deliver() if m["To"] == checkout.user.email]
    assert "2 backordered: ships when stock arrives" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_product_that_may_not_be_backordered_still_stops_at_the_stock(client):
    checkout = make_checkout(stock=3)
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "5"})
    assert "Only 3 available" in client.get("/cart/").content.decode()
    response = client.get("/checkout/", follow=True)
    assert response.redirect_chain[-1][0] == "/cart/"


def test_stock_gone_from_another_product_between_review_and_confirm_is_refused_not_backordered(client):
    # given a reviewed order of a backorderable product and an ordinary one
    from tests.factories import make_product

    checkout = make_checkout(stock=3)
    checkout.product.allows_backorder = True
    checkout.product.save()
    ordinary = make_product(stock=2).variants.get()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "5"})
    client.post("/cart/add/", {"sku": ordinary.sku, "quantity": "2"})
    review = _checkout_to_review(client, checkout)
    confirm = re.search(r'name="confirm" value="([^"]+)"', review.content.decode()).group(1)

    # when the ordinary product sells out meanwhile
    StockLevel.objects.filter(variant=ordinary).update(on_hand=1)
    response = client.post("/checkout/confirm/", {"confirm": confirm}, follow=True)

    # then nothing is placed, and the cart names the shortage
    assert response.redirect_chain[-1][0] == "/cart/"
    assert f"{ordinary.sku}: 1 available, 2 requested" in response.content.decode()
    assert not Order.objects.filter(organization=checkout.organization).exclude(status="pending_payment").exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
