"""Ordering faster: the store's pages say how a variant is sold (packs, a minimum) and refuse other quantities with
the reason, and a customer with contract prices sees them beside the list price on product cards and cart lines."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import CartLine
from autosales.core import clock
from autosales.pricing.models import Price, PriceList
from autosales.recurring.models import StandingOrder
from tests.factories import make_category, make_checkout, make_product, standing_order_form

pytestmark = pytest.mark.django_db

PAIR = r'list <s>\$13\.99</s></span> · <span class="your-price">your price <strong>{}\$11\.89</strong>'


@pytest.fixture
def buyer(client):
    """A signed-in business buyer and LED-A19-9W, sold in packs of 12, at least 24."""
    checkout = make_checkout(stock=500, price="13.99", has_account_terms=True, credit_limit="100000")
    checkout.variant.sku, checkout.variant.pack_size, checkout.variant.min_quantity = "LED-A19-9W", 12, 24
    checkout.variant.save()
    client.force_login(checkout.user)
    return checkout


def _cart(checkout) -> dict:
    return dict(CartLine.objects.filter(cart__user=checkout.user).values_list("variant__sku", "quantity"))


def _contract(checkout, variant=None, amount="11.89"):
    special, _ = PriceList.objects.get_or_create(name="Contract", currency="USD")
    special.organizations.add(checkout.organization)
    Price.objects.create(price_list=special, variant=variant or checkout.variant, amount=Decimal(amount))


def test_the_product_page_says_how_the_variant_is_sold_and_starts_at_the_least_quantity(client, buyer):
    html = client.get(f"/p/{buyer.product.slug}/").content.decode()
    assert "Sold in packs of 12 · Minimum order 24" in html
    field = re.search(r'<input id="qty-1"[^>]*>', html, re.S).group(0)
    assert 'min="24"' in field and 'step="12"' in field and 'value="24"' in field
    # a variant sold one unit at a time says nothing and starts at 1
    plain = make_product()
    html = client.get(f"/p/{plain.slug}/").content.decode()
    field = re.search(r'<input id="qty-1"[^>]*>', html, re.S).group(0)
    assert "Sold in packs" not in html and 'step="1"' in field and 'value="1"' in field


def test_the_variant_table_and_quick_order_refuse_a_quantity_between_packs(client, buyer):
    response = client.post("/cart/add-many/", {"sku": ["LED-A19-9W"], "quantity": ["30"]})
    assert response.status_code == 400
    assert "LED-A19-9W is sold in packs of 12: 24 or 36, not 30" in response.content.decode()
    response = client.post("/quick-order/", {"lines": "LED-A19-9W 30"})
    assert response.status_code == 400
    assert "LED-A19-9W is sold in packs of 12: 24 or 36, not 30" in response.content.decode()
    checked = client.post("/quick-order/check/", {"lines": "LED-A19-9W 12"})
    assert checked.status_code == 400
    assert checked.json()["lines"][0]["error"] == "Quantity: LED-A19-9W has a minimum order of 24, not 12."
    assert _cart(buyer) == {}
    assert client.post("/quick-order/", {"lines": "LED-A19-9W 36"}).status_code == 302
    assert _cart(buyer) == {"LED-A19-9W": 36}


def test_the_cart_page_refuses_an_update_between_packs_and_says_how_the_line_is_sold(client, buyer):
    assert client.post("/cart/add/", {"sku": "LED-A19-9W", "quantity": "30"}).status_code == 400
    client.post("/cart/add/", {"sku": "LED-A19-9W", "quantity": "24"})
    response = client.post("/cart/lines/LED-A19-9W/", {"quantity": "30"})
    assert response.status_code == 400
    assert "LED-A19-9W is sold in packs of 12: 24 or 36, not 30." in response.content.decode()
    assert _cart(buyer) == {"LED-A19-9W": 24}
    html = client.get("/cart/").content.decode()
    assert "Sold in packs of 12 · Minimum order 24" in html
    assert re.search(r'name="quantity" value="24" min="0" step="12"', html)


def test_a_standing_order_row_between_packs_is_refused_on_its_row(client, buyer):
    clock.set_now(dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC))
    try:
        response = client.post("/standing-orders/new/", standing_order_form(buyer, quantity=["1000"]))
        assert response.status_code == 400
        assert "LED-A19-9W is sold in packs of 12: 996 or 1,008, not 1,000." in response.content.decode()
        assert not StandingOrder.objects.exists()
        assert client.post("/standing-orders/new/", standing_order_form(buyer, quantity=["1008"])).status_code == 302
    finally:
        clock.reset()


def test_contract_prices_show_beside_the_list_price_on_cards_and_cart_lines(client, buyer):
    _contract(buyer)
    html = client.get(f"/c/{buyer.product.category.slug}/").content.decode()
    assert re.search(PAIR.format(""), html)
    client.post("/cart/add/", {"sku": "LED-A19-9W", "quantity": "24"})
    assert re.search(PAIR.format(""), client.get("/cart/").content.decode())
    # a card of several prices starts "from" the customer's own
    several = make_product(category=make_category(slug="tubes"), variants=2, price="13.99")
    cheap, dear = several.variants.order_by("position")
    Price.objects.filter(variant=dear).update(amount=Decimal("15.00"))
    _contract(buyer, variant=cheap)
    assert re.search(PAIR.format("from "), client.get("/c/tubes/").content.decode())


def test_a_customer_without_contract_prices_sees_one_price_on_cards_and_cart_lines(client, buyer):
    html = client.get(f"/c/{buyer.product.category.slug}/").content.decode()
    assert "$13.99" in html and "your price" not in html
    client.post("/cart/add/", {"sku": "LED-A19-9W", "quantity": "24"})
    assert "your price" not in client.get("/cart/").content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_contract_prices_on_cards_and_cart_lines_take_no_query_per_row(client, buyer):
    # given a customer with contract prices, a category of 2 products and a cart of 2 lines
    category = make_category(slug="lamps")
    products = [make_product(category=category, price="13.99", stock=500) for _ in range(2)]
    for product in products:
        _contract(buyer, variant=product.variants.get())
        client.post("/cart/add/", {"sku": product.variants.get().sku, "quantity": "1"})
    _queries(client, "/cart/")  # a running server has the centers' calendars cached from another page
    # one more unit: the cart's lines changed, so its page reads them again (as after each change below)
    client.post("/cart/add/", {"sku": products[0].variants.get().sku, "quantity": "1"})
    few = (_queries(client, "/c/lamps/"), _queries(client, "/cart/"))
    # when there are 12 of each
    for _ in range(10):
        product = make_product(category=category, price="13.99", stock=500)
        _contract(buyer, variant=product.variants.get())
        client.post("/cart/add/", {"sku": product.variants.get().sku, "quantity": "1"})
    many = (_queries(client, "/c/lamps/"), _queries(client, "/cart/"))
    # then the pages take the same queries, and show the pair on every row
    assert many == few
    assert len(re.findall(PAIR.format(""), client.get("/c/lamps/").content.decode())) == 12
    assert len(re.findall(PAIR.format(""), client.get("/cart/").content.decode())) == 12
