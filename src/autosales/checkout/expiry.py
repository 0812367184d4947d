"""Checkouts whose card authorization never settled must not hold stock forever."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from autosales.checkout.errors import CheckoutError
from autosales.checkout.models import CheckoutAttempt
from autosales.checkout.placement import LEASE, gateway_key
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.orders.models import Order, OrderStatus
from autosales.orders.services import order_stock_release
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_return

log = logging.getLogger(__name__)

EXPIRED_MESSAGE = "This checkout was not completed in time and its items were released; nothing was charged."


def _ttl() -> timedelta:
    return timedelta(minutes=settings.CHECKOUT_PENDING_TTL_MINUTES)


def _payment_return(payment: Payment) -> bool:
    """Gives back a payment that never became an order (voided, or refunded if a sale took it); False when the
    gateway must be asked again later."""
    try:
        payment_return(payment=payment)
    except DomainError as exc:
        log.warning("payment %s not given back yet: %s", payment.public_id, exc.message)
        return False
    return True


def checkouts_expire_stale() -> tuple[int, int]:
    """Releases the stock of checkouts pending longer than CHECKOUT_PENDING_TTL_MINUTES, gives back what they were paid.

    Returns (checkouts expired, payments that could not be voided yet). Safe to run twice or on two workers.
    """
    now = clock.now()
    cutoff = now - _ttl()
    expired = failures = 0
    stale = CheckoutAttempt.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=CheckoutAttempt.Status.IN_PROGRESS,
        created_at__lt=cutoff,
    ).select_related("organization")
    for attempt in stale:
        claimed = CheckoutAttempt.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=attempt.pk,
            status=CheckoutAttempt.Status.IN_PROGRESS,
        ).update(claimed_until=now + LEASE)
        if not claimed:
            continue  # a customer's retry took it up, or another worker did
        key = gateway_key(organization=attempt.organization, idempotency_key=attempt.idempotency_key)
        payment = Payment.objects.filter(idempotency_key=key).first()
        if payment is not None and not _payment_return(payment):
            failures += 1
        with transaction.atomic():
            # The order holds the attempt's key (the attempt names its order only once it succeeds).
            order = (
                Order.objects.select_for_update()
                .filter(
                    organization_id=attempt.organization_id,
                    idempotency_key=attempt.idempotency_key,
                    status=OrderStatus.PENDING_PAYMENT,
                )
                .first()
            )
            if order is not None:
                order_stock_release(order=order)
                order.delete()
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(
                status=CheckoutAttempt.Status.FAILED,
                error_code=CheckoutError.EXPIRED,
                error_field="payment",
                error_message=EXPIRED_MESSAGE,
                claimed_until=None,
                updated_at=now,
            )
        expired += 1
    # Payments whose checkout is gone but which the gateway had not settled when it expired. Counted from
    # their last change: a payment the customer confirmed with their bank just now is about to be used.
    orphans = Payment.objects.filter(
        order__isnull=True,
        status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED],
        updated_at__lt=cutoff - _ttl(),
    )
    for payment in orphans:
        if not _payment_return(payment):
            failures += 1
    return expired, failures
