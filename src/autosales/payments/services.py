"""Card payments: authorize, capture, void, refund, and webhooks, through the configured provider.

Every function here calls the network: call them outside any transaction that holds row locks.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from autosales.core.errors import Conflict, DomainError
from autosales.core.money import Money
from autosales.payments.card_numbers import card_number_refuse
from autosales.payments.errors import PaymentActionRequired, PaymentError, PaymentUnavailable
from autosales.payments.models import Payment, PaymentEvent, PaymentStatus
from autosales.payments.providers import provider_for
from autosales.payments.providers.base import FailureKind, ProviderError, ProviderResult
from autosales.payments.transitions import payment_can_move, payment_transition

log = logging.getLogger(__name__)

S = PaymentStatus

_FAILURE_CODES = {
    FailureKind.DECLINED: PaymentError.DECLINED,
    FailureKind.INSUFFICIENT_FUNDS: PaymentError.INSUFFICIENT_FUNDS,
    FailureKind.INVALID: PaymentError.INVALID_TOKEN,
    FailureKind.NETWORK: PaymentError.NETWORK,
    FailureKind.ACTION_REQUIRED: PaymentError.AUTHENTICATION_REQUIRED,
}


def _error(exc: ProviderError, *, payment: Payment | None = None) -> DomainError:
    code = _FAILURE_CODES[exc.kind]
    if exc.kind == FailureKind.NETWORK:
        return PaymentUnavailable(code, exc.message, "payment")
    if exc.kind == FailureKind.ACTION_REQUIRED:
        return PaymentActionRequired(code, exc.message, "payment", payment=payment.public_id if payment else "")
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
    customer: str = "",
    off_session: bool = False,
    capture: bool = False,
) -> Payment:
    """Authorizes `amount` once per `idempotency_key`: a repeated call re-sends the same request and never charges twice.

    The request sent under a key is the one stored with the payment the first time (amount, token, metadata,
    customer, off-session, capture): a retry, or `payment_settle`, sends it unchanged. With `capture` the one
    call also takes the money (a sale) and the payment comes back captured. Returns the authorized (or
    captured) payment; raises DomainError(field="payment") on a decline, PaymentActionRequired (402) when the
    bank wants the customer to confirm an off-session charge, and PaymentUnavailable (503) when the answer was
    lost (the payment stays pending; calling again with the same key settles it). A card number given as the
    token is refused before anything is written or sent.
    """
    try:
        with transaction.atomic():
            payment = payment_prepare(
                amount=amount,
                token=token,
                idempotency_key=idempotency_key,
                provider=provider,
                metadata=metadata,
                customer=customer,
                off_session=off_session,
                capture=capture,
            )
    except IntegrityError:
        payment = Payment.objects.get(idempotency_key=idempotency_key)
    return _authorize_send(payment)


def payment_prepare(
    *,
    amount: Money,
    token: str,
    idempotency_key: str,
    provider: str | None = None,
    metadata: dict | None = None,
    customer: str = "",
    off_session: bool = False,
    capture: bool = False,
) -> Payment:
    """Writes the pending payment, with the one request its key will ever send, in the caller's transaction.

    Nothing is sent: `payment_request_send` sends it, outside any transaction. An existing payment under the
    key raises IntegrityError (the caller's transaction is then unusable: roll it back).
    """
    card_number_refuse(value=token, field="payment.token")
    request = {"metadata": {str(k): str(v) for k, v in (metadata or {}).items()}}
    if customer or off_session:
        request.update(customer=customer, off_session=bool(off_session))
    if capture:
        request["capture"] = True
    return Payment.objects.create(
        idempotency_key=idempotency_key,
        provider=provider or provider_for().name,
        amount=amount.amount,
        currency=amount.currency,
        token=token,
        request=request,
    )


def _authorize_send(payment: Payment) -> Payment:
    """Sends (or re-sends) the payment's one authorization request and records the answer."""
    result = payment_request_send(payment=payment)
    if result is not None:
        payment_result_record(payment=payment, result=result)
    return payment


def payment_request_send(*, payment: Payment) -> ProviderResult | None:
    """Sends (or re-sends) the payment's one authorization request, built from the stored row only.

    Returns the gateway's answer for the caller to record with `payment_result_record` (in the transaction
    that uses it), or None when the payment is authorized or captured already. A refusal is recorded here
    and raised as `payment_authorize` raises it. Calls the network: never inside a transaction.
    """
    if payment.status in (S.AUTHORIZED, S.CAPTURED):
        return None
    if payment.status == S.ACTION_REQUIRED:
        raise _error(ProviderError(FailureKind.ACTION_REQUIRED), payment=payment)
    if payment.status != S.PENDING:
        raise payment_error(payment=payment)
    request = payment.request or {}
    options = {"capture": True} if request.get("capture") else {}
    try:
        return provider_for(payment.provider).authorize(
            amount=payment.money,
            token=payment.token,
            idempotency_key=payment.idempotency_key,
            metadata=request.get("metadata", {}),
            customer=request.get("customer", ""),
            off_session=bool(request.get("off_session", False)),
            **options,
        )
    except ProviderError as exc:
        log.info("payment %s: %s", payment.public_id, exc.kind)
        if exc.kind == FailureKind.NETWORK:
            Payment.objects.filter(pk=payment.pk).update(error_code=_FAILURE_CODES[exc.kind], last_error=exc.detail)
            raise _error(exc) from exc
        to = S.ACTION_REQUIRED if exc.kind == FailureKind.ACTION_REQUIRED else S.FAILED
        if payment_can_move(payment=payment, to=to):
            payment_transition(
                payment=payment,
                to=to,
                error_code=_FAILURE_CODES[exc.kind],
                last_error=exc.detail,
                provider_reference=exc.reference,
            )
        raise _error(exc, payment=payment) from exc


def payment_result_record(*, payment: Payment, result: ProviderResult, **fields) -> Payment:
    """Records the gateway's yes (authorized, or captured by a sale) with `fields` (such as the order) in one write."""
    to = S.CAPTURED if result.status == "captured" else S.AUTHORIZED
    if payment_can_move(payment=payment, to=to):
        try:
            return payment_transition(
                payment=payment, to=to, provider_reference=result.reference, error_code="", last_error="", **fields
            )
        except Conflict:
            pass  # moved meanwhile (a webhook told us first): keep what is stored
    payment.refresh_from_db()
    if fields:
        Payment.objects.filter(pk=payment.pk).update(**fields)
        for name, value in fields.items():
            setattr(payment, name, value)
    return payment


def payment_action_details(*, payment: Payment) -> dict:
    """What the customer's page needs to confirm a payment the bank asked about (read from the gateway, never stored)."""
    try:
        return provider_for(payment.provider).action_details(reference=payment.provider_reference)
    except ProviderError as exc:
        raise _error(exc, payment=payment) from exc


def payment_action_complete(*, payment: Payment) -> Payment:
    """After the customer confirmed a payment with their bank: asks the gateway and records it authorized.

    Raises PaymentActionRequired while the gateway still waits for the customer, DomainError when it failed.
    """
    if payment.status != S.ACTION_REQUIRED:
        if payment.status in (S.AUTHORIZED, S.CAPTURED):
            return payment
        raise payment_error(payment=payment)
    try:
        result = provider_for(payment.provider).action_complete(reference=payment.provider_reference)
    except ProviderError as exc:
        final = exc.kind not in (FailureKind.ACTION_REQUIRED, FailureKind.NETWORK)
        if final and payment_can_move(payment=payment, to=S.FAILED):
            payment_transition(payment=payment, to=S.FAILED, error_code=_FAILURE_CODES[exc.kind], last_error=exc.detail)
        raise _error(exc, payment=payment) from exc
    to = S.CAPTURED if result.status == "captured" else S.AUTHORIZED
    if payment_can_move(payment=payment, to=to):
        payment_transition(payment=payment, to=to, error_code="", last_error="")
    else:
        payment.refresh_from_db()
    return payment


def payment_confirmed_for(*, public_id: str, amount: Money) -> Payment | None:
    """The payment `public_id` if the customer confirmed it and it can pay `amount` now (held, unused); else None."""
    payment = Payment.objects.filter(public_id=public_id, order__isnull=True).first()
    if payment is None or payment.status not in (S.AUTHORIZED, S.CAPTURED) or payment.money != amount:
        return None
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


def payment_capture_part(*, payment: Payment, amount: Money, final: bool, idempotency_key: str) -> Payment:
    """Takes `amount` of an authorization that several captures share (capture at shipment), once per key.

    The payment stays authorized until the `final` capture, which records it captured with the total taken.
    """
    if payment.status == S.CAPTURED:
        return payment
    try:
        result = provider_for(payment.provider).capture(
            reference=payment.provider_reference, amount=amount, idempotency_key=idempotency_key, final=final
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        raise _error(exc) from exc
    if result.status == "captured":
        return payment_transition(payment=payment, to=S.CAPTURED, amount=result.amount.amount, last_error="")
    return payment


def payment_release_rest(*, payment: Payment) -> Payment:
    """Releases what an authorization still holds: voided when nothing was taken from it, else captured with
    what the partial captures took (the gateway says which)."""
    if payment.status == S.PENDING:
        payment = payment_settle(payment=payment)
    if payment.status != S.AUTHORIZED:
        return payment
    try:
        result = provider_for(payment.provider).void(
            reference=payment.provider_reference, idempotency_key=f"{payment.idempotency_key}:void"
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        raise _error(exc) from exc
    if result.status == "captured":
        return payment_transition(payment=payment, to=S.CAPTURED, amount=result.amount.amount, last_error="")
    return payment_transition(payment=payment, to=S.VOIDED, last_error="")


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


def payment_return(*, payment: Payment) -> Payment:
    """Gives back all the money of a payment that pays for nothing: a pending one is settled first, an
    authorization is voided, a captured sale refunded. Calls the gateway; raises DomainError when it must be retried."""
    if payment.status == S.PENDING:
        payment = payment_settle(payment=payment)
    if payment.status == S.AUTHORIZED:
        return payment_void(payment=payment)
    if payment.status == S.CAPTURED:
        return payment_refund(payment=payment)
    return payment


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
        return _authorize_send(payment)
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
    if target == S.FAILED and payment.status == S.ACTION_REQUIRED:
        # Stripe reports an off-session charge that needs authentication as failed, yet the customer can
        # still confirm that very intent; only its cancellation (or its success) settles it.
        return PaymentEvent.Outcome.IGNORED
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
