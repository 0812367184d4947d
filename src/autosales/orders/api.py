"""Router `orders`: the caller's organization's orders (list, detail) and cancelling one before it ships."""

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from autosales.catalog.api import MoneyOut
from autosales.core.errors import NotFound
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.customers.selectors import organization_for_user
from autosales.orders.errors import OrderError
from autosales.orders.models import Order
from autosales.orders.selectors import order_for_customer, orders_for_organization
from autosales.orders.services import order_cancel
from autosales.orders.transitions import CANCELLABLE, VISIBLE

router = Router(tags=["orders"])

STATUSES = sorted(VISIBLE)


class AddressOut(Schema):
    name: str
    company: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str


class OrderLineOut(Schema):
    sku: str
    name: str
    quantity: int
    quantity_shipped: int
    quantity_backordered: int = Field(description="Units waiting for stock: they ship when it arrives.")
    quantity_cancelled: int = Field(description="Units that will not ship: the rest of the order was cancelled.")
    unit_price: MoneyOut
    line_total: MoneyOut


class ShippingMethodOut(Schema):
    code: str
    name: str


class OrderEventOut(Schema):
    kind: str
    at: dt.datetime
    data: dict


class ShipmentLineOut(Schema):
    sku: str
    quantity: int


class ShipmentOut(Schema):
    number: str = Field(description="e.g. SH-7K2Q-9XMD-4T-1")
    status: str = Field(description="shipped or delivered")
    carrier: str = Field(description="The carrier's code: ups, fedex, usps, dhl, odfl, ...")
    tracking_number: str
    tracking_url: str = Field(description="The carrier's tracking page; empty when it has none.")
    parcels: int
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    lines: list[ShipmentLineOut]


class OrderOut(Schema):
    public_id: str = Field(description="The id in URLs, e.g. /api/v1/orders/{public_id}.")
    number: str = Field(description="The confirmation number as people read it, e.g. 7K2Q-9XMD-4T.")
    status: str = Field(description=f"One of {', '.join(STATUSES)}.")
    status_label: str
    source: str
    payment_kind: str = Field(description="card or account")
    placed_at: dt.datetime | None
    placed_by: str | None
    customer_reference: str
    requested_delivery_date: dt.date | None = Field(description="The delivery date the customer asked for, if any.")
    ships_on: dt.date | None = Field(description="The day the order is promised to leave the warehouse.")
    arrives_from: dt.date | None = Field(description="The first day of the promised delivery window.")
    arrives_to: dt.date | None = Field(description="The last day of the promised delivery window.")
    subtotal: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    tax_name: str
    shipping_method: ShippingMethodOut
    shipping_address: AddressOut
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut] = Field(description="What has left the distribution centers, oldest first.")
    can_cancel: bool
    url: str = Field(description="The order's page in the store.")


class OrderDetailOut(OrderOut):
    events: list[OrderEventOut]
    cancel_reason: str


class OrderFilters(Schema):
    status: str = Field("", description=f"Only orders in this status: {', '.join(STATUSES)}.")
    q: str = Field("", max_length=100, description="Search by confirmation number, SKU or PO / reference.")


class OrderCancelIn(Schema):
    reason: str = Field(min_length=1, max_length=500, description="Why the order is cancelled.")


def _money(amount, currency: str) -> dict:
    return {"amount": Money(amount, currency).rounded().amount, "currency": currency}


def shipping_address_out(order: Order) -> dict:
    """The order's shipping address in the shape of `AddressOut` (the customer's order and the warehouse's queue)."""
    return {
        "name": order.ship_name,
        "company": order.ship_company,
        "line1": order.ship_line1,
        "line2": order.ship_line2,
        "city": order.ship_city,
        "region": order.ship_region,
        "postal_code": order.ship_postal_code,
        "country": str(order.ship_country.code),
        "phone": order.ship_phone,
    }


def order_out(order: Order, *, detail: bool = False) -> dict:
    """The order as the API shows it; its lines, shipments with their lines (and events, for detail) must be prefetched."""
    lines = list(order.lines.all())
    skus = {line.pk: line.sku for line in lines}
    body = {
        "public_id": order.public_id,
        "number": order.number_display,
        "status": order.status,
        "status_label": order.get_status_display(),
        "source": order.source,
        "payment_kind": order.payment_kind,
        "placed_at": order.placed_at,
        "placed_by": order.placed_by.username if order.placed_by_id else None,
        "customer_reference": order.customer_reference,
        "requested_delivery_date": order.requested_delivery_date,
        "ships_on": order.ships_on,
        "arrives_from": order.arrives_from,
        "arrives_to": order.arrives_to,
        "subtotal": _money(order.subtotal, order.currency),
        "shipping": _money(order.shipping, order.currency),
        "tax": _money(order.tax, order.currency),
        "total": _money(order.total, order.currency),
        "tax_name": order.tax_name,
        "shipping_method": {"code": order.shipping_method_code, "name": order.shipping_method_name},
        "shipping_address": shipping_address_out(order),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "quantity_shipped": line.quantity_shipped,
                "quantity_backordered": line.quantity_backordered,
                "quantity_cancelled": line.quantity_cancelled,
                "unit_price": _money(line.unit_price, order.currency),
                "line_total": _money(line.line_total, order.currency),
            }
            for line in lines
        ],
        # Only an order with units shipped has shipments: a new order's answer reads nothing more.
        "shipments": [_shipment_out(shipment, skus) for shipment in order.shipments.all()]
        if any(line.quantity_shipped for line in lines)
        else [],
        "can_cancel": order.status in CANCELLABLE and not any(line.quantity_shipped for line in lines),
        "url": f"{settings.SHOP['base_url'].rstrip('/')}{order.get_absolute_url()}",
    }
    if detail:
        body["events"] = [{"kind": e.kind, "at": e.at, "data": e.data} for e in order.events.all()]
        body["cancel_reason"] = order.cancel_reason
    return body


def _shipment_out(shipment, skus: dict[int, str]) -> dict:
    # Shipments are fulfillment's rows, read here through the order's reverse relation (`order.shipments`).
    return {
        "number": shipment.number,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "parcels": shipment.parcels,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "lines": [{"sku": skus.get(sl.order_line_id, ""), "quantity": sl.quantity} for sl in shipment.lines.all()],
    }


def caller_organization(request: HttpRequest) -> Organization:
    """The organization the caller acts for; a caller without one has no orders to see (404)."""
    organization = organization_for_user(user=request.auth)
    if organization is None:
        raise NotFound(OrderError.NOT_FOUND, "You do not belong to a customer organization, so you have no orders.")
    return organization


@router.get(
    "",
    response={200: Page[OrderOut], **error_responses(401, 404, 422)},
    summary="The orders of the caller's organization, newest first",
)
def orders_list(request, filters: Query[OrderFilters], paging: Query[PageParams]):
    organization = caller_organization(request)
    if filters.status and filters.status not in VISIBLE:
        raise ValidationError(
            [
                {
                    "loc": ("query", "status"),
                    "type": "invalid_status",
                    "msg": f"Unknown status {filters.status!r}; use one of {', '.join(STATUSES)}.",
                }
            ]
        )
    queryset = orders_for_organization(
        organization=organization, status=filters.status or None, query=filters.q
    ).prefetch_related("lines", "shipments__lines")  # fixed query count
    page = paginate(request=request, queryset=queryset, params=paging)
    return page.with_items([order_out(order) for order in page.items])


@router.get(
    "/{public_id}",
    response={200: OrderDetailOut, **error_responses(401, 404)},
    summary="One order with its lines, totals, address and events",
)
def orders_detail(request, public_id: str):
    order = order_for_customer(public_id=public_id, organization=caller_organization(request))
    return order_out(order, detail=True)


@router.post(
    "/{public_id}/cancel",
    response={200: OrderDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Cancel an order that has not shipped: stock released, card payment voided or refunded, email sent",
)
def orders_cancel(request, public_id: str, payload: OrderCancelIn):
    organization = caller_organization(request)
    order = order_for_customer(public_id=public_id, organization=organization)
    order_cancel(order=order, actor=request.auth, reason=payload.reason)
    return order_out(order_for_customer(public_id=public_id, organization=organization), detail=True)
