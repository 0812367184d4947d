"""Reorder prediction against the two simple baselines, on synthetic order histories with a fixed seed.

    .venv/bin/python bench/reorder.py            # 2,000 customers × 2 years
    .venv/bin/python bench/reorder.py --quick    # 500 customers

Each customer gets two years of orders from one of five kinds: regular (a fixed rhythm with a few days' jitter,
now and then a skipped cycle or a top-up order), noisy (each interval drawn around the usual one, starting from
the previous order), seasonal (the interval swings ±30 % over the year), lapsing (regular, then stops for good),
irregular (orders at random, no rhythm). The last order of each customer is held out; the prediction from the
orders before it counts as a hit when within ±7 days of it. The method (`autosales.crm.prediction.cadence`) runs
on the same histories as "last order + last interval" and "last order + median interval"; "regular customers"
are the regular, noisy and seasonal kinds. No database or server: the functions are pure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from autosales.crm.prediction.cadence import (
    cadence_of,
    next_by_last_interval,
    next_by_median_interval,
)

SEED = 20261127
START = dt.date(2025, 1, 1)
DAYS = 730
PERIODS = (7, 14, 21, 28, 30, 35, 42, 56, 60, 90)
KINDS = (("regular", 0.40), ("noisy", 0.20), ("seasonal", 0.15), ("lapsing", 0.10), ("irregular", 0.15))
REGULAR_KINDS = ("regular", "noisy", "seasonal")
WINDOW_DAYS = 7


def _quantity(rng: random.Random, base: int) -> int:
    return max(1, round(base * rng.uniform(0.8, 1.2)))


def history(rng: random.Random, kind: str) -> list[tuple[dt.date, int]]:
    """Two years of (order date, quantity) for one customer of `kind`."""
    period = rng.choice(PERIODS)
    base = rng.choice((10, 24, 50, 100, 500))
    day = rng.uniform(0, period)
    stop = DAYS if kind != "lapsing" else rng.uniform(DAYS * 0.5, DAYS * 0.9)
    phase = rng.uniform(0, 2 * math.pi)
    days: list[float] = []
    cycle = 0
    while True:
        if kind == "regular" or kind == "lapsing":
            at = day + cycle * period + rng.gauss(0, 1.5)
            cycle += 1
            if rng.random() < 0.05:
                continue  # a skipped cycle
            if rng.random() < 0.03 and days:
                days.append(at - period * rng.uniform(0.2, 0.6))  # a top-up between two cycles
        elif kind == "noisy":
            day += period * rng.lognormvariate(0, 0.12)
            at = day
        elif kind == "seasonal":
            day += period * (1 + 0.3 * math.sin(2 * math.pi * day / 365 + phase)) + rng.gauss(0, 1.5)
            at = day
        else:
            day += rng.expovariate(1 / period)
            at = day
        if at >= stop:
            break
        if at >= 0:
            days.append(at)
    return sorted((START + dt.timedelta(days=round(d)), _quantity(rng, base)) for d in days)


def run(customers: int) -> dict:
    rng = random.Random(SEED)
    kinds, weights = zip(*KINDS, strict=True)
    hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counted: dict[str, int] = defaultdict(int)
    flagged = defaultdict(int)
    started = time.perf_counter()
    predictions = 0
    for _ in range(customers):
        kind = rng.choices(kinds, weights)[0]
        orders = history(rng, kind)
        if len(orders) < 4:
            continue  # three orders to learn from and one to hold out
        past, held_out = orders[:-1], orders[-1][0]
        cadence = cadence_of(past)
        predictions += 1
        guesses = {
            "method": cadence.next_on if cadence else None,
            "last interval": next_by_last_interval(past),
            "median interval": next_by_median_interval(past),
        }
        counted[kind] += 1
        if cadence is not None and cadence.is_regular:
            flagged[kind] += 1
        for name, guess in guesses.items():
            if guess is not None and abs((guess - held_out).days) <= WINDOW_DAYS:
                hits[kind][name] += 1
    seconds = time.perf_counter() - started

    def share(kinds_: tuple[str, ...], name: str) -> float:
        total = sum(counted[k] for k in kinds_)
        return sum(hits[k][name] for k in kinds_) / total if total else 0.0

    names = ("method", "last interval", "median interval")
    return {
        "customers": customers,
        "held_out": sum(counted.values()),
        "regular_customers": sum(counted[k] for k in REGULAR_KINDS),
        "regular": {name: share(REGULAR_KINDS, name) for name in names},
        "by_kind": {k: {"customers": counted[k], **{n: share((k,), n) for n in names}} for k, _ in KINDS},
        "flagged_regular": {k: flagged[k] / counted[k] if counted[k] else 0.0 for k, _ in KINDS},
        "predictions_per_s": predictions / seconds if seconds else 0.0,
    }


def report(result: dict) -> str:
    lines = [
        f"{result['customers']:,} customers × 2 years (seed {SEED}); last order held out; hit = within ±{WINDOW_DAYS} "
        "days",
        "",
        f"{'customers':<22}{'n':>6}{'method':>10}{'last interval':>16}{'median interval':>18}{'called regular':>16}",
    ]
    regular = result["regular"]
    lines.append(
        f"{'regular (3 kinds)':<22}{result['regular_customers']:>6}{regular['method']:>10.1%}"
        f"{regular['last interval']:>16.1%}{regular['median interval']:>18.1%}{'':>16}"
    )
    for kind, row in result["by_kind"].items():
        lines.append(
            f"{'  ' + kind:<22}{row['customers']:>6}{row['method']:>10.1%}{row['last interval']:>16.1%}"
            f"{row['median interval']:>18.1%}{result['flagged_regular'][kind]:>16.1%}"
        )
    lines.append("")
    lines.append(f"{result['predictions_per_s']:,.0f} predictions/s on one core")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 customers instead of 2,000")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--json", type=Path, help="write the figures to this file (bench/run_all.py)")
    args = parser.parse_args()
    customers = args.customers or (500 if args.quick else 2000)
    result = run(customers)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
