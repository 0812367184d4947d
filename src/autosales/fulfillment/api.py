"""Router `fulfillment`: for a warehouse system (staff tokens only, limited to the caller's centers).

GET  /fulfillment/orders?center=CODE&status=ready    orders waiting at a center, oldest first
POST /shipments                                      ship lines of an order (Idempotency-Key)
POST /shipments/{public_id}/delivered                 the carrier delivered it
POST /stock/receipts                                 goods in at a center (fills backorders)
"""

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import ValidationError

from autosales.catalog.models import Variant
from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.fulfillment.carriers import carriers
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import Shipment, StockReceipt
from autosales.fulfillment.selectors import center_allowed, orders_backordered, orders_ready
from autosales.fulfillment.services import shipment_create, shipment_mark_delivered, stock_receive
from autosales.fulfillment.shipments import MAX_KEY_LENGTH
from autosales.inventory.models import Warehouse
from autosales.orders.api import AddressOut, shipping_address_out
from autosales.orders.confirmation_numbers import confirmation_number_normalize
from autosales.orders.models import Order

router = Router(tags=["fulfillment"])

VIEW = "fulfillment.view_shipment"
SHIP = "fulfillment.add_shipment"
DELIVER = "fulfillment.change_shipment"
RECEIVE = "fulfillment.add_stockreceipt"


def _staff(request: HttpRequest, permission: str) -> None:
    user = request.auth
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied(
            "permission_denied", "Only fulfillment staff may do this (a staff token with the fulfillment role).", None
        )


def _center(request: HttpRequest, code: str, *, field: str = "center") -> Warehouse:
    warehouse = Warehouse.objects.filter(code__iexact=(code or "").strip(), is_active=True).first()
    if warehouse is None:
        raise DomainError(FulfillmentError.WAREHOUSE_UNKNOWN, f"No active distribution center {code!r}.", field)
    if not center_allowed(user=request.auth, warehouse=warehouse):
        raise PermissionDenied(
            FulfillmentError.WAREHOUSE_NOT_ALLOWED, f"You do not work for center {warehouse.code}.", field
        )
    return warehouse


# --- the queue ---


class QueueFilters(Schema):
    center: str = Field(..., min_length=1, max_length=16, description="The distribution center's code, e.g. CHI.")
    status: Literal["ready", "backordered"] = Field(
        "ready",
        description="ready: units allocated at this center wait to ship. backordered: units wait for stock "
        "this center carries.",
    )


class QueueLineOut(Schema):
    line_id: int = Field(description="Send it back in `lines` to ship this line.")
    sku: str
    name: str
    quantity: int
    quantity_shipped: int
    quantity_backordered: int
    quantity_cancelled: int
    allocated_here: int = Field(description="Units allocated at this center: what may ship from it now.")


class QueueOrderOut(Schema):
    public_id: str
    number: str
    status: str
    placed_at: dt.datetime | None
    organization: str
    customer_reference: str
    shipping_method: str
    requested_delivery_date: dt.date | None = None
    ships_on: dt.date | None = None
    shipping_address: AddressOut
    lines: list[QueueLineOut]


def _queue_out(order: Order) -> dict:
    return {
        "public_id": order.public_id,
        "number": order.number_display,
        "status": order.status,
        "placed_at": order.placed_at,
        "organization": order.organization.name,
        "customer_reference": order.customer_reference,
        "shipping_method": order.shipping_method_code,
        "requested_delivery_date": order.requested_delivery_date,
        "ships_on": order.ships_on,
        "shipping_address": shipping_address_out(order),
        "lines": [
            {
                "line_id": line.pk,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "quantity_shipped": line.quantity_shipped,
                "quantity_backordered": line.quantity_backordered,
                "quantity_cancelled": line.quantity_cancelled,
                "allocated_here": sum(a.quantity for a in getattr(line, "at_center", [])),
            }
            for line in order.lines.all()
        ],
    }


@router.get(
    "/fulfillment/orders",
    operation_id="autosales_fulfillment_api_orders",
    response={200: Page[QueueOrderOut], **error_responses(401, 403, 422)},
    summary="Staff: orders waiting at a distribution center, oldest first, with what is allocated there",
)
def fulfillment_orders(request, filters: Query[QueueFilters], paging: Query[PageParams]):
    _staff(request, VIEW)
    warehouse = _center(request, filters.center)
    if filters.status == "ready":
        queryset = orders_ready(warehouse=warehouse)
    else:
        queryset = orders_backordered(warehouse=warehouse)
    page = paginate(request=request, queryset=queryset, params=paging)
    return page.with_items([_queue_out(order) for order in page.items])


# --- shipments ---


class ShipLineIn(Schema):
    line_id: int | None = Field(None, description="The order line's id (from the queue); or give `sku`.")
    sku: str | None = Field(None, max_length=64, description="The SKU of the order line; or give `line_id`.")
    quantity: int = Field(..., ge=1, le=10_000_000)


class ShipmentIn(Schema):
    order: str = Field(..., min_length=1, max_length=32, description="The order's public_id or confirmation number.")
    center: str = Field(..., min_length=1, max_length=16, description="The center the goods leave from.")
    lines: list[ShipLineIn] = Field(..., min_length=1, max_length=500)
    carrier: str = Field(
        ..., min_length=1, max_length=20, description="A carrier code: ups, fedex, usps, dhl, odfl, ..."
    )
    tracking_number: str = Field(..., min_length=1, max_length=64)
    parcels: int = Field(1, ge=1, le=999)
    weight_grams: int | None = Field(None, ge=1, le=50_000_000)
    shipped_at: dt.datetime | None = Field(None, description="When it left (default: now); with its time zone.")


class ShipmentLineOut(Schema):
    line_id: int
    sku: str
    name: str
    quantity: int


class ShipmentOut(Schema):
    public_id: str
    number: str = Field(description="e.g. SH-7K2Q-9XMD-4T-1")
    order: str = Field(description="The order's public_id.")
    order_number: str
    center: str
    status: str = Field(description="shipped or delivered")
    carrier: str
    carrier_name: str
    tracking_number: str
    tracking_url: str = Field(description="The carrier's tracking page; empty when it has none.")
    parcels: int
    weight_grams: int | None
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    order_status: str
    lines: list[ShipmentLineOut]


def shipment_out(shipment: Shipment) -> dict:
    carrier = carriers().get(shipment.carrier)
    order = shipment.order
    return {
        "public_id": shipment.public_id,
        "number": shipment.number,
        "order": order.public_id,
        "order_number": order.number_display,
        "center": shipment.warehouse.code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "carrier_name": carrier.name if carrier else shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "parcels": shipment.parcels,
        "weight_grams": shipment.weight_grams,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "order_status": order.status,
        "lines": [
            {"line_id": sl.order_line_id, "sku": sl.order_line.sku, "name": sl.order_line.name, "quantity": sl.quantity}
            for sl in shipment.lines.select_related("order_line")
        ],
    }


def _order_by_reference(reference: str) -> Order:
    reference = reference.strip()
    order = (
        Order.objects.filter(public_id=reference).first()
        or Order.objects.filter(number=confirmation_number_normalize(reference)).first()
    )
    if order is None:
        raise NotFound(FulfillmentError.ORDER_NOT_SHIPPABLE, f"No order {reference!r}.", "order")
    return order


def _line_ids(order: Order, lines: list[ShipLineIn]) -> tuple[dict[int, int], dict[int, int]]:
    """(line id -> units, line id -> index in the body) for the service and for naming the field at fault."""
    order_lines = list(order.lines.all())
    by_id = {line.pk: line for line in order_lines}
    by_sku = {line.sku.lower(): line for line in order_lines}
    wanted: dict[int, int] = {}
    where: dict[int, int] = {}
    for index, item in enumerate(lines):
        if (item.line_id is None) == (item.sku is None):
            raise DomainError(FulfillmentError.LINE_NOT_ON_ORDER, "Give either line_id or sku.", f"lines[{index}]")
        line = by_id.get(item.line_id) if item.line_id is not None else by_sku.get(item.sku.strip().lower())
        if line is None:
            what = f"line {item.line_id}" if item.line_id is not None else f"SKU {item.sku!r}"
            field = f"lines[{index}].{'line_id' if item.line_id is not None else 'sku'}"
            raise DomainError(FulfillmentError.LINE_NOT_ON_ORDER, f"Order {order.number_display} has no {what}.", field)
        if line.pk in wanted:
            raise DomainError(FulfillmentError.LINE_NOT_ON_ORDER, "Each line once per shipment.", f"lines[{index}]")
        wanted[line.pk] = item.quantity
        where[line.pk] = index
    return wanted, where


@router.post(
    "/shipments",
    operation_id="autosales_fulfillment_api_shipments_create",
    response={201: ShipmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Staff: ship lines of an order from a center (201); the same Idempotency-Key and body get the same shipment",
)
def shipments_create(
    request,
    response: HttpResponse,
    payload: ShipmentIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="A unique key per shipment, e.g. your parcel id; send it again to retry safely.",
    ),
):
    _staff(request, SHIP)
    warehouse = _center(request, payload.center)
    order = _order_by_reference(payload.order)
    wanted, where = _line_ids(order, payload.lines)
    replayed = Shipment.objects.filter(idempotency_key=idempotency_key.strip()).exists()
    try:
        shipment = shipment_create(
            order=order,
            warehouse=warehouse,
            lines=wanted,
            carrier=payload.carrier,
            tracking_number=payload.tracking_number,
            parcels=payload.parcels,
            weight_grams=payload.weight_grams,
            actor=request.auth,
            idempotency_key=idempotency_key,
            shipped_at=payload.shipped_at,
        )
    except DomainError as exc:
        if exc.field and exc.field.startswith("lines."):
            line_id = int(exc.field.removeprefix("lines."))
            exc.field = f"lines[{where.get(line_id, 0)}].quantity"
        raise
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, shipment_out(shipment))


class DeliveredIn(Schema):
    delivered_at: dt.datetime | None = Field(None, description="When the carrier delivered it (default: now).")


def _shipment(request: HttpRequest, public_id: str) -> Shipment:
    shipment = Shipment.objects.select_related("order", "warehouse").filter(public_id=public_id).first()
    if shipment is None or not center_allowed(user=request.auth, warehouse=shipment.warehouse):
        raise NotFound(FulfillmentError.NOT_FOUND, f"No shipment {public_id!r} at your centers.", "public_id")
    return shipment


@router.post(
    "/shipments/{public_id}/delivered",
    operation_id="autosales_fulfillment_api_shipments_delivered",
    response={200: ShipmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Staff: the carrier delivered this shipment (again: the same answer); the order becomes delivered with its last",
)
def shipments_delivered(request, public_id: str, payload: DeliveredIn | None = None):
    _staff(request, DELIVER)
    shipment = _shipment(request, public_id)
    shipment_mark_delivered(
        shipment=shipment, actor=request.auth, delivered_at=payload.delivered_at if payload else None
    )
    shipment.order.refresh_from_db()
    return shipment_out(shipment)


# --- stock receipts ---


class ReceiptLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(..., ge=1, le=10_000_000)


class ReceiptIn(Schema):
    center: str = Field(..., min_length=1, max_length=16)
    reference: str = Field("", max_length=100, description="The supplier's delivery note or PO number.")
    lines: list[ReceiptLineIn] = Field(..., min_length=1, max_length=1000)


class ReceiptLineOut(Schema):
    sku: str
    quantity: int
    allocated_to_backorders: int


class ReceiptOut(Schema):
    public_id: str
    center: str
    reference: str
    received_at: dt.datetime
    lines: list[ReceiptLineOut]


@router.post(
    "/stock/receipts",
    operation_id="autosales_fulfillment_api_stock_receipts_create",
    response={201: ReceiptOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Staff: goods received at a center; orders waiting for them (backorders) are allocated, oldest first",
)
def stock_receipts_create(
    request,
    response: HttpResponse,
    payload: ReceiptIn,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="Recommended: a key per receipt (e.g. the ASN number); sent again, nothing is received twice.",
    ),
):
    _staff(request, RECEIVE)
    warehouse = _center(request, payload.center)
    skus = [line.sku.strip() for line in payload.lines]
    variants = {v.sku.lower(): v for v in Variant.objects.filter(sku__in=skus)}
    quantities: dict[int, int] = {}
    for index, line in enumerate(payload.lines):
        variant = variants.get(line.sku.strip().lower())
        if variant is None:
            raise ValidationError(
                [
                    {
                        "loc": ("body", "payload", "lines", index, "sku"),
                        "type": "unknown_sku",
                        "msg": f"No SKU {line.sku!r}.",
                    }
                ]
            )
        quantities[variant.pk] = quantities.get(variant.pk, 0) + line.quantity
    key = idempotency_key.strip()
    replayed = bool(key) and StockReceipt.objects.filter(idempotency_key=key).exists()
    receipt = stock_receive(
        warehouse=warehouse,
        quantities=quantities,
        reference=payload.reference,
        actor=request.auth,
        idempotency_key=key,
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    rows = receipt.lines.select_related("variant")
    return Status(
        201,
        {
            "public_id": receipt.public_id,
            "center": warehouse.code,
            "reference": receipt.reference,
            "received_at": receipt.received_at,
            "lines": [
                {"sku": r.variant.sku, "quantity": r.quantity, "allocated_to_backorders": r.allocated_to_backorders}
                for r in rows
            ],
        },
    )
