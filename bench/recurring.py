"""Standing-order throughput: occurrences the scheduler processes per second when 10,000 are due at once.

    .venv/bin/python bench/recurring.py                   # SQLite scratch database in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/recurring.py
                                                          # PostgreSQL: a scratch database next to x, dropped after

It builds a scratch database (its own: `autosales_bench_recurring` on PostgreSQL, created and dropped here; a
temporary file on SQLite), migrates it, and adds a catalog with plenty of stock, customer organizations and a
shipping method. Then, in one run, three measurements:

1. the scheduler with one worker: `--count` standing orders (bulk-inserted, two lines each, paid as
   `--payment` says) all due at the same moment; `runs_materialize` until nothing is left to materialize,
   then `runs_place` until no run is due;
2. the same with two workers, each a thread with its own database connection, on `--count` new standing
   orders due at once;
3. the baseline: the orders of measurement 1 (same organization, user, lines, address, shipping method and
   payment) placed one by one through `place_order`, without the scheduler.

Each placing loop stops when nothing is due or after `--seconds` (so a full run stays within minutes on a
small machine); the rates are computed from what was done in the time measured, and the table says how many
of the due occurrences were placed. Runs left over when a budget ends are marked skipped before the next
measurement, so each measurement sees only its own due runs.

Not a test: the figures depend on the machine. Nothing leaves 127.0.0.1: the database must be on loopback,
payments use the built-in test gateway (`tok_approve`) or the vendor account, and emails stay in the outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

COUNT = 10_000
SECONDS = 45.0  # per placing loop
PLACE_BATCH = 50
WARM_UP = 10
ORGANIZATIONS = 100
VARIANTS = 50
SCRATCH_PG_NAME = "autosales_bench_recurring"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Fixture:
    organizations: list  # (organization, user, address)
    variant_ids: list[int]
    shipping_method: object


@dataclass
class Measure:
    label: str
    due: int
    done: int
    seconds: float
    statements: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def statements_each(self) -> float:
        return self.statements / self.done if self.done else 0.0


class StatementCounter:
    """Counts the SQL statements a connection sends (BEGIN and COMMIT are not statements to Django)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# -- The scratch database ------------------------------------------------------------------------------


def pg_scratch_url(url: str) -> tuple[str, str]:
    """(the scratch database's URL, the maintenance database's URL) on the server of `url`, loopback only."""
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise SystemExit(f"bench/recurring.py only talks to 127.0.0.1; DATABASE_URL points at {parts.hostname!r}")
    return urlunsplit(parts._replace(path=f"/{SCRATCH_PG_NAME}")), urlunsplit(parts._replace(path="/postgres"))


def pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def prepare_environment() -> tuple[Path, str | None]:
    """Points Django at a scratch database and safe local settings; returns (var dir, admin URL or None)."""
    var_dir = Path(tempfile.mkdtemp(prefix="autosales-bench-recurring-"))
    os.environ.update(
        {
            "AUTOSALES_VAR_DIR": str(var_dir),
            "HTTPS": "0",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PAYMENT_PROVIDER": "test",
            "EMAIL_URL": "mailbox://",
            "SHOP_BASE_URL": "http://127.0.0.1:8000",
            "REDIS_URL": "",
            "DJANGO_SETTINGS_MODULE": "autosales.settings",
        }
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    admin_url = None
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], admin_url = pg_scratch_url(os.environ["DATABASE_URL"])
        pg_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_PG_NAME} WITH (FORCE)")
        pg_admin(admin_url, f"CREATE DATABASE {SCRATCH_PG_NAME}")
    return var_dir, admin_url


# -- Data ----------------------------------------------------------------------------------------------


def build_fixture() -> Fixture:
    """A catalog of VARIANTS bulbs with stock for every order of the run, and ORGANIZATIONS customers."""
    from django.db import transaction

    from autosales.catalog.models import Category, Product, Variant
    from autosales.catalog.services import products_reindex
    from autosales.customers.models import Address, Membership, Organization, User
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.pricing.models import Price, PriceList
    from autosales.pricing.shipping import ShippingMethod

    with transaction.atomic():
        category = Category.objects.create(name="Light bulbs", slug="light-bulbs")
        warehouse = Warehouse.objects.create(code="MAIN", name="Main distribution center")
        price_list = PriceList.objects.create(name="List prices", is_default=True)
        Product.objects.bulk_create(
            [Product(name=f"LED A19 bulb #{n}", slug=f"bulb-{n}", category=category) for n in range(VARIANTS)]
        )
        products = list(Product.objects.order_by("id"))
        Variant.objects.bulk_create(
            [Variant(product=p, sku=f"A19-{p.pk:04d}", name="2700 K", weight_grams=60) for p in products]
        )
        variant_ids = list(Variant.objects.order_by("id").values_list("id", flat=True))
        Price.objects.bulk_create(
            [Price(price_list=price_list, variant_id=v, amount=Decimal("2.50")) for v in variant_ids]
        )
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse=warehouse, variant_id=v, on_hand=2_000_000_000) for v in variant_ids]
        )
        products_reindex(product_ids=[p.pk for p in products], batch_size=1000)
        shipping_method = ShippingMethod.objects.create(name="Freight", code="freight", base_rate=Decimal("25.00"))
        organizations = []
        for n in range(ORGANIZATIONS):
            organization = Organization.objects.create(
                name=f"Buyer {n:03d}",
                has_account_terms=True,
                credit_limit=Decimal("1000000000"),
                timezone="UTC",
            )
            user = User.objects.create_user(username=f"buyer{n:03d}", email=f"buyer{n:03d}@example.com", password=None)
            Membership.objects.create(user=user, organization=organization)
            address = Address.objects.create(
                organization=organization,
                name="Receiving dock",
                line1=f"{n + 1} Industrial Way",
                city="Springfield",
                region="IL",
                postal_code="62701",
                country="US",
                is_default=True,
            )
            organizations.append((organization, user, address))
    return Fixture(organizations=organizations, variant_ids=variant_ids, shipping_method=shipping_method)


def standing_orders_due(*, fixture: Fixture, count: int, payment: str, batch: str) -> tuple[list[int], dt.datetime]:
    """`count` active standing orders whose first occurrence is due one minute ago; returns (their ids, that moment).

    Bulk-inserted for set-up speed, with the same columns `standing_order_create` writes: every two weeks
    on today's weekday from today, UTC, 3 days' notice, 1,000 + 100 bulbs of two variants.
    """
    from django.db import transaction

    from autosales.core import clock
    from autosales.recurring.models import Change, StandingOrder, StandingOrderLine
    from autosales.recurring.schedule import Schedule, rule_for

    due = (clock.now() - dt.timedelta(minutes=1)).replace(microsecond=0)
    start, run_time = due.date(), due.time()
    rule = rule_for(every=2, unit="week", weekday=start.weekday())
    notice_days = 3
    schedule = Schedule(rule=rule, start=start, timezone="UTC", run_time=run_time)
    assert schedule.due_at(start) == due
    next_materialize_at = due - dt.timedelta(days=notice_days)
    rows = []
    for n in range(count):
        organization, user, address = fixture.organizations[n % len(fixture.organizations)]
        rows.append(
            StandingOrder(
                organization=organization,
                created_by=user,
                name=f"Bulbs {batch} {n}",
                rule=rule,
                start_date=start,
                timezone="UTC",
                run_time=run_time,
                shipping_address=address,
                shipping_method=fixture.shipping_method,
                payment_kind=payment,
                payment_token="tok_approve" if payment == "card" else "",
                notice_days=notice_days,
                next_materialize_at=next_materialize_at,
            )
        )
    with transaction.atomic():
        StandingOrder.objects.bulk_create(rows, batch_size=1000)
        ids = list(StandingOrder.objects.filter(name__startswith=f"Bulbs {batch} ").values_list("pk", flat=True))
        variants = fixture.variant_ids
        lines = []
        for i, pk in enumerate(ids):
            lines.append(StandingOrderLine(standing_order_id=pk, variant_id=variants[i % len(variants)], quantity=1000))
            lines.append(
                StandingOrderLine(standing_order_id=pk, variant_id=variants[(i + 7) % len(variants)], quantity=100)
            )
        StandingOrderLine.objects.bulk_create(lines, batch_size=2000)
        Change.objects.bulk_create(
            [Change(standing_order_id=pk, kind="created", data={"rule": rule}) for pk in ids], batch_size=2000
        )
    return ids, due


def leftovers_skip() -> int:
    """Marks runs still open after a budget ran out as skipped, so the next measurement sees only its own."""
    from autosales.recurring.models import Run
    from autosales.recurring.transitions import OPEN_RUN_STATUSES

    return Run.objects.filter(status__in=OPEN_RUN_STATUSES).update(
        status=Run.Status.SKIPPED, skip_reason="benchmark budget ran out", next_attempt_at=None
    )


# -- The measurements ----------------------------------------------------------------------------------


def scheduler_worker(*, name: str, deadline_after: float, counters: dict, lock: threading.Lock, start) -> None:
    """One worker: materialize until nothing is left, then place until nothing is due or the budget is spent."""
    from django.db import connection

    from autosales.core import clock
    from autosales.recurring.scheduler import runs_materialize, runs_place

    materialize_statements, place_statements = StatementCounter(), StatementCounter()
    try:
        start.wait()
        t0 = time.perf_counter()
        with connection.execute_wrapper(materialize_statements):
            while runs_materialize(now=clock.now()).items:
                pass
        t1 = time.perf_counter()
        placed = failures = 0
        deadline = t1 + deadline_after
        with connection.execute_wrapper(place_statements):
            while time.perf_counter() < deadline:
                # Batches smaller than the job's (200) so the loop ends close to the budget.
                result = runs_place(now=clock.now(), worker=name, limit=PLACE_BATCH)
                if not result.items:
                    break
                placed += result.items - result.failures
                failures += result.failures
        t2 = time.perf_counter()
        with lock:
            counters["materialize"].append((t0, t1))
            counters["place"].append((t1, t2))
            counters["placed"] += placed
            counters["failures"] += failures
            counters["materialize_statements"] += materialize_statements.count
            counters["place_statements"] += place_statements.count
    finally:
        connection.close()


def measure_scheduler(*, workers: int, due: int, seconds: float, batch: str) -> tuple[Measure, Measure, int]:
    """(materialize, place, failures) for `workers` threads on the standing orders of `batch`, due now."""
    from autosales.recurring.models import Run

    lock = threading.Lock()
    start = threading.Barrier(workers + 1)
    counters = {
        "materialize": [],
        "place": [],
        "placed": 0,
        "failures": 0,
        "materialize_statements": 0,
        "place_statements": 0,
    }
    threads = [
        threading.Thread(
            target=scheduler_worker,
            kwargs={
                "name": f"bench-worker-{n}",
                "deadline_after": seconds,
                "counters": counters,
                "lock": lock,
                "start": start,
            },
        )
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    materialized = Run.objects.filter(
        kind=Run.Kind.OCCURRENCE, standing_order__name__startswith=f"Bulbs {batch} "
    ).count()
    # Wall-clock spans: from the first worker's start to the last worker's end of each pass.
    mat_seconds = max(end for _, end in counters["materialize"]) - min(begin for begin, _ in counters["materialize"])
    place_seconds = max(end for _, end in counters["place"]) - min(begin for begin, _ in counters["place"])
    label = f"scheduler, {workers} worker{'s' if workers > 1 else ''}"
    return (
        Measure(f"{label}: materialize", due, materialized, mat_seconds, counters["materialize_statements"]),
        Measure(f"{label}: place", due, counters["placed"], place_seconds, counters["place_statements"]),
        counters["failures"],
    )


def measure_direct(*, standing_order_ids: list[int], seconds: float) -> tuple[Measure, int]:
    """The same orders as those standing orders, placed one by one through place_order."""
    from django.db import connection

    from autosales.checkout.placement import LineRequest, PaymentRequest, place_order
    from autosales.core.errors import DomainError
    from autosales.recurring.models import StandingOrder

    requests = []
    for so in (
        StandingOrder.objects.filter(pk__in=standing_order_ids)
        .select_related("organization", "created_by", "shipping_address", "shipping_method")
        .prefetch_related("lines")
        .order_by("pk")
    ):
        requests.append(
            {
                "organization": so.organization,
                "user": so.created_by,
                "lines": [LineRequest(variant_id=line.variant_id, quantity=line.quantity) for line in so.lines.all()],
                "shipping_address": so.shipping_address,
                "shipping_method": so.shipping_method,
                "payment": PaymentRequest(kind=so.payment_kind, token=so.payment_token),
                "customer_reference": so.name[:100],
            }
        )
    placed = failures = 0
    statements = StatementCounter()
    started = time.perf_counter()
    deadline = started + seconds
    with connection.execute_wrapper(statements):
        for request in requests:
            if time.perf_counter() >= deadline:
                break
            try:
                place_order(idempotency_key=f"direct-{uuid.uuid4()}", **request)
                placed += 1
            except DomainError as exc:
                failures += 1
                if failures == 1:
                    print(f"  direct checkout refused: {exc.code} {exc.message}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    return Measure("direct place_order, one by one", len(requests), placed, elapsed, statements.count), failures


def per_occurrence_rate(materialize: Measure, place: Measure) -> float:
    """Occurrences per second of the whole scheduler: each occurrence's share of materializing plus placing."""
    if not materialize.done or not place.done:
        return 0.0
    return 1.0 / (materialize.seconds / materialize.done + place.seconds / place.done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=COUNT, help=f"occurrences due at once (default {COUNT:,})")
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help=f"time budget of each placing loop (default {SECONDS:.0f})"
    )
    parser.add_argument("--payment", choices=("card", "account"), default="card", help="card (tok_approve) or account")
    parser.add_argument("--workers", type=int, default=2, help="threads of the concurrent scheduler measurement")
    args = parser.parse_args()
    if args.count < 1 or args.seconds <= 0 or args.workers < 2:
        parser.error("--count and --seconds must be positive, --workers at least 2")

    var_dir, admin_url = prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    try:
        call_command("migrate", verbosity=0)
        server = connection.vendor
        if server == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                server = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            import sqlite3

            server = f"SQLite {sqlite3.sqlite_version} (WAL)"
        fixture = build_fixture()
        print(f"database: {server}, scratch; {os.cpu_count()} CPUs, load average {_load()}")
        print(f"{args.count:,} standing orders due at once per measurement, paid by {args.payment}; ", end="")
        print(f"each placing loop stops after {args.seconds:.0f} s")

        # Warm-up, not measured: the first orders load templates, prepare statements and fill caches.
        standing_orders_due(fixture=fixture, count=WARM_UP, payment=args.payment, batch="warm-up")
        measure_scheduler(workers=1, due=WARM_UP, seconds=args.seconds, batch="warm-up")
        leftovers_skip()

        t = time.perf_counter()
        first_ids, _ = standing_orders_due(fixture=fixture, count=args.count, payment=args.payment, batch="one")
        print(f"set-up: {args.count:,} standing orders bulk-inserted in {time.perf_counter() - t:.1f} s")
        one_mat, one_place, one_failures = measure_scheduler(
            workers=1, due=args.count, seconds=args.seconds, batch="one"
        )
        leftovers_skip()

        standing_orders_due(fixture=fixture, count=args.count, payment=args.payment, batch="two")
        # The first batch's runs are all placed or skipped, so only the second batch's are due now.
        two_mat, two_place, two_failures = measure_scheduler(
            workers=args.workers, due=args.count, seconds=args.seconds, batch="two"
        )
        leftovers_skip()

        direct, direct_failures = measure_direct(standing_order_ids=first_ids, seconds=args.seconds)
        print(f"load average at the end: {_load()}")
    finally:
        connections.close_all()
        if admin_url:
            pg_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_PG_NAME} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print(f"{'measurement':<36} {'due':>7} {'done':>7} {'seconds':>8} {'per second':>11} {'SQL each':>9}")
    for m in (one_mat, one_place, two_mat, two_place, direct):
        print(f"{m.label:<36} {m.due:>7,} {m.done:>7,} {m.seconds:>8.1f} {m.rate:>11.1f} {m.statements_each:>9.1f}")
    one = per_occurrence_rate(one_mat, one_place)
    two = per_occurrence_rate(two_mat, two_place)
    print()
    print(f"{'occurrences per second':<36} {'rate':>7} {'vs direct checkout':>19}")
    print(f"{'scheduler, 1 worker':<36} {one:>7.1f} {one / direct.rate:>19.2f}")
    print(f"{f'scheduler, {args.workers} workers':<36} {two:>7.1f} {two / direct.rate:>19.2f}")
    print(f"{'direct place_order, one by one':<36} {direct.rate:>7.1f} {1:>19.2f}")
    if one_failures or two_failures or direct_failures:
        print(f"refused or failed: scheduler {one_failures} + {two_failures}, direct {direct_failures}")
    print(
        "\nA scheduler occurrence is its share of materializing plus placing; 'done' counts runs made or orders"
        " placed; 'SQL each' is statements per run or order (BEGIN and COMMIT not counted)."
    )


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
