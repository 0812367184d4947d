"""Standing orders: occurrences the scheduler processes per second when 10,000 are due at once, with one, two and
four worker processes, beside the database's own limit measured in the same run.

    .venv/bin/python bench/recurring.py                   # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/recurring.py
    .venv/bin/python bench/recurring.py --quick           # 1,000 due at once, shorter budgets

It builds a scratch database (a fresh PostgreSQL database next to the one DATABASE_URL names, dropped after;
a temporary file on SQLite) with a catalog with plenty of stock, customer organizations and a shipping method.
Then, in one run:

1. one worker process, as `autosales worker` runs the scheduler's jobs: `--count` standing orders (two
   lines each, paid as `--payment` says) all due at the same moment; `runs_materialize` until nothing is left,
   then `runs_place` (batches sized to the lease, as the job claims them) until no run is due or the budget is
   spent;
2. the same with each number of worker processes of `--processes` (default 1,2,4: separate interpreters, each
   its own connection), each time on `--count` new standing orders due at once;
3. the same orders placed one by one through `place_order` in one process, without the scheduler;
4. the reference: `pgbench` TPC-B at 1 client on the same PostgreSQL (on SQLite: none).

`--profile FILE` writes a cProfile of one worker process's placing loop (the first measurement) to FILE.

Placing loops stop when nothing is due or after `--seconds`; rates count what was done in the time measured.
Runs left over when a budget ends are marked skipped before the next measurement.

Not a test: the figures depend on the machine. Nothing leaves 127.0.0.1: the database must be on loopback,
payments use the built-in test gateway (`tok_approve`) or the vendor account, and emails stay in the outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import machine, pgbench_tps, scratch_database

COUNT = 10_000
SECONDS = 45.0  # per placing loop
WARM_UP = 10
ORGANIZATIONS = 100
VARIANTS = 50


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


def scheduler_worker(*, name: str, seconds: float, profile: str = "") -> None:
    """One worker process (`--worker NAME`): says ready, waits for "go" on standard input, materializes until
    nothing is left, then places until nothing is due or the budget is spent; prints its counters as JSON."""
    import django

    django.setup()
    from django.db import connection

    from autosales.core import clock
    from autosales.recurring.scheduler import runs_materialize, runs_place

    materialize_statements, place_statements = StatementCounter(), StatementCounter()
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.time()
    with connection.execute_wrapper(materialize_statements):
        while runs_materialize(now=clock.now()).items:
            pass
    t1 = time.time()
    placed = failures = 0
    deadline = t1 + seconds
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with connection.execute_wrapper(place_statements):
        while time.time() < deadline:
            result = runs_place(now=clock.now(), worker=name)
            if not result.items:
                break
            placed += result.items - result.failures
            failures += result.failures
    t2 = time.time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    print(
        json.dumps(
            {
                "materialize": [t0, t1],
                "place": [t1, t2],
                "placed": placed,
                "failures": failures,
                "materialize_statements": materialize_statements.count,
                "place_statements": place_statements.count,
            }
        ),
        flush=True,
    )
    connection.close()


def measure_scheduler(
    *, workers: int, due: int, seconds: float, batch: str, profile: str = ""
) -> tuple[Measure, Measure, int]:
    """(materialize, place, failures) for `workers` worker processes on the standing orders of `batch`, due now."""
    from autosales.recurring.models import Run

    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", f"bench-worker-{n}", "--seconds", str(seconds)]
            + (["--profile", profile] if profile and n == 0 else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker process did not start")
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    reports = []
    for process in processes:
        out, _ = process.communicate(timeout=seconds + 600)
        if process.returncode:
            raise RuntimeError(f"a worker process failed with {process.returncode}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    materialized = Run.objects.filter(
        kind=Run.Kind.OCCURRENCE, standing_order__name__startswith=f"Bulbs {batch} "
    ).count()
    # Wall-clock spans: from the first worker's start to the last worker's end of each pass.
    mat_seconds = max(r["materialize"][1] for r in reports) - min(r["materialize"][0] for r in reports)
    place_seconds = max(r["place"][1] for r in reports) - min(r["place"][0] for r in reports)
    label = f"scheduler, {workers} worker process{'es' if workers > 1 else ''}"
    return (
        Measure(
            f"{label}: materialize", due, materialized, mat_seconds, sum(r["materialize_statements"] for r in reports)
        ),
        Measure(
            f"{label}: place",
            due,
            sum(r["placed"] for r in reports),
            place_seconds,
            sum(r["place_statements"] for r in reports),
        ),
        sum(r["failures"] for r in reports),
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
    parser.add_argument(
        "--processes", default="1,2,4", help="worker processes of each measurement, comma-separated (default 1,2,4)"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 due at once, 10 s budgets")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", help="write a cProfile of the one-process placing loop to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        scheduler_worker(name=args.worker, seconds=args.seconds, profile=args.profile or "")
        return
    if args.quick:
        args.count, args.seconds = 1_000, 10.0
    try:
        levels = sorted({int(n) for n in args.processes.split(",")})
    except ValueError:
        parser.error(f"--processes: comma-separated whole numbers, not {args.processes!r}")
    if args.count < 1 or args.seconds <= 0 or not levels or levels[0] != 1 or levels[-1] > 16:
        parser.error("--count and --seconds must be positive; --processes starts at 1, at most 16")

    with scratch_database("recurring") as scratch:
        fixture = build_fixture()
        print(f"machine: {machine()}; database: {scratch.vendor}, scratch")
        print(f"{args.count:,} standing orders due at once per measurement, paid by {args.payment}; ", end="")
        print(f"each placing loop stops after {args.seconds:.0f} s")

        # Warm-up, not measured: the first orders load templates, prepare statements and fill caches.
        standing_orders_due(fixture=fixture, count=WARM_UP, payment=args.payment, batch="warm-up")
        measure_scheduler(workers=1, due=WARM_UP, seconds=args.seconds, batch="warm-up")
        leftovers_skip()

        measured = {}
        first_ids = []
        failures = 0
        for workers in levels:
            t = time.perf_counter()
            ids, _ = standing_orders_due(fixture=fixture, count=args.count, payment=args.payment, batch=f"p{workers}")
            print(f"set-up: {args.count:,} standing orders bulk-inserted in {time.perf_counter() - t:.1f} s")
            first_ids = first_ids or ids
            # The runs of the measurements before are all placed or skipped, so only this batch's are due now.
            mat, place, failed = measure_scheduler(
                workers=workers,
                due=args.count,
                seconds=args.seconds,
                batch=f"p{workers}",
                profile=args.profile if workers == 1 else "",
            )
            measured[workers] = (mat, place)
            failures += failed
            leftovers_skip()

        direct, direct_failures = measure_direct(standing_order_ids=first_ids, seconds=args.seconds)
        tps = pgbench_tps(scratch, clients=1, seconds=5)
        print(f"load average at the end: {_load()}")

    print()
    print(f"{'measurement':<44} {'due':>7} {'done':>7} {'seconds':>8} {'per second':>11} {'SQL each':>9}")
    for m in [*(m for pair in measured.values() for m in pair), direct]:
        print(f"{m.label:<44} {m.due:>7,} {m.done:>7,} {m.seconds:>8.1f} {m.rate:>11.1f} {m.statements_each:>9.1f}")
    rates = {workers: per_occurrence_rate(*pair) for workers, pair in measured.items()}
    one = rates[1]
    print()
    header = (
        f"{'occurrences per second':<44} {'rate':>7} {'vs 1 process':>13} {'vs direct':>10} {'vs pgbench 1 client':>20}"
    )
    print(header)
    reference = f"{tps:.0f} tx/s" if tps else "(SQLite: none)"
    for workers, rate in rates.items():
        label = f"scheduler, {workers} worker process{'es' if workers > 1 else ''}"
        versus = f"{rate / tps:.4f}" if tps else "-"
        direct_ratio = rate / direct.rate if direct.rate else 0
        print(f"{label:<44} {rate:>7.1f} {rate / one if one else 0:>13.2f} {direct_ratio:>10.2f} {versus:>20}")
    print(f"{'direct place_order, one by one':<44} {direct.rate:>7.1f} {'':>13} {1:>10.2f}")
    print(f"pgbench TPC-B, 1 client: {reference}")
    if failures or direct_failures:
        print(f"refused or failed: scheduler {failures}, direct {direct_failures}")
    print(
        "\nA scheduler occurrence is its share of materializing plus placing; 'done' counts runs made or orders"
        " placed; 'SQL each' is statements per run or order (BEGIN and COMMIT not counted)."
    )
    if args.json:
        two = 2 if 2 in rates else levels[-1]
        Path(args.json).write_text(
            json.dumps(
                {
                    "one_worker_per_s": one,
                    "two_workers_per_s": rates[two],
                    "workers": two,
                    "by_processes": {str(workers): rate for workers, rate in rates.items()},
                    "direct_per_s": direct.rate,
                    "pgbench_1_client_tps": tps,
                    "count": args.count,
                    "place_sql_each": measured[1][1].statements_each,
                },
                indent=2,
            )
        )


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
