"""The distribution centers in a simulation: placed orders ship on the day promised at checkout (at the center's
cut-off time) and arrive after the transit time; with `receive_stock`, the suggested quantities are received
every week.

Everything goes through fulfillment's own services (shipment_create, shipment_mark_delivered, stock_receive),
so a simulated year ships, emails and fills backorders exactly as the shop would.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import F, Min

from autosales.core import clock
from autosales.core.timezones import time_zone_or_shop
from autosales.fulfillment.models import Shipment, ShipmentStatus
from autosales.fulfillment.services import shipment_create, shipment_mark_delivered, stock_receive
from autosales.fulfillment.shipments import SHIPPABLE
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderAllocation
from autosales.recurring.replenishment import suggested_quantities

# For orders placed without a promised ship day.
HANDLING = dt.timedelta(days=1)
TRANSIT = dt.timedelta(days=3)
RECEIVING_EVERY = dt.timedelta(days=7)
SIMULATED_CARRIER = "ups"


def _due(*, now: dt.datetime, handling: dt.timedelta) -> list[tuple[dt.datetime, Order, Warehouse, dict[int, int]]]:
    """(when, order, center, line id -> units) of every allocation waiting to ship, by order and center: an order
    leaves a center at its cut-off time on the order's promised ship day (`ships_on`, the center's handling days
    included), or `handling` after it was placed when it has no promise; never before it was placed."""
    per: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = OrderAllocation.objects.filter(line__order__status__in=SHIPPABLE).values_list(
        "line__order_id", "stock_level__warehouse_id", "line_id", "quantity"
    )
    for order_id, warehouse_id, line_id, quantity in rows:
        per[(order_id, warehouse_id)][line_id] += quantity
    if not per:
        return []
    orders = Order.objects.in_bulk({order_id for order_id, _ in per})
    centers = Warehouse.objects.in_bulk({warehouse_id for _, warehouse_id in per})
    due = []
    for (order_id, warehouse_id), lines in per.items():
        order, center = orders[order_id], centers[warehouse_id]
        if order.ships_on is not None:
            zone = ZoneInfo(time_zone_or_shop(center.time_zone))
            when = max(order.placed_at, dt.datetime.combine(order.ships_on, center.cutoff_time, tzinfo=zone))
        else:
            when = order.placed_at + handling
        due.append((when, order, center, dict(lines)))
    due.sort(key=lambda item: (item[0], item[1].pk, item[2].pk))
    return due


def ship_due(*, now: dt.datetime, handling: dt.timedelta = HANDLING) -> Iterator[dict]:
    """Ships every unit allocated to orders whose ship day has come, one shipment per order and center."""
    for when, order, center, lines in _due(now=now, handling=handling):
        if when > now:
            break
        serial = Shipment.objects.filter(order=order).count() + 1
        shipment = shipment_create(
            order=order,
            warehouse=center,
            lines=lines,
            carrier=SIMULATED_CARRIER,
            tracking_number=f"1ZSIM{order.number}{serial}",
            actor=None,
            idempotency_key=f"simulate:{order.number}:{serial}",
        )
        yield {
            "type": "shipped",
            "order_number": order.number_display,
            "shipment": shipment.number,
            "center": center.code,
            "units": sum(lines.values()),
        }


def deliver_due(*, now: dt.datetime, transit: dt.timedelta = TRANSIT) -> Iterator[dict]:
    """Marks delivered the shipments that left at least `transit` ago."""
    due = Shipment.objects.filter(status=ShipmentStatus.SHIPPED, shipped_at__lte=now - transit).select_related("order")
    for shipment in due.order_by("shipped_at", "id"):
        shipment_mark_delivered(shipment=shipment, actor=None, delivered_at=now)
        yield {"type": "delivered", "order_number": shipment.order.number_display, "shipment": shipment.number}


def receive_suggested(*, now: dt.datetime, today: dt.date) -> Iterator[dict]:
    """Receives the suggested quantities at the first center (by priority), which fills backorders first."""
    center = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    quantities = suggested_quantities(today=today)
    if center is None or not quantities:
        return
    receipt = stock_receive(
        warehouse=center, quantities=quantities, reference=f"Simulated receipt {today}", actor=None, received_at=now
    )
    yield {
        "type": "received",
        "center": center.code,
        "units": sum(quantities.values()),
        "to_backorders": sum(receipt.lines.values_list("allocated_to_backorders", flat=True)),
    }


def next_fulfillment_moment(
    *, handling: dt.timedelta = HANDLING, transit: dt.timedelta = TRANSIT
) -> dt.datetime | None:
    """The earliest moment an order is due to ship or a shipment to arrive."""
    due = _due(now=clock.now(), handling=handling)
    shipped = Shipment.objects.filter(status=ShipmentStatus.SHIPPED).aggregate(at=Min(F("shipped_at")))["at"]
    candidates = [due[0][0] if due else None, shipped + transit if shipped else None]
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None
