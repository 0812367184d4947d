"""Fulfillment: shipments per second through `POST /api/v1/shipments` on the production deployment, alone and
beside order placement (`POST /api/v1/checkout`) in the same run, with a trivial view as the reference.

    .venv/bin/python bench/fulfillment.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/fulfillment.py
    .venv/bin/python bench/fulfillment.py --quick              # fewer orders

The app runs as docs/deployment.md runs it (gunicorn, a worker per core x 4 threads); the load comes from
`bench/load.py` processes. Orders are placed first (card, the test gateway), each with every unit allocated at
one center; a warehouse system's staff token then ships each order once (all its lines, a fresh
Idempotency-Key), at 8 clients: alone, then while 8 other clients place orders through the checkout API at the
same time. Printed: shipments/s and p50/p95/p99 latency, orders/s beside it, the trivial view (`/healthz`) at
the same concurrency, and `pgbench` TPC-B (PostgreSQL). First, the SQL statements and transactions of one
shipment through the API, and of the center's queue (`GET /api/v1/fulfillment/orders`), counted on real
requests. The numbers are for comparison on one machine, not a promise.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkout import checkout_requests, counting, set_up
from deployment import gunicorn, load, machine, pgbench_tps, scratch_database, trivial_view

CLIENTS = 8


def orders_place(fixture, *, count: int) -> list:
    """`count` card orders of one line each, placed in this process through place_order (all allocated)."""
    from autosales.checkout.placement import LineRequest, PaymentRequest, place_order

    orders = []
    for n in range(count):
        buyer = fixture.buyers[n % len(fixture.buyers)]
        orders.append(
            place_order(
                organization=buyer.organization,
                user=buyer.user,
                lines=[LineRequest(variant_id=fixture.variants[n % len(fixture.variants)].pk, quantity=2)],
                shipping_address=buyer.address_row,
                shipping_method=fixture.shipping,
                payment=PaymentRequest(kind="card", token="tok_approve"),
                idempotency_key=f"bench-ship-{uuid.uuid4()}",
            )
        )
    return orders


def clerk_token(center_code: str) -> str:
    from django.contrib.auth.models import Group

    from autosales.customers.models import User
    from autosales.customers.staff_roles import FULFILLMENT
    from autosales.customers.tokens import token_create

    user = User.objects.create_user(username=f"wms-{uuid.uuid4().hex[:8]}", password=None, is_staff=True)
    user.groups.add(Group.objects.get(name=FULFILLMENT))
    return token_create(user=user, name=f"WMS {center_code}")


def ship_requests(orders: list, *, token: str, center: str) -> list[dict]:
    return [
        {
            "method": "POST",
            "path": "/api/v1/shipments",
            "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": "{uuid}"},
            "body": {
                "order": order.public_id,
                "center": center,
                "lines": [{"line_id": line.pk, "quantity": line.quantity} for line in order.lines.all()],
                "carrier": "ups",
                "tracking_number": f"1ZBENCH{order.number}",
            },
        }
        for order in orders
    ]


def statements_of(client_call) -> tuple[int, int]:
    with counting() as counter:
        response = client_call()
    if response.status_code >= 300:
        raise RuntimeError(f"the counted request failed: {response.status_code} {response.content[:300]!r}")
    return counter.statements, counter.transactions


def _place_into(into: dict, url: str, checkouts: list[dict], count: int) -> None:
    """Order placement through the checkout API from its own load process, beside the shipments."""
    into["result"] = load(url=url, requests=checkouts, clients=CLIENTS, count=count, seconds=60)


def measure(*, orders_per_phase: int) -> list[dict]:
    from django.test import Client

    rows = []
    with scratch_database("fulfillment", redis=True) as scratch:
        fixture = set_up(run=uuid.uuid4().hex[:10], products=50, buyers=CLIENTS)
        center = fixture.variants[0].stock_levels.get().warehouse.code
        token = clerk_token(center)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
        [counted] = orders_place(fixture, count=1)
        ship = ship_requests([counted], token=token, center=center)[0]
        one = statements_of(
            lambda: api.post(
                "/api/v1/shipments",
                ship["body"],
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        )
        orders_place(fixture, count=20)
        queue = statements_of(lambda: api.get(f"/api/v1/fulfillment/orders?center={center}&page_size=100"))
        print(f"machine: {machine()}; {scratch.described}")
        print(f"one API shipment: {one[0]} SQL statements in {one[1]} transactions")
        print(f"the center's queue, a page of 20 orders: {queue[0]} SQL statements")
        alone = orders_place(fixture, count=orders_per_phase)
        beside = orders_place(fixture, count=orders_per_phase)
        print(f"{'phase':<22} {'ships/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'failed':>6} {'orders/s':>9} "
              f"{'trivial/s':>9} {'pgbench':>8}")  # fmt: skip
        with gunicorn(scratch) as url:
            load(url=url, requests=[{"method": "GET", "path": "/healthz"}], clients=CLIENTS, count=CLIENTS * 4)
            phases = (("shipments alone", alone, False), ("beside placement", beside, True))
            for name, batch, with_checkout in phases:
                requests = ship_requests(batch, token=token, center=center)
                placing: dict = {}
                runner = None
                if with_checkout:
                    runner = threading.Thread(
                        target=_place_into,
                        args=(placing, url, checkout_requests(fixture, clients=CLIENTS), len(requests)),
                    )
                    runner.start()
                result = load(url=url, requests=requests, clients=CLIENTS, count=len(requests))
                if runner is not None:
                    runner.join()
                trivial = trivial_view(url=url, clients=CLIENTS, count=400)
                tps = pgbench_tps(scratch, clients=CLIENTS, seconds=5)
                placed = placing.get("result")
                row = {
                    "phase": name,
                    "clients": CLIENTS,
                    "shipments_per_s": result.rate,
                    "p50_ms": result.p50_ms,
                    "p95_ms": result.p95_ms,
                    "p99_ms": result.p99_ms,
                    "failed": result.failed,
                    "orders_per_s": placed.rate if placed else None,
                    "trivial_per_s": trivial.rate,
                    "pgbench_tps": tps,
                    "statements": one[0],
                    "transactions": one[1],
                    "queue_statements": queue[0],
                }
                rows.append(row)
                print(
                    f"{name:<22} {result.rate:>8.1f} {result.p50_ms:>7.0f} {result.p95_ms:>7.0f} "
                    f"{result.p99_ms:>7.0f} {result.failed:>6} {placed.rate if placed else 0:>9.1f} "
                    f"{trivial.rate:>9.0f} {tps or 0:>8.0f}"
                )
                for failure in (result.first_error, placed.first_error if placed else ""):
                    if failure:
                        print(f"        first failure: {failure}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="orders shipped per phase")
    parser.add_argument("--quick", action="store_true", help="100 orders per phase")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rows = measure(orders_per_phase=100 if args.quick else args.orders)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
