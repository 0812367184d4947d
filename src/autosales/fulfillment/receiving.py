"""Goods in: stock received at a distribution center, and backorders filled from it, oldest order first.

Locks, always in this order (as shipping takes them): the waiting orders' rows (primary-key order), then the
stock rows (primary-key order). A backorder placed while a receipt runs is filled by the next receipt or by the
`fulfillment.allocate_backorders` job, which gives waiting orders whatever stock is free.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.db.models import F

from autosales.catalog.models import Variant
from autosales.core import clock
from autosales.core.cache_versions import STOCK, versions_bump
from autosales.core.errors import NUL, Conflict, DomainError
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import StockReceipt, StockReceiptLine
from autosales.inventory.locks import stock_levels_by_id_for_update
from autosales.inventory.models import StockLevel, Warehouse
from autosales.orders.models import Order, OrderAllocation, OrderEvent, OrderLine, OrderStatus

MAX_REFERENCE = 100
MAX_KEY_LENGTH = 200
MAX_UNITS = 10_000_000
# Orders whose backordered units wait for stock.
WAITING = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ON_ACCOUNT, OrderStatus.PARTIALLY_SHIPPED)


def _clean_quantities(quantities: Mapping[int, int]) -> dict[int, int]:
    if not quantities:
        raise DomainError(FulfillmentError.QUANTITY_INVALID, "Receive at least one SKU.", "lines")
    cleaned: dict[int, int] = defaultdict(int)
    for variant_id, quantity in quantities.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_UNITS:
            raise DomainError(
                FulfillmentError.QUANTITY_INVALID,
                f"A quantity received is a whole number from 1 to {MAX_UNITS}.",
                f"lines.{variant_id}",
            )
        cleaned[int(variant_id)] += quantity
    known = set(Variant.objects.filter(pk__in=cleaned).values_list("pk", flat=True))
    for variant_id in cleaned:
        if variant_id not in known:
            raise DomainError(FulfillmentError.VARIANT_UNKNOWN, f"No variant {variant_id}.", f"lines.{variant_id}")
    return dict(cleaned)


def stock_receive(
    *,
    warehouse: Warehouse,
    quantities: Mapping[int, int],
    reference: str,
    actor,
    received_at=None,
    idempotency_key: str = "",
) -> StockReceipt:
    """Adds the units (variant id -> units) to the warehouse's stock and allocates them to the backorders waiting
    for them, oldest order first, in one transaction; returns the receipt. Raises DomainError naming the field.
    The same `idempotency_key` with the same receipt returns the first receipt (nothing received twice); with
    another receipt it raises Conflict (409)."""
    wanted = _clean_quantities(quantities)
    reference = " ".join((reference or "").split())
    if len(reference) > MAX_REFERENCE or NUL in reference:
        raise DomainError(
            FulfillmentError.REFERENCE_INVALID, f"A reference is at most {MAX_REFERENCE} characters.", "reference"
        )
    if not warehouse.is_active:
        raise DomainError(FulfillmentError.WAREHOUSE_UNKNOWN, f"{warehouse.code} is not an active center.", "warehouse")
    key = (idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            FulfillmentError.IDEMPOTENCY_KEY_INVALID,
            f"An idempotency key is 1 to {MAX_KEY_LENGTH} printable characters.",
            "idempotency_key",
        )
    digest = hashlib.sha256(json.dumps([warehouse.code, reference, sorted(wanted.items())]).encode()).hexdigest()
    existing = _receipt_replay(key=key, digest=digest)
    if existing is not None:
        return existing
    try:
        return _receive(
            warehouse=warehouse,
            wanted=wanted,
            reference=reference,
            actor=actor,
            received_at=received_at,
            key=key,
            digest=digest,
        )
    except IntegrityError:
        existing = _receipt_replay(key=key, digest=digest)  # a twin under the same key won
        if existing is None:
            raise
        return existing


def _receipt_replay(*, key: str, digest: str) -> StockReceipt | None:
    if not key:
        return None
    existing = StockReceipt.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.request_hash != digest:
        raise Conflict(
            FulfillmentError.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for another receipt; send a new key for a new receipt.",
            "idempotency_key",
        )
    return existing


def _receive(*, warehouse, wanted, reference, actor, received_at, key, digest) -> StockReceipt:
    with transaction.atomic():
        waiting = _lock_waiting_orders(variant_ids=wanted)
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse=warehouse, variant_id=vid) for vid in wanted], ignore_conflicts=True
        )
        level_ids = StockLevel.objects.filter(warehouse=warehouse, variant_id__in=wanted).values_list("pk", flat=True)
        levels = {level.variant_id: level for level in stock_levels_by_id_for_update(level_ids)}
        for variant_id, units in wanted.items():
            level = levels[variant_id]
            StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + units)
            level.on_hand += units
        receipt = StockReceipt.objects.create(
            warehouse=warehouse,
            reference=reference,
            received_at=received_at or clock.now(),
            received_by=actor if getattr(actor, "pk", None) else None,
            idempotency_key=key,
            request_hash=digest,
        )
        given = _fill_backorders(
            lines=waiting,
            levels=levels,
            actor=actor,
            note={"receipt": reference or receipt.public_id, "warehouse": warehouse.code},
        )
        StockReceiptLine.objects.bulk_create(
            [
                StockReceiptLine(receipt=receipt, variant_id=vid, quantity=units, allocated_to_backorders=given[vid])
                for vid, units in wanted.items()
            ]
        )
        versions_bump(STOCK)
    return receipt


def _lock_waiting_orders(*, variant_ids: Iterable[int]) -> list[OrderLine]:
    """The backordered lines of these variants, their orders locked (primary-key order), oldest order first."""
    ids = sorted(set(variant_ids))
    order_ids = sorted(
        set(
            OrderLine.objects.filter(
                variant_id__in=ids, quantity_backordered__gt=0, order__status__in=WAITING
            ).values_list("order_id", flat=True)
        )
    )
    if not order_ids:
        return []
    list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk").values_list("pk", flat=True))
    # Read again under the locks: a shipment or a cancellation may have changed them meanwhile.
    return list(
        OrderLine.objects.filter(
            order_id__in=order_ids, variant_id__in=ids, quantity_backordered__gt=0, order__status__in=WAITING
        )
        .select_related("order")
        .order_by("order__placed_at", "order_id", "id")
    )


def _fill_backorders(*, lines: list[OrderLine], levels: Mapping[int, StockLevel], actor, note: dict) -> dict[int, int]:
    """Allocates free units of the locked `levels` (by variant) to the locked `lines`, in their order; returns the
    units given per variant. Writes the allocations, the lines' backordered units and an event per order."""
    given: dict[int, int] = defaultdict(int)
    per_order: dict[int, dict[str, int]] = defaultdict(dict)
    orders: dict[int, Order] = {}
    existing = {
        (a.line_id, a.stock_level_id): a for a in OrderAllocation.objects.filter(line__in=[line.pk for line in lines])
    }
    for line in lines:
        level = levels.get(line.variant_id)
        if level is None:
            continue
        free = level.on_hand - level.allocated
        take = min(free, line.quantity_backordered)
        if take <= 0:
            continue
        level.allocated += take
        StockLevel.objects.filter(pk=level.pk).update(allocated=F("allocated") + take)
        OrderLine.objects.filter(pk=line.pk).update(quantity_backordered=F("quantity_backordered") - take)
        line.quantity_backordered -= take
        allocation = existing.get((line.pk, level.pk))
        if allocation is None:
            existing[(line.pk, level.pk)] = OrderAllocation.objects.create(line=line, stock_level=level, quantity=take)
        else:
            OrderAllocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") + take)
        given[line.variant_id] += take
        per_order[line.order_id][line.sku] = per_order[line.order_id].get(line.sku, 0) + take
        orders[line.order_id] = line.order
    who = actor if getattr(actor, "pk", None) else None
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=orders[order_id],
                kind=OrderEvent.Kind.ALLOCATED,
                actor=who,
                at=clock.now(),
                data={**note, "lines": skus},
            )
            for order_id, skus in per_order.items()
        ]
    )
    return given


def backorders_allocate() -> int:
    """Gives waiting backorders whatever stock is free in active warehouses (by priority); returns the units
    allocated. Safe to run at any time, on any number of workers."""
    variant_ids = set(
        OrderLine.objects.filter(quantity_backordered__gt=0, order__status__in=WAITING).values_list(
            "variant_id", flat=True
        )
    )
    free = set(
        StockLevel.objects.filter(
            variant_id__in=variant_ids, warehouse__is_active=True, on_hand__gt=F("allocated")
        ).values_list("variant_id", flat=True)
    )
    if not free:
        return 0
    total = 0
    with transaction.atomic():
        waiting = _lock_waiting_orders(variant_ids=free)
        rows = list(
            stock_levels_by_id_for_update(
                StockLevel.objects.filter(variant_id__in=free, warehouse__is_active=True).values_list("pk", flat=True)
            )
        )
        warehouses = {w.pk: w for w in Warehouse.objects.filter(pk__in={r.warehouse_id for r in rows})}
        rows.sort(key=lambda r: (warehouses[r.warehouse_id].priority, warehouses[r.warehouse_id].code))
        for row in rows:
            # One warehouse at a time, by priority: the lines take from the first warehouse with free units.
            given = _fill_backorders(
                lines=[line for line in waiting if line.quantity_backordered > 0],
                levels={row.variant_id: row},
                actor=None,
                note={"reason": "stock available", "warehouse": warehouses[row.warehouse_id].code},
            )
            total += sum(given.values())
        if total:
            versions_bump(STOCK)
    return total
