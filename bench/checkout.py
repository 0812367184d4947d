"""Checkout throughput: orders per second through the JSON API at 1, 8 and 32 concurrent clients.

    .venv/bin/python bench/checkout.py                      # SQLite, in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/checkout.py

Each client is a thread with its own HTTP connection to a waitress server on 127.0.0.1 serving the app; it
sends a bounded number of `POST /api/v1/checkout` requests (one line, paid with the test gateway's
`tok_approve`, a fresh Idempotency-Key each), so every order runs the whole `place_order`: attempt claim,
quote, stock locks and allocation, order, lines, events, card authorization and capture, outbox email.

Beside it, in the same run and on the same database, a baseline: the same number of row writes per
transaction as one order takes (counted, not assumed), done with raw SQL by the same number of threads,
each on its own database connection. The ratio says what the HTTP server, the framework and the business
rules cost on top of the bare writes.

Point DATABASE_URL at a scratch database: the benchmark migrates it and adds its own rows (a warehouse,
products, buyers, orders) under a run id. The numbers are for comparison on one machine, not a promise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("AUTOSALES_VAR_DIR", tempfile.mkdtemp(prefix="autosales-bench-"))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autosales.settings")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from autosales.catalog.models import Category, Product, Variant  # noqa: E402
from autosales.catalog.services import product_reindex  # noqa: E402
from autosales.checkout.placement import LineRequest, PaymentRequest, place_order  # noqa: E402
from autosales.customers.models import Address, Membership, Organization, User  # noqa: E402
from autosales.customers.tokens import token_create  # noqa: E402
from autosales.inventory.models import StockLevel, Warehouse  # noqa: E402
from autosales.pricing.models import Price, PriceList  # noqa: E402
from autosales.pricing.shipping import ShippingMethod  # noqa: E402

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Buyer:
    token: str
    address: str
    user: User
    organization: Organization
    address_row: Address


@dataclass
class Fixture:
    skus: list[str]
    variants: list[Variant]
    buyers: list[Buyer]
    shipping: ShippingMethod


def set_up(*, run: str, products: int, buyers: int) -> Fixture:
    """Catalog, stock and buyers (each its own organization, address and API token) for this run."""
    warehouse = Warehouse.objects.create(code=f"B{run[:6]}", name=f"Bench {run}")
    category = Category.objects.create(name=f"Bench {run}", slug=f"bench-{run}")
    price_list, _ = PriceList.objects.get_or_create(is_default=True, defaults={"name": "List prices"})
    variants = []
    for i in range(products):
        product = Product.objects.create(name=f"Bench bulb {run} {i}", slug=f"bench-{run}-{i}", category=category)
        variant = Variant.objects.create(product=product, sku=f"BENCH-{run}-{i}", name="60 W", weight_grams=80)
        Price.objects.create(price_list=price_list, variant=variant, amount=Decimal("3.99"))
        StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=1_000_000)
        product_reindex(product=product)
        variants.append(variant)
    shipping = ShippingMethod.objects.create(name="Bench ground", code=f"bench-{run}", base_rate=Decimal("5.00"))
    people = []
    for i in range(buyers):
        organization = Organization.objects.create(name=f"Bench buyer {run} {i}")
        user = User.objects.create_user(username=f"bench-{run}-{i}", email=f"bench{i}@example.com", password=None)
        Membership.objects.create(user=user, organization=organization)
        address = Address.objects.create(
            organization=organization,
            name="Dock",
            line1="1 Bench Road",
            city="Springfield",
            region="IL",
            postal_code="62701",
            country="US",
            is_default=True,
        )
        people.append(Buyer(token_create(user=user, name="bench"), address.public_id, user, organization, address))
    return Fixture(skus=[v.sku for v in variants], variants=variants, buyers=people, shipping=shipping)


def writes_per_order(fixture: Fixture) -> int:
    """Row-writing statements (INSERT, UPDATE, DELETE) one order takes, counted on a real place_order."""
    buyer = fixture.buyers[0]
    with CaptureQueriesContext(connection) as queries:
        place_order(
            organization=buyer.organization,
            user=buyer.user,
            lines=[LineRequest(variant_id=fixture.variants[0].pk, quantity=1)],
            shipping_address=buyer.address_row,
            shipping_method=fixture.shipping,
            payment=PaymentRequest(kind="card", token="tok_approve"),
            idempotency_key=f"count-{uuid.uuid4()}",
        )
    sqls = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    return sum(1 for sql in sqls if sql.startswith(WRITE_VERBS))


def serve():
    """The app on a free port of 127.0.0.1 (waitress, one worker thread per client, plus headroom)."""
    from waitress import create_server

    from autosales.wsgi import application

    server = create_server(application, host="127.0.0.1", port=0, threads=40, connection_limit=200)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, server.effective_port


def run_clients(*, port: int, fixture: Fixture, clients: int, per_client: int) -> tuple[int, int, float]:
    """`clients` threads each sending `per_client` checkouts; returns (orders, failures, seconds)."""
    placed = [0] * clients
    failed = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        buyer = fixture.buyers[n % len(fixture.buyers)]
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        for _ in range(per_client):
            body = {
                "lines": [{"sku": rng.choice(fixture.skus), "quantity": 1}],
                "shipping_address": {"id": buyer.address},
                "shipping_method": fixture.shipping.code,
                "payment": {"kind": "card", "token": "tok_approve"},
            }
            conn.request(
                "POST",
                "/api/v1/checkout",
                body=json.dumps(body),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {buyer.token}",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            response = conn.getresponse()
            payload = response.read()
            if response.status == 201:
                placed[n] += 1
            else:
                failed[n] += 1
                if failed[n] == 1:
                    print(f"  client {n}: HTTP {response.status} {payload[:200]!r}", file=sys.stderr)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return sum(placed), sum(failed), time.perf_counter() - started


def baseline(*, clients: int, per_client: int, writes: int, run: str) -> float:
    """Transactions per second of `writes` raw-SQL row writes each (inserts and one stock-like update)."""
    table = "bench_baseline_rows"
    counter = "bench_baseline_counter"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id {_serial()}, run VARCHAR(40), n INTEGER, note VARCHAR(200))"
        )
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {counter} (id INTEGER PRIMARY KEY, units INTEGER)")
        cursor.execute(f"DELETE FROM {counter}")
        cursor.execute(f"INSERT INTO {counter} (id, units) VALUES " + ", ".join(f"({i}, 0)" for i in range(50)))
    barrier = threading.Barrier(clients + 1)

    def worker(n: int) -> None:
        rng = random.Random(n)
        barrier.wait()
        try:
            for i in range(per_client):
                with transaction.atomic(), connections["default"].cursor() as cursor:
                    # one row lock, like a stock level, then the inserts (order, lines, events, ...)
                    cursor.execute(f"UPDATE {counter} SET units = units + 1 WHERE id = %s", [rng.randrange(50)])
                    for w in range(writes - 1):
                        cursor.execute(
                            f"INSERT INTO {table} (run, n, note) VALUES (%s, %s, %s)", [run, i, f"row {w} of {n}"]
                        )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - started)


def _serial() -> str:
    return "INTEGER PRIMARY KEY AUTOINCREMENT" if connection.vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--orders", type=int, default=160, help="orders per concurrency level (split over clients)")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:10]
    fixture = set_up(run=run, products=50, buyers=max(levels))
    writes = writes_per_order(fixture)
    server, port = serve()
    database = f"{connection.vendor} ({connection.settings_dict['NAME']})"
    print(f"database: {database}")
    print(f"one order through place_order: {writes} row writes; the baseline does {writes} per transaction")
    print(f"{'clients':>7} {'orders':>7} {'failed':>6} {'orders/s':>9} {'baseline tx/s':>14} {'ratio':>7}")
    try:
        for clients in levels:
            per_client = max(1, args.orders // clients)
            # a short warm-up so connections, caches and the first-request imports are not counted
            run_clients(port=port, fixture=fixture, clients=clients, per_client=1)
            placed, failed, seconds = run_clients(port=port, fixture=fixture, clients=clients, per_client=per_client)
            rate = placed / seconds
            base = baseline(clients=clients, per_client=per_client, writes=writes, run=run)
            print(f"{clients:>7} {placed:>7} {failed:>6} {rate:>9.1f} {base:>14.1f} {rate / base:>7.3f}")
    finally:
        server.close()


if __name__ == "__main__":
    main()
