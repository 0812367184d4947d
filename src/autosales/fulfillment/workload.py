"""The centers' workload at a glance, for the back-office home: orders waiting in each center's queue by the day
they are promised to leave, and the orders already past that day. Aggregated in SQL, a fixed number of queries
whatever the number of orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Sum

from autosales.fulfillment.selectors import orders_waiting_to_ship
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderAllocation


@dataclass(frozen=True)
class QueueDay:
    """Orders in a center's queue promised to leave on `ships_on` (None: no promise was made)."""

    warehouse_code: str
    warehouse_name: str
    ships_on: dt.date | None
    orders: int
    units: int


def queue_by_promised_date(*, warehouses: QuerySet[Warehouse]) -> list[QueueDay]:
    """For each of `warehouses`, the orders in its queue (`selectors.orders_ready`: ready to ship, units allocated
    there) and their allocated units per promised ship date, by center then date (one query)."""
    rows = (
        OrderAllocation.objects.filter(
            stock_level__warehouse__in=warehouses.values("pk"),
            line__order__in=orders_waiting_to_ship().values("pk"),
        )
        .values("stock_level__warehouse__code", "stock_level__warehouse__name", "line__order__ships_on")
        .annotate(orders=Count("line__order", distinct=True), units=Sum("quantity"))
        .order_by("stock_level__warehouse__code", F("line__order__ships_on").asc(nulls_last=True))
    )
    return [
        QueueDay(
            warehouse_code=row["stock_level__warehouse__code"],
            warehouse_name=row["stock_level__warehouse__name"],
            ships_on=row["line__order__ships_on"],
            orders=row["orders"],
            units=row["units"] or 0,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class LateOrders:
    count: int
    oldest: list[Order]  # with `organization`


def late_orders(*, today: dt.date, limit: int = 10) -> LateOrders:
    """The orders waiting to ship whose promised ship date is before `today`: how many, and the `limit` most
    overdue with their customer (two queries)."""
    late = orders_waiting_to_ship().filter(ships_on__lt=today)
    oldest = list(late.select_related("organization").order_by("ships_on", "placed_at", "id")[:limit])
    count = len(oldest) if len(oldest) < limit else late.count()
    return LateOrders(count=count, oldest=oldest)
