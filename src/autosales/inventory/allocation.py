"""Deciding which warehouses give the units of an order: the highest-priority warehouse first."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autosales.core.errors import Conflict
from autosales.inventory.models import StockLevel

INSUFFICIENT_STOCK = "insufficient_stock"


@dataclass(frozen=True)
class Shortage:
    variant_id: int
    sku: str
    requested: int
    available: int


class InsufficientStock(Conflict):
    """Some variants do not have the requested units available; `shortages` says which and how many."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        detail = "; ".join(
            f"{s.sku}: {s.available} available, {s.requested} requested"
            if s.available > 0
            else f"{s.sku}: out of stock"
            for s in shortages
        )
        super().__init__(INSUFFICIENT_STOCK, f"Not enough stock for {detail}.", "lines")


@dataclass(frozen=True)
class AllocationPart:
    """`quantity` units of `variant_id` promised from one stock row."""

    stock_level_id: int
    variant_id: int
    quantity: int
    warehouse_id: int = 0  # where those units ship from (the promise of delivery dates reads it)


def allocation_plan(*, levels: Iterable[StockLevel], quantities: Mapping[int, int]) -> list[AllocationPart]:
    """Splits each variant's quantity over its stock rows, warehouses by priority; raises InsufficientStock."""
    by_variant: dict[int, list[StockLevel]] = {}
    for level in levels:
        by_variant.setdefault(level.variant_id, []).append(level)
    plan: list[AllocationPart] = []
    shortages: list[Shortage] = []
    for variant_id, wanted in quantities.items():
        rows = sorted(by_variant.get(variant_id, []), key=lambda r: (r.warehouse.priority, r.warehouse.code, r.pk))
        available = sum(max(r.available, 0) for r in rows)
        if available < wanted:
            sku = rows[0].variant.sku if rows else str(variant_id)
            shortages.append(Shortage(variant_id=variant_id, sku=sku, requested=wanted, available=available))
            continue
        remaining = wanted
        for row in rows:
            take = min(max(row.available, 0), remaining)
            if take:
                plan.append(
                    AllocationPart(
                        stock_level_id=row.pk, variant_id=variant_id, quantity=take, warehouse_id=row.warehouse_id
                    )
                )
                remaining -= take
            if not remaining:
                break
    if shortages:
        raise InsufficientStock(shortages)
    return plan
