"""The clerk's work queue with 10,000 open orders at a center: statements per page (fixed) and how fast the
page serves on the production deployment, beside a trivial view measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/fulfillment_queue.py
    .venv/bin/python bench/fulfillment_queue.py --orders 2000          # SQLite scratch database, fewer orders

Builds 10,000 open orders of three lines each (four in five units allocated at EAST, the rest at WEST) and as
many shipped, delivered or cancelled ones (the history the queue skips), then: the statements of the queue's
first and 20th page (the same number), and requests/s with p50/p95 at 1 and 4 clients for the first page,
the "express" filter and the late filter. Not a test: the figures depend on the machine.
"""

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import gunicorn, load, machine, page_row, scratch_database, trivial_view

CLERK_PASSWORD = "bench-clerk-password"


def build(orders: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from autosales.catalog.models import Category, Product, Variant
    from autosales.core import clock
    from autosales.customers.models import Organization, User
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.orders.models import Order, OrderAllocation, OrderLine, OrderStatus
    from autosales.pricing.shipping import ShippingMethod

    rng = random.Random(7)
    done = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED)
    open_ = (OrderStatus.PAID, OrderStatus.ON_ACCOUNT, OrderStatus.PARTIALLY_SHIPPED)
    with transaction.atomic():
        east = Warehouse.objects.create(code="EAST", name="East", priority=0)
        west = Warehouse.objects.create(code="WEST", name="West", priority=1)
        ShippingMethod.objects.create(code="ground", name="Ground")
        ShippingMethod.objects.create(code="express", name="Express", position=1)
        category = Category.objects.create(name="Bulbs", slug="bulbs")
        products = Product.objects.bulk_create(
            [Product(name=f"Bulb {i}", slug=f"bulb-{i}", category=category) for i in range(500)]
        )
        variants = Variant.objects.bulk_create(
            [Variant(product=p, sku=f"SKU-{i:04d}", name="60 W") for i, p in enumerate(products)]
        )
        levels = StockLevel.objects.bulk_create(
            [
                StockLevel(warehouse=w, variant=v, on_hand=10**6, bin=f"{chr(65 + i % 12)}-{i % 40:02d}")
                for i, v in enumerate(variants)
                for w in (east, west)
            ]
        )
        level_of = {(level.variant_id, level.warehouse_id): level for level in levels}
        organizations = Organization.objects.bulk_create([Organization(name=f"Customer {i}") for i in range(300)])
        now = clock.now()
        rows = []
        for i in range(orders * 2):
            status = open_[i % 3] if i < orders else done[i % 3]
            placed = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            promised = i % 10 != 0
            rows.append(
                Order(
                    organization=organizations[i % 300],
                    status=status,
                    payment_kind="account",
                    currency="USD",
                    subtotal=0,
                    shipping=0,
                    tax=0,
                    total=0,
                    ship_name="Receiving dock",
                    ship_line1="1 Main Street",
                    ship_city="Springfield",
                    ship_postal_code="62701",
                    ship_country="US",
                    shipping_method_code="express" if i % 4 == 0 else "ground",
                    shipping_method_name="Express" if i % 4 == 0 else "Ground",
                    placed_at=placed,
                    ships_on=(placed + dt.timedelta(days=1)).date() if promised else None,
                    arrives_from=(placed + dt.timedelta(days=3)).date() if promised else None,
                    arrives_to=(placed + dt.timedelta(days=5)).date() if promised else None,
                )
            )
        made = Order.objects.bulk_create(rows, batch_size=2000)
        lines = []
        for order in made:
            for variant in rng.sample(variants, 3):
                lines.append(
                    OrderLine(
                        order=order,
                        variant=variant,
                        sku=variant.sku,
                        name="Bulb",
                        quantity=4,
                        unit_price=0,
                        line_total=0,
                    )
                )
        lines = OrderLine.objects.bulk_create(lines, batch_size=5000)
        OrderAllocation.objects.bulk_create(
            [
                OrderAllocation(
                    line=line, stock_level=level_of[(line.variant_id, (east if n % 5 else west).pk)], quantity=4
                )
                for n, line in enumerate(lines)
                if line.order.status in open_
            ],
            batch_size=5000,
        )
        clerk = User.objects.create_user(username="clerk", password=CLERK_PASSWORD, is_staff=True)
        clerk.groups.add(Group.objects.get(name="fulfillment"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def statements(path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from autosales.customers.models import User

    client = Client()
    client.force_login(User.objects.get(username="clerk"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.status_code
    return len(queries)


def session_cookie(base_url: str) -> str:
    from django.conf import settings
    from django.test import Client

    from autosales.customers.models import User

    client = Client()
    client.force_login(User.objects.get(username="clerk"))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    targets = {
        "queue, first page": "/backoffice/fulfillment/?center=EAST",
        "queue, page 20": "/backoffice/fulfillment/?center=EAST&page=20",
        "queue, express only": "/backoffice/fulfillment/?center=EAST&method=express",
        "queue, late only": "/backoffice/fulfillment/?center=EAST&late=1",
    }
    with scratch_database("queue", redis=True) as scratch:
        build(args.orders)
        counts = {name: statements(path) for name, path in targets.items()}
        print(f"{args.orders} open orders; {machine()}; {scratch.described}")
        for name, count in counts.items():
            print(f"  {name:<22} {count} statements")
        with gunicorn(scratch) as base_url:
            cookie = session_cookie(base_url)
            for clients in (1, 4):
                reference = trivial_view(url=base_url, clients=clients, count=args.requests)
                for name, path in targets.items():
                    result = load(
                        url=base_url,
                        requests=[{"method": "GET", "path": path, "headers": {"Cookie": cookie}}],
                        clients=clients,
                        count=args.requests,
                    )
                    row = page_row(target=name, clients=clients, result=result, reference=reference)
                    print(json.dumps(row))


if __name__ == "__main__":
    main()
