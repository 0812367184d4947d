"""Cancel what of an order has not shipped: its stock goes back, the card's remaining hold is released, the
customer is told. An order nothing of which has shipped is cancelled whole (orders.services.order_cancel)."""

import logging

from django.db import transaction

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.fulfillment.capture import capture_at_shipment, shipment_capture
from autosales.fulfillment.emails import remainder_cancelled_email_event
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import CaptureStatus, Shipment
from autosales.fulfillment.shipments import order_delivered_if_complete
from autosales.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from autosales.orders.services import MAX_REASON, order_cancel, order_stock_release
from autosales.orders.transitions import order_transition
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_release_rest

log = logging.getLogger(__name__)


def order_cancel_remainder(*, order: Order, reason: str, actor) -> Order:
    """Cancels every unit of the order not shipped yet (allocated or backordered): stock released, the order
    shipped with what it has, the customer emailed, in one transaction; then the card's remaining authorization
    is released outside it. With nothing shipped yet, the whole order is cancelled."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(FulfillmentError.REASON_REQUIRED, "Say why the rest of the order is cancelled.", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(FulfillmentError.REASON_REQUIRED, f"Keep the reason under {MAX_REASON} characters.", "reason")
    if not OrderLine.objects.filter(order=order, quantity_shipped__gt=0).exists():
        return order_cancel(order=order, actor=actor, reason=reason)
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("organization").get(pk=order.pk)
        lines = list(OrderLine.objects.filter(order=locked))
        open_lines = [line for line in lines if line.quantity_open > 0]
        if locked.status != OrderStatus.PARTIALLY_SHIPPED or not open_lines:
            raise Conflict(
                FulfillmentError.NOTHING_TO_CANCEL,
                f"Order {locked.number_display} has nothing left to ship.",
                "order",
            )
        order_stock_release(order=locked, actor=actor)
        cancelled = []
        for line in open_lines:
            units = line.quantity_open
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_cancelled=line.quantity_cancelled + units, quantity_backordered=0
            )
            line.quantity_cancelled += units
            line.quantity_backordered = 0
            cancelled.append({"sku": line.sku, "name": line.name, "quantity": units})
        serial = OrderEvent.objects.filter(order=locked, kind=OrderEvent.Kind.REMAINDER_CANCELLED).count() + 1
        who = actor if getattr(actor, "pk", None) else None
        events = [
            OrderEvent(
                order=locked,
                kind=OrderEvent.Kind.REMAINDER_CANCELLED,
                actor=who,
                at=clock.now(),
                data={"reason": reason, "lines": {row["sku"]: row["quantity"] for row in cancelled}},
            )
        ]
        email = remainder_cancelled_email_event(order=locked, cancelled=cancelled, reason=reason, serial=serial)
        if email is not None:
            events.append(email)
        order_transition(order=locked, to=OrderStatus.SHIPPED, actor=actor, reason=reason, events=events)
        order_delivered_if_complete(order=locked, actor=actor, events=[])
    order.status = locked.status
    if capture_at_shipment(locked):
        order_payment_settle_after_shipping(order=locked)
    return order


def order_payment_settle_after_shipping(*, order: Order) -> bool:
    """For an order with nothing left to ship: captures what its shipments still owe, then releases what the
    authorization still holds. True when settled; False when the gateway must be retried (by the job).
    Calls the gateway: never inside a transaction."""
    pending = Shipment.objects.filter(order=order, capture_status=CaptureStatus.PENDING).select_related(
        "order", "payment"
    )
    if not all(shipment_capture(shipment=shipment) for shipment in pending):
        return False
    for payment in Payment.objects.filter(order=order, status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED]):
        try:
            payment = payment_release_rest(payment=payment)
        except DomainError as exc:
            log.warning("order %s: authorization not released yet: %s", order.number, exc.message)
            return False
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            at=clock.now(),
            data={"payment": payment.public_id, "action": "remainder_released", "captured": str(payment.amount)},
        )
    return True


def orders_settle_shipped_payments() -> tuple[int, int]:
    """Settles the card payments of orders that have nothing left to ship but still hold an authorization
    (a capture or a release the gateway refused before); returns (settled, still failing)."""
    orders = Order.objects.filter(
        status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED], payments__status=PaymentStatus.AUTHORIZED
    ).distinct()
    settled = failures = 0
    for order in orders[:200]:
        if order_payment_settle_after_shipping(order=order):
            settled += 1
        else:
            failures += 1
    return settled, failures
