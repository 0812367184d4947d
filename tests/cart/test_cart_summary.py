from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import Cart
from autosales.cart.selectors import cart_item_count, cart_summary
from autosales.cart.services import cart_add, cart_set_quantity
from autosales.core.money import Money
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price, PriceList
from tests.factories import make_organization, make_product

pytestmark = pytest.mark.django_db


def test_cart_summary_prices_lines_and_adds_up_the_subtotal():
    # given two variants at list price 9.99 and 2.50
    cart = Cart.objects.create()
    bulb = make_product(price="9.99").variants.get()
    socket = make_product(price="2.50").variants.get()
    cart_add(cart=cart, variant=bulb, quantity=3)
    cart_add(cart=cart, variant=socket, quantity=2)
    # when the cart is summed up for a guest
    summary = cart_summary(cart=cart, organization=None)
    # then each line has its unit price and total, and the subtotal is their sum
    assert [(line.sku, line.unit_price, line.line_total) for line in summary.lines] == [
        (bulb.sku, Money("9.99", "USD"), Money("29.97", "USD")),
        (socket.sku, Money("2.50", "USD"), Money("5.00", "USD")),
    ]
    assert summary.subtotal == Money("34.97", "USD")
    assert summary.item_count == 5
    assert summary.can_check_out
    assert summary.warnings == []


def test_cart_summary_uses_the_organizations_price_list():
    # given an organization with a special price for the bulb
    organization = make_organization()
    bulb = make_product(price="9.99").variants.get()
    special = PriceList.objects.create(name="Acme specials")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=bulb, amount=Decimal("7.50"))
    cart = Cart.objects.create()
    cart_add(cart=cart, variant=bulb, quantity=2)
    # then the organization pays its price, a guest the list price
    assert cart_summary(cart=cart, organization=organization).subtotal == Money("15.00", "USD")
    assert cart_summary(cart=cart, organization=None).subtotal == Money("19.98", "USD")


def test_cart_summary_warns_when_the_quantity_is_more_than_is_available():
    # given 4 units on hand, 1 of them promised to another order
    bulb = make_product(stock=4).variants.get()
    StockLevel.objects.filter(variant=bulb).update(allocated=1)
    cart = Cart.objects.create()
    cart_add(cart=cart, variant=bulb, quantity=5)
    # when summed up
    summary = cart_summary(cart=cart, organization=None)
    # then the line says how many can be had and the cart cannot be checked out
    line = summary.lines[0]
    assert line.available == 3
    assert "Only 3 available" in line.warning
    assert not summary.can_check_out
    assert summary.warnings == [f"{bulb.sku}: {line.warning}"]


def test_cart_summary_warns_about_out_of_stock_and_unsold_variants():
    gone = make_product(stock=0).variants.get()
    retired = make_product().variants.get()
    cart = Cart.objects.create()
    cart_add(cart=cart, variant=gone, quantity=1)
    cart_add(cart=cart, variant=retired, quantity=1)
    retired.is_active = False
    retired.save()
    warnings = [line.warning for line in cart_summary(cart=cart, organization=None).lines]
    assert warnings[0].startswith("Out of stock")
    assert warnings[1].startswith("No longer sold")


def test_cart_summary_of_no_cart_is_empty_and_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        summary = cart_summary(cart=None, organization=None)
    assert summary.is_empty
    assert summary.subtotal == Money("0", "USD")
    assert not summary.can_check_out


def _queries_for_summary(lines: int, organization) -> int:
    cart = Cart.objects.create()
    for product in [make_product() for _ in range(lines)]:
        cart_add(cart=cart, variant=product.variants.get(), quantity=1)
    with CaptureQueriesContext(connection) as queries:
        summary = cart_summary(cart=cart, organization=organization)
        assert len(summary.lines) == lines
        for line in summary.lines:
            assert line.product.name and line.unit_price is not None
    return len(queries)


def test_cart_summary_query_count_does_not_grow_with_the_lines():
    organization = make_organization()
    assert _queries_for_summary(3, organization) == _queries_for_summary(30, organization)


def test_cart_item_count_counts_units():
    cart = Cart.objects.create()
    cart_add(cart=cart, variant=make_product().variants.get(), quantity=4)
    cart_add(cart=cart, variant=make_product().variants.get(), quantity=2)
    assert cart_item_count(cart=cart) == 6
    assert cart_item_count(cart=None) == 0


def test_cart_summary_says_which_prices_changed_since_the_lines_were_added():
    # given two lines added at 9.99 and 2.50
    cart = Cart.objects.create()
    bulb = make_product(price="9.99").variants.get()
    socket = make_product(price="2.50").variants.get()
    cart_add(cart=cart, variant=bulb, quantity=1)
    cart_add(cart=cart, variant=socket, quantity=1)
    # when the bulb's price goes up
    Price.objects.filter(variant=bulb).update(amount=Decimal("11.49"))
    summary = cart_summary(cart=cart, organization=None)
    # then that line shows the price it was added at and the price now, and the other does not
    changed, same = summary.lines
    assert (changed.price_seen, changed.unit_price, changed.price_changed) == (
        Money("9.99", "USD"),
        Money("11.49", "USD"),
        True,
    )
    assert not same.price_changed
    assert summary.price_changes == [changed]
    # and setting the line's quantity again is seeing the new price
    cart_set_quantity(cart=cart, variant=bulb, quantity=2)
    assert cart_summary(cart=cart, organization=None).price_changes == []
