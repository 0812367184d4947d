"""Card payments: authorize, capture, void, refund, and webhooks, through the configured provider.

Every function here calls the network: call them outside any transaction that holds row locks.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.payments.models import Payment, PaymentEvent, PaymentStatus
from autosales.payments.providers import provider_for
from autosales.payments.providers.base import FailureKind, ProviderError
from autosales.payments.transitions import payment_can_move, payment_transition

log = logging.getLogger(__name__)

S = PaymentStatus

_FAILURE_CODES = {
    FailureKind.DECLINED: PaymentError.DECLINED,
    FailureKind.INSUFFICIENT_FUNDS: PaymentError.INSUFFICIENT_FUNDS,
    FailureKind.INVALID: PaymentError.INVALID_TOKEN,
    FailureKind.NETWORK: PaymentError.NETWORK,
}


def _error(exc: ProviderError) -> DomainError:
    code = _FAILURE_CODES[exc.kind]
    if exc.kind == FailureKind.NETWORK:
        return PaymentUnavailable(code, exc.message, "payment")
    return DomainError(code, exc.message, "payment")


def payment_error(*, payment: Payment) -> DomainError:
    """The error a failed or unsettled payment gives the customer (the same every time it is asked)."""
    kind = {v: k for k, v in _FAILURE_CODES.items()}.get(payment.error_code, FailureKind.DECLINED)
    return _error(ProviderError(kind))


def payment_authorize(
    *,
    amount: Money,
    token: str,
    idempotency_key: str,
    provider: str | None = None,
    metadata: dict | None = None,
) -> Payment:
    """Authorizes `amount` once per `idempotency_key`: a repeated call re-sends the same key and never charges twice.

    Returns the authorized payment; raises DomainError(field="payment") on a decline and PaymentUnavailable
    (503) when the answer was lost (the payment stays pending; calling again with the same key settles it).
    """
    provider_name = provider or provider_for().name
    try:
        with transaction.atomic():
            payment, _ = Payment.objects.get_or_create(
                idempotency_key=idempotency_key,
                defaults={
                    "provider": provider_name,
                    "amount": amount.amount,
                    "currency": amount.currency,
                    "token": token,
                },
            )
    except IntegrityError:
        payment = Payment.objects.get(idempotency_key=idempotency_key)
    if payment.status in (S.AUTHORIZED, S.CAPTURED):
        return payment
    if payment.status != S.PENDING:
        raise payment_error(payment=payment)
    try:
        result = provider_for(payment.provider).authorize(
            amount=payment.money, token=payment.token, idempotency_key=idempotency_key, metadata=metadata or {}
        )
    except ProviderError as exc:
        log.info("payment %s: %s", payment.public_id, exc.kind)
        if exc.kind == FailureKind.NETWORK:
            Payment.objects.filter(pk=payment.pk).update(error_code=_FAILURE_CODES[exc.kind], last_error=exc.detail)
            raise _error(exc) from exc
        if payment_can_move(payment=payment, to=S.FAILED):
            payment_transition(
                payment=payment,
                to=S.FAILED,
                error_code=_FAILURE_CODES[exc.kind],
                last_error=exc.detail,
                provider_reference=exc.reference,
            )
        raise _error(exc) from exc
    to = S.CAPTURED if result.status == "captured" else S.AUTHORIZED
    if payment_can_move(payment=payment, to=to):
        payment_transition(payment=payment, to=to, provider_reference=result.reference, error_code="", last_error="")
    else:
        payment.refresh_from_db()
    return payment


def payment_capture(*, payment: Payment) -> Payment:
    """Takes the authorized money; a captured payment is returned as it is."""
    if payment.status == S.CAPTURED:
        return payment
    try:
        provider_for(payment.provider).capture(
            reference=payment.provider_reference,
            amount=payment.money,
            idempotency_key=f"{payment.idempotency_key}:capture",
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        raise _error(exc) from exc
    return payment_transition(payment=payment, to=S.CAPTURED, last_error="")


def payment_void(*, payment: Payment) -> Payment:
    """Releases an authorization that was not captured (a pending one is settled first); no money moves after it."""
    if payment.status == S.PENDING:
        payment = payment_settle(payment=payment)
    if payment.status in (S.VOIDED, S.FAILED):
        return payment
    try:
        provider_for(payment.provider).void(
            reference=payment.provider_reference, idempotency_key=f"{payment.idempotency_key}:void"
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        raise _error(exc) from exc
    return payment_transition(payment=payment, to=S.VOIDED, last_error="")


def payment_refund(*, payment: Payment, amount: Money | None = None) -> Payment:
    """Gives back `amount` (default: all not yet refunded) of a captured payment, once per call."""
    remaining = Decimal(payment.amount) - Decimal(payment.amount_refunded)
    amount = amount or Money(remaining, payment.currency)
    if amount.currency != payment.currency or amount.amount <= 0 or amount.amount > remaining:
        raise DomainError(PaymentError.ILLEGAL_TRANSITION, f"Cannot refund {amount} of this payment.", "amount")
    try:
        provider_for(payment.provider).refund(
            reference=payment.provider_reference,
            amount=amount,
            idempotency_key=f"{payment.idempotency_key}:refund:{payment.amount_refunded}:{amount.amount}",
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        raise _error(exc) from exc
    refunded = Decimal(payment.amount_refunded) + amount.amount
    if refunded == Decimal(payment.amount):
        return payment_transition(payment=payment, to=S.REFUNDED, amount_refunded=refunded, last_error="")
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=refunded)
    payment.amount_refunded = refunded
    return payment


def payment_settle(*, payment: Payment) -> Payment:
    """Learns the outcome of a pending payment by re-sending its authorization with the same key.

    Returns it authorized or failed; a gateway that still does not answer leaves it pending (and raises).
    """
    if payment.status != S.PENDING:
        return payment
    try:
        return payment_authorize(
            amount=payment.money,
            token=payment.token,
            idempotency_key=payment.idempotency_key,
            provider=payment.provider,
        )
    except PaymentUnavailable:
        raise
    except DomainError:
        payment.refresh_from_db()
        return payment


_WEBHOOK_TARGETS = {
    "authorized": S.AUTHORIZED,
    "captured": S.CAPTURED,
    "voided": S.VOIDED,
    "refunded": S.REFUNDED,
    "failed": S.FAILED,
}


def webhook_apply(*, provider: str, payload: bytes, headers: dict) -> PaymentEvent:
    """Verifies and applies a provider's webhook once: a redelivery, or an event older than the payment's state, changes nothing."""
    event = provider_for(provider).verify_webhook(payload=payload, headers=headers)
    try:
        with transaction.atomic():
            # The event row is written first: a second delivery, even at the same moment, fails here.
            record = PaymentEvent.objects.create(
                provider=provider,
                event_id=event.event_id,
                kind=event.kind,
                provider_reference=event.reference,
                outcome=PaymentEvent.Outcome.UNKNOWN_PAYMENT,
                payload=event.payload,
            )
            payment = (
                Payment.objects.select_for_update()
                .filter(provider=provider, provider_reference=event.reference)
                .first()
            )
            if payment is not None:
                record.payment = payment
                record.outcome = _webhook_change(payment=payment, kind=event.kind, amount=event.amount)
                record.save(update_fields=["payment", "outcome"])
            return record
    except IntegrityError:
        return PaymentEvent.objects.get(provider=provider, event_id=event.event_id)


def _webhook_change(*, payment: Payment, kind: str, amount: Money | None) -> str:
    target = _WEBHOOK_TARGETS.get(kind)
    if target == S.REFUNDED and amount is not None and amount.amount < payment.amount:
        # A partial refund: the payment stays captured with the refunded amount raised.
        if payment.status == S.CAPTURED and amount.amount > payment.amount_refunded:
            payment.amount_refunded = amount.amount
            payment.save(update_fields=["amount_refunded"])
            return PaymentEvent.Outcome.APPLIED
        return PaymentEvent.Outcome.IGNORED
    if target is not None and payment_can_move(payment=payment, to=target):
        fields = {"amount_refunded": payment.amount} if target == S.REFUNDED else {}
        payment_transition(payment=payment, to=target, **fields)
        return PaymentEvent.Outcome.APPLIED
    return PaymentEvent.Outcome.IGNORED
