"""Reads of stock: how many units of a variant can still be promised."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext, ngettext

from autosales.core.rows import placeholders
from autosales.inventory.models import StockLevel, Warehouse


def available_by_variant(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units available per variant id (on hand minus allocated, over active warehouses) in one query; 0 when none."""
    ids = sorted(set(variant_ids))
    available = dict.fromkeys(ids, 0)
    for variant_id, units in _stock_rows(
        "SELECT s.variant_id, SUM(s.on_hand - s.allocated)", ids, "GROUP BY s.variant_id"
    ):
        available[variant_id] = max(units or 0, 0)
    return available


def available_by_warehouse(*, variant_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Units available per variant id and active warehouse id, in one query (where the units would be allocated
    from, for delivery dates); a variant without stock rows maps to {}."""
    ids = sorted(set(variant_ids))
    found: dict[int, dict[int, int]] = {vid: {} for vid in ids}
    for variant_id, warehouse_id, on_hand, allocated in _stock_rows(
        "SELECT s.variant_id, s.warehouse_id, s.on_hand, s.allocated", ids, ""
    ):
        found[variant_id][warehouse_id] = on_hand - allocated
    return found


def _stock_rows(select: str, ids: list[int], tail: str) -> list[tuple]:
    """Rows of the active warehouses' stock levels of `ids`. Written out as SQL (core.rows): the store's pages ask
    this on every visit, and the ORM took several times the database's time to build it."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"{select} FROM {StockLevel._meta.db_table} s JOIN {Warehouse._meta.db_table} w ON w.id = s.warehouse_id "
            f"WHERE w.is_active AND s.variant_id IN ({placeholders(ids)}) {tail}",
            ids,
        )
        return cursor.fetchall()


def available_totals(by_warehouse: dict[int, dict[int, int]]) -> dict[int, int]:
    """available_by_variant's answer from available_by_warehouse's, without a query."""
    return {vid: max(sum(units.values()), 0) for vid, units in by_warehouse.items()}


class StockStatus(StrEnum):
    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"


@dataclass(frozen=True, slots=True)
class Availability:
    """Units that can be promised and what to tell people about them (docs/configuration.md, "Stock shown").

    `label` is for everyone: never an exact count. `counted_label` is for signed-in business customers when
    settings.STOCK_COUNTS_FOR_BUSINESS allows it (they plan large orders around the units there are).
    """

    units: int
    status: StockStatus
    # The variants counted (set where a page is cached: their units are filled in per request, see
    # storefront.stock_counts), else empty.
    variant_ids: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        if self.status == StockStatus.IN_STOCK:
            return gettext("In stock")
        if self.status == StockStatus.LOW_STOCK:
            return gettext("Only a few left")
        return _out_of_stock_label()

    @property
    def counted_marker(self) -> str:
        """Where a cached page shows this count: storefront.stock_counts puts the current counted label there."""
        return "[[stock-units:" + ",".join(str(i) for i in self.variant_ids) + "]]"

    @property
    def counted_label(self) -> str:
        if self.status == StockStatus.IN_STOCK:
            return gettext("In stock (%(units)s)") % {"units": self.units}
        if self.status == StockStatus.LOW_STOCK:
            return ngettext("Only %(units)s left", "Only %(units)s left", self.units) % {"units": self.units}
        return _out_of_stock_label()


def _out_of_stock_label() -> str:
    days = settings.STOCK_RESTOCK_DAYS
    if days <= 0:
        return gettext("Out of stock")
    return ngettext("Ships in %(days)s day", "Ships in %(days)s days", days) % {"days": days}


def availability_of(units: int, *, variant_ids: tuple[int, ...] = ()) -> Availability:
    """In stock above settings.LOW_STOCK_THRESHOLD units, low stock from 1 up to it, else out of stock."""
    if units <= 0:
        return Availability(0, StockStatus.OUT_OF_STOCK, variant_ids)
    if units <= settings.LOW_STOCK_THRESHOLD:
        return Availability(units, StockStatus.LOW_STOCK, variant_ids)
    return Availability(units, StockStatus.IN_STOCK, variant_ids)


def availability_by_variant(*, variant_ids: Iterable[int]) -> dict[int, Availability]:
    """available_by_variant with a status and labels for people ("In stock", "Only a few left", "Out of stock")."""
    return {vid: availability_of(units) for vid, units in available_by_variant(variant_ids=variant_ids).items()}
