"""Capture at shipment: what each shipment of a card order takes from the authorization, and taking it.

The rule (a shop with PAYMENT_CAPTURE_AT_SHIPMENT): a shipment captures the price of its goods (unit price x
units shipped) plus the order's shipping and tax in proportion to those goods' share of the order's subtotal,
each part rounded to the cent. The shipment that ships the order's last units captures what is left of the
total instead, so the captures of an order shipped in full add up to its total to the cent. Cancelling the
unshipped remainder releases what is left of the authorization (nothing more is captured).

The gateway is called outside any transaction: the shipment is written with `capture_status=pending` in its
own transaction, then `shipment_capture` sends the capture and records it; a gateway that fails leaves it
pending for the `fulfillment.capture_shipments` job, and the shipment itself stands.
"""

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.fulfillment.models import CaptureStatus, Shipment
from autosales.orders.models import Order, OrderEvent, OrderLine, PaymentKind
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_capture_part

log = logging.getLogger(__name__)


def capture_at_shipment(order: Order) -> bool:
    return settings.PAYMENT_CAPTURE_AT_SHIPMENT and order.payment_kind == PaymentKind.CARD


def shipment_capture_amount(
    *, order: Order, shipped: Iterable[tuple[OrderLine, int]], captured_before: Money, last: bool
) -> Money:
    """What a shipment of `shipped` (line, units) captures under the rule above; `last`: it ships the order's
    last units and nothing was cancelled, so it takes the rest of the total."""
    currency = order.currency
    total = Money(order.total, currency)
    if last:
        return max(total - captured_before, Money.zero(currency))
    goods = sum((Money(line.unit_price, currency) * units for line, units in shipped), Money.zero(currency)).rounded()
    subtotal = Decimal(order.subtotal)
    extra = Decimal(order.shipping) + Decimal(order.tax)
    share = Money(extra * goods.amount / subtotal, currency).rounded() if subtotal else Money.zero(currency)
    amount = goods + share
    # Never more than the authorization still holds (rounding over many shipments).
    return min(amount, max(total - captured_before, Money.zero(currency)))


def order_authorized_payment(order: Order) -> Payment | None:
    """The card payment whose authorization the order's shipments capture from."""
    return (
        Payment.objects.filter(order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED])
        .order_by("created_at", "id")
        .first()
    )


def shipment_capture(*, shipment: Shipment) -> bool:
    """Captures the shipment's amount once (the gateway call under a key of its own); False when it must be
    retried later. Calls the gateway: never inside a transaction."""
    if shipment.capture_status != CaptureStatus.PENDING:
        return True
    payment = shipment.payment
    if payment is None:
        return False
    order = shipment.order
    final = _is_final_capture(shipment)
    try:
        payment = payment_capture_part(
            payment=payment,
            amount=shipment.capture_money,
            final=final,
            idempotency_key=f"{payment.idempotency_key}:capture:{shipment.public_id}",
        )
    except DomainError as exc:
        log.warning("shipment %s: capture failed, will retry: %s", shipment.number, exc.message)
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            at=clock.now(),
            data={"payment": payment.public_id, "action": "capture_failed", "shipment": shipment.number},
        )
        return False
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not Shipment.objects.filter(pk=shipment.pk, capture_status=CaptureStatus.PENDING).update(
            capture_status=CaptureStatus.CAPTURED, captured_at=clock.now(), updated_at=clock.now()
        ):
            return True  # recorded by a twin
        shipment.capture_status = CaptureStatus.CAPTURED
        OrderEvent.objects.create(
            order=locked,
            kind=OrderEvent.Kind.PAYMENT,
            at=clock.now(),
            data={
                "payment": payment.public_id,
                "action": "captured",
                "amount": str(shipment.capture_amount),
                "shipment": shipment.number,
            },
        )
    return True


def _is_final_capture(shipment: Shipment) -> bool:
    """The last capture of the order: nothing is left to ship and no other capture waits."""
    lines = OrderLine.objects.filter(order_id=shipment.order_id)
    if any(line.quantity_open for line in lines):
        return False
    return not (
        Shipment.objects.filter(order_id=shipment.order_id, capture_status=CaptureStatus.PENDING)
        .exclude(pk=shipment.pk)
        .exists()
    )


def shipments_capture_due() -> tuple[int, int]:
    """Captures every shipment still waiting for its capture; returns (captured, still failing). Safe to run twice."""
    captured = failures = 0
    due = Shipment.objects.filter(capture_status=CaptureStatus.PENDING).select_related("order", "payment")
    for shipment in due.order_by("id")[:200]:
        if shipment_capture(shipment=shipment):
            captured += 1
        else:
            failures += 1
    return captured, failures
