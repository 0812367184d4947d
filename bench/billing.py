"""Billing: invoices issued per second from 10,000 shipments, statements for 1,000 customers, and the receivables
page with 1,000 customers, each beside a reference measured in the same run.

    .venv/bin/python bench/billing.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/billing.py
    .venv/bin/python bench/billing.py --quick              # 1,000 shipments, 200 customers

It builds a scratch database (see bench/deployment.py) with `--customers` organizations on account terms, one
on-account order per shipment and `--shipments` shipments (bulk-inserted, as fulfillment would have left them).
Then, in one process:

1. the job's work, `invoices_issue_due`, until every shipment has its invoice: invoices per second (each one
   its own transaction: customer lock, gapless number, lines, ledger entry, credit use, the email with its PDF
   reference);
2. the reference: per shipment one transaction that locks the customer's row and writes one row (the least a
   locked, numbered write can cost on this database), and `pgbench` TPC-B at 1 client on PostgreSQL;
3. `statements_send` for last month: statements queued per second (each computed, recorded and emailed once),
   and 50 statement PDFs rendered (what delivery does per email);
4. the receivables page (`/backoffice/billing/receivables/`) with every customer owing: its SQL queries and
   its time, beside a trivial page (`/healthz`) through the same test client.

Not a test: the figures depend on the machine. Nothing leaves 127.0.0.1; emails stay in the outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import machine, pgbench_tps, scratch_database


def build(*, customers: int, shipments: int, issued_on: dt.datetime):
    """Customers, their on-account orders (one line each) and one shipment per order, bulk-inserted."""
    from autosales.customers.models import Organization
    from autosales.fulfillment.models import Shipment, ShipmentLine
    from autosales.inventory.models import Warehouse
    from autosales.orders.models import Order, OrderLine

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench center")
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Customer {i:05d}",
            has_account_terms=True,
            credit_limit=Decimal(1_000_000),
            billing_email=f"ap{i}@bench.example",
        )
        for i in range(customers)
    )
    orders = Order.objects.bulk_create(
        Order(
            organization=organizations[i % customers],
            status="shipped",
            payment_kind="account",
            currency="USD",
            subtotal=Decimal("40.00"),
            shipping=Decimal("5.00"),
            tax=Decimal("2.50"),
            total=Decimal("47.50"),
            ship_name="Receiving",
            ship_line1="1 Dock Road",
            ship_city="Springfield",
            ship_postal_code="62701",
            ship_country="US",
            shipping_method_code="ground",
            shipping_method_name="Ground",
            placed_at=issued_on,
        )
        for i in range(shipments)
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku="BENCH-A19",
            name="A19 bulb",
            quantity=10,
            quantity_shipped=10,
            unit_price=Decimal("4.00"),
            line_total=Decimal("40.00"),
        )
        for order in orders
    )
    made = Shipment.objects.bulk_create(
        Shipment(
            number=f"SH-BENCH-{i}",
            order=order,
            warehouse=warehouse,
            carrier="ups",
            tracking_number=f"1Z{i:016d}",
            shipped_at=issued_on,
            currency="USD",
        )
        for i, order in enumerate(orders)
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, order_line=line, quantity=10)
        for shipment, line in zip(made, lines, strict=True)
    )
    return organizations


def issue_all() -> tuple[int, float]:
    from autosales.billing.jobs import invoices_issue_due

    issued, started = 0, time.perf_counter()
    while True:
        done, failures, error = invoices_issue_due()
        if failures:
            raise SystemExit(f"issuing failed: {error}")
        if not done:
            break
        issued += done
    return issued, time.perf_counter() - started


def reference_locked_writes(organizations, count: int) -> float:
    """Per item: one transaction locking the customer's row and inserting one row (seconds for `count`)."""
    from django.db import transaction

    from autosales.billing.models import NumberCounter
    from autosales.customers.models import Organization

    started = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            Organization.objects.select_for_update().get(pk=organizations[i % len(organizations)].pk)
            NumberCounter.objects.create(series=f"ref{i}", year=2000)
    seconds = time.perf_counter() - started
    NumberCounter.objects.filter(year=2000).delete()
    return seconds


def statements(organizations) -> tuple[int, float, float]:
    from autosales.billing.documents import statement_pdf
    from autosales.billing.statements import statement_for, statements_send
    from autosales.core import clock

    today = clock.today()
    started = time.perf_counter()
    sent = statements_send(today=today)
    seconds = time.perf_counter() - started
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    started = time.perf_counter()
    for organization in organizations[:50]:
        statement_pdf(statement=statement_for(organization=organization, year=last.year, month=last.month))
    return sent, seconds, time.perf_counter() - started


def receivables_page() -> tuple[int, float, float]:
    from django.db import connection
    from django.test import Client

    from autosales.customers.models import User

    user = User.objects.create_superuser(username="bench-manager", password="x", email="m@bench.example")
    client = Client()
    client.force_login(user)
    client.get("/backoffice/billing/receivables/")  # warm-up
    seen = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        response = client.get("/backoffice/billing/receivables/")
        page_seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    started = time.perf_counter()
    client.get("/healthz")
    return len(seen), page_seconds, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="1,000 shipments, 200 customers")
    args = parser.parse_args()
    if args.quick:
        args.shipments, args.customers = 1_000, 200

    with scratch_database("billing", redis=True, ALLOWED_HOSTS="testserver,127.0.0.1,localhost") as scratch:
        from autosales.core import clock

        print(f"machine: {machine()}; {scratch.described}, scratch")
        last_month = clock.now().replace(day=1) - dt.timedelta(days=20)
        with clock.frozen_at(last_month):
            organizations = build(customers=args.customers, shipments=args.shipments, issued_on=last_month)
            issued, seconds = issue_all()
        print(
            f"invoices: {issued:,} issued from {args.shipments:,} shipments in {seconds:.1f} s: {issued / seconds:,.0f}/s"
        )
        reference = reference_locked_writes(organizations, min(args.shipments, 2_000))
        per_second = min(args.shipments, 2_000) / reference
        print(
            f"reference: locked one-row transactions: {per_second:,.0f}/s; invoices at {issued / seconds / per_second:.2f} of it"
        )
        tps = pgbench_tps(scratch, clients=1)
        if tps:
            print(f"reference: pgbench TPC-B, 1 client: {tps:,.0f} tps; invoices at {issued / seconds / tps:.2f} of it")
        sent, seconds, pdf_seconds = statements(organizations)
        print(
            f"statements: {sent:,} for {args.customers:,} customers in {seconds:.1f} s: {sent / seconds:,.0f}/s; "
            f"50 statement PDFs in {pdf_seconds:.2f} s ({50 / pdf_seconds:,.0f}/s)"
        )
        queries, page, trivial = receivables_page()
        print(
            f"receivables page, {args.customers:,} customers owing: {queries} queries, {page * 1000:.0f} ms "
            f"(trivial page {trivial * 1000:.1f} ms)"
        )


if __name__ == "__main__":
    main()
