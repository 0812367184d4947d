"""One shopper's page journey, from the home page to the order confirmation, on autosales and on django-oscar
4.2.1 measured in the same run.

    .venv/bin/python bench/journey.py                       # SQLite scratch databases
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/journey.py
    .venv/bin/python bench/journey.py --quick               # fewer journeys per level

The journey has the same 12 steps on both shops, each a page or a form a browser shows or sends (redirects
followed by a request of their own, forms posted with the page's CSRF token and the shopper's cookies):
home, search, product, add to cart (back to the product page), cart, checkout, address (the address book's
default), shipping, payment, review, pay, confirmation. Where a shop has no page for a step it still takes
the step's request (Oscar picks its only shipping method and its default checkout has no payment form, so it
redirects on through them; its payment is the documented dummy). The shopper is signed in, with an address
in the address book; each client is its own shopper (session, cart, and on autosales its organization).

Each shop runs as it is deployed: gunicorn with a worker per core x 4 threads in its own processes on loopback, on
the same kind of database (a scratch PostgreSQL database each with DATABASE_URL, else a SQLite file each);
the journeys come from `bench/journey_runner.py`, a separate process, at 1 and 8 concurrent shoppers. Both
servers are up side by side, each is warmed up with the same journeys before anything is measured, and each
level alternates between them in rounds (a share of the journeys on one, then on the other), so that the
machine's load changing meanwhile weighs on both alike. Oscar
(with its sandbox's dependencies) is installed on first use into its own virtualenv under
~/.cache/autosales-bench/oscar-4.2.1 (django-oscar is not a dependency of autosales); its project is
`bench/oscar_shop/`. Both catalogues hold the same products, names and stock.

Printed: the SQL statements of one journey (one order) on each shop, counted in-process on its second
journey through Django's test client, autosales' per page; then per level the journeys per second, p50/p95
seconds per journey, the ratio autosales ÷ Oscar, and the CPU each journey took in the shop's web server processes
and in the database server (all of PostgreSQL's processes while that shop's journeys ran; the shops take turns).
Where both fill the machine's cores (eight shoppers on two), the ratio is about the ratio of their CPU per journey.
The numbers are for comparison on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from deployment import (  # noqa: E402
    BIN,
    WEB_THREADS,
    WEB_WORKERS,
    _psql,
    cpu_seconds,
    free_port,
    machine,
    processes,
    scratch_database,
)
from journey_runner import DjangoClientTransport, count_statements  # noqa: E402
from load import percentile  # noqa: E402

OSCAR_VERSION = "4.2.1"
OSCAR_VENV = Path.home() / ".cache" / "autosales-bench" / f"oscar-{OSCAR_VERSION}"
OSCAR_REQUIREMENTS = [f"django-oscar[sorl-thumbnail]=={OSCAR_VERSION}", "gunicorn", "psycopg[binary]"]
LEVELS = (1, 8)
PRODUCTS = 500
WORDS = ["amber", "candle", "globe", "tube", "spot", "flood", "reflector", "edison", "vintage", "halogen"]

# The journey, step by step, as each shop's pages take it (see journey_runner.py for the notation).
AUTOSALES_STEPS = [
    {"name": "home", "requests": [{"path": "/"}]},
    {"name": "search", "requests": [{"path": "/search/?q={word}"}]},
    {"name": "product", "requests": [{"path": "/p/{slug}/"}]},
    {
        "name": "add",
        "requests": [
            {
                "method": "POST",
                "path": "/cart/add/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "next": "/p/{slug}/", "sku": "{sku}", "quantity": "1"},
                "expect": 302,
                "to": "^/p/",
            },
            {"path": "{location}"},
        ],
    },
    {"name": "cart", "requests": [{"path": "/cart/"}]},
    {"name": "checkout", "requests": [{"path": "/checkout/", "expect": 302, "to": "^/checkout/address/$"}]},
    {
        "name": "address",
        "requests": [
            {"path": "{location}"},
            {
                "method": "POST",
                "path": "/checkout/address/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "address": "{address}"},
                "expect": 302,
                "to": "^/checkout/shipping/$",
            },
        ],
    },
    {
        "name": "shipping",
        "requests": [
            {"path": "{location}"},
            {
                "method": "POST",
                "path": "/checkout/shipping/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "shipping_method": "{shipping}"},
                "expect": 302,
                "to": "^/checkout/payment/$",
            },
        ],
    },
    {
        "name": "payment",
        "requests": [
            {"path": "{location}"},
            {
                "method": "POST",
                "path": "/checkout/payment/",
                "form": {
                    "csrfmiddlewaretoken": "{csrf}",
                    "kind": "card",
                    "payment_token": "tok_approve",
                    "customer_reference": "",
                },
                "expect": 302,
                "to": "^/checkout/review/$",
            },
        ],
    },
    {"name": "review", "requests": [{"path": "{location}", "extract": {"confirm": 'name="confirm" value="([^"]+)"'}}]},
    {
        "name": "pay",
        "requests": [
            {
                "method": "POST",
                "path": "/checkout/confirm/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "confirm": "{confirm}"},
                "expect": 302,
                "to": "^/orders/[^/]+/confirmation/$",
            }
        ],
    },
    {"name": "confirmation", "requests": [{"path": "{location}"}]},
]

OSCAR_STEPS = [
    {"name": "home", "requests": [{"path": "/", "expect": 302, "to": "^/catalogue/$"}, {"path": "{location}"}]},
    {"name": "search", "requests": [{"path": "/search/?q={word}"}]},
    {"name": "product", "requests": [{"path": "{product}"}]},
    {
        "name": "add",
        "requests": [
            {
                "method": "POST",
                "path": "/basket/add/{pk}/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "quantity": "1"},
                "expect": 302,
                "to": "^/catalogue/",
            },
            {"path": "{location}"},
        ],
    },
    {"name": "cart", "requests": [{"path": "/basket/"}]},
    {
        "name": "checkout",
        "requests": [{"path": "/checkout/", "expect": 302, "to": "^/checkout/shipping-address/$"}],
    },
    {
        "name": "address",
        "requests": [
            {"path": "{location}"},
            {
                "method": "POST",
                "path": "/checkout/shipping-address/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "action": "ship_to", "address_id": "{address}"},
                "expect": 302,
                "to": "^/checkout/shipping-method/$",
            },
        ],
    },
    {
        "name": "shipping",
        "requests": [{"path": "{location}", "expect": 302, "to": "^/checkout/payment-method/$"}],
    },
    {
        "name": "payment",
        "requests": [
            {"path": "{location}", "expect": 302, "to": "^/checkout/payment-details/$"},
            {"path": "{location}"},
        ],
    },
    {"name": "review", "requests": [{"path": "/checkout/preview/"}]},
    {
        "name": "pay",
        "requests": [
            {
                "method": "POST",
                "path": "/checkout/preview/",
                "form": {"csrfmiddlewaretoken": "{csrf}", "action": "place_order"},
                "expect": 302,
                "to": "^/checkout/thank-you/$",
            }
        ],
    },
    {"name": "confirmation", "requests": [{"path": "{location}"}]},
]


# -- autosales ---------------------------------------------------------------------------------------------


def autosales_set_up(*, products: int, shoppers: int) -> tuple[list[dict], object, dict]:
    """The catalogue (the same as Oscar's), one signed-in shopper per client (its own organization and
    default address) and one more for counting: (shoppers for the load, the counting user, its values)."""
    from django.conf import settings
    from django.test import Client

    from autosales.catalog.models import Category, Product, Variant
    from autosales.catalog.services import product_reindex
    from autosales.customers.models import Address, Membership, Organization, User
    from autosales.inventory.models import StockLevel, Warehouse
    from autosales.pricing.models import Price, PriceList
    from autosales.pricing.shipping import ShippingMethod

    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    category = Category.objects.create(name="Bench bulbs", slug="bench-bulbs")
    price_list, _ = PriceList.objects.get_or_create(is_default=True, defaults={"name": "List prices"})
    shipping = ShippingMethod.objects.create(name="Bench ground", code="bench-ground", base_rate=Decimal("0.00"))
    variants = []
    for i in range(products):
        product = Product.objects.create(
            name=f"Bench bulb {i} {WORDS[i % len(WORDS)]}", slug=f"bench-bulb-{i}", category=category
        )
        variant = Variant.objects.create(product=product, sku=f"BENCH-{i}", name="60 W", weight_grams=80)
        Price.objects.create(price_list=price_list, variant=variant, amount=Decimal("3.99"))
        StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=1_000_000)
        product_reindex(product=product)
        variants.append(variant)

    def shopper(n: int):
        organization = Organization.objects.create(name=f"Bench shopper {n}")
        user = User.objects.create_user(username=f"bench-{n}", email=f"bench{n}@example.com", password=None)
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
        variant = variants[(n * 7) % len(variants)]
        values = {
            "word": WORDS[(n * 7) % len(variants) % len(WORDS)],
            "slug": variant.product.slug,
            "sku": variant.sku,
            "address": address.public_id,
            "shipping": shipping.code,
        }
        return user, values

    load_shoppers = []
    for n in range(shoppers):
        user, values = shopper(n)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        load_shoppers.append({"cookies": {settings.SESSION_COOKIE_NAME: cookie}, "vars": values})
    counted, counted_values = shopper(shoppers)
    return load_shoppers, counted, counted_values


def autosales_counts(user, values: dict) -> list[dict]:
    """Statements per request of the counting shopper's second journey (the first warms the caches)."""
    transport = DjangoClientTransport(user)
    count_statements(transport, AUTOSALES_STEPS, values)
    return count_statements(transport, AUTOSALES_STEPS, values)


# -- Oscar ---------------------------------------------------------------------------------------------------


def oscar_python() -> Path:
    """Oscar's own virtualenv, made on first use (django-oscar never enters autosales' environment)."""
    python = OSCAR_VENV / "bin" / "python"
    marker = OSCAR_VENV / ".complete"
    if not marker.exists():
        print(f"installing django-oscar {OSCAR_VERSION} into {OSCAR_VENV} (first run only)", flush=True)
        OSCAR_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(OSCAR_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *OSCAR_REQUIREMENTS], check=True)
        marker.write_text(" ".join(OSCAR_REQUIREMENTS) + "\n")
    return python


@contextmanager
def oscar_database(var_dir: Path):
    """A scratch PostgreSQL database beside DATABASE_URL's (dropped afterwards), or SQLite under `var_dir`;
    yields the environment of Oscar's processes."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "AUTOSALES_VAR_DIR", "PYTHONPATH")
    }
    # Haystack's simple backend warns on every product saved that it keeps no index (it searches the tables).
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "oscar_shop.settings",
            "OSCAR_BENCH_VAR": str(var_dir),
            "PYTHONWARNINGS": "ignore::UserWarning",
        }
    )
    given = os.environ.get("DATABASE_URL", "")
    admin = url = None
    if given.startswith("postgres"):
        parts = urlsplit(given)
        url = urlunsplit(parts._replace(path=f"/oscar_bench_{uuid.uuid4().hex[:6]}"))
        admin = urlunsplit(parts._replace(path="/postgres"))
        _psql(admin, f'CREATE DATABASE "{urlsplit(url).path.lstrip("/")}"')
        env["OSCAR_BENCH_DATABASE_URL"] = url
    try:
        yield env
    finally:
        if admin:
            _psql(admin, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def oscar_set_up(python: Path, env: dict, *, products: int, shoppers: int) -> dict:
    spec = {"products": products, "shoppers": shoppers, "words": WORDS, "steps": OSCAR_STEPS}
    done = subprocess.run(
        [str(python), str(BENCH / "oscar_shop" / "shop.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH,
        timeout=900,
    )
    if done.returncode:
        raise RuntimeError(f"setting up Oscar failed: {done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout)


# -- Serving and loading -----------------------------------------------------------------------------------------


@contextmanager
def serve(command: list[str], *, env: dict, cwd: Path, ready_path: str):
    """A gunicorn as docs/deployment.md runs it (a worker per core, 4 threads each) in its own process group on a free
    loopback port; yields its URL and its process group, and stops the whole group afterwards."""
    port = free_port()
    command = [
        *command,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WEB_WORKERS),
        "--threads",
        str(WEB_THREADS),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)
    try:
        _wait_until_up(port, process, ready_path)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen, path: str, seconds: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not answer in time")


def journeys(*, url: str, steps: list[dict], shoppers: list[dict], clients: int, count: int) -> dict:
    """`count` journeys from `clients` shoppers of a separate load process (bounded to 300 s)."""
    spec = {"url": url, "steps": steps, "shoppers": shoppers, "clients": clients, "journeys": count, "seconds": 300}
    done = subprocess.run(
        [sys.executable, str(BENCH / "journey_runner.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=420,
    )
    if done.returncode:
        raise RuntimeError(f"the load process failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def _combined(parts: list[dict]) -> dict:
    """One level's figures from its rounds: journeys over the time they took, percentiles over all journeys."""
    durations = sorted(d for part in parts for d in part["durations"])
    seconds = sum(part["seconds"] for part in parts)
    ok = sum(part["ok"] for part in parts)
    server_cpu = sum(part["server_cpu_s"] for part in parts)
    database_cpu = sum(part["database_cpu_s"] for part in parts)
    by_step: dict[str, list[float]] = {}
    for part in parts:
        for name, values in part["step_ms"].items():
            by_step.setdefault(name, []).extend(values)
    return {
        "ok": ok,
        "failed": sum(part["failed"] for part in parts),
        "seconds": seconds,
        "journeys_per_s": ok / seconds if seconds else 0.0,
        "server_cpu_ms": 1000 * server_cpu / ok if ok else None,
        "database_cpu_ms": 1000 * database_cpu / ok if ok else None,
        "p50_s": percentile(durations, 0.50),
        "p95_s": percentile(durations, 0.95),
        "requests": parts[0]["requests"],
        "step_p50_ms": {name: percentile(sorted(values), 0.50) for name, values in by_step.items()},
        "first_error": next((part["first_error"] for part in parts if part["first_error"]), ""),
    }


# Journeys on each shop before the first level is measured, not counted: what is measured is a server as it runs,
# not as it starts (its templates loaded, its caches filled and, on PostgreSQL, the statements autosales prepares
# after their second run on a connection prepared on each of its 8 threads' connections).
WARM_UP_JOURNEYS = 16


def _measured_journeys(shop: dict, *, clients: int, count: int) -> dict:
    """`journeys` on one shop, with the CPU its web server's processes and the database server's used meanwhile
    (the shops take turns, so the database's CPU of the part is this shop's)."""
    server, database = processes(group=shop["server"]), processes(name="postgres")
    before = cpu_seconds(server), cpu_seconds(database)
    part = journeys(url=shop["url"], steps=shop["steps"], shoppers=shop["shoppers"], clients=clients, count=count)
    part["server_cpu_s"] = cpu_seconds(server) - before[0]
    part["database_cpu_s"] = cpu_seconds(database) - before[1]
    return part


def measure_both(*, shops: dict[str, dict], levels: list[int], count: int, rounds: int = 2) -> dict:
    """Per level, a warm-up on each shop (`WARM_UP_JOURNEYS` before the first level, then a journey per
    shopper), then `rounds` rounds that each run a share of the journeys on one shop and then on the other, so
    that a change in the machine's load meanwhile falls on both alike."""
    results: dict[str, dict[int, dict]] = {name: {} for name in shops}
    for n, clients in enumerate(levels):
        per_round = max(count, clients * 3) // rounds
        parts: dict[str, list[dict]] = {name: [] for name in shops}
        warm_up = max(clients, WARM_UP_JOURNEYS) if n == 0 else clients
        for shop in shops.values():
            _measured_journeys(shop, clients=clients, count=warm_up)  # not counted
        for _ in range(rounds):
            for name, shop in shops.items():
                parts[name].append(_measured_journeys(shop, clients=clients, count=per_round))
        for name in shops:
            results[name][clients] = _combined(parts[name])
    return results


# -- The run ------------------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _print_counts(name: str, counts: list[dict]) -> None:
    print(f"{name}: {sum(c['statements'] for c in counts)} SQL statements in {len(counts)} requests for one order")
    for c in counts:
        print(f"    {c['step']:<13} {c['method']:<4} {c['status']} {c['statements']:>4}  {c['path'][:60]}")


def measure(*, levels: list[int], count: int, products: int) -> dict:
    python = oscar_python()
    shoppers = max(levels)
    with scratch_database("journey", redis=True) as scratch:
        load_shoppers, counted, counted_values = autosales_set_up(products=products, shoppers=shoppers)
        ours_counts = autosales_counts(counted, counted_values)
        from django.db import connections

        connections.close_all()
        print(f"machine: {machine()}; {scratch.described}; {products} products in each shop")
        _print_counts("autosales", ours_counts)
        oscar_dir = Path(tempfile.mkdtemp(prefix="autosales-bench-oscar-"))
        try:
            with oscar_database(oscar_dir) as env:
                oscar = oscar_set_up(python, env, products=products, shoppers=shoppers)
                _print_counts(f"django-oscar {OSCAR_VERSION}", oscar["counts"])
                ours_server = serve(
                    [str(BIN / "gunicorn"), "autosales.wsgi:application"],
                    env=scratch.env,
                    cwd=scratch.var_dir,
                    ready_path="/healthz",
                )
                oscar_server = serve(
                    [str(OSCAR_VENV / "bin" / "gunicorn"), "oscar_shop.wsgi:application"],
                    env=env,
                    cwd=BENCH,
                    ready_path="/catalogue/",
                )
                with ours_server as (ours_url, ours_group), oscar_server as (oscar_url, oscar_group):
                    shops = {
                        "autosales": {
                            "url": ours_url,
                            "server": ours_group,
                            "steps": AUTOSALES_STEPS,
                            "shoppers": load_shoppers,
                        },
                        "oscar": {
                            "url": oscar_url,
                            "server": oscar_group,
                            "steps": OSCAR_STEPS,
                            "shoppers": oscar["shoppers"],
                        },
                    }
                    measured = measure_both(shops=shops, levels=levels, count=count)
        finally:
            shutil.rmtree(oscar_dir, ignore_errors=True)
    ours, theirs = measured["autosales"], measured["oscar"]
    ours_total = sum(c["statements"] for c in ours_counts)
    oscar_total = sum(c["statements"] for c in oscar["counts"])
    print(
        f"{'shoppers':>8} {'shop':<10} {'journeys/s':>10} {'p50 s':>7} {'p95 s':>7} {'requests':>8} {'failed':>6} "
        f"{'ratio':>6} {'web CPU ms':>10} {'db CPU ms':>9}"
    )
    rows = []
    for clients in levels:
        a, o = ours[clients], theirs[clients]
        ratio = a["journeys_per_s"] / o["journeys_per_s"] if o["journeys_per_s"] else None
        for name, r in (("autosales", a), ("oscar", o)):
            shown = f"{ratio:>6.2f}" if name == "autosales" and ratio is not None else ""
            print(
                f"{clients:>8} {name:<10} {r['journeys_per_s']:>10.2f} {r['p50_s']:>7.3f} {r['p95_s']:>7.3f} "
                f"{r['requests']:>8} {r['failed']:>6} {shown:>6} {_ms(r['server_cpu_ms']):>10} "
                f"{_ms(r['database_cpu_ms']):>9}"
            )
            if r["first_error"]:
                print(f"         first failure: {r['first_error'][:400]}")
        rows.append(
            {
                "clients": clients,
                "journeys_per_s": a["journeys_per_s"],
                "p50_s": a["p50_s"],
                "p95_s": a["p95_s"],
                "failed": a["failed"],
                "step_p50_ms": a["step_p50_ms"],
                "oscar_journeys_per_s": o["journeys_per_s"],
                "oscar_p50_s": o["p50_s"],
                "oscar_p95_s": o["p95_s"],
                "oscar_failed": o["failed"],
                "oscar_step_p50_ms": o["step_p50_ms"],
                "ratio_to_oscar": ratio,
                "server_cpu_ms": a["server_cpu_ms"],
                "database_cpu_ms": a["database_cpu_ms"],
                "oscar_server_cpu_ms": o["server_cpu_ms"],
                "oscar_database_cpu_ms": o["database_cpu_ms"],
            }
        )
    print("p50 ms per step at 1 shopper (autosales / oscar):")
    one = rows[0]
    print(
        "    "
        + ", ".join(
            f"{s} {one['step_p50_ms'].get(s, 0):.0f}/{one['oscar_step_p50_ms'].get(s, 0):.0f}"
            for s in one["step_p50_ms"]
        )
    )
    return {
        "products": products,
        "statements": ours_total,
        "oscar_statements": oscar_total,
        "max_page_statements": max(c["statements"] for c in ours_counts),
        "pages": ours_counts,
        "oscar_pages": oscar["counts"],
        "levels": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default=",".join(map(str, LEVELS)), help="concurrency levels, comma-separated")
    parser.add_argument("--journeys", type=int, default=60, help="journeys per concurrency level and shop")
    parser.add_argument("--products", type=int, default=PRODUCTS, help="products in each catalogue")
    parser.add_argument("--quick", action="store_true", help="16 journeys per level")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(
        levels=[int(c) for c in args.clients.split(",")],
        count=16 if args.quick else args.journeys,
        products=args.products,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
