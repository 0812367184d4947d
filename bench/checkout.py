"""Checkout: orders per second through `POST /api/v1/checkout` on the production deployment, beside the
database's own limit and a trivial view measured in the same run.

    .venv/bin/python bench/checkout.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkout.py
    .venv/bin/python bench/checkout.py --quick              # fewer orders per level

The app runs as docs/deployment.md runs it (gunicorn, a worker per core x 4 threads) in its own processes; the load
comes from `bench/load.py`, another process, at 1, 4, 16 and 32 concurrent clients, each request a real
checkout (one line, the test gateway's `tok_approve`, a fresh Idempotency-Key), so every order runs the
whole `place_order`. Printed per level: orders/s, p50/p95/p99 latency; the trivial view (`/healthz`) at the
same concurrency through the same server; `pgbench` TPC-B at the same number of clients (PostgreSQL); and
the ratios. First, the SQL statements and transactions one API checkout takes, counted on a real request.
The numbers are for comparison on one machine, not a promise.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import LEVELS, gunicorn, load, machine, pgbench_tps, scratch_database, trivial_view


@dataclass
class Buyer:
    token: str
    address: str
    user: object
    organization: object
    address_row: object


@dataclass
class Fixture:
    skus: list[str]
    variants: list
    buyers: list[Buyer]
    shipping: object


def set_up(*, run: str, products: int, buyers: int) -> Fixture:
    """Catalog, stock and buyers (each its own organization, address and API token) for this run."""
    from autosales.catalog.models import Category, Product, Variant
    from autosales.catalog.services import product_reindex
    from autosales.customers.models import Address, Membership, Organization, User
    from autosales.customers.tokens import token_create
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.pricing.models import Price, PriceList
    from autosales.pricing.shipping import ShippingMethod

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


def statements_per_checkout(fixture: Fixture) -> tuple[int, int]:
    """(SQL statements, transactions) of one API checkout, counted on a real request through the app."""
    from django.test import Client

    buyer = fixture.buyers[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {buyer.token}", HTTP_HOST="127.0.0.1")
    body = checkout_body(fixture, buyer, fixture.skus[0])
    client.post("/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    with counting() as counter:
        response = client.post(
            "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
    if response.status_code != 201:
        raise RuntimeError(f"the counted checkout failed: {response.status_code} {response.content[:300]!r}")
    return counter.statements, counter.transactions


@dataclass
class Counter:
    statements: int = 0
    transactions: int = 0


@contextmanager
def counting():
    """Counts the statements of the default connection, and its transactions: each commit or rollback of an
    atomic block, and each writing statement run in autocommit (its own transaction; reads outside a block
    are left out, as they commit nothing)."""
    from django.db import connection

    counter = Counter()
    commit, rollback = connection.commit, connection.rollback

    def counted(end):
        def wrapper():
            counter.transactions += 1
            return end()

        return wrapper

    def statement(execute, sql, params, many, context):
        counter.statements += 1
        if not connection.in_atomic_block and sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            counter.transactions += 1
        return execute(sql, params, many, context)

    connection.commit, connection.rollback = counted(commit), counted(rollback)
    try:
        with connection.execute_wrapper(statement):
            yield counter
    finally:
        del connection.commit, connection.rollback


def checkout_body(fixture: Fixture, buyer: Buyer, sku: str) -> dict:
    return {
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping_address": {"id": buyer.address},
        "shipping_method": fixture.shipping.code,
        "payment": {"kind": "card", "token": "tok_approve"},
    }


def checkout_requests(fixture: Fixture, *, clients: int) -> list[dict]:
    """One request template per client (its own buyer, so organizations do not queue on one another)."""
    rng = random.Random(clients)
    requests = []
    for n in range(clients):
        buyer = fixture.buyers[n % len(fixture.buyers)]
        requests.append(
            {
                "method": "POST",
                "path": "/api/v1/checkout",
                "headers": {"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": "{uuid}"},
                "body": checkout_body(fixture, buyer, rng.choice(fixture.skus)),
            }
        )
    return requests


def measure(*, levels: list[int], orders: int) -> list[dict]:
    rows = []
    with scratch_database("checkout", redis=True) as scratch:
        fixture = set_up(run=uuid.uuid4().hex[:10], products=50, buyers=max(levels))
        statements, transactions = statements_per_checkout(fixture)
        print(f"machine: {machine()}; {scratch.described}")
        print(f"one API checkout: {statements} SQL statements in {transactions} transactions")
        header = (
            f"{'clients':>7} {'orders/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'failed':>6} "
            f"{'trivial/s':>9} {'t.p95':>6} {'p95/t.p95':>9} {'pgbench':>8} {'ratio':>6}"
        )
        print(header)
        with gunicorn(scratch) as url:
            for clients in levels:
                requests = checkout_requests(fixture, clients=clients)
                load(url=url, requests=requests, clients=clients, count=clients * 2)  # warm-up, not counted
                # At least 10 orders per client: with fewer, the p95 is the queue of the first burst alone.
                result = load(url=url, requests=requests, clients=clients, count=max(orders, clients * 10))
                trivial = trivial_view(url=url, clients=clients, count=max(400, clients * 20))
                tps = pgbench_tps(scratch, clients=clients, seconds=5)
                row = {
                    "clients": clients,
                    "orders_per_s": result.rate,
                    "p50_ms": result.p50_ms,
                    "p95_ms": result.p95_ms,
                    "p99_ms": result.p99_ms,
                    "failed": result.failed,
                    "trivial_per_s": trivial.rate,
                    "trivial_p95_ms": trivial.p95_ms,
                    "p95_over_trivial": result.p95_ms / trivial.p95_ms if trivial.p95_ms else None,
                    "pgbench_tps": tps,
                    "ratio_to_pgbench": result.rate / tps if tps else None,
                    "statements": statements,
                    "transactions": transactions,
                }
                rows.append(row)
                print(
                    f"{clients:>7} {result.rate:>9.1f} {result.p50_ms:>7.0f} {result.p95_ms:>7.0f} "
                    f"{result.p99_ms:>7.0f} {result.failed:>6} {trivial.rate:>9.0f} {trivial.p95_ms:>6.1f} "
                    f"{row['p95_over_trivial'] or 0:>9.1f} {tps or 0:>8.0f} {row['ratio_to_pgbench'] or 0:>6.3f}"
                )
                if result.first_error:
                    print(f"        first failure: {result.first_error}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default=",".join(map(str, LEVELS)), help="concurrency levels, comma-separated")
    parser.add_argument("--orders", type=int, default=200, help="orders per concurrency level")
    parser.add_argument("--quick", action="store_true", help="60 orders per level (at least 10 per client)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rows = measure(levels=[int(c) for c in args.clients.split(",")], orders=60 if args.quick else args.orders)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
