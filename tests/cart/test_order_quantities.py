"""Minimum orders and pack sizes (catalog Variant.min_quantity, pack_size): one rule, cart/services.py
order_quantity_problem, that the cart, quick order and the cart summary all apply."""

import pytest

from autosales.cart.models import Cart, CartLine
from autosales.cart.quick_order import quick_order_add, quick_order_text_check
from autosales.cart.selectors import cart_summary
from autosales.cart.services import (
    cart_add,
    cart_set_quantity,
    order_quantity_at_most,
    order_quantity_check,
    order_quantity_problem,
)
from autosales.core.errors import DomainError
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def _variant(*, min_quantity=1, pack_size=1, sku="LED-A19-9W", stock=500):
    variant = make_product(stock=stock).variants.get()
    variant.sku, variant.min_quantity, variant.pack_size = sku, min_quantity, pack_size
    variant.save()
    return variant


def test_a_quantity_must_be_whole_packs_at_or_above_the_minimum():
    # given a variant sold in packs of 12, at least two packs
    variant = _variant(pack_size=12, min_quantity=24)
    # then whole packs from the minimum up are fine
    assert [order_quantity_problem(variant=variant, quantity=q) for q in (24, 36, 1200)] == ["", "", ""]
    # and the reason for anything else names the SKU and the quantities that are
    assert (
        order_quantity_problem(variant=variant, quantity=30) == "LED-A19-9W is sold in packs of 12: 24 or 36, not 30."
    )
    assert order_quantity_problem(variant=variant, quantity=12) == "LED-A19-9W has a minimum order of 24, not 12."
    assert (
        order_quantity_problem(variant=variant, quantity=40) == "LED-A19-9W is sold in packs of 12: 36 or 48, not 40."
    )


def test_a_minimum_that_is_not_whole_packs_names_the_least_that_can_be_ordered():
    variant = _variant(pack_size=12, min_quantity=20)
    assert variant.least_quantity == 24
    assert order_quantity_problem(variant=variant, quantity=12) == (
        "LED-A19-9W has a minimum order of 20 (24 in packs of 12), not 12."
    )
    # below the first pack there is one choice only
    assert (
        order_quantity_problem(variant=variant, quantity=30) == "LED-A19-9W is sold in packs of 12: 24 or 36, not 30."
    )
    assert order_quantity_problem(variant=_variant(pack_size=12, sku="P-12"), quantity=5) == (
        "P-12 is sold in packs of 12: 12, not 5."
    )


def test_a_variant_without_rules_takes_any_quantity():
    variant = _variant()
    assert not variant.has_quantity_rule
    assert order_quantity_problem(variant=variant, quantity=7) == ""


def test_the_check_raises_with_the_field_it_is_given():
    variant = _variant(pack_size=12)
    with pytest.raises(DomainError) as caught:
        order_quantity_check(variant=variant, quantity=30, field="lines[0].quantity")
    assert caught.value.code == "quantity_not_orderable"
    assert caught.value.field == "lines[0].quantity"
    assert caught.value.status == 400


def test_cart_add_refuses_a_quantity_outside_the_packs_and_changes_nothing():
    cart = Cart.objects.create()
    variant = _variant(pack_size=12, min_quantity=24)
    for quantity in (12, 30):
        with pytest.raises(DomainError) as caught:
            cart_add(cart=cart, variant=variant, quantity=quantity)
        assert caught.value.field == "quantity"
    assert not CartLine.objects.exists()
    # a whole line of packs, then one more pack added to it, are fine
    cart_add(cart=cart, variant=variant, quantity=24)
    assert cart_add(cart=cart, variant=variant, quantity=12).quantity == 36
    # an add that would leave the line between packs is refused and leaves the line as it was
    with pytest.raises(DomainError):
        cart_add(cart=cart, variant=variant, quantity=6)
    assert CartLine.objects.get().quantity == 36


def test_cart_set_quantity_refuses_a_quantity_outside_the_packs_and_keeps_the_line():
    cart = Cart.objects.create()
    variant = _variant(pack_size=12, min_quantity=24)
    cart_add(cart=cart, variant=variant, quantity=24)
    with pytest.raises(DomainError) as caught:
        cart_set_quantity(cart=cart, variant=variant, quantity=30)
    assert "24 or 36, not 30" in caught.value.message
    with pytest.raises(DomainError):
        cart_set_quantity(cart=cart, variant=variant, quantity=12)
    assert CartLine.objects.get().quantity == 24
    assert cart_set_quantity(cart=cart, variant=variant, quantity=48).quantity == 48
    # 0 still removes the line
    assert cart_set_quantity(cart=cart, variant=variant, quantity=0) is None


def test_quick_order_names_the_line_whose_quantity_is_not_whole_packs_and_adds_nothing():
    cart = Cart.objects.create()
    _variant(pack_size=12)
    other = make_product().variants.get()
    checked = quick_order_add(cart=cart, text=f"{other.sku} 3\nled-a19-9w 30\n", organization=None)
    assert not checked.added
    assert checked.errors == ["Line 2 (led-a19-9w 30): Quantity: LED-A19-9W is sold in packs of 12: 24 or 36, not 30."]
    assert not CartLine.objects.exists()


def test_quick_order_counts_the_cart_and_earlier_lines_toward_the_packs():
    cart = Cart.objects.create()
    variant = _variant(pack_size=12, min_quantity=24)
    cart_add(cart=cart, variant=variant, quantity=24)
    # one more pack joins the cart's line; half a pack on a later line would leave it between packs
    checked = quick_order_text_check(text="LED-A19-9W 12\nLED-A19-9W 6", cart=cart, organization=None)
    assert [line.error for line in checked.lines] == [
        "",
        "Quantity: LED-A19-9W is sold in packs of 12: 36 or 48, not 42 (36 already in your cart or on an earlier line).",
    ]
    # a first line below the minimum is refused even when a later line would make it up
    fresh = Cart.objects.create()
    checked = quick_order_add(cart=fresh, text="LED-A19-9W 12\nLED-A19-9W 12", organization=None)
    assert "minimum order of 24, not 12" in checked.lines[0].error
    assert not fresh.lines.exists()
    added = quick_order_add(cart=fresh, text="LED-A19-9W 24\nLED-A19-9W 12", organization=None)
    assert added.ok and fresh.lines.get().quantity == 36


def test_a_cart_line_from_before_the_pack_size_is_warned_about_and_blocks_checkout():
    # given a line of 30 added while the variant was sold by the unit
    cart = Cart.objects.create()
    variant = _variant()
    cart_add(cart=cart, variant=variant, quantity=30)
    # when the variant becomes sold in packs of 12
    variant.pack_size = 12
    variant.save()
    summary = cart_summary(cart=cart, organization=None)
    # then the cart says why, and cannot be checked out as it is
    assert summary.lines[0].warning == "LED-A19-9W is sold in packs of 12: 24 or 36, not 30."
    assert not summary.can_check_out


def test_the_most_that_can_be_ordered_up_to_a_quantity_is_whole_packs_from_the_minimum():
    variant = _variant(pack_size=12, min_quantity=20)
    assert [order_quantity_at_most(variant=variant, quantity=q) for q in (5, 23, 24, 30, 36, 47)] == [
        0,
        0,
        24,
        24,
        36,
        36,
    ]
