"""The emails fulfillment owes the customer, written to the outbox in the transaction of the change.

Each email's context is a snapshot taken then: what this parcel holds and what is still to come, as they were
when the shipment left, whatever ships or is cancelled before the email is delivered.
"""

from django.conf import settings

from autosales.core import clock
from autosales.fulfillment.models import Shipment
from autosales.notifications.services import email_queue
from autosales.orders.models import Order, OrderEvent, OrderLine
from autosales.orders.transitions import order_recipients

SHIPPED = "fulfillment/shipped"
REMAINDER_CANCELLED = "fulfillment/remainder_cancelled"


def still_to_come(lines: list[OrderLine]) -> list[dict]:
    """The order's units not shipped yet and not cancelled: allocated ones ship soon, backordered ones when stock arrives."""
    rows = []
    for line in lines:
        if line.quantity_open <= 0:
            continue
        rows.append(
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity_open,
                "backordered": line.quantity_backordered,
            }
        )
    return rows


def _promised(order: Order) -> dict:
    """The delivery dates promised at checkout (empty when the order has none)."""
    return {
        "requested_date": order.requested_delivery_date,
        "arrives_from": order.arrives_from,
        "arrives_to": order.arrives_to,
    }


def _base_context(order: Order) -> dict:
    return {
        "order": order,
        "number": order.number_display,
        "address_lines": order.address_lines(),
        "order_url": f"{settings.SHOP['base_url'].rstrip('/')}{order.get_absolute_url()}",
        **_promised(order),
    }


def shipment_email_event(
    *, shipment: Shipment, order: Order, lines: list[OrderLine], shipped: list[tuple[OrderLine, int]]
):
    """Writes the shipping confirmation of `shipment` to the outbox; returns its trail event (unsaved), or None
    when the order has nobody to write to. `lines`: the order's lines after this shipment."""
    recipients = order_recipients(order=order)
    if not recipients:
        return None
    context = {
        **_base_context(order),
        "shipment": shipment,
        "shipment_number": shipment.number,
        "carrier_name": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "shipped_at": shipment.shipped_at,
        "parcels": shipment.parcels,
        "in_parcel": [{"sku": line.sku, "name": line.name, "quantity": units} for line, units in shipped],
        "to_come": still_to_come(lines),
    }
    email = email_queue(
        to=recipients,
        template=SHIPPED,
        context=context,
        related=order,
        message_id=f"fulfillment-shipped-{shipment.public_id}",
        time_zone=order.organization.local_time_zone,
        language=order.organization.email_language,
        first=True,  # a new shipment: nothing can have queued its email before
    )
    return OrderEvent(
        order=order,
        kind=OrderEvent.Kind.EMAIL_QUEUED,
        at=clock.now(),
        data={"template": SHIPPED, "to": recipients, "message_id": email.message_id, "shipment": shipment.number},
    )


def remainder_cancelled_email_event(*, order: Order, cancelled: list[dict], reason: str, serial: int):
    """Writes the email telling the customer which units will not ship, and why; returns its trail event (unsaved)."""
    recipients = order_recipients(order=order)
    if not recipients:
        return None
    context = {**_base_context(order), "cancelled": cancelled, "reason": reason}
    email = email_queue(
        to=recipients,
        template=REMAINDER_CANCELLED,
        context=context,
        related=order,
        message_id=f"fulfillment-remainder-cancelled-{order.public_id}-{serial}",
        time_zone=order.organization.local_time_zone,
        language=order.organization.email_language,
    )
    return OrderEvent(
        order=order,
        kind=OrderEvent.Kind.EMAIL_QUEUED,
        at=clock.now(),
        data={"template": REMAINDER_CANCELLED, "to": recipients, "message_id": email.message_id},
    )
