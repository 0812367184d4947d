"""Cancel what of an order has not shipped: its stock goes back, the card pays only for what shipped (the
remaining hold released, or the cancelled units' price refunded when the money was taken at order), the
customer is told. An order nothing of which has shipped is cancelled whole (orders.services.order_cancel)."""

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.core.money import Money
from autosales.fulfillment.capture import shipment_capture, shipment_capture_amount
from autosales.fulfillment.emails import remainder_cancelled_email_event
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import CaptureStatus, Shipment
from autosales.fulfillment.shipments import order_delivered_if_complete
from autosales.orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentKind
from autosales.orders.services import MAX_REASON, order_cancel, order_stock_release
from autosales.orders.transitions import order_transition
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_refund, payment_release_rest

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
        locked = Order.objects.select_for_update(of=("self",)).select_related("organization").get(pk=order.pk)
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
    if locked.payment_kind == PaymentKind.CARD:
        order_payment_settle_after_shipping(order=locked)
    return order


def shipped_value(*, order: Order) -> Money:
    """What the goods shipped of an order cost with their share of its shipping and tax (the capture-at-shipment
    rule applied to everything shipped): what the customer pays when the rest was cancelled."""
    lines = list(OrderLine.objects.filter(order=order))
    return shipment_capture_amount(
        order=order,
        shipped=[(line, line.quantity_shipped) for line in lines if line.quantity_shipped],
        captured_before=Money.zero(order.currency),
        last=not any(line.quantity_cancelled for line in lines),
    )


def order_payment_settle_after_shipping(*, order: Order) -> bool:
    """For a card order with nothing left to ship: captures what its shipments still owe and releases what the
    authorization still holds (capture at shipment), or, when the money was taken at order, refunds the price of
    the units cancelled. True when settled; False when the gateway must be retried (by the job).
    Calls the gateway: never inside a transaction."""
    pending = Shipment.objects.filter(order=order, capture_status=CaptureStatus.PENDING).select_related(
        "order", "payment"
    )
    if not all(shipment_capture(shipment=shipment) for shipment in pending):
        return False
    if not _refund_cancelled(order=order):
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


def _refund_cancelled(*, order: Order) -> bool:
    """A payment captured at order for units since cancelled gives back their price (once: a payment refunded in
    part already is left as it is). False when the gateway must be retried."""
    payment = Payment.objects.filter(order=order, status=PaymentStatus.CAPTURED, amount_refunded=0).first()
    if payment is None or not OrderLine.objects.filter(order=order, quantity_cancelled__gt=0).exists():
        return True
    refund = payment.money - shipped_value(order=order)
    if refund.amount <= 0:
        return True
    try:
        payment = payment_refund(payment=payment, amount=refund)
    except DomainError as exc:
        log.warning("order %s: refund of the cancelled units not made yet: %s", order.number, exc.message)
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            at=clock.now(),
            data={"payment": payment.public_id, "action": "refund_failed", "amount": str(refund.amount)},
        )
        return False
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        at=clock.now(),
        data={
            "payment": payment.public_id,
            "action": "refunded",
            "amount": str(refund.amount),
            "for": "cancelled units",
        },
    )
    return True


def orders_settle_shipped_payments() -> tuple[int, int]:
    """Settles the card payments of orders that have nothing left to ship but still hold an authorization
    (a capture or a release the gateway refused before); returns (settled, still failing)."""
    done = [OrderStatus.SHIPPED, OrderStatus.DELIVERED]
    orders = Order.objects.filter(
        Q(payments__status=PaymentStatus.AUTHORIZED)
        | Q(
            payments__status=PaymentStatus.CAPTURED,
            payments__amount_refunded=0,
            lines__quantity_cancelled__gt=0,
        ),
        status__in=done,
    )
    # Orders with a capture still due are `shipments_capture_due`'s: released only once it is taken.
    pending = Shipment.objects.filter(order=OuterRef("pk"), capture_status=CaptureStatus.PENDING)
    orders = orders.exclude(Exists(pending)).distinct()
    settled = failures = 0
    for order in orders[:200]:
        if order_payment_settle_after_shipping(order=order):
            settled += 1
        else:
            failures += 1
    return settled, failures
