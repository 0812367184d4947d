"""Reads of fulfillment: the centers a staff user works for, the orders waiting at a center, an order's shipments
and what is still to come. Each with a fixed number of queries whatever the rows."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from autosales.fulfillment.carriers import carriers
from autosales.fulfillment.models import CenterAssignment, Shipment, ShipmentLine
from autosales.fulfillment.shipments import SHIPPABLE
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderAllocation, OrderLine, OrderStatus


def centers_for_user(*, user) -> QuerySet[Warehouse]:
    """The active centers `user` works for: those assigned to them, or every active one when none is."""
    centers = Warehouse.objects.filter(is_active=True)
    assigned = CenterAssignment.objects.filter(user_id=user.pk)
    if assigned.exists():
        centers = centers.filter(pk__in=assigned.values("warehouse_id"))
    return centers.order_by("priority", "code")


def center_allowed(*, user, warehouse: Warehouse) -> bool:
    assigned = set(CenterAssignment.objects.filter(user_id=user.pk).values_list("warehouse_id", flat=True))
    return not assigned or warehouse.pk in assigned


QUEUE_STATUSES = (*SHIPPABLE, OrderStatus.PLACED)


def orders_ready(*, warehouse: Warehouse) -> QuerySet[Order]:
    """Orders with units allocated at `warehouse` and ready to leave it, oldest first, with their lines and those
    allocations prefetched (lines' `at_center` holds their allocations there)."""
    allocated_here = OrderAllocation.objects.filter(line__order=OuterRef("pk"), stock_level__warehouse=warehouse)
    return (
        Order.objects.filter(status__in=QUEUE_STATUSES)
        .filter(Exists(allocated_here))
        .select_related("organization")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.prefetch_related(
                    Prefetch(
                        "allocations",
                        queryset=OrderAllocation.objects.filter(stock_level__warehouse=warehouse),
                        to_attr="at_center",
                    )
                ),
            )
        )
        .order_by("placed_at", "id")
    )


def orders_backordered(*, warehouse: Warehouse | None = None) -> QuerySet[Order]:
    """Open orders with units waiting for stock (backorders), oldest first, lines prefetched."""
    waiting = OrderLine.objects.filter(order=OuterRef("pk"), quantity_backordered__gt=0)
    return (
        Order.objects.filter(status__in=QUEUE_STATUSES)
        .filter(Exists(waiting))
        .select_related("organization")
        .prefetch_related("lines")
        .order_by("placed_at", "id")
    )


@dataclass(frozen=True)
class ShipmentLineView:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class ShipmentView:
    public_id: str
    number: str
    status: str
    status_label: str
    warehouse_code: str
    carrier: str
    carrier_name: str
    tracking_number: str
    tracking_url: str
    parcels: int
    shipped_at: object
    delivered_at: object
    lines: tuple[ShipmentLineView, ...]


@dataclass(frozen=True)
class ToComeView:
    sku: str
    name: str
    quantity: int  # still to ship, in all
    allocated: int  # promised from stock: ships soon
    backordered: int  # waiting for stock


@dataclass(frozen=True)
class OrderFulfillment:
    """An order as the customer follows it: the shipments that left and what is still to come."""

    shipments: tuple[ShipmentView, ...]
    to_come: tuple[ToComeView, ...]
    cancelled: tuple[ShipmentLineView, ...]

    @property
    def backordered(self) -> int:
        return sum(row.backordered for row in self.to_come)


def shipments_prefetch() -> Prefetch:
    """`Order.shipments` with their lines and the lines' SKUs, for `fulfillment_of` on many orders at once."""
    return Prefetch(
        "shipments",
        queryset=Shipment.objects.select_related("warehouse").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
        ),
    )


def fulfillment_of(order: Order) -> OrderFulfillment:
    """The order's shipments and what is still to come; `order` needs `lines` and `shipments_prefetch()` prefetched
    (or costs three queries), and `lines__allocations` for the allocated units."""
    known = carriers()
    shipments = []
    for shipment in order.shipments.all():
        carrier = known.get(shipment.carrier)
        shipments.append(
            ShipmentView(
                public_id=shipment.public_id,
                number=shipment.number,
                status=shipment.status,
                status_label=shipment.get_status_display(),
                warehouse_code=shipment.warehouse.code,
                carrier=shipment.carrier,
                carrier_name=carrier.name if carrier else shipment.carrier.upper(),
                tracking_number=shipment.tracking_number,
                tracking_url=carrier.tracking_link(shipment.tracking_number) if carrier else "",
                parcels=shipment.parcels,
                shipped_at=shipment.shipped_at,
                delivered_at=shipment.delivered_at,
                lines=tuple(
                    ShipmentLineView(sku=sl.order_line.sku, name=sl.order_line.name, quantity=sl.quantity)
                    for sl in shipment.lines.all()
                ),
            )
        )
    to_come = []
    cancelled = []
    for line in order.lines.all():
        if line.quantity_cancelled:
            cancelled.append(ShipmentLineView(sku=line.sku, name=line.name, quantity=line.quantity_cancelled))
        if line.quantity_open <= 0 or order.status == OrderStatus.CANCELLED:
            continue
        to_come.append(
            ToComeView(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity_open,
                allocated=line.quantity_open - line.quantity_backordered,
                backordered=line.quantity_backordered,
            )
        )
    return OrderFulfillment(shipments=tuple(shipments), to_come=tuple(to_come), cancelled=tuple(cancelled))


def allocated_by_line(lines) -> dict[int, int]:
    """Units allocated per line id, from lines whose `allocations` are prefetched (or `at_center`)."""
    totals: dict[int, int] = defaultdict(int)
    for line in lines:
        for allocation in getattr(line, "at_center", None) or line.allocations.all():
            totals[line.pk] += allocation.quantity
    return totals
