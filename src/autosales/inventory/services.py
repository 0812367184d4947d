"""Changes to stock: allocate (promise units to an order), release (give them back)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Case, F, Value, When

from autosales.core.cache_versions import STOCK, versions_bump
from autosales.inventory.allocation import AllocationPart, allocation_plan
from autosales.inventory.locks import stock_levels_by_id_for_update, stock_levels_for_update
from autosales.inventory.models import StockLevel


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
    versions_bump(STOCK)
    return plan


def stock_release(*, parts: Iterable[tuple[int, int]]) -> None:
    """Gives back allocated units: `parts` are (stock_level_id, quantity) pairs. Call inside `transaction.atomic()`."""
    totals: dict[int, int] = defaultdict(int)
    for stock_level_id, quantity in parts:
        totals[stock_level_id] += quantity
    for level in stock_levels_by_id_for_update(totals):
        release = min(totals[level.pk], level.allocated)
        if release:
            StockLevel.objects.filter(pk=level.pk).update(allocated=F("allocated") - release)
    versions_bump(STOCK)
