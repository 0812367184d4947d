"""Order reads: a buyer sees their organization's orders only; search; fixed query counts; account exposure."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core.errors import NotFound
from autosales.orders.selectors import (
    account_exposure,
    order_by_number,
    order_for_customer,
    order_summary_for_customer,
    orders_for_organization,
    orders_for_staff,
)
from autosales.orders.services import order_cancel
from autosales.payments.errors import PaymentUnavailable
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db


def test_a_buyer_sees_only_their_organizations_orders():
    mine, theirs = make_checkout(), make_checkout()
    my_order, their_order = place_test_order(mine), place_test_order(theirs)
    assert list(orders_for_organization(organization=mine.organization)) == [my_order]
    assert order_for_customer(public_id=my_order.public_id, organization=mine.organization) == my_order
    with pytest.raises(NotFound):
        order_for_customer(public_id=their_order.public_id, organization=mine.organization)


def test_the_order_summary_is_the_organizations_order_with_its_lines_in_two_queries():
    mine, theirs = make_checkout(), make_checkout()
    my_order, their_order = place_test_order(mine, quantity=2), place_test_order(theirs)
    with CaptureQueriesContext(connection) as queries:
        order = order_summary_for_customer(public_id=my_order.public_id, organization=mine.organization)
        lines = [(line.sku, line.quantity) for line in order.lines.all()]
        placed_by = order.placed_by.username
    assert order == my_order and lines == [(mine.variant.sku, 2)] and placed_by == mine.user.username
    assert len(queries) == 2
    with pytest.raises(NotFound):
        order_summary_for_customer(public_id=their_order.public_id, organization=mine.organization)


def test_pending_checkouts_are_not_orders_yet():
    checkout = make_checkout()
    with pytest.raises(PaymentUnavailable):
        place_test_order(checkout, token="tok_network_error")
    assert not orders_for_organization(organization=checkout.organization).exists()
    assert not orders_for_staff().exists()


def test_search_by_number_as_typed_sku_and_organization_name():
    checkout = make_checkout(name="Acme Lighting")
    order = place_test_order(checkout)
    other = place_test_order(make_checkout())
    assert list(orders_for_staff(query=order.number_display.lower())) == [order]
    assert list(orders_for_staff(query=checkout.variant.sku)) == [order]
    assert list(orders_for_staff(query="acme")) == [order]
    assert list(orders_for_organization(organization=checkout.organization, query=other.number)) == []
    assert order_by_number(number=order.number_display.lower()) == order
    assert list(orders_for_staff(status="cancelled")) == []
    assert list(orders_for_staff(status="nonsense")) == []


def list_queries(rows: int) -> int:
    checkout = make_checkout(stock=100)
    for _ in range(rows):
        place_test_order(checkout)
    with CaptureQueriesContext(connection) as captured:
        seen = [
            (order.organization.name, order.placed_by.email)
            for order in orders_for_staff(organization=checkout.organization)
        ]
        seen += [
            (order.number, order.placed_by.email)
            for order in orders_for_organization(organization=checkout.organization)
        ]
    assert len(seen) == 2 * rows
    return len(captured)


def test_lists_use_a_fixed_number_of_queries():
    assert list_queries(3) == list_queries(30)


def test_account_exposure_counts_open_account_orders_but_not_cancelled_or_card_ones():
    checkout = make_checkout(has_account_terms=True, credit_limit=1000)
    open_order = place_test_order(checkout, quantity=2, kind="account")  # 25.00
    cancelled = place_test_order(checkout, quantity=1, kind="account")
    order_cancel(order=cancelled, actor=None, reason="x")
    place_test_order(checkout, quantity=3)  # card
    assert account_exposure(organization=checkout.organization).amount == open_order.total == Decimal("25.00")
