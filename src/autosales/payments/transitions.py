"""The payment state machine: the one place a payment's status changes."""

from django.db import transaction

from autosales.core.errors import Conflict
from autosales.payments.errors import PaymentError
from autosales.payments.models import Payment, PaymentStatus

S = PaymentStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTION_REQUIRED, S.AUTHORIZED, S.CAPTURED, S.FAILED, S.VOIDED}),
    S.ACTION_REQUIRED: frozenset({S.AUTHORIZED, S.CAPTURED, S.FAILED, S.VOIDED}),
    S.AUTHORIZED: frozenset({S.CAPTURED, S.VOIDED}),
    S.CAPTURED: frozenset({S.REFUNDED}),
    S.VOIDED: frozenset(),
    S.REFUNDED: frozenset(),
    S.FAILED: frozenset(),
}


def payment_can_move(*, payment: Payment, to: str) -> bool:
    return to in ALLOWED[payment.status]


def payment_transition(*, payment: Payment, to: str, **fields) -> Payment:
    """Moves the payment to `to` (with `fields` such as provider_reference) if the table allows it, else raises."""
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if to not in ALLOWED[current.status]:
            raise Conflict(
                PaymentError.ILLEGAL_TRANSITION,
                f"A {current.get_status_display().lower()} payment cannot become {PaymentStatus(to).label.lower()}.",
                "status",
            )
        for name, value in fields.items():
            setattr(current, name, value)
        current.status = to
        current.save(update_fields=["status", *fields])
    for name in ["status", "updated_at", *fields]:
        setattr(payment, name, getattr(current, name))
    return payment
