"""The clerk's work queue: orders a distribution center can ship now, oldest promise first.

An order is in a center's queue while it may ship (`selectors.orders_ready`: paid, on account, partially
shipped, or placed by card when the shop captures at shipment) and holds units allocated from that center's
stock: what the center can pick is exactly what is allocated there. An order split over two centers is in both queues, each showing its own part.

Reads only, in a fixed number of queries whatever the number of orders: one for the page of orders (and one
for the count of the paginator), one for the allocations of that page with their lines and bins.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from autosales.core import clock
from autosales.core.timezones import time_zone_or_shop
from autosales.fulfillment.selectors import orders_ready
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderAllocation


@dataclass(frozen=True)
class QueueFilters:
    """What the clerk narrows the queue to: the center (required), a shipping method's code, orders whose
    customer asked for delivery on or before a date, only orders past their promised ship date."""

    warehouse: Warehouse
    shipping_method: str = ""
    requested_by: dt.date | None = None
    late: bool = False


def center_today(warehouse: Warehouse) -> dt.date:
    """Today's date where the center is (its promises and "late" are in its own calendar days)."""
    return clock.now().astimezone(ZoneInfo(time_zone_or_shop(warehouse.time_zone))).date()


def queue_orders(*, filters: QueueFilters) -> QuerySet[Order]:
    """The center's orders ready to ship, in `selectors.orders_ready`'s order (the earliest promised ship date
    first, then the oldest placed; orders without a promise last), filtered."""
    queryset = orders_ready(warehouse=filters.warehouse).prefetch_related(None)
    if filters.shipping_method:
        queryset = queryset.filter(shipping_method_code=filters.shipping_method)
    if filters.requested_by is not None:
        queryset = queryset.filter(requested_delivery_date__lte=filters.requested_by)
    if filters.late:
        queryset = queryset.filter(ships_on__lt=center_today(filters.warehouse))
    return queryset


@dataclass(frozen=True)
class QueueLine:
    """One order line's part at the center: `allocated` units wait there in `bin` to be picked."""

    line_id: int
    sku: str
    name: str
    ordered: int
    shipped: int
    allocated: int
    bin: str

    @property
    def remaining(self) -> int:
        """Units of the line not shipped yet (from any center)."""
        return self.ordered - self.shipped


@dataclass(frozen=True)
class QueueOrder:
    order: Order
    lines: tuple[QueueLine, ...]
    late: bool

    @property
    def units(self) -> int:
        return sum(line.allocated for line in self.lines)


def allocations_at(*, warehouse: Warehouse, order_ids: Iterable[int]) -> dict[int, list[QueueLine]]:
    """Per order id, its lines' units allocated at `warehouse` (one query), lines in order-line order."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = (
        OrderAllocation.objects.filter(line__order_id__in=ids, stock_level__warehouse_id=warehouse.pk)
        .values_list(
            "line_id",
            "line__order_id",
            "line__sku",
            "line__name",
            "line__quantity",
            "line__quantity_shipped",
            "quantity",
            "stock_level__bin",
        )
        .order_by("line_id", "pk")
    )
    merged: dict[int, dict] = {}
    for line_id, order_id, sku, name, ordered, shipped, quantity, bin_ in rows:
        entry = merged.setdefault(
            line_id,
            {"order_id": order_id, "sku": sku, "name": name, "ordered": ordered, "shipped": shipped, "units": 0},
        )
        entry["units"] += quantity
        entry["bin"] = bin_
    by_order: dict[int, list[QueueLine]] = defaultdict(list)
    for line_id, entry in merged.items():
        by_order[entry["order_id"]].append(
            QueueLine(
                line_id=line_id,
                sku=entry["sku"],
                name=entry["name"],
                ordered=entry["ordered"],
                shipped=entry["shipped"],
                allocated=entry["units"],
                bin=entry["bin"],
            )
        )
    return by_order


def queue_rows(*, warehouse: Warehouse, orders: Sequence[Order]) -> list[QueueOrder]:
    """The page's orders with what is allocated to each at the center, in the page's order (one query)."""
    lines = allocations_at(warehouse=warehouse, order_ids=[o.pk for o in orders])
    today = center_today(warehouse)
    return [
        QueueOrder(
            order=order,
            lines=tuple(lines.get(order.pk, ())),
            late=order.ships_on is not None and order.ships_on < today,
        )
        for order in orders
    ]


def queue_batch(*, warehouse: Warehouse, public_ids: Iterable[str]) -> list[QueueOrder]:
    """The orders among `public_ids` that are in the center's queue, in queue order, with all their lines and
    their part at the center (three queries): a pick list or packing slips never list an order the center
    cannot ship."""
    orders = list(
        queue_orders(filters=QueueFilters(warehouse=warehouse))
        .filter(public_id__in=list(public_ids))
        .prefetch_related("lines")
    )
    return queue_rows(warehouse=warehouse, orders=orders)


@dataclass(frozen=True)
class CenterPart:
    """What of an order waits at one center: its lines' allocated units there."""

    warehouse: Warehouse
    lines: tuple[QueueLine, ...]

    @property
    def units(self) -> int:
        return sum(line.allocated for line in self.lines)


def order_parts(*, order: Order) -> list[CenterPart]:
    """The order's allocated units grouped by center, centers by priority (one query)."""
    rows = (
        OrderAllocation.objects.filter(line__order_id=order.pk)
        .select_related("line", "stock_level__warehouse")
        .order_by("stock_level__warehouse__priority", "stock_level__warehouse__code", "line_id", "pk")
    )
    centers: dict[int, Warehouse] = {}
    per_center: dict[int, dict[int, QueueLine]] = defaultdict(dict)
    for allocation in rows:
        warehouse = allocation.stock_level.warehouse
        centers.setdefault(warehouse.pk, warehouse)
        line = allocation.line
        before = per_center[warehouse.pk].get(line.pk)
        per_center[warehouse.pk][line.pk] = QueueLine(
            line_id=line.pk,
            sku=line.sku,
            name=line.name,
            ordered=line.quantity,
            shipped=line.quantity_shipped,
            allocated=allocation.quantity + (before.allocated if before else 0),
            bin=allocation.stock_level.bin,
        )
    return [CenterPart(warehouse=centers[pk], lines=tuple(lines.values())) for pk, lines in per_center.items()]


def allocated_by_line(parts: Iterable[CenterPart]) -> dict[int, int]:
    """Units allocated per order-line id over all the centers of `order_parts` (no query)."""
    totals: dict[int, int] = defaultdict(int)
    for part in parts:
        for line in part.lines:
            totals[line.line_id] += line.allocated
    return totals
