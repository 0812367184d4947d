"""The back-office home per role: a salesperson sees their accounts' figures only, a manager the whole business, a
clerk the queues and no revenue; every chart's figures download as CSV for the same roles; the page's queries do
not grow with the orders."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.billing.issuing import invoice_issue_for_order
from autosales.core import clock
from autosales.crm.prediction.store import predictions_refresh
from autosales.orders.models import Order
from tests.factories import (
    make_account_order,
    make_category,
    make_checkout,
    make_organization,
    make_product,
    make_salesperson,
    make_staff,
    make_task,
    place_test_order,
)
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

HOME = "/backoffice/"
NOW = dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC)  # a Wednesday; the week began on Monday March 1
# What each role's home reads (session, user and groups, the menu's counts, then the figures), whatever the rows.
HOME_QUERY_BUDGET = {"salesperson": 16, "manager": 19, "fulfillment": 9}


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.reset()


def _order(organization, *, amount: str, days_ago: int, variant=None, **fields) -> Order:
    order = make_account_order(organization=organization, unit_price=amount, **fields)
    Order.objects.filter(pk=order.pk).update(placed_at=NOW - dt.timedelta(days=days_ago))
    if variant is not None:
        order.lines.update(variant=variant)
    return order


@pytest.fixture
def business():
    """Riley owns Harbor View, Sam owns Acme; orders in this week and the last, in two categories."""
    riley = make_salesperson(username="riley")
    sam = make_salesperson(username="sam")
    harbor = make_organization(name="Harbor View Hotels", salesperson=riley)
    acme = make_organization(name="Acme Offices", salesperson=sam)
    lamps = make_product(name="Desk lamp", category=make_category(name="Lamps")).variants.get()
    bulbs = make_product(name="A19 bulb", category=make_category(name="Bulbs")).variants.get()
    _order(harbor, amount="100.00", days_ago=1, variant=lamps)  # this week
    _order(harbor, amount="40.50", days_ago=8, variant=bulbs)  # last week
    _order(acme, amount="1000.00", days_ago=2, variant=bulbs)
    _order(acme, amount="999.00", days_ago=3, status="cancelled")  # not revenue
    _order(acme, amount="7.00", days_ago=200)  # before the chart's 13 weeks
    return riley, sam, harbor, acme


def _csv(client, slug: str) -> list[dict]:
    response = client.get(f"/backoffice/dashboard/{slug}.csv")
    assert response.status_code == 200, response.status_code
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def _amounts_by_week(rows: list[dict]) -> dict[str, Decimal]:
    return {row["week_start"]: Decimal(row["revenue"]) for row in rows if Decimal(row["revenue"])}


def test_a_salesperson_sees_only_their_accounts_revenue(client, business):
    riley, *_ = business
    client.force_login(riley)

    html = client.get(HOME).content.decode()

    assert "Your accounts" in html and "The business" not in html and 'id="fulfillment"' not in html
    assert "<svg" in html and 'data-chart="my-revenue"' in html and 'data-chart="revenue"' not in html
    assert ">100.00<" in html and ">40.50<" in html
    assert "1000.00" not in html and "Acme Offices" not in html
    rows = _csv(client, "my-revenue")
    assert _amounts_by_week(rows) == {"2027-03-01": Decimal("100.00"), "2027-02-22": Decimal("40.50")}
    assert len(rows) == 13 and rows[0]["week_start"] == "2026-12-07" and rows[-1]["week_start"] == "2027-03-01"
    assert client.get("/backoffice/dashboard/revenue.csv").status_code == 404
    assert client.get("/backoffice/dashboard/top-customers.csv").status_code == 404


def test_a_salesperson_sees_their_tasks_due_today_and_overdue(client, business):
    riley, sam, harbor, acme = business
    make_task(organization=harbor, owner=riley, title="Call Elena about the lamps", due_at=NOW + dt.timedelta(hours=2))
    make_task(organization=harbor, owner=riley, title="Send the quote", due_at=NOW - dt.timedelta(days=2))
    make_task(organization=harbor, owner=riley, title="Next month's visit", due_at=NOW + dt.timedelta(days=20))
    make_task(organization=acme, owner=sam, title="Sam's own call", due_at=NOW + dt.timedelta(hours=1))
    client.force_login(riley)

    html = client.get(HOME).content.decode()
    tasks = html.split('id="my-tasks"', 1)[1].split("</div>", 1)[0]

    assert "<strong>1</strong> overdue" in tasks and "<strong>1</strong> due today" in tasks
    assert "Call Elena about the lamps" in tasks and "Send the quote" in tasks
    assert "Next month" not in tasks and "Sam&#x27;s own call" not in html


def test_a_salesperson_sees_their_customers_due_to_reorder(client, business):
    riley, sam, *_ = business
    regular = make_organization(name="Northwind Facilities", salesperson=riley)
    others = make_organization(name="Sam's Regular", salesperson=sam)
    for n in range(6):  # every two weeks, the last one 30 days ago: overdue by about 16 days
        _order(regular, amount="10.00", days_ago=30 + 14 * n)
        _order(others, amount="10.00", days_ago=30 + 14 * n)
    Order.objects.update(status="delivered")  # an order still open covers the next one
    predictions_refresh(now=NOW)
    client.force_login(riley)

    html = client.get(HOME).content.decode()
    reorders = html.split('id="reorders"', 1)[1].split("</div>", 1)[0]

    assert "Northwind Facilities" in reorders and "Sam" not in reorders


def test_a_clerk_sees_the_queues_by_center_and_no_revenue(client):
    checkout = make_checkout(stock=50)
    place_test_order(checkout, quantity=3)
    place_test_order(checkout, quantity=2)
    Order.objects.update(ships_on=clock.today() - dt.timedelta(days=1))
    late_order = Order.objects.first()
    Order.objects.exclude(pk=late_order.pk).update(ships_on=clock.today())
    clerk = make_staff(group="fulfillment")
    client.force_login(clerk)

    html = client.get(HOME).content.decode()

    assert 'data-chart="queue"' in html and "<svg" in html
    assert "revenue" not in html.lower() and "Your accounts" not in html and "The business" not in html
    rows = _csv(client, "queue")
    code = late_order.lines.first().allocations.first().stock_level.warehouse.code
    assert [(r["center"], r["promised_ship_date"], r["orders"]) for r in rows] == [
        (code, "2027-03-02", "1"),
        (code, "2027-03-03", "1"),
    ]
    for slug in ("my-revenue", "revenue", "standing-orders", "receivables-aging", "no-such-chart"):
        assert client.get(f"/backoffice/dashboard/{slug}.csv").status_code == 404


def test_a_manager_sees_the_whole_business(client, business):
    client.force_login(make_staff(group="manager"))

    html = client.get(HOME).content.decode()

    assert "The business" in html and "Your accounts" not in html
    for slug in ("revenue", "revenue-by-category", "top-customers", "standing-orders", "receivables-aging"):
        assert f'data-chart="{slug}"' in html and f"/backoffice/dashboard/{slug}.csv" in html
    assert html.count("<svg") >= 3
    assert "<script" not in html.split('id="business"', 1)[1]  # pygal's tooltips script is taken out
    assert _amounts_by_week(_csv(client, "revenue")) == {
        "2027-03-01": Decimal("1100.00"),
        "2027-02-22": Decimal("40.50"),
    }
    assert [(r["category"], r["currency"], r["revenue"]) for r in _csv(client, "revenue-by-category")] == [
        ("Bulbs", "USD", "1040.50"),
        ("Lamps", "USD", "100.00"),
    ]
    assert [(r["customer"], r["revenue"], r["orders"]) for r in _csv(client, "top-customers")] == [
        ("Acme Offices", "1000.00", "1"),
        ("Harbor View Hotels", "140.50", "2"),
    ]


def test_late_shipments_list_the_orders_past_their_promised_ship_date(client):
    checkout = make_checkout(stock=50, name="Lakeside Property Group")
    late = place_test_order(checkout, quantity=1)
    on_time = place_test_order(checkout, quantity=1)
    Order.objects.filter(pk=late.pk).update(ships_on=clock.today() - dt.timedelta(days=3))
    Order.objects.filter(pk=on_time.pk).update(ships_on=clock.today())
    client.force_login(make_staff(group="manager"))

    html = client.get(HOME).content.decode()
    panel = html.split('id="late-shipments"', 1)[1].split("</div>", 1)[0]

    assert "<strong>1</strong> order past its promised ship date" in panel
    assert late.number_display in panel and on_time.number_display not in panel


def test_receivables_aging_sums_the_open_invoices_by_days_past_due(client):
    organization = make_checkout(has_account_terms=True, credit_limit=Decimal(5000), payment_terms_days=30).organization
    clock.set_now(NOW - dt.timedelta(days=45))  # due 30 days later: 15 days past due now
    invoice_issue_for_order(order=make_account_order(organization=organization, unit_price="100.00", shipping="0.00"))
    clock.set_now(NOW)
    invoice_issue_for_order(order=make_account_order(organization=organization, unit_price="30.00", shipping="0.00"))
    client.force_login(make_staff(group="manager"))

    rows = _csv(client, "receivables-aging")

    assert [(r["days_past_due"], r["currency"], r["open_balance"]) for r in rows] == [
        ("Current", "USD", "30.00"),
        ("1–30", "USD", "100.00"),
        ("31–60", "USD", "0.00"),
        ("61–90", "USD", "0.00"),
        ("Over 90", "USD", "0.00"),
    ]


def test_standing_order_revenue_ahead_comes_from_the_schedules_at_the_customers_prices(client):
    bulbs = make_checkout(stock=20_000, price="2.50")
    make_standing_order(bulbs, quantity=1000, every=1, day=15, start=dt.date(2027, 3, 15))
    owner = make_salesperson()
    bulbs.organization.salesperson = owner
    bulbs.organization.save(update_fields=["salesperson"])
    client.force_login(make_staff(group="manager"))

    rows = _csv(client, "standing-orders")

    assert len(rows) == 13 and rows[0]["week_start"] == "2027-03-01"
    # March 15, April 15 and May 15 are in the 13 weeks from March 1 (to May 30)
    assert {r["week_start"]: r["revenue"] for r in rows if r["orders"] != "0"} == {
        "2027-03-15": "2500.00",
        "2027-04-12": "2500.00",
        "2027-05-10": "2500.00",
    }
    assert all(r["currency"] == "USD" for r in rows)
    client.force_login(owner)
    assert [r["revenue"] for r in _csv(client, "my-standing-orders") if r["orders"] != "0"] == ["2500.00"] * 3
    client.force_login(make_salesperson())
    assert all(r["revenue"] == "0.00" for r in _csv(client, "my-standing-orders"))


def test_staff_with_several_roles_see_each_of_their_sections(client, business):
    riley, *_ = business
    from django.contrib.auth.models import Group

    riley.groups.add(Group.objects.get(name="manager"), Group.objects.get(name="fulfillment"))
    client.force_login(riley)

    html = client.get(HOME).content.decode()

    assert "Your accounts" in html and "The business" in html and 'id="fulfillment"' in html


def test_the_csv_is_for_staff_only(client, business):
    assert client.get("/backoffice/dashboard/revenue.csv").status_code == 302
    client.force_login(make_checkout().user)
    assert client.get("/backoffice/dashboard/revenue.csv").status_code == 302


def test_csv_money_is_a_plain_decimal_with_its_currency_and_text_is_never_a_formula(client):
    organization = make_organization(name="=HYPERLINK(1)")
    _order(organization, amount="1234.50", days_ago=0)
    client.force_login(make_staff(group="manager"))

    response = client.get("/backoffice/dashboard/top-customers.csv")
    text = b"".join(response.streaming_content).decode()

    assert text.splitlines()[0] == "customer,currency,revenue,orders"
    assert text.splitlines()[1] == "'=HYPERLINK(1),USD,1234.50,1"
    assert response["Content-Disposition"] == 'attachment; filename="top-customers-2027-03-03.csv"'


def _home_queries(client, user) -> int:
    client.force_login(user)
    client.get(HOME)  # the session and anything remembered per process are read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("group", ["salesperson", "manager", "fulfillment"])
def test_the_home_reads_a_fixed_number_of_queries_whatever_the_orders(client, business, group):
    riley, *_ = business
    user = riley if group == "salesperson" else make_staff(group=group)
    checkout = make_checkout(stock=500, salesperson=riley)
    place_test_order(checkout, quantity=1)
    make_standing_order(
        make_checkout(stock=5000, salesperson=riley), quantity=10, every=1, day=15, start=dt.date(2027, 3, 15)
    )

    before = _home_queries(client, user)
    for _ in range(5):
        place_test_order(checkout, quantity=1)
    make_standing_order(
        make_checkout(stock=5000, salesperson=riley), quantity=10, every=1, day=20, start=dt.date(2027, 3, 20)
    )
    for n in range(30):
        _order(make_organization(salesperson=riley), amount="12.00", days_ago=n * 3)
    after = _home_queries(client, user)

    assert after == before
    assert after <= HOME_QUERY_BUDGET[group]


@pytest.mark.django_db(transaction=True)
def test_the_revenue_figures_are_kept_for_dashboard_cache_seconds(client, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    harbor = make_organization(name="Harbor View Hotels")
    _order(harbor, amount="100.00", days_ago=1)
    client.force_login(make_staff(group="manager"))
    assert _amounts_by_week(_csv(client, "revenue")) == {"2027-03-01": Decimal("100.00")}

    _order(harbor, amount="50.00", days_ago=1)

    assert _amounts_by_week(_csv(client, "revenue")) == {"2027-03-01": Decimal("100.00")}  # from the cache
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert _amounts_by_week(_csv(client, "revenue")) == {"2027-03-01": Decimal("150.00")}
