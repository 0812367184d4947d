"""A customer's ordering cadence learned from its order history: when the next order comes, how much, how sure.

Pure functions on in-memory data (no database), so the benchmark (`bench/reorder.py`) runs the very code the
rules use. The method, in the order the function applies it:

1. Orders of one day are one order; an order between two orders that are about one usual interval apart (or,
   for the last, within `TOP_UP_SHARE` of the usual interval after the previous one) is a top-up of that cycle,
   not a cycle of its own: its quantity joins the previous order.
2. The usual interval is the median of the recent intervals; each interval counts as the whole number of usual
   intervals nearest to it, so a skipped cycle (an interval twice the usual) does not stretch the estimate.
3. Two estimates of the next date, each fitted to the recent orders with weights that halve every
   `HALF_LIFE_CYCLES` cycles (recent behaviour counts most, so a slow seasonal drift is followed):
   - *phase-locked*: a weighted straight line through (cycle number, date), extended one cycle — right for a
     customer who orders on a fixed rhythm with a few days' jitter either way (the jitter of the last order does
     not move the next);
   - *drifting*: the last order plus the weighted mean of the recent intervals (outliers beyond three robust
     deviations dropped) — right for a customer whose every interval starts from the previous order.
   Each is back-tested on the customer's own last orders (predict each from the ones before it) and the one with
   the smaller error is used.
4. Confidence: 1 − 2 × (the root mean square of the back-test errors, the largest left out, ÷ the interval),
   clipped to [0, 1]: 1 for a clockwork customer, 0 for one whose errors are half an interval or more. `REGULAR_CONFIDENCE` and above is a
   regular customer (the rules act only on those).
5. Expected quantity: the median of the last `QUANTITY_WINDOW` orders' quantities.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

MIN_ORDERS = 3
MAX_INTERVALS = 12
TOP_UP_SHARE = 0.4
HALF_LIFE_CYCLES = 3.0
BACKTEST = 6
QUANTITY_WINDOW = 4
REGULAR_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Cadence:
    """What a customer's history says of its next order (of one product, or overall)."""

    orders: int
    last_on: dt.date
    interval_days: float
    next_on: dt.date
    expected_quantity: int
    confidence: float

    @property
    def is_regular(self) -> bool:
        return self.confidence >= REGULAR_CONFIDENCE

    @property
    def every_weeks(self) -> int:
        return max(1, round(self.interval_days / 7))


def _merged(events: Iterable[tuple[dt.date, int]]) -> list[tuple[int, int]]:
    """(day number, quantity) per ordering day, in date order."""
    by_day: dict[int, int] = {}
    for day, quantity in events:
        ordinal = day.toordinal()
        by_day[ordinal] = by_day.get(ordinal, 0) + quantity
    return sorted(by_day.items())


def _without_top_ups(days: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drops the top-up orders: one between two orders about a usual interval apart, or one just after the last."""
    if len(days) < 3:
        return days
    usual = statistics.median(b[0] - a[0] for a, b in itertools.pairwise(days))
    kept = [days[0]]
    for index in range(1, len(days)):
        day, quantity = days[index]
        before = day - kept[-1][0]
        after = days[index + 1][0] - day if index + 1 < len(days) else None
        if after is None:
            top_up = before < TOP_UP_SHARE * usual
        else:
            top_up = before < 0.75 * usual and after < 0.75 * usual and abs(before + after - usual) < 0.25 * usual
        if top_up:
            kept[-1] = (kept[-1][0], kept[-1][1] + quantity)
        else:
            kept.append((day, quantity))
    return kept


def _weights(cycles: list[int]) -> list[float]:
    last = cycles[-1]
    return [0.5 ** ((last - c) / HALF_LIFE_CYCLES) for c in cycles]


def _phase_locked(days: list[int], usual: float) -> float:
    """The next date on a weighted line through (cycle number, date): skipped cycles count as cycles."""
    cycles = [0]
    for a, b in itertools.pairwise(days):
        cycles.append(cycles[-1] + max(1, round((b - a) / usual)))
    weights = _weights(cycles)
    total = sum(weights)
    mean_c = sum(w * c for w, c in zip(weights, cycles, strict=False)) / total
    mean_d = sum(w * d for w, d in zip(weights, days, strict=False)) / total
    spread = sum(w * (c - mean_c) ** 2 for w, c in zip(weights, cycles, strict=False))
    if spread == 0:
        return days[-1] + usual
    slope = sum(w * (c - mean_c) * (d - mean_d) for w, c, d in zip(weights, cycles, days, strict=False)) / spread
    if slope <= 0:
        return days[-1] + usual
    return mean_d + slope * (cycles[-1] + 1 - mean_c)


def _steps(days: list[int], usual: float) -> list[float]:
    """Each interval per cycle: a skipped cycle (an interval of about two usual ones) counts as two steps."""
    return [(b - a) / max(1, round((b - a) / usual)) for a, b in itertools.pairwise(days)]


def _drifting_with(half_life: float):
    def drifting(days: list[int], usual: float) -> float:
        """The last date plus the weighted mean of the recent steps, outliers beyond three robust deviations out."""
        steps = _steps(days, usual)
        center = statistics.median(steps)
        deviation = statistics.median(abs(s - center) for s in steps) * 1.4826 or max(1.0, 0.05 * center)
        inliers = [s for s in steps if abs(s - center) <= 3 * deviation] or steps
        weights = [0.5 ** ((len(inliers) - 1 - i) / half_life) for i in range(len(inliers))]
        return days[-1] + sum(w * s for w, s in zip(weights, inliers, strict=False)) / sum(weights)

    return drifting


def _seasonal(days: list[int], usual: float) -> float:
    """The last date plus the step the customer took at the same time last year, scaled to this year's level."""
    year_ago = days[-1] - 365
    if days[0] > year_ago - usual:
        return _drifting_with(HALF_LIFE_CYCLES)(days, usual)
    steps = _steps(days, usual)
    starts = days[:-1]
    nearest = min(range(len(starts)), key=lambda i: abs(starts[i] - year_ago))
    then = steps[nearest]
    # this year's level against last year's, over the last few steps and the ones a year before them
    recent = statistics.mean(steps[-3:])
    before = statistics.mean(steps[max(0, nearest - 3) : nearest] or [then])
    return days[-1] + then * min(1.5, max(0.67, recent / before))


def _usual(days: list[int]) -> float:
    return statistics.median(b - a for a, b in itertools.pairwise(days))


def _spread(errors: list[float]) -> float:
    """The root mean square of the back-test errors, the largest dropped when there are five or more."""
    squares = sorted(e * e for e in errors)
    if len(squares) >= 5:
        squares = squares[:-1]
    return (sum(squares) / len(squares)) ** 0.5


def _backtest_errors(days: list[int], method) -> list[float]:
    errors = []
    for end in range(max(2, len(days) - BACKTEST), len(days)):
        past = days[:end]
        errors.append(method(past, _usual(past)) - days[end])
    return errors


METHODS = (_drifting_with(HALF_LIFE_CYCLES), _phase_locked, _drifting_with(1.0), _seasonal)


def cadence_of(events: Iterable[tuple[dt.date, int]]) -> Cadence | None:
    """The cadence of a history of (order date, quantity); None under `MIN_ORDERS` ordering days."""
    merged = _without_top_ups(_merged(events))
    if len(merged) < MIN_ORDERS:
        return None
    merged = merged[-(MAX_INTERVALS + 1) :]
    days = [d for d, _ in merged]
    usual = _usual(days)
    if usual < 1:
        return None
    best, errors = None, []
    for method in METHODS if len(days) > MIN_ORDERS else METHODS[:1]:
        method_errors = _backtest_errors(days, method)
        if best is None or sum(abs(e) for e in method_errors) < sum(abs(e) for e in errors):
            best, errors = method, method_errors
    predicted = best(days, usual)
    interval = predicted - days[-1]
    confidence = min(1.0, max(0.0, 1 - 2 * _spread(errors) / usual))
    quantities = [q for _, q in merged[-QUANTITY_WINDOW:]]
    return Cadence(
        orders=len(merged),
        last_on=dt.date.fromordinal(days[-1]),
        interval_days=round(max(1.0, interval), 1),
        next_on=dt.date.fromordinal(max(days[-1] + 1, round(predicted))),
        expected_quantity=max(1, round(statistics.median(quantities))),
        confidence=round(confidence, 2),
    )


def next_by_last_interval(events: Iterable[tuple[dt.date, int]]) -> dt.date | None:
    """Baseline: the last order plus the last interval."""
    days = [d for d, _ in _merged(events)]
    if len(days) < 2:
        return None
    return dt.date.fromordinal(2 * days[-1] - days[-2])


def next_by_median_interval(events: Iterable[tuple[dt.date, int]]) -> dt.date | None:
    """Baseline: the last order plus the median interval."""
    days = [d for d, _ in _merged(events)]
    if len(days) < 2:
        return None
    return dt.date.fromordinal(days[-1] + round(_usual(days)))
