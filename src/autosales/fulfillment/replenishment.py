"""What to order from suppliers: per SKU and center, the stock, what orders hold of it, what waits for it, what
standing orders will want, and the units to order so that all of it can ship.

The need of a SKU is the standing-order demand of the coming weeks (given by the caller: fulfillment does not
read standing orders, the back office passes the forecast's totals) plus the units backordered now. It is met
the way allocation meets an order: from the centers' available units, highest priority first. What is left
is the suggested quantity, to be received at the SKU's first center (the one allocation takes from first).

Reads in a fixed number of queries whatever the number of SKUs: the stock rows, the backorders, and the SKUs
that have demand or backorders but no stock row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Sum

from autosales.catalog.models import Variant
from autosales.fulfillment.receiving import WAITING
from autosales.inventory.models import StockLevel, Warehouse
from autosales.orders.models import OrderLine


@dataclass(frozen=True)
class ReplenishmentRow:
    """One SKU at one center (or, for `warehouse_code` "", over every active center)."""

    variant_id: int
    sku: str
    name: str
    warehouse_code: str
    on_hand: int
    allocated: int
    demand: int  # standing-order units of the forecast counted here
    backordered: int  # units of open orders waiting for stock, counted here
    suggested: int  # units to order in

    @property
    def available(self) -> int:
        return max(self.on_hand - self.allocated, 0)


@dataclass
class _Share:
    on_hand: int = 0
    allocated: int = 0
    demand: int = 0
    backordered: int = 0
    suggested: int = 0


def backordered_by_variant() -> dict[int, int]:
    """Units waiting for stock per variant id, over open orders (one query)."""
    rows = (
        OrderLine.objects.filter(quantity_backordered__gt=0, order__status__in=WAITING, variant__isnull=False)
        .values("variant_id")
        .annotate(units=Sum("quantity_backordered"))
        .order_by()
    )
    return {row["variant_id"]: row["units"] for row in rows}


def _spread(need: int, shares: list[tuple[Warehouse, _Share]], field: str) -> int:
    """Counts `need` units of `field` against the centers' free units in priority order; returns what is left."""
    for _, share in shares:
        free = max(share.on_hand - share.allocated - share.demand - share.backordered, 0)
        take = min(free, need)
        setattr(share, field, getattr(share, field) + take)
        need -= take
    return need


def replenishment_rows(
    *, demand: Mapping[int, int], warehouse: Warehouse | None = None, needs_only: bool = False
) -> list[ReplenishmentRow]:
    """Per SKU (and center when `warehouse` is given, else summed over the active centers): stock, allocated,
    demand (`demand`: units per variant id from the forecast), backordered and the suggested quantity, SKUs
    to order first (largest suggestion), then by SKU. `needs_only`: only SKUs with something to order."""
    levels = list(
        StockLevel.objects.filter(warehouse__is_active=True)
        .select_related("warehouse", "variant__product")
        .order_by("variant_id", "warehouse__priority", "warehouse__code")
    )
    waiting = backordered_by_variant()
    by_variant: dict[int, list[StockLevel]] = defaultdict(list)
    variants: dict[int, Variant] = {}
    for level in levels:
        by_variant[level.variant_id].append(level)
        variants[level.variant_id] = level.variant
    without_stock = [
        vid for vid in {*demand, *waiting} if vid not in variants and (demand.get(vid) or waiting.get(vid))
    ]
    if without_stock:
        variants.update(Variant.objects.select_related("product").in_bulk(without_stock))
    first_center = (
        Warehouse.objects.filter(is_active=True).order_by("priority", "code").first() if without_stock else None
    )

    rows: list[ReplenishmentRow] = []
    for variant_id, variant in variants.items():
        centers = [
            (level.warehouse, _Share(on_hand=level.on_hand, allocated=level.allocated))
            for level in by_variant[variant_id]
        ]
        if not centers:
            if first_center is None:
                continue
            centers = [(first_center, _Share())]
        # Orders waiting now come before the forecast's future orders; what no center can give is ordered in
        # at the first center.
        short = _spread(waiting.get(variant_id, 0), centers, "backordered")
        centers[0][1].backordered += short
        short_demand = _spread(demand.get(variant_id, 0), centers, "demand")
        centers[0][1].demand += short_demand
        centers[0][1].suggested = short + short_demand
        name = f"{variant.product.name} {variant.name}".strip()
        shown = [(w, s) for w, s in centers if warehouse is None or w.pk == warehouse.pk]
        if not shown:
            continue
        if warehouse is None:
            total = _Share()
            for _, share in shown:
                for field in ("on_hand", "allocated", "demand", "backordered", "suggested"):
                    setattr(total, field, getattr(total, field) + getattr(share, field))
            shown = [(None, total)]
        for center, share in shown:
            if needs_only and not share.suggested:
                continue
            rows.append(
                ReplenishmentRow(
                    variant_id=variant_id,
                    sku=variant.sku,
                    name=name,
                    warehouse_code=center.code if center else "",
                    on_hand=share.on_hand,
                    allocated=share.allocated,
                    demand=share.demand,
                    backordered=share.backordered,
                    suggested=share.suggested,
                )
            )
    rows.sort(key=lambda r: (-r.suggested, r.sku, r.warehouse_code))
    return rows
