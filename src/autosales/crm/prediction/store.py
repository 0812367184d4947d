"""Keeps `ReorderPrediction` in step with the order history: one bulk read of the orders of the last two years,
the cadence of each account × variant and each account overall (`cadence.cadence_of`), and a fixed number of
writes (create, update, delete in bulk) — so pages read stored predictions and never compute them.

Learned from: orders the customer placed (web, API, on the phone through the back office), not cancelled, not
awaiting payment; orders placed by a standing-order run are left out (`source` standing_order, a run id), since
they repeat by themselves. Days are the shop's calendar days (UTC dates of `placed_at`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

from django.db import IntegrityError, transaction

from autosales.core.money import quantize
from autosales.crm.models import ReorderPrediction, SyncCursor
from autosales.crm.prediction.cadence import QUANTITY_WINDOW, Cadence, cadence_of
from autosales.orders.models import OrderLine, OrderSource, OrderStatus

LOOK_BACK = dt.timedelta(days=730)
# The rules' pass refreshes the stored predictions at most this often; each rule re-checks the live orders
# before it acts, so a prediction up to this old never makes a task for an account that has just ordered.
REFRESH_EVERY = dt.timedelta(hours=1)
CURSOR = "reorder_predictions"
NOT_LEARNED_FROM = (OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT)
FIELDS = (
    "orders",
    "last_order_at",
    "interval_days",
    "next_on",
    "expected_quantity",
    "currency",
    "expected_value",
    "confidence",
)


def manual_order_lines(*, since: dt.datetime, until: dt.datetime):
    """(organization, order, placed at, currency, subtotal, variant, quantity, line total) of every line of the
    orders customers placed themselves in the window, in order (one query)."""
    return (
        OrderLine.objects.filter(order__placed_at__gte=since, order__placed_at__lte=until)
        .exclude(order__status__in=NOT_LEARNED_FROM)
        .exclude(order__source=OrderSource.STANDING_ORDER)
        .filter(order__standing_order_run_id__isnull=True)
        .order_by("order__organization_id", "order__placed_at", "order_id", "id")
        .values_list(
            "order__organization_id",
            "order_id",
            "order__placed_at",
            "order__currency",
            "order__subtotal",
            "variant_id",
            "quantity",
            "line_total",
        )
    )


def _prediction(
    organization_id: int, variant_id: int | None, cadence: Cadence, last_at: dt.datetime, value: Decimal, currency: str
) -> ReorderPrediction:
    return ReorderPrediction(
        organization_id=organization_id,
        variant_id=variant_id,
        orders=cadence.orders,
        last_order_at=last_at,
        interval_days=cadence.interval_days,
        next_on=cadence.next_on,
        expected_quantity=cadence.expected_quantity,
        currency=currency,
        expected_value=quantize(value, currency),
        confidence=cadence.confidence,
    )


def predictions_compute(*, now: dt.datetime) -> dict[tuple[int, int | None], ReorderPrediction]:
    """Every account's predictions from its order history, unsaved, by (organization id, variant id or None)."""
    per_variant: dict[tuple[int, int], list] = {}
    per_order: dict[int, tuple[int, dt.datetime, str, Decimal]] = {}
    for org_id, order_id, placed_at, currency, subtotal, variant_id, quantity, line_total in manual_order_lines(
        since=now - LOOK_BACK, until=now
    ):
        per_order[order_id] = (org_id, placed_at, currency, subtotal)
        if variant_id is not None:
            per_variant.setdefault((org_id, variant_id), []).append((placed_at, quantity, line_total, currency))
    result: dict[tuple[int, int | None], ReorderPrediction] = {}
    for (org_id, variant_id), lines in per_variant.items():
        cadence = cadence_of((placed_at.date(), quantity) for placed_at, quantity, _, _ in lines)
        if cadence is None:
            continue
        placed_at, quantity, line_total, currency = lines[-1]
        value = line_total / quantity * cadence.expected_quantity
        result[(org_id, variant_id)] = _prediction(org_id, variant_id, cadence, placed_at, value, currency)
    per_account: dict[int, list[tuple[dt.datetime, str, Decimal]]] = {}
    for org_id, placed_at, currency, subtotal in per_order.values():
        per_account.setdefault(org_id, []).append((placed_at, currency, subtotal))
    for org_id, orders in per_account.items():
        orders.sort()
        cadence = cadence_of((placed_at.date(), 1) for placed_at, _, _ in orders)
        if cadence is None:
            continue
        currency = orders[-1][1]
        usual = statistics.median(s for _, c, s in orders[-QUANTITY_WINDOW:] if c == currency)
        result[(org_id, None)] = _prediction(org_id, None, cadence, orders[-1][0], usual, currency)
    return result


def predictions_refresh(*, now: dt.datetime) -> int:
    """Rewrites the stored predictions from the order history (a fixed number of queries); the number changed."""
    fresh = predictions_compute(now=now)
    with transaction.atomic():
        stored = {(p.organization_id, p.variant_id): p for p in ReorderPrediction.objects.select_for_update()}
        gone = [p.pk for key, p in stored.items() if key not in fresh]
        created = [p for key, p in fresh.items() if key not in stored]
        changed = []
        for key, new in fresh.items():
            old = stored.get(key)
            if old is not None and any(getattr(old, f) != getattr(new, f) for f in FIELDS):
                for f in FIELDS:
                    setattr(old, f, getattr(new, f))
                old.updated_at = now
                changed.append(old)
        if gone:
            ReorderPrediction.objects.filter(pk__in=gone).delete()
        ReorderPrediction.objects.bulk_create(created, batch_size=1000)
        ReorderPrediction.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=1000)
        SyncCursor.objects.update_or_create(source=CURSOR, defaults={"position": now})
    return len(gone) + len(created) + len(changed)


def predictions_refresh_if_stale(*, now: dt.datetime) -> bool:
    """Refreshes the predictions when the last refresh is `REFRESH_EVERY` old (or the clock went back past it)."""
    cursor = SyncCursor.objects.filter(source=CURSOR).first()
    if cursor is not None and cursor.position <= now < cursor.position + REFRESH_EVERY:
        return False
    try:
        predictions_refresh(now=now)
    except IntegrityError:
        return False  # another worker wrote the same predictions at the same time: theirs stand
    return True
