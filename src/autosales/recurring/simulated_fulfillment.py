"""The distribution centers in a simulation: placed orders ship after the handling time and arrive after the
transit time; with `receive_stock`, the forecast's suggested quantities are received every week.

Everything goes through fulfillment's own services (shipment_create, shipment_mark_delivered, stock_receive),
so a simulated year ships, emails and fills backorders exactly as the shop would.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import F, Min

from autosales.fulfillment.models import Shipment, ShipmentStatus
from autosales.fulfillment.services import shipment_create, shipment_mark_delivered, stock_receive
from autosales.fulfillment.shipments import SHIPPABLE
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderAllocation
from autosales.recurring.replenishment import suggested_quantities

HANDLING = dt.timedelta(days=1)
TRANSIT = dt.timedelta(days=3)
RECEIVING_EVERY = dt.timedelta(days=7)
SIMULATED_CARRIER = "ups"


def _ready(now: dt.datetime, handling: dt.timedelta):
    return Order.objects.filter(
        status__in=SHIPPABLE, placed_at__lte=now - handling, lines__allocations__isnull=False
    ).distinct()


def ship_due(*, now: dt.datetime, handling: dt.timedelta = HANDLING) -> Iterator[dict]:
    """Ships every unit allocated to orders placed at least `handling` ago, one shipment per order and center."""
    for order in _ready(now, handling).order_by("placed_at", "id"):
        per_center: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        allocations = OrderAllocation.objects.filter(line__order=order).values_list(
            "stock_level__warehouse_id", "line_id", "quantity"
        )
        for warehouse_id, line_id, quantity in allocations:
            per_center[warehouse_id][line_id] += quantity
        centers = Warehouse.objects.in_bulk(list(per_center))
        for warehouse_id, lines in per_center.items():
            serial = Shipment.objects.filter(order=order).count() + 1
            shipment = shipment_create(
                order=order,
                warehouse=centers[warehouse_id],
                lines=dict(lines),
                carrier=SIMULATED_CARRIER,
                tracking_number=f"1ZSIM{order.number}{serial}",
                actor=None,
                idempotency_key=f"simulate:{order.number}:{serial}",
            )
            yield {
                "type": "shipped",
                "order_number": order.number_display,
                "shipment": shipment.number,
                "center": centers[warehouse_id].code,
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
    placed = Order.objects.filter(status__in=SHIPPABLE, lines__allocations__isnull=False).aggregate(
        at=Min("placed_at")
    )["at"]
    shipped = Shipment.objects.filter(status=ShipmentStatus.SHIPPED).aggregate(at=Min(F("shipped_at")))["at"]
    candidates = [placed + handling if placed else None, shipped + transit if shipped else None]
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None
