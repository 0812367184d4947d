"""Changes to placed orders: cancel (with stock released and the card payment returned), stock release."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.inventory.services import stock_release
from autosales.orders.errors import OrderError
from autosales.orders.models import Order, OrderAllocation, OrderEvent, OrderStatus, PaymentKind
from autosales.orders.transitions import CANCELLABLE, order_transition
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_capture, payment_refund, payment_settle, payment_void

log = logging.getLogger(__name__)

MAX_REASON = 500


def order_stock_release(*, order: Order, actor=None) -> int:
    """Gives back every unit still allocated to the order and forgets the allocations; returns the units released.

    Call inside `transaction.atomic()`.
    """
    allocations = list(OrderAllocation.objects.filter(line__order=order).values_list("stock_level_id", "quantity"))
    if not allocations:
        return 0
    stock_release(parts=allocations)
    OrderAllocation.objects.filter(line__order=order).delete()
    units = sum(q for _, q in allocations)
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STOCK_RELEASED,
        actor=actor if getattr(actor, "pk", None) else None,
        at=clock.now(),
        data={"units": units},
    )
    return units


def order_cancel(*, order: Order, actor, reason: str) -> Order:
    """Cancels an order that has not shipped: stock released and the email queued in one transaction, then the card payment voided or refunded.

    A gateway that fails here leaves the cancellation done and the money to return to `order_payments_settle`,
    which the jobs retry.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(OrderError.REASON_REQUIRED, "Say why the order is cancelled.", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(OrderError.REASON_REQUIRED, f"Keep the reason under {MAX_REASON} characters.", "reason")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in CANCELLABLE or locked.lines.filter(quantity_shipped__gt=0).exists():
            raise Conflict(
                OrderError.NOT_CANCELLABLE,
                gettext("Order %(number)s is %(status)s and can no longer be cancelled.")
                % {"number": locked.number_display, "status": locked.get_status_display().lower()},
                "order",
            )
        order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, reason=reason)
        order_stock_release(order=order, actor=actor)
    order_payments_settle(order=order, actor=actor)
    return order


def order_payments_settle(*, order: Order, actor=None) -> int:
    """For a cancelled order, voids authorized and refunds captured card payments; returns how many are still unsettled.

    Calls the gateway: never inside a transaction holding locks. Safe to run again.
    """
    unsettled = 0
    payments = Payment.objects.filter(
        order=order, status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED]
    )
    for payment in payments:
        try:
            if payment.status == PaymentStatus.PENDING:
                payment = payment_settle(payment=payment)
            if payment.status == PaymentStatus.AUTHORIZED:
                payment = payment_void(payment=payment)
                action = "voided"
            elif payment.status == PaymentStatus.CAPTURED:
                payment = payment_refund(payment=payment)
                action = "refunded"
            else:
                continue
        except DomainError as exc:
            unsettled += 1
            log.warning("order %s: payment %s not returned yet: %s", order.number, payment.public_id, exc.message)
            OrderEvent.objects.create(
                order=order,
                kind=OrderEvent.Kind.PAYMENT,
                at=clock.now(),
                data={"payment": payment.public_id, "action": "return_failed", "error": exc.code},
            )
            continue
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            actor=actor if getattr(actor, "pk", None) else None,
            at=clock.now(),
            data={"payment": payment.public_id, "action": action, "amount": str(payment.amount)},
        )
    return unsettled


def order_capture(*, order: Order, payment: Payment, actor=None) -> bool:
    """Captures the card payment of a placed order and moves it to paid; False when the gateway must be retried later."""
    try:
        payment = payment_capture(payment=payment)
    except DomainError as exc:
        log.warning("order %s: capture failed, will retry: %s", order.number, exc.message)
        return False
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PLACED:
            return payment.status == PaymentStatus.CAPTURED
        OrderEvent.objects.create(
            order=locked,
            kind=OrderEvent.Kind.PAYMENT,
            actor=actor if getattr(actor, "pk", None) else None,
            at=clock.now(),
            data={"payment": payment.public_id, "action": "captured", "amount": str(payment.amount)},
        )
        order_transition(order=locked, to=OrderStatus.PAID, actor=actor)
    order.status = locked.status
    return True


# Placed a moment ago: the checkout request itself is still capturing it.
CAPTURE_GRACE = timedelta(minutes=1)


def orders_capture_placed() -> tuple[int, int]:
    """Captures every placed card order's authorized payment; returns (captured, still failing). Safe to run twice.

    A shop that captures at shipment captures nothing here: its shipments do (fulfillment.capture).
    """
    if settings.PAYMENT_CAPTURE_AT_SHIPMENT:
        return 0, 0
    cutoff = clock.now() - CAPTURE_GRACE
    captured = failures = 0
    orders = Order.objects.filter(
        status=OrderStatus.PLACED, payment_kind=PaymentKind.CARD, placed_at__lt=cutoff
    ).prefetch_related("payments")
    for order in orders:
        payment = next(
            (p for p in order.payments.all() if p.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED)), None
        )
        if payment is None:
            continue
        if order_capture(order=order, payment=payment):
            captured += 1
        else:
            failures += 1
    return captured, failures


def orders_settle_cancelled_payments() -> tuple[int, int]:
    """Returns the money of cancelled orders whose payment is still held; returns (orders settled, still failing)."""
    orders = Order.objects.filter(
        status=OrderStatus.CANCELLED,
        payments__status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED],
    ).distinct()
    settled = failures = 0
    for order in orders:
        if order_payments_settle(order=order):
            failures += 1
        else:
            settled += 1
    return settled, failures
