"""The demand forecast in the back office: 13 weeks × SKUs from every active standing order beside stock, the
shortages marked, and the same numbers as CSV; staff with the standing-order view permission only."""

import csv
import datetime as dt
import io

import pytest

from autosales.core import clock
from autosales.recurring.services import standing_order_pause
from tests.factories import make_checkout, make_member, make_staff
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def demand():
    """Bulbs (1,500 in stock) ordered 1,000 at a time on Jan 31 and Mar 31; a second SKU with plenty of stock."""
    clock.set_now(NOW)
    short = make_checkout(stock=1500)
    plenty = make_checkout(stock=10_000)
    make_standing_order(short, quantity=1000)
    make_standing_order(plenty, quantity=100, every=1, day=15, start=dt.date(2027, 2, 15))
    return short, plenty


def test_the_forecast_shows_weeks_per_sku_beside_stock_and_marks_the_shortage(client, demand):
    short, plenty = demand
    client.force_login(make_staff(group="fulfillment"))

    html = client.get("/backoffice/forecast/").content.decode()

    assert html.count('<th class="num" scope="col">') == 13
    assert "Jan 25" in html and "Apr 19" in html
    short_row = html.split(f'data-sku="{short.variant.sku}"', 1)[1].split("</tr>", 1)[0]
    plenty_row = html.split(f'data-sku="{plenty.variant.sku}"', 1)[1].split("</tr>", 1)[0]
    assert html.split(f'data-sku="{short.variant.sku}"')[0].rstrip().endswith('class="short"')
    assert ">1500<" in short_row and ">2000<" in short_row
    # week 1 (Jan 25) orders 1,000 of 1,500: fine; week 10 (Mar 29) brings it to 2,000: short from there on
    assert short_row.count('class="num short"') == 4
    assert "short" not in plenty_row and ">300<" in plenty_row  # Feb 15, Mar 15, Apr 15
    assert "1 SKU run short" in html


def test_the_forecast_leaves_out_paused_standing_orders(client, demand):
    short, _ = demand
    standing_order_pause(standing_order=short.organization.standing_orders.get(), actor=short.user)
    client.force_login(make_staff(group="manager"))

    html = client.get("/backoffice/forecast/").content.decode()

    assert f'data-sku="{short.variant.sku}"' not in html and "No SKU runs short." in html


def test_the_csv_has_the_same_numbers(client, demand):
    short, plenty = demand
    client.force_login(make_staff(group="salesperson"))

    response = client.get("/backoffice/forecast.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="forecast-2027-01-25.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["sku", "name", "available", "week of 2027-01-25"] and rows[0][-2:] == ["total", "short_from"]
    assert len(rows[0]) == 3 + 13 + 2
    by_sku = {row[0]: row for row in rows[1:]}
    assert by_sku[short.variant.sku][2] == "1500"
    assert by_sku[short.variant.sku][3] == "1000" and by_sku[short.variant.sku][3 + 9] == "1000"
    assert by_sku[short.variant.sku][-2:] == ["2000", "2027-03-29"]
    assert by_sku[plenty.variant.sku][-2:] == ["300", ""]


def test_the_forecast_is_for_staff_with_the_permission_only(client, demand):
    short, _ = demand
    for url in ("/backoffice/forecast/", "/backoffice/forecast.csv"):
        assert client.get(url).status_code == 302
    client.force_login(make_member(organization=short.organization))
    assert client.get("/backoffice/forecast.csv").status_code in (302, 403)
    client.force_login(make_staff())
    assert client.get("/backoffice/forecast/").status_code == 403
    assert client.get("/backoffice/forecast.csv").status_code == 403
