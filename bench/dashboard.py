"""The back-office home with 100,000 orders: statements per role's home (fixed) and how fast each serves on the
production deployment, beside a trivial view measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --orders 5000          # SQLite scratch database, fewer orders

Builds `--orders` orders (bulk_create) over two years for 300 customers owned by three salespeople, one to three
lines each in five categories, a tenth of the recent ones still waiting to ship at two centers (allocated, some
past their promised date); then prints the statements of the manager's, a salesperson's and a clerk's home and
requests/s with p50/p95 at 1 and 4 clients for each through gunicorn (revenue figures cached for
DASHBOARD_CACHE_SECONDS, as in production), with /healthz as the reference. Not a test: the figures
depend on the machine. Standing orders and invoices are not generated: the home reads them in a fixed number of
queries whose cost grows with their own count, not with the orders'.
"""

import argparse
import datetime as dt
import json
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import gunicorn, load, machine, page_row, scratch_database, trivial_view

PASSWORD = "bench-dashboard-password"
USERS = {"manager": "manager", "salesperson": "sales0", "clerk": "clerk"}


def build(orders: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from autosales.catalog.models import Category, Product, Variant
    from autosales.core import clock
    from autosales.customers.models import Organization, User
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.orders.models import Order, OrderAllocation, OrderLine, OrderStatus

    rng = random.Random(11)
    now = clock.now()
    with transaction.atomic():
        centers = [
            Warehouse.objects.create(code="EAST", name="East", priority=0),
            Warehouse.objects.create(code="WEST", name="West", priority=1),
        ]
        categories = [Category.objects.create(name=f"Category {i}", slug=f"category-{i}") for i in range(5)]
        products = Product.objects.bulk_create(
            [Product(name=f"Bulb {i}", slug=f"bulb-{i}", category=categories[i % 5]) for i in range(200)]
        )
        variants = Variant.objects.bulk_create(
            [Variant(product=p, sku=f"SKU-{i:04d}", name="60 W") for i, p in enumerate(products)]
        )
        levels = StockLevel.objects.bulk_create(
            [StockLevel(warehouse=w, variant=v, on_hand=10**7) for v in variants for w in centers]
        )
        level_of = {(level.variant_id, level.warehouse_id): level for level in levels}
        sales = []
        for n in range(3):
            user = User.objects.create_user(username=f"sales{n}", password=PASSWORD, is_staff=True)
            user.groups.add(Group.objects.get(name="salesperson"))
            sales.append(user)
        for username, group in (("manager", "manager"), ("clerk", "fulfillment")):
            User.objects.create_user(username=username, password=PASSWORD, is_staff=True).groups.add(
                Group.objects.get(name=group)
            )
        organizations = Organization.objects.bulk_create(
            [Organization(name=f"Customer {i}", salesperson=sales[i % 3]) for i in range(300)]
        )
        waiting = (OrderStatus.PAID, OrderStatus.ON_ACCOUNT)
        rows, chosen = [], []
        for i in range(orders):
            placed = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 730))
            recent = now - placed < dt.timedelta(days=20)
            status = waiting[i % 2] if recent and i % 10 == 0 else OrderStatus.DELIVERED
            picked = [(v, rng.randint(1, 50), Decimal(rng.randint(200, 5000)) / 100) for v in rng.sample(variants, 3)]
            picked = picked[: rng.randint(1, 3)]
            subtotal = sum((q * p for _, q, p in picked), Decimal(0))
            chosen.append(picked)
            rows.append(
                Order(
                    organization=organizations[i % 300],
                    status=status,
                    payment_kind="account",
                    currency="USD",
                    subtotal=subtotal,
                    shipping=0,
                    tax=0,
                    total=subtotal,
                    invoiced_total=subtotal,
                    ship_name="Receiving dock",
                    ship_line1="1 Main Street",
                    ship_city="Springfield",
                    ship_postal_code="62701",
                    ship_country="US",
                    shipping_method_code="ground",
                    shipping_method_name="Ground",
                    placed_at=placed,
                    ships_on=(placed + dt.timedelta(days=2)).date(),
                )
            )
        made = Order.objects.bulk_create(rows, batch_size=2000)
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    variant=v,
                    sku=v.sku,
                    name="Bulb",
                    quantity=q,
                    unit_price=p,
                    line_total=q * p,
                    quantity_shipped=0 if order.status in waiting else q,
                )
                for order, picked in zip(made, chosen, strict=True)
                for v, q, p in picked
            ],
            batch_size=5000,
        )
        OrderAllocation.objects.bulk_create(
            [
                OrderAllocation(line=line, stock_level=level_of[(line.variant_id, centers[n % 2].pk)], quantity=1)
                for n, line in enumerate(lines)
                if line.order.status in waiting
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _client(role: str):
    from django.test import Client

    from autosales.customers.models import User

    client = Client()
    client.force_login(User.objects.get(username=USERS[role]))
    return client


def statements(role: str) -> tuple[int, float]:
    """The statements of the role's home and its time in this process, every figure read afresh (no cache)."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    client = _client(role)
    with override_settings(DASHBOARD_CACHE_SECONDS=0):
        client.get("/backoffice/", HTTP_HOST="127.0.0.1")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/backoffice/", HTTP_HOST="127.0.0.1")
            elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return len(queries), elapsed * 1000


def session_cookie(role: str) -> str:
    from django.conf import settings

    return f"{settings.SESSION_COOKIE_NAME}={_client(role).cookies[settings.SESSION_COOKIE_NAME].value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with scratch_database("dashboard", redis=True) as scratch:
        build(args.orders)
        counts = {role: statements(role) for role in USERS}
        print(f"{args.orders} orders; {machine()}; {scratch.described}")
        for role, (count, ms) in counts.items():
            label = f"{role}'s home"
            print(f"  {label:<20} {count} statements, {ms:.0f} ms uncached (one request, in process)")
        with gunicorn(scratch) as base_url:
            cookies = {role: session_cookie(role) for role in USERS}
            for clients in (1, 4):
                reference = trivial_view(url=base_url, clients=clients, count=args.requests)
                print(json.dumps({"target": "/healthz", "clients": clients, "rps": round(reference.rate, 1)}))
                for role in USERS:
                    result = load(
                        url=base_url,
                        requests=[{"method": "GET", "path": "/backoffice/", "headers": {"Cookie": cookies[role]}}],
                        clients=clients,
                        count=args.requests,
                    )
                    row = page_row(target=f"{role}'s home", clients=clients, result=result, reference=reference)
                    print(json.dumps(row))


if __name__ == "__main__":
    main()
