"""Suggested quantities to order: the standing orders' demand over the forecast's weeks plus the units orders wait
for, less what is available."""

import datetime as dt

import pytest

from autosales.inventory.models import StockLevel
from autosales.recurring.replenishment import suggested_quantities
from tests.factories import make_checkout, make_product, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db


def test_demand_and_backorders_less_what_is_available(at_start):
    # given 1,000 bulbs a month from 1 February (4 orders in the 13 weeks ahead) and 1,500 in stock
    checkout = make_checkout(stock=1_500, has_account_terms=True, credit_limit=1_000_000)
    make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 2, 1), kind="account")
    # and an order waiting for 30 units of another SKU, 10 of which are on hand but not yet allocated
    other = make_product(stock=0).variants.get()
    place_test_order(checkout, variant=other, quantity=30, kind="account", backorder=True)
    StockLevel.objects.filter(variant=other).update(on_hand=10)

    suggested = suggested_quantities(today=dt.date(2027, 1, 25))

    demand = 1000 * 3  # 1 February, 1 March, 1 April in the 13 weeks from the week of 25 January
    assert suggested[checkout.variant.pk] == demand - 1_500
    assert suggested[other.pk] == 20
