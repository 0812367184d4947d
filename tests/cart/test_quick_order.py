"""cart/quick_order.py: lines read, checked and added all or nothing, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import CartLine
from autosales.cart.quick_order import (
    MAX_LINES,
    quick_order_add,
    quick_order_csv_text,
    quick_order_parse,
    quick_order_text_check,
)
from autosales.cart.services import cart_add, cart_get_or_create
from autosales.core.errors import DomainError
from autosales.pricing.models import Price, PriceList
from tests.factories import make_member, make_organization, make_product

pytestmark = pytest.mark.django_db


def test_lines_are_read_with_any_separator_and_a_header_and_blank_lines_are_skipped():
    lines, error = quick_order_parse("sku,quantity\nA-1 3\n\nB-2\t12\nC-3, 7\nD-4;2\nE-5\n")
    assert error == ""
    assert [(line.number, line.sku, line.quantity) for line in lines] == [
        (2, "A-1", 3),
        (4, "B-2", 12),
        (5, "C-3", 7),
        (6, "D-4", 2),
        (7, "E-5", 1),
    ]


def test_unreadable_lines_carry_their_reason():
    lines, error = quick_order_parse("A-1 three\nB-2 1 2\nC-3, 1,000\n")
    assert error == ""
    assert [line.error for line in lines] == [
        "Quantity: 'three' is not a whole number.",
        "Write the SKU, then the quantity, and nothing else.",
        "Quantity: write 1000 without a thousands separator.",
    ]


def test_empty_or_oversized_input_is_one_error():
    assert quick_order_parse(" \n\n")[1] == "Lines: enter at least one SKU and quantity."
    assert "at most" in quick_order_parse("\n".join(f"S-{i} 1" for i in range(MAX_LINES + 1)))[1]
    assert "NUL" in quick_order_parse("A-1 1\x00")[1]


def test_a_csv_file_in_utf8_with_a_mark_or_in_windows_1252_is_read_and_a_binary_file_refused():
    assert quick_order_csv_text("\ufeffSKU,Qty\nA-1,2\n".encode()) == "SKU,Qty\nA-1,2\n"
    assert quick_order_csv_text("A-1,2,Lampe à café\n".encode("cp1252")).startswith("A-1,2")
    with pytest.raises(DomainError) as caught:
        quick_order_csv_text(b"\x00\x01\x02")
    assert caught.value.field == "file"


def _buyer():
    organization = make_organization()
    user = make_member(organization=organization)
    return organization, cart_get_or_create(user=user, organization=organization)


def test_each_line_is_checked_against_catalog_prices_and_stock_and_nothing_is_added_when_one_is_wrong():
    # given five products, one out of stock, one no longer sold
    organization, cart = _buyer()
    products = [make_product(stock=10) for _ in range(3)]
    empty = make_product(stock=0)
    retired = make_product(stock=5, is_active=False)
    skus = [p.variants.get().sku for p in products]
    text = "\n".join(
        [
            f"{skus[0]} 2",
            f"{skus[1]} 11",
            "NO-SUCH-SKU 1",
            f"{empty.variants.get().sku} 1",
            f"{retired.variants.get().sku} 1",
            f"{skus[2]} 3",
        ]
    )

    # when the buyer adds them
    result = quick_order_add(cart=cart, text=text, organization=organization)

    # then each bad line is named with its number and reason, and nothing is in the cart
    assert result.errors == [
        f"Line 2 ({skus[1]} 11): Stock: only 10 of {skus[1]} available.",
        "Line 3 (NO-SUCH-SKU 1): SKU: no product has the SKU 'NO-SUCH-SKU'.",
        f"Line 4 ({empty.variants.get().sku} 1): Stock: {empty.variants.get().sku} is out of stock.",
        f"Line 5 ({retired.variants.get().sku} 1): SKU: {retired.variants.get().sku} is no longer sold.",
    ]
    assert not CartLine.objects.filter(cart=cart).exists()

    # and asked to add only the good lines, those two are added
    result = quick_order_add(cart=cart, text=text, organization=organization, skip_invalid=True)
    assert [line.sku for line in result.added] == [skus[0], skus[2]]
    assert dict(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity")) == {
        skus[0]: 2,
        skus[2]: 3,
    }


def test_units_already_in_the_cart_and_on_earlier_lines_count_against_the_stock():
    organization, cart = _buyer()
    variant = make_product(stock=10).variants.get()
    cart_add(cart=cart, variant=variant, quantity=4)

    result = quick_order_text_check(
        text=f"{variant.sku} 3\n{variant.sku.lower()} 4", cart=cart, organization=organization
    )

    assert result.lines[0].ok and result.lines[0].note == "4 already in your cart; this adds 3."
    assert result.lines[1].sku == variant.sku  # found whatever the case typed
    assert (
        result.lines[1].error
        == f"Stock: only 10 of {variant.sku} available (7 already in your cart or on an earlier line)."
    )


def test_a_product_that_may_be_backordered_takes_more_than_is_in_stock():
    organization, cart = _buyer()
    variant = make_product(stock=3, allows_backorder=True).variants.get()

    result = quick_order_add(cart=cart, text=f"{variant.sku} 5", organization=organization)

    assert result.ok and result.lines[0].backordered == 2
    assert CartLine.objects.get(cart=cart).quantity == 5


def test_added_lines_join_the_cart_at_the_buyers_own_price():
    organization, cart = _buyer()
    variant = make_product(stock=10, price="13.99").variants.get()
    special = PriceList.objects.create(name="Contract", currency="USD")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=variant, amount=Decimal("11.89"))
    cart_add(cart=cart, variant=variant, quantity=1)

    result = quick_order_add(cart=cart, text=f"{variant.sku} 2", organization=organization)

    assert result.lines[0].unit_price.amount == Decimal("11.89")
    line = CartLine.objects.get(cart=cart)
    assert (line.quantity, line.price_seen) == (3, Decimal("11.89"))


@pytest.mark.parametrize("count", [2, 20])
def test_checking_and_adding_take_the_same_queries_whatever_the_number_of_lines(count, django_assert_max_num_queries):
    # given a buyer with one line in the cart already and `count` products
    organization, cart = _buyer()
    variants = [make_product(stock=100).variants.get() for _ in range(count)]
    cart_add(cart=cart, variant=variants[0], quantity=1)
    text = "\n".join(f"{v.sku} 2" for v in variants)

    # when they add them all
    with CaptureQueriesContext(connection) as queries:
        result = quick_order_add(cart=cart, text=text, organization=organization)

    # then a fixed number of queries ran: variants, prices, stock, cart lines; lock, insert, update (with savepoints)
    assert result.ok and len(result.added) == count
    assert len(queries.captured_queries) <= 9, [q["sql"] for q in queries.captured_queries]
    assert CartLine.objects.filter(cart=cart).count() == count
