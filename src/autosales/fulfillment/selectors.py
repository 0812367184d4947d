"""Reads of fulfillment: the centers a staff user works for, the orders waiting at a center, an order's shipments
and what is still to come. Each with a fixed number of queries whatever the rows."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from autosales.catalog.imports.rows import chunks
from autosales.catalog.models import Variant
from autosales.fulfillment.carriers import carriers
from autosales.fulfillment.models import CenterAssignment, Shipment, StockReceipt, StockReceiptLine
from autosales.fulfillment.receiving import WAITING
from autosales.fulfillment.shipments import SHIPPABLE
from autosales.inventory.models import StockLevel, Warehouse
from autosales.orders.models import Order, OrderAllocation, OrderLine, OrderStatus, PaymentKind


def centers_for_user(*, user) -> QuerySet[Warehouse]:
    """The active centers `user` works for: those assigned to them, or every active one when none is (one
    query: the assignments are a subquery)."""
    assigned = CenterAssignment.objects.filter(user_id=user.pk)
    return (
        Warehouse.objects.filter(is_active=True)
        .filter(Q(pk__in=assigned.values("warehouse_id")) | ~Exists(assigned))
        .order_by("priority", "code")
    )


def center_allowed(*, user, warehouse: Warehouse) -> bool:
    assigned = set(CenterAssignment.objects.filter(user_id=user.pk).values_list("warehouse_id", flat=True))
    return not assigned or warehouse.pk in assigned


def _waiting_to_ship() -> Q:
    """Orders that may ship (see `shipments.order_shippable`), as a filter."""
    shippable = Q(status__in=SHIPPABLE)
    if settings.PAYMENT_CAPTURE_AT_SHIPMENT:
        shippable |= Q(status=OrderStatus.PLACED, payment_kind=PaymentKind.CARD)
    return shippable


def orders_waiting_to_ship() -> QuerySet[Order]:
    """Every order that may ship and has not fully left (the union of the centers' queues), unordered."""
    return Order.objects.filter(_waiting_to_ship())


def _with_lines_at(queryset: QuerySet[Order], warehouse: Warehouse) -> QuerySet[Order]:
    """The orders by the day they are promised to leave (then oldest first), their lines prefetched with the
    allocations at `warehouse` (as `at_center`)."""
    return (
        queryset.select_related("organization")
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
        .order_by(F("ships_on").asc(nulls_last=True), "placed_at", "id")
    )


def orders_ready(*, warehouse: Warehouse) -> QuerySet[Order]:
    """Orders with units allocated at `warehouse` and ready to leave it, the earliest promised first (fixed query
    count)."""
    allocated_here = OrderAllocation.objects.filter(line__order=OuterRef("pk"), stock_level__warehouse=warehouse)
    return _with_lines_at(Order.objects.filter(_waiting_to_ship()).filter(Exists(allocated_here)), warehouse)


def orders_backordered(*, warehouse: Warehouse) -> QuerySet[Order]:
    """Open orders with units waiting for stock of a SKU `warehouse` carries, oldest first (fixed query count)."""
    stocked_here = StockLevel.objects.filter(warehouse=warehouse, variant_id=OuterRef("variant_id"))
    waiting = OrderLine.objects.filter(order=OuterRef("pk"), quantity_backordered__gt=0).filter(Exists(stocked_here))
    return _with_lines_at(Order.objects.filter(status__in=WAITING).filter(Exists(waiting)), warehouse)


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


def _shipments_of(order: Order) -> list[Shipment]:
    return list(Shipment.objects.filter(order=order).select_related("warehouse").prefetch_related("lines"))


def fulfillment_of(order: Order) -> OrderFulfillment:
    """The order's shipments and what is still to come; `order` needs `lines`, `shipments__lines` and
    `shipments__warehouse` prefetched (else it costs two queries)."""
    known = carriers()
    lines = {line.pk: line for line in order.lines.all()}
    shipments = []
    prefetched = getattr(order, "_prefetched_objects_cache", {})
    rows = prefetched["shipments"] if "shipments" in prefetched else _shipments_of(order)
    for shipment in rows:
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
                tracking_url=shipment.tracking_url,
                parcels=shipment.parcels,
                shipped_at=shipment.shipped_at,
                delivered_at=shipment.delivered_at,
                lines=tuple(
                    ShipmentLineView(
                        sku=lines[sl.order_line_id].sku, name=lines[sl.order_line_id].name, quantity=sl.quantity
                    )
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


def variant_ids_by_sku(skus) -> dict[str, int]:
    """Variant id per SKU for the SKUs that exist (one query per 900 SKUs)."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(skus))):
        found.update(Variant.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return found


def receipts_recent(*, warehouse: Warehouse, limit: int = 20) -> QuerySet[StockReceipt]:
    """The center's latest receipts with their lines' SKUs and who received them (two queries)."""
    lines = StockReceiptLine.objects.select_related("variant").order_by("id")
    return (
        StockReceipt.objects.filter(warehouse=warehouse)
        .select_related("received_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-received_at", "-id")[:limit]
    )
