from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.cart.models import Cart, CartLine
from autosales.core.cache_versions import PRICES, versions_bump
from autosales.pricing.models import Price
from tests.factories import make_member, make_product

pytestmark = pytest.mark.django_db


def test_a_guest_adds_a_product_from_its_page_and_sees_it_in_the_cart(client):
    # given a product at 4.25 with 8 units
    product = make_product(price="4.25", stock=8)
    variant = product.variants.get()
    # when a guest adds 2 from the product page
    response = client.post("/cart/add/", {"sku": variant.sku, "quantity": "2", "next": f"/products/{product.slug}/"})
    # then they go back to the product page and the cart lists the line with its total
    assert response.status_code == 302
    assert response["Location"] == f"/products/{product.slug}/"
    page = client.get("/cart/")
    html = page.content.decode()
    assert page.status_code == 200
    assert variant.sku in html
    assert "$8.50" in html
    assert 'href="/checkout/"' in html
    assert "Cart (2)" in html


def test_add_refuses_a_link_to_another_site_as_next(client):
    variant = make_product().variants.get()
    response = client.post("/cart/add/", {"sku": variant.sku, "quantity": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/cart/"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("0", "Quantity: Ensure this value is greater than or equal to 1."), ("abc", "Quantity: Enter a whole number.")],
)
def test_a_bad_quantity_is_a_400_naming_the_field_and_adds_nothing(client, quantity, message):
    variant = make_product().variants.get()
    response = client.post("/cart/add/", {"sku": variant.sku, "quantity": quantity})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CartLine.objects.exists()


def test_an_unknown_sku_is_a_404_with_the_reason(client):
    response = client.post("/cart/add/", {"sku": "NOPE", "quantity": "1"})
    assert response.status_code == 404
    assert "No product has the SKU" in response.content.decode()


def test_the_cart_page_changes_quantities_warns_about_stock_and_removes_lines(client):
    variant = make_product(stock=3).variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "1"})
    # when the quantity goes above what is available
    client.post(f"/cart/lines/{variant.sku}/", {"quantity": "5"})
    html = client.get("/cart/").content.decode()
    # then the line warns and the cart cannot be checked out
    assert "Only 3 available" in html
    assert 'href="/checkout/"' not in html
    # when the quantity is lowered, the warning goes away
    client.post(f"/cart/lines/{variant.sku}/", {"quantity": "3"})
    html = client.get("/cart/").content.decode()
    assert "Only 3 available" not in html
    # when removed, the cart is empty
    response = client.post(f"/cart/lines/{variant.sku}/remove/")
    assert response.status_code == 302
    assert "Your cart is empty" in client.get("/cart/").content.decode()


def test_a_negative_quantity_on_the_cart_page_is_a_400_and_changes_nothing(client):
    variant = make_product().variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    response = client.post(f"/cart/lines/{variant.sku}/", {"quantity": "-1"})
    assert response.status_code == 400
    assert "Quantity: Ensure this value is greater than or equal to 0." in response.content.decode()
    assert CartLine.objects.get().quantity == 2


def test_the_cart_pages_only_accept_post_for_changes(client):
    variant = make_product().variants.get()
    assert client.get("/cart/add/").status_code == 405
    assert client.get(f"/cart/lines/{variant.sku}/remove/").status_code == 405


def test_a_guest_cart_survives_sign_in_and_joins_the_account_cart(client):
    # given a guest with 2 units in the cart
    variant = make_product().variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    buyer = make_member(username="merger", password="s3cret-pass")
    # when they sign in on the sign-in page
    response = client.post(reverse("storefront:signin"), {"username": "merger", "password": "s3cret-pass"})
    assert response.status_code == 302
    # then their account cart holds the 2 units
    cart = Cart.objects.get(user=buyer)
    assert cart.lines.get().quantity == 2
    assert "Cart (2)" in client.get("/cart/").content.decode()


def _cart_page_queries(client, lines: int) -> int:
    client.force_login(make_member())
    for _ in range(lines):
        client.post("/cart/add/", {"sku": make_product().variants.get().sku, "quantity": "1"})
    client.get("/cart/")  # warm, as on a running server (the centers' calendars, the cheapest shipping method)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cart/").status_code == 200
    client.logout()
    return len(queries)


def test_the_cart_page_query_count_does_not_grow_with_the_lines(client):
    assert _cart_page_queries(client, 3) == _cart_page_queries(client, 30)


def test_the_cart_page_shows_which_prices_changed_since_they_were_added(client):
    # given a line added at 4.25
    variant = make_product(price="4.25", stock=8).variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    assert "Price changed" not in client.get("/cart/").content.decode()
    # when its price goes up
    Price.objects.filter(variant=variant).update(amount=Decimal("4.75"))
    versions_bump(PRICES)  # as the price admin and the price import do
    html = client.get("/cart/").content.decode()
    # then the cart says so, with the old and the new price
    assert "Price changed" in html
    assert "$4.25" in html and "$4.75" in html
