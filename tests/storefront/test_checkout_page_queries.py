"""Each checkout page costs a fixed number of queries (at most 12, docs/DESIGN.md), the same for a cart of one
line as for a cart of ten: address, shipping, payment, review, and the confirmation page the Confirm button
lands on. (Queries of a test database: SQLite's savepoints included.)"""

import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.orders.models import Order
from tests.factories import make_checkout, make_product, make_shipping_method, make_tax_rate

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def _cart(client, checkout, *, lines: int):
    client.force_login(checkout.user)
    skus = [checkout.variant.sku] + [make_product(price="2.50", stock=100).variants.get().sku for _ in range(lines - 1)]
    for sku in skus:
        client.post("/cart/add/", {"sku": sku, "quantity": "2"})


def _counted(client, method: str, path: str, data=None):
    getattr(client, method)(path, data)  # warm: what a running server has cached (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data)
    return response, queries


def _queries_per_step(client, checkout, *, lines: int) -> dict[str, int]:
    _cart(client, checkout, lines=lines)
    counts = {}
    response, queries = _counted(client, "get", "/checkout/address/")
    assert response.status_code == 200
    counts["address"] = len(queries)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    response, queries = _counted(client, "get", "/checkout/shipping/")
    assert response.status_code == 200
    counts["shipping"] = len(queries)
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    response, queries = _counted(client, "get", "/checkout/payment/")
    assert response.status_code == 200
    counts["payment"] = len(queries)
    client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_approve", "customer_reference": ""})
    review, queries = _counted(client, "get", "/checkout/review/")
    assert review.status_code == 200
    counts["review"] = len(queries)
    confirm = re.search(r'name="confirm" value="([^"]+)"', review.content.decode()).group(1)
    with CaptureQueriesContext(connection) as queries:
        placed = client.post("/checkout/confirm/", {"confirm": confirm})
    assert placed.status_code == 302, placed.content.decode()
    # Placing the order is held by the checkout's own budget (tests/checkout/test_statement_budget.py); here
    # only that it does not grow with the cart.
    placing = len(queries)
    response, queries = _counted(client, "get", placed["Location"])
    assert response.status_code == 200
    counts["confirmation"] = len(queries)
    return counts, placing


def test_every_checkout_page_costs_at_most_12_queries_whatever_the_cart(client):
    # given a buyer with two shipping methods to choose from and a tax rate for the destination
    checkout = make_checkout()
    make_shipping_method(name="Express", base_rate=Decimal("15.00"))
    make_tax_rate(country="US", region="IL", rate_percent="6.25")
    ContentType.objects.get_for_model(Order)  # cached for good by a running server

    # when they check out a cart of one line, then a cart of ten
    one, placing_one = _queries_per_step(client, checkout, lines=1)
    ten, placing_ten = _queries_per_step(client, checkout, lines=10)

    # then every page costs at most 12 queries, the same for both carts, and so does placing the order
    assert Order.objects.count() == 2
    assert all(count <= MAX_QUERIES for count in one.values()), one
    assert ten == one
    assert placing_ten == placing_one


def test_the_address_page_shows_the_new_address_form_only_when_asked(client):
    # given a buyer with an address book
    checkout = make_checkout()
    _cart(client, checkout, lines=1)

    # when the address page opens: the saved addresses, and a link to a new one instead of its form
    page = client.get("/checkout/address/").content.decode()
    assert checkout.address.public_id in page
    assert 'name="new-country"' not in page and "?new=1" in page

    # when the buyer follows the link, the form is there, chosen
    page = client.get("/checkout/address/?new=1").content.decode()
    assert 'name="new-country"' in page and 'value="new" checked' in page
