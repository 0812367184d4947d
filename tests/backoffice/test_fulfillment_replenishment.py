"""Replenishment: per SKU and center, stock, allocated, the forecast's standing-order demand, backorders and a
suggested quantity to order; as a page and a CSV, in a fixed number of queries."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.fulfillment.replenishment import replenishment_rows
from autosales.inventory.models import StockLevel
from tests.backoffice.test_fulfillment_receiving import _backordered
from tests.factories import make_checkout, make_product, make_staff, make_warehouse, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # a Monday
PAGE = "/backoffice/fulfillment/replenishment/"


@pytest.fixture
def demand():
    """Bulbs: 1,500 on hand, 2,000 wanted by standing orders in 13 weeks (Jan 31, Mar 31); lamps: plenty."""
    clock.set_now(NOW)
    make_warehouse(code="EAST", priority=0)
    bulbs = make_checkout(stock=1500)
    lamps = make_checkout(stock=10_000)
    make_standing_order(bulbs, quantity=1000)
    make_standing_order(lamps, quantity=100, every=1, day=15, start=dt.date(2027, 2, 15))
    return bulbs, lamps


def _row(rows, sku, center=""):
    return next(r for r in rows if r.sku == sku and r.warehouse_code == center)


def test_the_shortfall_of_the_forecast_is_the_suggestion(demand):
    bulbs, lamps = demand
    place_test_order(bulbs, quantity=200)  # allocated: 1,300 of 1,500 still available
    rows = replenishment_rows(demand={bulbs.variant.pk: 2000, lamps.variant.pk: 300})
    row = _row(rows, bulbs.variant.sku)
    assert (row.on_hand, row.allocated, row.available, row.demand, row.backordered, row.suggested) == (
        1500,
        200,
        1300,
        2000,
        0,
        700,
    )
    assert _row(rows, lamps.variant.sku).suggested == 0
    assert rows[0].sku == bulbs.variant.sku  # what to order comes first
    assert [r.sku for r in replenishment_rows(demand={bulbs.variant.pk: 2000}, needs_only=True)] == [bulbs.variant.sku]


def test_backorders_are_counted_before_the_forecast():
    make_warehouse(code="EAST")
    checkout = make_checkout(stock=10)
    _backordered(checkout, quantity=10, short=4)  # 6 allocated, 4 waiting, nothing on the shelf
    row = _row(replenishment_rows(demand={checkout.variant.pk: 5}), checkout.variant.sku)
    assert (row.on_hand, row.allocated, row.backordered, row.demand, row.suggested) == (6, 6, 4, 5, 9)


def test_two_centers_give_their_available_units_by_priority_and_the_rest_is_ordered_at_the_first():
    east = make_warehouse(code="EAST", priority=0)
    west = make_warehouse(code="WEST", priority=1)
    variant = make_product(stock=300, warehouse=east).variants.get()
    StockLevel.objects.create(warehouse=west, variant=variant, on_hand=400)
    demand = {variant.pk: 1000}
    east_row = _row(replenishment_rows(demand=demand, warehouse=east), variant.sku, "EAST")
    west_row = _row(replenishment_rows(demand=demand, warehouse=west), variant.sku, "WEST")
    assert (east_row.demand, east_row.suggested) == (600, 300)  # its own 300, and the 300 nobody has
    assert (west_row.demand, west_row.suggested) == (400, 0)
    total = _row(replenishment_rows(demand=demand), variant.sku)
    assert (total.on_hand, total.demand, total.suggested) == (700, 1000, 300)


def test_a_sku_wanted_but_stocked_nowhere_is_ordered_at_the_first_center():
    make_warehouse(code="EAST", priority=0)
    variant = make_product(stock=0).variants.get()
    StockLevel.objects.filter(variant=variant).delete()
    row = _row(replenishment_rows(demand={variant.pk: 50}), variant.sku)
    assert (row.on_hand, row.suggested) == (0, 50)


def test_the_page_and_the_csv_show_the_forecast_demand(client, demand):
    bulbs, _ = demand
    client.force_login(make_staff(group="fulfillment"))
    html = client.get(PAGE, {"need": "1"}).content.decode()
    assert (
        bulbs.variant.sku in html
        and "<strong>500</strong>" in html
        and "<strong>500</strong> units to order over 1 row" in html
    )
    response = client.get(f"{PAGE[:-1]}.csv", {"center": "EAST"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    bulb_row = next(r for r in rows if r["sku"] == bulbs.variant.sku)
    assert bulb_row == {
        "sku": bulbs.variant.sku,
        "name": bulb_row["name"],
        "center": "EAST",
        "on_hand": "1500",
        "allocated": "0",
        "available": "1500",
        "demand_13_weeks": "2000",
        "backordered": "0",
        "suggested": "500",
    }


def test_salespeople_do_not_see_it(client, demand):
    client.force_login(make_staff(group="salesperson"))
    assert client.get(PAGE).status_code == 403


def _page_queries(client, skus: int) -> int:
    for _ in range(skus):
        checkout = make_checkout(stock=5)
        make_standing_order(checkout, quantity=10)
    client.force_login(make_staff(group="manager"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    client.logout()
    return len(queries)


def test_the_query_count_does_not_grow_with_skus_or_standing_orders(client):
    clock.set_now(NOW)
    make_warehouse(code="EAST")
    assert _page_queries(client, 2) == _page_queries(client, 12)


def test_over_all_centers_it_suggests_what_simulate_receives(demand):
    from autosales.recurring.replenishment import suggested_quantities
    from autosales.recurring.selectors import demand_forecast

    bulbs, _ = demand
    west = make_warehouse(code="WEST", priority=1)
    StockLevel.objects.create(warehouse=west, variant=bulbs.variant, on_hand=200)
    _backordered(make_checkout(stock=10), quantity=10, short=7)
    forecast = {row.variant_id: row.total for row in demand_forecast().rows}
    rows = replenishment_rows(demand=forecast, needs_only=True)
    assert {row.variant_id: row.suggested for row in rows} == suggested_quantities()
