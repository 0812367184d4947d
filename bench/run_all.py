"""Runs every benchmark on the production deployment and rewrites docs/performance.md with the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/run_all.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/run_all.py --quick

Each benchmark runs as its own process (checkout, catalog, recurring, outbox, journey), prints its full table, and
leaves its figures in a JSON file; this script then writes docs/performance.md: the summary table (each
figure beside its reference measured in the same run), the machine, and the commands to reproduce. Without
DATABASE_URL the benchmarks run on SQLite and there is no pgbench reference. `--quick` keeps the whole run
under about five minutes; the figures are then rougher (fewer requests, fewer due occurrences).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "performance.md"
sys.path.insert(0, str(BENCH))

from deployment import WEB_THREADS, WEB_WORKERS  # noqa: E402

BENCHMARKS = ("checkout", "catalog", "recurring", "outbox", "journey", "fulfillment", "reorder")


def run(name: str, *, quick: bool, out: Path) -> tuple[dict | list, str]:
    command = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(out)]
    if quick:
        command.append("--quick")
    print(f"\n=== bench/{name}.py {'--quick' if quick else ''}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    printed = "\n".join(line for line in done.stdout.splitlines() if "UserWarning" not in line)
    print(printed)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"bench/{name}.py failed with {done.returncode}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return json.loads(out.read_text()), printed


def _at(rows: list[dict], clients: int, **match) -> dict | None:
    for row in rows:
        if row.get("clients") == clients and all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def _fmt(value, pattern: str = "{:.1f}") -> str:
    return "—" if value is None else pattern.format(value)


def _journey_row(journey: dict) -> tuple[str, str, str, str]:
    at1 = _at(journey["levels"], 1) or journey["levels"][0]
    at8 = _at(journey["levels"], 8) or journey["levels"][-1]
    return (
        "one shopper's page journey (12 steps, home to confirmation)",
        f"{at1['journeys_per_s']:.2f} journeys/s at 1 shopper (p50 {at1['p50_s']:.2f} s), "
        f"{at8['journeys_per_s']:.2f}/s at {at8['clients']}; {journey['statements']} SQL statements per order, "
        f"at most {journey['max_page_statements']} per request",
        f"django-oscar 4.2.1 {at1['oscar_journeys_per_s']:.2f}/s and {at8['oscar_journeys_per_s']:.2f}/s, "
        f"{journey['oscar_statements']} statements per order; ratio {_fmt(at1['ratio_to_oscar'], '{:.2f}')} "
        f"and {_fmt(at8['ratio_to_oscar'], '{:.2f}')}; CPU per journey at {at8['clients']} (web server + database) "
        f"{_fmt(at8.get('server_cpu_ms'), '{:.0f}')} + {_fmt(at8.get('database_cpu_ms'), '{:.0f}')} ms, Oscar "
        f"{_fmt(at8.get('oscar_server_cpu_ms'), '{:.0f}')} + {_fmt(at8.get('oscar_database_cpu_ms'), '{:.0f}')} ms",
        "≥ 3 × Oscar; ≤ 80 statements per order; no page over 12 queries",
    )


def summary(results: dict) -> list[tuple[str, str, str, str]]:
    """(what, figure, reference in the same run, target) rows, in the order of the speed issue's table."""
    rows = []
    checkout = results["checkout"]
    at16 = _at(checkout, 16) or checkout[-1]
    at1 = _at(checkout, 1) or checkout[0]
    rows.append(
        (
            f"API checkout, {at16['clients']} clients",
            f"{at16['orders_per_s']:.1f} orders/s (p50 {at16['p50_ms']:.0f} ms, p95 {at16['p95_ms']:.0f} ms)",
            f"pgbench TPC-B {_fmt(at16['pgbench_tps'], '{:.0f}')} tx/s; ratio {_fmt(at16['ratio_to_pgbench'], '{:.3f}')}",
            "ratio ≥ 0.03, on the way to 0.06",
        )
    )
    rows.append(
        (
            "one API checkout",
            f"p50 {at1['p50_ms']:.0f} ms at 1 client; {at1['statements']} statements, {at1['transactions']} transactions",
            "—",
            "≤ 20 statements, ≤ 3 transactions, p50 ≤ 40 ms",
        )
    )
    rows.append(
        (
            f"checkout p95 ÷ trivial view p95, {at16['clients']} clients",
            _fmt(at16["p95_over_trivial"]),
            f"trivial view p95 {at16['trivial_p95_ms']:.1f} ms",
            "≤ 20; throughput rising past 4 clients",
        )
    )
    by_level = ", ".join(f"{row['clients']}: {row['orders_per_s']:.1f}" for row in checkout)
    rows.append(("checkout orders/s by clients", by_level, "—", "rising past 4 clients"))
    recurring = results["recurring"]
    tps = recurring.get("pgbench_1_client_tps")
    one = recurring["one_worker_per_s"]
    by_processes = recurring.get("by_processes") or {
        "1": one,
        str(recurring["workers"]): recurring["two_workers_per_s"],
    }
    rows.append(
        (
            f"scheduler, {recurring['count']:,} occurrences due at once",
            ", ".join(
                f"{n} process{'es' if n != '1' else ''} {rate:.1f}/s ({rate / one if one else 0:.2f} × one)"
                for n, rate in by_processes.items()
            ),
            f"pgbench 1 client {_fmt(tps, '{:.0f}')} tx/s; ratio {_fmt(one / tps if tps else None, '{:.4f}')}",
            "ratio ≥ 0.05; two worker processes ≥ 1.6 × one, four ≥ 3 × one",
        )
    )
    outbox = results["outbox"]
    rows.append(
        (
            "confirmation email, order answered → SMTP server",
            f"p50 {outbox['p50_s']:.2f} s, p99 {outbox['p99_s']:.2f} s ({outbox['orders']} orders)",
            "—",
            "p99 ≤ 2 s",
        )
    )
    rows.append(
        (
            "outbox delivery",
            f"{outbox['outbox_per_s']:.0f} emails/s",
            f"raw smtplib {outbox['raw_per_s']:.0f}/s; ratio {outbox['outbox_per_s'] / outbox['raw_per_s']:.2f}",
            "≥ 0.8 × raw",
        )
    )
    catalog = results["catalog"]
    page = _at(catalog, 16, target="category page (1,250 products)") or catalog[0]
    rows.append(
        (
            f"category page over 10,000 products, {page['clients']} clients",
            f"{page['per_s']:.1f} req/s, p99 {page['p99_ms']:.0f} ms",
            f"trivial view {page['trivial_per_s']:.0f} req/s; ratio {page['ratio_to_trivial']:.3f}",
            "≥ 0.15; p99 ≤ 100 ms",
        )
    )
    if "journey" in results:
        rows.append(_journey_row(results["journey"]))
    if "reorder" in results:
        reorder = results["reorder"]["regular"]
        rows.append(
            (
                f"reorder prediction, regular customers within ±7 days ({results['reorder']['customers']:,} synthetic)",
                f"{reorder['method']:.1%}",
                f"last interval {reorder['last interval']:.1%}, median interval {reorder['median interval']:.1%}",
                "≥ 80 %, ahead of both",
            )
        )
    return rows


def write_doc(*, results: dict, printed: dict, quick: bool, database: str, machine: str, seconds: float) -> None:
    lines = [
        "# Performance",
        "",
        "Every figure here was printed by `bench/run_all.py` in one run on the machine below; each stands beside",
        "a reference measured in the same run (pgbench on the same PostgreSQL, a trivial view through the same",
        "server, raw smtplib to the same SMTP server), because absolute figures depend on the machine and its load.",
        "The benchmarks drive the production deployment of [deployment.md](deployment.md): gunicorn (a worker per",
        f"core × {WEB_THREADS} threads, here {WEB_WORKERS} × {WEB_THREADS}) in its own processes with Redis as their",
        "shared cache, the load from a separate process (`bench/load.py`) sending each request on a connection of",
        "its own as the TLS proxy forwards it, scheduler",
        "and outbox workers as separate `autosales worker` processes (the set-up without Redis). This file is",
        "rewritten by the script; do not edit it by hand.",
        "",
        f"- run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {'quick' if quick else 'full'} mode, {seconds / 60:.0f} minutes",
        f"- machine: {machine}",
        f"- database: {database}",
        "",
        "| what | figure | reference in the same run | target |",
        "|---|---|---|---|",
    ]
    for what, figure, reference, target in summary(results):
        lines.append(f"| {what} | {figure} | {reference} | {target} |")
    lines += [
        "",
        "## Reproduce",
        "",
        "```sh",
        ".venv/bin/pip install -e '.[production,test]'",
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/run_all.py{' --quick' if quick else ''}",
        "# or one benchmark: .venv/bin/python bench/checkout.py | catalog.py | recurring.py | outbox.py | journey.py"
        " | fulfillment.py | reorder.py",
        "```",
        "",
        "Each benchmark makes its own scratch database (dropped afterwards) and talks only to 127.0.0.1.",
        "`bench/journey.py` installs django-oscar 4.2.1 on first use into its own virtualenv under",
        "`~/.cache/autosales-bench/` (it is never a dependency of autosales) and runs it the same way.",
        "",
        "## What each benchmark printed",
    ]
    for name in BENCHMARKS:
        if name not in printed:
            continue
        lines += ["", f"### bench/{name}.py", "", "```", printed[name].strip(), "```"]
    DOC.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark in its quick mode (about 5 minutes)")
    parser.add_argument("--only", help="comma-separated subset, without rewriting docs/performance.md")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else BENCHMARKS
    sys.path.insert(0, str(BENCH))
    from deployment import machine

    described_machine = machine()
    url = os.environ.get("DATABASE_URL", "")
    database = "PostgreSQL (DATABASE_URL)" if url.startswith("postgres") else "SQLite"
    if url.startswith("postgres"):
        version = subprocess.run(["psql", url, "-qtAc", "SHOW server_version"], capture_output=True, text=True)
        database = f"PostgreSQL {version.stdout.strip().split()[0] if version.stdout.strip() else ''}".strip()
    started = time.perf_counter()
    results, printed = {}, {}
    with tempfile.TemporaryDirectory(prefix="autosales-bench-") as folder:
        for name in names:
            results[name], printed[name] = run(name, quick=args.quick, out=Path(folder) / f"{name}.json")
    seconds = time.perf_counter() - started
    if args.only:
        return
    write_doc(
        results=results,
        printed=printed,
        quick=args.quick,
        database=database,
        machine=described_machine,
        seconds=seconds,
    )
    print(f"\nwrote {DOC.relative_to(ROOT)} ({seconds / 60:.1f} minutes)")


if __name__ == "__main__":
    main()
