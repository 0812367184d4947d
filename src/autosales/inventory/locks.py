"""Named row locks on stock, always taken in primary-key order so two checkouts never deadlock."""

from collections.abc import Iterable

from django.db.models import QuerySet

from autosales.inventory.models import StockLevel


def stock_levels_for_update(variant_ids: Iterable[int]) -> QuerySet[StockLevel]:
    """The stock rows of these variants in active warehouses, locked FOR UPDATE in primary-key order.

    Use inside `transaction.atomic()`. (SQLite has no row locks: its IMMEDIATE transactions already
    serialize writers, which gives the same guarantee.)
    """
    return (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(variant_id__in=sorted(set(variant_ids)), warehouse__is_active=True)
        .select_related("warehouse", "variant")
        .order_by("pk")
    )


def stock_levels_by_id_for_update(stock_level_ids: Iterable[int]) -> QuerySet[StockLevel]:
    """These stock rows, locked FOR UPDATE in primary-key order (to release or consume allocations)."""
    return StockLevel.objects.select_for_update().filter(pk__in=sorted(set(stock_level_ids))).order_by("pk")
