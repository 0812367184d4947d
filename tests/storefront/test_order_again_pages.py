"""Order again (checkout/reorder.py and its page): a past order's lines back into the cart at today's prices, with
what changed since; the history's PO column and filter."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import CartLine
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price
from tests.factories import make_checkout, make_product, place_test_order

pytestmark = pytest.mark.django_db


def _cart(checkout) -> dict:
    return dict(CartLine.objects.filter(cart__user=checkout.user).values_list("variant__sku", "quantity"))


@pytest.fixture
def past_order():
    """An order of four lines: one whose price rose since, one with less stock now, one no longer sold, one unchanged."""
    checkout = make_checkout(stock=100)
    dearer, scarce, retired = (make_product(stock=100, price="5.00") for _ in range(3))
    lines = {checkout.variant: 2, dearer.variants.get(): 3, scarce.variants.get(): 10, retired.variants.get(): 1}
    order = place_test_order(
        checkout,
        lines=[_line(variant, quantity) for variant, quantity in lines.items()],
        customer_reference="PO-7781",
    )
    Price.objects.filter(variant=dearer.variants.get()).update(amount=Decimal("6.50"))
    StockLevel.objects.filter(variant=scarce.variants.get()).update(on_hand=14, allocated=10)
    retired.is_active = False
    retired.save()
    return checkout, order, dearer.variants.get(), scarce.variants.get(), retired.variants.get()


def _line(variant, quantity):
    from autosales.checkout.placement import LineRequest

    return LineRequest(variant_id=variant.pk, quantity=quantity)


def test_the_preview_shows_what_changed_since_the_order(client, past_order):
    checkout, order, *_ = past_order
    client.force_login(checkout.user)
    html = client.get(f"/orders/{order.public_id}/order-again/").content.decode()
    assert "Price now $6.50, was $5.00." in html
    assert "Only 4 of 10 available; 4 added." in html
    assert "No longer sold." in html
    assert "Add 3 lines to the cart" in html
    assert _cart(checkout) == {}


def test_ordering_again_adds_what_can_be_bought_and_says_what_changed(client, past_order):
    checkout, order, dearer, scarce, retired = past_order
    client.force_login(checkout.user)
    response = client.post(f"/orders/{order.public_id}/order-again/", follow=True)
    html = response.content.decode()
    assert _cart(checkout) == {checkout.variant.sku: 2, dearer.sku: 3, scarce.sku: 4}
    assert f"Added 3 lines of order {order.number_display} to the cart." in html
    assert f"{retired.sku} (not added): No longer sold." in html
    assert f"{dearer.sku} (added): Price now $6.50, was $5.00." in html


def test_a_backorderable_product_is_added_in_full(client):
    checkout = make_checkout(stock=10)
    order = place_test_order(checkout, quantity=8)
    checkout.product.allows_backorder = True
    checkout.product.save()
    client.force_login(checkout.user)
    html = client.get(f"/orders/{order.public_id}/order-again/").content.decode()
    assert "6 backordered: shipped when stock arrives." in html
    client.post(f"/orders/{order.public_id}/order-again/")
    assert _cart(checkout) == {checkout.variant.sku: 8}


def test_another_organizations_order_cannot_be_ordered_again(client):
    theirs = place_test_order(make_checkout())
    mine = make_checkout()
    client.force_login(mine.user)
    assert client.get(f"/orders/{theirs.public_id}/order-again/").status_code == 404
    assert client.post(f"/orders/{theirs.public_id}/order-again/").status_code == 404
    assert _cart(mine) == {}


def _preview_queries(client, lines: int) -> int:
    checkout = make_checkout(stock=100)
    variants = [checkout.variant] + [make_product(stock=100).variants.get() for _ in range(lines - 1)]
    order = place_test_order(checkout, lines=[_line(v, 1) for v in variants])
    client.force_login(checkout.user)
    client.get(f"/orders/{order.public_id}/order-again/")
    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/orders/{order.public_id}/order-again/").status_code == 200
    client.post(f"/orders/{order.public_id}/order-again/")
    CartLine.objects.all().delete()
    with CaptureQueriesContext(connection) as adding:
        assert client.post(f"/orders/{order.public_id}/order-again/").status_code == 302
    return len(page), len(adding)


def test_order_again_takes_the_same_queries_whatever_the_number_of_lines(client):
    small = _preview_queries(client, 2)
    assert _preview_queries(client, 15) == small
    assert max(small) <= 12


def test_the_history_shows_and_filters_by_po_number(client):
    checkout = make_checkout(stock=100)
    tagged = place_test_order(checkout, customer_reference="PO-2026-114")
    other = place_test_order(checkout, customer_reference="PO-9")
    client.force_login(checkout.user)
    html = client.get("/orders/").content.decode()
    assert '<td class="po">PO-2026-114</td>' in html and "Order again" in html
    html = client.get("/orders/?po=2026-1").content.decode()
    assert tagged.number_display in html and other.number_display not in html


def test_an_order_with_nothing_left_to_buy_adds_nothing_and_says_so(client):
    checkout = make_checkout(stock=5)
    order = place_test_order(checkout, quantity=1)
    checkout.product.is_active = False
    checkout.product.save()
    client.force_login(checkout.user)
    response = client.post(f"/orders/{order.public_id}/order-again/", follow=True)
    assert "Nothing from this order can be ordered now." in response.content.decode()
    assert not CartLine.objects.exists()


def test_a_line_that_is_not_whole_packs_any_more_is_rounded_down_to_them(client):
    # given an order of 30 and of 5 units, then both variants sold in packs of 12
    checkout = make_checkout(stock=100)
    small = make_product(stock=100).variants.get()
    order = place_test_order(checkout, lines=[_line(checkout.variant, 30), _line(small, 5)])
    for variant in (checkout.variant, small):
        variant.pack_size = 12
        variant.save()
    client.force_login(checkout.user)
    # when the buyer orders it again
    html = client.get(f"/orders/{order.public_id}/order-again/").content.decode()
    client.post(f"/orders/{order.public_id}/order-again/")
    # then the 30 become two packs, and the 5 (less than a pack) are left out, each saying why
    assert f"{checkout.variant.sku} is sold in packs of 12: 24 or 36, not 30. 24 added." in html
    assert f"{small.sku} is sold in packs of 12: 12, not 5." in html
    assert _cart(checkout) == {checkout.variant.sku: 24}
