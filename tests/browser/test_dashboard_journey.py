"""In a real browser: the back-office home of each role from the demo data with thirteen weeks of order history —
the manager's charts drawn as SVG with their tables (hidden on screen, shown on demand and in print) and their
CSV; the salesperson's and the clerk's homes with their own sections only.

Screenshots for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes dashboard-manager.png,
dashboard-sales.png and dashboard-clerk.png there (`pytest tests/browser/test_dashboard_journey.py`)."""

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from autosales.billing.issuing import invoice_issue_for_order
from autosales.catalog.models import Variant
from autosales.checkout.placement import LineRequest, PaymentRequest, place_order
from autosales.core import clock
from autosales.customers.models import Organization, User
from autosales.demo.data import demo_load
from autosales.orders.models import Order, OrderLine
from autosales.pricing.selectors import unit_prices_for_organizations
from autosales.pricing.shipping import ShippingMethod

NOW = dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC)


def _order_history(*, weeks: int = 13, seed: int = 13) -> None:
    """Orders of the demo's business customers over the last `weeks` weeks (a fixed seed), written as placed
    orders at the customers' prices: the history the charts read. Then, through checkout, a few orders still to
    ship (one of them late) and invoices, some overdue."""
    rng = random.Random(seed)
    organizations = list(Organization.objects.filter(kind=Organization.Kind.BUSINESS).order_by("pk"))
    variants = list(Variant.objects.filter(is_active=True).order_by("pk")[:40])
    prices = unit_prices_for_organizations(
        variant_ids=[v.pk for v in variants], organization_ids=[o.pk for o in organizations]
    )
    for organization in organizations:
        for day in range(weeks * 7, 0, -1):
            if rng.random() > 0.25:
                continue
            chosen = [
                (v, rng.choice((10, 24, 50, 100))) for v in rng.sample(variants, 3) if v.pk in prices[organization.pk]
            ]
            subtotal = sum((prices[organization.pk][v.pk].amount * q for v, q in chosen), Decimal(0))
            order = Order.objects.create(
                organization=organization,
                status="delivered",
                payment_kind="account",
                currency=organization.currency,
                subtotal=subtotal,
                shipping=Decimal("15.00"),
                tax=Decimal(0),
                total=subtotal + Decimal("15.00"),
                invoiced_total=subtotal + Decimal("15.00"),  # invoiced and paid long ago
                ship_name="Receiving",
                ship_line1="1 Dock Road",
                ship_city="Chicago",
                ship_postal_code="60601",
                ship_country="US",
                shipping_method_code="ground",
                shipping_method_name="Ground",
                placed_at=NOW - dt.timedelta(days=day, hours=rng.randint(0, 8)),
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    variant=v,
                    sku=v.sku,
                    name=str(v),
                    quantity=q,
                    unit_price=prices[organization.pk][v.pk].amount,
                    line_total=prices[organization.pk][v.pk].amount * q,
                    quantity_shipped=q,
                )
                for v, q in chosen
            )
    northwind = Organization.objects.get(name__startswith="Northwind")
    buyer = northwind.memberships.select_related("user").first().user
    ground = ShippingMethod.objects.order_by("position", "pk").first()
    placed = []
    for n, days_ago in enumerate((40, 20, 3, 1, 0, 0)):
        clock.set_now(NOW - dt.timedelta(days=days_ago))
        result = place_order(
            organization=northwind,
            user=buyer,
            lines=[LineRequest(variant_id=variants[n].pk, quantity=12 * (n + 1))],
            shipping_address=northwind.addresses.first(),
            shipping_method=ground,
            payment=PaymentRequest(kind="account", token=""),
            idempotency_key=f"dashboard-demo-{n}",
        )
        placed.append(result.order if hasattr(result, "order") else result)
    for order, days_ago in zip(placed[:2], (40, 20), strict=True):  # invoiced when placed: one overdue by now
        clock.set_now(NOW - dt.timedelta(days=days_ago))
        invoice_issue_for_order(order=order)
    clock.set_now(NOW)


def _demo():
    clock.set_now(NOW)
    demo_load()
    _order_history()
    return {name: User.objects.get(username=name) for name in ("manager", "sales", "clerk")}


def test_each_roles_home_from_the_demo_data_with_charts_tables_and_csv(page, sign_in, screenshot):
    try:
        users = _demo()
        sign_in(page, users["manager"])
        # A script the Content-Security-Policy blocks, or a file of the page that is missing, would show here
        # (the browser's own request for /favicon.ico is not the page's).
        errors = []
        page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))
        page.on("response", lambda response: response.status >= 400 and errors.append(response.url))

        page.goto("/backoffice/")
        business = page.locator("#business")
        expect(business.get_by_role("heading", name="The business", exact=True)).to_be_visible()
        for slug in ("revenue", "revenue-by-category", "top-customers", "standing-orders", "receivables-aging"):
            chart = page.locator(f"#chart-{slug}")
            expect(chart.locator("svg")).to_be_visible()
            table = chart.locator(".chart-figures table")
            expect(table).to_be_attached()
            assert table.locator("tbody tr").count() >= 1
        expect(page.locator("#late-shipments")).to_contain_text("past")
        screenshot(page, "dashboard-manager.png")
        assert errors == []

        # the figures: hidden on screen until asked for, always in print
        revenue_table = page.locator("#chart-revenue-figures")
        assert revenue_table.bounding_box()["width"] <= 1
        page.locator("#chart-revenue").get_by_role("link", name="Show the figures").click()
        assert revenue_table.bounding_box()["width"] > 100
        page.goto("/backoffice/")
        page.emulate_media(media="print")
        assert page.locator("#chart-top-customers-figures").bounding_box()["width"] > 100
        page.emulate_media(media="screen")

        with page.expect_download() as download:
            page.locator("#chart-revenue").get_by_role("link", name="Download the figures (CSV)").click()
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0] == "week_start,currency,revenue,orders" and len(lines) == 14

        sign_in(page, users["sales"])
        page.goto("/backoffice/")
        expect(page.get_by_role("heading", name="Your accounts", exact=True)).to_be_visible()
        expect(page.locator("#chart-my-revenue svg")).to_be_visible()
        expect(page.locator("#business")).to_have_count(0)
        screenshot(page, "dashboard-sales.png")

        sign_in(page, users["clerk"])
        page.goto("/backoffice/")
        expect(page.locator("#chart-queue svg")).to_be_visible()
        expect(page.locator("#chart-queue-figures tbody tr").first).to_be_attached()
        assert "revenue" not in page.content().lower()
        screenshot(page, "dashboard-clerk.png")
    finally:
        clock.reset()
