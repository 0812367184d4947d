"""Catalog benchmark: list pages and the products API on a 10,000-product catalog, beside a trivial Django view.

    .venv/bin/python bench/catalog.py                      # SQLite scratch database in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/catalog.py
                                                           # PostgreSQL: a scratch database next to x, dropped after

It builds the scratch database, serves the app with waitress on 127.0.0.1 in a subprocess, sends a fixed
number of sequential keep-alive requests to each target (bounded by a few seconds each), and prints
requests/s, p50 and p99 latency, and each target's cost relative to the trivial view.
Not a test: the figures depend on the machine. Nothing leaves 127.0.0.1.
"""

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PRODUCTS = 10_000
REQUESTS = 200  # per target, after WARMUP
WARMUP = 15
SECONDS_PER_TARGET = 5.0  # stop a target early when it takes longer than this
SCRATCH_PG_NAME = "autosales_bench_catalog"

SHAPES = ["A19", "A21", "BR30", "BR40", "PAR20", "PAR30", "PAR38", "G25", "G40", "B11", "T8", "MR16", "ST64"]
BASES = ["E26", "E12", "E39", "GU10", "GU24", "G9", "GU5.3", "G13"]
KELVINS = [2200, 2700, 3000, 3500, 4000, 5000, 6500]
WATTS = [4, 5, 6, 8, 9, 11, 13, 15, 18, 25, 40, 60]
BRANDS = ["Lumora", "Brightline", "Voltaic", "Northlight", "Filamenta", "Clearbeam", "Halcyon"]
KINDS = ["LED bulb", "filament bulb", "smart bulb", "floodlight", "spotlight", "tube", "candle bulb", "globe"]
WORDS = [
    "dimmable",
    "warm",
    "soft",
    "daylight",
    "frosted",
    "clear",
    "outdoor",
    "damp-rated",
    "energy-saving",
    "long-life",
    "flicker-free",
]


# -- The server side (a subprocess) ------------------------------------------------------------------


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def serve(port: int) -> None:
    import django
    from django.conf import settings

    django.setup()
    from django.urls import include, path
    from waitress import serve as waitress_serve

    from autosales.wsgi import application

    module = sys.modules[__name__]
    module.urlpatterns = [path("bench/trivial/", trivial), path("", include("autosales.urls"))]
    settings.ROOT_URLCONF = module.__name__
    waitress_serve(application, host="127.0.0.1", port=port, threads=4, _quiet=True)


# -- Building the scratch database ---------------------------------------------------------------------


def build_catalog(products: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    from autosales.catalog.models import Category, Product, Variant
    from autosales.catalog.services import products_reindex
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.pricing.models import Price, PriceList

    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    with transaction.atomic():
        tops = [Category.objects.create(name=kind.title() + "s", slug=f"{kind.replace(' ', '-')}s") for kind in KINDS]
        subs = [
            Category.objects.create(
                name=f"{top.name} — {base}", slug=f"{top.slug}-{base.lower().replace('.', '')}", parent=top
            )
            for top in tops
            for base in BASES[:4]
        ]
        warehouse = Warehouse.objects.create(code="MAIN", name="Main distribution center")
        price_list = PriceList.objects.create(name="List prices", is_default=True)
        product_rows = []
        for n in range(products):
            kind = KINDS[n % len(KINDS)]
            shape, base, brand = rng.choice(SHAPES), rng.choice(BASES), rng.choice(BRANDS)
            watt = rng.choice(WATTS)
            product_rows.append(
                Product(
                    name=f"{brand} {shape} {kind} {watt} W {base} #{n}",
                    slug=f"p-{n}",
                    category=subs[(n * 7) % len(subs)],
                    brand=brand,
                    description=f"A {' '.join(rng.sample(WORDS, 3))} {kind} with an {base} base.",
                    is_featured=n % 997 == 0,
                )
            )
        Product.objects.bulk_create(product_rows, batch_size=1000)
        variant_rows = []
        for product in Product.objects.only("id", "name").order_by("id"):
            for i, kelvin in enumerate(rng.sample(KELVINS, rng.choice([1, 2, 3]))):
                pack = rng.choice([1, 4, 12])
                variant_rows.append(
                    Variant(
                        product=product,
                        sku=f"BB-{product.id:05d}-{kelvin}K-{pack}PK",
                        name=f"{kelvin} K, {pack}-pack",
                        attributes={"colour_temperature": f"{kelvin} K", "pack_size": pack},
                        position=i,
                    )
                )
        Variant.objects.bulk_create(variant_rows, batch_size=1000)
        variant_ids = list(Variant.objects.values_list("id", flat=True))
        Price.objects.bulk_create(
            [
                Price(price_list=price_list, variant_id=v, amount=Decimal(rng.randint(199, 4999)) / 100)
                for v in variant_ids
            ],
            batch_size=1000,
        )
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse=warehouse, variant_id=v, on_hand=rng.randint(0, 400)) for v in variant_ids],
            batch_size=1000,
        )
        products_reindex(product_ids=Product.objects.values_list("id", flat=True), batch_size=1000)
    return {"category": tops[0].slug, "variants": len(variant_ids), "product": "p-4242"}


def search_plan() -> str:
    """How the database runs a search query: the full-text index should be in the plan."""
    from django.db import connection

    from autosales.catalog.selectors import product_search

    sql, params = product_search(query="led 2700").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + sql, params)
        rows = [str(row[-1]) for row in cursor.fetchall()]
    used = [r.strip() for r in rows if "catalog_product_search_gin" in r or "catalog_product_fts" in r]
    return "; ".join(used) or "full-text index NOT used: " + " | ".join(rows)


# -- The client side -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


def measure(port: int, path: str) -> dict | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    first = conn.getresponse()
    first.read()
    if first.status != 200:
        conn.close()
        return {"status": first.status}
    for _ in range(WARMUP):
        conn.request("GET", path)
        conn.getresponse().read()
    latencies = []
    started = time.perf_counter()
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status} during the run")
        if time.perf_counter() - started > SECONDS_PER_TARGET:
            break
    elapsed = time.perf_counter() - started
    conn.close()
    latencies.sort()
    return {
        "status": 200,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def pg_scratch_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{SCRATCH_PG_NAME}")), urlunsplit(parts._replace(path="/postgres"))


def pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--products", type=int, default=PRODUCTS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    var_dir = Path(tempfile.mkdtemp(prefix="autosales-bench-catalog-"))
    env = {**os.environ, "AUTOSALES_VAR_DIR": str(var_dir), "HTTPS": "0", "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    env["DJANGO_SETTINGS_MODULE"] = "autosales.settings"
    admin_url = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], admin_url = pg_scratch_url(os.environ["DATABASE_URL"])
        pg_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_PG_NAME}")
        pg_admin(admin_url, f"CREATE DATABASE {SCRATCH_PG_NAME}")
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection

    server = None
    try:
        t0 = time.perf_counter()
        built = build_catalog(args.products)
        vendor = connection.vendor
        print(f"search plan: {search_plan()}")
        connection.close()
        print(
            f"catalog: {args.products} products, {built['variants']} variants on {vendor} "
            f"(built in {time.perf_counter() - t0:.0f} s)"
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)],
            env={**env, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent), *sys.path])},
        )
        wait_until_up(port, server)
        targets = [
            ("trivial Django view", "/bench/trivial/"),
            ("category page (1,250 products)", f"/c/{built['category']}/"),
            ("category page, page 40", f"/c/{built['category']}/?page=40"),
            ("search page 'led 2700'", "/search/?q=led+2700"),
            ("search page 'par38 floodlight'", "/search/?q=par38+floodlight"),
            ("search page SKU prefix", "/search/?q=BB-04242"),
            ("product page", f"/p/{built['product']}/"),
            ("API /api/v1/products?q=led", "/api/v1/products?q=led"),
            ("API /api/v1/products (no query)", "/api/v1/products"),
        ]
        results = [(label, measure(port, path)) for label, path in targets]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        connection.close()
        if admin_url:
            pg_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_PG_NAME} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)

    baseline = results[0][1]
    print(f"\n{'target':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs trivial':>15}")
    for label, r in results:
        if r["status"] != 200:
            print(f"{label:<34} {'answered ' + str(r['status']):>42}")
            continue
        ratio = r["p50"] / baseline["p50"]
        print(f"{label:<34} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {ratio:>14.1f}x")
    print(
        f"\n{REQUESTS} sequential keep-alive requests per target (at most {SECONDS_PER_TARGET:.0f} s), after {WARMUP} warm-up."
    )


if __name__ == "__main__":
    main()
