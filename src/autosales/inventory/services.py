"""Changes to stock: allocate (promise units to an order), release (give them back)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Case, F, Value, When

from autosales.core.cache_versions import STOCK, versions_bump
from autosales.inventory.allocation import AllocationPart, allocation_plan
from autosales.inventory.locks import stock_levels_by_id_for_update, stock_levels_for_update
from autosales.inventory.models import StockLevel
from autosales.inventory.selectors import availability_of, available_by_warehouse


def _shown(units_by_warehouse: Mapping[int, int]) -> tuple:
    """What the store shows of a variant's stock: its words, and the centers that can ship it."""
    total = max(sum(units_by_warehouse.values()), 0)
    return availability_of(total).status, frozenset(w for w, units in units_by_warehouse.items() if units > 0)


def _shown_changes(before: Mapping[int, Mapping[int, int]], change: Mapping[tuple[int, int], int]) -> bool:
    """Whether adding `change` ((variant id, warehouse id) -> units) to `before` (variant id -> warehouse id ->
    units available) changes what the store shows of any of those variants."""
    after = {variant_id: dict(units) for variant_id, units in before.items()}
    for (variant_id, warehouse_id), units in change.items():
        after.setdefault(variant_id, {})
        after[variant_id][warehouse_id] = after[variant_id].get(warehouse_id, 0) + units
    return any(_shown(before.get(variant_id, {})) != _shown(after[variant_id]) for variant_id in after)


def stock_allocate(*, quantities: Mapping[int, int], partial: bool = False) -> list[AllocationPart]:
    """Locks the variants' stock rows in pk order and allocates the units, or raises InsufficientStock and changes nothing.

    `partial`: allocates what is available instead of refusing (the caller backorders the rest).
    Call inside `transaction.atomic()`; the locks last until that transaction ends.
    """
    wanted = {vid: qty for vid, qty in quantities.items() if qty > 0}
    levels = list(stock_levels_for_update(wanted))
    plan = allocation_plan(levels=levels, quantities=wanted, partial=partial)
    taken: dict[int, int] = defaultdict(int)
    for part in plan:
        taken[part.stock_level_id] += part.quantity
    if taken:
        # One statement for every row, whatever the number of lines (the rows are locked already).
        StockLevel.objects.filter(pk__in=taken).update(
            allocated=F("allocated")
            + Case(*(When(pk=pk, then=Value(quantity)) for pk, quantity in taken.items()), default=Value(0))
        )
        # The locked rows are every active center's of these variants: what was available before is in them.
        before: dict[int, dict[int, int]] = defaultdict(dict)
        change: dict[tuple[int, int], int] = {}
        for level in levels:
            before[level.variant_id][level.warehouse_id] = level.on_hand - level.allocated
            if level.pk in taken:
                change[(level.variant_id, level.warehouse_id)] = -taken[level.pk]
        if _shown_changes(before, change):
            versions_bump(STOCK)
    return plan


def stock_release(*, parts: Iterable[tuple[int, int]]) -> None:
    """Gives back allocated units: `parts` are (stock_level_id, quantity) pairs. Call inside `transaction.atomic()`."""
    totals: dict[int, int] = defaultdict(int)
    for stock_level_id, quantity in parts:
        totals[stock_level_id] += quantity
    levels = list(stock_levels_by_id_for_update(totals))
    # What the other centers hold counts for the words too: one more query (a release is rare beside an order).
    before = available_by_warehouse(variant_ids={level.variant_id for level in levels}) if levels else {}
    change: dict[tuple[int, int], int] = {}
    for level in levels:
        release = min(totals[level.pk], level.allocated)
        if release:
            StockLevel.objects.filter(pk=level.pk).update(allocated=F("allocated") - release)
            change[(level.variant_id, level.warehouse_id)] = release
    if change and _shown_changes(before, change):
        versions_bump(STOCK)
