"""Catalog: category, search and product pages and the products API over a 10,000-product catalog, on the
production deployment, beside a trivial view measured in the same run.

    .venv/bin/python bench/catalog.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/catalog.py
    .venv/bin/python bench/catalog.py --quick              # 16 clients only, fewer requests

The app runs as docs/deployment.md runs it (gunicorn, a worker per core x 4 threads) in its own processes; the load
comes from `bench/load.py`, another process, at 1, 4, 16 and 32 concurrent clients. Printed per target
and level: requests/s, p50/p95/p99, and throughput as a fraction of the trivial view (`/healthz`) at the same
concurrency through the same server. Not a test: the figures depend on the machine. Nothing leaves 127.0.0.1.
"""

import argparse
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import LEVELS, gunicorn, load, machine, scratch_database, trivial_view

PRODUCTS = 10_000

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


# -- Building the scratch database ---------------------------------------------------------------------


def build_catalog(products: int) -> dict:
    from django.db import transaction

    from autosales.catalog.imports.batches import statistics_refresh_on_commit
    from autosales.catalog.models import Category, Product, ProductFacet, Variant
    from autosales.catalog.services import products_reindex
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.pricing.models import Price, PriceList

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
        product_rows, shapes = [], []
        for n in range(products):
            kind = KINDS[n % len(KINDS)]
            shape, base, brand = rng.choice(SHAPES), rng.choice(BASES), rng.choice(BRANDS)
            watt = rng.choice(WATTS)
            shapes.append((watt, base))
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
        ids = list(Product.objects.order_by("id").values_list("id", flat=True))
        watts = {pid: watt for pid, (watt, _) in zip(ids, shapes, strict=True)}
        bases = {pid: base for pid, (_, base) in zip(ids, shapes, strict=True)}
        variant_rows = []
        for product in Product.objects.only("id", "name").order_by("id"):
            for i, kelvin in enumerate(rng.sample(KELVINS, rng.choice([1, 2, 3]))):
                pack = rng.choice([1, 4, 12])
                variant_rows.append(
                    Variant(
                        product=product,
                        sku=f"BB-{product.id:05d}-{kelvin}K-{pack}PK",
                        name=f"{kelvin} K, {pack}-pack",
                        attributes={
                            "wattage": f"{watts[product.id]} W",
                            "base": bases[product.id],
                            "colour_temperature": f"{kelvin} K",
                            "pack_size": pack,
                        },
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
        # As the catalog import does after a bulk write: the planner's statistics, refreshed when this commits.
        statistics_refresh_on_commit(Product, Variant, ProductFacet, Price, StockLevel, rows=products)
    return {"category": tops[0].slug, "variants": len(variant_ids), "product": f"p-{products // 2}"}


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


def facet_timing(built: dict) -> str:
    """How long the facet counts of the largest lists take in this process, uncached (median of 5)."""
    import statistics

    from autosales.catalog.facets import facet_names
    from autosales.catalog.selectors import category_by_slug, listing_facets

    names = facet_names()
    category = category_by_slug(slug=built["category"])
    cases = {
        "category": lambda: listing_facets(category=category, names=names),
        "category+2 filters": lambda: listing_facets(
            category=category, selection=(("base", ("E12", "E26")), ("colour_temperature", ("2700 K",))), names=names
        ),
        "search 'led'": lambda: listing_facets(query="led", names=names),
    }
    parts = []
    for label, run in cases.items():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        parts.append(f"{label} {statistics.median(times):.0f} ms")
    return "; ".join(parts)


def targets(built: dict) -> list[tuple[str, str]]:
    return [
        ("category page (1,250 products)", f"/c/{built['category']}/"),
        ("category page, page 40", f"/c/{built['category']}/?page=40"),
        ("search page 'led 2700'", "/search/?q=led+2700"),
        ("search page SKU prefix", "/search/?q=BB-04242"),
        ("category page, 2 facet filters", f"/c/{built['category']}/?base=E26&base=E12&colour_temperature=2700+K"),
        ("search page 'led', 1 facet filter", "/search/?q=led&pack_size=4"),
        ("product page", f"/p/{built['product']}/"),
        ("API /api/v1/products?q=led", "/api/v1/products?q=led"),
        ("API /api/v1/products", "/api/v1/products"),
    ]


def measure(*, levels: list[int], requests: int, products: int) -> list[dict]:
    rows = []
    with scratch_database("catalog", redis=True) as scratch:
        started = time.perf_counter()
        built = build_catalog(products)
        print(f"machine: {machine()}; {scratch.described}")
        print(
            f"catalog: {products} products, {built['variants']} variants (built in {time.perf_counter() - started:.0f} s)"
        )
        print(f"search plan: {search_plan()}")
        print(f"facet counts (one query each, uncached): {facet_timing(built)}")
        print(
            f"{'target':<32} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
            f"{'trivial/s':>9} {'ratio':>6}"
        )
        with gunicorn(scratch) as url:
            for clients in levels:
                trivial = trivial_view(url=url, clients=clients, count=max(400, clients * 20))
                print(
                    f"{'trivial view /healthz':<32} {clients:>7} {trivial.rate:>7.0f} {trivial.p50_ms:>7.1f} "
                    f"{trivial.p95_ms:>7.1f} {trivial.p99_ms:>7.1f}"
                )
                for label, path in targets(built):
                    spec = [{"method": "GET", "path": path}]
                    load(url=url, requests=spec, clients=clients, count=clients * 2)  # warm-up
                    result = load(url=url, requests=spec, clients=clients, count=max(requests, clients * 4), seconds=30)
                    ratio = result.rate / trivial.rate if trivial.rate else 0.0
                    rows.append(
                        {
                            "target": label,
                            "clients": clients,
                            "per_s": result.rate,
                            "p50_ms": result.p50_ms,
                            "p95_ms": result.p95_ms,
                            "p99_ms": result.p99_ms,
                            "failed": result.failed,
                            "trivial_per_s": trivial.rate,
                            "ratio_to_trivial": ratio,
                        }
                    )
                    print(
                        f"{label:<32} {clients:>7} {result.rate:>7.1f} {result.p50_ms:>7.1f} {result.p95_ms:>7.1f} "
                        f"{result.p99_ms:>7.1f} {trivial.rate:>9.0f} {ratio:>6.3f}"
                    )
                    if result.first_error:
                        print(f"        first failure: {result.first_error}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--clients", default=",".join(map(str, LEVELS)), help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests per target and level")
    parser.add_argument("--quick", action="store_true", help="16 clients, 80 requests per target")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    levels = [16] if args.quick else [int(c) for c in args.clients.split(",")]
    rows = measure(levels=levels, requests=80 if args.quick else args.requests, products=args.products)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
